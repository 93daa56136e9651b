/*
 * test_viz: the visualizer draws what the trace says, where the layout says.
 *
 * Frames are rendered headless (a software renderer on a surface) and checked
 * by regions and colours, not against a golden image: each node's disc is in
 * its role's colour where the ring puts it, a crashed node is grey, a cut link
 * is red, a message's arrow crosses the lanes between its send and its
 * delivery and nowhere before, a drop is a red x, the violation is red. The
 * controls move the view as documented; a trace of every shipped model renders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "faultline/faultline.h"
#include "png.h"
#include "probe.h"
#include "trace_file.h"
#include "viz.h"

#define W 1280
#define H 800

struct frame {
    uint32_t *pixels; /* W x H, ARGB8888 */
};

static void frame_open(struct frame *f) {
    f->pixels = calloc((size_t)W * H, sizeof *f->pixels);
    assert_non_null(f->pixels);
}

static void frame_close(struct frame *f, struct fl_viz *viz) {
    fl_viz_deinit(viz);
    free(f->pixels);
}

static void render(struct frame *f, struct fl_viz *viz) {
    fl_viz_render(viz, f->pixels, W);
}

static uint32_t pixel(const struct frame *f, int x, int y) {
    assert_true(x >= 0 && x < W && y >= 0 && y < H);
    return f->pixels[(size_t)y * W + (size_t)x] & 0xffffffu;
}

/* Does the colour appear within the box [x0, x1] x [y0, y1]? */
static bool color_in(const struct frame *f, uint32_t rgb, int x0, int y0, int x1, int y1) {
    for (int y = y0; y <= y1; y++) {
        for (int x = x0; x <= x1; x++) {
            if (x >= 0 && x < W && y >= 0 && y < H && pixel(f, x, y) == rgb) return true;
        }
    }
    return false;
}

static void load_small(struct fl_trace_file *trace) {
    struct fl_error error = {{0}};
    bool ok = fl_tf_load(trace, FL_SOURCE_DIR "/tests/data/viz-small.jsonl", &error);
    if (!ok) fail_msg("%s", error.message);
}

/* The small trace open in a viewer, with a frame to render into: where most
 * tests start. The viewer points at the trace, so the struct must not move. */
struct small_view {
    struct fl_trace_file trace;
    struct fl_viz viz;
    struct frame f;
};

static void small_open(struct small_view *s) {
    load_small(&s->trace);
    fl_viz_init(&s->viz, &s->trace, "small", W, H);
    frame_open(&s->f);
}

static void small_close(struct small_view *s) {
    frame_close(&s->f, &s->viz);
    fl_tf_free(&s->trace);
}

/* A pixel inside node k's disc, below its name. */
static uint32_t disc_color(const struct frame *f, const struct fl_viz *viz, uint32_t k) {
    int x, y;
    fl_viz_node_center(viz, k, &x, &y);
    return pixel(f, x, y + viz->layout.disc_radius - 3);
}

static void test_discs_are_on_the_ring_in_their_roles_colours(void **state) {
    (void)state;
    struct small_view s;
    small_open(&s);
    fl_viz_seek(&s.viz, 4000);
    render(&s.f, &s.viz);
    /* n1 at the top of the ring, the others clockwise. */
    int x0, y0, x1, y1, x3, y3;
    fl_viz_node_center(&s.viz, 0, &x0, &y0);
    fl_viz_node_center(&s.viz, 1, &x1, &y1);
    fl_viz_node_center(&s.viz, 3, &x3, &y3);
    assert_int_equal(x0, s.viz.layout.ring_cx);
    assert_true(y0 < s.viz.layout.ring_cy);
    assert_true(x1 > x0 && x3 < x0);
    assert_int_equal(disc_color(&s.f, &s.viz, 0), fl_viz_role_color("leader"));
    assert_int_equal(disc_color(&s.f, &s.viz, 0), 0xf2c12eu); /* gold */
    assert_int_equal(disc_color(&s.f, &s.viz, 1), fl_viz_role_color("follower"));
    assert_int_equal(disc_color(&s.f, &s.viz, 2), FL_VIZ_COLOR_CRASHED); /* n3 crashed at 2000 */
    uint32_t waiting = fl_viz_role_color("waiting");
    assert_int_equal(disc_color(&s.f, &s.viz, 3), waiting);
    assert_true(waiting != fl_viz_role_color("") && waiting != FL_VIZ_COLOR_CRASHED);
    assert_int_equal(fl_viz_role_color("waiting"), waiting); /* fixed by the text */
    /* Outside the discs, between n2 and c1 opposite each other: background. */
    assert_int_equal(pixel(&s.f, s.viz.layout.ring_cx - 40, s.viz.layout.ring_cy - 30),
                     FL_VIZ_COLOR_BACKGROUND);
    /* Before the crash, n3 is a follower. */
    fl_viz_seek(&s.viz, 1500);
    render(&s.f, &s.viz);
    assert_int_equal(disc_color(&s.f, &s.viz, 2), fl_viz_role_color("follower"));    small_close(&s);
}

