/*
 * faultline viz: a trace in a window (SDL2), or one frame of it as a PNG.
 *
 * The window needs a display; --screenshot renders with SDL's software
 * renderer onto a surface and needs none, so the same frame can be made on a
 * CI machine, in a test, or for the documentation. The frame a screenshot
 * shows is the one the window shows at the same time, size and selection.
 *
 * Times (--at, --span) are nanoseconds or durations as in scenarios ("12ms",
 * "1.5s"); --at also takes "violation" (the first one) and "end".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trace_file.h"
#include "units.h"
#include "viz.h"

void cli_viz_usage(FILE *out) {
    fprintf(out, "usage: faultline viz TRACE [--at TIME] [--span TIME] [--size WxH]\n"
                 "                     [--node NAME | --message SEND_ID [--filter]]\n"
                 "                     [--screenshot OUT.png]\n"
                 "\n"
                 "Shows a trace (faultline run --trace, faultline replay) in a window: the\n"
                 "cluster with its messages in flight, and a space-time diagram below.\n"
                 "Keys: space play/pause, +/- speed, left/right step one event, [/] zoom,\n"
                 "v the violation, f the next fault, t filter to the selected message's trace,\n"
                 "Esc clear, q quit; click a node or a message for its details, click or drag\n"
                 "the time axis to scrub. docs/visualizer.md has the rest.\n"
                 "\n"
                 "  --at TIME          start at TIME: nanoseconds, a duration (\"12ms\"),\n"
                 "                     \"violation\" or \"end\" (default 0)\n"
                 "  --span TIME        the space-time diagram's window width\n"
                 "  --size WxH         window or image size in pixels (default 1280x800)\n"
                 "  --node NAME        select a node (n1, c2): its state and last events\n"
                 "  --message SEND_ID  select the message sent by event SEND_ID\n"
                 "  --filter           show only the selected message's trace (or request)\n"
                 "  --screenshot OUT   render one frame to OUT (PNG, or BMP if it ends in .bmp)\n"
                 "                     without opening a window; needs no display\n"
                 "  --frames N         close the window after N frames (for tests: it then also\n"
                 "                     runs on SDL's offscreen driver, which shows nothing)\n"
                 "\n"
                 "exit status: 0 shown (or written), 2 bad input or usage (a malformed trace\n"
                 "names its line), 3 internal error.\n");
}

struct viz_args {
    const char *trace_path;
    const char *screenshot;
    const char *at;
    const char *span;
    const char *node;
    uint64_t message;
    uint64_t frames;
    int width, height;
    bool filter;
};

static int usage_error(const char *format, const char *detail) {
    fprintf(stderr, "faultline viz: ");
    fprintf(stderr, format, detail);
    fprintf(stderr, "\nrun `faultline viz --help` for usage\n");
    return FL_EXIT_USAGE;
}

static bool parse_size(const char *text, int *width, int *height) {
    char *end = NULL;
    long w = strtol(text, &end, 10);
    if (end == text || (*end != 'x' && *end != 'X')) return false;
    const char *h_text = end + 1;
    long h = strtol(h_text, &end, 10);
    if (end == h_text || *end != '\0') return false;
    if (w < 640 || w > 8192 || h < 400 || h > 8192) return false;
    *width = (int)w;
    *height = (int)h;
    return true;
}

static const char **value_target(const char *arg, struct viz_args *args) {
    if (strcmp(arg, "--screenshot") == 0) return &args->screenshot;
    if (strcmp(arg, "--at") == 0) return &args->at;
    if (strcmp(arg, "--span") == 0) return &args->span;
    if (strcmp(arg, "--node") == 0) return &args->node;
    return NULL;
}

static int parse_args(int argc, char **argv, struct viz_args *args) {
    memset(args, 0, sizeof *args);
    args->width = 1280;
    args->height = 800;
    bool had_size = false, had_message = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char **target = value_target(arg, args);
        bool takes = target != NULL || strcmp(arg, "--size") == 0 ||
                     strcmp(arg, "--message") == 0 || strcmp(arg, "--frames") == 0;
        if (takes && i + 1 >= argc) return usage_error("%s needs a value", arg);
        if (target != NULL) {
            if (*target != NULL) return usage_error("%s given twice", arg);
            if (argv[i + 1][0] == '\0') return usage_error("%s needs a value", arg);
            *target = argv[++i];
        } else if (strcmp(arg, "--size") == 0) {
            if (had_size) return usage_error("%s given twice", arg);
            if (!parse_size(argv[++i], &args->width, &args->height)) {
                return usage_error("--size expects WIDTHxHEIGHT, 640x400 to 8192x8192, got \"%s\"",
                                   argv[i]);
            }
            had_size = true;
        } else if (strcmp(arg, "--message") == 0) {
            if (had_message) return usage_error("%s given twice", arg);
            if (!cli_parse_u64(argv[++i], &args->message) || args->message == 0) {
                return usage_error("--message expects the id of a send event, got \"%s\"", argv[i]);
            }
            had_message = true;
        } else if (strcmp(arg, "--frames") == 0) {
            if (args->frames != 0) return usage_error("%s given twice", arg);
            if (!cli_parse_u64(argv[++i], &args->frames) || args->frames == 0) {
                return usage_error("--frames expects a positive integer, got \"%s\"", argv[i]);
            }
        } else if (strcmp(arg, "--filter") == 0) {
            args->filter = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option \"%s\"", arg);
        } else if (args->trace_path != NULL) {
            return usage_error("unexpected argument \"%s\" (one trace at a time)", arg);
        } else {
            args->trace_path = arg;
        }
    }
    if (args->trace_path == NULL) return usage_error("%s", "missing TRACE file");
    if (args->node != NULL && had_message) {
        return usage_error("%s", "--node and --message select different things: give one");
    }
    if (args->filter && !had_message) return usage_error("%s", "--filter needs --message");
    if (args->frames != 0 && args->screenshot != NULL) {
        return usage_error("%s", "--frames is for the window, --screenshot makes none: give one");
    }
    return FL_EXIT_OK;
}

/* A time flag: nanoseconds, a duration, or (for --at) violation / end. */
static bool parse_time(const char *text, const struct fl_trace_file *trace, bool names_ok,
                       uint64_t *out) {
    if (names_ok && strcmp(text, "end") == 0) {
        *out = trace->end_ns;
        return true;
    }
    if (names_ok && strcmp(text, "violation") == 0) {
        if (trace->violation_count == 0) return false;
        *out = trace->violations[0].t_ns;
        return true;
    }
    if (cli_parse_u64(text, out)) return true;
    int64_t ns = 0;
    if (!fl_duration_parse(text, &ns) || ns < 0) return false;
    *out = (uint64_t)ns;
    return true;
}

