/*
 * test_disk: what is durable when, and every disk fault at its rate.
 *
 * The module tests drive sim/disk.c directly (thousands of trials in
 * milliseconds); the end-to-end tests run a small model that writes, syncs,
 * crashes and reads back, through the public service API.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "disk.h"
#include "probe.h"
#include "sim_internal.h"

/* --- the module ------------------------------------------------------------------ */

struct note_counts {
    uint64_t by_kind[16];
    uint64_t torn_sectors_kept;
    uint64_t torn_sectors;
};

static void count_note(void *ctx, const struct fl_disk_note *note) {
    struct note_counts *counts = ctx;
    assert_true(note->kind < 16);
    counts->by_kind[note->kind]++;
    if (note->kind == FL_DISK_NOTE_UNSYNCED_TORN) {
        counts->torn_sectors_kept += note->detail >> 32;
        counts->torn_sectors += note->detail & 0xffffffffu;
    }
}

static struct fl_disk_params quiet_params(void) {
    return (struct fl_disk_params){.sector_bytes = 512, .unsynced_lost_ppm = 1000000};
}

static void disk_open(struct fl_disk *disk, const struct fl_disk_params *params, uint64_t seed,
                      struct note_counts *counts, uint64_t *allocs) {
    struct fl_rng rng;
    fl_rng_init(&rng, seed, "test-disk");
    fl_disk_init(disk, params, &rng, allocs, count_note, counts);
}

static void assert_binomial(uint64_t observed, uint64_t trials, double p) {
    double mean = (double)trials * p;
    double bound = 5.0 * sqrt((double)trials * p * (1.0 - p)) + 1.0;
    if (fabs((double)observed - mean) > bound) {
        fail_msg("observed %llu of %llu, expected %.0f +- %.0f", (unsigned long long)observed,
                 (unsigned long long)trials, mean, bound);
    }
}

static void test_reads_see_own_writes_before_sync(void **state) {
    (void)state;
    struct fl_disk_params params = quiet_params();
    struct note_counts counts = {0};
    uint64_t allocs = 0;
    struct fl_disk disk;
    disk_open(&disk, &params, 1, &counts, &allocs);
    assert_int_equal(fl_disk_op_write(&disk, "log", 10, "hello", 5), FL_OK);
    char out[32];
    uint64_t n = 0;
    assert_int_equal(fl_disk_op_read(&disk, "log", 0, out, sizeof out, &n), FL_OK);
    assert_int_equal(n, 15); /* a hole of ten zeros, then the bytes */
    assert_memory_equal(out + 10, "hello", 5);
    assert_int_equal(out[0], 0);
    assert_int_equal(fl_disk_op_size(&disk, "log"), 15);
    assert_null(fl_disk_durable(&disk, "log")); /* nothing durable yet */
    assert_int_equal(fl_disk_op_read(&disk, "none", 0, out, 4, &n), FL_OK);
    assert_int_equal(n, 0);
    fl_disk_deinit(&disk);
}

static void test_sync_with_nothing_written_succeeds(void **state) {
    (void)state;
    struct fl_disk_params params = quiet_params();
    struct note_counts counts = {0};
    uint64_t allocs = 0;
    struct fl_disk disk;
    disk_open(&disk, &params, 1, &counts, &allocs);
    assert_int_equal(fl_disk_sync_complete(&disk, fl_disk_sync_mark(&disk)), FL_OK);
    fl_disk_crash(&disk);
    fl_disk_deinit(&disk);
}

static void test_synced_write_survives_a_crash_unsynced_is_lost(void **state) {
    (void)state;
    struct fl_disk_params params = quiet_params();
    struct note_counts counts = {0};
    uint64_t allocs = 0;
    struct fl_disk disk;
    disk_open(&disk, &params, 1, &counts, &allocs);
    fl_disk_op_write(&disk, "log", 0, "synced..", 8);
    uint64_t mark = fl_disk_sync_mark(&disk);
    fl_disk_op_write(&disk, "log", 8, "after...", 8); /* issued after the sync began */
    assert_int_equal(fl_disk_sync_complete(&disk, mark), FL_OK);
    fl_disk_op_write(&disk, "log", 16, "unsynced", 8);
    fl_disk_crash(&disk);
    assert_int_equal(fl_disk_op_size(&disk, "log"), 8);
    char out[8];
    uint64_t n = 0;
    fl_disk_op_read(&disk, "log", 0, out, 8, &n);
    assert_memory_equal(out, "synced..", 8);
    assert_int_equal(counts.by_kind[FL_DISK_NOTE_UNSYNCED_LOST], 2);
    fl_disk_deinit(&disk);
}

