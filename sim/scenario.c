/*
 * scenario: a strict parser from scenario JSON to struct fl_scenario.
 *
 * This is the only file that knows JSON. Everything it hands the engine is
 * checked: ranges hold, node names resolve to ids, groups do not overlap, faults
 * are sorted. The engine can therefore assert instead of validate, and never
 * needs floating point: times are integer nanoseconds, probabilities are parts
 * per million.
 *
 * Strictness is the point. A scenario is written by hand and read by a program
 * that will happily simulate the wrong thing for an hour, so every mistake a
 * person can make is an error with one line that names the file, the JSON path
 * and what was expected ("x.json: $.network.loss: expected a probability from 0
 * to 1, got 1.5"): unknown keys (with the closest known key as a suggestion),
 * duplicate keys (cJSON keeps both; the first would silently win), wrong JSON
 * types, out-of-range values, names of nodes that do not exist. Nothing is ever
 * silently defaulted except a key that is absent.
 *
 * Structure. A small parse context carries the file name, the JSON path of the
 * value being read (a bounded text builder, pushed and popped as the parser
 * descends) and the error. Each value kind has one reader (read_int,
 * read_duration, read_probability, read_bool, read_string, read_node) that
 * checks the JSON type and the range and writes the message; a get_* wrapper
 * looks the key up, pushes it on the path and calls the reader, leaving the
 * default in place when the key is absent. check_keys rejects unknown and
 * duplicate keys of an object before anything in it is read, so a typo is
 * reported as a typo and not as a missing required key.
 *
 * Memory. The scenario is calloc'ed first and everything it owns is attached
 * to it as soon as it is allocated, with counts set at the same moment; any
 * error then frees it all with fl_scenario_free, so no error path leaks.
 *
 * Rejected alternatives: a schema file interpreted while the simulator runs (one more
 * language for readers to learn, and the cross-field rules - links inherit the
 * network defaults, groups must not overlap - do not fit a schema anyway);
 * reporting all errors at once (the first error is usually the cause of the
 * rest, and one line is easy to act on).
 */
#include "scenario.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "units.h"

#define ARRAY_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Limits of the file format; docs/scenario-format.md lists them for users. */
#define NAME_BYTES_MAX 64
#define RUN_DURATION_NS_MAX (24 * FL_NS_PER_HOUR)
#define NETWORK_DURATION_NS_MAX FL_NS_PER_HOUR
#define EVENTS_MAX_DEFAULT INT64_C(100000000)
#define EVENTS_MAX_LIMIT INT64_C(1000000000000)
#define LATENCY_MIN_NS_DEFAULT FL_NS_PER_MS
#define TAIL_MAX_PER_TAIL_MEAN 20
#define QUEUE_COUNT_MAX_DEFAULT 4096
#define QUEUE_COUNT_MAX_LIMIT 1000000
#define MESSAGE_SIZE_MAX_DEFAULT 65536
#define CLOCK_OFFSET_NS_LIMIT FL_NS_PER_HOUR
#define DRIFT_PPM_LIMIT 100000
#define WALL_EPOCH_S_DEFAULT INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define WALL_EPOCH_S_MAX INT64_C(4102444800)     /* 2100-01-01T00:00:00Z */
#define WALL_DELTA_NS_LIMIT (24 * FL_NS_PER_HOUR)
#define FILE_BYTES_MAX (64u << 20)

/* Message pieces: bounded so that one message always fits struct fl_error. */
#define PATH_TEXT_MAX 160
#define QUOTED_BYTES_MAX 40  /* bytes of a user's string shown in a message */
#define QUOTED_TEXT_MAX 256  /* the same, escaped and quoted */
#define DETAIL_TEXT_MAX 448
#define EDIT_DISTANCE_MAX 2  /* a key this close to a known one is a suggestion */
#define EDIT_KEY_BYTES_MAX 64

_Static_assert(FL_NODES_MAX < FL_NODE_NONE, "node ids stay below FL_NODE_NONE");
_Static_assert(FL_GROUPS_MAX < FL_GROUP_NONE, "group indexes fit group_of");
_Static_assert(RUN_DURATION_NS_MAX <= INT64_MAX / 2, "at + duration cannot overflow");
_Static_assert(WALL_EPOCH_S_MAX <= INT64_MAX / FL_NS_PER_S, "the wall epoch fits in ns");
_Static_assert(MESSAGE_SIZE_MAX_DEFAULT <= FL_MESSAGE_SIZE_MAX_LIMIT, "default within limit");

/* --- bounded text --------------------------------------------------------- */

/* A text builder over a fixed buffer: appends truncate, never overflow. */
struct text {
    char *data;
    size_t size_bytes; /* of data, terminator included */
    size_t length;     /* strlen(data) */
};

static void text_init(struct text *text, char *data, size_t size_bytes) {
    assert(data != NULL);
    assert(size_bytes > 0);
    text->data = data;
    text->size_bytes = size_bytes;
    text->length = 0;
    data[0] = '\0';
}

static void text_append(struct text *text, const char *format, ...) FL_PRINTF(2, 3);

static void text_append(struct text *text, const char *format, ...) {
    assert(text->length < text->size_bytes);
    size_t room = text->size_bytes - text->length;
    if (room <= 1) return;
    va_list args;
    va_start(args, format);
    int written = vsnprintf(text->data + text->length, room, format, args);
    va_end(args);
    if (written < 0) {
        text->data[text->length] = '\0';
        return;
    }
    text->length += (size_t)written < room ? (size_t)written : room - 1;
    assert(text->data[text->length] == '\0');
}

/* Appends a user's string quoted, escaped and cut short, so that a message stays
 * one line of bounded length whatever the string holds. */
static void text_append_quoted(struct text *text, const char *value) {
    assert(value != NULL);
    size_t length = strlen(value);
    size_t shown = length;
    if (shown > QUOTED_BYTES_MAX) {
        shown = QUOTED_BYTES_MAX;
        /* Do not cut a UTF-8 sequence in half. */
        while (shown > 0 && ((unsigned char)value[shown] & 0xc0) == 0x80) shown--;
    }
    text_append(text, "\"");
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == '"' || c == '\\') {
            text_append(text, "\\%c", c);
        } else if (c < 0x20 || c == 0x7f) {
            text_append(text, "\\u%04x", c);
        } else {
            text_append(text, "%c", c);
        }
    }
    text_append(text, "%s\"", shown < length ? "..." : "");
}

/* A number as JSON would write it, in the fewest digits that read back exactly. */
static void text_append_number(struct text *text, double value) {
    if (value >= -9007199254740992.0 && value <= 9007199254740992.0 &&
        value == (double)(int64_t)value) {
        text_append(text, "%" PRId64, (int64_t)value);
        return;
    }
    char digits[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(digits, sizeof(digits), "%.*g", precision, value);
        if (strtod(digits, NULL) == value) break;
    }
    text_append(text, "%s", digits);
}

static void text_append_duration(struct text *text, int64_t ns) {
    char duration[FL_DURATION_TEXT_MAX];
    fl_duration_format(ns, duration, sizeof(duration));
    text_append(text, "%s", duration);
}

/* What a JSON value is, for "got WHAT". */
static void text_append_json(struct text *text, const cJSON *item) {
    if (cJSON_IsString(item)) {
        text_append_quoted(text, item->valuestring);
    } else if (cJSON_IsNumber(item)) {
        text_append_number(text, item->valuedouble);
    } else if (cJSON_IsBool(item)) {
        text_append(text, "%s", cJSON_IsTrue(item) ? "true" : "false");
    } else if (cJSON_IsNull(item)) {
        text_append(text, "null");
    } else if (cJSON_IsArray(item)) {
        text_append(text, "%s", item->child == NULL ? "an empty array" : "an array");
    } else if (cJSON_IsObject(item)) {
        text_append(text, "%s", item->child == NULL ? "an empty object" : "an object");
    } else {
        text_append(text, "an unknown value");
    }
}

/* --- the parse context ------------------------------------------------------ */

struct parse {
    const char *file_name;  /* as given, first in every message */
    struct fl_error *error; /* the one message, set by the first failure */
    struct fl_scenario *scenario;
    char path_data[PATH_TEXT_MAX];
    struct text path; /* "$.faults[2].groups[0][1]": where the reader is */
};

static void error_set(struct fl_error *error, const char *file_name, const char *path,
                      const char *detail) {
    struct text message;
    text_init(&message, error->message, sizeof(error->message));
    if (path == NULL) {
        text_append(&message, "%s: %s", file_name, detail);
    } else {
        text_append(&message, "%s: %s: %s", file_name, path, detail);
    }
    /* Exactly one line, even for a file name with control characters in it. */
    for (char *cursor = error->message; *cursor != '\0'; cursor++) {
        if ((unsigned char)*cursor < 0x20) *cursor = '?';
    }
}

static bool fail(struct parse *p, const char *format, ...) FL_PRINTF(2, 3);
static bool fail_expected(struct parse *p, const cJSON *got, const char *format, ...)
    FL_PRINTF(3, 4);

