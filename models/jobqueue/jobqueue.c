/*
 * jobqueue: an at-least-once job queue, the kind teams build on a database
 * table or a message broker every week, and the ways it loses or repeats work.
 *
 * Roles, fixed by node id (a scenario needs at least 4 servers):
 *   n1          the broker: keeps the queue, hands out leases, dead-letters;
 *   n2          the result store: where a job's effect lands, fenced by token;
 *   n3 .. nN    workers: lease a job, run it, write its result, complete it;
 *   c1 .. cM    clients: submit jobs, retrying until the broker accepts them.
 * Workers are server nodes, not clients, so that the swarm's random crashes,
 * pauses and partitions (which pick servers) hit them: a worker that dies or
 * stops mid-job is the failure a job queue exists to survive.
 *
 * Protocol, for one job:
 *   1. A client sends SUBMIT(job, priority, work, poison) to the broker and
 *      retries with the same job id until ACCEPTED; the broker appends the job
 *      to its journal and replies only after the sync (a duplicate submit is
 *      answered, not stored twice).
 *   2. An idle worker polls the broker. The broker picks the visible job with
 *      the highest priority (the oldest among equals), increments its fencing
 *      token, journals the lease, and after the sync sends LEASE(job, token).
 *      The lease lasts params.lease from the grant; HEARTBEAT(job, token)
 *      every params.heartbeat renews it; an expired lease makes the job
 *      visible again (a lease that expires is not a failure of the job).
 *   3. The worker first CLAIMs the job at the store with its token. The store
 *      journals the token as the job's fence (the newest token it has seen)
 *      and answers CLAIM_OK, or CLAIM_DONE if the job's effect is already
 *      applied (an earlier holder finished but never told the broker), or
 *      CLAIM_STALE if a newer token was seen.
 *   4. The worker runs the job (a timer of the job's work time). A job may
 *      fail: a poison job always, any other with params.fail_percent. A
 *      failure is reported with FAIL(job, token); after params.max_failures
 *      failures the broker moves the job to the dead-letter queue, else it is
 *      visible again.
 *   5. On success the worker writes RESULT(job, token, value) to the store.
 *      The store refuses a token older than the job's fence (RESULT_STALE);
 *      otherwise it applies the effect once per job (a repeat of the same
 *      job id + token is a retry, a newer token finds the job done: both get
 *      RESULT_OK without a second effect), journals it and replies after the
 *      sync.
 *   6. The worker sends COMPLETE(job, token) to the broker until COMPLETE_OK;
 *      the broker journals it, and the job is done.
 * A worker whose heartbeat is refused (HB_LOST: the lease expired and was
 * given to someone else) abandons the job, unless it is completing (its
 * effect is in the store, so the completion is true whoever holds the lease).
 * A worker never trusts its own idea of the lease to decide whether it may
 * write: a process pause can come between any check and the write, so the
 * store's fence is the only thing that makes a late write harmless
 * (Kleppmann, "How to do distributed locking", 2016).
 *
 * Why the claim: without it a worker that applied the effect and then died
 * before completing would see its job run again and applied twice (the store
 * cannot tell a second attempt from a late first one by the token alone).
 * The claim tells the next holder the job is done, and raises the fence
 * before the next holder runs, so an older holder's late write is refused.
 * Rejected: the broker fencing the store itself before every re-lease (one
 * more round trip on the broker's hot path, and the broker then depends on
 * the store being up to hand out work).
 *
 * Durability: the broker (broker.a, .b, .c) and the store (store.a, .b, .c)
 * append fixed-size checksummed records to three copies of their journal
 * (models/common/journal.c, shared with payments) and
 * sync; every reply they send waits until every record written before it is
 * durable (group commit). A record names its own slot, so one the device
 * wrote to the wrong place is not taken for the one that belongs there; the
 * checksum catches a torn, lost or rotted one; another copy brings it back
 * (as models/wal does). Why three: one copy can only tell a bad record from
 * a good one (a third of everything.json's seeds then lose a job); with
 * two, both copies of one record hit between two restarts (a lost write on
 * one, bit rot or a second misdirected write on the other) lose it (3 seeds
 * in 12,000 did); with three, none of 12,000. Recovery reads the slots from
 * the start, takes any intact copy and rewrites the others, stops at the
 * first slot where none is intact (a tail never acknowledged) and cuts every
 * file there, syncing before it serves. After a restart the broker gives
 * every lease a fresh params.lease, so a live worker can renew it.
 *
 *   record (32 bytes): [magic u16][type u8][0 u8][slot u32][job u64][a u64][b u32][fnv u32]
 *   message (32 bytes): [type u8][0 u8 x3][job u64][token u32][a u64][b u32][fnv u32]
 * Every message carries its job id (the trace id of the job's whole story).
 *
 * Variants:
 *   correct                as above;
 *   ack_before_processing  a worker completes the job at the broker the moment
 *                          it receives it, before doing it (delete-on-receive):
 *                          a worker that crashes mid-job loses the job;
 *   no_fencing             the store ignores tokens (it dedupes only a repeat
 *                          of the same job id + token): a worker paused past
 *                          its lease wakes up and overwrites the newer result;
 *   short_lease            the broker's lease is 3/4 of the heartbeat interval:
 *                          leases expire while their workers are healthy, so a
 *                          job longer than the lease is taken from worker
 *                          after worker and fenced off each time; it never
 *                          completes;
 *   fifo_only              the broker leases the oldest visible job, whatever
 *                          its priority: an urgent job waits behind a backlog;
 *   dedupe_by_attempt      the store's idempotency key is the job id plus the
 *                          token (the attempt), not the job: a claim never finds
 *                          the job done, and a job run again after its first
 *                          holder applied it and stopped before completing is
 *                          applied a second time.
 *
 * Checks:
 *   jobqueue.no_lost_job   (end, params.liveness > 0) once the faults have
 *                          healed for params.liveness, every job a client had
 *                          accepted is completed (its effect in the store and
 *                          done at the broker) or dead-lettered;
 *   jobqueue.effect_once   (every step) no job's effect is applied twice;
 *   jobqueue.fencing       (every step) the store never applies a write whose
 *                          token is older than the newest it had seen for the
 *                          job: a worker whose lease expired cannot complete;
 *   jobqueue.priority      (every step) when the broker leases a job, no job
 *                          of a higher priority is visible at the broker.
 */
#include "jobqueue.h"

#include <stdio.h>
#include <string.h>

#include "common/journal.h"
#include "faultline/service.h"

enum {
    JQ_CORRECT = 0,
    JQ_ACK_BEFORE_PROCESSING = 1,
    JQ_NO_FENCING = 2,
    JQ_SHORT_LEASE = 3,
    JQ_FIFO_ONLY = 4,
    JQ_DEDUPE_BY_ATTEMPT = 5,
};

enum { ROLE_BROKER = 0, ROLE_STORE = 1, ROLE_WORKER = 2 };
#define BROKER_NODE 0u
#define STORE_NODE 1u
#define SERVERS_MIN 4u

#define JOBS_MAX 1024u           /* job ids are 1 .. JOBS_MAX */
#define JOBS_PER_CLIENT_MAX 256u
#define CLIENTS_MAX 16u
#define PRIORITIES_MAX 8u
#define WAITERS_MAX 256u         /* replies waiting for a sync, per journal */
#define READ_ATTEMPTS 8u
#define RECOVERY_RETRY_NS 10000000u /* 10 ms */
#define BROKER_TICK_NS 5000000u     /* lease expiry scan */
#define RECORD_BYTES 32u
#define RECORD_BODY_BYTES 28u
#define RECORD_MAGIC 0x514au /* "JQ" */
#define COPIES 3u
#define MSG_BYTES 32u
#define MSG_BODY_BYTES 28u

_Static_assert(512 % RECORD_BYTES == 0, "a record never straddles a sector");
_Static_assert(RECORD_BODY_BYTES + 4 == RECORD_BYTES, "the checksum ends the record");
_Static_assert(MSG_BODY_BYTES + 4 == MSG_BYTES, "the checksum ends the message");
_Static_assert(CLIENTS_MAX * JOBS_PER_CLIENT_MAX >= JOBS_MAX, "clients can fill the queue");

