/*
 * faultline export: a trace file (faultline run --trace) as a Perfetto /
 * Chrome trace-event JSON file, or as an SVG space-time diagram
 * (viz/export.h, docs/exports.md).
 *
 * Exit status: 0 written; 2 bad usage, or a trace that cannot be read or is
 * malformed (the message names the file and line), or an output that cannot
 * be written; 3 internal error. The output is written to OUT.tmp and renamed
 * to OUT only when complete, so a failed export never leaves half a file
 * under OUT's name, nor replaces an earlier one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "export.h"
#include "trace_file.h"
#include "units.h"

enum export_format { FORMAT_NONE = 0, FORMAT_PERFETTO = 1, FORMAT_SVG = 2 };

void cli_export_usage(FILE *out) {
    fprintf(out,
            "usage: faultline export TRACE --format perfetto|svg OUT\n"
            "                        [--from TIME] [--to TIME] [--messages N]\n"
            "\n"
            "Writes a trace (faultline run --trace) for other tools.\n"
            "\n"
            "  --format perfetto  Chrome trace-event JSON: open OUT in https://ui.perfetto.dev\n"
            "                     (or chrome://tracing); a track per node, a slice per\n"
            "                     handler, an arrow per delivered message\n"
            "  --format svg       a space-time diagram: a lane per node, an arrow per message\n"
            "  --from TIME, --to TIME\n"
            "                     svg: draw only this window of simulated time (\"250ms\",\n"
            "                     \"1.5s\"); either may be left out\n"
            "  --messages N       svg without --from/--to: the first N message copies\n"
            "                     (default %u)\n"
            "\n"
            "exit status: 0 written, 2 bad usage or an unreadable or malformed trace,\n"
            "3 internal error.\n",
            FL_EXPORT_SVG_MESSAGES_DEFAULT);
}

struct export_args {
    const char *trace_path;
    const char *out_path;
    enum export_format format;
    bool from_set, to_set;
    uint64_t from_ns, to_ns;
    uint64_t messages_max;
};

static int usage_error(const char *format, const char *detail) {
    fprintf(stderr, "faultline export: ");
    fprintf(stderr, format, detail);
    fprintf(stderr, "\nrun `faultline export --help` for usage\n");
    return FL_EXIT_USAGE;
}

static bool parse_time(const char *text, uint64_t *out_ns) {
    int64_t ns = 0;
    if (!fl_duration_parse(text, &ns) || ns < 0) return false;
    *out_ns = (uint64_t)ns;
    return true;
}

/* Returns FL_EXIT_OK with args filled, or an exit status after a message. */
static int parse_args(int argc, char **argv, struct export_args *a) {
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--format") == 0 || strcmp(arg, "--from") == 0 ||
            strcmp(arg, "--to") == 0 || strcmp(arg, "--messages") == 0) {
            if (!has_value) return usage_error("%s needs a value", arg);
            const char *value = argv[++i];
            if (strcmp(arg, "--format") == 0) {
                if (strcmp(value, "perfetto") == 0)
                    a->format = FORMAT_PERFETTO;
                else if (strcmp(value, "svg") == 0)
                    a->format = FORMAT_SVG;
                else
                    return usage_error("unknown format \"%s\": expected perfetto or svg", value);
            } else if (strcmp(arg, "--messages") == 0) {
                if (!cli_parse_u64(value, &a->messages_max) || a->messages_max == 0 ||
                    a->messages_max > UINT32_MAX) {
                    return usage_error("--messages expects a count of at least 1, found \"%s\"",
                                       value);
                }
            } else {
                bool from = strcmp(arg, "--from") == 0;
                if (!parse_time(value, from ? &a->from_ns : &a->to_ns)) {
                    fprintf(stderr,
                            "faultline export: %s expects a simulated time such as "
                            "\"250ms\" or \"1.5s\", found \"%s\"\n",
                            arg, value);
                    return FL_EXIT_USAGE;
                }
                if (from)
                    a->from_set = true;
                else
                    a->to_set = true;
            }
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown flag \"%s\"", arg);
        } else if (a->trace_path == NULL) {
            a->trace_path = arg;
        } else if (a->out_path == NULL) {
            a->out_path = arg;
        } else {
            return usage_error("unexpected argument \"%s\": expected TRACE and OUT only", arg);
        }
    }
    if (a->trace_path == NULL)
        return usage_error("%s", "missing TRACE (a faultline run --trace file)");
    if (a->format == FORMAT_NONE) return usage_error("%s", "missing --format perfetto|svg");
    if (a->out_path == NULL) return usage_error("%s", "missing OUT, the file to write");
    bool window = a->from_set || a->to_set || a->messages_max != 0;
    if (a->format == FORMAT_PERFETTO && window) {
        return usage_error("%s", "--from, --to and --messages apply to --format svg only "
                                 "(Perfetto shows the whole run and zooms)");
    }
    if ((a->from_set || a->to_set) && a->messages_max != 0) {
        return usage_error("%s", "--messages applies only without --from/--to");
    }
    if (a->from_set && a->to_set && a->from_ns > a->to_ns) {
        return usage_error("%s", "--from must not be after --to");
    }
    if (strcmp(a->trace_path, a->out_path) == 0) {
        return usage_error("OUT \"%s\" is the trace itself", a->out_path);
    }
    return FL_EXIT_OK;
}

