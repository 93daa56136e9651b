/*
 * test_saga: the saga model keeps every trip all done or all compensated
 * through crashes, partitions, message faults and disk faults; each planted
 * bug is caught by the check that names it, within the first seeds of its
 * scenario, in words that name the saga and what went wrong; each bug hides
 * without the fault that exposes it; and a failing seed replays to the same
 * violation and fingerprint.
 *
 * Seed counts: SEEDS of everything.json in a plain build (about 5 ms a seed
 * in Release); fewer under the sanitizers, which look for memory errors that
 * the first seeds exercise as well as the later ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "faultline/faultline.h"
#include "models/registry.h"
#include "probe.h"

#if defined(__SANITIZE_ADDRESS__)
#define FL_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FL_TEST_SANITIZED 1
#endif
#endif

#ifdef FL_TEST_SANITIZED
#define SEEDS 60
#define SEEDS_OTHER 20
#else
#define SEEDS 300
#define SEEDS_OTHER 60
#endif

#define BUG_SEEDS_MAX 1000 /* a buggy variant must fail within these */

static char *read_text(const char *relative, size_t *size) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FL_SOURCE_DIR, relative);
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s", path);
    char *text = malloc(1 << 16);
    assert_non_null(text);
    *size = fread(text, 1, (1 << 16) - 1, f);
    text[*size] = '\0';
    fclose(f);
    return text;
}

/* A shipped scenario with its variant replaced by `variant` (or set, when the
 * file names none). */
static struct fl_scenario *load_with_variant(const char *relative, const char *variant) {
    size_t size = 0;
    char *text = read_text(relative, &size);
    char *edited = malloc(size + 128);
    assert_non_null(edited);
    int n = 0;
    char *at = strstr(text, "\"variant\": \"");
    if (at != NULL) {
        char *value_end = strchr(at + strlen("\"variant\": \""), '"');
        assert_non_null(value_end);
        n = snprintf(edited, size + 128, "%.*s\"variant\": \"%s%s", (int)(at - text), text,
                     variant, value_end);
    } else {
        const char *anchor = "\"model\": \"saga\",";
        at = strstr(text, anchor);
        assert_non_null(at);
        size_t head = (size_t)(at - text) + strlen(anchor);
        n = snprintf(edited, size + 128, "%.*s \"variant\": \"%s\",%s", (int)head, text, variant,
                     text + head);
    }
    assert_true(n > 0);
    struct fl_error error;
    struct fl_scenario *scenario =
        fl_scenario_parse(edited, (size_t)n, relative, fl_models_builtin, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    free(edited);
    free(text);
    return scenario;
}

static void assert_every_seed_passes(const struct fl_scenario *scenario, uint64_t seeds) {
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        struct fl_result r;
        run_seed(scenario, seed, &r);
        if (r.pass) continue;
        fail_msg("%s (%s) seed %llu failed %s: %s", fl_scenario_path(scenario),
                 fl_scenario_variant_name(scenario), (unsigned long long)seed,
                 r.violations[0].check, r.violations[0].message);
    }
}

/* The first failing seed of a buggy scenario within BUG_SEEDS_MAX; every
 * failure up to it must be `check` and its message must contain `words`. */
static uint64_t first_failure(const char *relative, const char *check, const char *words) {
    struct fl_scenario *scenario = load_shipped(relative);
    for (uint64_t seed = 1; seed <= BUG_SEEDS_MAX; seed++) {
        struct fl_result r;
        run_seed(scenario, seed, &r);
        if (r.pass) continue;
        if (strcmp(r.violations[0].check, check) != 0 ||
            strstr(r.violations[0].message, words) == NULL) {
            fail_msg("%s seed %llu failed %s (%s), expected %s saying \"%s\"", relative,
                     (unsigned long long)seed, r.violations[0].check, r.violations[0].message,
                     check, words);
        }
        fl_scenario_free(scenario);
        return seed;
    }
    fail_msg("%s: no failure in seeds 1..%d", relative, BUG_SEEDS_MAX);
    return 0;
}

/* --- the correct variant ------------------------------------------------------------ */

static void test_correct_survives_everything(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/saga/everything.json");
    assert_every_seed_passes(scenario, SEEDS);
    fl_scenario_free(scenario);
}

