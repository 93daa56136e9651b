/*
 * test_jobqueue: the job queue's correct variant completes or dead-letters
 * every accepted job, applies each effect once and never takes a stale write,
 * through every fault everything.json draws; each planted bug is found within
 * the first seeds of its scenario by the check that names it, with a message
 * that names the job; the correct variant passes each bug's scenario; and a
 * failing seed replays to the same violation and fingerprint.
 *
 * Seed counts: a seed of everything.json costs about 4 ms in Release, so a
 * few hundred keep the whole program near a few seconds; under the
 * sanitizers (several times slower) fewer seeds run, which exercise the same
 * code paths.
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
#include "models/jobqueue/jobqueue.h"
#include "models/registry.h"
#include "probe.h"

#ifdef FL_TEST_SANITIZED
#define SEEDS 60
#else
#define SEEDS 300
#endif

#define BUG_SEEDS_MAX 1000   /* a buggy variant must fail within these */
#define BUG_FAILURES_WANTED 5 /* a bug's scan stops after this many failing seeds */

/* Scans seeds 1..BUG_SEEDS_MAX until BUG_FAILURES_WANTED fail; every failure
 * must be `check`, and its message must contain `words`. Returns the first
 * failing seed. */
static uint64_t scan_for_bug(const char *relative, const char *check, const char *words) {
    struct fl_scenario *scenario = load_shipped(relative);
    struct seed_scan scan =
        scan_failures(scenario, BUG_SEEDS_MAX, check, words, BUG_FAILURES_WANTED);
    fl_scenario_free(scenario);
    if (scan.failed < BUG_FAILURES_WANTED) {
        fail_msg("%s: only %u of the first %u seeds failed", relative, scan.failed, BUG_SEEDS_MAX);
    }
    return scan.first_failed;
}

/* --- the correct variant ------------------------------------------------------------ */

static void test_correct_completes_every_job_once_through_every_fault(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/jobqueue/everything.json");
    assert_seeds_pass(scenario, SEEDS);
    fl_scenario_free(scenario);
}

static void test_correct_passes_on_a_calm_network(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/jobqueue/calm.json");
    assert_seeds_pass(scenario, 50);
    fl_scenario_free(scenario);
}

/* The faults of each bug's scenario alone do not break the correct variant:
 * each failure below is the bug's, not the scenario's. */
static void test_correct_passes_every_bug_scenario(void **state) {
    (void)state;
    static const char *const scenarios[] = {
        "scenarios/jobqueue/ack-before-processing.json", "scenarios/jobqueue/no-fencing.json",
        "scenarios/jobqueue/short-lease.json", "scenarios/jobqueue/fifo-only.json",
        "scenarios/jobqueue/dedupe-by-attempt.json",
    };
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        struct fl_scenario *scenario = load_shipped_variant(scenarios[i], "correct");
        assert_seeds_pass(scenario, SEEDS / 3);
        fl_scenario_free(scenario);
    }
}

/* Over a hundred seeds, everything.json takes every path the correct
 * variant has for a fault: a passing sweep means those paths held. */
static void test_everything_exercises_every_recovery_path(void **state) {
    (void)state;
    static const char *const paths[] = {
        "jobqueue.lease_expired",       "jobqueue.heartbeat_refused",
        "jobqueue.stale_write_refused", "jobqueue.claim_found_done",
        "jobqueue.dead_lettered",       "jobqueue.duplicate_submit",
        "jobqueue.duplicate_result",    "jobqueue.submit_retried",
        "jobqueue.sync_failed",         "jobqueue.read_error_retried",
        "jobqueue.journal_write_refused", "jobqueue.dropped_corrupt",
        "jobqueue.recovery_repaired_a_copy", "jobqueue.recovery_cut_tail",
        "jobqueue.poll_got_its_lease_again",
    };
    struct fl_scenario *scenario = load_shipped("scenarios/jobqueue/everything.json");
    assert_paths_taken(scenario, 100, paths, sizeof paths / sizeof paths[0]);
    fl_scenario_free(scenario);
}

/* --- the bugs -------------------------------------------------------------------------- */

static void test_ack_before_processing_loses_the_job_of_a_crashed_worker(void **state) {
    (void)state;
    scan_for_bug("scenarios/jobqueue/ack-before-processing.json", "jobqueue.no_lost_job",
                 "the broker marked it completed");
}

static void test_no_fencing_lets_a_paused_worker_overwrite_the_newer_result(void **state) {
    (void)state;
    scan_for_bug("scenarios/jobqueue/no-fencing.json", "jobqueue.fencing", "wrote with token");
}

static void test_short_lease_takes_jobs_from_healthy_workers_forever(void **state) {
    (void)state;
    scan_for_bug("scenarios/jobqueue/short-lease.json", "jobqueue.no_lost_job",
                 "0 failures");
}

static void test_fifo_only_leases_past_a_higher_priority(void **state) {
    (void)state;
    scan_for_bug("scenarios/jobqueue/fifo-only.json", "jobqueue.priority", "was waiting");
}

static void test_dedupe_by_attempt_applies_a_redelivered_job_twice(void **state) {
    (void)state;
    scan_for_bug("scenarios/jobqueue/dedupe-by-attempt.json", "jobqueue.effect_once",
                 "effect was applied 2 times");
}

/* Under every fault at once, no_fencing still fails only by a stale write
 * (never a lost job or a double effect): the message points at the bug. */
