/*
 * saga: a trip booked across three services by an orchestrator that persists
 * its progress and undoes completed steps in reverse when one fails.
 *
 * Nodes, by id (fixed by the model; a scenario needs at least four servers,
 * and any beyond n4 stay idle):
 *   n1  orchestrator   runs every saga, step by step, from its log
 *   n2  flight         books a seat (params.flight_seats of them)
 *   n3  hotel          books a room (params.hotel_rooms of them)
 *   n4  payment        charges the card, refunds it
 *   c1..cM clients     each books trips, params.concurrency at a time
 *
 * A saga. A client picks a request key (its index and a sequence number) and
 * sends BOOK(key, amount) to n1 until it gets ACCEPTED(saga id); the saga id
 * is derived from the key (seq * clients + client + 1), so a retried BOOK
 * names the same saga. n1 writes the saga to its log, syncs, and only then
 * replies ACCEPTED and runs the first step. The client then polls
 * STATUS(saga) until the saga has ended. The steps run in order:
 *
 *   0 payment  charge the card        compensation: refund
 *   1 flight   book a seat            compensation: cancel the seat
 *   2 hotel    book a room            compensation: cancel the room
 *
 * Each step is sent as DO(saga, step) and retried up to params.step_attempts
 * times, params.step_timeout apart. A service answers DONE or REFUSED (card
 * declined, no seat or room left, or refused at random with
 * params.refuse_percent). When all three are DONE the saga is committed. When
 * one is REFUSED, or every attempt timed out (its outcome is then unknown:
 * the request may have been applied and only the reply lost), the saga turns
 * to compensation: each step that is DONE or unknown gets UNDO(saga, step),
 * in reverse order (cancel hotel, cancel flight, refund), retried until it is
 * answered (UNDONE, or NOOP when there was nothing to undo), with a backoff
 * doubling up to params.compensation_retry_max. Then the saga is compensated.
 *
 * Persistence. Every transition of a saga is a snapshot record appended to
 * n1's log and synced before n1 acts on it (replies ACCEPTED, sends the next
 * step or compensation). Recovery at boot reads the log, keeps the last
 * snapshot of each saga, and drives every saga still in progress to its end:
 * a step in flight is simply sent again, which is safe because of the next
 * rule.
 *
 * Idempotency. A service keys every request by (saga, step): the step id. It
 * remembers what it did for each step id in its own log, synced before it
 * replies, so a retried or duplicated DO or UNDO applies once and gets the
 * answer the first one got. An UNDO for a step the service never applied is
 * recorded as a tombstone (VOID) and answered NOOP: a later, delayed DO of
 * that step is then refused instead of booked after its compensation.
 *
 * Disk. Each node's log is fixed-size records (64 bytes, a crc32c and the
 * slot number inside each) in params.copies files (log.a, log.b, log.c), as
 * the wal model keeps them: a record the device lost, misdirected or
 * corrupted in one copy is read from another, and recovery rewrites the bad
 * copy. A slot no copy holds is skipped (every record is a whole state, so
 * losing one costs only that one); the log ends after its last valid slot,
 * and recovery truncates the files there. A read error is retried; a slot that stays
 * unreadable postpones recovery (the node answers nothing meanwhile). A
 * refused write (disk full) is not an answer: a service drops the request
 * (the orchestrator retries), the orchestrator retries the write later.
 *
 *   record: [magic u32][slot u32][saga u64][client u32][seq u32][amount u32]
 *           [undone u32][refunded u32][state u8][step u8][outcome u8 x3]
 *           [did u8][reason u8][zeros x17][crc32c u32 of the 60 bytes before]
 *
 * Messages are 34 bytes, the same layout for every type, ending with an
 * FNV-1a checksum (a corrupted one is dropped, as if lost). The saga id is
 * the trace id of every message of a saga, clients' included:
 *
 *   [type u8][saga u64][step u8][amount u32][client u32][seq u32]
 *   [attempt u32][phase u8][outcome u8 x3][fnv1a u32]
 *
 * Variants (each the smallest change to the correct code):
 *   correct                      as above;
 *   missing_compensation         the orchestrator never cancels the flight:
 *                                a saga whose hotel is refused ends
 *                                "compensated" with the flight still booked;
 *   non_idempotent_compensation  the payment service does not remember
 *                                refunds: a retried or duplicated refund
 *                                refunds the card again;
 *   volatile_orchestrator        the orchestrator keeps sagas in memory only:
 *                                after a crash it has forgotten the sagas in
 *                                progress, and their booked steps stay booked;
 *   blind_refund                 the payment service refunds whatever an
 *                                UNDO names, charged or not: a charge that
 *                                timed out before it arrived gets refunded;
 *   no_tombstone                 the flight and hotel services answer an
 *                                UNDO of a step they never saw with NOOP and
 *                                record nothing: when the timed-out DO
 *                                arrives after its compensation, it books,
 *                                and the seat stays booked for a saga that
 *                                ended compensated.
 *
 * Checks:
 *   saga.atomic                   a saga that ended committed has all three
 *                                 steps in effect; one that ended compensated
 *                                 has none (at the end of the run, against
 *                                 what each service holds);
 *   saga.no_phantom_compensation  no service undoes a step it never applied;
 *   saga.refund_once              a charge is refunded at most once: refunds
 *                                 never exceed charges (both checked as each
 *                                 service's state changes, and at the end);
 *   saga.no_overbooking           a service never books more seats or rooms
 *                                 than it has, and its count matches its
 *                                 bookings;
 *   saga.ends                     params.liveness after the faults healed
 *                                 (and after a saga began), every saga has
 *                                 ended and its client knows how.
 */
#include "saga.h"

#include <stdio.h>
#include <string.h>

#include "faultline/service.h"

enum {
    SAGA_CORRECT = 0,
    SAGA_MISSING_COMPENSATION = 1,
    SAGA_NON_IDEMPOTENT_COMPENSATION = 2,
    SAGA_VOLATILE_ORCHESTRATOR = 3,
    SAGA_BLIND_REFUND = 4,
    SAGA_NO_TOMBSTONE = 5,
};

#define CLIENTS_MAX 8
#define SAGAS_PER_CLIENT_MAX 256
#define SAGAS_MAX (CLIENTS_MAX * SAGAS_PER_CLIENT_MAX + 1) /* table index = saga id; 0 unused */
#define CONCURRENCY_MAX 8
#define OPEN_MAX 128        /* sagas in progress at the orchestrator */
#define WAIT_MAX 128        /* service entries waiting for their sync to answer */
#define LOG_SLOTS_MAX 8192  /* records per log */
/* An orchestrator's snapshots of one saga: begun, two steps done, the third
 * refused or unknown, three compensations (the last one ending it). */
#define SNAPSHOTS_PER_SAGA_MAX 8
#define RECORD_BYTES 64
#define RECORD_BODY_BYTES 60
#define RECORD_MAGIC 0x31474153u /* "SAG1" */
#define CHUNK_SLOTS 64           /* recovery reads this many records at a time */
#define MSG_BYTES 34
#define MSG_BODY_BYTES 30
#define READ_ATTEMPTS_MAX 16
#define COPIES_MAX 3
#define STEPS 3
#define RETRY_WRITE_NS 10000000u /* 10 ms: a refused log write is tried again */
#define RECOVERY_RETRY_NS 10000000u

_Static_assert(RECORD_BODY_BYTES + 4 == RECORD_BYTES, "the checksum ends the record");
_Static_assert(512 % RECORD_BYTES == 0, "a record never straddles a sector");
_Static_assert(SAGAS_MAX < 65536, "open and wait lists keep saga ids in 16 bits");
_Static_assert(MSG_BODY_BYTES + 4 == MSG_BYTES, "the checksum ends the message");

enum role { ROLE_ORCHESTRATOR = 0, ROLE_FLIGHT = 1, ROLE_HOTEL = 2, ROLE_PAYMENT = 3,
            ROLE_SPARE = 4 };
enum step { STEP_PAYMENT = 0, STEP_FLIGHT = 1, STEP_HOTEL = 2, STEP_NONE = 255 };

static const fl_node_id step_node[STEPS] = {ROLE_PAYMENT, ROLE_FLIGHT, ROLE_HOTEL};
static const char *const step_name[STEPS] = {"payment", "flight", "hotel"};

/* Saga phases, as the orchestrator records them. */
enum phase { PH_NONE = 0, PH_RUNNING = 1, PH_COMPENSATING = 2, PH_COMMITTED = 3,
             PH_COMPENSATED = 4 };
static const char *const phase_name[] = {"unknown", "running", "compensating", "committed",
                                         "compensated"};

/* A step as the orchestrator knows it. */
enum outcome { OUT_NONE = 0, OUT_PENDING = 1, OUT_DONE = 2, OUT_REFUSED = 3, OUT_UNKNOWN = 4,
               OUT_UNDONE = 5, OUT_NOOP = 6 };

/* A step as its service holds it. */
enum sv_state { SV_NONE = 0, SV_APPLIED = 1, SV_REFUSED = 2, SV_UNDONE = 3, SV_VOID = 4 };
enum reason { REASON_NONE = 0, REASON_CAPACITY = 1, REASON_DECLINED = 2 };

enum msg_type {
    MSG_DO = 1, MSG_UNDO = 2, MSG_DONE = 3, MSG_REFUSED = 4, MSG_UNDONE = 5, MSG_NOOP = 6,
    MSG_BOOK = 7, MSG_ACCEPTED = 8, MSG_STATUS = 9, MSG_STATE = 10, MSG_UNKNOWN = 11,
    MSG_BUSY = 12,
};
#define MSG_TYPE_MAX MSG_BUSY

