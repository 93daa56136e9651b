/*
 * lin_history: reading histories for the linearizability checker (lin.h).
 *
 * Two formats (docs/linearizability.md):
 *
 *   jepsen  Jepsen's log, as in the etcd histories: operation lines look like
 *           "INFO  jepsen.util - <process>\t:<type>\t:<f>\t<value>"; every other
 *           line is not an operation and is skipped.
 *   jsonl   faultline's own: one JSON object a line,
 *           {"process": N, "type": "invoke|ok|fail|info", "f": "read|write|cas",
 *            "key": K (optional, default 0), "value": V | [from, to] | null}.
 *
 * Both become the same events, applied by one function: an invoke opens an op
 * for its process (a process has at most one op open: Jepsen gives a process
 * whose op ended :info a new number), its return closes it. A return must name
 * the same f as its invoke, and an ok write or cas the same value. An op still
 * open at the end never returned: it is indefinite, as if it ended :info.
 *
 * Bad input is a value, not an assertion: the first problem becomes the message
 * "FILE: line N: what was expected" and FL_LIN_EINPUT.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lin.h"

enum value_type { VALUE_NIL, VALUE_INT, VALUE_PAIR, VALUE_OTHER };
enum event_type { EVENT_INVOKE, EVENT_OK, EVENT_FAIL, EVENT_INFO };

struct lin_event_in {
    uint64_t process;
    uint64_t key;
    bool has_key;
    int type;       /* enum event_type */
    int kind;       /* enum fl_lin_kind */
    int value_type; /* enum value_type */
    int64_t a, b;   /* the value; a pair's from and to */
};

struct parser {
    struct fl_lin_history *history;
    const char *name; /* for messages */
    struct fl_lin_error *error;
    uint32_t line;
    size_t *open; /* history indices of ops awaiting their return */
    size_t open_count;
    size_t open_capacity;
};

static int parse_error(struct parser *p, const char *format, ...) {
    int used = snprintf(p->error->message, sizeof p->error->message, "%s: line %" PRIu32 ": ",
                        p->name, p->line);
    if (used < 0 || (size_t)used >= sizeof p->error->message) return FL_LIN_EINPUT;
    va_list args;
    va_start(args, format);
    vsnprintf(p->error->message + used, sizeof p->error->message - (size_t)used, format, args);
    va_end(args);
    return FL_LIN_EINPUT;
}

void fl_lin_history_init(struct fl_lin_history *history) {
    memset(history, 0, sizeof *history);
}

void fl_lin_history_deinit(struct fl_lin_history *history) {
    free(history->ops);
    memset(history, 0, sizeof *history);
}

static struct fl_lin_op *history_push(struct fl_lin_history *h) {
    if (h->count == h->capacity) {
        size_t capacity = h->capacity == 0 ? 64 : h->capacity * 2;
        struct fl_lin_op *ops = realloc(h->ops, capacity * sizeof *ops);
        if (ops == NULL) return NULL;
        h->ops = ops;
        h->capacity = capacity;
    }
    struct fl_lin_op *op = &h->ops[h->count++];
    memset(op, 0, sizeof *op);
    return op;
}

static const char *kind_value_expected(int kind) {
    return kind == FL_LIN_READ ? "nil" : kind == FL_LIN_WRITE ? "an integer" : "a pair [from to]";
}

static int apply_invoke(struct parser *p, const struct lin_event_in *ev) {
    for (size_t i = 0; i < p->open_count; i++) {
        const struct fl_lin_op *other = &p->history->ops[p->open[i]];
        if (other->process != ev->process) continue;
        return parse_error(p,
                           "process %" PRIu64 " invokes again while its op from line %" PRIu32
                           " has not returned",
                           ev->process, other->invoke_line);
    }
    int want = ev->kind == FL_LIN_READ    ? VALUE_NIL
               : ev->kind == FL_LIN_WRITE ? VALUE_INT
                                          : VALUE_PAIR;
    if (ev->value_type != want) {
        return parse_error(p, "an invoke of %s expects %s as its value",
                           fl_lin_kind_name((enum fl_lin_kind)ev->kind),
                           kind_value_expected(ev->kind));
    }
    if (p->open_count == p->open_capacity) {
        size_t capacity = p->open_capacity == 0 ? 16 : p->open_capacity * 2;
        size_t *open = realloc(p->open, capacity * sizeof *open);
        if (open == NULL) return FL_LIN_ENOMEM;
        p->open = open;
        p->open_capacity = capacity;
    }
    struct fl_lin_op *op = history_push(p->history);
    if (op == NULL) return FL_LIN_ENOMEM;
    *op = (struct fl_lin_op){.process = ev->process,
                             .key = ev->key,
                             .value_in = ev->a,
                             .value_to = ev->b,
                             .value_out = FL_LIN_NIL,
                             .invoke_index = p->history->events++,
                             .return_index = FL_LIN_INDEX_NONE,
                             .invoke_line = p->line,
                             .kind = (uint8_t)ev->kind,
                             .status = FL_LIN_INFO};
    p->open[p->open_count++] = p->history->count - 1;
    return FL_LIN_EOK;
}

