/*
 * trace: canonical encoding, fingerprint, and hand-rolled JSON Lines output.
 * See trace.h for the design.
 */
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t by value, for the const fingerprint */
#include "trace.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "faultline/faultline.h"

/* Fixed part of a record's encoding: id, time, cause, a, b, c, request_id (8
 * bytes each), node, peer, text length (4 each), kind, sub (1 each). */
#define ENCODED_FIXED_BYTES (7u * 8u + 3u * 4u + 2u)
/* A record without its text never needs more, a send's message description
 * escaped byte for byte included. */
#define JSON_RECORD_BYTES_MAX 1024u
#define JSON_FIXED_BYTES_MAX 256u /* the fields a record has besides descriptions */
_Static_assert(JSON_FIXED_BYTES_MAX + 6u * (FL_VIEW_ROLE_MAX + FL_VIEW_TEXT_MAX) + 64u <=
                   JSON_RECORD_BYTES_MAX,
               "room for a send with the longest description, every byte escaped");
_Static_assert(JSON_FIXED_BYTES_MAX + 6u * (FL_VIEW_ROLE_MAX + FL_VIEW_LABEL_MAX) + 64u <=
                   JSON_RECORD_BYTES_MAX,
               "room for a view line, every byte escaped");

_Static_assert(FL_TRACE_HASH_BUFFER_BYTES >= 2 * ENCODED_FIXED_BYTES, "room for a record");

void fl_trace_init(struct fl_trace *trace, FILE *out, uint32_t server_count,
                   uint32_t node_count, uint64_t *alloc_count) {
    memset(trace, 0, sizeof *trace);
    trace->hash = XXH3_createState();
    trace->hash_buffer = malloc(FL_TRACE_HASH_BUFFER_BYTES);
    if (trace->hash == NULL || trace->hash_buffer == NULL) abort();
    *alloc_count += 2;
    XXH3_64bits_reset(trace->hash);
    trace->next_id = 1;
    trace->server_count = server_count;
    trace->node_count = node_count;
    trace->out = out;
    if (out == NULL) return;
    trace->out_buffer = malloc(FL_TRACE_OUT_BUFFER_BYTES);
    trace->node_json = calloc(node_count, sizeof trace->node_json[0]);
    trace->node_json_len = calloc(node_count, 1);
    if (trace->out_buffer == NULL || trace->node_json == NULL || trace->node_json_len == NULL) {
        abort();
    }
    *alloc_count += 3;
    for (uint32_t id = 0; id < node_count; id++) {
        char name[8];
        fl_node_name(server_count, id, name, sizeof name);
        int n = snprintf(trace->node_json[id], sizeof trace->node_json[id], "\"%s\"", name);
        assert(n > 0 && (size_t)n < sizeof trace->node_json[id]);
        trace->node_json_len[id] = (uint8_t)n;
    }
}

void fl_trace_deinit(struct fl_trace *trace) {
    fl_trace_flush(trace);
    XXH3_freeState(trace->hash);
    free(trace->hash_buffer);
    free(trace->out_buffer);
    free(trace->node_json);
    free(trace->node_json_len);
    memset(trace, 0, sizeof *trace);
}

/* Little-endian on every host, so fingerprints agree across architectures. */
static inline uint8_t *put_u64(uint8_t *p, uint64_t v) {
    fl_put_u64(p, v);
    return p + 8;
}

static inline uint8_t *put_u32(uint8_t *p, uint32_t v) {
    fl_put_u32(p, v);
    return p + 4;
}

static void hash_bytes(struct fl_trace *trace, const void *data, size_t size) {
    if (trace->hash_used + size > FL_TRACE_HASH_BUFFER_BYTES) {
        XXH3_64bits_update(trace->hash, trace->hash_buffer, trace->hash_used);
        trace->hash_used = 0;
    }
    if (size > FL_TRACE_HASH_BUFFER_BYTES) {
        XXH3_64bits_update(trace->hash, data, size);
        return;
    }
    memcpy(trace->hash_buffer + trace->hash_used, data, size);
    trace->hash_used += (uint32_t)size;
}