/* Server timer tags: kind in the low 4 bits, the saga id above. */
enum { TAG_SAGA = 1, TAG_WRITE_RETRY = 2, TAG_RECOVER = 3 };
/* Client timer tags: the tick, or a slot's retry (1 + slot). */
enum { TAG_TICK = 0, TAG_SLOT = 1 };

/* Client outcomes of a saga. */
enum client_outcome { CO_NONE = 0, CO_ACCEPTED = 1, CO_COMMITTED = 2, CO_COMPENSATED = 3,
                      CO_FORGOTTEN = 4, CO_BUSY = 5 /* not accepted; the last answer: busy */ };

/* --- encoding ------------------------------------------------------------------ */

struct msg {
    uint8_t type;
    uint64_t saga;
    uint8_t step;
    uint32_t amount;
    uint32_t client; /* client index, 0-based */
    uint32_t seq;
    uint32_t attempt;
    uint8_t phase;
    uint8_t outcome[STEPS];
};

static void msg_encode(uint8_t out[MSG_BYTES], const struct msg *m) {
    memset(out, 0, MSG_BYTES);
    out[0] = m->type;
    fl_put_u64(out + 1, m->saga);
    out[9] = m->step;
    fl_put_u32(out + 10, m->amount);
    fl_put_u32(out + 14, m->client);
    fl_put_u32(out + 18, m->seq);
    fl_put_u32(out + 22, m->attempt);
    out[26] = m->phase;
    for (int i = 0; i < STEPS; i++) out[27 + i] = m->outcome[i];
    fl_put_u32(out + MSG_BODY_BYTES, fl_fnv1a32(out, MSG_BODY_BYTES));
}

/* False for a message of the wrong size, a bad checksum or an unknown type. */
static bool msg_decode(const uint8_t *in, size_t size, struct msg *m) {
    if (size != MSG_BYTES) return false;
    if (fl_get_u32(in + MSG_BODY_BYTES) != fl_fnv1a32(in, MSG_BODY_BYTES)) return false;
    if (in[0] < MSG_DO || in[0] > MSG_TYPE_MAX) return false;
    m->type = in[0];
    m->saga = fl_get_u64(in + 1);
    m->step = in[9];
    m->amount = fl_get_u32(in + 10);
    m->client = fl_get_u32(in + 14);
    m->seq = fl_get_u32(in + 18);
    m->attempt = fl_get_u32(in + 22);
    m->phase = in[26];
    for (int i = 0; i < STEPS; i++) m->outcome[i] = in[27 + i];
    return true;
}

/* One log record: an orchestrator's saga snapshot or a service's step entry. */
struct rec {
    uint64_t saga;
    uint32_t client, seq, amount;
    uint32_t undone;   /* service: compensations applied */
    uint32_t refunded; /* payment: money refunded in all */
    uint8_t state;     /* orchestrator: enum phase; service: enum sv_state */
    uint8_t step;
    uint8_t outcome[STEPS];
    uint8_t did;       /* service: the step was applied at some point */
    uint8_t reason;
};

static void rec_encode(uint8_t out[RECORD_BYTES], uint32_t slot, const struct rec *r) {
    memset(out, 0, RECORD_BYTES);
    fl_put_u32(out, RECORD_MAGIC);
    fl_put_u32(out + 4, slot);
    fl_put_u64(out + 8, r->saga);
    fl_put_u32(out + 16, r->client);
    fl_put_u32(out + 20, r->seq);
    fl_put_u32(out + 24, r->amount);
    fl_put_u32(out + 28, r->undone);
    fl_put_u32(out + 32, r->refunded);
    out[36] = r->state;
    out[37] = r->step;
    for (int i = 0; i < STEPS; i++) out[38 + i] = r->outcome[i];
    out[41] = r->did;
    out[42] = r->reason;
    fl_put_u32(out + RECORD_BODY_BYTES, fl_crc32c(out, RECORD_BODY_BYTES));
}

/* Intact, in its place, and naming a saga the tables can hold. */
static bool rec_valid(const uint8_t in[RECORD_BYTES], uint32_t slot) {
    if (fl_get_u32(in) != RECORD_MAGIC || fl_get_u32(in + 4) != slot) return false;
    if (fl_get_u32(in + RECORD_BODY_BYTES) != fl_crc32c(in, RECORD_BODY_BYTES)) return false;
    uint64_t saga = fl_get_u64(in + 8);
    return saga > 0 && saga < SAGAS_MAX;
}

static struct rec rec_decode(const uint8_t in[RECORD_BYTES]) {
    struct rec r = {.saga = fl_get_u64(in + 8), .client = fl_get_u32(in + 16),
                    .seq = fl_get_u32(in + 20), .amount = fl_get_u32(in + 24),
                    .undone = fl_get_u32(in + 28), .refunded = fl_get_u32(in + 32),
                    .state = in[36], .step = in[37], .did = in[41], .reason = in[42]};
    for (int i = 0; i < STEPS; i++) r.outcome[i] = in[38 + i];
    return r;
}

/* --- state ------------------------------------------------------------------------ */

/* A saga at the orchestrator. */
struct osaga {
    uint8_t phase;          /* enum phase; PH_NONE: not known */
    uint8_t step;           /* the step being done (running) or undone (compensating) */
    uint8_t outcome[STEPS]; /* enum outcome */
    bool open;              /* in the open list: not ended */
    bool acted;             /* the current snapshot is durable and was acted on */
    bool write_failed;      /* the current snapshot could not be written: retried */
    bool accepted_wanted;   /* a BOOK waits for the snapshot's sync */
    uint32_t client, seq, amount;
    uint32_t attempts;      /* of the current step's DO */
    uint64_t mark;          /* log writes up to its snapshot: durable once synced past */
    uint64_t retry_ns;      /* compensation backoff */
    fl_timer_id timer;
    struct fl_request book; /* the BOOK to answer ACCEPTED */
};

/* A step id at a service. */
struct sentry {
    uint8_t state;  /* enum sv_state */
    uint8_t did;    /* applied at some point (a seat taken, a card charged) */
    uint8_t reason; /* enum reason, for a refusal */
    bool reply_do, reply_undo, waiting;
    uint32_t amount;
    uint32_t undone;   /* compensations applied: 1 at most, unless a bug */
    uint32_t refunded; /* payment: money given back */
    uint64_t mark;
};

struct saga_server {
    uint32_t role;             /* enum role, from the node id */
    uint32_t variant;
    uint32_t clients;          /* fl_client_count: saga ids depend on it */
    uint64_t step_timeout_ns;  /* params.step_timeout */
    uint32_t step_attempts;    /* params.step_attempts */
    uint64_t retry_max_ns;     /* params.compensation_retry_max */
    uint32_t capacity;         /* seats or rooms */
    uint32_t refuse_percent;   /* params.refuse_percent */
    uint32_t read_attempts;    /* params.read_attempts */
    uint32_t copies;           /* params.copies: files the log is kept in */
    /* the log */
    bool recovered;            /* false: requests are dropped */
    uint32_t next_slot;        /* records in the log */
    uint64_t writes;           /* records appended since boot */
    uint64_t durable;          /* appends covered by a completed sync */
    bool write_retry_armed;
    /* orchestrator */
    struct osaga sagas[SAGAS_MAX];
    uint16_t open_ids[OPEN_MAX];
    uint32_t open_count;
    uint64_t sagas_begun, sagas_ended;
    /* services */
    struct sentry entries[SAGAS_MAX];
    uint16_t wait_ids[WAIT_MAX];
    uint32_t wait_count;
    uint32_t in_use;     /* seats or rooms booked now */
    uint64_t changes;    /* entries changed since boot: the checker watches it */
    uint64_t last_saga;  /* the entry changed last */
    uint64_t applied;    /* steps applied since boot */
};

struct cslot {
    bool used;
    bool accepted;
    uint32_t seq;
    fl_timer_id timer;
};

struct saga_client {
    uint32_t index, clients;
    uint32_t concurrency, sagas_max;
    uint64_t interval_ns, retry_ns;
    uint32_t started;                           /* sagas begun: seq 0 .. started-1 */
    uint64_t ended;                             /* sagas whose end it was told */
    uint32_t last_ended_seq;                    /* the saga whose end it was told last */
    uint8_t outcome[SAGAS_PER_CLIENT_MAX];      /* enum client_outcome, by seq */
    struct cslot slots[CONCURRENCY_MAX];
};

static uint64_t saga_id(uint32_t clients, uint32_t client, uint32_t seq) {
    return (uint64_t)seq * clients + client + 1;
}

static uint32_t saga_client_of(uint32_t clients, uint64_t saga) {
    return (uint32_t)((saga - 1) % clients);
}

/* What the client pays: fixed by the saga id, so a retried BOOK says the same. */
static uint32_t saga_amount(uint64_t saga) {
    return 100 + (uint32_t)((saga * 37) % 900);
}

/* --- the log: two checksummed copies ---------------------------------------------- */

/* Not models/common/journal: that journal ends the log at the first slot no
 * copy holds and commits in groups; this log skips such a slot (each record
 * is a whole state, see log_recover) and syncs every append on its own, its
 * tag the write's number, so that a reply waits for its own record only. */

static const char *const copy_files[COPIES_MAX] = {"log.a", "log.b", "log.c"};

/* Appends a record to both copies and starts a sync; *mark gets the number of
 * the write (durable once s->durable reaches it). A refused write leaves
 * neither copy longer than before. */
