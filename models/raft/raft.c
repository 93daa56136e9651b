/*
 * raft: a replicated key-value store (Ongaro & Ousterhout, "In Search of an
 * Understandable Consensus Algorithm", 2014), on the simulated network and
 * disk, and the bugs Raft implementations have shipped. docs/models/raft.md
 * walks through it.
 *
 * Protocol. Servers are followers, candidates or a leader. A follower that
 * hears no leader for a randomized election timeout (params.election_timeout
 * plus a uniform draw below params.election_jitter, from fl_random) becomes a
 * candidate: it increments its term, votes for itself, makes both durable, and
 * asks every peer for a vote (again each heartbeat to peers that did not
 * answer). A voter grants at most one vote per term, to a candidate whose log
 * is at least as up to date as its own, and replies only once the vote is on
 * its disk. A candidate with a majority leads its term: it appends a no-op
 * entry of its term and replicates its log with AppendEntries, several entries
 * a message (params.batch_max), backing off to the follower's hint on a
 * mismatch. The leader commits an index once a majority of servers (itself
 * counted only for entries its own disk holds) store it AND the entry there is
 * of the leader's current term (the rule figure 8 of the paper is about);
 * everything before it is committed with it. Every server applies committed
 * entries, in order, to its key-value state machine.
 *
 * Clients send GET, PUT and CAS (compare-and-set) over params.keys keys to the
 * server they believe leads; a server that does not lead answers NOT_LEADER
 * with its guess, and the client follows it. Every command goes through the
 * log, reads too, so a read is linearizable (a leader cut off from the
 * majority cannot commit one). Each request carries (client, seq); the state
 * machine remembers each client's last seq and result, so a retried command
 * is applied once (the session table of Ongaro's thesis, section 6.3).
 *
 * Disk. Two files. "meta" holds the term and the vote, rewritten in place (20
 * bytes in one sector: a crash keeps it or loses it whole). "log" holds entry
 * i in slot i-1 of RECORD_BYTES (no record straddles a sector). Each record's
 * checksum is a CRC-32C chained over every record before it, as etcd's WAL
 * does, so a record is valid only after its own predecessor: a torn write, a
 * truncate the crash lost behind newer writes, or stale records past the end
 * all fail it. Every write bumps write_seq; a sync started with tag write_seq
 * makes everything up to it durable; a message that promises something (a
 * vote, an appended entry, a candidate's vote request) waits in `deferred`
 * until the sync covering it completed, and a leader counts its own entry only
 * then. Recovery at boot reads meta and the log, stops at the first record
 * that fails its checksum, cuts the file there, and takes the term as at least
 * the last entry's. A failed sync (FL_EIO) is retried: in this disk the writes
 * stay pending and a later sync makes them durable.
 *
 *   meta     [magic u32][term u64][voted_for u32][crc32c u32]
 *   record   [magic u32][index u64][term u64][client u32][seq u64][kind u8][key u8]
 *            [0 u16][value u64][value_to u64][0 u64][crc32c chained u32]     64 bytes
 *
 * Messages end with a 64-bit hash of the bytes before it (message_hash): a
 * corrupted message is dropped, as if lost. The sender's id is the network's `from`.
 *
 *   VOTE_REQUEST   [1][term u64][last_index u64][last_term u64]
 *   VOTE_REPLY     [2][term u64][granted u8]
 *   APPEND         [3][term u64][prev_index u64][prev_term u64][commit u64][count u16]
 *                  count x [term u64][client u32][seq u64][kind u8][key u8][value u64]
 *                  [value_to u64]
 *   APPEND_REPLY   [4][term u64][success u8][index u64]  match on success, else a hint
 *   CLIENT_REQUEST [5][client u32][seq u64][kind u8][key u8][value u64][value_to u64]
 *   CLIENT_REPLY   [6][status u8][seq u64][value u64][leader u32]
 *
 * Variants (each a bug real implementations shipped; raft.md names them):
 *   vote_before_persist        replies to a vote before the vote is durable;
 *   figure8                    commits by counting replicas, whatever the
 *                              entry's term, and appends no no-op;
 *   double_vote_after_restart  never persists voted_for: after a restart the
 *                              node may vote again in the same term;
 *   stale_read                 a leader answers GET from its own state,
 *                              without confirming it still leads.
 *
 * Checks (god's-eye, in check_step, each incremental and bounded):
 *   raft.election_safety         at most one leader per term, ever;
 *   raft.log_matching            two logs with an entry of the same index and
 *                                term agree on every entry up to it (compared
 *                                by the chained checksum);
 *   raft.leader_completeness     a leader of a later term holds every entry
 *                                committed by the rule above;
 *   raft.state_machine_safety    no two servers apply different commands at
 *                                one index;
 *   raft.liveness                (check_end) once the faults healed, a leader
 *                                is elected and every client op completes
 *                                within params.liveness_bound;
 *   linearizable                 (the engine) the clients' history.
 */
#include "raft.h"

#include <stdio.h>
#include <string.h>

#include "faultline/service.h"

enum {
    RAFT_CORRECT = 0,
    RAFT_VOTE_BEFORE_PERSIST = 1,
    RAFT_FIGURE8 = 2,
    RAFT_DOUBLE_VOTE = 3,
    RAFT_STALE_READ = 4,
};

#define SERVERS_MAX 9
#define CLIENTS_MAX 16
#define KEYS_MAX 16
#define LOG_MAX 4096      /* entries a server's log holds; more is refused (LOG_FULL) */
#define BATCH_MAX 64      /* entries in one APPEND */
#define PENDING_MAX 64    /* client requests a leader waits to commit */
#define DEFERRED_MAX 64   /* messages waiting for a sync */
#define DEFERRED_BYTES_MAX 40
#define READ_ATTEMPTS 8   /* a read that fails with EIO is retried this often */
#define RECOVER_RETRY_NS 10000000u /* 10 ms */
#define CLIENT_BACKOFF_NS 20000000u /* 20 ms: no leader known, try again */
#define NODE_NONE UINT32_MAX
#define VALUE_NIL INT64_MIN

#define RECORD_BYTES 64
#define RECORD_BODY_BYTES 60
#define RECORD_MAGIC 0x31544652u /* "RFT1" */
#define RECORDS_PER_READ 64
#define META_BYTES 20
#define META_MAGIC 0x4154454du /* "META" */
#define CHECKSUM_BYTES 8 /* a message's hash */
#define ENTRY_WIRE_BYTES 38
#define APPEND_HEADER_BYTES 35
#define MESSAGE_MAX (APPEND_HEADER_BYTES + BATCH_MAX * ENTRY_WIRE_BYTES + CHECKSUM_BYTES)

_Static_assert(512 % RECORD_BYTES == 0, "records never straddle a sector");
_Static_assert(META_BYTES <= 512, "meta is one sector: a crash keeps or loses it whole");
_Static_assert(SERVERS_MAX <= 32, "vote sets are bit masks");

enum msg_type {
    MSG_VOTE_REQUEST = 1,
    MSG_VOTE_REPLY = 2,
    MSG_APPEND = 3,
    MSG_APPEND_REPLY = 4,
    MSG_CLIENT_REQUEST = 5,
    MSG_CLIENT_REPLY = 6,
};

enum cmd_kind { CMD_NOOP = 0, CMD_GET = 1, CMD_PUT = 2, CMD_CAS = 3 };

enum reply_status {
    REPLY_OK = 0,
    REPLY_CAS_FAILED = 1, /* the compare did not match: value carries the current value */
    REPLY_NOT_LEADER = 2, /* leader carries a guess, or NODE_NONE */
    REPLY_LOG_FULL = 3,   /* not appended: the log is at params.log_max */
    REPLY_BUSY = 4,       /* not appended: too many requests pending */
    REPLY_DISK_FULL = 5,  /* not appended: the disk refused the write */
};

enum role { ROLE_FOLLOWER = 0, ROLE_CANDIDATE = 1, ROLE_LEADER = 2 };

/* Server timer tags. */
enum { TAG_ELECTION = 1, TAG_HEARTBEAT = 2, TAG_RECOVER = 3 };
/* Client timer tags. */
enum { TAG_NEXT_OP = 1, TAG_ATTEMPT = 2, TAG_BACKOFF = 3 };

/* --- encoding ------------------------------------------------------------------ */

/* A message's check: 64 bits, a word at a time. Each step (xor a word, multiply
 * by an odd constant, xor-shift) is a bijection of the state, so a message that
 * differs in any one word, one flipped bit for instance, always hashes
 * differently; eight times fewer dependent steps than a byte-wise CRC, on the
 * hottest path of the model (every AppendEntries is sealed and opened). Not
 * fl_fnv1a32 (a byte at a time, 32 bits) and not gossip's checksum (other
 * constants, and it skips the field it is stored in): a different function,
 * and the bytes of every raft message, hence the fingerprints, depend on it. */
static uint64_t message_hash(const uint8_t *data, size_t size) {
    uint64_t h = 0x243f6a8885a308d3u ^ size;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        h = (h ^ fl_get_u64(data + i)) * 0x9e3779b97f4a7c15u;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    for (size_t k = 0; i + k < size; k++) tail |= (uint64_t)data[i + k] << (8 * k);
    h = (h ^ tail) * 0x9e3779b97f4a7c15u;
    return h ^ (h >> 32);
}

/* A message: type byte, body, check. Returns its size. */
static size_t message_seal(uint8_t *msg, size_t body_end) {
    fl_put_u64(msg + body_end, message_hash(msg, body_end));
    return body_end + CHECKSUM_BYTES;
}

