/* probe: the test model and the helpers the test programs share; see probe.h. */
#include "probe.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "models/registry.h"

#define MESSAGE_BYTES 16

static void send_seq(fl_node *node, fl_node_id to, uint64_t seq) {
    uint8_t msg[MESSAGE_BYTES];
    fl_put_u64(msg, seq);
    fl_put_u64(msg + 8, ~seq); /* the check: a flipped bit breaks the pair */
    fl_send(node, to, msg, sizeof msg);
}

static void probe_start(fl_node *node, void *state) {
    struct probe_state *s = state;
    for (size_t i = 0; i < sizeof *s; i++) {
        if (((const uint8_t *)s)[i] != 0) s->any_nonzero_at_boot = true;
    }
    s->boot_mono_ns = fl_mono_ns(node);
    s->boot_wall_ns = fl_wall_ns(node);
    s->first_random = fl_random(node);
    if (fl_variant(node) == PROBE_TIMER) {
        fl_timer_set(node, (uint64_t)fl_param(node, "delay"), 0);
        return;
    }
    bool sends = fl_variant(node) == PROBE_MESH || fl_self(node) == 0;
    if (sends && fl_incarnation(node) == 0) fl_timer_set(node, 0, 0);
}

static void probe_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t round) {
    (void)timer;
    struct probe_state *s = state;
    if (fl_variant(node) == PROBE_TIMER) {
        s->fired = true;
        s->fired_mono_ns = fl_mono_ns(node);
        s->fired_wall_ns = fl_wall_ns(node);
        return;
    }
    if (round >= (uint64_t)fl_param(node, "count")) return;
    if (fl_variant(node) == PROBE_STREAM) {
        send_seq(node, 1, round);
        s->sent++;
    } else {
        for (fl_node_id to = 0; to < fl_server_count(node); to++) {
            if (to == fl_self(node)) continue;
            send_seq(node, to, round);
            s->sent++;
        }
    }
    fl_timer_set(node, (uint64_t)fl_param(node, "interval"), round + 1);
}

static void probe_on_message(fl_node *node, void *state, fl_node_id from, const uint8_t *data,
                             size_t size_bytes) {
    (void)node;
    struct probe_state *s = state;
    s->received++;
    if (from < PROBE_NODES_MAX) s->from[from]++;
    uint64_t seq = fl_get_u64(data);
    if (size_bytes != MESSAGE_BYTES || fl_get_u64(data + 8) != ~seq) {
        s->corrupt++;
        return;
    }
    if (fl_variant(node) != PROBE_STREAM || seq >= PROBE_SEQ_MAX) return;
    if (s->seen[seq / 8] & (1u << (seq % 8))) {
        s->duplicates++;
        return;
    }
    s->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
    if (s->received > 1 && seq < s->seq_max_seen) s->reorders++;
    if (seq > s->seq_max_seen) s->seq_max_seen = seq;
}

static const struct fl_service probe_service = {
    .state_size_bytes = sizeof(struct probe_state),
    .start = probe_start,
    .on_message = probe_on_message,
    .on_timer = probe_on_timer,
};