static int log_append(fl_node *node, struct saga_server *s, const struct rec *r, uint64_t *mark) {
    if (s->role == ROLE_ORCHESTRATOR && s->variant == SAGA_VOLATILE_ORCHESTRATOR) {
        *mark = 0; /* the bug: nothing is written, and everything counts as durable */
        return FL_OK;
    }
    fl_always(node, s->next_slot < LOG_SLOTS_MAX, "saga.log_room");
    if (s->next_slot >= LOG_SLOTS_MAX) return FL_ENOSPC;
    uint8_t bytes[RECORD_BYTES];
    rec_encode(bytes, s->next_slot, r);
    uint64_t offset = (uint64_t)s->next_slot * RECORD_BYTES;
    uint64_t sizes[COPIES_MAX];
    for (uint32_t copy = 0; copy < s->copies; copy++) {
        sizes[copy] = fl_disk_size(node, copy_files[copy]);
    }
    int status = FL_OK;
    for (uint32_t copy = 0; copy < s->copies && status == FL_OK; copy++) {
        status = fl_disk_write(node, copy_files[copy], offset, bytes, RECORD_BYTES);
        if (status == FL_OK) continue;
        for (uint32_t undo = 0; undo < copy; undo++) {
            fl_disk_truncate(node, copy_files[undo], sizes[undo]);
        }
    }
    fl_sometimes(node, status == FL_ENOSPC, "saga.write_refused");
    if (status != FL_OK) return status;
    s->next_slot++;
    s->writes++;
    *mark = s->writes;
    fl_disk_sync(node, s->writes);
    return FL_OK;
}

/* Reads CHUNK_SLOTS records of one copy from slot `first`, retrying read
 * errors; bytes past the end read as zeros (never valid). */
static int chunk_read(fl_node *node, const struct saga_server *s, uint32_t copy, uint32_t first,
                      uint8_t *out) {
    for (uint32_t attempt = 0; attempt < s->read_attempts; attempt++) {
        size_t n = 0;
        memset(out, 0, CHUNK_SLOTS * RECORD_BYTES);
        int status = fl_disk_read(node, copy_files[copy], (uint64_t)first * RECORD_BYTES, out,
                                  CHUNK_SLOTS * RECORD_BYTES, &n);
        fl_sometimes(node, status == FL_EIO, "saga.read_error_retried");
        if (status == FL_OK) return FL_OK;
    }
    return FL_EIO;
}

static void orchestrator_apply(struct saga_server *s, const struct rec *r);
static void service_apply(struct saga_server *s, const struct rec *r);

/* The slots any copy's file reaches: the scan's end. */
static uint32_t log_extent(fl_node *node, const struct saga_server *s) {
    uint64_t size = 0;
    for (uint32_t copy = 0; copy < s->copies; copy++) {
        uint64_t n = fl_disk_size(node, copy_files[copy]);
        if (n > size) size = n;
    }
    uint64_t slots = (size + RECORD_BYTES - 1) / RECORD_BYTES;
    return slots < LOG_SLOTS_MAX ? (uint32_t)slots : LOG_SLOTS_MAX;
}

/* One slot as the copies hold it: the first valid copy, and a bit per
 * copy that is not valid. NULL: no copy is. */
static const uint8_t *slot_pick(uint8_t chunks[][CHUNK_SLOTS * RECORD_BYTES], uint32_t copies,
                                uint32_t i, uint32_t slot, uint32_t *bad) {
    const uint8_t *good = NULL;
    *bad = 0;
    for (uint32_t copy = 0; copy < copies; copy++) {
        const uint8_t *r = chunks[copy] + i * RECORD_BYTES;
        if (!rec_valid(r, slot)) {
            *bad |= 1u << copy;
        } else if (good == NULL) {
            good = r;
        }
    }
    return good;
}

/* Reads the log back into the role's table. Every slot up to the longest
 * file is read: a slot no copy holds is skipped, not taken for the end, so
 * two faults on one record lose that record and not every record after it
 * (the end is the last valid slot; what lies beyond was never valid, see
 * below). False when a chunk stayed unreadable: the caller tries again
 * later, from scratch.
 *
 * Why skipping is safe: every record is a whole state (a saga's snapshot, a
 * step's entry), so a later record never needs an earlier one; and no
 * record beyond the end can turn valid later (recovery truncates there, and
 * if a crash loses the truncate, what reappears is what was invalid before). */
static bool log_recover(fl_node *node, struct saga_server *s) {
    uint8_t chunks[COPIES_MAX][CHUNK_SLOTS * RECORD_BYTES];
    uint32_t extent = log_extent(node, s), end = 0, repaired = 0;
    uint32_t holes = 0, holes_pending = 0; /* slots no copy holds, inside the log / since */
    for (uint32_t first = 0; first < extent; first += CHUNK_SLOTS) {
        for (uint32_t copy = 0; copy < s->copies; copy++) {
            if (chunk_read(node, s, copy, first, chunks[copy]) == FL_OK) continue;
            fl_annotate(node, "recovery: log slot %u unreadable, trying again later", first);
            return false;
        }
        for (uint32_t i = 0; i < CHUNK_SLOTS && first + i < extent; i++) {
            uint32_t slot = first + i, bad = 0;
            const uint8_t *good = slot_pick(chunks, s->copies, i, slot, &bad);
            if (good == NULL) {
                holes_pending++;
                continue;
            }
            holes += holes_pending; /* a record follows them: they are inside the log */
            holes_pending = 0;
            end = slot + 1;
            for (uint32_t copy = 0; copy < s->copies; copy++) {
                if ((bad & (1u << copy)) == 0) continue;
                /* A copy lost, misdirected or rotted: rewrite it from a good one. */
                int st = fl_disk_write(node, copy_files[copy], (uint64_t)slot * RECORD_BYTES, good,
                                       RECORD_BYTES);
                fl_sometimes(node, st == FL_OK, "saga.recovery_repaired_a_copy");
                repaired += st == FL_OK;
            }
            struct rec r = rec_decode(good);
            if (s->role == ROLE_ORCHESTRATOR) {
                orchestrator_apply(s, &r);
            } else {
                service_apply(s, &r);
            }
        }
    }
    uint64_t size = (uint64_t)end * RECORD_BYTES;
    uint32_t truncated = 0, cut = 0; /* copies set to the log's length; of them, shortened */
    for (uint32_t copy = 0; copy < s->copies; copy++) {
        uint64_t before = fl_disk_size(node, copy_files[copy]);
        if (before == size) continue;
        cut += before > size;
        fl_disk_truncate(node, copy_files[copy], size);
        truncated++;
    }
    fl_sometimes(node, cut > 0, "saga.recovery_cut_a_tail");
    fl_sometimes(node, holes > 0, "saga.recovery_skipped_a_lost_record");
    if (repaired > 0 || truncated > 0) fl_disk_sync(node, 0);
    s->next_slot = end;
    fl_annotate(node, "recovered %u log slots, %u copies repaired, %u records lost on every copy",
                end, repaired, holes);
    return true;
}

/* --- orchestrator ------------------------------------------------------------------ */

static void open_add(fl_node *node, struct saga_server *s, uint64_t id) {
    fl_always(node, s->open_count < OPEN_MAX, "saga.open_list_room");
    if (s->open_count >= OPEN_MAX) return;
    s->open_ids[s->open_count++] = (uint16_t)id;
    s->sagas[id].open = true;
}

static void open_remove(struct saga_server *s, uint64_t id) {
    for (uint32_t i = 0; i < s->open_count; i++) {
        if (s->open_ids[i] != id) continue;
        s->open_ids[i] = s->open_ids[--s->open_count];
        s->sagas[id].open = false;
        return;
    }
}

static void orchestrator_apply(struct saga_server *s, const struct rec *r) {
    struct osaga *g = &s->sagas[r->saga];
    g->phase = r->state;
    g->step = r->step;
    memcpy(g->outcome, r->outcome, STEPS);
    g->client = r->client;
    g->seq = r->seq;
    g->amount = r->amount;
}

static void send_to_service(fl_node *node, const struct saga_server *s, uint64_t id,
                            enum msg_type type) {
    const struct osaga *g = &s->sagas[id];
    struct msg m = {.type = (uint8_t)type, .saga = id, .step = g->step, .amount = g->amount,
                    .client = g->client, .seq = g->seq, .attempt = g->attempts};
    uint8_t bytes[MSG_BYTES];
    msg_encode(bytes, &m);
    fl_send(node, step_node[g->step], bytes, MSG_BYTES);
}

static void reply_client(fl_node *node, struct fl_request request, enum msg_type type,
                         uint64_t id, const struct osaga *g) {
    struct msg m = {.type = (uint8_t)type, .saga = id};
    if (g != NULL) {
        m.client = g->client;
        m.seq = g->seq;
        m.amount = g->amount;
        m.phase = g->phase;
        memcpy(m.outcome, g->outcome, STEPS);
    }
    uint8_t bytes[MSG_BYTES];
    msg_encode(bytes, &m);
    fl_reply(node, request, bytes, MSG_BYTES);
}

/* The snapshot is durable: answer the BOOK, send the step or its undo, or
 * close the saga. */
static void orchestrator_act(fl_node *node, struct saga_server *s, uint64_t id) {
    struct osaga *g = &s->sagas[id];
    fl_always(node, g->open && !g->acted && g->mark <= s->durable, "saga.act_only_when_durable");
    bool in_progress = g->phase == PH_RUNNING || g->phase == PH_COMPENSATING;
    fl_always(node, !in_progress || g->step < STEPS, "saga.step_in_range");
    g->acted = true;
    if (g->accepted_wanted) {
        reply_client(node, g->book, MSG_ACCEPTED, id, g);
        g->accepted_wanted = false;
    }
    if (g->phase == PH_RUNNING) {
        g->attempts = 1;
        send_to_service(node, s, id, MSG_DO);
        g->timer = fl_timer_set(node, s->step_timeout_ns, id << 4 | TAG_SAGA);
    } else if (g->phase == PH_COMPENSATING) {
        static const char *const undo[STEPS] = {"refunding the payment", "cancelling the flight",
                                                "cancelling the hotel"};
        fl_annotate(node, "saga %llu (c%u): %s", (unsigned long long)id, g->client + 1,
                    undo[g->step]);
        g->attempts = 1;
        g->retry_ns = s->step_timeout_ns;
        send_to_service(node, s, id, MSG_UNDO);
        g->timer = fl_timer_set(node, g->retry_ns, id << 4 | TAG_SAGA);
    } else {
        fl_always(node, g->phase == PH_COMMITTED || g->phase == PH_COMPENSATED,
                  "saga.act_phase_known");
        open_remove(s, id);
        s->sagas_ended++;
        fl_annotate(node, "saga %llu (c%u): ended %s", (unsigned long long)id, g->client + 1,
                    phase_name[g->phase]);
    }
}

