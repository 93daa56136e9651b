/*
 * report: the sweep report's records, summary, files and human output, shared
 * by `sweep` and `merge` so that a merged report is made by the same code as an
 * unsharded one and comes out byte for byte the same (wall times aside).
 *
 * Why records are kept on disk, not in memory: a sweep writes each record to its
 * journal as it completes and remembers only where the line is (struct
 * rep_entry, 40 bytes a seed). The final report is those lines copied in seed
 * order. So the sweep's memory, and with it the cost of every fork(), stays
 * flat however many seeds it runs, and a killed sweep loses nothing it had
 * finished. `merge` reads its inputs the same way, by offset.
 *
 * Why sorted: records complete in an order that depends on -j and on timing; in
 * seed order the report is a function of the seeds alone, so two reports diff
 * cleanly and a merged report equals an unsharded one.
 *
 * The summary is added up from the records alone (rep_summary_add), never from
 * state the sweep kept on the side: that is what lets `merge` and `--resume`
 * rebuild it exactly. Failures are grouped by reason: the first violated
 * check's name for "fail", the reason text otherwise ("signal 11 (SIGSEGV)",
 * "timeout", "memory", "nondeterministic").
 *
 * A record has the keys of `run --json` that describe the run (result, stop,
 * violations, fingerprint, events, messages_*, sim_time_ns) plus wall_time_ns,
 * swarm (the fault mix the seed drew), sometimes {name: times true} and
 * sometimes_evaluated {name: times evaluated}: the second map is what lets
 * "never true, evaluated N times" be added up across shards.
 */
#define _POSIX_C_SOURCE 200809L
#include "report.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const result_names[REP_RESULT_COUNT] = {
    "pass", "fail", "crash", "timeout", "memory", "nondeterministic",
};

const char *rep_result_name(enum rep_result result) {
    assert(result >= REP_PASS && result < REP_RESULT_COUNT);
    return result_names[result];
}

static bool result_parse(const char *name, enum rep_result *out) {
    for (int i = 0; i < REP_RESULT_COUNT; i++) {
        if (strcmp(name, result_names[i]) == 0) {
            *out = (enum rep_result)i;
            return true;
        }
    }
    return false;
}

__attribute__((format(printf, 3, 4))) static bool fail(char *error, size_t error_size,
                                                       const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(error, error_size, format, args);
    va_end(args);
    return false;
}

static char *copy_string(const char *s) {
    return s == NULL ? NULL : strdup(s);
}

/* A uint64 as exact digits (a JSON number that no double rounds). */
static bool add_u64_raw(cJSON *object, const char *key, uint64_t value) {
    char digits[24];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)value);
    return cJSON_AddRawToObject(object, key, digits) != NULL;
}

/* The digits after the first "key": in a line we wrote. Inside a JSON string
 * every quote is escaped, so "key": cannot match there. */
static bool raw_u64(const char *line, const char *key, uint64_t *out) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(line, pattern);
    if (at == NULL) return false;
    at += strlen(pattern);
    char digits[24];
    size_t n = 0;
    while (at[n] >= '0' && at[n] <= '9' && n + 1 < sizeof digits) {
        digits[n] = at[n];
        n++;
    }
    digits[n] = '\0';
    return n > 0 && cli_parse_u64(digits, out);
}

/* A non-negative integral JSON number (counts; exact below 2^53). */
static bool json_count(const cJSON *item, uint64_t *out) {
    if (!cJSON_IsNumber(item)) return false;
    double v = item->valuedouble;
    if (!(v >= 0 && v < 18446744073709551616.0) || v != (double)(uint64_t)v) return false;
    *out = (uint64_t)v;
    return true;
}

/* --- the settings ------------------------------------------------------------ */

void rep_meta_deinit(struct rep_meta *meta) {
    free(meta->scenario);
    free(meta->name);
    free(meta->model);
    free(meta->variant);
    memset(meta, 0, sizeof *meta);
}

bool rep_meta_copy(struct rep_meta *to, const struct rep_meta *from) {
    *to = *from;
    to->scenario = copy_string(from->scenario);
    to->name = copy_string(from->name);
    to->model = copy_string(from->model);
    to->variant = copy_string(from->variant);
    if (to->scenario && to->name && to->model && to->variant) return true;
    rep_meta_deinit(to);
    return false;
}

static bool meta_string(const cJSON *object, const char *key, char **out) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!cJSON_IsString(item)) return false;
    *out = strdup(item->valuestring);
    return *out != NULL;
}

static bool meta_hash(const cJSON *object, char out[17]) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, "scenario_hash");
    if (!cJSON_IsString(item) || strlen(item->valuestring) != 16) return false;
    if (strspn(item->valuestring, "0123456789abcdef") != 16) return false;
    memcpy(out, item->valuestring, 17);
    return true;
}

/* "shard": "K/N" or null. */
static bool meta_shard(const cJSON *object, struct rep_meta *meta) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, "shard");
    if (cJSON_IsNull(item)) return true;
    if (!cJSON_IsString(item)) return false;
    unsigned long long k, n;
    char tail;
    if (sscanf(item->valuestring, "%llu/%llu%c", &k, &n, &tail) != 2 || k >= n) return false;
    meta->shard_index = k;
    meta->shard_count = n;
    return true;
}

static bool meta_numbers(const cJSON *object, const char *line, struct rep_meta *meta) {
    uint64_t wall_max, mem_max;
    if (!raw_u64(line, "first", &meta->seed_first) || !raw_u64(line, "last", &meta->seed_last) ||
        !raw_u64(line, "planned", &meta->planned) ||
        !json_count(cJSON_GetObjectItemCaseSensitive(object, "events_max"), &meta->events_max) ||
        !json_count(cJSON_GetObjectItemCaseSensitive(object, "wall_max_s"), &wall_max) ||
        !json_count(cJSON_GetObjectItemCaseSensitive(object, "mem_max_mib"), &mem_max)) {
        return false;
    }
    meta->wall_max_s = wall_max;
    meta->mem_max_mib = mem_max;
    const cJSON *check = cJSON_GetObjectItemCaseSensitive(object, "check_determinism");
    if (!cJSON_IsBool(check)) return false;
    meta->check_determinism = cJSON_IsTrue(check);
    return meta->seed_first <= meta->seed_last;
}

