/*
 * trace: the canonical event stream, its fingerprint, and the JSON Lines file.
 *
 * Every observable thing that happens in a run is one record: an id (dense,
 * from 1), the true time, the node, a kind, and the id of the record that
 * caused it (0 for none), plus a few kind-specific fields. The cause links
 * make happens-before recoverable from the trace alone: a deliver points at its
 * send, a send at the deliver or timer during whose handler it was made, a
 * timer at the handler that set it.
 *
 * The fingerprint is XXH3-64 over a fixed little-endian encoding of every
 * record, always computed, whether or not a file is written, so a run with a
 * trace and one without must agree. Encodings are batched into a buffer and
 * hashed a few KiB at a time: streaming XXH3 gives the same digest however the
 * input is split, and one large update is far cheaper than one per record.
 *
 * Writing JSON is off the hot path when no file is given: one predictable
 * branch. Only then are the models' describe callbacks called: their
 * descriptions (a send's message kind and text, a node's role and label in
 * id-less "view" lines) go to the file and never into the fingerprint, so a
 * run is the same records with or without a trace. When on, records are formatted by hand into a 1 MiB buffer (printf
 * costs more than the rest of the event) and written with fwrite, 1 MiB at a time.
 *
 * docs/trace-format.md documents the file format.
 */
#ifndef FL_TRACE_H
#define FL_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <xxhash.h>

#include "faultline/service.h"

enum fl_trace_kind {
    FL_TR_START = 1,      /* node booted (incarnation in a) */
    FL_TR_SEND = 2,       /* peer = destination, a = size, b = payload hash */
    FL_TR_DELIVER = 3,    /* peer = sender, a = size, b = message id */
    FL_TR_DROP = 4,       /* node = destination, peer = sender, a = reason, b = message id */
    FL_TR_DUPLICATE = 5,  /* node = sender, peer = destination, b = message id */
    FL_TR_TIMER = 6,      /* a = timer id, b = tag */
    FL_TR_CRASH = 7,      /* a = restart delay or 0 */
    FL_TR_RESTART = 8,    /* a = incarnation */
    FL_TR_PAUSE = 9,      /* a = until (true ns) */
    FL_TR_RESUME = 10,
    FL_TR_NET = 11,       /* a = fault kind, b = 1 when undoing; text describes it */
    FL_TR_CLOCK_JUMP = 12,/* a = wall delta (as uint64 two's complement) */
    FL_TR_ANNOTATE = 13,  /* text */
    FL_TR_VIOLATION = 14, /* text = "check: message" */
    FL_TR_END = 15,       /* a = stop reason */
    FL_TR_HOLD = 16,      /* node = destination, peer = sender, b = message id: held on a link */
    FL_TR_DISK_WRITE = 17,    /* text = file, a = offset, b = size, c = status */
    FL_TR_DISK_READ = 18,     /* text = file, a = offset, b = size asked, c = status */
    FL_TR_DISK_TRUNCATE = 19, /* text = file, b = new size, c = status */
    FL_TR_DISK_SYNC = 20,     /* c = sync id */
    FL_TR_DISK_SYNCED = 21,   /* c = sync id, a = status */
    FL_TR_DISK_FAULT = 22,    /* sub = enum fl_disk_note_kind, text = file, a = offset,
                                 b = size, c = detail */
    FL_TR_OP_INVOKE = 23,     /* sub = enum fl_op_kind, a = key, b = value, c = value_to,
                                 request_id = the op's handle */
    FL_TR_OP_RETURN = 24,     /* sub = enum fl_op_status, a = enum fl_op_kind,
                                 b = value_out (an ok read's; else nil), request_id = handle */
};
#define FL_TR_KIND_LAST FL_TR_OP_RETURN

/* Message types on the wire, in send/deliver records' sub field. */
enum fl_msg_type {
    FL_MSG_PLAIN = 0,
    FL_MSG_REQUEST = 1,
    FL_MSG_REPLY = 2,
};

struct fl_trace_record {
    uint64_t time_ns;
    uint64_t cause;    /* id of the causing record, 0 for none */
    uint32_t node;     /* FL_NODE_NONE for world events */
    uint32_t peer;     /* the other node of a message, else FL_NODE_NONE */
    uint8_t kind;      /* enum fl_trace_kind */
    uint8_t sub;       /* send/deliver/drop/dup: enum fl_msg_type; deliver: +8 if corrupt */
    uint64_t a;
    uint64_t b;
    uint64_t c;
    uint64_t request_id; /* request/reply messages, else 0 */
    const char *text;    /* annotate, net, violation; else NULL */
    uint32_t text_len;
    /* send: what the sender's describe_message said, or NULL. Written to the
     * file only, never hashed: a run's fingerprint is the same whether or not
     * a trace (and so a description) is written. */
    const struct fl_message_view *message_view;
};

#define FL_TRACE_HASH_BUFFER_BYTES 4096u
#define FL_TRACE_OUT_BUFFER_BYTES (1024u * 1024u)

struct fl_trace {
    XXH3_state_t *hash;   /* running digest of what has been flushed from hash_buffer */
    uint8_t *hash_buffer; /* encoded records not yet hashed */
    uint32_t hash_used;
    uint64_t next_id;     /* id of the next record */
    FILE *out;            /* NULL: no file */
    char *out_buffer;     /* JSON waiting for fwrite */
    uint32_t out_used;
    uint32_t server_count;/* to name nodes n1.. and c1.. */
    uint32_t node_count;
    char (*node_json)[16];/* "\"n12\"" per node, precomputed and zero-padded: names are in
                             every record, copied 16 bytes at a time */
    uint8_t *node_json_len;
    bool out_failed;      /* an fwrite failed: reported at the end */
};

void fl_trace_init(struct fl_trace *trace, FILE *out, uint32_t server_count,
                   uint32_t node_count, uint64_t *alloc_count);
void fl_trace_deinit(struct fl_trace *trace);

/* Appends a record; returns its id. */
uint64_t fl_trace_emit(struct fl_trace *trace, const struct fl_trace_record *record);
/* True when records go to a file: only then are models asked to describe
 * their state and messages. */
static inline bool fl_trace_writing(const struct fl_trace *trace) {
    return trace->out != NULL;
}
/* Writes an id-less "view" line: node's role and label as of time_ns, after
 * the record last emitted. Not a record: no id, not counted, not hashed. */
void fl_trace_view(struct fl_trace *trace, uint64_t time_ns, uint32_t node,
                   const struct fl_state_view *view);
uint64_t fl_trace_fingerprint(const struct fl_trace *trace);
/* Writes what is buffered; false if writing the file failed at any point. */
bool fl_trace_flush(struct fl_trace *trace);
/* Flushes and lets go of the file: the run has written its last record, and
 * the file's owner may close it from now on, before the simulation is
 * destroyed (the CLI renames its trace into place first). Records emitted
 * after it are still counted and hashed, never written. */
bool fl_trace_release(struct fl_trace *trace);
const char *fl_trace_kind_name(enum fl_trace_kind kind);
const char *fl_msg_type_name(enum fl_msg_type type);
/* The trace's name of a disk fault note (enum fl_disk_note_kind). */
const char *fl_disk_fault_name(uint8_t note_kind);

#endif /* FL_TRACE_H */