static size_t body_bytes_of(const uint8_t *data, size_t body_end) {
    static const uint8_t fixed[] = {
        [MSG_VOTE_REQUEST] = 25, [MSG_VOTE_REPLY] = 10, [MSG_APPEND] = APPEND_HEADER_BYTES,
        [MSG_APPEND_REPLY] = 18, [MSG_CLIENT_REQUEST] = 31, [MSG_CLIENT_REPLY] = 22,
    };
    if (data[0] != MSG_APPEND) return fixed[data[0]];
    if (body_end < APPEND_HEADER_BYTES) return 0;
    uint32_t count = (uint32_t)data[33] | (uint32_t)data[34] << 8;
    return count > BATCH_MAX ? 0 : APPEND_HEADER_BYTES + (size_t)count * ENTRY_WIRE_BYTES;
}

/* The message's type if its checksum holds and its size fits the type, else 0. */
static enum msg_type message_open(const uint8_t *data, size_t size) {
    if (size < 1 + CHECKSUM_BYTES || size > MESSAGE_MAX) return 0;
    size_t body_end = size - CHECKSUM_BYTES;
    if (data[0] < MSG_VOTE_REQUEST || data[0] > MSG_CLIENT_REPLY) return 0;
    if (body_bytes_of(data, body_end) != body_end) return 0;
    if (fl_get_u64(data + body_end) != message_hash(data, body_end)) return 0;
    return (enum msg_type)data[0];
}

/* A log entry as a server holds it in memory. */
struct entry {
    uint64_t term;
    uint64_t seq;     /* the client's sequence number: retries share it */
    int64_t value;    /* PUT: the value; CAS: the expected value */
    int64_t value_to; /* CAS: the new value */
    uint32_t client;  /* client index + 1; 0 for a leader's no-op */
    uint32_t crc;     /* the record's chained checksum: the whole log up to here */
    uint8_t kind;     /* enum cmd_kind */
    uint8_t key;
};

static void entry_put_wire(uint8_t *out, const struct entry *e) {
    fl_put_u64(out, e->term);
    fl_put_u32(out + 8, e->client);
    fl_put_u64(out + 12, e->seq);
    out[20] = e->kind;
    out[21] = e->key;
    fl_put_u64(out + 22, (uint64_t)e->value);
    fl_put_u64(out + 30, (uint64_t)e->value_to);
}

static struct entry entry_get_wire(const uint8_t *in) {
    return (struct entry){.term = fl_get_u64(in), .client = fl_get_u32(in + 8),
                          .seq = fl_get_u64(in + 12), .kind = in[20], .key = in[21],
                          .value = (int64_t)fl_get_u64(in + 22),
                          .value_to = (int64_t)fl_get_u64(in + 30)};
}

/* Encodes entry `index` as its disk record, chained to the record before it
 * (prev_crc: 0 for index 1). Sets e->crc. */
static void record_encode(uint8_t out[RECORD_BYTES], uint64_t index, struct entry *e,
                          uint32_t prev_crc) {
    memset(out, 0, RECORD_BYTES);
    fl_put_u32(out, RECORD_MAGIC);
    fl_put_u64(out + 4, index);
    fl_put_u64(out + 12, e->term);
    fl_put_u32(out + 20, e->client);
    fl_put_u64(out + 24, e->seq);
    out[32] = e->kind;
    out[33] = e->key;
    fl_put_u64(out + 36, (uint64_t)e->value);
    fl_put_u64(out + 44, (uint64_t)e->value_to);
    e->crc = fl_crc32c_extend(prev_crc, out, RECORD_BODY_BYTES);
    fl_put_u32(out + RECORD_BODY_BYTES, e->crc);
}

/* Decodes the record of `index` if it is intact and follows the record whose
 * chained checksum is prev_crc; false if not (torn, stale, or never written). */
static bool record_decode(const uint8_t in[RECORD_BYTES], uint64_t index, uint32_t prev_crc,
                          struct entry *out) {
    if (fl_get_u32(in) != RECORD_MAGIC || fl_get_u64(in + 4) != index) return false;
    uint32_t crc = fl_crc32c_extend(prev_crc, in, RECORD_BODY_BYTES);
    if (fl_get_u32(in + RECORD_BODY_BYTES) != crc) return false;
    *out = (struct entry){.term = fl_get_u64(in + 12), .client = fl_get_u32(in + 20),
                          .seq = fl_get_u64(in + 24), .kind = in[32], .key = in[33],
                          .value = (int64_t)fl_get_u64(in + 36),
                          .value_to = (int64_t)fl_get_u64(in + 44), .crc = crc};
    return out->kind <= CMD_CAS;
}

static void meta_encode(uint8_t out[META_BYTES], uint64_t term, uint32_t voted_for) {
    fl_put_u32(out, META_MAGIC);
    fl_put_u64(out + 4, term);
    fl_put_u32(out + 12, voted_for);
    fl_put_u32(out + 16, fl_crc32c(out, 16));
}

static bool meta_decode(const uint8_t in[META_BYTES], uint64_t *term, uint32_t *voted_for) {
    if (fl_get_u32(in) != META_MAGIC) return false;
    if (fl_get_u32(in + 16) != fl_crc32c(in, 16)) return false;
    *term = fl_get_u64(in + 4);
    *voted_for = fl_get_u32(in + 12);
    return true;
}

/* A 64-bit digest of a command, for the state machine safety check. */
static uint64_t entry_digest(const struct entry *e) {
    uint64_t h = e->term * 0x9e3779b97f4a7c15u;
    h ^= ((uint64_t)e->client << 40 | (uint64_t)e->kind << 32 | (uint64_t)e->key << 24) +
         e->seq;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= (uint64_t)e->value + ((uint64_t)e->value_to << 1);
    h *= 0x94d049bb133111ebu;
    return h ^ (h >> 31);
}

/* "put k3=2000017 (c2 #17, term 4)": for violation messages. */
static void entry_describe(const struct entry *e, char *out, size_t size) {
    if (e->kind == CMD_NOOP) {
        snprintf(out, size, "a no-op of term %llu", (unsigned long long)e->term);
    } else if (e->kind == CMD_GET) {
        snprintf(out, size, "get k%u (c%u #%llu, term %llu)", e->key + 1u, e->client,
                 (unsigned long long)e->seq, (unsigned long long)e->term);
    } else if (e->kind == CMD_PUT) {
        snprintf(out, size, "put k%u=%lld (c%u #%llu, term %llu)", e->key + 1u,
                 (long long)e->value, e->client, (unsigned long long)e->seq,
                 (unsigned long long)e->term);
    } else {
        snprintf(out, size, "cas k%u %lld->%lld (c%u #%llu, term %llu)", e->key + 1u,
                 (long long)e->value, (long long)e->value_to, e->client,
                 (unsigned long long)e->seq, (unsigned long long)e->term);
    }
}

/* --- server state ---------------------------------------------------------------- */

/* A message that waits until the disk holds what it promises. */
enum deferred_kind { OUT_SEND = 1, OUT_SELF_MATCH = 2 };

struct deferred {
    uint64_t seq;   /* the write_seq that must be durable first */
    uint64_t index; /* OUT_SELF_MATCH: the leader's own entries up to here are durable */
    uint64_t term;  /* OUT_SELF_MATCH: ... if it still leads this term */
    uint32_t dst;   /* OUT_SEND */
    uint8_t kind;   /* enum deferred_kind */
    uint8_t size_bytes;
    uint8_t bytes[DEFERRED_BYTES_MAX];
};

/* A client request the leader appended and answers once it is applied. */
struct pending {
    struct fl_request request;
    uint64_t index;
    uint64_t term;
    bool used;
};

struct kv_value {
    int64_t value;
    bool present;
};

/* The state machine's memory of a client: its last command and the answer. */
struct session {
    uint64_t seq;
    int64_t value;
    uint8_t status; /* enum reply_status */
};

struct raft_server {
    /* configuration, from the scenario */
    uint32_t variant;
    uint32_t self;
    uint32_t servers;
    uint32_t clients;
    uint32_t keys;
    uint32_t batch_max;
    uint32_t log_max;
    uint64_t election_ns;        /* params.election_timeout */
    uint64_t election_jitter_ns; /* params.election_jitter */
    uint64_t heartbeat_ns;       /* params.heartbeat */

    /* persistent: what meta and the log hold (or will, once synced) */
    uint64_t term;
    uint32_t voted_for; /* NODE_NONE: no vote in this term */
    uint64_t last_index;
    struct entry log[LOG_MAX + 1]; /* log[0]: the empty prefix, term 0, crc 0 */

    /* volatile */
    bool recovered; /* false until the disk was read: the node takes no part */
    uint8_t role;   /* enum role */
    uint32_t leader; /* who leads this term, as far as this node knows */
    uint64_t commit;
    uint64_t applied;
    uint64_t election_deadline_ns; /* monotonic */
    fl_timer_id election_timer;
    fl_timer_id heartbeat_timer;
    uint32_t votes;   /* candidate: who granted (a bit per server) */
    uint32_t replied; /* candidate: who answered */
    uint64_t next[SERVERS_MAX];
    uint64_t match[SERVERS_MAX]; /* match[self]: the leader's own durable entries */
    bool inflight[SERVERS_MAX];  /* an APPEND with entries is on its way */
    struct pending pending[PENDING_MAX];
    struct kv_value kv[KEYS_MAX];
    struct session sessions[CLIENTS_MAX];

    /* the disk pipeline */
    uint64_t write_seq;   /* writes and truncates issued */
    uint64_t durable_seq; /* of those, durable */
    bool sync_in_flight;
    struct deferred deferred[DEFERRED_MAX];
    uint32_t deferred_head;
    uint32_t deferred_count;

    /* for the checkers: they scan only what changed */
    uint32_t boot;        /* fl_incarnation + 1 */
    uint64_t trunc_count; /* truncations of the log since boot */
    uint64_t trunc_index; /* the first index the last truncation removed */
};

static bool is_leader(const struct raft_server *s) { return s->role == ROLE_LEADER; }