bool rep_meta_read(struct rep_meta *meta, const cJSON *object, const char *line, char *error,
                   size_t error_size) {
    memset(meta, 0, sizeof *meta);
    bool ok =
        meta_string(object, "scenario", &meta->scenario) &&
        meta_string(object, "name", &meta->name) && meta_string(object, "model", &meta->model) &&
        meta_string(object, "variant", &meta->variant) && meta_hash(object, meta->scenario_hash) &&
        meta_shard(object, meta) && meta_numbers(object, line, meta);
    if (ok) return true;
    rep_meta_deinit(meta);
    return fail(error, error_size,
                "the summary lacks a key or has a wrong value (scenario, name, model, variant, "
                "scenario_hash, seeds, shard, planned, events_max, check_determinism, "
                "wall_max_s, mem_max_mib)");
}

bool rep_meta_compatible(const struct rep_meta *a, const struct rep_meta *b, char *error,
                         size_t error_size) {
    if (strcmp(a->scenario_hash, b->scenario_hash) != 0) {
        return fail(error, error_size,
                    "it is a report of another scenario (scenario_hash %s, expected %s: %s)",
                    b->scenario_hash, a->scenario_hash, a->scenario);
    }
    if (a->events_max != b->events_max) {
        return fail(error, error_size, "it was swept with --events-max %llu, not %llu",
                    (unsigned long long)b->events_max, (unsigned long long)a->events_max);
    }
    if (a->check_determinism != b->check_determinism) {
        return fail(error, error_size, "it was swept %s --check-determinism",
                    b->check_determinism ? "with" : "without");
    }
    return true;
}

static bool meta_add(cJSON *root, const struct rep_meta *meta) {
    cJSON_AddStringToObject(root, "scenario", meta->scenario);
    cJSON_AddStringToObject(root, "name", meta->name);
    cJSON_AddStringToObject(root, "scenario_hash", meta->scenario_hash);
    cJSON_AddStringToObject(root, "model", meta->model);
    cJSON_AddStringToObject(root, "variant", meta->variant);
    cJSON *seeds = cJSON_AddObjectToObject(root, "seeds");
    if (seeds == NULL) return false;
    add_u64_raw(seeds, "first", meta->seed_first);
    add_u64_raw(seeds, "last", meta->seed_last);
    if (meta->shard_count == 0) {
        cJSON_AddNullToObject(root, "shard");
    } else {
        char shard[48];
        snprintf(shard, sizeof shard, "%llu/%llu", (unsigned long long)meta->shard_index,
                 (unsigned long long)meta->shard_count);
        cJSON_AddStringToObject(root, "shard", shard);
    }
    add_u64_raw(root, "planned", meta->planned);
    cJSON_AddNumberToObject(root, "events_max", (double)meta->events_max);
    cJSON_AddBoolToObject(root, "check_determinism", meta->check_determinism);
    cJSON_AddNumberToObject(root, "wall_max_s", (double)meta->wall_max_s);
    return cJSON_AddNumberToObject(root, "mem_max_mib", (double)meta->mem_max_mib) != NULL;
}

char *rep_meta_header(const struct rep_meta *meta) {
    cJSON *root = cJSON_CreateObject();
    char *text = NULL;
    if (root != NULL && cJSON_AddTrueToObject(root, "journal") != NULL && meta_add(root, meta)) {
        text = cJSON_PrintUnformatted(root);
    }
    cJSON_Delete(root);
    return text;
}

/* --- records ------------------------------------------------------------------ */

/* As `run --json` writes them, and every per-seed record. */
cJSON *rep_violations_json(const struct fl_scenario *scenario, const struct fl_result *r) {
    cJSON *list = cJSON_CreateArray();
    uint32_t shown =
        r->violation_count < FL_VIOLATIONS_MAX ? r->violation_count : FL_VIOLATIONS_MAX;
    for (uint32_t i = 0; i < shown && list != NULL; i++) {
        const struct fl_violation *v = &r->violations[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "check", v->check);
        cJSON_AddStringToObject(item, "message", v->message);
        cJSON_AddNumberToObject(item, "time_ns", (double)v->time_ns);
        if (v->node == FL_NODE_NONE) {
            cJSON_AddNullToObject(item, "node");
        } else {
            char node[16];
            fl_node_name(fl_scenario_server_count(scenario), v->node, node, sizeof node);
            cJSON_AddStringToObject(item, "node", node);
        }
        cJSON_AddNumberToObject(item, "event", (double)v->event_id);
        cJSON_AddItemToArray(list, item);
    }
    return list;
}

/* sometimes: {name: times true}; sometimes_evaluated: {name: times evaluated}. */
static void sometimes_json(cJSON *record, struct fl_sim *sim) {
    cJSON *held = cJSON_AddObjectToObject(record, "sometimes");
    cJSON *evaluated = cJSON_AddObjectToObject(record, "sometimes_evaluated");
    const struct fl_assertion_stat *stats;
    uint32_t count = fl_sim_assertions(sim, &stats);
    for (uint32_t i = 0; i < count; i++) {
        if (!stats[i].sometimes) continue;
        cJSON_AddNumberToObject(held, stats[i].name, (double)stats[i].held);
        cJSON_AddNumberToObject(evaluated, stats[i].name, (double)stats[i].evaluated);
    }
}

