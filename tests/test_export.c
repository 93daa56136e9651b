/*
 * test_export: the Perfetto and SVG exports of traces from real runs (echo,
 * wal, gossip, through the embedding API), read back: the JSON with cJSON
 * (tracks, slices, one flow pair per delivered message, instants for the
 * faults), the SVG with a small well-formedness checker written here
 * (balanced tags, quoted attributes, escaped text), and with lanes and
 * arrows counted against the trace.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h> /* after the headers it needs */

#include "export.h"
#include "faultline/faultline.h"
#include "probe.h"
#include "trace_file.h"

/* --- runs and their traces ------------------------------------------------------ */

struct traced_run {
    struct fl_result result;
    struct fl_trace_file trace;
};

static void run_traced(const char *scenario_path, uint64_t seed, struct traced_run *run) {
    struct fl_scenario *scenario = load_shipped(scenario_path);
    FILE *file = tmpfile();
    assert_non_null(file);
    struct fl_run_options options = {.seed = seed, .trace = file};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    assert_non_null(sim);
    fl_sim_run(sim, &run->result);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
    long size = ftell(file);
    assert_true(size > 0);
    char *text = malloc((size_t)size);
    assert_non_null(text);
    rewind(file);
    assert_int_equal(fread(text, 1, (size_t)size, file), (size_t)size);
    fclose(file);
    struct fl_error error;
    if (!fl_tf_load_memory(&run->trace, text, (size_t)size, scenario_path, &error)) {
        fail_msg("%s", error.message);
    }
    free(text);
}

/* What an export wrote, as one NUL-terminated string. */
struct output {
    char *text;
    size_t size;
    FILE *file;
};

static FILE *output_open(struct output *o) {
    memset(o, 0, sizeof *o);
    o->file = open_memstream(&o->text, &o->size);
    assert_non_null(o->file);
    return o->file;
}

static void output_close(struct output *o) {
    assert_int_equal(fclose(o->file), 0);
    o->file = NULL;
}

static uint64_t count_kind(const struct fl_trace_file *t, uint8_t kind) {
    uint64_t n = 0;
    for (uint64_t i = 0; i < t->event_count; i++)
        n += t->events[i].kind == kind;
    return n;
}

static uint64_t handler_count(const struct fl_trace_file *t) {
    return count_kind(t, FL_TF_START) + count_kind(t, FL_TF_RESTART) +
           count_kind(t, FL_TF_DELIVER) + count_kind(t, FL_TF_TIMER) +
           count_kind(t, FL_TF_DISK_SYNCED);
}

/* The first needle in text at or after p, or NULL: strstr, by hand, because
 * a sanitizer's strstr measures the whole haystack on every call, which makes
 * a loop over a large export quadratic. */
static const char *find(const char *p, const char *needle) {
    for (; *p != '\0'; p++) {
        size_t k = 0;
        while (needle[k] != '\0' && p[k] == needle[k])
            k++;
        if (needle[k] == '\0') return p;
    }
    return NULL;
}

/* --- Perfetto ------------------------------------------------------------------ */

