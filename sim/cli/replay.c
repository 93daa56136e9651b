/*
 * faultline replay: one seed again, bit for bit, with its whole trace.
 *
 * A sweep reports a failing seed with its result, its fingerprint and the
 * command that replays it. replay runs that seed in this process exactly as
 * `run` does (the same function, cli_run_seed in run.c), so it prints the same
 * lines the sweep recorded, and it writes the trace by default: the point of
 * replaying is to look at what happened. The default name carries the seed,
 * trace-SEED.jsonl, so replaying several seeds in one directory keeps them
 * apart; like run's, the file is written to FILE.tmp and renamed when
 * complete, so a crash never leaves a truncated trace under the real name.
 *
 * --expect-fingerprint turns "it failed again" into "it is the same run". A
 * replay that fails differently from the recorded run would send its user
 * debugging the wrong thing, so a mismatch is a failure (exit 1) and says why
 * it happens: another build, another scenario file, another budget, or a
 * nondeterministic model, which --check-determinism tells apart.
 *
 * Parsing is stricter than run's: --seed is required (a replay of "whatever
 * seed 1 does" is a mistake), and a flag given twice is an error rather than
 * last-one-wins, since a pasted command with a second --seed is ambiguous.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, for --viz */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void cli_replay_usage(FILE *out) {
    fprintf(out,
            "usage: faultline replay SCENARIO --seed N [--trace FILE | --no-trace]\n"
            "                        [--expect-fingerprint HEX] [--json] [--check-determinism]\n"
            "                        [--events-max N] [--history FILE]\n"
            "                        [--events-max N] [--viz]\n"
            "\n"
            "Re-runs one seed of a scenario exactly as `faultline run` does, prints the same\n"
            "report, and writes the run's whole trace.\n"
            "\n"
            "  --seed N                  the seed to replay (required)\n"
            "  --trace FILE              write the trace to FILE (default: trace-SEED.jsonl in\n"
            "                            the current directory); written whole or not at all\n"
            "  --no-trace                write no trace\n"
            "  --expect-fingerprint HEX  the fingerprint the sweep recorded (16 hex digits); if\n"
            "                            this run's differs, the replay does not reproduce the\n"
            "                            recorded run: say so and exit 1\n"
            "  --json                    print the result as one JSON object, as run --json\n"
            "  --check-determinism       run the seed twice with the host's stack and heap\n"
            "                            perturbed in between; different fingerprints fail\n"
            "                            the replay and name the first event that differs\n"
            "  --events-max N            event budget, as the recorded run had it\n"
            "  --history FILE            write the clients' operation history as JSON Lines,\n"
            "                            for `faultline lin --model kv FILE`\n"
            "  --viz                     then show the trace in a window (faultline viz); with\n"
            "                            no --trace it goes to a temporary file, removed after\n"
            "\n"
            "exit status: 0 every check held (and the fingerprint is the expected one), 1 a\n"
            "check failed, the run is nondeterministic, or the fingerprint differs, 2 bad\n"
            "input or usage, 3 internal error.\n");
}

struct replay_args {
    const char *scenario_path;
    const char *trace_path; /* --trace FILE; NULL for the default */
    const char *history_path; /* --history FILE; NULL for none */
    uint64_t seed;
    uint64_t events_max;
    uint64_t expected_fingerprint;
    bool has_seed;
    bool has_events_max;
    bool has_expected;
    bool no_trace;
    bool json;
    bool check_determinism;
    bool viz;
};

static int usage_error(const char *format, const char *detail) {
    fprintf(stderr, "faultline replay: ");
    fprintf(stderr, format, detail);
    fprintf(stderr, "\nrun `faultline replay --help` for usage\n");
    return FL_EXIT_USAGE;
}

/* Exactly 16 hex digits, as run and sweep print a fingerprint. */
static bool parse_fingerprint(const char *text, uint64_t *out) {
    uint64_t value = 0;
    size_t i = 0;
    for (; text[i] != '\0'; i++) {
        char c = text[i];
        unsigned digit;
        if (c >= '0' && c <= '9') {
            digit = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            digit = (unsigned)(c - 'A' + 10);
        } else {
            return false;
        }
        if (i >= 16) return false;
        value = value << 4 | digit;
    }
    if (i != 16) return false;
    *out = value;
    return true;
}