enum msg_type {
    MSG_SUBMIT = 1,      /* client -> broker: job, a = work_ns, b = priority | poison << 8 */
    MSG_ACCEPTED = 2,    /* broker -> client */
    MSG_POLL = 3,        /* worker -> broker */
    MSG_LEASE = 4,       /* broker -> worker: job, token, a = work_ns, b = priority | poison << 8 */
    MSG_NOTHING = 5,     /* broker -> worker: no visible job */
    MSG_HEARTBEAT = 6,   /* worker -> broker: job, token */
    MSG_HB_OK = 7,       /* broker -> worker: the lease is renewed */
    MSG_HB_LOST = 8,     /* broker -> worker: the lease is gone */
    MSG_COMPLETE = 9,    /* worker -> broker: job, token */
    MSG_COMPLETE_OK = 10,
    MSG_FAIL = 11,       /* worker -> broker: job, token */
    MSG_FAIL_OK = 12,
    MSG_CLAIM = 13,      /* worker -> store: job, token */
    MSG_CLAIM_OK = 14,
    MSG_CLAIM_DONE = 15, /* store -> worker: b = the token that applied the effect */
    MSG_CLAIM_STALE = 16,/* store -> worker: b = the fence */
    MSG_RESULT = 17,     /* worker -> store: job, token, a = value */
    MSG_RESULT_OK = 18,
    MSG_RESULT_STALE = 19, /* b = the fence */
    MSG_TYPE_MAX = 19,
};

static const char *const msg_names[MSG_TYPE_MAX + 1] = {
    "?",        "submit",    "accepted", "poll",        "lease",    "nothing",     "heartbeat",
    "hb_ok",    "hb_lost",   "complete", "complete_ok", "fail",     "fail_ok",     "claim",
    "claim_ok", "claim_done", "claim_stale", "result",  "result_ok", "result_stale",
};

enum rec_type {
    REC_SUBMIT = 1, /* broker: job, a = work_ns, b = priority | poison << 8 */
    REC_LEASE = 2,  /* broker: job, a = token, b = worker */
    REC_DONE = 3,   /* broker: job, a = token */
    REC_FAILED = 4, /* broker: job, a = token, b = failures so far */
    REC_DEAD = 5,   /* broker: job, a = token, b = failures */
    REC_FENCE = 6,  /* store: job, a = token, b = worker */
    REC_APPLY = 7,  /* store: job, a = value, b = token | worker << 16 */
};

/* Timer tags. Workers add a generation (tag >> 8) so a timer of an abandoned
 * job is recognised and ignored. */
enum { TAG_RECOVER = 1, TAG_TICK = 2, TAG_POLL = 3, TAG_RETRY = 4, TAG_HEARTBEAT = 5,
       TAG_WORK = 6, TAG_SUBMIT = 7, TAG_SUBMIT_TIMEOUT = 8 };
/* Sync tags. */
enum { SYNC_APPEND = 1, SYNC_RECOVERY = 2 };

/* --- encoding ------------------------------------------------------------------ */

struct msg {
    uint8_t type;
    uint64_t job;
    uint32_t token;
    uint64_t a;
    uint32_t b;
};

static void msg_encode(uint8_t out[MSG_BYTES], const struct msg *m) {
    memset(out, 0, MSG_BYTES);
    out[0] = m->type;
    fl_put_u64(out + 4, m->job);
    fl_put_u32(out + 12, m->token);
    fl_put_u64(out + 16, m->a);
    fl_put_u32(out + 24, m->b);
    fl_put_u32(out + MSG_BODY_BYTES, fl_fnv1a32(out, MSG_BODY_BYTES));
}

/* False for a message the network corrupted or one of the wrong shape. */
static bool msg_decode(const uint8_t *data, size_t size, struct msg *out) {
    if (size != MSG_BYTES) return false;
    if (fl_get_u32(data + MSG_BODY_BYTES) != fl_fnv1a32(data, MSG_BODY_BYTES)) return false;
    if (data[0] < MSG_SUBMIT || data[0] > MSG_TYPE_MAX) return false;
    *out = (struct msg){.type = data[0], .job = fl_get_u64(data + 4),
                        .token = fl_get_u32(data + 12), .a = fl_get_u64(data + 16),
                        .b = fl_get_u32(data + 24)};
    return out->job <= JOBS_MAX;
}

struct record {
    uint8_t type;
    uint64_t job;
    uint64_t a;
    uint32_t b;
};

/* index: the record's slot in the journal, so a record the device wrote to
 * the wrong place is not taken for the one that belongs there. */
static void record_encode(uint8_t out[RECORD_BYTES], const struct record *r, uint64_t index) {
    memset(out, 0, RECORD_BYTES);
    out[0] = (uint8_t)(RECORD_MAGIC & 0xffu);
    out[1] = (uint8_t)(RECORD_MAGIC >> 8);
    out[2] = r->type;
    fl_put_u32(out + 4, (uint32_t)index);
    fl_put_u64(out + 8, r->job);
    fl_put_u64(out + 16, r->a);
    fl_put_u32(out + 24, r->b);
    fl_put_u32(out + RECORD_BODY_BYTES, fl_fnv1a32(out, RECORD_BODY_BYTES));
}

/* Intact, in its place, and of a known type. */
static bool record_decode(const uint8_t in[RECORD_BYTES], uint64_t index, struct record *out) {
    if ((in[0] | (uint32_t)in[1] << 8) != RECORD_MAGIC || in[3] != 0) return false;
    if (fl_get_u32(in + 4) != (uint32_t)index) return false;
    if (fl_get_u32(in + RECORD_BODY_BYTES) != fl_fnv1a32(in, RECORD_BODY_BYTES)) return false;
    *out = (struct record){.type = in[2], .job = fl_get_u64(in + 8), .a = fl_get_u64(in + 16),
                           .b = fl_get_u32(in + 24)};
    return out->type >= REC_SUBMIT && out->type <= REC_APPLY && out->job >= 1 &&
           out->job <= JOBS_MAX;
}

/* Whole milliseconds, and seconds to the millisecond, in integers: the text
 * goes into the trace and the fingerprint, and integer formatting rounds the
 * same way in every C library. */
static unsigned long long ms_of(uint64_t ns) { return (unsigned long long)(ns / 1000000u); }

/* --- the journal: the broker's and the store's durable log ------------------------ */

/* A message that may leave only once every record written before it is
 * durable: to a node (fl_send) or as the reply to a client's request. */
struct waiter {
    bool used;
    bool is_reply;
    fl_node_id dst;
    struct fl_request request;
    uint64_t need; /* records that must be durable first */
    uint8_t bytes[MSG_BYTES];
};

/* A journal (models/common/journal.h) and the messages that wait for it. */
struct server_log {
    bool recovered;       /* false until recovery finished: messages are ignored */
    struct journal log;   /* next: records written as this node sees it; durable: of those */
    uint64_t waiting;     /* waiters in use */
    struct waiter waiters[WAITERS_MAX];
};

/* A record the journal may hand back: intact, in its place, of a known type. */
static bool record_valid(const uint8_t *in, uint32_t slot) {
    struct record r;
    return record_decode(in, slot, &r);
}

#define JQ_JOURNAL_NAMES                                                                         \
    {.read_attempts = "jobqueue.journal_read_attempts",                                          \
     .read_error_retried = "jobqueue.read_error_retried",                                        \
     .write_refused = "jobqueue.journal_write_refused",                                          \
     .repaired_a_copy = "jobqueue.recovery_repaired_a_copy",                                     \
     .cut_a_tail = "jobqueue.recovery_cut_tail",                                                 \
     .sync_failed = "jobqueue.sync_failed",                                                      \
     .sync_known = "jobqueue.journal_sync_known",                                                \
     .durable_le_next = "jobqueue.durable_within_written"}

/* The broker's and the store's journals: three copies each (the design
 * comment says why), bounded by the disk's capacity rather than a count, and
 * a copy whose reads kept failing is rewritten from a good one. */
static const struct journal_layout layouts[2] = {
    {.files = {"broker.a", "broker.b", "broker.c"}, .copies = COPIES,
     .record_bytes = RECORD_BYTES, .records_max = UINT32_MAX, .sync_tag = SYNC_APPEND,
     .rewrite_unreadable = true, .valid = record_valid, .names = JQ_JOURNAL_NAMES},
    {.files = {"store.a", "store.b", "store.c"}, .copies = COPIES,
     .record_bytes = RECORD_BYTES, .records_max = UINT32_MAX, .sync_tag = SYNC_APPEND,
     .rewrite_unreadable = true, .valid = record_valid, .names = JQ_JOURNAL_NAMES},
};

