/*
 * sim: the simulation object and its event loop.
 *
 * One run is: build the world from the scenario and the seed (nodes, clocks,
 * links, streams), queue every node's boot and every timeline fault, then pop
 * events in (time, sequence) order and dispatch them until the scenario's
 * duration is reached, a check fails, the event budget runs out or nothing is
 * left to happen.
 *
 * Dispatch copies the event out of its slot before any model code runs: a
 * handler that sends or sets timers may grow the slot pool, which moves it.
 *
 * A node's code runs inside exactly one callback at a time, with current_node
 * and current_cause set, so every send or timer it makes is attributed to it
 * and linked to the event that caused it.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sim_internal.h"

const char *fl_stop_name(enum fl_stop stop) {
    switch (stop) {
    case FL_STOP_END: return "end";
    case FL_STOP_IDLE: return "idle";
    case FL_STOP_VIOLATION: return "violation";
    case FL_STOP_BUDGET: return "budget";
    }
    return "?";
}

const char *fl_drop_reason_name(enum fl_drop_reason reason) {
    switch (reason) {
    case FL_DROP_LOSS: return "loss";
    case FL_DROP_PARTITION: return "partition";
    case FL_DROP_QUEUE: return "queue_full";
    case FL_DROP_DOWN: return "node_down";
    case FL_DROP_REASON_COUNT: break;
    }
    return "?";
}

uint64_t fl_sim_emit(struct fl_sim *sim, struct fl_trace_record *record) {
    record->time_ns = sim->now_ns;
    return fl_trace_emit(&sim->trace, record);
}

/* After a handler: a view line when the node's described state differs from
 * the last one written for it. Only while a trace file is written, and never
 * a record: the fingerprint and the event ids are the same without a file. */
static void note_view(struct fl_sim *sim, const struct fl_node *node) {
    if (sim->views == NULL || node->service->describe_state == NULL) return;
    assert(fl_trace_writing(&sim->trace));
    assert(node->up); /* a crashed node's state is poison, never described */
    struct fl_state_view view;
    memset(&view, 0, sizeof view);
    node->service->describe_state(node->state, &view);
    view.role[sizeof view.role - 1] = '\0';
    view.label[sizeof view.label - 1] = '\0';
    struct fl_node_view *last = &sim->views[node->id];
    if (last->written && memcmp(&last->view, &view, sizeof view) == 0) return;
    last->view = view;
    last->written = true;
    fl_trace_view(&sim->trace, sim->now_ns, node->id, &view);
}

static uint64_t emit_simple(struct fl_sim *sim, uint8_t kind, uint32_t node, uint64_t cause,
                            uint64_t a) {
    struct fl_trace_record r = {.kind = kind, .node = node, .peer = FL_NODE_NONE, .cause = cause,
                                .a = a};
    return fl_sim_emit(sim, &r);
}

/* --- construction ---------------------------------------------------------- */

static void init_node(struct fl_sim *sim, uint32_t id) {
    const struct fl_scenario *sc = sim->scenario;
    struct fl_node *node = &sim->nodes[id];
    node->sim = sim;
    node->id = id;
    node->is_client = id >= sc->server_count;
    node->service = node->is_client ? sim->model->client : sim->model->server;
    assert(node->service != NULL);
    size_t state_bytes = node->service->state_size_bytes ? node->service->state_size_bytes : 1;
    node->state = calloc(1, state_bytes);
    if (node->state == NULL) abort();
    sim->alloc_count++;
    if (node->is_client) {
        fl_rng_init_indexed(&node->rng, sim->seed, "client", id - sc->server_count);
    } else {
        fl_rng_init_indexed(&node->rng, sim->seed, "server", id);
    }
    /* Skew and drift come from a per-node clock stream, so giving one node an
     * explicit clock does not change the others' draws. */
    struct fl_rng clock_rng;
    if (node->is_client) {
        fl_rng_init_indexed(&clock_rng, sim->seed, "clock/client", id - sc->server_count);
    } else {
        fl_rng_init_indexed(&clock_rng, sim->seed, "clock/server", id);
    }
    int64_t offset_ns = fl_rng_symmetric(&clock_rng, sc->clocks.offset_ns_max);
    int32_t drift_ppm = (int32_t)fl_rng_symmetric(&clock_rng, sim->plan.drift_ppm_max);
    for (uint32_t i = 0; i < sc->clock_override_count; i++) {
        if (sc->clock_overrides[i].node != id) continue;
        offset_ns = sc->clock_overrides[i].offset_ns;
        drift_ppm = sc->clock_overrides[i].drift_ppm;
    }
    fl_clock_init(&node->clock, sc->clocks.wall_epoch_ns, offset_ns, drift_ppm);
    struct fl_rng disk_rng;
    if (node->is_client) {
        fl_rng_init_indexed(&disk_rng, sim->seed, "disk/client", id - sc->server_count);
    } else {
        fl_rng_init_indexed(&disk_rng, sim->seed, "disk/server", id);
    }
    fl_disk_init(&node->disk, &sim->plan.disk, &disk_rng, &sim->alloc_count, fl_sim_disk_note,
                 node);
}