/* Writes the saga's snapshot; acts once a sync covers it. */
static void orchestrator_persist(fl_node *node, struct saga_server *s, uint64_t id) {
    struct osaga *g = &s->sagas[id];
    struct rec r = {.saga = id, .client = g->client, .seq = g->seq, .amount = g->amount,
                    .state = g->phase, .step = g->step};
    memcpy(r.outcome, g->outcome, STEPS);
    g->acted = false;
    uint64_t mark = 0;
    if (log_append(node, s, &r, &mark) != FL_OK) {
        g->write_failed = true;
        if (!s->write_retry_armed) fl_timer_set(node, RETRY_WRITE_NS, TAG_WRITE_RETRY);
        s->write_retry_armed = true;
        return;
    }
    g->write_failed = false;
    g->mark = mark;
    if (mark <= s->durable) orchestrator_act(node, s, id);
}

/* A sync completed: act on every saga whose snapshot it covers. Downwards,
 * because acting may close a saga, which moves the last entry into its place. */
static void orchestrator_flush(fl_node *node, struct saga_server *s) {
    for (uint32_t i = s->open_count; i-- > 0;) {
        uint64_t id = s->open_ids[i];
        const struct osaga *g = &s->sagas[id];
        if (g->acted || g->write_failed || g->mark > s->durable) continue;
        orchestrator_act(node, s, id);
    }
}

/* The step to undo next, at or below `from`: one that is done or whose
 * outcome is unknown. -1: nothing left. */
static int next_to_compensate(const struct saga_server *s, const struct osaga *g, int from) {
    for (int j = from; j >= 0; j--) {
        if (g->outcome[j] != OUT_DONE && g->outcome[j] != OUT_UNKNOWN) continue;
        if (s->variant == SAGA_MISSING_COMPENSATION && j == STEP_FLIGHT) continue; /* the bug */
        return j;
    }
    return -1;
}

static void compensate_from(fl_node *node, struct saga_server *s, uint64_t id, int from) {
    struct osaga *g = &s->sagas[id];
    int j = next_to_compensate(s, g, from);
    if (j < 0) {
        g->phase = PH_COMPENSATED;
        g->step = STEP_NONE;
    } else {
        g->phase = PH_COMPENSATING;
        g->step = (uint8_t)j;
    }
    orchestrator_persist(node, s, id);
}

static void on_step_answer(fl_node *node, struct saga_server *s, uint64_t id,
                           enum msg_type type) {
    struct osaga *g = &s->sagas[id];
    uint32_t k = g->step;
    fl_timer_cancel(node, g->timer);
    if (type == MSG_DONE) {
        g->outcome[k] = OUT_DONE;
        if (k == STEP_HOTEL) {
            g->phase = PH_COMMITTED;
            g->step = STEP_NONE;
        } else {
            g->step = (uint8_t)(k + 1);
            g->outcome[k + 1] = OUT_PENDING;
        }
        orchestrator_persist(node, s, id);
        return;
    }
    static const char *const refusal[STEPS] = {"card declined", "flight refused",
                                               "hotel refused"};
    g->outcome[k] = OUT_REFUSED;
    fl_annotate(node, "saga %llu (c%u): %s, compensating", (unsigned long long)id,
                g->client + 1, refusal[k]);
    compensate_from(node, s, id, (int)k - 1);
}

static void on_undo_answer(fl_node *node, struct saga_server *s, uint64_t id,
                           enum msg_type type) {
    struct osaga *g = &s->sagas[id];
    uint32_t j = g->step;
    fl_timer_cancel(node, g->timer);
    g->outcome[j] = type == MSG_UNDONE ? OUT_UNDONE : OUT_NOOP;
    compensate_from(node, s, id, (int)j - 1);
}

static void orchestrator_on_message(fl_node *node, struct saga_server *s, fl_node_id from,
                                    const struct msg *m) {
    if (m->saga == 0 || m->saga >= SAGAS_MAX) return;
    struct osaga *g = &s->sagas[m->saga];
    bool current = g->open && g->acted && !g->write_failed && g->step == m->step &&
                   m->step < STEPS && from == step_node[m->step];
    bool answers_do = g->phase == PH_RUNNING && (m->type == MSG_DONE || m->type == MSG_REFUSED);
    bool answers_undo =
        g->phase == PH_COMPENSATING && (m->type == MSG_UNDONE || m->type == MSG_NOOP);
    fl_sometimes(node, !current, "saga.stale_answer");
    if (!current) return; /* a duplicate, or the answer to an attempt already superseded */
    if (answers_do) {
        on_step_answer(node, s, m->saga, (enum msg_type)m->type);
    } else if (answers_undo) {
        on_undo_answer(node, s, m->saga, (enum msg_type)m->type);
    }
}

static void orchestrator_on_saga_timer(fl_node *node, struct saga_server *s, fl_timer_id timer,
                                       uint64_t id) {
    if (id == 0 || id >= SAGAS_MAX) return;
    struct osaga *g = &s->sagas[id];
    if (!g->open || !g->acted || g->timer != timer) return;
    if (g->phase == PH_RUNNING) {
        if (g->attempts < s->step_attempts) {
            g->attempts++;
            fl_sometimes(node, true, "saga.step_retried");
            fl_annotate(node, "saga %llu (c%u): no answer from %s, attempt %u",
                        (unsigned long long)id, g->client + 1, step_name[g->step], g->attempts);
            send_to_service(node, s, id, MSG_DO);
            g->timer = fl_timer_set(node, s->step_timeout_ns, id << 4 | TAG_SAGA);
            return;
        }
        uint32_t k = g->step;
        g->outcome[k] = OUT_UNKNOWN;
        fl_sometimes(node, true, "saga.step_outcome_unknown");
        fl_annotate(node, "saga %llu (c%u): %s timed out %u times, outcome unknown: compensating",
                    (unsigned long long)id, g->client + 1, step_name[k], g->attempts);
        compensate_from(node, s, id, (int)k);
        return;
    }
    fl_always(node, g->phase == PH_COMPENSATING, "saga.timer_phase_known");
    g->attempts++;
    g->retry_ns = g->retry_ns * 2 < s->retry_max_ns ? g->retry_ns * 2 : s->retry_max_ns;
    fl_sometimes(node, true, "saga.compensation_retried");
    fl_annotate(node, "saga %llu (c%u): no answer to the %s compensation, attempt %u",
                (unsigned long long)id, g->client + 1, step_name[g->step], g->attempts);
    send_to_service(node, s, id, MSG_UNDO);
    g->timer = fl_timer_set(node, g->retry_ns, id << 4 | TAG_SAGA);
}

static void orchestrator_retry_writes(fl_node *node, struct saga_server *s) {
    s->write_retry_armed = false;
    for (uint32_t i = s->open_count; i-- > 0;) {
        uint64_t id = s->open_ids[i];
        if (s->sagas[id].write_failed) orchestrator_persist(node, s, id);
    }
}

static void orchestrator_book(fl_node *node, struct saga_server *s, struct fl_request request,
                              const struct msg *m) {
    uint32_t client = request.client - fl_server_count(node);
    uint64_t id = saga_id(s->clients, client, m->seq);
    if (m->client != client || m->seq >= SAGAS_PER_CLIENT_MAX || id >= SAGAS_MAX) return;
    struct osaga *g = &s->sagas[id];
    if (g->phase != PH_NONE) {
        if (g->open && !g->acted) {
            g->book = request; /* answered once its snapshot is durable */
            g->accepted_wanted = true;
        } else {
            reply_client(node, request, MSG_ACCEPTED, id, g);
        }
        return;
    }
    /* Room for every open saga to reach its end, or the new one waits. */
    bool log_room = s->next_slot + (s->open_count + 1) * SNAPSHOTS_PER_SAGA_MAX <= LOG_SLOTS_MAX;
    fl_sometimes(node, !log_room, "saga.log_full");
    if (s->open_count == OPEN_MAX || !log_room) {
        reply_client(node, request, MSG_BUSY, id, NULL);
        return;
    }
    memset(g, 0, sizeof *g);
    g->client = client;
    g->seq = m->seq;
    g->amount = saga_amount(id);
    g->phase = PH_RUNNING;
    g->step = STEP_PAYMENT;
    g->outcome[STEP_PAYMENT] = OUT_PENDING;
    g->book = request;
    g->accepted_wanted = true;
    open_add(node, s, id);
    s->sagas_begun++;
    fl_annotate(node, "saga %llu (c%u): began, key c%u-%u, amount %u", (unsigned long long)id,
                client + 1, client + 1, m->seq, g->amount);
    orchestrator_persist(node, s, id);
}