static double number(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static const char *string(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

/* Every "ts" has three decimals: microseconds at nanosecond precision. */
static void check_timestamp_text(const char *json) {
    uint64_t seen = 0;
    for (const char *p = find(json, "\"ts\":"); p != NULL; p = find(p + 1, "\"ts\":")) {
        const char *q = p + 5;
        while (*q >= '0' && *q <= '9')
            q++;
        assert_true(q > p + 5);
        assert_int_equal(*q, '.');
        for (int k = 1; k <= 3; k++)
            assert_true(q[k] >= '0' && q[k] <= '9');
        assert_true(q[4] == ',' || q[4] == '}');
        seen++;
    }
    assert_true(seen > 0);
}

struct slice {
    uint32_t tid;
    double ts;
    double dur;
};

static int compare_slices(const void *a, const void *b) {
    const struct slice *x = a, *y = b;
    if (x->tid != y->tid) return x->tid < y->tid ? -1 : 1;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* A flow point binds to the slice around it on its track (Perfetto's rule
 * for "s", and for "f" with "bp":"e"): there must be one. slices are sorted
 * by track and time, so the candidate is the last one starting at or before ts. */
static bool inside_a_slice(const struct slice *slices, size_t count, uint32_t tid, double ts) {
    size_t lo = 0, hi = count;
    while (lo < hi) { /* the first slice after (tid, ts) */
        size_t mid = lo + (hi - lo) / 2;
        bool after =
            slices[mid].tid > tid || (slices[mid].tid == tid && slices[mid].ts > ts + 1e-6);
        if (after)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo == 0) return false;
    const struct slice *s = &slices[lo - 1];
    return s->tid == tid && ts <= s->ts + s->dur + 1e-6;
}

struct perfetto_seen {
    uint64_t threads;
    uint64_t slices;
    uint64_t flow_starts;
    uint64_t flow_ends;
    uint64_t crashes;
    uint64_t violations;
    uint64_t counters;
};

static void check_flows(const cJSON *events, const struct slice *slices, size_t slice_count,
                        uint32_t message_count, struct perfetto_seen *seen) {
    uint8_t *starts = calloc(message_count + 2u, 1);
    uint8_t *ends = calloc(message_count + 2u, 1);
    assert_true(starts != NULL && ends != NULL);
    const cJSON *e;
    cJSON_ArrayForEach(e, events) {
        const char *ph = string(e, "ph");
        if (strcmp(ph, "s") != 0 && strcmp(ph, "f") != 0) continue;
        double id = number(e, "id");
        assert_true(id >= 1 && id <= message_count);
        assert_string_equal(string(e, "cat"), "message");
        assert_string_equal(string(e, "name"), "message");
        uint8_t *mark = ph[0] == 's' ? starts : ends;
        assert_int_equal(mark[(uint32_t)id], 0); /* one of each per message copy */
        mark[(uint32_t)id] = 1;
        if (ph[0] == 'f') assert_string_equal(string(e, "bp"), "e");
        assert_true(
            inside_a_slice(slices, slice_count, (uint32_t)number(e, "tid"), number(e, "ts")));
        if (ph[0] == 's')
            seen->flow_starts++;
        else
            seen->flow_ends++;
    }
    for (uint32_t id = 1; id <= message_count; id++)
        assert_int_equal(starts[id], ends[id]);
    free(starts);
    free(ends);
}

static void check_perfetto(const struct traced_run *run) {
    const struct fl_trace_file *t = &run->trace;
    struct output o;
    assert_true(fl_export_perfetto(t, "test", output_open(&o)));
    output_close(&o);
    check_timestamp_text(o.text);
    cJSON *root = cJSON_Parse(o.text);
    assert_non_null(root);
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(root, "traceEvents");
    assert_true(cJSON_IsArray(events));
    size_t slice_cap = (size_t)cJSON_GetArraySize(events);
    struct slice *slices = calloc(slice_cap + 1, sizeof *slices);
    assert_non_null(slices);
    struct perfetto_seen seen = {0};
    uint8_t *named = calloc(t->node_count + 2u, 1);
    const cJSON *e;
    cJSON_ArrayForEach(e, events) {
        const char *ph = string(e, "ph");
        assert_int_equal(number(e, "pid"), 1);
        if (strcmp(ph, "M") == 0 && strcmp(string(e, "name"), "thread_name") == 0) {
            uint32_t tid = (uint32_t)number(e, "tid");
            const char *name = string(cJSON_GetObjectItemCaseSensitive(e, "args"), "name");
            assert_true(tid >= 1 && tid <= t->node_count + 1);
            assert_int_equal(named[tid], 0);
            named[tid] = 1;
            const char *want = tid <= t->node_count ? fl_tf_node_name(t, tid - 1) : "world";
            assert_string_equal(name, want);
            seen.threads++;
        } else if (strcmp(ph, "X") == 0) {
            assert_true(number(e, "dur") >= 0);
            assert_true(number(e, "ts") >= 0);
            slices[seen.slices++] =
                (struct slice){(uint32_t)number(e, "tid"), number(e, "ts"), number(e, "dur")};
        } else if (strcmp(ph, "i") == 0) {
            assert_string_equal(string(e, "s"), "t");
            seen.crashes += strcmp(string(e, "name"), "crash") == 0;
            seen.violations += strcmp(string(e, "name"), "violation") == 0;
        } else if (strcmp(ph, "C") == 0) {
            assert_true(number(cJSON_GetObjectItemCaseSensitive(e, "args"), "role") >= 0);
            seen.counters++;
        }
    }
    /* One track per node, each named once, and the world's. */
    assert_int_equal(seen.threads, t->node_count + 1);
    assert_int_equal(seen.slices, handler_count(t));
    /* Slices on one track never overlap: Perfetto needs them nested. */
    qsort(slices, seen.slices, sizeof *slices, compare_slices);
    for (size_t i = 1; i < seen.slices; i++) {
        if (slices[i].tid != slices[i - 1].tid) continue;
        if (slices[i - 1].ts + slices[i - 1].dur > slices[i].ts + 1e-6) {
            fail_msg("tid %u: slice at %.3f + %.3f overlaps the one at %.3f", slices[i].tid,
                     slices[i - 1].ts, slices[i - 1].dur, slices[i].ts);
        }
    }
    check_flows(events, slices, seen.slices, t->message_count, &seen);
    assert_int_equal(seen.flow_starts, run->result.messages_delivered);
    assert_int_equal(seen.flow_ends, run->result.messages_delivered);
    assert_int_equal(seen.crashes, count_kind(t, FL_TF_CRASH));
    assert_int_equal(seen.violations, run->result.violation_count);
    assert_true(seen.counters > 0); /* every shipped model describes its roles */
    free(named);
    free(slices);
    cJSON_Delete(root);
    free(o.text);
}

static void test_perfetto_of_echo_partition(void **state) {
    (void)state;
    struct traced_run run;
    run_traced("scenarios/echo/partition.json", 3, &run);
    assert_true(run.result.messages_delivered > 0);
    check_perfetto(&run);
    fl_tf_free(&run.trace);
}

static void test_perfetto_of_wal_crashes_has_an_instant_per_crash(void **state) {
    (void)state;
    struct traced_run run;
    run_traced("scenarios/wal/crashes.json", 2, &run);
    assert_true(count_kind(&run.trace, FL_TF_CRASH) > 0);
    check_perfetto(&run);
    fl_tf_free(&run.trace);
}

static void test_perfetto_of_a_violation(void **state) {
    (void)state;
    struct traced_run run;
    run_traced("scenarios/echo/shared-buffer.json", 1, &run);
    assert_int_equal(run.result.violation_count, 1);
    check_perfetto(&run);
    fl_tf_free(&run.trace);
}

static void test_perfetto_of_gossip(void **state) {
    (void)state;
    struct traced_run run;
    run_traced("scenarios/gossip/mesh.json", 1, &run);
    check_perfetto(&run);
    fl_tf_free(&run.trace);
}

/* --- SVG --------------------------------------------------------------------------- */

static bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == ':' || c == '.';
}

/* An entity at p ("&amp;" ...) or a character reference; returns its length or 0. */
static size_t entity_length(const char *p) {
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
        if (strncmp(p, entities[i], strlen(entities[i])) == 0) return strlen(entities[i]);
    }
    if (p[1] == '#') {
        size_t n = 2;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n > 2 && p[n] == ';') return n + 1;
    }
    return 0;
}