static void divergence_json(cJSON *record, const struct cli_divergence *d) {
    cJSON *item = cJSON_AddObjectToObject(record, "divergence");
    char hex[17];
    cJSON_AddNumberToObject(item, "event", (double)d->event_id);
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)d->fingerprint_first);
    cJSON_AddStringToObject(item, "fingerprint_first", hex);
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)d->fingerprint_second);
    cJSON_AddStringToObject(item, "fingerprint_second", hex);
    cJSON_AddStringToObject(item, "first", d->line_first);
    cJSON_AddStringToObject(item, "second", d->line_second);
}

cJSON *rep_record_run(const struct fl_scenario *scenario, struct fl_sim *sim,
                      const struct fl_result *r, uint64_t seed,
                      const struct cli_divergence *divergence) {
    cJSON *record = cJSON_CreateObject();
    if (record == NULL) return NULL;
    add_u64_raw(record, "seed", seed);
    const char *result = divergence != NULL ? "nondeterministic" : r->pass ? "pass" : "fail";
    cJSON_AddStringToObject(record, "result", result);
    if (divergence != NULL) cJSON_AddStringToObject(record, "reason", "nondeterministic");
    cJSON_AddStringToObject(record, "stop", fl_stop_name(r->stop));
    cJSON_AddItemToObject(record, "violations", rep_violations_json(scenario, r));
    char fingerprint[17];
    snprintf(fingerprint, sizeof fingerprint, "%016llx", (unsigned long long)r->fingerprint);
    cJSON_AddStringToObject(record, "fingerprint", fingerprint);
    cJSON_AddNumberToObject(record, "events", (double)r->events);
    cJSON_AddNumberToObject(record, "messages_sent", (double)r->messages_sent);
    cJSON_AddNumberToObject(record, "messages_delivered", (double)r->messages_delivered);
    cJSON_AddNumberToObject(record, "messages_dropped", (double)r->messages_dropped);
    cJSON_AddNumberToObject(record, "sim_time_ns", (double)r->sim_time_ns);
    cJSON_AddNumberToObject(record, "wall_time_ns", 0);
    cJSON_AddRawToObject(record, "swarm", fl_sim_swarm_json(sim));
    sometimes_json(record, sim);
    if (divergence != NULL) divergence_json(record, divergence);
    return record;
}

cJSON *rep_record_abnormal(uint64_t seed, enum rep_result result, const char *reason,
                           uint64_t wall_ns) {
    assert(result != REP_PASS && result != REP_FAIL);
    cJSON *record = cJSON_CreateObject();
    if (record == NULL) return NULL;
    add_u64_raw(record, "seed", seed);
    cJSON_AddStringToObject(record, "result", rep_result_name(result));
    cJSON_AddStringToObject(record, "reason", reason);
    cJSON_AddNullToObject(record, "stop");
    cJSON_AddArrayToObject(record, "violations");
    static const char *const unknown[] = {"fingerprint",        "events",           "messages_sent",
                                          "messages_delivered", "messages_dropped", "sim_time_ns"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        cJSON_AddNullToObject(record, unknown[i]);
    }
    cJSON_AddNumberToObject(record, "wall_time_ns", (double)wall_ns);
    cJSON_AddNullToObject(record, "swarm");
    cJSON_AddObjectToObject(record, "sometimes");
    cJSON_AddObjectToObject(record, "sometimes_evaluated");
    return record;
}

bool rep_record_set(cJSON *record, uint64_t seed, uint64_t wall_ns) {
    char digits[24];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)seed);
    cJSON *raw = cJSON_CreateRaw(digits);
    if (raw == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(record, "seed", raw)) {
        cJSON_Delete(raw);
        return false;
    }
    cJSON *wall = cJSON_GetObjectItemCaseSensitive(record, "wall_time_ns");
    if (!cJSON_IsNumber(wall)) return false;
    cJSON_SetNumberValue(wall, (double)wall_ns);
    return true;
}

bool rep_line_seed(const char *line, uint64_t *seed) {
    static const char head[] = "{\"seed\":";
    if (strncmp(line, head, sizeof head - 1) != 0) return false;
    const char *digits = line + sizeof head - 1;
    size_t n = strspn(digits, "0123456789");
    if (n == 0 || n > 20 || (digits[n] != ',' && digits[n] != '}')) return false;
    char copy[24];
    memcpy(copy, digits, n);
    copy[n] = '\0';
    return cli_parse_u64(copy, seed);
}

bool rep_lines_equal(const char *a, const char *b) {
    cJSON *x = cJSON_Parse(a);
    cJSON *y = cJSON_Parse(b);
    bool equal = false;
    if (x != NULL && y != NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(x, "wall_time_ns");
        cJSON_DeleteItemFromObjectCaseSensitive(y, "wall_time_ns");
        equal = cJSON_Compare(x, y, true);
    }
    cJSON_Delete(x);
    cJSON_Delete(y);
    return equal;
}

/* --- the summary ---------------------------------------------------------------- */

void rep_summary_deinit(struct rep_summary *summary) {
    for (uint32_t i = 0; i < summary->group_count; i++) {
        free(summary->groups[i].reason);
        free(summary->groups[i].seeds);
    }
    for (uint32_t i = 0; i < summary->coverage_count; i++)
        free(summary->coverage[i].name);
    free(summary->groups);
    free(summary->coverage);
    memset(summary, 0, sizeof *summary);
}

uint64_t rep_summary_failed(const struct rep_summary *summary) {
    assert(summary->by_result[REP_PASS] <= summary->total);
    return summary->total - summary->by_result[REP_PASS];
}

/* Grows an array of `size`-byte items to hold one more. */
static bool grow(void **items, uint32_t count, uint32_t *capacity, size_t size) {
    if (count < *capacity) return true;
    uint32_t wanted = *capacity ? *capacity * 2 : 8;
    void *bigger = realloc(*items, (size_t)wanted * size);
    if (bigger == NULL) return false;
    *items = bigger;
    *capacity = wanted;
    return true;
}

