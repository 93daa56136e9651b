/*
 * viz: the view's state, its input and its drawing; see viz.h.
 *
 * Everything drawn is a function of (trace, cursor, window, selection,
 * filter): nothing is accumulated from frame to frame, so scrubbing backwards
 * is as cheap as playing forwards, and a screenshot at time T is the frame
 * the window shows at T.
 *
 * Cost per frame: a binary search per node for its state, one for the first
 * event and one for the first message of the window, then at most
 * FL_VIZ_DRAW_MAX items each. A message alive at T was sent after T minus the
 * longest flight in the trace (flight_ns_max), which bounds the search for
 * dots in the cluster. A link's state at T comes from the network faults
 * active at T, parsed from their text ("split n1,n2 | n3", "isolate c3",
 * "oneway n1->n2", "hold n4->n5", "bridge n1 | n3 via n2").
 */
#include "viz.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"

#define CELL_W (FL_FONT_CELL_W * FL_VIZ_TEXT_SCALE)
#define CELL_H (FL_FONT_CELL_H * FL_VIZ_TEXT_SCALE)
#define LINKS_NODES_MAX 256u /* links (cuts, holds) are drawn for clusters this small */
#define DOTS_MAX 5000u       /* message dots in the cluster per frame */
#define SPEED_MIN 1.0
#define SPEED_MAX 1e13

enum link_state { LINK_OPEN = 0, LINK_CUT = 1, LINK_HELD = 2 };

/* ---- small helpers ----------------------------------------------------------- */

/* The drawing target: 0xAARRGGBB pixels, a clip rectangle, a colour. All
 * drawing is integer arithmetic on memory, so a frame is the same pixels on
 * every machine, and costs no call per primitive into a renderer. */
struct pen {
    uint32_t *pixels;
    int width, height, pitch;               /* pitch in pixels */
    int clip_x0, clip_y0, clip_x1, clip_y1; /* drawable: [x0, x1) x [y0, y1) */
    uint32_t rgb;
    uint8_t alpha; /* 255: opaque; less: blended over what is there */
};

static void set_color(struct pen *r, uint32_t rgb, uint8_t alpha) {
    r->rgb = rgb & 0xffffffu;
    r->alpha = alpha;
}

static void pen_clip(struct pen *r, const SDL_Rect *clip) {
    r->clip_x0 = 0, r->clip_y0 = 0, r->clip_x1 = r->width, r->clip_y1 = r->height;
    if (clip == NULL) return;
    if (clip->x > r->clip_x0) r->clip_x0 = clip->x;
    if (clip->y > r->clip_y0) r->clip_y0 = clip->y;
    if (clip->x + clip->w < r->clip_x1) r->clip_x1 = clip->x + clip->w;
    if (clip->y + clip->h < r->clip_y1) r->clip_y1 = clip->y + clip->h;
}

static inline uint32_t blend(uint32_t dst, uint32_t src, uint32_t a) {
    uint32_t out = 0xff000000u;
    for (int shift = 0; shift < 24; shift += 8) {
        uint32_t d = (dst >> shift) & 0xffu, c = (src >> shift) & 0xffu;
        out |= ((c * a + d * (255u - a) + 127u) / 255u) << shift;
    }
    return out;
}

static inline void pen_point(struct pen *r, int x, int y) {
    if (x < r->clip_x0 || x >= r->clip_x1 || y < r->clip_y0 || y >= r->clip_y1) return;
    uint32_t *p = &r->pixels[(size_t)y * (size_t)r->pitch + (size_t)x];
    *p = r->alpha == 255 ? 0xff000000u | r->rgb : blend(*p, r->rgb, r->alpha);
}

static void fill_rect(struct pen *r, int x, int y, int w, int h) {
    int x0 = x > r->clip_x0 ? x : r->clip_x0, x1 = x + w < r->clip_x1 ? x + w : r->clip_x1;
    int y0 = y > r->clip_y0 ? y : r->clip_y0, y1 = y + h < r->clip_y1 ? y + h : r->clip_y1;
    uint32_t c = 0xff000000u | r->rgb;
    for (int yy = y0; yy < y1; yy++) {
        uint32_t *row = &r->pixels[(size_t)yy * (size_t)r->pitch];
        for (int xx = x0; xx < x1; xx++)
            row[xx] = r->alpha == 255 ? c : blend(row[xx], c, r->alpha);
    }
}

static void pen_clear(struct pen *r) {
    SDL_Rect all = {0, 0, r->width, r->height};
    pen_clip(r, &all);
    fill_rect(r, 0, 0, r->width, r->height);
}

/* Bresenham, both ends included; clipped per point but first cut to the
 * clip box's bounds so a line far off screen costs nothing. */
static void pen_line(struct pen *r, int x0, int y0, int x1, int y1) {
    if ((x0 < r->clip_x0 && x1 < r->clip_x0) || (x0 >= r->clip_x1 && x1 >= r->clip_x1) ||
        (y0 < r->clip_y0 && y1 < r->clip_y0) || (y0 >= r->clip_y1 && y1 >= r->clip_y1)) {
        return;
    }
    if (y0 == y1) { /* horizontal: the common case (discs, bands) */
        int a = x0 < x1 ? x0 : x1, b = x0 < x1 ? x1 : x0;
        fill_rect(r, a, y0, b - a + 1, 1);
        return;
    }
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (int steps = 0; steps < 100000; steps++) {
        pen_point(r, x0, y0);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

static void pen_rect_outline(struct pen *r, const SDL_Rect *rect) {
    pen_line(r, rect->x, rect->y, rect->x + rect->w - 1, rect->y);
    pen_line(r, rect->x, rect->y + rect->h - 1, rect->x + rect->w - 1, rect->y + rect->h - 1);
    pen_line(r, rect->x, rect->y, rect->x, rect->y + rect->h - 1);
    pen_line(r, rect->x + rect->w - 1, rect->y, rect->x + rect->w - 1, rect->y + rect->h - 1);
}

static int isqrt(int v) {
    int s = (int)sqrt((double)v);
    while (s * s > v)
        s--;
    while ((s + 1) * (s + 1) <= v)
        s++;
    return s;
}

static void fill_circle(struct pen *r, int cx, int cy, int radius) {
    for (int dy = -radius; dy <= radius; dy++) {
        int dx = isqrt(radius * radius - dy * dy);
        pen_line(r, cx - dx, cy + dy, cx + dx, cy + dy);
    }
}

static void ring(struct pen *r, int cx, int cy, int radius, int thickness) {
    for (int dy = -radius; dy <= radius; dy++) {
        int outer = isqrt(radius * radius - dy * dy);
        int inner_r = radius - thickness;
        int inner = abs(dy) <= inner_r ? isqrt(inner_r * inner_r - dy * dy) : -1;
        if (inner < 0) {
            pen_line(r, cx - outer, cy + dy, cx + outer, cy + dy);
        } else {
            pen_line(r, cx - outer, cy + dy, cx - inner - 1, cy + dy);
            pen_line(r, cx + inner + 1, cy + dy, cx + outer, cy + dy);
        }
    }
}

/* Diagonal stripes inside a circle: a paused node. */
static void stripes(struct pen *r, int cx, int cy, int radius) {
    for (int dy = -radius; dy <= radius; dy++) {
        int dx = isqrt(radius * radius - dy * dy);
        for (int x = cx - dx; x <= cx + dx; x++) {
            if (((x + cy + dy) & 7) < 3) pen_point(r, x, cy + dy);
        }
    }
}

static void dashed_line(struct pen *r, int x0, int y0, int x1, int y1, int on, int off) {
    double dx = x1 - x0, dy = y1 - y0;
    double length = sqrt(dx * dx + dy * dy);
    if (length < 1) return;
    for (double s = 0; s < length; s += on + off) {
        double e = s + on < length ? s + on : length;
        pen_line(r, x0 + (int)(dx * s / length), y0 + (int)(dy * s / length),
                 x0 + (int)(dx * e / length), y0 + (int)(dy * e / length));
    }
}

static void thick_line(struct pen *r, int x0, int y0, int x1, int y1) {
    pen_line(r, x0, y0, x1, y1);
    if (abs(x1 - x0) > abs(y1 - y0)) {
        pen_line(r, x0, y0 - 1, x1, y1 - 1);
        pen_line(r, x0, y0 + 1, x1, y1 + 1);
    } else {
        pen_line(r, x0 - 1, y0, x1 - 1, y1);
        pen_line(r, x0 + 1, y0, x1 + 1, y1);
    }
}

static void cross(struct pen *r, int x, int y, int size) {
    thick_line(r, x - size, y - size, x + size, y + size);
    thick_line(r, x - size, y + size, x + size, y - size);
}

static void arrow_head(struct pen *r, int x0, int y0, int x1, int y1) {
    double dx = x1 - x0, dy = y1 - y0;
    double length = sqrt(dx * dx + dy * dy);
    if (length < 4) return;
    double ux = dx / length, uy = dy / length;
    int ax = x1 - (int)(ux * 7 - uy * 4), ay = y1 - (int)(uy * 7 + ux * 4);
    int bx = x1 - (int)(ux * 7 + uy * 4), by = y1 - (int)(uy * 7 - ux * 4);
    pen_line(r, x1, y1, ax, ay);
    pen_line(r, x1, y1, bx, by);
}

static bool in_rect(const struct fl_viz_rect *rect, int x, int y) {
    return x >= rect->x && x < rect->x + rect->w && y >= rect->y && y < rect->y + rect->h;
}

void fl_viz_format_time(uint64_t t_ns, char *out, size_t out_size) {
    unsigned long long t = (unsigned long long)t_ns;
    if (t < 1000ull)
        snprintf(out, out_size, "%llu ns", t);
    else if (t < 1000000ull)
        snprintf(out, out_size, "%llu.%03llu us", t / 1000, t % 1000);
    else if (t < 1000000000ull)
        snprintf(out, out_size, "%llu.%03llu ms", t / 1000000, t / 1000 % 1000);
    else
        snprintf(out, out_size, "%llu.%03llu s", t / 1000000000, t / 1000000 % 1000);
}

/* ---- text ------------------------------------------------------------------ */

/* Draws text at (x, y), at most max_chars characters (a cut one ends in '~');
 * returns the width drawn. scale 1 or 2. */
static int text_n(struct fl_viz *viz, struct pen *r, int x, int y, uint32_t rgb, int scale,
                  const char *s, int max_chars) {
    (void)viz;
    set_color(r, rgb, 255);
    int n = (int)strlen(s);
    bool cut = max_chars >= 0 && n > max_chars;
    if (cut) n = max_chars > 0 ? max_chars : 0;
    for (int i = 0; i < n; i++) {
        char c = cut && i == n - 1 ? '~' : s[i];
        const uint8_t *glyph = fl_font_glyph(c);
        int gx = x + i * FL_FONT_CELL_W * scale;
        if (gx >= r->clip_x1) break;
        for (int row = 0; row < FL_FONT_ROWS; row++) {
            for (int col = 0; col < FL_FONT_COLS; col++) {
                if (!((glyph[row] >> (FL_FONT_COLS - 1 - col)) & 1u)) continue;
                if (scale == 1)
                    pen_point(r, gx + col, y + row);
                else
                    fill_rect(r, gx + col * scale, y + row * scale, scale, scale);
            }
        }
    }
    return n * FL_FONT_CELL_W * scale;
}

static int text(struct fl_viz *viz, struct pen *r, int x, int y, uint32_t rgb, const char *s) {
    return text_n(viz, r, x, y, rgb, FL_VIZ_TEXT_SCALE, s, -1);
}

/* ---- colours ------------------------------------------------------------------ */

uint32_t fl_viz_role_color(const char *role) {
    static const struct {
        const char *role;
        uint32_t rgb;
    } known[] = {
        {"leader", 0xf2c12eu}, {"candidate", 0xf28c28u}, {"follower", 0x4a7fd6u},
        {"idle", 0x4caf6au},   {"busy", 0xb05fd0u},      {"", 0x5d7183u},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(role, known[i].role) == 0) return known[i].rgb;
    }
    /* Any other role: a colour fixed by its text (FNV-1a), from a palette
     * that avoids the colours above, grey (crashed) and red (faults). */
    static const uint32_t palette[8] = {0x2ab7a9u, 0xe377c2u, 0xa4d233u, 0xb07a4fu,
                                        0x45c6f0u, 0x9d8ff0u, 0xf06d8fu, 0x9a9a3au};
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)role; *p != '\0'; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return palette[h % 8];
}