void fl_sim_disk_note(void *ctx, const struct fl_disk_note *note) {
    struct fl_node *node = ctx;
    struct fl_sim *sim = node->sim;
    size_t len = strlen(note->file);
    struct fl_trace_record r = {.kind = FL_TR_DISK_FAULT, .node = node->id, .peer = FL_NODE_NONE,
                                .sub = (uint8_t)note->kind, .cause = sim->current_cause,
                                .a = note->offset, .b = note->size_bytes, .c = note->detail,
                                .text = note->file, .text_len = (uint32_t)len};
    fl_sim_emit(sim, &r);
}

static uint32_t alloc_event(struct fl_sim *sim, uint8_t kind, uint32_t node) {
    uint32_t slot = fl_evq_alloc(&sim->evq);
    struct fl_event *ev = fl_evq_event(&sim->evq, slot);
    ev->kind = kind;
    ev->node = node;
    ev->cause = sim->current_cause;
    return slot;
}

static void schedule_fault(struct fl_sim *sim, uint32_t index, uint64_t time_ns, bool undo) {
    uint32_t slot = alloc_event(sim, FL_EV_FAULT, FL_NODE_NONE);
    struct fl_event *ev = fl_evq_event(&sim->evq, slot);
    ev->u.fault.index = index;
    ev->u.fault.heal_epoch = sim->net.heal_epoch;
    const struct fl_fault *f = &sim->plan.faults[index];
    if (f->kind == FL_FAULT_HOLD) {
        ev->u.fault.hold_epoch = fl_net_link(&sim->net, f->from, f->to)->hold_epoch;
    }
    if (undo) ev->flags |= FL_EVF_UNDO;
    fl_evq_push(&sim->evq, slot, time_ns);
}

struct fl_sim *fl_sim_create(const struct fl_scenario *scenario,
                             const struct fl_run_options *options) {
    assert(scenario != NULL && options != NULL);
    assert(scenario->model != NULL && scenario->model->server != NULL);
    struct fl_sim *sim = calloc(1, sizeof *sim);
    if (sim == NULL) return NULL;
    sim->alloc_count = 1;
    sim->scenario = scenario;
    sim->model = scenario->model;
    sim->seed = options->seed;
    sim->events_max = options->events_max ? options->events_max : scenario->events_max;
    fl_run_plan_init(&sim->plan, scenario, options->seed, &sim->alloc_count);
    sim->quiet_since_ns = sim->plan.quiet_since_ns;
    sim->node_count = fl_scenario_node_count(scenario);
    sim->world.sim = sim;
    sim->next_request_id = 1;
    sim->next_sync_id = 1;
    sim->result.seed = options->seed;

    fl_evq_init(&sim->evq, sim->node_count * 4 + sim->plan.fault_count * 2, &sim->alloc_count);
    fl_pool_init(&sim->pool, &sim->alloc_count);
    fl_net_init(&sim->net, scenario, &sim->plan.net, options->seed, &sim->alloc_count);
    fl_trace_init(&sim->trace, options->trace, scenario->server_count, sim->node_count,
                  &sim->alloc_count);
    fl_history_init(&sim->history, sim->node_count, &sim->alloc_count);
    if (fl_trace_writing(&sim->trace)) {
        sim->views = calloc(sim->node_count, sizeof sim->views[0]);
        if (sim->views == NULL) abort();
        sim->alloc_count++;
    }
    sim->nodes = calloc(sim->node_count, sizeof sim->nodes[0]);
    if (sim->nodes == NULL) abort();
    sim->alloc_count++;
    for (uint32_t id = 0; id < sim->node_count; id++) init_node(sim, id);
    sim->checker_state = calloc(1, sim->model->checker_state_bytes + 1);
    if (sim->checker_state == NULL) abort();
    sim->alloc_count++;

    /* Boots first, in id order, then the timeline: at equal times a fault
     * scheduled at 0 runs after every node has started. */
    for (uint32_t id = 0; id < sim->node_count; id++) {
        fl_evq_push(&sim->evq, alloc_event(sim, FL_EV_START, id), 0);
    }
    for (uint32_t i = 0; i < sim->plan.fault_count; i++) {
        schedule_fault(sim, i, sim->plan.faults[i].at_ns, false);
    }
    return sim;
}

void fl_sim_destroy(struct fl_sim *sim) {
    if (sim == NULL) return;
    fl_trace_deinit(&sim->trace);
    fl_history_deinit(&sim->history);
    fl_net_deinit(&sim->net);
    fl_pool_deinit(&sim->pool);
    fl_evq_deinit(&sim->evq);
    for (uint32_t id = 0; id < sim->node_count; id++) {
        free(sim->nodes[id].state);
        fl_disk_deinit(&sim->nodes[id].disk);
    }
    free(sim->nodes);
    free(sim->held);
    free(sim->views);
    free(sim->checker_state);
    fl_run_plan_deinit(&sim->plan);
    fl_sim_sites_deinit(sim);
    free(sim);
}

const char *fl_sim_swarm_json(const struct fl_sim *sim) {
    return sim->plan.json;
}

const void *fl_sim_node_state(const struct fl_sim *sim, fl_node_id id) {
    assert(id < sim->node_count);
    return sim->nodes[id].up ? sim->nodes[id].state : NULL;
}

uint64_t fl_sim_now_ns(const struct fl_sim *sim) {
    return sim->now_ns;
}

uint64_t fl_sim_history_count(const struct fl_sim *sim) {
    return sim->history.count;
}

bool fl_sim_history_write(const struct fl_sim *sim, FILE *out) {
    return fl_history_write_jsonl(&sim->history, out);
}