/* Records "FILE: PATH: detail" and returns false, so callers can return fail(...). */
static bool fail(struct parse *p, const char *format, ...) {
    char detail[DETAIL_TEXT_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(detail, sizeof(detail), format, args);
    va_end(args);
    error_set(p->error, p->file_name, p->path.data, detail);
    return false;
}

/* "expected <format>, got <the JSON value>". */
static bool fail_expected(struct parse *p, const cJSON *got, const char *format, ...) {
    char detail_data[DETAIL_TEXT_MAX];
    struct text detail;
    text_init(&detail, detail_data, sizeof(detail_data));
    text_append(&detail, "expected ");
    va_list args;
    va_start(args, format);
    int written = vsnprintf(detail.data + detail.length, detail.size_bytes - detail.length,
                            format, args);
    va_end(args);
    if (written > 0) {
        size_t room = detail.size_bytes - detail.length;
        detail.length += (size_t)written < room ? (size_t)written : room - 1;
    }
    text_append(&detail, ", got ");
    text_append_json(&detail, got);
    return fail(p, "%s", detail.data);
}

static bool fail_out_of_memory(struct parse *p) {
    error_set(p->error, p->file_name, NULL, "out of memory");
    return false;
}

static bool is_identifier(const char *key) {
    if (!((key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z') ||
          key[0] == '_')) {
        return false;
    }
    for (const char *cursor = key; *cursor != '\0'; cursor++) {
        char c = *cursor;
        bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_';
        if (!word) return false;
    }
    return strlen(key) <= QUOTED_BYTES_MAX;
}

/* Path steps return the length to go back to with path_pop. */
static size_t path_push_key(struct parse *p, const char *key) {
    size_t saved = p->path.length;
    if (is_identifier(key)) {
        text_append(&p->path, ".%s", key);
    } else {
        text_append(&p->path, "[");
        text_append_quoted(&p->path, key);
        text_append(&p->path, "]");
    }
    return saved;
}

static size_t path_push_index(struct parse *p, size_t index) {
    size_t saved = p->path.length;
    text_append(&p->path, "[%zu]", index);
    return saved;
}

static void path_pop(struct parse *p, size_t saved) {
    assert(saved <= p->path.length);
    p->path.length = saved;
    p->path.data[saved] = '\0';
}

/* calloc that reports failure as an error; count must be positive. */
static void *allocate(struct parse *p, size_t count, size_t size_bytes) {
    assert(count > 0);
    void *memory = calloc(count, size_bytes);
    if (memory == NULL) fail_out_of_memory(p);
    return memory;
}

static char *copy_string(struct parse *p, const char *value) {
    size_t size_bytes = strlen(value) + 1;
    char *copy = allocate(p, size_bytes, 1);
    if (copy != NULL) memcpy(copy, value, size_bytes);
    return copy;
}

/* --- objects and keys -------------------------------------------------------- */

static const cJSON *member(const cJSON *object, const char *key) {
    assert(cJSON_IsObject(object));
    return cJSON_GetObjectItemCaseSensitive(object, key);
}

static size_t child_count(const cJSON *container) {
    size_t count = 0;
    for (const cJSON *child = container->child; child != NULL; child = child->next) count++;
    return count;
}

static bool expect_object(struct parse *p, const cJSON *item) {
    return cJSON_IsObject(item) || fail_expected(p, item, "an object");
}

static bool expect_array(struct parse *p, const cJSON *item) {
    return cJSON_IsArray(item) || fail_expected(p, item, "an array");
}

static bool require(struct parse *p, const cJSON *object, const char *key) {
    return member(object, key) != NULL || fail(p, "missing required key \"%s\"", key);
}

/* Levenshtein distance, or EDIT_DISTANCE_MAX + 1 when it is surely larger. */
static size_t edit_distance(const char *a, const char *b) {
    size_t length_a = strlen(a);
    size_t length_b = strlen(b);
    if (length_b > EDIT_KEY_BYTES_MAX) return EDIT_DISTANCE_MAX + 1;
    if (length_a > length_b + EDIT_DISTANCE_MAX || length_b > length_a + EDIT_DISTANCE_MAX) {
        return EDIT_DISTANCE_MAX + 1;
    }
    size_t row[EDIT_KEY_BYTES_MAX + 1];
    for (size_t j = 0; j <= length_b; j++) row[j] = j;
    for (size_t i = 1; i <= length_a; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= length_b; j++) {
            size_t above = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diagonal + cost;
            if (above + 1 < best) best = above + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[length_b];
}

/* " (did you mean "loss"?)" when a known name is close, else " (allowed: a, b)". */
static void text_append_suggestion(struct text *text, const char *given,
                                   const char *const *allowed, size_t allowed_count) {
    const char *closest = NULL;
    size_t closest_distance = EDIT_DISTANCE_MAX + 1;
    for (size_t i = 0; i < allowed_count; i++) {
        size_t distance = edit_distance(given, allowed[i]);
        if (distance < closest_distance) {
            closest = allowed[i];
            closest_distance = distance;
        }
    }
    if (closest != NULL) {
        text_append(text, " (did you mean \"%s\"?)", closest);
        return;
    }
    if (allowed_count == 0) {
        text_append(text, " (no keys are allowed here)");
        return;
    }
    text_append(text, " (allowed: ");
    for (size_t i = 0; i < allowed_count; i++) {
        text_append(text, "%s%s", i == 0 ? "" : ", ", allowed[i]);
    }
    text_append(text, ")");
}

static bool fail_unknown_key(struct parse *p, const char *key, const char *const *allowed,
                             size_t allowed_count, const char *where) {
    char detail_data[DETAIL_TEXT_MAX];
    struct text detail;
    text_init(&detail, detail_data, sizeof(detail_data));
    text_append(&detail, "unknown key");
    if (where != NULL) text_append(&detail, " %s", where);
    text_append_suggestion(&detail, key, allowed, allowed_count);
    path_push_key(p, key); /* the error names the key's own path: $.network.los */
    return fail(p, "%s", detail.data);
}

/* An earlier key of the same object equal to child's, or NULL. */
static const cJSON *earlier_duplicate(const cJSON *object, const cJSON *child) {
    for (const cJSON *earlier = object->child; earlier != child; earlier = earlier->next) {
        assert(earlier != NULL);
        if (strcmp(earlier->string, child->string) == 0) return earlier;
    }
    return NULL;
}

static bool fail_duplicate_key(struct parse *p, const char *key) {
    path_push_key(p, key);
    return fail(p, "duplicate key (each key may appear once)");
}

/* Every key of object must be in allowed, and only once. The duplicate scan is
 * quadratic only in the number of allowed keys: it stops at the first repeat. */
static bool check_keys(struct parse *p, const cJSON *object, const char *const *allowed,
                       size_t allowed_count, const char *where) {
    assert(cJSON_IsObject(object));
    for (const cJSON *child = object->child; child != NULL; child = child->next) {
        assert(child->string != NULL);
        bool known = false;
        for (size_t i = 0; i < allowed_count && !known; i++) {
            known = strcmp(child->string, allowed[i]) == 0;
        }
        if (!known) return fail_unknown_key(p, child->string, allowed, allowed_count, where);
        if (earlier_duplicate(object, child) != NULL) return fail_duplicate_key(p, child->string);
    }
    return true;
}

typedef bool (*parse_fn)(struct parse *p, const cJSON *item);

/* Runs parse on object[key] with the key on the path; an absent key is fine. */
static bool with_member(struct parse *p, const cJSON *object, const char *key, parse_fn parse) {
    const cJSON *item = member(object, key);
    if (item == NULL) return true;
    size_t saved = path_push_key(p, key);
    bool ok = parse(p, item);
    path_pop(p, saved);
    return ok;
}

/* --- value readers: the path points at item ---------------------------------- */

/* A JSON number with no fractional part that fits int64_t. */
static bool json_integer(const cJSON *item, int64_t *out) {
    if (!cJSON_IsNumber(item)) return false;
    double value = item->valuedouble;
    if (!(value >= -9223372036854775808.0 && value < 9223372036854775808.0)) return false;
    int64_t integer = (int64_t)value;
    if ((double)integer != value) return false;
    *out = integer;
    return true;
}

static bool read_int(struct parse *p, const cJSON *item, int64_t min, int64_t max,
                     int64_t *out) {
    assert(min <= max);
    int64_t value = 0;
    if (!json_integer(item, &value) || value < min || value > max) {
        return fail_expected(p, item, "an integer from %" PRId64 " to %" PRId64, min, max);
    }
    *out = value;
    return true;
}

static void text_append_duration_range(struct text *text, int64_t min_ns, int64_t max_ns) {
    if (min_ns == 1) {
        text_append(text, "greater than 0s and at most ");
    } else {
        text_append(text, "from ");
        text_append_duration(text, min_ns);
        text_append(text, " to ");
    }
    text_append_duration(text, max_ns);
}

static bool read_duration(struct parse *p, const cJSON *item, int64_t min_ns, int64_t max_ns,
                          int64_t *out_ns) {
    assert(min_ns <= max_ns);
    char range_data[96];
    struct text range;
    text_init(&range, range_data, sizeof(range_data));
    text_append_duration_range(&range, min_ns, max_ns);

    int64_t value_ns = 0;
    if (!cJSON_IsString(item) || !fl_duration_parse(item->valuestring, &value_ns)) {
        return fail_expected(p, item, "a duration %s, written with a unit as in \"250ms\"",
                             range.data);
    }
    if (value_ns < min_ns || value_ns > max_ns) {
        return fail_expected(p, item, "a duration %s", range.data);
    }
    *out_ns = value_ns;
    return true;
}

/* llround(x * 1e6) for x in [0, 1] without libm: y - floor(y) is exact here. */
static uint32_t probability_to_ppm(double probability) {
    assert(probability >= 0.0 && probability <= 1.0);
    double scaled = probability * (double)FL_PPM;
    uint32_t ppm = (uint32_t)scaled;
    if (scaled - (double)ppm >= 0.5) ppm++;
    assert(ppm <= FL_PPM);
    return ppm;
}

static bool read_probability(struct parse *p, const cJSON *item, uint32_t *out_ppm) {
    if (!cJSON_IsNumber(item) || !(item->valuedouble >= 0.0 && item->valuedouble <= 1.0)) {
        return fail_expected(p, item, "a probability from 0 to 1");
    }
    *out_ppm = probability_to_ppm(item->valuedouble);
    return true;
}

static bool read_bool(struct parse *p, const cJSON *item, bool *out) {
    if (!cJSON_IsBool(item)) return fail_expected(p, item, "true or false");
    *out = cJSON_IsTrue(item);
    return true;
}

static bool read_string(struct parse *p, const cJSON *item, size_t length_min,
                        size_t length_max, const char **out) {
    assert(length_min <= length_max);
    if (!cJSON_IsString(item)) {
        if (length_min == 0 && length_max == SIZE_MAX) return fail_expected(p, item, "a string");
        return fail_expected(p, item, "a string of %zu to %zu bytes", length_min, length_max);
    }
    size_t length = strlen(item->valuestring);
    if (length < length_min || length > length_max) {
        return fail_expected(p, item, "a string of %zu to %zu bytes", length_min, length_max);
    }
    *out = item->valuestring;
    return true;
}

/* "n3" -> 2 and "c1" -> server_count: canonical names only ("n03" is not n3). */
static bool node_by_name(const struct fl_scenario *scenario, const char *name, uint32_t *out) {
    char kind = name[0];
    if (kind != 'n' && kind != 'c') return false;
    const char *digits = name + 1;
    if (!(digits[0] >= '1' && digits[0] <= '9')) return false;
    uint32_t number = 0;
    for (const char *cursor = digits; *cursor != '\0'; cursor++) {
        if (!(*cursor >= '0' && *cursor <= '9')) return false;
        number = number * 10 + (uint32_t)(*cursor - '0');
        if (number > FL_NODES_MAX) return false;
    }
    uint32_t count = kind == 'n' ? scenario->server_count : scenario->client_count;
    if (number > count) return false;
    *out = (kind == 'n' ? 0 : scenario->server_count) + number - 1;
    assert(*out < fl_scenario_node_count(scenario));
    return true;
}

/* "servers are n1..n5, clients c1..c2" */
static void text_append_node_names(struct text *text, const struct fl_scenario *scenario) {
    text_append(text, "servers are n1");
    if (scenario->server_count > 1) text_append(text, "..n%" PRIu32, scenario->server_count);
    if (scenario->client_count == 0) {
        text_append(text, ", no clients");
        return;
    }
    text_append(text, ", clients c1");
    if (scenario->client_count > 1) text_append(text, "..c%" PRIu32, scenario->client_count);
}

static bool fail_no_such_node(struct parse *p, const char *name) {
    char detail_data[DETAIL_TEXT_MAX];
    struct text detail;
    text_init(&detail, detail_data, sizeof(detail_data));
    text_append(&detail, "node ");
    text_append_quoted(&detail, name);
    text_append(&detail, " does not exist (");
    text_append_node_names(&detail, p->scenario);
    text_append(&detail, ")");
    return fail(p, "%s", detail.data);
}

static bool read_node(struct parse *p, const cJSON *item, uint32_t *out) {
    if (!cJSON_IsString(item)) {
        return fail_expected(p, item, "a node name such as \"n1\" or \"c1\"");
    }
    if (!node_by_name(p->scenario, item->valuestring, out)) {
        return fail_no_such_node(p, item->valuestring);
    }
    return true;
}

/* --- the same, by key: absent keys leave the default in *out ------------------- */

static bool get_int(struct parse *p, const cJSON *object, const char *key, int64_t min,
                    int64_t max, int64_t *out) {
    const cJSON *item = member(object, key);
    if (item == NULL) return true;
    size_t saved = path_push_key(p, key);
    bool ok = read_int(p, item, min, max, out);
    path_pop(p, saved);
    return ok;
}

static bool get_duration(struct parse *p, const cJSON *object, const char *key, int64_t min_ns,
                         int64_t max_ns, int64_t *out_ns) {
    const cJSON *item = member(object, key);
    if (item == NULL) return true;
    size_t saved = path_push_key(p, key);
    bool ok = read_duration(p, item, min_ns, max_ns, out_ns);
    path_pop(p, saved);
    return ok;
}

static bool get_probability(struct parse *p, const cJSON *object, const char *key,
                            uint32_t *out_ppm) {
    const cJSON *item = member(object, key);
    if (item == NULL) return true;
    size_t saved = path_push_key(p, key);
    bool ok = read_probability(p, item, out_ppm);
    path_pop(p, saved);
    return ok;
}

static bool get_bool(struct parse *p, const cJSON *object, const char *key, bool *out) {
    const cJSON *item = member(object, key);
    if (item == NULL) return true;
    size_t saved = path_push_key(p, key);
    bool ok = read_bool(p, item, out);
    path_pop(p, saved);
    return ok;
}

static bool get_string(struct parse *p, const cJSON *object, const char *key, size_t length_min,
                       size_t length_max, const char **out) {
    const cJSON *item = member(object, key);
    if (item == NULL) return true;
    size_t saved = path_push_key(p, key);
    bool ok = read_string(p, item, length_min, length_max, out);
    path_pop(p, saved);
    return ok;
}

static bool get_node(struct parse *p, const cJSON *object, const char *key, uint32_t *out) {
    const cJSON *item = member(object, key);
    if (item == NULL) return true;
    size_t saved = path_push_key(p, key);
    bool ok = read_node(p, item, out);
    path_pop(p, saved);
    return ok;
}

/* --- root: identity, model, sizes -------------------------------------------- */

static const char *const root_keys[] = {
    "name",     "description", "model",  "variant", "params", "nodes",
    "clients",  "duration",    "budget", "network", "clocks", "faults", "swarm",
    "disk",
};

static bool parse_model(struct parse *p, const cJSON *item, const struct fl_model *const *models) {
    const char *name = NULL;
    if (!read_string(p, item, 0, SIZE_MAX, &name)) return false;
    for (size_t i = 0; models != NULL && models[i] != NULL; i++) {
        if (strcmp(models[i]->name, name) == 0) {
            p->scenario->model = models[i];
            return true;
        }
    }
    char detail_data[DETAIL_TEXT_MAX];
    struct text detail;
    text_init(&detail, detail_data, sizeof(detail_data));
    text_append(&detail, "unknown model ");
    text_append_quoted(&detail, name);
    text_append(&detail, " (known models: ");
    for (size_t i = 0; models != NULL && models[i] != NULL; i++) {
        text_append(&detail, "%s%s", i == 0 ? "" : ", ", models[i]->name);
    }
    if (models == NULL || models[0] == NULL) text_append(&detail, "none");
    text_append(&detail, ")");
    return fail(p, "%s", detail.data);
}

static bool parse_variant(struct parse *p, const cJSON *item) {
    const struct fl_model *model = p->scenario->model;
    const char *name = NULL;
    if (!read_string(p, item, 0, SIZE_MAX, &name)) return false;
    for (uint32_t i = 0; model->variants[i] != NULL; i++) {
        if (strcmp(model->variants[i], name) == 0) {
            p->scenario->variant = i;
            return true;
        }
    }
    char detail_data[DETAIL_TEXT_MAX];
    struct text detail;
    text_init(&detail, detail_data, sizeof(detail_data));
    text_append(&detail, "unknown variant ");
    text_append_quoted(&detail, name);
    text_append(&detail, " of model \"%s\" (variants: ", model->name);
    for (size_t i = 0; model->variants[i] != NULL; i++) {
        text_append(&detail, "%s%s", i == 0 ? "" : ", ", model->variants[i]);
    }
    text_append(&detail, ")");
    return fail(p, "%s", detail.data);
}

static bool parse_identity(struct parse *p, const cJSON *root,
                           const struct fl_model *const *models) {
    struct fl_scenario *scenario = p->scenario;
    const char *name = NULL;
    const char *description = "";
    if (!require(p, root, "name")) return false;
    if (!get_string(p, root, "name", 1, NAME_BYTES_MAX, &name)) return false;
    if (!get_string(p, root, "description", 0, SIZE_MAX, &description)) return false;
    scenario->name = copy_string(p, name);
    if (scenario->name == NULL) return false;
    scenario->description = copy_string(p, description);
    if (scenario->description == NULL) return false;

    if (!require(p, root, "model")) return false;
    size_t saved = path_push_key(p, "model");
    bool ok = parse_model(p, member(root, "model"), models);
    path_pop(p, saved);
    if (!ok) return false;
    assert(scenario->model->variants != NULL && scenario->model->variants[0] != NULL);
    scenario->variant = 0;
    return with_member(p, root, "variant", parse_variant);
}

static bool get_param(struct parse *p, const cJSON *object, const struct fl_param *param,
                      int64_t *value) {
    switch (param->kind) {
    case FL_PARAM_INT:
        return get_int(p, object, param->name, param->value_min, param->value_max, value);
    case FL_PARAM_DURATION:
        return get_duration(p, object, param->name, param->value_min, param->value_max, value);
    case FL_PARAM_BOOL: {
        bool flag = *value != 0;
        if (!get_bool(p, object, param->name, &flag)) return false;
        *value = flag ? 1 : 0;
        return true;
    }
    }
    assert(0 && "unknown parameter kind in the model table");
    return false;
}

static bool parse_params_object(struct parse *p, const cJSON *object) {
    struct fl_scenario *scenario = p->scenario;
    const struct fl_param *params = scenario->model->params;
    if (!expect_object(p, object)) return false;
    if (scenario->param_count == 0) {
        if (object->child == NULL) return true;
        path_push_key(p, object->child->string);
        return fail(p, "unknown key (model \"%s\" has no parameters)", scenario->model->name);
    }
    const char **names = allocate(p, scenario->param_count, sizeof(*names));
    if (names == NULL) return false;
    for (uint32_t i = 0; i < scenario->param_count; i++) names[i] = params[i].name;
    bool ok = check_keys(p, object, names, scenario->param_count, NULL);
    free(names);
    for (uint32_t i = 0; ok && i < scenario->param_count; i++) {
        ok = get_param(p, object, &params[i], &scenario->param_values[i]);
    }
    return ok;
}

static bool parse_params(struct parse *p, const cJSON *root) {
    struct fl_scenario *scenario = p->scenario;
    const struct fl_param *params = scenario->model->params;
    uint32_t count = 0;
    while (params != NULL && params[count].name != NULL) count++;
    if (count > 0) {
        scenario->param_values = allocate(p, count, sizeof(*scenario->param_values));
        if (scenario->param_values == NULL) return false;
        scenario->param_count = count;
    }
    for (uint32_t i = 0; i < count; i++) {
        assert(params[i].value_min <= params[i].value_default);
        assert(params[i].value_default <= params[i].value_max);
        scenario->param_values[i] = params[i].value_default;
    }
    return with_member(p, root, "params", parse_params_object);
}

static bool parse_servers(struct parse *p, const cJSON *item) {
    const struct fl_model *model = p->scenario->model;
    int64_t min = model->server_count_min > 1 ? (int64_t)model->server_count_min : 1;
    int64_t value = 0;
    if (!json_integer(item, &value) || value < min || value > FL_NODES_MAX) {
        if (min > 1) {
            return fail_expected(p, item,
                                 "an integer from %" PRId64 " to %d (model \"%s\" needs at "
                                 "least %" PRId64 " servers)",
                                 min, FL_NODES_MAX, model->name, min);
        }
        return fail_expected(p, item, "an integer from 1 to %d", FL_NODES_MAX);
    }
    p->scenario->server_count = (uint32_t)value;
    return true;
}

static bool parse_clients(struct parse *p, const cJSON *item) {
    struct fl_scenario *scenario = p->scenario;
    int64_t max = FL_NODES_MAX - (int64_t)scenario->server_count;
    int64_t value = 0;
    bool integer = json_integer(item, &value);
    if (integer && value > 0 && scenario->model->client == NULL) {
        return fail(p, "model \"%s\" has no client service, so clients must be 0, got %" PRId64,
                    scenario->model->name, value);
    }
    if (!integer || value < 0 || value > max) {
        return fail_expected(p, item,
                             "an integer from 0 to %" PRId64 " (nodes + clients at most %d)",
                             max, FL_NODES_MAX);
    }
    scenario->client_count = (uint32_t)value;
    return true;
}

static bool parse_run_duration(struct parse *p, const cJSON *item) {
    int64_t duration_ns = 0;
    if (!read_duration(p, item, 1, RUN_DURATION_NS_MAX, &duration_ns)) return false;
    p->scenario->duration_ns = (uint64_t)duration_ns;
    return true;
}

static bool parse_sizes(struct parse *p, const cJSON *root) {
    if (!require(p, root, "nodes")) return false;
    if (!with_member(p, root, "nodes", parse_servers)) return false;
    if (!with_member(p, root, "clients", parse_clients)) return false;
    if (!require(p, root, "duration")) return false;
    return with_member(p, root, "duration", parse_run_duration);
}

static const char *const budget_keys[] = {"events_max"};

static bool parse_budget(struct parse *p, const cJSON *object) {
    if (!expect_object(p, object)) return false;
    if (!check_keys(p, object, budget_keys, ARRAY_COUNT(budget_keys), NULL)) return false;
    int64_t events_max = (int64_t)p->scenario->events_max;
    if (!get_int(p, object, "events_max", 1, EVENTS_MAX_LIMIT, &events_max)) return false;
    p->scenario->events_max = (uint64_t)events_max;
    return true;
}

/* --- network ------------------------------------------------------------------ */

static const char *const network_keys[] = {
    "latency_min", "latency_tail_mean", "latency_tail_max", "loss",  "duplicate",
    "corrupt",     "queue_max",         "message_size_max", "links",
};

static const char *const link_keys[] = {
    "from", "to",        "latency_min", "latency_tail_mean", "latency_tail_max",
    "loss", "duplicate", "corrupt",     "queue_max",
};

/* latency_tail_max: at least latency_tail_mean; absent, 20 x a mean given in
 * the same object (capped at the 1h limit), else the inherited value. */
static bool get_tail_max(struct parse *p, const cJSON *object, int64_t mean_ns,
                         int64_t *max_ns) {
    const cJSON *item = member(object, "latency_tail_max");
    if (item == NULL) {
        if (member(object, "latency_tail_mean") == NULL) return true;
        bool capped = mean_ns > NETWORK_DURATION_NS_MAX / TAIL_MAX_PER_TAIL_MEAN;
        *max_ns = capped ? NETWORK_DURATION_NS_MAX : mean_ns * TAIL_MAX_PER_TAIL_MEAN;
        return true;
    }
    size_t saved = path_push_key(p, "latency_tail_max");
    bool ok = read_duration(p, item, 0, NETWORK_DURATION_NS_MAX, max_ns);
    if (ok && *max_ns < mean_ns) {
        char mean[FL_DURATION_TEXT_MAX];
        fl_duration_format(mean_ns, mean, sizeof(mean));
        ok = fail_expected(p, item, "a duration of at least latency_tail_mean (%s)", mean);
    }
    path_pop(p, saved);
    return ok;
}

/* The keys shared by "network" and each link; base holds the values inherited. */
static bool parse_link_params(struct parse *p, const cJSON *object,
                              const struct fl_link_params *base, struct fl_link_params *out) {
    int64_t latency_min_ns = (int64_t)base->latency_min_ns;
    int64_t tail_mean_ns = (int64_t)base->latency_tail_mean_ns;
    int64_t tail_max_ns = (int64_t)base->latency_tail_max_ns;
    int64_t queue_count_max = base->queue_count_max;
    struct fl_link_params params = *base;
    const int64_t limit_ns = NETWORK_DURATION_NS_MAX;
    if (!get_duration(p, object, "latency_min", 0, limit_ns, &latency_min_ns)) return false;
    if (!get_duration(p, object, "latency_tail_mean", 0, limit_ns, &tail_mean_ns)) return false;
    if (!get_tail_max(p, object, tail_mean_ns, &tail_max_ns)) return false;
    if (!get_probability(p, object, "loss", &params.loss_ppm)) return false;
    if (!get_probability(p, object, "duplicate", &params.duplicate_ppm)) return false;
    if (!get_probability(p, object, "corrupt", &params.corrupt_ppm)) return false;
    if (!get_int(p, object, "queue_max", 1, QUEUE_COUNT_MAX_LIMIT, &queue_count_max)) {
        return false;
    }
    assert(tail_max_ns >= tail_mean_ns);
    params.latency_min_ns = (uint64_t)latency_min_ns;
    params.latency_tail_mean_ns = (uint64_t)tail_mean_ns;
    params.latency_tail_max_ns = (uint64_t)tail_max_ns;
    params.queue_count_max = (uint32_t)queue_count_max;
    *out = params;
    return true;
}

static bool parse_link(struct parse *p, const cJSON *object, struct fl_link_override *link) {
    struct fl_scenario *scenario = p->scenario;
    if (!expect_object(p, object)) return false;
    if (!check_keys(p, object, link_keys, ARRAY_COUNT(link_keys), NULL)) return false;
    if (!require(p, object, "from") || !require(p, object, "to")) return false;
    if (!get_node(p, object, "from", &link->from)) return false;
    if (!get_node(p, object, "to", &link->to)) return false;
    if (link->from == link->to) {
        char name[16];
        fl_node_name(scenario->server_count, link->from, name, sizeof(name));
        return fail(p, "\"from\" and \"to\" are both \"%s\"; a link joins two different nodes",
                    name);
    }
    /* scenario->net is final here: the network keys are read before "links". */
    return parse_link_params(p, object, &scenario->net, &link->params);
}

static bool parse_links(struct parse *p, const cJSON *array) {
    struct fl_scenario *scenario = p->scenario;
    if (!expect_array(p, array)) return false;
    size_t count = child_count(array);
    if (count == 0) return true;
    scenario->links = allocate(p, count, sizeof(*scenario->links));
    if (scenario->links == NULL) return false;
    scenario->link_count = (uint32_t)count;
    size_t index = 0;
    for (const cJSON *item = array->child; item != NULL; item = item->next, index++) {
        size_t saved = path_push_index(p, index);
        bool ok = parse_link(p, item, &scenario->links[index]);
        path_pop(p, saved);
        if (!ok) return false;
    }
    return true;
}

static bool parse_network(struct parse *p, const cJSON *object) {
    struct fl_scenario *scenario = p->scenario;
    if (!expect_object(p, object)) return false;
    if (!check_keys(p, object, network_keys, ARRAY_COUNT(network_keys), NULL)) return false;
    if (!parse_link_params(p, object, &scenario->net, &scenario->net)) return false;
    int64_t size_max_bytes = scenario->message_size_max_bytes;
    if (!get_int(p, object, "message_size_max", 1, FL_MESSAGE_SIZE_MAX_LIMIT, &size_max_bytes)) {
        return false;
    }
    scenario->message_size_max_bytes = (uint32_t)size_max_bytes;
    return with_member(p, object, "links", parse_links);
}

/* --- clocks ------------------------------------------------------------------- */

static const char *const clocks_keys[] = {"offset_max", "drift_ppm_max", "wall_epoch", "nodes"};
static const char *const clock_node_keys[] = {"offset", "drift_ppm"};

static bool parse_clock_override(struct parse *p, const cJSON *item,
                                 struct fl_clock_override *clock) {
    if (!node_by_name(p->scenario, item->string, &clock->node)) {
        return fail_no_such_node(p, item->string);
    }
    if (!expect_object(p, item)) return false;
    if (!check_keys(p, item, clock_node_keys, ARRAY_COUNT(clock_node_keys), NULL)) return false;
    int64_t offset_ns = 0;
    int64_t drift_ppm = 0;
    if (!get_duration(p, item, "offset", -CLOCK_OFFSET_NS_LIMIT, CLOCK_OFFSET_NS_LIMIT,
                      &offset_ns)) {
        return false;
    }
    if (!get_int(p, item, "drift_ppm", -DRIFT_PPM_LIMIT, DRIFT_PPM_LIMIT, &drift_ppm)) {
        return false;
    }
    clock->offset_ns = offset_ns;
    clock->drift_ppm = (int32_t)drift_ppm;
    return true;
}

static bool parse_clock_nodes(struct parse *p, const cJSON *object) {
    struct fl_scenario *scenario = p->scenario;
    if (!expect_object(p, object)) return false;
    size_t count = child_count(object);
    if (count == 0) return true;
    scenario->clock_overrides = allocate(p, count, sizeof(*scenario->clock_overrides));
    if (scenario->clock_overrides == NULL) return false;
    scenario->clock_override_count = (uint32_t)count;
    size_t index = 0;
    for (const cJSON *item = object->child; item != NULL; item = item->next, index++) {
        /* Every earlier key named a distinct node, so this scan is bounded. */
        if (earlier_duplicate(object, item) != NULL) return fail_duplicate_key(p, item->string);
        size_t saved = path_push_key(p, item->string);
        bool ok = parse_clock_override(p, item, &scenario->clock_overrides[index]);
        path_pop(p, saved);
        if (!ok) return false;
    }
    return true;
}

static bool parse_clocks(struct parse *p, const cJSON *object) {
    struct fl_clock_params *clocks = &p->scenario->clocks;
    if (!expect_object(p, object)) return false;
    if (!check_keys(p, object, clocks_keys, ARRAY_COUNT(clocks_keys), NULL)) return false;
    int64_t offset_ns_max = clocks->offset_ns_max;
    int64_t drift_ppm_max = clocks->drift_ppm_max;
    int64_t wall_epoch_s = clocks->wall_epoch_ns / FL_NS_PER_S;
    if (!get_duration(p, object, "offset_max", 0, CLOCK_OFFSET_NS_LIMIT, &offset_ns_max)) {
        return false;
    }
    if (!get_int(p, object, "drift_ppm_max", 0, DRIFT_PPM_LIMIT, &drift_ppm_max)) return false;
    if (!get_int(p, object, "wall_epoch", 0, WALL_EPOCH_S_MAX, &wall_epoch_s)) return false;
    clocks->offset_ns_max = offset_ns_max;
    clocks->drift_ppm_max = (int32_t)drift_ppm_max;
    clocks->wall_epoch_ns = wall_epoch_s * FL_NS_PER_S;
    return with_member(p, object, "nodes", parse_clock_nodes);
}

/* --- disk ----------------------------------------------------------------------- */

#define DISK_QUOTA_BYTES_MAX (INT64_C(1) << 50)

static const char *const disk_keys[] = {
    "sector_size", "sync_latency_min", "sync_latency_tail_mean", "sync_latency_tail_max",
    "unsynced",    "read_error",       "sync_error",             "corruption",
    "lost_write",  "misdirected_write", "quota",
};
static const char *const unsynced_keys[] = {"lost", "kept", "torn"};

/* {"lost", "kept", "torn"}: what a crash does to a write not yet synced, as
 * probabilities that must add up to 1 (within rounding to ppm). */
static bool parse_unsynced(struct parse *p, const cJSON *object) {
    struct fl_disk_params *disk = &p->scenario->disk;
    if (!expect_object(p, object)) return false;
    if (!check_keys(p, object, unsynced_keys, ARRAY_COUNT(unsynced_keys), NULL)) return false;
    uint32_t lost = 0, kept = 0, torn = 0;
    bool ok = get_probability(p, object, "lost", &lost) &&
              get_probability(p, object, "kept", &kept) &&
              get_probability(p, object, "torn", &torn);
    if (!ok) return false;
    uint32_t sum = lost + kept + torn;
    if (sum + 3 < FL_PPM || sum > FL_PPM + 3) {
        return fail(p, "expected lost + kept + torn = 1, got %u.%06u", sum / FL_PPM,
                    sum % FL_PPM);
    }
    disk->unsynced_lost_ppm = lost;
    disk->unsynced_kept_ppm = kept;
    disk->unsynced_torn_ppm = FL_PPM - lost - kept; /* absorbs the rounding */
    return true;
}

static bool parse_sector_size(struct parse *p, const cJSON *item) {
    int64_t sector = 0;
    if (!json_integer(item, &sector) || (sector != 512 && sector != 4096)) {
        return fail_expected(p, item, "512 or 4096");
    }
    p->scenario->disk.sector_bytes = (uint32_t)sector;
    return true;
}

static bool parse_disk(struct parse *p, const cJSON *object) {
    struct fl_disk_params *disk = &p->scenario->disk;
    if (!expect_object(p, object)) return false;
    if (!check_keys(p, object, disk_keys, ARRAY_COUNT(disk_keys), NULL)) return false;
    int64_t latency_min = (int64_t)disk->sync_latency_min_ns;
    int64_t tail_mean = 0;
    int64_t quota = 0;
    bool ok = with_member(p, object, "sector_size", parse_sector_size) &&
              get_duration(p, object, "sync_latency_min", 0, NETWORK_DURATION_NS_MAX,
                           &latency_min) &&
              get_duration(p, object, "sync_latency_tail_mean", 0, NETWORK_DURATION_NS_MAX,
                           &tail_mean);
    if (!ok) return false;
    int64_t tail_max = tail_mean * TAIL_MAX_PER_TAIL_MEAN;
    if (tail_max > NETWORK_DURATION_NS_MAX) tail_max = NETWORK_DURATION_NS_MAX;
    ok = get_duration(p, object, "sync_latency_tail_max", tail_mean, NETWORK_DURATION_NS_MAX,
                      &tail_max) &&
         with_member(p, object, "unsynced", parse_unsynced) &&
         get_probability(p, object, "read_error", &disk->read_error_ppm) &&
         get_probability(p, object, "sync_error", &disk->sync_error_ppm) &&
         get_probability(p, object, "corruption", &disk->corrupt_ppm) &&
         get_probability(p, object, "lost_write", &disk->lost_write_ppm) &&
         get_probability(p, object, "misdirected_write", &disk->misdirected_ppm) &&
         get_int(p, object, "quota", 0, DISK_QUOTA_BYTES_MAX, &quota);
    if (!ok) return false;
    if (quota > 0 && quota < (int64_t)disk->sector_bytes) {
        size_t saved = path_push_key(p, "quota");
        fail(p, "expected 0 (unlimited) or at least one sector (%u bytes), got %" PRId64,
             disk->sector_bytes, quota);
        path_pop(p, saved);
        return false;
    }
    disk->sync_latency_min_ns = (uint64_t)latency_min;
    disk->sync_latency_tail_mean_ns = (uint64_t)tail_mean;
    disk->sync_latency_tail_max_ns = (uint64_t)tail_max;
    disk->quota_bytes = (uint64_t)quota;
    return true;
}

/* --- faults -------------------------------------------------------------------- */

enum fault_field {
    FIELD_GROUPS = 1 << 0,
    FIELD_NODE = 1 << 1,
    FIELD_LINK = 1 << 2, /* from and to */
    FIELD_DURATION = 1 << 3,
    FIELD_DURATION_REQUIRED = 1 << 4,
    FIELD_RESTART_AFTER = 1 << 5,
    FIELD_WALL_DELTA = 1 << 6,
};

struct fault_type {
    const char *name;
    enum fl_fault_kind kind;
    unsigned fields; /* enum fault_field bits: the keys besides "at" and "type" */
};

static const struct fault_type fault_types[] = {
    {"isolate", FL_FAULT_ISOLATE, FIELD_NODE | FIELD_DURATION},
    {"split", FL_FAULT_SPLIT, FIELD_GROUPS | FIELD_DURATION},
    {"bridge", FL_FAULT_BRIDGE, FIELD_GROUPS | FIELD_NODE | FIELD_DURATION},
    {"oneway", FL_FAULT_ONEWAY, FIELD_LINK | FIELD_DURATION},
    {"hold", FL_FAULT_HOLD, FIELD_LINK | FIELD_DURATION},
    {"release", FL_FAULT_RELEASE, FIELD_LINK},
    {"heal", FL_FAULT_HEAL, 0},
    {"crash", FL_FAULT_CRASH, FIELD_NODE | FIELD_RESTART_AFTER},
    {"restart", FL_FAULT_RESTART, FIELD_NODE},
    {"pause", FL_FAULT_PAUSE, FIELD_NODE | FIELD_DURATION | FIELD_DURATION_REQUIRED},
    {"clock_jump", FL_FAULT_CLOCK_JUMP, FIELD_NODE | FIELD_WALL_DELTA},
    {"disk_full", FL_FAULT_DISK_FULL, FIELD_NODE | FIELD_DURATION},
    {"disk_corrupt", FL_FAULT_DISK_CORRUPT, FIELD_NODE},
};

#define FAULT_KEYS_MAX 9

/* The allowed keys of a fault of this type, in the order the docs list them. */
static size_t fault_keys(const struct fault_type *type, const char *keys[FAULT_KEYS_MAX]) {
    size_t count = 0;
    keys[count++] = "at";
    keys[count++] = "type";
    if (type->fields & FIELD_GROUPS) keys[count++] = "groups";
    if (type->fields & FIELD_NODE) keys[count++] = "node";
    if (type->fields & FIELD_LINK) keys[count++] = "from";
    if (type->fields & FIELD_LINK) keys[count++] = "to";
    if (type->fields & FIELD_DURATION) keys[count++] = "duration";
    if (type->fields & FIELD_RESTART_AFTER) keys[count++] = "restart_after";
    if (type->fields & FIELD_WALL_DELTA) keys[count++] = "wall_delta";
    assert(count <= FAULT_KEYS_MAX);
    return count;
}

/* The type named by item, or NULL after reporting the error. */
static const struct fault_type *parse_fault_type(struct parse *p, const cJSON *item) {
    const char *name = NULL;
    if (!read_string(p, item, 0, SIZE_MAX, &name)) return NULL;
    for (size_t i = 0; i < ARRAY_COUNT(fault_types); i++) {
        if (strcmp(fault_types[i].name, name) == 0) return &fault_types[i];
    }
    char detail_data[DETAIL_TEXT_MAX];
    struct text detail;
    text_init(&detail, detail_data, sizeof(detail_data));
    text_append(&detail, "unknown fault type ");
    text_append_quoted(&detail, name);
    text_append(&detail, " (types: ");
    for (size_t i = 0; i < ARRAY_COUNT(fault_types); i++) {
        text_append(&detail, "%s%s", i == 0 ? "" : ", ", fault_types[i].name);
    }
    text_append(&detail, ")");
    fail(p, "%s", detail.data);
    return NULL;
}

static bool parse_fault_at(struct parse *p, const cJSON *item, struct fl_fault *fault) {
    uint64_t run_ns = p->scenario->duration_ns;
    int64_t at_ns = 0;
    if (!read_duration(p, item, 0, RUN_DURATION_NS_MAX, &at_ns)) return false;
    if ((uint64_t)at_ns >= run_ns) {
        char quoted_data[QUOTED_TEXT_MAX];
        struct text quoted;
        text_init(&quoted, quoted_data, sizeof(quoted_data));
        text_append_json(&quoted, item);
        char run[FL_DURATION_TEXT_MAX];
        fl_duration_format((int64_t)run_ns, run, sizeof(run));
        return fail(p, "%s is %s the end of the run (duration %s)", quoted.data,
                    (uint64_t)at_ns == run_ns ? "at" : "after", run);
    }
    fault->at_ns = (uint64_t)at_ns;
    return true;
}

static bool place_in_group(struct parse *p, struct fl_fault *fault, uint32_t node,
                           size_t group) {
    assert(group < FL_GROUPS_MAX);
    uint8_t previous = fault->group_of[node];
    if (previous == FL_GROUP_NONE) {
        fault->group_of[node] = (uint8_t)group;
        return true;
    }
    char name[16];
    fl_node_name(p->scenario->server_count, node, name, sizeof(name));
    if (previous == group) return fail(p, "node \"%s\" appears twice in groups[%zu]", name, group);
    return fail(p, "node \"%s\" is in both groups[%u] and groups[%zu]", name, previous, group);
}

static bool parse_group(struct parse *p, const cJSON *array, struct fl_fault *fault,
                        size_t group) {
    if (!cJSON_IsArray(array) || array->child == NULL) {
        return fail_expected(p, array, "a non-empty array of node names");
    }
    size_t index = 0;
    for (const cJSON *item = array->child; item != NULL; item = item->next, index++) {
        size_t saved = path_push_index(p, index);
        uint32_t node = FL_NODE_NONE;
        bool ok = read_node(p, item, &node) && place_in_group(p, fault, node, group);
        path_pop(p, saved);
        if (!ok) return false;
    }
    return true;
}

static bool parse_groups(struct parse *p, const cJSON *array, struct fl_fault *fault) {
    size_t count = cJSON_IsArray(array) ? child_count(array) : 0;
    if (count < 2 || count > FL_GROUPS_MAX) {
        return fail_expected(p, array, "an array of 2 to %d groups (arrays of node names)",
                             FL_GROUPS_MAX);
    }
    size_t node_count = fl_scenario_node_count(p->scenario);
    fault->group_of = allocate(p, node_count, sizeof(*fault->group_of));
    if (fault->group_of == NULL) return false;
    memset(fault->group_of, FL_GROUP_NONE, node_count);
    size_t group = 0;
    for (const cJSON *item = array->child; item != NULL; item = item->next, group++) {
        size_t saved = path_push_index(p, group);
        bool ok = parse_group(p, item, fault, group);
        path_pop(p, saved);
        if (!ok) return false;
    }
    return true;
}

/* A bridge's node sees across the split, so it cannot be on one side of it. */
static bool check_bridge_node(struct parse *p, const struct fl_fault *fault) {
    assert(fault->group_of != NULL);
    uint8_t group = fault->group_of[fault->node];
    if (group == FL_GROUP_NONE) return true;
    char name[16];
    fl_node_name(p->scenario->server_count, fault->node, name, sizeof(name));
    size_t saved = path_push_key(p, "node");
    fail(p, "bridge node \"%s\" must not be in any group, but it is in groups[%u]", name, group);
    path_pop(p, saved);
    return false;
}

static bool parse_wall_delta(struct parse *p, const cJSON *item, struct fl_fault *fault) {
    int64_t delta_ns = 0;
    if (!read_duration(p, item, -WALL_DELTA_NS_LIMIT, WALL_DELTA_NS_LIMIT, &delta_ns)) {
        return false;
    }
    if (delta_ns == 0) return fail_expected(p, item, "a nonzero duration from -24h to 24h");
    fault->wall_delta_ns = delta_ns;
    return true;
}

/* The keys that depend on the type; "at" and "type" are already read. */
static bool parse_fault_fields(struct parse *p, const cJSON *object,
                               const struct fault_type *type, struct fl_fault *fault) {
    unsigned fields = type->fields;
    const cJSON *groups = member(object, "groups");
    if (fields & FIELD_GROUPS) {
        if (!require(p, object, "groups")) return false;
        size_t saved = path_push_key(p, "groups");
        bool ok = parse_groups(p, groups, fault);
        path_pop(p, saved);
        if (!ok) return false;
    }
    if ((fields & FIELD_NODE) && !require(p, object, "node")) return false;
    if (!get_node(p, object, "node", &fault->node)) return false;
    if (type->kind == FL_FAULT_BRIDGE && !check_bridge_node(p, fault)) return false;
    if ((fields & FIELD_LINK) && (!require(p, object, "from") || !require(p, object, "to"))) {
        return false;
    }
    if (!get_node(p, object, "from", &fault->from)) return false;
    if (!get_node(p, object, "to", &fault->to)) return false;
    if ((fields & FIELD_LINK) && fault->from == fault->to) {
        return fail(p, "\"from\" and \"to\" are the same node; a link joins two different nodes");
    }
    if ((fields & FIELD_DURATION_REQUIRED) && !require(p, object, "duration")) return false;
    int64_t duration_ns = 0;
    if (!get_duration(p, object, "duration", 1, RUN_DURATION_NS_MAX, &duration_ns)) return false;
    if (!get_duration(p, object, "restart_after", 1, RUN_DURATION_NS_MAX, &duration_ns)) {
        return false;
    }
    fault->duration_ns = (uint64_t)duration_ns;
    if (!(fields & FIELD_WALL_DELTA)) return true;
    if (!require(p, object, "wall_delta")) return false;
    size_t saved = path_push_key(p, "wall_delta");
    bool ok = parse_wall_delta(p, member(object, "wall_delta"), fault);
    path_pop(p, saved);
    return ok;
}

static bool parse_fault(struct parse *p, const cJSON *object, struct fl_fault *fault) {
    fault->node = FL_NODE_NONE;
    fault->from = FL_NODE_NONE;
    fault->to = FL_NODE_NONE;
    if (!expect_object(p, object)) return false;
    if (!require(p, object, "type")) return false;
    size_t saved = path_push_key(p, "type");
    const struct fault_type *type = parse_fault_type(p, member(object, "type"));
    path_pop(p, saved);
    if (type == NULL) return false;
    fault->kind = type->kind;

    const char *keys[FAULT_KEYS_MAX];
    size_t key_count = fault_keys(type, keys);
    char where[48];
    bool vowel = strchr("aeiou", type->name[0]) != NULL;
    snprintf(where, sizeof(where), "in %s %s fault", vowel ? "an" : "a", type->name);
    if (!check_keys(p, object, keys, key_count, where)) return false;

    if (!require(p, object, "at")) return false;
    saved = path_push_key(p, "at");
    bool ok = parse_fault_at(p, member(object, "at"), fault);
    path_pop(p, saved);
    return ok && parse_fault_fields(p, object, type, fault);
}

struct fault_order {
    uint64_t at_ns;
    size_t index; /* position in the file: ties keep file order */
};

static int fault_order_compare(const void *a, const void *b) {
    const struct fault_order *left = a;
    const struct fault_order *right = b;
    if (left->at_ns != right->at_ns) return left->at_ns < right->at_ns ? -1 : 1;
    if (left->index != right->index) return left->index < right->index ? -1 : 1;
    return 0;
}

/* Stable by construction: qsort on (at_ns, file index), which has no ties. */
static bool sort_faults(struct parse *p) {
    struct fl_scenario *scenario = p->scenario;
    size_t count = scenario->fault_count;
    struct fault_order *order = allocate(p, count, sizeof(*order));
    if (order == NULL) return false;
    struct fl_fault *sorted = allocate(p, count, sizeof(*sorted));
    if (sorted == NULL) {
        free(order);
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        order[i].at_ns = scenario->faults[i].at_ns;
        order[i].index = i;
    }
    qsort(order, count, sizeof(*order), fault_order_compare);
    for (size_t i = 0; i < count; i++) sorted[i] = scenario->faults[order[i].index];
    free(order);
    free(scenario->faults); /* the group_of buffers moved into sorted */
    scenario->faults = sorted;
    return true;
}

static bool parse_faults(struct parse *p, const cJSON *array) {
    struct fl_scenario *scenario = p->scenario;
    if (!expect_array(p, array)) return false;
    size_t count = child_count(array);
    if (count == 0) return true;
    scenario->faults = allocate(p, count, sizeof(*scenario->faults));
    if (scenario->faults == NULL) return false;
    scenario->fault_count = (uint32_t)count;
    size_t index = 0;
    for (const cJSON *item = array->child; item != NULL; item = item->next, index++) {
        size_t saved = path_push_index(p, index);
        bool ok = parse_fault(p, item, &scenario->faults[index]);
        path_pop(p, saved);
        if (!ok) return false;
    }
    return sort_faults(p);
}

/* --- whole documents ------------------------------------------------------------ */

static bool set_defaults(struct parse *p, const char *file_name) {
    struct fl_scenario *scenario = p->scenario;
    scenario->path = copy_string(p, file_name);
    if (scenario->path == NULL) return false;
    scenario->events_max = (uint64_t)EVENTS_MAX_DEFAULT;
    scenario->net = (struct fl_link_params){
        .latency_min_ns = (uint64_t)LATENCY_MIN_NS_DEFAULT,
        .latency_tail_mean_ns = 0,
        .latency_tail_max_ns = 0,
        .loss_ppm = 0,
        .duplicate_ppm = 0,
        .corrupt_ppm = 0,
        .queue_count_max = QUEUE_COUNT_MAX_DEFAULT,
    };
    scenario->message_size_max_bytes = MESSAGE_SIZE_MAX_DEFAULT;
    scenario->disk = (struct fl_disk_params){
        .sector_bytes = 512,
        .sync_latency_min_ns = (uint64_t)FL_NS_PER_MS,
        .unsynced_lost_ppm = FL_PPM,
    };
    scenario->clocks = (struct fl_clock_params){
        .offset_ns_max = 0,
        .drift_ppm_max = 0,
        .wall_epoch_ns = WALL_EPOCH_S_DEFAULT * FL_NS_PER_S,
    };
    return true;
}

/* Order matters: the model decides params, variants and whether clients may
 * exist; node counts decide which node names resolve; the run's duration
 * bounds the fault times. */
/* --- swarm ---------------------------------------------------------------------- */

#define SWARM_EVERY_NS_MIN FL_NS_PER_MS /* a fault every millisecond at most */
#define SWARM_KIND_COUNT 15

static const char *const swarm_keys[] = {
    "enable",  "until",    "loss",       "duplicate", "corrupt", "latency_tail_mean",
    "drift_ppm_max", "partitions", "crashes", "pauses", "clock_jumps",
    "disk_read_error", "disk_sync_error", "disk_corruption", "disk_lost_write",
    "disk_misdirected_write", "disk_sync_latency_tail_mean",
};
static const char *const swarm_process_keys[] = {"every", "duration"};
static const char *const swarm_jump_keys[] = {"every", "delta"};

enum range_kind { RANGE_PROBABILITY, RANGE_DURATION, RANGE_INT };

/* [min, max] with min <= max, each a value of the given kind within limits. */
static bool read_range(struct parse *p, const cJSON *item, enum range_kind kind, int64_t limit_min,
                       int64_t limit_max, struct fl_range *out) {
    if (!cJSON_IsArray(item) || child_count(item) != 2) {
        return fail_expected(p, item, "a range [min, max]");
    }
    int64_t bounds[2] = {0, 0};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *bound = cJSON_GetArrayItem(item, (int)i);
        size_t saved = path_push_index(p, i);
        bool ok;
        if (kind == RANGE_PROBABILITY) {
            uint32_t ppm = 0;
            ok = read_probability(p, bound, &ppm);
            bounds[i] = ppm;
        } else if (kind == RANGE_DURATION) {
            ok = read_duration(p, bound, limit_min, limit_max, &bounds[i]);
        } else {
            ok = read_int(p, bound, limit_min, limit_max, &bounds[i]);
        }
        path_pop(p, saved);
        if (!ok) return false;
    }
    if (bounds[0] > bounds[1]) return fail_expected(p, item, "a range with min <= max");
    out->present = true;
    out->min = bounds[0];
    out->max = bounds[1];
    return true;
}

static bool get_range(struct parse *p, const cJSON *object, const char *key, enum range_kind kind,
                      int64_t limit_min, int64_t limit_max, struct fl_range *out) {
    const cJSON *item = member(object, key);
    if (item == NULL) return true;
    size_t saved = path_push_key(p, key);
    bool ok = read_range(p, item, kind, limit_min, limit_max, out);
    path_pop(p, saved);
    return ok;
}

/* {"every": [min, max], "duration" (or "delta"): [min, max]}, both required. */
static bool get_process(struct parse *p, const cJSON *object, const char *key,
                        const char *length_key, struct fl_swarm_process *out) {
    const cJSON *item = member(object, key);
    if (item == NULL) return true;
    size_t saved = path_push_key(p, key);
    const char *const *keys = strcmp(length_key, "delta") == 0 ? swarm_jump_keys
                                                               : swarm_process_keys;
    int64_t run_ns = (int64_t)p->scenario->duration_ns;
    bool ok = expect_object(p, item) && check_keys(p, item, keys, 2, NULL) &&
              require(p, item, "every") && require(p, item, length_key) &&
              get_range(p, item, "every", RANGE_DURATION, SWARM_EVERY_NS_MIN, run_ns,
                        &out->every) &&
              get_range(p, item, length_key, RANGE_DURATION, 1,
                        strcmp(length_key, "delta") == 0 ? WALL_DELTA_NS_LIMIT : run_ns,
                        &out->duration);
    path_pop(p, saved);
    out->present = ok;
    return ok;
}

static bool parse_swarm(struct parse *p, const cJSON *object) {
    struct fl_swarm *swarm = &p->scenario->swarm;
    if (!expect_object(p, object)) return false;
    if (!check_keys(p, object, swarm_keys, ARRAY_COUNT(swarm_keys), NULL)) return false;
    _Static_assert(ARRAY_COUNT(swarm_keys) == SWARM_KIND_COUNT + 2, "enable, until, kinds");
    swarm->present = true;
    swarm->enable_ppm = FL_PPM / 2;
    int64_t run_ns = (int64_t)p->scenario->duration_ns;
    int64_t until_ns = run_ns;
    bool ok = get_probability(p, object, "enable", &swarm->enable_ppm) &&
              get_duration(p, object, "until", 1, run_ns, &until_ns) &&
              get_range(p, object, "loss", RANGE_PROBABILITY, 0, 0, &swarm->loss) &&
              get_range(p, object, "duplicate", RANGE_PROBABILITY, 0, 0, &swarm->duplicate) &&
              get_range(p, object, "corrupt", RANGE_PROBABILITY, 0, 0, &swarm->corrupt) &&
              get_range(p, object, "latency_tail_mean", RANGE_DURATION, 0, NETWORK_DURATION_NS_MAX,
                        &swarm->latency_tail_mean) &&
              get_range(p, object, "drift_ppm_max", RANGE_INT, 0, DRIFT_PPM_LIMIT,
                        &swarm->drift_ppm_max) &&
              get_process(p, object, "partitions", "duration", &swarm->partitions) &&
              get_process(p, object, "crashes", "duration", &swarm->crashes) &&
              get_process(p, object, "pauses", "duration", &swarm->pauses) &&
              get_process(p, object, "clock_jumps", "delta", &swarm->clock_jumps) &&
              get_range(p, object, "disk_read_error", RANGE_PROBABILITY, 0, 0,
                        &swarm->disk_read_error) &&
              get_range(p, object, "disk_sync_error", RANGE_PROBABILITY, 0, 0,
                        &swarm->disk_sync_error) &&
              get_range(p, object, "disk_corruption", RANGE_PROBABILITY, 0, 0,
                        &swarm->disk_corruption) &&
              get_range(p, object, "disk_lost_write", RANGE_PROBABILITY, 0, 0,
                        &swarm->disk_lost_write) &&
              get_range(p, object, "disk_misdirected_write", RANGE_PROBABILITY, 0, 0,
                        &swarm->disk_misdirected_write) &&
              get_range(p, object, "disk_sync_latency_tail_mean", RANGE_DURATION, 0,
                        NETWORK_DURATION_NS_MAX, &swarm->disk_sync_latency_tail_mean);
    swarm->until_ns = (uint64_t)until_ns;
    return ok;
}

static bool parse_root(struct parse *p, const cJSON *root, const struct fl_model *const *models) {
    if (!expect_object(p, root)) return false;
    if (!check_keys(p, root, root_keys, ARRAY_COUNT(root_keys), NULL)) return false;
    return parse_identity(p, root, models) && parse_params(p, root) && parse_sizes(p, root) &&
           with_member(p, root, "budget", parse_budget) &&
           with_member(p, root, "network", parse_network) &&
           with_member(p, root, "clocks", parse_clocks) &&
           with_member(p, root, "disk", parse_disk) &&
           with_member(p, root, "faults", parse_faults) &&
           with_member(p, root, "swarm", parse_swarm);
}

/* "FILE: line L, column C: malformed JSON"; columns count bytes from 1. */
static void fail_malformed(struct fl_error *error, const char *file_name, const char *text,
                           size_t size_bytes, size_t position) {
    if (position > size_bytes) position = size_bytes;
    uint64_t line = 1;
    uint64_t column = 1;
    for (size_t i = 0; i < position; i++) {
        if (text[i] == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
    }
    char detail[64];
    snprintf(detail, sizeof(detail), "line %" PRIu64 ", column %" PRIu64 ": malformed JSON",
             line, column);
    error_set(error, file_name, NULL, detail);
}

/* Parses the whole text as one JSON value; anything after it but whitespace
 * (cJSON's: every byte up to space) is an error too. */
static cJSON *parse_json(const char *text, size_t size_bytes, const char *file_name,
                         struct fl_error *error) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, size_bytes, &end, false);
    assert(end != NULL);
    assert(end >= text);
    size_t position = (size_t)(end - text);
    if (root == NULL) {
        fail_malformed(error, file_name, text, size_bytes, position);
        return NULL;
    }
    while (position < size_bytes && (unsigned char)text[position] <= ' ') position++;
    if (position < size_bytes) {
        cJSON_Delete(root);
        fail_malformed(error, file_name, text, size_bytes, position);
        return NULL;
    }
    return root;
}

struct fl_scenario *fl_scenario_parse(const char *text, size_t size_bytes, const char *file_name,
                                      const struct fl_model *const *models,
                                      struct fl_error *error) {
    assert(file_name != NULL);
    assert(text != NULL || size_bytes == 0);
    struct fl_error error_ignored;
    if (error == NULL) error = &error_ignored;
    error->message[0] = '\0';
    if (text == NULL) text = "";

    cJSON *root = parse_json(text, size_bytes, file_name, error);
    if (root == NULL) return NULL;
    struct fl_scenario *scenario = calloc(1, sizeof(*scenario));
    if (scenario == NULL) {
        cJSON_Delete(root);
        error_set(error, file_name, NULL, "out of memory");
        return NULL;
    }
    struct parse p = {.file_name = file_name, .error = error, .scenario = scenario};
    text_init(&p.path, p.path_data, sizeof(p.path_data));
    text_append(&p.path, "$");

    bool ok = set_defaults(&p, file_name) && parse_root(&p, root, models);
    cJSON_Delete(root);
    if (!ok) {
        assert(error->message[0] != '\0');
        fl_scenario_free(scenario);
        return NULL;
    }
    assert(scenario->server_count >= 1);
    assert(fl_scenario_node_count(scenario) <= FL_NODES_MAX);
    return scenario;
}

/* Reads a whole file into a heap buffer; on failure returns NULL with errno set
 * (or EFBIG beyond FILE_BYTES_MAX). */
static char *read_file(const char *path, size_t *size_bytes) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    size_t capacity = 4096;
    size_t length = 0;
    char *data = malloc(capacity);
    while (data != NULL) {
        size_t got = fread(data + length, 1, capacity - length, file);
        length += got;
        if (got == 0) break;
        if (length < capacity) continue;
        if (capacity >= FILE_BYTES_MAX) {
            free(data);
            data = NULL;
            errno = EFBIG;
            break;
        }
        char *grown = realloc(data, capacity * 2);
        if (grown == NULL) free(data);
        data = grown;
        capacity *= 2;
    }
    int error_number = errno;
    if (data != NULL && ferror(file)) {
        free(data);
        data = NULL;
    }
    fclose(file);
    errno = error_number;
    *size_bytes = length;
    return data;
}

