/*
 * faultline run: one seed of one scenario, checked, with a readable or a JSON
 * report and an optional trace.
 *
 * The default seed is 1, not a clock reading: `faultline run X` twice must do
 * the same thing twice. A failure report always ends with the command that
 * replays it.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "models/registry.h"

void cli_run_usage(FILE *out) {
    fprintf(out,
            "usage: faultline run SCENARIO [--seed N] [--trace FILE] [--json] [--events-max N]\n"
            "\n"
            "Runs one seed of a scenario and checks it.\n"
            "\n"
            "  --seed N         the seed (default 1); the same seed replays the same run\n"
            "  --trace FILE     write every event as JSON Lines (docs/trace-format.md)\n"
            "  --json           print the result as one JSON object\n"
            "  --events-max N   event budget, overriding the scenario's budget.events_max\n"
            "\n"
            "exit status: 0 every check held, 1 a check failed, 2 bad input or usage,\n"
            "3 internal error.\n");
}

struct run_args {
    const char *scenario_path;
    const char *trace_path;
    uint64_t seed;
    uint64_t events_max;
    bool json;
};

static int usage_error(const char *format, const char *detail) {
    fprintf(stderr, "faultline run: ");
    fprintf(stderr, format, detail);
    fprintf(stderr, "\nrun `faultline run --help` for usage\n");
    return FL_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct run_args *args) {
    memset(args, 0, sizeof *args);
    args->seed = 1;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--json") == 0) {
            args->json = true;
        } else if (strcmp(arg, "--seed") == 0 || strcmp(arg, "--events-max") == 0) {
            if (!has_value) return usage_error("%s needs a value", arg);
            uint64_t *target = arg[2] == 's' ? &args->seed : &args->events_max;
            if (!cli_parse_u64(argv[++i], target)) {
                return usage_error("expected a non-negative integer, got \"%s\"", argv[i]);
            }
            if (target == &args->events_max && args->events_max == 0) {
                return usage_error("%s must be at least 1", arg);
            }
        } else if (strcmp(arg, "--trace") == 0) {
            if (!has_value) return usage_error("%s needs a file name", arg);
            args->trace_path = argv[++i];
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option \"%s\"", arg);
        } else if (args->scenario_path == NULL) {
            args->scenario_path = arg;
        } else {
            return usage_error("unexpected argument \"%s\" (one scenario per run)", arg);
        }
    }
    if (args->scenario_path == NULL) return usage_error("%s", "missing SCENARIO file");
    return FL_EXIT_OK;
}

static void format_duration(uint64_t ns, char *out, size_t size) {
    if (ns >= 1000000000ull) {
        snprintf(out, size, "%.3f s", (double)ns / 1e9);
    } else if (ns >= 1000000ull) {
        snprintf(out, size, "%.3f ms", (double)ns / 1e6);
    } else {
        snprintf(out, size, "%.3f us", (double)ns / 1e3);
    }
}

static void print_human(const struct fl_scenario *scenario, const struct fl_result *r,
                        uint64_t wall_ns, const char *replay) {
    const struct fl_model *model = fl_scenario_model(scenario);
    char sim_time[32], wall[32];
    format_duration(r->sim_time_ns, sim_time, sizeof sim_time);
    format_duration(wall_ns, wall, sizeof wall);
    printf("scenario     %s  (model %s, variant %s)\n", fl_scenario_name(scenario), model->name,
           fl_scenario_variant_name(scenario));
    printf("seed         %llu\n", (unsigned long long)r->seed);
    printf("result       %s  (stopped: %s at %s simulated)\n", r->pass ? "PASS" : "FAIL",
           fl_stop_name(r->stop), sim_time);
    printf("events       %llu\n", (unsigned long long)r->events);
    printf("messages     %llu sent, %llu delivered, %llu dropped", (unsigned long long)r->messages_sent,
           (unsigned long long)r->messages_delivered, (unsigned long long)r->messages_dropped);
    if (r->messages_dropped > 0) {
        printf(" (");
        bool first = true;
        for (int i = 0; i < FL_DROP_REASON_COUNT; i++) {
            if (r->dropped_by_reason[i] == 0) continue;
            printf("%s%s %llu", first ? "" : ", ", fl_drop_reason_name((enum fl_drop_reason)i),
                   (unsigned long long)r->dropped_by_reason[i]);
            first = false;
        }
        printf(")");
    }
    printf(", %llu duplicated, %llu corrupted\n", (unsigned long long)r->messages_duplicated,
           (unsigned long long)r->messages_corrupted);
    printf("fingerprint  %016llx\n", (unsigned long long)r->fingerprint);
    printf("wall time    %s (%.0f events/s)\n", wall,
           wall_ns ? (double)r->events * 1e9 / (double)wall_ns : 0.0);
    uint32_t shown = r->violation_count < FL_VIOLATIONS_MAX ? r->violation_count : FL_VIOLATIONS_MAX;
    for (uint32_t i = 0; i < shown; i++) {
        const struct fl_violation *v = &r->violations[i];
        char when[32], node[16] = "world";
        format_duration(v->time_ns, when, sizeof when);
        if (v->node != FL_NODE_NONE) {
            fl_node_name(fl_scenario_server_count(scenario), v->node, node, sizeof node);
        }
        printf("violation    %s at %s on %s (event %llu): %s\n", v->check, when, node,
               (unsigned long long)v->event_id, v->message);
    }
    if (r->violation_count > shown) {
        printf("             ... and %u more\n", r->violation_count - shown);
    }
    if (!r->pass) printf("replay       %s --trace trace.jsonl\n", replay);
}

static cJSON *violations_json(const struct fl_scenario *scenario, const struct fl_result *r) {
    cJSON *list = cJSON_CreateArray();
    uint32_t shown = r->violation_count < FL_VIOLATIONS_MAX ? r->violation_count : FL_VIOLATIONS_MAX;
    for (uint32_t i = 0; i < shown; i++) {
        const struct fl_violation *v = &r->violations[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "check", v->check);
        cJSON_AddStringToObject(item, "message", v->message);
        cJSON_AddNumberToObject(item, "time_ns", (double)v->time_ns);
        if (v->node == FL_NODE_NONE) {
            cJSON_AddNullToObject(item, "node");
        } else {
            char node[16];
            fl_node_name(fl_scenario_server_count(scenario), v->node, node, sizeof node);
            cJSON_AddStringToObject(item, "node", node);
        }
        cJSON_AddNumberToObject(item, "event", (double)v->event_id);
        cJSON_AddItemToArray(list, item);
    }
    return list;
}

static cJSON *assertions_json(struct fl_sim *sim) {
    const struct fl_assertion_stat *stats;
    uint32_t count = fl_sim_assertions(sim, &stats);
    cJSON *list = cJSON_CreateArray();
    for (uint32_t i = 0; i < count; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "name", stats[i].name);
        cJSON_AddStringToObject(item, "kind", stats[i].sometimes ? "sometimes" : "always");
        cJSON_AddNumberToObject(item, "evaluated", (double)stats[i].evaluated);
        cJSON_AddNumberToObject(item, "held", (double)stats[i].held);
        cJSON_AddItemToArray(list, item);
    }
    return list;
}

/* JSON numbers are doubles; counts stay exact up to 2^53, far beyond a run's. */
static void print_json(const struct fl_scenario *scenario, struct fl_sim *sim,
                       const struct fl_result *r, uint64_t wall_ns, const char *replay) {
    char fingerprint[17];
    snprintf(fingerprint, sizeof fingerprint, "%016llx", (unsigned long long)r->fingerprint);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", fl_scenario_path(scenario));
    cJSON_AddStringToObject(root, "name", fl_scenario_name(scenario));
    cJSON_AddStringToObject(root, "model", fl_scenario_model(scenario)->name);
    cJSON_AddStringToObject(root, "variant", fl_scenario_variant_name(scenario));
    char seed[24]; /* raw digits: a double would round seeds above 2^53 */
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
    cJSON_AddRawToObject(root, "seed", seed);
    cJSON_AddStringToObject(root, "result", r->pass ? "pass" : "fail");
    cJSON_AddStringToObject(root, "stop", fl_stop_name(r->stop));
    cJSON_AddItemToObject(root, "violations", violations_json(scenario, r));
    cJSON_AddStringToObject(root, "fingerprint", fingerprint);
    cJSON_AddNumberToObject(root, "events", (double)r->events);
    cJSON_AddNumberToObject(root, "messages_sent", (double)r->messages_sent);
    cJSON_AddNumberToObject(root, "messages_delivered", (double)r->messages_delivered);
    cJSON_AddNumberToObject(root, "messages_dropped", (double)r->messages_dropped);
    cJSON *drops = cJSON_AddObjectToObject(root, "messages_dropped_by_reason");
    for (int i = 0; i < FL_DROP_REASON_COUNT; i++) {
        cJSON_AddNumberToObject(drops, fl_drop_reason_name((enum fl_drop_reason)i),
                                (double)r->dropped_by_reason[i]);
    }
    cJSON_AddNumberToObject(root, "messages_duplicated", (double)r->messages_duplicated);
    cJSON_AddNumberToObject(root, "messages_corrupted", (double)r->messages_corrupted);
    cJSON_AddNumberToObject(root, "sim_time_ns", (double)r->sim_time_ns);
    cJSON_AddNumberToObject(root, "wall_time_ns", (double)wall_ns);
    cJSON_AddItemToObject(root, "assertions", assertions_json(sim));
    if (!r->pass) cJSON_AddStringToObject(root, "replay", replay);
    char *text = cJSON_PrintUnformatted(root);
    if (text != NULL) puts(text);
    free(text);
    cJSON_Delete(root);
}