/* --- server: the disk pipeline ------------------------------------------------------ */

/* One sync at a time, covering every write so far: writes issued while it is
 * in flight wait for the next one (group commit). */
static void disk_sync_start(fl_node *node, struct raft_server *s) {
    if (s->sync_in_flight || s->durable_seq >= s->write_seq) return;
    s->sync_in_flight = true;
    fl_disk_sync(node, s->write_seq);
}

static void advance_commit(fl_node *node, struct raft_server *s);

/* Sends what the disk now holds up. Deferred entries are in write_seq order. */
static void deferred_flush(fl_node *node, struct raft_server *s) {
    while (s->deferred_count > 0) {
        struct deferred *d = &s->deferred[s->deferred_head];
        if (d->seq > s->durable_seq) return;
        s->deferred_head = (s->deferred_head + 1) % DEFERRED_MAX;
        s->deferred_count--;
        if (d->kind == OUT_SEND) {
            fl_send(node, d->dst, d->bytes, d->size_bytes);
        } else if (is_leader(s) && d->term == s->term && d->index > s->match[s->self]) {
            s->match[s->self] = d->index;
            advance_commit(node, s);
        }
    }
}

static struct deferred *deferred_push(fl_node *node, struct raft_server *s) {
    fl_sometimes(node, s->deferred_count == DEFERRED_MAX, "raft.deferred_full");
    if (s->deferred_count == DEFERRED_MAX) return NULL;
    struct deferred *d = &s->deferred[(s->deferred_head + s->deferred_count) % DEFERRED_MAX];
    s->deferred_count++;
    memset(d, 0, sizeof *d);
    d->seq = s->write_seq;
    return d;
}

/* Sends msg once every write issued so far is durable: now, if it is. A
 * message dropped because the queue is full is as if the network lost it. */
static void send_durable(fl_node *node, struct raft_server *s, uint32_t dst, const uint8_t *msg,
                         size_t size) {
    fl_always(node, size <= DEFERRED_BYTES_MAX, "raft.deferred_message_fits");
    if (s->durable_seq >= s->write_seq) {
        fl_send(node, dst, msg, size);
        return;
    }
    struct deferred *d = deferred_push(node, s);
    if (d == NULL) return;
    d->kind = OUT_SEND;
    d->dst = dst;
    d->size_bytes = (uint8_t)size;
    memcpy(d->bytes, msg, size);
}

/* Makes (term, voted_for) the node's state and writes it to meta. False, and
 * nothing changed, if the disk refused. double_vote_after_restart writes no
 * vote: the bug. */
static bool persist_term_vote(fl_node *node, struct raft_server *s, uint64_t term,
                              uint32_t voted_for) {
    uint8_t meta[META_BYTES];
    meta_encode(meta, term, s->variant == RAFT_DOUBLE_VOTE ? NODE_NONE : voted_for);
    int status = fl_disk_write(node, "meta", 0, meta, META_BYTES);
    fl_sometimes(node, status != FL_OK, "raft.meta_write_refused");
    if (status != FL_OK) return false;
    s->term = term;
    s->voted_for = voted_for;
    s->write_seq++;
    disk_sync_start(node, s);
    return true;
}

/* Writes the records of entries first..last_index (already in s->log). */
static int log_store(fl_node *node, struct raft_server *s, uint64_t first) {
    uint8_t buf[RECORDS_PER_READ * RECORD_BYTES];
    for (uint64_t i = first; i <= s->last_index;) {
        uint64_t n = 0;
        for (; n < RECORDS_PER_READ && i + n <= s->last_index; n++) {
            record_encode(buf + n * RECORD_BYTES, i + n, &s->log[i + n], s->log[i + n - 1].crc);
        }
        int status = fl_disk_write(node, "log", (i - 1) * RECORD_BYTES, buf,
                                   (size_t)n * RECORD_BYTES);
        if (status != FL_OK) return status;
        i += n;
    }
    s->write_seq++;
    disk_sync_start(node, s);
    return FL_OK;
}

/* Drops entries from index on, in memory and on disk. */
static void log_truncate(fl_node *node, struct raft_server *s, uint64_t index) {
    /* Never in correct Raft (a leader holds every committed entry); figure8
     * gets here. Like etcd, a server could stop; this one goes on, so that
     * the checkers show what follows: two servers applying different
     * commands at one index. */
    fl_sometimes(node, index <= s->commit, "raft.truncated_a_committed_entry");
    if (s->commit >= index) s->commit = index - 1;
    s->last_index = index - 1;
    s->trunc_count++;
    s->trunc_index = index;
    fl_disk_truncate(node, "log", (index - 1) * RECORD_BYTES);
    s->write_seq++;
    disk_sync_start(node, s);
}

/* --- server: roles and elections --------------------------------------------------- */

static uint64_t last_term(const struct raft_server *s) { return s->log[s->last_index].term; }

static uint32_t majority(const struct raft_server *s) { return s->servers / 2 + 1; }

/* Pushes the election deadline out by a fresh randomized timeout; the one
 * timer re-arms itself to the deadline when it fires early. */
static void election_reset(fl_node *node, struct raft_server *s) {
    uint64_t timeout_ns = s->election_ns + fl_random_below(node, s->election_jitter_ns + 1);
    s->election_deadline_ns = fl_mono_ns(node) + timeout_ns;
    if (s->election_timer == 0) s->election_timer = fl_timer_set(node, timeout_ns, TAG_ELECTION);
}

static void heartbeat_arm(fl_node *node, struct raft_server *s) {
    if (s->heartbeat_timer == 0) {
        s->heartbeat_timer = fl_timer_set(node, s->heartbeat_ns, TAG_HEARTBEAT);
    }
}

static void become_follower(fl_node *node, struct raft_server *s, uint32_t leader) {
    if (is_leader(s)) {
        /* Their clients time out and retry; the session table keeps a
         * command that does commit from being applied twice. */
        memset(s->pending, 0, sizeof s->pending);
        fl_annotate(node, "steps down in term %llu", (unsigned long long)s->term);
    }
    s->role = ROLE_FOLLOWER;
    s->leader = leader;
    election_reset(node, s);
}

/* A message of a later term: adopt it, with no vote, as a follower. False if
 * the disk refused the new term (the message is then ignored). */
static bool adopt_term(fl_node *node, struct raft_server *s, uint64_t term) {
    if (term <= s->term) return true;
    if (!persist_term_vote(node, s, term, NODE_NONE)) return false;
    become_follower(node, s, NODE_NONE);
    return true;
}

static void send_vote_request(fl_node *node, struct raft_server *s, uint32_t peer) {
    uint8_t msg[DEFERRED_BYTES_MAX];
    msg[0] = MSG_VOTE_REQUEST;
    fl_put_u64(msg + 1, s->term);
    fl_put_u64(msg + 9, s->last_index);
    fl_put_u64(msg + 17, last_term(s));
    /* Only once the candidate's own term and vote are durable: its vote for
     * itself counts from the start, and no grant can arrive before this. */
    send_durable(node, s, peer, msg, message_seal(msg, 25));
}

static void start_election(fl_node *node, struct raft_server *s) {
    if (!persist_term_vote(node, s, s->term + 1, s->self)) {
        election_reset(node, s);
        return;
    }
    s->role = ROLE_CANDIDATE;
    s->leader = NODE_NONE;
    s->votes = 1u << s->self;
    s->replied = 1u << s->self;
    fl_annotate(node, "candidate in term %llu", (unsigned long long)s->term);
    for (uint32_t peer = 0; peer < s->servers; peer++) {
        if (peer != s->self) send_vote_request(node, s, peer);
    }
    heartbeat_arm(node, s); /* re-asks the peers that did not answer */
    election_reset(node, s);
}

static void send_append(fl_node *node, struct raft_server *s, uint32_t peer);
static enum reply_status leader_append(fl_node *node, struct raft_server *s, struct entry *e,
                                       uint64_t *index);

static void become_leader(fl_node *node, struct raft_server *s) {
    s->role = ROLE_LEADER;
    s->leader = s->self;
    memset(s->pending, 0, sizeof s->pending);
    for (uint32_t i = 0; i < s->servers; i++) {
        s->next[i] = s->last_index + 1;
        s->match[i] = 0;
        s->inflight[i] = false;
    }
    fl_annotate(node, "leader of term %llu", (unsigned long long)s->term);
    /* Its own log counts once durable: whatever it holds from before may not be yet. */
    struct deferred *d = deferred_push(node, s);
    if (d != NULL) *d = (struct deferred){.seq = s->write_seq, .kind = OUT_SELF_MATCH,
                                          .index = s->last_index, .term = s->term};
    if (s->variant != RAFT_FIGURE8) {
        /* A no-op of its term: committing it commits everything before it
         * (section 5.4.2); without it an old entry waits for a client. */
        struct entry noop = {.term = s->term, .kind = CMD_NOOP};
        uint64_t index = 0;
        leader_append(node, s, &noop, &index);
    }
    for (uint32_t peer = 0; peer < s->servers; peer++) {
        if (peer != s->self) send_append(node, s, peer);
    }
    heartbeat_arm(node, s);
    deferred_flush(node, s);
}