static void test_cut_links_are_red_and_only_while_cut(void **state) {
    (void)state;
    struct small_view s;
    small_open(&s);
    int ax, ay, bx, by;
    fl_viz_node_center(&s.viz, 1, &ax, &ay); /* n2 | n3: cut by the split at 3500 */
    fl_viz_node_center(&s.viz, 2, &bx, &by);
    int mx = (ax + bx) / 2, my = (ay + by) / 2;
    fl_viz_seek(&s.viz, 3000);
    render(&s.f, &s.viz);
    assert_false(color_in(&s.f, FL_VIZ_COLOR_CUT, mx - 12, my - 12, mx + 12, my + 12));
    fl_viz_seek(&s.viz, 4000);
    render(&s.f, &s.viz);
    assert_true(color_in(&s.f, FL_VIZ_COLOR_CUT, mx - 12, my - 12, mx + 12, my + 12));
    /* n1 - n2 are on the same side: no cut between them. */
    fl_viz_node_center(&s.viz, 0, &ax, &ay);
    fl_viz_node_center(&s.viz, 1, &bx, &by);
    mx = (ax + bx) / 2, my = (ay + by) / 2;
    assert_false(color_in(&s.f, FL_VIZ_COLOR_CUT, mx - 6, my - 6, mx + 6, my + 6));    small_close(&s);
}

static void test_arrow_crosses_the_lanes_between_send_and_delivery(void **state) {
    (void)state;
    struct small_view s;
    small_open(&s);
    fl_viz_seek(&s.viz, 4000);
    render(&s.f, &s.viz);
    /* c1 (lane 3) -> n1 (lane 0), sent at 6000, delivered at 8000: it crosses
     * n3's and n2's lanes in between, at the times a straight line gives. */
    int y_from = fl_viz_lane_y(&s.viz, 3), y_to = fl_viz_lane_y(&s.viz, 0);
    int xs = fl_viz_time_x(&s.viz, 6000), xd = fl_viz_time_x(&s.viz, 8000);
    assert_true(xd > xs + 50);
    for (uint32_t lane = 1; lane <= 2; lane++) {
        int y = fl_viz_lane_y(&s.viz, lane);
        int x = xs + (int)((double)(xd - xs) * (y - y_from) / (y_to - y_from));
        if (!color_in(&s.f, FL_VIZ_COLOR_MESSAGE, x - 3, y - 3, x + 3, y + 3)) {
            fail_msg("no arrow where it crosses lane %u at x %d", lane, x);
        }
    }
    /* ... and nothing of it before its send or after its delivery on lane 2. */
    int y2 = fl_viz_lane_y(&s.viz, 1);
    assert_false(color_in(&s.f, FL_VIZ_COLOR_MESSAGE, fl_viz_time_x(&s.viz, 5600), y2 - 3,
                          fl_viz_time_x(&s.viz, 5900), y2 + 3));
    assert_false(color_in(&s.f, FL_VIZ_COLOR_MESSAGE, xd + 8, y2 - 3, xd + 60, y2 + 3));
    /* The drop at 5000 on n3's lane is a red x. */
    int xdrop = fl_viz_time_x(&s.viz, 5000), y3 = fl_viz_lane_y(&s.viz, 2);
    assert_true(color_in(&s.f, FL_VIZ_COLOR_CUT, xdrop - 4, y3 - 4, xdrop + 4, y3 + 4));
    /* n3's lane is grey from its crash on. */
    assert_true(color_in(&s.f, FL_VIZ_COLOR_CRASHED, fl_viz_time_x(&s.viz, 2500), y3 - 4,
                         fl_viz_time_x(&s.viz, 2500) + 2, y3 + 4));
    /* The cursor is a yellow line at 4000. */
    assert_true(color_in(&s.f, 0xffe066u, fl_viz_time_x(&s.viz, 4000), y2 - 20,
                         fl_viz_time_x(&s.viz, 4000), y2 - 10));    small_close(&s);
}

