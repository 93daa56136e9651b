/*
 * swarm: what one seed runs, drawn from the scenario.
 *
 * The scenario gives fixed settings, a fault timeline and (optionally) swarm
 * ranges; a seed turns them into one concrete run: the network's default link
 * parameters, the clocks' drift bound, and the complete fault schedule (the
 * timeline plus the random faults this seed drew), sorted by time. The engine
 * reads only this, so a seed's faults are data that can be printed, saved and,
 * later, shrunk.
 *
 * Each knob draws from its own stream ("swarm/loss", "swarm/crashes", ...):
 * adding a knob to a scenario leaves every other knob's draws where they were.
 * A knob is on with probability enable_ppm; when on, its value is uniform in
 * its range. Random faults arrive as a Poisson process (exponential gaps with
 * the drawn mean), start before swarm.until and are clipped to end by it.
 */
#ifndef FL_SWARM_H
#define FL_SWARM_H

#include <stdint.h>

#include "scenario.h"

#define FL_SWARM_EVENTS_MAX 10000u /* per kind and seed: a bound, not a target */
#define FL_SWARM_JSON_MAX 1024u

struct fl_run_plan {
    struct fl_link_params net;  /* every link's parameters unless the scenario overrides it */
    struct fl_disk_params disk; /* every node's disk */
    int32_t drift_ppm_max;      /* clocks.drift_ppm_max, or the swarm's draw */
    struct fl_fault *faults;    /* timeline and drawn faults, by at_ns (timeline first on ties) */
    uint32_t fault_count;
    uint32_t drawn_count;       /* of which drawn by the swarm */
    uint8_t *groups;            /* group_of storage of drawn splits */
    uint64_t quiet_since_ns;    /* every fault, timeline or drawn, has ended */
    char json[FL_SWARM_JSON_MAX]; /* the mix, for reports: "{}" without a swarm */
};

void fl_run_plan_init(struct fl_run_plan *plan, const struct fl_scenario *scenario, uint64_t seed,
                      uint64_t *alloc_count);
void fl_run_plan_deinit(struct fl_run_plan *plan);

#endif /* FL_SWARM_H */