uint64_t fl_sim_alloc_count(const struct fl_sim *sim) {
    return sim->alloc_count;
}

/* --- violations -------------------------------------------------------------- */

void fl_sim_violation(struct fl_sim *sim, uint32_t node, const char *check, const char *message) {
    char text[FL_CHECK_NAME_MAX + FL_VIOLATION_TEXT_MAX + 2];
    int n = snprintf(text, sizeof text, "%s: %s", check, message);
    assert(n >= 0);
    uint32_t text_len = (uint32_t)n < sizeof text ? (uint32_t)n : (uint32_t)sizeof text - 1;
    struct fl_trace_record r = {.kind = FL_TR_VIOLATION, .node = node, .peer = FL_NODE_NONE,
                                .cause = sim->current_cause, .text = text, .text_len = text_len};
    uint64_t id = fl_sim_emit(sim, &r);
    struct fl_result *res = &sim->result;
    if (res->violation_count < FL_VIOLATIONS_MAX) {
        struct fl_violation *v = &res->violations[res->violation_count];
        snprintf(v->check, sizeof v->check, "%s", check);
        snprintf(v->message, sizeof v->message, "%s", message);
        v->time_ns = sim->now_ns;
        v->node = node;
        v->event_id = id;
    }
    res->violation_count++;
}

/* --- node lifecycle ------------------------------------------------------------ */

static void call_start(struct fl_sim *sim, struct fl_node *node) {
    if (node->service->start == NULL) return;
    sim->current_node = node;
    node->service->start(node, node->state);
    sim->current_node = NULL;
}

static void boot(struct fl_sim *sim, struct fl_node *node, uint64_t cause) {
    assert(!node->up || node->incarnation == 0);
    memset(node->state, 0, node->service->state_size_bytes);
    node->up = true;
    node->paused_until_ns = 0;
    uint8_t kind = node->incarnation == 0 ? FL_TR_START : FL_TR_RESTART;
    sim->current_cause = emit_simple(sim, kind, node->id, cause, node->incarnation);
    call_start(sim, node);
    note_view(sim, node);
}

/* Removes what dies with the process: its timers and its syncs in progress. */
static void remove_process_events(struct fl_sim *sim, uint32_t node_id) {
    /* Slot order, not heap order: deterministic, and removing one entry from
     * the heap does not move any slot. */
    for (uint32_t slot = 0; slot < sim->evq.slot_used; slot++) {
        struct fl_event *ev = fl_evq_event(&sim->evq, slot);
        bool process_event = ev->kind == FL_EV_TIMER || ev->kind == FL_EV_SYNC;
        if (!process_event || ev->node != node_id) continue;
        if (ev->heap_pos == FL_EVQ_NONE) continue;
        fl_evq_remove(&sim->evq, slot);
        fl_evq_free(&sim->evq, slot);
    }
}

static void crash(struct fl_sim *sim, struct fl_node *node, uint64_t restart_after_ns,
                  uint64_t cause) {
    if (!node->up) return; /* already down: nothing more to lose */
    node->up = false;
    node->paused_until_ns = 0;
    memset(node->state, FL_POISON_BYTE, node->service->state_size_bytes);
    remove_process_events(sim, node->id);
    if (sim->views != NULL) sim->views[node->id].written = false;
    uint64_t id = emit_simple(sim, FL_TR_CRASH, node->id, cause, restart_after_ns);
    sim->current_cause = id;
    fl_disk_crash(&node->disk); /* unsynced writes: lost, kept or torn, each traced */
    if (restart_after_ns > 0) {
        sim->current_cause = id;
        uint32_t slot = alloc_event(sim, FL_EV_RESTART, node->id);
        fl_evq_push(&sim->evq, slot, sim->now_ns + restart_after_ns);
    }
}

static void restart(struct fl_sim *sim, struct fl_node *node, uint64_t cause) {
    if (node->up) return; /* a restart of a running node changes nothing */
    node->incarnation++;
    boot(sim, node, cause);
}

static void pause_node(struct fl_sim *sim, struct fl_node *node, uint64_t duration_ns,
                       uint64_t cause) {
    if (!node->up) return;
    uint64_t until = sim->now_ns + duration_ns;
    if (until > node->paused_until_ns) node->paused_until_ns = until;
    uint64_t id = emit_simple(sim, FL_TR_PAUSE, node->id, cause, node->paused_until_ns);
    sim->current_cause = id;
    uint32_t slot = alloc_event(sim, FL_EV_RESUME, node->id);
    fl_evq_push(&sim->evq, slot, until);
}

/* --- messages ------------------------------------------------------------------ */

static void count_drop(struct fl_sim *sim, uint8_t reason) {
    assert(reason < FL_DROP_REASON_COUNT);
    sim->result.messages_dropped++;
    sim->result.dropped_by_reason[reason]++;
}

static void emit_drop(struct fl_sim *sim, uint32_t from, uint32_t to, uint8_t mtype,
                      uint64_t msg_id, uint64_t request_id, uint8_t reason) {
    struct fl_trace_record r = {.kind = FL_TR_DROP, .node = to, .peer = from, .sub = mtype,
                                .cause = msg_id, .a = reason, .b = msg_id,
                                .request_id = request_id};
    fl_sim_emit(sim, &r);
    count_drop(sim, reason);
}