_Static_assert(COPIES <= JOURNAL_COPIES_MAX && RECORD_BYTES <= JOURNAL_RECORD_BYTES_MAX,
               "the shared journal holds the records");

static const struct journal_layout *layout_of(uint32_t role) {
    return &layouts[role == ROLE_BROKER ? 0 : 1];
}

/* Appends a record; FL_OK or FL_ENOSPC (nothing written: the caller changes
 * no state, and the request that asked for it is retried by its sender). */
static int log_append(fl_node *node, struct server_log *l, const struct record *r) {
    uint8_t bytes[RECORD_BYTES];
    record_encode(bytes, r, l->log.next);
    uint32_t slot = 0;
    return journal_append(node, &l->log, bytes, &slot);
}

static void waiter_send(fl_node *node, const struct waiter *w) {
    if (w->is_reply) {
        fl_reply(node, w->request, w->bytes, MSG_BYTES);
    } else {
        fl_send(node, w->dst, w->bytes, MSG_BYTES);
    }
}

/* Sends m now if nothing written is still volatile, else after the sync
 * that makes it durable. A full table drops it: the sender retries. */
static void log_send(fl_node *node, struct server_log *l, bool is_reply, fl_node_id dst,
                     struct fl_request request, const struct msg *m) {
    struct waiter w = {.used = true, .is_reply = is_reply, .dst = dst, .request = request,
                       .need = l->log.next};
    msg_encode(w.bytes, m);
    if (l->log.durable >= w.need) {
        waiter_send(node, &w);
        return;
    }
    uint32_t slot = 0;
    while (slot < WAITERS_MAX && l->waiters[slot].used) slot++;
    fl_sometimes(node, slot == WAITERS_MAX, "jobqueue.waiters_full");
    if (slot == WAITERS_MAX) return;
    l->waiters[slot] = w;
    l->waiting++;
    journal_sync_start(node, &l->log);
}

/* A journal sync completed: send what it made durable, then sync what was
 * written meanwhile (or what a failed sync left). */
static void log_on_sync(fl_node *node, struct server_log *l, uint64_t sync_id, uint64_t tag,
                        int status) {
    if (!journal_sync_done(node, &l->log, sync_id, tag, status)) return;
    for (uint32_t slot = 0; slot < WAITERS_MAX && l->waiting > 0; slot++) {
        struct waiter *w = &l->waiters[slot];
        if (!w->used || w->need > l->log.durable) continue;
        waiter_send(node, w);
        w->used = false;
        l->waiting--;
    }
    journal_sync_more(node, &l->log);
}

/* --- server state ----------------------------------------------------------------- */

enum job_state { JOB_NONE = 0, JOB_VISIBLE = 1, JOB_LEASED = 2, JOB_DONE = 3, JOB_DEAD = 4 };

struct bjob {
    uint8_t state;           /* enum job_state */
    uint8_t priority;
    bool poison;
    uint32_t token;          /* the newest token issued */
    uint32_t lease_worker;   /* node id of the holder, while leased */
    uint32_t failures;
    uint32_t leases;         /* leases granted this boot and before (from the journal) */
    uint64_t work_ns;
    uint64_t arrival;        /* submission order: the oldest first among equal priorities */
    uint64_t lease_until_ns; /* broker's monotonic clock */
};

struct broker {
    uint64_t lease_ns;
    uint32_t max_failures;
    uint32_t id_max;          /* the highest job id known */
    uint64_t arrival_next;
    uint64_t grants;          /* leases granted this boot: the priority checker watches it */
    uint32_t last_grant_job;
    uint32_t leased_count;
    uint32_t counts[5];       /* jobs per state */
    struct bjob jobs[JOBS_MAX + 1];
};

struct sjob {
    uint32_t fence;        /* the newest token seen (claim or write) */
    uint32_t fence_worker; /* who brought it */
    uint32_t done_token;   /* the token whose write applied the effect; 0: not applied */
    uint32_t done_worker;
    uint32_t applies;      /* effects applied: the checkers want at most 1 */
    uint64_t value;
};

/* The store's newest apply, for the checkers. */
struct apply_event {
    uint32_t job;
    uint32_t token;
    uint32_t worker;
    uint32_t fence;        /* the job's fence when it applied */
    uint32_t fence_worker;
    uint32_t prev_token;   /* the token that had applied it before; 0: none */
    uint32_t prev_worker;
    uint32_t applies;      /* the job's applies, this one included */
};

struct store {
    uint64_t applies_total; /* this boot, recovered ones included */
    uint32_t results;       /* jobs with an effect applied */
    uint64_t stale_refused;
    struct apply_event last;
    struct sjob jobs[JOBS_MAX + 1];
};

enum worker_phase { W_IDLE = 0, W_CLAIMING, W_WORKING, W_WRITING, W_COMPLETING, W_FAILING };
static const char *const phase_names[] = {"idle",    "claiming",   "working",
                                          "writing", "completing", "failing"};

struct worker {
    uint8_t phase; /* enum worker_phase */
    uint32_t gen;  /* bumped on every new job or abandon: older timers are ignored */
    uint32_t job;
    uint32_t token;
    uint64_t work_ns;
    bool poison;
    bool acked_early; /* ack_before_processing: completed at the broker on receipt */
    uint64_t heartbeat_ns, retry_ns, poll_ns;
    uint32_t fail_percent;
    uint64_t completed, abandoned, failed;
};

struct server {
    uint32_t role;
    uint32_t variant;
    uint32_t incarnation;
    struct server_log journal;
    union {
        struct broker broker;
        struct store store;
        struct worker worker;
    } u;
};

static uint32_t role_of(fl_node_id id) {
    return id == BROKER_NODE ? ROLE_BROKER : id == STORE_NODE ? ROLE_STORE : ROLE_WORKER;
}

static void send_msg(fl_node *node, fl_node_id dst, const struct msg *m) {
    uint8_t bytes[MSG_BYTES];
    msg_encode(bytes, m);
    fl_send(node, dst, bytes, MSG_BYTES);
}

/* --- broker ------------------------------------------------------------------------ */

static void bjob_set_state(struct broker *b, struct bjob *j, uint8_t state) {
    b->counts[j->state]--;
    if (j->state == JOB_LEASED) b->leased_count--;
    j->state = state;
    b->counts[state]++;
    if (state == JOB_LEASED) b->leased_count++;
}

/* Applies a journal record to the broker's tables: at recovery and as it runs. */
static void broker_apply(struct broker *b, const struct record *r, uint64_t now_ns) {
    struct bjob *j = &b->jobs[r->job];
    if (r->type == REC_SUBMIT) {
        if (j->state != JOB_NONE) return;
        j->priority = (uint8_t)(r->b & 0xffu);
        j->poison = (r->b >> 8) & 1u;
        j->work_ns = r->a;
        j->arrival = b->arrival_next++;
        bjob_set_state(b, j, JOB_VISIBLE);
        if (r->job > b->id_max) b->id_max = (uint32_t)r->job;
        return;
    }
    if (j->state == JOB_NONE) return; /* cannot happen: a job is submitted first */
    if (r->type == REC_LEASE) {
        j->token = (uint32_t)r->a;
        j->lease_worker = r->b;
        j->leases++;
        j->lease_until_ns = now_ns + b->lease_ns;
        bjob_set_state(b, j, JOB_LEASED);
    } else if (r->type == REC_DONE) {
        bjob_set_state(b, j, JOB_DONE);
    } else if (r->type == REC_FAILED) {
        j->failures = r->b;
        bjob_set_state(b, j, JOB_VISIBLE);
    } else if (r->type == REC_DEAD) {
        j->failures = r->b;
        bjob_set_state(b, j, JOB_DEAD);
    }
}

static void broker_submit(fl_node *node, struct server *s, struct fl_request request,
                          const struct msg *m) {
    struct broker *b = &s->u.broker;
    struct msg reply = {.type = MSG_ACCEPTED, .job = m->job};
    if (m->job == 0) return;
    if (b->jobs[m->job].state != JOB_NONE) {
        fl_sometimes(node, true, "jobqueue.duplicate_submit");
        log_send(node, &s->journal, true, request.client, request, &reply);
        return;
    }
    struct record r = {.type = REC_SUBMIT, .job = m->job, .a = m->a, .b = m->b};
    if (log_append(node, &s->journal, &r) != FL_OK) return;
    broker_apply(b, &r, fl_mono_ns(node));
    fl_annotate(node, "job %llu submitted (priority %u, %llu ms of work%s)",
                (unsigned long long)m->job, m->b & 0xffu, ms_of(m->a),
                (m->b >> 8) & 1u ? ", poison" : "");
    log_send(node, &s->journal, true, request.client, request, &reply);
}

