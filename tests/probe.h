/*
 * probe: a test model whose nodes record what the network and the clocks did
 * to them, so tests can measure rates and check orderings. Shared by the test
 * programs; it uses only the public service API, like any model.
 *
 * Variants:
 *   stream  n1 sends params.count messages to n2, one every params.interval,
 *           each carrying its sequence number; n2 records what arrived.
 *   mesh    every node sends one message to every other node every
 *           params.interval, params.count rounds; each records who reached it.
 *   timer   every node records its clocks at boot and sets one timer of
 *           params.delay on its local clock, recording the clocks when it fires.
 */
#ifndef FL_TESTS_PROBE_H
#define FL_TESTS_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "faultline/faultline.h"

#define PROBE_SEQ_MAX 200000u
#define PROBE_NODES_MAX 16u

enum { PROBE_STREAM = 0, PROBE_MESH = 1, PROBE_TIMER = 2 };

struct probe_state {
    uint64_t received;                       /* messages delivered to this node */
    uint64_t duplicates;                     /* a sequence number seen before */
    uint64_t reorders;                       /* arrived after a higher sequence number */
    uint64_t corrupt;                        /* payload failed its check */
    uint64_t seq_max_seen;
    uint64_t sent;
    uint64_t from[PROBE_NODES_MAX];          /* deliveries by sender */
    uint64_t boot_mono_ns;
    int64_t boot_wall_ns;
    uint64_t fired_mono_ns;                  /* timer variant: clocks at the fire */
    int64_t fired_wall_ns;
    bool fired;
    uint64_t first_random;                   /* the node's first draw at boot */
    bool any_nonzero_at_boot;                /* state was not zeroed at boot */
    uint8_t seen[PROBE_SEQ_MAX / 8];         /* stream: bitmap of sequence numbers */
};

extern const struct fl_model probe_model;
extern const struct fl_model *const probe_models[];

/* Parses a scenario from text with the probe model (and the built-in ones);
 * fails the calling test on a parse error. */
struct fl_scenario *probe_scenario(const char *json_text);
/* Loads a shipped scenario by its path in the source tree ("scenarios/echo/calm.json")
 * with the built-in models; fails the calling test on an error. */
struct fl_scenario *load_shipped(const char *relative);
/* Runs a seed to the end and keeps only its result. */
void run_seed(const struct fl_scenario *scenario, uint64_t seed, struct fl_result *result);
/* Runs a seed to the end; returns the simulation, not yet destroyed. */
struct fl_sim *probe_run(const struct fl_scenario *scenario, uint64_t seed,
                         struct fl_result *result);

#endif /* FL_TESTS_PROBE_H */
