/*
 * test_clock: local clocks follow the configured skew and drift, the wall clock
 * jumps (backwards too) while the monotonic one never does, and timers fire on
 * the node's local clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "clock.h"
#include "probe.h"
#include "rng.h"

#define SECOND 1000000000ull
#define EPOCH_NS (1767225600ll * 1000000000ll)

static void test_mono_runs_at_drift(void **state) {
    (void)state;
    struct fl_clock fast, slow;
    fl_clock_init(&fast, EPOCH_NS, 0, 100);
    fl_clock_init(&slow, EPOCH_NS, 0, -250);
    assert_int_equal(fl_clock_mono(&fast, 0), FL_CLOCK_MONO_BASE_NS);
    assert_int_equal(fl_clock_mono(&fast, SECOND), FL_CLOCK_MONO_BASE_NS + SECOND + 100000);
    assert_int_equal(fl_clock_mono(&slow, 10 * SECOND),
                     FL_CLOCK_MONO_BASE_NS + 10 * SECOND - 2500000);
}

static void test_wall_carries_offset_drift_and_jumps(void **state) {
    (void)state;
    struct fl_clock c;
    fl_clock_init(&c, EPOCH_NS, -3 * (int64_t)SECOND, 1000);
    assert_int_equal(fl_clock_wall(&c, 0), EPOCH_NS - 3 * (int64_t)SECOND);
    int64_t before = fl_clock_wall(&c, 5 * SECOND);
    assert_int_equal(before, EPOCH_NS + 2 * (int64_t)SECOND + 5000000);
    fl_clock_jump(&c, -10 * (int64_t)SECOND);
    int64_t after = fl_clock_wall(&c, 5 * SECOND);
    assert_true(after < before); /* the wall clock went backwards */
    assert_int_equal(before - after, 10 * (int64_t)SECOND);
    assert_int_equal(fl_clock_mono(&c, 5 * SECOND), FL_CLOCK_MONO_BASE_NS + 5 * SECOND + 5000000);
}

static void test_mono_never_decreases(void **state) {
    (void)state;
    struct fl_rng rng;
    fl_rng_init(&rng, 1, "test");
    for (int trial = 0; trial < 100; trial++) {
        struct fl_clock c;
        int32_t drift = (int32_t)fl_rng_symmetric(&rng, 100000);
        fl_clock_init(&c, EPOCH_NS, 0, drift);
        uint64_t t = fl_rng_below(&rng, 1000 * SECOND);
        uint64_t previous = fl_clock_mono(&c, t);
        for (int step = 0; step < 1000; step++) {
            t += fl_rng_below(&rng, 3);
            uint64_t now = fl_clock_mono(&c, t);
            assert_true(now >= previous);
            previous = now;
        }
    }
}

/* fl_clock_due returns the first true instant at which the local clock has
 * advanced by the delay: never early, never a nanosecond late. */
static void test_due_is_exact_first_instant(void **state) {
    (void)state;
    struct fl_rng rng;
    fl_rng_init(&rng, 2, "test");
    for (int trial = 0; trial < 20000; trial++) {
        struct fl_clock c;
        fl_clock_init(&c, EPOCH_NS, 0, (int32_t)fl_rng_symmetric(&rng, 100000));
        uint64_t now = fl_rng_below(&rng, 100000 * SECOND);
        uint64_t delay = fl_rng_below(&rng, 1 + (trial % 2 ? 1000 : 100 * SECOND));
        uint64_t due = fl_clock_due(&c, now, delay);
        uint64_t target = fl_clock_mono(&c, now) + delay;
        assert_true(due >= now);
        assert_true(fl_clock_mono(&c, due) >= target);
        if (due > now) assert_true(fl_clock_mono(&c, due - 1) < target);
    }
}

static const struct probe_state *node_state(struct fl_sim *sim, fl_node_id id) {
    const struct probe_state *s = fl_sim_node_state(sim, id);
    assert_non_null(s);
    return s;
}