/* The visible job to lease next: the highest priority, the oldest among
 * equals (fifo_only: the oldest, whatever its priority). */
static uint32_t broker_pick(const struct broker *b, uint32_t variant) {
    uint32_t best = 0;
    for (uint32_t id = 1; id <= b->id_max; id++) {
        const struct bjob *j = &b->jobs[id];
        if (j->state != JOB_VISIBLE) continue;
        if (variant == JQ_FIFO_ONLY) {
            if (best == 0 || j->arrival < b->jobs[best].arrival) best = id;
            continue;
        }
        if (best == 0 || j->priority > b->jobs[best].priority ||
            (j->priority == b->jobs[best].priority && j->arrival < b->jobs[best].arrival)) {
            best = id;
        }
    }
    return best;
}

static struct msg lease_message(uint32_t id, const struct bjob *j) {
    return (struct msg){.type = MSG_LEASE, .job = id, .token = j->token, .a = j->work_ns,
                        .b = (uint32_t)j->priority | (uint32_t)j->poison << 8};
}

/* The job the broker believes `worker` holds, or 0. */
static uint32_t broker_held_by(const struct broker *b, fl_node_id worker) {
    for (uint32_t id = 1; id <= b->id_max && b->leased_count > 0; id++) {
        const struct bjob *j = &b->jobs[id];
        if (j->state == JOB_LEASED && j->lease_worker == worker) return id;
    }
    return 0;
}

/* A poll from a worker that holds a lease gets that lease again: its first
 * answer is still waiting for a sync or was lost, or the worker restarted.
 * A second lease would sit with a worker that ignores it until it expires. */
static void broker_poll(fl_node *node, struct server *s, fl_node_id from) {
    struct broker *b = &s->u.broker;
    uint32_t held = broker_held_by(b, from);
    fl_sometimes(node, held != 0, "jobqueue.poll_got_its_lease_again");
    if (held != 0) {
        struct msg again = lease_message(held, &b->jobs[held]);
        log_send(node, &s->journal, false, from, (struct fl_request){0}, &again);
        return;
    }
    uint32_t id = b->counts[JOB_VISIBLE] > 0 ? broker_pick(b, s->variant) : 0;
    if (id == 0) {
        send_msg(node, from, &(struct msg){.type = MSG_NOTHING});
        return;
    }
    struct bjob *j = &b->jobs[id];
    struct record r = {.type = REC_LEASE, .job = id, .a = j->token + 1u, .b = from};
    if (log_append(node, &s->journal, &r) != FL_OK) {
        send_msg(node, from, &(struct msg){.type = MSG_NOTHING});
        return;
    }
    uint32_t token_before = j->token;
    broker_apply(b, &r, fl_mono_ns(node));
    fl_always(node, j->state == JOB_LEASED && j->token == token_before + 1u,
              "jobqueue.token_increases");
    b->grants++;
    b->last_grant_job = id;
    fl_annotate(node, "job %u leased to n%u with token %u (priority %u)", id, from + 1, j->token,
                j->priority);
    struct msg lease = lease_message(id, j);
    log_send(node, &s->journal, false, from, (struct fl_request){0}, &lease);
}

static void broker_heartbeat(fl_node *node, struct server *s, fl_node_id from,
                             const struct msg *m) {
    struct broker *b = &s->u.broker;
    struct bjob *j = &b->jobs[m->job];
    bool held = j->state == JOB_LEASED && j->token == m->token && j->lease_worker == from;
    fl_sometimes(node, !held, "jobqueue.heartbeat_refused");
    if (held) j->lease_until_ns = fl_mono_ns(node) + b->lease_ns;
    send_msg(node, from, &(struct msg){.type = held ? MSG_HB_OK : MSG_HB_LOST, .job = m->job,
                                       .token = m->token});
}

/* A completion is true whatever the token: a worker completes only once the
 * job's effect is in the store (in the correct variant). */
static void broker_complete(fl_node *node, struct server *s, fl_node_id from,
                            const struct msg *m) {
    struct broker *b = &s->u.broker;
    struct bjob *j = &b->jobs[m->job];
    struct msg reply = {.type = MSG_COMPLETE_OK, .job = m->job, .token = m->token};
    if (j->state == JOB_NONE) return;
    if (j->state == JOB_VISIBLE || j->state == JOB_LEASED) {
        struct record r = {.type = REC_DONE, .job = m->job, .a = m->token};
        if (log_append(node, &s->journal, &r) != FL_OK) return;
        broker_apply(b, &r, fl_mono_ns(node));
        fl_annotate(node, "job %llu completed by n%u (token %u)", (unsigned long long)m->job,
                    from + 1, m->token);
    }
    log_send(node, &s->journal, false, from, (struct fl_request){0}, &reply);
}

static void broker_fail(fl_node *node, struct server *s, fl_node_id from, const struct msg *m) {
    struct broker *b = &s->u.broker;
    struct bjob *j = &b->jobs[m->job];
    struct msg reply = {.type = MSG_FAIL_OK, .job = m->job, .token = m->token};
    bool current = j->state == JOB_LEASED && j->token == m->token;
    if (current) {
        uint32_t failures = j->failures + 1;
        bool dead = failures >= b->max_failures;
        struct record r = {.type = dead ? REC_DEAD : REC_FAILED, .job = m->job, .a = m->token,
                           .b = failures};
        if (log_append(node, &s->journal, &r) != FL_OK) return;
        broker_apply(b, &r, fl_mono_ns(node));
        fl_sometimes(node, dead, "jobqueue.dead_lettered");
        fl_annotate(node, dead ? "job %llu failed %u times: dead-lettered"
                               : "job %llu failed (%u so far): visible again",
                    (unsigned long long)m->job, failures);
    }
    log_send(node, &s->journal, false, from, (struct fl_request){0}, &reply);
}

static void broker_tick(fl_node *node, struct server *s) {
    struct broker *b = &s->u.broker;
    uint64_t now = fl_mono_ns(node);
    for (uint32_t id = 1; id <= b->id_max && b->leased_count > 0; id++) {
        struct bjob *j = &b->jobs[id];
        if (j->state != JOB_LEASED || j->lease_until_ns > now) continue;
        bjob_set_state(b, j, JOB_VISIBLE);
        fl_sometimes(node, true, "jobqueue.lease_expired");
        fl_annotate(node, "job %u: lease of n%u (token %u) expired, visible again", id,
                    j->lease_worker + 1, j->token);
    }
    fl_timer_set(node, BROKER_TICK_NS, TAG_TICK);
}

static void broker_on_message(fl_node *node, struct server *s, fl_node_id from,
                              const struct msg *m) {
    if (from < 2 || from >= fl_server_count(node)) return; /* only workers talk to the broker */
    if (m->type == MSG_POLL) {
        broker_poll(node, s, from);
        return;
    }
    if (m->job == 0) return;
    if (m->type == MSG_HEARTBEAT) broker_heartbeat(node, s, from, m);
    if (m->type == MSG_COMPLETE) broker_complete(node, s, from, m);
    if (m->type == MSG_FAIL) broker_fail(node, s, from, m);
}

/* --- store ------------------------------------------------------------------------- */

static void store_apply(struct store *st, const struct record *r) {
    struct sjob *j = &st->jobs[r->job];
    if (r->type == REC_FENCE) {
        if ((uint32_t)r->a > j->fence) {
            j->fence = (uint32_t)r->a;
            j->fence_worker = r->b;
        }
        return;
    }
    if (r->type != REC_APPLY) return;
    uint32_t token = r->b & 0xffffu, worker = r->b >> 16;
    st->last = (struct apply_event){.job = (uint32_t)r->job, .token = token, .worker = worker,
                                    .fence = j->fence, .fence_worker = j->fence_worker,
                                    .prev_token = j->done_token, .prev_worker = j->done_worker,
                                    .applies = j->applies + 1};
    if (j->done_token == 0) st->results++;
    j->done_token = token;
    j->done_worker = worker;
    j->value = r->a;
    j->applies++;
    st->applies_total++;
    if (token > j->fence) {
        j->fence = token;
        j->fence_worker = worker;
    }
}

