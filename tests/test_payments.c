/*
 * test_payments: the checkout model. Its correct variant keeps every order
 * charged once, the stock and the money right, and ends every order, through
 * crashes, partitions, a lossy network and a faulty disk; each planted bug is
 * found within its scenario's first seeds by the check that names it, in
 * words that name the order; a failing seed replays to the same run.
 *
 * Seed counts: a few hundred per scenario in a plain build (a seed of
 * everything.json costs about 1 ms in Release); the sanitizer builds run
 * fewer, since they look for memory errors, which the first seeds exercise
 * as well as later ones.
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
#include "models/payments/payments.h"
#include "models/registry.h"
#include "probe.h"

#ifdef FL_TEST_SANITIZED
#define SEEDS_CORRECT 60
#else
#define SEEDS_CORRECT 400
#endif
#define SEEDS_BUGGY 1000 /* the bound: a bug shows within its first thousand seeds */
#ifdef FL_TEST_SANITIZED
#define SEEDS_BUGGY_SCAN 50
#else
#define SEEDS_BUGGY_SCAN 200
#endif

/* A buggy scenario: its first failure in 1..SEEDS_BUGGY is one of `checks`
 * (as scan_failures) with `words` in its message, and replays to the same
 * run; over the first SEEDS_BUGGY_SCAN seeds, every failure is one of
 * `checks` and at least `failures_min` seeds fail: the bug is found often,
 * and nothing else breaks on the way. */
static void assert_bug_found(const char *relative, const char *checks, const char *words,
                             uint32_t failures_min) {
    struct fl_scenario *scenario = load_shipped(relative);
    assert_replays_same(scenario, first_failure(scenario, SEEDS_BUGGY, checks, words));
    struct seed_scan scan = scan_failures(scenario, SEEDS_BUGGY_SCAN, checks, NULL, 0);
    if (scan.failed < failures_min) {
        fail_msg("%s: %u of %u seeds failed, expected at least %u", relative, scan.failed,
                 SEEDS_BUGGY_SCAN, failures_min);
    }
    fl_scenario_free(scenario);
}

/* --- the correct variant ------------------------------------------------------------ */

static void test_correct_survives_every_fault(void **state) {
    (void)state;
    assert_shipped_passes("scenarios/payments/everything.json", SEEDS_CORRECT);
}

static void test_correct_never_oversells_under_contention(void **state) {
    (void)state;
    assert_shipped_passes("scenarios/payments/contention.json", SEEDS_CORRECT / 2);
}

/* Timeouts shorter than a round trip: every request arrives several times,
 * answers come back to superseded sends, and a stale conflict must not
 * decide an order's fate (it once stranded a reservation: seed 411). */
static void test_correct_survives_timeouts_shorter_than_a_round_trip(void **state) {
    (void)state;
    assert_shipped_passes("scenarios/payments/impatient.json", SEEDS_CORRECT / 4);
    static const char *const stale[] = {"payments.stale_conflict_ignored"};
    struct fl_scenario *scenario = load_shipped("scenarios/payments/impatient.json");
    assert_paths_taken(scenario, 10, stale, 1);
    fl_scenario_free(scenario);
}

static void test_correct_passes_calm(void **state) {
    (void)state;
    assert_shipped_passes("scenarios/payments/calm.json", 20);
}

/* A passing sweep means something only if the paths the faults force were
 * taken: retries, deduplication at each service, conflicts, recovery. */
static void test_everything_exercises_every_recovery_path(void **state) {
    (void)state;
    static const char *const paths[] = {
        "payments.client_retried",          "payments.order_deduplicated",
        "payments.order_resumed_after_crash", "payments.order_step_resent",
        "payments.stock_write_deduplicated", "payments.charge_deduplicated",
        "payments.cas_conflict_retried",    "payments.charge_declined",
        "payments.read_error_retried",      "payments.sync_failed",
        "payments.recovery_repaired_a_copy", "payments.recovery_cut_a_tail",
        "payments.append_refused_disk_full", "payments.server_dropped_corrupt",
    };
    struct fl_scenario *scenario = load_shipped("scenarios/payments/everything.json");
    assert_paths_taken(scenario, 100, paths, sizeof paths / sizeof paths[0]);
    fl_scenario_free(scenario);
}

/* --- the bugs -------------------------------------------------------------------------- */

static void test_no_idempotency_key_charges_a_retried_order_twice(void **state) {
    (void)state;
    assert_bug_found("scenarios/payments/no-idempotency-key.json", "payments.charged_once",
                     "charged twice: payments p-", SEEDS_BUGGY_SCAN / 2);
}

static void test_unversioned_inventory_oversells(void **state) {
    (void)state;
    assert_bug_found("scenarios/payments/unversioned-inventory.json", "payments.inventory",
                     "oversold", SEEDS_BUGGY_SCAN / 2);
}

/* The lost order is paid again by its retry (charged_once), or, when the
 * retry is rejected, stays paid for though no order exists (paid_shipped). */
