/*
 * faultline run: one seed of one scenario, checked, with a readable or a JSON
 * report and an optional trace.
 *
 * The default seed is 1, not a clock reading: `faultline run X` twice must do
 * the same thing twice. A failure report always ends with the command that
 * replays it.
 *
 * `replay` runs a seed exactly as `run` does and prints the same report, so the
 * work of one seed (load, trace, run or --check-determinism, report) lives
 * here as cli_run_seed, and both commands only parse their flags and call it.
 * The report has one shape per mode: a human block (the same lines a sweep's
 * user compares against) and one JSON object whose keys only ever get added.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "models/registry.h"

void cli_run_usage(FILE *out) {
    fprintf(out,
            "usage: faultline run SCENARIO [--seed N] [--trace FILE] [--json] [--events-max N]\n"
            "                     [--check-determinism] [--history FILE]\n"
            "\n"
            "Runs one seed of a scenario and checks it.\n"
            "\n"
            "  --seed N               the seed (default 1); the same seed replays the same run\n"
            "  --trace FILE           write every event as JSON Lines (docs/trace-format.md)\n"
            "  --history FILE         write the clients' operation history as JSON Lines, the\n"
            "                         format `faultline lin --format jsonl` reads\n"
            "                         (docs/linearizability.md)\n"
            "  --json                 print the result as one JSON object\n"
            "  --events-max N         event budget, overriding the scenario's budget.events_max\n"
            "  --check-determinism    run the seed twice with the host's stack and heap\n"
            "                         perturbed in between; different fingerprints fail the\n"
            "                         run (nondeterministic) and name the first event that\n"
            "                         differs\n"
            "\n"
            "exit status: 0 every check held, 1 a check failed, 2 bad input or usage,\n"
            "3 internal error.\n");
}

struct run_args {
    const char *scenario_path;
    const char *trace_path;
    const char *history_path;
    uint64_t seed;
    uint64_t events_max;
    bool json;
    bool check_determinism;
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
        } else if (strcmp(arg, "--check-determinism") == 0) {
            args->check_determinism = true;
        } else if (strcmp(arg, "--seed") == 0 || strcmp(arg, "--events-max") == 0) {
            if (!has_value) return usage_error("%s needs a value", arg);
            uint64_t *target = arg[2] == 's' ? &args->seed : &args->events_max;
            if (!cli_parse_u64(argv[++i], target)) {
                return usage_error("expected a non-negative integer, got \"%s\"", argv[i]);
            }
            if (target == &args->events_max && args->events_max == 0) {
                return usage_error("%s must be at least 1", arg);
            }
        } else if (strcmp(arg, "--trace") == 0 || strcmp(arg, "--history") == 0) {
            if (!has_value) return usage_error("%s needs a file name", arg);
            const char **target = arg[2] == 't' ? &args->trace_path : &args->history_path;
            *target = argv[++i];
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

/* What one seed's report is made of. */
struct report {
    const struct cli_seed_request *request;
    const struct fl_scenario *scenario;
    struct fl_sim *sim;                      /* for the assertion counts */
    const struct fl_result *result;
    const struct cli_divergence *divergence; /* NULL: deterministic, or not checked */
    const char *replay;                      /* the replay command */
    const char *trace_path;                  /* the trace written, or NULL */
    const char *history_path;                /* the history written, or NULL */
    uint64_t wall_ns;
    bool reproduced;                         /* the expected fingerprint, if any, matched */
};

static bool report_failed(const struct report *rep) {
    return !rep->result->pass || rep->divergence != NULL;
}

static void print_result_line(const struct report *rep) {
    const struct fl_result *r = rep->result;
    char sim_time[32];
    format_duration(r->sim_time_ns, sim_time, sizeof sim_time);
    if (rep->divergence != NULL) {
        printf("result       FAIL  (nondeterministic; run 1 %s, stopped: %s at %s simulated)\n",
               r->pass ? "passed" : "failed", fl_stop_name(r->stop), sim_time);
        return;
    }
    printf("result       %s  (stopped: %s at %s simulated)\n", r->pass ? "PASS" : "FAIL",
           fl_stop_name(r->stop), sim_time);
}

