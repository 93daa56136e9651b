/*
 * evq: 4-ary indexed min-heap over a slot pool. See evq.h for the design.
 *
 * A 4-ary heap halves the depth of a binary one; its four children sit in one
 * 96-byte run of the entry array, so a sift-down touches about half the cache
 * lines. With 10,000 pending timers the heap is 7 levels deep.
 */
#include "evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define ARITY 4u

static void *grow(void *array, uint32_t *capacity, size_t element_bytes, uint64_t *alloc_count) {
    uint32_t capacity_new = *capacity ? *capacity * 2 : 64;
    assert(capacity_new > *capacity); /* 2^31 pending events is far beyond any budget */
    void *array_new = realloc(array, (size_t)capacity_new * element_bytes);
    if (array_new == NULL) abort(); /* out of memory: nothing sensible to simulate */
    (*alloc_count)++;
    *capacity = capacity_new;
    return array_new;
}

void fl_evq_init(struct fl_evq *q, uint32_t capacity_hint, uint64_t *alloc_count) {
    assert(q != NULL);
    assert(alloc_count != NULL);
    memset(q, 0, sizeof *q);
    q->alloc_count = alloc_count;
    q->free_head = FL_EVQ_NONE;
    if (capacity_hint < 64) capacity_hint = 64;
    q->heap_capacity = capacity_hint;
    q->slot_capacity = capacity_hint;
    q->heap = malloc((size_t)capacity_hint * sizeof q->heap[0]);
    q->slots = malloc((size_t)capacity_hint * sizeof q->slots[0]);
    if (q->heap == NULL || q->slots == NULL) abort();
    *alloc_count += 2;
}

void fl_evq_deinit(struct fl_evq *q) {
    free(q->heap);
    free(q->slots);
    memset(q, 0, sizeof *q);
}

uint32_t fl_evq_alloc(struct fl_evq *q) {
    uint32_t slot;
    if (q->free_head != FL_EVQ_NONE) {
        slot = q->free_head;
        q->free_head = q->slots[slot].heap_pos;
    } else {
        if (q->slot_used == q->slot_capacity) {
            q->slots = grow(q->slots, &q->slot_capacity, sizeof q->slots[0], q->alloc_count);
        }
        slot = q->slot_used++;
        q->slots[slot].generation = 1;
    }
    struct fl_event *ev = &q->slots[slot];
    uint32_t generation = ev->generation;
    memset(ev, 0, sizeof *ev);
    ev->generation = generation;
    ev->heap_pos = FL_EVQ_NONE;
    return slot;
}

void fl_evq_free(struct fl_evq *q, uint32_t slot) {
    assert(slot < q->slot_used);
    struct fl_event *ev = &q->slots[slot];
    assert(ev->heap_pos == FL_EVQ_NONE); /* remove before free */
    assert(ev->kind != FL_EV_FREE);      /* no double free */
    ev->kind = FL_EV_FREE;
    ev->generation++;
    if (ev->generation == 0) ev->generation = 1; /* a handle is never 0 */
    ev->heap_pos = q->free_head;
    q->free_head = slot;
}

static inline bool entry_less(const struct fl_evq_entry *a, const struct fl_evq_entry *b) {
    if (a->time_ns != b->time_ns) return a->time_ns < b->time_ns;
    return a->seq < b->seq;
}

static inline void place(struct fl_evq *q, uint32_t pos, struct fl_evq_entry entry) {
    q->heap[pos] = entry;
    q->slots[entry.slot].heap_pos = pos;
}

static void sift_up(struct fl_evq *q, uint32_t pos, struct fl_evq_entry entry) {
    while (pos > 0) {
        uint32_t parent = (pos - 1) / ARITY;
        if (!entry_less(&entry, &q->heap[parent])) break;
        place(q, pos, q->heap[parent]);
        pos = parent;
    }
    place(q, pos, entry);
}

static void sift_down(struct fl_evq *q, uint32_t pos, struct fl_evq_entry entry) {
    for (;;) {
        uint32_t first = pos * ARITY + 1;
        if (first >= q->count) break;
        uint32_t last = first + ARITY < q->count ? first + ARITY : q->count;
        uint32_t best = first;
        for (uint32_t child = first + 1; child < last; child++) {
            if (entry_less(&q->heap[child], &q->heap[best])) best = child;
        }
        if (!entry_less(&q->heap[best], &entry)) break;
        place(q, pos, q->heap[best]);
        pos = best;
    }
    place(q, pos, entry);
}

void fl_evq_push(struct fl_evq *q, uint32_t slot, uint64_t time_ns) {
    assert(slot < q->slot_used);
    assert(q->slots[slot].heap_pos == FL_EVQ_NONE);
    assert(q->slots[slot].kind != FL_EV_FREE);
    if (q->count == q->heap_capacity) {
        q->heap = grow(q->heap, &q->heap_capacity, sizeof q->heap[0], q->alloc_count);
    }
    struct fl_evq_entry entry = {.time_ns = time_ns, .seq = q->seq_next++, .slot = slot};
    sift_up(q, q->count++, entry);
}

static void remove_at(struct fl_evq *q, uint32_t pos) {
    assert(pos < q->count);
    q->slots[q->heap[pos].slot].heap_pos = FL_EVQ_NONE;
    q->count--;
    if (pos == q->count) return;
    struct fl_evq_entry moved = q->heap[q->count];
    if (pos > 0 && entry_less(&moved, &q->heap[(pos - 1) / ARITY])) {
        sift_up(q, pos, moved);
    } else {
        sift_down(q, pos, moved);
    }
}

void fl_evq_remove(struct fl_evq *q, uint32_t slot) {
    assert(slot < q->slot_used);
    uint32_t pos = q->slots[slot].heap_pos;
    assert(pos != FL_EVQ_NONE);
    assert(q->heap[pos].slot == slot);
    remove_at(q, pos);
}

uint32_t fl_evq_pop(struct fl_evq *q, uint64_t *time_ns) {
    assert(q->count > 0);
    uint32_t slot = q->heap[0].slot;
    *time_ns = q->heap[0].time_ns;
    remove_at(q, 0);
    return slot;
}

uint32_t fl_evq_resolve(const struct fl_evq *q, uint64_t handle) {
    uint32_t slot = (uint32_t)handle;
    uint32_t generation = (uint32_t)(handle >> 32);
    if (slot >= q->slot_used) return FL_EVQ_NONE;
    if (q->slots[slot].generation != generation) return FL_EVQ_NONE;
    if (q->slots[slot].kind == FL_EV_FREE) return FL_EVQ_NONE;
    return slot;
}
