/*
 * test_net: the simulated network does what the scenario says, measured.
 *
 * Rates are checked against binomial bounds: with n trials at probability p the
 * count has standard deviation sqrt(n p (1-p)); a bound of 5 deviations fails a
 * correct engine about once in 3.5 million runs, and the seeds are fixed, so
 * these tests are deterministic anyway: the bound says the figure is right, not
 * lucky.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe.h"

#define STREAM_COUNT 100000

static const struct probe_state *node_state(struct fl_sim *sim, fl_node_id id) {
    const struct probe_state *s = fl_sim_node_state(sim, id);
    assert_non_null(s);
    return s;
}

static void assert_binomial(uint64_t observed, uint64_t trials, double p) {
    double mean = (double)trials * p;
    double bound = 5.0 * sqrt((double)trials * p * (1.0 - p)) + 1.0;
    if (fabs((double)observed - mean) > bound) {
        fail_msg("observed %llu of %llu, expected %.0f +- %.0f (p = %g)",
                 (unsigned long long)observed, (unsigned long long)trials, mean, bound, p);
    }
}

/* A stream of STREAM_COUNT messages n1 -> n2 with the given network object. */
static struct fl_scenario *stream_scenario(const char *network) {
    char text[1024];
    snprintf(text, sizeof text,
             "{\"name\":\"s\",\"model\":\"probe\",\"variant\":\"stream\",\"nodes\":2,"
             "\"duration\":\"200s\",\"params\":{\"count\":%d,\"interval\":\"1ms\"},"
             "\"network\":%s}",
             STREAM_COUNT, network);
    return probe_scenario(text);
}

static void check_loss_rate(const char *network, double p) {
    struct fl_scenario *scenario = stream_scenario(network);
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 7, &result);
    const struct probe_state *rx = node_state(sim, 1);
    uint64_t lost = STREAM_COUNT - rx->received;
    assert_binomial(lost, STREAM_COUNT, p);
    assert_int_equal(result.dropped_by_reason[FL_DROP_LOSS], lost);
    assert_int_equal(result.messages_dropped, lost);
    assert_int_equal(rx->duplicates, 0);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_loss_rate_matches_configured(void **state) {
    (void)state;
    check_loss_rate("{\"loss\":0.01}", 0.01);
    check_loss_rate("{\"loss\":0.1}", 0.1);
    check_loss_rate("{\"loss\":0.5}", 0.5);
}

