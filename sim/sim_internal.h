/*
 * sim_internal: the simulation object, shared by sim.c (the event loop and
 * faults) and api.c (the calls a model makes). Nothing outside sim/ includes it,
 * except white-box tests.
 *
 * Invariants the engine keeps:
 *   - sim->now_ns never decreases; every event runs at its due time;
 *   - a node's code runs only inside its own callback: current_node names it,
 *     and every fl_* call checks that the handle it gets is that node;
 *   - a crashed node has no timers in the queue (crash removes them) and its
 *     state block is poisoned until the restart zeroes it;
 *   - every message in flight is counted on its link until it is delivered or
 *     dropped, including while held on a link or deferred by a pause.
 */
#ifndef FL_SIM_INTERNAL_H
#define FL_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "disk.h"
#include "evq.h"
#include "faultline/faultline.h"
#include "history.h"
#include "net.h"
#include "pool.h"
#include "rng.h"
#include "scenario.h"
#include "swarm.h"
#include "trace.h"

#define FL_TEXT_MAX 1024u   /* annotations and violation texts are cut here */
#define FL_POISON_BYTE 0xa5 /* a crashed node's state, so stale reads look wrong */
#define FL_SITE_CACHE_SIZE 64u

struct fl_node {
    struct fl_sim *sim;
    const struct fl_service *service;
    void *state;              /* service->state_size_bytes, owned by the engine */
    struct fl_rng rng;        /* the node's own stream */
    struct fl_clock clock;
    struct fl_disk disk;      /* survives crashes: only its cache is volatile */
    uint64_t paused_until_ns; /* events for the node wait until then */
    uint32_t id;
    uint32_t incarnation;     /* 0 on first boot */
    bool up;
    bool is_client;
};

struct fl_world {
    struct fl_sim *sim;
};

/* The last view line written for a node (trace files only). */
struct fl_node_view {
    struct fl_state_view view;
    bool written; /* false until the first view after a boot: a crash forgets the last one */
};

struct fl_assert_site {
    struct fl_assertion_stat stat;
    uint64_t name_hash;
};

struct fl_sim {
    const struct fl_scenario *scenario;
    const struct fl_model *model;
    struct fl_run_plan plan;        /* this seed's network, clocks and complete fault schedule */
    uint64_t seed;
    uint64_t now_ns;
    uint64_t quiet_since_ns;
    uint64_t events_max;
    uint32_t node_count;
    struct fl_node *nodes;
    struct fl_evq evq;
    struct fl_pool pool;
    struct fl_net net;
    struct fl_trace trace;
    struct fl_history history;    /* the clients' operations (fl_history_invoke/return) */
    struct fl_node_view *views;     /* node_count, only while a trace file is written */
    struct fl_world world;
    void *checker_state;          /* model->checker_state_bytes, zeroed at creation */
    struct fl_node *current_node; /* whose code is running, or NULL */
    uint64_t current_cause;       /* trace id of the event being handled */
    uint32_t *held;               /* event slots waiting on held links, in arrival order */
    uint32_t held_count;
    uint32_t held_capacity;
    uint64_t next_request_id;
    uint64_t next_sync_id;
    struct fl_assert_site *sites; /* open addressing on name_hash; capacity a power of two */
    uint32_t site_count;
    uint32_t site_capacity;
    struct fl_assertion_stat *sites_sorted; /* built on demand for reports */
    /* Direct-mapped lookup cache from a name literal's address to its slot in
     * sites. Addresses only make the lookup faster: a miss falls back to the
     * hash of the text, so the outcome never depends on where literals live. */
    const char *site_cache_name[FL_SITE_CACHE_SIZE];
    uint32_t site_cache_slot[FL_SITE_CACHE_SIZE];
    struct fl_result result;
    bool stopped;
    uint64_t alloc_count;
    char text[FL_TEXT_MAX];
};

/* sim.c */
void fl_sim_send(struct fl_sim *sim, struct fl_node *from, uint32_t to, uint8_t mtype,
                 uint64_t request_id, const void *data, size_t size_bytes);
/* Starts a sync of the node's disk; returns its id. */
uint64_t fl_sim_sync(struct fl_sim *sim, struct fl_node *node, uint64_t tag);
/* A violation found by a node's assertion (caused by the event it is handling)
 * or by a checker (cause = the last record before the check ran). */
void fl_sim_violation(struct fl_sim *sim, uint32_t node, const char *check, const char *message);
uint64_t fl_sim_emit(struct fl_sim *sim, struct fl_trace_record *record);

/* Trace records of disk fault notes, attributed to the node and the current event. */
void fl_sim_disk_note(void *node, const struct fl_disk_note *note);

/* api.c */
void fl_sim_sites_deinit(struct fl_sim *sim);

#endif /* FL_SIM_INTERNAL_H */