static void orchestrator_status(fl_node *node, struct saga_server *s, struct fl_request request,
                                const struct msg *m) {
    bool known = m->saga > 0 && m->saga < SAGAS_MAX && s->sagas[m->saga].phase != PH_NONE;
    if (!known) {
        reply_client(node, request, MSG_UNKNOWN, m->saga, NULL);
        return;
    }
    const struct osaga *g = &s->sagas[m->saga];
    /* Only what is durable is told: a phase still waiting for its sync could
     * be lost in a crash, and the saga then end the other way. */
    bool durable = !g->open || g->acted;
    fl_sometimes(node, !durable, "saga.status_waits_for_sync");
    if (durable) reply_client(node, request, MSG_STATE, m->saga, g);
}

/* After recovery: every saga not ended is open again and is acted on at once
 * (what recovery read is durable). */
static void orchestrator_resume(fl_node *node, struct saga_server *s) {
    uint32_t resumed = 0;
    for (uint64_t id = 1; id < SAGAS_MAX; id++) {
        struct osaga *g = &s->sagas[id];
        if (g->phase == PH_NONE) continue;
        s->sagas_begun++;
        if (g->phase == PH_COMMITTED || g->phase == PH_COMPENSATED) {
            s->sagas_ended++;
            continue;
        }
        /* BOOK refuses a saga beyond OPEN_MAX open, so the log never holds more. */
        open_add(node, s, id);
        g->mark = 0;
        resumed++;
    }
    fl_sometimes(node, resumed > 0, "saga.recovered_sagas_in_progress");
    if (resumed > 0) fl_annotate(node, "resuming %u sagas in progress", resumed);
    orchestrator_flush(node, s);
}

/* --- services: flight, hotel, payment ----------------------------------------------- */

static uint32_t role_step(uint32_t role) {
    return role == ROLE_PAYMENT ? STEP_PAYMENT : role == ROLE_FLIGHT ? STEP_FLIGHT : STEP_HOTEL;
}

static void service_apply(struct saga_server *s, const struct rec *r) {
    struct sentry *e = &s->entries[r->saga];
    e->state = r->state;
    e->did = r->did;
    e->reason = r->reason;
    e->amount = r->amount;
    e->undone = r->undone;
    e->refunded = r->refunded;
    e->mark = 0;
}

static void service_answer(fl_node *node, const struct saga_server *s, uint64_t id,
                           enum msg_type asked) {
    const struct sentry *e = &s->entries[id];
    enum msg_type type;
    if (asked == MSG_DO) {
        type = e->state == SV_APPLIED || e->state == SV_UNDONE ? MSG_DONE : MSG_REFUSED;
    } else {
        type = e->state == SV_UNDONE ? MSG_UNDONE : MSG_NOOP;
    }
    struct msg m = {.type = (uint8_t)type, .saga = id, .step = (uint8_t)role_step(s->role),
                    .amount = e->amount};
    uint8_t bytes[MSG_BYTES];
    msg_encode(bytes, &m);
    fl_send(node, ROLE_ORCHESTRATOR, bytes, MSG_BYTES);
}

/* The new entry for a DO of a step never seen: applied or refused, for good. */
static struct sentry service_decide(fl_node *node, const struct saga_server *s,
                                    const struct msg *m) {
    struct sentry e = {.amount = m->amount};
    bool full = s->role != ROLE_PAYMENT && s->in_use >= s->capacity;
    bool refused = fl_random_below(node, 100) < s->refuse_percent;
    fl_sometimes(node, full, "saga.service_full");
    if (full || refused) {
        e.state = SV_REFUSED;
        e.reason = full ? REASON_CAPACITY : REASON_DECLINED;
    } else {
        e.state = SV_APPLIED;
        e.did = 1;
    }
    return e;
}

/* The new entry for an UNDO; false when nothing changes (answered as it is). */
static bool service_undo(const struct saga_server *s, const struct msg *m, struct sentry *e) {
    bool payment = s->role == ROLE_PAYMENT;
    if (e->state == SV_NONE) {
        if (payment && s->variant == SAGA_BLIND_REFUND) {
            /* the bug: refunds what the request names, charged or not */
            e->state = SV_UNDONE;
            e->amount = m->amount;
            e->undone = 1;
            e->refunded = m->amount;
            return true;
        }
        if (!payment && s->variant == SAGA_NO_TOMBSTONE) return false; /* the bug: no record */
        e->state = SV_VOID; /* the tombstone: this step will never be applied */
        return true;
    }
    if (e->state == SV_APPLIED) {
        e->state = SV_UNDONE;
        e->undone++;
        if (payment) e->refunded += e->amount;
        return true;
    }
    if (e->state == SV_UNDONE && payment && s->variant == SAGA_NON_IDEMPOTENT_COMPENSATION) {
        e->undone++; /* the bug: the retried refund is not recognised */
        e->refunded += e->amount;
        return true;
    }
    return false;
}

static const char *sv_words(uint32_t role, const struct sentry *e, char *out, size_t size);

static void service_on_message(fl_node *node, struct saga_server *s, fl_node_id from,
                               const struct msg *m) {
    bool asks = m->type == MSG_DO || m->type == MSG_UNDO;
    if (from != ROLE_ORCHESTRATOR || !asks || m->step != role_step(s->role)) return;
    if (m->saga == 0 || m->saga >= SAGAS_MAX) return;
    struct sentry *e = &s->entries[m->saga];
    struct sentry next = *e;
    bool changed = false;
    fl_sometimes(node, m->type == MSG_UNDO && e->state == SV_NONE, "saga.undo_before_do");
    fl_sometimes(node, m->type == MSG_DO && e->state == SV_VOID, "saga.do_after_its_undo_refused");
    if (m->type == MSG_DO && e->state == SV_NONE) {
        next = service_decide(node, s, m);
        changed = true;
    } else if (m->type == MSG_UNDO) {
        changed = service_undo(s, m, &next);
    }
    fl_sometimes(node, !changed && m->attempt > 1, "saga.retry_answered_from_memory");
    if (!changed && m->type == MSG_UNDO && e->state == SV_NONE) {
        fl_annotate(node, "saga %llu (c%u): undo of a %s step never applied: nothing recorded",
                    (unsigned long long)m->saga, m->client + 1, step_name[m->step]);
    }
    if (changed) {
        struct rec r = {.saga = m->saga, .client = m->client, .seq = m->seq,
                        .amount = next.amount, .undone = next.undone, .refunded = next.refunded,
                        .state = next.state, .step = m->step, .did = next.did,
                        .reason = next.reason};
        uint64_t mark = 0;
        if (log_append(node, s, &r, &mark) != FL_OK) return; /* the orchestrator retries */
        if (s->role != ROLE_PAYMENT) {
            if (e->state != SV_APPLIED && next.state == SV_APPLIED) s->in_use++;
            if (e->state == SV_APPLIED && next.state != SV_APPLIED) s->in_use--;
        }
        if (next.state == SV_APPLIED) s->applied++;
        next.reply_do = e->reply_do;
        next.reply_undo = e->reply_undo;
        next.waiting = e->waiting;
        next.mark = mark;
        *e = next;
        s->changes++;
        s->last_saga = m->saga;
        char words[96];
        fl_annotate(node, "saga %llu (c%u): %s, key %llu/%s", (unsigned long long)m->saga,
                    m->client + 1, sv_words(s->role, e, words, sizeof words),
                    (unsigned long long)m->saga, step_name[m->step]);
    }
    /* Every step id answered is on record (no_tombstone's bug is the exception). */
    fl_always(node, e->state != SV_NONE || s->variant == SAGA_NO_TOMBSTONE,
              "saga.step_id_recorded");
    if (e->mark <= s->durable) {
        service_answer(node, s, m->saga, (enum msg_type)m->type);
        return;
    }
    if (m->type == MSG_DO) e->reply_do = true;
    if (m->type == MSG_UNDO) e->reply_undo = true;
    if (!e->waiting && s->wait_count < WAIT_MAX) {
        e->waiting = true;
        s->wait_ids[s->wait_count++] = (uint16_t)m->saga;
    }
}

/* A sync completed: answer every request whose entry it made durable. */
static void service_flush(fl_node *node, struct saga_server *s) {
    for (uint32_t i = s->wait_count; i-- > 0;) {
        uint64_t id = s->wait_ids[i];
        struct sentry *e = &s->entries[id];
        if (e->mark > s->durable) continue;
        if (e->reply_do) service_answer(node, s, id, MSG_DO);
        if (e->reply_undo) service_answer(node, s, id, MSG_UNDO);
        e->reply_do = e->reply_undo = e->waiting = false;
        s->wait_ids[i] = s->wait_ids[--s->wait_count];
    }
}

static void service_resume(struct saga_server *s) {
    for (uint64_t id = 1; id < SAGAS_MAX; id++) {
        if (s->entries[id].state == SV_APPLIED) s->in_use++;
    }
}

/* --- server: boot, dispatch --------------------------------------------------------- */

static void server_recover(fl_node *node, struct saga_server *s) {
    memset(s->sagas, 0, sizeof s->sagas);
    memset(s->entries, 0, sizeof s->entries);
    s->open_count = s->wait_count = 0;
    s->sagas_begun = s->sagas_ended = 0;
    s->in_use = 0;
    bool volatile_log = s->role == ROLE_ORCHESTRATOR && s->variant == SAGA_VOLATILE_ORCHESTRATOR;
    if (!volatile_log && !log_recover(node, s)) {
        fl_timer_set(node, RECOVERY_RETRY_NS, TAG_RECOVER);
        return;
    }
    s->recovered = true;
    if (s->role == ROLE_ORCHESTRATOR) {
        orchestrator_resume(node, s);
    } else {
        service_resume(s);
    }
}