/* The checker's verdict: NULL, or what is wrong and where. */
static char xml_problem[160];

static bool xml_fail(const char *what, const char *at) {
    snprintf(xml_problem, sizeof xml_problem, "%s at \"%.40s\"", what, at);
    return false;
}

/* Text between tags: no '<' (it would start a tag), '&' only as an entity,
 * no control characters besides tab, LF and CR. */
static bool check_text(const char **pp) {
    const char *p = *pp;
    while (*p != '\0' && *p != '<') {
        unsigned char c = (unsigned char)*p;
        if (*p == '&') {
            size_t n = entity_length(p);
            if (n == 0) return xml_fail("an unescaped & in text", p);
            p += n;
        } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return xml_fail("a control character", p);
        } else {
            p++;
        }
    }
    *pp = p;
    return true;
}

/* Attributes up to '>' or '/>': name="value", the value without '<' and with
 * '&' only as an entity. Leaves *pp at the '>' or '/'. */
static bool check_attributes(const char **pp) {
    const char *p = *pp;
    for (;;) {
        bool spaced = false;
        while (*p == ' ' || *p == '\n' || *p == '\t')
            p++, spaced = true;
        if (*p == '>' || (*p == '/' && p[1] == '>')) break;
        if (!spaced) return xml_fail("attributes not separated by space", p);
        if (!name_char(*p)) return xml_fail("expected an attribute name", p);
        while (name_char(*p))
            p++;
        if (*p != '=') return xml_fail("an attribute without =\"...\"", p);
        p++;
        if (*p != '"' && *p != '\'') return xml_fail("an unquoted attribute value", p);
        char quote = *p++;
        while (*p != quote) {
            if (*p == '\0' || *p == '<') return xml_fail("a bad attribute value", p);
            if (*p == '&') {
                size_t n = entity_length(p);
                if (n == 0) return xml_fail("an unescaped & in an attribute", p);
                p += n;
            } else {
                p++;
            }
        }
        p++;
    }
    *pp = p;
    return true;
}