/* ---- layout ------------------------------------------------------------------- */

static void compute_layout(struct fl_viz *viz) {
    struct fl_viz_layout *l = &viz->layout;
    int w = viz->width, h = viz->height;
    int top = CELL_H + 8, help_h = CELL_H + 6, overview_h = 30;
    int middle = h - top - help_h - overview_h;
    int cluster_h = middle * 46 / 100;
    int panel_w = w * 34 / 100;
    if (panel_w < 300) panel_w = 300;
    if (panel_w > 560) panel_w = 560;
    if (panel_w > w / 2) panel_w = w / 2;
    l->status = (struct fl_viz_rect){0, 0, w, top};
    l->cluster = (struct fl_viz_rect){0, top, w - panel_w, cluster_h};
    l->panel = (struct fl_viz_rect){w - panel_w, top, panel_w, cluster_h};
    l->diagram = (struct fl_viz_rect){0, top + cluster_h, w, middle - cluster_h};
    l->overview = (struct fl_viz_rect){0, h - help_h - overview_h, w, overview_h};
    l->help = (struct fl_viz_rect){0, h - help_h, w, help_h};
    /* An ellipse as wide as the cluster allows, leaving room for two lines
     * of text under the lowest disc and the longest label beside the sides. */
    int label_h = CELL_H + 14;
    uint32_t n = viz->trace->node_count > 0 ? viz->trace->node_count : 1;
    l->ring_cx = l->cluster.x + l->cluster.w / 2;
    l->ring_cy = l->cluster.y + (l->cluster.h - label_h) / 2 + 4;
    l->ring_rx = l->cluster.w / 2 - 12 * FL_FONT_CELL_W - 8;
    l->ring_ry = (l->cluster.h - label_h) / 2 - 26;
    if (l->ring_rx < 20) l->ring_rx = 20;
    if (l->ring_ry < 20) l->ring_ry = 20;
    int disc = (int)(3.14159 * (l->ring_rx + l->ring_ry) / 2 / n * 0.55);
    l->disc_radius = disc < 6 ? 6 : disc > 22 ? 22 : disc;
    l->lane_label_w = 4 * CELL_W;
}

void fl_viz_node_center(const struct fl_viz *viz, uint32_t node, int *x, int *y) {
    const struct fl_viz_layout *l = &viz->layout;
    uint32_t n = viz->trace->node_count > 0 ? viz->trace->node_count : 1;
    double angle = -3.14159265358979 / 2 + 2 * 3.14159265358979 * node / n;
    *x = l->ring_cx + (int)lround(cos(angle) * l->ring_rx);
    *y = l->ring_cy + (int)lround(sin(angle) * l->ring_ry);
}

/* The lanes' area inside the diagram: below a strip for fault labels, above
 * the axis's labels. */
static void lanes_box(const struct fl_viz *viz, int *x0, int *x1, int *y0, int *y1) {
    const struct fl_viz_rect *d = &viz->layout.diagram;
    *x0 = d->x + viz->layout.lane_label_w;
    *x1 = d->x + d->w - 8;
    *y0 = d->y + CELL_H + 6;
    *y1 = d->y + d->h - CELL_H - 6;
}

int fl_viz_lane_y(const struct fl_viz *viz, uint32_t node) {
    int x0, x1, y0, y1;
    lanes_box(viz, &x0, &x1, &y0, &y1);
    uint32_t n = viz->trace->node_count > 0 ? viz->trace->node_count : 1;
    return y0 + (int)(((int64_t)(y1 - y0) * (2 * node + 1)) / (2 * n));
}

void fl_viz_window(const struct fl_viz *viz, uint64_t *t0_ns, uint64_t *t1_ns) {
    uint64_t end = viz->trace->end_ns;
    uint64_t span = viz->span_ns;
    if (span > end) {
        *t0_ns = 0;
        *t1_ns = span;
        return;
    }
    uint64_t t0 = viz->window_t0_ns;
    if (t0 + span > end) t0 = end - span;
    *t0_ns = t0;
    *t1_ns = t0 + span;
}

/* Puts the cursor three quarters into the window: history to its left. */
static void place_window(struct fl_viz *viz) {
    uint64_t back = viz->span_ns / 4 * 3;
    viz->window_t0_ns = viz->t_ns > back ? viz->t_ns - back : 0;
}

/* The window stays put while the cursor moves inside it (a click in the
 * diagram must not slide what was clicked), and follows it while playing or
 * when it leaves. */
static void follow_cursor(struct fl_viz *viz) {
    uint64_t t0, t1;
    fl_viz_window(viz, &t0, &t1);
    if (viz->playing || viz->t_ns < t0 || viz->t_ns >= t1) place_window(viz);
}

int fl_viz_time_x(const struct fl_viz *viz, uint64_t t_ns) {
    int x0, x1, y0, y1;
    lanes_box(viz, &x0, &x1, &y0, &y1);
    uint64_t t0, t1;
    fl_viz_window(viz, &t0, &t1);
    double f = ((double)t_ns - (double)t0) / (double)(t1 - t0);
    if (f < -1) f = -1;
    if (f > 2) f = 2;
    return x0 + (int)floor(f * (x1 - x0));
}

static uint64_t x_to_time(const struct fl_viz *viz, int x) {
    int x0, x1, y0, y1;
    lanes_box(viz, &x0, &x1, &y0, &y1);
    uint64_t t0, t1;
    fl_viz_window(viz, &t0, &t1);
    if (x <= x0) return t0;
    if (x >= x1) return t1;
    return t0 + (uint64_t)((double)(t1 - t0) * (x - x0) / (x1 - x0));
}

static int overview_x(const struct fl_viz *viz, uint64_t t_ns) {
    const struct fl_viz_rect *o = &viz->layout.overview;
    uint64_t end = viz->trace->end_ns > 0 ? viz->trace->end_ns : 1;
    return o->x + 8 + (int)((double)t_ns / (double)end * (o->w - 16));
}

