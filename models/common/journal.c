/*
 * journal: a service's durable log, as the payments and jobqueue models keep
 * it, written once.
 *
 * A journal is an append-only log of fixed-size records, slot i at byte
 * i * record_bytes of each of layout->copies files. A service appends a record
 * (it lands in the node's cache at once) and relies on it only once a
 * completed sync has covered it: journal_is_durable(slot). At most one sync is
 * in flight (group commit): records appended while it runs wait for the next
 * one, which journal_sync_more issues; a sync that fails with FL_EIO is issued
 * again, since its writes stay pending (docs/disk-model.md).
 *
 * The record's layout is the model's: it encodes the bytes and says which are
 * valid (layout->valid: a magic, the record's own slot, a checksum such as
 * fl_crc32c). The slot inside the record catches a misdirected write (a record
 * stored in another record's place); the checksum catches a torn, corrupted or
 * rotted one; another copy brings back a record the device lost or damaged,
 * as models/wal does (its design comment weighs the alternatives, and the
 * models' comments say why they keep three copies).
 *
 * Recovery, at every boot: scan slots from 0; a slot is valid if any copy
 * is; stop at the first slot where none is, the torn or lost tail of records
 * no sync covered (a durable record was covered by a sync that covered every
 * earlier one too); rewrite the bad copies of each valid slot; cut every file
 * there. A read error is retried read_attempts times; a slot that stays
 * unreadable on every copy makes recovery give up and report FL_EIO, since
 * cutting the log there could drop durable records. The caller makes the
 * repairs and cuts durable, with journal_sync_start or a sync of its own: one
 * model serves at once (its next append's sync covers them), another waits.
 *
 * Not for models/wal (the storage model itself, whose recovery and reads are
 * what its checkers examine) nor models/saga (it skips a slot no copy holds
 * instead of ending the log there, since each of its records is a whole
 * state, and it syncs each append on its own).
 */
#include "journal.h"

#include <string.h>

static void layout_check(fl_node *node, const struct journal_layout *l) {
    fl_always(node, l->copies >= 1 && l->copies <= JOURNAL_COPIES_MAX, "journal.layout_copies");
    fl_always(node, l->record_bytes >= 1 && l->record_bytes <= JOURNAL_RECORD_BYTES_MAX,
              "journal.layout_record_bytes");
    fl_always(node, l->valid != NULL, "journal.layout_valid");
}

void journal_sync_start(fl_node *node, struct journal *j) {
    if (j->sync_in_flight) return;
    j->sync_in_flight = true;
    j->sync_again = false;
    j->sync_covers = j->next;
    j->sync_id = fl_disk_sync(node, j->layout->sync_tag);
}

/* One copy of a slot; bytes past the end of the file read as zeros (never
 * valid). FL_OK, or FL_EIO when every attempt failed. */
static int copy_read(fl_node *node, const struct journal *j, uint32_t copy, uint32_t slot,
                     uint8_t *out) {
    const struct journal_layout *l = j->layout;
    for (uint32_t attempt = 0; attempt < j->read_attempts; attempt++) {
        size_t n = 0;
        memset(out, 0, l->record_bytes);
        int status = fl_disk_read(node, l->files[copy], (uint64_t)slot * l->record_bytes, out,
                                  l->record_bytes, &n);
        fl_sometimes(node, status == FL_EIO, l->names.read_error_retried);
        if (status == FL_OK) return FL_OK;
    }
    return FL_EIO;
}

enum slot_state { SLOT_INVALID = 0, SLOT_VALID = 1, SLOT_UNREADABLE = 2 };

/* Loads a slot: the first valid copy goes to out, the copies to rewrite to
 * *bad (a bit per copy). */
static enum slot_state slot_load(fl_node *node, const struct journal *j, uint32_t slot,
                                 uint8_t *out, uint32_t *bad) {
    const struct journal_layout *l = j->layout;
    bool valid = false, unreadable = false;
    *bad = 0;
    for (uint32_t copy = 0; copy < l->copies; copy++) {
        uint8_t bytes[JOURNAL_RECORD_BYTES_MAX];
        if (copy_read(node, j, copy, slot, bytes) != FL_OK) {
            unreadable = true;
            if (l->rewrite_unreadable) *bad |= 1u << copy;
            continue;
        }
        if (!l->valid(bytes, slot)) {
            *bad |= 1u << copy;
            continue;
        }
        if (!valid) memcpy(out, bytes, l->record_bytes);
        valid = true;
    }
    if (valid) return SLOT_VALID;
    return unreadable ? SLOT_UNREADABLE : SLOT_INVALID;
}

