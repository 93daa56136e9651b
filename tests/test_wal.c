/*
 * test_wal: the write-ahead log model proves the simulated disk. Its correct
 * variant keeps every acknowledged record through crashes and every disk
 * fault, over a thousand seeds; each planted bug is found by a sweep, with the
 * check that names it, and only under the faults that expose it; a failing
 * seed replays to the same violation; a seed leaves the same bytes on disk.
 *
 * Seed counts: 1000 per scenario in a plain build (about 2 ms a seed in
 * Release). Under AddressSanitizer a seed costs several times more, so those
 * builds (FL_TEST_SANITIZED) run 200 instead: the sanitizers look for memory
 * errors, which the first seeds exercise as well as the later ones.
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
#include "sim_internal.h"

#ifdef FL_TEST_SANITIZED
#define SEEDS 200
#else
#define SEEDS 1000
#endif

#define BUGGY_FAILURES_WANTED 5 /* a buggy variant's scan stops after this many failing seeds */
#define WAL_CHECKS "wal.acked_not_lost|wal.no_corrupt_read" /* the model's two checks */

/* Scans seeds 1..SEEDS until `wanted` fail; every failure must be one of the
 * model's two checks (acked_not_lost counted in by_check[0], no_corrupt_read
 * in by_check[1]). */
static struct seed_scan scan_for_bug(const char *relative, uint32_t wanted) {
    struct fl_scenario *scenario = load_shipped(relative);
    struct seed_scan scan = scan_failures(scenario, SEEDS, WAL_CHECKS, NULL, wanted);
    fl_scenario_free(scenario);
    return scan;
}

/* --- the correct variant ------------------------------------------------------------ */

static void test_correct_keeps_every_acknowledged_record_through_every_disk_fault(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/wal/everything.json");
    assert_seeds_pass(scenario, SEEDS);
    fl_scenario_free(scenario);
}

static void test_correct_keeps_every_acknowledged_record_through_crashes(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/wal/crashes.json");
    assert_seeds_pass(scenario, SEEDS);
    fl_scenario_free(scenario);
}

/* Over a few hundred seeds, everything.json reaches every path the correct
 * variant has for a fault: a passing sweep means those paths held. */
static void test_everything_exercises_every_recovery_path(void **state) {
    (void)state;
    static const char *const paths[] = {
        "wal.read_error_retried", "wal.sync_failed",          "wal.append_refused_disk_full",
        "wal.recovery_cut_a_tail", "wal.recovery_repaired_a_copy", "wal.read_second_copy",
    };
    struct fl_scenario *scenario = load_shipped("scenarios/wal/everything.json");
    assert_paths_taken(scenario, 200, paths, sizeof paths / sizeof paths[0]);
    fl_scenario_free(scenario);
}

/* --- the bugs -------------------------------------------------------------------------- */

static void test_every_bug_hides_on_a_perfect_disk(void **state) {
    (void)state;
    static const char *const variants[] = {"correct", "ack_before_sync", "no_checksum",
                                           "single_copy"};
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        struct fl_scenario *scenario = load_shipped_variant("scenarios/wal/calm.json", variants[v]);
        assert_seeds_pass(scenario, 50);
        fl_scenario_free(scenario);
    }
}

/* ack_before_sync and single_copy verify every record's checksum, so what
 * they serve is never corrupt: they fail only by losing records. */
static void test_ack_before_sync_loses_acknowledged_records_in_a_crash(void **state) {
    (void)state;
    struct seed_scan scan =
        scan_for_bug("scenarios/wal/ack-before-sync.json", BUGGY_FAILURES_WANTED);
    assert_int_equal(scan.by_check[0], BUGGY_FAILURES_WANTED); /* all acked_not_lost */
}

static void test_single_copy_loses_records_the_device_damaged(void **state) {
    (void)state;
    struct seed_scan scan =
        scan_for_bug("scenarios/wal/single-copy.json", BUGGY_FAILURES_WANTED);
    assert_int_equal(scan.by_check[0], BUGGY_FAILURES_WANTED); /* all acked_not_lost */
}

/* no_checksum mostly serves damaged records (no_corrupt_read); when the
 * device lost the last write of wal.a just before a crash, the length it
 * trusts is short and the slot is reused (acked_not_lost). */
