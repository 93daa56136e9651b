/*
 * trace_file: reads a JSON Lines trace back into arrays; see trace_file.h.
 *
 * Each line goes through two steps. The scanner splits a flat JSON object into
 * up to FIELDS_MAX (key, value) pairs without copying: numbers are converted on
 * the way, strings are kept as spans of the input and unescaped only when
 * stored in the arena. Keys are classified once into enum key, so a record's
 * fields are then read from a slot table rather than searched by name. When
 * the scanner meets what this writer never writes (a nested value, a float, an
 * escaped key), cJSON parses the line instead and its top-level items fill the
 * same table; only when cJSON fails too is the line an error.
 *
 * The second step applies the record: it appends the event and updates the
 * message copies, the nodes' current states (each change appended as a full
 * snapshot), the open faults and the violations. Node names are parsed to raw
 * codes (server k-1, or CLIENT_BIT | k-1) while the counts of servers and
 * clients are not yet known; finish() renumbers them into the engine's order
 * and groups the state changes by node with a counting sort.
 *
 * Rejected alternative: cJSON for every line. It allocates a tree per line and
 * measured about 5x slower than the scanner on the writer's output.
 */
#include "trace_file.h"

#include <cjson/cJSON.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELDS_MAX 32
#define CLIENT_BIT 0x40000000u
#define NODE_NUMBER_MAX 65536u /* n1..n65536: far beyond any scenario */

enum key {
    K_OTHER = 0,
    K_ID,
    K_T,
    K_KIND,
    K_NODE,
    K_CAUSE,
    K_INCARNATION,
    K_TO,
    K_FROM,
    K_TYPE,
    K_SIZE,
    K_CORRUPT,
    K_REQ,
    K_REASON,
    K_TAG,
    K_RESTART_AFTER,
    K_UNTIL,
    K_UNDO,
    K_TEXT,
    K_DELTA,
    K_OFFSET,
    K_STATUS,
    K_FILE,
    K_SYNC,
    K_FAULT,
    K_DETAIL,
    K_MKIND,
    K_MTEXT,
    K_TRACE,
    K_AFTER,
    K_ROLE,
    K_LABEL,
    K_F,
    K_KEY,
    K_VALUE,
    K_OP,
    K_COUNT
};

/* V_PAIR: a flat array of two integers (a cas's [from,to]), in num and num_to. */
enum vtype { V_NONE = 0, V_UINT, V_INT, V_STR, V_TRUE, V_FALSE, V_NULL, V_PAIR, V_OTHER };

struct value {
    uint8_t type;    /* enum vtype; V_NONE: the field is absent */
    bool escaped;    /* V_STR: the span holds backslash escapes */
    uint64_t num;    /* V_UINT; V_INT holds an int64 in two's complement */
    uint64_t num_to; /* V_PAIR: the second integer, as num */
    const char *str; /* V_STR: the characters between the quotes */
    uint32_t len;
};

struct node_now { /* a node's current state while loading */
    struct fl_tf_change state;
    bool seen;           /* a state change was appended */
    uint32_t open_crash; /* fault index, FL_TF_NONE */
    uint32_t open_pause;
};

struct loader {
    struct fl_trace_file *trace;
    const char *file_name;
    struct fl_error *error;
    uint64_t line;
    struct value v[K_COUNT];
    cJSON *json; /* the fallback's tree for the current line, or NULL */
    size_t events_size, messages_size, changes_size, faults_size, violations_size;
    struct node_now *servers, *clients;
    uint32_t servers_size, clients_size;
    uint32_t server_count, client_count; /* the highest numbers seen */
    uint64_t last_t_ns;
    bool ended;
};

static bool fail(struct loader *l, const char *format, ...) {
    int n = snprintf(l->error->message, sizeof l->error->message, "%s: line %llu: ", l->file_name,
                     (unsigned long long)l->line);
    if (n < 0 || (size_t)n >= sizeof l->error->message) return false;
    va_list args;
    va_start(args, format);
    vsnprintf(l->error->message + n, sizeof l->error->message - (size_t)n, format, args);
    va_end(args);
    return false;
}

/* Doubles an array's capacity when full; exits on out of memory, like the
 * engine: there is nothing sensible a viewer can do without its arrays. */
static void *grow(void *array, size_t *size, size_t used, size_t item_bytes) {
    if (used < *size) return array;
    size_t next = *size < 16 ? 16 : *size * 2;
    void *p = realloc(array, next * item_bytes);
    if (p == NULL) {
        fprintf(stderr, "faultline: out of memory reading a trace\n");
        exit(3);
    }
    *size = next;
    return p;
}

/* ---- the arena ---------------------------------------------------------- */

static char *arena_reserve(struct fl_trace_file *t, size_t bytes) {
    if (t->arena_used + bytes > t->arena_size) {
        size_t next = t->arena_size < 4096 ? 4096 : t->arena_size;
        while (next < t->arena_used + bytes)
            next *= 2;
        char *p = realloc(t->arena, next);
        if (p == NULL) {
            fprintf(stderr, "faultline: out of memory reading a trace\n");
            exit(3);
        }
        t->arena = p;
        t->arena_size = next;
    }
    return t->arena + t->arena_used;
}

static uint32_t arena_add(struct fl_trace_file *t, const char *s, size_t len) {
    if (len == 0) return 0;
    char *p = arena_reserve(t, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    uint32_t offset = (uint32_t)t->arena_used;
    t->arena_used += len + 1;
    return offset;
}

static uint32_t hex4(const char *s, bool *ok) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            *ok = false;
    }
    return v;
}

