/*
 * faultline service API: the only header a model includes.
 *
 * A model is ordinary service code written against this interface. The engine
 * calls the service's callbacks (start, on_message, on_timer, on_request,
 * on_reply) one at a time, in a deterministic order, and the service acts on the
 * world only through the fl_* calls below: it sends bytes, sets timers, reads
 * its own clocks, draws from its own random stream, replies to clients, writes
 * annotations to the trace and makes assertions.
 *
 * Because a model sees nothing but this header, the same source can later be
 * built against another runtime (a real network), and a user can write a model
 * out of tree against the installed library.
 *
 * Rules a model keeps (the engine cannot enforce them all; docs/writing-a-model.md
 * explains why each one matters for determinism):
 *   - all state lives in the state block the engine hands to each callback; no
 *     globals, no statics with state, no heap memory that outlives a crash;
 *   - messages are bytes: encode explicitly, never send a pointer;
 *   - time comes from fl_mono_ns / fl_wall_ns, randomness from fl_random*.
 *
 * Disk: every node has its own disk of named files. Writes, reads and truncates
 * act at once on the node's volatile cache (as with a POSIX page cache: a read
 * sees the node's own writes); nothing is durable until a later fl_disk_sync
 * completes, which takes time and is reported by on_sync. A crash drops, keeps
 * or tears (sector by sector) whatever was not durable; a restart sees only
 * what the disk holds. Injected disk faults are status codes the model must
 * handle (FL_EIO, FL_ENOSPC), or silent (lost, misdirected, corrupted writes:
 * only a checksum notices). docs/disk-model.md describes it all.
 *
 * Node ids: servers are 0 .. server_count-1 (written n1 .. nN in scenarios and
 * traces), clients follow them (c1 .. cM). Clients are nodes too: they run the
 * model's client service over the same faulty network.
 */
#ifndef FAULTLINE_SERVICE_H
#define FAULTLINE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define FL_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define FL_PRINTF(fmt_index, first_arg)
#endif

typedef struct fl_node fl_node;   /* a running server or client, as its own code sees it */
typedef struct fl_world fl_world; /* the god's-eye view a checker gets */

typedef uint32_t fl_node_id;  /* servers first, then clients */
typedef uint64_t fl_timer_id; /* never 0 for a live timer */

#define FL_NODE_NONE UINT32_MAX

/* Status codes of disk calls: injected faults are values, not crashes. */
enum fl_status {
    FL_OK = 0,
    FL_EIO = -5,      /* the device failed: a read error, a failed sync */
    FL_ENOSPC = -28,  /* the disk is full */
};
const char *fl_strerror(int status);

#define FL_FILE_NAME_MAX 32 /* bytes of a file name, the terminating NUL included */

/* A client request as the server sees it. Plain data: a server may store it in
 * its state and reply later (or never). */
struct fl_request {
    fl_node_id client; /* who asked */
    uint64_t id;       /* unique within the run, assigned by the engine */
};

/* How a node and its messages look to a person: the visualizer colours a node
 * by its role and shows its label; a message shows its kind and one line.
 * Filled in by the optional describe_* callbacks below; fixed-size, so the
 * engine never allocates for them. */
#define FL_VIEW_ROLE_MAX 16  /* "leader", "follower", "idle": NUL included */
#define FL_VIEW_LABEL_MAX 64 /* "term 4 commit 17" */
#define FL_VIEW_TEXT_MAX 96  /* "append_entries term 4 prev 16/3 1 entry" */

struct fl_state_view {
    char role[FL_VIEW_ROLE_MAX];   /* a short word; "" for none */
    char label[FL_VIEW_LABEL_MAX]; /* a few words; "" for none */
};

struct fl_message_view {
    char kind[FL_VIEW_ROLE_MAX]; /* "vote_request", "charge"; "" for none */
    char text[FL_VIEW_TEXT_MAX]; /* one line of its content; "" for none */
    uint64_t trace_id;           /* the request (saga, order, job) it belongs to; 0: none */
};

/* The callbacks of one service. Any callback may be NULL: the event is then
 * traced and ignored. */
struct fl_service {
    size_t state_size_bytes; /* zeroed before every start, poisoned on crash */