static void test_no_fencing_fails_only_the_fencing_check_in_everything(void **state) {
    (void)state;
    struct fl_scenario *scenario =
        load_shipped_variant("scenarios/jobqueue/everything.json", "no_fencing");
    struct seed_scan scan = scan_failures(scenario, 50, "jobqueue.fencing", NULL, 0);
    assert_true(scan.failed > 0);
    fl_scenario_free(scenario);
}

/* --- replay ------------------------------------------------------------------------------ */

static void assert_replays(const char *relative, const char *check, const char *words) {
    uint64_t seed = scan_for_bug(relative, check, words);
    struct fl_scenario *scenario = load_shipped(relative);
    assert_replays_same(scenario, seed);
    fl_scenario_free(scenario);
}

static void test_a_failing_seed_replays_to_the_same_violation(void **state) {
    (void)state;
    assert_replays("scenarios/jobqueue/ack-before-processing.json", "jobqueue.no_lost_job",
                   "never completed nor dead-lettered");
    assert_replays("scenarios/jobqueue/no-fencing.json", "jobqueue.fencing", "wrote with token");
    assert_replays("scenarios/jobqueue/short-lease.json", "jobqueue.no_lost_job",
                   "never completed nor dead-lettered");
    assert_replays("scenarios/jobqueue/fifo-only.json", "jobqueue.priority", "was leased to");
    assert_replays("scenarios/jobqueue/dedupe-by-attempt.json", "jobqueue.effect_once",
                   "then again by");
}

/* Another seed is another run: the fingerprint depends on the seed. */
static void test_seeds_differ(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/jobqueue/everything.json");
    struct fl_result a, b;
    run_seed(scenario, 1, &a);
    run_seed(scenario, 2, &b);
    assert_true(a.fingerprint != b.fingerprint);
    fl_scenario_free(scenario);
}

/* --- what the trace and the visualizer are told -------------------------------------- */

/* The documented wire layout: [type u8][0 x3][job u64][token u32][a u64][b u32][fnv u32]. */
static void encode_message(uint8_t out[32], uint8_t type, uint64_t job, uint32_t token) {
    memset(out, 0, 32);
    out[0] = type;
    fl_put_u64(out + 4, job);
    fl_put_u32(out + 12, token);
    uint32_t h = 2166136261u;
    for (int i = 0; i < 28; i++) h = (h ^ out[i]) * 16777619u;
    fl_put_u32(out + 28, h);
}

static void test_messages_name_their_kind_and_job(void **state) {
    (void)state;
    uint8_t bytes[32];
    encode_message(bytes, 17, 42, 3); /* result */
    struct fl_message_view view;
    memset(&view, 0, sizeof view);
    fl_model_jobqueue.server->describe_message(bytes, sizeof bytes, &view);
    assert_string_equal(view.kind, "result");
    assert_string_equal(view.text, "job 42 token 3");
    assert_int_equal(view.trace_id, 42);
    bytes[5] ^= 1; /* the checksum no longer holds */
    memset(&view, 0, sizeof view);
    fl_model_jobqueue.server->describe_message(bytes, sizeof bytes, &view);
    assert_string_equal(view.kind, "corrupt");
    assert_int_equal(view.trace_id, 0);
}

static void test_every_node_tells_its_role(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/jobqueue/calm.json");
    struct fl_result r;
    struct fl_sim *sim = probe_run(scenario, 1, &r);
    assert_true(r.pass);
    static const char *const roles[] = {"broker", "store", "idle", "idle", "idle", "client"};
    for (fl_node_id id = 0; id < 6; id++) {
        const void *node_state = fl_sim_node_state(sim, id);
        assert_non_null(node_state);
        const struct fl_service *service =
            id < 5 ? fl_model_jobqueue.server : fl_model_jobqueue.client;
        struct fl_state_view view;
        memset(&view, 0, sizeof view);
        service->describe_state(node_state, &view);
        assert_string_equal(view.role, roles[id]);
        assert_true(view.label[0] != '\0');
    }
    struct fl_state_view broker;
    memset(&broker, 0, sizeof broker);
    fl_model_jobqueue.server->describe_state(fl_sim_node_state(sim, 0), &broker);
    assert_non_null(strstr(broker.label, "0 visible 0 leased")); /* everything settled */
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correct_completes_every_job_once_through_every_fault),
        cmocka_unit_test(test_correct_passes_on_a_calm_network),
        cmocka_unit_test(test_correct_passes_every_bug_scenario),
        cmocka_unit_test(test_everything_exercises_every_recovery_path),
        cmocka_unit_test(test_ack_before_processing_loses_the_job_of_a_crashed_worker),
        cmocka_unit_test(test_no_fencing_lets_a_paused_worker_overwrite_the_newer_result),
        cmocka_unit_test(test_short_lease_takes_jobs_from_healthy_workers_forever),
        cmocka_unit_test(test_fifo_only_leases_past_a_higher_priority),
        cmocka_unit_test(test_dedupe_by_attempt_applies_a_redelivered_job_twice),
        cmocka_unit_test(test_no_fencing_fails_only_the_fencing_check_in_everything),
        cmocka_unit_test(test_a_failing_seed_replays_to_the_same_violation),
        cmocka_unit_test(test_seeds_differ),
        cmocka_unit_test(test_messages_name_their_kind_and_job),
        cmocka_unit_test(test_every_node_tells_its_role),
    };
    return cmocka_run_group_tests_name("jobqueue", tests, NULL, NULL);
}