static void store_claim(fl_node *node, struct server *s, fl_node_id from, const struct msg *m) {
    struct store *st = &s->u.store;
    struct sjob *j = &st->jobs[m->job];
    struct msg reply = {.job = m->job, .token = m->token};
    bool fenced = s->variant != JQ_NO_FENCING;
    if (j->done_token != 0 && s->variant != JQ_DEDUPE_BY_ATTEMPT) {
        fl_sometimes(node, true, "jobqueue.claim_found_done");
        reply.type = MSG_CLAIM_DONE;
        reply.b = j->done_token;
    } else if (fenced && m->token < j->fence) {
        reply.type = MSG_CLAIM_STALE;
        reply.b = j->fence;
    } else {
        if (m->token > j->fence) {
            struct record r = {.type = REC_FENCE, .job = m->job, .a = m->token, .b = from};
            if (log_append(node, &s->journal, &r) != FL_OK) return;
            store_apply(st, &r);
        }
        reply.type = MSG_CLAIM_OK;
    }
    log_send(node, &s->journal, false, from, (struct fl_request){0}, &reply);
}

/* Whether a write applies the job's effect. The correct store refuses an
 * old token and applies once per job; no_fencing and dedupe_by_attempt
 * dedupe only a repeat of the same job id + token. */
static bool store_write_applies(const struct server *s, const struct sjob *j, uint32_t token) {
    if (s->variant == JQ_NO_FENCING || s->variant == JQ_DEDUPE_BY_ATTEMPT) {
        return j->done_token != token;
    }
    return j->done_token == 0;
}

static void store_result(fl_node *node, struct server *s, fl_node_id from, const struct msg *m) {
    struct store *st = &s->u.store;
    struct sjob *j = &st->jobs[m->job];
    struct msg reply = {.type = MSG_RESULT_OK, .job = m->job, .token = m->token};
    if (s->variant != JQ_NO_FENCING && m->token < j->fence) {
        st->stale_refused++;
        fl_sometimes(node, true, "jobqueue.stale_write_refused");
        fl_annotate(node, "job %llu: refused n%u's write with token %u (fence %u, from n%u)",
                    (unsigned long long)m->job, from + 1, m->token, j->fence,
                    j->fence_worker + 1);
        reply.type = MSG_RESULT_STALE;
        reply.b = j->fence;
    } else if (store_write_applies(s, j, m->token)) {
        struct record r = {.type = REC_APPLY, .job = m->job, .a = m->a,
                           .b = (m->token & 0xffffu) | (uint32_t)from << 16};
        if (log_append(node, &s->journal, &r) != FL_OK) return;
        store_apply(st, &r);
        fl_always(node, s->variant != JQ_CORRECT || j->applies == 1, "jobqueue.store_applies_once");
        fl_annotate(node, "job %llu: applied the result of n%u (token %u)",
                    (unsigned long long)m->job, from + 1, m->token);
    } else {
        fl_sometimes(node, true, "jobqueue.duplicate_result");
    }
    log_send(node, &s->journal, false, from, (struct fl_request){0}, &reply);
}

static void store_on_message(fl_node *node, struct server *s, fl_node_id from,
                             const struct msg *m) {
    if (from < 2 || from >= fl_server_count(node) || m->job == 0) return;
    if (m->token == 0 || m->token > 0xffffu) return; /* tokens fit the record's 16 bits */
    if (m->type == MSG_CLAIM) store_claim(node, s, from, m);
    if (m->type == MSG_RESULT) store_result(node, s, from, m);
}

/* --- recovery (broker and store) ----------------------------------------------------- */

struct replay_ctx {
    fl_node *node;
    struct server *s;
};

static void server_replay(void *ctx, const uint8_t *bytes, uint32_t slot) {
    const struct replay_ctx *c = ctx;
    struct record r = {0};
    bool valid = record_decode(bytes, slot, &r);
    fl_always(c->node, valid, "jobqueue.replayed_record_valid");
    if (!valid) return;
    if (c->s->role == ROLE_BROKER) {
        broker_apply(&c->s->u.broker, &r, fl_mono_ns(c->node));
    } else {
        store_apply(&c->s->u.store, &r);
    }
}

/* Reads the journal back (models/common/journal.c): a slot is good if any
 * copy is intact and in its place (the others are rewritten from it); the
 * first slot where none is ends the journal (the torn or lost tail of
 * writes never acknowledged: an acknowledged record was synced, and so was
 * all before it), and every copy is cut there. A slot that stays unreadable
 * postpones recovery rather than guess; the node serves only once the cut
 * and repairs are durable. */
static void server_recover(fl_node *node, struct server *s) {
    struct journal *j = &s->journal.log;
    struct replay_ctx ctx = {.node = node, .s = s};
    if (journal_recover(node, j, layout_of(s->role), READ_ATTEMPTS, server_replay, &ctx) != FL_OK) {
        fl_annotate(node, "recovery: record %llu unreadable, trying again later",
                    (unsigned long long)j->next);
        fl_timer_set(node, RECOVERY_RETRY_NS, TAG_RECOVER);
        return;
    }
    fl_annotate(node, "recovered %llu records, %u copies repaired, %u copies cut",
                (unsigned long long)j->next, j->repairs, j->cut);
    if (j->cut > 0 || j->repairs > 0) {
        fl_disk_sync(node, SYNC_RECOVERY); /* serve only once the cut and repairs are durable */
        return;
    }
    s->journal.recovered = true;
}

/* --- worker ------------------------------------------------------------------------ */

static uint64_t wtag(const struct worker *w, uint64_t kind) { return kind | (uint64_t)w->gen << 8; }

static void worker_poll(fl_node *node, struct worker *w) {
    send_msg(node, BROKER_NODE, &(struct msg){.type = MSG_POLL});
    fl_timer_set(node, w->poll_ns, wtag(w, TAG_POLL));
}

static void worker_idle(fl_node *node, struct worker *w) {
    w->gen++;
    w->phase = W_IDLE;
    w->job = 0;
    w->token = 0;
    worker_poll(node, w);
}

/* The message of the current phase, sent again by the retry timer. */
static void worker_send_phase(fl_node *node, struct worker *w) {
    struct msg m = {.job = w->job, .token = w->token};
    fl_node_id dst = BROKER_NODE;
    if (w->phase == W_CLAIMING) {
        m.type = MSG_CLAIM;
        dst = STORE_NODE;
    } else if (w->phase == W_WRITING) {
        m.type = MSG_RESULT;
        m.a = (uint64_t)w->job * 1000003u + w->token; /* the job's output, as this attempt made it */
        dst = STORE_NODE;
    } else if (w->phase == W_COMPLETING) {
        m.type = MSG_COMPLETE;
    } else if (w->phase == W_FAILING) {
        m.type = MSG_FAIL;
    } else {
        return;
    }
    send_msg(node, dst, &m);
}

static void worker_enter(fl_node *node, struct worker *w, uint8_t phase) {
    w->phase = phase;
    worker_send_phase(node, w);
    fl_timer_set(node, w->retry_ns, wtag(w, TAG_RETRY));
}

static void worker_abandon(fl_node *node, struct worker *w, const char *why) {
    fl_annotate(node, "job %u (token %u): abandoned while %s: %s", w->job, w->token,
                phase_names[w->phase], why);
    w->abandoned++;
    worker_idle(node, w);
}

static void worker_lease(fl_node *node, struct server *s, const struct msg *m) {
    struct worker *w = &s->u.worker;
    fl_always(node, m->token > 0, "jobqueue.lease_has_a_token");
    if (w->phase != W_IDLE) return; /* a duplicate, or a lease it stopped waiting for: expires */
    w->gen++;
    w->job = (uint32_t)m->job;
    w->token = m->token;
    w->work_ns = m->a;
    w->poison = (m->b >> 8) & 1u;
    w->acked_early = s->variant == JQ_ACK_BEFORE_PROCESSING;
    fl_annotate(node, "job %u: leased with token %u", w->job, w->token);
    if (w->acked_early) {
        /* The bug: the job is gone from the queue before anyone did it. */
        send_msg(node, BROKER_NODE, &(struct msg){.type = MSG_COMPLETE, .job = m->job,
                                                  .token = m->token});
    } else {
        fl_timer_set(node, w->heartbeat_ns, wtag(w, TAG_HEARTBEAT));
    }
    worker_enter(node, w, W_CLAIMING);
}