static void on_vote_request(fl_node *node, struct raft_server *s, uint32_t from,
                            const uint8_t *msg) {
    uint64_t term = fl_get_u64(msg + 1);
    uint64_t cand_last_index = fl_get_u64(msg + 9), cand_last_term = fl_get_u64(msg + 17);
    if (!adopt_term(node, s, term)) return;
    bool up_to_date = cand_last_term > last_term(s) ||
                      (cand_last_term == last_term(s) && cand_last_index >= s->last_index);
    bool free_vote = s->voted_for == NODE_NONE || s->voted_for == from;
    bool grant = term == s->term && up_to_date && free_vote;
    if (grant && s->voted_for != from && !persist_term_vote(node, s, s->term, from)) grant = false;
    if (grant) election_reset(node, s);
    fl_sometimes(node, grant && fl_incarnation(node) > 0, "raft.vote_after_restart");
    uint8_t reply[DEFERRED_BYTES_MAX];
    reply[0] = MSG_VOTE_REPLY;
    fl_put_u64(reply + 1, s->term);
    reply[9] = grant;
    size_t size = message_seal(reply, 10);
    if (s->variant == RAFT_VOTE_BEFORE_PERSIST) {
        fl_send(node, from, reply, size); /* the bug: the vote is not durable yet */
    } else {
        send_durable(node, s, from, reply, size);
    }
}

static void on_vote_reply(fl_node *node, struct raft_server *s, uint32_t from,
                          const uint8_t *msg) {
    uint64_t term = fl_get_u64(msg + 1);
    if (!adopt_term(node, s, term)) return;
    if (s->role != ROLE_CANDIDATE || term != s->term) return;
    s->replied |= 1u << from;
    if (msg[9]) s->votes |= 1u << from;
    if ((uint32_t)__builtin_popcount(s->votes) >= majority(s)) become_leader(node, s);
}

/* --- server: replication ------------------------------------------------------------ */

/* AppendEntries to peer: up to batch_max entries from its next index (none:
 * a heartbeat). */
static void send_append(fl_node *node, struct raft_server *s, uint32_t peer) {
    uint8_t msg[MESSAGE_MAX];
    uint64_t prev = s->next[peer] - 1;
    fl_always(node, prev <= s->last_index, "raft.next_index_in_log");
    uint64_t count = s->last_index - prev;
    if (count > s->batch_max) count = s->batch_max;
    msg[0] = MSG_APPEND;
    fl_put_u64(msg + 1, s->term);
    fl_put_u64(msg + 9, prev);
    fl_put_u64(msg + 17, s->log[prev].term);
    fl_put_u64(msg + 25, s->commit);
    msg[33] = (uint8_t)count;
    msg[34] = (uint8_t)(count >> 8);
    for (uint64_t k = 0; k < count; k++) {
        entry_put_wire(msg + APPEND_HEADER_BYTES + k * ENTRY_WIRE_BYTES, &s->log[prev + 1 + k]);
    }
    fl_send(node, peer, msg, message_seal(msg, APPEND_HEADER_BYTES + count * ENTRY_WIRE_BYTES));
    s->inflight[peer] = count > 0;
}

/* Appends e at the end of the leader's log and writes it; the leader counts
 * it for itself once it is durable. */
static enum reply_status leader_append(fl_node *node, struct raft_server *s, struct entry *e,
                                       uint64_t *index) {
    fl_sometimes(node, s->last_index >= s->log_max, "raft.log_full");
    if (s->last_index >= s->log_max) return REPLY_LOG_FULL;
    s->last_index++;
    s->log[s->last_index] = *e;
    int status = log_store(node, s, s->last_index);
    fl_sometimes(node, status == FL_ENOSPC, "raft.append_refused_disk_full");
    if (status != FL_OK) {
        s->last_index--;
        return REPLY_DISK_FULL;
    }
    *index = s->last_index;
    struct deferred *d = deferred_push(node, s);
    if (d != NULL) *d = (struct deferred){.seq = s->write_seq, .kind = OUT_SELF_MATCH,
                                          .index = s->last_index, .term = s->term};
    return REPLY_OK;
}

static void send_client_reply(fl_node *node, struct fl_request request, enum reply_status status,
                              uint64_t seq, int64_t value, uint32_t leader) {
    uint8_t msg[32];
    msg[0] = MSG_CLIENT_REPLY;
    msg[1] = (uint8_t)status;
    fl_put_u64(msg + 2, seq);
    fl_put_u64(msg + 10, (uint64_t)value);
    fl_put_u32(msg + 18, leader);
    fl_reply(node, request, msg, message_seal(msg, 22));
}

/* Applies one committed entry to the key-value state; returns the answer a
 * client gets (a retried command gets its first answer again). */
static struct session sm_apply(struct raft_server *s, const struct entry *e) {
    if (e->kind == CMD_NOOP || e->client == 0 || e->client > CLIENTS_MAX || e->key >= KEYS_MAX) {
        return (struct session){.status = REPLY_OK};
    }
    struct session *session = &s->sessions[e->client - 1];
    if (e->seq <= session->seq) return *session; /* a retry: applied already */
    struct kv_value *kv = &s->kv[e->key];
    int64_t current = kv->present ? kv->value : VALUE_NIL;
    struct session result = {.seq = e->seq, .status = REPLY_OK, .value = current};
    if (e->kind == CMD_PUT) {
        kv->value = e->value;
        kv->present = true;
    } else if (e->kind == CMD_CAS && current == e->value) {
        kv->value = e->value_to;
        kv->present = true;
    } else if (e->kind == CMD_CAS) {
        result.status = REPLY_CAS_FAILED;
    }
    *session = result;
    return result;
}

static void apply_committed(fl_node *node, struct raft_server *s) {
    fl_always(node, s->commit <= s->last_index, "raft.commit_within_log");
    while (s->applied < s->commit && s->applied < s->last_index) {
        uint64_t index = ++s->applied;
        const struct entry *e = &s->log[index];
        struct session result = sm_apply(s, e);
        if (!is_leader(s)) continue;
        for (uint32_t p = 0; p < PENDING_MAX; p++) {
            struct pending *pend = &s->pending[p];
            if (!pend->used || pend->index != index) continue;
            pend->used = false;
            if (pend->term != e->term) continue; /* replaced: the client retries */
            send_client_reply(node, pend->request, result.status, e->seq, result.value,
                              s->self);
        }
    }
}

/* The highest index a majority stores; committed if it is of this term (or,
 * in figure8, whatever its term: the bug). */
static void advance_commit(fl_node *node, struct raft_server *s) {
    uint64_t sorted[SERVERS_MAX];
    for (uint32_t i = 0; i < s->servers; i++) {
        uint64_t m = s->match[i];
        uint32_t j = i;
        for (; j > 0 && sorted[j - 1] < m; j--) sorted[j] = sorted[j - 1];
        sorted[j] = m;
    }
    uint64_t n = sorted[majority(s) - 1];
    if (n <= s->commit) return;
    bool current_term = s->log[n].term == s->term;
    fl_sometimes(node, !current_term, "raft.old_term_entry_on_majority");
    if (!current_term && s->variant != RAFT_FIGURE8) return;
    s->commit = n;
    apply_committed(node, s);
}

static void send_append_reply(fl_node *node, struct raft_server *s, uint32_t to, bool success,
                              uint64_t index) {
    uint8_t msg[DEFERRED_BYTES_MAX];
    msg[0] = MSG_APPEND_REPLY;
    fl_put_u64(msg + 1, s->term);
    msg[9] = success;
    fl_put_u64(msg + 10, index);
    send_durable(node, s, to, msg, message_seal(msg, 18));
}

/* Stores the entries of an APPEND that matched at prev; returns the last
 * index known to match the leader's log, or 0 if the disk refused. */
static uint64_t follower_store(fl_node *node, struct raft_server *s, uint64_t prev,
                               const uint8_t *entries, uint32_t count) {
    uint64_t first_new = 0, index = prev;
    for (uint32_t k = 0; k < count; k++) {
        index = prev + 1 + k;
        struct entry e = entry_get_wire(entries + (size_t)k * ENTRY_WIRE_BYTES);
        if (index <= s->last_index && s->log[index].term == e.term) continue;
        if (index <= s->last_index) log_truncate(node, s, index); /* a conflict */
        fl_sometimes(node, index > s->log_max, "raft.follower_log_full");
        if (index > s->log_max) {
            index--;
            break;
        }
        s->log[index] = e;
        s->last_index = index;
        if (first_new == 0) first_new = index;
    }
    if (first_new == 0) return index;
    int status = log_store(node, s, first_new);
    fl_sometimes(node, status == FL_ENOSPC, "raft.follower_refused_disk_full");
    if (status != FL_OK) {
        s->last_index = first_new - 1;
        fl_disk_truncate(node, "log", (first_new - 1) * RECORD_BYTES);
        return 0;
    }
    return index;
}

static void on_append(fl_node *node, struct raft_server *s, uint32_t from, const uint8_t *msg) {
    uint64_t term = fl_get_u64(msg + 1), prev = fl_get_u64(msg + 9);
    uint64_t prev_term = fl_get_u64(msg + 17), leader_commit = fl_get_u64(msg + 25);
    uint32_t count = (uint32_t)msg[33] | (uint32_t)msg[34] << 8;
    if (term < s->term) {
        send_append_reply(node, s, from, false, s->last_index + 1);
        return;
    }
    if (!adopt_term(node, s, term)) return;
    if (s->role != ROLE_FOLLOWER || s->leader != from) become_follower(node, s, from);
    else election_reset(node, s);
    if (prev > s->last_index) {
        send_append_reply(node, s, from, false, s->last_index + 1);
        return;
    }
    if (s->log[prev].term != prev_term) {
        /* Skip the whole conflicting term at once (section 5.3's optimization). */
        uint64_t hint = prev;
        while (hint > s->commit + 1 && s->log[hint - 1].term == s->log[prev].term) hint--;
        fl_sometimes(node, true, "raft.append_conflict");
        send_append_reply(node, s, from, false, hint);
        return;
    }
    uint64_t match = follower_store(node, s, prev, msg + APPEND_HEADER_BYTES, count);
    if (match == 0 && count > 0) return; /* the disk refused: the leader retries */
    uint64_t commit = leader_commit < match ? leader_commit : match;
    if (commit > s->commit) {
        s->commit = commit;
        apply_committed(node, s);
    }
    send_append_reply(node, s, from, true, match);
}

