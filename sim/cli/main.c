/*
 * faultline: the command line.
 *
 * Exit status, for every command: 0 every check held, 1 a check failed, 2 bad
 * input or usage, 3 an internal error (an engine assertion or a crash, which is
 * a bug in faultline or in a model: the message says which seed to replay).
 *
 * The CLI is the only part of faultline that reads the host clock, and only to
 * report how long a run took.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage_main(FILE *out) {
    fprintf(out,
            "faultline %s: a deterministic distributed-system simulator\n"
            "\n"
            "usage: faultline COMMAND [ARGS]\n"
            "\n"
            "commands:\n"
            "  run SCENARIO [--seed N] [--trace FILE] [--json]\n"
            "                       run one seed of a scenario and check it\n"
            "  sweep SCENARIO --seeds A..B [-j N] [--out FILE]\n"
            "                       run many seeds in parallel, isolated, and report failures\n"
            "  replay SCENARIO --seed N [--trace FILE]\n"
            "                       re-run one seed of a sweep, bit for bit, with its trace\n"
            "  merge REPORT...      combine sweep reports (shards) into one summary\n"
            "  lin HISTORY [--model register|kv] [--format jepsen|jsonl] [--json]\n"
            "                       check a recorded history for linearizability\n"
            "  export TRACE --format perfetto|svg OUT\n"
            "                       write a trace for ui.perfetto.dev, or as an SVG diagram\n"
            "  viz TRACE [--screenshot OUT.png --at TIME]\n"
            "                       show a trace: the cluster and a space-time diagram\n"
            "  list                 list the built-in models, their variants and parameters\n"
            "  help [COMMAND]       show help for a command\n"
            "  version              print the version\n"
            "\n"
            "exit status: 0 every check held, 1 a check failed, 2 bad input or usage,\n"
            "3 internal error.\n"
            "\n"
            "Start with:  faultline sweep scenarios/echo/partition.json --seeds 1..1000\n",
            FL_VERSION);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage_main(stderr);
        return FL_EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
        usage_main(stdout);
        return FL_EXIT_OK;
    }
    if (strcmp(command, "help") == 0) {
        if (argc >= 3 && strcmp(argv[2], "run") == 0) {
            cli_run_usage(stdout);
        } else if (argc >= 3 && strcmp(argv[2], "list") == 0) {
            cli_list_usage(stdout);
        } else if (argc >= 3 && strcmp(argv[2], "sweep") == 0) {
            cli_sweep_usage(stdout);
        } else if (argc >= 3 && strcmp(argv[2], "replay") == 0) {
            cli_replay_usage(stdout);
        } else if (argc >= 3 && strcmp(argv[2], "merge") == 0) {
            cli_merge_usage(stdout);
        } else if (argc >= 3 && strcmp(argv[2], "lin") == 0) {
            cli_lin_usage(stdout);
        } else if (argc >= 3 && strcmp(argv[2], "export") == 0) {
            cli_export_usage(stdout);
        } else if (argc >= 3 && strcmp(argv[2], "viz") == 0) {
            cli_viz_usage(stdout);
        } else {
            usage_main(stdout);
        }
        return FL_EXIT_OK;
    }
    if (strcmp(command, "version") == 0 || strcmp(command, "--version") == 0) {
        printf("faultline %s\n", FL_VERSION);
        return FL_EXIT_OK;
    }
    if (strcmp(command, "run") == 0) return cli_run(argc - 2, argv + 2);
    if (strcmp(command, "list") == 0) return cli_list(argc - 2, argv + 2);
    if (strcmp(command, "sweep") == 0) return cli_sweep(argc - 2, argv + 2);
    if (strcmp(command, "replay") == 0) return cli_replay(argc - 2, argv + 2);
    if (strcmp(command, "merge") == 0) return cli_merge(argc - 2, argv + 2);
    if (strcmp(command, "lin") == 0) return cli_lin(argc - 2, argv + 2);
    if (strcmp(command, "export") == 0) return cli_export(argc - 2, argv + 2);
    if (strcmp(command, "viz") == 0) return cli_viz(argc - 2, argv + 2);
    fprintf(stderr, "faultline: unknown command \"%s\"; run `faultline --help` for the list\n",
            command);
    return FL_EXIT_USAGE;
}