/* A flag that sets a boolean; false if `arg` is not one. */
static bool boolean_flag(const char *arg, struct replay_args *args, bool **target) {
    if (strcmp(arg, "--json") == 0) {
        *target = &args->json;
    } else if (strcmp(arg, "--check-determinism") == 0) {
        *target = &args->check_determinism;
    } else if (strcmp(arg, "--no-trace") == 0) {
        *target = &args->no_trace;
    } else if (strcmp(arg, "--viz") == 0) {
        *target = &args->viz;
    } else {
        return false;
    }
    return true;
}

/* A flag that takes a value. Returns FL_EXIT_OK, or the usage error. */
static int value_flag(const char *arg, const char *value, struct replay_args *args) {
    if (strcmp(arg, "--trace") == 0 || strcmp(arg, "--history") == 0) {
        const char **target = arg[2] == 't' ? &args->trace_path : &args->history_path;
        if (*target != NULL) return usage_error("%s given twice", arg);
        if (value[0] == '\0') return usage_error("%s needs a file name", arg);
        *target = value;
    } else if (strcmp(arg, "--expect-fingerprint") == 0) {
        if (args->has_expected) return usage_error("%s given twice", arg);
        if (!parse_fingerprint(value, &args->expected_fingerprint)) {
            return usage_error("--expect-fingerprint expects 16 hex digits (as run and sweep "
                               "print a fingerprint), got \"%s\"",
                               value);
        }
        args->has_expected = true;
    } else {
        bool is_seed = strcmp(arg, "--seed") == 0;
        bool *had = is_seed ? &args->has_seed : &args->has_events_max;
        uint64_t *target = is_seed ? &args->seed : &args->events_max;
        if (*had) return usage_error("%s given twice", arg);
        if (!cli_parse_u64(value, target)) {
            return usage_error(is_seed ? "--seed expects a non-negative integer, got \"%s\""
                                       : "--events-max expects a positive integer, got \"%s\"",
                               value);
        }
        if (!is_seed && *target == 0) return usage_error("%s must be at least 1", arg);
        *had = true;
    }
    return FL_EXIT_OK;
}

static bool takes_value(const char *arg) {
    return strcmp(arg, "--seed") == 0 || strcmp(arg, "--trace") == 0 ||
           strcmp(arg, "--history") == 0 ||
           strcmp(arg, "--expect-fingerprint") == 0 || strcmp(arg, "--events-max") == 0;
}

static int parse_one(int argc, char **argv, int *i, struct replay_args *args) {
    const char *arg = argv[*i];
    bool *flag = NULL;
    if (boolean_flag(arg, args, &flag)) {
        if (*flag) return usage_error("%s given twice", arg);
        *flag = true;
        return FL_EXIT_OK;
    }
    if (takes_value(arg)) {
        if (*i + 1 >= argc) return usage_error("%s needs a value", arg);
        *i += 1;
        return value_flag(arg, argv[*i], args);
    }
    if (arg[0] == '-' && arg[1] != '\0') return usage_error("unknown option \"%s\"", arg);
    if (args->scenario_path != NULL) {
        return usage_error("unexpected argument \"%s\" (one scenario per replay)", arg);
    }
    args->scenario_path = arg;
    return FL_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct replay_args *args) {
    memset(args, 0, sizeof *args);
    for (int i = 0; i < argc; i++) {
        int status = parse_one(argc, argv, &i, args);
        if (status != FL_EXIT_OK) return status;
    }
    if (args->scenario_path == NULL) return usage_error("%s", "missing SCENARIO file");
    if (!args->has_seed) {
        return usage_error("%s", "missing --seed N (the seed to replay, as the sweep reported it)");
    }
    if (args->no_trace && args->trace_path != NULL) {
        return usage_error("%s", "--trace and --no-trace contradict each other");
    }
    if (args->viz && (args->no_trace || args->json)) {
        return usage_error("--viz shows the trace: it cannot go with %s",
                           args->no_trace ? "--no-trace" : "--json");
    }
    return FL_EXIT_OK;
}

/* ---- after the run -------------------------------------------------------- */

/* Writes `path` for a shell: as it is when it needs no quoting, else in
 * single quotes with ' written as '\''. */
static void print_quoted(const char *path) {
    bool plain = path[0] != '\0' && path[0] != '-';
    for (const char *p = path; *p && plain; p++) {
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,",
                       *p) != NULL;
    }
    if (plain) {
        fputs(path, stdout);
        return;
    }
    putchar('\'');
    for (const char *p = path; *p; p++) {
        if (*p == '\'') {
            fputs("'\\''", stdout);
        } else {
            putchar(*p);
        }
    }
    putchar('\'');
}

