/*
 * trace_file: a JSON Lines trace (docs/trace-format.md) read back into compact,
 * time-sorted arrays, for the visualizer and the exports.
 *
 * One load reads the whole file into memory and scans it once. Every array is
 * sized by doubling, never per record, and every string (node names, texts,
 * roles, labels, the model's message descriptions) is a NUL-terminated string
 * in one arena, referred to by a 32-bit offset: offset 0 is always "", so a
 * field that was absent needs no test before it is printed.
 *
 * The layout the writer (sim/trace.c) uses is fixed, so a hand-written scanner
 * for flat JSON objects reads it at several hundred MB/s; a line the scanner
 * does not understand (a nested value, say, from a newer writer) is handed to
 * cJSON, and only a line neither can read is an error. Unknown fields are
 * ignored, so older readers keep working as the format grows.
 *
 * What the loader checks (each an error "FILE: line N: what was expected"):
 * every line is one JSON object; ids are 1, 2, 3, ... in file order; times
 * never decrease; a cause is smaller than the record's id; a deliver, drop,
 * hold or duplicate points at a send; each kind has its fields; the last
 * line is the one `end` record. A cut last line is therefore an error.
 *
 * Indices: node indices follow the engine's numbering, servers 0..N-1 (n1..nN)
 * then clients (c1..cM); the loader learns N and M from the names it meets.
 * Event i (0-based) has id i + 1, since ids are dense.
 *
 * The model's view of nodes (`view` lines) and of messages (`mkind`, `mtext`,
 * `trace` on a send) are optional: a trace without them loads with empty
 * roles, labels and message kinds.
 */
#ifndef FL_VIZ_TRACE_FILE_H
#define FL_VIZ_TRACE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faultline/faultline.h" /* struct fl_error */

#define FL_TF_NONE UINT32_MAX  /* no node, no message, no index */
#define FL_TF_NEVER UINT64_MAX /* a time that did not come before the end */

/* The record kinds, numbered as the engine numbers them (enum fl_trace_kind
 * in sim/trace.h), so a kind read from a file and one emitted agree. */
enum fl_tf_kind {
    FL_TF_START = 1,
    FL_TF_SEND = 2,
    FL_TF_DELIVER = 3,
    FL_TF_DROP = 4,
    FL_TF_DUPLICATE = 5,
    FL_TF_TIMER = 6,
    FL_TF_CRASH = 7,
    FL_TF_RESTART = 8,
    FL_TF_PAUSE = 9,
    FL_TF_RESUME = 10,
    FL_TF_NET = 11,
    FL_TF_CLOCK_JUMP = 12,
    FL_TF_ANNOTATE = 13,
    FL_TF_VIOLATION = 14,
    FL_TF_END = 15,
    FL_TF_HOLD = 16,
    FL_TF_DISK_WRITE = 17,
    FL_TF_DISK_READ = 18,
    FL_TF_DISK_TRUNCATE = 19,
    FL_TF_DISK_SYNC = 20,
    FL_TF_DISK_SYNCED = 21,
    FL_TF_DISK_FAULT = 22,
    FL_TF_OP_INVOKE = 23, /* a client's history operation: req = its handle, a = key */
    FL_TF_OP_RETURN = 24, /*   text = "write k2 = 7", "ok read k2 -> 7" */
};
#define FL_TF_KIND_LAST FL_TF_OP_RETURN

/* Message types, as in the engine: plain (fl_send), request, reply. */
enum fl_tf_msg_type { FL_TF_MSG_PLAIN = 0, FL_TF_MSG_REQUEST = 1, FL_TF_MSG_REPLY = 2 };

/* Drop reasons, numbered as enum fl_drop_reason. */
enum fl_tf_drop_reason {
    FL_TF_DROP_LOSS = 0,
    FL_TF_DROP_PARTITION = 1,
    FL_TF_DROP_QUEUE = 2,
    FL_TF_DROP_DOWN = 3,
};

/* Event flags. */
#define FL_TF_EVENT_CORRUPT 1u /* deliver: the network flipped a bit */
#define FL_TF_EVENT_FAILED 2u  /* disk operation: status was not "ok" */
#define FL_TF_EVENT_UNDO 4u    /* net: the end of a fault by its duration */