static void worker_work_done(fl_node *node, struct worker *w) {
    bool fails = w->poison || fl_random_below(node, 100) < w->fail_percent;
    if (fails) {
        w->failed++;
        fl_annotate(node, "job %u (token %u): failed%s", w->job, w->token,
                    w->poison ? " (poison)" : "");
        if (w->acked_early) {
            worker_idle(node, w); /* nobody to tell: the broker thinks it is done */
            return;
        }
        worker_enter(node, w, W_FAILING);
        return;
    }
    worker_enter(node, w, W_WRITING);
}

static void worker_on_message(fl_node *node, struct server *s, fl_node_id from,
                              const struct msg *m) {
    struct worker *w = &s->u.worker;
    if (m->type == MSG_LEASE && from == BROKER_NODE) {
        worker_lease(node, s, m);
        return;
    }
    if (w->phase == W_IDLE || m->job != w->job || m->token != w->token) return;
    switch (m->type) {
    case MSG_CLAIM_OK:
        if (w->phase != W_CLAIMING) return;
        w->phase = W_WORKING;
        w->gen++; /* the claim's retry timer is over; the heartbeat is re-armed below */
        fl_timer_set(node, w->work_ns, wtag(w, TAG_WORK));
        if (!w->acked_early) fl_timer_set(node, w->heartbeat_ns, wtag(w, TAG_HEARTBEAT));
        return;
    case MSG_CLAIM_DONE:
        if (w->phase != W_CLAIMING) return;
        fl_annotate(node, "job %u: already done by token %u, completing", w->job, m->b);
        w->gen++;
        if (!w->acked_early) fl_timer_set(node, w->heartbeat_ns, wtag(w, TAG_HEARTBEAT));
        worker_enter(node, w, W_COMPLETING);
        return;
    case MSG_CLAIM_STALE:
    case MSG_RESULT_STALE:
        if (w->phase != W_CLAIMING && w->phase != W_WRITING) return;
        worker_abandon(node, w, "the store has seen a newer token");
        return;
    case MSG_RESULT_OK:
        if (w->phase != W_WRITING) return;
        w->gen++;
        if (!w->acked_early) fl_timer_set(node, w->heartbeat_ns, wtag(w, TAG_HEARTBEAT));
        worker_enter(node, w, W_COMPLETING);
        return;
    case MSG_COMPLETE_OK:
        if (w->phase != W_COMPLETING) return;
        w->completed++;
        worker_idle(node, w);
        return;
    case MSG_FAIL_OK:
        if (w->phase != W_FAILING) return;
        worker_idle(node, w);
        return;
    case MSG_HB_LOST:
        if (w->acked_early || w->phase == W_COMPLETING) return; /* the effect is in the store */
        worker_abandon(node, w, "the broker says the lease is gone");
        return;
    default:
        return;
    }
}

static void worker_on_timer(fl_node *node, struct server *s, uint64_t tag) {
    struct worker *w = &s->u.worker;
    if ((tag >> 8) != w->gen) return; /* a timer of an earlier job or phase */
    switch (tag & 0xffu) {
    case TAG_POLL:
        if (w->phase == W_IDLE) worker_poll(node, w);
        return;
    case TAG_RETRY:
        if (w->phase == W_IDLE || w->phase == W_WORKING) return;
        worker_send_phase(node, w);
        fl_timer_set(node, w->retry_ns, tag);
        return;
    case TAG_HEARTBEAT:
        if (w->phase == W_IDLE) return;
        send_msg(node, BROKER_NODE, &(struct msg){.type = MSG_HEARTBEAT, .job = w->job,
                                                  .token = w->token});
        fl_timer_set(node, w->heartbeat_ns, tag);
        return;
    case TAG_WORK:
        if (w->phase == W_WORKING) worker_work_done(node, w);
        return;
    default:
        return;
    }
}

/* --- the server service ------------------------------------------------------------- */

/* Empty tables and journal, before a recovery (again, after a read error
 * cut the last one short): recovery rebuilds them from the disk alone. */
static void server_reset_for_recovery(fl_node *node, struct server *s) {
    memset(&s->u, 0, sizeof s->u);
    s->journal = (struct server_log){0};
    if (s->role != ROLE_BROKER) return;
    struct broker *b = &s->u.broker;
    uint64_t heartbeat = (uint64_t)fl_param(node, "heartbeat");
    b->lease_ns = s->variant == JQ_SHORT_LEASE ? heartbeat * 3 / 4
                                               : (uint64_t)fl_param(node, "lease");
    b->max_failures = (uint32_t)fl_param(node, "max_failures");
    b->counts[JOB_NONE] = JOBS_MAX + 1;
}

static void server_start(fl_node *node, void *state) {
    struct server *s = state;
    s->role = role_of(fl_self(node));
    s->variant = fl_variant(node);
    s->incarnation = fl_incarnation(node);
    fl_always(node, fl_server_count(node) >= SERVERS_MIN, "jobqueue.enough_servers");
    if (s->role == ROLE_WORKER) {
        struct worker *w = &s->u.worker;
        w->heartbeat_ns = (uint64_t)fl_param(node, "heartbeat");
        w->retry_ns = (uint64_t)fl_param(node, "retry_interval");
        w->poll_ns = (uint64_t)fl_param(node, "poll_interval");
        w->fail_percent = (uint32_t)fl_param(node, "fail_percent");
        s->journal.recovered = true; /* a worker keeps nothing on disk */
        worker_idle(node, w);
        return;
    }
    if (s->role == ROLE_BROKER) fl_timer_set(node, BROKER_TICK_NS, TAG_TICK);
    server_reset_for_recovery(node, s);
    server_recover(node, s);
}

static void server_on_message(fl_node *node, void *state, fl_node_id from, const uint8_t *data,
                              size_t size_bytes) {
    struct server *s = state;
    struct msg m;
    bool intact = msg_decode(data, size_bytes, &m);
    fl_sometimes(node, !intact, "jobqueue.dropped_corrupt");
    if (!intact || !s->journal.recovered) return;
    if (s->role == ROLE_BROKER) broker_on_message(node, s, from, &m);
    if (s->role == ROLE_STORE) store_on_message(node, s, from, &m);
    if (s->role == ROLE_WORKER) worker_on_message(node, s, from, &m);
}

static void server_on_request(fl_node *node, void *state, struct fl_request request,
                              const uint8_t *data, size_t size_bytes) {
    struct server *s = state;
    struct msg m;
    bool intact = msg_decode(data, size_bytes, &m);
    if (!intact || !s->journal.recovered || s->role != ROLE_BROKER) return;
    if (m.type == MSG_SUBMIT) broker_submit(node, s, request, &m);
}

static void server_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct server *s = state;
    if (s->role == ROLE_WORKER) {
        worker_on_timer(node, s, tag);
        return;
    }
    if (tag == TAG_TICK) {
        if (s->journal.recovered) {
            broker_tick(node, s);
        } else {
            fl_timer_set(node, BROKER_TICK_NS, TAG_TICK);
        }
        return;
    }
    fl_always(node, tag == TAG_RECOVER && !s->journal.recovered, "jobqueue.recover_timer");
    if (s->journal.recovered) return;
    server_reset_for_recovery(node, s);
    server_recover(node, s);
}

static void server_on_sync(fl_node *node, void *state, uint64_t sync_id, uint64_t tag,
                           int status) {
    struct server *s = state;
    if (tag == SYNC_RECOVERY) {
        if (status == FL_OK) {
            s->journal.recovered = true;
        } else {
            fl_disk_sync(node, SYNC_RECOVERY); /* the cut stays pending: try again */
        }
        return;
    }
    log_on_sync(node, &s->journal, sync_id, tag, status);
}

