/*
 * rng: seeded pseudo-random streams.
 *
 * Every random draw in a run comes from a stream derived from the run's seed and
 * the stream's name ("net", "faults", "server/3", "client/0", "clock/3"):
 * stream state = splitmix64 expansion of XXH3(name, seed). Naming streams
 * instead of drawing them one after another from a root generator means that
 * adding a node or a fault type creates a new stream and leaves every other
 * stream's draws where they were.
 *
 * The generator is xoshiro256** (Blackman and Vigna): small state, fast, and
 * well tested. Bounded draws use Lemire's multiply-shift with rejection, so they
 * are exactly uniform and need no division on the fast path.
 */
#ifndef FL_RNG_H
#define FL_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct fl_rng {
    uint64_t s[4];
};

void fl_rng_init(struct fl_rng *rng, uint64_t seed, const char *stream_name);
/* The same with a numbered stream: "prefix/index". */
void fl_rng_init_indexed(struct fl_rng *rng, uint64_t seed, const char *prefix, uint32_t index);

static inline uint64_t fl_rng_rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t fl_rng_next(struct fl_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = fl_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fl_rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, bound); bound > 0. */
uint64_t fl_rng_below(struct fl_rng *rng, uint64_t bound);

/* True with probability ppm / 1e6. Draws nothing when ppm is 0, so a fault
 * that is off costs no draw and leaves the stream where it was. */
static inline bool fl_rng_chance_ppm(struct fl_rng *rng, uint32_t ppm) {
    if (ppm == 0) return false;
    return fl_rng_below(rng, 1000000u) < ppm;
}

/* Uniform in [0, 1) with 53 bits. */
static inline double fl_rng_unit(struct fl_rng *rng) {
    return (double)(fl_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* Exponentially distributed with the given mean, capped at max_ns. */
uint64_t fl_rng_exponential_ns(struct fl_rng *rng, uint64_t mean_ns, uint64_t max_ns);

/* Uniform in [-magnitude, +magnitude]. */
int64_t fl_rng_symmetric(struct fl_rng *rng, int64_t magnitude);

#endif /* FL_RNG_H */
