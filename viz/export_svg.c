/*
 * export_svg: a static space-time diagram of a trace, for handouts.
 *
 * One lane per node (servers, then clients), time to the right. Each message
 * copy is a line from its send (sender's lane) to its delivery (receiver's
 * lane) with an arrowhead; a dropped copy ends in an x where it died (a copy
 * dropped at send, by loss or a partition, is a short stub towards its
 * receiver); a copy still in flight at the window's right edge, or at the
 * end of the run, is dashed and cut at the edge. A lane's background is
 * coloured by the node's role (the model's describe_state) and grey while it
 * is down. Marks: a crash is a black square, a restart a green triangle, a
 * pause an orange bar over the lane, a clock jump a blue diamond, a disk
 * fault an orange diamond, a network fault a dashed purple line across all
 * lanes with its text at the top, the violation a red circle and a red line
 * with its text. Every line and mark has a <title>: a viewer shows it on
 * hover.
 *
 * A long trace is cut to a window, so a picture stays readable (20 nodes x
 * 500 messages at 1600 px): by default the first FL_EXPORT_SVG_MESSAGES_DEFAULT
 * message copies, or what --from/--to ask for; a note under the title says
 * what was left out. Every text from the trace is escaped for XML. Numbers are
 * printed with one decimal: a picture, not data, so doubles are fine here.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

#define LANE_PX 26.0
#define LEFT_PX 80.0
#define RIGHT_PX 30.0
#define TOP_PX 78.0
#define BOTTOM_PX 40.0
#define PLOT_PX 1600.0
#define STUB_PX 14.0
#define TICKS_TARGET 10
#define ROLES_MAX 64u

/* Light backgrounds for roles, distinct enough side by side; more roles reuse them. */
static const char *const role_colours[] = {
    "#dbe9f6", "#fde2c8", "#d9f0d3", "#f3d9ec", "#fff3b0", "#d5f0f0", "#e6dcf5", "#f7dcdc",
};
#define ROLE_COLOUR_COUNT (sizeof role_colours / sizeof role_colours[0])

struct svg {
    const struct fl_trace_file *t;
    FILE *out;
    struct fl_export_window w;
    double px_per_ns;
    uint32_t roles[ROLES_MAX]; /* arena offsets of distinct roles, by number - 1 */
    uint32_t role_count;
};

/* --- the window ------------------------------------------------------------------ */

void fl_export_svg_window(const struct fl_trace_file *trace,
                          const struct fl_export_svg_options *options, struct fl_export_window *w) {
    memset(w, 0, sizeof *w);
    if (options->window_set) {
        assert(options->from_ns <= options->to_ns);
        w->from_ns = options->from_ns;
        w->to_ns = options->to_ns < trace->end_ns ? options->to_ns : trace->end_ns;
        if (w->to_ns < w->from_ns) w->to_ns = w->from_ns;
        w->message_first = fl_tf_message_at(trace, w->from_ns);
        w->message_end =
            w->to_ns == UINT64_MAX ? trace->message_count : fl_tf_message_at(trace, w->to_ns + 1);
        w->cut = w->from_ns > 0 || w->to_ns < trace->end_ns;
        return;
    }
    uint32_t max = options->messages_max ? options->messages_max : FL_EXPORT_SVG_MESSAGES_DEFAULT;
    w->message_first = 0;
    w->message_end = trace->message_count < max ? trace->message_count : max;
    w->to_ns = trace->end_ns;
    if (w->message_end < trace->message_count) {
        /* Up to where the last shown copy arrived (or was last seen), so its
         * arrow is whole, but not past the run. */
        uint64_t to = 0;
        for (uint32_t i = 0; i < w->message_end; i++) {
            const struct fl_tf_message *m = &trace->messages[i];
            uint64_t last = m->end_ns == FL_TF_NEVER ? m->send_ns : m->end_ns;
            if (last > to) to = last;
        }
        w->to_ns = to < trace->end_ns ? to : trace->end_ns;
        w->cut = true;
    }
}