static void print_messages_line(const struct fl_result *r) {
    printf("messages     %llu sent, %llu delivered, %llu dropped",
           (unsigned long long)r->messages_sent, (unsigned long long)r->messages_delivered,
           (unsigned long long)r->messages_dropped);
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
}

static void print_fingerprint_lines(const struct report *rep) {
    const struct cli_seed_request *req = rep->request;
    printf("fingerprint  %016llx\n", (unsigned long long)rep->result->fingerprint);
    if (req->expect_fingerprint) {
        printf("expected     %016llx  (%s)\n", (unsigned long long)req->expected_fingerprint,
               rep->reproduced ? "the same: this run reproduces it"
                               : "DIFFERENT: this run does NOT reproduce it");
    }
    if (req->check_determinism && rep->divergence == NULL) {
        printf("determinism  the same fingerprint with the host's stack and heap perturbed\n");
    }
}

static void print_violations(const struct report *rep) {
    const struct fl_result *r = rep->result;
    uint32_t shown =
        r->violation_count < FL_VIOLATIONS_MAX ? r->violation_count : FL_VIOLATIONS_MAX;
    for (uint32_t i = 0; i < shown; i++) {
        const struct fl_violation *v = &r->violations[i];
        char when[32], node[16] = "world";
        format_duration(v->time_ns, when, sizeof when);
        if (v->node != FL_NODE_NONE) {
            fl_node_name(fl_scenario_server_count(rep->scenario), v->node, node, sizeof node);
        }
        printf("violation    %s at %s on %s (event %llu): %s\n", v->check, when, node,
               (unsigned long long)v->event_id, v->message);
    }
    if (r->violation_count > shown) {
        printf("             ... and %u more\n", r->violation_count - shown);
    }
}

static void print_human(const struct report *rep) {
    const struct fl_scenario *scenario = rep->scenario;
    const struct fl_result *r = rep->result;
    char wall[32];
    format_duration(rep->wall_ns, wall, sizeof wall);
    printf("scenario     %s  (model %s, variant %s)\n", fl_scenario_name(scenario),
           fl_scenario_model(scenario)->name, fl_scenario_variant_name(scenario));
    printf("seed         %llu\n", (unsigned long long)r->seed);
    const char *mix = fl_sim_swarm_json(rep->sim);
    if (strcmp(mix, "{}") != 0) printf("swarm        %s\n", mix); /* this seed's fault mix */
    print_result_line(rep);
    printf("events       %llu\n", (unsigned long long)r->events);
    print_messages_line(r);
    print_fingerprint_lines(rep);
    printf("wall time    %s (%.0f events/s)\n", wall,
           rep->wall_ns ? (double)r->events * 1e9 / (double)rep->wall_ns : 0.0);
    if (rep->history_path != NULL) {
        printf("history      %s: %llu operations (faultline lin --format jsonl)\n",
               rep->history_path, (unsigned long long)fl_sim_history_count(rep->sim));
    }
    print_violations(rep);
    if (rep->divergence != NULL) {
        cli_print_divergence(stdout, rep->request->scenario_path, r->seed, rep->divergence);
        printf("replay       %s --check-determinism\n", rep->replay);
    } else if (!r->pass) {
        printf("replay       %s\n", rep->replay); /* it writes trace-SEED.jsonl */
    }
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

static void add_hex(cJSON *object, const char *key, uint64_t value) {
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)value);
    cJSON_AddStringToObject(object, key, hex);
}

/* "nondeterministic": the first record that differs and both fingerprints,
 * with the keys of a sweep record's "divergence" (event 0: no record found;
 * the lines then compare the two runs' results). */
static cJSON *divergence_json(const struct cli_divergence *d) {
    cJSON *item = cJSON_CreateObject();
    cJSON_AddNumberToObject(item, "event", (double)d->event_id);
    add_hex(item, "fingerprint_first", d->fingerprint_first);
    add_hex(item, "fingerprint_second", d->fingerprint_second);
    cJSON_AddStringToObject(item, "first", d->line_first);
    cJSON_AddStringToObject(item, "second", d->line_second);
    return item;
}

static void add_counts_json(cJSON *root, const struct fl_result *r) {
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
}

