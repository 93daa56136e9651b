/*
 * wal: a write-ahead log on the simulated disk, and the crash-recovery bugs
 * storage engines have shipped (docs/disk-model.md walks through it).
 *
 * Protocol. A client sends APPEND(value) or READ(index) to a random server.
 * The server keeps a log of fixed-size records, slot i at byte i * RECORD_BYTES
 * of two files, "wal.a" and "wal.b" (and "wal.c" with params.copies = 3). An
 * APPEND writes the record to every copy, starts a sync, and replies
 * OK(index) only when that sync completed with FL_OK; a write refused
 * (FL_ENOSPC) or a sync failed (FL_EIO) gets FAIL, and the client counts the
 * append as not acknowledged. A READ returns the
 * record of the first copy whose checksum and index field are valid, MISSING
 * when the index is beyond the log or no copy is valid, ERROR when a read
 * error outlasted every retry (the client then knows nothing).
 *
 *   record (40 bytes, little-endian):
 *     [magic u32][index u64][request id u64][value u64][client u32]
 *     [incarnation u32][crc32c u32 over the 36 bytes before it]
 *
 * The index inside the record catches a record stored in the wrong place (a
 * misdirected write); the checksum catches a torn, corrupted or rotted one.
 * Forty bytes do not divide a 512-byte sector, so some records straddle a
 * sector boundary and a crash can tear one in half: recovery must notice.
 *
 * Why two copies: a checksum tells a bad record from a good one, it cannot
 * bring the good one back. The device loses, misdirects and corrupts writes
 * silently (they surface after a restart), so a record the server
 * acknowledged can be damaged on the medium; with a second copy in another
 * file, one faulty copy is outvoted by its checksum, and recovery rewrites it
 * from the good one (repair), so single faults do not pile up across
 * restarts. Two faults on the two copies of one record between two restarts
 * still lose it: params.copies = 3 adds wal.c for that (docs/disk-model.md
 * has the measurements). Rejected: one file with each record written twice
 * (a misdirected write of one copy would often land on the other), and
 * voting among copies (a checksum already says which copies are good).
 *
 * Recovery, at every boot: scan slots from 0; a slot is valid if any copy
 * is; stop at the first slot where none is, which is the torn or lost tail
 * of appends never acknowledged (an acknowledged record was synced, and the
 * sync covered every earlier write too); rewrite the bad copies of each valid
 * slot; truncate every file there; sync if anything was written; resume
 * appending. A read error is
 * retried up to params.read_attempts times; a slot that stays unreadable
 * postpones recovery rather than guess (cutting the log there could discard
 * acknowledged records).
 *
 * Messages end with an FNV-1a checksum of the bytes before it, as echo's do:
 * a message the network corrupted is dropped and the request times out.
 *
 *   APPEND  [1][value u64]             OK       [3][index u32]
 *   READ    [2][index u32]             FAIL     [4][status i32]
 *   FOUND   [5][record]                MISSING  [6][index u32][log length u32]
 *   ERROR   [7][index u32]
 *
 * Variants:
 *   correct          as above;
 *   ack_before_sync  replies OK as soon as the writes are issued, before the
 *                    sync completes: a crash in between loses an
 *                    acknowledged record;
 *   no_checksum      recovery and reads trust the first copy as it is: the
 *                    log is as long as wal.a, and a lost, misdirected, torn
 *                    or corrupted record is served as if it were the real one;
 *   single_copy      checks the checksum but keeps only wal.a: a record the
 *                    device lost or damaged cannot be recovered, and recovery
 *                    cuts the log at the hole, acknowledged records with it.
 *
 * Checks (the client keeps a ring of its acknowledged appends and reads them
 * back; the verdict on a READ reply is judge() below):
 *   wal.acked_not_lost   a READ of an acknowledged record finds it: not
 *                        MISSING, and not a different append's intact record
 *                        in its place (the log was cut and the slot reused);
 *   wal.no_corrupt_read  what it finds is the acknowledged record, intact
 *                        (checksum and index field valid) and with the
 *                        acknowledged value;
 *   check_end applies the same two checks to every acknowledged record the
 *   clients still remember, against what each live server recovered and
 *   appended (its in-memory copy of the log), so a loss no READ happened to
 *   probe still fails the run.
 */
#include "wal.h"

#include <stdio.h>
#include <string.h>

#include "faultline/service.h"

enum { WAL_CORRECT = 0, WAL_ACK_BEFORE_SYNC = 1, WAL_NO_CHECKSUM = 2, WAL_SINGLE_COPY = 3 };