static void on_append_reply(fl_node *node, struct raft_server *s, uint32_t from,
                            const uint8_t *msg) {
    uint64_t term = fl_get_u64(msg + 1), index = fl_get_u64(msg + 10);
    bool success = msg[9] != 0;
    if (!adopt_term(node, s, term)) return;
    if (!is_leader(s) || term != s->term) return;
    s->inflight[from] = false;
    if (success) {
        if (index > s->last_index) return; /* not a reply to this leader's log */
        if (index > s->match[from]) s->match[from] = index;
        if (s->next[from] < s->match[from] + 1) s->next[from] = s->match[from] + 1;
        advance_commit(node, s);
    } else {
        uint64_t next = index;
        if (next < s->match[from] + 1) next = s->match[from] + 1;
        if (next > s->last_index + 1) next = s->last_index + 1;
        if (next < 1) next = 1;
        s->next[from] = next;
    }
    if (is_leader(s) && s->next[from] <= s->last_index) send_append(node, s, from);
}

/* --- server: clients --------------------------------------------------------------- */

static void server_on_request(fl_node *node, void *state, struct fl_request request,
                              const uint8_t *data, size_t size_bytes) {
    struct raft_server *s = state;
    enum msg_type type = message_open(data, size_bytes);
    fl_sometimes(node, type == 0, "raft.server_dropped_corrupt_request");
    if (type != MSG_CLIENT_REQUEST || !s->recovered) return; /* the client times out */
    struct entry e = {.term = s->term, .client = fl_get_u32(data + 1),
                      .seq = fl_get_u64(data + 5), .kind = data[13], .key = data[14],
                      .value = (int64_t)fl_get_u64(data + 15),
                      .value_to = (int64_t)fl_get_u64(data + 23)};
    bool valid = e.client >= 1 && e.client <= s->clients && e.key < s->keys &&
                 e.kind >= CMD_GET && e.kind <= CMD_CAS;
    fl_always(node, valid, "raft.client_request_valid");
    if (!valid) return;
    if (!is_leader(s)) {
        fl_sometimes(node, s->leader != NODE_NONE, "raft.redirect_with_hint");
        send_client_reply(node, request, REPLY_NOT_LEADER, e.seq, 0, s->leader);
        return;
    }
    if (e.kind == CMD_GET && s->variant == RAFT_STALE_READ) {
        /* The bug: this node may have been deposed without knowing it. */
        const struct kv_value *kv = &s->kv[e.key];
        send_client_reply(node, request, REPLY_OK, e.seq, kv->present ? kv->value : VALUE_NIL,
                          s->self);
        return;
    }
    uint32_t slot = 0;
    while (slot < PENDING_MAX && s->pending[slot].used) slot++;
    fl_sometimes(node, slot == PENDING_MAX, "raft.leader_busy");
    if (slot == PENDING_MAX) {
        send_client_reply(node, request, REPLY_BUSY, e.seq, 0, s->self);
        return;
    }
    uint64_t index = 0;
    enum reply_status status = leader_append(node, s, &e, &index);
    if (status != REPLY_OK) {
        send_client_reply(node, request, status, e.seq, 0, s->self);
        return;
    }
    s->pending[slot] = (struct pending){.used = true, .request = request, .index = index,
                                        .term = s->term};
    for (uint32_t peer = 0; peer < s->servers; peer++) {
        if (peer != s->self && !s->inflight[peer]) send_append(node, s, peer);
    }
    deferred_flush(node, s);
}

/* --- server: boot, recovery, timers ---------------------------------------------------- */

static int read_retrying(fl_node *node, const char *file, uint64_t offset, uint8_t *out,
                         size_t size, size_t *read_bytes) {
    for (uint32_t attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
        memset(out, 0, size);
        int status = fl_disk_read(node, file, offset, out, size, read_bytes);
        fl_sometimes(node, status == FL_EIO, "raft.read_error_retried");
        if (status == FL_OK) return FL_OK;
    }
    return FL_EIO;
}

/* Reads the log up to its first record that fails its chained checksum. */
static int recover_log(fl_node *node, struct raft_server *s) {
    uint8_t buf[RECORDS_PER_READ * RECORD_BYTES];
    s->last_index = 0;
    for (;;) {
        size_t got = 0;
        uint64_t first = s->last_index + 1;
        if (read_retrying(node, "log", (first - 1) * RECORD_BYTES, buf, sizeof buf, &got) !=
            FL_OK) {
            return FL_EIO;
        }
        size_t records = got / RECORD_BYTES;
        for (size_t k = 0; k < records; k++) {
            uint64_t index = first + k;
            if (index > LOG_MAX) return FL_OK;
            struct entry e;
            if (!record_decode(buf + k * RECORD_BYTES, index, s->log[index - 1].crc, &e)) {
                return FL_OK;
            }
            s->log[index] = e;
            s->last_index = index;
        }
        if (records < RECORDS_PER_READ) return FL_OK;
    }
}

static void server_recover(fl_node *node, struct raft_server *s) {
    uint8_t meta[META_BYTES];
    size_t got = 0;
    if (read_retrying(node, "meta", 0, meta, META_BYTES, &got) != FL_OK ||
        recover_log(node, s) != FL_OK) {
        fl_sometimes(node, true, "raft.recovery_postponed_read_error");
        fl_timer_set(node, RECOVER_RETRY_NS, TAG_RECOVER);
        return;
    }
    uint64_t term = 0;
    uint32_t voted_for = NODE_NONE;
    bool fresh = got == 0;
    if (!fresh && (got != META_BYTES || !meta_decode(meta, &term, &voted_for))) {
        /* Damage a crash cannot do (meta is one sector): voting from a guess
         * could vote twice, so the node stays out. */
        fl_annotate(node, "meta is damaged: the node takes no part");
        fl_sometimes(node, true, "raft.meta_damaged");
        return;
    }
    s->term = term;
    s->voted_for = voted_for;
    uint64_t stored = fl_disk_size(node, "log");
    fl_sometimes(node, stored > s->last_index * RECORD_BYTES, "raft.recovery_cut_torn_tail");
    if (stored > s->last_index * RECORD_BYTES) {
        fl_disk_truncate(node, "log", s->last_index * RECORD_BYTES);
        s->write_seq++;
    }
    /* A term at least the last entry's: the meta write that raised it may
     * have been lost while the entries survived (fates are independent). */
    uint64_t need = last_term(s) > term ? last_term(s) : term;
    if (fresh || need > term) {
        uint32_t vote = need > term ? NODE_NONE : voted_for;
        if (!persist_term_vote(node, s, need, vote)) {
            fl_timer_set(node, RECOVER_RETRY_NS, TAG_RECOVER);
            return;
        }
    }
    disk_sync_start(node, s);
    s->recovered = true;
    s->role = ROLE_FOLLOWER;
    s->leader = NODE_NONE;
    if (fl_incarnation(node) > 0) {
        fl_annotate(node, "recovered term %llu vote %d log %llu", (unsigned long long)s->term,
                    s->voted_for == NODE_NONE ? 0 : (int)s->voted_for + 1,
                    (unsigned long long)s->last_index);
    }
    election_reset(node, s);
}

static void server_start(fl_node *node, void *state) {
    struct raft_server *s = state;
    s->variant = fl_variant(node);
    s->self = fl_self(node);
    s->servers = fl_server_count(node);
    s->clients = fl_client_count(node);
    s->keys = (uint32_t)fl_param(node, "keys");
    s->batch_max = (uint32_t)fl_param(node, "batch_max");
    s->log_max = (uint32_t)fl_param(node, "log_max");
    s->election_ns = (uint64_t)fl_param(node, "election_timeout");
    s->election_jitter_ns = (uint64_t)fl_param(node, "election_jitter");
    s->heartbeat_ns = (uint64_t)fl_param(node, "heartbeat");
    s->boot = fl_incarnation(node) + 1;
    s->voted_for = NODE_NONE;
    s->leader = NODE_NONE;
    fl_always(node, s->servers <= SERVERS_MAX, "raft.servers_at_most_9");
    fl_always(node, s->clients <= CLIENTS_MAX, "raft.clients_at_most_16");
    server_recover(node, s);
}

static void server_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    struct raft_server *s = state;
    if (tag == TAG_RECOVER) {
        if (!s->recovered) server_recover(node, s);
        return;
    }
    if (tag == TAG_ELECTION) {
        fl_always(node, timer == s->election_timer, "raft.one_election_timer");
        s->election_timer = 0;
        if (is_leader(s)) return;
        uint64_t now = fl_mono_ns(node);
        if (now < s->election_deadline_ns) {
            s->election_timer = fl_timer_set(node, s->election_deadline_ns - now, TAG_ELECTION);
            return;
        }
        start_election(node, s);
        return;
    }
    fl_always(node, tag == TAG_HEARTBEAT && timer == s->heartbeat_timer,
              "raft.server_timer_known");
    s->heartbeat_timer = 0;
    if (is_leader(s)) {
        for (uint32_t peer = 0; peer < s->servers; peer++) {
            if (peer != s->self) send_append(node, s, peer);
        }
        heartbeat_arm(node, s);
    } else if (s->role == ROLE_CANDIDATE) {
        for (uint32_t peer = 0; peer < s->servers; peer++) {
            if (!(s->replied & (1u << peer))) send_vote_request(node, s, peer);
        }
        heartbeat_arm(node, s);
    }
}