/* The faults that expose each bug do not break the correct variant. */
static void test_correct_survives_every_bugs_scenario(void **state) {
    (void)state;
    static const char *const files[] = {
        "scenarios/saga/calm.json",
        "scenarios/saga/everything-three-copies.json",
        "scenarios/saga/missing-compensation.json",
        "scenarios/saga/non-idempotent-compensation.json",
        "scenarios/saga/volatile-orchestrator.json",
        "scenarios/saga/blind-refund.json",
        "scenarios/saga/no-tombstone.json",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct fl_scenario *scenario = load_with_variant(files[i], "correct");
        assert_every_seed_passes(scenario, SEEDS_OTHER);
        fl_scenario_free(scenario);
    }
}

/* Over the first seeds, everything.json reaches every path the correct
 * variant has for a fault: a passing sweep means those paths held. */
static void test_everything_exercises_every_recovery_path(void **state) {
    (void)state;
    static const char *const paths[] = {
        "saga.recovered_sagas_in_progress", "saga.step_outcome_unknown",
        "saga.compensation_retried",        "saga.retry_answered_from_memory",
        "saga.stale_answer",                "saga.status_waits_for_sync",
        "saga.read_error_retried",          "saga.sync_failed",
        "saga.write_refused",               "saga.recovery_skipped_a_lost_record",
        "saga.recovery_repaired_a_copy",    "saga.service_full",
        "saga.dropped_corrupt",             "saga.undo_before_do",
    };
    enum { PATHS = sizeof paths / sizeof paths[0] };
    uint64_t held[PATHS] = {0};
    struct fl_scenario *scenario = load_shipped("scenarios/saga/everything.json");
    for (uint64_t seed = 1; seed <= SEEDS_OTHER; seed++) {
        struct fl_result r;
        struct fl_sim *sim = probe_run(scenario, seed, &r);
        const struct fl_assertion_stat *stats = NULL;
        uint32_t count = fl_sim_assertions(sim, &stats);
        for (uint32_t i = 0; i < count; i++) {
            for (uint32_t p = 0; p < PATHS; p++) {
                if (strcmp(stats[i].name, paths[p]) == 0) held[p] += stats[i].held;
            }
        }
        fl_sim_destroy(sim);
    }
    for (uint32_t p = 0; p < PATHS; p++) {
        if (held[p] == 0) fail_msg("%s never held in %d seeds", paths[p], SEEDS_OTHER);
    }
    fl_scenario_free(scenario);
}

/* The tombstone at work: on slow links, the correct variant's flight and hotel
 * services refuse a booking that arrives after its own cancel (everything.json
 * gets there in about one seed in fifty). */
static void test_correct_refuses_a_booking_after_its_cancel(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_with_variant("scenarios/saga/no-tombstone.json", "correct");
    uint64_t held = 0;
    for (uint64_t seed = 1; seed <= SEEDS_OTHER && held == 0; seed++) {
        struct fl_result r;
        struct fl_sim *sim = probe_run(scenario, seed, &r);
        assert_true(r.pass);
        const struct fl_assertion_stat *stats = NULL;
        uint32_t count = fl_sim_assertions(sim, &stats);
        for (uint32_t i = 0; i < count; i++) {
            if (strcmp(stats[i].name, "saga.do_after_its_undo_refused") == 0) held += stats[i].held;
        }
        fl_sim_destroy(sim);
    }
    assert_true(held > 0);
    fl_scenario_free(scenario);
}

/* --- the bugs -------------------------------------------------------------------------- */

static void test_missing_compensation_leaves_the_flight_booked(void **state) {
    (void)state;
    uint64_t seed = first_failure("scenarios/saga/missing-compensation.json", "saga.atomic",
                                  "but the flight was never cancelled");
    assert_true(seed >= 1);
}

static void test_non_idempotent_compensation_refunds_twice(void **state) {
    (void)state;
    uint64_t seed = first_failure("scenarios/saga/non-idempotent-compensation.json",
                                  "saga.refund_once", "refunded 2 times");
    assert_true(seed >= 1);
}

static void test_volatile_orchestrator_forgets_sagas_in_progress(void **state) {
    (void)state;
    uint64_t seed = first_failure("scenarios/saga/volatile-orchestrator.json", "saga.ends",
                                  "does not know the saga");
    assert_true(seed >= 1);
}