#define RECORD_BYTES 40
#define RECORD_BODY_BYTES 36     /* what the record's checksum covers */
#define RECORD_MAGIC 0x314c4157u /* "WAL1" */
#define RECORDS_MAX 4096
#define COPIES_MAX 3
#define PENDING_MAX 64    /* appends waiting for their sync, per server */
#define OUTSTANDING_MAX 8 /* requests in flight, per client */
#define ACKED_MAX 1024    /* acknowledged appends a client remembers (a ring) */
#define READ_ATTEMPTS_MAX 16
#define MESSAGE_MAX (1 + RECORD_BYTES + 4)
#define MESSAGE_CHECKSUM_BYTES 4
#define RECOVERY_RETRY_NS 10000000u /* 10 ms */

_Static_assert(RECORD_BODY_BYTES + 4 == RECORD_BYTES, "the checksum ends the record");
_Static_assert(512 % RECORD_BYTES != 0, "some records straddle a sector: a crash can tear one");
_Static_assert(COPIES_MAX <= 32, "struct slot keeps a bit per copy");

enum msg_type {
    MSG_APPEND = 1,
    MSG_READ = 2,
    MSG_OK = 3,
    MSG_FAIL = 4,
    MSG_FOUND = 5,
    MSG_MISSING = 6,
    MSG_ERROR = 7,
};

/* FAIL statuses besides the disk's FL_EIO and FL_ENOSPC. */
enum { STATUS_BUSY = 1, STATUS_LOG_FULL = 2 };

/* Server sync tags: the recovery sync, or an append's pending slot. */
enum { TAG_RECOVERY = 0, TAG_APPEND = 1 };
/* Server timer tags. */
enum { TAG_RECOVER_AGAIN = 0 };
/* Client timer tags: the next operation, or a request's timeout (plus its slot). */
enum { TAG_TICK = 0, TAG_TIMEOUT = 1 };

static const char *const copy_files[COPIES_MAX] = {"wal.a", "wal.b", "wal.c"};

/* --- encoding ------------------------------------------------------------------ */

struct record {
    uint64_t index;
    uint64_t id; /* the engine's id of the APPEND request that wrote it */
    uint64_t value;
    uint32_t client;
    uint32_t incarnation; /* of the server that wrote it: for a reader of the trace */
};

static void record_encode(uint8_t out[RECORD_BYTES], const struct record *r) {
    fl_put_u32(out, RECORD_MAGIC);
    fl_put_u64(out + 4, r->index);
    fl_put_u64(out + 12, r->id);
    fl_put_u64(out + 20, r->value);
    fl_put_u32(out + 28, r->client);
    fl_put_u32(out + 32, r->incarnation);
    fl_put_u32(out + RECORD_BODY_BYTES, fl_crc32c(out, RECORD_BODY_BYTES));
}

static struct record record_decode(const uint8_t in[RECORD_BYTES]) {
    return (struct record){.index = fl_get_u64(in + 4), .id = fl_get_u64(in + 12),
                           .value = fl_get_u64(in + 20), .client = fl_get_u32(in + 28),
                           .incarnation = fl_get_u32(in + 32)};
}

/* Intact and in its place: the magic, the checksum, and the index it names. */
static bool record_valid(const uint8_t in[RECORD_BYTES], uint64_t index) {
    if (fl_get_u32(in) != RECORD_MAGIC || fl_get_u64(in + 4) != index) return false;
    return fl_get_u32(in + RECORD_BODY_BYTES) == fl_crc32c(in, RECORD_BODY_BYTES);
}

/* A message: type byte, body, checksum. Returns its size. */
static size_t message_seal(uint8_t *msg, size_t body_end) {
    fl_put_u32(msg + body_end, fl_fnv1a32(msg, body_end));
    return body_end + MESSAGE_CHECKSUM_BYTES;
}

/* The message's type if its checksum holds and its size fits the type, else 0. */
static enum msg_type message_open(const uint8_t *data, size_t size) {
    static const uint8_t body_bytes[] = {
        [MSG_APPEND] = 8, [MSG_READ] = 4, [MSG_OK] = 4, [MSG_FAIL] = 4,
        [MSG_FOUND] = RECORD_BYTES, [MSG_MISSING] = 8, [MSG_ERROR] = 4,
    };
    if (size < 1 + MESSAGE_CHECKSUM_BYTES || size > MESSAGE_MAX) return 0;
    size_t body_end = size - MESSAGE_CHECKSUM_BYTES;
    if (fl_get_u32(data + body_end) != fl_fnv1a32(data, body_end)) return 0;
    uint8_t type = data[0];
    if (type < MSG_APPEND || type > MSG_ERROR) return 0;
    if (body_end != 1u + body_bytes[type]) return 0;
    return (enum msg_type)type;
}

/* --- the verdict on a record read back ----------------------------------------------- */