struct fl_scenario *fl_scenario_load(const char *path, const struct fl_model *const *models,
                                     struct fl_error *error) {
    assert(path != NULL);
    struct fl_error error_ignored;
    if (error == NULL) error = &error_ignored;
    size_t size_bytes = 0;
    errno = 0;
    char *text = read_file(path, &size_bytes);
    if (text == NULL) {
        char detail[128];
        snprintf(detail, sizeof(detail), "cannot read: %s",
                 errno == EFBIG ? "larger than 64 MiB" : strerror(errno));
        error_set(error, path, NULL, detail);
        return NULL;
    }
    struct fl_scenario *scenario = fl_scenario_parse(text, size_bytes, path, models, error);
    free(text);
    return scenario;
}

void fl_scenario_free(struct fl_scenario *scenario) {
    if (scenario == NULL) return;
    for (uint32_t i = 0; i < scenario->fault_count; i++) free(scenario->faults[i].group_of);
    free(scenario->faults);
    free(scenario->clock_overrides);
    free(scenario->links);
    free(scenario->param_values);
    free(scenario->description);
    free(scenario->name);
    free(scenario->path);
    free(scenario);
}

const char *fl_scenario_name(const struct fl_scenario *scenario) {
    assert(scenario != NULL);
    return scenario->name;
}