static void hash_record(struct fl_trace *trace, uint64_t id, const struct fl_trace_record *r) {
    uint8_t encoded[ENCODED_FIXED_BYTES];
    uint8_t *p = encoded;
    p = put_u64(p, id);
    p = put_u64(p, r->time_ns);
    p = put_u64(p, r->cause);
    p = put_u64(p, r->a);
    p = put_u64(p, r->b);
    p = put_u64(p, r->c);
    p = put_u64(p, r->request_id);
    p = put_u32(p, r->node);
    p = put_u32(p, r->peer);
    p = put_u32(p, r->text_len);
    *p++ = r->kind;
    *p++ = r->sub;
    assert(p == encoded + sizeof encoded);
    hash_bytes(trace, encoded, sizeof encoded);
    if (r->text_len > 0) hash_bytes(trace, r->text, r->text_len);
}

uint64_t fl_trace_fingerprint(const struct fl_trace *trace) {
    XXH3_state_t copy;
    XXH3_copyState(&copy, trace->hash);
    XXH3_64bits_update(&copy, trace->hash_buffer, trace->hash_used);
    return XXH3_64bits_digest(&copy);
}

/* --- JSON ---------------------------------------------------------------- */

static void out_write(struct fl_trace *trace, const char *data, size_t size) {
    if (trace->out_failed) return;
    if (fwrite(data, 1, size, trace->out) != size) trace->out_failed = true;
}

bool fl_trace_flush(struct fl_trace *trace) {
    if (trace->out == NULL) return true;
    out_write(trace, trace->out_buffer, trace->out_used);
    trace->out_used = 0;
    if (!trace->out_failed && fflush(trace->out) != 0) trace->out_failed = true;
    return !trace->out_failed;
}

bool fl_trace_release(struct fl_trace *trace) {
    bool ok = fl_trace_flush(trace);
    trace->out = NULL;
    return ok;
}

struct json {
    char *p;
};

static inline void j_raw(struct json *j, const char *s, size_t n) {
    memcpy(j->p, s, n);
    j->p += n;
}
#define J_LIT(j, s) j_raw((j), (s), sizeof(s) - 1)

/* Copies exactly size bytes, a constant: the compiler turns it into a few
 * moves, where a copy of a variable length becomes a call or a `rep movs`
 * whose start-up cost exceeds the copy. The output has room (every record
 * reserves JSON_RECORD_BYTES_MAX); only n of them count. */
#define J_FIXED(j, src, size, n) (memcpy((j)->p, (src), (size)), (j)->p += (n))

/* Decimal digits of v: from its bit length, corrected by one comparison.
 * v | 1 has as many digits as v (a power of ten is even) and is never 0. */
static inline uint32_t decimal_length(uint64_t v) {
    v |= 1u;
    static const uint64_t powers[20] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
    };
    uint32_t bits = 64u - (uint32_t)__builtin_clzll(v);
    uint32_t guess = (bits * 1233u) >> 12; /* 1233 / 4096 ~ log10(2) */
    return guess + (v >= powers[guess]);
}

/* Two digits per division, written in place from the right: most numbers in
 * a trace are times of 10+ digits. */
static inline void j_u64(struct json *j, uint64_t v) {
    static const char pairs[201] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    uint32_t length = decimal_length(v);
    assert(length >= 1 && length <= 20);
    char *end = j->p + length;
    char *q = end;
    while (v >= 100) {
        uint64_t pair = v % 100;
        v /= 100;
        q -= 2;
        memcpy(q, pairs + pair * 2, 2);
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, pairs + v * 2, 2);
    } else {
        *--q = (char)('0' + v);
    }
    assert(q == j->p);
    j->p = end;
}

static inline void j_i64(struct json *j, int64_t v) {
    if (v < 0) {
        *j->p++ = '-';
        j_u64(j, (uint64_t)0 - (uint64_t)v);
    } else {
        j_u64(j, (uint64_t)v);
    }
}

static void j_node(struct json *j, const struct fl_trace *trace, uint32_t node) {
    if (node == FL_NODE_NONE) {
        J_LIT(j, "null");
        return;
    }
    assert(node < trace->node_count);
    J_FIXED(j, trace->node_json[node], sizeof trace->node_json[node], trace->node_json_len[node]);
}

static void j_str(struct json *j, const char *s) {
    *j->p++ = '"';
    j_raw(j, s, strlen(s));
    *j->p++ = '"';
}

/* Length of the well-formed UTF-8 sequence at text[0..len), or 0 if it is
 * not one (overlong forms, surrogates and code points past U+10FFFF included). */