/* Over many trials a pending write is lost, kept or torn in the configured
 * proportions, and a torn write keeps about half its sectors. */
static void test_crash_fates_match_configured_fractions(void **state) {
    (void)state;
    struct fl_disk_params params = quiet_params();
    params.unsynced_lost_ppm = 200000;
    params.unsynced_kept_ppm = 300000;
    params.unsynced_torn_ppm = 500000;
    struct note_counts counts = {0};
    enum { TRIALS = 20000 };
    static uint8_t block[4096];
    for (uint64_t trial = 0; trial < TRIALS; trial++) {
        uint64_t allocs = 0;
        struct fl_disk disk;
        disk_open(&disk, &params, trial, &counts, &allocs);
        memset(block, 0xab, sizeof block);
        fl_disk_op_write(&disk, "f", 0, block, sizeof block); /* 8 sectors */
        fl_disk_crash(&disk);
        fl_disk_deinit(&disk);
    }
    assert_binomial(counts.by_kind[FL_DISK_NOTE_UNSYNCED_LOST], TRIALS, 0.2);
    assert_binomial(counts.by_kind[FL_DISK_NOTE_UNSYNCED_KEPT], TRIALS, 0.3);
    assert_binomial(counts.by_kind[FL_DISK_NOTE_UNSYNCED_TORN], TRIALS, 0.5);
    assert_int_equal(counts.torn_sectors, counts.by_kind[FL_DISK_NOTE_UNSYNCED_TORN] * 8);
    assert_binomial(counts.torn_sectors_kept, counts.torn_sectors, 0.5);
}

static void test_torn_write_keeps_whole_sectors_only(void **state) {
    (void)state;
    struct fl_disk_params params = quiet_params();
    params.unsynced_lost_ppm = 0;
    params.unsynced_torn_ppm = 1000000;
    static uint8_t block[4096];
    memset(block, 0xcd, sizeof block);
    for (uint64_t trial = 0; trial < 200; trial++) {
        struct note_counts counts = {0};
        uint64_t allocs = 0;
        struct fl_disk disk;
        disk_open(&disk, &params, trial, &counts, &allocs);
        fl_disk_op_write(&disk, "f", 0, block, sizeof block);
        fl_disk_crash(&disk);
        const struct fl_bytes *stored = fl_disk_durable(&disk, "f");
        for (uint64_t sector = 0; stored != NULL && sector * 512 < stored->size; sector++) {
            const uint8_t *s = stored->data + sector * 512;
            bool all_new = s[0] == 0xcd, uniform = true;
            for (int i = 1; i < 512; i++) uniform &= s[i] == s[0];
            assert_true(uniform);                  /* never a half sector */
            assert_true(all_new || s[0] == 0);    /* new bytes or the hole */
        }
        fl_disk_deinit(&disk);
    }
}

typedef int (*disk_action)(struct fl_disk *disk, uint64_t i);

static int write_one(struct fl_disk *disk, uint64_t i) {
    uint8_t bytes[64];
    memset(bytes, (int)i, sizeof bytes);
    return fl_disk_op_write(disk, "f", (i % 64) * 512, bytes, sizeof bytes);
}

static int read_one(struct fl_disk *disk, uint64_t i) {
    uint8_t bytes[64];
    uint64_t n;
    return fl_disk_op_read(disk, "f", (i % 64) * 512, bytes, sizeof bytes, &n);
}

static int sync_one(struct fl_disk *disk, uint64_t i) {
    (void)i;
    write_one(disk, i);
    return fl_disk_sync_complete(disk, fl_disk_sync_mark(disk));
}

