/*
 * units: exact conversion between duration text and integer nanoseconds.
 *
 * Why no floating point: strtod("0.1") * 1e9 is 100000000.00000001 or
 * 99999999.99999999 depending on rounding, and a simulator that promises the same
 * run on every machine cannot let a scenario's timing depend on that. So the
 * parser reads the number as two decimal integers (whole part and fraction
 * digits) and scales them by the unit with 64-bit integer arithmetic, checking
 * every multiplication and addition for overflow.
 *
 * A fraction is accepted only when it names a whole number of nanoseconds:
 * "1.5ms" is 1500000 ns, "0.5ns" is rejected rather than rounded, because a
 * silently rounded value is a typo nobody sees. The check is exact even for
 * units that are not powers of ten: with F the fraction digits as an integer
 * and k their count (trailing zeros dropped), F/10^k of a unit U is whole iff
 * (10^k / gcd(U, 10^k)) divides F. "0.00000000005m" is exactly 3 ns and is
 * accepted; since U <= 3.6e12 has at most 13 factors of 2 or 5, k > 18 can
 * never be whole, which also keeps 10^k inside 64 bits.
 *
 * The formatter picks the largest unit in which the value has at most three
 * decimals, so 1500000 is "1.5ms" and not "0.0015s" nor "1500000ns"; the
 * nanosecond unit is the exact fallback, so every output parses back to the
 * value it came from (the round-trip test in tests/test_units.c checks it).
 */
#include "units.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct unit {
    const char *name;
    uint64_t size_ns;
};

/* Largest first: the formatter walks down this table. */
static const struct unit units[] = {
    {"h", (uint64_t)FL_NS_PER_HOUR},
    {"m", (uint64_t)FL_NS_PER_MIN},
    {"s", (uint64_t)FL_NS_PER_S},
    {"ms", (uint64_t)FL_NS_PER_MS},
    {"us", (uint64_t)FL_NS_PER_US},
    {"ns", 1},
};

#define UNIT_COUNT (sizeof(units) / sizeof(units[0]))
#define FRACTION_DIGITS_MAX 18 /* 10^18 < 2^64; beyond it no fraction is whole (see top) */

_Static_assert(FL_NS_PER_HOUR == INT64_C(3600000000000), "an hour is 3.6e12 ns");
_Static_assert(FL_DURATION_TEXT_MAX >= sizeof("-9223372036854775808ns"), "room for any value");

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

static const struct unit *unit_by_name(const char *name) {
    for (size_t i = 0; i < UNIT_COUNT; i++) {
        if (strcmp(units[i].name, name) == 0) return &units[i];
    }
    return NULL;
}