static void test_messages_travel_as_dots_and_die_as_red_crosses(void **state) {
    (void)state;
    struct small_view s;
    small_open(&s);
    /* n1 -> n2 from 1000 to 5000: at 3000 it is halfway along the link. */
    int ax, ay, bx, by;
    fl_viz_node_center(&s.viz, 0, &ax, &ay);
    fl_viz_node_center(&s.viz, 1, &bx, &by);
    fl_viz_seek(&s.viz, 3000);
    render(&s.f, &s.viz);
    int x = (ax + bx) / 2, y = (ay + by) / 2;
    assert_int_equal(pixel(&s.f, x, y), 0xdfe8f5u);
    fl_viz_seek(&s.viz, 1500); /* an eighth of the way: not yet there */
    render(&s.f, &s.viz);
    assert_true(pixel(&s.f, x, y) != 0xdfe8f5u);
    /* n1 -> n3 dies at n3 at 5000 (node_down): a red x beside n3's disc,
     * on the link from n1, just after. */
    int cx, cy;
    fl_viz_node_center(&s.viz, 2, &cx, &cy);
    int d = s.viz.layout.disc_radius + 9;
    fl_viz_seek(&s.viz, 4999);
    render(&s.f, &s.viz);
    /* (right of the link's line, which the cut draws red dashed) */
    assert_false(color_in(&s.f, FL_VIZ_COLOR_CUT, cx + 3, cy - d - 6, cx + 6, cy - d + 6));
    fl_viz_seek(&s.viz, 5001);
    render(&s.f, &s.viz);
    assert_true(color_in(&s.f, FL_VIZ_COLOR_CUT, cx + 3, cy - d - 6, cx + 6, cy - d + 6));    small_close(&s);
}