/* ---- state ------------------------------------------------------------------------ */

void fl_viz_init(struct fl_viz *viz, const struct fl_trace_file *trace, const char *title,
                 int width, int height) {
    memset(viz, 0, sizeof *viz);
    viz->trace = trace;
    snprintf(viz->title, sizeof viz->title, "%s", title);
    viz->selected_node = FL_TF_NONE;
    viz->selected_message = FL_TF_NONE;
    /* The first window shows about 300 events, or the whole run if shorter. */
    uint64_t end = trace->end_ns > 0 ? trace->end_ns : 1;
    double span = trace->event_count > 300 ? (double)end * 300.0 / (double)trace->event_count
                                           : (double)end * 1.02;
    viz->span_ns = span < 1000 ? 1000 : (uint64_t)span;
    viz->speed = (double)viz->span_ns / 8.0; /* a window in 8 s */
    if (viz->speed < SPEED_MIN) viz->speed = SPEED_MIN;
    fl_viz_resize(viz, width, height);
    fl_viz_seek(viz, 0);
}

void fl_viz_deinit(struct fl_viz *viz) {
    free(viz->density);
    viz->density = NULL;
}

void fl_viz_resize(struct fl_viz *viz, int width, int height) {
    viz->width = width < 640 ? 640 : width;
    viz->height = height < 400 ? 400 : height;
    compute_layout(viz);
}

void fl_viz_seek(struct fl_viz *viz, uint64_t t_ns) {
    if (t_ns > viz->trace->end_ns) t_ns = viz->trace->end_ns;
    viz->t_ns = t_ns;
    viz->event = fl_tf_event_at(viz->trace, t_ns + 1); /* events at or before t */
    follow_cursor(viz);
}

void fl_viz_step(struct fl_viz *viz, int direction) {
    const struct fl_trace_file *t = viz->trace;
    if (direction > 0 && viz->event < t->event_count) {
        viz->event++;
    } else if (direction < 0 && viz->event > 1) {
        viz->event--;
    } else {
        return;
    }
    viz->t_ns = t->events[viz->event - 1].t_ns;
    viz->playing = false;
    follow_cursor(viz);
}

void fl_viz_tick(struct fl_viz *viz, double wall_s) {
    if (!viz->playing) return;
    double next = (double)viz->t_ns + viz->speed * wall_s;
    if (next >= (double)viz->trace->end_ns) {
        fl_viz_seek(viz, viz->trace->end_ns);
        viz->playing = false;
        return;
    }
    fl_viz_seek(viz, (uint64_t)next);
}

void fl_viz_zoom(struct fl_viz *viz, int steps) {
    for (; steps > 0; steps--)
        viz->span_ns = viz->span_ns / 2 < 100 ? 100 : viz->span_ns / 2;
    for (; steps < 0; steps++) {
        if (viz->span_ns > viz->trace->end_ns) break;
        viz->span_ns *= 2;
    }
    place_window(viz);
}

static void jump_to_fault(struct fl_viz *viz) {
    const struct fl_trace_file *t = viz->trace;
    if (t->fault_count == 0) {
        snprintf(viz->note, sizeof viz->note, "no fault in this trace");
        return;
    }
    uint32_t i = 0;
    while (i < t->fault_count && t->faults[i].event_id <= viz->event)
        i++;
    if (i == t->fault_count) i = 0; /* past the last one: around to the first */
    const struct fl_tf_fault *f = &t->faults[i];
    viz->event = f->event_id;
    viz->t_ns = f->t_ns;
    follow_cursor(viz);
    snprintf(viz->note, sizeof viz->note, "fault %u/%u: %s %s", i + 1, t->fault_count,
             fl_tf_kind_name(t->events[f->event_id - 1].kind),
             f->node != FL_TF_NONE ? fl_tf_node_name(t, f->node) : fl_tf_str(t, f->text));
}

static void jump_to_violation(struct fl_viz *viz) {
    const struct fl_trace_file *t = viz->trace;
    if (t->violation_count == 0) {
        snprintf(viz->note, sizeof viz->note, "no violation in this trace (it ended: %s)",
                 fl_tf_end_reason_name(t->end_reason));
        return;
    }
    viz->event = t->violations[0].event_id;
    viz->t_ns = t->violations[0].t_ns;
    follow_cursor(viz);
    viz->note[0] = '\0';
}

static void filter_selected(struct fl_viz *viz) {
    if (viz->selected_message == FL_TF_NONE) {
        snprintf(viz->note, sizeof viz->note, "t filters by the selected message: click one first");
        return;
    }
    const struct fl_tf_message *m = &viz->trace->messages[viz->selected_message];
    if (m->trace_id != 0) {
        viz->filter_trace_id = m->trace_id;
        viz->filter_by_req = false;
    } else if (m->req != 0) {
        viz->filter_trace_id = m->req;
        viz->filter_by_req = true;
    } else {
        snprintf(viz->note, sizeof viz->note, "this message has no trace id and no request id");
        return;
    }
    viz->note[0] = '\0';
}

void fl_viz_key(struct fl_viz *viz, SDL_Keycode key) {
    viz->note[0] = '\0';
    switch (key) {
    case SDLK_SPACE:
        if (!viz->playing && viz->t_ns >= viz->trace->end_ns) fl_viz_seek(viz, 0);
        viz->playing = !viz->playing;
        break;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS: viz->speed = viz->speed * 2 > SPEED_MAX ? SPEED_MAX : viz->speed * 2; break;
    case SDLK_MINUS:
    case SDLK_KP_MINUS: viz->speed = viz->speed / 2 < SPEED_MIN ? SPEED_MIN : viz->speed / 2; break;
    case SDLK_RIGHT: fl_viz_step(viz, 1); break;
    case SDLK_LEFT: fl_viz_step(viz, -1); break;
    case SDLK_HOME: fl_viz_seek(viz, 0); break;
    case SDLK_END: fl_viz_seek(viz, viz->trace->end_ns); break;
    case SDLK_v: jump_to_violation(viz); break;
    case SDLK_f: jump_to_fault(viz); break;
    case SDLK_t: filter_selected(viz); break;
    case SDLK_RIGHTBRACKET: fl_viz_zoom(viz, 1); break;
    case SDLK_LEFTBRACKET: fl_viz_zoom(viz, -1); break;
    case SDLK_ESCAPE:
        viz->filter_trace_id = 0;
        viz->selected_message = FL_TF_NONE;
        viz->selected_node = FL_TF_NONE;
        break;
    case SDLK_q: viz->quit = true; break;
    default: break;
    }
}

static bool passes_filter(const struct fl_viz *viz, const struct fl_tf_message *m) {
    if (viz->filter_trace_id == 0) return true;
    return (viz->filter_by_req ? m->req : m->trace_id) == viz->filter_trace_id;
}

bool fl_viz_select_message(struct fl_viz *viz, uint64_t send_id) {
    const struct fl_trace_file *t = viz->trace;
    if (send_id == 0 || send_id > t->event_count || t->events[send_id - 1].kind != FL_TF_SEND) {
        return false;
    }
    viz->selected_message = t->events[send_id - 1].ref;
    viz->selected_node = FL_TF_NONE;
    return true;
}

bool fl_viz_select_node(struct fl_viz *viz, const char *name) {
    for (uint32_t k = 0; k < viz->trace->node_count; k++) {
        if (strcmp(fl_tf_node_name(viz->trace, k), name) == 0) {
            viz->selected_node = k;
            viz->selected_message = FL_TF_NONE;
            return true;
        }
    }
    return false;
}

/* ---- where messages are -------------------------------------------------------- */

/* How long a red x stays where a message died: a sliver of the window. */
static uint64_t linger_ns(const struct fl_viz *viz) {
    return viz->span_ns / 30 + 1;
}

/* The copies that may be alive at t: [first, last). */
static void alive_range(const struct fl_viz *viz, uint64_t t_ns, uint32_t *first, uint32_t *last) {
    const struct fl_trace_file *t = viz->trace;
    uint64_t back = t->flight_ns_max + linger_ns(viz); /* a drop's x outlives it */
    *first = fl_tf_message_at(t, t_ns > back ? t_ns - back : 0);
    *last = fl_tf_message_at(t, t_ns + 1);
}

/* A copy's position along its link at t, 0 (sender) .. 1 (receiver); false
 * when it is not shown at t. *dead: it is a drop's x. */
static bool message_fraction(const struct fl_viz *viz, const struct fl_tf_message *m, uint64_t t_ns,
                             double *f, bool *dead) {
    *dead = false;
    if (m->send_ns > t_ns) return false;
    if (m->fate == FL_TF_FATE_IN_FLIGHT) {
        double flight = (double)(viz->trace->flight_ns_max > 0 ? viz->trace->flight_ns_max : 1);
        *f = ((double)(t_ns - m->send_ns)) / flight;
        if (*f > 0.9) *f = 0.9;
        if (m->hold_ns <= t_ns) *f = 0.85;
        return true;
    }
    if (t_ns >= m->end_ns) {
        if (m->fate != FL_TF_FATE_DROPPED || t_ns >= m->end_ns + linger_ns(viz)) return false;
        *dead = true;
    }
    if (m->end_ns == m->send_ns) {
        *f = 0.15; /* dropped at send: it dies leaving the sender */
        return true;
    }
    if (m->hold_ns <= t_ns && !*dead) {
        *f = 0.85; /* waiting on a held link */
        return true;
    }
    uint64_t at = t_ns < m->end_ns ? t_ns : m->end_ns;
    *f = (double)(at - m->send_ns) / (double)(m->end_ns - m->send_ns);
    return true;
}

