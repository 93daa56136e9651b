/*
 * scenario: the validated, in-memory form of a scenario file.
 *
 * The parser (scenario.c) turns JSON into this struct and is the only place that
 * knows JSON; the engine reads only this struct. Everything here is already
 * checked: ranges hold, node ids exist, combinations are possible. Times are
 * integer nanoseconds, probabilities are parts per million, so the engine never
 * needs floating point to decide anything.
 *
 * docs/scenario-format.md documents every key of the file format.
 */
#ifndef FL_SCENARIO_H
#define FL_SCENARIO_H

#include <stdint.h>

#include "faultline/faultline.h"

#define FL_NODES_MAX 1024 /* servers + clients: the link matrix is square in this */
#define FL_MESSAGE_SIZE_MAX_LIMIT (1u << 20)
#define FL_PPM 1000000u
#define FL_GROUP_NONE 0xffu
#define FL_GROUPS_MAX 16

/* Parameters of one directed link. */
struct fl_link_params {
    uint64_t latency_min_ns;       /* every message takes at least this long */
    uint64_t latency_tail_mean_ns; /* mean of the exponential tail added on top; 0 = none */
    uint64_t latency_tail_max_ns;  /* the tail is capped here */
    uint32_t loss_ppm;             /* probability a message is dropped */
    uint32_t duplicate_ppm;        /* probability a second copy is delivered */
    uint32_t corrupt_ppm;          /* probability one bit of the payload flips */
    uint32_t queue_count_max;      /* messages in flight on the link; more are dropped */
};

/* A per-link override of the default parameters. */
struct fl_link_override {
    uint32_t from; /* node id */
    uint32_t to;   /* node id */
    struct fl_link_params params;
};

enum fl_fault_kind {
    FL_FAULT_ISOLATE = 1,    /* node: all links to and from it blocked */
    FL_FAULT_SPLIT = 2,      /* groups: links between different groups blocked */
    FL_FAULT_BRIDGE = 3,     /* groups + node: a split that node sees across */
    FL_FAULT_ONEWAY = 4,     /* from -> to blocked, the reverse direction open */
    FL_FAULT_HOLD = 5,       /* from -> to: messages held until released */
    FL_FAULT_RELEASE = 6,    /* from -> to: held messages delivered now */
    FL_FAULT_HEAL = 7,       /* every block and hold removed */
    FL_FAULT_CRASH = 8,      /* node: state wiped; restarts after duration if nonzero */
    FL_FAULT_RESTART = 9,    /* node: boots again (no-op if up) */
    FL_FAULT_PAUSE = 10,     /* node: processes nothing for duration */
    FL_FAULT_CLOCK_JUMP = 11, /* node: wall clock stepped by wall_delta_ns */
    FL_FAULT_DISK_FULL = 12,  /* node: every write that grows the disk fails, for duration */
    FL_FAULT_DISK_CORRUPT = 13 /* node: one bit of one stored sector flips now (bit rot) */
};

struct fl_fault {
    uint64_t at_ns;
    enum fl_fault_kind kind;
    uint32_t node;        /* isolate, bridge, crash, restart, pause, clock_jump; else FL_NODE_NONE */
    uint32_t from;        /* oneway, hold, release; else FL_NODE_NONE */
    uint32_t to;          /* oneway, hold, release; else FL_NODE_NONE */
    uint64_t duration_ns; /* partitions: healed after this (0 = until heal); crash: restart
                             after this (0 = stays down); pause: required, > 0 */
    int64_t wall_delta_ns; /* clock_jump: may be negative */
    uint8_t *group_of;     /* split, bridge: group index per node, FL_GROUP_NONE if unlisted;
                              node_count entries; NULL otherwise */
};

/* Every node's disk. Probabilities are per operation, in ppm. */
struct fl_disk_params {
    uint32_t sector_bytes;            /* 512 or 4096: the unit a torn write keeps or loses */
    uint64_t sync_latency_min_ns;     /* a sync takes at least this long */
    uint64_t sync_latency_tail_mean_ns; /* plus an exponential tail with this mean */
    uint64_t sync_latency_tail_max_ns;
    uint32_t unsynced_lost_ppm;       /* at a crash, an unsynced write is lost ... */
    uint32_t unsynced_kept_ppm;       /* ... kept whole ... */
    uint32_t unsynced_torn_ppm;       /* ... or torn sector by sector: the three sum to 1e6 */
    uint32_t read_error_ppm;          /* a read fails with FL_EIO */
    uint32_t sync_error_ppm;          /* a sync fails with FL_EIO; its writes stay unsynced */
    uint32_t corrupt_ppm;             /* a write is stored with one bit flipped */
    uint32_t lost_write_ppm;          /* a write is acknowledged and never stored */
    uint32_t misdirected_ppm;         /* a write is stored 1 to 8 sectors off */
    uint64_t quota_bytes;             /* a node's files together; 0 = unlimited */
};