/* An acknowledged append, as its client remembers it. */
struct acked {
    uint64_t id;
    uint64_t value;
    uint32_t server;
    uint32_t index;
};

enum verdict { VERDICT_OK = 0, VERDICT_LOST = 1, VERDICT_CORRUPT = 2 };

/* record: what a READ returned (or a server holds) for ack's slot; NULL when
 * it answered MISSING (or its log is shorter). An intact record of another
 * append means the acknowledged one was lost and its slot reused; a record
 * that is not intact is a corrupt read, whatever its value. */
static enum verdict judge(const struct acked *ack, const uint8_t *record) {
    if (record == NULL) return VERDICT_LOST;
    if (!record_valid(record, ack->index)) return VERDICT_CORRUPT;
    struct record r = record_decode(record);
    if (r.id != ack->id) return VERDICT_LOST;
    return r.value == ack->value ? VERDICT_OK : VERDICT_CORRUPT;
}

static const char *verdict_check(enum verdict verdict) {
    return verdict == VERDICT_LOST ? "wal.acked_not_lost" : "wal.no_corrupt_read";
}

/* One line for a violation: what was acknowledged, what came back. */
static void verdict_describe(const struct acked *ack, const uint8_t *record, char *out,
                             size_t out_size) {
    char seen[160];
    if (record == NULL) {
        snprintf(seen, sizeof seen, "missing");
    } else if (!record_valid(record, ack->index)) {
        struct record r = record_decode(record);
        const char *flaw = fl_get_u32(record) != RECORD_MAGIC ? "a bad magic"
                           : r.index != ack->index        ? "the wrong index"
                                                          : "a bad checksum";
        snprintf(seen, sizeof seen,
                 "a record with %s (index %llu, request %llu, value %016llx)", flaw,
                 (unsigned long long)r.index, (unsigned long long)r.id,
                 (unsigned long long)r.value);
    } else {
        struct record r = record_decode(record);
        snprintf(seen, sizeof seen, "the intact record of request %llu, value %016llx",
                 (unsigned long long)r.id, (unsigned long long)r.value);
    }
    snprintf(out, out_size, "n%u index %u: acknowledged request %llu value %016llx, found %s",
             ack->server + 1, ack->index, (unsigned long long)ack->id,
             (unsigned long long)ack->value, seen);
}

/* --- server: the disk ------------------------------------------------------------------ */

struct pending_append {
    struct fl_request request;
    uint64_t sync_id;
    uint32_t index;
    bool used;
};

struct wal_server {
    uint32_t variant;
    uint32_t copies;        /* files the log is kept in: params.copies, 1 for single_copy */
    uint32_t records_max;   /* params.records_max */
    uint32_t read_attempts; /* params.read_attempts */
    bool recovered;         /* false until recovery finished: requests are dropped */
    uint32_t next_index;    /* records in the log; the next append's slot */
    uint64_t appends_acked; /* appends answered OK after their sync */
    uint64_t repairs;       /* copies rewritten by recovery */
    struct pending_append pending[PENDING_MAX];
    /* The log as this server believes it is stored: filled by recovery and by
     * appends. Reads go to the disk; this copy is for check_end. */
    uint8_t log[RECORDS_MAX][RECORD_BYTES];
};

enum slot_state { SLOT_INVALID = 0, SLOT_VALID = 1, SLOT_UNREADABLE = 2 };

struct slot {
    enum slot_state state;
    uint8_t record[RECORD_BYTES]; /* SLOT_VALID: the copy to believe */
    uint32_t bad_copies;          /* bit per copy that was read and is not valid */
    uint32_t copy_used;           /* which copy record came from */
};

/* Reads one copy of a slot, retrying read errors. Bytes past the end of the
 * file read as zeros (never valid). FL_OK, or FL_EIO after every attempt failed. */
static int copy_read(fl_node *node, const struct wal_server *s, uint32_t copy, uint32_t index,
                     uint8_t out[RECORD_BYTES]) {
    for (uint32_t attempt = 0; attempt < s->read_attempts; attempt++) {
        size_t n = 0;
        memset(out, 0, RECORD_BYTES);
        int status = fl_disk_read(node, copy_files[copy], (uint64_t)index * RECORD_BYTES, out,
                                  RECORD_BYTES, &n);
        fl_sometimes(node, status == FL_EIO, "wal.read_error_retried");
        if (status == FL_OK) return FL_OK;
    }
    return FL_EIO;
}