static struct rep_group *group_for(struct rep_summary *s, const char *reason,
                                   enum rep_result result) {
    for (uint32_t i = 0; i < s->group_count; i++) {
        if (strcmp(s->groups[i].reason, reason) == 0) return &s->groups[i];
    }
    if (!grow((void **)&s->groups, s->group_count, &s->group_capacity, sizeof s->groups[0])) {
        return NULL;
    }
    struct rep_group *g = &s->groups[s->group_count];
    memset(g, 0, sizeof *g);
    g->reason = strdup(reason);
    g->result = result;
    if (g->reason == NULL) return NULL;
    s->group_count++;
    return g;
}

static bool group_push(struct rep_group *g, uint64_t seed) {
    if (g->count == g->capacity) {
        uint64_t wanted = g->capacity ? g->capacity * 2 : 16;
        uint64_t *bigger = realloc(g->seeds, wanted * sizeof g->seeds[0]);
        if (bigger == NULL) return false;
        g->seeds = bigger;
        g->capacity = wanted;
    }
    g->seeds[g->count++] = seed;
    return true;
}

/* The group a failing record belongs to. */
static const char *record_reason(const cJSON *record, enum rep_result result) {
    if (result == REP_FAIL) {
        const cJSON *first =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(record, "violations"), 0);
        const cJSON *check = cJSON_GetObjectItemCaseSensitive(first, "check");
        return cJSON_IsString(check) ? check->valuestring : "fail";
    }
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(record, "reason");
    return cJSON_IsString(reason) ? reason->valuestring : rep_result_name(result);
}

static struct rep_coverage *coverage_for(struct rep_summary *s, const char *name) {
    for (uint32_t i = 0; i < s->coverage_count; i++) {
        if (strcmp(s->coverage[i].name, name) == 0) return &s->coverage[i];
    }
    if (!grow((void **)&s->coverage, s->coverage_count, &s->coverage_capacity,
              sizeof s->coverage[0])) {
        return NULL;
    }
    struct rep_coverage *c = &s->coverage[s->coverage_count];
    memset(c, 0, sizeof *c);
    c->name = strdup(name);
    if (c->name == NULL) return NULL;
    s->coverage_count++;
    return c;
}

static bool add_coverage(struct rep_summary *s, const cJSON *record, char *error,
                         size_t error_size) {
    const cJSON *held = cJSON_GetObjectItemCaseSensitive(record, "sometimes");
    const cJSON *evaluated = cJSON_GetObjectItemCaseSensitive(record, "sometimes_evaluated");
    if (!cJSON_IsObject(held) || !cJSON_IsObject(evaluated)) {
        return fail(error, error_size, "\"sometimes\" or \"sometimes_evaluated\" is not an object");
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, held) {
        uint64_t times_held, times_evaluated = 0;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(evaluated, item->string);
        if (!json_count(item, &times_held) || (e != NULL && !json_count(e, &times_evaluated))) {
            return fail(error, error_size, "\"sometimes\": \"%s\" is not a count", item->string);
        }
        struct rep_coverage *c = coverage_for(s, item->string);
        if (c == NULL) return fail(error, error_size, "out of memory");
        c->held += times_held;
        c->evaluated += times_evaluated;
    }
    return true;
}

bool rep_summary_add(struct rep_summary *s, const cJSON *record, uint64_t seed, char *error,
                     size_t error_size) {
    const cJSON *result_item = cJSON_GetObjectItemCaseSensitive(record, "result");
    enum rep_result result;
    if (!cJSON_IsString(result_item) || !result_parse(result_item->valuestring, &result)) {
        return fail(error, error_size, "\"result\" is missing or not a known result");
    }
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(record, "violations"))) {
        return fail(error, error_size, "\"violations\" is not an array");
    }
    if (!add_coverage(s, record, error, error_size)) return false;
    s->total++;
    s->by_result[result]++;
    if (result == REP_PASS) return true;
    struct rep_group *g = group_for(s, record_reason(record, result), result);
    if (g == NULL || !group_push(g, seed)) return fail(error, error_size, "out of memory");
    return true;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Most seeds first; ties by lowest seed (unique: a seed is in one group). */
static int compare_groups(const void *a, const void *b) {
    const struct rep_group *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return compare_u64(&x->seeds[0], &y->seeds[0]);
}

static int compare_coverage(const void *a, const void *b) {
    return strcmp(((const struct rep_coverage *)a)->name, ((const struct rep_coverage *)b)->name);
}

void rep_summary_finish(struct rep_summary *s) {
    for (uint32_t i = 0; i < s->group_count; i++) {
        assert(s->groups[i].count > 0);
        qsort(s->groups[i].seeds, s->groups[i].count, sizeof(uint64_t), compare_u64);
    }
    if (s->group_count > 1) qsort(s->groups, s->group_count, sizeof s->groups[0], compare_groups);
    if (s->coverage_count > 1) {
        qsort(s->coverage, s->coverage_count, sizeof s->coverage[0], compare_coverage);
    }
}

void rep_replay_command(char *out, size_t out_size, const struct rep_meta *meta, uint64_t seed) {
    cli_replay_command(out, out_size, meta->scenario, seed);
    size_t used = strlen(out);
    if (meta->events_max != 0 && used < out_size) {
        used += (size_t)snprintf(out + used, out_size - used, " --events-max %llu",
                                 (unsigned long long)meta->events_max);
    }
    if (meta->check_determinism && used < out_size) {
        snprintf(out + used, out_size - used, " --check-determinism");
    }
}

