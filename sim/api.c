/*
 * api: the service API (faultline/service.h) on top of the simulation object.
 *
 * Every call that acts (send, request, reply, timers, random draws,
 * annotations, assertions) checks that the node is the one whose code is
 * running: a model that kept another node's handle, or called the API from a
 * checker, is a bug in the model, caught at the call instead of showing up as a
 * mysteriously attributed event. Calls that only read (who am I, clocks,
 * parameters) are not checked.
 *
 * Assertion sites are found by the hash of their name's text (not its address:
 * two builds may place the same literal differently, and sweep reports must
 * agree), in an open-addressing table that grows only when a new site is
 * first reached.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sim_internal.h"

static struct fl_sim *running(const fl_node *node) {
    assert(node != NULL);
    struct fl_sim *sim = node->sim;
    assert(sim->current_node == node); /* a node acts only inside its own callback */
    return sim;
}

fl_node_id fl_self(const fl_node *node) {
    return node->id;
}

uint32_t fl_server_count(const fl_node *node) {
    return node->sim->scenario->server_count;
}

uint32_t fl_client_count(const fl_node *node) {
    return node->sim->scenario->client_count;
}

bool fl_is_client(const fl_node *node) {
    return node->is_client;
}

uint32_t fl_variant(const fl_node *node) {
    return node->sim->scenario->variant;
}

uint32_t fl_incarnation(const fl_node *node) {
    return node->incarnation;
}

static int64_t param_value(const struct fl_scenario *scenario, const char *name) {
    const struct fl_param *params = scenario->model->params;
    for (uint32_t i = 0; params != NULL && params[i].name != NULL; i++) {
        if (strcmp(params[i].name, name) == 0) {
            assert(i < scenario->param_count);
            return scenario->param_values[i];
        }
    }
    fprintf(stderr, "faultline: model %s has no parameter \"%s\"\n", scenario->model->name, name);
    abort();
}

int64_t fl_param(const fl_node *node, const char *name) {
    return param_value(node->sim->scenario, name);
}

/* --- network ------------------------------------------------------------------ */

void fl_send(fl_node *node, fl_node_id dst, const void *data, size_t size_bytes) {
    struct fl_sim *sim = running(node);
    fl_sim_send(sim, node, dst, FL_MSG_PLAIN, 0, data, size_bytes);
}

uint64_t fl_request(fl_node *node, fl_node_id server, const void *data, size_t size_bytes) {
    struct fl_sim *sim = running(node);
    assert(server < sim->scenario->server_count);
    uint64_t request_id = sim->next_request_id++;
    fl_sim_send(sim, node, server, FL_MSG_REQUEST, request_id, data, size_bytes);
    return request_id;
}

void fl_reply(fl_node *node, struct fl_request request, const void *data, size_t size_bytes) {
    struct fl_sim *sim = running(node);
    assert(request.id != 0 && request.id < sim->next_request_id);
    assert(request.client < sim->node_count);
    fl_sim_send(sim, node, request.client, FL_MSG_REPLY, request.id, data, size_bytes);
}

/* --- time ----------------------------------------------------------------------- */

uint64_t fl_mono_ns(const fl_node *node) {
    return fl_clock_mono(&node->clock, node->sim->now_ns);
}

int64_t fl_wall_ns(const fl_node *node) {
    return fl_clock_wall(&node->clock, node->sim->now_ns);
}

fl_timer_id fl_timer_set(fl_node *node, uint64_t delay_ns, uint64_t tag) {
    struct fl_sim *sim = running(node);
    uint32_t slot = fl_evq_alloc(&sim->evq);
    struct fl_event *ev = fl_evq_event(&sim->evq, slot);
    ev->kind = FL_EV_TIMER;
    ev->node = node->id;
    ev->cause = sim->current_cause;
    ev->u.timer.tag = tag;
    ev->u.timer.incarnation = node->incarnation;
    fl_evq_push(&sim->evq, slot, fl_clock_due(&node->clock, sim->now_ns, delay_ns));
    return fl_evq_handle(&sim->evq, slot);
}

