/*
 * swarm: a seed's run plan from the scenario. See swarm.h for the design.
 */
#include "swarm.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

struct json_out {
    char *data;
    size_t used;
    size_t size;
};

static void json_append(struct json_out *out, const char *format, ...) FL_PRINTF(2, 3);

static void json_append(struct json_out *out, const char *format, ...) {
    if (out->used >= out->size) return;
    va_list args;
    va_start(args, format);
    int n = vsnprintf(out->data + out->used, out->size - out->used, format, args);
    va_end(args);
    if (n > 0) out->used += (size_t)n < out->size - out->used ? (size_t)n : out->size - out->used - 1;
}

static void json_key(struct json_out *out, const char *key) {
    json_append(out, "%s\"%s\":", out->used > 1 ? "," : "", key);
}

static void json_ppm(struct json_out *out, uint32_t ppm) {
    json_append(out, "%u.%06u", ppm / FL_PPM, ppm % FL_PPM); /* exact, no float */
}

/* A knob's drawn value, or "off": a knob that is on may draw 0 from its range. */
static void json_value_or_off(struct json_out *out, bool on, uint64_t value) {
    if (on) {
        json_append(out, "%llu", (unsigned long long)value);
    } else {
        json_append(out, "\"off\"");
    }
}

static int64_t uniform_in(struct fl_rng *rng, const struct fl_range *range) {
    assert(range->present && range->min <= range->max);
    return range->min + (int64_t)fl_rng_below(rng, (uint64_t)(range->max - range->min) + 1);
}

/* Draws whether a knob is on; its stream is then ready for the knob's values. */
static bool knob_on(const struct fl_scenario *sc, struct fl_rng *rng, uint64_t seed,
                    const char *name, bool present) {
    if (!present) return false;
    char stream[48];
    snprintf(stream, sizeof stream, "swarm/%s", name);
    fl_rng_init(rng, seed, stream);
    return fl_rng_chance_ppm(rng, sc->swarm.enable_ppm);
}

static void draw_probability(const struct fl_scenario *sc, uint64_t seed, const char *name,
                             const struct fl_range *range, uint32_t *target,
                             struct json_out *json) {
    struct fl_rng rng;
    if (!range->present) return;
    json_key(json, name);
    if (!knob_on(sc, &rng, seed, name, true)) {
        *target = 0;
        json_append(json, "\"off\"");
        return;
    }
    *target = (uint32_t)uniform_in(&rng, range);
    json_ppm(json, *target);
}

static void draw_network(struct fl_run_plan *plan, const struct fl_scenario *sc, uint64_t seed,
                         struct json_out *json) {
    const struct fl_swarm *sw = &sc->swarm;
    draw_probability(sc, seed, "loss", &sw->loss, &plan->net.loss_ppm, json);
    draw_probability(sc, seed, "duplicate", &sw->duplicate, &plan->net.duplicate_ppm, json);
    draw_probability(sc, seed, "corrupt", &sw->corrupt, &plan->net.corrupt_ppm, json);
    struct fl_rng rng;
    if (sw->latency_tail_mean.present) {
        json_key(json, "latency_tail_mean_ns");
        bool on = knob_on(sc, &rng, seed, "latency_tail_mean", true);
        uint64_t mean = on ? (uint64_t)uniform_in(&rng, &sw->latency_tail_mean) : 0;
        plan->net.latency_tail_mean_ns = mean;
        /* The cap follows the drawn mean, as the file format's default does. */
        if (plan->net.latency_tail_max_ns < mean * 20) plan->net.latency_tail_max_ns = mean * 20;
        json_value_or_off(json, on, mean);
    }
    if (sw->drift_ppm_max.present) {
        json_key(json, "drift_ppm_max");
        bool on = knob_on(sc, &rng, seed, "drift_ppm_max", true);
        plan->drift_ppm_max = on ? (int32_t)uniform_in(&rng, &sw->drift_ppm_max) : 0;
        json_value_or_off(json, on, (uint64_t)plan->drift_ppm_max);
    }
}

static void draw_disk(struct fl_run_plan *plan, const struct fl_scenario *sc, uint64_t seed,
                      struct json_out *json) {
    const struct fl_swarm *sw = &sc->swarm;
    struct fl_disk_params *d = &plan->disk;
    draw_probability(sc, seed, "disk_read_error", &sw->disk_read_error, &d->read_error_ppm, json);
    draw_probability(sc, seed, "disk_sync_error", &sw->disk_sync_error, &d->sync_error_ppm, json);
    draw_probability(sc, seed, "disk_corruption", &sw->disk_corruption, &d->corrupt_ppm, json);
    draw_probability(sc, seed, "disk_lost_write", &sw->disk_lost_write, &d->lost_write_ppm, json);
    draw_probability(sc, seed, "disk_misdirected_write", &sw->disk_misdirected_write,
                     &d->misdirected_ppm, json);
    struct fl_rng rng;
    if (sw->disk_sync_latency_tail_mean.present) {
        json_key(json, "disk_sync_latency_tail_mean_ns");
        bool on = knob_on(sc, &rng, seed, "disk_sync_latency_tail_mean", true);
        uint64_t mean = on ? (uint64_t)uniform_in(&rng, &sw->disk_sync_latency_tail_mean) : 0;
        d->sync_latency_tail_mean_ns = mean;
        if (d->sync_latency_tail_max_ns < mean * 20) d->sync_latency_tail_max_ns = mean * 20;
        json_value_or_off(json, on, mean);
    }
}