static uint32_t utf8_sequence_length(const unsigned char *text, uint32_t len) {
    unsigned char c = text[0];
    uint32_t need;
    uint32_t code;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2, code = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3, code = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4, code = c & 0x07u;
    } else {
        return 0;
    }
    if (len < need) return 0;
    for (uint32_t k = 1; k < need; k++) {
        if ((text[k] & 0xc0u) != 0x80u) return 0;
        code = (code << 6) | (text[k] & 0x3fu);
    }
    bool overlong = (need == 3 && code < 0x800) || (need == 4 && code < 0x10000);
    bool surrogate = code >= 0xd800 && code <= 0xdfff;
    if (overlong || surrogate || code > 0x10ffff) return 0;
    return need;
}

#define ESCAPED_CHAR_BYTES_MAX 6u /* "\u0001", "\ufffd"; a UTF-8 sequence is at most 4 */

/* Escapes the character at bytes[i] (one byte, or one UTF-8 sequence) into j,
 * writing at most ESCAPED_CHAR_BYTES_MAX bytes; returns how many input bytes
 * it took. Bytes that are not UTF-8 (a model may write anything) become
 * U+FFFD, so every line stays valid JSON. */
static inline uint32_t escape_char(struct json *j, const unsigned char *bytes, uint32_t i,
                                   uint32_t len) {
    static const char hex[] = "0123456789abcdef";
    unsigned char c = bytes[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        *j->p++ = (char)c;
        return 1;
    }
    if (c == '"' || c == '\\') {
        *j->p++ = '\\';
        *j->p++ = (char)c;
        return 1;
    }
    if (c == '\n') {
        J_LIT(j, "\\n");
        return 1;
    }
    if (c < 0x80) { /* the other control characters, and DEL */
        J_LIT(j, "\\u00");
        *j->p++ = hex[c >> 4];
        *j->p++ = hex[c & 15];
        return 1;
    }
    uint32_t n = utf8_sequence_length(bytes + i, len - i);
    if (n == 0) {
        J_LIT(j, "\\ufffd");
        return 1;
    }
    j_raw(j, (const char *)bytes + i, n);
    return n;
}

/* Escapes text into the output directly; text may be long, so it is written
 * in pieces that each fit the buffer. What follows the text (at most the
 * closing quote and "}\n") always fits: a piece is flushed while
 * TEXT_TAIL_BYTES are still free after the longest escape. */
#define TEXT_TAIL_BYTES 16u
static void write_escaped_text(struct fl_trace *trace, struct json *j, const char *text,
                               uint32_t len) {
    const unsigned char *bytes = (const unsigned char *)text;
    *j->p++ = '"';
    for (uint32_t i = 0; i < len;) {
        size_t used = (size_t)(j->p - trace->out_buffer);
        if (used + ESCAPED_CHAR_BYTES_MAX + TEXT_TAIL_BYTES > FL_TRACE_OUT_BUFFER_BYTES) {
            out_write(trace, trace->out_buffer, used);
            j->p = trace->out_buffer;
        }
        i += escape_char(j, bytes, i, len);
    }
    *j->p++ = '"';
}

/* ,"name":"escaped" for a short, NUL-padded field of a model's description
 * (never read past size bytes, whether or not the model ended it with a
 * NUL); nothing when it is empty. The record's reserve covers the worst case
 * (every byte escaped), so there is no flush check per character. */
static void j_view_field(struct json *j, const char *name_lit, size_t name_len, const char *field,
                         size_t size) {
    const char *nul = memchr(field, '\0', size);
    uint32_t len = (uint32_t)(nul != NULL ? (size_t)(nul - field) : size);
    if (len == 0) return;
    j_raw(j, name_lit, name_len);
    *j->p++ = '"';
    const unsigned char *bytes = (const unsigned char *)field;
    uint32_t plain = 0; /* printable ASCII needs no escape: copied in one go */
    while (plain < len && bytes[plain] >= 0x20 && bytes[plain] < 0x7f && bytes[plain] != '"' &&
           bytes[plain] != '\\') {
        plain++;
    }
    j_raw(j, field, plain);
    for (uint32_t i = plain; i < len;) i += escape_char(j, bytes, i, len);
    *j->p++ = '"';
}
#define J_VIEW_FIELD(j, lit, field) j_view_field((j), (lit), sizeof(lit) - 1, (field), sizeof(field))

/* The message type is written only when it is not a plain message, and the
 * message id never: a deliver's, drop's, hold's or duplicate's cause is the
 * send, and the payload hash lives in the fingerprint only. Every byte counts
 * here: a trace is written at millions of records a second. */
static void j_mtype(struct json *j, uint8_t sub) {
    uint8_t mtype = sub & 7u;
    if (mtype == FL_MSG_PLAIN) return;
    J_LIT(j, ",\"type\":");
    j_str(j, fl_msg_type_name(mtype));
}