/* Rewrites the bad copies of a slot from its good one; a refused write (the
 * disk is full) waits for the next recovery. Returns how many it rewrote. */
static uint32_t slot_repair(fl_node *node, const struct journal *j, uint32_t slot,
                            const uint8_t *good, uint32_t bad) {
    const struct journal_layout *l = j->layout;
    uint32_t repaired = 0;
    for (uint32_t copy = 0; copy < l->copies; copy++) {
        if ((bad & (1u << copy)) == 0) continue;
        int status = fl_disk_write(node, l->files[copy], (uint64_t)slot * l->record_bytes, good,
                                   l->record_bytes);
        fl_sometimes(node, status == FL_OK, l->names.repaired_a_copy);
        repaired += status == FL_OK;
    }
    return repaired;
}

/* Cuts every copy to `records` records. Shrinking is never refused. */
static uint32_t copies_cut(fl_node *node, const struct journal_layout *l, uint32_t records) {
    uint64_t size = (uint64_t)records * l->record_bytes;
    uint32_t cut = 0;
    for (uint32_t copy = 0; copy < l->copies; copy++) {
        if (fl_disk_size(node, l->files[copy]) <= size) continue;
        fl_disk_truncate(node, l->files[copy], size);
        cut++;
    }
    fl_sometimes(node, cut > 0, l->names.cut_a_tail);
    return cut;
}

int journal_recover(fl_node *node, struct journal *j, const struct journal_layout *layout,
                    uint32_t read_attempts, journal_replay_fn replay, void *ctx) {
    fl_always(node, read_attempts > 0, layout->names.read_attempts);
    layout_check(node, layout);
    memset(j, 0, sizeof *j);
    j->layout = layout;
    j->read_attempts = read_attempts;
    uint32_t slot = 0;
    for (; slot < layout->records_max; slot++) {
        uint8_t bytes[JOURNAL_RECORD_BYTES_MAX];
        uint32_t bad = 0;
        enum slot_state state = slot_load(node, j, slot, bytes, &bad);
        if (state == SLOT_UNREADABLE) {
            j->next = slot;
            return FL_EIO;
        }
        if (state == SLOT_INVALID) break;
        replay(ctx, bytes, slot);
        j->repairs += slot_repair(node, j, slot, bytes, bad);
    }
    j->cut = copies_cut(node, layout, slot);
    j->next = slot;
    j->durable = slot; /* after a restart the cache is what the disk held */
    return FL_OK;
}

int journal_append(fl_node *node, struct journal *j, const uint8_t *record, uint32_t *slot) {
    const struct journal_layout *l = j->layout;
    fl_always(node, j->durable <= j->next, l->names.durable_le_next);
    if (j->next >= l->records_max) return FL_ENOSPC;
    uint64_t offset = (uint64_t)j->next * l->record_bytes;
    for (uint32_t copy = 0; copy < l->copies; copy++) {
        int status = fl_disk_write(node, l->files[copy], offset, record, l->record_bytes);
        fl_sometimes(node, status == FL_ENOSPC, l->names.write_refused);
        if (status == FL_OK) continue;
        /* Refused: cut the copies already written back, so none runs ahead. */
        for (uint32_t undo = 0; undo < copy; undo++) {
            fl_disk_truncate(node, l->files[undo], offset);
        }
        return status;
    }
    *slot = j->next++;
    journal_sync_start(node, j);
    return FL_OK;
}

bool journal_sync_done(fl_node *node, struct journal *j, uint64_t sync_id, uint64_t tag,
                       int status) {
    const struct journal_layout *l = j->layout;
    fl_always(node, l != NULL, "journal.sync_after_recovery");
    if (l == NULL || tag != l->sync_tag) return false;
    bool known = j->sync_in_flight && sync_id == j->sync_id;
    fl_always(node, known, l->names.sync_known);
    if (!known) return true;
    j->sync_in_flight = false;
    fl_sometimes(node, status == FL_EIO, l->names.sync_failed);
    if (status == FL_OK && j->sync_covers > j->durable) j->durable = j->sync_covers;
    if (status != FL_OK) j->sync_again = true;
    fl_always(node, j->durable <= j->next, l->names.durable_le_next);
    return true;
}

void journal_sync_more(fl_node *node, struct journal *j) {
    if (j->durable < j->next || j->sync_again) journal_sync_start(node, j);
}

bool journal_on_sync(fl_node *node, struct journal *j, uint64_t sync_id, uint64_t tag,
                     int status) {
    if (!journal_sync_done(node, j, sync_id, tag, status)) return false;
    journal_sync_more(node, j);
    return true;
}
