/* probe: the test model; see probe.h. */
#include "probe.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

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