/* --- random faults ------------------------------------------------------------ */

enum swarm_kind { KIND_PARTITIONS, KIND_CRASHES, KIND_PAUSES, KIND_CLOCK_JUMPS };

struct fault_list {
    struct fl_fault *items;
    uint32_t count;
    uint32_t capacity;
    uint8_t *groups;          /* group_of blocks of drawn splits, node_count bytes each */
    uint32_t group_count;
    uint32_t group_capacity;
    uint32_t node_count;
    uint64_t *alloc_count;
};

/* A new group_of block; returned by index because the storage may move. */
static uint32_t group_append(struct fault_list *list) {
    if (list->group_count == list->group_capacity) {
        uint32_t capacity = list->group_capacity ? list->group_capacity * 2 : 16;
        uint8_t *groups = realloc(list->groups, (size_t)capacity * list->node_count);
        if (groups == NULL) abort();
        (*list->alloc_count)++;
        list->groups = groups;
        list->group_capacity = capacity;
    }
    return list->group_count++;
}

static struct fl_fault *fault_append(struct fault_list *list) {
    if (list->count == list->capacity) {
        uint32_t capacity = list->capacity ? list->capacity * 2 : 64;
        struct fl_fault *items = realloc(list->items, capacity * sizeof items[0]);
        if (items == NULL) abort();
        (*list->alloc_count)++;
        list->items = items;
        list->capacity = capacity;
    }
    struct fl_fault *f = &list->items[list->count++];
    memset(f, 0, sizeof *f);
    f->node = f->from = f->to = FL_NODE_NONE;
    return f;
}

/* A random partition of the servers: one isolated, or a random split into two
 * non-empty sides. Clients stay connected to everyone. A split's group_of is
 * set when the drawing is done (the storage may still move); until then its
 * block index waits in `from`, unused by splits. */
static void draw_partition(struct fl_fault *f, struct fl_rng *rng, const struct fl_scenario *sc,
                           struct fault_list *list) {
    uint32_t servers = sc->server_count;
    if (servers < 2 || fl_rng_below(rng, 2) == 0) {
        f->kind = FL_FAULT_ISOLATE;
        f->node = (uint32_t)fl_rng_below(rng, servers);
        return;
    }
    f->kind = FL_FAULT_SPLIT;
    uint32_t block = group_append(list);
    f->from = block;
    uint8_t *group_of = list->groups + (size_t)block * list->node_count;
    memset(group_of, FL_GROUP_NONE, list->node_count);
    /* A uniform non-empty proper subset: draw bits until both sides have one. */
    uint32_t side_one = 0;
    while (side_one == 0 || side_one == servers) {
        side_one = 0;
        for (uint32_t id = 0; id < servers; id++) {
            group_of[id] = (uint8_t)fl_rng_below(rng, 2);
            side_one += group_of[id];
        }
    }
}

static void draw_event(struct fl_fault *f, enum swarm_kind kind, struct fl_rng *rng,
                       const struct fl_scenario *sc, const struct fl_swarm_process *process,
                       uint64_t room_ns, struct fault_list *list) {
    uint64_t length = (uint64_t)uniform_in(rng, &process->duration);
    if (length > room_ns) length = room_ns; /* every drawn fault ends by swarm.until */
    switch (kind) {
    case KIND_PARTITIONS:
        draw_partition(f, rng, sc, list);
        f->duration_ns = length;
        break;
    case KIND_CRASHES:
        f->kind = FL_FAULT_CRASH;
        f->node = (uint32_t)fl_rng_below(rng, sc->server_count);
        f->duration_ns = length; /* down time */
        break;
    case KIND_PAUSES:
        f->kind = FL_FAULT_PAUSE;
        f->node = (uint32_t)fl_rng_below(rng, sc->server_count);
        f->duration_ns = length;
        break;
    case KIND_CLOCK_JUMPS: {
        f->kind = FL_FAULT_CLOCK_JUMP;
        f->node = (uint32_t)fl_rng_below(rng, sc->server_count);
        int64_t magnitude = uniform_in(rng, &process->duration); /* not clipped: a step */
        f->wall_delta_ns = fl_rng_below(rng, 2) ? magnitude : -magnitude;
        break;
    }
    }
}

struct process_spec {
    const char *name;
    enum swarm_kind kind;
    const struct fl_swarm_process *process;
};