static uint32_t schedule_copy(struct fl_sim *sim, uint32_t from, uint32_t to, uint8_t mtype,
                              uint64_t msg_id, uint64_t request_id, const void *data,
                              uint32_t size_bytes, uint64_t latency_ns, uint8_t flags) {
    uint32_t slot = alloc_event(sim, FL_EV_DELIVER, to);
    struct fl_event *ev = fl_evq_event(&sim->evq, slot);
    ev->cause = msg_id;
    ev->mtype = mtype;
    ev->flags = flags;
    ev->pool_class = fl_pool_class(size_bytes);
    ev->u.deliver.data = fl_pool_get(&sim->pool, ev->pool_class);
    if (size_bytes > 0) memcpy(ev->u.deliver.data, data, size_bytes);
    ev->u.deliver.msg_id = msg_id;
    ev->u.deliver.request_id = request_id;
    ev->u.deliver.src = from;
    ev->u.deliver.size_bytes = size_bytes;
    fl_evq_push(&sim->evq, slot, sim->now_ns + latency_ns);
    return slot;
}

void fl_sim_send(struct fl_sim *sim, struct fl_node *from, uint32_t to, uint8_t mtype,
                 uint64_t request_id, const void *data, size_t size_bytes) {
    assert(to < sim->node_count);
    assert(data != NULL || size_bytes == 0);
    if (size_bytes > sim->scenario->message_size_max_bytes) {
        char message[160];
        snprintf(message, sizeof message,
                 "a %zu-byte message exceeds network.message_size_max (%u bytes)", size_bytes,
                 sim->scenario->message_size_max_bytes);
        fl_sim_violation(sim, from->id, "engine.message_size", message);
        return;
    }
    uint32_t size = (uint32_t)size_bytes;
    struct fl_trace_record r = {.kind = FL_TR_SEND, .node = from->id, .peer = to, .sub = mtype,
                                .cause = sim->current_cause, .a = size,
                                .b = XXH3_64bits(data, size), .request_id = request_id};
    struct fl_message_view view;
    if (fl_trace_writing(&sim->trace) && from->service->describe_message != NULL) {
        memset(&view, 0, sizeof view);
        from->service->describe_message(data, size, &view);
        r.message_view = &view;
    }
    uint64_t msg_id = fl_sim_emit(sim, &r);
    sim->result.messages_sent++;

    struct fl_net_fate fate;
    fl_net_decide(&sim->net, from->id, to, size, &fate);
    if (fate.dropped) {
        emit_drop(sim, from->id, to, mtype, msg_id, request_id, fate.drop_reason);
        return;
    }
    uint8_t flags = fate.corrupt ? FL_EVF_CORRUPT : 0;
    uint32_t slot = schedule_copy(sim, from->id, to, mtype, msg_id, request_id, data, size,
                                  fate.latency_ns, flags);
    if (fate.corrupt) {
        /* Only the first copy is hurt; the sender's bytes and a duplicate stay
         * intact, as when one packet takes a bad path. */
        uint8_t *bytes = fl_evq_event(&sim->evq, slot)->u.deliver.data;
        assert(fate.corrupt_bit < (uint64_t)size * 8);
        bytes[fate.corrupt_bit / 8] ^= (uint8_t)(1u << (fate.corrupt_bit % 8));
        sim->result.messages_corrupted++;
    }
    if (fate.duplicate) {
        struct fl_trace_record d = {.kind = FL_TR_DUPLICATE, .node = from->id, .peer = to,
                                    .sub = mtype, .cause = msg_id, .b = msg_id,
                                    .request_id = request_id};
        fl_sim_emit(sim, &d);
        sim->result.messages_duplicated++;
        schedule_copy(sim, from->id, to, mtype, msg_id, request_id, data, size,
                      fate.latency_dup_ns, FL_EVF_DUPLICATE);
    }
}

static void hold_message(struct fl_sim *sim, uint32_t slot, const struct fl_event *ev) {
    if (sim->held_count == sim->held_capacity) {
        uint32_t capacity = sim->held_capacity ? sim->held_capacity * 2 : 64;
        uint32_t *held = realloc(sim->held, capacity * sizeof held[0]);
        if (held == NULL) abort();
        sim->alloc_count++;
        sim->held = held;
        sim->held_capacity = capacity;
    }
    sim->held[sim->held_count++] = slot;
    struct fl_trace_record r = {.kind = FL_TR_HOLD, .node = ev->node, .peer = ev->u.deliver.src,
                                .sub = ev->mtype, .cause = ev->u.deliver.msg_id,
                                .b = ev->u.deliver.msg_id,
                                .request_id = ev->u.deliver.request_id};
    fl_sim_emit(sim, &r);
}

static void call_message_handler(struct fl_sim *sim, struct fl_node *node,
                                 const struct fl_event *ev) {
    const struct fl_service *svc = node->service;
    const uint8_t *data = ev->u.deliver.data;
    uint32_t size = ev->u.deliver.size_bytes;
    sim->current_node = node;
    switch ((enum fl_msg_type)ev->mtype) {
    case FL_MSG_PLAIN:
        if (svc->on_message) svc->on_message(node, node->state, ev->u.deliver.src, data, size);
        break;
    case FL_MSG_REQUEST:
        if (svc->on_request) {
            struct fl_request req = {.client = ev->u.deliver.src, .id = ev->u.deliver.request_id};
            svc->on_request(node, node->state, req, data, size);
        }
        break;
    case FL_MSG_REPLY:
        if (svc->on_reply) {
            svc->on_reply(node, node->state, ev->u.deliver.src, ev->u.deliver.request_id, data,
                          size);
        }
        break;
    }
    sim->current_node = NULL;
}