/* Applies --at, --span and the selection; returns FL_EXIT_OK or the error. */
static int set_up_view(struct fl_viz *viz, const struct fl_trace_file *trace,
                       const struct viz_args *args) {
    if (args->span != NULL) {
        uint64_t span = 0;
        if (!parse_time(args->span, trace, false, &span) || span < 100) {
            return usage_error("--span expects a time of at least 100 ns (\"250ms\"), got \"%s\"",
                               args->span);
        }
        viz->span_ns = span;
    }
    if (args->at != NULL) {
        uint64_t at = 0;
        if (!parse_time(args->at, trace, true, &at)) {
            if (strcmp(args->at, "violation") == 0) {
                return usage_error("--at violation: %s has no violation", args->trace_path);
            }
            return usage_error("--at expects nanoseconds, a duration (\"12ms\"), \"violation\" "
                               "or \"end\", got \"%s\"",
                               args->at);
        }
        if (strcmp(args->at, "violation") == 0) {
            fl_viz_key(viz, SDLK_v);
        } else {
            fl_viz_seek(viz, at);
        }
    }
    fl_viz_zoom(viz, 0); /* place the window around the cursor */
    if (args->node != NULL && !fl_viz_select_node(viz, args->node)) {
        return usage_error("--node: no node \"%s\" in this trace", args->node);
    }
    if (args->message != 0) {
        if (!fl_viz_select_message(viz, args->message)) {
            char id[32];
            snprintf(id, sizeof id, "%llu", (unsigned long long)args->message);
            return usage_error("--message: event %s is not a send in this trace", id);
        }
        if (args->filter) fl_viz_key(viz, SDLK_t);
    }
    return FL_EXIT_OK;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Loads and shows a trace: the window, or the screenshot when one is asked. */
static int show(const struct viz_args *args, const char *title) {
    static struct fl_trace_file trace; /* large: kept off the stack */
    struct fl_error error = {{0}};
    if (!fl_tf_load(&trace, args->trace_path, &error)) {
        fprintf(stderr, "faultline viz: %s\n", error.message);
        return FL_EXIT_USAGE;
    }
    struct fl_viz viz;
    fl_viz_init(&viz, &trace, title, args->width, args->height);
    int status = set_up_view(&viz, &trace, args);
    char message[512] = "";
    if (status == FL_EXIT_OK && args->screenshot != NULL) {
        if (!fl_viz_screenshot(&viz, args->screenshot, message, sizeof message)) {
            fprintf(stderr, "faultline viz: %s\n", message);
            status = FL_EXIT_USAGE;
        } else {
            char when[32];
            fl_viz_format_time(viz.t_ns, when, sizeof when);
            printf("screenshot   %s (%dx%d at %s, event %llu of %llu)\n", args->screenshot,
                   viz.width, viz.height, when, (unsigned long long)viz.event,
                   (unsigned long long)trace.event_count);
        }
    } else if (status == FL_EXIT_OK) {
        if (!fl_viz_run_window(&viz, args->frames, message, sizeof message)) {
            fprintf(stderr, "faultline viz: %s\n", message);
            status = FL_EXIT_USAGE;
        }
    }
    fl_viz_deinit(&viz);
    fl_tf_free(&trace);
    return status;
}

int cli_viz(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_viz_usage(stdout);
            return FL_EXIT_OK;
        }
    }
    struct viz_args args;
    int status = parse_args(argc, argv, &args);
    if (status != FL_EXIT_OK) return status;
    return show(&args, base_name(args.trace_path));
}

int cli_viz_open(const char *trace_path, const char *title) {
    struct viz_args args = {.trace_path = trace_path, .width = 1280, .height = 800};
    return show(&args, title);
}
