/*
 * faultline lin: check a recorded history for linearizability (sim/lin.h,
 * docs/linearizability.md).
 *
 * Exit status: 0 linearizable; 1 not linearizable, or unknown (the search
 * budget ran out: a sweep must not go green on a history nobody checked, so
 * "unknown" is a failure, printed as such); 2 bad input or usage; 3 internal
 * (out of memory, a crash).
 *
 * The format comes from --format, or else from the extension (.log: jepsen,
 * .jsonl: jsonl); guessing from the content is rejected, since a file that
 * looks like neither would be checked as the wrong thing with no error.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lin.h" /* the checker; sim/ is not on the CLI's include path */
#include "cli.h"

void cli_lin_usage(FILE *out) {
    fprintf(out,
            "usage: faultline lin HISTORY [--model register|kv] [--format jepsen|jsonl]\n"
            "                     [--json] [--budget N]\n"
            "\n"
            "Checks that a history of read, write and cas operations is linearizable; if\n"
            "it is not, also finds the shortest prefix of it that is already not.\n"
            "\n"
            "  --model register|kv    one register (default), or one register per key,\n"
            "                         each key checked on its own\n"
            "  --format jepsen|jsonl  the history's format; default from the extension\n"
            "                         (.log: jepsen, .jsonl: jsonl)\n"
            "  --json                 print the result as one JSON object\n"
            "  --budget N             search states at most (default %u); past it the\n"
            "                         result is \"unknown\"\n"
            "\n"
            "exit status: 0 linearizable, 1 not linearizable or unknown (budget exhausted),\n"
            "2 bad input or usage, 3 internal error.\n",
            FL_LIN_STATES_MAX_DEFAULT);
}

struct lin_args {
    const char *path;
    struct fl_lin_options options;
    enum fl_lin_format format;
    bool format_set;
    bool json;
};

static int usage_error(const char *format, const char *detail) {
    fprintf(stderr, "faultline lin: ");
    fprintf(stderr, format, detail);
    fprintf(stderr, "\nrun `faultline lin --help` for usage\n");
    return FL_EXIT_USAGE;
}

static bool ends_with(const char *text, const char *suffix) {
    size_t n = strlen(text);
    size_t m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

static int parse_flag(struct lin_args *args, const char *flag, const char *value) {
    if (value == NULL) return usage_error("%s needs a value", flag);
    if (strcmp(flag, "--budget") == 0) {
        if (!cli_parse_u64(value, &args->options.states_max) || args->options.states_max == 0) {
            return usage_error("--budget expects a positive integer, got \"%s\"", value);
        }
    } else if (strcmp(flag, "--model") == 0) {
        if (strcmp(value, "register") == 0)
            args->options.model = FL_LIN_MODEL_REGISTER;
        else if (strcmp(value, "kv") == 0)
            args->options.model = FL_LIN_MODEL_KV;
        else
            return usage_error("--model expects register or kv, got \"%s\"", value);
    } else {
        args->format_set = true;
        if (strcmp(value, "jepsen") == 0)
            args->format = FL_LIN_FORMAT_JEPSEN;
        else if (strcmp(value, "jsonl") == 0)
            args->format = FL_LIN_FORMAT_JSONL;
        else
            return usage_error("--format expects jepsen or jsonl, got \"%s\"", value);
    }
    return FL_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct lin_args *args) {
    memset(args, 0, sizeof *args);
    args->options.shortest_prefix = true; /* what a person debugging a failure asks first */
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--json") == 0) {
            args->json = true;
        } else if (strcmp(arg, "--budget") == 0 || strcmp(arg, "--model") == 0 ||
                   strcmp(arg, "--format") == 0) {
            int status = parse_flag(args, arg, i + 1 < argc ? argv[i + 1] : NULL);
            if (status != FL_EXIT_OK) return status;
            i++;
        } else if (arg[0] == '-') {
            return usage_error("unknown flag \"%s\"", arg);
        } else if (args->path != NULL) {
            return usage_error("unexpected argument \"%s\": one history at a time", arg);
        } else {
            args->path = arg;
        }
    }
    if (args->path == NULL) return usage_error("%s", "expected a HISTORY file");
    if (!args->format_set) {
        if (ends_with(args->path, ".log"))
            args->format = FL_LIN_FORMAT_JEPSEN;
        else if (ends_with(args->path, ".jsonl"))
            args->format = FL_LIN_FORMAT_JSONL;
        else
            return usage_error("cannot tell the format of \"%s\": pass --format", args->path);
    }
    return FL_EXIT_OK;
}