/* Runs an action many times at a rate; counts the notes of the given kind. */
static uint64_t fault_count(struct fl_disk_params params, disk_action action,
                            enum fl_disk_note_kind kind, uint64_t trials) {
    struct note_counts counts = {0};
    uint64_t allocs = 0;
    struct fl_disk disk;
    disk_open(&disk, &params, 99, &counts, &allocs);
    for (uint64_t i = 0; i < trials; i++) action(&disk, i);
    fl_disk_deinit(&disk);
    return counts.by_kind[kind];
}

static void test_each_fault_fires_at_its_rate_and_never_at_zero(void **state) {
    (void)state;
    enum { TRIALS = 50000 };
    static const struct {
        size_t field; /* offset of the rate in struct fl_disk_params */
        disk_action action;
        enum fl_disk_note_kind kind;
    } cases[] = {
        {offsetof(struct fl_disk_params, lost_write_ppm), write_one, FL_DISK_NOTE_LOST_WRITE},
        {offsetof(struct fl_disk_params, misdirected_ppm), write_one, FL_DISK_NOTE_MISDIRECTED},
        {offsetof(struct fl_disk_params, corrupt_ppm), write_one, FL_DISK_NOTE_CORRUPT},
        {offsetof(struct fl_disk_params, read_error_ppm), read_one, FL_DISK_NOTE_READ_ERROR},
        {offsetof(struct fl_disk_params, sync_error_ppm), sync_one, FL_DISK_NOTE_SYNC_ERROR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fl_disk_params off = quiet_params();
        struct fl_disk_params on = quiet_params();
        uint32_t rate_ppm = 20000; /* 2% */
        memcpy((char *)&on + cases[i].field, &rate_ppm, sizeof rate_ppm);
        assert_int_equal(fault_count(off, cases[i].action, cases[i].kind, TRIALS), 0);
        assert_binomial(fault_count(on, cases[i].action, cases[i].kind, TRIALS), TRIALS, 0.02);
    }
}

static void test_lost_misdirected_and_corrupt_writes_surface_after_restart(void **state) {
    (void)state;
    struct fl_disk_params params = quiet_params();
    params.corrupt_ppm = 1000000; /* every write stored with a flipped bit */
    struct note_counts counts = {0};
    uint64_t allocs = 0;
    struct fl_disk disk;
    disk_open(&disk, &params, 3, &counts, &allocs);
    uint8_t bytes[64], out[64];
    memset(bytes, 0x55, sizeof bytes);
    fl_disk_op_write(&disk, "f", 0, bytes, sizeof bytes);
    uint64_t n;
    fl_disk_op_read(&disk, "f", 0, out, sizeof out, &n);
    assert_memory_equal(out, bytes, sizeof bytes); /* the page cache is fine ... */
    fl_disk_sync_complete(&disk, fl_disk_sync_mark(&disk));
    fl_disk_crash(&disk);
    fl_disk_op_read(&disk, "f", 0, out, sizeof out, &n);
    int differing_bits = 0;
    for (int i = 0; i < 64; i++) differing_bits += __builtin_popcount(out[i] ^ bytes[i]);
    assert_int_equal(differing_bits, 1); /* ... the medium is not */
    fl_disk_deinit(&disk);
}

static void test_quota_and_disk_full_refuse_growth_only(void **state) {
    (void)state;
    struct fl_disk_params params = quiet_params();
    params.quota_bytes = 1024;
    struct note_counts counts = {0};
    uint64_t allocs = 0;
    struct fl_disk disk;
    disk_open(&disk, &params, 3, &counts, &allocs);
    uint8_t bytes[600] = {0};
    assert_int_equal(fl_disk_op_write(&disk, "a", 0, bytes, 600), FL_OK);
    assert_int_equal(fl_disk_op_write(&disk, "b", 0, bytes, 600), FL_ENOSPC);
    assert_int_equal(fl_disk_op_size(&disk, "b"), 0);
    assert_int_equal(fl_disk_op_write(&disk, "a", 0, bytes, 600), FL_OK); /* overwrite: fine */
    disk.full = 1;
    assert_int_equal(fl_disk_op_write(&disk, "a", 600, bytes, 1), FL_ENOSPC);
    assert_int_equal(fl_disk_op_write(&disk, "a", 0, bytes, 10), FL_OK);
    assert_int_equal(fl_disk_op_truncate(&disk, "a", 10), FL_OK); /* shrinking is allowed */
    assert_int_equal(counts.by_kind[FL_DISK_NOTE_FULL], 2);
    fl_disk_deinit(&disk);
}

/* --- end to end: a model that writes, syncs, and reads back after a crash ------------- */

struct keeper_state {
    uint64_t synced_seen; /* after the restart: the synced record came back */
    uint64_t unsynced_seen;
    int read_status;
    uint64_t syncs_ok;
    bool restarted;
};

static void keeper_start(fl_node *node, void *state) {
    struct keeper_state *s = state;
    if (fl_incarnation(node) > 0) {
        char out[8];
        size_t n = 0;
        s->restarted = true;
        s->read_status = fl_disk_read(node, "data", 0, out, 8, &n);
        s->synced_seen = n >= 8 && memcmp(out, "SYNCED!!", 8) == 0;
        s->read_status |= fl_disk_read(node, "data", 4096, out, 8, &n);
        s->unsynced_seen = n >= 8 && memcmp(out, "UNSYNCED", 8) == 0;
        return;
    }
    fl_disk_write(node, "data", 0, "SYNCED!!", 8);
    fl_disk_sync(node, 1);
}

static void keeper_on_sync(fl_node *node, void *state, uint64_t sync_id, uint64_t tag,
                           int status) {
    (void)sync_id;
    (void)tag;
    struct keeper_state *s = state;
    if (status == FL_OK) s->syncs_ok++;
    fl_disk_write(node, "data", 4096, "UNSYNCED", 8); /* never synced */
}

static const struct fl_service keeper_service = {
    .state_size_bytes = sizeof(struct keeper_state),
    .start = keeper_start,
    .on_sync = keeper_on_sync,
};
static const char *const one_variant[] = {"only", NULL};
static const struct fl_model keeper_model = {
    .name = "keeper", .summary = "keeper", .server = &keeper_service,
    .variants = one_variant, .variant_help = one_variant, .server_count_min = 1,
};
static const struct fl_model *const keeper_models[] = {&keeper_model, NULL};

static struct fl_scenario *keeper_scenario(const char *disk) {
    char text[1024];
    snprintf(text, sizeof text,
             "{\"name\":\"k\",\"model\":\"keeper\",\"nodes\":1,\"duration\":\"1s\","
             "\"disk\":%s,\"faults\":[{\"at\":\"100ms\",\"type\":\"crash\",\"node\":\"n1\","
             "\"restart_after\":\"10ms\"}]}",
             disk);
    struct fl_error error;
    struct fl_scenario *sc = fl_scenario_parse(text, strlen(text), "k.json", keeper_models, &error);
    if (sc == NULL) fail_msg("%s", error.message);
    return sc;
}

static const struct keeper_state *run_keeper(const struct fl_scenario *sc, uint64_t seed,
                                             struct fl_sim **sim_out) {
    struct fl_run_options options = {.seed = seed};
    struct fl_sim *sim = fl_sim_create(sc, &options);
    struct fl_result result;
    fl_sim_run(sim, &result);
    *sim_out = sim;
    const struct keeper_state *s = fl_sim_node_state(sim, 0);
    assert_non_null(s);
    return s;
}

static void test_restart_sees_synced_data_and_not_unsynced(void **state) {
    (void)state;
    struct fl_scenario *sc = keeper_scenario("{\"sync_latency_min\":\"5ms\"}");
    struct fl_sim *sim;
    const struct keeper_state *s = run_keeper(sc, 1, &sim);
    assert_true(s->restarted);
    assert_int_equal(s->syncs_ok, 0); /* state was wiped: the restart counts from zero */
    assert_int_equal(s->read_status, FL_OK);
    assert_true(s->synced_seen);
    assert_false(s->unsynced_seen);
    fl_sim_destroy(sim);
    fl_scenario_free(sc);
}

static void test_all_three_crash_outcomes_occur_over_seeds(void **state) {
    (void)state;
    struct fl_scenario *sc = keeper_scenario(
        "{\"unsynced\":{\"lost\":0.3,\"kept\":0.3,\"torn\":0.4}}");
    uint64_t kept = 0, not_kept = 0;
    enum { SEEDS = 1000 };
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        struct fl_sim *sim;
        const struct keeper_state *s = run_keeper(sc, seed, &sim);
        assert_true(s->synced_seen);
        if (s->unsynced_seen) {
            kept++;
        } else {
            not_kept++;
        }
        fl_sim_destroy(sim);
    }
    /* An 8-byte write is one sector: torn keeps it half of the time. */
    assert_binomial(kept, SEEDS, 0.3 + 0.4 * 0.5);
    fl_scenario_free(sc);
}

