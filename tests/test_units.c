/*
 * Tests for sim/units.c: duration text <-> integer nanoseconds.
 *
 * The parser is the gate every scenario time passes through, so the tests pin
 * its edges: exact fractions, the int64 limits on both sides, and each way a
 * person mistypes a duration. The formatter is tested on examples and on a
 * deterministic sweep that checks the round trip format -> parse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "units.h"

static int64_t parsed(const char *text) {
    int64_t ns = 0;
    if (!fl_duration_parse(text, &ns)) fail_msg("fl_duration_parse rejected \"%s\"", text);
    return ns;
}

static void assert_rejected(const char *text) {
    int64_t ns = 12345;
    if (fl_duration_parse(text, &ns)) {
        fail_msg("fl_duration_parse accepted \"%s\"", text != NULL ? text : "(null)");
    }
    assert_int_equal(ns, 12345); /* the output is left alone */
}

static void assert_formats(int64_t ns, const char *expected) {
    char text[FL_DURATION_TEXT_MAX];
    fl_duration_format(ns, text, sizeof(text));
    assert_string_equal(text, expected);
}

static void test_parse_accepts_every_unit(void **state) {
    (void)state;
    assert_int_equal(parsed("7ns"), 7);
    assert_int_equal(parsed("100us"), INT64_C(100000));
    assert_int_equal(parsed("250ms"), INT64_C(250000000));
    assert_int_equal(parsed("3s"), INT64_C(3000000000));
    assert_int_equal(parsed("2m"), INT64_C(120000000000));
    assert_int_equal(parsed("1h"), INT64_C(3600000000000));
    assert_int_equal(parsed("0s"), 0);
}

static void test_parse_fraction_is_exact(void **state) {
    (void)state;
    assert_int_equal(parsed("1.5ms"), INT64_C(1500000));
    assert_int_equal(parsed("0.1s"), INT64_C(100000000));
    assert_int_equal(parsed("1.234us"), INT64_C(1234));
    assert_int_equal(parsed("1.5m"), INT64_C(90000000000));
    assert_int_equal(parsed("0.5h"), INT64_C(1800000000000));
    assert_int_equal(parsed("0.000000001s"), 1);
}

static void test_parse_fraction_of_a_minute_is_exact_beyond_its_decimal_zeros(void **state) {
    (void)state;
    /* 5e-11 of 6e10 ns is exactly 3 ns, although 6e10 has only ten zeros. */
    assert_int_equal(parsed("0.00000000005m"), 3);
    assert_rejected("0.00000000001m"); /* 0.6 ns */
}

static void test_parse_ignores_trailing_zeros_of_the_fraction(void **state) {
    (void)state;
    assert_int_equal(parsed("1.50000000000000000000000000s"), INT64_C(1500000000));
    assert_int_equal(parsed("2.000ns"), 2);
}

static void test_parse_accepts_a_sign(void **state) {
    (void)state;
    assert_int_equal(parsed("-3s"), INT64_C(-3000000000));
    assert_int_equal(parsed("+2ms"), INT64_C(2000000));
    assert_int_equal(parsed("-0s"), 0);
    assert_int_equal(parsed("-1.5us"), -1500);
}

static void test_parse_rejects_fraction_finer_than_a_nanosecond(void **state) {
    (void)state;
    assert_rejected("0.5ns");
    assert_rejected("1.0000000001s");
    assert_rejected("0.0001us");
    assert_rejected("1.0000000000000000001h");
}

static void test_parse_accepts_the_int64_limits(void **state) {
    (void)state;
    assert_true(parsed("9223372036854775807ns") == INT64_MAX);
    assert_true(parsed("-9223372036854775808ns") == INT64_MIN);
    assert_true(parsed("9223372036.854775807s") == INT64_MAX);
    assert_true(parsed("2562047h") == INT64_C(2562047) * INT64_C(3600000000000));
}

static void test_parse_rejects_overflow(void **state) {
    (void)state;
    assert_rejected("9223372036854775808ns");
    assert_rejected("-9223372036854775809ns");
    assert_rejected("9223372036.854775808s");
    assert_rejected("2562048h");
    assert_rejected("99999999999999999999999999s");
    assert_rejected("9223372036854775807us");
}

static void test_parse_rejects_missing_unit(void **state) {
    (void)state;
    assert_rejected("250");
    assert_rejected("1.5");
    assert_rejected("-3");
}

static void test_parse_rejects_empty_text(void **state) {
    (void)state;
    assert_rejected("");
    assert_rejected("-");
    assert_rejected("s");
    assert_rejected(NULL);
}

static void test_parse_rejects_trailing_garbage(void **state) {
    (void)state;
    assert_rejected("1sx");
    assert_rejected("1s ");
    assert_rejected("1ms2");
    assert_rejected("1 s");
    assert_rejected(" 1s");
}

static void test_parse_rejects_exponent(void **state) {
    (void)state;
    assert_rejected("1e3ms");
    assert_rejected("1E3ms");
}

