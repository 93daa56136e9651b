/*
 * test_echo: the echo model's correct variant survives its scenarios over many
 * seeds; the planted bug is found, and only where requests overlap; a failing
 * seed replays to the same violation; the liveness checker can fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "faultline/faultline.h"
#include "models/registry.h"
#include "probe.h"

static void test_correct_variant_passes_every_scenario_for_100_seeds(void **state) {
    (void)state;
    assert_shipped_passes("scenarios/echo/calm.json", 100);
    assert_shipped_passes("scenarios/echo/partition.json", 100);
    assert_shipped_passes("scenarios/echo/lossy.json", 100);
    assert_shipped_passes("scenarios/echo/clocks.json", 100);
}

static void test_shared_buffer_bug_is_found_when_requests_overlap(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/echo/shared-buffer.json");
    struct seed_scan scan = scan_failures(scenario, 100, "echo.reply_matches", NULL, 0);
    assert_true(scan.failed >= 95);
    fl_scenario_free(scenario);
}

static void test_shared_buffer_bug_hides_without_overlap(void **state) {
    (void)state;
    assert_shipped_passes("scenarios/echo/shared-buffer-one-client.json", 100);
}

static void test_failing_seed_replays_to_the_same_violation(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/echo/shared-buffer.json");
    struct fl_result first;
    run_seed(scenario, 17, &first);
    assert_false(first.pass);
    assert_replays_same(scenario, 17);
    fl_scenario_free(scenario);
}

static void test_liveness_fails_when_a_client_is_not_answered_after_heal(void **state) {
    (void)state;
    /* c1 is cut off until 9.99 s; the run ends at 10 s and demands a reply in
     * the last 5 ms: c1 cannot have had one, so the checker must say so. */
    static const char text[] =
        "{\"name\":\"l\",\"model\":\"echo\",\"nodes\":2,\"clients\":2,\"duration\":\"10s\","
        "\"params\":{\"liveness\":\"5ms\",\"interval\":\"100ms\"},"
        "\"faults\":[{\"at\":\"1s\",\"type\":\"isolate\",\"node\":\"c1\","
        "\"duration\":\"8990ms\"}]}";
    struct fl_scenario *scenario = parse_builtin(text);
    struct fl_result r;
    run_seed(scenario, 1, &r);
    assert_false(r.pass);
    assert_string_equal(r.violations[0].check, "echo.liveness");
    assert_non_null(strstr(r.violations[0].message, "c1"));
    fl_scenario_free(scenario);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correct_variant_passes_every_scenario_for_100_seeds),
        cmocka_unit_test(test_shared_buffer_bug_is_found_when_requests_overlap),
        cmocka_unit_test(test_shared_buffer_bug_hides_without_overlap),
        cmocka_unit_test(test_failing_seed_replays_to_the_same_violation),
        cmocka_unit_test(test_liveness_fails_when_a_client_is_not_answered_after_heal),
    };
    return cmocka_run_group_tests_name("echo", tests, NULL, NULL);
}