static void test_timeline_disk_faults_fire_when_scheduled(void **state) {
    (void)state;
    static const char text[] =
        "{\"name\":\"k\",\"model\":\"keeper\",\"nodes\":1,\"duration\":\"1s\","
        "\"faults\":[{\"at\":\"50ms\",\"type\":\"disk_corrupt\",\"node\":\"n1\"},"
        "{\"at\":\"60ms\",\"type\":\"disk_full\",\"node\":\"n1\",\"duration\":\"20ms\"}]}";
    struct fl_error error;
    struct fl_scenario *sc =
        fl_scenario_parse(text, sizeof text - 1, "k.json", keeper_models, &error);
    assert_non_null(sc);
    FILE *trace = tmpfile();
    struct fl_run_options options = {.seed = 1, .trace = trace};
    struct fl_sim *sim = fl_sim_create(sc, &options);
    struct fl_result result;
    fl_sim_run(sim, &result);
    fl_sim_destroy(sim);
    rewind(trace);
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, trace) != NULL) {
        if (strstr(line, "\"fault\":\"bit_rot\"")) found += strstr(line, "\"t\":50000000,") != NULL;
        if (strstr(line, "\"fault\":\"full_begin\"")) found += strstr(line, "\"t\":60000000,") != NULL;
        if (strstr(line, "\"fault\":\"full_end\"")) found += strstr(line, "\"t\":80000000,") != NULL;
    }
    assert_int_equal(found, 3);
    fclose(trace);
    fl_scenario_free(sc);
}