static void print_trace_hints(const char *trace_path, const struct fl_result *r) {
    printf("trace        ");
    print_quoted(trace_path);
    printf(": %llu events, one JSON object per line (docs/trace-format.md)\n",
           (unsigned long long)r->events);
    printf("  violations:         grep '\"kind\":\"violation\"' ");
    print_quoted(trace_path);
    printf("\n");
    uint64_t event = r->violation_count > 0 ? r->violations[0].event_id : 0;
    if (event > 0) { /* event line N holds record N; view lines carry no id */
        printf("  the 20 before it:   grep '^{\"id\":' ");
        print_quoted(trace_path);
        printf(" | head -n %llu | tail -n 20\n", (unsigned long long)event);
    }
    printf("  in the visualizer:  faultline viz ");
    print_quoted(trace_path);
    printf(" --at violation\n");
    printf("  one node's events:  grep '\"node\":\"n1\"' ");
    print_quoted(trace_path);
    printf("\n");
}

static void print_not_reproduced(const struct replay_args *args, uint64_t fingerprint) {
    char command[1200], budget[48] = "";
    cli_replay_command(command, sizeof command, args->scenario_path, args->seed);
    if (args->has_events_max) {
        snprintf(budget, sizeof budget, " --events-max %llu", (unsigned long long)args->events_max);
    }
    fprintf(stderr,
            "\n"
            "faultline replay: *** this replay does NOT reproduce the recorded run ***\n"
            "  recorded fingerprint  %016llx  (--expect-fingerprint)\n"
            "  replayed fingerprint  %016llx\n"
            "The same build, scenario file, seed and budget always give the same\n"
            "fingerprint, so one of them differs from the recorded run's:\n"
            "  - a different build: the engine or the model changed since the run was recorded;\n"
            "  - a different scenario file: edited since, or another file of the same name;\n"
            "  - a different budget: the recorded run had another --events-max;\n"
            "  - or the model is nondeterministic; find out with\n"
            "      %s%s --check-determinism\n",
            (unsigned long long)args->expected_fingerprint, (unsigned long long)fingerprint,
            command, budget);
}

static bool wants_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return true;
    }
    return false;
}

int cli_replay(int argc, char **argv) {
    if (wants_help(argc, argv)) {
        cli_replay_usage(stdout);
        return FL_EXIT_OK;
    }
    struct replay_args args;
    int status = parse_args(argc, argv, &args);
    if (status != FL_EXIT_OK) return status;
    char default_trace[64];
    snprintf(default_trace, sizeof default_trace, "trace-%llu.jsonl",
             (unsigned long long)args.seed);
    /* --viz without --trace: a temporary file, shown, then removed. */
    char viz_trace[4096] = "";
    if (args.viz && args.trace_path == NULL) {
        const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
        snprintf(viz_trace, sizeof viz_trace, "%s/faultline-trace-XXXXXX", dir);
        int fd = mkstemp(viz_trace);
        if (fd < 0) {
            fprintf(stderr, "faultline replay: cannot make a temporary trace file in %s\n", dir);
            return FL_EXIT_USAGE;
        }
        close(fd);
        args.trace_path = viz_trace;
    }
    struct cli_seed_request request = {
        .command = "replay",
        .scenario_path = args.scenario_path,
        .trace_path = args.no_trace     ? NULL
                      : args.trace_path ? args.trace_path
                                        : default_trace,
        .history_path = args.history_path,
        .seed = args.seed,
        .events_max = args.events_max,
        .json = args.json,
        .check_determinism = args.check_determinism,
        .expect_fingerprint = args.has_expected,
        .expected_fingerprint = args.expected_fingerprint,
    };
    struct cli_seed_outcome outcome;
    status = cli_run_seed(&request, &outcome);
    if (!outcome.ran) {
        if (viz_trace[0] != '\0') remove(viz_trace);
        return status;
    }
    if (!args.json && outcome.trace_written && viz_trace[0] == '\0') {
        print_trace_hints(request.trace_path, &outcome.result);
    }
    fflush(stdout);
    if (!outcome.reproduced) print_not_reproduced(&args, outcome.result.fingerprint);
    if (args.viz && outcome.trace_written) {
        char title[600];
        snprintf(title, sizeof title, "%s seed %llu", args.scenario_path,
                 (unsigned long long)args.seed);
        int shown = cli_viz_open(request.trace_path, title);
        if (shown != FL_EXIT_OK) status = shown;
    }
    if (viz_trace[0] != '\0') remove(viz_trace);
    return status;
}