static void defer(struct fl_sim *sim, uint32_t slot, const struct fl_node *node) {
    assert(node->paused_until_ns > sim->now_ns);
    fl_evq_push(&sim->evq, slot, node->paused_until_ns);
}

static void deliver(struct fl_sim *sim, uint32_t slot) {
    struct fl_event ev = *fl_evq_event(&sim->evq, slot);
    struct fl_node *node = &sim->nodes[ev.node];
    uint32_t src = ev.u.deliver.src;
    struct fl_link *link = fl_net_link(&sim->net, src, ev.node);
    if (link->held) {
        hold_message(sim, slot, &ev);
        return;
    }
    if (node->up && link->blocks == 0 && node->paused_until_ns > sim->now_ns) {
        defer(sim, slot, node); /* the bytes wait in the paused node's socket buffer */
        return;
    }
    fl_net_left(&sim->net, src, ev.node);
    fl_evq_free(&sim->evq, slot);
    uint8_t reason = !node->up ? FL_DROP_DOWN : FL_DROP_PARTITION;
    if (!node->up || link->blocks > 0) {
        emit_drop(sim, src, ev.node, ev.mtype, ev.u.deliver.msg_id, ev.u.deliver.request_id,
                  reason);
    } else {
        uint8_t sub = (uint8_t)(ev.mtype | ((ev.flags & FL_EVF_CORRUPT) ? 8u : 0u));
        struct fl_trace_record r = {.kind = FL_TR_DELIVER, .node = ev.node, .peer = src,
                                    .sub = sub, .cause = ev.u.deliver.msg_id,
                                    .a = ev.u.deliver.size_bytes, .b = ev.u.deliver.msg_id,
                                    .request_id = ev.u.deliver.request_id};
        sim->current_cause = fl_sim_emit(sim, &r);
        sim->result.messages_delivered++;
        call_message_handler(sim, node, &ev);
        note_view(sim, node);
    }
    fl_pool_put(&sim->pool, ev.u.deliver.data, ev.pool_class);
}

/* Delivers held messages now, in the order they reached the link: every one
 * on from -> to, or every one when from is FL_NODE_NONE. They are delivered
 * inline rather than queued again: queued at this instant they would run after
 * a message that reaches the link at this same instant but was queued earlier,
 * and a link must stay FIFO. */
static void release_held(struct fl_sim *sim, uint32_t from, uint32_t to) {
    uint32_t kept = 0;
    uint32_t count = sim->held_count;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t slot = sim->held[i];
        struct fl_event *ev = fl_evq_event(&sim->evq, slot);
        bool match = from == FL_NODE_NONE || (ev->u.deliver.src == from && ev->node == to);
        if (!match || sim->result.violation_count > 0) { /* the run stops at a violation */
            sim->held[kept++] = slot;
            continue;
        }
        assert(!fl_net_link(&sim->net, ev->u.deliver.src, ev->node)->held);
        deliver(sim, slot);
        assert(sim->held_count == count); /* the link is open: nothing was held again */
    }
    sim->held_count = kept;
}

static void complete_sync(struct fl_sim *sim, uint32_t slot) {
    struct fl_event ev = *fl_evq_event(&sim->evq, slot);
    struct fl_node *node = &sim->nodes[ev.node];
    assert(node->up); /* a crash removed the syncs of its process */
    if (node->paused_until_ns > sim->now_ns) {
        defer(sim, slot, node);
        return;
    }
    fl_evq_free(&sim->evq, slot);
    sim->current_cause = ev.cause;
    int status = fl_disk_sync_complete(&node->disk, ev.u.sync.mark);
    struct fl_trace_record r = {.kind = FL_TR_DISK_SYNCED, .node = node->id, .peer = FL_NODE_NONE,
                                .cause = ev.cause, .a = (uint64_t)(int64_t)status,
                                .c = ev.u.sync.sync_id};
    sim->current_cause = fl_sim_emit(sim, &r);
    if (node->service->on_sync == NULL) return;
    sim->current_node = node;
    node->service->on_sync(node, node->state, ev.u.sync.sync_id, ev.u.sync.tag, status);
    sim->current_node = NULL;
    note_view(sim, node);
}

uint64_t fl_sim_sync(struct fl_sim *sim, struct fl_node *node, uint64_t tag) {
    const struct fl_disk_params *p = &sim->plan.disk;
    uint64_t sync_id = sim->next_sync_id++;
    struct fl_trace_record r = {.kind = FL_TR_DISK_SYNC, .node = node->id, .peer = FL_NODE_NONE,
                                .cause = sim->current_cause, .c = sync_id};
    uint64_t record = fl_sim_emit(sim, &r);
    uint64_t latency = p->sync_latency_min_ns +
                       fl_rng_exponential_ns(&node->disk.rng, p->sync_latency_tail_mean_ns,
                                             p->sync_latency_tail_max_ns);
    uint32_t slot = alloc_event(sim, FL_EV_SYNC, node->id);
    struct fl_event *ev = fl_evq_event(&sim->evq, slot);
    ev->cause = record;
    ev->u.sync.mark = fl_disk_sync_mark(&node->disk);
    ev->u.sync.sync_id = sync_id;
    ev->u.sync.tag = tag;
    fl_evq_push(&sim->evq, slot, sim->now_ns + latency);
    return sync_id;
}