static cJSON *failures_json(const struct rep_meta *meta, const struct rep_summary *s) {
    cJSON *list = cJSON_CreateArray();
    for (uint32_t i = 0; i < s->group_count && list != NULL; i++) {
        const struct rep_group *g = &s->groups[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddItemToArray(list, item);
        cJSON_AddStringToObject(item, "reason", g->reason);
        cJSON_AddStringToObject(item, "result", rep_result_name(g->result));
        cJSON_AddNumberToObject(item, "count", (double)g->count);
        cJSON *seeds = cJSON_AddArrayToObject(item, "seeds");
        for (uint64_t k = 0; k < g->count && k < REP_GROUP_SEEDS_SHOWN; k++) {
            char digits[24];
            snprintf(digits, sizeof digits, "%llu", (unsigned long long)g->seeds[k]);
            cJSON_AddItemToArray(seeds, cJSON_CreateRaw(digits));
        }
        char replay[1400];
        rep_replay_command(replay, sizeof replay, meta, g->seeds[0]);
        cJSON_AddStringToObject(item, "replay", replay);
    }
    return list;
}

static cJSON *never_true_json(const struct rep_summary *s) {
    cJSON *list = cJSON_CreateArray();
    for (uint32_t i = 0; i < s->coverage_count && list != NULL; i++) {
        if (s->coverage[i].held != 0) continue;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "name", s->coverage[i].name);
        cJSON_AddNumberToObject(item, "evaluated", (double)s->coverage[i].evaluated);
        cJSON_AddItemToArray(list, item);
    }
    return list;
}

static char *summary_line(const struct rep_meta *meta, const struct rep_summary *s) {
    cJSON *root = cJSON_CreateObject();
    if (root == NULL) return NULL;
    cJSON_AddTrueToObject(root, "summary");
    meta_add(root, meta);
    add_u64_raw(root, "total", s->total);
    add_u64_raw(root, "passed", s->by_result[REP_PASS]);
    add_u64_raw(root, "failed", rep_summary_failed(s));
    cJSON *results = cJSON_AddObjectToObject(root, "results");
    for (int i = 0; i < REP_RESULT_COUNT && results != NULL; i++) {
        add_u64_raw(results, result_names[i], s->by_result[i]);
    }
    cJSON_AddItemToObject(root, "failures", failures_json(meta, s));
    cJSON_AddItemToObject(root, "sometimes_never_true", never_true_json(s));
    cJSON_AddBoolToObject(root, "interrupted", s->interrupted);
    cJSON_AddBoolToObject(root, "fail_fast", s->fail_fast);
    cJSON_AddNumberToObject(root, "wall_time_ns", (double)s->wall_ns);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* --- where records are ------------------------------------------------------------ */

void rep_index_deinit(struct rep_index *index) {
    for (uint32_t i = 0; i < index->source_count; i++) {
        if (index->sources[i].fd >= 0) close(index->sources[i].fd);
        free(index->sources[i].path);
    }
    free(index->sources);
    free(index->entries);
    memset(index, 0, sizeof *index);
}

bool rep_index_add(struct rep_index *index, const struct rep_entry *entry) {
    assert(entry->source < index->source_count);
    if (index->count == index->capacity) {
        size_t wanted = index->capacity ? index->capacity * 2 : 1024;
        struct rep_entry *bigger = realloc(index->entries, wanted * sizeof *bigger);
        if (bigger == NULL) return false;
        index->entries = bigger;
        index->capacity = wanted;
    }
    index->entries[index->count++] = *entry;
    return true;
}

/* Reads an entry's line into *buffer (grown as needed), NUL-terminated. */
static bool read_line_at(const struct rep_index *index, const struct rep_entry *entry,
                         char **buffer, size_t *capacity) {
    if (*capacity < (size_t)entry->size_bytes + 1) {
        char *bigger = realloc(*buffer, (size_t)entry->size_bytes + 1);
        if (bigger == NULL) return false;
        *buffer = bigger;
        *capacity = (size_t)entry->size_bytes + 1;
    }
    int fd = index->sources[entry->source].fd;
    size_t done = 0;
    while (done < entry->size_bytes) {
        ssize_t n =
            pread(fd, *buffer + done, entry->size_bytes - done, (off_t)(entry->offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += (size_t)n;
    }
    (*buffer)[done] = '\0';
    return true;
}

char *rep_index_line(const struct rep_index *index, const struct rep_entry *entry) {
    char *line = NULL;
    size_t capacity = 0;
    if (read_line_at(index, entry, &line, &capacity)) return line;
    free(line);
    return NULL;
}

static int compare_entries(const void *a, const void *b) {
    const struct rep_entry *x = a, *y = b;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    if (x->source != y->source) return x->source < y->source ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* Keeps the first of two records of one seed if they agree. */
static bool check_duplicate(const struct rep_index *index, const struct rep_entry *kept,
                            const struct rep_entry *other, char *error, size_t error_size) {
    char *a = rep_index_line(index, kept);
    char *b = rep_index_line(index, other);
    bool equal = a != NULL && b != NULL && rep_lines_equal(a, b);
    free(a);
    free(b);
    if (equal) return true;
    return fail(error, error_size,
                "%s:%llu and %s:%llu: seed %llu has two different records (reports of "
                "different sweeps, or of a nondeterministic model)",
                index->sources[kept->source].path, (unsigned long long)kept->line,
                index->sources[other->source].path, (unsigned long long)other->line,
                (unsigned long long)kept->seed);
}

bool rep_index_sort_unique(struct rep_index *index, char *error, size_t error_size) {
    if (index->count == 0) return true;
    qsort(index->entries, index->count, sizeof index->entries[0], compare_entries);
    size_t kept = 0;
    for (size_t i = 1; i < index->count; i++) {
        const struct rep_entry *e = &index->entries[i];
        if (e->seed == index->entries[kept].seed) {
            if (!check_duplicate(index, &index->entries[kept], e, error, error_size)) return false;
            continue;
        }
        index->entries[++kept] = *e;
    }
    index->count = kept + 1;
    return true;
}

bool rep_index_summarize(const struct rep_index *index, struct rep_summary *summary, char *error,
                         size_t error_size) {
    char *line = NULL;
    size_t capacity = 0;
    bool ok = true;
    for (size_t i = 0; i < index->count && ok; i++) {
        const struct rep_entry *e = &index->entries[i];
        const char *path = index->sources[e->source].path;
        if (!read_line_at(index, e, &line, &capacity)) {
            ok = fail(error, error_size, "%s:%llu: cannot read the record again: %s", path,
                      (unsigned long long)e->line, strerror(errno));
            break;
        }
        cJSON *record = cJSON_Parse(line);
        char why[REP_ERROR_MAX / 2];
        if (record == NULL || !rep_summary_add(summary, record, e->seed, why, sizeof why)) {
            ok = fail(error, error_size, "%s:%llu: %s", path, (unsigned long long)e->line,
                      record == NULL ? "not JSON" : why);
        }
        cJSON_Delete(record);
    }
    free(line);
    return ok;
}

/* --- reading a report ---------------------------------------------------------------- */

struct load {
    struct rep_index *index;
    uint32_t source;
    const char *path;
    bool journal;    /* path ends in .tmp: its last line may be cut short */
    uint64_t line;   /* 1-based */
    uint64_t offset; /* of the line */
    bool saw_meta;
    struct rep_meta *meta;
    bool *has_meta;
    char *error;
    size_t error_size;
};

static bool load_meta(struct load *l, const cJSON *object, const char *text) {
    struct rep_meta read;
    char why[REP_ERROR_MAX / 2];
    if (!rep_meta_read(&read, object, text, why, sizeof why)) {
        return fail(l->error, l->error_size, "%s:%llu: %s", l->path, (unsigned long long)l->line,
                    why);
    }
    bool ok = true;
    if (!*l->has_meta) {
        *l->meta = read;
        *l->has_meta = true;
        memset(&read, 0, sizeof read);
    } else if (!rep_meta_compatible(l->meta, &read, why, sizeof why)) {
        ok =
            fail(l->error, l->error_size, "%s:%llu: %s", l->path, (unsigned long long)l->line, why);
    }
    const cJSON *interrupted = cJSON_GetObjectItemCaseSensitive(object, "interrupted");
    const cJSON *wall = cJSON_GetObjectItemCaseSensitive(object, "wall_time_ns");
    uint64_t wall_ns = 0;
    if (cJSON_IsTrue(interrupted)) l->index->incomplete = true;
    if (json_count(wall, &wall_ns)) l->index->wall_ns += wall_ns;
    rep_meta_deinit(&read);
    l->saw_meta = true;
    return ok;
}

static bool load_record(struct load *l, const char *text, size_t length) {
    struct rep_entry entry = {
        .offset = l->offset, .size_bytes = (uint32_t)length, .source = l->source, .line = l->line};
    if (length > UINT32_MAX || !rep_line_seed(text, &entry.seed)) {
        return fail(l->error, l->error_size,
                    "%s:%llu: a record must start with {\"seed\":DIGITS (as sweep writes it)",
                    l->path, (unsigned long long)l->line);
    }
    if (!rep_index_add(l->index, &entry)) {
        return fail(l->error, l->error_size, "%s: out of memory", l->path);
    }
    return true;
}

/* One line, without its newline. `last`: no newline followed it. */
static bool load_line(struct load *l, char *text, size_t length, bool last) {
    cJSON *object = cJSON_ParseWithLength(text, length);
    bool ok;
    if (object == NULL && last && l->journal) {
        fprintf(stderr,
                "faultline: warning: %s:%llu: ignoring the truncated last line "
                "(the sweep writing it was killed)\n",
                l->path, (unsigned long long)l->line);
        return true;
    }
    if (!cJSON_IsObject(object)) {
        ok = fail(l->error, l->error_size, "%s:%llu: not a JSON object%s", l->path,
                  (unsigned long long)l->line, last ? " (the last line, cut short?)" : "");
    } else if (cJSON_GetObjectItemCaseSensitive(object, "seed") != NULL) {
        ok = load_record(l, text, length);
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(object, "summary")) ||
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(object, "journal"))) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(object, "journal"))) {
            l->index->incomplete = true;
        }
        ok = load_meta(l, object, text);
    } else {
        ok = fail(l->error, l->error_size,
                  "%s:%llu: neither a seed record nor a summary: not a sweep report", l->path,
                  (unsigned long long)l->line);
    }
    cJSON_Delete(object);
    return ok;
}

