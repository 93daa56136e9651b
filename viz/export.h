/*
 * export: a loaded trace (viz/trace_file.h) written out for other tools.
 *
 *   Perfetto   Chrome trace-event JSON (the "JSON Object Format"), which
 *              ui.perfetto.dev and chrome://tracing open: one track per node,
 *              a slice per handler run, an arrow per delivered message, faults
 *              and the violation as instant events, each node's role as a
 *              counter. For exploring a run interactively.
 *   SVG        a static space-time diagram (one lane per node, time to the
 *              right, an arrow per message), for handouts and reviews. A long
 *              trace is cut to a window, and the picture says what was cut.
 *
 * Both only read the trace and write to a FILE the caller opened (the CLI
 * writes to a temporary and renames it, so a reader never sees half a file);
 * they return false when writing failed. Neither needs SDL. docs/exports.md
 * describes what each track, mark and colour means.
 */
#ifndef FL_VIZ_EXPORT_H
#define FL_VIZ_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trace_file.h"

/* --- Perfetto ----------------------------------------------------------------- */

/* Writes the trace as one JSON object {"traceEvents":[...], ...}; process_name
 * names the run's one process (the trace file's name, say). */
bool fl_export_perfetto(const struct fl_trace_file *trace, const char *process_name, FILE *out);

/* --- SVG ------------------------------------------------------------------------- */

#define FL_EXPORT_SVG_MESSAGES_DEFAULT 500u

struct fl_export_svg_options {
    bool window_set;       /* from_ns / to_ns given; else the first messages_max copies */
    uint64_t from_ns;      /* window start, simulated ns */
    uint64_t to_ns;        /* window end (inclusive), simulated ns */
    uint32_t messages_max; /* the default window's size; 0: FL_EXPORT_SVG_MESSAGES_DEFAULT */
    const char *title;     /* the heading (the trace file's name); NULL for none */
};

/* What a diagram shows: the time span, and the message copies drawn (those
 * sent in it, or the first messages_max): messages[message_first, message_end). */
struct fl_export_window {
    uint64_t from_ns;
    uint64_t to_ns;
    uint32_t message_first;
    uint32_t message_end;
    bool cut; /* some of the trace (time or messages) is not shown */
};

/* The window fl_export_svg draws for these options. */
void fl_export_svg_window(const struct fl_trace_file *trace,
                          const struct fl_export_svg_options *options,
                          struct fl_export_window *window);
bool fl_export_svg(const struct fl_trace_file *trace, const struct fl_export_svg_options *options,
                   FILE *out);

/* --- shared by the two writers (export.c) ----------------------------------------- */

/* text as the inside of a JSON string: quotes, backslashes and control
 * characters escaped, bytes that are not UTF-8 replaced by U+FFFD. */
void fl_export_json_text(FILE *out, const char *text);
/* text as XML character data or an attribute value: & < > " ' escaped,
 * control characters (not allowed in XML 1.0) and bytes that are not UTF-8
 * replaced by U+FFFD. */
void fl_export_xml_text(FILE *out, const char *text);
/* Nanoseconds as microseconds with three decimals, "1146.158": the
 * trace-event format's unit, at the trace's precision. */
void fl_export_us(FILE *out, uint64_t ns);
/* A short duration for a person: "0", "250us", "1.5ms", "12s". */
void fl_export_duration(char *out, size_t out_size, uint64_t ns);

#endif /* FL_VIZ_EXPORT_H */
