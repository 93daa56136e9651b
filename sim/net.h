/*
 * net: the simulated network's links and the fate of each message.
 *
 * The network is a square matrix of directed links, one per (from, to) pair of
 * nodes (servers and clients alike). Each link has parameters (latency floor,
 * exponential tail, loss, duplication, corruption, an in-flight bound), a
 * block count and a hold flag.
 *
 * Partitions are block counts rather than booleans so that overlapping faults
 * compose: a split and an isolation that both cut n1 -> n2 leave it cut until
 * both have ended. Holds are counted the same way. A heal zeroes every count
 * and an undo that arrives after it does nothing (the heal epoch tells); an
 * explicit release ends every hold on its link, and the link's hold epoch voids
 * the scheduled ends of those holds, so they cannot end a later hold early.
 *
 * net decides, from its own seeded stream, what happens to a message at send
 * time: dropped (and why), or delivered after some latency, maybe twice, maybe
 * with a flipped bit. Reordering is not a separate knob: it emerges when the
 * latency tail lets a later message overtake an earlier one. With no tail the
 * latency is constant and each link is FIFO (ties keep send order through the
 * event queue's sequence numbers).
 *
 * Draw discipline: a draw is made only for a knob that is on. A knob left at
 * zero costs no draw, so adding a knob to the engine leaves the runs of every
 * scenario that does not use it unchanged. (Turning a knob on does shift the
 * later draws of the "net" stream: that is a different scenario.)
 */
#ifndef FL_NET_H
#define FL_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "rng.h"
#include "scenario.h"

struct fl_link {
    uint32_t in_flight;    /* messages sent and not yet delivered or dropped */
    uint32_t params_index; /* 0 = the default, i = overrides[i - 1] */
    uint16_t blocks;       /* active partition faults cutting this link */
    uint16_t held;         /* active holds: messages wait at the link until it is 0 */
    uint16_t hold_epoch;   /* bumped by an explicit release: pending hold ends are void */
    uint16_t unused;
};

struct fl_net {
    uint32_t node_count;
    struct fl_link *links;               /* node_count * node_count, row = from */
    const struct fl_link_params *params; /* [0] default, then one per override */
    struct fl_link_params *params_owned;
    uint32_t heal_epoch;                 /* bumped by every heal */
    struct fl_rng rng;                   /* the "net" stream */
};

/* What happens to one message. */
struct fl_net_fate {
    bool dropped;
    uint8_t drop_reason;      /* enum fl_drop_reason when dropped */
    uint64_t latency_ns;      /* first copy */
    bool duplicate;           /* a second copy is sent */
    uint64_t latency_dup_ns;  /* second copy */
    bool corrupt;             /* flip one bit of the first copy */
    uint64_t corrupt_bit;     /* which bit, < 8 * size */
};

/* defaults: every link's parameters unless the scenario overrides the link. */
void fl_net_init(struct fl_net *net, const struct fl_scenario *scenario,
                 const struct fl_link_params *defaults, uint64_t seed, uint64_t *alloc_count);
void fl_net_deinit(struct fl_net *net);

static inline struct fl_link *fl_net_link(struct fl_net *net, uint32_t from, uint32_t to) {
    return &net->links[(uint64_t)from * net->node_count + to];
}
static inline const struct fl_link_params *fl_net_params(const struct fl_net *net,
                                                         const struct fl_link *link) {
    return &net->params[link->params_index];
}

/* Decides the fate of a message of size_bytes sent now on from -> to and
 * counts it in flight if it is not dropped (twice if duplicated). */
void fl_net_decide(struct fl_net *net, uint32_t from, uint32_t to, uint32_t size_bytes,
                   struct fl_net_fate *fate);
/* A message leaves the link: delivered or dropped at arrival. */
void fl_net_left(struct fl_net *net, uint32_t from, uint32_t to);

void fl_net_block(struct fl_net *net, uint32_t from, uint32_t to);
void fl_net_unblock(struct fl_net *net, uint32_t from, uint32_t to);
void fl_net_heal(struct fl_net *net);

/* Applies a partition fault (isolate, split, bridge, oneway, hold), or undoes
 * it when undo is true. */
void fl_net_apply(struct fl_net *net, const struct fl_fault *fault, bool undo);

#endif /* FL_NET_H */