/* Decimal digits [begin, end) as an integer no larger than value_max. */
static bool digits_to_u64(const char *begin, const char *end, uint64_t value_max,
                          uint64_t *out) {
    assert(begin < end);
    uint64_t value = 0;
    for (const char *cursor = begin; cursor < end; cursor++) {
        assert(is_digit(*cursor));
        uint64_t digit = (uint64_t)(*cursor - '0');
        if (value > (value_max - digit) / 10) return false;
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
    while (b != 0) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* The fraction digits [begin, end) of one unit_ns, as whole nanoseconds. */
static bool fraction_to_ns(const char *begin, const char *end, uint64_t unit_ns,
                           uint64_t *out_ns) {
    assert(begin <= end);
    assert(unit_ns > 0);
    while (end > begin && end[-1] == '0') end--;
    size_t digit_count = (size_t)(end - begin);
    if (digit_count == 0) {
        *out_ns = 0;
        return true;
    }
    if (digit_count > FRACTION_DIGITS_MAX) return false;

    uint64_t numerator = 0;
    bool fits = digits_to_u64(begin, end, UINT64_MAX, &numerator);
    assert(fits);
    (void)fits;
    uint64_t scale = 1;
    for (size_t i = 0; i < digit_count; i++) scale *= 10;

    uint64_t common = gcd_u64(unit_ns, scale);
    uint64_t denominator = scale / common;
    if (numerator % denominator != 0) return false;
    /* numerator / denominator < common, so the product stays below unit_ns. */
    *out_ns = (numerator / denominator) * (unit_ns / common);
    assert(*out_ns < unit_ns);
    return true;
}

bool fl_duration_parse(const char *text, int64_t *out_ns) {
    assert(out_ns != NULL);
    if (text == NULL) return false;

    const char *cursor = text;
    bool negative = false;
    if (*cursor == '+' || *cursor == '-') {
        negative = *cursor == '-';
        cursor++;
    }
    const char *whole_begin = cursor;
    while (is_digit(*cursor)) cursor++;
    const char *whole_end = cursor;
    if (whole_end == whole_begin) return false;

    const char *fraction_begin = cursor;
    const char *fraction_end = cursor;
    if (*cursor == '.') {
        fraction_begin = ++cursor;
        while (is_digit(*cursor)) cursor++;
        fraction_end = cursor;
        if (fraction_end == fraction_begin) return false; /* "1.s" */
    }
    const struct unit *unit = unit_by_name(cursor);
    if (unit == NULL) return false; /* no unit, unknown unit or trailing garbage */

    uint64_t magnitude_max = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t whole = 0;
    if (!digits_to_u64(whole_begin, whole_end, magnitude_max, &whole)) return false;
    if (whole > magnitude_max / unit->size_ns) return false;
    uint64_t magnitude = whole * unit->size_ns;

    uint64_t fraction_ns = 0;
    if (!fraction_to_ns(fraction_begin, fraction_end, unit->size_ns, &fraction_ns)) return false;
    if (fraction_ns > magnitude_max - magnitude) return false;
    magnitude += fraction_ns;
    assert(magnitude <= magnitude_max);

    if (!negative) {
        *out_ns = (int64_t)magnitude;
    } else if (magnitude == (uint64_t)INT64_MAX + 1) {
        *out_ns = INT64_MIN;
    } else {
        *out_ns = -(int64_t)magnitude;
    }
    return true;
}

/* The largest unit that shows magnitude_ns exactly with at most three decimals. */
static const struct unit *unit_for(uint64_t magnitude_ns) {
    for (size_t i = 0; i < UNIT_COUNT; i++) {
        const struct unit *unit = &units[i];
        if (unit->size_ns == 1) return unit;
        assert(unit->size_ns % 1000 == 0);
        if (magnitude_ns >= unit->size_ns && magnitude_ns % (unit->size_ns / 1000) == 0) {
            return unit;
        }
    }
    assert(0 && "the nanosecond unit ends the table");
    return &units[UNIT_COUNT - 1];
}

void fl_duration_format(int64_t ns, char *out, size_t out_size) {
    assert(out != NULL || out_size == 0);
    if (out_size == 0) return;
    if (ns == 0) {
        snprintf(out, out_size, "0s");
        return;
    }
    const char *sign = ns < 0 ? "-" : "";
    uint64_t magnitude = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
    const struct unit *unit = unit_for(magnitude);
    uint64_t whole = magnitude / unit->size_ns;
    uint64_t rest_ns = magnitude % unit->size_ns;
    if (rest_ns == 0) {
        snprintf(out, out_size, "%s%" PRIu64 "%s", sign, whole, unit->name);
        return;
    }
    uint64_t step_ns = unit->size_ns / 1000;
    assert(step_ns > 0);
    assert(rest_ns % step_ns == 0);
    uint64_t thousandths = rest_ns / step_ns;
    assert(thousandths > 0 && thousandths < 1000);
    char decimals[24];
    snprintf(decimals, sizeof(decimals), "%03" PRIu64, thousandths);
    size_t length = strlen(decimals);
    assert(length == 3);
    while (length > 0 && decimals[length - 1] == '0') decimals[--length] = '\0';
    assert(length > 0);
    snprintf(out, out_size, "%s%" PRIu64 ".%s%s", sign, whole, decimals, unit->name);
}
