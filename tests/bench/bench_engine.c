/*
 * bench_engine: how fast the engine runs, as machine-readable lines.
 *
 *   bench=timers events=... wall_s=... events_per_s=... allocs_steady=...
 *   bench=gossip nodes=N messages=... wall_s=... msgs_per_s=... sim_s=... sim_per_wall=...
 *   bench=gossip_trace nodes=N ... slowdown=...   (the same with a JSON Lines trace file)
 *   bench=seeds scenario=... seeds=... wall_s=... seeds_per_s=...
 *
 * Not a test: these machines are noisy, so nothing here passes or fails on a
 * time. It does count heap allocations made during the second half of each run
 * (allocs_steady): the engine promises none once warm, and the count is exact.
 * Allocations are counted by interposing malloc and friends (glibc's __libc_*
 * entry points), which sees every allocation in the process, not only the ones
 * the engine reports itself; under a sanitizer, which owns malloc, the engine's
 * own count is used instead.
 *
 * usage: bench_engine [--quick] [--only timers|gossip|trace|seeds] [--scenarios DIR]
 *   --quick divides every workload by 10 (a smoke run for CI).
 *
 * Each case runs REPEATS times and reports the median wall time: one slow run
 * (another process, a page-cache flush) must not become the figure.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "faultline/faultline.h"
#include "models/registry.h"
#include "bench.h"

/* --- allocation counting ---------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_INTERPOSE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_INTERPOSE 0
#endif
#endif
#ifndef BENCH_INTERPOSE
#define BENCH_INTERPOSE 1
#endif

static uint64_t heap_allocs; /* every malloc/calloc/realloc in the process */

#if BENCH_INTERPOSE
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

void *malloc(size_t size) {
    heap_allocs++;
    return __libc_malloc(size);
}
void *calloc(size_t count, size_t size) {
    heap_allocs++;
    return __libc_calloc(count, size);
}
void *realloc(void *ptr, size_t size) {
    heap_allocs++;
    return __libc_realloc(ptr, size);
}
void free(void *ptr) {
    __libc_free(ptr);
}
#endif

static uint64_t allocs_now(struct fl_sim *sim) {
    return BENCH_INTERPOSE ? heap_allocs : fl_sim_alloc_count(sim);
}

/* --- a timer-churn model ------------------------------------------------------------ */

#define TIMER_DELAY_NS_MAX 10000000u /* re-armed uniformly within 10 ms */

static void timers_start(fl_node *node, void *state) {
    (void)state;
    int64_t pending = fl_param(node, "pending");
    for (int64_t i = 0; i < pending; i++) {
        fl_timer_set(node, fl_random_below(node, TIMER_DELAY_NS_MAX), (uint64_t)i);
    }
}

static void timers_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)state;
    (void)timer;
    fl_timer_set(node, fl_random_below(node, TIMER_DELAY_NS_MAX), tag);
}