/* ---- links ------------------------------------------------------------------------ */

/* "n3" -> 2, "c1" -> server_count; FL_TF_NONE otherwise. Advances *s. */
static uint32_t parse_node(const struct fl_trace_file *t, const char **s) {
    const char *p = *s;
    char c = *p;
    if (c != 'n' && c != 'c') return FL_TF_NONE;
    p++;
    uint32_t k = 0;
    bool digits = false;
    while (*p >= '0' && *p <= '9') {
        k = k * 10 + (uint32_t)(*p - '0');
        p++;
        digits = true;
    }
    *s = p;
    if (!digits || k == 0) return FL_TF_NONE;
    uint32_t index = c == 'n' ? k - 1 : t->server_count + k - 1;
    return index < t->node_count ? index : FL_TF_NONE;
}

static void mark(uint8_t *links, uint32_t n, uint32_t a, uint32_t b, uint8_t state) {
    if (a >= n || b >= n || a == b) return;
    if (links[a * n + b] < state) links[a * n + b] = state;
}

/* Applies one active network fault's text to the link matrix. */
static void apply_fault_text(const struct fl_trace_file *t, const char *text, uint8_t *links,
                             uint8_t *group) {
    uint32_t n = t->node_count;
    const char *s = text;
    if (strncmp(s, "isolate ", 8) == 0) {
        s += 8;
        uint32_t a = parse_node(t, &s);
        for (uint32_t b = 0; b < n; b++) {
            mark(links, n, a, b, LINK_CUT);
            mark(links, n, b, a, LINK_CUT);
        }
    } else if (strncmp(s, "oneway ", 7) == 0 || strncmp(s, "hold ", 5) == 0) {
        bool hold = s[0] == 'h';
        s += hold ? 5 : 7;
        uint32_t a = parse_node(t, &s);
        if (strncmp(s, "->", 2) != 0) return;
        s += 2;
        uint32_t b = parse_node(t, &s);
        mark(links, n, a, b, hold ? LINK_HELD : LINK_CUT);
    } else if (strncmp(s, "split ", 6) == 0 || strncmp(s, "bridge ", 7) == 0) {
        bool bridge = s[0] == 'b';
        s += bridge ? 7 : 6;
        memset(group, 0xff, n);
        uint8_t g = 0;
        uint32_t via = FL_TF_NONE;
        while (*s != '\0') {
            if (*s == ',' || *s == ' ') {
                s++;
            } else if (*s == '|') {
                g++;
                s++;
            } else if (strncmp(s, "via ", 4) == 0) {
                s += 4;
                via = parse_node(t, &s);
            } else {
                uint32_t a = parse_node(t, &s);
                if (a == FL_TF_NONE) return; /* not a text this reader knows */
                group[a] = g;
            }
        }
        for (uint32_t a = 0; a < n; a++) {
            for (uint32_t b = 0; b < n; b++) {
                if (group[a] == 0xff || group[b] == 0xff || group[a] == group[b]) continue;
                if (a == via || b == via) continue;
                mark(links, n, a, b, LINK_CUT);
            }
        }
    }
}

/* The link matrix at t; false when the cluster is too large to draw links. */
static bool links_at(const struct fl_viz *viz, uint64_t t_ns, uint8_t *links, uint8_t *group) {
    const struct fl_trace_file *t = viz->trace;
    uint32_t n = t->node_count;
    if (n == 0 || n > LINKS_NODES_MAX) return false;
    memset(links, LINK_OPEN, (size_t)n * n);
    for (uint32_t i = 0; i < t->fault_count && t->faults[i].t_ns <= t_ns; i++) {
        const struct fl_tf_fault *f = &t->faults[i];
        if (f->kind != FL_TF_FAULT_NET || f->end_ns <= t_ns) continue;
        apply_fault_text(t, fl_tf_str(t, f->text), links, group);
    }
    return true;
}

/* ---- drawing: status, help, panel ----------------------------------------------- */

static void draw_status(struct fl_viz *viz, struct pen *r) {
    const struct fl_trace_file *t = viz->trace;
    const struct fl_viz_rect *s = &viz->layout.status;
    set_color(r, 0x202430u, 255);
    fill_rect(r, s->x, s->y, s->w, s->h);
    char now[32], speed[32], line[320];
    fl_viz_format_time(viz->t_ns, now, sizeof now);
    fl_viz_format_time((uint64_t)viz->speed, speed, sizeof speed);
    int x = 8 + text(viz, r, 8, 4, 0xffffffu, now);
    if (viz->event > 0) {
        const struct fl_tf_event *e = &t->events[viz->event - 1];
        snprintf(line, sizeof line, "  event %llu/%llu %s %s", (unsigned long long)viz->event,
                 (unsigned long long)t->event_count, fl_tf_kind_name(e->kind),
                 e->node != FL_TF_NONE ? fl_tf_node_name(t, e->node) : "");
    } else {
        snprintf(line, sizeof line, "  event 0/%llu", (unsigned long long)t->event_count);
    }
    x += text(viz, r, x, 4, 0xc8d0e0u, line);
    snprintf(line, sizeof line, "  %s %s/s", viz->playing ? "playing" : "paused", speed);
    x += text(viz, r, x, 4, viz->playing ? 0x7ee08au : 0xc8d0e0u, line);
    if (viz->filter_trace_id != 0) {
        snprintf(line, sizeof line, "  filter %s %llu", viz->filter_by_req ? "req" : "trace",
                 (unsigned long long)viz->filter_trace_id);
        x += text(viz, r, x, 4, 0xf2c12eu, line);
    }
    if (viz->note[0] != '\0') {
        snprintf(line, sizeof line, "  %s", viz->note);
        x += text(viz, r, x, 4, 0xf28c28u, line);
    }
    int room = (viz->width - x - 8) / CELL_W;
    if (room > 4) {
        int n = (int)strlen(viz->title);
        int title_x = viz->width - 8 - (n < room ? n : room) * CELL_W;
        text_n(viz, r, title_x, 4, 0x8090a8u, FL_VIZ_TEXT_SCALE, viz->title, room);
    }
}

static void draw_help(struct fl_viz *viz, struct pen *r) {
    const struct fl_viz_rect *h = &viz->layout.help;
    set_color(r, 0x202430u, 255);
    fill_rect(r, h->x, h->y, h->w, h->h);
    text_n(viz, r, 8, h->y + 3, 0x98a4b8u, FL_VIZ_TEXT_SCALE,
           "space play  +/- speed  <- -> step  [ ] zoom  v violation  f fault  t filter  "
           "esc clear  q quit  click",
           (viz->width - 16) / CELL_W);
}

/* Writes text into the panel, wrapping at its width; advances *y. */
static void panel_line(struct fl_viz *viz, struct pen *r, int *y, uint32_t rgb, const char *s) {
    const struct fl_viz_rect *p = &viz->layout.panel;
    int per_line = (p->w - 16) / CELL_W;
    if (per_line < 1) return;
    size_t n = strlen(s);
    size_t at = 0;
    do {
        if (*y + CELL_H > p->y + p->h) return;
        char piece[256];
        size_t take = n - at < (size_t)per_line ? n - at : (size_t)per_line;
        if (take >= sizeof piece) take = sizeof piece - 1;
        /* Break after the last space that fits, unless the word is too long. */
        if (at + take < n && s[at + take] != ' ') {
            size_t space = take;
            while (space > 0 && s[at + space - 1] != ' ')
                space--;
            if (space > 0) take = space;
        }
        memcpy(piece, s + at, take);
        piece[take] = '\0';
        text(viz, r, p->x + 8, *y, rgb, piece);
        *y += CELL_H + 2;
        at += take;
        while (at < n && s[at] == ' ')
            at++;
    } while (at < n);
}

static void event_summary(const struct fl_trace_file *t, const struct fl_tf_event *e, char *out,
                          size_t size) {
    char when[32];
    fl_viz_format_time(e->t_ns, when, sizeof when);
    const char *detail = "";
    char extra[160] = "";
    switch (e->kind) {
    case FL_TF_SEND: snprintf(extra, sizeof extra, "to %s", fl_tf_node_name(t, e->peer)); break;
    case FL_TF_DELIVER:
    case FL_TF_HOLD: snprintf(extra, sizeof extra, "from %s", fl_tf_node_name(t, e->peer)); break;
    case FL_TF_DROP:
        snprintf(extra, sizeof extra, "from %s %s", fl_tf_node_name(t, e->peer),
                 fl_tf_drop_reason_name((uint8_t)e->a));
        break;
    default: detail = fl_tf_str(t, e->text); break;
    }
    if (e->ref != FL_TF_NONE && e->kind >= FL_TF_SEND && e->kind <= FL_TF_DUPLICATE) {
        const char *kind = fl_tf_str(t, t->messages[e->ref].mkind);
        if (kind[0] != '\0') {
            size_t used = strlen(extra);
            snprintf(extra + used, sizeof extra - used, " %s", kind);
        }
    }
    snprintf(out, size, "%llu %s %s %s%s", (unsigned long long)(e - t->events) + 1, when,
             fl_tf_kind_name(e->kind), extra, detail);
}