static void fire_timer(struct fl_sim *sim, uint32_t slot) {
    struct fl_event ev = *fl_evq_event(&sim->evq, slot);
    struct fl_node *node = &sim->nodes[ev.node];
    assert(node->up);                                  /* crash removed its timers */
    assert(ev.u.timer.incarnation == node->incarnation);
    if (node->paused_until_ns > sim->now_ns) {
        defer(sim, slot, node); /* a paused process's timers fire late */
        return;
    }
    uint64_t timer_id = fl_evq_handle(&sim->evq, slot);
    fl_evq_free(&sim->evq, slot);
    struct fl_trace_record r = {.kind = FL_TR_TIMER, .node = node->id, .peer = FL_NODE_NONE,
                                .cause = ev.cause, .a = timer_id, .b = ev.u.timer.tag};
    sim->current_cause = fl_sim_emit(sim, &r);
    if (node->service->on_timer == NULL) return;
    sim->current_node = node;
    node->service->on_timer(node, node->state, timer_id, ev.u.timer.tag);
    sim->current_node = NULL;
    note_view(sim, node);
}

/* --- timeline faults ------------------------------------------------------------ */

static void append_group_text(char *text, size_t size, size_t *used, uint32_t servers,
                              const uint8_t *group_of, uint32_t node_count, uint8_t group) {
    bool first = true;
    for (uint32_t id = 0; id < node_count; id++) {
        if (group_of[id] != group) continue;
        char name[16];
        fl_node_name(servers, id, name, sizeof name);
        int n = snprintf(text + *used, size - *used, "%s%s", first ? "" : ",", name);
        if (n > 0 && (size_t)n < size - *used) *used += (size_t)n;
        first = false;
    }
}

/* A readable line for the trace: "split n1,n2 | n3,n4,n5", "oneway n1->n2". */
static uint32_t describe_net_fault(const struct fl_sim *sim, const struct fl_fault *f, char *text,
                                   size_t size) {
    uint32_t servers = sim->scenario->server_count;
    char a[16] = "", b[16] = "";
    size_t used = 0;
    switch (f->kind) {
    case FL_FAULT_ISOLATE:
        fl_node_name(servers, f->node, a, sizeof a);
        used = (size_t)snprintf(text, size, "isolate %s", a);
        break;
    case FL_FAULT_SPLIT:
    case FL_FAULT_BRIDGE:
        used = (size_t)snprintf(text, size, "%s ", f->kind == FL_FAULT_SPLIT ? "split" : "bridge");
        for (uint8_t g = 0; g < FL_GROUPS_MAX; g++) {
            bool any = false;
            for (uint32_t id = 0; id < sim->node_count; id++) any |= f->group_of[id] == g;
            if (!any) break;
            if (g > 0) used += (size_t)snprintf(text + used, size - used, " | ");
            append_group_text(text, size, &used, servers, f->group_of, sim->node_count, g);
        }
        if (f->kind == FL_FAULT_BRIDGE) {
            fl_node_name(servers, f->node, a, sizeof a);
            used += (size_t)snprintf(text + used, size - used, " via %s", a);
        }
        break;
    case FL_FAULT_ONEWAY:
    case FL_FAULT_HOLD:
    case FL_FAULT_RELEASE:
        fl_node_name(servers, f->from, a, sizeof a);
        fl_node_name(servers, f->to, b, sizeof b);
        used = (size_t)snprintf(text, size, "%s %s->%s",
                                f->kind == FL_FAULT_ONEWAY ? "oneway"
                                : f->kind == FL_FAULT_HOLD ? "hold"
                                                           : "release",
                                a, b);
        break;
    case FL_FAULT_HEAL:
        used = (size_t)snprintf(text, size, "heal");
        break;
    default:
        assert(!"not a network fault");
    }
    return used < size ? (uint32_t)used : (uint32_t)size - 1;
}

static bool is_net_fault(enum fl_fault_kind kind) {
    return kind <= FL_FAULT_HEAL;
}

static void apply_net_fault(struct fl_sim *sim, uint32_t index, const struct fl_event *ev) {
    const struct fl_fault *f = &sim->plan.faults[index];
    bool undo = (ev->flags & FL_EVF_UNDO) != 0;
    if (undo && ev->u.fault.heal_epoch != sim->net.heal_epoch) return; /* a heal undid it */
    bool released = f->kind == FL_FAULT_HOLD &&
                    ev->u.fault.hold_epoch != fl_net_link(&sim->net, f->from, f->to)->hold_epoch;
    if (undo && released) return; /* an explicit release ended this hold already */
    fl_net_apply(&sim->net, f, undo);
    uint32_t len = describe_net_fault(sim, f, sim->text, sizeof sim->text);
    struct fl_trace_record r = {.kind = FL_TR_NET, .node = FL_NODE_NONE, .peer = FL_NODE_NONE,
                                .cause = ev->cause, .a = f->kind, .b = undo,
                                .text = sim->text, .text_len = len};
    uint64_t fault_id = fl_sim_emit(sim, &r);
    sim->current_cause = fault_id;
    if (f->kind == FL_FAULT_HEAL) release_held(sim, FL_NODE_NONE, FL_NODE_NONE);
    bool opened = f->kind == FL_FAULT_RELEASE ||
                  (f->kind == FL_FAULT_HOLD && undo && !fl_net_link(&sim->net, f->from, f->to)->held);
    if (opened) release_held(sim, f->from, f->to);
    sim->current_cause = fault_id; /* deliveries above moved it */
    if (!undo && f->duration_ns > 0) {
        schedule_fault(sim, index, sim->now_ns + f->duration_ns, true);
    }
}