    /* Fresh boot or restart: fl_incarnation(node) is 0 on the first boot. On a
     * restart the state block is zeroed again: whatever survives a crash must
     * come from the node's disk. */
    void (*start)(fl_node *node, void *state);

    void (*on_message)(fl_node *node, void *state, fl_node_id from, const uint8_t *data,
                       size_t size_bytes);

    /* A timer set with fl_timer_set fired; tag is the value given then. */
    void (*on_timer)(fl_node *node, void *state, fl_timer_id timer, uint64_t tag);

    /* Server side: a client's request arrived. Reply with fl_reply. */
    void (*on_request)(fl_node *node, void *state, struct fl_request request,
                       const uint8_t *data, size_t size_bytes);

    /* Client side: the reply to the request fl_request returned request_id for. */
    void (*on_reply)(fl_node *node, void *state, fl_node_id from, uint64_t request_id,
                     const uint8_t *data, size_t size_bytes);

    /* The sync fl_disk_sync returned sync_id for completed: with FL_OK every
     * write and truncate issued before it is durable; with FL_EIO none of
     * them is (they stay pending, as after a failed fsync). A crash before
     * completion cancels it. */
    void (*on_sync)(fl_node *node, void *state, uint64_t sync_id, uint64_t tag, int status);

    /* Optional, for the trace and the visualizer only: never part of the
     * fingerprint, called only while a trace is written, and they must only
     * read. describe_state tells the node's role and label from its state
     * block; describe_message tells what a message this service sent is
     * (out is zeroed before either call). NULL: the node shows no role, the
     * message no kind. */
    void (*describe_state)(const void *state, struct fl_state_view *out);
    void (*describe_message)(const uint8_t *data, size_t size_bytes, struct fl_message_view *out);
};

/* A model parameter a scenario may set under "params". Values are integers;
 * FL_PARAM_DURATION values are nanoseconds, written "250ms" in a scenario. */
enum fl_param_kind {
    FL_PARAM_INT = 1,
    FL_PARAM_DURATION = 2,
    FL_PARAM_BOOL = 3,
};

struct fl_param {
    const char *name; /* NULL ends a parameter table */
    enum fl_param_kind kind;
    int64_t value_min;
    int64_t value_max;
    int64_t value_default;
    const char *help; /* one line, for docs and `faultline list` */
};

/* Which history check the engine runs at the end of a run on the operations
 * the model's clients recorded with fl_history_invoke / fl_history_return
 * (docs/linearizability.md, "Histories from a run"). */
enum fl_history_check {
    FL_HISTORY_NONE = 0,     /* no history check (the operations are still traced) */
    FL_HISTORY_REGISTER = 1, /* one register: every op's key must be 0 */
    FL_HISTORY_KV = 2,       /* one register per key, each checked on its own */
};

/* A model as the engine and the CLI see it. */
struct fl_model {
    const char *name;    /* as written in a scenario's "model" */
    const char *summary; /* one line */
    const struct fl_service *server;
    const struct fl_service *client;   /* NULL: the model runs no clients */
    const char *const *variants;       /* NULL-terminated; variants[0] is the correct one */
    const char *const *variant_help;   /* same length as variants, one line each */
    const struct fl_param *params;     /* terminated by a NULL name; may be NULL */
    uint32_t server_count_min;         /* scenarios asking for fewer are rejected */

    /* Checkers, with the god's-eye view. check_step runs after every event
     * (keep it cheap); check_end once when the run reaches its end. Either may be
     * NULL. Both report through fl_world_violation, and may keep memory between
     * calls in a zeroed block of checker_state_bytes (fl_world_checker_state). */
    size_t checker_state_bytes;
    void (*check_step)(fl_world *world);
    void (*check_end)(fl_world *world);

    /* The engine checks the recorded operation history for linearizability when
     * the run reaches its end (duration or idleness) without a violation; a
     * history that is not linearizable, or whose check ran out of budget, is a
     * violation of the check "linearizable". 0 (FL_HISTORY_NONE): no check. */
    enum fl_history_check history_check;
    /* The check's search budget in states (faultline lin --budget); past it the
     * history is unchecked, which is a violation too. 0: the default (4194304). */
    uint64_t history_states_max;
};