static void print_op(const struct fl_lin_history *h, size_t i, bool kv) {
    const struct fl_lin_op *op = &h->ops[i];
    char value[96];
    if (op->kind == FL_LIN_READ && op->value_out == FL_LIN_NIL)
        snprintf(value, sizeof value, "-> nil");
    else if (op->kind == FL_LIN_READ)
        snprintf(value, sizeof value, "-> %" PRId64, op->value_out);
    else if (op->kind == FL_LIN_WRITE)
        snprintf(value, sizeof value, "%" PRId64, op->value_in);
    else
        snprintf(value, sizeof value, "[%" PRId64 " %" PRId64 "]", op->value_in, op->value_to);
    const char *status = op->status == FL_LIN_OK     ? "ok"
                         : op->status == FL_LIN_FAIL ? "fail"
                                                     : "info";
    printf("    line %-6" PRIu32 " process %-4" PRIu64 " %-5s %-12s %-4s", op->invoke_line,
           op->process, fl_lin_kind_name((enum fl_lin_kind)op->kind), value, status);
    if (kv) printf(" key %" PRIu64, op->key);
    if (op->return_line != 0) {
        printf("  (%s line %" PRIu32 ")", op->status == FL_LIN_INFO ? "ended :info," : "returned",
               op->return_line);
    }
    printf("\n");
}

#define LIN_SHOW_MAX 10

/* The source line of history event `event` (an invoke or a return); 0 if none. */
static uint32_t event_line(const struct fl_lin_history *h, uint64_t event) {
    for (size_t i = 0; i < h->count; i++) {
        const struct fl_lin_op *op = &h->ops[i];
        if (op->invoke_index == event) return op->invoke_line;
        if (op->return_index == event) return op->return_line;
    }
    return 0;
}

static void print_human(const struct lin_args *args, const struct fl_lin_history *h,
                        const struct fl_lin_report *r, uint64_t wall_ns) {
    bool kv = args->options.model == FL_LIN_MODEL_KV;
    printf("%s: %s (model %s, %" PRIu64 " operations, %" PRIu64 " key%s, %" PRIu64
           " states, %.1f ms)\n",
           args->path, fl_lin_result_name(r->result), kv ? "kv" : "register", r->operations,
           r->partitions, r->partitions == 1 ? "" : "s", r->states_explored,
           (double)wall_ns / 1e6);
    if (r->result == FL_LIN_UNKNOWN) {
        printf("  the search budget (%" PRIu64
               " states) ran out before an answer; raise --budget\n",
               args->options.states_max != 0 ? args->options.states_max
                                             : (uint64_t)FL_LIN_STATES_MAX_DEFAULT);
    }
    if (r->result != FL_LIN_NOT_LINEARIZABLE) return;
    char state[32];
    if (r->state_after == FL_LIN_NIL)
        snprintf(state, sizeof state, "nil");
    else
        snprintf(state, sizeof state, "%" PRId64, r->state_after);
    if (kv) printf("  key %" PRIu64 ":", r->bad_key);
    printf("  the deepest partial linearization placed %zu operations, leaving the value %s\n",
           r->linearized_count, state);
    size_t from = r->linearized_count > LIN_SHOW_MAX ? r->linearized_count - LIN_SHOW_MAX : 0;
    if (r->linearized_count > 0)
        printf("  its last %zu operations, in order:\n", r->linearized_count - from);
    for (size_t i = from; i < r->linearized_count; i++)
        print_op(h, r->linearized[i], kv);
    printf("  no operation could be placed next; the first returned before it could be:\n");
    for (size_t i = 0; i < r->unplaced_count; i++)
        print_op(h, r->unplaced[i], kv);
    if (r->prefix_events == 0) return;
    uint32_t line = event_line(h, r->prefix_events - 1);
    printf("  the shortest prefix that is not linearizable: the first %" PRIu64 " of %" PRIu64
           " events",
           r->prefix_events, h->events);
    if (line != 0) printf(" (through line %" PRIu32 ")", line);
    if (kv) printf(", key %" PRIu64, r->prefix_bad_key);
    printf("; with the operations still open there indefinite, these could not be placed:\n");
    for (size_t i = 0; i < r->prefix_unplaced_count; i++)
        print_op(h, r->prefix_unplaced[i], kv);
}