static void server_on_message(fl_node *node, void *state, fl_node_id from, const uint8_t *data,
                              size_t size_bytes) {
    struct raft_server *s = state;
    enum msg_type type = message_open(data, size_bytes);
    fl_sometimes(node, type == 0, "raft.server_dropped_corrupt");
    if (type == 0 || !s->recovered || from >= s->servers || from == s->self) return;
    switch (type) {
    case MSG_VOTE_REQUEST: on_vote_request(node, s, from, data); break;
    case MSG_VOTE_REPLY: on_vote_reply(node, s, from, data); break;
    case MSG_APPEND: on_append(node, s, from, data); break;
    case MSG_APPEND_REPLY: on_append_reply(node, s, from, data); break;
    default: break;
    }
    deferred_flush(node, s);
}

static void server_on_sync(fl_node *node, void *state, uint64_t sync_id, uint64_t tag,
                           int status) {
    (void)sync_id;
    struct raft_server *s = state;
    fl_always(node, s->sync_in_flight, "raft.sync_expected");
    s->sync_in_flight = false;
    fl_sometimes(node, status != FL_OK, "raft.sync_failed_retried");
    if (status == FL_OK && tag > s->durable_seq) s->durable_seq = tag;
    deferred_flush(node, s);
    disk_sync_start(node, s); /* later writes, or the failed ones again */
}

static void server_describe_state(const void *state, struct fl_state_view *out) {
    const struct raft_server *s = state;
    static const char *const roles[] = {"follower", "candidate", "leader"};
    snprintf(out->role, sizeof out->role, "%s", s->recovered ? roles[s->role % 3] : "recovering");
    snprintf(out->label, sizeof out->label, "term %llu commit %llu", (unsigned long long)s->term,
             (unsigned long long)s->commit);
}

static void server_describe_message(const uint8_t *data, size_t size_bytes,
                                    struct fl_message_view *out);

static const struct fl_service raft_server_service = {
    .state_size_bytes = sizeof(struct raft_server),
    .start = server_start,
    .on_message = server_on_message,
    .on_timer = server_on_timer,
    .on_request = server_on_request,
    .on_sync = server_on_sync,
    .describe_state = server_describe_state,
    .describe_message = server_describe_message,
};

/* --- messages as a person reads them ------------------------------------------------------ */

static uint64_t trace_id_of(uint32_t client, uint64_t seq) {
    return client == 0 ? 0 : (uint64_t)client << 40 | seq;
}

static void server_describe_message(const uint8_t *data, size_t size_bytes,
                                    struct fl_message_view *out) {
    static const char *const kinds[] = {"",       "vote_request",  "vote",
                                        "append_entries", "append_reply", "client_request",
                                        "client_reply"};
    static const char *const statuses[] = {"ok", "cas_failed", "not_leader",
                                           "log_full", "busy", "disk_full"};
    enum msg_type type = message_open(data, size_bytes);
    if (type == 0) {
        snprintf(out->kind, sizeof out->kind, "corrupt");
        return;
    }
    snprintf(out->kind, sizeof out->kind, "%s", kinds[type]);
    unsigned long long term = (unsigned long long)fl_get_u64(data + 1);
    switch (type) {
    case MSG_VOTE_REQUEST:
        snprintf(out->text, sizeof out->text, "term %llu last %llu/%llu", term,
                 (unsigned long long)fl_get_u64(data + 9),
                 (unsigned long long)fl_get_u64(data + 17));
        break;
    case MSG_VOTE_REPLY:
        snprintf(out->text, sizeof out->text, "term %llu %s", term,
                 data[9] ? "granted" : "refused");
        break;
    case MSG_APPEND: {
        uint32_t count = (uint32_t)data[33] | (uint32_t)data[34] << 8;
        snprintf(out->text, sizeof out->text, "term %llu prev %llu/%llu %u entr%s commit %llu",
                 term, (unsigned long long)fl_get_u64(data + 9),
                 (unsigned long long)fl_get_u64(data + 17), count, count == 1 ? "y" : "ies",
                 (unsigned long long)fl_get_u64(data + 25));
        if (count > 0) {
            struct entry e = entry_get_wire(data + APPEND_HEADER_BYTES);
            out->trace_id = trace_id_of(e.client, e.seq);
        }
        break;
    }
    case MSG_APPEND_REPLY:
        snprintf(out->text, sizeof out->text, "term %llu %s %llu", term,
                 data[9] ? "match" : "mismatch, retry from",
                 (unsigned long long)fl_get_u64(data + 10));
        break;
    case MSG_CLIENT_REQUEST: {
        struct entry e = {.client = fl_get_u32(data + 1), .seq = fl_get_u64(data + 5),
                          .kind = data[13], .key = data[14],
                          .value = (int64_t)fl_get_u64(data + 15),
                          .value_to = (int64_t)fl_get_u64(data + 23)};
        entry_describe(&e, out->text, sizeof out->text);
        char *cut = strstr(out->text, ", term");
        if (cut != NULL) snprintf(cut, sizeof out->text - (size_t)(cut - out->text), ")");
        out->trace_id = trace_id_of(e.client, e.seq);
        break;
    }
    case MSG_CLIENT_REPLY: {
        uint32_t leader = fl_get_u32(data + 18);
        if (data[1] == REPLY_NOT_LEADER && leader != NODE_NONE) {
            snprintf(out->text, sizeof out->text, "not leader, try n%u", leader + 1);
        } else {
            snprintf(out->text, sizeof out->text, "%s value %lld",
                     data[1] < 6 ? statuses[data[1]] : "?", (long long)fl_get_u64(data + 10));
        }
        break;
    }
    }
}

/* --- client ------------------------------------------------------------------------ */

struct raft_client {
    uint32_t index; /* 0-based among clients; commands carry index + 1 */
    uint32_t servers;
    uint32_t keys;
    uint32_t read_percent; /* params.read_share */
    uint32_t cas_percent;  /* params.cas_share */
    uint64_t interval_ns;  /* params.op_interval */
    uint64_t timeout_ns;   /* params.client_timeout */
    uint64_t deadline_ns;  /* params.op_deadline */

    /* the operation in progress (one at a time) */
    uint64_t seq; /* of the current or last op; retries reuse it */
    bool active;
    uint8_t kind;
    uint8_t key;
    int64_t value;
    int64_t value_to;
    uint64_t history_op;
    uint64_t started_ns;  /* monotonic */
    bool maybe_applied;   /* some attempt may have reached a leader's log */
    uint32_t target;
    uint64_t request_id;  /* of the attempt in flight; 0: none */
    fl_timer_id attempt_timer;
    int64_t known[KEYS_MAX]; /* the last value this client saw per key */

    /* what the checker reads */
    uint64_t done_seq;
    uint8_t done_status; /* enum fl_op_status */
    bool done_gave_up;   /* it ended at its deadline, not with an answer */
    uint64_t ops_ok, ops_fail, ops_info, redirects, timeouts;
};

#ifdef FL_VALUE_NIL
_Static_assert(FL_VALUE_NIL == VALUE_NIL, "one nil");
static uint64_t history_invoke(fl_node *node, uint8_t kind, uint32_t key, int64_t value,
                               int64_t value_to) {
    enum fl_op_kind k = kind == CMD_GET ? FL_OP_READ : kind == CMD_PUT ? FL_OP_WRITE : FL_OP_CAS;
    return fl_history_invoke(node, k, key, value, value_to);
}
static void history_return(fl_node *node, uint64_t op, uint8_t status, int64_t value_out) {
    fl_history_return(node, op, (enum fl_op_status)status, value_out);
}
#define OP_OK FL_OP_OK
#define OP_FAIL FL_OP_FAIL
#define OP_INFO FL_OP_INFO
#else
static uint64_t history_invoke(fl_node *node, uint8_t kind, uint32_t key, int64_t value,
                               int64_t value_to) {
    (void)node, (void)kind, (void)key, (void)value, (void)value_to;
    return 1;
}
static void history_return(fl_node *node, uint64_t op, uint8_t status, int64_t value_out) {
    (void)node, (void)op, (void)status, (void)value_out;
}
enum { OP_OK = 0, OP_FAIL = 1, OP_INFO = 2 };
#endif

static void client_schedule_next(fl_node *node, struct raft_client *c) {
    fl_timer_set(node, c->interval_ns / 2 + fl_random_below(node, c->interval_ns + 1), TAG_NEXT_OP);
}

static void client_finish(fl_node *node, struct raft_client *c, uint8_t status, int64_t value) {
    history_return(node, c->history_op, status, value);
    c->active = false;
    c->done_seq = c->seq;
    c->done_status = status;
    c->done_gave_up = false;
    c->ops_ok += status == OP_OK;
    c->ops_fail += status == OP_FAIL;
    c->ops_info += status == OP_INFO;
    if (c->request_id != 0) fl_timer_cancel(node, c->attempt_timer);
    c->request_id = 0;
    client_schedule_next(node, c);
}

static void client_attempt(fl_node *node, struct raft_client *c) {
    uint8_t msg[40];
    msg[0] = MSG_CLIENT_REQUEST;
    fl_put_u32(msg + 1, c->index + 1);
    fl_put_u64(msg + 5, c->seq);
    msg[13] = c->kind;
    msg[14] = c->key;
    fl_put_u64(msg + 15, (uint64_t)c->value);
    fl_put_u64(msg + 23, (uint64_t)c->value_to);
    c->request_id = fl_request(node, c->target, msg, message_seal(msg, 31));
    c->attempt_timer = fl_timer_set(node, c->timeout_ns, TAG_ATTEMPT);
}

/* How an op no leader took ends: fail if no attempt can have been appended,
 * else info. A refused CAS is info too: to the history checker a failed CAS
 * says the compare did not match, which a refusal never observed. */
static uint8_t client_refused_status(const struct raft_client *c) {
    return c->maybe_applied || c->kind == CMD_CAS ? OP_INFO : OP_FAIL;
}

/* Gives up once past the op's deadline. */
static bool client_past_deadline(fl_node *node, struct raft_client *c) {
    if (fl_mono_ns(node) - c->started_ns < c->deadline_ns) return false;
    client_finish(node, c, client_refused_status(c), 0);
    c->done_gave_up = true;
    return true;
}

