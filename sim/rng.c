/*
 * rng: stream derivation and the bounded draws. See rng.h for the design.
 */
#include "rng.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void fl_rng_init(struct fl_rng *rng, uint64_t seed, const char *stream_name) {
    assert(rng != NULL);
    assert(stream_name != NULL);
    uint64_t state = XXH3_64bits_withSeed(stream_name, strlen(stream_name), seed);
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&state);
    /* xoshiro's one forbidden state; splitmix64 cannot produce four zeros, but
     * the generator would silently emit zeros forever if it ever did. */
    assert((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) != 0);
}

void fl_rng_init_indexed(struct fl_rng *rng, uint64_t seed, const char *prefix, uint32_t index) {
    char name[64];
    int n = snprintf(name, sizeof name, "%s/%u", prefix, index);
    assert(n > 0 && (size_t)n < sizeof name);
    fl_rng_init(rng, seed, name);
}

uint64_t fl_rng_below(struct fl_rng *rng, uint64_t bound) {
    assert(bound > 0);
    /* Lemire, "Fast Random Integer Generation in an Interval" (2019). */
    unsigned __int128 m = (unsigned __int128)fl_rng_next(rng) * bound;
    uint64_t low = (uint64_t)m;
    if (low < bound) {
        uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            m = (unsigned __int128)fl_rng_next(rng) * bound;
            low = (uint64_t)m;
        }
    }
    uint64_t result = (uint64_t)(m >> 64);
    assert(result < bound);
    return result;
}

/* Natural log of x in (0, 1], from IEEE-754 basic operations only. libm's log
 * differs in the last bit between C libraries (glibc, musl, macOS), and one bit
 * in a latency can reorder two messages; +, -, *, / are exactly rounded
 * everywhere (the build forbids FMA contraction), so this is the same on every
 * machine. x = m * 2^e with m in [sqrt(2)/2, sqrt(2)); ln m = 2 atanh(s) with
 * s = (m - 1) / (m + 1), |s| < 0.172, summed to s^21: error below 1e-15. */
static double portable_ln(double x) {
    assert(x > 0.0 && x <= 1.0);
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int exponent = (int)((bits >> 52) & 0x7ff);
    if (exponent == 0) return -745.0; /* subnormal: beyond any latency tail cap */
    exponent -= 1023;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull; /* m in [1, 2) */
    double m;
    memcpy(&m, &bits, sizeof m);
    if (m > 1.4142135623730951) {
        m *= 0.5;
        exponent++;
    }
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double sum = 0.0;
    for (int k = 21; k >= 1; k -= 2) sum = sum * s2 + 1.0 / (double)k;
    return (double)exponent * 0.6931471805599453 + 2.0 * s * sum;
}

uint64_t fl_rng_exponential_ns(struct fl_rng *rng, uint64_t mean_ns, uint64_t max_ns) {
    if (mean_ns == 0) return 0;
    double u = 1.0 - fl_rng_unit(rng); /* in (0, 1], so the log is finite */
    double x = -portable_ln(u) * (double)mean_ns;
    if (!(x < (double)max_ns)) return max_ns;
    return (uint64_t)x;
}

int64_t fl_rng_symmetric(struct fl_rng *rng, int64_t magnitude) {
    assert(magnitude >= 0);
    if (magnitude == 0) return 0;
    uint64_t span = (uint64_t)magnitude * 2 + 1;
    return (int64_t)fl_rng_below(rng, span) - magnitude;
}