const char *fl_scenario_path(const struct fl_scenario *scenario) {
    assert(scenario != NULL);
    return scenario->path;
}

const struct fl_model *fl_scenario_model(const struct fl_scenario *scenario) {
    assert(scenario != NULL);
    return scenario->model;
}

const char *fl_scenario_variant_name(const struct fl_scenario *scenario) {
    assert(scenario != NULL);
    assert(scenario->model != NULL);
    return scenario->model->variants[scenario->variant];
}

void fl_node_name(uint32_t server_count, fl_node_id id, char *out, size_t out_size) {
    assert(out != NULL || out_size == 0);
    if (out_size == 0) return;
    if (id == FL_NODE_NONE) {
        snprintf(out, out_size, "none");
    } else if (id < server_count) {
        snprintf(out, out_size, "n%" PRIu32, id + 1);
    } else {
        snprintf(out, out_size, "c%" PRIu32, id - server_count + 1);
    }
}

/* --- quiet time ------------------------------------------------------------------ */

static bool is_partition(enum fl_fault_kind kind) {
    return kind == FL_FAULT_ISOLATE || kind == FL_FAULT_SPLIT || kind == FL_FAULT_BRIDGE ||
           kind == FL_FAULT_ONEWAY || kind == FL_FAULT_HOLD;
}