/* The keys a consumer may rely on, plus the ones the request's options add. */
static void add_checks_json(cJSON *root, const struct report *rep) {
    const struct cli_seed_request *req = rep->request;
    if (req->check_determinism) cJSON_AddBoolToObject(root, "determinism_checked", true);
    if (rep->divergence != NULL) {
        cJSON_AddItemToObject(root, "nondeterministic", divergence_json(rep->divergence));
    }
    if (req->expect_fingerprint) {
        add_hex(root, "expected_fingerprint", req->expected_fingerprint);
        cJSON_AddBoolToObject(root, "reproduced", rep->reproduced);
    }
    if (rep->trace_path != NULL) cJSON_AddStringToObject(root, "trace", rep->trace_path);
    if (rep->history_path != NULL) {
        cJSON_AddStringToObject(root, "history", rep->history_path);
        cJSON_AddNumberToObject(root, "history_operations",
                                (double)fl_sim_history_count(rep->sim));
    }
}

/* JSON numbers are doubles; counts stay exact up to 2^53, far beyond a run's. */
static void print_json(const struct report *rep) {
    const struct fl_scenario *scenario = rep->scenario;
    const struct fl_result *r = rep->result;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", fl_scenario_path(scenario));
    cJSON_AddStringToObject(root, "name", fl_scenario_name(scenario));
    cJSON_AddStringToObject(root, "model", fl_scenario_model(scenario)->name);
    cJSON_AddStringToObject(root, "variant", fl_scenario_variant_name(scenario));
    char seed[24]; /* raw digits: a double would round seeds above 2^53 */
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
    cJSON_AddRawToObject(root, "seed", seed);
    cJSON_AddStringToObject(root, "result", report_failed(rep) ? "fail" : "pass");
    if (rep->divergence != NULL) cJSON_AddStringToObject(root, "reason", "nondeterministic");
    cJSON_AddStringToObject(root, "stop", fl_stop_name(r->stop));
    cJSON_AddRawToObject(root, "swarm", fl_sim_swarm_json(rep->sim));
    cJSON_AddItemToObject(root, "violations", rep_violations_json(scenario, r));
    add_hex(root, "fingerprint", r->fingerprint);
    add_counts_json(root, r);
    cJSON_AddNumberToObject(root, "wall_time_ns", (double)rep->wall_ns);
    cJSON_AddItemToObject(root, "assertions", assertions_json(rep->sim));
    add_checks_json(root, rep);
    if (report_failed(rep)) {
        char replay[1300];
        snprintf(replay, sizeof replay, "%s%s", rep->replay,
                 rep->divergence != NULL ? " --check-determinism" : "");
        cJSON_AddStringToObject(root, "replay", replay);
    }
    char *text = cJSON_PrintUnformatted(root);
    if (text != NULL) puts(text);
    free(text);
    cJSON_Delete(root);
}

/* ---- one seed, for run and replay ------------------------------------------ */

/* The simulation, run plainly or twice under --check-determinism. */
struct execution {
    struct fl_sim *sim;
    struct fl_result result;
    struct cli_divergence divergence;
    bool nondeterministic;
    uint64_t wall_ns;
};

static bool execute(const struct cli_seed_request *req, const struct fl_scenario *scenario,
                    FILE *trace, struct execution *ex) {
    struct fl_run_options options = {.seed = req->seed, .trace = trace,
                                     .events_max = req->events_max};
    memset(ex, 0, sizeof *ex);
    uint64_t wall_start = cli_wall_ns();
    if (req->check_determinism) {
        ex->nondeterministic = !cli_check_determinism_keep(scenario, &options, &ex->result,
                                                           &ex->divergence, &ex->sim);
    } else {
        ex->sim = fl_sim_create(scenario, &options);
        if (ex->sim == NULL) return false;
        fl_sim_run(ex->sim, &ex->result);
    }
    ex->wall_ns = cli_wall_ns() - wall_start;
    return true;
}

static void install_crash_handler(const struct cli_seed_request *req, const char *replay,
                                  const char *remove_path) {
    char context[1400];
    snprintf(context, sizeof context,
             "while %s seed %llu of %s. This is a bug in faultline or in the model;\n"
             "replay it under a debugger with:\n  %s",
             req->check_determinism ? "checking the determinism of" : "running",
             (unsigned long long)req->seed, req->scenario_path, replay);
    cli_crash_handler_install(context, remove_path);
}