/* The disk refuses to grow while any disk_full fault is on; it is the device
 * that is full, so a crash and restart of the process change nothing. */
static void disk_full(struct fl_sim *sim, struct fl_node *node, uint32_t index,
                      const struct fl_event *ev) {
    const struct fl_fault *f = &sim->plan.faults[index];
    bool undo = (ev->flags & FL_EVF_UNDO) != 0;
    assert(!undo || node->disk.full > 0);
    node->disk.full = undo ? node->disk.full - 1 : node->disk.full + 1;
    struct fl_disk_note note = {.kind = undo ? FL_DISK_NOTE_FULL_END : FL_DISK_NOTE_FULL_BEGIN,
                                .file = ""};
    fl_sim_disk_note(node, &note);
    if (!undo && f->duration_ns > 0) schedule_fault(sim, index, sim->now_ns + f->duration_ns, true);
}

static void apply_fault(struct fl_sim *sim, uint32_t slot) {
    struct fl_event ev = *fl_evq_event(&sim->evq, slot);
    fl_evq_free(&sim->evq, slot);
    uint32_t index = ev.u.fault.index;
    assert(index < sim->plan.fault_count);
    const struct fl_fault *f = &sim->plan.faults[index];
    sim->current_cause = ev.cause;
    if (is_net_fault(f->kind)) {
        apply_net_fault(sim, index, &ev);
        return;
    }
    assert(f->node < sim->node_count);
    struct fl_node *node = &sim->nodes[f->node];
    switch (f->kind) {
    case FL_FAULT_CRASH: crash(sim, node, f->duration_ns, ev.cause); break;
    case FL_FAULT_RESTART: restart(sim, node, ev.cause); break;
    case FL_FAULT_PAUSE: pause_node(sim, node, f->duration_ns, ev.cause); break;
    case FL_FAULT_CLOCK_JUMP:
        fl_clock_jump(&node->clock, f->wall_delta_ns);
        emit_simple(sim, FL_TR_CLOCK_JUMP, node->id, ev.cause, (uint64_t)f->wall_delta_ns);
        break;
    case FL_FAULT_DISK_FULL: disk_full(sim, node, index, &ev); break;
    case FL_FAULT_DISK_CORRUPT: fl_disk_rot(&node->disk); break;
    default: assert(!"unknown fault kind");
    }
}

/* --- the loop ---------------------------------------------------------------------- */

static void dispatch(struct fl_sim *sim, uint32_t slot) {
    struct fl_event *ev = fl_evq_event(&sim->evq, slot);
    struct fl_node *node = ev->node < sim->node_count ? &sim->nodes[ev->node] : NULL;
    uint64_t cause = ev->cause;
    switch ((enum fl_event_kind)ev->kind) {
    case FL_EV_DELIVER: deliver(sim, slot); break;
    case FL_EV_TIMER: fire_timer(sim, slot); break;
    case FL_EV_SYNC: complete_sync(sim, slot); break;
    case FL_EV_FAULT: apply_fault(sim, slot); break;
    case FL_EV_START:
        fl_evq_free(&sim->evq, slot);
        boot(sim, node, cause);
        break;
    case FL_EV_RESTART:
        fl_evq_free(&sim->evq, slot);
        restart(sim, node, cause);
        break;
    case FL_EV_RESUME:
        fl_evq_free(&sim->evq, slot);
        /* Only the pause that set the current deadline reports the resume. */
        if (node->up && node->paused_until_ns == sim->now_ns) {
            node->paused_until_ns = 0;
            emit_simple(sim, FL_TR_RESUME, node->id, cause, 0);
        }
        break;
    case FL_EV_FREE: assert(!"a free slot was queued");
    }
}

/* "read by c2 returned 7 at 1.204 s", "cas 3->4 by c1 failed at 0.020 s". */
static void describe_op(const struct fl_sim *sim, const struct fl_history_op *op, char *out,
                        size_t size) {
    char node[16], when[32], value[48] = "nil", value_to[24] = "nil";
    fl_node_name(sim->scenario->server_count, op->node, node, sizeof node);
    uint64_t at_ns = op->returned ? op->return_ns : op->invoke_ns;
    snprintf(when, sizeof when, "%" PRIu64 ".%03" PRIu64 " s", at_ns / 1000000000u,
             at_ns / 1000000u % 1000u);
    int64_t shown = op->kind == FL_OP_READ ? op->value_out : op->value;
    if (shown != FL_VALUE_NIL) snprintf(value, sizeof value, "%" PRId64, shown);
    if (op->value_to != FL_VALUE_NIL) snprintf(value_to, sizeof value_to, "%" PRId64, op->value_to);
    const char *ended = !op->returned || op->status == FL_OP_INFO ? "invoked (no answer)"
                        : op->status == FL_OP_OK                   ? "ok"
                                                                   : "failed";
    if (op->kind == FL_OP_READ && op->returned && op->status == FL_OP_OK) {
        snprintf(out, size, "read by %s returned %s at %s", node, value, when);
    } else if (op->kind == FL_OP_READ) {
        snprintf(out, size, "read by %s, %s at %s", node, ended, when);
    } else if (op->kind == FL_OP_WRITE) {
        snprintf(out, size, "write %s by %s, %s at %s", value, node, ended, when);
    } else {
        snprintf(out, size, "cas %s->%s by %s, %s at %s", value, value_to, node, ended, when);
    }
}