static char *put_utf8(char *p, uint32_t code) {
    if (code < 0x80) {
        *p++ = (char)code;
    } else if (code < 0x800) {
        *p++ = (char)(0xc0 | (code >> 6));
        *p++ = (char)(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
        *p++ = (char)(0xe0 | (code >> 12));
        *p++ = (char)(0x80 | ((code >> 6) & 0x3f));
        *p++ = (char)(0x80 | (code & 0x3f));
    } else {
        *p++ = (char)(0xf0 | (code >> 18));
        *p++ = (char)(0x80 | ((code >> 12) & 0x3f));
        *p++ = (char)(0x80 | ((code >> 6) & 0x3f));
        *p++ = (char)(0x80 | (code & 0x3f));
    }
    return p;
}

/* Stores a string value (unescaping it) and returns its offset; UINT32_MAX
 * on a bad escape. An escaped text never grows: "\u00e9" (6 bytes) is 2. */
static uint32_t arena_value(struct fl_trace_file *t, const struct value *v) {
    if (v->type != V_STR || v->len == 0) return 0;
    if (!v->escaped) return arena_add(t, v->str, v->len);
    char *start = arena_reserve(t, (size_t)v->len + 1);
    char *p = start;
    const char *s = v->str, *end = v->str + v->len;
    while (s < end) {
        if (*s != '\\') {
            *p++ = *s++;
            continue;
        }
        if (s + 1 >= end) return UINT32_MAX;
        char c = s[1];
        s += 2;
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '/': *p++ = '/'; break;
        case 'b': *p++ = '\b'; break;
        case 'f': *p++ = '\f'; break;
        case 'n': *p++ = '\n'; break;
        case 'r': *p++ = '\r'; break;
        case 't': *p++ = '\t'; break;
        case 'u': {
            bool ok = true;
            if (end - s < 4) return UINT32_MAX;
            uint32_t code = hex4(s, &ok);
            s += 4;
            if (code >= 0xd800 && code <= 0xdbff && end - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                uint32_t low = hex4(s + 2, &ok);
                if (low >= 0xdc00 && low <= 0xdfff) {
                    code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                    s += 6;
                }
            }
            if (!ok) return UINT32_MAX;
            if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd; /* a lone surrogate */
            p = put_utf8(p, code);
            break;
        }
        default: return UINT32_MAX;
        }
    }
    assert(p <= start + v->len);
    *p = '\0';
    uint32_t offset = (uint32_t)t->arena_used;
    t->arena_used += (size_t)(p - start) + 1;
    return p == start ? 0 : offset;
}

/* ---- the scanner ---------------------------------------------------------- */

static enum key classify(const char *k, uint32_t n) {
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0)
    switch (k[0]) {
    case 'a':
        if (IS("after")) return K_AFTER;
        break;
    case 'c':
        if (IS("cause")) return K_CAUSE;
        if (IS("corrupt")) return K_CORRUPT;
        break;
    case 'd':
        if (IS("delta_ns")) return K_DELTA;
        if (IS("detail")) return K_DETAIL;
        break;
    case 'f':
        if (IS("f")) return K_F;
        if (IS("from")) return K_FROM;
        if (IS("file")) return K_FILE;
        if (IS("fault")) return K_FAULT;
        break;
    case 'i':
        if (IS("id")) return K_ID;
        if (IS("incarnation")) return K_INCARNATION;
        break;
    case 'k':
        if (IS("kind")) return K_KIND;
        if (IS("key")) return K_KEY;
        break;
    case 'l':
        if (IS("label")) return K_LABEL;
        break;
    case 'm':
        if (IS("mkind")) return K_MKIND;
        if (IS("mtext")) return K_MTEXT;
        break;
    case 'n':
        if (IS("node")) return K_NODE;
        break;
    case 'o':
        if (IS("offset")) return K_OFFSET;
        if (IS("op")) return K_OP;
        break;
    case 'r':
        if (IS("req")) return K_REQ;
        if (IS("reason")) return K_REASON;
        if (IS("restart_after_ns")) return K_RESTART_AFTER;
        if (IS("role")) return K_ROLE;
        break;
    case 'v':
        if (IS("value")) return K_VALUE;
        break;
    case 's':
        if (IS("size")) return K_SIZE;
        if (IS("status")) return K_STATUS;
        if (IS("sync")) return K_SYNC;
        break;
    case 't':
        if (IS("t")) return K_T;
        if (IS("to")) return K_TO;
        if (IS("type")) return K_TYPE;
        if (IS("tag")) return K_TAG;
        if (IS("text")) return K_TEXT;
        if (IS("trace")) return K_TRACE;
        break;
    case 'u':
        if (IS("until")) return K_UNTIL;
        if (IS("undo")) return K_UNDO;
        break;
    default: break;
    }
#undef IS
    return K_OTHER;
}

static const char *skip_space(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

/* A string starting after its opening quote: its end (the closing quote) or
 * NULL. Control characters are not allowed inside JSON strings. */
static const char *scan_string(const char *p, const char *end, bool *escaped) {
    *escaped = false;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p;
        if (c == '\\') {
            *escaped = true;
            p += 2;
            continue;
        }
        if (c < 0x20) return NULL;
        p++;
    }
    return NULL;
}

/* Scans a JSON integer at p into v (V_UINT or V_INT); returns the end, or
 * NULL for anything else (a fraction, an exponent, a leading zero, overflow). */
static const char *scan_integer(const char *p, const char *end, struct value *v) {
    if (p >= end) return NULL;
    bool negative = *p == '-';
    if (negative) p++;
    const char *digits = p;
    uint64_t n = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        uint64_t d = (uint64_t)(*p - '0');
        if (n > (UINT64_MAX - d) / 10) return NULL;
        n = n * 10 + d;
        p++;
    }
    if (p == digits || (p - digits > 1 && *digits == '0')) return NULL;
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return NULL;
    if (negative && n > (uint64_t)INT64_MAX) return NULL;
    v->type = negative ? V_INT : V_UINT;
    v->num = negative ? (uint64_t)0 - n : n;
    return p;
}

/* Scans one flat object of the writer's kind into l->v. false: not simple
 * enough (or not valid); the caller then tries cJSON. */