static void test_parse_rejects_malformed_fraction(void **state) {
    (void)state;
    assert_rejected("1.s");
    assert_rejected(".5s");
    assert_rejected("1..5s");
    assert_rejected("1.5.0s");
    assert_rejected("--1s");
}

static void test_parse_rejects_unknown_unit(void **state) {
    (void)state;
    assert_rejected("1d");
    assert_rejected("1S");
    assert_rejected("1min");
    assert_rejected("1sec");
    assert_rejected("1\xc2\xb5s"); /* µs */
}

static void test_format_examples(void **state) {
    (void)state;
    assert_formats(1500000, "1.5ms");
    assert_formats(INT64_C(3000000000), "3s");
    assert_formats(0, "0s");
    assert_formats(INT64_C(-2000000000), "-2s");
    assert_formats(1234, "1.234us");
    assert_formats(7, "7ns");
    assert_formats(INT64_C(60000000000), "1m");
    assert_formats(INT64_C(90000000000), "1.5m");
    assert_formats(INT64_C(86400000000000), "24h");
    assert_formats(INT64_C(250000000), "250ms");
}

static void test_format_falls_to_a_smaller_unit_when_three_decimals_are_not_exact(void **state) {
    (void)state;
    assert_formats(1234567, "1234.567us");
    assert_formats(1234, "1.234us");
    assert_formats(1001, "1.001us");
    assert_formats(10001, "10.001us");
    assert_formats(100001, "100.001us");
    assert_formats(999, "999ns");
    assert_formats(INT64_C(100000000000), "100s"); /* 1.666...m */
    assert_formats(INT64_C(61000000000), "61s");
    assert_formats(INT64_C(1500000001), "1500000.001us");
}

static void test_format_trims_trailing_zeros(void **state) {
    (void)state;
    assert_formats(1100000, "1.1ms");
    assert_formats(1120000, "1.12ms");
    assert_formats(-1500, "-1.5us");
}

static void test_format_round_trips_the_extremes(void **state) {
    (void)state;
    const int64_t values[] = {INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 1, -1, 999,
                              1000, 999999, 1000000, INT64_C(3599999999999)};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char text[FL_DURATION_TEXT_MAX];
        fl_duration_format(values[i], text, sizeof(text));
        assert_true(parsed(text) == values[i]);
    }
    assert_formats(INT64_MIN, "-9223372036854775.808us");
}

/* A deterministic sweep over magnitudes: every formatted value parses back. */
static void test_format_round_trips_a_sweep(void **state) {
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int shift = (int)(x % 63);
        int64_t value = (int64_t)((x >> 1) >> shift);
        if (x & 1) value = -value;
        /* Round some values to whole units so the larger units get exercised. */
        if ((x >> 8) % 3 == 0 && value != 0) value -= value % INT64_C(1000000);
        char text[FL_DURATION_TEXT_MAX];
        fl_duration_format(value, text, sizeof(text));
        int64_t back = 0;
        if (!fl_duration_parse(text, &back) || back != value) {
            fail_msg("%s does not parse back to %lld", text, (long long)value);
        }
    }
}

static void test_format_truncates_to_the_buffer(void **state) {
    (void)state;
    char text[4];
    fl_duration_format(1500000, text, sizeof(text));
    assert_string_equal(text, "1.5");
    char untouched[2] = {'x', 'y'};
    fl_duration_format(1, untouched, 0);
    assert_int_equal(untouched[0], 'x');
    char one[1];
    fl_duration_format(INT64_MIN, one, sizeof(one));
    assert_int_equal(one[0], '\0');
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts_every_unit),
        cmocka_unit_test(test_parse_fraction_is_exact),
        cmocka_unit_test(test_parse_fraction_of_a_minute_is_exact_beyond_its_decimal_zeros),
        cmocka_unit_test(test_parse_ignores_trailing_zeros_of_the_fraction),
        cmocka_unit_test(test_parse_accepts_a_sign),
        cmocka_unit_test(test_parse_rejects_fraction_finer_than_a_nanosecond),
        cmocka_unit_test(test_parse_accepts_the_int64_limits),
        cmocka_unit_test(test_parse_rejects_overflow),
        cmocka_unit_test(test_parse_rejects_missing_unit),
        cmocka_unit_test(test_parse_rejects_empty_text),
        cmocka_unit_test(test_parse_rejects_trailing_garbage),
        cmocka_unit_test(test_parse_rejects_exponent),
        cmocka_unit_test(test_parse_rejects_malformed_fraction),
        cmocka_unit_test(test_parse_rejects_unknown_unit),
        cmocka_unit_test(test_format_examples),
        cmocka_unit_test(test_format_falls_to_a_smaller_unit_when_three_decimals_are_not_exact),
        cmocka_unit_test(test_format_trims_trailing_zeros),
        cmocka_unit_test(test_format_round_trips_the_extremes),
        cmocka_unit_test(test_format_round_trips_a_sweep),
        cmocka_unit_test(test_format_truncates_to_the_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