static const char *op_kind_name(uint8_t kind) {
    static const char *const names[] = {"read", "write", "cas"};
    return kind < 3 ? names[kind] : "?";
}

static const char *op_status_name(uint8_t status) {
    static const char *const names[] = {"ok", "fail", "info"};
    return status < 3 ? names[status] : "?";
}

static void j_op_scalar(struct json *j, uint64_t v) {
    if ((int64_t)v == FL_VALUE_NIL) {
        J_LIT(j, "null");
    } else {
        j_i64(j, (int64_t)v);
    }
}

/* ,"value": as in a history file: a read's result (null: nil), a write's value, a
 * cas's [from,to]. */
static void j_op_value(struct json *j, uint8_t kind, uint64_t value, uint64_t value_to) {
    J_LIT(j, ",\"value\":");
    if (kind == FL_OP_CAS) {
        *j->p++ = '[';
        j_op_scalar(j, value);
        *j->p++ = ',';
        j_op_scalar(j, value_to);
        *j->p++ = ']';
    } else {
        j_op_scalar(j, value);
    }
}

static void write_kind_fields(const struct fl_trace *trace, struct json *j,
                              const struct fl_trace_record *r) {
    switch ((enum fl_trace_kind)r->kind) {
    case FL_TR_START: J_LIT(j, ",\"incarnation\":"); j_u64(j, r->a); break;
    case FL_TR_SEND:
        J_LIT(j, ",\"to\":"); j_node(j, trace, r->peer);
        j_mtype(j, r->sub);
        J_LIT(j, ",\"size\":"); j_u64(j, r->a);
        break;
    case FL_TR_DELIVER:
        J_LIT(j, ",\"from\":"); j_node(j, trace, r->peer);
        j_mtype(j, r->sub);
        J_LIT(j, ",\"size\":"); j_u64(j, r->a);
        if (r->sub & 8u) J_LIT(j, ",\"corrupt\":true");
        break;
    case FL_TR_DROP:
        J_LIT(j, ",\"from\":"); j_node(j, trace, r->peer);
        j_mtype(j, r->sub);
        J_LIT(j, ",\"reason\":"); j_str(j, fl_drop_reason_name((enum fl_drop_reason)r->a));
        break;
    case FL_TR_HOLD:
        J_LIT(j, ",\"from\":"); j_node(j, trace, r->peer);
        break;
    case FL_TR_DUPLICATE:
        J_LIT(j, ",\"to\":"); j_node(j, trace, r->peer);
        break;
    case FL_TR_TIMER:
        /* The timer's handle (a) is left out: it is an engine-internal identity
         * that grows past 2^53 in long runs, beyond what JSON readers keep. */
        J_LIT(j, ",\"tag\":"); j_u64(j, r->b);
        break;
    case FL_TR_CRASH: J_LIT(j, ",\"restart_after_ns\":"); j_u64(j, r->a); break;
    case FL_TR_RESTART: J_LIT(j, ",\"incarnation\":"); j_u64(j, r->a); break;
    case FL_TR_PAUSE: J_LIT(j, ",\"until\":"); j_u64(j, r->a); break;
    case FL_TR_CLOCK_JUMP: J_LIT(j, ",\"delta_ns\":"); j_i64(j, (int64_t)r->a); break;
    case FL_TR_NET: J_LIT(j, ",\"undo\":"); if (r->b) J_LIT(j, "true"); else J_LIT(j, "false"); break;
    case FL_TR_END: J_LIT(j, ",\"reason\":"); j_str(j, fl_stop_name((enum fl_stop)r->a)); break;
    case FL_TR_DISK_WRITE:
    case FL_TR_DISK_READ:
        J_LIT(j, ",\"offset\":"); j_u64(j, r->a);
        J_LIT(j, ",\"size\":"); j_u64(j, r->b);
        J_LIT(j, ",\"status\":"); j_str(j, fl_strerror((int)(int64_t)r->c));
        break;
    case FL_TR_DISK_TRUNCATE:
        J_LIT(j, ",\"size\":"); j_u64(j, r->b);
        J_LIT(j, ",\"status\":"); j_str(j, fl_strerror((int)(int64_t)r->c));
        break;
    case FL_TR_DISK_SYNC: J_LIT(j, ",\"sync\":"); j_u64(j, r->c); break;
    case FL_TR_DISK_SYNCED:
        J_LIT(j, ",\"sync\":"); j_u64(j, r->c);
        J_LIT(j, ",\"status\":"); j_str(j, fl_strerror((int)(int64_t)r->a));
        break;
    case FL_TR_DISK_FAULT:
        J_LIT(j, ",\"fault\":"); j_str(j, fl_disk_fault_name(r->sub));
        J_LIT(j, ",\"offset\":"); j_u64(j, r->a);
        J_LIT(j, ",\"size\":"); j_u64(j, r->b);
        J_LIT(j, ",\"detail\":"); j_u64(j, r->c);
        break;
    case FL_TR_OP_INVOKE:
        J_LIT(j, ",\"f\":"); j_str(j, op_kind_name(r->sub));
        J_LIT(j, ",\"key\":"); j_u64(j, r->a);
        if (r->sub != FL_OP_READ) j_op_value(j, r->sub, r->b, r->c);
        break;
    case FL_TR_OP_RETURN:
        J_LIT(j, ",\"f\":"); j_str(j, op_kind_name((uint8_t)r->a));
        J_LIT(j, ",\"status\":"); j_str(j, op_status_name(r->sub));
        if (r->a == FL_OP_READ && r->sub == FL_OP_OK) j_op_value(j, FL_OP_READ, r->b, 0);
        break;
    case FL_TR_RESUME:
    case FL_TR_ANNOTATE:
    case FL_TR_VIOLATION: break;
    }
    if (r->request_id != 0) {
        /* An operation record's handle is the op's number, not a request id. */
        bool op = r->kind == FL_TR_OP_INVOKE || r->kind == FL_TR_OP_RETURN;
        if (op) {
            J_LIT(j, ",\"op\":");
        } else {
            J_LIT(j, ",\"req\":");
        }
        j_u64(j, r->request_id);
    }
    const struct fl_message_view *m = r->message_view;
    if (m != NULL) {
        assert(r->kind == FL_TR_SEND);
        J_VIEW_FIELD(j, ",\"mkind\":", m->kind);
        J_VIEW_FIELD(j, ",\"mtext\":", m->text);
        if (m->trace_id != 0) {
            J_LIT(j, ",\"trace\":");
            j_u64(j, m->trace_id);
        }
    }
}