static bool scan_line(struct loader *l, const char *p, const char *end) {
    memset(l->v, 0, sizeof l->v);
    p = skip_space(p, end);
    if (p >= end || *p != '{') return false;
    p = skip_space(p + 1, end);
    if (p < end && *p == '}') return skip_space(p + 1, end) == end;
    for (;;) {
        if (p >= end || *p != '"') return false;
        bool escaped;
        const char *key = p + 1;
        const char *key_end = scan_string(key, end, &escaped);
        if (key_end == NULL || escaped || key_end == key) return false;
        enum key k = classify(key, (uint32_t)(key_end - key));
        p = skip_space(key_end + 1, end);
        if (p >= end || *p != ':') return false;
        p = skip_space(p + 1, end);
        if (p >= end) return false;
        struct value v = {0};
        char c = *p;
        if (c == '"') {
            const char *s_end = scan_string(p + 1, end, &v.escaped);
            if (s_end == NULL) return false;
            v.type = V_STR;
            v.str = p + 1;
            v.len = (uint32_t)(s_end - v.str);
            p = s_end + 1;
        } else if ((c >= '0' && c <= '9') || c == '-') {
            p = scan_integer(p, end, &v);
            if (p == NULL) return false;
        } else if (c == '[') {
            /* Only the writer's one array, a cas's [from,to]; anything else is cJSON's. */
            struct value to = {0};
            p = scan_integer(skip_space(p + 1, end), end, &v);
            if (p == NULL) return false;
            p = skip_space(p, end);
            if (p >= end || *p != ',') return false;
            p = scan_integer(skip_space(p + 1, end), end, &to);
            if (p == NULL) return false;
            p = skip_space(p, end);
            if (p >= end || *p != ']') return false;
            p++;
            v.type = V_PAIR;
            v.num_to = to.num;
        } else if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
            v.type = V_TRUE;
            p += 4;
        } else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
            v.type = V_FALSE;
            p += 5;
        } else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
            v.type = V_NULL;
            p += 4;
        } else {
            return false; /* a nested value or not JSON */
        }
        if (k != K_OTHER) {
            if (l->v[k].type != V_NONE) return false; /* a repeated key: let cJSON judge */
            l->v[k] = v;
        }
        p = skip_space(p, end);
        if (p >= end) return false;
        if (*p == '}') return skip_space(p + 1, end) == end;
        if (*p != ',') return false;
        p = skip_space(p + 1, end);
    }
}

/* The fallback: cJSON parses the line; its top-level items fill l->v. The
 * tree lives until the line has been applied (strings point into it). */
static bool parse_line_json(struct loader *l, const char *p, const char *end) {
    memset(l->v, 0, sizeof l->v);
    cJSON_Delete(l->json);
    const char *parse_end = NULL;
    l->json = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &parse_end, false);
    if (l->json == NULL || !cJSON_IsObject(l->json)) return false;
    if (skip_space(parse_end, end) != end) return false;
    for (const cJSON *item = l->json->child; item != NULL; item = item->next) {
        if (item->string == NULL || item->string[0] == '\0') continue;
        enum key k = classify(item->string, (uint32_t)strlen(item->string));
        if (k == K_OTHER) continue;
        struct value v = {0};
        if (cJSON_IsString(item)) {
            v.type = V_STR;
            v.str = item->valuestring;
            v.len = (uint32_t)strlen(item->valuestring);
        } else if (cJSON_IsNumber(item)) {
            double d = item->valuedouble;
            if (d >= 0 && d < 18446744073709551616.0 && d == (double)(uint64_t)d) {
                v.type = V_UINT;
                v.num = (uint64_t)d;
            } else if (d < 0 && d >= -9223372036854775808.0 && d == (double)(int64_t)d) {
                v.type = V_INT;
                v.num = (uint64_t)(int64_t)d;
            } else {
                v.type = V_OTHER;
            }
        } else if (cJSON_IsTrue(item)) {
            v.type = V_TRUE;
        } else if (cJSON_IsFalse(item)) {
            v.type = V_FALSE;
        } else if (cJSON_IsNull(item)) {
            v.type = V_NULL;
        } else if (cJSON_IsArray(item) && cJSON_GetArraySize(item) == 2 &&
                   cJSON_IsNumber(item->child) && cJSON_IsNumber(item->child->next)) {
            v.type = V_PAIR;
            v.num = (uint64_t)(int64_t)item->child->valuedouble;
            v.num_to = (uint64_t)(int64_t)item->child->next->valuedouble;
        } else {
            v.type = V_OTHER;
        }
        l->v[k] = v;
    }
    return true;
}

/* ---- reading fields -------------------------------------------------------- */

static bool str_is(const struct value *v, const char *lit) {
    size_t n = strlen(lit);
    return v->type == V_STR && v->len == n && memcmp(v->str, lit, n) == 0;
}

static bool need_uint(struct loader *l, enum key k, const char *name, const char *what,
                      uint64_t *out) {
    if (l->v[k].type != V_UINT) {
        return fail(l, "expected \"%s\" (%s, a non-negative integer)%s", name, what,
                    l->v[k].type == V_NONE ? "" : ", found another value");
    }
    *out = l->v[k].num;
    return true;
}

static uint64_t opt_uint(struct loader *l, enum key k) {
    return l->v[k].type == V_UINT ? l->v[k].num : 0;
}

/* "n3" -> 2, "c1" -> CLIENT_BIT | 0; FL_TF_NONE for anything else. */
static uint32_t parse_node_code(const struct value *v) {
    if (v->type != V_STR || v->len < 2 || v->len > 8) return FL_TF_NONE;
    if (v->str[0] != 'n' && v->str[0] != 'c') return FL_TF_NONE;
    uint32_t k = 0;
    for (uint32_t i = 1; i < v->len; i++) {
        char c = v->str[i];
        if (c < '0' || c > '9' || (i == 1 && c == '0')) return FL_TF_NONE;
        k = k * 10 + (uint32_t)(c - '0');
    }
    if (k == 0 || k > NODE_NUMBER_MAX) return FL_TF_NONE;
    return v->str[0] == 'n' ? k - 1 : CLIENT_BIT | (k - 1);
}

static struct node_now *node_now(struct loader *l, uint32_t code) {
    bool client = (code & CLIENT_BIT) != 0;
    uint32_t k = code & ~CLIENT_BIT;
    struct node_now **array = client ? &l->clients : &l->servers;
    uint32_t *size = client ? &l->clients_size : &l->servers_size;
    if (k >= *size) {
        uint32_t next = *size < 16 ? 16 : *size;
        while (next <= k)
            next *= 2;
        struct node_now *p = realloc(*array, next * sizeof *p);
        if (p == NULL) {
            fprintf(stderr, "faultline: out of memory reading a trace\n");
            exit(3);
        }
        for (uint32_t i = *size; i < next; i++) {
            p[i] = (struct node_now){.open_crash = FL_TF_NONE, .open_pause = FL_TF_NONE};
            p[i].state.node = client ? CLIENT_BIT | i : i;
            p[i].state.paused_until_ns = 0;
        }
        *array = p;
        *size = next;
    }
    uint32_t *count = client ? &l->client_count : &l->server_count;
    if (k + 1 > *count) *count = k + 1;
    return &(*array)[k];
}

/* A node field: the raw code, or FL_TF_NONE with an error when it is not a
 * node name (and null is not allowed). */
