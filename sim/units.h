/*
 * units: durations as text, at the edges of the engine.
 *
 * Inside the engine a duration is an integer count of nanoseconds. People write
 * and read them with a unit ("250ms", "1.5s", "-3s"), so this module converts
 * between the two, in both directions, with exact integer arithmetic: "0.1s" must
 * be 100000000 ns on every machine, which floating point (0.1 * 1e9) does not
 * promise, and a scenario must mean the same thing everywhere it runs.
 *
 * Invariant: every text fl_duration_format writes parses back with
 * fl_duration_parse to the very value it was given.
 */
#ifndef FL_UNITS_H
#define FL_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_NS_PER_US INT64_C(1000)
#define FL_NS_PER_MS INT64_C(1000000)
#define FL_NS_PER_S INT64_C(1000000000)
#define FL_NS_PER_MIN (60 * FL_NS_PER_S)
#define FL_NS_PER_HOUR (60 * FL_NS_PER_MIN)

/* Room for any formatted duration, "-9223372036854775808ns" included. */
#define FL_DURATION_TEXT_MAX 32

/* Parses "<sign?><digits>[.<digits>]<unit>" with unit one of ns, us, ms, s, m, h
 * and nothing else: no spaces, no exponent, no missing unit. Returns false, and
 * leaves *out_ns alone, when the text is malformed, when the value is not a
 * whole number of nanoseconds ("0.5ns") or when it does not fit in int64_t. */
bool fl_duration_parse(const char *text, int64_t *out_ns);

/* Writes ns in the largest unit that shows it exactly with at most three
 * decimals ("1.5ms", "3s", "1.234us", "0s"), falling back to smaller units down
 * to plain nanoseconds. Truncates safely to out_size (always terminated when
 * out_size > 0); FL_DURATION_TEXT_MAX is always enough. */
void fl_duration_format(int64_t ns, char *out, size_t out_size);

#endif /* FL_UNITS_H */