/* An ok return's value: what a read saw, or the write's or cas's own value. */
static int check_ok_value(struct parser *p, struct fl_lin_op *op, const struct lin_event_in *ev) {
    if (op->kind == FL_LIN_READ) {
        if (ev->value_type != VALUE_INT && ev->value_type != VALUE_NIL) {
            return parse_error(p, "an ok read expects nil or an integer as its value");
        }
        op->value_out = ev->value_type == VALUE_INT ? ev->a : FL_LIN_NIL;
        return FL_LIN_EOK;
    }
    bool same = op->kind == FL_LIN_WRITE ? ev->value_type == VALUE_INT && ev->a == op->value_in
                                         : ev->value_type == VALUE_PAIR && ev->a == op->value_in &&
                                               ev->b == op->value_to;
    if (!same) {
        return parse_error(p, "an ok %s expects the value of its invoke (line %" PRIu32 ")",
                           fl_lin_kind_name((enum fl_lin_kind)op->kind), op->invoke_line);
    }
    return FL_LIN_EOK;
}

static int apply_return(struct parser *p, const struct lin_event_in *ev) {
    size_t slot = 0;
    while (slot < p->open_count && p->history->ops[p->open[slot]].process != ev->process)
        slot++;
    if (slot == p->open_count) {
        return parse_error(p, "a return for process %" PRIu64 " without an invoke", ev->process);
    }
    struct fl_lin_op *op = &p->history->ops[p->open[slot]];
    if (op->kind != ev->kind) {
        return parse_error(
            p, "a return of %s for process %" PRIu64 ", whose invoke (line %" PRIu32 ") was a %s",
            fl_lin_kind_name((enum fl_lin_kind)ev->kind), ev->process, op->invoke_line,
            fl_lin_kind_name((enum fl_lin_kind)op->kind));
    }
    if (ev->has_key && ev->key != op->key) {
        return parse_error(
            p, "a return for key %" PRIu64 ", whose invoke (line %" PRIu32 ") was for key %" PRIu64,
            ev->key, op->invoke_line, op->key);
    }
    p->open[slot] = p->open[--p->open_count];
    op->return_line = p->line;
    uint64_t index = p->history->events++;
    if (ev->type == EVENT_INFO) return FL_LIN_EOK; /* stays indefinite, no return index */
    op->return_index = index;
    op->status = ev->type == EVENT_OK ? FL_LIN_OK : FL_LIN_FAIL;
    return ev->type == EVENT_OK ? check_ok_value(p, op, ev) : FL_LIN_EOK;
}

static int apply_event(struct parser *p, const struct lin_event_in *ev) {
    return ev->type == EVENT_INVOKE ? apply_invoke(p, ev) : apply_return(p, ev);
}

static int lookup(const char *text, size_t len, const char *const *names) {
    for (int i = 0; names[i] != NULL; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], text, len) == 0) return i;
    }
    return -1;
}

static const char *const type_names[] = {"invoke", "ok", "fail", "info", NULL};
static const char *const kind_names[] = {"read", "write", "cas", NULL};

/* ---- jepsen ------------------------------------------------------------- */

/* A decimal integer, optionally negative, ending at `end` or a non-digit. */
static bool scan_int(const char **cursor, const char *end, int64_t *out) {
    const char *c = *cursor;
    bool negative = c < end && *c == '-';
    if (negative) c++;
    if (c == end || *c < '0' || *c > '9') return false;
    uint64_t value = 0;
    for (; c < end && *c >= '0' && *c <= '9'; c++) {
        if (value > (uint64_t)INT64_MAX / 10) return false;
        value = value * 10 + (uint64_t)(*c - '0');
    }
    if (value > (uint64_t)INT64_MAX) return false;
    *out = negative ? -(int64_t)value : (int64_t)value;
    *cursor = c;
    return true;
}

