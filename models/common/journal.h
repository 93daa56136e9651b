/*
 * journal: an append-only log of fixed-size checksummed records, kept in
 * several copies on a node's simulated disk, with group commit, repair and
 * torn-tail cutting at recovery. Shared by the models whose services keep one
 * (payments, jobqueue); the record's bytes, checksum and meaning are the
 * model's. models/common/journal.c has the design.
 *
 * Built only on faultline/service.h, like every model.
 */
#ifndef FL_MODELS_COMMON_JOURNAL_H
#define FL_MODELS_COMMON_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "faultline/service.h"

#define JOURNAL_COPIES_MAX 3
#define JOURNAL_RECORD_BYTES_MAX 128

/* The model's names for the journal's assertions, so that reports and the
 * model's tests speak of "payments.sync_failed", not of the journal. Each
 * must be a string literal (the engine keeps the pointer). */
struct journal_names {
    const char *read_attempts;      /* always: read_attempts > 0 */
    const char *read_error_retried; /* sometimes: a read failed with FL_EIO */
    const char *write_refused;      /* sometimes: an append's write was refused */
    const char *repaired_a_copy;    /* sometimes: recovery rewrote a bad copy */
    const char *cut_a_tail;         /* sometimes: recovery cut a copy */
    const char *sync_failed;        /* sometimes: a sync failed with FL_EIO */
    const char *sync_known;         /* always: a completed sync is the one in flight */
    const char *durable_le_next;    /* always: no more is durable than was appended */
};

/* What a journal is on disk: a static const table, one per kind of journal. */
struct journal_layout {
    const char *files[JOURNAL_COPIES_MAX]; /* one file per copy */
    uint32_t copies;                       /* 1 .. JOURNAL_COPIES_MAX */
    uint32_t record_bytes;                 /* 1 .. JOURNAL_RECORD_BYTES_MAX */
    uint32_t records_max;                  /* an append beyond it: FL_ENOSPC */
    uint64_t sync_tag;                     /* the tag of the journal's syncs */
    /* At recovery, rewrite a copy whose reads kept failing from a valid copy
     * (true), or leave it for the next recovery (false). */
    bool rewrite_unreadable;
    /* Intact and in its place: the record's magic, checksum, and the slot it
     * names (a misdirected write is not taken for the record of that slot). */
    bool (*valid)(const uint8_t *record, uint32_t slot);
    struct journal_names names;
};

struct journal {
    const struct journal_layout *layout;
    uint32_t read_attempts; /* a read failing with FL_EIO is tried this many times */
    uint32_t next;          /* records appended (in the cache); the next record's slot */
    uint32_t durable;       /* records a completed sync covered */
    bool sync_in_flight;    /* at most one sync at a time: group commit */
    bool sync_again;        /* the last sync failed: its writes are still pending */
    uint64_t sync_id;       /* the one in flight */
    uint32_t sync_covers;   /* records it covers */
    uint32_t repairs;       /* copies rewritten by the last recovery */
    uint32_t cut;           /* copies cut by the last recovery */
};

/* Called for each valid record, in slot order, with its bytes (record_bytes). */
typedef void (*journal_replay_fn)(void *ctx, const uint8_t *record, uint32_t slot);

/* Reads the log back at boot, calling replay for each valid record in order
 * (a slot is valid if any copy is; the first slot where none is ends the log),
 * rewrites the damaged copies from a good one and cuts every copy at the end.
 * It starts no sync: when j->repairs or j->cut is not 0, the caller makes
 * them durable (journal_sync_start, or a sync of its own) before it relies on
 * them. FL_OK, or FL_EIO when slot j->next stayed unreadable (nothing is
 * decided: try again later, from a freshly reset state). */
int journal_recover(fl_node *node, struct journal *j, const struct journal_layout *layout,
                    uint32_t read_attempts, journal_replay_fn replay, void *ctx);

/* Appends a record (to the cache: durable only once a sync covers it) and
 * starts a sync unless one is in flight. `record` is record_bytes long,
 * encoded for slot j->next. FL_OK with *slot set, or FL_ENOSPC (no copy is
 * longer than before). */
int journal_append(fl_node *node, struct journal *j, const uint8_t *record, uint32_t *slot);

/* Starts the sync that covers every record appended so far, unless one is
 * in flight (its completion starts the next). */
void journal_sync_start(fl_node *node, struct journal *j);

/* A sync completed: false if it was not the journal's (another tag). With
 * FL_OK the durable count moves up. Starts no sync: the caller acts on the
 * new durable count, then calls journal_sync_more. */
bool journal_sync_done(fl_node *node, struct journal *j, uint64_t sync_id, uint64_t tag,
                       int status);

/* After journal_sync_done: the next sync, if records wait for one or the
 * last one failed. */
void journal_sync_more(fl_node *node, struct journal *j);

/* journal_sync_done, then journal_sync_more. */
bool journal_on_sync(fl_node *node, struct journal *j, uint64_t sync_id, uint64_t tag, int status);

static inline bool journal_is_durable(const struct journal *j, uint32_t slot) {
    return slot < j->durable;
}

#endif /* FL_MODELS_COMMON_JOURNAL_H */