static void describe_server(const void *state, struct fl_state_view *out) {
    const struct server *s = state;
    if (s->role == ROLE_BROKER) {
        const struct broker *b = &s->u.broker;
        snprintf(out->role, sizeof out->role, "broker");
        snprintf(out->label, sizeof out->label, "%u visible %u leased %u done %u dead",
                 b->counts[JOB_VISIBLE], b->counts[JOB_LEASED], b->counts[JOB_DONE],
                 b->counts[JOB_DEAD]);
    } else if (s->role == ROLE_STORE) {
        snprintf(out->role, sizeof out->role, "store");
        snprintf(out->label, sizeof out->label, "%u results, %llu stale refused",
                 s->u.store.results, (unsigned long long)s->u.store.stale_refused);
    } else {
        const struct worker *w = &s->u.worker;
        snprintf(out->role, sizeof out->role, w->phase == W_IDLE ? "idle" : "busy");
        if (w->phase == W_IDLE) {
            snprintf(out->label, sizeof out->label, "%llu jobs completed",
                     (unsigned long long)w->completed);
        } else {
            snprintf(out->label, sizeof out->label, "job %u token %u %s", w->job, w->token,
                     phase_names[w->phase]);
        }
    }
}

static void describe_message(const uint8_t *data, size_t size_bytes,
                             struct fl_message_view *out) {
    struct msg m;
    if (!msg_decode(data, size_bytes, &m)) {
        snprintf(out->kind, sizeof out->kind, "corrupt");
        return;
    }
    snprintf(out->kind, sizeof out->kind, "%s", msg_names[m.type]);
    out->trace_id = m.job;
    if (m.job == 0) return;
    if (m.type == MSG_SUBMIT || m.type == MSG_LEASE) {
        snprintf(out->text, sizeof out->text, "job %llu token %u priority %u work %llu ms%s",
                 (unsigned long long)m.job, m.token, m.b & 0xffu, ms_of(m.a),
                 (m.b >> 8) & 1u ? " poison" : "");
    } else {
        snprintf(out->text, sizeof out->text, "job %llu token %u", (unsigned long long)m.job,
                 m.token);
    }
}

static const struct fl_service jobqueue_server_service = {
    .state_size_bytes = sizeof(struct server),
    .start = server_start,
    .on_message = server_on_message,
    .on_timer = server_on_timer,
    .on_request = server_on_request,
    .on_sync = server_on_sync,
    .describe_state = describe_server,
    .describe_message = describe_message,
};

/* --- client ------------------------------------------------------------------------ */

struct client {
    uint32_t index;        /* 0-based among clients */
    uint32_t jobs_max;     /* jobs this client submits */
    uint64_t interval_ns;
    uint64_t timeout_ns;
    uint32_t priorities;
    uint64_t work_min_ns, work_max_ns;
    uint32_t poison_percent;
    uint32_t submitted;    /* jobs created (the current one included) */
    bool in_flight;        /* the current job is not accepted yet */
    uint64_t request_id;   /* the current attempt */
    fl_timer_id timeout;
    struct msg current;
    uint64_t retries;
    uint32_t accepted_count;
    uint32_t accepted[JOBS_PER_CLIENT_MAX]; /* job ids, in the order accepted */
};

static void client_send(fl_node *node, struct client *c) {
    uint8_t bytes[MSG_BYTES];
    msg_encode(bytes, &c->current);
    c->request_id = fl_request(node, BROKER_NODE, bytes, MSG_BYTES);
    c->timeout = fl_timer_set(node, c->timeout_ns, TAG_SUBMIT_TIMEOUT);
}

static void client_next(fl_node *node, struct client *c) {
    uint64_t gap = c->interval_ns / 2 + fl_random_below(node, c->interval_ns);
    fl_timer_set(node, gap, TAG_SUBMIT);
}

static void client_submit(fl_node *node, struct client *c) {
    uint64_t id = (uint64_t)c->submitted * fl_client_count(node) + c->index + 1;
    if (c->submitted >= c->jobs_max || id > JOBS_MAX) return; /* done submitting */
    c->submitted++;
    uint64_t span = c->work_max_ns - c->work_min_ns + 1;
    bool poison = fl_random_below(node, 100) < c->poison_percent;
    uint32_t priority = (uint32_t)fl_random_below(node, c->priorities);
    c->current = (struct msg){.type = MSG_SUBMIT, .job = id,
                              .a = c->work_min_ns + fl_random_below(node, span),
                              .b = priority | (uint32_t)poison << 8};
    c->in_flight = true;
    client_send(node, c);
}

static void client_start(fl_node *node, void *state) {
    struct client *c = state;
    c->index = fl_self(node) - fl_server_count(node);
    c->jobs_max = (uint32_t)fl_param(node, "jobs");
    c->interval_ns = (uint64_t)fl_param(node, "submit_interval");
    c->timeout_ns = (uint64_t)fl_param(node, "submit_timeout");
    c->priorities = (uint32_t)fl_param(node, "priorities");
    c->work_min_ns = (uint64_t)fl_param(node, "work_min");
    c->work_max_ns = (uint64_t)fl_param(node, "work_max");
    if (c->work_max_ns < c->work_min_ns) c->work_max_ns = c->work_min_ns;
    c->poison_percent = (uint32_t)fl_param(node, "poison_percent");
    if (c->index >= CLIENTS_MAX) return; /* beyond the checker's table: stays quiet */
    client_next(node, c);
}

static void client_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    struct client *c = state;
    if (tag == TAG_SUBMIT) {
        if (!c->in_flight) client_submit(node, c);
        return;
    }
    if (tag != TAG_SUBMIT_TIMEOUT || !c->in_flight || timer != c->timeout) return;
    c->retries++;
    fl_sometimes(node, true, "jobqueue.submit_retried");
    client_send(node, c); /* the same job id: the broker keeps it once */
}

static void client_on_reply(fl_node *node, void *state, fl_node_id from, uint64_t request_id,
                            const uint8_t *data, size_t size_bytes) {
    (void)from;
    struct client *c = state;
    struct msg m;
    if (!msg_decode(data, size_bytes, &m) || m.type != MSG_ACCEPTED) return;
    if (!c->in_flight || m.job != c->current.job) return; /* a late or duplicate reply */
    fl_sometimes(node, request_id != c->request_id, "jobqueue.accepted_by_an_earlier_attempt");
    fl_timer_cancel(node, c->timeout);
    c->in_flight = false;
    fl_always(node, c->accepted_count < JOBS_PER_CLIENT_MAX, "jobqueue.client_accepted_room");
    if (c->accepted_count < JOBS_PER_CLIENT_MAX) c->accepted[c->accepted_count++] = (uint32_t)m.job;
    client_next(node, c);
}

static void describe_client(const void *state, struct fl_state_view *out) {
    const struct client *c = state;
    snprintf(out->role, sizeof out->role, "client");
    snprintf(out->label, sizeof out->label, "%u accepted%s", c->accepted_count,
             c->in_flight ? ", submitting" : "");
}

static const struct fl_service jobqueue_client_service = {
    .state_size_bytes = sizeof(struct client),
    .start = client_start,
    .on_timer = client_on_timer,
    .on_reply = client_on_reply,
    .describe_state = describe_client,
    .describe_message = describe_message,
};

/* --- checkers ------------------------------------------------------------------------ */

struct checker {
    uint32_t accepted_seen[CLIENTS_MAX];
    bool accepted[JOBS_MAX + 1];
    uint64_t accepted_at_ns[JOBS_MAX + 1];
    uint32_t store_incarnation;
    uint64_t store_applies_seen;
    uint32_t broker_incarnation;
    uint64_t broker_grants_seen;
};

static void check_accepted(fl_world *world, struct checker *k) {
    uint32_t servers = fl_world_server_count(world);
    for (uint32_t i = 0; i < fl_world_client_count(world) && i < CLIENTS_MAX; i++) {
        const struct client *c = fl_world_state(world, servers + i);
        if (c == NULL) continue;
        for (; k->accepted_seen[i] < c->accepted_count; k->accepted_seen[i]++) {
            uint32_t id = c->accepted[k->accepted_seen[i]];
            if (k->accepted[id]) continue;
            k->accepted[id] = true;
            k->accepted_at_ns[id] = fl_world_now_ns(world);
        }
    }
}