int cli_run(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_run_usage(stdout);
            return FL_EXIT_OK;
        }
    }
    struct run_args args;
    int status = parse_args(argc, argv, &args);
    if (status != FL_EXIT_OK) return status;

    struct fl_error error;
    struct fl_scenario *scenario = fl_scenario_load(args.scenario_path, fl_models_builtin, &error);
    if (scenario == NULL) {
        fprintf(stderr, "%s\n", error.message);
        return FL_EXIT_USAGE;
    }
    struct cli_atomic_file trace = {0};
    if (args.trace_path != NULL && !cli_atomic_open(&trace, args.trace_path)) {
        fprintf(stderr, "%s: cannot write the trace: %s\n", args.trace_path, strerror(errno));
        fl_scenario_free(scenario);
        return FL_EXIT_USAGE;
    }
    char replay[1200];
    cli_replay_command(replay, sizeof replay, args.scenario_path, args.seed);
    char context[1400];
    snprintf(context, sizeof context,
             "while running seed %llu of %s. This is a bug in faultline or in the model;\n"
             "replay it under a debugger with:\n  %s",
             (unsigned long long)args.seed, args.scenario_path, replay);
    cli_crash_handler_install(context, trace.tmp_path);

    struct fl_run_options options = {.seed = args.seed, .trace = trace.file,
                                     .events_max = args.events_max};
    uint64_t wall_start = cli_wall_ns();
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    if (sim == NULL) {
        fprintf(stderr, "faultline run: out of memory creating the simulation\n");
        if (args.trace_path != NULL) cli_atomic_abort(&trace);
        fl_scenario_free(scenario);
        return FL_EXIT_INTERNAL;
    }
    struct fl_result result;
    fl_sim_run(sim, &result);
    uint64_t wall_ns = cli_wall_ns() - wall_start;

    status = result.pass ? FL_EXIT_OK : FL_EXIT_FAIL;
    if (args.trace_path != NULL && !cli_atomic_commit(&trace)) {
        fprintf(stderr, "%s: writing the trace failed: %s\n", args.trace_path, strerror(errno));
        status = FL_EXIT_USAGE;
    }
    if (args.json) {
        print_json(scenario, sim, &result, wall_ns, replay);
    } else {
        print_human(scenario, &result, wall_ns, replay);
    }
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
    return status;
}