static void test_charge_before_durable_charges_for_a_lost_order(void **state) {
    (void)state;
    assert_bug_found("scenarios/payments/charge-before-durable.json",
                     "payments.charged_once|payments.paid_shipped", "order",
                     SEEDS_BUGGY_SCAN / 5);
}

/* The same seeds of each buggy scenario pass with the correct variant: the
 * bug, not the scenario's faults, is what fails. */
static void test_each_buggy_scenario_passes_with_the_fix(void **state) {
    (void)state;
    static const char *const paths[] = {
        "scenarios/payments/no-idempotency-key.json",
        "scenarios/payments/unversioned-inventory.json",
        "scenarios/payments/charge-before-durable.json",
    };
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        struct fl_scenario *scenario = load_shipped_variant(paths[p], "correct");
        assert_string_equal(fl_scenario_variant_name(scenario), "correct");
        assert_seeds_pass(scenario, SEEDS_CORRECT / 4);
        fl_scenario_free(scenario);
    }
}

/* --- liveness and shape ------------------------------------------------------------------ */

/* Clients that never retry on a lossy network: some order never ends, and
 * orders_end says which. */
static void test_orders_end_names_an_order_that_never_ends(void **state) {
    (void)state;
    struct fl_scenario *scenario = parse_builtin(
        "{\"name\": \"no-retry\", \"model\": \"payments\", \"nodes\": 3, \"clients\": 3,"
        " \"duration\": \"10s\", \"params\": {\"client_timeout\": \"1h\", \"liveness\": \"3s\"},"
        " \"network\": {\"loss\": 0.2}}");
    struct fl_result r;
    run_seed(scenario, 1, &r);
    assert_false(r.pass);
    assert_string_equal(r.violations[0].check, "payments.orders_end");
    assert_non_null(strstr(r.violations[0].message, "was still neither confirmed nor rejected"));
    fl_scenario_free(scenario);
}

static void test_a_fourth_server_is_refused(void **state) {
    (void)state;
    struct fl_scenario *scenario = parse_builtin(
        "{\"name\": \"four\", \"model\": \"payments\", \"nodes\": 4, \"clients\": 1,"
        " \"duration\": \"1s\"}");
    struct fl_result r;
    run_seed(scenario, 1, &r);
    assert_false(r.pass);
    assert_string_equal(r.violations[0].check, "payments.three_servers");
    fl_scenario_free(scenario);

    const char *two =
        "{\"name\": \"two\", \"model\": \"payments\", \"nodes\": 2, \"duration\": \"1s\"}";
    struct fl_error error;
    assert_null(fl_scenario_parse(two, strlen(two), "two.json", fl_models_builtin, &error));
}

/* The roles and labels the visualizer shows, from real states. */
static void test_describe_state_names_each_role(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/payments/calm.json");
    struct fl_result r;
    struct fl_sim *sim = probe_run(scenario, 1, &r);
    assert_true(r.pass);
    static const char *const roles[] = {"orders", "inventory", "payments", "idle"};
    for (uint32_t id = 0; id < 4; id++) {
        const struct fl_service *service =
            id < 3 ? fl_model_payments.server : fl_model_payments.client;
        struct fl_state_view view;
        memset(&view, 0, sizeof view);
        service->describe_state(fl_sim_node_state(sim, id), &view);
        assert_string_equal(view.role, roles[id]);
        assert_true(strlen(view.label) > 0);
    }
    struct fl_state_view view;
    memset(&view, 0, sizeof view);
    fl_model_payments.server->describe_state(fl_sim_node_state(sim, 0), &view);
    assert_non_null(strstr(view.label, "confirmed"));
    struct fl_message_view message;
    memset(&message, 0, sizeof message);
    uint8_t garbage[61] = {0};
    fl_model_payments.server->describe_message(garbage, sizeof garbage, &message);
    assert_string_equal(message.kind, "corrupt");
    assert_int_equal(message.trace_id, 0);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correct_survives_every_fault),
        cmocka_unit_test(test_correct_never_oversells_under_contention),
        cmocka_unit_test(test_correct_survives_timeouts_shorter_than_a_round_trip),
        cmocka_unit_test(test_correct_passes_calm),
        cmocka_unit_test(test_everything_exercises_every_recovery_path),
        cmocka_unit_test(test_no_idempotency_key_charges_a_retried_order_twice),
        cmocka_unit_test(test_unversioned_inventory_oversells),
        cmocka_unit_test(test_charge_before_durable_charges_for_a_lost_order),
        cmocka_unit_test(test_each_buggy_scenario_passes_with_the_fix),
        cmocka_unit_test(test_orders_end_names_an_order_that_never_ends),
        cmocka_unit_test(test_a_fourth_server_is_refused),
        cmocka_unit_test(test_describe_state_names_each_role),
    };
    return cmocka_run_group_tests_name("payments", tests, NULL, NULL);
}
