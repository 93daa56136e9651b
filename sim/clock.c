/*
 * clock: local time from true time, and its inverse for timers. See clock.h.
 */
#include "clock.h"

#include <assert.h>

#define PPM 1000000

void fl_clock_init(struct fl_clock *clock, int64_t wall_epoch_ns, int64_t offset_ns,
                   int32_t drift_ppm) {
    assert(drift_ppm > -PPM / 2);
    assert(drift_ppm < PPM);
    clock->wall_epoch_ns = wall_epoch_ns;
    clock->offset_ns = offset_ns;
    clock->jump_ns = 0;
    clock->drift_ppm = drift_ppm;
}

/* t * drift / 1e6, rounded toward minus infinity so the clock stays monotonic. */
static int64_t drift_of(const struct fl_clock *clock, uint64_t true_ns) {
    __int128 product = (__int128)true_ns * clock->drift_ppm;
    __int128 quotient = product / PPM;
    if (product < 0 && quotient * PPM != product) quotient--;
    return (int64_t)quotient;
}

uint64_t fl_clock_mono(const struct fl_clock *clock, uint64_t true_ns) {
    int64_t drift_ns = drift_of(clock, true_ns);
    assert(drift_ns >= 0 || (uint64_t)(-drift_ns) < true_ns + FL_CLOCK_MONO_BASE_NS);
    return FL_CLOCK_MONO_BASE_NS + true_ns + (uint64_t)drift_ns;
}

int64_t fl_clock_wall(const struct fl_clock *clock, uint64_t true_ns) {
    return clock->wall_epoch_ns + clock->offset_ns + (int64_t)true_ns + drift_of(clock, true_ns) +
           clock->jump_ns;
}

uint64_t fl_clock_due(const struct fl_clock *clock, uint64_t now_ns, uint64_t delay_ns) {
    uint64_t target = fl_clock_mono(clock, now_ns) + delay_ns;
    /* Local time advances (1e6 + drift) / 1e6 ns per true ns; start from the
     * rounded-down estimate and step to the first instant that reaches target.
     * Floors in mono() can put the estimate a few ns off in either direction. */
    __int128 estimate = (__int128)delay_ns * PPM / (PPM + clock->drift_ppm);
    uint64_t due = now_ns + (uint64_t)estimate;
    while (due > now_ns && fl_clock_mono(clock, due - 1) >= target) due--;
    while (fl_clock_mono(clock, due) < target) due++;
    assert(due >= now_ns);
    return due;
}

void fl_clock_jump(struct fl_clock *clock, int64_t wall_delta_ns) {
    clock->jump_ns += wall_delta_ns;
}