static void draw_node_panel(struct fl_viz *viz, struct pen *r, int *y) {
    const struct fl_trace_file *t = viz->trace;
    uint32_t k = viz->selected_node;
    const struct fl_tf_change *s = fl_tf_node_state(t, k, viz->t_ns);
    char line[256];
    snprintf(line, sizeof line, "node %s", fl_tf_node_name(t, k));
    panel_line(viz, r, y, 0xffffffu, line);
    if (s == NULL) {
        panel_line(viz, r, y, 0xc8d0e0u, "not started yet");
    } else {
        snprintf(line, sizeof line, "%s%s, incarnation %u", s->up ? "up" : "crashed",
                 s->paused ? ", paused" : "", s->incarnation);
        panel_line(viz, r, y, s->up ? 0x7ee08au : 0xb0b0b0u, line);
        snprintf(line, sizeof line, "role  %s", s->role ? fl_tf_str(t, s->role) : "-");
        panel_line(viz, r, y, fl_viz_role_color(fl_tf_str(t, s->role)), line);
        if (s->label != 0) {
            snprintf(line, sizeof line, "label %s", fl_tf_str(t, s->label));
            panel_line(viz, r, y, 0xc8d0e0u, line);
        }
    }
    panel_line(viz, r, y, 0x8090a8u, "last events:");
    /* Walk back from the cursor for this node's last few events; bounded so
     * that a node silent for a long time costs no more than a few thousand. */
    const struct fl_tf_event *found[8];
    int count = 0;
    uint64_t scanned = 0;
    for (uint64_t i = viz->event; i > 0 && count < 8 && scanned < 200000; i--, scanned++) {
        const struct fl_tf_event *e = &t->events[i - 1];
        if (e->node == k) found[count++] = e;
    }
    for (int i = 0; i < count; i++) {
        event_summary(t, found[i], line, sizeof line);
        panel_line(viz, r, y, 0xc8d0e0u, line);
    }
}

static void draw_message_panel(struct fl_viz *viz, struct pen *r, int *y) {
    const struct fl_trace_file *t = viz->trace;
    const struct fl_tf_message *m = &t->messages[viz->selected_message];
    char line[256], a[32], b[32];
    const char *kind = fl_tf_str(t, m->mkind);
    snprintf(line, sizeof line, "message %s -> %s%s%s", fl_tf_node_name(t, m->from),
             fl_tf_node_name(t, m->to), kind[0] ? " " : "", kind);
    panel_line(viz, r, y, 0xffffffu, line);
    fl_viz_format_time(m->send_ns, a, sizeof a);
    snprintf(line, sizeof line, "sent  %s (event %llu)", a, (unsigned long long)m->send_id);
    panel_line(viz, r, y, 0xc8d0e0u, line);
    if (m->fate == FL_TF_FATE_IN_FLIGHT) {
        panel_line(viz, r, y, 0xc8d0e0u, "still in flight at the end");
    } else {
        fl_viz_format_time(m->end_ns, a, sizeof a);
        fl_viz_format_time(m->end_ns - m->send_ns, b, sizeof b);
        snprintf(line, sizeof line, "%s %s (+%s)%s%s",
                 m->fate == FL_TF_FATE_DELIVERED ? "recvd" : "DROP ", a, b,
                 m->fate == FL_TF_FATE_DROPPED ? " " : "",
                 m->fate == FL_TF_FATE_DROPPED ? fl_tf_drop_reason_name(m->drop_reason) : "");
        panel_line(viz, r, y, m->fate == FL_TF_FATE_DROPPED ? FL_VIZ_COLOR_CUT : 0xc8d0e0u, line);
    }
    static const char *const types[] = {"msg", "request", "reply"};
    snprintf(line, sizeof line, "size  %u bytes, %s%s%s", m->size_bytes, types[m->type % 3],
             m->corrupt ? ", CORRUPT" : "", m->copy_of != FL_TF_NONE ? ", duplicate" : "");
    panel_line(viz, r, y, 0xc8d0e0u, line);
    if (m->req != 0 || m->trace_id != 0) {
        snprintf(line, sizeof line, "req %llu  trace %llu", (unsigned long long)m->req,
                 (unsigned long long)m->trace_id);
        panel_line(viz, r, y, 0xc8d0e0u, line);
    }
    if (m->hold_ns != FL_TF_NEVER) {
        fl_viz_format_time(m->hold_ns, a, sizeof a);
        snprintf(line, sizeof line, "held from %s", a);
        panel_line(viz, r, y, 0xf28c28u, line);
    }
    const char *content = fl_tf_str(t, m->mtext);
    if (content[0] != '\0') panel_line(viz, r, y, 0xf2e6b0u, content);
}

static void draw_summary_panel(struct fl_viz *viz, struct pen *r, int *y) {
    const struct fl_trace_file *t = viz->trace;
    char line[320], a[32];
    snprintf(line, sizeof line, "%u servers, %u clients", t->server_count, t->client_count);
    panel_line(viz, r, y, 0xffffffu, line);
    fl_viz_format_time(t->end_ns, a, sizeof a);
    snprintf(line, sizeof line, "%llu events, %s, %s", (unsigned long long)t->event_count, a,
             fl_tf_end_reason_name(t->end_reason));
    panel_line(viz, r, y, 0xc8d0e0u, line);
    snprintf(line, sizeof line, "%llu sent, %llu dropped, %u faults",
             (unsigned long long)t->counts.sends, (unsigned long long)t->counts.drops,
             t->fault_count);
    panel_line(viz, r, y, 0xc8d0e0u, line);
    if (t->violation_count > 0) {
        panel_line(viz, r, y, FL_VIZ_COLOR_CUT, fl_tf_str(t, t->violations[0].text));
    }
    int active = 0;
    for (uint32_t i = 0; i < t->fault_count && t->faults[i].t_ns <= viz->t_ns; i++) {
        const struct fl_tf_fault *f = &t->faults[i];
        if (f->end_ns <= viz->t_ns || f->kind == FL_TF_FAULT_CLOCK_JUMP ||
            f->kind == FL_TF_FAULT_DISK) {
            continue;
        }
        if (active++ == 0) panel_line(viz, r, y, 0x8090a8u, "now:");
        if (f->kind == FL_TF_FAULT_NET) {
            panel_line(viz, r, y, FL_VIZ_COLOR_CUT, fl_tf_str(t, f->text));
        } else {
            snprintf(line, sizeof line, "%s %s",
                     f->kind == FL_TF_FAULT_CRASH ? "crashed" : "paused",
                     fl_tf_node_name(t, f->node));
            panel_line(viz, r, y, 0xb0b0b0u, line);
        }
    }
    panel_line(viz, r, y, 0x8090a8u, "click a node or a message");
}

static void draw_panel(struct fl_viz *viz, struct pen *r) {
    const struct fl_viz_rect *p = &viz->layout.panel;
    set_color(r, 0x1b1e26u, 255);
    fill_rect(r, p->x, p->y, p->w, p->h);
    set_color(r, 0x303644u, 255);
    pen_line(r, p->x, p->y, p->x, p->y + p->h - 1);
    int y = p->y + 8;
    if (viz->selected_message != FL_TF_NONE)
        draw_message_panel(viz, r, &y);
    else if (viz->selected_node != FL_TF_NONE)
        draw_node_panel(viz, r, &y);
    else
        draw_summary_panel(viz, r, &y);
}

/* ---- drawing: the cluster --------------------------------------------------------- */

static void draw_links(struct fl_viz *viz, struct pen *r) {
    const struct fl_trace_file *t = viz->trace;
    uint32_t n = t->node_count;
    if (n == 0 || n > LINKS_NODES_MAX) return;
    uint8_t *links = malloc((size_t)n * n + n);
    if (links == NULL) return;
    if (links_at(viz, viz->t_ns, links, links + (size_t)n * n)) {
        for (uint32_t a = 0; a < n; a++) {
            for (uint32_t b = 0; b < n; b++) {
                uint8_t s = links[a * n + b];
                if (s == LINK_OPEN) continue;
                /* a cut both ways is drawn once, from the lower index */
                if (b < a && links[b * n + a] == s) continue;
                int ax, ay, bx, by;
                fl_viz_node_center(viz, a, &ax, &ay);
                fl_viz_node_center(viz, b, &bx, &by);
                set_color(r, s == LINK_CUT ? FL_VIZ_COLOR_CUT : 0xf28c28u, 255);
                dashed_line(r, ax, ay, bx, by, 7, 5);
                dashed_line(r, ax + 1, ay, bx + 1, by, 7, 5);
            }
        }
    }
    free(links);
}

