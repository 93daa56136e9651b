/*
 * test_swarm: each seed draws its own fault mix from the scenario's ranges:
 * reproducibly, independently per knob, within the ranges, about half of the
 * knobs on, and every drawn fault over by swarm.until.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "probe.h"
#include "swarm.h"

#define FULL_SWARM                                                                            \
    "\"swarm\":{\"until\":\"8s\",\"loss\":[0.01,0.2],\"duplicate\":[0,0.05],"                 \
    "\"latency_tail_mean\":[\"1ms\",\"5ms\"],\"drift_ppm_max\":[10,500],"                     \
    "\"partitions\":{\"every\":[\"200ms\",\"1s\"],\"duration\":[\"10ms\",\"2s\"]},"           \
    "\"crashes\":{\"every\":[\"300ms\",\"2s\"],\"duration\":[\"10ms\",\"1s\"]},"              \
    "\"pauses\":{\"every\":[\"1s\",\"2s\"],\"duration\":[\"1ms\",\"100ms\"]},"                \
    "\"clock_jumps\":{\"every\":[\"1s\",\"3s\"],\"delta\":[\"1ms\",\"5s\"]}"

static struct fl_scenario *swarm_scenario(const char *swarm_json) {
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"s\",\"model\":\"probe\",\"variant\":\"mesh\",\"nodes\":5,"
             "\"duration\":\"10s\",\"params\":{\"count\":100,\"interval\":\"10ms\"}%s%s}",
             swarm_json[0] ? "," : "", swarm_json);
    return probe_scenario(text);
}

static void test_no_swarm_means_the_timeline_alone(void **state) {
    (void)state;
    struct fl_scenario *sc = probe_scenario(
        "{\"name\":\"s\",\"model\":\"probe\",\"nodes\":2,\"duration\":\"1s\","
        "\"network\":{\"loss\":0.25},"
        "\"faults\":[{\"at\":\"100ms\",\"type\":\"crash\",\"node\":\"n2\"}]}");
    uint64_t allocs = 0;
    struct fl_run_plan plan;
    fl_run_plan_init(&plan, sc, 1, &allocs);
    assert_string_equal(plan.json, "{}");
    assert_int_equal(plan.fault_count, 1);
    assert_int_equal(plan.drawn_count, 0);
    assert_int_equal(plan.net.loss_ppm, 250000);
    fl_run_plan_deinit(&plan);
    fl_scenario_free(sc);
}

static void test_same_seed_same_mix_and_schedule(void **state) {
    (void)state;
    struct fl_scenario *sc = swarm_scenario(FULL_SWARM "}");
    uint64_t allocs = 0;
    struct fl_run_plan a, b;
    fl_run_plan_init(&a, sc, 42, &allocs);
    fl_run_plan_init(&b, sc, 42, &allocs);
    assert_string_equal(a.json, b.json);
    assert_int_equal(a.fault_count, b.fault_count);
    for (uint32_t i = 0; i < a.fault_count; i++) {
        assert_int_equal(a.faults[i].at_ns, b.faults[i].at_ns);
        assert_int_equal(a.faults[i].kind, b.faults[i].kind);
        assert_int_equal(a.faults[i].node, b.faults[i].node);
    }
    fl_run_plan_deinit(&a);
    fl_run_plan_deinit(&b);
    fl_scenario_free(sc);
}

/* With enable 0.5 each knob is on for about half of the seeds, and its value
 * is in its range. */
static void test_each_knob_is_on_for_about_half_the_seeds(void **state) {
    (void)state;
    struct fl_scenario *sc = swarm_scenario(FULL_SWARM "}");
    enum { SEEDS = 400 };
    uint32_t loss_on = 0, crashes_on = 0, jumps_on = 0, distinct_mixes = 0;
    char previous[FL_SWARM_JSON_MAX] = "";
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        uint64_t allocs = 0;
        struct fl_run_plan plan;
        fl_run_plan_init(&plan, sc, seed, &allocs);
        if (plan.net.loss_ppm != 0) {
            loss_on++;
            assert_true(plan.net.loss_ppm >= 10000 && plan.net.loss_ppm <= 200000);
        }
        crashes_on += strstr(plan.json, "\"crashes\":\"off\"") == NULL;
        jumps_on += strstr(plan.json, "\"clock_jumps\":\"off\"") == NULL;
        distinct_mixes += strcmp(previous, plan.json) != 0;
        snprintf(previous, sizeof previous, "%s", plan.json);
        fl_run_plan_deinit(&plan);
    }
    /* Binomial(400, 0.5): sd 10; 5 sd either side. */
    assert_true(loss_on >= 150 && loss_on <= 250);
    assert_true(crashes_on >= 150 && crashes_on <= 250);
    assert_true(jumps_on >= 150 && jumps_on <= 250);
    assert_true(distinct_mixes > SEEDS * 9 / 10);
    fl_scenario_free(sc);
}

static void test_enable_zero_and_one(void **state) {
    (void)state;
    struct fl_scenario *never = swarm_scenario(FULL_SWARM ",\"enable\":0}");
    struct fl_scenario *always = swarm_scenario(FULL_SWARM ",\"enable\":1}");
    for (uint64_t seed = 1; seed <= 50; seed++) {
        uint64_t allocs = 0;
        struct fl_run_plan off, on;
        fl_run_plan_init(&off, never, seed, &allocs);
        fl_run_plan_init(&on, always, seed, &allocs);
        assert_int_equal(off.drawn_count, 0);
        assert_int_equal(off.net.loss_ppm, 0);
        assert_null(strstr(on.json, "\"off\""));
        assert_true(on.drawn_count > 0);
        fl_run_plan_deinit(&off);
        fl_run_plan_deinit(&on);
    }
    fl_scenario_free(never);
    fl_scenario_free(always);
}