/* ,"kind":"send" and friends, padded to one size, with their lengths, so no
 * record pays a strlen or a copy of variable length. */
#define KIND_JSON_BYTES 24
static void j_kind(struct json *j, uint8_t kind) {
    static const struct {
        char text[KIND_JSON_BYTES];
        uint8_t len;
    } kinds[] = {
#define KIND(name) {",\"kind\":\"" name "\"", (uint8_t)(sizeof(",\"kind\":\"" name "\"") - 1)}
        {"", 0},          KIND("start"),     KIND("send"),     KIND("deliver"),
        KIND("drop"),     KIND("duplicate"), KIND("timer"),    KIND("crash"),
        KIND("restart"),  KIND("pause"),     KIND("resume"),   KIND("net"),
        KIND("clock_jump"), KIND("annotate"), KIND("violation"), KIND("end"),
        KIND("hold"),     KIND("disk_write"), KIND("disk_read"), KIND("disk_truncate"),
        KIND("disk_sync"), KIND("disk_synced"), KIND("disk_fault"), KIND("op_invoke"),
        KIND("op_return"),
#undef KIND
    };
    _Static_assert(sizeof kinds / sizeof kinds[0] == FL_TR_KIND_LAST + 1, "one entry per kind");
    _Static_assert(sizeof(",\"kind\":\"disk_truncate\"") <= KIND_JSON_BYTES, "the longest fits");
    assert(kind >= FL_TR_START && kind <= FL_TR_KIND_LAST);
    J_FIXED(j, kinds[kind].text, KIND_JSON_BYTES, kinds[kind].len);
}

static void reserve_record(struct fl_trace *trace) {
    if (trace->out_used + JSON_RECORD_BYTES_MAX > FL_TRACE_OUT_BUFFER_BYTES) {
        out_write(trace, trace->out_buffer, trace->out_used);
        trace->out_used = 0;
    }
}