static const char *const probe_variants[] = {"stream", "mesh", "timer", NULL};
static const char *const probe_variant_help[] = {"n1 -> n2", "all to all", "one timer", NULL};
static const struct fl_param probe_params[] = {
    {"count", FL_PARAM_INT, 0, PROBE_SEQ_MAX, 1000, "messages (stream) or rounds (mesh)"},
    {"interval", FL_PARAM_DURATION, 0, 3600000000000, 1000000, "between sends"},
    {"delay", FL_PARAM_DURATION, 0, 3600000000000, 1000000000, "timer variant: local delay"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model probe_model = {
    .name = "probe",
    .summary = "records what the network and clocks did",
    .server = &probe_service,
    .variants = probe_variants,
    .variant_help = probe_variant_help,
    .params = probe_params,
    .server_count_min = 1,
};

const struct fl_model *const probe_models[] = {&probe_model, NULL};

struct fl_scenario *probe_scenario(const char *json_text) {
    struct fl_error error;
    struct fl_scenario *scenario =
        fl_scenario_parse(json_text, strlen(json_text), "probe.json", probe_models, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    return scenario;
}

struct fl_scenario *load_shipped(const char *relative) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FL_SOURCE_DIR, relative);
    struct fl_error error;
    struct fl_scenario *scenario = fl_scenario_load(path, fl_models_builtin, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    return scenario;
}

struct fl_scenario *parse_builtin(const char *json_text) {
    struct fl_error error;
    struct fl_scenario *scenario =
        fl_scenario_parse(json_text, strlen(json_text), "inline.json", fl_models_builtin, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    return scenario;
}

/* RFC 7386: an object patch merges into an object target; anything else replaces it. */
static void merge_patch(cJSON *target, const cJSON *patch) {
    assert_true(cJSON_IsObject(target));
    assert_true(cJSON_IsObject(patch));
    for (const cJSON *member = patch->child; member != NULL; member = member->next) {
        if (cJSON_IsNull(member)) {
            cJSON_DeleteItemFromObjectCaseSensitive(target, member->string);
            continue;
        }
        cJSON *existing = cJSON_GetObjectItemCaseSensitive(target, member->string);
        if (cJSON_IsObject(existing) && cJSON_IsObject(member)) {
            merge_patch(existing, member);
            continue;
        }
        cJSON *copy = cJSON_Duplicate(member, true);
        assert_non_null(copy);
        if (existing != NULL) {
            assert_true(cJSON_ReplaceItemInObjectCaseSensitive(target, member->string, copy));
        } else {
            assert_true(cJSON_AddItemToObject(target, member->string, copy));
        }
    }
}

static cJSON *parse_json_or_fail(const char *text, const char *what) {
    cJSON *json = cJSON_Parse(text);
    if (json == NULL) fail_msg("%s: not JSON near \"%.40s\"", what, cJSON_GetErrorPtr());
    return json;
}

static char *read_shipped(const char *relative) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FL_SOURCE_DIR, relative);
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s", path);
    enum { TEXT_BYTES_MAX = 1 << 16 };
    char *text = malloc(TEXT_BYTES_MAX);
    assert_non_null(text);
    size_t size = fread(text, 1, TEXT_BYTES_MAX, f);
    fclose(f);
    assert_true(size < TEXT_BYTES_MAX); /* a shipped scenario is a few hundred bytes */
    text[size] = '\0';
    return text;
}

struct fl_scenario *load_shipped_edited(const char *relative, const char *patch_json) {
    char *text = read_shipped(relative);
    cJSON *root = parse_json_or_fail(text, relative);
    free(text);
    cJSON *patch = parse_json_or_fail(patch_json, "the patch");
    merge_patch(root, patch);
    cJSON_Delete(patch);
    char *edited = cJSON_Print(root);
    assert_non_null(edited);
    cJSON_Delete(root);
    struct fl_error error;
    struct fl_scenario *scenario =
        fl_scenario_parse(edited, strlen(edited), relative, fl_models_builtin, &error);
    if (scenario == NULL) fail_msg("%s patched with %s: %s", relative, patch_json, error.message);
    cJSON_free(edited);
    return scenario;
}

struct fl_scenario *load_shipped_variant(const char *relative, const char *variant) {
    char patch[256];
    int n = snprintf(patch, sizeof patch, "{\"variant\": \"%s\"}", variant);
    assert_true(n > 0 && (size_t)n < sizeof patch);
    return load_shipped_edited(relative, patch);
}

void run_seed(const struct fl_scenario *scenario, uint64_t seed, struct fl_result *result) {
    fl_sim_destroy(probe_run(scenario, seed, result));
}

struct fl_sim *probe_run(const struct fl_scenario *scenario, uint64_t seed,
                         struct fl_result *result) {
    struct fl_run_options options = {.seed = seed};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    assert_non_null(sim);
    fl_sim_run(sim, result);
    return sim;
}

/* --- sweeping seeds ----------------------------------------------------------------- */

void assert_seeds_pass(const struct fl_scenario *scenario, uint64_t seeds) {
    assert_true(seeds > 0);
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        struct fl_result r;
        run_seed(scenario, seed, &r);
        if (r.pass) continue;
        fail_msg("%s (%s) seed %llu failed %s: %s", fl_scenario_path(scenario),
                 fl_scenario_variant_name(scenario), (unsigned long long)seed,
                 r.violations[0].check, r.violations[0].message);
    }
}

void assert_shipped_passes(const char *relative, uint64_t seeds) {
    struct fl_scenario *scenario = load_shipped(relative);
    assert_seeds_pass(scenario, seeds);
    fl_scenario_free(scenario);
}

/* Which name of a '|'-separated `checks` list matches `check`: its index, or -1. */
static int check_index(const char *checks, const char *check) {
    int index = 0;
    for (const char *name = checks;; index++) {
        const char *end = strchr(name, '|');
        size_t length = end != NULL ? (size_t)(end - name) : strlen(name);
        assert_true(length > 0);
        bool prefix = name[length - 1] == '*';
        size_t compared = prefix ? length - 1 : length;
        if (strncmp(name, check, compared) == 0 && (prefix || check[compared] == '\0')) {
            return index;
        }
        if (end == NULL) return -1;
        name = end + 1;
    }
}