/* Does a fault after index i (in timeline order) end the open-ended fault i? */
static bool ended_later(const struct fl_scenario *scenario, uint32_t i) {
    const struct fl_fault *fault = &scenario->faults[i];
    for (uint32_t j = i + 1; j < scenario->fault_count; j++) {
        const struct fl_fault *later = &scenario->faults[j];
        if (is_partition(fault->kind) && later->kind == FL_FAULT_HEAL) return true;
        if (fault->kind == FL_FAULT_HOLD && later->kind == FL_FAULT_RELEASE &&
            later->from == fault->from && later->to == fault->to) {
            return true;
        }
        if (fault->kind == FL_FAULT_CRASH && later->kind == FL_FAULT_RESTART &&
            later->node == fault->node) {
            return true;
        }
    }
    return false;
}

/* A timeline-order scan; quadratic only when many open-ended faults wait for a
 * late end, which scenarios written by hand do not do. */
uint64_t fl_scenario_quiet_since_ns(const struct fl_scenario *scenario) {
    assert(scenario != NULL);
    uint64_t quiet_ns = 0;
    for (uint32_t i = 0; i < scenario->fault_count; i++) {
        const struct fl_fault *fault = &scenario->faults[i];
        assert(i == 0 || scenario->faults[i - 1].at_ns <= fault->at_ns);
        bool open_ended = (is_partition(fault->kind) || fault->kind == FL_FAULT_CRASH ||
                           fault->kind == FL_FAULT_DISK_FULL) &&
                          fault->duration_ns == 0;
        if (open_ended && !ended_later(scenario, i)) return scenario->duration_ns;
        uint64_t end_ns = fault->at_ns + fault->duration_ns;
        if (end_ns > quiet_ns) quiet_ns = end_ns;
    }
    /* A fault that outlasts the run means the run never quiets either. */
    return quiet_ns < scenario->duration_ns ? quiet_ns : scenario->duration_ns;
}

uint32_t fl_scenario_server_count(const struct fl_scenario *scenario) {
    return scenario->server_count;
}

uint32_t fl_scenario_client_count(const struct fl_scenario *scenario) {
    return scenario->client_count;
}