/* Runs with the scenario loaded and the trace open; closes the trace. */
/* Writes the run's history to its open file and renames it into place. */
static bool write_history(const struct cli_seed_request *req, struct fl_sim *sim,
                          struct cli_atomic_file *history) {
    bool ok = fl_sim_history_write(sim, history->file);
    if (!ok) {
        cli_atomic_abort(history);
    } else {
        ok = cli_atomic_commit(history);
    }
    if (!ok) {
        fprintf(stderr, "%s: writing the history failed: %s\n", req->history_path,
                strerror(errno));
    }
    return ok;
}

static int run_loaded(const struct cli_seed_request *req, const struct fl_scenario *scenario,
                      struct cli_atomic_file *trace, struct cli_atomic_file *history,
                      struct cli_seed_outcome *out) {
    char replay[1200];
    cli_replay_command(replay, sizeof replay, req->scenario_path, req->seed);
    install_crash_handler(req, replay, trace->tmp_path);
    struct execution ex;
    if (!execute(req, scenario, trace->file, &ex)) {
        fprintf(stderr, "faultline %s: out of memory creating the simulation\n", req->command);
        if (trace->file != NULL) cli_atomic_abort(trace);
        if (history->file != NULL) cli_atomic_abort(history);
        return FL_EXIT_INTERNAL;
    }
    out->ran = true;
    out->result = ex.result;
    out->nondeterministic = ex.nondeterministic;
    out->reproduced =
        !req->expect_fingerprint || ex.result.fingerprint == req->expected_fingerprint;
    int status = ex.result.pass && !ex.nondeterministic && out->reproduced ? FL_EXIT_OK
                                                                            : FL_EXIT_FAIL;
    if (trace->file != NULL) {
        out->trace_written = cli_atomic_commit(trace);
        if (!out->trace_written) {
            fprintf(stderr, "%s: writing the trace failed: %s\n", req->trace_path, strerror(errno));
            status = FL_EXIT_USAGE;
        }
    }
    if (history->file != NULL) {
        out->history_written = write_history(req, ex.sim, history);
        if (!out->history_written) status = FL_EXIT_USAGE;
    }
    struct report rep = {
        .request = req,
        .scenario = scenario,
        .sim = ex.sim,
        .result = &ex.result,
        .divergence = ex.nondeterministic ? &ex.divergence : NULL,
        .replay = replay,
        .trace_path = out->trace_written ? req->trace_path : NULL,
        .history_path = out->history_written ? req->history_path : NULL,
        .wall_ns = ex.wall_ns,
        .reproduced = out->reproduced,
    };
    if (req->json) {
        print_json(&rep);
    } else {
        print_human(&rep);
    }
    fl_sim_destroy(ex.sim);
    return status;
}

int cli_run_seed(const struct cli_seed_request *req, struct cli_seed_outcome *out) {
    memset(out, 0, sizeof *out);
    struct fl_error error;
    struct fl_scenario *scenario = fl_scenario_load(req->scenario_path, fl_models_builtin, &error);
    if (scenario == NULL) {
        fprintf(stderr, "%s\n", error.message);
        return FL_EXIT_USAGE;
    }
    struct cli_atomic_file trace = {0};
    if (req->trace_path != NULL && !cli_atomic_open(&trace, req->trace_path)) {
        fprintf(stderr, "%s: cannot write the trace: %s\n", req->trace_path, strerror(errno));
        fl_scenario_free(scenario);
        return FL_EXIT_USAGE;
    }
    struct cli_atomic_file history = {0};
    if (req->history_path != NULL && !cli_atomic_open(&history, req->history_path)) {
        fprintf(stderr, "%s: cannot write the history: %s\n", req->history_path,
                strerror(errno));
        if (trace.file != NULL) cli_atomic_abort(&trace);
        fl_scenario_free(scenario);
        return FL_EXIT_USAGE;
    }
    int status = run_loaded(req, scenario, &trace, &history, out);
    fl_scenario_free(scenario);
    return status;
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
    struct cli_seed_request request = {
        .command = "run",
        .scenario_path = args.scenario_path,
        .trace_path = args.trace_path,
        .history_path = args.history_path,
        .seed = args.seed,
        .events_max = args.events_max,
        .json = args.json,
        .check_determinism = args.check_determinism,
    };
    struct cli_seed_outcome outcome;
    return cli_run_seed(&request, &outcome);
}