/* Loads a slot the way the variant trusts its disk. */
static void slot_load(fl_node *node, const struct wal_server *s, uint32_t index,
                      struct slot *out) {
    memset(out, 0, sizeof *out);
    bool unreadable = false;
    for (uint32_t copy = 0; copy < s->copies; copy++) {
        uint8_t bytes[RECORD_BYTES];
        if (copy_read(node, s, copy, index, bytes) != FL_OK) {
            unreadable = true;
            continue;
        }
        bool trusted = s->variant == WAL_NO_CHECKSUM || record_valid(bytes, index);
        if (!trusted) {
            out->bad_copies |= 1u << copy;
            continue;
        }
        if (out->state != SLOT_VALID) {
            memcpy(out->record, bytes, RECORD_BYTES);
            out->copy_used = copy;
            out->state = SLOT_VALID;
        }
        if (s->variant == WAL_NO_CHECKSUM) break; /* the first copy read is taken as it is */
    }
    if (out->state == SLOT_VALID) return;
    out->state = unreadable ? SLOT_UNREADABLE : SLOT_INVALID;
}

/* Rewrites each copy of a valid slot that was read and found bad. A refused
 * write (the disk is full) leaves it for the next recovery. */
static void slot_repair(fl_node *node, struct wal_server *s, uint32_t index,
                        const struct slot *slot) {
    for (uint32_t copy = 0; copy < s->copies; copy++) {
        if ((slot->bad_copies & (1u << copy)) == 0) continue;
        int status = fl_disk_write(node, copy_files[copy], (uint64_t)index * RECORD_BYTES,
                                   slot->record, RECORD_BYTES);
        fl_sometimes(node, status == FL_OK, "wal.recovery_repaired_a_copy");
        if (status == FL_OK) s->repairs++;
    }
}

/* no_checksum's idea of the log's length: as many records as wal.a holds. */
static uint32_t trusted_length(fl_node *node, const struct wal_server *s) {
    uint64_t records = fl_disk_size(node, copy_files[0]) / RECORD_BYTES;
    return records < s->records_max ? (uint32_t)records : s->records_max;
}

/* Cuts every copy to length records: the torn or lost tail goes. Shrinking
 * is never refused; growing a copy that lost its tail may be (then the next
 * append's write grows it, or fails and is not acknowledged). Returns how
 * many copies it truncated. */
static uint32_t log_truncate(fl_node *node, const struct wal_server *s, uint32_t length) {
    uint64_t size = (uint64_t)length * RECORD_BYTES;
    uint32_t truncated = 0;
    for (uint32_t copy = 0; copy < s->copies; copy++) {
        uint64_t before = fl_disk_size(node, copy_files[copy]);
        fl_sometimes(node, before > size, "wal.recovery_cut_a_tail");
        if (before == size) continue;
        fl_disk_truncate(node, copy_files[copy], size);
        truncated++;
    }
    return truncated;
}

/* Scans the log from slot 0; see the design comment. */
static void server_recover(fl_node *node, struct wal_server *s) {
    uint32_t limit = s->variant == WAL_NO_CHECKSUM ? trusted_length(node, s) : s->records_max;
    uint64_t repairs_before = s->repairs;
    uint32_t index = 0;
    for (; index < limit; index++) {
        struct slot slot;
        slot_load(node, s, index, &slot);
        if (slot.state == SLOT_UNREADABLE) {
            fl_annotate(node, "recovery: slot %u unreadable, trying again later", index);
            fl_timer_set(node, RECOVERY_RETRY_NS, TAG_RECOVER_AGAIN);
            return;
        }
        if (slot.state == SLOT_INVALID) break;
        memcpy(s->log[index], slot.record, RECORD_BYTES);
        slot_repair(node, s, index, &slot);
    }
    uint32_t truncated = log_truncate(node, s, index);
    s->next_index = index;
    s->recovered = true;
    uint64_t repaired = s->repairs - repairs_before;
    /* Nothing written, nothing to make durable: appends sync their own. */
    if (repaired > 0 || truncated > 0) fl_disk_sync(node, TAG_RECOVERY);
    fl_annotate(node, "recovered %u records, %llu copies repaired, %u copies truncated", index,
                (unsigned long long)repaired, truncated);
}

/* Writes a record to every copy. If one refuses, the copies already written
 * are cut back to their sizes before, so no copy runs ahead of the log. */
static int log_write(fl_node *node, const struct wal_server *s, uint32_t index,
                     const uint8_t record[RECORD_BYTES]) {
    uint64_t sizes[COPIES_MAX];
    for (uint32_t copy = 0; copy < s->copies; copy++) {
        sizes[copy] = fl_disk_size(node, copy_files[copy]);
    }
    for (uint32_t copy = 0; copy < s->copies; copy++) {
        int status = fl_disk_write(node, copy_files[copy], (uint64_t)index * RECORD_BYTES,
                                   record, RECORD_BYTES);
        if (status == FL_OK) continue;
        for (uint32_t undo = 0; undo < copy; undo++) {
            fl_disk_truncate(node, copy_files[undo], sizes[undo]);
        }
        return status;
    }
    return FL_OK;
}

