/*
 * test_raft: the Raft model. Its correct variant keeps every safety check and
 * the clients' history linearizable through partitions, crashes with torn
 * writes, disk errors, pauses and clock jumps; each planted bug is found by a
 * sweep of its own scenario, within 1,000 seeds, by the check that names it,
 * and its first failing seed replays to the same fingerprint; each bug needs
 * its faults (a calm run passes); the recovery and fault paths were taken.
 *
 * Seed counts keep the Release run under 20 s on a shared two-core machine
 * (about 8 ms of CPU a seed of everything.json, 7 s for the whole program). Under AddressSanitizer a
 * seed costs several times more, so those builds run fewer seeds: the
 * sanitizers look for memory errors, which the first seeds exercise as well.
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
#define SEEDS_EVERYTHING 20
#define SEEDS_OTHER 5
#else
#define SEEDS_EVERYTHING 150
#define SEEDS_OTHER 30
#endif

#define PATH_SEEDS_MAX 200 /* a fault path must be taken within this many seeds */
#define BUG_SEEDS_MAX 1000 /* a buggy variant must fail within its first this many seeds */

/* --- the correct variant ------------------------------------------------------------ */

static void test_correct_survives_everything(void **state) {
    (void)state;
    assert_shipped_passes("scenarios/raft/everything.json", SEEDS_EVERYTHING);
}

static void test_correct_survives_each_fault_kind(void **state) {
    (void)state;
    static const char *const scenarios[] = {
        "scenarios/raft/calm.json",          "scenarios/raft/partitions.json",
        "scenarios/raft/crash-restart.json", "scenarios/raft/disk-faults.json",
        "scenarios/raft/clock-jumps.json",
    };
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        assert_shipped_passes(scenarios[i], SEEDS_OTHER);
    }
}

/* The correct variant under each bug's scenario: the faults that expose a
 * bug are not what fails the run. */
static void test_correct_survives_every_bug_scenario(void **state) {
    (void)state;
    static const char *const scenarios[] = {
        "scenarios/raft/vote-before-persist.json", "scenarios/raft/figure8.json",
        "scenarios/raft/double-vote-after-restart.json", "scenarios/raft/stale-read.json",
    };
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        struct fl_scenario *correct = load_shipped_variant(scenarios[i], "correct");
        assert_seeds_pass(correct, SEEDS_OTHER);
        fl_scenario_free(correct);
    }
}

/* Over the sweeps above, the paths a fault opens were taken: a passing
 * correct variant means they held. */
static void test_fault_paths_are_exercised(void **state) {
    (void)state;
    static const struct {
        const char *scenario;
        const char *path;
    } wanted[] = {
        {"scenarios/raft/crash-restart.json", "raft.recovery_cut_torn_tail"},
        {"scenarios/raft/crash-restart.json", "raft.vote_after_restart"},
        {"scenarios/raft/crash-restart.json", "raft.append_conflict"},
        {"scenarios/raft/disk-faults.json", "raft.read_error_retried"},
        {"scenarios/raft/disk-faults.json", "raft.sync_failed_retried"},
        {"scenarios/raft/disk-faults.json", "raft.append_refused_disk_full"},
        {"scenarios/raft/disk-faults.json", "raft.follower_refused_disk_full"},
        {"scenarios/raft/partitions.json", "raft.client_followed_redirect"},
        {"scenarios/raft/partitions.json", "raft.old_term_entry_on_majority"},
        {"scenarios/raft/everything.json", "raft.server_dropped_corrupt"},
        {"scenarios/raft/everything.json", "raft.late_or_duplicate_reply"},
    };
    for (size_t w = 0; w < sizeof wanted / sizeof wanted[0]; w++) {
        struct fl_scenario *scenario = load_shipped(wanted[w].scenario);
        assert_paths_taken(scenario, PATH_SEEDS_MAX, &wanted[w].path, 1);
        fl_scenario_free(scenario);
    }
}

/* A log at params.log_max refuses commands as "log full"; the clients record
 * them as failed (not appended) and the run stays linearizable and live. */
static void test_a_full_log_refuses_and_stays_correct(void **state) {
    (void)state;
    struct fl_scenario *scenario = parse_builtin(
        "{\"name\": \"raft-log-full\", \"model\": \"raft\", \"nodes\": 3, \"clients\": 2,"
        " \"duration\": \"10s\", \"params\": {\"log_max\": 64, \"liveness_bound\": \"5s\"},"
        " \"faults\": [{\"at\": \"1s\", \"type\": \"crash\", \"node\": \"n1\","
        " \"restart_after\": \"200ms\"}]}");
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct fl_result r;
        struct fl_sim *sim = probe_run(scenario, seed, &r);
        if (!r.pass) fail_msg("seed %llu: %s: %s", (unsigned long long)seed,
                              r.violations[0].check, r.violations[0].message);
        assert_true(assertion_held(sim, "raft.log_full") > 0);
        fl_sim_destroy(sim);
    }
    fl_scenario_free(scenario);
}

