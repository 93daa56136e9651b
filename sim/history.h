/*
 * history: the operations the model's clients record (fl_history_invoke /
 * fl_history_return in service.h), kept in the simulation's memory for the
 * end-of-run linearizability check and for `--history FILE`.
 *
 * Ops live in one array in invoke order, growing by doubling: once it has room
 * for a run's ops, recording allocates nothing. An op's handle is its index + 1
 * (0 is never a handle). Every invoke and every return is one history event,
 * numbered from 0 in the order they happen: those numbers are the event
 * indices of fl_lin_history, so the engine's check and `faultline lin` on the
 * written file see the same history.
 *
 * The written process of an op is its node's id when the node has no other op
 * open, else node id + node_count * slot (the smallest slot free), so a client
 * running several ops at once still gives a file in which a process has at most
 * one op open, as Jepsen-style histories require.
 */
#ifndef FL_HISTORY_H
#define FL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lin.h"

#define FL_HISTORY_SLOTS 64u /* concurrent ops per node with a reusable process number */

struct fl_history_op {
    uint64_t key;
    int64_t value;        /* write: the value; cas: from */
    int64_t value_to;     /* cas: to */
    int64_t value_out;    /* ok read: what it returned */
    uint64_t invoke_ns;   /* true time */
    uint64_t return_ns;   /* true time; 0 while open */
    uint64_t invoke_event;/* history event index */
    uint64_t return_event;/* history event index; UINT64_MAX while open */
    uint64_t process;     /* see above */
    uint32_t node;
    uint8_t kind;         /* enum fl_op_kind */
    uint8_t status;       /* enum fl_op_status; FL_OP_INFO while open */
    bool returned;
};

struct fl_history {
    struct fl_history_op *ops;
    size_t count;
    size_t capacity;
    uint64_t events;      /* invokes and returns so far */
    uint32_t node_count;
    uint64_t *busy_slots; /* per node: bit s set while slot s holds an open op */
    uint64_t next_extra;  /* processes past FL_HISTORY_SLOTS, never reused */
    uint64_t *alloc_count;
};

void fl_history_init(struct fl_history *history, uint32_t node_count, uint64_t *alloc_count);
void fl_history_deinit(struct fl_history *history);

/* Records an invoke; returns the handle. */
uint64_t fl_history_record_invoke(struct fl_history *history, uint32_t node, uint8_t kind,
                                  uint64_t key, int64_t value, int64_t value_to, uint64_t now_ns);
/* Records a return of the open op `handle` of `node`; asserts it is one. */
struct fl_history_op *fl_history_record_return(struct fl_history *history, uint32_t node,
                                               uint64_t handle, uint8_t status, int64_t value_out,
                                               uint64_t now_ns);

/* The history as fl_lin_history (ops never returned are indefinite). The
 * caller releases it with fl_lin_history_deinit. Returns an fl_lin_error_code. */
int fl_history_to_lin(const struct fl_history *history, struct fl_lin_history *out);

/* Writes the history as JSON Lines in the format `faultline lin --format jsonl`
 * reads (docs/linearizability.md), one line per event. False on a write error. */
bool fl_history_write_jsonl(const struct fl_history *history, FILE *out);

#endif /* FL_HISTORY_H */
