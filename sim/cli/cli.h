/*
 * cli: the faultline command's pieces, one file per command plus shared helpers
 * (argument parsing, atomic files, the crash handler, result printing).
 */
#ifndef FL_CLI_H
#define FL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "faultline/faultline.h"

enum {
    FL_EXIT_OK = 0,
    FL_EXIT_FAIL = 1,
    FL_EXIT_USAGE = 2,
    FL_EXIT_INTERNAL = 3,
};

/* Commands: one file each. */
int cli_run(int argc, char **argv); /* run.c */
void cli_run_usage(FILE *out);
int cli_list(int argc, char **argv); /* list.c */
void cli_list_usage(FILE *out);
int cli_sweep(int argc, char **argv); /* sweep.c */
void cli_sweep_usage(FILE *out);
int cli_merge(int argc, char **argv); /* merge.c */
void cli_merge_usage(FILE *out);
int cli_replay(int argc, char **argv); /* replay.c */
void cli_replay_usage(FILE *out);
int cli_lin(int argc, char **argv); /* lin.c */
void cli_lin_usage(FILE *out);
int cli_export(int argc, char **argv); /* export.c */
void cli_export_usage(FILE *out);
int cli_viz(int argc, char **argv); /* viz.c */
void cli_viz_usage(FILE *out);
/* Loads and shows a trace in a window (replay --viz); an exit status. */
int cli_viz_open(const char *trace_path, const char *title);

/* determinism.c: --check-determinism, shared by run, replay and sweep.
 *
 * Runs the seed twice in this process with the host's state perturbed between
 * the runs (the stack painted with a different byte and entered at a different
 * depth, the heap shifted), so a model that reads uninitialized memory or
 * depends on an address sees different values; compares the fingerprints and,
 * if they differ, runs both again with traces and finds the first record that
 * differs. */
#define CLI_DIVERGENCE_LINE_MAX 512
struct cli_divergence {
    uint64_t fingerprint_first;
    uint64_t fingerprint_second;
    uint64_t event_id;                          /* first record that differs; 0 if none found */
    char line_first[CLI_DIVERGENCE_LINE_MAX];   /* that record in each run's trace */
    char line_second[CLI_DIVERGENCE_LINE_MAX];
};
/* True if the two runs agree; result gets the first run's result either way. */
bool cli_check_determinism(const struct fl_scenario *scenario,
                           const struct fl_run_options *options, struct fl_result *result,
                           struct cli_divergence *divergence);
/* The same, handing over the first run's simulation (for its assertion counts)
 * instead of destroying it; the caller destroys it. The runs are the same as
 * cli_check_determinism's, so both flag the same seeds. */
bool cli_check_determinism_keep(const struct fl_scenario *scenario,
                                const struct fl_run_options *options, struct fl_result *result,
                                struct cli_divergence *divergence, struct fl_sim **first_sim);
/* Prints a divergence for a human, naming the scenario and seed. */
void cli_print_divergence(FILE *out, const char *scenario_path, uint64_t seed,
                          const struct cli_divergence *divergence);

/* run.c: one seed of one scenario, as `run` and `replay` do it: load, trace
 * (written atomically), run or check determinism, print the report (human or
 * --json), return the exit status. */
struct cli_seed_request {
    const char *command;       /* "run" or "replay", for messages */
    const char *scenario_path;
    const char *trace_path;    /* NULL: no trace */
    const char *history_path;  /* NULL: no history file (written atomically too) */
    uint64_t seed;
    uint64_t events_max;       /* 0: the scenario's budget */
    bool json;
    bool check_determinism;
    bool expect_fingerprint;   /* compare the fingerprint with expected_fingerprint */
    uint64_t expected_fingerprint;
};
struct cli_seed_outcome {
    struct fl_result result;   /* the run's (run 1's under check_determinism) */
    bool ran;                  /* false: bad input or an internal error, nothing ran */
    bool nondeterministic;     /* check_determinism found a divergence */
    bool reproduced;           /* the fingerprint is the expected one (or none expected) */
    bool trace_written;        /* the trace file is complete, under its name */
    bool history_written;      /* the history file is complete, under its name */
};
int cli_run_seed(const struct cli_seed_request *request, struct cli_seed_outcome *outcome);

/* Strict numbers: the whole text must be a decimal integer in range. */
bool cli_parse_u64(const char *text, uint64_t *out);

/* Monotonic host time, for reporting durations only. */
uint64_t cli_wall_ns(void);

/* A file written in full or not at all: data goes to PATH.tmp, renamed over PATH
 * on commit. */
struct cli_atomic_file {
    FILE *file;
    char *path;
    char *tmp_path;
};
bool cli_atomic_open(struct cli_atomic_file *f, const char *path);
bool cli_atomic_commit(struct cli_atomic_file *f); /* closes; false on a write error */
void cli_atomic_abort(struct cli_atomic_file *f);  /* closes and removes the temporary */

/* From here on, a crash (SIGSEGV, SIGABRT from a failed assertion, ...) prints
 * `context` and exits with status 3 instead of dumping core. If remove_path is
 * not NULL, that file (a half-written temporary) is removed first. */
void cli_crash_handler_install(const char *context, const char *remove_path);

/* The command that replays a run ("faultline replay SCENARIO --seed N"),
 * shell-quoted where needed. */
void cli_replay_command(char *out, size_t out_size, const char *scenario_path, uint64_t seed);

#endif /* FL_CLI_H */