static const struct fl_service timers_service = {
    .state_size_bytes = 8,
    .start = timers_start,
    .on_timer = timers_on_timer,
};
static const char *const timers_variants[] = {"churn", NULL};
static const char *const timers_variant_help[] = {"fire and re-arm", NULL};
static const struct fl_param timers_params[] = {
    {"pending", FL_PARAM_INT, 1, 10000000, 10000, "timers kept pending"},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct fl_model timers_model = {
    .name = "bench_timers",
    .summary = "timer churn",
    .server = &timers_service,
    .variants = timers_variants,
    .variant_help = timers_variant_help,
    .params = timers_params,
    .server_count_min = 1,
};
static const struct fl_model *const bench_models[] = {&timers_model, NULL};

/* --- helpers ------------------------------------------------------------------------ */

static struct fl_scenario *parse_or_die(const char *text, const struct fl_model *const *models) {
    struct fl_error error;
    struct fl_scenario *scenario = fl_scenario_parse(text, strlen(text), "bench", models, &error);
    if (scenario == NULL) {
        fprintf(stderr, "bench_engine: %s\n", error.message);
        exit(2);
    }
    return scenario;
}

#define REPEATS 5

struct measured {
    struct fl_result result;
    double wall_s;
    uint64_t allocs_steady;
};

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs to the end; allocations are counted from the moment half the expected
 * events have run (the run is warm by then). */
static void run_once(const struct fl_scenario *scenario, FILE *trace, uint64_t events_max,
                     uint64_t events_expected, struct measured *out) {
    struct fl_run_options options = {.seed = 1, .trace = trace, .events_max = events_max};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    if (sim == NULL) exit(3);
    uint64_t steps = 0;
    uint64_t allocs_warm = 0;
    double start = bench_wall_s();
    while (fl_sim_step(sim)) {
        if (++steps == events_expected / 2) allocs_warm = allocs_now(sim);
    }
    out->wall_s = bench_wall_s() - start;
    out->allocs_steady = allocs_now(sim) - allocs_warm;
    fl_sim_result(sim, &out->result);
    fl_sim_destroy(sim);
}

/* The median of REPEATS runs; allocations are the most any run made. The
 * trace file, if any, is truncated before each run. */
static void run_measured(const struct fl_scenario *scenario, FILE *trace, uint64_t events_max,
                         uint64_t events_expected, struct measured *out) {
    double walls[REPEATS];
    uint64_t allocs_max = 0;
    for (int i = 0; i < REPEATS; i++) {
        if (trace != NULL) {
            rewind(trace);
            if (ftruncate(fileno(trace), 0) != 0) perror("bench_engine: truncate");
        }
        run_once(scenario, trace, events_max, events_expected, out);
        walls[i] = out->wall_s;
        if (out->allocs_steady > allocs_max) allocs_max = out->allocs_steady;
    }
    qsort(walls, REPEATS, sizeof walls[0], compare_doubles);
    out->wall_s = walls[REPEATS / 2];
    out->allocs_steady = allocs_max;
}

/* --- the cases ------------------------------------------------------------------------ */

static void bench_timers(uint64_t events) {
    char text[512];
    snprintf(text, sizeof text,
             "{\"name\":\"bench-timers\",\"model\":\"bench_timers\",\"nodes\":1,"
             "\"duration\":\"24h\",\"params\":{\"pending\":10000},"
             "\"budget\":{\"events_max\":%llu}}",
             (unsigned long long)(events + 1));
    struct fl_scenario *scenario = parse_or_die(text, bench_models);
    struct measured m;
    run_measured(scenario, NULL, 0, events, &m);
    uint64_t fired = m.result.events - 3; /* less the start, the budget's violation, the end */
    printf("bench=timers pending=10000 timer_events=%llu wall_s=%.3f events_per_s=%.0f "
           "allocs_steady=%llu\n",
           (unsigned long long)fired, m.wall_s, (double)fired / m.wall_s,
           (unsigned long long)m.allocs_steady);
    fl_scenario_free(scenario);
}

static struct fl_scenario *gossip_scenario(uint32_t nodes, uint64_t messages) {
    /* One message per node in flight, 1 ms per hop: nodes deliveries per ms. */
    uint64_t duration_ms = (messages + nodes - 1) / nodes;
    char text[512];
    snprintf(text, sizeof text,
             "{\"name\":\"bench-gossip\",\"model\":\"gossip\",\"nodes\":%u,"
             "\"duration\":\"%llums\",\"params\":{\"initial\":1,\"payload_bytes\":64},"
             "\"network\":{\"latency_min\":\"1ms\"},\"budget\":{\"events_max\":1000000000000}}",
             nodes, (unsigned long long)duration_ms);
    return parse_or_die(text, fl_models_builtin);
}

static void print_gossip(const char *name, uint32_t nodes, const struct measured *m,
                         double baseline_wall_s) {
    double sim_s = (double)m->result.sim_time_ns / 1e9;
    printf("bench=%s nodes=%u messages=%llu events=%llu wall_s=%.3f msgs_per_s=%.0f sim_s=%.3f "
           "sim_per_wall=%.1f allocs_steady=%llu",
           name, nodes, (unsigned long long)m->result.messages_delivered,
           (unsigned long long)m->result.events, m->wall_s,
           (double)m->result.messages_delivered / m->wall_s, sim_s, sim_s / m->wall_s,
           (unsigned long long)m->allocs_steady);
    if (baseline_wall_s > 0) printf(" slowdown=%.2f", m->wall_s / baseline_wall_s);
    printf("\n");
}

static double bench_gossip(uint32_t nodes, uint64_t messages) {
    struct fl_scenario *scenario = gossip_scenario(nodes, messages);
    struct measured m;
    run_measured(scenario, NULL, 0, messages * 2, &m);
    print_gossip("gossip", nodes, &m, 0);
    fl_scenario_free(scenario);
    return m.wall_s;
}

static void bench_gossip_trace(uint32_t nodes, uint64_t messages, double baseline_wall_s) {
    struct fl_scenario *scenario = gossip_scenario(nodes, messages);
    char path[] = "/tmp/faultline-bench-trace-XXXXXX";
    int fd = mkstemp(path);
    FILE *trace = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (trace == NULL) {
        perror("bench_engine: trace file");
        exit(3);
    }
    struct measured m;
    run_measured(scenario, trace, 0, messages * 2, &m);
    fflush(trace);
    long bytes = ftell(trace);
    fclose(trace);
    unlink(path);
    print_gossip("gossip_trace", nodes, &m, baseline_wall_s);
    printf("bench=gossip_trace_bytes nodes=%u bytes=%ld bytes_per_event=%.1f\n", nodes, bytes,
           (double)bytes / (double)m.result.events);
    fl_scenario_free(scenario);
}

static void bench_seeds(const char *path, uint64_t seeds) {
    struct fl_scenario *scenario = bench_load("bench_engine", path, fl_models_builtin);
    uint64_t events = 0, failed = 0;
    double start = bench_wall_s();
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        struct fl_run_options options = {.seed = seed};
        struct fl_sim *sim = fl_sim_create(scenario, &options);
        struct fl_result result;
        fl_sim_run(sim, &result);
        events += result.events;
        failed += !result.pass;
        fl_sim_destroy(sim);
    }
    double wall = bench_wall_s() - start;
    printf("bench=seeds scenario=%s seeds=%llu failed=%llu events=%llu wall_s=%.3f "
           "seeds_per_s=%.1f events_per_s=%.0f\n",
           path, (unsigned long long)seeds, (unsigned long long)failed,
           (unsigned long long)events, wall, (double)seeds / wall, (double)events / wall);
    fl_scenario_free(scenario);
}

