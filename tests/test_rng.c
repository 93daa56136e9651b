/*
 * test_rng: streams are reproducible, independent by name, and bounded draws
 * are uniform.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "probe.h"
#include "rng.h"

static void test_same_seed_and_name_give_same_stream(void **state) {
    (void)state;
    struct fl_rng a, b;
    fl_rng_init(&a, 42, "net");
    fl_rng_init(&b, 42, "net");
    for (int i = 0; i < 1000; i++) assert_int_equal(fl_rng_next(&a), fl_rng_next(&b));
}

static void test_different_names_or_seeds_give_different_streams(void **state) {
    (void)state;
    struct fl_rng a, b, c;
    fl_rng_init(&a, 42, "net");
    fl_rng_init(&b, 42, "faults");
    fl_rng_init(&c, 43, "net");
    uint64_t x = fl_rng_next(&a);
    assert_int_not_equal(x, fl_rng_next(&b));
    assert_int_not_equal(x, fl_rng_next(&c));
}

static void test_indexed_stream_is_named_stream(void **state) {
    (void)state;
    struct fl_rng a, b;
    fl_rng_init_indexed(&a, 5, "server", 3);
    fl_rng_init(&b, 5, "server/3");
    assert_memory_equal(&a, &b, sizeof a);
}

static void test_below_is_uniform(void **state) {
    (void)state;
    struct fl_rng rng;
    fl_rng_init(&rng, 1, "uniform");
    enum { BUCKETS = 10, DRAWS = 1000000 };
    uint64_t counts[BUCKETS] = {0};
    for (int i = 0; i < DRAWS; i++) counts[fl_rng_below(&rng, BUCKETS)]++;
    double chi2 = 0;
    for (int i = 0; i < BUCKETS; i++) {
        double d = (double)counts[i] - DRAWS / BUCKETS;
        chi2 += d * d / (DRAWS / BUCKETS);
    }
    assert_true(chi2 < 30.0); /* 9 degrees of freedom: p < 0.0005 */
    for (int i = 0; i < 1000; i++) assert_int_equal(fl_rng_below(&rng, 1), 0);
}

static void test_zero_probability_draws_nothing(void **state) {
    (void)state;
    struct fl_rng a, b;
    fl_rng_init(&a, 9, "x");
    fl_rng_init(&b, 9, "x");
    for (int i = 0; i < 100; i++) assert_false(fl_rng_chance_ppm(&a, 0));
    assert_memory_equal(&a, &b, sizeof a); /* the stream did not move */
    for (int i = 0; i < 100; i++) assert_true(fl_rng_chance_ppm(&a, 1000000));
}

static void test_exponential_has_its_mean_and_cap(void **state) {
    (void)state;
    struct fl_rng rng;
    fl_rng_init(&rng, 3, "exp");
    double sum = 0;
    enum { DRAWS = 200000 };
    for (int i = 0; i < DRAWS; i++) {
        uint64_t x = fl_rng_exponential_ns(&rng, 1000000, UINT64_MAX);
        sum += (double)x;
    }
    double mean = sum / DRAWS;
    assert_true(fabs(mean - 1e6) < 1e6 * 5 / sqrt(DRAWS)); /* sd of the mean: 1e6/sqrt(n) */
    for (int i = 0; i < 10000; i++) assert_true(fl_rng_exponential_ns(&rng, 1000000, 2000) <= 2000);
}

/* The exponential draw uses the engine's own logarithm: compare its quantiles
 * with libm's over the whole range of the unit draw. */
static void test_exponential_quantiles_match_libm(void **state) {
    (void)state;
    struct fl_rng rng;
    fl_rng_init(&rng, 8, "quantiles");
    for (int i = 0; i < 100000; i++) {
        struct fl_rng copy = rng;
        double u = 1.0 - fl_rng_unit(&copy);
        uint64_t expected = (uint64_t)(-log(u) * 1e9);
        uint64_t got = fl_rng_exponential_ns(&rng, 1000000000, UINT64_MAX);
        uint64_t diff = got > expected ? got - expected : expected - got;
        assert_true(diff <= 1 + expected / 1000000000000ull);
    }
}

/* Adding a node must not change what the existing nodes draw. */
static void test_adding_a_node_does_not_shift_other_streams(void **state) {
    (void)state;
    struct fl_scenario *three = probe_scenario(
        "{\"name\":\"a\",\"model\":\"probe\",\"variant\":\"timer\",\"nodes\":3,"
        "\"duration\":\"1ms\"}");
    struct fl_scenario *five = probe_scenario(
        "{\"name\":\"a\",\"model\":\"probe\",\"variant\":\"timer\",\"nodes\":5,"
        "\"duration\":\"1ms\"}");
    struct fl_result r3, r5;
    struct fl_sim *s3 = probe_run(three, 77, &r3);
    struct fl_sim *s5 = probe_run(five, 77, &r5);
    for (fl_node_id id = 0; id < 3; id++) {
        const struct probe_state *a = fl_sim_node_state(s3, id);
        const struct probe_state *b = fl_sim_node_state(s5, id);
        assert_int_equal(a->first_random, b->first_random);
    }
    const struct probe_state *n1 = fl_sim_node_state(s3, 0), *n2 = fl_sim_node_state(s3, 1);
    assert_int_not_equal(n1->first_random, n2->first_random);
    fl_sim_destroy(s3);
    fl_sim_destroy(s5);
    fl_scenario_free(three);
    fl_scenario_free(five);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_and_name_give_same_stream),
        cmocka_unit_test(test_different_names_or_seeds_give_different_streams),
        cmocka_unit_test(test_indexed_stream_is_named_stream),
        cmocka_unit_test(test_below_is_uniform),
        cmocka_unit_test(test_zero_probability_draws_nothing),
        cmocka_unit_test(test_exponential_has_its_mean_and_cap),
        cmocka_unit_test(test_exponential_quantiles_match_libm),
        cmocka_unit_test(test_adding_a_node_does_not_shift_other_streams),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