static bool need_node(struct loader *l, enum key k, const char *name, bool null_ok, uint32_t *out) {
    const struct value *v = &l->v[k];
    if (v->type == V_NULL && null_ok) {
        *out = FL_TF_NONE;
        return true;
    }
    uint32_t code = parse_node_code(v);
    if (code == FL_TF_NONE) {
        return fail(l, "expected \"%s\" to be a node name like \"n1\" or \"c2\"%s", name,
                    null_ok ? " or null" : "");
    }
    (void)node_now(l, code);
    *out = code;
    return true;
}

static bool store_text(struct loader *l, enum key k, const char *name, uint32_t *out) {
    const struct value *v = &l->v[k];
    if (v->type == V_NONE) {
        *out = 0;
        return true;
    }
    if (v->type != V_STR) return fail(l, "expected \"%s\" to be a string", name);
    *out = arena_value(l->trace, v);
    if (*out == UINT32_MAX) return fail(l, "a bad escape in \"%s\"", name);
    return true;
}

/* ---- applying records ------------------------------------------------------ */

static void push_change(struct loader *l, struct node_now *n, uint64_t t_ns, uint64_t event_id) {
    struct fl_trace_file *t = l->trace;
    t->changes = grow(t->changes, &l->changes_size, t->change_count, sizeof *t->changes);
    n->state.t_ns = t_ns;
    n->state.event_id = event_id;
    t->changes[t->change_count++] = n->state;
    n->seen = true;
}

static uint32_t push_fault(struct loader *l, uint8_t kind, const struct fl_tf_event *e,
                           uint64_t id) {
    struct fl_trace_file *t = l->trace;
    t->faults = grow(t->faults, &l->faults_size, t->fault_count, sizeof *t->faults);
    t->faults[t->fault_count] = (struct fl_tf_fault){.t_ns = e->t_ns,
                                                     .end_ns = FL_TF_NEVER,
                                                     .event_id = id,
                                                     .kind = kind,
                                                     .node = e->node,
                                                     .text = e->text};
    return t->fault_count++;
}

static void end_fault(struct fl_trace_file *t, uint32_t index, uint64_t t_ns, uint64_t id) {
    if (index == FL_TF_NONE || t->faults[index].end_id != 0) return;
    t->faults[index].end_ns = t_ns;
    t->faults[index].end_id = id;
}

/* Does the text start with word followed by a space (or end)? */
static bool text_starts(const char *text, const char *word) {
    size_t n = strlen(word);
    return strncmp(text, word, n) == 0 && (text[n] == ' ' || text[n] == '\0');
}

static void apply_net(struct loader *l, struct fl_tf_event *e, uint64_t id) {
    struct fl_trace_file *t = l->trace;
    if (e->flags & FL_TF_EVENT_UNDO) {
        if (e->cause != 0 && t->events[e->cause - 1].kind == FL_TF_NET) {
            end_fault(t, t->events[e->cause - 1].ref, e->t_ns, id);
        }
        return;
    }
    uint32_t index = push_fault(l, FL_TF_FAULT_NET, e, id);
    e->ref = index;
    const char *text = fl_tf_str(t, e->text);
    if (text_starts(text, "heal")) {
        for (uint32_t i = 0; i < index; i++) {
            if (t->faults[i].kind == FL_TF_FAULT_NET) end_fault(t, i, e->t_ns, id);
        }
    } else if (text_starts(text, "release")) {
        /* A release ends every hold on its link: "release a->b" ends "hold a->b". */
        const char *link = text + strlen("release");
        for (uint32_t i = 0; i < index; i++) {
            const char *other = fl_tf_str(t, t->faults[i].text);
            if (t->faults[i].kind == FL_TF_FAULT_NET && text_starts(other, "hold") &&
                strcmp(other + strlen("hold"), link) == 0) {
                end_fault(t, i, e->t_ns, id);
            }
        }
    }
    if (text_starts(text, "heal") || text_starts(text, "release")) end_fault(t, index, e->t_ns, id);
}

/* A deliver, drop or hold: the copy of the send it belongs to, the first
 * that has not ended (or, for a hold, not been held). */
static bool find_copy(struct loader *l, const struct fl_tf_event *e, bool hold, uint32_t *out) {
    struct fl_trace_file *t = l->trace;
    if (e->cause == 0 || t->events[e->cause - 1].kind != FL_TF_SEND) {
        return fail(l, "expected \"cause\" of a %s to be the id of a send, found %llu",
                    fl_tf_kind_name(e->kind), (unsigned long long)e->cause);
    }
    const struct fl_tf_event *send = &t->events[e->cause - 1];
    if (send->node != e->peer || send->peer != e->node) {
        return fail(l,
                    "expected the %s's \"from\" and \"node\" to be the sender and "
                    "receiver of send %llu",
                    fl_tf_kind_name(e->kind), (unsigned long long)e->cause);
    }
    for (uint32_t m = send->ref; m != FL_TF_NONE; m = t->messages[m].next_copy) {
        const struct fl_tf_message *copy = &t->messages[m];
        if (copy->end_id == 0 && (!hold || copy->hold_ns == FL_TF_NEVER)) {
            *out = m;
            return true;
        }
    }
    return fail(l, "send %llu already ended (a second %s needs a duplicate record)",
                (unsigned long long)e->cause, fl_tf_kind_name(e->kind));
}

static uint32_t new_copy(struct loader *l, const struct fl_tf_event *e, uint64_t id) {
    struct fl_trace_file *t = l->trace;
    t->messages = grow(t->messages, &l->messages_size, t->message_count, sizeof *t->messages);
    t->messages[t->message_count] = (struct fl_tf_message){.send_id = id,
                                                           .send_ns = e->t_ns,
                                                           .end_ns = FL_TF_NEVER,
                                                           .hold_ns = FL_TF_NEVER,
                                                           .req = e->req,
                                                           .from = e->node,
                                                           .to = e->peer,
                                                           .size_bytes = (uint32_t)e->a,
                                                           .copy_of = FL_TF_NONE,
                                                           .next_copy = FL_TF_NONE,
                                                           .type = e->type};
    return t->message_count++;
}