/* A node's clock: explicit in the scenario or drawn per seed. */
struct fl_clock_params {
    int64_t offset_ns_max;      /* |wall offset| drawn uniformly up to this */
    int32_t drift_ppm_max;      /* |drift| drawn uniformly up to this */
    int64_t wall_epoch_ns;      /* true time 0 on the wall clock */
};

struct fl_clock_override {
    uint32_t node;
    int64_t offset_ns;
    int32_t drift_ppm;
};

/* Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012): instead of every
 * seed running every fault at a fixed rate, each seed draws which fault types
 * are on (each with probability enable_ppm) and how hard, from these ranges. A
 * seed with heavy loss and no crashes, another with only clock jumps: mixes
 * that a fixed configuration never tries, and that expose bugs a uniform mix
 * drowns out. Random faults (partitions, crashes, pauses, clock jumps) arrive
 * as a Poisson process with a mean interval drawn from "every", only before
 * until_ns, and each ends by until_ns, so liveness can be checked after it. */
struct fl_range {
    bool present;
    int64_t min; /* ns, ppm or ppm of drift, by knob */
    int64_t max;
};

struct fl_swarm_process {
    bool present;
    struct fl_range every;    /* mean time between events, ns: drawn once per seed */
    struct fl_range duration; /* length of each partition, crash (down time) or pause, ns */
};

struct fl_swarm {
    bool present;
    uint32_t enable_ppm;    /* chance that each knob is on for a seed */
    uint64_t until_ns;      /* random faults begin and end before this */
    struct fl_range loss;   /* ppm */
    struct fl_range duplicate;
    struct fl_range corrupt;
    struct fl_range latency_tail_mean; /* ns */
    struct fl_range drift_ppm_max;     /* replaces clocks.drift_ppm_max */
    struct fl_swarm_process partitions;
    struct fl_swarm_process crashes;
    struct fl_swarm_process pauses;
    struct fl_swarm_process clock_jumps; /* duration: |wall_delta| range */
    struct fl_range disk_read_error;     /* ppm, each replacing its disk.* rate */
    struct fl_range disk_sync_error;
    struct fl_range disk_corruption;
    struct fl_range disk_lost_write;
    struct fl_range disk_misdirected_write;
    struct fl_range disk_sync_latency_tail_mean; /* ns */
};

struct fl_scenario {
    char *path;        /* as given, for messages and replay commands */
    char *name;
    char *description; /* may be empty */
    const struct fl_model *model;
    uint32_t variant;       /* index into model->variants */
    int64_t *param_values;  /* one per model parameter, defaults filled in; may be NULL */
    uint32_t param_count;

    uint32_t server_count;
    uint32_t client_count;
    uint64_t duration_ns;
    uint64_t events_max; /* budget per run */

    struct fl_link_params net;       /* every link unless overridden */
    struct fl_link_override *links;  /* overrides, later entries win */
    uint32_t link_count;
    uint32_t message_size_max_bytes; /* a larger send is a model bug: assertion */

    struct fl_disk_params disk;
    struct fl_clock_params clocks;
    struct fl_clock_override *clock_overrides;
    uint32_t clock_override_count;

    struct fl_fault *faults; /* sorted by at_ns, stable */
    uint32_t fault_count;

    struct fl_swarm swarm;
};

static inline uint32_t fl_scenario_node_count(const struct fl_scenario *scenario) {
    return scenario->server_count + scenario->client_count;
}

/* The time from which the timeline schedules nothing more and every timeline
 * fault with a duration has ended. Faults without a duration (a crash that
 * never restarts, a split never healed) make it the end of the run. */
uint64_t fl_scenario_quiet_since_ns(const struct fl_scenario *scenario);

#endif /* FL_SCENARIO_H */