/* One record of the trace. The meaning of a and b depends on the kind:
 *   start, restart: a = incarnation
 *   send, deliver:  a = size in bytes
 *   drop:           a = enum fl_tf_drop_reason
 *   timer:          a = tag
 *   crash:          a = restart_after_ns
 *   pause:          a = until (true ns)
 *   clock_jump:     a = delta_ns (two's complement)
 *   end:            a = enum fl_stop
 *   disk_write, disk_read: a = offset, b = size; disk_truncate: b = size
 *   disk_sync, disk_synced: a = sync id; disk_fault: a = offset, b = size
 * text is the record's `text` (annotate, net, violation), `file` (disk) or
 * `fault` (disk_fault: the fault's name), else 0. */
struct fl_tf_event {
    uint64_t t_ns;
    uint64_t cause; /* id of the causing event, 0 for none */
    uint64_t a;
    uint64_t b;
    uint32_t node; /* FL_TF_NONE for world events */
    uint32_t peer; /* the other node of a message, else FL_TF_NONE */
    uint32_t ref;  /* send, deliver, drop, duplicate, hold: the copy's index in
                      messages; crash, pause, net, clock_jump, disk_fault: the
                      index in faults; violation: in violations; else FL_TF_NONE */
    uint32_t text; /* arena offset */
    uint64_t req;  /* request id, 0 for none */
    uint8_t kind;  /* enum fl_tf_kind */
    uint8_t type;  /* enum fl_tf_msg_type, messages only */
    uint8_t flags; /* FL_TF_EVENT_* */
};

enum fl_tf_fate {
    FL_TF_FATE_IN_FLIGHT = 0, /* neither delivered nor dropped before the end */
    FL_TF_FATE_DELIVERED = 1,
    FL_TF_FATE_DROPPED = 2,
};

/* One copy of a message on the wire: a send makes one, a duplicate record a
 * second (copy_of then names the first). Sorted by send time (file order). */
struct fl_tf_message {
    uint64_t send_id; /* the send event */
    uint64_t send_ns;
    uint64_t end_id;   /* the deliver or drop event, 0 while in flight */
    uint64_t end_ns;   /* its time; FL_TF_NEVER while in flight */
    uint64_t hold_ns;  /* when it reached a held link; FL_TF_NEVER if never held */
    uint64_t req;      /* request id, 0 for none */
    uint64_t trace_id; /* the model's business trace id, 0 for none */
    uint32_t from;
    uint32_t to;
    uint32_t size_bytes;
    uint32_t copy_of;    /* a duplicate: the first copy's index; else FL_TF_NONE */
    uint32_t next_copy;  /* the first copy: its duplicate's index; else FL_TF_NONE */
    uint32_t mkind;      /* arena offset: the model's kind, "" for none */
    uint32_t mtext;      /* arena offset: the model's one line of content */
    uint8_t type;        /* enum fl_tf_msg_type */
    uint8_t fate;        /* enum fl_tf_fate */
    uint8_t drop_reason; /* enum fl_tf_drop_reason when dropped */
    bool corrupt;        /* delivered with a flipped bit */
};

/* A node's state from t_ns on, until its next change: each change is a full
 * snapshot, so the state at time T is the last change at or before T. */
struct fl_tf_change {
    uint64_t t_ns;
    uint64_t event_id;        /* the event that made it (for a view: its `after`) */
    uint64_t paused_until_ns; /* when paused */
    uint32_t node;
    uint32_t role;  /* arena offset, "" for none */
    uint32_t label; /* arena offset */
    uint32_t incarnation;
    bool up; /* started and not crashed */
    bool paused;
};

enum fl_tf_fault_kind {
    FL_TF_FAULT_NET = 1,        /* text: "split ...", "isolate c3", "oneway a->b", "heal"... */
    FL_TF_FAULT_CRASH = 2,      /* node down until end_ns (its restart) */
    FL_TF_FAULT_PAUSE = 3,      /* node paused until end_ns (its resume) */
    FL_TF_FAULT_CLOCK_JUMP = 4, /* value = delta_ns */
    FL_TF_FAULT_DISK = 5,       /* text: the disk fault's name */
};