/* Well-formed XML in the subset an SVG writer uses: a prolog, elements with
 * attributes, text; no comments, CDATA or DTD; one root element. */
static bool well_formed(const char *xml) {
    enum { DEPTH_MAX = 64, NAME_MAX = 32 };
    char stack[DEPTH_MAX][NAME_MAX];
    int depth = 0, roots = 0;
    const char *p = xml;
    if (strncmp(p, "<?xml ", 6) == 0) {
        p = strstr(p, "?>");
        if (p == NULL) return xml_fail("an unclosed prolog", xml);
        p += 2;
    }
    for (;;) {
        if (!check_text(&p)) return false;
        if (*p == '\0') break;
        const char *tag = p++;
        bool closing = *p == '/';
        if (closing) p++;
        const char *name = p;
        while (name_char(*p))
            p++;
        size_t len = (size_t)(p - name);
        if (len == 0 || len >= NAME_MAX) return xml_fail("a bad tag name", tag);
        if (closing) {
            if (depth == 0) return xml_fail("a closing tag with nothing open", tag);
            depth--;
            if (strlen(stack[depth]) != len || strncmp(stack[depth], name, len) != 0) {
                return xml_fail("a closing tag of another element", tag);
            }
            if (*p++ != '>') return xml_fail("a closing tag not ended by >", tag);
            continue;
        }
        if (depth == 0 && ++roots > 1) return xml_fail("a second root element", tag);
        if (!check_attributes(&p)) return false;
        if (*p == '/') {
            p += 2; /* an empty element */
            continue;
        }
        p++;
        if (depth == DEPTH_MAX) return xml_fail("nesting too deep", tag);
        memcpy(stack[depth], name, len);
        stack[depth++][len] = '\0';
    }
    if (depth != 0) return xml_fail("an element never closed", stack[depth - 1]);
    if (roots != 1) return xml_fail("no root element", xml);
    return true;
}

