/*
 * evq: the event queue, a total order on everything that will happen.
 *
 * Events live in a slot pool (an array with an intrusive free list); the queue
 * is a 4-ary min-heap of small entries keyed by (due time, sequence number). The
 * sequence number is a counter bumped on every push, so two events due at the
 * same nanosecond run in the order they were scheduled, on every build: no tie
 * is ever broken by a pointer or an address.
 *
 * Each slot remembers its heap position, so cancelling a timer removes it from
 * the heap at once (O(log n)) instead of leaving a tombstone behind to pop later;
 * the heap holds only live events and "nothing left to do" is an empty heap.
 *
 * A slot's generation is bumped when the slot is freed, so a handle
 * (generation << 32 | slot) to an event that already ran never matches the event
 * that reuses the slot.
 *
 * Memory: both arrays double when full and never shrink, so once a run has
 * reached its peak number of pending events it allocates nothing more. Slots are
 * referred to by index, never by pointer, because the pool may move when it
 * grows.
 *
 * Rejected: a timing wheel (faster for uniform timers, but the simulator's
 * delays span nanoseconds to hours); a pairing heap (pointer-chasing, and its
 * allocation per node is what this design avoids).
 */
#ifndef FL_EVQ_H
#define FL_EVQ_H

#include <stdbool.h>
#include <stdint.h>

#define FL_EVQ_NONE UINT32_MAX

enum fl_event_kind {
    FL_EV_FREE = 0,
    FL_EV_START = 1,   /* node boots for the first time */
    FL_EV_DELIVER = 2, /* a message arrives */
    FL_EV_TIMER = 3,   /* a node's timer fires */
    FL_EV_FAULT = 4,   /* a timeline fault (or its undo) */
    FL_EV_RESTART = 5, /* a crashed node boots again */
    FL_EV_RESUME = 6,  /* a paused node runs again */
    FL_EV_SYNC = 7,    /* a node's disk sync completes */
};

#define FL_EVF_CORRUPT 0x01u   /* deliver: one payload bit was flipped */
#define FL_EVF_DUPLICATE 0x02u /* deliver: the network's extra copy */
#define FL_EVF_UNDO 0x04u      /* fault: end of a fault with a duration */

struct fl_event {
    uint64_t cause;      /* trace id of the event during which this one was scheduled */
    uint32_t heap_pos;   /* index in the heap, FL_EVQ_NONE when not queued */
    uint32_t generation; /* bumped on free; part of timer handles */
    uint32_t node;       /* the node it happens to */
    uint8_t kind;        /* enum fl_event_kind */
    uint8_t mtype;       /* deliver: enum fl_msg_type */
    uint8_t pool_class;  /* deliver: payload block size class */
    uint8_t flags;       /* FL_EVF_* */
    union {
        struct {
            uint8_t *data;       /* payload copy owned by the event */
            uint64_t msg_id;     /* trace id of the send */
            uint64_t request_id; /* request and reply: the request's id */
            uint32_t src;        /* sender */
            uint32_t size_bytes;
        } deliver;
        struct {
            uint64_t tag;         /* the model's tag */
            uint32_t incarnation; /* the node's incarnation when set */
        } timer;
        struct {
            uint64_t mark;    /* the disk's last operation the sync covers */
            uint64_t sync_id; /* as fl_disk_sync returned it */
            uint64_t tag;     /* the model's tag */
        } sync;
        struct {
            uint32_t index;      /* into the run's faults */
            uint32_t heal_epoch; /* undo: ignored if a heal ran since */
            uint16_t hold_epoch; /* undo of a hold: ignored if its link was released since */
        } fault;
    } u;
};

struct fl_evq_entry {
    uint64_t time_ns;
    uint64_t seq;
    uint32_t slot;
};

struct fl_evq {
    struct fl_evq_entry *heap; /* 4-ary min-heap on (time_ns, seq) */
    uint32_t count;            /* entries in the heap */
    uint32_t heap_capacity;
    struct fl_event *slots;    /* the pool */
    uint32_t slot_capacity;
    uint32_t slot_used;        /* slots ever handed out (the pool's high-water mark) */
    uint32_t free_head;        /* free list through heap_pos of free slots */
    uint64_t seq_next;
    uint64_t *alloc_count;     /* incremented on every heap allocation */
};

void fl_evq_init(struct fl_evq *q, uint32_t capacity_hint, uint64_t *alloc_count);
void fl_evq_deinit(struct fl_evq *q);

/* A zeroed event slot (kind FL_EV_FREE until the caller sets it), not queued. */
uint32_t fl_evq_alloc(struct fl_evq *q);
void fl_evq_free(struct fl_evq *q, uint32_t slot);

static inline struct fl_event *fl_evq_event(struct fl_evq *q, uint32_t slot) {
    return &q->slots[slot];
}

/* Queues an allocated, unqueued slot to run at time_ns. */
void fl_evq_push(struct fl_evq *q, uint32_t slot, uint64_t time_ns);
/* Removes a queued slot from the heap; the slot stays allocated. */
void fl_evq_remove(struct fl_evq *q, uint32_t slot);

static inline bool fl_evq_empty(const struct fl_evq *q) {
    return q->count == 0;
}
static inline uint64_t fl_evq_peek_time(const struct fl_evq *q) {
    return q->heap[0].time_ns;
}
/* Removes the earliest event from the heap and returns its slot (still allocated). */
uint32_t fl_evq_pop(struct fl_evq *q, uint64_t *time_ns);

static inline uint64_t fl_evq_handle(const struct fl_evq *q, uint32_t slot) {
    return ((uint64_t)q->slots[slot].generation << 32) | slot;
}
/* The slot a handle names, or FL_EVQ_NONE if the event it named is gone. */
uint32_t fl_evq_resolve(const struct fl_evq *q, uint64_t handle);

#endif /* FL_EVQ_H */