/* Faults, in time order. A fault with a duration has its end filled in when
 * the end is in the trace: a net fault's undo, or the heal that ends it; a
 * crash's restart; a pause's resume. */
struct fl_tf_fault {
    uint64_t t_ns;
    uint64_t end_ns; /* FL_TF_NEVER: lasts to the end of the run (or instant) */
    uint64_t event_id;
    uint64_t end_id; /* 0 for none */
    int64_t value;   /* clock jump: delta_ns; crash: restart_after_ns */
    uint32_t node;   /* FL_TF_NONE for net faults */
    uint32_t text;   /* arena offset */
    uint8_t kind;    /* enum fl_tf_fault_kind */
};

struct fl_tf_violation {
    uint64_t event_id;
    uint64_t t_ns;
    uint32_t node; /* FL_TF_NONE for a world check */
    uint32_t text; /* "check: message" */
};

struct fl_tf_counts {
    uint64_t sends; /* send records (fl_result.messages_sent) */
    uint64_t delivers;
    uint64_t drops;
    uint64_t duplicates;
    uint64_t holds;
    uint64_t corrupt;
    uint64_t views;          /* view lines */
    uint64_t fallback_lines; /* lines the fast scanner left to cJSON */
    uint64_t drops_by_reason[4];
};

struct fl_trace_file {
    struct fl_tf_event *events; /* event_count, in id order */
    uint64_t event_count;
    struct fl_tf_message *messages; /* message_count copies, by send time */
    uint32_t message_count;
    uint64_t flight_ns_max;       /* the longest send-to-end of a copy that ended:
                                     copies alive at T were sent after T - this */
    struct fl_tf_change *changes; /* change_count, grouped by node, by time in each */
    uint32_t change_count;
    uint32_t *node_changes_first; /* node_count + 1: node k's changes are
                                     [first[k], first[k+1]) */
    struct fl_tf_fault *faults;
    uint32_t fault_count;
    struct fl_tf_violation *violations;
    uint32_t violation_count;
    uint32_t server_count; /* n1..nN */
    uint32_t client_count; /* c1..cM */
    uint32_t node_count;   /* servers, then clients */
    uint32_t *node_names;  /* node_count arena offsets: "n1", "c2" */
    uint64_t end_ns;       /* the end record's time */
    uint64_t end_id;
    uint8_t end_reason; /* enum fl_stop */
    struct fl_tf_counts counts;
    char *arena; /* every string, NUL-terminated */
    size_t arena_used;
    size_t arena_size;
};

/* Loads a trace file. false on any problem, with error->message "FILE: line N:
 * what was expected" (or "FILE: ..." when the file cannot be read); the trace
 * is then empty but must still be freed. */
bool fl_tf_load(struct fl_trace_file *trace, const char *path, struct fl_error *error);
/* The same from text in memory; file_name is used in messages. */
bool fl_tf_load_memory(struct fl_trace_file *trace, const char *text, size_t size_bytes,
                       const char *file_name, struct fl_error *error);
void fl_tf_free(struct fl_trace_file *trace);

/* A string of the arena by its offset. */
static inline const char *fl_tf_str(const struct fl_trace_file *trace, uint32_t offset) {
    return trace->arena + offset;
}
const char *fl_tf_node_name(const struct fl_trace_file *trace, uint32_t node); /* "?" for none */
const char *fl_tf_kind_name(uint8_t kind);
const char *fl_tf_drop_reason_name(uint8_t reason);
const char *fl_tf_end_reason_name(uint8_t reason);

/* The first event with t_ns >= t (event_count when none): binary search. */
uint64_t fl_tf_event_at(const struct fl_trace_file *trace, uint64_t t_ns);
/* The first message copy sent at or after t (message_count when none). */
uint32_t fl_tf_message_at(const struct fl_trace_file *trace, uint64_t t_ns);
/* A node's state at time t: its last change at or before t, or NULL before
 * its first (not started yet). */
const struct fl_tf_change *fl_tf_node_state(const struct fl_trace_file *trace, uint32_t node,
                                            uint64_t t_ns);

#endif /* FL_VIZ_TRACE_FILE_H */
