/*
 * journal: the payments model's records and their place on disk, in the
 * shared journal (models/common/journal.h: three checksummed copies, group
 * commit, repair and torn-tail cutting at recovery). models/payments/journal.c
 * has the layout.
 */
#ifndef FL_MODELS_PAYMENTS_JOURNAL_H
#define FL_MODELS_PAYMENTS_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/journal.h"
#include "faultline/service.h"

#define PAYMENTS_RECORD_BYTES 72
#define PAYMENTS_RECORDS_MAX 4096 /* per journal; an append beyond it fails with FL_ENOSPC */
#define PAYMENTS_SYNC_TAG 0x4a524e4cu /* "JRNL": the journal's syncs */

/* One record as a service sees it: a kind and six numbers whose meaning the
 * kind gives (payments.c documents each). */
struct payments_record {
    uint32_t kind;
    uint64_t order;
    uint64_t trace;
    uint64_t a;
    uint64_t b;
    uint64_t c;
    uint64_t d;
};

typedef void (*payments_replay_fn)(void *ctx, const struct payments_record *record);

/* journal_recover on the payments layout, decoding each record for replay;
 * starts the sync that makes its repairs and cuts durable. FL_OK or FL_EIO
 * (nothing is decided: try again later, from a freshly reset service state). */
int payments_journal_recover(fl_node *node, struct journal *j, uint32_t read_attempts,
                             payments_replay_fn replay, void *ctx);

/* Encodes the record for the next slot and appends it (journal_append). */
int payments_journal_append(fl_node *node, struct journal *j, const struct payments_record *record,
                            uint32_t *slot);

#endif /* FL_MODELS_PAYMENTS_JOURNAL_H */