static void check_apply(fl_world *world, struct checker *k) {
    const struct server *s = fl_world_state(world, STORE_NODE);
    if (s == NULL) return;
    const struct store *st = &s->u.store;
    if (s->incarnation == k->store_incarnation && st->applies_total == k->store_applies_seen) {
        return;
    }
    bool new_boot = s->incarnation != k->store_incarnation;
    k->store_incarnation = s->incarnation;
    k->store_applies_seen = st->applies_total;
    if (new_boot || st->applies_total == 0) return; /* recovery replays what was checked */
    const struct apply_event *e = &st->last;
    if (e->token < e->fence) {
        if (e->prev_token > e->token) {
            fl_world_violation(world, "jobqueue.fencing",
                               "job %u: worker n%u wrote with token %u after n%u completed it "
                               "with token %u (its lease had expired; the store took the stale "
                               "write)",
                               e->job, e->worker + 1, e->token, e->prev_worker + 1,
                               e->prev_token);
        } else {
            fl_world_violation(world, "jobqueue.fencing",
                               "job %u: worker n%u wrote with token %u after n%u had taken the "
                               "job over with token %u (its lease had expired; the store took "
                               "the stale write)",
                               e->job, e->worker + 1, e->token, e->fence_worker + 1, e->fence);
        }
        return;
    }
    if (e->applies > 1) {
        fl_world_violation(world, "jobqueue.effect_once",
                           "job %u's effect was applied %u times: by n%u with token %u, then "
                           "again by n%u with token %u",
                           e->job, e->applies, e->prev_worker + 1, e->prev_token, e->worker + 1,
                           e->token);
    }
}

static void check_priority(fl_world *world, struct checker *k) {
    const struct server *s = fl_world_state(world, BROKER_NODE);
    if (s == NULL) return;
    const struct broker *b = &s->u.broker;
    if (s->incarnation == k->broker_incarnation && b->grants == k->broker_grants_seen) return;
    k->broker_incarnation = s->incarnation;
    k->broker_grants_seen = b->grants;
    if (b->grants == 0) return;
    const struct bjob *g = &b->jobs[b->last_grant_job];
    for (uint32_t id = 1; id <= b->id_max; id++) {
        const struct bjob *j = &b->jobs[id];
        if (j->state != JOB_VISIBLE || j->priority <= g->priority) continue;
        fl_world_violation(world, "jobqueue.priority",
                           "job %u (priority %u) was leased to n%u while job %u (priority %u) "
                           "was waiting",
                           b->last_grant_job, g->priority, g->lease_worker + 1, id, j->priority);
        return;
    }
}

static void jobqueue_check_step(fl_world *world) {
    struct checker *k = fl_world_checker_state(world);
    check_accepted(world, k);
    check_apply(world, k);
    check_priority(world, k);
}

/* Why an accepted job is neither completed nor dead-lettered, in words. */
static void describe_lost(const struct bjob *j, const struct sjob *r, char *out, size_t size) {
    if (j->state == JOB_DONE && r->done_token == 0) {
        snprintf(out, size, "the broker marked it completed (token %u) but its effect never "
                 "reached the result store", j->token);
    } else if (j->state == JOB_NONE) {
        snprintf(out, size, "the broker has no record of it");
    } else if (j->state == JOB_LEASED) {
        snprintf(out, size, "still leased to n%u with token %u after %u leases, %u failures; "
                 "the store has %s", j->lease_worker + 1, j->token, j->leases, j->failures,
                 r->done_token != 0 ? "its effect" : "no effect of it");
    } else { /* visible: done and dead jobs are not lost */
        snprintf(out, size, "still waiting in the queue after %u leases, %u failures; the store "
                 "has %s", j->leases, j->failures,
                 r->done_token != 0 ? "its effect" : "no effect of it");
    }
}

static void jobqueue_check_end(fl_world *world) {
    jobqueue_check_step(world);
    uint64_t bound_ns = (uint64_t)fl_world_param(world, "liveness");
    if (bound_ns == 0) return;
    uint64_t quiet_ns = fl_world_quiet_since_ns(world);
    if (fl_world_now_ns(world) < quiet_ns + bound_ns) return; /* never quiet long enough */
    const struct server *bs = fl_world_state(world, BROKER_NODE);
    const struct server *ss = fl_world_state(world, STORE_NODE);
    if (bs == NULL || ss == NULL || !bs->journal.recovered || !ss->journal.recovered) return;
    const struct checker *k = fl_world_checker_state(world);
    for (uint32_t id = 1; id <= JOBS_MAX; id++) {
        if (!k->accepted[id]) continue;
        const struct bjob *j = &bs->u.broker.jobs[id];
        const struct sjob *r = &ss->u.store.jobs[id];
        if (j->state == JOB_DEAD || (j->state == JOB_DONE && r->done_token != 0)) continue;
        char why[200];
        describe_lost(j, r, why, sizeof why);
        uint64_t since_ns = fl_world_now_ns(world) - quiet_ns;
        fl_world_violation(world, "jobqueue.no_lost_job",
                           "job %u accepted at %llu.%03llu s was never completed nor "
                           "dead-lettered, %llu.%03llu s after the faults healed: %s",
                           id, ms_of(k->accepted_at_ns[id]) / 1000,
                           ms_of(k->accepted_at_ns[id]) % 1000, ms_of(since_ns) / 1000,
                           ms_of(since_ns) % 1000, why);
        return;
    }
}

/* --- the model ---------------------------------------------------------------------- */

static const char *const jobqueue_variants[] = {
    "correct",   "ack_before_processing", "no_fencing", "short_lease",
    "fifo_only", "dedupe_by_attempt",     NULL,
};
static const char *const jobqueue_variant_help[] = {
    "leases with heartbeats, a claim and a fenced, once-per-job result store",
    "a worker completes a job at the broker on receipt, before doing it: a crash loses it",
    "the store ignores tokens: a worker paused past its lease overwrites the newer result",
    "the lease is 3/4 of the heartbeat interval: healthy workers lose their jobs",
    "the broker leases the oldest visible job whatever its priority",
    "the store dedupes by job id + token: a job re-run after its effect landed lands twice",
    NULL,
};

static const struct fl_param jobqueue_params[] = {
    {"jobs", FL_PARAM_INT, 1, JOBS_PER_CLIENT_MAX, 30,
     "jobs each client submits (job ids stop at 1024 in all)"},
    {"submit_interval", FL_PARAM_DURATION, 1000, 3600000000000, 100000000,
     "mean time between a client's submissions (uniform in [interval/2, 3*interval/2))"},
    {"submit_timeout", FL_PARAM_DURATION, 1000, 3600000000000, 300000000,
     "a client submits the same job again after this long without an answer"},
    {"priorities", FL_PARAM_INT, 1, PRIORITIES_MAX, 3, "priority levels (0 the lowest)"},
    {"work_min", FL_PARAM_DURATION, 0, 3600000000000, 20000000, "shortest job"},
    {"work_max", FL_PARAM_DURATION, 0, 3600000000000, 200000000,
     "longest job (below work_min: work_min)"},
    {"poison_percent", FL_PARAM_INT, 0, 100, 5,
     "percent of jobs that fail every time (they end in the dead-letter queue)"},
    {"fail_percent", FL_PARAM_INT, 0, 100, 5, "percent of attempts of other jobs that fail"},
    {"max_failures", FL_PARAM_INT, 1, 100, 3, "failures after which a job is dead-lettered"},
    {"lease", FL_PARAM_DURATION, 1000000, 3600000000000, 500000000,
     "how long a lease lasts without a heartbeat (short_lease ignores it)"},
    {"heartbeat", FL_PARAM_DURATION, 1000000, 3600000000000, 100000000,
     "time between a worker's heartbeats"},
    {"poll_interval", FL_PARAM_DURATION, 1000000, 3600000000000, 20000000,
     "an idle worker asks the broker for a job this often"},
    {"retry_interval", FL_PARAM_DURATION, 1000000, 3600000000000, 50000000,
     "a worker sends a claim, result, completion or failure again after this long"},
    {"liveness", FL_PARAM_DURATION, 0, 3600000000000, 0,
     "if > 0: every accepted job must be completed or dead-lettered this long after the faults "
     "heal"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model fl_model_jobqueue = {
    .name = "jobqueue",
    .summary = "an at-least-once job queue: leases, heartbeats, fencing tokens, a dead-letter queue",
    .server = &jobqueue_server_service,
    .client = &jobqueue_client_service,
    .variants = jobqueue_variants,
    .variant_help = jobqueue_variant_help,
    .params = jobqueue_params,
    .server_count_min = SERVERS_MIN,
    .checker_state_bytes = sizeof(struct checker),
    .check_step = jobqueue_check_step,
    .check_end = jobqueue_check_end,
};
