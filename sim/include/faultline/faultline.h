/*
 * faultline embedding API: load a scenario, run one seed, read the result.
 *
 * The CLI, the tests and the benchmarks use exactly this. A simulation is an
 * opaque object created from a parsed scenario and a seed; two simulations can
 * live side by side in one process (the determinism tests run two and compare),
 * because nothing in the engine has global state.
 *
 * The simulation object is heap-allocated by fl_sim_create rather than by the
 * caller (libuv style): its size depends on the scenario (node count, link
 * matrix), and hiding the layout keeps the engine free to change it. Every
 * engine-internal module below it follows the caller-allocates rule.
 */
#ifndef FAULTLINE_FAULTLINE_H
#define FAULTLINE_FAULTLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "faultline/service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FL_VERSION "0.1.0"

/* A user-facing error: "FILE: $.json.path: what was expected". */
struct fl_error {
    char message[512];
};

struct fl_scenario;
struct fl_sim;

/* Loads and validates a scenario file against the given model table (NULL
 * terminated). Returns NULL and fills error on any problem: unreadable file,
 * malformed JSON, unknown key, wrong type, value out of range, impossible
 * combination. */
struct fl_scenario *fl_scenario_load(const char *path, const struct fl_model *const *models,
                                     struct fl_error *error);
/* The same from text in memory; file_name is used in messages. */
struct fl_scenario *fl_scenario_parse(const char *text, size_t size_bytes, const char *file_name,
                                      const struct fl_model *const *models,
                                      struct fl_error *error);
void fl_scenario_free(struct fl_scenario *scenario);
const char *fl_scenario_name(const struct fl_scenario *scenario);
const char *fl_scenario_path(const struct fl_scenario *scenario);
const struct fl_model *fl_scenario_model(const struct fl_scenario *scenario);
const char *fl_scenario_variant_name(const struct fl_scenario *scenario);
uint32_t fl_scenario_server_count(const struct fl_scenario *scenario);
uint32_t fl_scenario_client_count(const struct fl_scenario *scenario);

struct fl_run_options {
    uint64_t seed;
    FILE *trace;         /* JSON Lines trace, or NULL for none */
    uint64_t events_max; /* budget; 0 = the scenario's */
};

enum fl_stop {
    FL_STOP_END = 1,       /* simulated duration reached */
    FL_STOP_IDLE = 2,      /* nothing left to happen */
    FL_STOP_VIOLATION = 3, /* a check failed */
    FL_STOP_BUDGET = 4,    /* event budget exhausted */
};

#define FL_VIOLATIONS_MAX 8
#define FL_CHECK_NAME_MAX 64
#define FL_VIOLATION_TEXT_MAX 256

struct fl_violation {
    char check[FL_CHECK_NAME_MAX];          /* which check failed */
    char message[FL_VIOLATION_TEXT_MAX];    /* what it saw */
    uint64_t time_ns;                       /* simulated time */
    uint32_t node;                          /* FL_NODE_NONE for a world check */
    uint64_t event_id;                      /* the trace event that reported it */
};

enum fl_drop_reason {
    FL_DROP_LOSS = 0,      /* random loss on the link */
    FL_DROP_PARTITION = 1, /* link blocked at send or at delivery */
    FL_DROP_QUEUE = 2,     /* the link's in-flight bound was reached */
    FL_DROP_DOWN = 3,      /* destination crashed */
    FL_DROP_REASON_COUNT = 4,
};

struct fl_result {
    bool pass;
    enum fl_stop stop;
    uint64_t seed;
    uint64_t fingerprint; /* xxHash of the canonical event stream */
    uint64_t events;      /* trace events, the same count with or without a trace */
    uint64_t messages_sent;
    uint64_t messages_delivered;
    uint64_t messages_dropped;
    uint64_t messages_duplicated;
    uint64_t messages_corrupted;
    uint64_t dropped_by_reason[FL_DROP_REASON_COUNT];
    uint64_t sim_time_ns;
    uint32_t violation_count; /* may exceed FL_VIOLATIONS_MAX; the first ones are kept */
    struct fl_violation violations[FL_VIOLATIONS_MAX];
};

/* Per assertion site, for reports: how often evaluated, how often true. */
struct fl_assertion_stat {
    const char *name;
    bool sometimes; /* false: an "always" assertion */
    uint64_t evaluated;
    uint64_t held; /* times the condition was true */
};

const char *fl_stop_name(enum fl_stop stop);
const char *fl_drop_reason_name(enum fl_drop_reason reason);

/* Creates a simulation of one seed of the scenario. The scenario must outlive
 * it. Returns NULL only when memory runs out. */
struct fl_sim *fl_sim_create(const struct fl_scenario *scenario,
                             const struct fl_run_options *options);
/* Runs until the scenario's duration, a violation, the budget or idleness. */
void fl_sim_run(struct fl_sim *sim, struct fl_result *result);
/* Runs one event; false once the run has stopped. fl_sim_result then reads it. */
bool fl_sim_step(struct fl_sim *sim);
void fl_sim_result(const struct fl_sim *sim, struct fl_result *result);
/* Assertion sites seen so far, sorted by name. */
uint32_t fl_sim_assertions(struct fl_sim *sim, const struct fl_assertion_stat **stats);
/* The fault mix this seed drew from the scenario's "swarm" ranges, as a JSON
 * object ("{}" when the scenario has no swarm section): which fault types are
 * on and how hard. Valid until fl_sim_destroy. */
const char *fl_sim_swarm_json(const struct fl_sim *sim);
/* A node's state block (read only), NULL while it is crashed: for tests,
 * debuggers and visualizers that step a simulation. */
const void *fl_sim_node_state(const struct fl_sim *sim, fl_node_id id);
uint64_t fl_sim_now_ns(const struct fl_sim *sim);
/* The operations the clients recorded so far (fl_history_invoke / _return). */
uint64_t fl_sim_history_count(const struct fl_sim *sim);
/* Writes them as JSON Lines, one line per invoke or return in the order they
 * happened, in the format `faultline lin --format jsonl` reads (an op never
 * returned has no return line: indefinite). False on a write error. */
bool fl_sim_history_write(const struct fl_sim *sim, FILE *out);
/* Heap allocations the engine made (pools growing); flat once warm. */
uint64_t fl_sim_alloc_count(const struct fl_sim *sim);
void fl_sim_destroy(struct fl_sim *sim);

/* Formats a node id as in scenarios and traces: "n3", "c1". */
void fl_node_name(uint32_t server_count, fl_node_id id, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif

#endif /* FAULTLINE_FAULTLINE_H */
