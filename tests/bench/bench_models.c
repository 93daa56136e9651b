/*
 * bench_models: how fast each model's scenarios run, and how soon a sweep finds
 * each planted bug, as machine-readable lines:
 *
 *   bench=model_pass scenario=... model=... variant=... seeds=N failed=F wall_s=... seeds_per_s=...
 *   bench=model_bug scenario=... model=... variant=... ranges=K found=F
 *       median_seeds_to_failure=M max_seeds_to_failure=X check=NAME wall_s=... seeds_per_s=...
 *
 * A scenario of a model's correct variant (variants[0]) runs seeds 1..N and
 * reports its speed and how many seeds failed (a correct model should fail
 * none). A scenario of a buggy variant is swept over K disjoint ranges of
 * RANGE seeds (range r is seeds r*RANGE+1 .. (r+1)*RANGE), each until its
 * first failure: the seeds a user sweeps before the bug shows, and its median
 * over the ranges. A range with no failure sorts last and reads "none"; `found`
 * says how many ranges found the bug at all. `check` is the check
 * that failed first most often: a variant caught by the wrong check shows here.
 *
 * Seeds run one after another in this process, on one core, as a worker of
 * `faultline sweep -j 1` runs them (without its pipe and fork costs). Not a test:
 * no time limit; the numbers go to docs/performance.md with the command.
 *
 * usage: bench_models [--quick] [--seeds N] [--ranges K] [--range R] SCENARIO...
 *   defaults: --seeds 200 --ranges 11 --range 1000; --quick: 5 seeds, 1 range of 200.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faultline/faultline.h"
#include "models/registry.h"
#include "bench.h"

#define RANGES_MAX 101
#define CHECKS_MAX 8

struct options {
    uint64_t seeds;
    uint32_t ranges;
    uint64_t range;
};

/* Runs one seed; 3 (internal error) when memory runs out. */
static bool run_seed(const struct fl_scenario *scenario, uint64_t seed, struct fl_result *result) {
    struct fl_run_options run = {.seed = seed};
    struct fl_sim *sim = fl_sim_create(scenario, &run);
    if (sim == NULL) {
        fprintf(stderr, "bench_models: out of memory creating a simulation\n");
        exit(3);
    }
    fl_sim_run(sim, result);
    fl_sim_destroy(sim);
    return result->pass;
}

static void bench_pass(const char *path, const struct fl_scenario *scenario,
                       const struct options *options) {
    uint64_t failed = 0;
    struct fl_result result;
    double start = bench_wall_s();
    for (uint64_t seed = 1; seed <= options->seeds; seed++) {
        if (!run_seed(scenario, seed, &result)) failed++;
    }
    double elapsed = bench_wall_s() - start;
    printf("bench=model_pass scenario=%s model=%s variant=%s seeds=%" PRIu64 " failed=%" PRIu64
           " wall_s=%.3f seeds_per_s=%.1f\n",
           path, fl_scenario_model(scenario)->name, fl_scenario_variant_name(scenario),
           options->seeds, failed, elapsed, (double)options->seeds / elapsed);
}