static bool load_lines(struct load *l, FILE *file) {
    char *text = NULL;
    size_t capacity = 0;
    ssize_t n;
    bool ok = true;
    while (ok && (n = getline(&text, &capacity, file)) > 0) {
        l->line++;
        size_t length = (size_t)n;
        bool last = text[length - 1] != '\n';
        if (last) length++; /* as if it had a newline, so that length - 1 is its text */
        ok = load_line(l, text, length - 1, last);
        l->offset += (uint64_t)n;
    }
    if (ok && ferror(file)) {
        ok = fail(l->error, l->error_size, "%s: read error: %s", l->path, strerror(errno));
    }
    free(text);
    return ok;
}

static bool add_source(struct rep_index *index, const char *path, int fd) {
    struct rep_source *bigger = realloc(index->sources, (index->source_count + 1) * sizeof *bigger);
    if (bigger == NULL) return false;
    index->sources = bigger;
    index->sources[index->source_count].path = strdup(path);
    index->sources[index->source_count].fd = fd;
    if (index->sources[index->source_count].path == NULL) return false;
    index->source_count++;
    return true;
}

bool rep_load(struct rep_index *index, const char *path, struct rep_meta *meta, bool *has_meta,
              char *error, size_t error_size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    FILE *file = fd >= 0 ? fopen(path, "r") : NULL;
    if (file == NULL) {
        if (fd >= 0) close(fd);
        return fail(error, error_size, "%s: cannot read the report: %s", path, strerror(errno));
    }
    if (!add_source(index, path, fd)) {
        close(fd);
        fclose(file);
        return fail(error, error_size, "%s: out of memory", path);
    }
    size_t length = strlen(path);
    struct load l = {.index = index,
                     .source = index->source_count - 1,
                     .path = path,
                     .journal = length >= 4 && strcmp(path + length - 4, ".tmp") == 0,
                     .meta = meta,
                     .has_meta = has_meta,
                     .error = error,
                     .error_size = error_size};
    bool ok = load_lines(&l, file);
    fclose(file);
    if (ok && !l.saw_meta) {
        ok = fail(error, error_size,
                  "%s: no summary or journal header line: not a faultline sweep report", path);
    }
    return ok;
}