/* --- server: the protocol ---------------------------------------------------------------- */

static void reply_u32(fl_node *node, struct fl_request request, enum msg_type type,
                      uint32_t value) {
    uint8_t msg[MESSAGE_MAX];
    msg[0] = (uint8_t)type;
    fl_put_u32(msg + 1, value);
    fl_reply(node, request, msg, message_seal(msg, 5));
}

static uint32_t pending_free_slot(const struct wal_server *s) {
    uint32_t slot = 0;
    while (slot < PENDING_MAX && s->pending[slot].used) slot++;
    return slot;
}

static void server_append(fl_node *node, struct wal_server *s, struct fl_request request,
                          uint64_t value) {
    if (s->next_index >= s->records_max) {
        reply_u32(node, request, MSG_FAIL, (uint32_t)STATUS_LOG_FULL);
        return;
    }
    uint32_t slot = pending_free_slot(s);
    fl_sometimes(node, slot == PENDING_MAX, "wal.server_busy");
    if (slot == PENDING_MAX) {
        reply_u32(node, request, MSG_FAIL, (uint32_t)STATUS_BUSY);
        return;
    }
    uint32_t index = s->next_index;
    struct record r = {.index = index, .id = request.id, .value = value,
                       .client = request.client, .incarnation = fl_incarnation(node)};
    uint8_t record[RECORD_BYTES];
    record_encode(record, &r);
    int status = log_write(node, s, index, record);
    fl_sometimes(node, status == FL_ENOSPC, "wal.append_refused_disk_full");
    if (status != FL_OK) {
        reply_u32(node, request, MSG_FAIL, (uint32_t)status);
        return;
    }
    memcpy(s->log[index], record, RECORD_BYTES);
    s->next_index++;
    struct pending_append *p = &s->pending[slot];
    p->used = true;
    p->request = request;
    p->index = index;
    p->sync_id = fl_disk_sync(node, TAG_APPEND + slot);
    if (s->variant == WAL_ACK_BEFORE_SYNC) {
        reply_u32(node, request, MSG_OK, index); /* the bug: nothing is durable yet */
    }
}

static void server_read(fl_node *node, struct wal_server *s, struct fl_request request,
                        uint32_t index) {
    if (index >= s->next_index) {
        uint8_t msg[MESSAGE_MAX];
        msg[0] = MSG_MISSING;
        fl_put_u32(msg + 1, index);
        fl_put_u32(msg + 5, s->next_index);
        fl_reply(node, request, msg, message_seal(msg, 9));
        return;
    }
    struct slot slot;
    slot_load(node, s, index, &slot);
    fl_sometimes(node, slot.state == SLOT_VALID && slot.copy_used > 0, "wal.read_second_copy");
    if (slot.state == SLOT_UNREADABLE) {
        reply_u32(node, request, MSG_ERROR, index);
        return;
    }
    uint8_t msg[MESSAGE_MAX];
    if (slot.state == SLOT_INVALID) {
        msg[0] = MSG_MISSING;
        fl_put_u32(msg + 1, index);
        fl_put_u32(msg + 5, s->next_index);
        fl_reply(node, request, msg, message_seal(msg, 9));
        return;
    }
    msg[0] = MSG_FOUND;
    memcpy(msg + 1, slot.record, RECORD_BYTES);
    fl_reply(node, request, msg, message_seal(msg, 1 + RECORD_BYTES));
}

static void server_start(fl_node *node, void *state) {
    struct wal_server *s = state;
    s->variant = fl_variant(node);
    s->copies = s->variant == WAL_SINGLE_COPY ? 1 : (uint32_t)fl_param(node, "copies");
    s->records_max = (uint32_t)fl_param(node, "records_max");
    s->read_attempts = (uint32_t)fl_param(node, "read_attempts");
    server_recover(node, s);
}

static void server_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct wal_server *s = state;
    fl_always(node, tag == TAG_RECOVER_AGAIN && !s->recovered, "wal.server_timer_known");
    if (!s->recovered) server_recover(node, s);
}

static void server_on_request(fl_node *node, void *state, struct fl_request request,
                              const uint8_t *data, size_t size_bytes) {
    struct wal_server *s = state;
    enum msg_type type = message_open(data, size_bytes);
    fl_sometimes(node, type == 0, "wal.server_dropped_corrupt");
    if (!s->recovered) return; /* still recovering: the client times out */
    if (type == MSG_APPEND) {
        server_append(node, s, request, fl_get_u64(data + 1));
    } else if (type == MSG_READ) {
        server_read(node, s, request, fl_get_u32(data + 1));
    }
}

