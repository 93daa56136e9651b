/*
 * bench: what the benchmark programs share. Header only, so that each
 * benchmark stays one program built from one file (tests/CMakeLists.txt).
 */
#ifndef FL_TESTS_BENCH_H
#define FL_TESTS_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "faultline/faultline.h"

/* Seconds on the host's monotonic clock. A benchmark measures host time,
 * which nothing in sim/ or models/ may read. */
static inline double bench_wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A scenario file loaded with `models`; on an error, the parser's message
 * after the program's name on stderr, and exit status 2 (bad input). */
static inline struct fl_scenario *bench_load(const char *program, const char *path,
                                             const struct fl_model *const *models) {
    struct fl_error error;
    struct fl_scenario *scenario = fl_scenario_load(path, models, &error);
    if (scenario == NULL) {
        fprintf(stderr, "%s: %s\n", program, error.message);
        exit(2);
    }
    return scenario;
}

#endif /* FL_TESTS_BENCH_H */