static bool apply_message(struct loader *l, struct fl_tf_event *e, uint64_t id) {
    struct fl_trace_file *t = l->trace;
    struct fl_tf_counts *c = &t->counts;
    switch (e->kind) {
    case FL_TF_SEND: {
        e->ref = new_copy(l, e, id);
        struct fl_tf_message *m = &t->messages[e->ref];
        if (!store_text(l, K_MKIND, "mkind", &m->mkind)) return false;
        if (!store_text(l, K_MTEXT, "mtext", &m->mtext)) return false;
        m->trace_id = opt_uint(l, K_TRACE);
        c->sends++;
        return true;
    }
    case FL_TF_DUPLICATE: {
        const struct fl_tf_event *send = e->cause ? &t->events[e->cause - 1] : NULL;
        if (send == NULL || send->kind != FL_TF_SEND) {
            return fail(l, "expected \"cause\" of a duplicate to be the id of a send");
        }
        uint32_t first = send->ref;
        struct fl_tf_event copy_event = *send;
        copy_event.t_ns = e->t_ns;
        uint32_t m = new_copy(l, &copy_event, send - t->events + 1);
        t->messages[m].copy_of = first;
        t->messages[m].mkind = t->messages[first].mkind;
        t->messages[m].mtext = t->messages[first].mtext;
        t->messages[m].trace_id = t->messages[first].trace_id;
        uint32_t last = first;
        while (t->messages[last].next_copy != FL_TF_NONE)
            last = t->messages[last].next_copy;
        t->messages[last].next_copy = m;
        e->ref = m;
        e->type = send->type;
        c->duplicates++;
        return true;
    }
    case FL_TF_HOLD: {
        uint32_t m;
        if (!find_copy(l, e, true, &m)) return false;
        t->messages[m].hold_ns = e->t_ns;
        e->ref = m;
        e->type = t->messages[m].type;
        c->holds++;
        return true;
    }
    default: break;
    }
    uint32_t m = FL_TF_NONE;
    if (!find_copy(l, e, false, &m)) return false;
    struct fl_tf_message *copy = &t->messages[m];
    e->ref = m;
    copy->end_id = id;
    copy->end_ns = e->t_ns;
    uint64_t flight_ns = e->t_ns - copy->send_ns;
    if (flight_ns > t->flight_ns_max) t->flight_ns_max = flight_ns;
    if (e->kind == FL_TF_DELIVER) {
        copy->fate = FL_TF_FATE_DELIVERED;
        copy->corrupt = (e->flags & FL_TF_EVENT_CORRUPT) != 0;
        c->delivers++;
        if (copy->corrupt) c->corrupt++;
    } else {
        copy->fate = FL_TF_FATE_DROPPED;
        copy->drop_reason = (uint8_t)e->a;
        c->drops++;
        c->drops_by_reason[e->a & 3]++;
    }
    return true;
}

static bool apply_node_event(struct loader *l, struct fl_tf_event *e, uint64_t id) {
    struct fl_trace_file *t = l->trace;
    struct node_now *n = node_now(l, e->node);
    switch (e->kind) {
    case FL_TF_START:
    case FL_TF_RESTART:
        n->state.up = true;
        n->state.paused = false;
        n->state.incarnation = (uint32_t)e->a;
        end_fault(t, n->open_crash, e->t_ns, id);
        n->open_crash = FL_TF_NONE;
        break;
    case FL_TF_CRASH:
        n->state.up = false;
        n->state.paused = false;
        e->ref = push_fault(l, FL_TF_FAULT_CRASH, e, id);
        t->faults[e->ref].value = (int64_t)e->a;
        n->open_crash = e->ref;
        break;
    case FL_TF_PAUSE:
        n->state.paused = true;
        n->state.paused_until_ns = e->a;
        e->ref = push_fault(l, FL_TF_FAULT_PAUSE, e, id);
        end_fault(t, n->open_pause, e->t_ns, id); /* an extension replaces it */
        n->open_pause = e->ref;
        break;
    case FL_TF_RESUME:
        n->state.paused = false;
        end_fault(t, n->open_pause, e->t_ns, id);
        n->open_pause = FL_TF_NONE;
        break;
    default: return true;
    }
    push_change(l, n, e->t_ns, id);
    return true;
}

/* Appends an op value as the trace writes it: a number, or nil for null. */
static int format_op_value(char *out, size_t size, const struct value *v) {
    if (v->type == V_INT) return snprintf(out, size, "%lld", (long long)(int64_t)v->num);
    if (v->type == V_UINT) return snprintf(out, size, "%llu", (unsigned long long)v->num);
    return snprintf(out, size, "nil");
}

/* op_invoke and op_return: the handle in req, the key in a, and the
 * operation in words as the event's text ("cas k3 1 -> 2", "ok read k2 -> 7"). */
static bool apply_op(struct loader *l, struct fl_tf_event *e) {
    const struct value *v = l->v;
    if (!need_uint(l, K_OP, "op", "the operation's handle", &e->req)) return false;
    if (v[K_F].type != V_STR || v[K_F].len > 8 || v[K_F].escaped) {
        return fail(l, "expected \"f\" of an operation: read, write or cas");
    }
    char f[9];
    memcpy(f, v[K_F].str, v[K_F].len);
    f[v[K_F].len] = '\0';
    char text[160];
    int n = 0;
    if (e->kind == FL_TF_OP_INVOKE) {
        if (!need_uint(l, K_KEY, "key", "the operation's key", &e->a)) return false;
        n = snprintf(text, sizeof text, "%s k%llu", f, (unsigned long long)e->a);
        if (v[K_VALUE].type == V_PAIR) {
            n += snprintf(text + n, sizeof text - (size_t)n, " %lld -> %lld",
                          (long long)(int64_t)v[K_VALUE].num,
                          (long long)(int64_t)v[K_VALUE].num_to);
        } else if (v[K_VALUE].type != V_NONE) {
            n += snprintf(text + n, sizeof text - (size_t)n, " = ");
            n += format_op_value(text + n, sizeof text - (size_t)n, &v[K_VALUE]);
        }
    } else {
        if (v[K_STATUS].type != V_STR || v[K_STATUS].len > 8) {
            return fail(l, "expected \"status\" of an operation's return: ok, fail or info");
        }
        n = snprintf(text, sizeof text, "%.*s %s", (int)v[K_STATUS].len, v[K_STATUS].str, f);
        if (v[K_VALUE].type != V_NONE) {
            n += snprintf(text + n, sizeof text - (size_t)n, " -> ");
            n += format_op_value(text + n, sizeof text - (size_t)n, &v[K_VALUE]);
        }
        if (!str_is(&v[K_STATUS], "ok")) e->flags |= FL_TF_EVENT_FAILED;
    }
    assert(n > 0 && (size_t)n < sizeof text);
    e->text = arena_add(l->trace, text, (size_t)n);
    return true;
}

