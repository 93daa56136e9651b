/*
 * test_determinism: the promise. The same scenario and seed give the same
 * fingerprint in two runs in one process, with and without a trace file, and
 * the trace has one line per event; different seeds give different runs.
 * (Across builds, -O0 against -O2 and gcc against clang, tests/ci.sh compares
 * the CLI's fingerprints for every shipped scenario.)
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
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

#define SCENARIOS_MAX 64
#define SEEDS 3

static char *scenario_paths[SCENARIOS_MAX];
static int scenario_count;

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every scenarios/<model>/<name>.json, sorted. */
static int find_scenarios(void **state) {
    (void)state;
    char root[1024];
    snprintf(root, sizeof root, "%s/scenarios", FL_SOURCE_DIR);
    DIR *top = opendir(root);
    if (top == NULL) return -1;
    struct dirent *model;
    while ((model = readdir(top)) != NULL) {
        if (model->d_name[0] == '.') continue;
        char dir_path[1280];
        snprintf(dir_path, sizeof dir_path, "%s/%s", root, model->d_name);
        DIR *dir = opendir(dir_path);
        if (dir == NULL) continue;
        struct dirent *file;
        while ((file = readdir(dir)) != NULL && scenario_count < SCENARIOS_MAX) { /* see below */
            size_t len = strlen(file->d_name);
            if (len < 6 || strcmp(file->d_name + len - 5, ".json") != 0) continue;
            char *path = malloc(strlen(dir_path) + len + 2);
            sprintf(path, "%s/%s", dir_path, file->d_name);
            scenario_paths[scenario_count++] = path;
        }
        closedir(dir);
    }
    closedir(top);
    if (scenario_count == SCENARIOS_MAX) {
        fprintf(stderr, "more than %d scenarios: raise SCENARIOS_MAX\n", SCENARIOS_MAX);
        return -1;
    }
    qsort(scenario_paths, (size_t)scenario_count, sizeof scenario_paths[0], compare_strings);
    return scenario_count > 0 ? 0 : -1;
}

static int free_scenarios(void **state) {
    (void)state;
    for (int i = 0; i < scenario_count; i++) free(scenario_paths[i]);
    return 0;
}

static struct fl_scenario *load(const char *path) {
    struct fl_error error;
    struct fl_scenario *scenario = fl_scenario_load(path, fl_models_builtin, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    return scenario;
}

static void run(const struct fl_scenario *scenario, uint64_t seed, FILE *trace,
                struct fl_result *result) {
    struct fl_run_options options = {.seed = seed, .trace = trace};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    assert_non_null(sim);
    fl_sim_run(sim, result);
    fl_sim_destroy(sim);
}

/* Event lines: those that start with an id. View lines ({"t":...,"kind":"view"})
 * describe a node's state for a reader and are not events. The n-th event
 * line must hold id n. */
static uint64_t count_event_lines(FILE *file) {
    rewind(file);
    uint64_t events = 0;
    static char line[64 * 1024];
    while (fgets(line, sizeof line, file) != NULL) {
        size_t n = strlen(line);
        assert_true(n > 0 && line[n - 1] == '\n'); /* no half line, none too long */
        if (strncmp(line, "{\"id\":", 6) == 0) {
            events++;
            unsigned long long id = strtoull(line + 6, NULL, 10);
            assert_int_equal(id, events);
        } else {
            assert_true(strncmp(line, "{\"t\":", 5) == 0);
            assert_non_null(strstr(line, "\"kind\":\"view\""));
        }
    }
    return events;
}

static void test_same_seed_same_fingerprint_twice_in_one_process(void **state) {
    (void)state;
    for (int i = 0; i < scenario_count; i++) {
        struct fl_scenario *scenario = load(scenario_paths[i]);
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
            struct fl_result a, b;
            run(scenario, seed, NULL, &a);
            run(scenario, seed, NULL, &b);
            if (a.fingerprint != b.fingerprint || a.events != b.events) {
                fail_msg("%s seed %llu: %016llx (%llu events) then %016llx (%llu events)",
                         scenario_paths[i], (unsigned long long)seed,
                         (unsigned long long)a.fingerprint, (unsigned long long)a.events,
                         (unsigned long long)b.fingerprint, (unsigned long long)b.events);
            }
            assert_memory_equal(&a, &b, sizeof a); /* every counter, not only the hash */
        }
        fl_scenario_free(scenario);
    }
}

static void test_trace_on_or_off_same_fingerprint(void **state) {
    (void)state;
    for (int i = 0; i < scenario_count; i++) {
        struct fl_scenario *scenario = load(scenario_paths[i]);
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
            FILE *trace = tmpfile();
            assert_non_null(trace);
            struct fl_result off, on;
            run(scenario, seed, NULL, &off);
            run(scenario, seed, trace, &on);
            if (off.fingerprint != on.fingerprint) {
                fail_msg("%s seed %llu: %016llx without a trace, %016llx with one",
                         scenario_paths[i], (unsigned long long)seed,
                         (unsigned long long)off.fingerprint, (unsigned long long)on.fingerprint);
            }
            assert_int_equal(count_event_lines(trace), on.events);
            assert_int_equal(off.events, on.events);
            fclose(trace);
        }
        fl_scenario_free(scenario);
    }
}

static void test_different_seeds_different_fingerprints(void **state) {
    (void)state;
    for (int i = 0; i < scenario_count; i++) {
        struct fl_scenario *scenario = load(scenario_paths[i]);
        uint64_t seen[SEEDS];
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
            struct fl_result r;
            run(scenario, seed, NULL, &r);
            seen[seed - 1] = r.fingerprint;
            for (uint64_t k = 1; k < seed; k++) {
                if (seen[k - 1] == r.fingerprint) {
                    fail_msg("%s: seeds %llu and %llu give the same fingerprint %016llx",
                             scenario_paths[i], (unsigned long long)k, (unsigned long long)seed,
                             (unsigned long long)r.fingerprint);
                }
            }
        }
        fl_scenario_free(scenario);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_fingerprint_twice_in_one_process),
        cmocka_unit_test(test_trace_on_or_off_same_fingerprint),
        cmocka_unit_test(test_different_seeds_different_fingerprints),
    };
    return cmocka_run_group_tests_name("determinism", tests, find_scenarios, free_scenarios);
}
