/*
 * test_evq: the event queue pops in (time, sequence) order, cancels exactly
 * the event named, rejects stale handles, and stops allocating once warm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "evq.h"
#include "rng.h"

static uint32_t push_timer(struct fl_evq *q, uint64_t time_ns, uint64_t tag) {
    uint32_t slot = fl_evq_alloc(q);
    fl_evq_event(q, slot)->kind = FL_EV_TIMER;
    fl_evq_event(q, slot)->u.timer.tag = tag;
    fl_evq_push(q, slot, time_ns);
    return slot;
}

static uint64_t pop_tag(struct fl_evq *q, uint64_t *time_ns) {
    uint32_t slot = fl_evq_pop(q, time_ns);
    uint64_t tag = fl_evq_event(q, slot)->u.timer.tag;
    fl_evq_free(q, slot);
    return tag;
}

static void test_pops_in_time_order(void **state) {
    (void)state;
    uint64_t allocs = 0;
    struct fl_evq q;
    fl_evq_init(&q, 4, &allocs);
    uint64_t times[] = {50, 10, 40, 20, 30};
    for (uint64_t i = 0; i < 5; i++) push_timer(&q, times[i], times[i]);
    uint64_t previous = 0, t;
    for (int i = 0; i < 5; i++) {
        uint64_t tag = pop_tag(&q, &t);
        assert_int_equal(tag, t);
        assert_true(t >= previous);
        previous = t;
    }
    assert_true(fl_evq_empty(&q));
    fl_evq_deinit(&q);
}

static void test_equal_times_pop_in_push_order(void **state) {
    (void)state;
    uint64_t allocs = 0;
    struct fl_evq q;
    fl_evq_init(&q, 4, &allocs);
    for (uint64_t i = 0; i < 1000; i++) push_timer(&q, 7, i);
    uint64_t t;
    for (uint64_t i = 0; i < 1000; i++) assert_int_equal(pop_tag(&q, &t), i);
    fl_evq_deinit(&q);
}

/* Random pushes, cancels and pops against a brute-force reference. */
static void test_matches_reference_under_random_operations(void **state) {
    (void)state;
    uint64_t allocs = 0;
    struct fl_evq q;
    fl_evq_init(&q, 1, &allocs);
    struct fl_rng rng;
    fl_rng_init(&rng, 1, "evq");
    enum { LIVE_MAX = 4096 };
    uint32_t live[LIVE_MAX];
    uint64_t live_time[LIVE_MAX], live_seq[LIVE_MAX];
    uint32_t live_count = 0;
    uint64_t seq = 0, now = 0;
    for (int op = 0; op < 200000; op++) {
        uint64_t r = fl_rng_below(&rng, 10);
        if (r < 5 && live_count < LIVE_MAX) {
            uint64_t t = now + fl_rng_below(&rng, 1000);
            live[live_count] = push_timer(&q, t, seq);
            live_time[live_count] = t;
            live_seq[live_count++] = seq++;
        } else if (r < 7 && live_count > 0) {
            uint32_t k = (uint32_t)fl_rng_below(&rng, live_count);
            fl_evq_remove(&q, live[k]);
            fl_evq_free(&q, live[k]);
            live[k] = live[--live_count];
            live_time[k] = live_time[live_count];
            live_seq[k] = live_seq[live_count];
        } else if (live_count > 0) {
            uint32_t best = 0;
            for (uint32_t k = 1; k < live_count; k++) {
                bool earlier = live_time[k] < live_time[best] ||
                               (live_time[k] == live_time[best] && live_seq[k] < live_seq[best]);
                if (earlier) best = k;
            }
            uint64_t t;
            uint64_t tag = pop_tag(&q, &t);
            assert_int_equal(tag, live_seq[best]);
            assert_int_equal(t, live_time[best]);
            now = t;
            live[best] = live[--live_count];
            live_time[best] = live_time[live_count];
            live_seq[best] = live_seq[live_count];
        }
        assert_int_equal(q.count, live_count);
    }
    fl_evq_deinit(&q);
}

static void test_stale_handle_does_not_match_reused_slot(void **state) {
    (void)state;
    uint64_t allocs = 0;
    struct fl_evq q;
    fl_evq_init(&q, 4, &allocs);
    uint32_t slot = push_timer(&q, 10, 1);
    uint64_t handle = fl_evq_handle(&q, slot);
    assert_int_equal(fl_evq_resolve(&q, handle), slot);
    uint64_t t;
    pop_tag(&q, &t);
    assert_int_equal(fl_evq_resolve(&q, handle), FL_EVQ_NONE);
    uint32_t reused = push_timer(&q, 20, 2);
    assert_int_equal(reused, slot); /* the same slot ... */
    assert_int_equal(fl_evq_resolve(&q, handle), FL_EVQ_NONE); /* ... a new generation */
    assert_int_equal(fl_evq_resolve(&q, fl_evq_handle(&q, reused)), reused);
    assert_int_equal(fl_evq_resolve(&q, 0), FL_EVQ_NONE);
    fl_evq_deinit(&q);
}

static void test_no_allocation_once_warm(void **state) {
    (void)state;
    uint64_t allocs = 0;
    struct fl_evq q;
    fl_evq_init(&q, 1, &allocs);
    struct fl_rng rng;
    fl_rng_init(&rng, 4, "warm");
    for (uint64_t i = 0; i < 10000; i++) push_timer(&q, fl_rng_below(&rng, 1000), i);
    uint64_t warm = allocs;
    uint64_t t = 0;
    for (int i = 0; i < 1000000; i++) {
        uint64_t tag = pop_tag(&q, &t);
        push_timer(&q, t + fl_rng_below(&rng, 1000), tag);
    }
    assert_int_equal(allocs, warm);
    fl_evq_deinit(&q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pops_in_time_order),
        cmocka_unit_test(test_equal_times_pop_in_push_order),
        cmocka_unit_test(test_matches_reference_under_random_operations),
        cmocka_unit_test(test_stale_handle_does_not_match_reused_slot),
        cmocka_unit_test(test_no_allocation_once_warm),
    };
    return cmocka_run_group_tests_name("evq", tests, NULL, NULL);
}