/* --- message encoding ---------------------------------------------------------
 * Messages and disk records are bytes with an explicit layout: these write and
 * read little-endian integers at any alignment, the same bytes on every host
 * (a struct copied as it is would carry padding, byte order and pointers). One
 * load or store each: compilers do not merge a loop over bytes. */

static inline uint64_t fl_le64(uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

static inline void fl_put_u64(uint8_t *p, uint64_t v) {
    v = fl_le64(v);
    memcpy(p, &v, sizeof v);
}

static inline uint64_t fl_get_u64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return fl_le64(v);
}

static inline void fl_put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t fl_get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Checksums for records and messages (sim/checksum.c), one copy for every model.
 * fl_crc32c: CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), what storage
 * engines put on their records: it detects every burst of up to 32 flipped bits,
 * so a torn record or one flipped bit never passes. fl_crc32c("123456789", 9) =
 * 0xe3069283. fl_crc32c_extend(fl_crc32c(a), b) = fl_crc32c(a || b), and
 * fl_crc32c_extend(0, a) = fl_crc32c(a): a checksum chained over a whole log.
 * fl_fnv1a32: 32-bit FNV-1a, cheaper, for messages: every step is a bijection of
 * the state, so any one changed byte changes it. fl_fnv1a32("", 0) = 0x811c9dc5. */
uint32_t fl_crc32c(const void *data, size_t size_bytes);
uint32_t fl_crc32c_extend(uint32_t crc, const void *data, size_t size_bytes);
uint32_t fl_fnv1a32(const void *data, size_t size_bytes);

/* --- who am I ------------------------------------------------------------- */

fl_node_id fl_self(const fl_node *node);
uint32_t fl_server_count(const fl_node *node);
uint32_t fl_client_count(const fl_node *node);
bool fl_is_client(const fl_node *node);
uint32_t fl_variant(const fl_node *node);     /* index into the model's variants */
uint32_t fl_incarnation(const fl_node *node); /* 0 on first boot, +1 per restart */
int64_t fl_param(const fl_node *node, const char *name); /* asserts the name exists */

/* --- network ---------------------------------------------------------------- */

/* Sends a copy of data[0..size_bytes) to dst. Delivery is not guaranteed: the
 * network may delay, drop, duplicate, reorder or corrupt it. Sending to oneself
 * is allowed and goes through the network like any other message. */
void fl_send(fl_node *node, fl_node_id dst, const void *data, size_t size_bytes);

/* Client side: sends a request to a server; returns the request id that the
 * reply (if any) will carry. */
uint64_t fl_request(fl_node *node, fl_node_id server, const void *data, size_t size_bytes);

/* Server side: replies to a request; the reply crosses the network too. */
void fl_reply(fl_node *node, struct fl_request request, const void *data, size_t size_bytes);

/* --- time ------------------------------------------------------------------- */

/* The node's monotonic clock: never goes backwards, runs at the node's drift. */
uint64_t fl_mono_ns(const fl_node *node);
/* The node's wall clock (ns since the Unix epoch): skewed, drifting, and it may
 * jump, backwards too. */
int64_t fl_wall_ns(const fl_node *node);

/* Fires on_timer after delay_ns of the node's monotonic clock. */
fl_timer_id fl_timer_set(fl_node *node, uint64_t delay_ns, uint64_t tag);
/* Returns false if the timer already fired or was cancelled. */
bool fl_timer_cancel(fl_node *node, fl_timer_id timer);

/* --- disk: the node's own files ------------------------------------------------ */

/* Writes size_bytes at offset (a file grows as needed, holes read as zeros).
 * FL_OK or FL_ENOSPC (nothing written). Durable only after a sync. */
int fl_disk_write(fl_node *node, const char *file, uint64_t offset, const void *data,
                  size_t size_bytes);
/* Reads up to size_bytes at offset into out; *read_bytes gets how many (short at
 * the end of the file, 0 for a missing file). FL_OK or FL_EIO. */
int fl_disk_read(fl_node *node, const char *file, uint64_t offset, void *out, size_t size_bytes,
                 size_t *read_bytes);