static void write_json(struct fl_trace *trace, uint64_t id, const struct fl_trace_record *r) {
    reserve_record(trace);
    struct json j = {trace->out_buffer + trace->out_used};
    J_LIT(&j, "{\"id\":"); j_u64(&j, id);
    J_LIT(&j, ",\"t\":"); j_u64(&j, r->time_ns);
    j_kind(&j, r->kind);
    J_LIT(&j, ",\"node\":"); j_node(&j, trace, r->node);
    J_LIT(&j, ",\"cause\":"); j_u64(&j, r->cause);
    write_kind_fields(trace, &j, r);
    if (r->text_len > 0) {
        bool file = r->kind >= FL_TR_DISK_WRITE && r->kind != FL_TR_DISK_SYNC &&
                    r->kind != FL_TR_DISK_SYNCED;
        if (file) {
            J_LIT(&j, ",\"file\":");
        } else {
            J_LIT(&j, ",\"text\":");
        }
        write_escaped_text(trace, &j, r->text, r->text_len);
    }
    J_LIT(&j, "}\n");
    size_t used = (size_t)(j.p - trace->out_buffer);
    assert(used <= FL_TRACE_OUT_BUFFER_BYTES);
    trace->out_used = (uint32_t)used;
}

void fl_trace_view(struct fl_trace *trace, uint64_t time_ns, uint32_t node,
                   const struct fl_state_view *view) {
    assert(trace->out != NULL); /* views exist only in the file */
    assert(node < trace->node_count);
    reserve_record(trace);
    struct json j = {trace->out_buffer + trace->out_used};
    J_LIT(&j, "{\"t\":"); j_u64(&j, time_ns);
    J_LIT(&j, ",\"kind\":\"view\",\"node\":"); j_node(&j, trace, node);
    J_LIT(&j, ",\"after\":"); j_u64(&j, trace->next_id - 1);
    J_VIEW_FIELD(&j, ",\"role\":", view->role);
    J_VIEW_FIELD(&j, ",\"label\":", view->label);
    J_LIT(&j, "}\n");
    size_t used = (size_t)(j.p - trace->out_buffer);
    assert(used <= FL_TRACE_OUT_BUFFER_BYTES);
    trace->out_used = (uint32_t)used;
}

uint64_t fl_trace_emit(struct fl_trace *trace, const struct fl_trace_record *record) {
    assert(record->kind >= FL_TR_START && record->kind <= FL_TR_KIND_LAST);
    assert(record->text_len == 0 || record->text != NULL);
    assert(record->message_view == NULL || record->kind == FL_TR_SEND);
    uint64_t id = trace->next_id++;
    assert(record->cause < id); /* causes precede effects */
    hash_record(trace, id, record);
    if (trace->out != NULL) write_json(trace, id, record);
    return id;
}

const char *fl_trace_kind_name(enum fl_trace_kind kind) {
    switch (kind) {
    case FL_TR_START: return "start";
    case FL_TR_SEND: return "send";
    case FL_TR_DELIVER: return "deliver";
    case FL_TR_DROP: return "drop";
    case FL_TR_DUPLICATE: return "duplicate";
    case FL_TR_TIMER: return "timer";
    case FL_TR_CRASH: return "crash";
    case FL_TR_RESTART: return "restart";
    case FL_TR_PAUSE: return "pause";
    case FL_TR_RESUME: return "resume";
    case FL_TR_NET: return "net";
    case FL_TR_CLOCK_JUMP: return "clock_jump";
    case FL_TR_ANNOTATE: return "annotate";
    case FL_TR_VIOLATION: return "violation";
    case FL_TR_END: return "end";
    case FL_TR_HOLD: return "hold";
    case FL_TR_DISK_WRITE: return "disk_write";
    case FL_TR_DISK_READ: return "disk_read";
    case FL_TR_DISK_TRUNCATE: return "disk_truncate";
    case FL_TR_DISK_SYNC: return "disk_sync";
    case FL_TR_DISK_SYNCED: return "disk_synced";
    case FL_TR_DISK_FAULT: return "disk_fault";
    case FL_TR_OP_INVOKE: return "op_invoke";
    case FL_TR_OP_RETURN: return "op_return";
    }
    return "?";
}

const char *fl_disk_fault_name(uint8_t note_kind) {
    static const char *const names[] = {
        "?",           "lost_write",    "misdirected",   "corrupt",       "read_error",
        "sync_error",  "full",          "unsynced_lost", "unsynced_kept", "unsynced_torn",
        "bit_rot",     "full_begin",    "full_end",
    };
    return note_kind < sizeof names / sizeof names[0] ? names[note_kind] : "?";
}

const char *fl_msg_type_name(enum fl_msg_type type) {
    switch (type) {
    case FL_MSG_PLAIN: return "msg";
    case FL_MSG_REQUEST: return "request";
    case FL_MSG_REPLY: return "reply";
    }
    return "?";
}