static void client_begin(fl_node *node, struct raft_client *c) {
    c->seq++;
    c->key = (uint8_t)fl_random_below(node, c->keys);
    uint32_t roll = (uint32_t)fl_random_below(node, 100);
    /* Unique across clients and their restarts: the checker then tells writes apart. */
    uint64_t writer = (uint64_t)(c->seq >> 32) * CLIENTS_MAX + c->index + 1;
    int64_t fresh = (int64_t)(writer * 1000000000u + (c->seq & 0xffffffffu));
    c->value = 0;
    c->value_to = 0;
    if (roll < c->read_percent) {
        c->kind = CMD_GET;
    } else if (roll < c->read_percent + c->cas_percent && c->known[c->key] != VALUE_NIL) {
        c->kind = CMD_CAS;
        c->value = c->known[c->key];
        c->value_to = fresh;
    } else {
        c->kind = CMD_PUT;
        c->value = fresh;
    }
    c->history_op = history_invoke(node, c->kind, c->key, c->value, c->value_to);
    c->active = true;
    c->maybe_applied = false;
    c->started_ns = fl_mono_ns(node);
    client_attempt(node, c);
}

static void client_start(fl_node *node, void *state) {
    struct raft_client *c = state;
    c->index = fl_self(node) - fl_server_count(node);
    c->servers = fl_server_count(node);
    c->keys = (uint32_t)fl_param(node, "keys");
    c->read_percent = (uint32_t)fl_param(node, "read_share");
    c->cas_percent = (uint32_t)fl_param(node, "cas_share");
    c->interval_ns = (uint64_t)fl_param(node, "op_interval");
    c->timeout_ns = (uint64_t)fl_param(node, "client_timeout");
    c->deadline_ns = (uint64_t)fl_param(node, "op_deadline");
    c->target = (uint32_t)fl_random_below(node, c->servers);
    for (uint32_t k = 0; k < KEYS_MAX; k++) c->known[k] = VALUE_NIL;
    /* A client that restarts starts a new session at a higher seq: the
     * servers' sessions remember its old ones. */
    c->seq = (uint64_t)fl_incarnation(node) << 32;
    client_schedule_next(node, c);
}

static void client_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    struct raft_client *c = state;
    if (tag == TAG_NEXT_OP) {
        if (!c->active) client_begin(node, c);
        return;
    }
    if (!c->active) return;
    if (tag == TAG_ATTEMPT) {
        if (timer != c->attempt_timer || c->request_id == 0) return;
        c->request_id = 0;
        c->maybe_applied = true;
        c->timeouts++;
        if (client_past_deadline(node, c)) return;
        c->target = (c->target + 1) % c->servers;
        client_attempt(node, c);
        return;
    }
    fl_always(node, tag == TAG_BACKOFF, "raft.client_timer_known");
    if (c->request_id == 0 && !client_past_deadline(node, c)) client_attempt(node, c);
}

static void client_on_reply(fl_node *node, void *state, fl_node_id from, uint64_t request_id,
                            const uint8_t *data, size_t size_bytes) {
    struct raft_client *c = state;
    fl_sometimes(node, request_id != c->request_id, "raft.late_or_duplicate_reply");
    if (!c->active || request_id != c->request_id) return;
    enum msg_type type = message_open(data, size_bytes);
    fl_sometimes(node, type == 0, "raft.client_dropped_corrupt");
    if (type != MSG_CLIENT_REPLY || fl_get_u64(data + 2) != c->seq) return; /* times out */
    fl_timer_cancel(node, c->attempt_timer);
    c->request_id = 0;
    uint8_t status = data[1];
    int64_t value = (int64_t)fl_get_u64(data + 10);
    uint32_t leader = fl_get_u32(data + 18);
    if (status == REPLY_OK) {
        if (c->kind == CMD_GET) c->known[c->key] = value;
        if (c->kind == CMD_PUT) c->known[c->key] = c->value;
        if (c->kind == CMD_CAS) c->known[c->key] = c->value_to;
        client_finish(node, c, OP_OK, c->kind == CMD_GET ? value : 0);
    } else if (status == REPLY_CAS_FAILED) {
        c->known[c->key] = value;
        client_finish(node, c, OP_FAIL, 0);
    } else if (status == REPLY_NOT_LEADER || status == REPLY_BUSY) {
        c->redirects++;
        bool hint = status == REPLY_NOT_LEADER && leader < c->servers && leader != from;
        fl_sometimes(node, hint, "raft.client_followed_redirect");
        if (hint) {
            c->target = leader;
            if (!client_past_deadline(node, c)) client_attempt(node, c);
            return;
        }
        if (status == REPLY_NOT_LEADER) c->target = (c->target + 1) % c->servers;
        fl_timer_set(node, CLIENT_BACKOFF_NS, TAG_BACKOFF);
    } else {
        /* LOG_FULL, DISK_FULL: this attempt was not appended, an earlier one may have been. */
        client_finish(node, c, client_refused_status(c), 0);
    }
}

static const struct fl_service raft_client_service = {
    .state_size_bytes = sizeof(struct raft_client),
    .start = client_start,
    .on_timer = client_on_timer,
    .on_reply = client_on_reply,
    .describe_message = server_describe_message,
};

/* --- checkers ------------------------------------------------------------------------ */

#define TERM_SLOTS 1024 /* terms remembered for election safety (a ring by term) */
#define LM_WAYS 3       /* distinct terms remembered per index for log matching */
#define LATE_TEXT_MAX 200

struct checker_server {
    uint32_t boot;        /* of the state last scanned; 0 while down */
    uint64_t lm_seen;     /* log entries up to here were checked for log matching */
    uint64_t trunc_count; /* the node's truncations when last scanned */
    uint64_t applied_seen;
};

struct checker_client {
    uint64_t seq;       /* the op last seen started */
    uint64_t invoke_ns; /* when (true time) */
    bool active;
};

struct raft_checker {
    struct {
        uint64_t term;
        uint32_t leader_plus1;
    } term_leader[TERM_SLOTS];
    struct {
        struct entry entry; /* the command the first server to apply this index applied */
        uint32_t node_plus1;
    } applied[LOG_MAX + 1];
    struct {
        uint64_t term;
        uint32_t crc;
        uint32_t node_plus1;
    } lm[LOG_MAX + 1][LM_WAYS];
    struct checker_server servers[SERVERS_MAX];
    struct checker_client clients[CLIENTS_MAX];
    /* leader completeness: the highest index known committed by the current-term rule */
    uint64_t cert_index;
    uint64_t cert_term; /* the term of the leader that committed it */
    uint32_t cert_crc;  /* its chained checksum: the whole log up to it */
    uint32_t cert_by;
    /* liveness */
    bool bound_read;      /* params.liveness_bound, read once (a lookup by name costs) */
    int64_t bound_ns;
    bool leader_after_quiet;
    uint64_t leader_after_quiet_ns;
    bool late;
    char late_text[LATE_TEXT_MAX];
};

/* "12.345 s", with integers only (the text is part of the fingerprint). */
struct seconds_text {
    char text[32];
};

static struct seconds_text seconds(uint64_t ns) {
    struct seconds_text t;
    snprintf(t.text, sizeof t.text, "%llu.%03llu s", (unsigned long long)(ns / 1000000000u),
             (unsigned long long)(ns / 1000000u % 1000u));
    return t;
}

static void check_election_safety(fl_world *world, struct raft_checker *k, uint32_t id,
                                  const struct raft_server *s) {
    if (!is_leader(s)) return;
    uint64_t slot = s->term % TERM_SLOTS;
    if (k->term_leader[slot].term == s->term && k->term_leader[slot].leader_plus1 != id + 1) {
        uint32_t a = k->term_leader[slot].leader_plus1, b = id + 1;
        fl_world_violation(world, "raft.election_safety", "two leaders in term %llu: n%u and n%u",
                           (unsigned long long)s->term, a < b ? a : b, a < b ? b : a);
        return;
    }
    if (k->term_leader[slot].term <= s->term) {
        k->term_leader[slot].term = s->term;
        k->term_leader[slot].leader_plus1 = id + 1;
    }
}

static void check_log_matching(fl_world *world, struct raft_checker *k, uint32_t id,
                               const struct raft_server *s) {
    struct checker_server *cs = &k->servers[id];
    if (cs->trunc_count != s->trunc_count) {
        cs->trunc_count = s->trunc_count;
        if (cs->lm_seen >= s->trunc_index) cs->lm_seen = s->trunc_index - 1;
    }
    if (cs->lm_seen > s->last_index) cs->lm_seen = s->last_index;
    for (uint64_t i = cs->lm_seen + 1; i <= s->last_index; i++) {
        const struct entry *e = &s->log[i];
        uint32_t way = 0;
        while (way < LM_WAYS && k->lm[i][way].node_plus1 != 0 && k->lm[i][way].term != e->term) {
            way++;
        }
        if (way == LM_WAYS) continue; /* too many terms at this index to remember */
        if (k->lm[i][way].node_plus1 == 0) {
            k->lm[i][way].term = e->term;
            k->lm[i][way].crc = e->crc;
            k->lm[i][way].node_plus1 = id + 1;
        } else if (k->lm[i][way].crc != e->crc) {
            fl_world_violation(world, "raft.log_matching",
                               "n%u and n%u both hold index %llu of term %llu, but their logs up "
                               "to it differ",
                               k->lm[i][way].node_plus1, id + 1, (unsigned long long)i,
                               (unsigned long long)e->term);
            return;
        }
    }
    cs->lm_seen = s->last_index;
}