/* --- writing ------------------------------------------------------------------------ */

bool rep_write_all(int fd, const char *data, size_t size_bytes) {
    while (size_bytes > 0) {
        ssize_t n = write(fd, data, size_bytes);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size_bytes -= (size_t)n;
    }
    return true;
}

FILE *rep_temp_beside(const char *path, char **tmp_path) {
    size_t length = strlen(path);
    *tmp_path = malloc(length + 8);
    if (*tmp_path == NULL) return NULL;
    memcpy(*tmp_path, path, length);
    memcpy(*tmp_path + length, ".XXXXXX", 8);
    int fd = mkstemp(*tmp_path);
    FILE *file = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (file == NULL) {
        int saved = errno;
        if (fd >= 0) {
            close(fd);
            unlink(*tmp_path);
        }
        free(*tmp_path);
        *tmp_path = NULL;
        errno = saved;
        return NULL;
    }
    mode_t mask = umask(0); /* mkstemp makes it 0600; a report is as readable as any file */
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) { /* harmless if it fails: the file stays private */
    }
    return file;
}

/* Closes file and renames tmp_path over path; removes it on any error. */
static bool commit_temp(FILE *file, char *tmp_path, const char *path) {
    bool ok = fflush(file) == 0 && !ferror(file);
    int saved = errno;
    ok = fclose(file) == 0 && ok;
    if (ok) {
        ok = rename(tmp_path, path) == 0;
        saved = errno;
    }
    if (!ok) unlink(tmp_path);
    free(tmp_path);
    errno = saved;
    return ok;
}

bool rep_write(const char *path, const struct rep_index *index, const struct rep_meta *meta,
               const struct rep_summary *summary) {
    char *tmp_path;
    FILE *file = rep_temp_beside(path, &tmp_path);
    if (file == NULL) return false;
    char *line = NULL;
    size_t capacity = 0;
    bool ok = true;
    for (size_t i = 0; i < index->count && ok; i++) {
        assert(i == 0 || index->entries[i - 1].seed < index->entries[i].seed);
        ok = read_line_at(index, &index->entries[i], &line, &capacity) && fputs(line, file) >= 0 &&
             fputc('\n', file) != EOF;
    }
    free(line);
    char *tail = ok ? summary_line(meta, summary) : NULL;
    ok = tail != NULL && fputs(tail, file) >= 0 && fputc('\n', file) != EOF;
    free(tail);
    if (!ok) {
        int saved = errno;
        fclose(file);
        unlink(tmp_path);
        free(tmp_path);
        errno = saved;
        return false;
    }
    return commit_temp(file, tmp_path, path);
}

/* --- JUnit XML ---------------------------------------------------------------------- */

/* Text or attribute value; characters XML 1.0 cannot carry become '?'. */
static void xml_escaped(FILE *out, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
                fputc('?', out);
            } else {
                fputc(*p, out);
            }
        }
    }
}

#define JUNIT_SEEDS_LISTED 10000 /* more would bury the replay command */

static void junit_failure(FILE *out, const struct rep_meta *meta, const struct rep_summary *s,
                          const struct rep_group *g) {
    char message[512], replay[1400];
    snprintf(message, sizeof message, "%llu of %llu seeds: %s", (unsigned long long)g->count,
             (unsigned long long)s->total, g->reason);
    rep_replay_command(replay, sizeof replay, meta, g->seeds[0]);
    fputs("    <testcase classname=\"", out);
    xml_escaped(out, meta->name);
    fputs("\" name=\"", out);
    xml_escaped(out, g->reason);
    fprintf(out, "\">\n      <failure type=\"%s\" message=\"", rep_result_name(g->result));
    xml_escaped(out, message);
    fputs("\">failing seeds:", out);
    for (uint64_t k = 0; k < g->count && k < JUNIT_SEEDS_LISTED; k++) {
        fprintf(out, " %llu", (unsigned long long)g->seeds[k]);
    }
    if (g->count > JUNIT_SEEDS_LISTED) {
        fprintf(out, " ... and %llu more", (unsigned long long)(g->count - JUNIT_SEEDS_LISTED));
    }
    fputs("\nreplay the first: ", out);
    xml_escaped(out, replay);
    fputs("</failure>\n    </testcase>\n", out);
}

static void junit_extra_cases(FILE *out, const struct rep_meta *meta, const struct rep_summary *s) {
    if (s->group_count == 0) {
        fputs("    <testcase classname=\"", out);
        xml_escaped(out, meta->name);
        fputs("\" name=\"seeds\"/>\n", out);
    }
    if (s->interrupted) {
        fputs("    <testcase classname=\"", out);
        xml_escaped(out, meta->name);
        fprintf(out,
                "\" name=\"interrupted\">\n      <error message=\"interrupted after %llu of "
                "%llu seeds\"/>\n    </testcase>\n",
                (unsigned long long)s->total, (unsigned long long)meta->planned);
    }
}