static void server_on_sync(fl_node *node, void *state, uint64_t sync_id, uint64_t tag,
                           int status) {
    struct wal_server *s = state;
    fl_sometimes(node, status == FL_EIO, "wal.sync_failed");
    if (tag == TAG_RECOVERY) return; /* an append's sync covers the recovery's writes too */
    uint64_t slot = tag - TAG_APPEND;
    bool known = slot < PENDING_MAX && s->pending[slot].used && s->pending[slot].sync_id == sync_id;
    fl_always(node, known, "wal.sync_slot_known");
    if (!known) return;
    struct pending_append *p = &s->pending[slot];
    p->used = false;
    if (s->variant == WAL_ACK_BEFORE_SYNC) return; /* replied long ago */
    if (status != FL_OK) {
        reply_u32(node, p->request, MSG_FAIL, (uint32_t)status);
        return;
    }
    s->appends_acked++;
    reply_u32(node, p->request, MSG_OK, p->index);
}

/* --- descriptions (trace files only) ---------------------------------------------------- */

static const char *fail_status_name(int32_t status) {
    switch (status) {
    case STATUS_BUSY: return "busy";
    case STATUS_LOG_FULL: return "log full";
    default: return fl_strerror(status);
    }
}

/* Either side's messages: the sender's bytes, always well formed. A FOUND
 * record belongs to the append that wrote it: its request id is the trace id,
 * which ties every read of a record to the append's own story. */
static void wal_describe_message(const uint8_t *data, size_t size_bytes,
                                 struct fl_message_view *out) {
    static const char *const kinds[] = {
        [MSG_APPEND] = "append", [MSG_READ] = "read",       [MSG_OK] = "ok",
        [MSG_FAIL] = "fail",     [MSG_FOUND] = "found",     [MSG_MISSING] = "missing",
        [MSG_ERROR] = "error",
    };
    enum msg_type type = message_open(data, size_bytes);
    if (type == 0) return;
    snprintf(out->kind, sizeof out->kind, "%s", kinds[type]);
    char *t = out->text;
    size_t n = sizeof out->text;
    switch (type) {
    case MSG_APPEND:
        snprintf(t, n, "value %016llx", (unsigned long long)fl_get_u64(data + 1));
        break;
    case MSG_READ:
    case MSG_OK:
    case MSG_ERROR: snprintf(t, n, "index %u", fl_get_u32(data + 1)); break;
    case MSG_FAIL: snprintf(t, n, "%s", fail_status_name((int32_t)fl_get_u32(data + 1))); break;
    case MSG_MISSING:
        snprintf(t, n, "index %u, log %u", fl_get_u32(data + 1), fl_get_u32(data + 5));
        break;
    case MSG_FOUND: {
        struct record r = record_decode(data + 1);
        snprintf(t, n, "index %llu value %016llx%s", (unsigned long long)r.index,
                 (unsigned long long)r.value, record_valid(data + 1, r.index) ? "" : " (bad)");
        out->trace_id = r.id;
        break;
    }
    }
}

static void server_describe_state(const void *state, struct fl_state_view *out) {
    const struct wal_server *s = state;
    uint32_t syncing = 0;
    for (uint32_t i = 0; i < PENDING_MAX; i++) syncing += s->pending[i].used;
    snprintf(out->role, sizeof out->role, "%s", s->recovered ? "serving" : "recovering");
    if (syncing > 0) {
        snprintf(out->label, sizeof out->label, "log %u, %u syncing", s->next_index, syncing);
    } else {
        snprintf(out->label, sizeof out->label, "log %u", s->next_index);
    }
}

static const struct fl_service wal_server_service = {
    .state_size_bytes = sizeof(struct wal_server),
    .start = server_start,
    .on_timer = server_on_timer,
    .on_request = server_on_request,
    .on_sync = server_on_sync,
    .describe_state = server_describe_state,
    .describe_message = wal_describe_message,
};

/* --- client ------------------------------------------------------------------------ */

enum op_kind { OP_NONE = 0, OP_APPEND = 1, OP_READ = 2 };

struct outstanding {
    uint64_t request_id; /* 0: slot free */
    fl_timer_id timeout;
    enum op_kind kind;
    uint32_t server;
    uint64_t value;      /* append: the value sent */
    struct acked target; /* read: the acknowledged append it reads back */
};

struct wal_client {
    uint32_t concurrency;   /* params.concurrency */
    uint32_t read_percent;  /* params.read_share */
    uint64_t interval_ns;   /* params.interval */
    uint64_t timeout_ns;    /* params.timeout */
    struct outstanding outstanding[OUTSTANDING_MAX];
    uint64_t acked_count;   /* acknowledged appends ever; the ring keeps the last ACKED_MAX */
    struct acked acked[ACKED_MAX];
    uint64_t appends_failed;
    uint64_t reads_checked;
    uint64_t timeouts;
};