static void check_state_machine_safety(fl_world *world, struct raft_checker *k, uint32_t id,
                                       const struct raft_server *s) {
    struct checker_server *cs = &k->servers[id];
    if (cs->applied_seen > s->applied) cs->applied_seen = 0;
    for (uint64_t i = cs->applied_seen + 1; i <= s->applied; i++) {
        if (k->applied[i].node_plus1 == 0) {
            k->applied[i].entry = s->log[i];
            k->applied[i].node_plus1 = id + 1;
            continue;
        }
        if (entry_digest(&k->applied[i].entry) == entry_digest(&s->log[i])) continue;
        char mine[96], theirs[96];
        entry_describe(&s->log[i], mine, sizeof mine);
        entry_describe(&k->applied[i].entry, theirs, sizeof theirs);
        fl_world_violation(world, "raft.state_machine_safety",
                           "n%u applied %s at index %llu, n%u applied %s there",
                           k->applied[i].node_plus1, theirs, (unsigned long long)i, id + 1, mine);
        return;
    }
    cs->applied_seen = s->applied;
}

static void check_leader_completeness(fl_world *world, struct raft_checker *k, uint32_t id,
                                      const struct raft_server *s) {
    if (!is_leader(s)) return;
    if (s->commit > k->cert_index && s->log[s->commit].term == s->term) {
        k->cert_index = s->commit;
        k->cert_term = s->term;
        k->cert_crc = s->log[s->commit].crc;
        k->cert_by = id;
        return;
    }
    if (k->cert_index == 0 || s->term <= k->cert_term) return;
    if (s->last_index >= k->cert_index && s->log[k->cert_index].crc == k->cert_crc) return;
    fl_world_violation(world, "raft.leader_completeness",
                       "n%u leads term %llu without index %llu as n%u committed it in term %llu",
                       id + 1, (unsigned long long)s->term, (unsigned long long)k->cert_index,
                       k->cert_by + 1, (unsigned long long)k->cert_term);
}

/* A leader a majority follows, in its term. */
static bool leader_established(fl_world *world, uint32_t servers, uint32_t id,
                               const struct raft_server *leader) {
    uint32_t with = 0;
    for (uint32_t j = 0; j < servers; j++) {
        const struct raft_server *s = fl_world_state(world, j);
        if (s == NULL || !s->recovered || s->term != leader->term) continue;
        with += j == id || (s->role == ROLE_FOLLOWER && s->leader == id);
    }
    return with >= servers / 2 + 1;
}

static void check_client_progress(fl_world *world, struct raft_checker *k, uint64_t now,
                                  uint64_t quiet, uint64_t bound) {
    uint32_t servers = fl_world_server_count(world);
    for (uint32_t i = 0; i < fl_world_client_count(world) && i < CLIENTS_MAX; i++) {
        const struct raft_client *c = fl_world_state(world, servers + i);
        if (c == NULL) continue;
        struct checker_client *cc = &k->clients[i];
        if (cc->active && c->done_seq == cc->seq) {
            cc->active = false;
            uint64_t from = cc->invoke_ns > quiet ? cc->invoke_ns : quiet;
            bool gave_up = c->done_gave_up && cc->invoke_ns >= quiet;
            if (!k->late && now >= quiet && (gave_up || now - from > bound)) {
                k->late = true;
                snprintf(k->late_text, sizeof k->late_text,
                         "c%u's op #%llu, invoked at %s, %s at %s (faults healed at %s)",
                         i + 1, (unsigned long long)(cc->seq & 0xffffffffu),
                         seconds(cc->invoke_ns).text,
                         gave_up ? "gave up without an answer" : "completed only",
                         seconds(now).text, seconds(quiet).text);
            }
        }
        if (c->active && c->seq != cc->seq) {
            cc->seq = c->seq;
            cc->invoke_ns = now;
            cc->active = true;
        }
    }
}

static void raft_check_step(fl_world *world) {
    struct raft_checker *k = fl_world_checker_state(world);
    uint32_t servers = fl_world_server_count(world);
    uint64_t now = fl_world_now_ns(world), quiet = fl_world_quiet_since_ns(world);
    bool want_leader = !k->leader_after_quiet && now >= quiet;
    for (uint32_t id = 0; id < servers && id < SERVERS_MAX; id++) {
        const struct raft_server *s = fl_world_state(world, id);
        struct checker_server *cs = &k->servers[id];
        if (s == NULL) {
            cs->boot = 0;
            continue;
        }
        if (cs->boot != s->boot) {
            *cs = (struct checker_server){.boot = s->boot, .trunc_count = s->trunc_count};
        }
        if (!s->recovered) continue;
        check_election_safety(world, k, id, s);
        check_log_matching(world, k, id, s);
        check_state_machine_safety(world, k, id, s);
        check_leader_completeness(world, k, id, s);
        if (want_leader && is_leader(s) && leader_established(world, servers, id, s)) {
            k->leader_after_quiet = true;
            k->leader_after_quiet_ns = now;
        }
    }
    if (!k->bound_read) {
        k->bound_ns = fl_world_param(world, "liveness_bound");
        k->bound_read = true;
    }
    if (k->bound_ns > 0) check_client_progress(world, k, now, quiet, (uint64_t)k->bound_ns);
}

/* Liveness, judged only if the run lasted liveness_bound past the quiet time. */
static void raft_check_end(fl_world *world) {
    struct raft_checker *k = fl_world_checker_state(world);
    uint64_t now = fl_world_now_ns(world), quiet = fl_world_quiet_since_ns(world);
    int64_t bound_param = fl_world_param(world, "liveness_bound");
    if (bound_param <= 0 || now < quiet || now - quiet < (uint64_t)bound_param) return;
    uint64_t bound = (uint64_t)bound_param;
    if (!k->leader_after_quiet || k->leader_after_quiet_ns - quiet > bound) {
        fl_world_violation(world, "raft.liveness",
                           "no leader a majority follows within %s after the faults healed at %s",
                           seconds(bound).text, seconds(quiet).text);
        return;
    }
    if (k->late) {
        fl_world_violation(world, "raft.liveness", "%s; the bound is %s", k->late_text,
                           seconds(bound).text);
        return;
    }
    for (uint32_t i = 0; i < fl_world_client_count(world) && i < CLIENTS_MAX; i++) {
        const struct checker_client *cc = &k->clients[i];
        uint64_t from = cc->invoke_ns > quiet ? cc->invoke_ns : quiet;
        if (!cc->active || now - from <= bound) continue;
        fl_world_violation(world, "raft.liveness",
                           "c%u's op #%llu, invoked at %s, is still pending at the end "
                           "(%s; faults healed at %s, the bound is %s)",
                           i + 1, (unsigned long long)(cc->seq & 0xffffffffu),
                           seconds(cc->invoke_ns).text, seconds(now).text, seconds(quiet).text,
                           seconds(bound).text);
        return;
    }
}

/* --- the model ---------------------------------------------------------------------- */

static const char *const raft_variants[] = {
    "correct", "vote_before_persist", "figure8", "double_vote_after_restart", "stale_read", NULL,
};
static const char *const raft_variant_help[] = {
    "Raft with durable votes and entries, current-term commits, reads through the log",
    "replies to a vote before it is durable: a crash lets the node vote again in the term",
    "commits an old-term entry by counting replicas (Raft paper, figure 8); no no-op",
    "does not persist votedFor: after a restart the node votes a second time in a term",
    "a leader serves reads from its own state without confirming it still leads",
    NULL,
};

static const struct fl_param raft_params[] = {
    {"election_timeout", FL_PARAM_DURATION, 1000000, 60000000000, 150000000,
     "a follower that hears no leader this long (plus a jitter) becomes a candidate"},
    {"election_jitter", FL_PARAM_DURATION, 0, 60000000000, 150000000,
     "the election timeout is drawn uniformly up to this much above election_timeout"},
    {"heartbeat", FL_PARAM_DURATION, 100000, 60000000000, 50000000,
     "a leader sends AppendEntries to every follower this often (a candidate re-asks votes)"},
    {"client_timeout", FL_PARAM_DURATION, 1000000, 3600000000000, 200000000,
     "a client retries an attempt at the next server after this long"},
    {"op_deadline", FL_PARAM_DURATION, 1000000, 3600000000000, 3000000000,
     "a client gives up on an operation after this long (recorded as info, or fail)"},
    {"op_interval", FL_PARAM_DURATION, 1000, 3600000000000, 50000000,
     "mean pause between a client's operations (uniform in [interval/2, 3*interval/2])"},
    {"keys", FL_PARAM_INT, 1, KEYS_MAX, 5, "keys the clients read and write"},
    {"read_share", FL_PARAM_INT, 0, 100, 40, "percent of operations that are GET"},
    {"cas_share", FL_PARAM_INT, 0, 100, 20,
     "percent that are CAS from the last value the client saw (the rest are PUT)"},
    {"batch_max", FL_PARAM_INT, 1, BATCH_MAX, 32, "entries in one AppendEntries message"},
    {"log_max", FL_PARAM_INT, 16, LOG_MAX, LOG_MAX,
     "entries a log holds; a leader refuses commands beyond it (log full)"},
    {"liveness_bound", FL_PARAM_DURATION, 0, 3600000000000, 5000000000,
     "after the faults heal, a leader and every client op within this; 0: no liveness check"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model fl_model_raft = {
    .name = "raft",
    .summary = "Raft: elections, log replication and a key-value store on the simulated disk",
    .server = &raft_server_service,
    .client = &raft_client_service,
    .variants = raft_variants,
    .variant_help = raft_variant_help,
    .params = raft_params,
    .server_count_min = 3,
    .checker_state_bytes = sizeof(struct raft_checker),
    .check_step = raft_check_step,
    .check_end = raft_check_end,
#ifdef FL_VALUE_NIL
    .history_check = FL_HISTORY_KV,
#endif
};