static bool scan_scalar(const char **c, const char *end, int64_t *out) {
    if (end - *c >= 3 && memcmp(*c, "nil", 3) == 0) {
        *c += 3;
        *out = FL_LIN_NIL;
        return true;
    }
    return scan_int(c, end, out);
}

/* nil, an integer, [a b], or a keyword such as :timed-out. */
static bool jepsen_value(const char *c, const char *end, struct lin_event_in *ev) {
    ev->a = ev->b = 0;
    if (c < end && *c == ':') {
        ev->value_type = VALUE_OTHER;
        return end - c > 1;
    }
    if (c < end && *c == '[') {
        c++;
        if (!scan_scalar(&c, end, &ev->a) || c == end || *c++ != ' ') return false;
        if (!scan_scalar(&c, end, &ev->b) || c == end || *c++ != ']') return false;
        ev->value_type = VALUE_PAIR;
        return c == end;
    }
    if (!scan_scalar(&c, end, &ev->a)) return false;
    ev->value_type = ev->a == FL_LIN_NIL ? VALUE_NIL : VALUE_INT;
    return c == end;
}

/* The next tab-separated ":word" field; false if there is none. */
static bool jepsen_word(const char **c, const char *end, const char **word, size_t *len) {
    if (*c == end || **c != '\t') return false;
    (*c)++;
    if (*c == end || **c != ':') return false;
    *word = ++(*c);
    while (*c < end && **c != '\t')
        (*c)++;
    *len = (size_t)(*c - *word);
    return true;
}

static int jepsen_line(struct parser *p, const char *c, const char *end) {
    static const char marker[] = "jepsen.util - ";
    if (end - c < 4 || memcmp(c, "INFO", 4) != 0) return FL_LIN_EOK;
    const char *at = c;
    while (at + sizeof marker - 1 <= end && memcmp(at, marker, sizeof marker - 1) != 0)
        at++;
    if (at + sizeof marker - 1 > end) return FL_LIN_EOK;
    c = at + sizeof marker - 1;
    int64_t process = 0;
    if (!scan_int(&c, end, &process) || process < 0 || c == end || *c != '\t') return FL_LIN_EOK;
    struct lin_event_in ev = {.process = (uint64_t)process};
    const char *word = NULL;
    size_t len = 0;
    if (!jepsen_word(&c, end, &word, &len) || (ev.type = lookup(word, len, type_names)) < 0) {
        return parse_error(p, "expected a type :invoke, :ok, :fail or :info after the process");
    }
    if (!jepsen_word(&c, end, &word, &len) || (ev.kind = lookup(word, len, kind_names)) < 0) {
        return parse_error(p, "expected an op :read, :write or :cas after the type");
    }
    if (c == end || *c != '\t' || !jepsen_value(c + 1, end, &ev)) {
        return parse_error(p, "expected a value (nil, an integer, [from to] or a :keyword)");
    }
    return apply_event(p, &ev);
}

/* ---- jsonl -------------------------------------------------------------- */

static bool json_int(const cJSON *item, int64_t *out) {
    if (cJSON_IsNull(item)) {
        *out = FL_LIN_NIL;
        return true;
    }
    if (!cJSON_IsNumber(item)) return false;
    double v = item->valuedouble;
    if (!(v >= -9007199254740992.0 && v <= 9007199254740992.0)) return false; /* 2^53; NaN */
    if ((double)(int64_t)v != v) return false;                                /* not an integer */
    *out = (int64_t)v;
    return true;
}

static bool json_value(const cJSON *value, struct lin_event_in *ev) {
    ev->a = ev->b = 0;
    if (value == NULL || cJSON_IsNull(value)) {
        ev->value_type = VALUE_NIL;
        ev->a = FL_LIN_NIL;
        return true;
    }
    if (cJSON_IsArray(value)) {
        ev->value_type = VALUE_PAIR;
        return cJSON_GetArraySize(value) == 2 && json_int(cJSON_GetArrayItem(value, 0), &ev->a) &&
               json_int(cJSON_GetArrayItem(value, 1), &ev->b);
    }
    if (cJSON_IsString(value)) {
        ev->value_type = VALUE_OTHER; /* e.g. "timed-out" on a fail or info */
        return true;
    }
    ev->value_type = VALUE_INT;
    return json_int(value, &ev->a) && ev->a != FL_LIN_NIL;
}