static void junit_body(FILE *out, const struct rep_meta *meta, const struct rep_summary *s) {
    unsigned tests = s->group_count + (s->group_count == 0) + s->interrupted;
    double seconds = (double)s->wall_ns / 1e9;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuites tests=\"%u\" failures=\"%u\" errors=\"%d\" time=\"%.3f\">\n", tests,
            s->group_count, s->interrupted, seconds);
    fputs("  <testsuite name=\"", out);
    xml_escaped(out, meta->name);
    fprintf(out, "\" tests=\"%u\" failures=\"%u\" errors=\"%d\" skipped=\"0\" time=\"%.3f\">\n",
            tests, s->group_count, s->interrupted, seconds);
    fputs("    <properties>\n      <property name=\"scenario\" value=\"", out);
    xml_escaped(out, meta->scenario);
    fprintf(out, "\"/>\n      <property name=\"seeds\" value=\"%llu..%llu\"/>\n",
            (unsigned long long)meta->seed_first, (unsigned long long)meta->seed_last);
    fprintf(out, "      <property name=\"seeds_run\" value=\"%llu\"/>\n    </properties>\n",
            (unsigned long long)s->total);
    for (uint32_t i = 0; i < s->group_count; i++)
        junit_failure(out, meta, s, &s->groups[i]);
    junit_extra_cases(out, meta, s);
    fputs("  </testsuite>\n</testsuites>\n", out);
}

bool rep_write_junit(const char *path, const struct rep_meta *meta,
                     const struct rep_summary *summary) {
    struct cli_atomic_file file;
    if (!cli_atomic_open(&file, path)) return false;
    junit_body(file.file, meta, summary);
    return cli_atomic_commit(&file);
}

/* --- for a human ---------------------------------------------------------------------- */

static void print_result_line(FILE *out, const struct rep_meta *meta, const struct rep_summary *s) {
    uint64_t failed = rep_summary_failed(s);
    const char *verdict = s->interrupted ? "INTERRUPTED" : failed ? "FAIL" : "PASS";
    fprintf(out, "result       %s  %llu passed, %llu failed", verdict,
            (unsigned long long)s->by_result[REP_PASS], (unsigned long long)failed);
    if (s->total != meta->planned) {
        fprintf(out, " (%llu of %llu seeds run%s)", (unsigned long long)s->total,
                (unsigned long long)meta->planned, s->fail_fast ? ", stopped by --fail-fast" : "");
    }
    if (s->wall_ns > 0) {
        double seconds = (double)s->wall_ns / 1e9;
        assert(s->resumed <= s->total);
        fprintf(out, "  in %.3f s (%.1f seeds/s", seconds,
                (double)(s->total - s->resumed) / seconds);
        if (s->resumed > 0) fprintf(out, "; %llu seeds resumed", (unsigned long long)s->resumed);
        fputc(')', out);
    }
    fputc('\n', out);
}

static void print_group(FILE *out, const struct rep_meta *meta, const struct rep_group *g,
                        bool first) {
    fprintf(out, "%-13s%llu  %s", first ? "failures" : "", (unsigned long long)g->count, g->reason);
    if (g->result == REP_TIMEOUT) {
        fprintf(out, " (over --wall-max %llu s)", (unsigned long long)meta->wall_max_s);
    } else if (g->result == REP_MEMORY) {
        fprintf(out, " (over --mem-max %llu MiB)", (unsigned long long)meta->mem_max_mib);
    }
    fprintf(out, ": seed%s", g->count > 1 ? "s" : "");
    for (uint64_t k = 0; k < g->count && k < REP_GROUP_SEEDS_SHOWN; k++) {
        fprintf(out, "%s %llu", k ? "," : "", (unsigned long long)g->seeds[k]);
    }
    if (g->count > REP_GROUP_SEEDS_SHOWN) fputs(", ...", out);
    char replay[1400];
    rep_replay_command(replay, sizeof replay, meta, g->seeds[0]);
    fprintf(out, "\n               %s\n", replay);
}

static void print_coverage(FILE *out, const struct rep_summary *s) {
    uint32_t never = 0;
    for (uint32_t i = 0; i < s->coverage_count; i++)
        never += s->coverage[i].held == 0;
    if (s->coverage_count == 0) {
        fprintf(out, "coverage     no \"sometimes\" assertion was evaluated\n");
        return;
    }
    if (never == 0) {
        fprintf(out, "coverage     all %u \"sometimes\" assertions were true in some seed\n",
                s->coverage_count);
        return;
    }
    fprintf(out, "coverage     %u of %u \"sometimes\" assertions were never true:\n", never,
            s->coverage_count);
    for (uint32_t i = 0; i < s->coverage_count; i++) {
        if (s->coverage[i].held != 0) continue;
        fprintf(out, "               %s (evaluated %llu times)\n", s->coverage[i].name,
                (unsigned long long)s->coverage[i].evaluated);
    }
    uint64_t silent =
        s->by_result[REP_CRASH] + s->by_result[REP_TIMEOUT] + s->by_result[REP_MEMORY];
    if (silent > 0) {
        fprintf(out,
                "             (not counting the %llu seeds that crashed, timed out or ran "
                "out of memory: they report no counts)\n",
                (unsigned long long)silent);
    }
}

void rep_print_human(FILE *out, const struct rep_meta *meta, const struct rep_summary *s,
                     const char *report_path) {
    fprintf(out, "sweep        %s  (model %s, variant %s)\n", meta->scenario, meta->model,
            meta->variant);
    fprintf(out, "seeds        %llu..%llu", (unsigned long long)meta->seed_first,
            (unsigned long long)meta->seed_last);
    if (meta->shard_count != 0) {
        fprintf(out, ", shard %llu/%llu", (unsigned long long)meta->shard_index,
                (unsigned long long)meta->shard_count);
    }
    fprintf(out, ": %llu seeds\n", (unsigned long long)meta->planned);
    print_result_line(out, meta, s);
    for (uint32_t i = 0; i < s->group_count; i++)
        print_group(out, meta, &s->groups[i], i == 0);
    print_coverage(out, s);
    if (report_path != NULL) fprintf(out, "report       %s\n", report_path);
}