bool fl_timer_cancel(fl_node *node, fl_timer_id timer) {
    struct fl_sim *sim = running(node);
    uint32_t slot = fl_evq_resolve(&sim->evq, timer);
    if (slot == FL_EVQ_NONE) return false;
    struct fl_event *ev = fl_evq_event(&sim->evq, slot);
    if (ev->kind != FL_EV_TIMER) return false;
    assert(ev->node == node->id); /* a node cancels only its own timers */
    if (ev->heap_pos == FL_EVQ_NONE) return false;
    fl_evq_remove(&sim->evq, slot);
    fl_evq_free(&sim->evq, slot);
    return true;
}

/* --- disk --------------------------------------------------------------------- */

const char *fl_strerror(int status) {
    switch (status) {
    case FL_OK: return "ok";
    case FL_EIO: return "EIO";
    case FL_ENOSPC: return "ENOSPC";
    }
    return "?";
}

static void emit_disk(struct fl_sim *sim, struct fl_node *node, uint8_t kind, const char *file,
                      uint64_t offset, uint64_t size_bytes, int status) {
    struct fl_trace_record r = {.kind = kind, .node = node->id, .peer = FL_NODE_NONE,
                                .cause = sim->current_cause, .a = offset, .b = size_bytes,
                                .c = (uint64_t)(int64_t)status, .text = file,
                                .text_len = (uint32_t)strlen(file)};
    fl_sim_emit(sim, &r);
}

int fl_disk_write(fl_node *node, const char *file, uint64_t offset, const void *data,
                  size_t size_bytes) {
    struct fl_sim *sim = running(node);
    int status = fl_disk_op_write(&node->disk, file, offset, data, size_bytes);
    emit_disk(sim, node, FL_TR_DISK_WRITE, file, offset, size_bytes, status);
    return status;
}

int fl_disk_read(fl_node *node, const char *file, uint64_t offset, void *out, size_t size_bytes,
                 size_t *read_bytes) {
    struct fl_sim *sim = running(node);
    uint64_t n = 0;
    int status = fl_disk_op_read(&node->disk, file, offset, out, size_bytes, &n);
    *read_bytes = (size_t)n;
    emit_disk(sim, node, FL_TR_DISK_READ, file, offset, size_bytes, status);
    return status;
}

int fl_disk_truncate(fl_node *node, const char *file, uint64_t size_bytes) {
    struct fl_sim *sim = running(node);
    int status = fl_disk_op_truncate(&node->disk, file, size_bytes);
    emit_disk(sim, node, FL_TR_DISK_TRUNCATE, file, 0, size_bytes, status);
    return status;
}

uint64_t fl_disk_size(fl_node *node, const char *file) {
    running(node);
    return fl_disk_op_size(&node->disk, file);
}

uint64_t fl_disk_sync(fl_node *node, uint64_t tag) {
    struct fl_sim *sim = running(node);
    return fl_sim_sync(sim, node, tag);
}

/* --- randomness ----------------------------------------------------------------- */

uint64_t fl_random(fl_node *node) {
    running(node);
    return fl_rng_next(&node->rng);
}

uint64_t fl_random_below(fl_node *node, uint64_t bound) {
    running(node);
    return fl_rng_below(&node->rng, bound);
}

/* --- trace and assertions --------------------------------------------------------- */

void fl_annotate(fl_node *node, const char *format, ...) {
    struct fl_sim *sim = running(node);
    va_list args;
    va_start(args, format);
    int n = vsnprintf(sim->text, sizeof sim->text, format, args);
    va_end(args);
    if (n < 0) n = 0;
    uint32_t len = (uint32_t)n < sizeof sim->text ? (uint32_t)n : (uint32_t)sizeof sim->text - 1;
    struct fl_trace_record r = {.kind = FL_TR_ANNOTATE, .node = node->id, .peer = FL_NODE_NONE,
                                .cause = sim->current_cause, .text = sim->text, .text_len = len};
    fl_sim_emit(sim, &r);
}

