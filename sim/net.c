/*
 * net: link matrix, partitions and message fates. See net.h for the design.
 */
#include "net.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void fl_net_init(struct fl_net *net, const struct fl_scenario *scenario,
                 const struct fl_link_params *defaults, uint64_t seed, uint64_t *alloc_count) {
    memset(net, 0, sizeof *net);
    uint32_t n = fl_scenario_node_count(scenario);
    assert(n > 0 && n <= FL_NODES_MAX);
    net->node_count = n;
    net->links = calloc((size_t)n * n, sizeof net->links[0]);
    net->params_owned = calloc((size_t)scenario->link_count + 1, sizeof net->params_owned[0]);
    if (net->links == NULL || net->params_owned == NULL) abort();
    *alloc_count += 2;
    net->params_owned[0] = *defaults;
    for (uint32_t i = 0; i < scenario->link_count; i++) {
        const struct fl_link_override *o = &scenario->links[i];
        assert(o->from < n && o->to < n);
        net->params_owned[i + 1] = o->params;
        fl_net_link(net, o->from, o->to)->params_index = i + 1; /* later entries win */
    }
    net->params = net->params_owned;
    fl_rng_init(&net->rng, seed, "net");
}

void fl_net_deinit(struct fl_net *net) {
    free(net->links);
    free(net->params_owned);
    memset(net, 0, sizeof *net);
}

static uint64_t draw_latency(struct fl_net *net, const struct fl_link_params *p) {
    if (p->latency_tail_mean_ns == 0) return p->latency_min_ns;
    return p->latency_min_ns +
           fl_rng_exponential_ns(&net->rng, p->latency_tail_mean_ns, p->latency_tail_max_ns);
}

void fl_net_decide(struct fl_net *net, uint32_t from, uint32_t to, uint32_t size_bytes,
                   struct fl_net_fate *fate) {
    assert(from < net->node_count && to < net->node_count);
    struct fl_link *link = fl_net_link(net, from, to);
    const struct fl_link_params *p = fl_net_params(net, link);
    memset(fate, 0, sizeof *fate);
    if (link->blocks > 0) {
        fate->dropped = true;
        fate->drop_reason = FL_DROP_PARTITION;
        return;
    }
    if (fl_rng_chance_ppm(&net->rng, p->loss_ppm)) {
        fate->dropped = true;
        fate->drop_reason = FL_DROP_LOSS;
        return;
    }
    if (link->in_flight >= p->queue_count_max) {
        fate->dropped = true;
        fate->drop_reason = FL_DROP_QUEUE;
        return;
    }
    fate->latency_ns = draw_latency(net, p);
    link->in_flight++;
    if (size_bytes > 0 && fl_rng_chance_ppm(&net->rng, p->corrupt_ppm)) {
        fate->corrupt = true;
        fate->corrupt_bit = fl_rng_below(&net->rng, (uint64_t)size_bytes * 8);
    }
    if (fl_rng_chance_ppm(&net->rng, p->duplicate_ppm) && link->in_flight < p->queue_count_max) {
        fate->duplicate = true;
        fate->latency_dup_ns = draw_latency(net, p);
        link->in_flight++;
    }
}

void fl_net_left(struct fl_net *net, uint32_t from, uint32_t to) {
    struct fl_link *link = fl_net_link(net, from, to);
    assert(link->in_flight > 0);
    link->in_flight--;
}

void fl_net_block(struct fl_net *net, uint32_t from, uint32_t to) {
    if (from == to) return; /* a node always reaches itself */
    struct fl_link *link = fl_net_link(net, from, to);
    assert(link->blocks < UINT16_MAX);
    link->blocks++;
}

void fl_net_unblock(struct fl_net *net, uint32_t from, uint32_t to) {
    if (from == to) return;
    struct fl_link *link = fl_net_link(net, from, to);
    assert(link->blocks > 0); /* undo only what was done since the last heal */
    link->blocks--;
}

void fl_net_heal(struct fl_net *net) {
    uint64_t count = (uint64_t)net->node_count * net->node_count;
    for (uint64_t i = 0; i < count; i++) {
        net->links[i].blocks = 0;
        net->links[i].held = 0;
    }
    net->heal_epoch++;
}

static void set_blocked(struct fl_net *net, uint32_t from, uint32_t to, bool undo) {
    if (undo) {
        fl_net_unblock(net, from, to);
    } else {
        fl_net_block(net, from, to);
    }
}

static void apply_groups(struct fl_net *net, const uint8_t *group_of, bool undo) {
    for (uint32_t from = 0; from < net->node_count; from++) {
        if (group_of[from] == FL_GROUP_NONE) continue;
        for (uint32_t to = 0; to < net->node_count; to++) {
            if (group_of[to] == FL_GROUP_NONE || group_of[to] == group_of[from]) continue;
            set_blocked(net, from, to, undo);
        }
    }
}

void fl_net_apply(struct fl_net *net, const struct fl_fault *fault, bool undo) {
    switch (fault->kind) {
    case FL_FAULT_ISOLATE:
        assert(fault->node < net->node_count);
        for (uint32_t other = 0; other < net->node_count; other++) {
            if (other == fault->node) continue;
            set_blocked(net, fault->node, other, undo);
            set_blocked(net, other, fault->node, undo);
        }
        break;
    case FL_FAULT_SPLIT:
    case FL_FAULT_BRIDGE:
        assert(fault->group_of != NULL);
        apply_groups(net, fault->group_of, undo);
        break;
    case FL_FAULT_ONEWAY:
        set_blocked(net, fault->from, fault->to, undo);
        break;
    case FL_FAULT_HOLD: {
        /* Counted like blocks, so two overlapping holds keep the link held
         * until both have ended; an explicit release or a heal ends them all. */
        struct fl_link *link = fl_net_link(net, fault->from, fault->to);
        if (undo) {
            assert(link->held > 0); /* a release since would have voided this undo */
            link->held--;
        } else {
            assert(link->held < UINT16_MAX);
            link->held++;
        }
        break;
    }
    case FL_FAULT_RELEASE: {
        struct fl_link *link = fl_net_link(net, fault->from, fault->to);
        link->held = 0;
        link->hold_epoch++;
        break;
    }
    case FL_FAULT_HEAL:
        fl_net_heal(net);
        break;
    default:
        assert(!"not a network fault");
    }
}
