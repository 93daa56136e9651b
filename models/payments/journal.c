/*
 * journal: what each service of the payments model keeps on disk, and the
 * only way it gets there.
 *
 * A journal is an append-only log of 72-byte records, slot i at byte i * 72 of
 * three files, "journal.a", "journal.b" and "journal.c". A service appends a record (it lands
 * in the node's cache at once) and relies on it only once a completed sync has
 * covered it: journal_is_durable(slot). At most one sync is in flight (group
 * commit): records appended while it runs wait for the next one, which
 * on_sync issues; a sync that fails with FL_EIO is issued again, since its
 * writes stay pending (docs/disk-model.md).
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
 * Recovery, at every boot: scan slots from 0; a slot is valid if any copy
 * is; stop at the first slot where none is, the torn or lost tail of
 * records no sync covered (a durable record was covered by a sync that
 * covered every earlier one too); rewrite the bad copies of each valid slot;
 * cut every file there; sync if anything was written. A read error is retried
 * read_attempts times; a slot that stays unreadable makes recovery give up
 * and report FL_EIO, since cutting the log there could drop durable records.
 */
#include "journal.h"

#include <string.h>

#define RECORD_MAGIC 0x4d594150u /* "PAYM" */
#define RECORD_BODY_BYTES 68     /* what the checksum covers */
#define COPIES 3

_Static_assert(RECORD_BODY_BYTES + 4 == JOURNAL_RECORD_BYTES, "the checksum ends the record");

static const char *const copy_files[COPIES] = {"journal.a", "journal.b", "journal.c"};