static void check_well_formed(const char *xml) {
    if (!well_formed(xml)) fail_msg("not well-formed XML: %s", xml_problem);
}

static uint64_t occurrences(const char *text, const char *needle) {
    uint64_t n = 0;
    for (const char *p = find(text, needle); p != NULL; p = find(p + 1, needle))
        n++;
    return n;
}

static char *svg_of(const struct fl_trace_file *t, const struct fl_export_svg_options *options) {
    struct output o;
    assert_true(fl_export_svg(t, options, output_open(&o)));
    output_close(&o);
    check_well_formed(o.text);
    return o.text;
}

static void check_svg(const struct fl_trace_file *t, const struct fl_export_svg_options *options) {
    char *svg = svg_of(t, options);
    struct fl_export_window w;
    fl_export_svg_window(t, options, &w);
    assert_int_equal(occurrences(svg, "<g class=\"lane\">"), t->node_count);
    assert_int_equal(occurrences(svg, "<line class=\"msg"), w.message_end - w.message_first);
    for (uint32_t i = w.message_first; i < w.message_end; i++) {
        assert_true(t->messages[i].send_ns >= w.from_ns && t->messages[i].send_ns <= w.to_ns);
    }
    /* The note says whether, and what, was cut. */
    assert_int_equal(find(svg, "Cut: showing") != NULL, w.cut);
    free(svg);
}

static void test_svg_of_real_runs_has_a_lane_per_node_and_an_arrow_per_message(void **state) {
    (void)state;
    static const char *const paths[] = {"scenarios/echo/partition.json",
                                        "scenarios/wal/crashes.json", "scenarios/gossip/mesh.json",
                                        "scenarios/echo/shared-buffer.json"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct traced_run run;
        run_traced(paths[i], 2, &run);
        struct fl_export_svg_options options = {.title = paths[i]};
        check_svg(&run.trace, &options);
        fl_tf_free(&run.trace);
    }
}

static void test_svg_default_window_is_the_first_500_messages(void **state) {
    (void)state;
    struct traced_run run;
    run_traced("scenarios/wal/crashes.json", 2, &run);
    assert_true(run.trace.message_count > FL_EXPORT_SVG_MESSAGES_DEFAULT);
    struct fl_export_svg_options options = {0};
    struct fl_export_window w;
    fl_export_svg_window(&run.trace, &options, &w);
    assert_int_equal(w.message_first, 0);
    assert_int_equal(w.message_end, FL_EXPORT_SVG_MESSAGES_DEFAULT);
    assert_true(w.cut);
    check_svg(&run.trace, &options);
    fl_tf_free(&run.trace);
}

static void test_svg_window_from_to_draws_the_messages_sent_in_it(void **state) {
    (void)state;
    struct traced_run run;
    run_traced("scenarios/wal/crashes.json", 2, &run);
    struct fl_export_svg_options options = {
        .window_set = true, .from_ns = 2000000000ull, .to_ns = 2500000000ull};
    struct fl_export_window w;
    fl_export_svg_window(&run.trace, &options, &w);
    uint32_t expected = 0;
    for (uint32_t i = 0; i < run.trace.message_count; i++) {
        uint64_t t = run.trace.messages[i].send_ns;
        expected += t >= options.from_ns && t <= options.to_ns;
    }
    assert_true(expected > 0);
    assert_int_equal(w.message_end - w.message_first, expected);
    assert_true(w.cut);
    check_svg(&run.trace, &options);
    fl_tf_free(&run.trace);
}

