/*
 * journal: an append-only log of fixed-size records in three checksummed copies
 * on a node's simulated disk, shared by the three services of the payments
 * model. models/payments/journal.c has the design.
 */
#ifndef FL_MODELS_PAYMENTS_JOURNAL_H
#define FL_MODELS_PAYMENTS_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "faultline/service.h"

#define JOURNAL_RECORD_BYTES 72
#define JOURNAL_RECORDS_MAX 4096 /* per journal; an append beyond it fails with FL_ENOSPC */

/* One record as a service sees it: a kind and six numbers whose meaning the
 * kind gives (payments.c documents each). */
struct journal_record {
    uint32_t kind;
    uint64_t order;
    uint64_t trace;
    uint64_t a;
    uint64_t b;
    uint64_t c;
    uint64_t d;
};

struct journal {
    uint32_t read_attempts;   /* a read failing with FL_EIO is tried this many times */
    uint32_t next;            /* records appended (in the cache); the next record's slot */
    uint32_t durable;         /* records a completed sync covered */
    bool sync_in_flight;      /* at most one sync at a time: group commit */
    uint64_t sync_id;         /* the one in flight */
    uint32_t sync_covers;     /* records it covers */
    uint32_t repairs;         /* copies rewritten by the last recovery */
};

typedef void (*journal_replay_fn)(void *ctx, const struct journal_record *record);

/* Reads the log back at boot, calling replay for each valid record in order,
 * repairs a damaged copy from the good one and cuts the torn tail. FL_OK, or
 * FL_EIO when a slot stayed unreadable (nothing is decided: try again later,
 * from a freshly reset service state). */
int journal_recover(fl_node *node, struct journal *j, uint32_t read_attempts,
                    journal_replay_fn replay, void *ctx);

/* Appends a record (to the cache) and makes sure a sync will cover it. FL_OK
 * with *slot set, or FL_ENOSPC (nothing appended). */
int journal_append(fl_node *node, struct journal *j, const struct journal_record *record,
                   uint32_t *slot);

/* A sync completed: true if it was the journal's (tag JOURNAL_SYNC_TAG). With
 * FL_OK the durable count moves up; with FL_EIO the sync is issued again. */
#define JOURNAL_SYNC_TAG 0x4a524e4cu /* "JRNL" */
bool journal_on_sync(fl_node *node, struct journal *j, uint64_t sync_id, uint64_t tag, int status);

static inline bool journal_is_durable(const struct journal *j, uint32_t slot) {
    return slot < j->durable;
}

#endif /* FL_MODELS_PAYMENTS_JOURNAL_H */