static void record_encode(uint8_t out[JOURNAL_RECORD_BYTES], uint32_t slot,
                          const struct journal_record *r) {
    memset(out, 0, JOURNAL_RECORD_BYTES);
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

static bool record_valid(const uint8_t in[JOURNAL_RECORD_BYTES], uint32_t slot) {
    if (fl_get_u32(in) != RECORD_MAGIC || fl_get_u32(in + 4) != slot) return false;
    return fl_get_u32(in + RECORD_BODY_BYTES) == fl_crc32c(in, RECORD_BODY_BYTES);
}

static struct journal_record record_decode(const uint8_t in[JOURNAL_RECORD_BYTES]) {
    return (struct journal_record){
        .kind = fl_get_u32(in + 8), .order = fl_get_u64(in + 16), .trace = fl_get_u64(in + 24),
        .a = fl_get_u64(in + 32), .b = fl_get_u64(in + 40), .c = fl_get_u64(in + 48),
        .d = fl_get_u64(in + 56)};
}

/* Starts the sync that covers every record appended so far, unless one is
 * in flight (its completion starts the next). */
static void sync_start(fl_node *node, struct journal *j) {
    if (j->sync_in_flight) return;
    j->sync_in_flight = true;
    j->sync_covers = j->next;
    j->sync_id = fl_disk_sync(node, JOURNAL_SYNC_TAG);
}

/* One copy of a slot; bytes past the end of the file read as zeros (never
 * valid). FL_OK, or FL_EIO when every attempt failed. */
static int copy_read(fl_node *node, const struct journal *j, uint32_t copy, uint32_t slot,
                     uint8_t out[JOURNAL_RECORD_BYTES]) {
    for (uint32_t attempt = 0; attempt < j->read_attempts; attempt++) {
        size_t n = 0;
        memset(out, 0, JOURNAL_RECORD_BYTES);
        int status = fl_disk_read(node, copy_files[copy], (uint64_t)slot * JOURNAL_RECORD_BYTES,
                                  out, JOURNAL_RECORD_BYTES, &n);
        fl_sometimes(node, status == FL_EIO, "payments.read_error_retried");
        if (status == FL_OK) return FL_OK;
    }
    return FL_EIO;
}

enum slot_state { SLOT_INVALID = 0, SLOT_VALID = 1, SLOT_UNREADABLE = 2 };

/* Loads a slot: the first valid copy goes to out, the bad copies to *bad. */
static enum slot_state slot_load(fl_node *node, const struct journal *j, uint32_t slot,
                                 uint8_t out[JOURNAL_RECORD_BYTES], uint32_t *bad) {
    bool valid = false, unreadable = false;
    *bad = 0;
    for (uint32_t copy = 0; copy < COPIES; copy++) {
        uint8_t bytes[JOURNAL_RECORD_BYTES];
        if (copy_read(node, j, copy, slot, bytes) != FL_OK) {
            unreadable = true;
            continue;
        }
        if (!record_valid(bytes, slot)) {
            *bad |= 1u << copy;
            continue;
        }
        if (!valid) memcpy(out, bytes, JOURNAL_RECORD_BYTES);
        valid = true;
    }
    if (valid) return SLOT_VALID;
    return unreadable ? SLOT_UNREADABLE : SLOT_INVALID;
}

/* Cuts every copy to `records` records. Shrinking is never refused. */
static uint32_t journal_cut(fl_node *node, uint32_t records) {
    uint64_t size = (uint64_t)records * JOURNAL_RECORD_BYTES;
    uint32_t cut = 0;
    for (uint32_t copy = 0; copy < COPIES; copy++) {
        if (fl_disk_size(node, copy_files[copy]) <= size) continue;
        fl_disk_truncate(node, copy_files[copy], size);
        cut++;
    }
    fl_sometimes(node, cut > 0, "payments.recovery_cut_a_tail");
    return cut;
}

int journal_recover(fl_node *node, struct journal *j, uint32_t read_attempts,
                    journal_replay_fn replay, void *ctx) {
    fl_always(node, read_attempts > 0, "payments.journal_read_attempts");
    memset(j, 0, sizeof *j);
    j->read_attempts = read_attempts;
    uint32_t slot = 0;
    for (; slot < JOURNAL_RECORDS_MAX; slot++) {
        uint8_t bytes[JOURNAL_RECORD_BYTES];
        uint32_t bad = 0;
        enum slot_state state = slot_load(node, j, slot, bytes, &bad);
        if (state == SLOT_UNREADABLE) return FL_EIO;
        if (state == SLOT_INVALID) break;
        struct journal_record r = record_decode(bytes);
        replay(ctx, &r);
        for (uint32_t copy = 0; copy < COPIES; copy++) {
            if ((bad & (1u << copy)) == 0) continue;
            /* A refused repair (the disk is full) waits for the next recovery. */
            int status = fl_disk_write(node, copy_files[copy],
                                       (uint64_t)slot * JOURNAL_RECORD_BYTES, bytes,
                                       JOURNAL_RECORD_BYTES);
            fl_sometimes(node, status == FL_OK, "payments.recovery_repaired_a_copy");
            if (status == FL_OK) j->repairs++;
        }
    }
    uint32_t cut = journal_cut(node, slot);
    j->next = slot;
    j->durable = slot; /* after a restart the cache is what the disk held */
    if (j->repairs > 0 || cut > 0) sync_start(node, j);
    return FL_OK;
}

int journal_append(fl_node *node, struct journal *j, const struct journal_record *record,
                   uint32_t *slot) {
    fl_always(node, j->durable <= j->next, "payments.journal_durable_le_next");
    if (j->next >= JOURNAL_RECORDS_MAX) return FL_ENOSPC;
    uint8_t bytes[JOURNAL_RECORD_BYTES];
    record_encode(bytes, j->next, record);
    uint64_t offset = (uint64_t)j->next * JOURNAL_RECORD_BYTES;
    for (uint32_t copy = 0; copy < COPIES; copy++) {
        int status = fl_disk_write(node, copy_files[copy], offset, bytes, JOURNAL_RECORD_BYTES);
        if (status == FL_OK) continue;
        /* Refused: cut the copies already written back, so none runs ahead. */
        for (uint32_t undo = 0; undo < copy; undo++) {
            fl_disk_truncate(node, copy_files[undo], offset);
        }
        fl_sometimes(node, true, "payments.append_refused_disk_full");
        return status;
    }
    *slot = j->next++;
    sync_start(node, j);
    return FL_OK;
}

bool journal_on_sync(fl_node *node, struct journal *j, uint64_t sync_id, uint64_t tag,
                     int status) {
    if (tag != JOURNAL_SYNC_TAG) return false;
    bool known = j->sync_in_flight && sync_id == j->sync_id;
    fl_always(node, known, "payments.journal_sync_known");
    if (!known) return true;
    j->sync_in_flight = false;
    fl_sometimes(node, status == FL_EIO, "payments.sync_failed");
    if (status == FL_OK && j->sync_covers > j->durable) j->durable = j->sync_covers;
    if (j->durable < j->next || status != FL_OK) sync_start(node, j);
    return true;
}