static uint32_t acked_remembered(const struct wal_client *c) {
    return c->acked_count < ACKED_MAX ? (uint32_t)c->acked_count : ACKED_MAX;
}

static void client_send(fl_node *node, struct wal_client *c, struct outstanding *o,
                        uint32_t slot) {
    uint8_t msg[MESSAGE_MAX];
    size_t size = 0;
    if (o->kind == OP_APPEND) {
        msg[0] = MSG_APPEND;
        fl_put_u64(msg + 1, o->value);
        size = message_seal(msg, 9);
    } else {
        msg[0] = MSG_READ;
        fl_put_u32(msg + 1, o->target.index);
        size = message_seal(msg, 5);
    }
    o->request_id = fl_request(node, o->server, msg, size);
    o->timeout = fl_timer_set(node, c->timeout_ns, TAG_TIMEOUT + slot);
}

/* One new operation, if a slot is free: mostly a read of a random remembered
 * acknowledged append (read_share), otherwise an append to a random server. */
static void client_tick(fl_node *node, struct wal_client *c) {
    uint32_t slot = 0;
    while (slot < c->concurrency && c->outstanding[slot].request_id != 0) slot++;
    if (slot < c->concurrency) {
        struct outstanding *o = &c->outstanding[slot];
        memset(o, 0, sizeof *o);
        uint32_t remembered = acked_remembered(c);
        if (remembered > 0 && fl_random_below(node, 100) < c->read_percent) {
            o->kind = OP_READ;
            o->target = c->acked[fl_random_below(node, remembered)];
            o->server = o->target.server;
        } else {
            o->kind = OP_APPEND;
            o->value = fl_random(node);
            o->server = (uint32_t)fl_random_below(node, fl_server_count(node));
        }
        client_send(node, c, o, slot);
    }
    fl_timer_set(node, c->interval_ns / 2 + fl_random_below(node, c->interval_ns), TAG_TICK);
}

static void client_start(fl_node *node, void *state) {
    struct wal_client *c = state;
    c->concurrency = (uint32_t)fl_param(node, "concurrency");
    c->read_percent = (uint32_t)fl_param(node, "read_share");
    c->interval_ns = (uint64_t)fl_param(node, "interval");
    c->timeout_ns = (uint64_t)fl_param(node, "timeout");
    client_tick(node, c);
}

static void client_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct wal_client *c = state;
    if (tag == TAG_TICK) {
        client_tick(node, c);
        return;
    }
    uint64_t slot = tag - TAG_TIMEOUT;
    bool known = slot < OUTSTANDING_MAX && c->outstanding[slot].request_id != 0;
    fl_always(node, known, "wal.client_timeout_slot");
    if (!known) return;
    c->outstanding[slot].request_id = 0;
    c->timeouts++;
}

static void client_acked(struct wal_client *c, const struct outstanding *o, uint64_t request_id,
                         uint32_t index) {
    struct acked *a = &c->acked[c->acked_count % ACKED_MAX];
    *a = (struct acked){.id = request_id, .value = o->value, .server = o->server, .index = index};
    c->acked_count++;
}

/* A READ of an acknowledged append answered: the two checks. */
static void client_check_read(fl_node *node, struct wal_client *c, const struct outstanding *o,
                              const uint8_t *record) {
    enum verdict verdict = judge(&o->target, record);
    char text[320] = "";
    if (verdict != VERDICT_OK) verdict_describe(&o->target, record, text, sizeof text);
    fl_assert_always(node, verdict != VERDICT_LOST, "wal.acked_not_lost", "%s", text);
    fl_assert_always(node, verdict != VERDICT_CORRUPT, "wal.no_corrupt_read", "%s", text);
    c->reads_checked++;
}

static void client_on_reply(fl_node *node, void *state, fl_node_id from, uint64_t request_id,
                            const uint8_t *data, size_t size_bytes) {
    struct wal_client *c = state;
    uint32_t slot = 0;
    while (slot < OUTSTANDING_MAX && c->outstanding[slot].request_id != request_id) slot++;
    fl_sometimes(node, slot == OUTSTANDING_MAX, "wal.late_or_duplicate_reply");
    if (slot == OUTSTANDING_MAX) return; /* timed out already, or the network's duplicate */
    enum msg_type type = message_open(data, size_bytes);
    fl_sometimes(node, type == 0, "wal.client_dropped_corrupt");
    if (type == 0) return; /* as if lost: the request times out */
    struct outstanding *o = &c->outstanding[slot];
    fl_always(node, from == o->server, "wal.reply_from_server_asked");
    fl_timer_cancel(node, o->timeout);
    o->request_id = 0;
    if (o->kind == OP_APPEND && type == MSG_OK) {
        client_acked(c, o, request_id, fl_get_u32(data + 1)); /* the request id names the record */
    } else if (o->kind == OP_APPEND) {
        fl_always(node, type == MSG_FAIL, "wal.append_reply_type");
        c->appends_failed++;
    } else if (type == MSG_FOUND) {
        client_check_read(node, c, o, data + 1);
    } else if (type == MSG_MISSING) {
        client_check_read(node, c, o, NULL);
    } else {
        fl_always(node, type == MSG_ERROR, "wal.read_reply_type");
    }
}