static void draw_dots(struct fl_viz *viz, struct pen *r) {
    const struct fl_trace_file *t = viz->trace;
    uint32_t first, last;
    alive_range(viz, viz->t_ns, &first, &last);
    uint32_t drawn = 0;
    uint32_t n = t->node_count;
    uint8_t *linked = n <= LINKS_NODES_MAX ? calloc((size_t)n * n, 1) : NULL;
    for (uint32_t i = first; i < last && drawn < DOTS_MAX; i++) {
        const struct fl_tf_message *m = &t->messages[i];
        if (!passes_filter(viz, m)) continue;
        double f;
        bool dead;
        if (!message_fraction(viz, m, viz->t_ns, &f, &dead)) continue;
        int ax, ay, bx, by;
        fl_viz_node_center(viz, m->from, &ax, &ay);
        fl_viz_node_center(viz, m->to, &bx, &by);
        double length = sqrt((double)(bx - ax) * (bx - ax) + (double)(by - ay) * (by - ay));
        double outside = length > 0 ? (viz->layout.disc_radius + 9) / length : 0;
        if (dead && f > 1 - outside) f = 1 - outside; /* died at the receiver: beside its disc */
        int x = ax + (int)((bx - ax) * f), y = ay + (int)((by - ay) * f);
        drawn++;
        if (dead) {
            set_color(r, FL_VIZ_COLOR_CUT, 255);
            cross(r, x, y, 5);
            continue;
        }
        if (linked == NULL || !linked[m->from * n + m->to]) {
            set_color(r, 0x3a4456u, 255);
            pen_line(r, ax, ay, bx, by);
            if (linked != NULL) linked[m->from * n + m->to] = 1;
        }
        bool selected = i == viz->selected_message;
        set_color(r, selected ? FL_VIZ_COLOR_SELECTED : m->corrupt ? 0xe377c2u : 0xdfe8f5u, 255);
        fill_circle(r, x, y, selected ? 6 : 4);
    }
    free(linked);
}

static void draw_nodes(struct fl_viz *viz, struct pen *r) {
    const struct fl_trace_file *t = viz->trace;
    int radius = viz->layout.disc_radius;
    bool violated = t->violation_count > 0 && viz->t_ns >= t->violations[0].t_ns;
    for (uint32_t k = 0; k < t->node_count; k++) {
        int x, y;
        fl_viz_node_center(viz, k, &x, &y);
        const struct fl_tf_change *s = fl_tf_node_state(t, k, viz->t_ns);
        const char *role = s != NULL ? fl_tf_str(t, s->role) : "";
        if (s == NULL) {
            set_color(r, 0x5d7183u, 255);
            ring(r, x, y, radius, 2);
        } else {
            set_color(r, s->up ? fl_viz_role_color(role) : FL_VIZ_COLOR_CRASHED, 255);
            fill_circle(r, x, y, radius);
            if (s->paused) {
                set_color(r, 0x14161cu, 255);
                stripes(r, x, y, radius);
            }
        }
        if (violated && t->violations[0].node == k) {
            set_color(r, FL_VIZ_COLOR_CUT, 255);
            ring(r, x, y, radius + 6, 3);
        }
        if (k == viz->selected_node) {
            set_color(r, FL_VIZ_COLOR_SELECTED, 255);
            ring(r, x, y, radius + 4, 2);
        }
        const char *name = fl_tf_node_name(t, k);
        int name_w = (int)strlen(name) * CELL_W;
        /* The name in the disc when it fits, beside it otherwise. */
        int scale = name_w <= 2 * radius ? FL_VIZ_TEXT_SCALE : 1;
        int w = (int)strlen(name) * FL_FONT_CELL_W * scale;
        text_n(viz, r, x - w / 2, y - FL_FONT_CELL_H * scale / 2, 0x101010u, scale, name, -1);
        int ty = y + radius + 4;
        if (s != NULL && !s->up) {
            role = "crashed";
        } else if (s != NULL && s->paused) {
            role = "paused";
        }
        int rw = (int)strlen(role) * CELL_W;
        text(viz, r, x - rw / 2, ty, 0xe8ecf4u, role);
        if (s != NULL && s->label != 0) {
            const char *label = fl_tf_str(t, s->label);
            int chars = (int)strlen(label) < 24 ? (int)strlen(label) : 24;
            int lw = chars * FL_FONT_CELL_W;
            text_n(viz, r, x - lw / 2, ty + CELL_H + 1, 0xa8b4c8u, 1, label, 24);
        }
    }
}

static void draw_cluster(struct fl_viz *viz, struct pen *r) {
    draw_links(viz, r);
    draw_dots(viz, r);
    draw_nodes(viz, r);
}

/* ---- drawing: the space-time diagram --------------------------------------------- */

/* The smallest 1, 2 or 5 times a power of ten that gives at most `ticks`
 * ticks over the span. */
static uint64_t nice_step(uint64_t span_ns, int ticks) {
    uint64_t raw = span_ns / (uint64_t)ticks + 1;
    for (uint64_t step = 1;; step *= 10) {
        if (step >= raw) return step;
        if (step * 2 >= raw) return step * 2;
        if (step * 5 >= raw) return step * 5;
    }
}

static void draw_axis(struct fl_viz *viz, struct pen *r, uint64_t t0, uint64_t t1) {
    int x0, x1, y0, y1;
    lanes_box(viz, &x0, &x1, &y0, &y1);
    char widest[32];
    fl_viz_format_time(t1, widest, sizeof widest);
    int label_w = ((int)strlen(widest) + 2) * CELL_W; /* labels must not touch */
    uint64_t step = nice_step(t1 - t0, (x1 - x0) / label_w > 1 ? (x1 - x0) / label_w : 1);
    set_color(r, 0x303644u, 255);
    pen_line(r, x0, y1 + 2, x1, y1 + 2);
    for (uint64_t t = (t0 + step - 1) / step * step; t < t1; t += step) {
        int x = fl_viz_time_x(viz, t);
        set_color(r, 0x262b36u, 255);
        pen_line(r, x, y0, x, y1);
        set_color(r, 0x6c788cu, 255);
        pen_line(r, x, y1 + 2, x, y1 + 6);
        char label[32];
        fl_viz_format_time(t, label, sizeof label);
        text(viz, r, x + 3, y1 + 5, 0x8090a8u, label);
    }
}

static void draw_lanes(struct fl_viz *viz, struct pen *r) {
    const struct fl_trace_file *t = viz->trace;
    int x0, x1, y0, y1;
    lanes_box(viz, &x0, &x1, &y0, &y1);
    int label_h =
        t->node_count > 0 && (y1 - y0) / (int)t->node_count < CELL_H ? 1 : FL_VIZ_TEXT_SCALE;
    for (uint32_t k = 0; k < t->node_count; k++) {
        int y = fl_viz_lane_y(viz, k);
        set_color(r, k == viz->selected_node ? 0x8090a8u : 0x3a4050u, 255);
        pen_line(r, x0, y, x1, y);
        const char *name = fl_tf_node_name(t, k);
        text_n(viz, r, 8, y - FL_FONT_CELL_H * label_h / 2,
               k == viz->selected_node ? 0xffffffu : 0xc8d0e0u, label_h, name, -1);
    }
}

static int lane_half(const struct fl_viz *viz) {
    int x0, x1, y0, y1;
    lanes_box(viz, &x0, &x1, &y0, &y1);
    int n = viz->trace->node_count > 0 ? (int)viz->trace->node_count : 1;
    int half = (y1 - y0) / n / 2 - 2;
    return half < 2 ? 2 : half > 10 ? 10 : half;
}

static void draw_fault_marks(struct fl_viz *viz, struct pen *r, uint64_t t0, uint64_t t1) {
    const struct fl_trace_file *t = viz->trace;
    int x0, x1, y0, y1;
    lanes_box(viz, &x0, &x1, &y0, &y1);
    int half = lane_half(viz);
    /* Network faults' labels share one row above the lanes: a label that would
     * start inside the previous one is left out (the strip and its line stay;
     * the side panel lists every fault in force). */
    int label_free_x = x0;
    for (uint32_t i = 0; i < t->fault_count && t->faults[i].t_ns < t1; i++) {
        const struct fl_tf_fault *f = &t->faults[i];
        uint64_t end = f->end_ns == FL_TF_NEVER ? t->end_ns : f->end_ns;
        if (end < t0 && f->kind != FL_TF_FAULT_CLOCK_JUMP && f->kind != FL_TF_FAULT_DISK) continue;
        if (f->t_ns < t0 && (f->kind == FL_TF_FAULT_CLOCK_JUMP || f->kind == FL_TF_FAULT_DISK))
            continue;
        int xa = fl_viz_time_x(viz, f->t_ns < t0 ? t0 : f->t_ns);
        int xb = fl_viz_time_x(viz, end > t1 ? t1 : end);
        if (xb <= xa) xb = xa + 2;
        if (f->kind == FL_TF_FAULT_NET) {
            bool instant = end == f->t_ns;
            set_color(r, FL_VIZ_COLOR_CUT, instant ? 160 : 36);
            fill_rect(r, xa, y0, instant ? 2 : xb - xa, y1 - y0);
            set_color(r, FL_VIZ_COLOR_CUT, 255);
            pen_line(r, xa, y0 - 4, xa, y1);
            if (xa + 3 >= label_free_x) {
                int width = text_n(viz, r, xa + 3, viz->layout.diagram.y + 3, 0xf07070u,
                                   FL_VIZ_TEXT_SCALE, fl_tf_str(t, f->text),
                                   (xb - xa) / CELL_W > 12 ? (xb - xa) / CELL_W : 12);
                label_free_x = xa + 3 + width + CELL_W;
            }
            continue;
        }
        int y = fl_viz_lane_y(viz, f->node);
        if (f->kind == FL_TF_FAULT_CRASH) {
            set_color(r, FL_VIZ_COLOR_CRASHED, 255);
            fill_rect(r, xa, y - half, xb - xa, 2 * half + 1);
        } else if (f->kind == FL_TF_FAULT_PAUSE) {
            set_color(r, 0x8a8a8au, 200);
            for (int x = xa; x < xb; x++) {
                if (((x)&7) < 3) pen_line(r, x, y - half, x, y + half);
            }
        } else {
            set_color(r, f->kind == FL_TF_FAULT_CLOCK_JUMP ? 0xb05fd0u : 0xf28c28u, 255);
            fill_rect(r, xa - 2, y - half - 3, 5, 2 * half + 7);
        }
    }
}

