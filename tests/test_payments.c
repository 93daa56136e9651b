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

#if defined(__SANITIZE_ADDRESS__)
#define FL_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FL_TEST_SANITIZED 1
#endif
#endif

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

static void assert_every_seed_passes(const char *relative, uint64_t seeds) {
    struct fl_scenario *scenario = load_shipped(relative);
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        struct fl_result r;
        run_seed(scenario, seed, &r);
        if (r.pass) continue;
        fail_msg("%s seed %llu failed %s: %s", relative, (unsigned long long)seed,
                 r.violations[0].check, r.violations[0].message);
    }
    fl_scenario_free(scenario);
}

/* The first seed in 1..SEEDS_BUGGY that fails; the failure must be one of
 * `checks` (NULL-terminated) and its message must contain `words`. */
static uint64_t first_failure(const char *relative, const char *const *checks, const char *words) {
    struct fl_scenario *scenario = load_shipped(relative);
    for (uint64_t seed = 1; seed <= SEEDS_BUGGY; seed++) {
        struct fl_result r;
        run_seed(scenario, seed, &r);
        if (r.pass) continue;
        bool named = false;
        for (const char *const *c = checks; *c != NULL; c++) {
            named |= strcmp(*c, r.violations[0].check) == 0;
        }
        if (!named || strstr(r.violations[0].message, words) == NULL) {
            fail_msg("%s seed %llu failed %s: %s", relative, (unsigned long long)seed,
                     r.violations[0].check, r.violations[0].message);
        }
        fl_scenario_free(scenario);
        return seed;
    }
    fl_scenario_free(scenario);
    fail_msg("%s: no failure in seeds 1..%d", relative, SEEDS_BUGGY);
    return 0;
}

/* Over the first `seeds` seeds, every failure is one of `checks`, and at
 * least `failures_min` seeds fail: the bug is found often, and nothing else
 * breaks on the way. */
static void assert_failures_are(const char *relative, const char *const *checks, uint64_t seeds,
                                uint64_t failures_min) {
    struct fl_scenario *scenario = load_shipped(relative);
    uint64_t failures = 0;
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        struct fl_result r;
        run_seed(scenario, seed, &r);
        if (r.pass) continue;
        failures++;
        bool named = false;
        for (const char *const *c = checks; *c != NULL; c++) {
            named |= strcmp(*c, r.violations[0].check) == 0;
        }
        if (!named) {
            fail_msg("%s seed %llu failed %s: %s", relative, (unsigned long long)seed,
                     r.violations[0].check, r.violations[0].message);
        }
    }
    if (failures < failures_min) {
        fail_msg("%s: %llu of %llu seeds failed, expected at least %llu", relative,
                 (unsigned long long)failures, (unsigned long long)seeds,
                 (unsigned long long)failures_min);
    }
    fl_scenario_free(scenario);
}

static void assert_replays(const char *relative, uint64_t seed) {
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

/* --- the correct variant ------------------------------------------------------------ */

static void test_correct_survives_every_fault(void **state) {
    (void)state;
    assert_every_seed_passes("scenarios/payments/everything.json", SEEDS_CORRECT);
}

static void test_correct_never_oversells_under_contention(void **state) {
    (void)state;
    assert_every_seed_passes("scenarios/payments/contention.json", SEEDS_CORRECT / 2);
}

/* Timeouts shorter than a round trip: every request arrives several times,
 * answers come back to superseded sends, and a stale conflict must not
 * decide an order's fate (it once stranded a reservation: seed 411). */
static void test_correct_survives_timeouts_shorter_than_a_round_trip(void **state) {
    (void)state;
    assert_every_seed_passes("scenarios/payments/impatient.json", SEEDS_CORRECT / 4);
    struct fl_scenario *scenario = load_shipped("scenarios/payments/impatient.json");
    uint64_t stale = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        struct fl_result r;
        struct fl_sim *sim = probe_run(scenario, seed, &r);
        const struct fl_assertion_stat *stats = NULL;
        uint32_t count = fl_sim_assertions(sim, &stats);
        for (uint32_t i = 0; i < count; i++) {
            if (strcmp(stats[i].name, "payments.stale_conflict_ignored") == 0) {
                stale += stats[i].held;
            }
        }
        fl_sim_destroy(sim);
    }
    assert_true(stale > 0);
    fl_scenario_free(scenario);
}

