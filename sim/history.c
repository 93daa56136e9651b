/*
 * history: recording client operations and handing them to the checker or a
 * file. See history.h for the design.
 */
#include "history.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "faultline/service.h"

_Static_assert(FL_VALUE_NIL == FL_LIN_NIL, "one nil for the engine and the checker");
_Static_assert((int)FL_OP_READ == (int)FL_LIN_READ && (int)FL_OP_WRITE == (int)FL_LIN_WRITE &&
                   (int)FL_OP_CAS == (int)FL_LIN_CAS,
               "op kinds match the checker's");
_Static_assert((int)FL_OP_OK == (int)FL_LIN_OK && (int)FL_OP_FAIL == (int)FL_LIN_FAIL &&
                   (int)FL_OP_INFO == (int)FL_LIN_INFO,
               "op statuses match the checker's");

void fl_history_init(struct fl_history *history, uint32_t node_count, uint64_t *alloc_count) {
    memset(history, 0, sizeof *history);
    history->node_count = node_count;
    history->alloc_count = alloc_count;
    history->busy_slots = calloc(node_count ? node_count : 1, sizeof *history->busy_slots);
    if (history->busy_slots == NULL) abort();
    (*alloc_count)++;
}

void fl_history_deinit(struct fl_history *history) {
    free(history->ops);
    free(history->busy_slots);
    memset(history, 0, sizeof *history);
}

static struct fl_history_op *push(struct fl_history *h) {
    if (h->count == h->capacity) {
        size_t capacity = h->capacity ? h->capacity * 2 : 256;
        struct fl_history_op *ops = realloc(h->ops, capacity * sizeof *ops);
        if (ops == NULL) abort();
        (*h->alloc_count)++;
        h->ops = ops;
        h->capacity = capacity;
    }
    struct fl_history_op *op = &h->ops[h->count++];
    memset(op, 0, sizeof *op);
    return op;
}

static uint64_t take_process(struct fl_history *h, uint32_t node) {
    uint64_t busy = h->busy_slots[node];
    if (busy == UINT64_MAX) {
        /* Past 64 ops open at once on one node: a number of its own, never reused. */
        return (uint64_t)h->node_count * FL_HISTORY_SLOTS + h->next_extra++;
    }
    uint32_t slot = 0;
    while (busy & (1ull << slot))
        slot++;
    h->busy_slots[node] = busy | 1ull << slot;
    return node + (uint64_t)h->node_count * slot;
}

static void release_process(struct fl_history *h, uint32_t node, uint64_t process) {
    if (process >= (uint64_t)h->node_count * FL_HISTORY_SLOTS) return;
    uint64_t slot = (process - node) / h->node_count;
    assert(node + slot * h->node_count == process);
    assert(h->busy_slots[node] & (1ull << slot));
    h->busy_slots[node] &= ~(1ull << slot);
}

uint64_t fl_history_record_invoke(struct fl_history *history, uint32_t node, uint8_t kind,
                                  uint64_t key, int64_t value, int64_t value_to, uint64_t now_ns) {
    assert(node < history->node_count);
    assert(kind == FL_OP_READ || kind == FL_OP_WRITE || kind == FL_OP_CAS);
    struct fl_history_op *op = push(history);
    op->key = key;
    op->kind = kind;
    op->value = kind == FL_OP_READ ? FL_VALUE_NIL : value;
    op->value_to = kind == FL_OP_CAS ? value_to : 0;
    op->value_out = FL_VALUE_NIL;
    op->invoke_ns = now_ns;
    op->invoke_event = history->events++;
    op->return_event = UINT64_MAX;
    op->node = node;
    op->status = FL_OP_INFO;
    op->process = take_process(history, node);
    return (uint64_t)history->count; /* index + 1 */
}