static uint32_t event_color(uint8_t kind) {
    switch (kind) {
    case FL_TF_START:
    case FL_TF_RESTART: return 0x7ee08au;
    case FL_TF_TIMER: return 0x6c788cu;
    case FL_TF_ANNOTATE: return 0x45c6f0u;
    case FL_TF_CRASH: return 0xb0b0b0u;
    case FL_TF_VIOLATION: return FL_VIZ_COLOR_CUT;
    case FL_TF_DISK_WRITE:
    case FL_TF_DISK_READ:
    case FL_TF_DISK_TRUNCATE:
    case FL_TF_DISK_SYNC:
    case FL_TF_DISK_SYNCED: return 0xa4d233u;
    default: return 0x9aa6ba;
    }
}

/* Ticks for the node events in the window (sends and deliveries are the
 * arrows' ends, drawn with them). */
static void draw_event_marks(struct fl_viz *viz, struct pen *r, uint64_t t0, uint64_t t1) {
    const struct fl_trace_file *t = viz->trace;
    uint64_t first = fl_tf_event_at(t, t0), last = fl_tf_event_at(t, t1);
    uint64_t stride = (last - first) / FL_VIZ_DRAW_MAX + 1;
    int half = lane_half(viz);
    int previous_x = INT32_MIN; /* marks on one pixel column of one lane: drawn once */
    uint32_t previous_node = FL_TF_NONE;
    for (uint64_t i = first; i < last; i += stride) {
        const struct fl_tf_event *e = &t->events[i];
        if (e->node == FL_TF_NONE || (e->kind >= FL_TF_SEND && e->kind <= FL_TF_DUPLICATE) ||
            e->kind == FL_TF_HOLD) {
            continue;
        }
        int x = fl_viz_time_x(viz, e->t_ns), y = fl_viz_lane_y(viz, e->node);
        if (x == previous_x && e->node == previous_node) continue;
        previous_x = x;
        previous_node = e->node;
        set_color(r, event_color(e->kind), 255);
        pen_line(r, x, y - half / 2, x, y + half / 2);
    }
    if (viz->event > 0) { /* the current event */
        const struct fl_tf_event *e = &t->events[viz->event - 1];
        if (e->node != FL_TF_NONE && e->t_ns >= t0 && e->t_ns < t1) {
            int x = fl_viz_time_x(viz, e->t_ns), y = fl_viz_lane_y(viz, e->node);
            set_color(r, 0xffe066u, 255);
            ring(r, x, y, 5, 2);
        }
    }
}

static void draw_arrow(struct fl_viz *viz, struct pen *r, const struct fl_tf_message *m,
                       bool selected) {
    const struct fl_trace_file *t = viz->trace;
    int xa = fl_viz_time_x(viz, m->send_ns), ya = fl_viz_lane_y(viz, m->from);
    int yb = fl_viz_lane_y(viz, m->to);
    uint32_t color = selected                        ? FL_VIZ_COLOR_SELECTED
                     : m->fate == FL_TF_FATE_DROPPED ? FL_VIZ_COLOR_CUT
                     : m->corrupt                    ? 0xe377c2u
                     : viz->filter_trace_id != 0     ? 0xf2c12eu
                                                     : FL_VIZ_COLOR_MESSAGE;
    set_color(r, color, 255);
    if (m->fate == FL_TF_FATE_IN_FLIGHT) {
        int xb = fl_viz_time_x(viz, t->end_ns);
        dashed_line(r, xa, ya, xb, ya + (yb - ya) / 2, 4, 4);
        return;
    }
    int xb = fl_viz_time_x(viz, m->end_ns);
    if (m->fate == FL_TF_FATE_DROPPED && m->end_ns == m->send_ns) {
        /* Dropped at send: a stub toward the receiver, ending in an x. */
        int yc = ya + (yb - ya) / 4;
        pen_line(r, xa, ya, xa + 6, yc);
        cross(r, xa + 6, yc, 3);
        return;
    }
    if (selected)
        thick_line(r, xa, ya, xb, yb);
    else
        pen_line(r, xa, ya, xb, yb);
    if (m->fate == FL_TF_FATE_DROPPED)
        cross(r, xb, yb, 4);
    else
        arrow_head(r, xa, ya, xb, yb);
}

static void draw_arrows(struct fl_viz *viz, struct pen *r, uint64_t t0, uint64_t t1) {
    const struct fl_trace_file *t = viz->trace;
    uint64_t back = t->flight_ns_max;
    uint32_t first = fl_tf_message_at(t, t0 > back ? t0 - back : 0);
    uint32_t last = fl_tf_message_at(t, t1);
    uint32_t stride = (last - first) / FL_VIZ_DRAW_MAX + 1;
    /* Zoomed out, thousands of arrows fall on the same pixels: an arrow the
     * same as the last one drawn for its pair of nodes is skipped. */
    uint32_t n = t->node_count;
    int *last_x = n <= LINKS_NODES_MAX ? malloc(sizeof *last_x * 2 * (size_t)n * n) : NULL;
    if (last_x != NULL) {
        for (size_t k = 0; k < 2 * (size_t)n * n; k++)
            last_x[k] = INT32_MIN;
    }
    for (uint32_t i = first; i < last; i += stride) {
        const struct fl_tf_message *m = &t->messages[i];
        if (m->fate != FL_TF_FATE_IN_FLIGHT && m->end_ns < t0) continue;
        if (!passes_filter(viz, m) || i == viz->selected_message) continue;
        if (last_x != NULL) {
            size_t pair = 2 * ((size_t)m->from * n + m->to);
            int xa = fl_viz_time_x(viz, m->send_ns);
            int xb = m->fate == FL_TF_FATE_IN_FLIGHT
                         ? INT32_MAX
                         : fl_viz_time_x(viz, m->end_ns) + (m->fate == FL_TF_FATE_DROPPED);
            if (last_x[pair] == xa && last_x[pair + 1] == xb) continue;
            last_x[pair] = xa;
            last_x[pair + 1] = xb;
        }
        draw_arrow(viz, r, m, false);
    }
    free(last_x);
    if (viz->selected_message != FL_TF_NONE) {
        draw_arrow(viz, r, &t->messages[viz->selected_message], true);
    }
}

static void draw_violation(struct fl_viz *viz, struct pen *r, uint64_t t0, uint64_t t1) {
    const struct fl_trace_file *t = viz->trace;
    int x0, x1, y0, y1;
    lanes_box(viz, &x0, &x1, &y0, &y1);
    for (uint32_t i = 0; i < t->violation_count; i++) {
        const struct fl_tf_violation *v = &t->violations[i];
        if (v->t_ns < t0 || v->t_ns >= t1) continue;
        int x = fl_viz_time_x(viz, v->t_ns);
        set_color(r, FL_VIZ_COLOR_CUT, 255);
        pen_line(r, x, y0 - 4, x, y1);
        pen_line(r, x + 1, y0 - 4, x + 1, y1);
        if (v->node != FL_TF_NONE) fill_circle(r, x, fl_viz_lane_y(viz, v->node), 6);
        const char *label = "violation";
        text(viz, r, x - (int)strlen(label) * CELL_W - 4,
             y0 - CELL_H - 2 > viz->layout.diagram.y ? y0 - CELL_H - 2 : viz->layout.diagram.y + 2,
             FL_VIZ_COLOR_CUT, label);
    }
}

static void draw_diagram(struct fl_viz *viz, struct pen *r) {
    const struct fl_viz_rect *d = &viz->layout.diagram;
    set_color(r, 0x171a21u, 255);
    fill_rect(r, d->x, d->y, d->w, d->h);
    set_color(r, 0x303644u, 255);
    pen_line(r, d->x, d->y, d->x + d->w - 1, d->y);
    uint64_t t0, t1;
    fl_viz_window(viz, &t0, &t1);
    int x0, x1, y0, y1;
    lanes_box(viz, &x0, &x1, &y0, &y1);
    SDL_Rect clip = {x0 - 1, d->y + 1, x1 - x0 + 10, d->h - 1};
    draw_axis(viz, r, t0, t1);
    draw_lanes(viz, r);
    pen_clip(r, &clip);
    draw_fault_marks(viz, r, t0, t1);
    draw_event_marks(viz, r, t0, t1);
    draw_arrows(viz, r, t0, t1);
    draw_violation(viz, r, t0, t1);
    int x = fl_viz_time_x(viz, viz->t_ns);
    set_color(r, 0xffe066u, 255);
    pen_line(r, x, y0 - 6, x, y1 + 2);
    pen_clip(r, NULL);
}

