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

#ifdef FL_TEST_SANITIZED
#define SEEDS 60
#define SEEDS_OTHER 20
#else
#define SEEDS 300
#define SEEDS_OTHER 60
#endif

#define BUG_SEEDS_MAX 1000 /* a buggy variant must fail within these */

/* The first failing seed of a buggy scenario within BUG_SEEDS_MAX: it must
 * fail `check`, and its message must contain `words`. */
static uint64_t first_bug_failure(const char *relative, const char *check, const char *words) {
    struct fl_scenario *scenario = load_shipped(relative);
    uint64_t seed = first_failure(scenario, BUG_SEEDS_MAX, check, words);
    fl_scenario_free(scenario);
    return seed;
}

/* --- the correct variant ------------------------------------------------------------ */

static void test_correct_survives_everything(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/saga/everything.json");
    assert_seeds_pass(scenario, SEEDS);
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
        struct fl_scenario *scenario = load_shipped_variant(files[i], "correct");
        assert_seeds_pass(scenario, SEEDS_OTHER);
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
    struct fl_scenario *scenario = load_shipped("scenarios/saga/everything.json");
    assert_paths_taken(scenario, SEEDS_OTHER, paths, sizeof paths / sizeof paths[0]);
    fl_scenario_free(scenario);
}

/* The tombstone at work: on slow links, the correct variant's flight and hotel
 * services refuse a booking that arrives after its own cancel (everything.json
 * gets there in about one seed in fifty). */
static void test_correct_refuses_a_booking_after_its_cancel(void **state) {
    (void)state;
    struct fl_scenario *scenario =
        load_shipped_variant("scenarios/saga/no-tombstone.json", "correct");
    uint64_t held = 0;
    for (uint64_t seed = 1; seed <= SEEDS_OTHER && held == 0; seed++) {
        struct fl_result r;
        struct fl_sim *sim = probe_run(scenario, seed, &r);
        assert_true(r.pass);
        held += assertion_held(sim, "saga.do_after_its_undo_refused");
        fl_sim_destroy(sim);
    }
    assert_true(held > 0);
    fl_scenario_free(scenario);
}

/* --- the bugs -------------------------------------------------------------------------- */

static void test_missing_compensation_leaves_the_flight_booked(void **state) {
    (void)state;
    uint64_t seed = first_bug_failure("scenarios/saga/missing-compensation.json", "saga.atomic",
                                  "but the flight was never cancelled");
    assert_true(seed >= 1);
}

static void test_non_idempotent_compensation_refunds_twice(void **state) {
    (void)state;
    uint64_t seed = first_bug_failure("scenarios/saga/non-idempotent-compensation.json",
                                  "saga.refund_once", "refunded 2 times");
    assert_true(seed >= 1);
}

static void test_volatile_orchestrator_forgets_sagas_in_progress(void **state) {
    (void)state;
    uint64_t seed = first_bug_failure("scenarios/saga/volatile-orchestrator.json", "saga.ends",
                                  "does not know the saga");
    assert_true(seed >= 1);
}

static void test_blind_refund_refunds_a_charge_never_made(void **state) {
    (void)state;
    uint64_t seed = first_bug_failure("scenarios/saga/blind-refund.json",
                                  "saga.no_phantom_compensation", "a charge it never made");
    assert_true(seed >= 1);
}

static void test_no_tombstone_books_after_the_compensation(void **state) {
    (void)state;
    uint64_t seed = first_bug_failure("scenarios/saga/no-tombstone.json", "saga.atomic",
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
        struct fl_scenario *scenario =
            load_shipped_variant("scenarios/saga/calm.json", variants[v]);
        assert_seeds_pass(scenario, SEEDS_OTHER / 2);
        fl_scenario_free(scenario);
    }
}

/* --- replay ---------------------------------------------------------------------------- */

static void assert_replays(const char *relative, const char *check, const char *words) {
    uint64_t seed = first_bug_failure(relative, check, words);
    struct fl_scenario *scenario = load_shipped(relative);
    assert_replays_same(scenario, seed);
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
        assert_replays_same(scenario, seed);
        struct fl_result a, other;
        run_seed(scenario, seed, &a);
        run_seed(scenario, seed + 100, &other);
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