static void test_correct_passes_calm(void **state) {
    (void)state;
    assert_every_seed_passes("scenarios/payments/calm.json", 20);
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
    enum { PATHS = sizeof paths / sizeof paths[0] };
    uint64_t held[PATHS] = {0};
    struct fl_scenario *scenario = load_shipped("scenarios/payments/everything.json");
    for (uint64_t seed = 1; seed <= 100; seed++) {
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
        if (held[p] == 0) fail_msg("%s never held in 100 seeds", paths[p]);
    }
    fl_scenario_free(scenario);
}

/* --- the bugs -------------------------------------------------------------------------- */

static void test_no_idempotency_key_charges_a_retried_order_twice(void **state) {
    (void)state;
    static const char *const checks[] = {"payments.charged_once", NULL};
    const char *path = "scenarios/payments/no-idempotency-key.json";
    uint64_t seed = first_failure(path, checks, "charged twice: payments p-");
    assert_replays(path, seed);
    assert_failures_are(path, checks, SEEDS_BUGGY_SCAN, SEEDS_BUGGY_SCAN / 2);
}

static void test_unversioned_inventory_oversells(void **state) {
    (void)state;
    static const char *const checks[] = {"payments.inventory", NULL};
    const char *path = "scenarios/payments/unversioned-inventory.json";
    uint64_t seed = first_failure(path, checks, "oversold");
    assert_replays(path, seed);
    assert_failures_are(path, checks, SEEDS_BUGGY_SCAN, SEEDS_BUGGY_SCAN / 2);
}

/* The lost order is paid again by its retry (charged_once), or, when the
 * retry is rejected, stays paid for though no order exists (paid_shipped). */
static void test_charge_before_durable_charges_for_a_lost_order(void **state) {
    (void)state;
    static const char *const checks[] = {"payments.charged_once", "payments.paid_shipped", NULL};
    const char *path = "scenarios/payments/charge-before-durable.json";
    uint64_t seed = first_failure(path, checks, "order");
    assert_replays(path, seed);
    assert_failures_are(path, checks, SEEDS_BUGGY_SCAN, SEEDS_BUGGY_SCAN / 5);
}

/* A shipped buggy scenario with its variant replaced by the correct one. */
static struct fl_scenario *load_fixed(const char *relative) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FL_SOURCE_DIR, relative);
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s", path);
    static char text[1 << 16];
    size_t size = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[size] = '\0';
    char *variant = strstr(text, "\"variant\": \"");
    assert_non_null(variant);
    char *name = variant + strlen("\"variant\": \"");
    char *quote = strchr(name, '"');
    assert_non_null(quote);
    static char edited[1 << 16];
    int n = snprintf(edited, sizeof edited, "%.*scorrect%s", (int)(name - text), text, quote);
    assert_true(n > 0 && (size_t)n < sizeof edited);
    struct fl_error error;
    struct fl_scenario *scenario =
        fl_scenario_parse(edited, (size_t)n, relative, fl_models_builtin, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    return scenario;
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
        struct fl_scenario *scenario = load_fixed(paths[p]);
        assert_string_equal(fl_scenario_variant_name(scenario), "correct");
        for (uint64_t seed = 1; seed <= SEEDS_CORRECT / 4; seed++) {
            struct fl_result r;
            run_seed(scenario, seed, &r);
            if (r.pass) continue;
            fail_msg("%s (correct) seed %llu: %s", paths[p], (unsigned long long)seed,
                     r.violations[0].message);
        }
        fl_scenario_free(scenario);
    }
}

/* --- liveness and shape ------------------------------------------------------------------ */

static struct fl_scenario *parse(const char *text) {
    struct fl_error error;
    struct fl_scenario *scenario =
        fl_scenario_parse(text, strlen(text), "inline.json", fl_models_builtin, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    return scenario;
}

/* Clients that never retry on a lossy network: some order never ends, and
 * orders_end says which. */
static void test_orders_end_names_an_order_that_never_ends(void **state) {
    (void)state;
    struct fl_scenario *scenario = parse(
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
    struct fl_scenario *scenario = parse(
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