/* The same seed leaves the same bytes on every disk, not only the same hash. */
static void test_same_seed_same_disk_bytes(void **state) {
    (void)state;
    struct fl_scenario *sc = keeper_scenario(
        "{\"unsynced\":{\"lost\":0.3,\"kept\":0.3,\"torn\":0.4},\"corruption\":0.5,"
        "\"misdirected_write\":0.5}");
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct fl_sim *a, *b;
        run_keeper(sc, seed, &a);
        run_keeper(sc, seed, &b);
        const struct fl_disk *da = &a->nodes[0].disk, *db = &b->nodes[0].disk;
        assert_int_equal(da->file_count, db->file_count);
        for (uint32_t f = 0; f < da->file_count; f++) {
            assert_string_equal(da->files[f].name, db->files[f].name);
            assert_int_equal(da->files[f].durable.size, db->files[f].durable.size);
            assert_memory_equal(da->files[f].durable.data, db->files[f].durable.data,
                                da->files[f].durable.size);
            assert_int_equal(da->files[f].cache.size, db->files[f].cache.size);
        }
        fl_sim_destroy(a);
        fl_sim_destroy(b);
    }
    fl_scenario_free(sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_see_own_writes_before_sync),
        cmocka_unit_test(test_sync_with_nothing_written_succeeds),
        cmocka_unit_test(test_synced_write_survives_a_crash_unsynced_is_lost),
        cmocka_unit_test(test_crash_fates_match_configured_fractions),
        cmocka_unit_test(test_torn_write_keeps_whole_sectors_only),
        cmocka_unit_test(test_each_fault_fires_at_its_rate_and_never_at_zero),
        cmocka_unit_test(test_lost_misdirected_and_corrupt_writes_surface_after_restart),
        cmocka_unit_test(test_quota_and_disk_full_refuse_growth_only),
        cmocka_unit_test(test_restart_sees_synced_data_and_not_unsynced),
        cmocka_unit_test(test_all_three_crash_outcomes_occur_over_seeds),
        cmocka_unit_test(test_timeline_disk_faults_fire_when_scheduled),
        cmocka_unit_test(test_same_seed_same_disk_bytes),
    };
    return cmocka_run_group_tests_name("disk", tests, NULL, NULL);
}
