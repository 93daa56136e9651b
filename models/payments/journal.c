/*
 * journal: what each service of the payments model keeps on disk, and the
 * only way it gets there.
 *
 * A journal (models/common/journal.c: group commit, repair, torn-tail cutting)
 * of 72-byte records, slot i at byte i * 72 of three files, "journal.a",
 * "journal.b" and "journal.c". A service appends a record (it lands in the
 * node's cache at once) and relies on it only once a completed sync has
 * covered it: journal_is_durable(slot).
 *
 *   record: [magic u32][slot u32][kind u32][0 u32][order u64][trace u64]
 *           [a u64][b u64][c u64][d u64][0 u32][crc32c u32 over the 68 bytes before]
 *
 * The slot inside the record catches a misdirected write (a record stored in
 * another record's place); the checksum catches a torn, corrupted or rotted
 * one; another copy brings back a record the device lost or damaged, as
 * models/wal does (its design comment weighs the alternatives). Three copies,
 * not two: the payments scenarios let the device lose, misdirect or corrupt
 * up to one write in a thousand and rot a bit on top, and a record is only
 * repaired at the next boot; with two copies both of one record were damaged
 * in between in 2 of 10,000 seeds of everything.json (seeds 4707 and 6699:
 * two lost writes of one record, and a misdirected write then a rotten bit).
 *
 * Recovery, at every boot, is the shared journal's (models/common/journal.c);
 * a copy whose reads kept failing is left for the next recovery, and the sync
 * of the repairs and cuts is the journal's own: a service serves at once, and
 * relies only on what a completed sync covered.
 */
#include "journal.h"

#include <string.h>

#define RECORD_MAGIC 0x4d594150u /* "PAYM" */
#define RECORD_BODY_BYTES 68     /* what the checksum covers */

_Static_assert(RECORD_BODY_BYTES + 4 == PAYMENTS_RECORD_BYTES, "the checksum ends the record");
_Static_assert(PAYMENTS_RECORD_BYTES <= JOURNAL_RECORD_BYTES_MAX, "the journal holds the record");

static void record_encode(uint8_t out[PAYMENTS_RECORD_BYTES], uint32_t slot,
                          const struct payments_record *r) {
    memset(out, 0, PAYMENTS_RECORD_BYTES);
    fl_put_u32(out, RECORD_MAGIC);
    fl_put_u32(out + 4, slot);
    fl_put_u32(out + 8, r->kind);
    fl_put_u64(out + 16, r->order);
    fl_put_u64(out + 24, r->trace);
    fl_put_u64(out + 32, r->a);
    fl_put_u64(out + 40, r->b);
    fl_put_u64(out + 48, r->c);
    fl_put_u64(out + 56, r->d);
    fl_put_u32(out + RECORD_BODY_BYTES, fl_crc32c(out, RECORD_BODY_BYTES));
}

static bool record_valid(const uint8_t *in, uint32_t slot) {
    if (fl_get_u32(in) != RECORD_MAGIC || fl_get_u32(in + 4) != slot) return false;
    return fl_get_u32(in + RECORD_BODY_BYTES) == fl_crc32c(in, RECORD_BODY_BYTES);
}

static struct payments_record record_decode(const uint8_t *in) {
    return (struct payments_record){
        .kind = fl_get_u32(in + 8), .order = fl_get_u64(in + 16), .trace = fl_get_u64(in + 24),
        .a = fl_get_u64(in + 32), .b = fl_get_u64(in + 40), .c = fl_get_u64(in + 48),
        .d = fl_get_u64(in + 56)};
}

static const struct journal_layout layout = {
    .files = {"journal.a", "journal.b", "journal.c"},
    .copies = 3,
    .record_bytes = PAYMENTS_RECORD_BYTES,
    .records_max = PAYMENTS_RECORDS_MAX,
    .sync_tag = PAYMENTS_SYNC_TAG,
    .rewrite_unreadable = false,
    .valid = record_valid,
    .names = {.read_attempts = "payments.journal_read_attempts",
              .read_error_retried = "payments.read_error_retried",
              .write_refused = "payments.append_refused_disk_full",
              .repaired_a_copy = "payments.recovery_repaired_a_copy",
              .cut_a_tail = "payments.recovery_cut_a_tail",
              .sync_failed = "payments.sync_failed",
              .sync_known = "payments.journal_sync_known",
              .durable_le_next = "payments.journal_durable_le_next"},
};

struct replay_ctx {
    payments_replay_fn replay;
    void *ctx;
};

static void replay_decoded(void *ctx, const uint8_t *record, uint32_t slot) {
    (void)slot; /* record_valid checked it */
    const struct replay_ctx *c = ctx;
    struct payments_record r = record_decode(record);
    c->replay(c->ctx, &r);
}

int payments_journal_recover(fl_node *node, struct journal *j, uint32_t read_attempts,
                             payments_replay_fn replay, void *ctx) {
    struct replay_ctx c = {.replay = replay, .ctx = ctx};
    int status = journal_recover(node, j, &layout, read_attempts, replay_decoded, &c);
    if (status != FL_OK) return status;
    if (j->repairs > 0 || j->cut > 0) journal_sync_start(node, j);
    return FL_OK;
}

int payments_journal_append(fl_node *node, struct journal *j, const struct payments_record *record,
                            uint32_t *slot) {
    uint8_t bytes[PAYMENTS_RECORD_BYTES];
    record_encode(bytes, j->next, record);
    return journal_append(node, j, bytes, slot);
}