/* --- geometry ---------------------------------------------------------------------- */

static double x_of(const struct svg *s, uint64_t t_ns) {
    if (t_ns <= s->w.from_ns) return LEFT_PX;
    if (t_ns >= s->w.to_ns) return LEFT_PX + PLOT_PX;
    return LEFT_PX + (double)(t_ns - s->w.from_ns) * s->px_per_ns;
}

static double y_of(uint32_t node) {
    return TOP_PX + LANE_PX * node + LANE_PX / 2;
}

static bool in_window(const struct svg *s, uint64_t t_ns) {
    return t_ns >= s->w.from_ns && t_ns <= s->w.to_ns;
}

static uint32_t role_number(struct svg *s, uint32_t role) {
    const char *name = fl_tf_str(s->t, role);
    if (name[0] == '\0') return 0;
    for (uint32_t i = 0; i < s->role_count; i++) {
        if (strcmp(fl_tf_str(s->t, s->roles[i]), name) == 0) return i + 1;
    }
    if (s->role_count == ROLES_MAX) return ROLES_MAX;
    s->roles[s->role_count++] = role;
    return s->role_count;
}

static const char *role_colour(uint32_t number) {
    assert(number > 0);
    return role_colours[(number - 1) % ROLE_COLOUR_COUNT];
}

/* --- pieces ------------------------------------------------------------------------ */