/* The model's history check, at the end of a run that had no violation: a
 * history that is not linearizable, or that the search could not finish, is a
 * violation ("unknown" never passes). */
static void check_history(struct fl_sim *sim) {
    enum fl_history_check mode = sim->model->history_check;
    if (mode == FL_HISTORY_NONE || sim->result.violation_count > 0) return;
    struct fl_lin_history lin;
    struct fl_lin_report report;
    struct fl_lin_options options = {
        .model = mode == FL_HISTORY_KV ? FL_LIN_MODEL_KV : FL_LIN_MODEL_REGISTER,
        .states_max = sim->model->history_states_max,
        .shortest_prefix = true};
    if (fl_history_to_lin(&sim->history, &lin) != FL_LIN_EOK) abort();
    if (fl_lin_check(&lin, &options, &report) != FL_LIN_EOK) abort(); /* out of memory */
    char message[FL_VIOLATION_TEXT_MAX];
    if (report.result == FL_LIN_NOT_LINEARIZABLE) {
        /* Named from the shortest failing prefix: its op is the one to look at. */
        assert(report.prefix_events > 0 && report.prefix_unplaced_count > 0);
        char op[160];
        describe_op(sim, &sim->history.ops[report.prefix_unplaced[0]], op, sizeof op);
        snprintf(message, sizeof message,
                 "key %" PRIu64 ": %s, no order of the %" PRIu64
                 " operations explains it (the first %" PRIu64 " of %" PRIu64
                 " history events already fail)",
                 report.prefix_bad_key, op, report.operations, report.prefix_events,
                 sim->history.events);
        fl_sim_violation(sim, FL_NODE_NONE, "linearizable", message);
    } else if (report.result == FL_LIN_UNKNOWN) {
        snprintf(message, sizeof message,
                 "search budget exhausted after %" PRIu64 " states on %" PRIu64
                 " operations: the history is unchecked (raise the model's history_states_max)",
                 report.states_explored, report.operations);
        fl_sim_violation(sim, FL_NODE_NONE, "linearizable", message);
    }
    fl_lin_report_deinit(&report);
    fl_lin_history_deinit(&lin);
}

static void stop(struct fl_sim *sim, enum fl_stop reason) {
    assert(!sim->stopped);
    sim->current_cause = 0;
    if (reason == FL_STOP_BUDGET) {
        char message[200];
        snprintf(message, sizeof message,
                 "event budget of %llu exhausted: raise budget.events_max, or look for a "
                 "livelock (a retry loop with no backoff, a timer re-armed with delay 0)",
                 (unsigned long long)sim->events_max);
        fl_sim_violation(sim, FL_NODE_NONE, "engine.budget", message);
    }
    if ((reason == FL_STOP_END || reason == FL_STOP_IDLE) && sim->model->check_end != NULL) {
        sim->current_cause = sim->trace.next_id - 1;
        sim->model->check_end(&sim->world);
    }
    if (reason == FL_STOP_END || reason == FL_STOP_IDLE) {
        sim->current_cause = sim->trace.next_id - 1;
        check_history(sim);
    }
    emit_simple(sim, FL_TR_END, FL_NODE_NONE, 0, reason);
    /* The end is the last record: the caller may close the file as soon as
     * the run stops, so the engine must not touch it again (not even the
     * flush in fl_sim_destroy). */
    fl_trace_release(&sim->trace);
    sim->result.stop = reason;
    sim->stopped = true;
}

bool fl_sim_step(struct fl_sim *sim) {
    if (sim->stopped) return false;
    if (fl_evq_empty(&sim->evq)) {
        stop(sim, FL_STOP_IDLE);
        return false;
    }
    if (fl_evq_peek_time(&sim->evq) > sim->scenario->duration_ns) {
        sim->now_ns = sim->scenario->duration_ns;
        stop(sim, FL_STOP_END);
        return false;
    }
    uint64_t time_ns;
    uint32_t slot = fl_evq_pop(&sim->evq, &time_ns);
    assert(time_ns >= sim->now_ns); /* time never runs backwards */
    sim->now_ns = time_ns;
    dispatch(sim, slot);
    if (sim->result.violation_count == 0 && sim->model->check_step != NULL) {
        /* The state the checker sees is the one after the last record. */
        sim->current_cause = sim->trace.next_id - 1;
        sim->model->check_step(&sim->world);
    }
    if (sim->result.violation_count > 0) {
        stop(sim, FL_STOP_VIOLATION);
        return false;
    }
    if (sim->trace.next_id - 1 >= sim->events_max) {
        stop(sim, FL_STOP_BUDGET);
        return false;
    }
    return true;
}

void fl_sim_result(const struct fl_sim *sim, struct fl_result *result) {
    *result = sim->result;
    result->pass = sim->stopped && sim->result.violation_count == 0;
    result->fingerprint = fl_trace_fingerprint(&sim->trace);
    result->events = sim->trace.next_id - 1;
    result->sim_time_ns = sim->now_ns;
}

void fl_sim_run(struct fl_sim *sim, struct fl_result *result) {
    while (fl_sim_step(sim)) {
    }
    fl_sim_result(sim, result);
}