static void test_drawn_faults_start_and_end_before_until(void **state) {
    (void)state;
    struct fl_scenario *sc = swarm_scenario(FULL_SWARM ",\"enable\":1}");
    for (uint64_t seed = 1; seed <= 50; seed++) {
        uint64_t allocs = 0;
        struct fl_run_plan plan;
        fl_run_plan_init(&plan, sc, seed, &allocs);
        for (uint32_t i = 0; i < plan.fault_count; i++) {
            const struct fl_fault *f = &plan.faults[i];
            assert_true(i == 0 || plan.faults[i - 1].at_ns <= f->at_ns);
            assert_true(f->at_ns < 8000000000ull);
            if (f->kind != FL_FAULT_CLOCK_JUMP) {
                assert_true(f->duration_ns > 0);
                assert_true(f->at_ns + f->duration_ns <= 8000000000ull);
            }
            if (f->kind == FL_FAULT_SPLIT) {
                int sides[2] = {0, 0};
                for (uint32_t id = 0; id < 5; id++) sides[f->group_of[id]]++;
                assert_true(sides[0] > 0 && sides[1] > 0);
            }
        }
        assert_true(plan.quiet_since_ns <= 8000000000ull);
        fl_run_plan_deinit(&plan);
    }
    fl_scenario_free(sc);
}

/* Adding a knob to the swarm does not move the draws of the others. */
static void test_adding_a_knob_leaves_the_others_alone(void **state) {
    (void)state;
    struct fl_scenario *small = swarm_scenario(
        "\"swarm\":{\"loss\":[0.01,0.2],\"crashes\":{\"every\":[\"300ms\",\"2s\"],"
        "\"duration\":[\"10ms\",\"1s\"]}}");
    struct fl_scenario *large = swarm_scenario(
        "\"swarm\":{\"loss\":[0.01,0.2],\"corrupt\":[0,0.1],\"crashes\":{\"every\":[\"300ms\","
        "\"2s\"],\"duration\":[\"10ms\",\"1s\"]},\"pauses\":{\"every\":[\"1s\",\"2s\"],"
        "\"duration\":[\"1ms\",\"100ms\"]}}");
    for (uint64_t seed = 1; seed <= 30; seed++) {
        uint64_t allocs = 0;
        struct fl_run_plan a, b;
        fl_run_plan_init(&a, small, seed, &allocs);
        fl_run_plan_init(&b, large, seed, &allocs);
        assert_int_equal(a.net.loss_ppm, b.net.loss_ppm);
        uint32_t j = 0;
        for (uint32_t i = 0; i < a.fault_count; i++) {
            while (j < b.fault_count && b.faults[j].kind != FL_FAULT_CRASH) j++;
            assert_true(j < b.fault_count);
            assert_int_equal(a.faults[i].at_ns, b.faults[j].at_ns);
            assert_int_equal(a.faults[i].node, b.faults[j].node);
            assert_int_equal(a.faults[i].duration_ns, b.faults[j].duration_ns);
            j++;
        }
        fl_run_plan_deinit(&a);
        fl_run_plan_deinit(&b);
    }
    fl_scenario_free(small);
    fl_scenario_free(large);
}

static void test_disk_knobs_replace_the_disk_rates(void **state) {
    (void)state;
    struct fl_scenario *sc = swarm_scenario(
        "\"disk\":{\"read_error\":0.5},\"swarm\":{\"enable\":1,\"disk_read_error\":[0.01,0.01],"
        "\"disk_corruption\":[0.2,0.3],\"disk_sync_latency_tail_mean\":[\"1ms\",\"1ms\"]}");
    uint64_t allocs = 0;
    struct fl_run_plan plan;
    fl_run_plan_init(&plan, sc, 5, &allocs);
    assert_int_equal(plan.disk.read_error_ppm, 10000);
    assert_true(plan.disk.corrupt_ppm >= 200000 && plan.disk.corrupt_ppm <= 300000);
    assert_int_equal(plan.disk.sync_latency_tail_mean_ns, 1000000);
    assert_true(plan.disk.sync_latency_tail_max_ns >= 20000000);
    assert_non_null(strstr(plan.json, "\"disk_read_error\":0.010000"));
    fl_run_plan_deinit(&plan);
    fl_scenario_free(sc);
}

/* End to end: the mix reaches the run, and the run reports it. */
static void test_the_run_uses_and_reports_its_mix(void **state) {
    (void)state;
    struct fl_scenario *sc = swarm_scenario("\"swarm\":{\"enable\":1,\"loss\":[0.5,0.5]}");
    struct fl_result result;
    struct fl_sim *sim = probe_run(sc, 3, &result);
    assert_string_equal(fl_sim_swarm_json(sim), "{\"loss\":0.500000}");
    /* 100 rounds of 20 messages at loss 0.5 */
    assert_true(result.dropped_by_reason[FL_DROP_LOSS] > 800);
    assert_true(result.dropped_by_reason[FL_DROP_LOSS] < 1200);
    fl_sim_destroy(sim);
    fl_scenario_free(sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_swarm_means_the_timeline_alone),
        cmocka_unit_test(test_same_seed_same_mix_and_schedule),
        cmocka_unit_test(test_each_knob_is_on_for_about_half_the_seeds),
        cmocka_unit_test(test_enable_zero_and_one),
        cmocka_unit_test(test_drawn_faults_start_and_end_before_until),
        cmocka_unit_test(test_adding_a_knob_leaves_the_others_alone),
        cmocka_unit_test(test_disk_knobs_replace_the_disk_rates),
        cmocka_unit_test(test_the_run_uses_and_reports_its_mix),
    };
    return cmocka_run_group_tests_name("swarm", tests, NULL, NULL);
}