/* Reads the kind-specific fields of an event into it. */
static bool read_kind_fields(struct loader *l, struct fl_tf_event *e) {
    struct value *v = l->v;
    bool message = e->kind == FL_TF_SEND || e->kind == FL_TF_DELIVER || e->kind == FL_TF_DROP ||
                   e->kind == FL_TF_DUPLICATE || e->kind == FL_TF_HOLD;
    if (e->node == FL_TF_NONE && e->kind != FL_TF_NET && e->kind != FL_TF_VIOLATION &&
        e->kind != FL_TF_END) {
        return fail(l, "expected \"node\" of a %s to be a node name, found null",
                    fl_tf_kind_name(e->kind));
    }
    if (message) {
        bool outgoing = e->kind == FL_TF_SEND || e->kind == FL_TF_DUPLICATE;
        if (!need_node(l, outgoing ? K_TO : K_FROM, outgoing ? "to" : "from", false, &e->peer)) {
            return false;
        }
        if (v[K_TYPE].type != V_NONE) {
            if (str_is(&v[K_TYPE], "request"))
                e->type = FL_TF_MSG_REQUEST;
            else if (str_is(&v[K_TYPE], "reply"))
                e->type = FL_TF_MSG_REPLY;
            else if (str_is(&v[K_TYPE], "msg"))
                e->type = FL_TF_MSG_PLAIN;
            else
                return fail(l, "expected \"type\" to be \"request\" or \"reply\"");
        }
        e->req = opt_uint(l, K_REQ);
    }
    switch (e->kind) {
    case FL_TF_START:
    case FL_TF_RESTART: e->a = opt_uint(l, K_INCARNATION); break;
    case FL_TF_SEND:
    case FL_TF_DELIVER:
        if (!need_uint(l, K_SIZE, "size", "payload bytes", &e->a)) return false;
        if (v[K_CORRUPT].type == V_TRUE) e->flags |= FL_TF_EVENT_CORRUPT;
        break;
    case FL_TF_DROP:
        if (str_is(&v[K_REASON], "loss"))
            e->a = FL_TF_DROP_LOSS;
        else if (str_is(&v[K_REASON], "partition"))
            e->a = FL_TF_DROP_PARTITION;
        else if (str_is(&v[K_REASON], "queue_full"))
            e->a = FL_TF_DROP_QUEUE;
        else if (str_is(&v[K_REASON], "node_down"))
            e->a = FL_TF_DROP_DOWN;
        else
            return fail(l,
                        "expected \"reason\" of a drop: loss, partition, queue_full or node_down");
        break;
    case FL_TF_TIMER: e->a = opt_uint(l, K_TAG); break;
    case FL_TF_CRASH: e->a = opt_uint(l, K_RESTART_AFTER); break;
    case FL_TF_PAUSE:
        if (!need_uint(l, K_UNTIL, "until", "the pause's end in ns", &e->a)) return false;
        break;
    case FL_TF_CLOCK_JUMP:
        if (v[K_DELTA].type != V_UINT && v[K_DELTA].type != V_INT) {
            return fail(l, "expected \"delta_ns\" (an integer) on a clock_jump");
        }
        e->a = v[K_DELTA].num;
        break;
    case FL_TF_NET:
        if (v[K_UNDO].type == V_TRUE) e->flags |= FL_TF_EVENT_UNDO;
        if (v[K_TEXT].type != V_STR) return fail(l, "expected \"text\" describing the net fault");
        break;
    case FL_TF_END:
        if (str_is(&v[K_REASON], "end"))
            e->a = FL_STOP_END;
        else if (str_is(&v[K_REASON], "idle"))
            e->a = FL_STOP_IDLE;
        else if (str_is(&v[K_REASON], "violation"))
            e->a = FL_STOP_VIOLATION;
        else if (str_is(&v[K_REASON], "budget"))
            e->a = FL_STOP_BUDGET;
        else
            return fail(l, "expected \"reason\" of the end: end, idle, violation or budget");
        break;
    case FL_TF_DISK_WRITE:
    case FL_TF_DISK_READ:
    case FL_TF_DISK_TRUNCATE:
    case FL_TF_DISK_FAULT:
        e->a = opt_uint(l, K_OFFSET);
        e->b = opt_uint(l, K_SIZE);
        break;
    case FL_TF_DISK_SYNC:
    case FL_TF_DISK_SYNCED: e->a = opt_uint(l, K_SYNC); break;
    case FL_TF_OP_INVOKE:
    case FL_TF_OP_RETURN: return apply_op(l, e);
    default: break;
    }
    if (v[K_STATUS].type == V_STR && !str_is(&v[K_STATUS], "ok")) e->flags |= FL_TF_EVENT_FAILED;
    enum key text_key = e->kind == FL_TF_DISK_FAULT   ? K_FAULT
                        : e->kind >= FL_TF_DISK_WRITE ? K_FILE /* the disk kinds, to 22 */
                                                      : K_TEXT;
    return store_text(l, text_key,
                      text_key == K_TEXT   ? "text"
                      : text_key == K_FILE ? "file"
                                           : "fault",
                      &e->text);
}

static uint8_t kind_code(const struct value *v) {
    if (v->type != V_STR) return 0;
    for (uint8_t k = FL_TF_START; k <= FL_TF_KIND_LAST; k++) {
        const char *name = fl_tf_kind_name(k);
        if (strlen(name) == v->len && memcmp(name, v->str, v->len) == 0) return k;
    }
    return 0;
}

static bool apply_view(struct loader *l) {
    struct fl_trace_file *t = l->trace;
    uint64_t t_ns = 0, after = 0;
    uint32_t code = FL_TF_NONE;
    if (!need_uint(l, K_T, "t", "simulated ns", &t_ns)) return false;
    if (t_ns < l->last_t_ns)
        return fail(l, "time %llu is before the previous line's %llu", (unsigned long long)t_ns,
                    (unsigned long long)l->last_t_ns);
    if (!need_uint(l, K_AFTER, "after", "the id of the event it follows", &after)) return false;
    if (after == 0 || after > t->event_count) {
        return fail(l, "expected \"after\" to be the id of an earlier event, found %llu",
                    (unsigned long long)after);
    }
    if (!need_node(l, K_NODE, "node", false, &code)) return false;
    struct node_now *n = node_now(l, code);
    if (!store_text(l, K_ROLE, "role", &n->state.role)) return false;
    if (!store_text(l, K_LABEL, "label", &n->state.label)) return false;
    push_change(l, n, t_ns, after);
    t->counts.views++;
    return true;
}