/* ---- drawing: the overview ---------------------------------------------------------- */

static void draw_overview(struct fl_viz *viz, struct pen *r) {
    const struct fl_trace_file *t = viz->trace;
    const struct fl_viz_rect *o = &viz->layout.overview;
    set_color(r, 0x1b1e26u, 255);
    fill_rect(r, o->x, o->y, o->w, o->h);
    int xa = overview_x(viz, 0), xb = overview_x(viz, t->end_ns);
    /* Event density, a column per pixel: counted once per width, since it
     * depends only on the trace (a binary search per column). */
    int columns = xb - xa > 0 ? xb - xa : 1;
    if (viz->density == NULL || viz->density_columns != columns) {
        free(viz->density);
        viz->density = calloc((size_t)columns, sizeof *viz->density);
        viz->density_columns = columns;
        viz->density_peak = 1;
        uint64_t end = t->end_ns > 0 ? t->end_ns : 1, prev = 0;
        for (int c = 0; viz->density != NULL && c < columns; c++) {
            uint64_t next = fl_tf_event_at(t, (uint64_t)((double)end * (c + 1) / columns));
            viz->density[c] = next - prev;
            if (next - prev > viz->density_peak) viz->density_peak = next - prev;
            prev = next;
        }
    }
    set_color(r, 0x3a4a66u, 255);
    for (int c = 0; viz->density != NULL && c < columns; c++) {
        uint64_t n = viz->density[c];
        int h = (int)((double)n / (double)viz->density_peak * (o->h - 8));
        if (n > 0 && h < 1) h = 1;
        if (h > 0) pen_line(r, xa + c, o->y + o->h - 4, xa + c, o->y + o->h - 4 - h);
    }
    for (uint32_t i = 0; i < t->fault_count; i++) {
        int x = overview_x(viz, t->faults[i].t_ns);
        set_color(r, t->faults[i].kind == FL_TF_FAULT_NET ? FL_VIZ_COLOR_CUT : 0xb0b0b0u, 255);
        pen_line(r, x, o->y + 2, x, o->y + 8);
    }
    for (uint32_t i = 0; i < t->violation_count; i++) {
        int x = overview_x(viz, t->violations[i].t_ns);
        set_color(r, FL_VIZ_COLOR_CUT, 255);
        fill_rect(r, x - 1, o->y + 2, 3, o->h - 4);
    }
    uint64_t t0, t1;
    fl_viz_window(viz, &t0, &t1);
    set_color(r, 0x8090a8u, 255);
    uint64_t end = t->end_ns > 0 ? t->end_ns : 1;
    SDL_Rect window = {overview_x(viz, t0), o->y + 1,
                       overview_x(viz, t1 > end ? end : t1) - overview_x(viz, t0) + 1, o->h - 2};
    pen_rect_outline(r, &window);
    int x = overview_x(viz, viz->t_ns);
    set_color(r, 0xffe066u, 255);
    fill_rect(r, x - 1, o->y, 3, o->h);
}

void fl_viz_render(struct fl_viz *viz, uint32_t *pixels, int pitch_pixels) {
    struct pen pen = {.pixels = pixels,
                      .width = viz->width,
                      .height = viz->height,
                      .pitch = pitch_pixels,
                      .alpha = 255};
    struct pen *renderer = &pen;
    assert(pitch_pixels >= viz->width);
    set_color(renderer, FL_VIZ_COLOR_BACKGROUND, 255);
    pen_clear(renderer);
    SDL_Rect clip = {viz->layout.cluster.x, viz->layout.cluster.y, viz->layout.cluster.w,
                     viz->layout.cluster.h};
    pen_clip(renderer, &clip);
    draw_cluster(viz, renderer);
    pen_clip(renderer, NULL);
    draw_panel(viz, renderer);
    draw_diagram(viz, renderer);
    draw_overview(viz, renderer);
    draw_status(viz, renderer);
    draw_help(viz, renderer);
}

/* ---- input: clicks ----------------------------------------------------------------- */

static double segment_distance(int px, int py, int ax, int ay, int bx, int by) {
    double dx = bx - ax, dy = by - ay;
    double len2 = dx * dx + dy * dy;
    double f = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    double ex = ax + f * dx - px, ey = ay + f * dy - py;
    return sqrt(ex * ex + ey * ey);
}

static bool click_cluster(struct fl_viz *viz, int x, int y) {
    const struct fl_trace_file *t = viz->trace;
    for (uint32_t k = 0; k < t->node_count; k++) {
        int cx, cy;
        fl_viz_node_center(viz, k, &cx, &cy);
        int r = viz->layout.disc_radius + 3;
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) {
            viz->selected_node = k;
            viz->selected_message = FL_TF_NONE;
            return true;
        }
    }
    uint32_t first, last, best = FL_TF_NONE;
    double best_d = 10;
    alive_range(viz, viz->t_ns, &first, &last);
    for (uint32_t i = first; i < last && i - first < DOTS_MAX * 4; i++) {
        const struct fl_tf_message *m = &t->messages[i];
        double f;
        bool dead;
        if (!passes_filter(viz, m) || !message_fraction(viz, m, viz->t_ns, &f, &dead)) continue;
        int ax, ay, bx, by;
        fl_viz_node_center(viz, m->from, &ax, &ay);
        fl_viz_node_center(viz, m->to, &bx, &by);
        double dx = ax + (bx - ax) * f - x, dy = ay + (by - ay) * f - y;
        double d = sqrt(dx * dx + dy * dy);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    if (best == FL_TF_NONE) return false;
    viz->selected_message = best;
    viz->selected_node = FL_TF_NONE;
    return true;
}

static bool click_arrow(struct fl_viz *viz, int x, int y) {
    const struct fl_trace_file *t = viz->trace;
    uint64_t t0, t1;
    fl_viz_window(viz, &t0, &t1);
    uint64_t back = t->flight_ns_max;
    uint32_t first = fl_tf_message_at(t, t0 > back ? t0 - back : 0);
    uint32_t last = fl_tf_message_at(t, t1);
    uint32_t stride = (last - first) / FL_VIZ_DRAW_MAX + 1;
    uint32_t best = FL_TF_NONE;
    double best_d = 5;
    for (uint32_t i = first; i < last; i += stride) {
        const struct fl_tf_message *m = &t->messages[i];
        if (m->fate != FL_TF_FATE_IN_FLIGHT && m->end_ns < t0) continue;
        if (!passes_filter(viz, m)) continue;
        uint64_t end = m->fate == FL_TF_FATE_IN_FLIGHT ? t->end_ns : m->end_ns;
        int xa = fl_viz_time_x(viz, m->send_ns), ya = fl_viz_lane_y(viz, m->from);
        int xb = fl_viz_time_x(viz, end), yb = fl_viz_lane_y(viz, m->to);
        if (end == m->send_ns) xb = xa + 6, yb = ya + (yb - ya) / 4;
        double d = segment_distance(x, y, xa, ya, xb, yb);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    if (best == FL_TF_NONE) return false;
    viz->selected_message = best;
    viz->selected_node = FL_TF_NONE;
    return true;
}

void fl_viz_click(struct fl_viz *viz, int x, int y, bool down) {
    const struct fl_viz_layout *l = &viz->layout;
    if (!down) { /* a drag: only the scrubbing follows it */
        if (!viz->dragging) return;
        if (in_rect(&l->overview, x, y) || y >= l->overview.y - 20) {
            int xa = overview_x(viz, 0), xb = overview_x(viz, viz->trace->end_ns);
            double f = xb > xa ? (double)(x - xa) / (xb - xa) : 0;
            fl_viz_seek(viz, f <= 0 ? 0 : (uint64_t)(f * (double)viz->trace->end_ns));
        } else {
            fl_viz_seek(viz, x_to_time(viz, x));
        }
        return;
    }
    viz->dragging = false;
    viz->note[0] = '\0';
    if (in_rect(&l->overview, x, y)) {
        viz->dragging = true;
        fl_viz_click(viz, x, y, false);
        return;
    }
    if (in_rect(&l->cluster, x, y)) {
        if (!click_cluster(viz, x, y)) {
            viz->selected_node = FL_TF_NONE;
            viz->selected_message = FL_TF_NONE;
        }
        return;
    }
    if (in_rect(&l->diagram, x, y)) {
        int x0, x1, y0, y1;
        lanes_box(viz, &x0, &x1, &y0, &y1);
        if (x < x0) { /* a lane's name: that node */
            uint32_t n = viz->trace->node_count;
            for (uint32_t k = 0; k < n; k++) {
                if (abs(fl_viz_lane_y(viz, k) - y) <= (y1 - y0) / (int)(2 * n) + 1) {
                    viz->selected_node = k;
                    viz->selected_message = FL_TF_NONE;
                }
            }
            return;
        }
        if (y < y1 && click_arrow(viz, x, y)) return;
        /* Anywhere else on the diagram, and on its axis: move the cursor
         * there, and follow a drag (the window stays put inside it). */
        viz->dragging = true;
        fl_viz_seek(viz, x_to_time(viz, x));
    }
}