/* Cuts or extends (with zeros) the file to size_bytes; durable after a sync. */
int fl_disk_truncate(fl_node *node, const char *file, uint64_t size_bytes);
/* The file's size as the node sees it now; 0 for a missing file. */
uint64_t fl_disk_size(fl_node *node, const char *file);
/* Starts making every write and truncate issued so far durable; on_sync reports
 * the outcome with this id and tag. */
uint64_t fl_disk_sync(fl_node *node, uint64_t tag);

/* --- randomness: the node's own seeded stream ------------------------------- */

uint64_t fl_random(fl_node *node);
uint64_t fl_random_below(fl_node *node, uint64_t bound); /* uniform in [0, bound), bound > 0 */

/* --- trace and assertions ---------------------------------------------------- */

/* A line of text in the trace, attributed to this node and the current event. */
void fl_annotate(fl_node *node, const char *format, ...) FL_PRINTF(2, 3);

/* "Always" assertions: a false condition is a violation of the check `name`,
 * fails the run and ends it. "Sometimes" assertions count how often the
 * condition was true; a sweep reports the ones never true, which tells a user
 * that a code path (a failover, a retry) was never exercised. Names are string
 * literals: the engine keeps the pointer. */
void fl_assert_always(fl_node *node, bool condition, const char *name, const char *format,
                      ...) FL_PRINTF(4, 5);
void fl_assert_sometimes(fl_node *node, bool condition, const char *name);

#define fl_always(node, condition, name) \
    fl_assert_always((node), (condition), (name), "%s", #condition)
#define fl_sometimes(node, condition, name) fl_assert_sometimes((node), (condition), (name))

/* --- operation history: what a client asked and what it was told ---------------
 * A client records each operation it runs against the service: its invoke when it
 * sends the request, its return when it learns the outcome. The engine traces both
 * (kinds op_invoke and op_return), keeps the history, and checks it at the end of
 * the run against the model's history_check. Values are the client's view: a model
 * maps its own data to int64 values (|v| <= 2^53 to round-trip through JSON). */
#define FL_VALUE_NIL INT64_MIN /* a read of a key never written */
enum fl_op_kind { FL_OP_READ = 0, FL_OP_WRITE = 1, FL_OP_CAS = 2 };
enum fl_op_status { FL_OP_OK = 0, FL_OP_FAIL = 1, FL_OP_INFO = 2 };
/* Client side: records that an operation is invoked now; returns its handle (never 0).
 * write: value; cas: value = from, value_to = to; read: both ignored. */
uint64_t fl_history_invoke(fl_node *node, enum fl_op_kind kind, uint64_t key, int64_t value,
                           int64_t value_to);
/* Records how it ended, now: ok (took effect; value_out is what a read returned, or for
 * cas ignored), fail (definitely did not take effect; a failed cas means the compare did
 * not match), info (unknown, e.g. timed out: it may take effect later or never). An
 * operation never returned is info at the end of the run. Asserts on a bad handle or a
 * second return. */
void fl_history_return(fl_node *node, uint64_t op, enum fl_op_status status, int64_t value_out);

/* --- the checker's view ------------------------------------------------------ */

uint32_t fl_world_server_count(const fl_world *world);
uint32_t fl_world_client_count(const fl_world *world);
uint32_t fl_world_variant(const fl_world *world);
int64_t fl_world_param(const fl_world *world, const char *name);
uint64_t fl_world_now_ns(const fl_world *world);
/* The time after which the scenario's fault timeline schedules nothing more
 * and every timeline fault has healed: liveness checks start from here. */
uint64_t fl_world_quiet_since_ns(const fl_world *world);
bool fl_world_is_up(const fl_world *world, fl_node_id id);
void *fl_world_checker_state(fl_world *world);
/* The node's state block, or NULL while it is crashed. Read only. */
const void *fl_world_state(const fl_world *world, fl_node_id id);
void fl_world_violation(fl_world *world, const char *check, const char *format, ...)
    FL_PRINTF(3, 4);
/* A line of text in the trace from the checker, attributed to no node (as a
 * checker's violation is): for the figures a checker computed, reported at
 * the end of a run that passed as well as one that failed. */
void fl_world_annotate(fl_world *world, const char *format, ...) FL_PRINTF(2, 3);

#ifdef __cplusplus
}
#endif

#endif /* FAULTLINE_SERVICE_H */