static void test_controls_step_select_filter_and_jump(void **state) {
    (void)state;
    struct small_view s;
    small_open(&s);
    fl_viz_seek(&s.viz, 0);
    assert_int_equal(s.viz.event, 4); /* the four starts at 0 */
    fl_viz_key(&s.viz, SDLK_RIGHT);
    assert_int_equal(s.viz.event, 5);
    assert_int_equal(s.viz.t_ns, 1000);
    fl_viz_key(&s.viz, SDLK_LEFT);
    assert_int_equal(s.viz.event, 4);
    fl_viz_key(&s.viz, SDLK_f); /* the next fault: the crash */
    assert_int_equal(s.viz.event, 7);
    fl_viz_key(&s.viz, SDLK_f); /* then the split */
    assert_int_equal(s.viz.event, 8);
    assert_int_equal(s.viz.t_ns, 3500);
    fl_viz_key(&s.viz, SDLK_v); /* no violation: a note, no move */
    assert_int_equal(s.viz.event, 8);
    assert_non_null(strstr(s.viz.note, "no violation"));
    /* Speed doubles and halves. */
    double speed = s.viz.speed;
    fl_viz_key(&s.viz, SDLK_PLUS);
    assert_true(s.viz.speed == speed * 2);
    fl_viz_key(&s.viz, SDLK_MINUS);
    fl_viz_key(&s.viz, SDLK_MINUS);
    assert_true(s.viz.speed == speed / 2);
    /* Play: time moves with the wall clock, by the speed. */
    fl_viz_key(&s.viz, SDLK_SPACE);
    assert_true(s.viz.playing);
    uint64_t before = s.viz.t_ns;
    fl_viz_tick(&s.viz, 0.5);
    assert_true(s.viz.t_ns > before);
    fl_viz_key(&s.viz, SDLK_SPACE);
    assert_false(s.viz.playing);
    /* A click on a disc selects the node; one on an arrow, the message. */
    render(&s.f, &s.viz);
    int x, y;
    fl_viz_node_center(&s.viz, 1, &x, &y);
    fl_viz_click(&s.viz, x + 3, y - 3, true);
    assert_int_equal(s.viz.selected_node, 1);
    int xs = fl_viz_time_x(&s.viz, 6000), xd = fl_viz_time_x(&s.viz, 8000);
    int ys = fl_viz_lane_y(&s.viz, 3), yd = fl_viz_lane_y(&s.viz, 0);
    fl_viz_click(&s.viz, (xs + xd) / 2, (ys + yd) / 2, true);
    assert_int_equal(s.viz.selected_message, s.trace.events[10].ref); /* send 11 */
    assert_int_equal(s.viz.selected_node, FL_TF_NONE);
    /* t filters to its request; Esc clears everything. */
    fl_viz_key(&s.viz, SDLK_t);
    assert_int_equal(s.viz.filter_trace_id, 1);
    assert_true(s.viz.filter_by_req);
    render(&s.f, &s.viz); /* the n1 -> n2 arrow (trace 5) is filtered out */
    int y2 = fl_viz_lane_y(&s.viz, 1);
    int x4 = fl_viz_time_x(&s.viz, 4500);
    int y4 = fl_viz_lane_y(&s.viz, 0) + (y2 - fl_viz_lane_y(&s.viz, 0)) * 7 / 8;
    assert_false(color_in(&s.f, FL_VIZ_COLOR_MESSAGE, x4 - 3, y4 - 3, x4 + 3, y4 + 3));
    fl_viz_key(&s.viz, SDLK_ESCAPE);
    assert_int_equal(s.viz.filter_trace_id, 0);
    assert_int_equal(s.viz.selected_message, FL_TF_NONE);
    /* The message 5 carries a trace id: t filters by it. */
    assert_true(fl_viz_select_message(&s.viz, 5));
    fl_viz_key(&s.viz, SDLK_t);
    assert_int_equal(s.viz.filter_trace_id, 5);
    assert_false(s.viz.filter_by_req);
    assert_false(fl_viz_select_message(&s.viz, 7)); /* a crash is not a send */
    /* A click on the overview scrubs: its middle is the middle of the run. */
    const struct fl_viz_rect *o = &s.viz.layout.overview;
    fl_viz_click(&s.viz, o->x + o->w / 2, o->y + o->h / 2, true);
    assert_true(s.viz.t_ns > 4500 && s.viz.t_ns < 5500);
    fl_viz_click(&s.viz, o->x + o->w - 9, o->y + o->h / 2, false); /* dragged to the end */
    assert_true(s.viz.t_ns > 9800);
    fl_viz_key(&s.viz, SDLK_q);
    assert_true(s.viz.quit);    small_close(&s);
}

/* Writes a real run's trace to a file; returns its path (static). */
static const char *run_to_file(const char *scenario_path, uint64_t seed, struct fl_result *r) {
    static char path[256];
    snprintf(path, sizeof path, "test_viz_%u.jsonl", (unsigned)seed);
    struct fl_scenario *scenario = load_shipped(scenario_path);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    struct fl_run_options options = {.seed = seed, .trace = file};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    fl_sim_run(sim, r);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
    assert_int_equal(fclose(file), 0);
    return path;
}

static void test_the_violation_is_red(void **state) {
    (void)state;
    struct fl_result result;
    const char *path = run_to_file("scenarios/echo/shared-buffer.json", 1, &result);
    assert_false(result.pass);
    struct fl_trace_file trace;
    struct fl_error error = {{0}};
    assert_true(fl_tf_load(&trace, path, &error));
    struct fl_viz viz;
    fl_viz_init(&viz, &trace, path, W, H);
    fl_viz_key(&viz, SDLK_v);
    assert_int_equal(viz.event, result.violations[0].event_id);
    struct frame f;
    frame_open(&f);
    render(&f, &viz);
    /* A red line at the violation's time across the lanes, a red mark on its
     * node's lane, and a red ring around its disc. */
    int x = fl_viz_time_x(&viz, result.violations[0].time_ns);
    uint32_t node = result.violations[0].node;
    int lane = fl_viz_lane_y(&viz, node);
    assert_int_equal(pixel(&f, x + 1, fl_viz_lane_y(&viz, 0) + 3), FL_VIZ_COLOR_CUT);
    assert_true(color_in(&f, FL_VIZ_COLOR_CUT, x - 5, lane - 5, x - 3, lane + 5));
    int cx, cy;
    fl_viz_node_center(&viz, node, &cx, &cy);
    assert_int_equal(pixel(&f, cx + viz.layout.disc_radius + 5, cy), FL_VIZ_COLOR_CUT);
    /* Before it, no ring. */
    fl_viz_seek(&viz, 0);
    render(&f, &viz);
    assert_true(pixel(&f, cx + viz.layout.disc_radius + 5, cy) != FL_VIZ_COLOR_CUT);
    frame_close(&f, &viz);
    fl_tf_free(&trace);
    remove(path);
}