static void sites_grow(struct fl_sim *sim) {
    uint32_t capacity = sim->site_capacity ? sim->site_capacity * 2 : 64;
    struct fl_assert_site *sites = calloc(capacity, sizeof sites[0]);
    if (sites == NULL) abort();
    sim->alloc_count++;
    for (uint32_t i = 0; i < sim->site_capacity; i++) {
        struct fl_assert_site *old = &sim->sites[i];
        if (old->stat.name == NULL) continue;
        uint32_t j = (uint32_t)old->name_hash & (capacity - 1);
        while (sites[j].stat.name != NULL) j = (j + 1) & (capacity - 1);
        sites[j] = *old;
    }
    free(sim->sites);
    sim->sites = sites;
    sim->site_capacity = capacity;
    memset(sim->site_cache_name, 0, sizeof sim->site_cache_name); /* slots moved */
}

static uint32_t site_cache_index(const char *name) {
    return (uint32_t)(((uintptr_t)name >> 3) & (FL_SITE_CACHE_SIZE - 1));
}

static struct fl_assert_site *site_find(struct fl_sim *sim, const char *name, bool sometimes) {
    assert(name != NULL);
    uint32_t cached = site_cache_index(name);
    if (sim->site_cache_name[cached] == name) {
        struct fl_assert_site *site = &sim->sites[sim->site_cache_slot[cached]];
        assert(site->stat.sometimes == sometimes);
        return site;
    }
    uint64_t hash = XXH3_64bits(name, strlen(name));
    if ((sim->site_count + 1) * 2 > sim->site_capacity) sites_grow(sim);
    uint32_t mask = sim->site_capacity - 1;
    uint32_t j = (uint32_t)hash & mask;
    while (sim->sites[j].stat.name != NULL) {
        struct fl_assert_site *site = &sim->sites[j];
        if (site->name_hash == hash && strcmp(site->stat.name, name) == 0) {
            /* One name, one kind: "always x" and "sometimes x" would merge counts. */
            assert(site->stat.sometimes == sometimes);
            sim->site_cache_name[cached] = name;
            sim->site_cache_slot[cached] = j;
            return site;
        }
        j = (j + 1) & mask;
    }
    struct fl_assert_site *site = &sim->sites[j];
    site->stat.name = name;
    site->stat.sometimes = sometimes;
    site->name_hash = hash;
    sim->site_count++;
    sim->site_cache_name[cached] = name;
    sim->site_cache_slot[cached] = j;
    free(sim->sites_sorted); /* stale */
    sim->sites_sorted = NULL;
    return site;
}