static void text_at(struct svg *s, double x, double y, const char *attrs, const char *text) {
    fprintf(s->out, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
    fl_export_xml_text(s->out, text);
    fputs("</text>\n", s->out);
}

static void title(struct svg *s, const char *text) {
    fputs("<title>", s->out);
    fl_export_xml_text(s->out, text);
    fputs("</title>", s->out);
}

static void write_header(struct svg *s, const struct fl_export_svg_options *options) {
    const struct fl_trace_file *t = s->t;
    char from[32], to[32], end[32], line[320];
    fl_export_duration(from, sizeof from, s->w.from_ns);
    fl_export_duration(to, sizeof to, s->w.to_ns);
    fl_export_duration(end, sizeof end, t->end_ns);
    if (options->title != NULL)
        text_at(s, LEFT_PX, 20, "font-size=\"15\" font-weight=\"bold\"", options->title);
    uint32_t shown = s->w.message_end - s->w.message_first;
    if (s->w.cut && shown == 0) {
        snprintf(line, sizeof line,
                 "Cut: showing %s to %s of a %s run, in which no message was sent; the rest "
                 "is left out (faultline export --format svg --from TIME --to TIME)",
                 from, to, end);
    } else if (s->w.cut) {
        snprintf(line, sizeof line,
                 "Cut: showing %s to %s of a %s run, message copies %u to %u of %u; "
                 "the rest is left out (faultline export --format svg --from TIME --to TIME)",
                 from, to, end, s->w.message_first + 1, s->w.message_end, t->message_count);
    } else {
        snprintf(line, sizeof line, "The whole run: %s, %u message copies, %u nodes", end,
                 t->message_count, t->node_count);
    }
    text_at(s, LEFT_PX, 38, "class=\"note\" fill=\"#444\"", line);
}

/* Role colours and what the marks mean, on one line. */
static void write_legend(struct svg *s) {
    double x = LEFT_PX;
    double y = 56;
    for (uint32_t i = 0; i < s->role_count && i < ROLE_COLOUR_COUNT; i++) {
        fprintf(s->out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\" "
                "stroke=\"#999\"/>\n",
                x, y - 10, role_colour(i + 1));
        text_at(s, x + 16, y, "", fl_tf_str(s->t, s->roles[i]));
        x += 24 + 7.0 * (double)strlen(fl_tf_str(s->t, s->roles[i]));
    }
    fprintf(s->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"#d0d0d0\"/>\n",
            x, y - 10);
    text_at(s, x + 16, y, "", "down");
    x += 60;
    text_at(s, x, y, "fill=\"#444\"",
            "\xe2\x96\xa0 crash   \xe2\x96\xb2 restart   \xe2\x97\x86 clock jump (blue), disk "
            "fault (orange)   x dropped   dashed: in flight   purple: network fault   red: "
            "violation");
}

static void write_axis(struct svg *s, double bottom) {
    uint64_t span = s->w.to_ns - s->w.from_ns;
    uint64_t step = 1;
    while (span / step > TICKS_TARGET) {
        if (span / (step * 2) <= TICKS_TARGET)
            step *= 2;
        else if (span / (step * 5) <= TICKS_TARGET)
            step *= 5;
        else
            step *= 10;
    }
    fprintf(s->out,
            "<g class=\"axis\">\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#333\"/>\n",
            LEFT_PX, bottom, LEFT_PX + PLOT_PX, bottom);
    for (uint64_t t = (s->w.from_ns + step - 1) / step * step; t <= s->w.to_ns; t += step) {
        double x = x_of(s, t);
        char label[32];
        fl_export_duration(label, sizeof label, t);
        fprintf(s->out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                x, TOP_PX, x, bottom, x, bottom, x, bottom + 5);
        text_at(s, x, bottom + 17, "text-anchor=\"middle\"", label);
        if (t > UINT64_MAX - step) break;
    }
    fputs("</g>\n", s->out);
}

static void write_band(struct svg *s, uint32_t node, uint64_t from_ns, uint64_t until_ns,
                       const struct fl_tf_change *change, uint32_t number) {
    const struct fl_trace_file *t = s->t;
    if (until_ns < s->w.from_ns || from_ns > s->w.to_ns) return;
    if (change->up && number == 0) return; /* no role: the plain lane */
    double x1 = x_of(s, from_ns), x2 = x_of(s, until_ns);
    fprintf(s->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">", x1,
            TOP_PX + LANE_PX * node + 1, x2 - x1 > 0.5 ? x2 - x1 : 0.5, LANE_PX - 2,
            change->up ? role_colour(number) : "#d0d0d0");
    char tip[160];
    const char *label = fl_tf_str(t, change->label);
    snprintf(tip, sizeof tip, "%s %s%s%s", fl_tf_node_name(t, node),
             change->up ? fl_tf_str(t, change->role) : "down",
             change->up && label[0] != '\0' ? ", from " : "", change->up ? label : "");
    title(s, tip);
    fputs("</rect>\n", s->out);
}

/* The lane's background: one band per stretch of one role (grey while
 * down); label changes within a role do not start a new band. */
static void write_bands(struct svg *s, uint32_t node) {
    const struct fl_trace_file *t = s->t;
    uint32_t first = t->node_changes_first[node], end = t->node_changes_first[node + 1];
    uint32_t band = first; /* the change that started the current band */
    uint32_t band_number = 0;
    for (uint32_t c = first; c < end; c++) {
        const struct fl_tf_change *change = &t->changes[c];
        uint32_t number = change->up ? role_number(s, change->role) : UINT32_MAX;
        if (c > first && number == band_number) continue;
        if (c > first) {
            const struct fl_tf_change *b = &t->changes[band];
            write_band(s, node, b->t_ns, change->t_ns, b, b->up ? band_number : 0);
        }
        band = c;
        band_number = number;
    }
    if (end > first) {
        const struct fl_tf_change *b = &t->changes[band];
        write_band(s, node, b->t_ns, s->w.to_ns, b, b->up ? band_number : 0);
    }
}

static void write_lanes(struct svg *s) {
    const struct fl_trace_file *t = s->t;
    for (uint32_t k = 0; k < t->node_count; k++) {
        double y = y_of(k);
        fprintf(s->out, "<g class=\"lane\">\n");
        write_bands(s, k);
        fprintf(s->out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" "
                "stroke-width=\"0.6\"/>\n",
                LEFT_PX, y, LEFT_PX + PLOT_PX, y);
        text_at(s, LEFT_PX - 8, y + 4, "text-anchor=\"end\" font-weight=\"bold\"",
                fl_tf_node_name(t, k));
        fputs("</g>\n", s->out);
    }
}

static void message_title(struct svg *s, const struct fl_tf_message *m) {
    const struct fl_trace_file *t = s->t;
    char sent[32], ended[32], fate[64], tip[320];
    fl_export_duration(sent, sizeof sent, m->send_ns);
    fl_export_duration(ended, sizeof ended, m->end_ns == FL_TF_NEVER ? 0 : m->end_ns);
    if (m->fate == FL_TF_FATE_DELIVERED) {
        snprintf(fate, sizeof fate, "delivered %s%s", ended, m->corrupt ? " (corrupt)" : "");
    } else if (m->fate == FL_TF_FATE_DROPPED) {
        snprintf(fate, sizeof fate, "dropped %s (%s)", ended,
                 fl_tf_drop_reason_name(m->drop_reason));
    } else {
        snprintf(fate, sizeof fate, "in flight at the end");
    }
    const char *mkind = fl_tf_str(t, m->mkind);
    snprintf(tip, sizeof tip, "%s%s%s %s->%s, sent %s, %s", mkind, mkind[0] != '\0' ? " " : "",
             fl_tf_str(t, m->mtext), fl_tf_node_name(t, m->from), fl_tf_node_name(t, m->to), sent,
             fate);
    title(s, tip);
}

static void cross(struct svg *s, double x, double y) {
    fprintf(s->out,
            "<path d=\"M%.1f,%.1f l6,6 m0,-6 l-6,6\" stroke=\"#c00\" stroke-width=\"1.5\" "
            "fill=\"none\"/>\n",
            x - 3, y - 3);
}

static void write_message(struct svg *s, const struct fl_tf_message *m) {
    double x1 = x_of(s, m->send_ns), y1 = y_of(m->from);
    double x2 = 0, y2 = y_of(m->to);
    bool ended = m->end_ns != FL_TF_NEVER;
    bool cut = !ended || m->end_ns > s->w.to_ns;
    bool stub = ended && m->fate == FL_TF_FATE_DROPPED && m->end_ns == m->send_ns;
    if (stub) {
        x2 = x1 + STUB_PX;
        y2 = y1 + (y2 - y1) * 0.3;
    } else if (cut) {
        /* Cut at the right edge, where the straight line would cross it. */
        x2 = LEFT_PX + PLOT_PX;
        if (ended) {
            double full = (double)(m->end_ns - m->send_ns) * s->px_per_ns;
            double shown = x2 - x1;
            if (full > 0) y2 = y1 + (y2 - y1) * (shown / full);
        } else {
            y2 = y1 + (y2 - y1) * 0.5;
        }
    } else {
        x2 = x_of(s, m->end_ns);
    }
    const char *kind = m->fate == FL_TF_FATE_DROPPED && !cut ? "msg dropped"
                       : cut                                 ? "msg cut"
                                                             : "msg";
    const char *colour = m->fate == FL_TF_FATE_DROPPED ? "#b55" : m->corrupt ? "#c70" : "#246";
    fprintf(s->out,
            "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"%s\" stroke-width=\"0.9\" opacity=\"0.8\"%s%s>",
            kind, x1, y1, x2, y2, colour, cut ? " stroke-dasharray=\"4,3\"" : "",
            m->fate == FL_TF_FATE_DELIVERED && !cut ? " marker-end=\"url(#arrow)\"" : "");
    message_title(s, m);
    fputs("</line>\n", s->out);
    if (m->fate == FL_TF_FATE_DROPPED && !cut) cross(s, x2, y2);
}

static void write_messages(struct svg *s) {
    fputs("<g class=\"messages\">\n", s->out);
    for (uint32_t i = s->w.message_first; i < s->w.message_end; i++) {
        write_message(s, &s->t->messages[i]);
    }
    fputs("</g>\n", s->out);
}

static void mark(struct svg *s, const char *shape, double x, double y, const char *fill,
                 const char *tip) {
    if (strcmp(shape, "square") == 0) {
        fprintf(s->out,
                "<rect class=\"fault\" x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" "
                "fill=\"%s\">",
                x - 4, y - 4, fill);
        title(s, tip);
        fputs("</rect>\n", s->out);
        return;
    }
    const char *path =
        strcmp(shape, "triangle") == 0 ? "m0,-5 l5,9 l-10,0 z" : "m0,-5 l5,5 l-5,5 l-5,-5 z";
    fprintf(s->out, "<path class=\"fault\" d=\"M%.1f,%.1f %s\" fill=\"%s\">", x, y, path, fill);
    title(s, tip);
    fputs("</path>\n", s->out);
}

/* A heal or a release is a moment; every other network fault lasts until its
 * end (its duration, or the heal), or to the end of the run without one. */
static bool net_fault_lasts(const char *text) {
    return strncmp(text, "heal", 4) != 0 && strncmp(text, "release", 7) != 0;
}

static void write_fault(struct svg *s, const struct fl_tf_fault *f, double bottom) {
    const struct fl_trace_file *t = s->t;
    const char *text = fl_tf_str(t, f->text);
    char tip[200];
    double x = x_of(s, f->t_ns);
    switch ((enum fl_tf_fault_kind)f->kind) {
    case FL_TF_FAULT_NET: {
        /* A line where it starts, and a strip over the lanes while it lasts
         * (it may have started before the window). */
        if (in_window(s, f->t_ns)) {
            fprintf(s->out,
                    "<line class=\"fault\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                    "y2=\"%.1f\" stroke=\"#839\" stroke-dasharray=\"5,3\">",
                    x, TOP_PX - 4, x, bottom);
            title(s, text);
            fputs("</line>\n", s->out);
        }
        uint64_t end = f->end_ns == FL_TF_NEVER && net_fault_lasts(text) ? s->w.to_ns : f->end_ns;
        if (end != FL_TF_NEVER && end > f->t_ns) {
            double x2 = x_of(s, end);
            fprintf(s->out,
                    "<rect class=\"fault\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"3\" fill=\"#839\" opacity=\"0.6\">",
                    x, TOP_PX - 4, x2 - x > 1 ? x2 - x : 1);
            title(s, text);
            fputs("</rect>\n", s->out);
        }
        text_at(s, x + 2, TOP_PX - 6, "font-size=\"9\" fill=\"#839\"", text);
        return;
    }
    case FL_TF_FAULT_CRASH:
        snprintf(tip, sizeof tip, "crash %s", fl_tf_node_name(t, f->node));
        mark(s, "square", x, y_of(f->node), "#111", tip);
        return;
    case FL_TF_FAULT_PAUSE: {
        uint64_t end = f->end_ns == FL_TF_NEVER ? s->w.to_ns : f->end_ns;
        double x2 = x_of(s, end);
        snprintf(tip, sizeof tip, "pause %s", fl_tf_node_name(t, f->node));
        fprintf(s->out,
                "<rect class=\"fault\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" "
                "fill=\"#e80\">",
                x, y_of(f->node) - 8, x2 - x > 1 ? x2 - x : 1);
        title(s, tip);
        fputs("</rect>\n", s->out);
        return;
    }
    case FL_TF_FAULT_CLOCK_JUMP:
        snprintf(tip, sizeof tip, "clock jump %s by %lld ns", fl_tf_node_name(t, f->node),
                 (long long)f->value);
        mark(s, "diamond", x, y_of(f->node), "#26c", tip);
        return;
    case FL_TF_FAULT_DISK:
        snprintf(tip, sizeof tip, "disk fault %s on %s", text, fl_tf_node_name(t, f->node));
        mark(s, "diamond", x, y_of(f->node), "#e80", tip);
        return;
    }
}

static void write_marks(struct svg *s, double bottom) {
    const struct fl_trace_file *t = s->t;
    fputs("<g class=\"faults\">\n", s->out);
    for (uint32_t i = 0; i < t->fault_count; i++) {
        const struct fl_tf_fault *f = &t->faults[i];
        bool lasting = f->kind == FL_TF_FAULT_PAUSE || f->kind == FL_TF_FAULT_NET;
        bool shown = in_window(s, f->t_ns) ||
                     (lasting && f->t_ns < s->w.from_ns && f->end_ns >= s->w.from_ns &&
                      (f->end_ns != FL_TF_NEVER || f->kind == FL_TF_FAULT_PAUSE ||
                       net_fault_lasts(fl_tf_str(t, f->text))));
        if (shown) write_fault(s, f, bottom);
    }
    for (uint64_t i = 0; i < t->event_count; i++) { /* restarts: the end of a crash */
        const struct fl_tf_event *e = &t->events[i];
        if (e->kind != FL_TF_RESTART || !in_window(s, e->t_ns)) continue;
        char tip[64];
        snprintf(tip, sizeof tip, "restart %s (incarnation %llu)", fl_tf_node_name(t, e->node),
                 (unsigned long long)e->a);
        mark(s, "triangle", x_of(s, e->t_ns), y_of(e->node), "#2a2", tip);
    }
    fputs("</g>\n<g class=\"violations\">\n", s->out);
    for (uint32_t i = 0; i < t->violation_count; i++) {
        const struct fl_tf_violation *v = &t->violations[i];
        if (!in_window(s, v->t_ns)) continue;
        double x = x_of(s, v->t_ns);
        const char *text = fl_tf_str(t, v->text);
        fprintf(s->out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d00\" "
                "stroke-width=\"1.5\"/>\n",
                x, TOP_PX, x, bottom);
        if (v->node != FL_TF_NONE) {
            fprintf(s->out,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"none\" stroke=\"#d00\" "
                    "stroke-width=\"2\">",
                    x, y_of(v->node));
            title(s, text);
            fputs("</circle>\n", s->out);
        }
        text_at(s, x > LEFT_PX + PLOT_PX - 400 ? x - 4 : x + 4, bottom - 4,
                x > LEFT_PX + PLOT_PX - 400 ? "fill=\"#d00\" text-anchor=\"end\"" : "fill=\"#d00\"",
                text);
    }
    fputs("</g>\n", s->out);
}

bool fl_export_svg(const struct fl_trace_file *trace, const struct fl_export_svg_options *options,
                   FILE *out) {
    assert(trace != NULL && options != NULL && out != NULL);
    struct svg *s = calloc(1, sizeof *s);
    if (s == NULL) abort();
    s->t = trace;
    s->out = out;
    fl_export_svg_window(trace, options, &s->w);
    uint64_t span = s->w.to_ns > s->w.from_ns ? s->w.to_ns - s->w.from_ns : 1;
    s->px_per_ns = PLOT_PX / (double)span;
    /* Roles numbered over the whole run, so colours agree between windows. */
    for (uint32_t c = 0; c < trace->change_count; c++)
        role_number(s, trace->changes[c].role);
    double bottom = TOP_PX + LANE_PX * trace->node_count;
    double width = LEFT_PX + PLOT_PX + RIGHT_PX;
    double height = bottom + BOTTOM_PX;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n"
            "<defs><marker id=\"arrow\" viewBox=\"0 0 6 6\" refX=\"6\" refY=\"3\" "
            "markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\">"
            "<path d=\"M0,0 L6,3 L0,6 z\" fill=\"#246\"/></marker></defs>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            width, height, width, height);
    write_header(s, options);
    write_legend(s);
    write_lanes(s);
    write_axis(s, bottom);
    write_messages(s);
    write_marks(s, bottom);
    fputs("</svg>\n", out);
    free(s);
    return fflush(out) == 0 && !ferror(out);
}