static void draw_process(struct fault_list *list, const struct fl_scenario *sc, uint64_t seed,
                         const struct process_spec *spec, struct json_out *json) {
    struct fl_rng rng;
    if (!spec->process->present) return;
    json_key(json, spec->name);
    if (!knob_on(sc, &rng, seed, spec->name, true)) {
        json_append(json, "\"off\"");
        return;
    }
    uint64_t every_ns = (uint64_t)uniform_in(&rng, &spec->process->every);
    uint64_t until_ns = sc->swarm.until_ns;
    uint32_t count = 0;
    uint64_t t = 0;
    while (count < FL_SWARM_EVENTS_MAX) {
        t += 1 + fl_rng_exponential_ns(&rng, every_ns, every_ns * 20);
        if (t >= until_ns) break;
        struct fl_fault *f = fault_append(list);
        f->at_ns = t;
        draw_event(f, spec->kind, &rng, sc, spec->process, until_ns - t, list);
        count++;
    }
    json_append(json, "{\"every_ns\":%llu,\"events\":%u}", (unsigned long long)every_ns, count);
}

/* --- the plan ---------------------------------------------------------------- */

struct ordered_fault {
    struct fl_fault fault;
    uint32_t order; /* timeline first, then drawn in drawing order */
};

static int compare_faults(const void *a, const void *b) {
    const struct ordered_fault *x = a, *y = b;
    if (x->fault.at_ns != y->fault.at_ns) return x->fault.at_ns < y->fault.at_ns ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void merge_faults(struct fl_run_plan *plan, const struct fl_scenario *sc,
                         const struct fault_list *drawn, uint64_t *alloc_count) {
    uint32_t total = sc->fault_count + drawn->count;
    struct ordered_fault *all = calloc(total ? total : 1, sizeof all[0]);
    plan->faults = calloc(total ? total : 1, sizeof plan->faults[0]);
    if (all == NULL || plan->faults == NULL) abort();
    *alloc_count += 2;
    for (uint32_t i = 0; i < sc->fault_count; i++) all[i] = (struct ordered_fault){sc->faults[i], i};
    for (uint32_t i = 0; i < drawn->count; i++) {
        all[sc->fault_count + i] = (struct ordered_fault){drawn->items[i], sc->fault_count + i};
    }
    qsort(all, total, sizeof all[0], compare_faults); /* order makes the sort total */
    for (uint32_t i = 0; i < total; i++) plan->faults[i] = all[i].fault;
    free(all);
    plan->fault_count = total;
    plan->drawn_count = drawn->count;
}

static uint64_t drawn_quiet_ns(const struct fault_list *drawn) {
    uint64_t quiet = 0;
    for (uint32_t i = 0; i < drawn->count; i++) {
        uint64_t end = drawn->items[i].at_ns + drawn->items[i].duration_ns;
        if (end > quiet) quiet = end;
    }
    return quiet;
}

void fl_run_plan_init(struct fl_run_plan *plan, const struct fl_scenario *sc, uint64_t seed,
                      uint64_t *alloc_count) {
    memset(plan, 0, sizeof *plan);
    plan->net = sc->net;
    plan->disk = sc->disk;
    plan->drift_ppm_max = sc->clocks.drift_ppm_max;
    struct json_out json = {plan->json, 0, sizeof plan->json};
    json_append(&json, "{");
    struct fault_list drawn = {.alloc_count = alloc_count,
                               .node_count = fl_scenario_node_count(sc)};
    const struct fl_swarm *sw = &sc->swarm;
    if (sw->present) {
        draw_network(plan, sc, seed, &json);
        draw_disk(plan, sc, seed, &json);
        const struct process_spec specs[] = {
            {"partitions", KIND_PARTITIONS, &sw->partitions},
            {"crashes", KIND_CRASHES, &sw->crashes},
            {"pauses", KIND_PAUSES, &sw->pauses},
            {"clock_jumps", KIND_CLOCK_JUMPS, &sw->clock_jumps},
        };
        for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
            draw_process(&drawn, sc, seed, &specs[i], &json);
        }
        for (uint32_t i = 0; i < drawn.count; i++) {
            struct fl_fault *f = &drawn.items[i];
            if (f->kind != FL_FAULT_SPLIT) continue;
            f->group_of = drawn.groups + (size_t)f->from * drawn.node_count;
            f->from = FL_NODE_NONE;
        }
        plan->groups = drawn.groups; /* the plan owns them now */
    }
    json_append(&json, "}");
    merge_faults(plan, sc, &drawn, alloc_count);
    uint64_t timeline_quiet = fl_scenario_quiet_since_ns(sc);
    uint64_t quiet = drawn_quiet_ns(&drawn);
    plan->quiet_since_ns = quiet > timeline_quiet ? quiet : timeline_quiet;
    free(drawn.items);
}

void fl_run_plan_deinit(struct fl_run_plan *plan) {
    free(plan->faults);
    free(plan->groups);
    memset(plan, 0, sizeof *plan);
}
