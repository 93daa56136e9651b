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

/* Commands. */
int cli_run(int argc, char **argv);
void cli_run_usage(FILE *out);
int cli_list(int argc, char **argv);
void cli_list_usage(FILE *out);

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

/* The command that replays a run, shell-quoted where needed. */
void cli_replay_command(char *out, size_t out_size, const char *scenario_path, uint64_t seed);

#endif /* FL_CLI_H */