/* The file's last path component, for titles. */
static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

static bool write_export(const struct export_args *a, const struct fl_trace_file *trace,
                         FILE *out) {
    if (a->format == FORMAT_PERFETTO) {
        return fl_export_perfetto(trace, base_name(a->trace_path), out);
    }
    struct fl_export_svg_options options = {
        .window_set = a->from_set || a->to_set,
        .from_ns = a->from_set ? a->from_ns : 0,
        .to_ns = a->to_set ? a->to_ns : UINT64_MAX,
        .messages_max = (uint32_t)a->messages_max,
        .title = base_name(a->trace_path),
    };
    return fl_export_svg(trace, &options, out);
}

int cli_export(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_export_usage(stdout);
            return FL_EXIT_OK;
        }
    }
    struct export_args a;
    int status = parse_args(argc, argv, &a);
    if (status != FL_EXIT_OK) return status;

    struct fl_trace_file trace;
    struct fl_error error;
    if (!fl_tf_load(&trace, a.trace_path, &error)) {
        fprintf(stderr, "faultline export: %s\n", error.message);
        fl_tf_free(&trace);
        return FL_EXIT_USAGE;
    }
    if (a.from_set && a.from_ns > trace.end_ns) {
        char end[FL_DURATION_TEXT_MAX];
        fl_duration_format((int64_t)trace.end_ns, end, sizeof end);
        fprintf(stderr, "faultline export: --from is after the end of the run in %s (%s)\n",
                a.trace_path, end);
        fl_tf_free(&trace);
        return FL_EXIT_USAGE;
    }
    struct cli_atomic_file out;
    if (!cli_atomic_open(&out, a.out_path)) {
        fprintf(stderr, "faultline export: cannot write %s.tmp: %s\n", a.out_path, strerror(errno));
        fl_tf_free(&trace);
        return FL_EXIT_USAGE;
    }
    cli_crash_handler_install("faultline export: internal error", out.tmp_path);
    bool written = write_export(&a, &trace, out.file);
    fl_tf_free(&trace);
    if (!written) {
        cli_atomic_abort(&out);
        fprintf(stderr, "faultline export: writing %s failed (disk full?)\n", a.out_path);
        return FL_EXIT_USAGE;
    }
    if (!cli_atomic_commit(&out)) {
        fprintf(stderr, "faultline export: writing %s failed: %s\n", a.out_path, strerror(errno));
        return FL_EXIT_USAGE;
    }
    return FL_EXIT_OK;
}