static void client_describe_state(const void *state, struct fl_state_view *out) {
    const struct wal_client *c = state;
    uint32_t waiting = 0;
    for (uint32_t i = 0; i < OUTSTANDING_MAX; i++) waiting += c->outstanding[i].request_id != 0;
    snprintf(out->role, sizeof out->role, "%s", waiting > 0 ? "busy" : "idle");
    snprintf(out->label, sizeof out->label, "%llu acked, %llu reads checked",
             (unsigned long long)c->acked_count, (unsigned long long)c->reads_checked);
}

static const struct fl_service wal_client_service = {
    .state_size_bytes = sizeof(struct wal_client),
    .start = client_start,
    .on_timer = client_on_timer,
    .on_reply = client_on_reply,
    .describe_state = client_describe_state,
    .describe_message = wal_describe_message,
};

/* --- checker ------------------------------------------------------------------------ */

/* Every acknowledged append the clients remember, against the log each live
 * server holds now: the same verdict a READ would get from a perfect disk. */
static void wal_check_end(fl_world *world) {
    uint32_t servers = fl_world_server_count(world);
    for (uint32_t i = 0; i < fl_world_client_count(world); i++) {
        const struct wal_client *c = fl_world_state(world, servers + i);
        if (c == NULL) continue;
        for (uint32_t k = 0; k < acked_remembered(c); k++) {
            const struct acked *ack = &c->acked[k];
            const struct wal_server *s = fl_world_state(world, ack->server);
            if (s == NULL || !s->recovered) continue;
            const uint8_t *record = ack->index < s->next_index ? s->log[ack->index] : NULL;
            enum verdict verdict = judge(ack, record);
            if (verdict == VERDICT_OK) continue;
            char text[320];
            verdict_describe(ack, record, text, sizeof text);
            fl_world_violation(world, verdict_check(verdict), "at the end of the run: %s", text);
            return;
        }
    }
}

/* --- the model ---------------------------------------------------------------------- */

static const char *const wal_variants[] = {
    "correct", "ack_before_sync", "no_checksum", "single_copy", NULL,
};
static const char *const wal_variant_help[] = {
    "params.copies checksummed copies, acknowledged after the sync; recovery repairs, cuts tail",
    "acknowledges an append before its sync completes: a crash loses acknowledged records",
    "trusts wal.a as it is: lost, misdirected or corrupted records are served",
    "checksums one copy: a record the device lost or damaged cannot be recovered",
    NULL,
};

static const struct fl_param wal_params[] = {
    {"interval", FL_PARAM_DURATION, 1000, 3600000000000, 20000000,
     "mean time between a client's operations (uniform in [interval/2, 3*interval/2))"},
    {"timeout", FL_PARAM_DURATION, 1000, 3600000000000, 500000000,
     "a client gives up on a request after this long"},
    {"concurrency", FL_PARAM_INT, 1, OUTSTANDING_MAX, 2,
     "requests a client keeps in flight at once"},
    {"read_share", FL_PARAM_INT, 0, 100, 50,
     "percent of a client's operations that read back an acknowledged append"},
    {"records_max", FL_PARAM_INT, 1, RECORDS_MAX, RECORDS_MAX,
     "records a server's log holds; appends beyond it fail"},
    {"copies", FL_PARAM_INT, 2, COPIES_MAX, 2,
     "files the log is kept in (wal.a, wal.b, wal.c); single_copy keeps only wal.a"},
    {"read_attempts", FL_PARAM_INT, 1, READ_ATTEMPTS_MAX, 8,
     "times a server tries a read that fails with EIO before giving up on that copy"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model fl_model_wal = {
    .name = "wal",
    .summary = "a write-ahead log in checksummed copies on the simulated disk, with crash recovery",
    .server = &wal_server_service,
    .client = &wal_client_service,
    .variants = wal_variants,
    .variant_help = wal_variant_help,
    .params = wal_params,
    .server_count_min = 1,
    .check_end = wal_check_end,
};