static void test_no_loss_when_rate_is_zero(void **state) {
    (void)state;
    struct fl_scenario *scenario = stream_scenario("{\"loss\":0}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 7, &result);
    assert_int_equal(node_state(sim, 1)->received, STREAM_COUNT);
    assert_int_equal(result.messages_dropped, 0);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_duplicate_rate_matches_configured(void **state) {
    (void)state;
    struct fl_scenario *scenario = stream_scenario("{\"duplicate\":0.05}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 3, &result);
    const struct probe_state *rx = node_state(sim, 1);
    assert_binomial(rx->duplicates, STREAM_COUNT, 0.05);
    assert_int_equal(rx->received, STREAM_COUNT + rx->duplicates);
    assert_int_equal(result.messages_duplicated, rx->duplicates);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_corruption_rate_matches_configured(void **state) {
    (void)state;
    struct fl_scenario *scenario = stream_scenario("{\"corrupt\":0.02}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 5, &result);
    const struct probe_state *rx = node_state(sim, 1);
    assert_binomial(rx->corrupt, STREAM_COUNT, 0.02);
    assert_int_equal(result.messages_corrupted, rx->corrupt);
    assert_int_equal(rx->received, STREAM_COUNT);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_reordering_happens_with_jitter(void **state) {
    (void)state;
    /* Sends every 1 ms, tail mean 2 ms: later messages often overtake. */
    struct fl_scenario *scenario =
        stream_scenario("{\"latency_min\":\"1ms\",\"latency_tail_mean\":\"2ms\"}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 11, &result);
    const struct probe_state *rx = node_state(sim, 1);
    assert_int_equal(rx->received, STREAM_COUNT);
    assert_true(rx->reorders > STREAM_COUNT / 100);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_no_reordering_without_jitter(void **state) {
    (void)state;
    /* Constant latency much longer than the send interval: many messages in
     * flight at once, and still FIFO, duplicates included. */
    struct fl_scenario *scenario = stream_scenario(
        "{\"latency_min\":\"50ms\",\"latency_tail_mean\":\"0s\",\"duplicate\":0.1}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 11, &result);
    const struct probe_state *rx = node_state(sim, 1);
    assert_true(rx->duplicates > 0);
    assert_int_equal(rx->reorders, 0);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_queue_bound_drops_excess(void **state) {
    (void)state;
    /* 1 message per ms, 100 ms latency: 100 would be in flight, the bound is 10. */
    struct fl_scenario *scenario =
        stream_scenario("{\"latency_min\":\"100ms\",\"queue_max\":10}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 1, &result);
    const struct probe_state *rx = node_state(sim, 1);
    assert_true(result.dropped_by_reason[FL_DROP_QUEUE] > STREAM_COUNT / 2);
    assert_int_equal(rx->received + result.dropped_by_reason[FL_DROP_QUEUE], STREAM_COUNT);
    /* At most 10 in flight per 100 ms window. */
    assert_true(rx->received <= (uint64_t)STREAM_COUNT / 100 * 10 + 10);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

/* --- partitions: a mesh of 4 nodes, each sending to each every 1 ms ---------- */

#define MESH_ROUNDS 100

static struct fl_sim *run_mesh(const char *faults, struct fl_scenario **scenario_out) {
    char text[1024];
    snprintf(text, sizeof text,
             "{\"name\":\"m\",\"model\":\"probe\",\"variant\":\"mesh\",\"nodes\":4,"
             "\"duration\":\"1s\",\"params\":{\"count\":%d,\"interval\":\"1ms\"},"
             "\"faults\":%s}",
             MESH_ROUNDS, faults);
    *scenario_out = probe_scenario(text);
    struct fl_result result;
    struct fl_sim *sim = probe_run(*scenario_out, 1, &result);
    assert_true(result.pass);
    return sim;
}

/* expected[from][to]: 1 if the link delivers everything, 0 if nothing. */
static void assert_links(struct fl_sim *sim, const int expected[4][4]) {
    for (fl_node_id to = 0; to < 4; to++) {
        const struct probe_state *rx = node_state(sim, to);
        for (fl_node_id from = 0; from < 4; from++) {
            if (from == to) continue;
            uint64_t want = expected[from][to] ? MESH_ROUNDS : 0;
            if (rx->from[from] != want) {
                fail_msg("link n%u -> n%u delivered %llu, expected %llu", from + 1, to + 1,
                         (unsigned long long)rx->from[from], (unsigned long long)want);
            }
        }
    }
}

static void test_oneway_blocks_only_that_direction(void **state) {
    (void)state;
    struct fl_scenario *scenario;
    struct fl_sim *sim =
        run_mesh("[{\"at\":\"0s\",\"type\":\"oneway\",\"from\":\"n1\",\"to\":\"n2\"}]", &scenario);
    const int expected[4][4] = {{1, 0, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}};
    assert_links(sim, expected);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
    /* And the other direction, to be sure it is not symmetric by accident. */
    sim = run_mesh("[{\"at\":\"0s\",\"type\":\"oneway\",\"from\":\"n4\",\"to\":\"n3\"}]", &scenario);
    const int expected_reverse[4][4] = {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 0, 1}};
    assert_links(sim, expected_reverse);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_split_blocks_only_links_between_groups(void **state) {
    (void)state;
    struct fl_scenario *scenario;
    struct fl_sim *sim = run_mesh(
        "[{\"at\":\"0s\",\"type\":\"split\",\"groups\":[[\"n1\",\"n2\"],[\"n3\",\"n4\"]]}]",
        &scenario);
    const int expected[4][4] = {{1, 1, 0, 0}, {1, 1, 0, 0}, {0, 0, 1, 1}, {0, 0, 1, 1}};
    assert_links(sim, expected);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_isolate_cuts_one_node_both_ways(void **state) {
    (void)state;
    struct fl_scenario *scenario;
    struct fl_sim *sim = run_mesh("[{\"at\":\"0s\",\"type\":\"isolate\",\"node\":\"n3\"}]",
                                  &scenario);
    const int expected[4][4] = {{1, 1, 0, 1}, {1, 1, 0, 1}, {0, 0, 1, 0}, {1, 1, 0, 1}};
    assert_links(sim, expected);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_bridge_node_sees_both_sides(void **state) {
    (void)state;
    struct fl_scenario *scenario;
    struct fl_sim *sim = run_mesh("[{\"at\":\"0s\",\"type\":\"bridge\",\"groups\":[[\"n1\"],"
                                  "[\"n2\"]],\"node\":\"n3\"}]",
                                  &scenario);
    /* n1 and n2 cannot talk; n3 (the bridge) and n4 (in no group) reach all. */
    const int expected[4][4] = {{1, 0, 1, 1}, {0, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}};
    assert_links(sim, expected);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_partition_with_duration_heals(void **state) {
    (void)state;
    struct fl_scenario *scenario;
    /* Rounds at 0, 1, ..., 99 ms; cut from 10.5 ms for 20 ms: rounds 11..30 lost. */
    struct fl_sim *sim = run_mesh("[{\"at\":\"10500us\",\"type\":\"oneway\",\"from\":\"n1\","
                                  "\"to\":\"n2\",\"duration\":\"20ms\"}]",
                                  &scenario);
    uint64_t got = node_state(sim, 1)->from[0];
    assert_true(got >= MESH_ROUNDS - 21 && got <= MESH_ROUNDS - 19);
    assert_int_equal(node_state(sim, 2)->from[0], MESH_ROUNDS);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_heal_removes_every_partition(void **state) {
    (void)state;
    struct fl_scenario *scenario;
    struct fl_sim *sim = run_mesh(
        "[{\"at\":\"0s\",\"type\":\"isolate\",\"node\":\"n1\"},"
        "{\"at\":\"0s\",\"type\":\"oneway\",\"from\":\"n2\",\"to\":\"n3\"},"
        "{\"at\":\"49500us\",\"type\":\"heal\"}]",
        &scenario);
    assert_int_equal(node_state(sim, 1)->from[0], MESH_ROUNDS / 2); /* rounds 50..99 */
    assert_int_equal(node_state(sim, 2)->from[1], MESH_ROUNDS / 2);
    assert_int_equal(node_state(sim, 3)->from[2], MESH_ROUNDS);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

/* A stream of 1000 messages from n1 to n2, one a millisecond, under `fault`
 * (one entry of "faults", from 100 ms for 300 ms): every message arrives,
 * none out of order, none dropped. */
static void assert_stream_arrives_whole(const char *fault) {
    char text[512];
    int n = snprintf(text, sizeof text,
                     "{\"name\":\"whole\",\"model\":\"probe\",\"variant\":\"stream\","
                     "\"nodes\":2,\"duration\":\"2s\","
                     "\"params\":{\"count\":1000,\"interval\":\"1ms\"},\"faults\":[%s]}",
                     fault);
    assert_true(n > 0 && (size_t)n < sizeof text);
    struct fl_scenario *scenario = probe_scenario(text);
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 1, &result);
    const struct probe_state *rx = node_state(sim, 1);
    assert_int_equal(rx->received, 1000);
    assert_int_equal(rx->reorders, 0);
    assert_int_equal(result.messages_dropped, 0);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_hold_delays_without_loss_or_reordering(void **state) {
    (void)state;
    assert_stream_arrives_whole("{\"at\":\"100ms\",\"type\":\"hold\",\"from\":\"n1\","
                                "\"to\":\"n2\",\"duration\":\"300ms\"}");
}

/* A release ends every hold on its link; the end scheduled by a hold it ended
 * must not end a later hold early. */
static void test_release_voids_the_end_of_the_hold_it_ended(void **state) {
    (void)state;
    struct fl_scenario *scenario = probe_scenario(
        "{\"name\":\"h\",\"model\":\"probe\",\"variant\":\"stream\",\"nodes\":2,"
        "\"duration\":\"1s\",\"params\":{\"count\":100,\"interval\":\"1ms\"},"
        "\"faults\":["
        "{\"at\":\"10500us\",\"type\":\"hold\",\"from\":\"n1\",\"to\":\"n2\",\"duration\":\"10ms\"},"
        "{\"at\":\"15500us\",\"type\":\"release\",\"from\":\"n1\",\"to\":\"n2\"},"
        "{\"at\":\"16500us\",\"type\":\"hold\",\"from\":\"n1\",\"to\":\"n2\",\"duration\":\"30ms\"}]}");
    struct fl_run_options options = {.seed = 1};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    uint64_t received_at_40ms = 0;
    while (fl_sim_step(sim)) {
        const struct probe_state *rx = fl_sim_node_state(sim, 1); /* NULL before boot */
        if (rx != NULL && fl_sim_now_ns(sim) < 40000000) received_at_40ms = rx->received;
    }
    /* Arrivals at 1..16 ms got through (11..15 after the release); the second
     * hold keeps everything after 16.5 ms until 46.5 ms. */
    assert_int_equal(received_at_40ms, 16);
    assert_int_equal(node_state(sim, 1)->received, 100);
    assert_int_equal(node_state(sim, 1)->reorders, 0);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_messages_to_crashed_node_are_dropped_and_counted(void **state) {
    (void)state;
    struct fl_scenario *scenario = probe_scenario(
        "{\"name\":\"c\",\"model\":\"probe\",\"variant\":\"stream\",\"nodes\":2,"
        "\"duration\":\"2s\",\"params\":{\"count\":1000,\"interval\":\"1ms\"},"
        "\"faults\":[{\"at\":\"500500us\",\"type\":\"crash\",\"node\":\"n2\"}]}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 1, &result);
    assert_null(fl_sim_node_state(sim, 1)); /* still down */
    /* Sent at 0..999 ms, 1 ms latency: deliveries up to 500 ms reach it. */
    assert_int_equal(result.messages_delivered, 500);
    assert_int_equal(result.dropped_by_reason[FL_DROP_DOWN], 500);
    assert_int_equal(result.messages_dropped, 500);
    assert_int_equal(result.messages_sent, 1000);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_restarted_node_starts_from_zeroed_state(void **state) {
    (void)state;
    struct fl_scenario *scenario = probe_scenario(
        "{\"name\":\"r\",\"model\":\"probe\",\"variant\":\"stream\",\"nodes\":2,"
        "\"duration\":\"2s\",\"params\":{\"count\":1000,\"interval\":\"1ms\"},"
        "\"faults\":[{\"at\":\"500500us\",\"type\":\"crash\",\"node\":\"n2\","
        "\"restart_after\":\"100ms\"}]}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(scenario, 1, &result);
    const struct probe_state *rx = node_state(sim, 1);
    assert_false(rx->any_nonzero_at_boot);
    /* It counts only what arrived after the restart at 600.5 ms: sends 600..999. */
    assert_int_equal(rx->received, 400);
    assert_int_equal(result.dropped_by_reason[FL_DROP_DOWN], 100);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_pause_defers_delivery_without_loss(void **state) {
    (void)state;
    assert_stream_arrives_whole(
        "{\"at\":\"100ms\",\"type\":\"pause\",\"node\":\"n2\",\"duration\":\"300ms\"}");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_rate_matches_configured),
        cmocka_unit_test(test_no_loss_when_rate_is_zero),
        cmocka_unit_test(test_duplicate_rate_matches_configured),
        cmocka_unit_test(test_corruption_rate_matches_configured),
        cmocka_unit_test(test_reordering_happens_with_jitter),
        cmocka_unit_test(test_no_reordering_without_jitter),
        cmocka_unit_test(test_queue_bound_drops_excess),
        cmocka_unit_test(test_oneway_blocks_only_that_direction),
        cmocka_unit_test(test_split_blocks_only_links_between_groups),
        cmocka_unit_test(test_isolate_cuts_one_node_both_ways),
        cmocka_unit_test(test_bridge_node_sees_both_sides),
        cmocka_unit_test(test_partition_with_duration_heals),
        cmocka_unit_test(test_heal_removes_every_partition),
        cmocka_unit_test(test_hold_delays_without_loss_or_reordering),
        cmocka_unit_test(test_release_voids_the_end_of_the_hold_it_ended),
        cmocka_unit_test(test_messages_to_crashed_node_are_dropped_and_counted),
        cmocka_unit_test(test_restarted_node_starts_from_zeroed_state),
        cmocka_unit_test(test_pause_defers_delivery_without_loss),
    };
    return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