static int print_json(const struct lin_args *args, const struct fl_lin_report *r,
                      uint64_t wall_ns) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "history", args->path);
    cJSON_AddStringToObject(o, "model", args->options.model == FL_LIN_MODEL_KV ? "kv" : "register");
    cJSON_AddStringToObject(o, "result", fl_lin_result_name(r->result));
    cJSON_AddNumberToObject(o, "operations", (double)r->operations);
    cJSON_AddNumberToObject(o, "partitions", (double)r->partitions);
    cJSON_AddNumberToObject(o, "states_explored", (double)r->states_explored);
    cJSON_AddNumberToObject(o, "steps", (double)r->steps);
    cJSON_AddNumberToObject(o, "wall_time_ns", (double)wall_ns);
    if (r->result == FL_LIN_NOT_LINEARIZABLE) {
        cJSON_AddNumberToObject(o, "key", (double)r->bad_key);
        cJSON *placed = cJSON_AddArrayToObject(o, "linearized_ops");
        cJSON *unplaced = cJSON_AddArrayToObject(o, "unplaced_ops");
        for (size_t i = 0; placed != NULL && i < r->linearized_count; i++) {
            cJSON_AddItemToArray(placed, cJSON_CreateNumber((double)r->linearized[i]));
        }
        for (size_t i = 0; unplaced != NULL && i < r->unplaced_count; i++) {
            cJSON_AddItemToArray(unplaced, cJSON_CreateNumber((double)r->unplaced[i]));
        }
    }
    if (r->result == FL_LIN_NOT_LINEARIZABLE && r->prefix_events > 0) {
        cJSON_AddNumberToObject(o, "prefix_events", (double)r->prefix_events);
        cJSON_AddNumberToObject(o, "prefix_key", (double)r->prefix_bad_key);
        cJSON *unplaced = cJSON_AddArrayToObject(o, "prefix_unplaced_ops");
        for (size_t i = 0; unplaced != NULL && i < r->prefix_unplaced_count; i++) {
            cJSON_AddItemToArray(unplaced, cJSON_CreateNumber((double)r->prefix_unplaced[i]));
        }
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL) return FL_EXIT_INTERNAL;
    printf("%s\n", text);
    free(text);
    return FL_EXIT_OK;
}

static int check_keys(const struct lin_args *args, const struct fl_lin_history *h) {
    if (args->options.model == FL_LIN_MODEL_KV) return FL_EXIT_OK;
    for (size_t i = 0; i < h->count; i++) {
        if (h->ops[i].key == 0) continue;
        fprintf(stderr,
                "%s: line %" PRIu32 ": key %" PRIu64 " in a register history; "
                "use --model kv\n",
                args->path, h->ops[i].invoke_line, h->ops[i].key);
        return FL_EXIT_USAGE;
    }
    return FL_EXIT_OK;
}

static int check_history(const struct lin_args *args, const struct fl_lin_history *h) {
    struct fl_lin_report report;
    uint64_t start_ns = cli_wall_ns();
    int error = fl_lin_check(h, &args->options, &report);
    uint64_t wall_ns = cli_wall_ns() - start_ns;
    int status = FL_EXIT_INTERNAL;
    if (error != FL_LIN_EOK) {
        fprintf(stderr, "faultline lin: %s: out of memory\n", args->path);
    } else {
        status = args->json ? print_json(args, &report, wall_ns) : FL_EXIT_OK;
        if (!args->json) print_human(args, h, &report, wall_ns);
        if (status == FL_EXIT_OK && report.result != FL_LIN_LINEARIZABLE) status = FL_EXIT_FAIL;
    }
    fl_lin_report_deinit(&report);
    return status;
}

int cli_lin(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_lin_usage(stdout);
            return FL_EXIT_OK;
        }
    }
    struct lin_args args;
    int status = parse_args(argc, argv, &args);
    if (status != FL_EXIT_OK) return status;
    struct fl_lin_history history;
    struct fl_lin_error error;
    fl_lin_history_init(&history);
    int loaded = fl_lin_history_load(&history, args.path, args.format, &error);
    if (loaded != FL_LIN_EOK) {
        fprintf(stderr, "%s\n", error.message);
        status = loaded == FL_LIN_ENOMEM ? FL_EXIT_INTERNAL : FL_EXIT_USAGE;
    } else {
        status = check_keys(&args, &history);
        if (status == FL_EXIT_OK) status = check_history(&args, &history);
    }
    fl_lin_history_deinit(&history);
    return status;
}