static void server_start(fl_node *node, void *state) {
    struct saga_server *s = state;
    fl_node_id self = fl_self(node);
    s->role = self <= ROLE_PAYMENT ? self : ROLE_SPARE;
    s->variant = fl_variant(node);
    s->clients = fl_client_count(node);
    s->step_timeout_ns = (uint64_t)fl_param(node, "step_timeout");
    s->step_attempts = (uint32_t)fl_param(node, "step_attempts");
    s->retry_max_ns = (uint64_t)fl_param(node, "compensation_retry_max");
    s->refuse_percent = (uint32_t)fl_param(node, "refuse_percent");
    s->read_attempts = (uint32_t)fl_param(node, "read_attempts");
    s->copies = (uint32_t)fl_param(node, "copies");
    s->capacity = (uint32_t)(s->role == ROLE_FLIGHT  ? fl_param(node, "flight_seats")
                             : s->role == ROLE_HOTEL ? fl_param(node, "hotel_rooms")
                                                     : 0);
    fl_always(node, fl_server_count(node) >= 4, "saga.four_servers");
    if (s->role == ROLE_SPARE) return; /* a server beyond n4 has no part */
    server_recover(node, s);
}

static void server_on_message(fl_node *node, void *state, fl_node_id from, const uint8_t *data,
                              size_t size_bytes) {
    struct saga_server *s = state;
    struct msg m;
    bool intact = msg_decode(data, size_bytes, &m);
    fl_sometimes(node, !intact, "saga.dropped_corrupt");
    if (!intact || !s->recovered || s->role == ROLE_SPARE) return;
    if (s->role == ROLE_ORCHESTRATOR) {
        orchestrator_on_message(node, s, from, &m);
    } else {
        service_on_message(node, s, from, &m);
    }
}

static void server_on_request(fl_node *node, void *state, struct fl_request request,
                              const uint8_t *data, size_t size_bytes) {
    struct saga_server *s = state;
    struct msg m;
    bool intact = msg_decode(data, size_bytes, &m);
    fl_sometimes(node, !intact, "saga.dropped_corrupt_request");
    if (!intact || !s->recovered || s->role != ROLE_ORCHESTRATOR) return;
    if (m.type == MSG_BOOK) {
        orchestrator_book(node, s, request, &m);
    } else if (m.type == MSG_STATUS) {
        orchestrator_status(node, s, request, &m);
    }
}

static void server_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    struct saga_server *s = state;
    uint64_t kind = tag & 15u;
    if (kind == TAG_RECOVER) {
        if (!s->recovered) server_recover(node, s);
    } else if (kind == TAG_WRITE_RETRY) {
        orchestrator_retry_writes(node, s);
    } else {
        fl_always(node, kind == TAG_SAGA, "saga.timer_kind_known");
        orchestrator_on_saga_timer(node, s, timer, tag >> 4);
    }
}

static void server_on_sync(fl_node *node, void *state, uint64_t sync_id, uint64_t tag,
                           int status) {
    (void)sync_id;
    struct saga_server *s = state;
    fl_sometimes(node, status != FL_OK, "saga.sync_failed");
    if (tag == 0) return; /* recovery's repairs: a later append's sync covers them too */
    if (status != FL_OK) {
        fl_disk_sync(node, tag); /* the writes are still pending: try again */
        return;
    }
    if (tag > s->durable) s->durable = tag;
    if (s->role == ROLE_ORCHESTRATOR) {
        orchestrator_flush(node, s);
    } else {
        service_flush(node, s);
    }
}

/* --- words ---------------------------------------------------------------------------- */

/* A service's entry for a saga, in words: "flight booked and cancelled". */
static const char *sv_words(uint32_t role, const struct sentry *e, char *out, size_t size) {
    if (role == ROLE_PAYMENT) {
        switch (e->state) {
        case SV_APPLIED: snprintf(out, size, "payment charged %u", e->amount); break;
        case SV_REFUSED: snprintf(out, size, "card declined"); break;
        case SV_UNDONE:
            if (!e->did) {
                snprintf(out, size, "payment refunded %u but never charged", e->refunded);
            } else if (e->undone > 1) {
                snprintf(out, size, "payment charged %u and refunded %u times", e->amount,
                         e->undone);
            } else {
                snprintf(out, size, "payment charged %u and refunded", e->amount);
            }
            break;
        case SV_VOID: snprintf(out, size, "payment never charged (its refund a no-op)"); break;
        default: snprintf(out, size, "payment never charged"); break;
        }
        return out;
    }
    const char *what = role == ROLE_FLIGHT ? "flight" : "hotel";
    const char *full = role == ROLE_FLIGHT ? "no seats left" : "no rooms left";
    switch (e->state) {
    case SV_APPLIED: snprintf(out, size, "%s booked", what); break;
    case SV_REFUSED:
        snprintf(out, size, "%s refused (%s)", what,
                 e->reason == REASON_CAPACITY ? full : "not available");
        break;
    case SV_UNDONE:
        snprintf(out, size, e->did ? "%s booked and cancelled" : "%s cancelled but never booked",
                 what);
        break;
    case SV_VOID: snprintf(out, size, "%s never booked (its cancel a no-op)", what); break;
    default: snprintf(out, size, "%s never booked", what); break;
    }
    return out;
}

/* --- client --------------------------------------------------------------------------- */

static void client_send(fl_node *node, struct saga_client *c, uint32_t slot) {
    const struct cslot *o = &c->slots[slot];
    uint64_t id = saga_id(c->clients, c->index, o->seq);
    struct msg m = {.type = o->accepted ? MSG_STATUS : MSG_BOOK, .saga = id, .client = c->index,
                    .seq = o->seq, .amount = saga_amount(id)};
    uint8_t bytes[MSG_BYTES];
    msg_encode(bytes, &m);
    fl_request(node, ROLE_ORCHESTRATOR, bytes, MSG_BYTES);
}

static void client_tick(fl_node *node, struct saga_client *c) {
    uint32_t slot = 0;
    while (slot < c->concurrency && c->slots[slot].used) slot++;
    if (slot < c->concurrency && c->started < c->sagas_max) {
        struct cslot *o = &c->slots[slot];
        *o = (struct cslot){.used = true, .seq = c->started++};
        c->outcome[o->seq] = CO_NONE;
        client_send(node, c, slot);
        o->timer = fl_timer_set(node, c->retry_ns, TAG_SLOT + slot);
    }
    fl_timer_set(node, c->interval_ns / 2 + fl_random_below(node, c->interval_ns), TAG_TICK);
}

static void client_start(fl_node *node, void *state) {
    struct saga_client *c = state;
    c->index = fl_self(node) - fl_server_count(node);
    c->clients = fl_client_count(node);
    c->concurrency = (uint32_t)fl_param(node, "concurrency");
    c->sagas_max = (uint32_t)fl_param(node, "sagas_per_client");
    c->interval_ns = (uint64_t)fl_param(node, "interval");
    c->retry_ns = (uint64_t)fl_param(node, "client_retry");
    fl_always(node, c->clients <= CLIENTS_MAX, "saga.clients_max");
    if (c->clients > CLIENTS_MAX) return;
    client_tick(node, c);
}

static void client_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    struct saga_client *c = state;
    if (tag == TAG_TICK) {
        client_tick(node, c);
        return;
    }
    uint64_t slot = tag - TAG_SLOT;
    bool known = slot < CONCURRENCY_MAX && c->slots[slot].used && c->slots[slot].timer == timer;
    if (!known) return;
    client_send(node, c, (uint32_t)slot);
    c->slots[slot].timer = fl_timer_set(node, c->retry_ns, tag);
}

static void client_finish(fl_node *node, struct saga_client *c, uint32_t slot,
                          enum client_outcome outcome) {
    struct cslot *o = &c->slots[slot];
    c->outcome[o->seq] = (uint8_t)outcome;
    c->last_ended_seq = o->seq;
    fl_timer_cancel(node, o->timer);
    o->used = false;
    c->ended++;
}

static void client_on_reply(fl_node *node, void *state, fl_node_id from, uint64_t request_id,
                            const uint8_t *data, size_t size_bytes) {
    (void)from, (void)request_id;
    struct saga_client *c = state;
    struct msg m;
    bool intact = msg_decode(data, size_bytes, &m);
    fl_sometimes(node, !intact, "saga.client_dropped_corrupt");
    if (!intact) return;
    uint32_t slot = 0;
    while (slot < c->concurrency &&
           !(c->slots[slot].used && saga_id(c->clients, c->index, c->slots[slot].seq) == m.saga)) {
        slot++;
    }
    if (slot == c->concurrency) return; /* a late or duplicated answer */
    struct cslot *o = &c->slots[slot];
    if (m.type == MSG_BUSY && !o->accepted) {
        c->outcome[o->seq] = CO_BUSY;
    } else if (m.type == MSG_ACCEPTED && !o->accepted) {
        o->accepted = true;
        c->outcome[o->seq] = CO_ACCEPTED;
    } else if (m.type == MSG_STATE && (m.phase == PH_COMMITTED || m.phase == PH_COMPENSATED)) {
        fl_annotate(node, "saga %llu (c%u): told it ended %s", (unsigned long long)m.saga,
                    c->index + 1, phase_name[m.phase]);
        client_finish(node, c, slot, m.phase == PH_COMMITTED ? CO_COMMITTED : CO_COMPENSATED);
    } else if (m.type == MSG_UNKNOWN && o->accepted) {
        fl_annotate(node, "saga %llu (c%u): the orchestrator no longer knows this saga",
                    (unsigned long long)m.saga, c->index + 1);
        client_finish(node, c, slot, CO_FORGOTTEN);
    }
}

/* --- describe ----------------------------------------------------------------------------- */