static void test_configured_skew_and_drift_give_local_times(void **state) {
    (void)state;
    struct fl_scenario *scenario = probe_scenario(
        "{\"name\":\"t\",\"model\":\"probe\",\"variant\":\"timer\",\"nodes\":3,"
        "\"duration\":\"10s\",\"params\":{\"delay\":\"1s\"},"
        "\"clocks\":{\"nodes\":{\"n1\":{\"offset\":\"-3s\",\"drift_ppm\":100000},"
        "\"n2\":{\"offset\":\"250ms\",\"drift_ppm\":-50000}}}}");
    struct fl_run_options options = {.seed = 1};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    /* Step until each timer fires and note the true time it fired at. */
    uint64_t fired_true_ns[3] = {0, 0, 0};
    while (fl_sim_step(sim)) {
        for (fl_node_id id = 0; id < 3; id++) {
            const struct probe_state *s = fl_sim_node_state(sim, id);
            if (s != NULL && s->fired && fired_true_ns[id] == 0) {
                fired_true_ns[id] = fl_sim_now_ns(sim);
            }
        }
    }
    const struct probe_state *n1 = node_state(sim, 0), *n2 = node_state(sim, 1),
                              *n3 = node_state(sim, 2);
    assert_int_equal(n1->boot_wall_ns, EPOCH_NS - 3 * (int64_t)SECOND);
    assert_int_equal(n2->boot_wall_ns, EPOCH_NS + 250000000);
    assert_int_equal(n3->boot_wall_ns, EPOCH_NS);
    /* Every node's timer took one second of its own clock ... */
    for (fl_node_id id = 0; id < 3; id++) {
        const struct probe_state *s = node_state(sim, id);
        assert_true(s->fired);
        uint64_t local_elapsed = s->fired_mono_ns - s->boot_mono_ns;
        assert_true(local_elapsed >= SECOND && local_elapsed <= SECOND + 1);
    }
    /* ... which is 1/1.1 s of true time on the fast clock, 1/0.95 s on the slow. */
    assert_int_equal(fired_true_ns[0], 909090910);
    assert_int_equal(fired_true_ns[1], 1052631579);
    assert_int_equal(fired_true_ns[2], SECOND);
    /* The wall clock drifted the same way. */
    int64_t wall_elapsed = n1->fired_wall_ns - n1->boot_wall_ns;
    assert_true(wall_elapsed >= (int64_t)SECOND && wall_elapsed <= (int64_t)SECOND + 1);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_drawn_skew_stays_within_range(void **state) {
    (void)state;
    struct fl_scenario *scenario = probe_scenario(
        "{\"name\":\"t\",\"model\":\"probe\",\"variant\":\"timer\",\"nodes\":16,"
        "\"duration\":\"2s\",\"params\":{\"delay\":\"1s\"},"
        "\"clocks\":{\"offset_max\":\"50ms\",\"drift_ppm_max\":200}}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 9, &result);
    int64_t offset_min = INT64_MAX, offset_max = INT64_MIN;
    for (fl_node_id id = 0; id < 16; id++) {
        const struct probe_state *s = node_state(sim, id);
        int64_t offset = s->boot_wall_ns - EPOCH_NS;
        assert_true(offset >= -50000000 && offset <= 50000000);
        if (offset < offset_min) offset_min = offset;
        if (offset > offset_max) offset_max = offset;
        /* drift within 200 ppm: one local second is 1 s +- 200 us of true time */
        int64_t wall_elapsed = s->fired_wall_ns - s->boot_wall_ns;
        assert_true(wall_elapsed >= (int64_t)SECOND && wall_elapsed <= (int64_t)SECOND + 1);
    }
    assert_true(offset_max - offset_min > 10000000); /* really drawn, not all zero */
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_clock_jump_moves_wall_backwards_not_mono(void **state) {
    (void)state;
    struct fl_scenario *scenario = probe_scenario(
        "{\"name\":\"t\",\"model\":\"probe\",\"variant\":\"timer\",\"nodes\":2,"
        "\"duration\":\"3s\",\"params\":{\"delay\":\"1s\"},"
        "\"faults\":[{\"at\":\"500ms\",\"type\":\"clock_jump\",\"node\":\"n1\","
        "\"wall_delta\":\"-10s\"}]}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 1, &result);
    const struct probe_state *n1 = node_state(sim, 0), *n2 = node_state(sim, 1);
    assert_int_equal(n1->fired_wall_ns - n1->boot_wall_ns, -9 * (int64_t)SECOND);
    assert_int_equal(n1->fired_mono_ns - n1->boot_mono_ns, SECOND); /* timer unaffected */
    assert_int_equal(n2->fired_wall_ns - n2->boot_wall_ns, (int64_t)SECOND);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mono_runs_at_drift),
        cmocka_unit_test(test_wall_carries_offset_drift_and_jumps),
        cmocka_unit_test(test_mono_never_decreases),
        cmocka_unit_test(test_due_is_exact_first_instant),
        cmocka_unit_test(test_configured_skew_and_drift_give_local_times),
        cmocka_unit_test(test_drawn_skew_stays_within_range),
        cmocka_unit_test(test_clock_jump_moves_wall_backwards_not_mono),
    };
    return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