static bool apply_line(struct loader *l) {
    struct fl_trace_file *t = l->trace;
    struct value *v = l->v;
    if (l->ended) return fail(l, "expected nothing after the end record");
    if (str_is(&v[K_KIND], "view") && v[K_ID].type == V_NONE) return apply_view(l);
    uint64_t id = 0, t_ns = 0, cause = 0;
    if (!need_uint(l, K_ID, "id", "the record's number", &id)) return false;
    if (id != t->event_count + 1) {
        return fail(l, "expected \"id\" %llu (ids count up from 1), found %llu",
                    (unsigned long long)(t->event_count + 1), (unsigned long long)id);
    }
    if (!need_uint(l, K_T, "t", "simulated ns", &t_ns)) return false;
    if (t_ns < l->last_t_ns) {
        return fail(l, "time %llu is before the previous record's %llu", (unsigned long long)t_ns,
                    (unsigned long long)l->last_t_ns);
    }
    uint8_t kind = kind_code(&v[K_KIND]);
    if (kind == 0) return fail(l, "expected \"kind\" to be a record kind (start, send, ...)");
    if (!need_uint(l, K_CAUSE, "cause", "an earlier record's id or 0", &cause)) return false;
    if (cause >= id) {
        return fail(l, "expected \"cause\" to be an earlier record, found %llu >= id %llu",
                    (unsigned long long)cause, (unsigned long long)id);
    }
    struct fl_tf_event e = {.t_ns = t_ns,
                            .cause = cause,
                            .node = FL_TF_NONE,
                            .peer = FL_TF_NONE,
                            .ref = FL_TF_NONE,
                            .kind = kind};
    if (v[K_NODE].type == V_NONE) return fail(l, "expected \"node\" (a node name or null)");
    if (!need_node(l, K_NODE, "node", true, &e.node)) return false;
    if (!read_kind_fields(l, &e)) return false;
    t->events = grow(t->events, &l->events_size, t->event_count, sizeof *t->events);
    t->events[t->event_count++] = e;
    l->last_t_ns = t_ns;
    struct fl_tf_event *stored = &t->events[t->event_count - 1];
    switch (kind) {
    case FL_TF_SEND:
    case FL_TF_DELIVER:
    case FL_TF_DROP:
    case FL_TF_DUPLICATE:
    case FL_TF_HOLD: return apply_message(l, stored, id);
    case FL_TF_NET: apply_net(l, stored, id); return true;
    case FL_TF_CLOCK_JUMP:
        stored->ref = push_fault(l, FL_TF_FAULT_CLOCK_JUMP, stored, id);
        t->faults[stored->ref].value = (int64_t)stored->a;
        return true;
    case FL_TF_DISK_FAULT: stored->ref = push_fault(l, FL_TF_FAULT_DISK, stored, id); return true;
    case FL_TF_VIOLATION:
        t->violations =
            grow(t->violations, &l->violations_size, t->violation_count, sizeof *t->violations);
        stored->ref = t->violation_count;
        t->violations[t->violation_count++] = (struct fl_tf_violation){
            .event_id = id, .t_ns = t_ns, .node = stored->node, .text = stored->text};
        return true;
    case FL_TF_END:
        t->end_ns = t_ns;
        t->end_id = id;
        t->end_reason = (uint8_t)stored->a;
        l->ended = true;
        return true;
    default: return apply_node_event(l, stored, id);
    }
}

/* ---- after the last line --------------------------------------------------- */

static uint32_t renumber(const struct loader *l, uint32_t code) {
    if (code == FL_TF_NONE) return code;
    if (code & CLIENT_BIT) return l->server_count + (code & ~CLIENT_BIT);
    return code;
}

static void finish(struct loader *l) {
    struct fl_trace_file *t = l->trace;
    t->server_count = l->server_count;
    t->client_count = l->client_count;
    t->node_count = l->server_count + l->client_count;
    for (uint64_t i = 0; i < t->event_count; i++) {
        t->events[i].node = renumber(l, t->events[i].node);
        t->events[i].peer = renumber(l, t->events[i].peer);
    }
    for (uint32_t i = 0; i < t->message_count; i++) {
        t->messages[i].from = renumber(l, t->messages[i].from);
        t->messages[i].to = renumber(l, t->messages[i].to);
    }
    for (uint32_t i = 0; i < t->fault_count; i++)
        t->faults[i].node = renumber(l, t->faults[i].node);
    for (uint32_t i = 0; i < t->violation_count; i++) {
        t->violations[i].node = renumber(l, t->violations[i].node);
    }
    /* Group the changes by node, keeping time order within each (counting sort). */
    t->node_changes_first = calloc((size_t)t->node_count + 1, sizeof *t->node_changes_first);
    struct fl_tf_change *sorted = malloc(((size_t)t->change_count + 1) * sizeof *sorted);
    t->node_names = malloc(((size_t)t->node_count + 1) * sizeof *t->node_names);
    if (t->node_changes_first == NULL || sorted == NULL || t->node_names == NULL) {
        fprintf(stderr, "faultline: out of memory reading a trace\n");
        exit(3);
    }
    for (uint32_t i = 0; i < t->change_count; i++) {
        t->changes[i].node = renumber(l, t->changes[i].node);
        t->node_changes_first[t->changes[i].node + 1]++;
    }
    for (uint32_t k = 0; k < t->node_count; k++) {
        t->node_changes_first[k + 1] += t->node_changes_first[k];
    }
    uint32_t *next = calloc((size_t)t->node_count + 1, sizeof *next);
    if (next == NULL) exit(3);
    for (uint32_t i = 0; i < t->change_count; i++) {
        uint32_t k = t->changes[i].node;
        sorted[t->node_changes_first[k] + next[k]++] = t->changes[i];
    }
    free(next);
    free(t->changes);
    t->changes = sorted;
    for (uint32_t k = 0; k < t->node_count; k++) {
        char name[16];
        int n = snprintf(name, sizeof name, "%c%u", k < t->server_count ? 'n' : 'c',
                         k < t->server_count ? k + 1 : k - t->server_count + 1);
        t->node_names[k] = arena_add(t, name, (size_t)n);
    }
}