static void server_describe_state(const void *state, struct fl_state_view *out) {
    const struct saga_server *s = state;
    static const char *const roles[] = {"orchestrator", "flight", "hotel", "payment", "idle"};
    snprintf(out->role, sizeof out->role, "%s", roles[s->role <= ROLE_SPARE ? s->role : 4]);
    if (!s->recovered && s->role != ROLE_SPARE) {
        snprintf(out->label, sizeof out->label, "recovering");
    } else if (s->role == ROLE_ORCHESTRATOR) {
        snprintf(out->label, sizeof out->label, "%u sagas open, %llu ended", s->open_count,
                 (unsigned long long)s->sagas_ended);
    } else if (s->role == ROLE_PAYMENT) {
        snprintf(out->label, sizeof out->label, "%llu charges", (unsigned long long)s->applied);
    } else if (s->role != ROLE_SPARE) {
        snprintf(out->label, sizeof out->label, "%u of %u %s booked", s->in_use, s->capacity,
                 s->role == ROLE_FLIGHT ? "seats" : "rooms");
    }
}

static void client_describe_state(const void *state, struct fl_state_view *out) {
    const struct saga_client *c = state;
    snprintf(out->role, sizeof out->role, "client");
    snprintf(out->label, sizeof out->label, "%u sagas begun, %llu ended", c->started,
             (unsigned long long)c->ended);
}

static void describe_message(const uint8_t *data, size_t size_bytes, struct fl_message_view *out) {
    struct msg m;
    if (!msg_decode(data, size_bytes, &m)) return;
    static const char *const kinds[] = {
        [MSG_DONE] = "done", [MSG_REFUSED] = "refused", [MSG_UNDONE] = "undone",
        [MSG_NOOP] = "noop", [MSG_BOOK] = "book_trip", [MSG_ACCEPTED] = "accepted",
        [MSG_STATUS] = "status", [MSG_STATE] = "state", [MSG_UNKNOWN] = "unknown_saga",
        [MSG_BUSY] = "busy",
    };
    static const char *const do_kinds[STEPS] = {"charge", "book_flight", "book_hotel"};
    static const char *const undo_kinds[STEPS] = {"refund", "cancel_flight", "cancel_hotel"};
    bool step_known = m.step < STEPS;
    const char *kind = m.type == MSG_DO   ? (step_known ? do_kinds[m.step] : "do")
                       : m.type == MSG_UNDO ? (step_known ? undo_kinds[m.step] : "undo")
                                          : kinds[m.type];
    snprintf(out->kind, sizeof out->kind, "%s", kind);
    if (m.type <= MSG_NOOP && step_known) {
        snprintf(out->text, sizeof out->text, "saga %llu step %s attempt %u",
                 (unsigned long long)m.saga, step_name[m.step], m.attempt);
    } else if (m.type == MSG_STATE) {
        snprintf(out->text, sizeof out->text, "saga %llu %s", (unsigned long long)m.saga,
                 m.phase <= PH_COMPENSATED ? phase_name[m.phase] : "?");
    } else {
        snprintf(out->text, sizeof out->text, "saga %llu (key c%u-%u)",
                 (unsigned long long)m.saga, m.client + 1, m.seq);
    }
    out->trace_id = m.saga;
}

static const struct fl_service saga_server_service = {
    .state_size_bytes = sizeof(struct saga_server),
    .start = server_start,
    .on_message = server_on_message,
    .on_timer = server_on_timer,
    .on_request = server_on_request,
    .on_sync = server_on_sync,
    .describe_state = server_describe_state,
    .describe_message = describe_message,
};

static const struct fl_service saga_client_service = {
    .state_size_bytes = sizeof(struct saga_client),
    .start = client_start,
    .on_timer = client_on_timer,
    .on_reply = client_on_reply,
    .describe_state = client_describe_state,
    .describe_message = describe_message,
};

/* --- checkers ----------------------------------------------------------------------------- */

struct saga_checker {
    uint64_t first_seen_ns[SAGAS_MAX]; /* true time a client began the saga */
    uint32_t started_seen[CLIENTS_MAX];
    uint64_t ended_seen[CLIENTS_MAX];
    uint64_t changes_seen[ROLE_SPARE];
};

/* The three services' entries for a saga, in step order, in words. */
static void saga_words(fl_world *world, uint64_t id, char *out, size_t size) {
    static const uint32_t roles[STEPS] = {ROLE_PAYMENT, ROLE_FLIGHT, ROLE_HOTEL};
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < STEPS && used < size; k++) {
        const struct saga_server *s = fl_world_state(world, roles[k]);
        char words[96];
        if (s == NULL) {
            snprintf(words, sizeof words, "%s unknown (n%u is down)", step_name[k], roles[k] + 1);
        } else {
            sv_words(roles[k], &s->entries[id], words, sizeof words);
        }
        int n = snprintf(out + used, size - used, "%s%s", k > 0 ? ", " : "", words);
        if (n < 0) return;
        used += (size_t)n;
    }
}

/* Phantom compensations and double refunds, as a service's entry changes. */
static bool check_entry(fl_world *world, uint32_t role, uint64_t id) {
    const struct saga_server *s = fl_world_state(world, role);
    if (s == NULL || id == 0 || id >= SAGAS_MAX) return false;
    const struct sentry *e = &s->entries[id];
    uint32_t clients = fl_world_client_count(world);
    uint32_t client = saga_client_of(clients, id) + 1;
    if (e->undone > 0 && !e->did) {
        if (role == ROLE_PAYMENT) {
            fl_world_violation(world, "saga.no_phantom_compensation",
                               "saga %llu (c%u): the payment service refunded %u for a charge it "
                               "never made (the charge never arrived, so the refund should have "
                               "been a recorded no-op)",
                               (unsigned long long)id, client, e->refunded);
        } else {
            fl_world_violation(world, "saga.no_phantom_compensation",
                               "saga %llu (c%u): the %s service cancelled a booking it never made",
                               (unsigned long long)id, client, step_name[role_step(role)]);
        }
        return true;
    }
    if (role == ROLE_PAYMENT && (e->undone > 1 || e->refunded > e->amount)) {
        fl_world_violation(world, "saga.refund_once",
                           "saga %llu (c%u): card charged %u once but refunded %u times (%u in "
                           "all): a retried refund was applied again",
                           (unsigned long long)id, client, e->amount, e->undone, e->refunded);
        return true;
    }
    if (role != ROLE_PAYMENT && e->undone > 1) {
        fl_world_violation(world, "saga.no_phantom_compensation",
                           "saga %llu (c%u): the %s booking was cancelled %u times",
                           (unsigned long long)id, client, step_name[role_step(role)], e->undone);
        return true;
    }
    return false;
}

static bool check_atomic(fl_world *world, const struct saga_client *c, uint32_t seq, uint64_t id);

/* No more seats or rooms booked than there are. */
static bool check_capacity(fl_world *world, uint32_t role, const struct saga_server *s) {
    if (role == ROLE_PAYMENT || s->in_use <= s->capacity) return false;
    fl_world_violation(world, "saga.no_overbooking", "the %s service has %u %s booked of %u",
                       step_name[role_step(role)], s->in_use,
                       role == ROLE_FLIGHT ? "seats" : "rooms", s->capacity);
    return true;
}

static void saga_check_step(fl_world *world) {
    struct saga_checker *k = fl_world_checker_state(world);
    uint32_t servers = fl_world_server_count(world);
    uint32_t clients = fl_world_client_count(world);
    if (clients > CLIENTS_MAX) return;
    for (uint32_t i = 0; i < clients; i++) {
        const struct saga_client *c = fl_world_state(world, servers + i);
        if (c == NULL || c->started == k->started_seen[i]) continue;
        for (uint32_t seq = k->started_seen[i]; seq < c->started; seq++) {
            k->first_seen_ns[saga_id(clients, i, seq)] = fl_world_now_ns(world);
        }
        k->started_seen[i] = c->started;
    }
    for (uint32_t i = 0; i < clients; i++) {
        /* A client was just told how a saga ended: it must be true now. */
        const struct saga_client *c = fl_world_state(world, servers + i);
        if (c == NULL || c->ended == k->ended_seen[i]) continue;
        k->ended_seen[i] = c->ended;
        if (check_atomic(world, c, c->last_ended_seq, saga_id(clients, i, c->last_ended_seq))) {
            return;
        }
    }
    for (uint32_t role = ROLE_FLIGHT; role <= ROLE_PAYMENT; role++) {
        const struct saga_server *s = fl_world_state(world, role);
        if (s == NULL || s->changes == k->changes_seen[role]) continue;
        k->changes_seen[role] = s->changes;
        if (check_entry(world, role, s->last_saga)) return;
        if (check_capacity(world, role, s)) return;
    }
}

/* How a saga ended: what its client was told, else what the orchestrator
 * recorded (the answer may still be on its way). */
static uint8_t saga_end(const struct saga_client *c, const struct saga_server *o, uint32_t seq,
                        uint64_t id) {
    if (c->outcome[seq] == CO_COMMITTED) return PH_COMMITTED;
    if (c->outcome[seq] == CO_COMPENSATED) return PH_COMPENSATED;
    if (o != NULL && (o->sagas[id].phase == PH_COMMITTED || o->sagas[id].phase == PH_COMPENSATED)) {
        return o->sagas[id].phase;
    }
    return PH_NONE;
}