static void test_a_trace_of_every_shipped_model_renders(void **state) {
    (void)state;
    static const char *const scenarios[] = {
        "scenarios/echo/partition.json",
        "scenarios/gossip/mesh.json",
        "scenarios/wal/everything.json",
        "scenarios/wal/ack-before-sync.json",
    };
    for (size_t s = 0; s < sizeof scenarios / sizeof scenarios[0]; s++) {
        struct fl_result result;
        const char *path = run_to_file(scenarios[s], 1, &result);
        struct fl_trace_file trace;
        struct fl_error error = {{0}};
        bool ok = fl_tf_load(&trace, path, &error);
        if (!ok) fail_msg("%s: %s", scenarios[s], error.message);
        assert_int_equal(trace.event_count, result.events);
        struct fl_viz viz;
        fl_viz_init(&viz, &trace, scenarios[s], W, H);
        struct frame f;
        frame_open(&f);
        static const SDL_Keycode keys[] = {SDLK_f, SDLK_RIGHT,        SDLK_f,           SDLK_LEFT,
                                           SDLK_v, SDLK_RIGHTBRACKET, SDLK_LEFTBRACKET, SDLK_END};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            fl_viz_key(&viz, keys[k]);
            render(&f, &viz);
        }
        for (uint32_t i = 0; i < trace.message_count && i < 3; i++) {
            viz.selected_message = i;
            fl_viz_seek(&viz, trace.messages[i].send_ns);
            render(&f, &viz);
        }
        assert_true(fl_viz_select_node(&viz, "n1"));
        render(&f, &viz);
        /* The frame is not blank: some disc was drawn in a colour. */
        int x, y;
        fl_viz_node_center(&viz, 0, &x, &y);
        assert_true(pixel(&f, x, y + viz.layout.disc_radius - 3) != FL_VIZ_COLOR_BACKGROUND);
        frame_close(&f, &viz);
        fl_tf_free(&trace);
        remove(path);
    }
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void test_screenshot_is_a_valid_png_of_the_frame(void **state) {
    (void)state;
    struct fl_trace_file trace;
    load_small(&trace);
    struct fl_viz viz;
    fl_viz_init(&viz, &trace, "small", 640, 400);
    fl_viz_seek(&viz, 4000);
    char error[256] = "";
    const char *path = "test_viz_shot.png";
    assert_true(fl_viz_screenshot(&viz, path, error, sizeof error));
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    uint8_t head[33];
    assert_int_equal(fread(head, 1, sizeof head, file), sizeof head);
    fclose(file);
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_memory_equal(head, signature, 8);
    assert_memory_equal(head + 12, "IHDR", 4);
    assert_int_equal(be32(head + 16), 640);
    assert_int_equal(be32(head + 20), 400);
    assert_int_equal(fl_png_crc32(0, head + 12, 17), be32(head + 29));
    remove(path);
    /* An unwritable path is an error, not a crash. */
    assert_false(fl_viz_screenshot(&viz, "/nonexistent/dir/x.png", error, sizeof error));
    assert_non_null(strstr(error, "/nonexistent/dir/x.png"));
    fl_viz_deinit(&viz);
    fl_tf_free(&trace);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discs_are_on_the_ring_in_their_roles_colours),
        cmocka_unit_test(test_cut_links_are_red_and_only_while_cut),
        cmocka_unit_test(test_arrow_crosses_the_lanes_between_send_and_delivery),
        cmocka_unit_test(test_messages_travel_as_dots_and_die_as_red_crosses),
        cmocka_unit_test(test_controls_step_select_filter_and_jump),
        cmocka_unit_test(test_the_violation_is_red),
        cmocka_unit_test(test_a_trace_of_every_shipped_model_renders),
        cmocka_unit_test(test_screenshot_is_a_valid_png_of_the_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
