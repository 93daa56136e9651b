/*
 * viz: the visualizer's view of a loaded trace, and its drawing with SDL2.
 *
 * A struct fl_viz is the state of one view: the cursor (a time in the run),
 * the space-time diagram's time window, the playback speed, what is selected
 * and what is filtered. fl_viz_render draws one frame of it into a pixel
 * buffer with its own integer rasterizer (lines, discs, rectangles, the
 * embedded font): the window uploads the buffer to a texture, a screenshot
 * writes it to a file, a test reads its pixels. No display is needed, the
 * pixels are the same on every machine, and a primitive costs no call into
 * SDL (SDL's software renderer measured 20 ms a frame for the same drawing). Input (keys, clicks)
 * is applied with the fl_viz_key / fl_viz_click functions, so the interactive window and the tests
 * drive the same code.
 *
 * The frame, top to bottom:
 *   - a status line: the trace, the cursor's time and event, speed, filter;
 *   - the cluster (left): nodes on a ring, coloured by the role the model
 *     reports, crashed grey, paused striped; cut links red dashed; messages in
 *     flight as dots moving at their simulated speed; a drop as a red x;
 *   - the details panel (right): the selected node or message, or a summary;
 *   - the space-time diagram: a lane per node, time to the right, messages
 *     as arrows from send to end, faults as marks, the violation in red;
 *   - the overview: the whole run, where a click or drag moves the cursor;
 *   - the help line.
 *
 * Only what falls in the visible window is visited: the events and messages
 * are sorted by time, so each frame starts with a binary search, and a frame
 * draws at most FL_VIZ_DRAW_MAX arrows and marks (sampling evenly beyond
 * that), so scrubbing a 1,000,000-event trace keeps its frame rate.
 *
 * Layout and colours are functions (fl_viz_node_center, fl_viz_time_x,
 * fl_viz_role_color ...) so tests can ask where something must be drawn and
 * check the pixels there.
 */
#ifndef FL_VIZ_VIZ_H
#define FL_VIZ_VIZ_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>

#include "trace_file.h"

#define FL_VIZ_DRAW_MAX 20000u /* arrows, and marks, drawn per frame at most */
#define FL_VIZ_TEXT_SCALE 2    /* the font's 6x8 cell drawn 12x16, for a projector */

struct fl_viz_rect {
    int x, y, w, h;
};

struct fl_viz_layout {
    struct fl_viz_rect status;                           /* the top line */
    struct fl_viz_rect cluster;                          /* the ring */
    struct fl_viz_rect panel;                            /* details */
    struct fl_viz_rect diagram;                          /* space-time lanes */
    struct fl_viz_rect overview;                         /* the whole run, for scrubbing */
    struct fl_viz_rect help;                             /* the bottom line */
    int ring_cx, ring_cy, ring_rx, ring_ry, disc_radius; /* nodes on an ellipse */
    int lane_label_w;                                    /* node names left of the lanes */
};

struct fl_viz {
    const struct fl_trace_file *trace;
    char title[128];   /* shown in the status line: the trace's file name */
    int width, height; /* pixels */
    struct fl_viz_layout layout;
    uint64_t t_ns;         /* the cursor */
    uint64_t event;        /* events at or before the cursor: the "current" is event - 1 */
    uint64_t span_ns;      /* the diagram's window width */
    uint64_t window_t0_ns; /* the window's start (clamped to the run when drawn) */
    double speed;          /* simulated ns per second of playback */
    bool playing;
    uint32_t selected_node;    /* FL_TF_NONE for none */
    uint32_t selected_message; /* a message copy's index, FL_TF_NONE for none */
    uint64_t filter_trace_id;  /* 0: no filter; else only its messages are drawn */
    bool filter_by_req;        /* the filter compares req rather than trace_id */
    bool quit;
    bool dragging;     /* a drag on the overview moves the cursor */
    char note[160];    /* a one-line message on the status line ("no violation") */
    uint64_t *density; /* the overview's events per pixel column, made when drawn */
    int density_columns;
    uint64_t density_peak;
};

/* Sets up a view of the whole trace at time 0, width x height pixels. */
void fl_viz_init(struct fl_viz *viz, const struct fl_trace_file *trace, const char *title,
                 int width, int height);
void fl_viz_deinit(struct fl_viz *viz);
void fl_viz_resize(struct fl_viz *viz, int width, int height);

/* Moves the cursor (clamped to the run); the window follows it. */
void fl_viz_seek(struct fl_viz *viz, uint64_t t_ns);
/* Steps to the next (+1) or previous (-1) event. */
void fl_viz_step(struct fl_viz *viz, int direction);
/* Advances playback by wall_s seconds of real time. */
void fl_viz_tick(struct fl_viz *viz, double wall_s);
/* A key, by SDL keycode: space, +, -, left, right, v, f, t, Escape, q, [ and ]. */
void fl_viz_key(struct fl_viz *viz, SDL_Keycode key);
/* A click (down = true) or drag (down = false while dragging) at x, y. */
void fl_viz_click(struct fl_viz *viz, int x, int y, bool down);
/* Zooms the diagram's window around the cursor: steps > 0 narrower. */
void fl_viz_zoom(struct fl_viz *viz, int steps);
/* Selects the message copy of a send event, or the node; false if none. */
bool fl_viz_select_message(struct fl_viz *viz, uint64_t send_id);
bool fl_viz_select_node(struct fl_viz *viz, const char *name);

/* Draws one frame into width x height pixels of 0xAARRGGBB (SDL's ARGB8888),
 * rows pitch_pixels apart: a window's streaming texture, a surface, memory. */
void fl_viz_render(struct fl_viz *viz, uint32_t *pixels, int pitch_pixels);

/* Layout, for input and for tests. */
void fl_viz_node_center(const struct fl_viz *viz, uint32_t node, int *x, int *y);
int fl_viz_lane_y(const struct fl_viz *viz, uint32_t node);
int fl_viz_time_x(const struct fl_viz *viz, uint64_t t_ns);
/* The diagram's visible window [t0, t1). */
void fl_viz_window(const struct fl_viz *viz, uint64_t *t0_ns, uint64_t *t1_ns);

/* The colour of a role's disc (0xRRGGBB): leader gold, candidate orange,
 * follower blue, idle green, busy violet; any other text a fixed colour of a
 * palette chosen by its hash; "" (the model reports none) slate. */
uint32_t fl_viz_role_color(const char *role);
#define FL_VIZ_COLOR_CRASHED 0x6e6e6eu
#define FL_VIZ_COLOR_BACKGROUND 0x14161cu
#define FL_VIZ_COLOR_CUT 0xe03c3cu     /* cut links, drops, the violation */
#define FL_VIZ_COLOR_MESSAGE 0x9ab8d8u /* arrows of delivered messages */
#define FL_VIZ_COLOR_SELECTED 0xffffffu

/* Renders the frame at t_ns into a PNG (or BMP, if path ends in .bmp) with no
 * display; false with error filled on failure. */
bool fl_viz_screenshot(struct fl_viz *viz, const char *path, char *error, size_t error_size);

/* Opens a window on the view and runs until the user quits, or for
 * frames_max frames if not 0 (tests: then SDL's offscreen driver is
 * accepted, which draws nowhere); false with error filled if no window can
 * be made. */
bool fl_viz_run_window(struct fl_viz *viz, uint64_t frames_max, char *error, size_t error_size);

/* "12.345 ms", "3.000 s", "870 ns": a time for people. */
void fl_viz_format_time(uint64_t t_ns, char *out, size_t out_size);

#endif /* FL_VIZ_VIZ_H */