struct seed_scan scan_failures(const struct fl_scenario *scenario, uint64_t seeds_max,
                               const char *checks, const char *words, uint32_t failures_max) {
    assert_non_null(checks);
    assert_true(seeds_max > 0);
    struct seed_scan scan;
    memset(&scan, 0, sizeof scan);
    for (uint64_t seed = 1; seed <= seeds_max; seed++) {
        if (failures_max > 0 && scan.failed >= failures_max) break;
        struct fl_result r;
        run_seed(scenario, seed, &r);
        if (r.pass) continue;
        const struct fl_violation *v = &r.violations[0];
        int index = check_index(checks, v->check);
        if (index < 0 || (words != NULL && strstr(v->message, words) == NULL)) {
            fail_msg("%s (%s) seed %llu failed %s (%s), expected %s%s%s%s",
                     fl_scenario_path(scenario), fl_scenario_variant_name(scenario),
                     (unsigned long long)seed, v->check, v->message, checks,
                     words != NULL ? " saying \"" : "", words != NULL ? words : "",
                     words != NULL ? "\"" : "");
        }
        assert_true((uint32_t)index < SCAN_CHECKS_MAX);
        if (scan.first_failed == 0) scan.first_failed = seed;
        scan.failed++;
        scan.by_check[index]++;
    }
    return scan;
}

uint64_t first_failure(const struct fl_scenario *scenario, uint64_t seeds_max, const char *checks,
                       const char *words) {
    struct seed_scan scan = scan_failures(scenario, seeds_max, checks, words, 1);
    if (scan.failed == 0) {
        fail_msg("%s (%s): no failure in seeds 1..%llu", fl_scenario_path(scenario),
                 fl_scenario_variant_name(scenario), (unsigned long long)seeds_max);
    }
    return scan.first_failed;
}

void assert_replays_same(const struct fl_scenario *scenario, uint64_t seed) {
    struct fl_result first, again;
    run_seed(scenario, seed, &first);
    run_seed(scenario, seed, &again);
    assert_int_equal(first.pass, again.pass);
    assert_int_equal(first.events, again.events);
    assert_int_equal(first.fingerprint, again.fingerprint);
    assert_int_equal(first.violation_count, again.violation_count);
    for (uint32_t i = 0; i < first.violation_count && i < FL_VIOLATIONS_MAX; i++) {
        const struct fl_violation *a = &first.violations[i], *b = &again.violations[i];
        assert_string_equal(a->check, b->check);
        assert_string_equal(a->message, b->message);
        assert_int_equal(a->time_ns, b->time_ns);
        assert_int_equal(a->node, b->node);
        assert_int_equal(a->event_id, b->event_id);
    }
}

/* --- what a run did ------------------------------------------------------------------ */

bool has_violation(const struct fl_result *result, const char *check) {
    for (uint32_t i = 0; i < result->violation_count && i < FL_VIOLATIONS_MAX; i++) {
        if (strcmp(result->violations[i].check, check) == 0) return true;
    }
    return false;
}

uint64_t assertion_held(struct fl_sim *sim, const char *name) {
    const struct fl_assertion_stat *stats = NULL;
    uint32_t count = fl_sim_assertions(sim, &stats);
    uint64_t held = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (strcmp(stats[i].name, name) == 0) held += stats[i].held;
    }
    return held;
}

void assert_paths_taken(const struct fl_scenario *scenario, uint64_t seeds_max,
                        const char *const *names, uint32_t count) {
    enum { NAMES_MAX = 32 };
    assert_true(count > 0 && count <= NAMES_MAX);
    bool taken[NAMES_MAX] = {false};
    uint32_t left = count;
    for (uint64_t seed = 1; seed <= seeds_max && left > 0; seed++) {
        struct fl_result r;
        struct fl_sim *sim = probe_run(scenario, seed, &r);
        for (uint32_t i = 0; i < count; i++) {
            if (taken[i] || assertion_held(sim, names[i]) == 0) continue;
            taken[i] = true;
            left--;
        }
        fl_sim_destroy(sim);
    }
    for (uint32_t i = 0; i < count; i++) {
        if (!taken[i]) {
            fail_msg("%s never held in seeds 1..%llu of %s", names[i],
                     (unsigned long long)seeds_max, fl_scenario_path(scenario));
        }
    }
}