/* Text from the model and the checks reaches the picture escaped. */
static void test_svg_and_json_escape_model_text(void **state) {
    (void)state;
    static const char trace_text[] =
        "{\"id\":1,\"t\":0,\"kind\":\"start\",\"node\":\"n1\",\"cause\":0,\"incarnation\":0}\n"
        "{\"t\":0,\"kind\":\"view\",\"node\":\"n1\",\"after\":1,\"role\":\"<lead&er>\","
        "\"label\":\"a \\\"b\\\" 'c'\"}\n"
        "{\"id\":2,\"t\":0,\"kind\":\"send\",\"node\":\"n1\",\"cause\":1,\"to\":\"n1\",\"size\":1,"
        "\"mkind\":\"<k>\",\"mtext\":\"x & y \\u0001\"}\n"
        "{\"id\":3,\"t\":7,\"kind\":\"deliver\",\"node\":\"n1\",\"cause\":2,\"from\":\"n1\","
        "\"size\":1}\n"
        "{\"id\":4,\"t\":7,\"kind\":\"violation\",\"node\":\"n1\",\"cause\":3,"
        "\"text\":\"check: <b>&amp; \\\"q\\\" caf\\u00e9\"}\n"
        "{\"id\":5,\"t\":7,\"kind\":\"end\",\"node\":null,\"cause\":0,\"reason\":\"violation\"}\n";
    struct fl_trace_file t;
    struct fl_error error;
    if (!fl_tf_load_memory(&t, trace_text, sizeof trace_text - 1, "escape.jsonl", &error)) {
        fail_msg("%s", error.message);
    }
    struct fl_export_svg_options options = {.title = "a<b>&c"};
    char *svg = svg_of(&t, &options); /* well-formed, or the checker fails */
    assert_non_null(strstr(svg, "&lt;lead&amp;er&gt;"));
    assert_non_null(strstr(svg, "check: &lt;b&gt;&amp;amp; &quot;q&quot; caf\xc3\xa9"));
    assert_non_null(strstr(svg, "a&lt;b&gt;&amp;c"));
    free(svg);
    struct output o;
    assert_true(fl_export_perfetto(&t, "p\"q", output_open(&o)));
    output_close(&o);
    cJSON *root = cJSON_Parse(o.text);
    assert_non_null(root);
    assert_non_null(strstr(o.text, "\"name\":\"<k>\""));
    assert_non_null(strstr(o.text, "x & y \\u0001"));
    cJSON_Delete(root);
    free(o.text);
    fl_tf_free(&t);
}

/* The checker itself: each flaw it exists for is caught. */
static void test_well_formedness_checker_catches_flaws(void **state) {
    (void)state;
    assert_true(
        well_formed("<?xml version=\"1.0\"?>\n<svg a=\"1\"><g><t>x &amp; y</t></g><e/></svg>\n"));
    static const char *const bad[] = {
        "<svg><g></svg>",             /* unbalanced */
        "<svg><g></g>",               /* never closed */
        "<svg a=1></svg>",            /* unquoted attribute */
        "<svg a=\"x<y\"></svg>",      /* < in an attribute */
        "<svg a=\"x&y\"></svg>",      /* raw & in an attribute */
        "<svg>x & y</svg>",           /* raw & in text */
        "<svg>x \x01 y</svg>",        /* a control character */
        "<svg></svg><svg></svg>",     /* two roots */
        "<svg a=\"1\"b=\"2\"></svg>", /* attributes run together */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (well_formed(bad[i])) fail_msg("accepted %s", bad[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perfetto_of_echo_partition),
        cmocka_unit_test(test_perfetto_of_wal_crashes_has_an_instant_per_crash),
        cmocka_unit_test(test_perfetto_of_a_violation),
        cmocka_unit_test(test_perfetto_of_gossip),
        cmocka_unit_test(test_svg_of_real_runs_has_a_lane_per_node_and_an_arrow_per_message),
        cmocka_unit_test(test_svg_default_window_is_the_first_500_messages),
        cmocka_unit_test(test_svg_window_from_to_draws_the_messages_sent_in_it),
        cmocka_unit_test(test_svg_and_json_escape_model_text),
        cmocka_unit_test(test_well_formedness_checker_catches_flaws),
    };
    return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
