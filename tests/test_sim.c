/*
 * test_sim: the run loop's contract: how runs stop, timers and their
 * cancellation, crash semantics for timers, engine checks, and no heap
 * allocation once a run is warm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "faultline/faultline.h"
#include "models/registry.h"
#include "probe.h"

static void test_violation_stops_the_run_and_fails_it(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/echo/shared-buffer.json");
    struct fl_run_options options = {.seed = 1};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    struct fl_result result;
    fl_sim_run(sim, &result);
    assert_false(result.pass);
    assert_int_equal(result.stop, FL_STOP_VIOLATION);
    assert_int_equal(result.violation_count, 1);
    assert_string_equal(result.violations[0].check, "echo.reply_matches");
    assert_int_equal(result.violations[0].time_ns, result.sim_time_ns);
    assert_true(result.violations[0].event_id < result.events);
    assert_false(fl_sim_step(sim)); /* stopped for good */
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_budget_exhaustion_is_reported_as_a_violation(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/echo/calm.json");
    struct fl_run_options options = {.seed = 1, .events_max = 100};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    struct fl_result result;
    fl_sim_run(sim, &result);
    assert_false(result.pass);
    assert_int_equal(result.stop, FL_STOP_BUDGET);
    assert_string_equal(result.violations[0].check, "engine.budget");
    /* The step that reached the budget may have emitted a few records; then the
     * violation and the end. */
    assert_true(result.events >= 102 && result.events <= 110);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_run_stops_idle_when_nothing_is_left(void **state) {
    (void)state;
    struct fl_scenario *scenario = probe_scenario(
        "{\"name\":\"i\",\"model\":\"probe\",\"variant\":\"stream\",\"nodes\":2,"
        "\"duration\":\"1h\",\"params\":{\"count\":10,\"interval\":\"1ms\"}}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 1, &result);
    assert_true(result.pass);
    assert_int_equal(result.stop, FL_STOP_IDLE);
    assert_int_equal(result.sim_time_ns, 10000000); /* the last delivery, at 10 ms */
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_run_ends_at_duration(void **state) {
    (void)state;
    struct fl_scenario *scenario = probe_scenario(
        "{\"name\":\"d\",\"model\":\"probe\",\"variant\":\"stream\",\"nodes\":2,"
        "\"duration\":\"10500us\",\"params\":{\"count\":100000,\"interval\":\"1ms\"}}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 1, &result);
    assert_true(result.pass);
    assert_int_equal(result.stop, FL_STOP_END);
    assert_int_equal(result.sim_time_ns, 10500000);
    const struct probe_state *rx = fl_sim_node_state(sim, 1);
    assert_int_equal(rx->received, 10); /* deliveries at 1..10 ms */
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

/* --- timers: a model that sets, fires and cancels ---------------------------- */

struct timer_state {
    fl_timer_id long_timer;
    fl_timer_id short_timer;
    bool cancel_pending;   /* cancelling a pending timer returned true */
    bool cancel_again;     /* cancelling it twice returned true (must not) */
    bool cancel_fired;     /* cancelling a fired timer returned true (must not) */
    uint32_t fired_tags;   /* bit per tag that fired */
};

static void timers_start(fl_node *node, void *state) {
    struct timer_state *s = state;
    s->long_timer = fl_timer_set(node, 10000000, 1);
    s->short_timer = fl_timer_set(node, 5000000, 2);
}

static void timers_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    struct timer_state *s = state;
    s->fired_tags |= 1u << tag;
    if (tag != 2) return;
    assert_int_equal(timer, s->short_timer);
    s->cancel_pending = fl_timer_cancel(node, s->long_timer);
    s->cancel_again = fl_timer_cancel(node, s->long_timer);
    s->cancel_fired = fl_timer_cancel(node, s->short_timer);
    fl_timer_set(node, 1000000, 3);
}

static const struct fl_service timers_service = {
    .state_size_bytes = sizeof(struct timer_state),
    .start = timers_start,
    .on_timer = timers_on_timer,
};
static const char *const one_variant[] = {"only", NULL};
static const struct fl_model timers_model = {
    .name = "timers", .summary = "timers", .server = &timers_service,
    .variants = one_variant, .variant_help = one_variant, .server_count_min = 1,
};

/* A model that sends more than the network allows. */
static void big_start(fl_node *node, void *state) {
    (void)state;
    uint8_t payload[100] = {0};
    fl_send(node, fl_self(node), payload, sizeof payload);
}
static const struct fl_service big_service = {.state_size_bytes = 1, .start = big_start};
static const struct fl_model big_model = {
    .name = "big", .summary = "big", .server = &big_service,
    .variants = one_variant, .variant_help = one_variant, .server_count_min = 1,
};

static const struct fl_model *const local_models[] = {&timers_model, &big_model, NULL};

static struct fl_scenario *local_scenario(const char *text) {
    struct fl_error error;
    struct fl_scenario *scenario =
        fl_scenario_parse(text, strlen(text), "local.json", local_models, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    return scenario;
}

static void test_timer_cancel_removes_only_pending_timers(void **state) {
    (void)state;
    struct fl_scenario *scenario = local_scenario(
        "{\"name\":\"t\",\"model\":\"timers\",\"nodes\":1,\"duration\":\"1s\"}");
    struct fl_run_options options = {.seed = 1};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    struct fl_result result;
    fl_sim_run(sim, &result);
    const struct timer_state *s = fl_sim_node_state(sim, 0);
    assert_true(s->cancel_pending);
    assert_false(s->cancel_again);
    assert_false(s->cancel_fired);
    assert_int_equal(s->fired_tags, (1u << 2) | (1u << 3)); /* the long timer never fired */
    assert_int_equal(result.sim_time_ns, 6000000);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_oversized_message_is_an_engine_violation(void **state) {
    (void)state;
    struct fl_scenario *scenario = local_scenario(
        "{\"name\":\"b\",\"model\":\"big\",\"nodes\":1,\"duration\":\"1s\","
        "\"network\":{\"message_size_max\":64}}");
    struct fl_run_options options = {.seed = 1};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    struct fl_result result;
    fl_sim_run(sim, &result);
    assert_false(result.pass);
    assert_string_equal(result.violations[0].check, "engine.message_size");
    assert_int_equal(result.messages_sent, 0);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_crash_cancels_timers_of_the_old_incarnation(void **state) {
    (void)state;
    /* The timer set at boot (due at 1 s) dies with the crash at 0.5 s; the
     * restart at 0.6 s sets a new one, due at 1.6 s. */
    struct fl_scenario *scenario = probe_scenario(
        "{\"name\":\"c\",\"model\":\"probe\",\"variant\":\"timer\",\"nodes\":1,"
        "\"duration\":\"5s\",\"params\":{\"delay\":\"1s\"},"
        "\"faults\":[{\"at\":\"500ms\",\"type\":\"crash\",\"node\":\"n1\","
        "\"restart_after\":\"100ms\"}]}");
    struct fl_run_options options = {.seed = 1};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    uint64_t fired_at = 0;
    while (fl_sim_step(sim)) {
        const struct probe_state *s = fl_sim_node_state(sim, 0);
        if (s != NULL && s->fired && fired_at == 0) fired_at = fl_sim_now_ns(sim);
    }
    assert_int_equal(fired_at, 1600000000);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_no_heap_allocation_once_warm(void **state) {
    (void)state;
    /* Every network fault on at once, with jitter: pools must still stop growing
     * once the number of messages in flight has peaked. */
    static const char text[] =
        "{\"name\":\"w\",\"model\":\"gossip\",\"nodes\":8,\"duration\":\"20s\","
        "\"params\":{\"initial\":4},\"network\":{\"latency_min\":\"1ms\","
        "\"latency_tail_mean\":\"1ms\",\"loss\":0.001,\"duplicate\":0.001,"
        "\"corrupt\":0.01}}";
    struct fl_error error;
    struct fl_scenario *scenario =
        fl_scenario_parse(text, sizeof text - 1, "warm.json", fl_models_builtin, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    struct fl_run_options options = {.seed = 3};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    uint64_t steps = 0, warm = 0;
    while (fl_sim_step(sim)) {
        if (++steps == 20000) warm = fl_sim_alloc_count(sim);
    }
    assert_true(steps > 40000);
    assert_int_equal(fl_sim_alloc_count(sim), warm);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_two_simulations_side_by_side_do_not_interfere(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/echo/partition.json");
    struct fl_run_options options = {.seed = 5};
    struct fl_sim *alone = fl_sim_create(scenario, &options);
    struct fl_result alone_result;
    fl_sim_run(alone, &alone_result);
    fl_sim_destroy(alone);
    /* Now step two simulations in lockstep, one with another seed. */
    struct fl_run_options other_options = {.seed = 6};
    struct fl_sim *a = fl_sim_create(scenario, &options);
    struct fl_sim *b = fl_sim_create(scenario, &other_options);
    bool a_running = true, b_running = true;
    while (a_running || b_running) {
        if (a_running) a_running = fl_sim_step(a);
        if (b_running) b_running = fl_sim_step(b);
    }
    struct fl_result ra, rb;
    fl_sim_result(a, &ra);
    fl_sim_result(b, &rb);
    assert_int_equal(ra.fingerprint, alone_result.fingerprint);
    assert_int_equal(ra.events, alone_result.events);
    assert_int_not_equal(rb.fingerprint, ra.fingerprint);
    fl_sim_destroy(a);
    fl_sim_destroy(b);
    fl_scenario_free(scenario);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_violation_stops_the_run_and_fails_it),
        cmocka_unit_test(test_budget_exhaustion_is_reported_as_a_violation),
        cmocka_unit_test(test_run_stops_idle_when_nothing_is_left),
        cmocka_unit_test(test_run_ends_at_duration),
        cmocka_unit_test(test_timer_cancel_removes_only_pending_timers),
        cmocka_unit_test(test_oversized_message_is_an_engine_violation),
        cmocka_unit_test(test_crash_cancels_timers_of_the_old_incarnation),
        cmocka_unit_test(test_no_heap_allocation_once_warm),
        cmocka_unit_test(test_two_simulations_side_by_side_do_not_interfere),
    };
    return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