/* All or nothing: every ended saga against what the three services hold. */
static bool check_atomic(fl_world *world, const struct saga_client *c, uint32_t seq, uint64_t id) {
    static const uint32_t roles[STEPS] = {ROLE_PAYMENT, ROLE_FLIGHT, ROLE_HOTEL};
    static const char *const never[STEPS] = {"the payment was never refunded",
                                             "the flight was never cancelled",
                                             "the hotel was never cancelled"};
    static const char *const after_undo[STEPS] = {
        "the payment was charged after its refund had been answered 'nothing to refund'",
        "the flight was booked after its cancel had been answered 'nothing to cancel'",
        "the hotel was booked after its cancel had been answered 'nothing to cancel'"};
    static const char *const missing[STEPS] = {"the payment is not charged",
                                               "the flight is not booked",
                                               "the hotel is not booked"};
    const struct saga_server *o = fl_world_state(world, ROLE_ORCHESTRATOR);
    uint8_t end = saga_end(c, o, seq, id);
    if (end == PH_NONE) return false;
    char wrong[160] = "";
    size_t used = 0;
    for (int k = 0; k < STEPS; k++) {
        const struct saga_server *s = fl_world_state(world, roles[k]);
        if (s == NULL) return false; /* cannot tell: the service is down */
        bool in_effect = s->entries[id].state == SV_APPLIED;
        bool bad = end == PH_COMMITTED ? !in_effect : in_effect;
        if (!bad || used >= sizeof wrong) continue;
        /* The orchestrator was told there was nothing to undo: the step came
         * after its compensation. */
        bool late = o != NULL && o->sagas[id].outcome[k] == OUT_NOOP;
        const char *what = end == PH_COMMITTED ? missing[k] : late ? after_undo[k] : never[k];
        int n = snprintf(wrong + used, sizeof wrong - used, "%s%s", used > 0 ? " and " : "",
                         what);
        if (n > 0) used += (size_t)n;
    }
    if (used == 0) return false;
    char words[320];
    saga_words(world, id, words, sizeof words);
    fl_world_violation(world, "saga.atomic", "saga %llu (c%u) ended %s: %s, but %s",
                       (unsigned long long)id, c->index + 1, phase_name[end], words, wrong);
    return true;
}

/* Every saga begun long enough ago, after the faults healed, has ended. */
static bool check_ends(fl_world *world, const struct saga_client *c, uint32_t seq, uint64_t id,
                       uint64_t since_ns) {
    uint8_t outcome = c->outcome[seq];
    if (outcome == CO_COMMITTED || outcome == CO_COMPENSATED) return false;
    const struct saga_server *o = fl_world_state(world, ROLE_ORCHESTRATOR);
    char why[160];
    if (outcome == CO_FORGOTTEN) {
        snprintf(why, sizeof why, "the orchestrator answered c%u that it does not know the saga "
                 "(it forgot it)", c->index + 1);
    } else if (outcome == CO_NONE) {
        snprintf(why, sizeof why, "c%u's booking was never accepted", c->index + 1);
    } else if (outcome == CO_BUSY) {
        snprintf(why, sizeof why, "c%u's booking was never accepted: the orchestrator answers "
                 "busy (too many sagas open, or its log is full)", c->index + 1);
    } else if (o == NULL) {
        snprintf(why, sizeof why, "c%u is still waiting, and the orchestrator is down",
                 c->index + 1);
    } else if (o->sagas[id].phase == PH_NONE) {
        snprintf(why, sizeof why, "c%u is still waiting, but the orchestrator has no record of it",
                 c->index + 1);
    } else {
        const struct osaga *g = &o->sagas[id];
        snprintf(why, sizeof why, "c%u is still waiting; the orchestrator has it %s at the %s",
                 c->index + 1, phase_name[g->phase <= PH_COMPENSATED ? g->phase : 0],
                 g->step < STEPS ? step_name[g->step] : "end");
    }
    char words[320];
    saga_words(world, id, words, sizeof words);
    uint64_t waited_ms = (fl_world_now_ns(world) - since_ns) / 1000000u;
    fl_world_violation(world, "saga.ends",
                       "saga %llu (c%u) never ended, %llu.%03llu s after the faults healed: %s; %s",
                       (unsigned long long)id, c->index + 1,
                       (unsigned long long)(waited_ms / 1000),
                       (unsigned long long)(waited_ms % 1000),
                       words, why);
    return true;
}

/* Some step is in effect at its service, and not all three are. */
static bool half_done(fl_world *world, uint64_t id) {
    uint32_t applied = 0;
    for (uint32_t role = ROLE_FLIGHT; role <= ROLE_PAYMENT; role++) {
        const struct saga_server *s = fl_world_state(world, role);
        applied += s != NULL && s->entries[id].state == SV_APPLIED;
    }
    return applied > 0 && applied < STEPS;
}

static void saga_check_end(fl_world *world) {
    struct saga_checker *k = fl_world_checker_state(world);
    uint32_t servers = fl_world_server_count(world);
    uint32_t clients = fl_world_client_count(world);
    if (clients > CLIENTS_MAX) return;
    for (uint32_t role = ROLE_FLIGHT; role <= ROLE_PAYMENT; role++) {
        const struct saga_server *s = fl_world_state(world, role);
        if (s == NULL || !s->recovered) continue;
        uint32_t booked = 0;
        for (uint64_t id = 1; id < SAGAS_MAX; id++) {
            if (check_entry(world, role, id)) return;
            booked += s->entries[id].state == SV_APPLIED;
        }
        if (role != ROLE_PAYMENT && booked != s->in_use) {
            fl_world_violation(world, "saga.no_overbooking",
                               "the %s service counts %u booked but holds %u bookings",
                               step_name[role_step(role)], s->in_use, booked);
            return;
        }
        if (check_capacity(world, role, s)) return;
    }
    for (uint32_t i = 0; i < clients; i++) {
        const struct saga_client *c = fl_world_state(world, servers + i);
        if (c == NULL) continue;
        for (uint32_t seq = 0; seq < c->started; seq++) {
            if (check_atomic(world, c, seq, saga_id(clients, i, seq))) return;
        }
    }
    uint64_t bound = (uint64_t)fl_world_param(world, "liveness");
    uint64_t now = fl_world_now_ns(world), quiet = fl_world_quiet_since_ns(world);
    if (bound == 0 || now < quiet + bound) return; /* too soon after the faults to tell */
    /* Two passes: a saga left half done (a step still in effect) is the one
     * to show first; then any saga that never ended. */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < clients; i++) {
            const struct saga_client *c = fl_world_state(world, servers + i);
            if (c == NULL) continue;
            for (uint32_t seq = 0; seq < c->started; seq++) {
                uint64_t id = saga_id(clients, i, seq);
                uint64_t since = k->first_seen_ns[id] > quiet ? k->first_seen_ns[id] : quiet;
                if (now < since + bound) continue;
                if (pass == 0 && !half_done(world, id)) continue;
                if (check_ends(world, c, seq, id, quiet)) return;
            }
        }
    }
}

/* --- the model ---------------------------------------------------------------------------- */

static const char *const saga_variants[] = {
    "correct", "missing_compensation", "non_idempotent_compensation", "volatile_orchestrator",
    "blind_refund", "no_tombstone", NULL,
};
static const char *const saga_variant_help[] = {
    "persisted sagas, idempotent steps and compensations, tombstones for undone unknowns",
    "the orchestrator never cancels the flight: compensated sagas keep their seat",
    "the payment service does not remember refunds: a retried refund refunds again",
    "the orchestrator keeps sagas in memory only: a crash leaves them half done",
    "the payment service refunds a charge it never made when a timed-out charge is undone",
    "flight and hotel record nothing for an undo that came first: the late booking sticks",
    NULL,
};

static const struct fl_param saga_params[] = {
    {"interval", FL_PARAM_DURATION, 1000, 3600000000000, 100000000,
     "mean time between a client's attempts to begin a saga (uniform in [interval/2, "
     "3*interval/2))"},
    {"concurrency", FL_PARAM_INT, 1, CONCURRENCY_MAX, 2, "sagas a client runs at once"},
    {"sagas_per_client", FL_PARAM_INT, 1, SAGAS_PER_CLIENT_MAX, SAGAS_PER_CLIENT_MAX,
     "sagas a client begins in a run, at most"},
    {"client_retry", FL_PARAM_DURATION, 1000, 3600000000000, 50000000,
     "a client repeats BOOK (until accepted) and polls STATUS (until ended) this often"},
    {"step_timeout", FL_PARAM_DURATION, 1000, 3600000000000, 50000000,
     "the orchestrator waits this long for a step's answer before retrying it"},
    {"step_attempts", FL_PARAM_INT, 1, 16, 3,
     "attempts of a step before its outcome counts as unknown and the saga is compensated"},
    {"compensation_retry_max", FL_PARAM_DURATION, 1000, 3600000000000, 1000000000,
     "a compensation is retried forever, its interval doubling up to this"},
    {"flight_seats", FL_PARAM_INT, 0, 100000, 200, "seats the flight service can book"},
    {"hotel_rooms", FL_PARAM_INT, 0, 100000, 200, "rooms the hotel service can book"},
    {"refuse_percent", FL_PARAM_INT, 0, 100, 10,
     "percent of steps a service refuses outright (card declined, fare or room gone)"},
    {"read_attempts", FL_PARAM_INT, 1, READ_ATTEMPTS_MAX, 8,
     "times a node retries a log read that fails with EIO before postponing recovery"},
    {"copies", FL_PARAM_INT, 2, COPIES_MAX, 2,
     "files each node keeps its log in (log.a, log.b, log.c)"},
    {"liveness", FL_PARAM_DURATION, 0, 3600000000000, 0,
     "if > 0: every saga begun must have ended this long after the faults healed (saga.ends)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model fl_model_saga = {
    .name = "saga",
    .summary = "a trip booked across flight, hotel and payment by a persistent orchestrator "
               "with compensation",
    .server = &saga_server_service,
    .client = &saga_client_service,
    .variants = saga_variants,
    .variant_help = saga_variant_help,
    .params = saga_params,
    .server_count_min = 4,
    .checker_state_bytes = sizeof(struct saga_checker),
    .check_step = saga_check_step,
    .check_end = saga_check_end,
};