static void test_blind_refund_refunds_a_charge_never_made(void **state) {
    (void)state;
    uint64_t seed = first_failure("scenarios/saga/blind-refund.json",
                                  "saga.no_phantom_compensation", "a charge it never made");
    assert_true(seed >= 1);
}

static void test_no_tombstone_books_after_the_compensation(void **state) {
    (void)state;
    uint64_t seed = first_failure("scenarios/saga/no-tombstone.json", "saga.atomic",
                                  "after its cancel had been answered 'nothing to cancel'");
    assert_true(seed >= 1);
}

/* Without its fault a bug stays hidden: no timeouts, no double refund, no
 * phantom refund and no late booking; no crash, nothing forgotten. */
static void test_each_bug_hides_without_its_fault(void **state) {
    (void)state;
    static const char *const variants[] = {"non_idempotent_compensation",
                                           "volatile_orchestrator", "blind_refund",
                                           "no_tombstone"};
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        struct fl_scenario *scenario = load_with_variant("scenarios/saga/calm.json", variants[v]);
        assert_every_seed_passes(scenario, SEEDS_OTHER / 2);
        fl_scenario_free(scenario);
    }
}

/* --- replay ---------------------------------------------------------------------------- */

static void assert_replays(const char *relative, const char *check, const char *words) {
    uint64_t seed = first_failure(relative, check, words);
    struct fl_scenario *scenario = load_shipped(relative);
    struct fl_result first, again;
    run_seed(scenario, seed, &first);
    run_seed(scenario, seed, &again);
    assert_false(first.pass);
    assert_false(again.pass);
    assert_string_equal(first.violations[0].check, again.violations[0].check);
    assert_string_equal(first.violations[0].message, again.violations[0].message);
    assert_int_equal(first.violations[0].time_ns, again.violations[0].time_ns);
    assert_int_equal(first.violations[0].event_id, again.violations[0].event_id);
    assert_int_equal(first.events, again.events);
    assert_int_equal(first.fingerprint, again.fingerprint);
    fl_scenario_free(scenario);
}

static void test_a_failing_seed_replays_to_the_same_violation(void **state) {
    (void)state;
    assert_replays("scenarios/saga/missing-compensation.json", "saga.atomic", "flight");
    assert_replays("scenarios/saga/non-idempotent-compensation.json", "saga.refund_once",
                   "refunded");
    assert_replays("scenarios/saga/volatile-orchestrator.json", "saga.ends", "never ended");
    assert_replays("scenarios/saga/blind-refund.json", "saga.no_phantom_compensation",
                   "never made");
    assert_replays("scenarios/saga/no-tombstone.json", "saga.atomic", "nothing to cancel");
}

/* The same seed of everything.json gives the same fingerprint; another seed
 * another one. */
static void test_same_seed_same_fingerprint(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/saga/everything.json");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct fl_result a, b, other;
        run_seed(scenario, seed, &a);
        run_seed(scenario, seed, &b);
        run_seed(scenario, seed + 100, &other);
        assert_int_equal(a.fingerprint, b.fingerprint);
        assert_int_equal(a.events, b.events);
        assert_true(a.fingerprint != other.fingerprint);
    }
    fl_scenario_free(scenario);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correct_survives_everything),
        cmocka_unit_test(test_correct_survives_every_bugs_scenario),
        cmocka_unit_test(test_everything_exercises_every_recovery_path),
        cmocka_unit_test(test_correct_refuses_a_booking_after_its_cancel),
        cmocka_unit_test(test_missing_compensation_leaves_the_flight_booked),
        cmocka_unit_test(test_non_idempotent_compensation_refunds_twice),
        cmocka_unit_test(test_volatile_orchestrator_forgets_sagas_in_progress),
        cmocka_unit_test(test_blind_refund_refunds_a_charge_never_made),
        cmocka_unit_test(test_no_tombstone_books_after_the_compensation),
        cmocka_unit_test(test_each_bug_hides_without_its_fault),
        cmocka_unit_test(test_a_failing_seed_replays_to_the_same_violation),
        cmocka_unit_test(test_same_seed_same_fingerprint),
    };
    return cmocka_run_group_tests_name("saga", tests, NULL, NULL);
}