void fl_assert_always(fl_node *node, bool condition, const char *name, const char *format, ...) {
    struct fl_sim *sim = running(node);
    struct fl_assert_site *site = site_find(sim, name, false);
    site->stat.evaluated++;
    if (condition) {
        site->stat.held++;
        return;
    }
    char message[FL_VIOLATION_TEXT_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    fl_sim_violation(sim, node->id, name, message);
}

void fl_assert_sometimes(fl_node *node, bool condition, const char *name) {
    struct fl_sim *sim = running(node);
    struct fl_assert_site *site = site_find(sim, name, true);
    site->stat.evaluated++;
    if (condition) site->stat.held++;
}

static int compare_stats(const void *a, const void *b) {
    const struct fl_assertion_stat *x = a, *y = b;
    return strcmp(x->name, y->name);
}

uint32_t fl_sim_assertions(struct fl_sim *sim, const struct fl_assertion_stat **stats) {
    free(sim->sites_sorted);
    sim->sites_sorted = calloc(sim->site_count ? sim->site_count : 1, sizeof sim->sites_sorted[0]);
    if (sim->sites_sorted == NULL) abort();
    uint32_t n = 0;
    for (uint32_t i = 0; i < sim->site_capacity; i++) {
        if (sim->sites[i].stat.name != NULL) sim->sites_sorted[n++] = sim->sites[i].stat;
    }
    assert(n == sim->site_count);
    qsort(sim->sites_sorted, n, sizeof sim->sites_sorted[0], compare_stats);
    *stats = sim->sites_sorted;
    return n;
}

void fl_sim_sites_deinit(struct fl_sim *sim) {
    free(sim->sites);
    free(sim->sites_sorted);
    sim->sites = NULL;
    sim->sites_sorted = NULL;
}

/* --- the checker's view ------------------------------------------------------------- */

uint32_t fl_world_server_count(const fl_world *world) {
    return world->sim->scenario->server_count;
}

uint32_t fl_world_client_count(const fl_world *world) {
    return world->sim->scenario->client_count;
}

uint32_t fl_world_variant(const fl_world *world) {
    return world->sim->scenario->variant;
}

int64_t fl_world_param(const fl_world *world, const char *name) {
    return param_value(world->sim->scenario, name);
}

uint64_t fl_world_now_ns(const fl_world *world) {
    return world->sim->now_ns;
}

uint64_t fl_world_quiet_since_ns(const fl_world *world) {
    return world->sim->quiet_since_ns;
}

bool fl_world_is_up(const fl_world *world, fl_node_id id) {
    assert(id < world->sim->node_count);
    return world->sim->nodes[id].up;
}

void *fl_world_checker_state(fl_world *world) {
    return world->sim->checker_state;
}

const void *fl_world_state(const fl_world *world, fl_node_id id) {
    assert(id < world->sim->node_count);
    const struct fl_node *node = &world->sim->nodes[id];
    return node->up ? node->state : NULL;
}

void fl_world_annotate(fl_world *world, const char *format, ...) {
    struct fl_sim *sim = world->sim;
    assert(sim->current_node == NULL); /* checkers run between events */
    va_list args;
    va_start(args, format);
    int n = vsnprintf(sim->text, sizeof sim->text, format, args);
    va_end(args);
    if (n < 0) n = 0;
    uint32_t len = (uint32_t)n < sizeof sim->text ? (uint32_t)n : (uint32_t)sizeof sim->text - 1;
    struct fl_trace_record r = {.kind = FL_TR_ANNOTATE, .node = FL_NODE_NONE,
                                .peer = FL_NODE_NONE, .cause = sim->current_cause,
                                .text = sim->text, .text_len = len};
    fl_sim_emit(sim, &r);
}

void fl_world_violation(fl_world *world, const char *check, const char *format, ...) {
    struct fl_sim *sim = world->sim;
    assert(sim->current_node == NULL); /* checkers run between events */
    char message[FL_VIOLATION_TEXT_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    fl_sim_violation(sim, FL_NODE_NONE, check, message);
}

/* --- operation history ------------------------------------------------------------ */

uint64_t fl_history_invoke(fl_node *node, enum fl_op_kind kind, uint64_t key, int64_t value,
                           int64_t value_to) {
    struct fl_sim *sim = running(node);
    /* The register check has one register: a key is a model bug, caught here. */
    assert(sim->model->history_check != FL_HISTORY_REGISTER || key == 0);
    uint64_t op = fl_history_record_invoke(&sim->history, node->id, (uint8_t)kind, key, value,
                                           value_to, sim->now_ns);
    const struct fl_history_op *rec = &sim->history.ops[op - 1];
    struct fl_trace_record r = {.kind = FL_TR_OP_INVOKE, .node = node->id, .peer = FL_NODE_NONE,
                                .sub = (uint8_t)kind, .cause = sim->current_cause, .a = key,
                                .b = (uint64_t)rec->value, .c = (uint64_t)rec->value_to,
                                .request_id = op};
    fl_sim_emit(sim, &r);
    return op;
}

void fl_history_return(fl_node *node, uint64_t op, enum fl_op_status status, int64_t value_out) {
    struct fl_sim *sim = running(node);
    const struct fl_history_op *rec = fl_history_record_return(
        &sim->history, node->id, op, (uint8_t)status, value_out, sim->now_ns);
    struct fl_trace_record r = {.kind = FL_TR_OP_RETURN, .node = node->id, .peer = FL_NODE_NONE,
                                .sub = (uint8_t)status, .cause = sim->current_cause,
                                .a = rec->kind, .b = (uint64_t)rec->value_out, .request_id = op};
    fl_sim_emit(sim, &r);
}