struct fl_history_op *fl_history_record_return(struct fl_history *history, uint32_t node,
                                               uint64_t handle, uint8_t status, int64_t value_out,
                                               uint64_t now_ns) {
    assert(handle != 0 && handle <= history->count); /* a handle fl_history_invoke returned */
    struct fl_history_op *op = &history->ops[handle - 1];
    assert(op->node == node); /* a node returns only its own ops */
    assert(!op->returned);    /* at most one return per op */
    assert(status == FL_OP_OK || status == FL_OP_FAIL || status == FL_OP_INFO);
    op->returned = true;
    op->status = status;
    op->value_out = status == FL_OP_OK && op->kind == FL_OP_READ ? value_out : FL_VALUE_NIL;
    op->return_ns = now_ns;
    op->return_event = history->events++;
    release_process(history, node, op->process);
    return op;
}

int fl_history_to_lin(const struct fl_history *history, struct fl_lin_history *out) {
    fl_lin_history_init(out);
    out->ops = malloc((history->count ? history->count : 1) * sizeof *out->ops);
    if (out->ops == NULL) return FL_LIN_ENOMEM;
    out->capacity = history->count;
    for (size_t i = 0; i < history->count; i++) {
        const struct fl_history_op *op = &history->ops[i];
        bool definite = op->returned && op->status != FL_OP_INFO;
        out->ops[i] = (struct fl_lin_op){
            .process = op->process,
            .key = op->key,
            .value_in = op->value,
            .value_to = op->value_to,
            .value_out = op->value_out,
            .invoke_index = op->invoke_event,
            .return_index = definite ? op->return_event : FL_LIN_INDEX_NONE,
            .kind = op->kind,
            .status = definite ? op->status : FL_LIN_INFO,
        };
    }
    out->count = history->count;
    out->events = history->events;
    return FL_LIN_EOK;
}

static const char *const kind_names[] = {"read", "write", "cas"};
static const char *const status_names[] = {"ok", "fail", "info"};

static void write_scalar(FILE *out, int64_t v) {
    if (v == FL_VALUE_NIL) {
        fputs("null", out);
    } else {
        fprintf(out, "%" PRId64, v);
    }
}

static void write_value(FILE *out, const struct fl_history_op *op, bool is_return) {
    fputs(", \"value\": ", out);
    if (op->kind == FL_OP_READ) {
        write_scalar(out, is_return && op->status == FL_OP_OK ? op->value_out : FL_VALUE_NIL);
    } else if (op->kind == FL_OP_WRITE) {
        write_scalar(out, op->value);
    } else {
        fputc('[', out);
        write_scalar(out, op->value);
        fputs(", ", out);
        write_scalar(out, op->value_to);
        fputc(']', out);
    }
}

static void write_event(FILE *out, const struct fl_history_op *op, bool is_return) {
    fprintf(out, "{\"process\": %" PRIu64 ", \"type\": \"%s\", \"f\": \"%s\", \"key\": %" PRIu64,
            op->process, is_return ? status_names[op->status] : "invoke", kind_names[op->kind],
            op->key);
    write_value(out, op, is_return);
    fprintf(out, ", \"node\": %" PRIu32 ", \"t\": %" PRIu64 "}\n", op->node,
            is_return ? op->return_ns : op->invoke_ns);
}

bool fl_history_write_jsonl(const struct fl_history *history, FILE *out) {
    /* Events in the order they happened: each op's invoke and return by index. */
    uint64_t *order = malloc((history->events ? history->events : 1) * sizeof *order);
    if (order == NULL) return false;
    for (size_t i = 0; i < history->count; i++) {
        const struct fl_history_op *op = &history->ops[i];
        order[op->invoke_event] = (uint64_t)i << 1;
        if (op->returned) order[op->return_event] = (uint64_t)i << 1 | 1u;
    }
    for (uint64_t e = 0; e < history->events; e++) {
        write_event(out, &history->ops[order[e] >> 1], (order[e] & 1u) != 0);
    }
    free(order);
    return !ferror(out);
}
