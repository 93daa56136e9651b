/*
 * bench_sweep: how fast `faultline sweep` runs seeds, and what its process pool
 * costs per seed, as machine-readable lines:
 *
 *   bench=sweep scenario=... j=N seeds=... wall_s=... seeds_per_s=...
 *   bench=sweep_speedup scenario=... j1_seeds_per_s=... j2_seeds_per_s=... speedup=...
 *   bench=sweep_overhead j=N seeds=... inprocess_us=... sweep_us=... per_seed_ms=...
 *
 * The overhead is measured on a near-empty scenario (one echo server, no
 * clients, 1 ms simulated), where running the seed itself costs a few
 * microseconds: the sweep's time per seed minus the same seeds run in this
 * process through the embedding API (as bench_engine's seeds case does) is what
 * the pool adds: the worker processes, the pipes, parsing and writing each
 * record, the journal and the final sorted report.
 *
 * The sweep runs as a separate process (`faultline sweep ... --quiet --out
 * FILE`), so its figures include starting the command and loading the scenario
 * once: a millisecond or two, spread over thousands of seeds. Each figure is the
 * median of REPEATS_MAX runs. Not a test: nothing here passes or fails on a time.
 *
 * usage: bench_sweep --faultline PATH [--scenarios DIR] [--quick]
 *   --quick divides every workload by 50 and runs each case once (a smoke run
 *   for CI, which runs it under the sanitizers too).
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faultline/faultline.h"
#include "models/registry.h"
#include "bench.h"

extern char **environ;

#define REPEATS_MAX 3

static int repeats = REPEATS_MAX; /* --quick: 1 */

static const char empty_scenario[] =
    "{\"name\": \"bench-empty\", \"model\": \"echo\", \"nodes\": 1, \"clients\": 0, "
    "\"duration\": \"1ms\"}\n";

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count) {
    qsort(values, (size_t)count, sizeof values[0], compare_doubles);
    return values[count / 2];
}

/* One `faultline sweep` run; its wall time in seconds. Exits on failure. */
static double sweep_once(char *faultline, char *scenario, uint64_t seeds, int jobs, char *out) {
    char count[24], j[16];
    snprintf(count, sizeof count, "%llu", (unsigned long long)seeds);
    snprintf(j, sizeof j, "%d", jobs);
    char *argv[] = {faultline, "sweep",   scenario, "--count", count, "-j",
                    j,         "--quiet", "--out",  out,       NULL};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    double start = bench_wall_s();
    pid_t pid;
    int status = 0;
    if (posix_spawn(&pid, faultline, &actions, NULL, argv, environ) != 0 ||
        waitpid(pid, &status, 0) < 0) {
        perror("bench_sweep: faultline");
        exit(3);
    }
    double wall = bench_wall_s() - start;
    posix_spawn_file_actions_destroy(&actions);
    if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
        fprintf(stderr, "bench_sweep: faultline sweep %s failed (status %d)\n", scenario, status);
        exit(3);
    }
    return wall;
}

static double sweep_median(char *faultline, char *scenario, uint64_t seeds, int jobs, char *out) {
    double walls[REPEATS_MAX];
    for (int i = 0; i < repeats; i++) walls[i] = sweep_once(faultline, scenario, seeds, jobs, out);
    return median(walls, repeats);
}

/* The same seeds in this process, one after another. */
static double inprocess_median(const char *path, uint64_t seeds) {
    struct fl_scenario *scenario = bench_load("bench_sweep", path, fl_models_builtin);
    double walls[REPEATS_MAX];
    for (int i = 0; i < repeats; i++) {
        double start = bench_wall_s();
        for (uint64_t seed = 1; seed <= seeds; seed++) {
            struct fl_run_options options = {.seed = seed};
            struct fl_sim *sim = fl_sim_create(scenario, &options);
            if (sim == NULL) exit(3);
            struct fl_result result;
            fl_sim_run(sim, &result);
            fl_sim_destroy(sim);
        }
        walls[i] = bench_wall_s() - start;
    }
    fl_scenario_free(scenario);
    return median(walls, repeats);
}

static void bench_scenario(char *faultline, char *path, uint64_t seeds, char *out) {
    double rate[3] = {0};
    for (int jobs = 1; jobs <= 2; jobs++) {
        double wall = sweep_median(faultline, path, seeds, jobs, out);
        rate[jobs] = (double)seeds / wall;
        printf("bench=sweep scenario=%s j=%d seeds=%llu wall_s=%.3f seeds_per_s=%.1f\n", path, jobs,
               (unsigned long long)seeds, wall, rate[jobs]);
        fflush(stdout);
    }
    printf("bench=sweep_speedup scenario=%s j1_seeds_per_s=%.1f j2_seeds_per_s=%.1f "
           "speedup=%.2f\n",
           path, rate[1], rate[2], rate[2] / rate[1]);
}

static void bench_overhead(char *faultline, uint64_t seeds, char *out) {
    char path[] = "/tmp/faultline-bench-empty-XXXXXX";
    int fd = mkstemp(path);
    FILE *file = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (file == NULL || fputs(empty_scenario, file) < 0 || fclose(file) != 0) {
        perror("bench_sweep: scenario file");
        exit(3);
    }
    double inprocess = inprocess_median(path, seeds) / (double)seeds;
    for (int jobs = 1; jobs <= 2; jobs++) {
        double sweep = sweep_median(faultline, path, seeds, jobs, out) / (double)seeds;
        /* With two jobs the seeds share two cores: the pool's cost per seed is
         * measured against half the in-process time. */
        double base = inprocess / jobs;
        printf("bench=sweep_overhead j=%d seeds=%llu inprocess_us=%.2f sweep_us=%.2f "
               "per_seed_ms=%.4f\n",
               jobs, (unsigned long long)seeds, base * 1e6, sweep * 1e6, (sweep - base) * 1e3);
        fflush(stdout);
    }
    unlink(path);
}

int main(int argc, char **argv) {
    char *faultline = NULL;
    const char *scenarios = "scenarios";
    uint64_t scale = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            scale = 50;
            repeats = 1;
        } else if (strcmp(argv[i], "--faultline") == 0 && i + 1 < argc) {
            faultline = argv[++i];
        } else if (strcmp(argv[i], "--scenarios") == 0 && i + 1 < argc) {
            scenarios = argv[++i];
        } else {
            faultline = NULL;
            break;
        }
    }
    if (faultline == NULL) {
        fprintf(stderr, "usage: bench_sweep --faultline PATH [--scenarios DIR] [--quick]\n");
        return 2;
    }
    char out[] = "/tmp/faultline-bench-report-XXXXXX";
    int fd = mkstemp(out);
    if (fd < 0) {
        perror("bench_sweep: report file");
        return 3;
    }
    close(fd);
    printf("bench=info scale=1/%llu repeats=%d\n", (unsigned long long)scale, repeats);
    bench_overhead(faultline, 20000 / scale, out);
    char path[1024];
    snprintf(path, sizeof path, "%s/echo/partition.json", scenarios);
    bench_scenario(faultline, path, 2000 / scale, out);
    snprintf(path, sizeof path, "%s/gossip/mesh.json", scenarios);
    bench_scenario(faultline, path, 400 / scale, out);
    unlink(out);
    return 0;
}