static int json_fields(struct parser *p, const cJSON *object, struct lin_event_in *ev) {
    const cJSON *process = cJSON_GetObjectItemCaseSensitive(object, "process");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(object, "type");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(object, "f");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(object, "key");
    int64_t number = 0;
    if (!json_int(process, &number) || number < 0) {
        return parse_error(p, "expected \"process\": a non-negative integer");
    }
    ev->process = (uint64_t)number;
    if (!cJSON_IsString(type) ||
        (ev->type = lookup(type->valuestring, strlen(type->valuestring), type_names)) < 0) {
        return parse_error(p, "expected \"type\": \"invoke\", \"ok\", \"fail\" or \"info\"");
    }
    if (!cJSON_IsString(f) ||
        (ev->kind = lookup(f->valuestring, strlen(f->valuestring), kind_names)) < 0) {
        return parse_error(p, "expected \"f\": \"read\", \"write\" or \"cas\"");
    }
    ev->has_key = key != NULL;
    if (key != NULL && (!json_int(key, &number) || number < 0)) {
        return parse_error(p, "expected \"key\": a non-negative integer");
    }
    ev->key = key != NULL ? (uint64_t)number : 0;
    if (!json_value(cJSON_GetObjectItemCaseSensitive(object, "value"), ev)) {
        return parse_error(p, "expected \"value\": null, an integer, or [from, to]");
    }
    return FL_LIN_EOK;
}

static int jsonl_line(struct parser *p, const char *c, const char *end) {
    const char *s = c;
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
        s++;
    if (s == end) return FL_LIN_EOK; /* blank lines are allowed */
    cJSON *object = cJSON_ParseWithLength(c, (size_t)(end - c));
    if (object == NULL || !cJSON_IsObject(object)) {
        cJSON_Delete(object);
        return parse_error(p, "expected one JSON object");
    }
    struct lin_event_in ev = {0};
    int error = json_fields(p, object, &ev);
    cJSON_Delete(object);
    return error != FL_LIN_EOK ? error : apply_event(p, &ev);
}

/* ---- entry points ------------------------------------------------------- */

int fl_lin_history_parse(struct fl_lin_history *history, const char *text, size_t size,
                         enum fl_lin_format format, const char *name, struct fl_lin_error *error) {
    struct parser p = {.history = history, .name = name, .error = error};
    error->message[0] = '\0';
    int status = FL_LIN_EOK;
    for (const char *c = text, *end = text + size; c < end && status == FL_LIN_EOK;) {
        const char *eol = memchr(c, '\n', (size_t)(end - c));
        const char *line_end = eol != NULL ? eol : end;
        const char *trimmed = line_end;
        while (trimmed > c && (trimmed[-1] == '\r' || trimmed[-1] == ' '))
            trimmed--;
        p.line++;
        status = format == FL_LIN_FORMAT_JEPSEN ? jepsen_line(&p, c, trimmed)
                                                : jsonl_line(&p, c, trimmed);
        c = eol != NULL ? eol + 1 : end;
    }
    free(p.open); /* ops never returned stay indefinite (status info) */
    if (status == FL_LIN_ENOMEM)
        snprintf(error->message, sizeof error->message, "%s: out of memory", name);
    return status;
}

int fl_lin_history_load(struct fl_lin_history *history, const char *path, enum fl_lin_format format,
                        struct fl_lin_error *error) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        snprintf(error->message, sizeof error->message, "%s: cannot open: %s", path,
                 strerror(errno));
        return FL_LIN_EIO;
    }
    size_t size = 0;
    size_t capacity = 1 << 16;
    char *text = malloc(capacity);
    while (text != NULL) {
        size += fread(text + size, 1, capacity - size, file);
        if (size < capacity) break;
        char *bigger = realloc(text, capacity * 2);
        if (bigger == NULL) free(text);
        text = bigger;
        capacity *= 2;
    }
    bool failed = text == NULL || ferror(file);
    fclose(file);
    if (failed) {
        free(text);
        snprintf(error->message, sizeof error->message, "%s: cannot read the file", path);
        return FL_LIN_EIO;
    }
    int status = fl_lin_history_parse(history, text, size, format, path, error);
    free(text);
    return status;
}
