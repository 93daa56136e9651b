/*
 * bench_lin: how long the linearizability checker (sim/lin.h) takes on the
 * Jepsen etcd histories in ../shared/data/linearizability/etcd, as lines:
 *
 *   bench=lin histories=N wall_s=... states=... mismatches=M
 *   bench=lin_file file=etcd_NNN.log result=... states=... wall_ms=...   (the slowest five)
 *   bench=lin_prefix histories=N wall_s=... prefix_checks=...   (the same, also finding
 *       each failing history's shortest failing prefix, as `faultline lin` does)
 *
 * Every file is parsed and checked once, in name order, in this process; the
 * time covers parsing and checking. Each answer is compared with EXPECTED, so a
 * fast wrong checker shows up as mismatches. Not a test: no time limit.
 *
 * usage: bench_lin [DIR]   (default: FL_SOURCE_DIR/../shared/data/linearizability/etcd)
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lin.h"
#include "bench.h"

#define FILES_MAX 1024
#define SLOWEST_SHOWN 5

struct file_result {
    char name[64];
    const char *result;
    uint64_t states;
    double wall_s;
};

static int by_time_desc(const void *a, const void *b) {
    const struct file_result *x = a;
    const struct file_result *y = b;
    return x->wall_s < y->wall_s ? 1 : (x->wall_s > y->wall_s ? -1 : 0);
}

/* Checks one file; false on bad input. */
static bool check_file(const char *dir, const char *name, bool prefix, struct file_result *out,
                       uint64_t *prefix_checks) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct fl_lin_history history;
    struct fl_lin_error error;
    struct fl_lin_report report;
    struct fl_lin_options options = {.model = FL_LIN_MODEL_REGISTER, .shortest_prefix = prefix};
    fl_lin_history_init(&history);
    double start = bench_wall_s();
    bool ok = fl_lin_history_load(&history, path, FL_LIN_FORMAT_JEPSEN, &error) == FL_LIN_EOK &&
              fl_lin_check(&history, &options, &report) == FL_LIN_EOK;
    out->wall_s = bench_wall_s() - start;
    if (!ok) fprintf(stderr, "bench_lin: %s\n", error.message);
    snprintf(out->name, sizeof out->name, "%s", name);
    out->result = ok ? fl_lin_result_name(report.result) : "error";
    out->states = ok ? report.states_explored : 0;
    if (ok) *prefix_checks += report.prefix_checks;
    if (ok) fl_lin_report_deinit(&report);
    fl_lin_history_deinit(&history);
    return ok;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : FL_SOURCE_DIR "/../shared/data/linearizability/etcd";
    char path[4096];
    snprintf(path, sizeof path, "%s/EXPECTED", dir);
    FILE *expected = fopen(path, "r");
    if (expected == NULL) {
        fprintf(stderr, "bench_lin: cannot open %s\n", path);
        return 2;
    }
    static struct file_result results[FILES_MAX];
    size_t count = 0, mismatches = 0;
    uint64_t states = 0;
    uint64_t prefix_checks = 0;
    char name[64], want[64];
    double start = bench_wall_s();
    while (count < FILES_MAX && fscanf(expected, "%63s %63s", name, want) == 2) {
        struct file_result *r = &results[count++];
        if (!check_file(dir, name, false, r, &prefix_checks)) return 2;
        bool lin = strcmp(want, "linearizable") == 0;
        if (strcmp(r->result, lin ? "linearizable" : "not_linearizable") != 0) mismatches++;
        states += r->states;
    }
    double total_s = bench_wall_s() - start;
    /* Again, with the shortest failing prefixes. */
    double prefix_start = bench_wall_s();
    for (size_t i = 0; i < count; i++) {
        struct file_result again;
        if (!check_file(dir, results[i].name, true, &again, &prefix_checks)) return 2;
        if (strcmp(again.result, results[i].result) != 0) mismatches++;
    }
    double prefix_s = bench_wall_s() - prefix_start;
    fclose(expected);
    printf("bench=lin histories=%zu wall_s=%.3f states=%" PRIu64 " mismatches=%zu\n", count,
           total_s, states, mismatches);
    printf("bench=lin_prefix histories=%zu wall_s=%.3f prefix_checks=%" PRIu64 "\n", count,
           prefix_s, prefix_checks);
    qsort(results, count, sizeof *results, by_time_desc);
    for (size_t i = 0; i < count && i < SLOWEST_SHOWN; i++) {
        printf("bench=lin_file file=%s result=%s states=%" PRIu64 " wall_ms=%.2f\n",
               results[i].name, results[i].result, results[i].states, results[i].wall_s * 1e3);
    }
    return mismatches == 0 ? 0 : 1;
}