/* --- the bugs -------------------------------------------------------------------------- */

/* The bug is found by its check, and its first failing seed replays to the
 * same run: the same violation at the same event, the same fingerprint. */
static void assert_bug_found_and_replays(const char *relative, const char *check) {
    struct fl_scenario *scenario = load_shipped(relative);
    uint64_t seed = first_failure(scenario, BUG_SEEDS_MAX, check, NULL);
    assert_replays_same(scenario, seed);
    struct fl_result first;
    run_seed(scenario, seed, &first);
    print_message("%s: first failing seed %llu, %s\n", relative, (unsigned long long)seed,
                  first.violations[0].message);
    fl_scenario_free(scenario);
}

static void test_vote_before_persist_breaks_election_safety(void **state) {
    (void)state;
    assert_bug_found_and_replays("scenarios/raft/vote-before-persist.json",
                                 "raft.election_safety");
}

static void test_figure8_breaks_state_machine_safety(void **state) {
    (void)state;
    assert_bug_found_and_replays("scenarios/raft/figure8.json", "raft.state_machine_safety");
}

static void test_double_vote_after_restart_breaks_election_safety(void **state) {
    (void)state;
    assert_bug_found_and_replays("scenarios/raft/double-vote-after-restart.json",
                                 "raft.election_safety");
}

static void test_stale_read_breaks_linearizability(void **state) {
    (void)state;
    assert_bug_found_and_replays("scenarios/raft/stale-read.json", "linearizable");
}

/* Without faults every variant passes: each bug needs the faults of its scenario. */
static void test_every_bug_hides_in_a_calm_run(void **state) {
    (void)state;
    static const char *const variants[] = {"vote_before_persist", "figure8",
                                           "double_vote_after_restart", "stale_read"};
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"name\": \"raft-calm-%s\", \"model\": \"raft\", \"variant\": \"%s\","
                 " \"nodes\": 5, \"clients\": 3, \"duration\": \"5s\"}",
                 variants[v], variants[v]);
        struct fl_scenario *scenario = parse_builtin(text);
        assert_seeds_pass(scenario, 10);
        fl_scenario_free(scenario);
    }
}

/* The describe callbacks read only what they are given: a zeroed state block
 * is a node still recovering, and bytes that are not an intact message (too
 * short, too long, a flipped bit) are "corrupt", never read out of bounds. */
static void test_describe_callbacks_handle_any_bytes(void **state) {
    (void)state;
    const struct fl_model *raft = NULL;
    for (size_t i = 0; fl_models_builtin[i] != NULL; i++) {
        if (strcmp(fl_models_builtin[i]->name, "raft") == 0) raft = fl_models_builtin[i];
    }
    assert_non_null(raft);
    const struct fl_service *server = raft->server;
    assert_non_null(server->describe_state);
    assert_non_null(server->describe_message);
    void *block = calloc(1, server->state_size_bytes);
    assert_non_null(block);
    struct fl_state_view view;
    memset(&view, 0, sizeof view);
    server->describe_state(block, &view);
    assert_string_equal(view.role, "recovering");
    assert_string_equal(view.label, "term 0 commit 0");
    free(block);
    uint8_t bytes[4096];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 131u + 7u);
    static const size_t sizes[] = {0, 1, 8, 9, 18, 26, 43, 81, 4096};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (uint8_t type = 0; type < 8; type++) {
            struct fl_message_view m;
            memset(&m, 0, sizeof m);
            if (sizes[k] > 0) bytes[0] = type;
            server->describe_message(bytes, sizes[k], &m);
            assert_string_equal(m.kind, "corrupt");
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correct_survives_everything),
        cmocka_unit_test(test_correct_survives_each_fault_kind),
        cmocka_unit_test(test_correct_survives_every_bug_scenario),
        cmocka_unit_test(test_fault_paths_are_exercised),
        cmocka_unit_test(test_a_full_log_refuses_and_stays_correct),
        cmocka_unit_test(test_vote_before_persist_breaks_election_safety),
        cmocka_unit_test(test_figure8_breaks_state_machine_safety),
        cmocka_unit_test(test_double_vote_after_restart_breaks_election_safety),
        cmocka_unit_test(test_stale_read_breaks_linearizability),
        cmocka_unit_test(test_every_bug_hides_in_a_calm_run),
        cmocka_unit_test(test_describe_callbacks_handle_any_bytes),
    };
    return cmocka_run_group_tests_name("raft", tests, NULL, NULL);
}
