/*
 * bench_viz: how fast the visualizer loads a large trace and draws a frame.
 *
 * Writes the trace of a long run of scenarios/gossip/mesh.json (five servers
 * gossiping over a jittery, lossy network with an isolation, a one-way link
 * and a hold), cut by the event budget at EVENTS records, to a temporary
 * file; loads it with fl_tf_load, timed; then renders frames headless (into
 * a 1280x800 pixel buffer, as a screenshot and the window do) at
 * FRAMES scrub positions spread over the run, in the default window, and a
 * few with the window zoomed out to the whole run (FL_VIZ_DRAW_MAX caps what
 * a frame draws). Prints one line:
 *
 *   bench=viz events=... bytes=... load_s=... frame_ms_median=... frame_ms_max=...
 *
 * usage: bench_viz [--quick] [--scenarios DIR]
 *   --quick: 100,000 events and 20 frames (a smoke run for CI).
 * Targets (docs/performance.md): load under 2 s, a frame under 16.7 ms.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faultline/faultline.h"
#include "models/registry.h"
#include "trace_file.h"
#include "viz.h"

/* Frames and the load are timed in this process's CPU time: the machines
 * this runs on are shared, and wall time there measures the neighbours. The
 * load's wall time is printed too (load_wall_s): it adds reading the file. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *scenarios = "scenarios";
    uint64_t events = 1000000;
    int frames = 200;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            events = 100000;
            frames = 20;
        } else if (strcmp(argv[i], "--scenarios") == 0 && i + 1 < argc) {
            scenarios = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_viz [--quick] [--scenarios DIR]\n");
            return 2;
        }
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/gossip/mesh.json", scenarios);
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        fprintf(stderr, "bench_viz: cannot open %s\n", path);
        return 2;
    }
    static char text[65536];
    size_t size = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[size] = '\0';
    /* Its 10 s make about 100,000 events: run it 999 s (the same length of text), cut by the
     * budget. */
    char *duration = strstr(text, "\"duration\": \"10s\"");
    if (duration == NULL) {
        fprintf(stderr, "bench_viz: %s has no \"duration\": \"10s\" to lengthen\n", path);
        return 2;
    }
    memcpy(duration, "\"duration\":\"999s\"", strlen("\"duration\":\"999s\""));
    struct fl_error error = {{0}};
    struct fl_scenario *scenario = fl_scenario_parse(text, size, path, fl_models_builtin, &error);
    if (scenario == NULL) {
        fprintf(stderr, "bench_viz: %s\n", error.message);
        return 2;
    }
    /* The budget stops the run at `events` records (the scenario's 10 s are
     * far fewer: it is run long by the budget's own violation). */
    char trace_path[] = "bench_viz_trace.jsonl";
    FILE *out = fopen(trace_path, "w");
    if (out == NULL) return 2;
    struct fl_run_options options = {.seed = 1, .trace = out, .events_max = events - 2};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    struct fl_result result;
    fl_sim_run(sim, &result);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
    long bytes = ftell(out);
    fclose(out);

    static struct fl_trace_file trace;
    double t0 = now_s(), w0 = wall_s();
    if (!fl_tf_load(&trace, trace_path, &error)) {
        fprintf(stderr, "bench_viz: %s\n", error.message);
        return 1;
    }
    double load_s = now_s() - t0, load_wall_s = wall_s() - w0;

    uint32_t *pixels = calloc((size_t)1280 * 800, sizeof *pixels);
    if (pixels == NULL) return 1;
    struct fl_viz viz;
    fl_viz_init(&viz, &trace, "bench", 1280, 800);
    double *ms = malloc(sizeof *ms * (size_t)(frames + 8));
    int n = 0;
    for (int i = 0; i < frames; i++) { /* scrub across the run, out of order */
        uint64_t at = (uint64_t)((double)trace.end_ns * ((i * 37) % frames) / frames);
        fl_viz_seek(&viz, at);
        double f0 = now_s();
        fl_viz_render(&viz, pixels, 1280);
        ms[n++] = (now_s() - f0) * 1000;
    }
    fl_viz_zoom(&viz, -40); /* the whole run in the window */
    for (int i = 0; i < 4; i++) {
        fl_viz_seek(&viz, trace.end_ns / 4 * (uint64_t)i);
        double f0 = now_s();
        fl_viz_render(&viz, pixels, 1280);
        ms[n++] = (now_s() - f0) * 1000;
    }
    double whole_ms_max = 0;
    for (int i = frames; i < n; i++)
        whole_ms_max = ms[i] > whole_ms_max ? ms[i] : whole_ms_max;
    double first_ms = ms[0];
    qsort(ms, (size_t)n, sizeof *ms, compare_double); /* after the figures in order */
    printf("bench=viz events=%llu bytes=%ld messages=%u load_s=%.3f load_wall_s=%.3f frames=%d "
           "frame_ms_median=%.2f "
           "frame_ms_max=%.2f frame_ms_first=%.2f frame_ms_whole_run_max=%.2f\n",
           (unsigned long long)trace.event_count, bytes, trace.message_count, load_s, load_wall_s,
           n, ms[n / 2], ms[n - 1], first_ms, whole_ms_max);
    free(ms);
    fl_viz_deinit(&viz);
    free(pixels);
    fl_tf_free(&trace);
    remove(trace_path);
    return 0;
}
