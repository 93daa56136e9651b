/*
 * clock: a node's local clocks as functions of true simulated time.
 *
 * True time t is the engine's integer nanoseconds. A node's clocks are
 *   mono(t) = mono_base + t + floor(t * drift_ppm / 1e6)
 *   wall(t) = wall_epoch + offset + t + floor(t * drift_ppm / 1e6) + jumps
 * The monotonic clock runs fast or slow with the drift but never jumps, so it is
 * non-decreasing for any drift above -1e6 ppm (the scenario allows +-10%). The
 * wall clock also carries the node's skew and every step an NTP-like jump made,
 * backwards included.
 *
 * Timers are set in local monotonic time: fl_clock_due converts "delay_ns from
 * now on this node's clock" to the first true time at which the local clock has
 * advanced that far, so a node with a fast clock sees its timers fire early in
 * true time, exactly as a real machine does.
 *
 * Products use 128-bit integers: no floating point, no overflow for any run
 * length, the same answer on every build.
 */
#ifndef FL_CLOCK_H
#define FL_CLOCK_H

#include <stdint.h>

#define FL_CLOCK_MONO_BASE_NS 1000000000ull /* local monotonic time at true time 0 */

struct fl_clock {
    int64_t wall_epoch_ns; /* wall time at true time 0 before skew */
    int64_t offset_ns;     /* skew of the wall clock */
    int64_t jump_ns;       /* sum of wall clock steps so far */
    int32_t drift_ppm;     /* rate error: +100 runs 100 us per second fast */
};

void fl_clock_init(struct fl_clock *clock, int64_t wall_epoch_ns, int64_t offset_ns,
                   int32_t drift_ppm);
uint64_t fl_clock_mono(const struct fl_clock *clock, uint64_t true_ns);
int64_t fl_clock_wall(const struct fl_clock *clock, uint64_t true_ns);
/* The earliest true time t >= now_ns with mono(t) >= mono(now_ns) + delay_ns. */
uint64_t fl_clock_due(const struct fl_clock *clock, uint64_t now_ns, uint64_t delay_ns);
void fl_clock_jump(struct fl_clock *clock, int64_t wall_delta_ns);

#endif /* FL_CLOCK_H */