/* ---- loading --------------------------------------------------------------- */

bool fl_tf_load_memory(struct fl_trace_file *trace, const char *text, size_t size_bytes,
                       const char *file_name, struct fl_error *error) {
    memset(trace, 0, sizeof *trace);
    struct loader l = {.trace = trace, .file_name = file_name, .error = error};
    /* Records run to about 100 bytes: reserve for that many, so the common
     * case grows once at most. */
    size_t estimate = size_bytes / 64 + 16;
    trace->events = malloc(estimate * sizeof *trace->events);
    if (trace->events == NULL) {
        fprintf(stderr, "faultline: out of memory reading a trace\n");
        exit(3);
    }
    l.events_size = estimate;
    (void)arena_reserve(trace, size_bytes / 8 + 64);
    trace->arena[0] = '\0';
    trace->arena_used = 1;
    const char *p = text, *end = text + size_bytes;
    bool ok = true;
    while (p < end) {
        l.line++;
        const char *newline = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = newline != NULL ? newline : end;
        if (skip_space(p, line_end) == line_end) {
            ok = fail(&l, "expected a JSON object, found an empty line");
            break;
        }
        if (!scan_line(&l, p, line_end)) {
            trace->counts.fallback_lines++;
            if (!parse_line_json(&l, p, line_end)) {
                ok = newline == NULL ? fail(&l, "expected a complete JSON object: the file ends "
                                                "inside this line (cut short?)")
                                     : fail(&l, "expected one JSON object on the line");
                break;
            }
        }
        ok = apply_line(&l);
        cJSON_Delete(l.json);
        l.json = NULL;
        if (!ok) break;
        p = newline != NULL ? newline + 1 : end;
    }
    if (ok && !l.ended) {
        l.line++;
        ok = fail(&l, trace->event_count == 0 && l.line == 1
                          ? "expected a record, the trace is empty"
                          : "expected the end record: the trace stops before its end (cut short?)");
    }
    free(l.servers);
    free(l.clients);
    cJSON_Delete(l.json);
    if (!ok) {
        fl_tf_free(trace);
        return false;
    }
    finish(&l);
    return true;
}

bool fl_tf_load(struct fl_trace_file *trace, const char *path, struct fl_error *error) {
    memset(trace, 0, sizeof *trace);
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        snprintf(error->message, sizeof error->message, "%s: cannot open: %s", path,
                 strerror(errno));
        return false;
    }
    char *text = NULL;
    size_t used = 0, size = 0;
    /* The file's size when it has one (not a pipe): one buffer, one read. */
    if (fseek(file, 0, SEEK_END) == 0) {
        long n = ftell(file);
        if (n > 0) size = (size_t)n + 65536;
        rewind(file);
        text = size > 0 ? malloc(size) : NULL;
        if (text == NULL) size = 0;
    }
    for (;;) {
        if (size - used < 65536) {
            size = size < (1u << 20) ? (1u << 20) : size * 2;
            char *p = realloc(text, size);
            if (p == NULL) {
                free(text);
                fclose(file);
                snprintf(error->message, sizeof error->message, "%s: too large to read", path);
                return false;
            }
            text = p;
        }
        size_t n = fread(text + used, 1, size - used, file);
        used += n;
        if (n == 0) break;
    }
    bool read_error = ferror(file) != 0;
    fclose(file);
    if (read_error) {
        free(text);
        snprintf(error->message, sizeof error->message, "%s: read error", path);
        return false;
    }
    bool ok = fl_tf_load_memory(trace, text, used, path, error);
    free(text);
    return ok;
}

void fl_tf_free(struct fl_trace_file *trace) {
    free(trace->events);
    free(trace->messages);
    free(trace->changes);
    free(trace->node_changes_first);
    free(trace->faults);
    free(trace->violations);
    free(trace->node_names);
    free(trace->arena);
    memset(trace, 0, sizeof *trace);
}

/* ---- queries ---------------------------------------------------------------- */

const char *fl_tf_node_name(const struct fl_trace_file *trace, uint32_t node) {
    if (node == FL_TF_NONE || node >= trace->node_count) return "?";
    return fl_tf_str(trace, trace->node_names[node]);
}

const char *fl_tf_kind_name(uint8_t kind) {
    static const char *const names[] = {
        "?",          "start",         "send",      "deliver",     "drop",       "duplicate",
        "timer",      "crash",         "restart",   "pause",       "resume",     "net",
        "clock_jump", "annotate",      "violation", "end",         "hold",       "disk_write",
        "disk_read",  "disk_truncate", "disk_sync", "disk_synced", "disk_fault", "op_invoke",
        "op_return",
    };
    _Static_assert(sizeof names / sizeof names[0] == FL_TF_KIND_LAST + 1, "one name per kind");
    return kind <= FL_TF_KIND_LAST ? names[kind] : "?";
}

const char *fl_tf_drop_reason_name(uint8_t reason) {
    static const char *const names[] = {"loss", "partition", "queue_full", "node_down"};
    return reason < 4 ? names[reason] : "?";
}

const char *fl_tf_end_reason_name(uint8_t reason) {
    switch (reason) {
    case FL_STOP_END: return "end";
    case FL_STOP_IDLE: return "idle";
    case FL_STOP_VIOLATION: return "violation";
    case FL_STOP_BUDGET: return "budget";
    default: return "?";
    }
}

uint64_t fl_tf_event_at(const struct fl_trace_file *trace, uint64_t t_ns) {
    uint64_t lo = 0, hi = trace->event_count;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (trace->events[mid].t_ns < t_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t fl_tf_message_at(const struct fl_trace_file *trace, uint64_t t_ns) {
    uint32_t lo = 0, hi = trace->message_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (trace->messages[mid].send_ns < t_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct fl_tf_change *fl_tf_node_state(const struct fl_trace_file *trace, uint32_t node,
                                            uint64_t t_ns) {
    if (node >= trace->node_count) return NULL;
    uint32_t lo = trace->node_changes_first[node], hi = trace->node_changes_first[node + 1];
    uint32_t first = lo;
    while (lo < hi) { /* the first change after t */
        uint32_t mid = lo + (hi - lo) / 2;
        if (trace->changes[mid].t_ns <= t_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == first ? NULL : &trace->changes[lo - 1];
}