int main(int argc, char **argv) {
    uint64_t scale = 1;
    const char *only = NULL;
    const char *scenarios = "scenarios";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            scale = 10;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--scenarios") == 0 && i + 1 < argc) {
            scenarios = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: bench_engine [--quick] [--only timers|gossip|trace|seeds] "
                    "[--scenarios DIR]\n");
            return 2;
        }
    }
    printf("bench=info interpose_malloc=%d scale=1/%llu\n", BENCH_INTERPOSE,
           (unsigned long long)scale);
    if (only == NULL || strcmp(only, "timers") == 0) bench_timers(10000000 / scale);
    double baseline = 0;
    static const uint32_t sizes[] = {5, 50, 500};
    if (only == NULL || strcmp(only, "gossip") == 0 || strcmp(only, "trace") == 0) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            double wall = bench_gossip(sizes[i], 1000000 / scale);
            if (i == 0) baseline = wall;
        }
    }
    if (only == NULL || strcmp(only, "trace") == 0) {
        bench_gossip_trace(5, 1000000 / scale, baseline);
    }
    if (only == NULL || strcmp(only, "seeds") == 0) {
        char path[1024];
        snprintf(path, sizeof path, "%s/echo/partition.json", scenarios);
        bench_seeds(path, 200 / scale);
    }
    return 0;
}