static void test_no_checksum_serves_records_the_device_damaged(void **state) {
    (void)state;
    struct seed_scan scan =
        scan_for_bug("scenarios/wal/no-checksum.json", BUGGY_FAILURES_WANTED);
    assert_true(scan.by_check[1] >= 1); /* some no_corrupt_read */
    assert_true(scan.first_failed > 0);
}

/* --- replay and determinism -------------------------------------------------------------- */

/* The first failing seed of a buggy scenario (one of the model's checks)
 * replays to the same run. */
static void assert_replays(const char *relative) {
    struct fl_scenario *scenario = load_shipped(relative);
    assert_replays_same(scenario, first_failure(scenario, SEEDS, WAL_CHECKS, NULL));
    fl_scenario_free(scenario);
}

static void test_a_failing_seed_replays_to_the_same_violation(void **state) {
    (void)state;
    assert_replays("scenarios/wal/ack-before-sync.json");
    assert_replays("scenarios/wal/no-checksum.json");
    assert_replays("scenarios/wal/single-copy.json");
}

static struct fl_sim *run_kept(const struct fl_scenario *scenario, uint64_t seed) {
    struct fl_result r;
    return probe_run(scenario, seed, &r);
}

static void assert_same_disks(const struct fl_sim *a, const struct fl_sim *b) {
    assert_int_equal(a->node_count, b->node_count);
    for (uint32_t id = 0; id < a->node_count; id++) {
        const struct fl_disk *da = &a->nodes[id].disk, *db = &b->nodes[id].disk;
        assert_int_equal(da->file_count, db->file_count);
        for (uint32_t f = 0; f < da->file_count; f++) {
            const struct fl_disk_file *fa = &da->files[f], *fb = &db->files[f];
            assert_string_equal(fa->name, fb->name);
            assert_int_equal(fa->durable.size, fb->durable.size);
            if (fa->durable.size > 0) {
                assert_memory_equal(fa->durable.data, fb->durable.data, fa->durable.size);
            }
            assert_int_equal(fa->cache.size, fb->cache.size);
            if (fa->cache.size > 0) {
                assert_memory_equal(fa->cache.data, fb->cache.data, fa->cache.size);
            }
        }
    }
}

/* The same seed leaves the same bytes in every file, durable copy and cache,
 * after crashes, tears and device faults; another seed leaves other bytes. */
static void test_same_seed_leaves_the_same_bytes_on_every_disk(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/wal/everything.json");
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct fl_sim *a = run_kept(scenario, seed);
        struct fl_sim *b = run_kept(scenario, seed);
        assert_same_disks(a, b);
        const struct fl_bytes *log = fl_disk_durable(&a->nodes[0].disk, "wal.a");
        assert_non_null(log); /* n1 stored records: the comparison compared something */
        struct fl_sim *other = run_kept(scenario, seed + 100);
        const struct fl_bytes *other_log = fl_disk_durable(&other->nodes[0].disk, "wal.a");
        assert_non_null(other_log);
        assert_true(log->size != other_log->size ||
                    memcmp(log->data, other_log->data, log->size) != 0);
        fl_sim_destroy(a);
        fl_sim_destroy(b);
        fl_sim_destroy(other);
    }
    fl_scenario_free(scenario);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correct_keeps_every_acknowledged_record_through_every_disk_fault),
        cmocka_unit_test(test_correct_keeps_every_acknowledged_record_through_crashes),
        cmocka_unit_test(test_everything_exercises_every_recovery_path),
        cmocka_unit_test(test_every_bug_hides_on_a_perfect_disk),
        cmocka_unit_test(test_ack_before_sync_loses_acknowledged_records_in_a_crash),
        cmocka_unit_test(test_single_copy_loses_records_the_device_damaged),
        cmocka_unit_test(test_no_checksum_serves_records_the_device_damaged),
        cmocka_unit_test(test_a_failing_seed_replays_to_the_same_violation),
        cmocka_unit_test(test_same_seed_leaves_the_same_bytes_on_every_disk),
    };
    return cmocka_run_group_tests_name("wal", tests, NULL, NULL);
}