static int by_value(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* Which checks failed first, and how often: the most frequent is reported. */
struct check_tally {
    char name[CHECKS_MAX][FL_CHECK_NAME_MAX];
    uint32_t count[CHECKS_MAX];
    uint32_t used;
};

static void tally_add(struct check_tally *tally, const char *name) {
    for (uint32_t i = 0; i < tally->used; i++) {
        if (strcmp(tally->name[i], name) == 0) {
            tally->count[i]++;
            return;
        }
    }
    if (tally->used == CHECKS_MAX) return; /* a ninth distinct check: rare, left out */
    snprintf(tally->name[tally->used], FL_CHECK_NAME_MAX, "%s", name);
    tally->count[tally->used++] = 1;
}

static const char *tally_top(const struct check_tally *tally) {
    uint32_t best = 0;
    for (uint32_t i = 1; i < tally->used; i++) {
        if (tally->count[i] > tally->count[best]) best = i;
    }
    return tally->used == 0 ? "none" : tally->name[best];
}

/* Seeds to a failure, or "none" for a range that never failed. */
static void format_seeds(uint64_t seeds, uint64_t range, char *out, size_t out_size) {
    if (seeds > range) {
        snprintf(out, out_size, "none");
    } else {
        snprintf(out, out_size, "%" PRIu64, seeds);
    }
}

static void bench_bug(const char *path, const struct fl_scenario *scenario,
                      const struct options *options) {
    uint64_t to_failure[RANGES_MAX];
    uint64_t seeds_run = 0;
    uint32_t found = 0;
    struct check_tally tally = {.used = 0};
    struct fl_result result;
    double start = bench_wall_s();
    for (uint32_t r = 0; r < options->ranges; r++) {
        to_failure[r] = options->range + 1;
        for (uint64_t i = 1; i <= options->range; i++) {
            seeds_run++;
            if (run_seed(scenario, (uint64_t)r * options->range + i, &result)) continue;
            to_failure[r] = i;
            found++;
            tally_add(&tally, result.violation_count > 0 ? result.violations[0].check
                                                         : fl_stop_name(result.stop));
            break;
        }
    }
    double elapsed = bench_wall_s() - start;
    qsort(to_failure, options->ranges, sizeof to_failure[0], by_value);
    char median[32], max[32];
    format_seeds(to_failure[options->ranges / 2], options->range, median, sizeof median);
    format_seeds(to_failure[options->ranges - 1], options->range, max, sizeof max);
    printf("bench=model_bug scenario=%s model=%s variant=%s ranges=%" PRIu32 " found=%" PRIu32
           " median_seeds_to_failure=%s max_seeds_to_failure=%s check=%s wall_s=%.3f"
           " seeds_per_s=%.1f\n",
           path, fl_scenario_model(scenario)->name, fl_scenario_variant_name(scenario),
           options->ranges, found, median, max, tally_top(&tally), elapsed,
           (double)seeds_run / elapsed);
}

static bool parse_count(const char *flag, const char *text, uint64_t max, uint64_t *out) {
    char *end = NULL;
    unsigned long long value = text == NULL ? 0 : strtoull(text, &end, 10);
    if (text == NULL || end == text || *end != '\0' || value == 0 || value > max) {
        fprintf(stderr, "bench_models: %s takes a whole number from 1 to %" PRIu64 ", got '%s'\n",
                flag, max, text == NULL ? "" : text);
        return false;
    }
    *out = value;
    return true;
}

int main(int argc, char **argv) {
    struct options options = {.seeds = 200, .ranges = 11, .range = 1000};
    int first_path = argc;
    for (int i = 1; i < argc; i++) {
        uint64_t value = 0;
        if (strcmp(argv[i], "--quick") == 0) {
            options = (struct options){.seeds = 5, .ranges = 1, .range = 200};
        } else if (strcmp(argv[i], "--seeds") == 0) {
            if (!parse_count("--seeds", i + 1 < argc ? argv[++i] : NULL, 100000000, &value))
                return 2;
            options.seeds = value;
        } else if (strcmp(argv[i], "--ranges") == 0) {
            if (!parse_count("--ranges", i + 1 < argc ? argv[++i] : NULL, RANGES_MAX, &value))
                return 2;
            options.ranges = (uint32_t)value;
        } else if (strcmp(argv[i], "--range") == 0) {
            if (!parse_count("--range", i + 1 < argc ? argv[++i] : NULL, 100000000, &value))
                return 2;
            options.range = value;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "bench_models: unknown option '%s'\n"
                            "usage: bench_models [--quick] [--seeds N] [--ranges K] [--range R] "
                            "SCENARIO...\n",
                    argv[i]);
            return 2;
        } else {
            first_path = i;
            break;
        }
    }
    if (first_path >= argc) {
        fprintf(stderr, "usage: bench_models [--quick] [--seeds N] [--ranges K] [--range R] "
                        "SCENARIO...\n");
        return 2;
    }
    for (int i = first_path; i < argc; i++) {
        struct fl_scenario *scenario = bench_load("bench_models", argv[i], fl_models_builtin);
        const struct fl_model *model = fl_scenario_model(scenario);
        if (strcmp(fl_scenario_variant_name(scenario), model->variants[0]) == 0) {
            bench_pass(argv[i], scenario, &options);
        } else {
            bench_bug(argv[i], scenario, &options);
        }
        fflush(stdout);
        fl_scenario_free(scenario);
    }
    return 0;
}
