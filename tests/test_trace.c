/*
 * test_trace: every record is one valid JSON line whatever text a model
 * writes, and the fingerprint does not depend on whether a file is written.
 * Descriptions (a send's mkind/mtext/trace, id-less view lines) are written
 * only to the file: they never change the fingerprint, the ids or the count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "faultline/faultline.h"
#include "probe.h"
#include "scenario.h"
#include "sim_internal.h"
#include "trace.h"

static void emit_text(struct fl_trace *trace, const char *text, uint32_t len) {
    struct fl_trace_record r = {.kind = FL_TR_ANNOTATE, .node = 0, .peer = FL_NODE_NONE,
                                .text = text, .text_len = len};
    fl_trace_emit(trace, &r);
}

/* Writes one annotation and returns the JSON line, without its newline. */
static void line_for(const char *text, uint32_t len, char *out, size_t out_size) {
    FILE *file = tmpfile();
    assert_non_null(file);
    uint64_t allocs = 0;
    struct fl_trace trace;
    fl_trace_init(&trace, file, 2, 3, &allocs);
    emit_text(&trace, text, len);
    assert_true(fl_trace_flush(&trace));
    fl_trace_deinit(&trace);
    rewind(file);
    assert_non_null(fgets(out, (int)out_size, file));
    size_t n = strlen(out);
    assert_true(n > 0 && out[n - 1] == '\n');
    out[n - 1] = '\0';
    fclose(file);
}

static void test_text_is_escaped_as_json(void **state) {
    (void)state;
    char line[512];
    static const char text[] = "say \"hi\"\\ now\nthen\x01";
    line_for(text, sizeof text - 1, line, sizeof line);
    assert_non_null(strstr(line, "\"text\":\"say \\\"hi\\\"\\\\ now\\nthen\\u0001\"}"));
    assert_non_null(strstr(line, "{\"id\":1,\"t\":0,\"kind\":\"annotate\",\"node\":\"n1\""));
}

static void test_valid_utf8_is_kept_and_invalid_bytes_replaced(void **state) {
    (void)state;
    char line[512];
    static const char text[] = "caf\xc3\xa9 \xe2\x82\xac \xff \xc0\xaf \xed\xa0\x80 \xe2\x82";
    line_for(text, sizeof text - 1, line, sizeof line);
    /* é and € pass through; a stray 0xff, an overlong '/', a surrogate and a
     * cut-off sequence each become U+FFFD per byte. */
    assert_non_null(strstr(line, "\"text\":\"caf\xc3\xa9 \xe2\x82\xac \\ufffd \\ufffd\\ufffd "
                                 "\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\"}"));
}

static void test_long_text_spanning_buffers_is_one_line(void **state) {
    (void)state;
    static char text[3 * 1024 * 1024];
    memset(text, 'x', sizeof text);
    FILE *file = tmpfile();
    uint64_t allocs = 0;
    struct fl_trace trace;
    fl_trace_init(&trace, file, 1, 1, &allocs);
    emit_text(&trace, text, sizeof text);
    emit_text(&trace, "end", 3);
    fl_trace_deinit(&trace);
    rewind(file);
    int c, lines = 0;
    long length = 0, longest = 0;
    while ((c = fgetc(file)) != EOF) {
        length++;
        if (c == '\n') {
            lines++;
            if (length > longest) longest = length;
            length = 0;
        }
    }
    assert_int_equal(lines, 2);
    assert_true(longest > (long)sizeof text);
    fclose(file);
}

static uint64_t fingerprint_of(FILE *file, int records) {
    uint64_t allocs = 0;
    struct fl_trace trace;
    fl_trace_init(&trace, file, 3, 5, &allocs);
    for (int i = 0; i < records; i++) {
        struct fl_trace_record r = {.kind = FL_TR_SEND, .node = (uint32_t)(i % 5),
                                    .peer = (uint32_t)((i + 1) % 5), .a = 64,
                                    .b = (uint64_t)i * 0x9e3779b97f4a7c15ull,
                                    .cause = i > 0 ? (uint64_t)i : 0, .time_ns = (uint64_t)i};
        fl_trace_emit(&trace, &r);
        if (i % 1000 == 0) emit_text(&trace, "note", 4);
    }
    uint64_t fingerprint = fl_trace_fingerprint(&trace);
    fl_trace_deinit(&trace);
    return fingerprint;
}

static void test_fingerprint_is_the_same_with_or_without_a_file(void **state) {
    (void)state;
    FILE *file = tmpfile();
    uint64_t with = fingerprint_of(file, 100000);
    uint64_t without = fingerprint_of(NULL, 100000);
    assert_int_equal(with, without);
    assert_int_not_equal(without, fingerprint_of(NULL, 99999));
    fclose(file);
}


/* Writes what emit() puts in a 3-node trace and returns the whole file. */
static char *file_of(void (*emit)(struct fl_trace *trace)) {
    FILE *file = tmpfile();
    assert_non_null(file);
    uint64_t allocs = 0;
    struct fl_trace trace;
    fl_trace_init(&trace, file, 2, 3, &allocs);
    emit(&trace);
    assert_true(fl_trace_flush(&trace));
    fl_trace_deinit(&trace);
    long size = ftell(file);
    rewind(file);
    char *text = calloc(1, (size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, file), (size_t)size);
    fclose(file);
    return text;
}

static void emit_described_send(struct fl_trace *trace) {
    struct fl_message_view view;
    memset(&view, 0, sizeof view);
    memcpy(view.kind, "vote\"req", sizeof "vote\"req");
    memcpy(view.text, "term 4\n\xff caf\xc3\xa9", sizeof "term 4\n\xff caf\xc3\xa9");
    view.trace_id = 77;
    struct fl_trace_record r = {.kind = FL_TR_SEND, .node = 0, .peer = 1, .sub = FL_MSG_REQUEST,
                                .a = 8, .request_id = 3, .message_view = &view};
    fl_trace_emit(trace, &r);
}

static void test_send_description_follows_the_fields_escaped(void **state) {
    (void)state;
    char *text = file_of(emit_described_send);
    assert_string_equal(text, "{\"id\":1,\"t\":0,\"kind\":\"send\",\"node\":\"n1\",\"cause\":0,"
                              "\"to\":\"n2\",\"type\":\"request\",\"size\":8,\"req\":3,"
                              "\"mkind\":\"vote\\\"req\",\"mtext\":\"term 4\\n\\ufffd caf\xc3\xa9\","
                              "\"trace\":77}\n");
    free(text);
}

/* A description filled to the last byte without a NUL is cut at its size,
 * and an empty one leaves its field out. */
static void emit_unterminated_send(struct fl_trace *trace) {
    struct fl_message_view view;
    memset(&view, 0, sizeof view);
    memset(view.kind, 'k', sizeof view.kind);
    struct fl_trace_record r = {.kind = FL_TR_SEND, .node = 0, .peer = 1, .a = 8,
                                .message_view = &view};
    fl_trace_emit(trace, &r);
}

static void test_unterminated_description_is_cut_and_empty_fields_left_out(void **state) {
    (void)state;
    char *text = file_of(emit_unterminated_send);
    char want[64] = ",\"mkind\":\"";
    memset(want + strlen(want), 'k', FL_VIEW_ROLE_MAX);
    strcat(want, "\"}\n");
    assert_non_null(strstr(text, want));
    assert_null(strstr(text, "mtext"));
    assert_null(strstr(text, "\"trace\""));
    free(text);
}

static void emit_record_and_view(struct fl_trace *trace) {
    struct fl_trace_record r = {.kind = FL_TR_START, .node = 2, .peer = FL_NODE_NONE,
                                .time_ns = 5};
    fl_trace_emit(trace, &r);
    fl_trace_emit(trace, &r);
    struct fl_state_view view;
    memset(&view, 0, sizeof view);
    memcpy(view.role, "leader", sizeof "leader");
    memcpy(view.label, "term <7>", sizeof "term <7>");
    fl_trace_view(trace, 5, 2, &view);
    memset(&view, 0, sizeof view);
    fl_trace_view(trace, 6, 0, &view);
}

static void test_view_line_has_no_id_and_names_the_record_before(void **state) {
    (void)state;
    char *text = file_of(emit_record_and_view);
    assert_non_null(strstr(text, "\n{\"t\":5,\"kind\":\"view\",\"node\":\"c1\",\"after\":2,"
                                 "\"role\":\"leader\",\"label\":\"term <7>\"}\n"));
    /* An empty view still says so: the node has no role any more. */
    assert_non_null(strstr(text, "\n{\"t\":6,\"kind\":\"view\",\"node\":\"n1\",\"after\":2}\n"));
    free(text);
}

static uint64_t fingerprint_with_views(FILE *file, bool described) {
    uint64_t allocs = 0;
    struct fl_trace trace;
    fl_trace_init(&trace, file, 2, 3, &allocs);
    struct fl_message_view view;
    memset(&view, 0, sizeof view);
    memcpy(view.kind, "ping", 5);
    for (int i = 0; i < 1000; i++) {
        struct fl_trace_record r = {.kind = FL_TR_SEND, .node = 0, .peer = 1, .a = 8,
                                    .time_ns = (uint64_t)i, .message_view = described ? &view : NULL};
        fl_trace_emit(&trace, &r);
        if (described && file != NULL) {
            struct fl_state_view state;
            memset(&state, 0, sizeof state);
            fl_trace_view(&trace, (uint64_t)i, 0, &state);
        }
    }
    assert_int_equal(trace.next_id, 1001);
    uint64_t fingerprint = fl_trace_fingerprint(&trace);
    fl_trace_deinit(&trace);
    return fingerprint;
}

static void test_descriptions_are_not_in_the_fingerprint(void **state) {
    (void)state;
    FILE *file = tmpfile();
    assert_non_null(file);
    uint64_t described = fingerprint_with_views(file, true);
    assert_int_equal(described, fingerprint_with_views(NULL, false));
    assert_int_equal(described, fingerprint_with_views(NULL, true));
    fclose(file);
}

/* Every digit count, at both sides of each power of ten, reads back exactly. */
static void emit_boundary_times(struct fl_trace *trace) {
    uint64_t power = 1;
    for (int digits = 1; digits <= 20; digits++) {
        uint64_t values[2] = {power - 1, power};
        for (int k = 0; k < 2; k++) {
            struct fl_trace_record r = {.kind = FL_TR_CRASH, .node = 0, .peer = FL_NODE_NONE,
                                        .a = values[k]};
            fl_trace_emit(trace, &r);
        }
        if (digits < 20) power *= 10;
    }
    struct fl_trace_record r = {.kind = FL_TR_CRASH, .node = 0, .peer = FL_NODE_NONE,
                                .a = UINT64_MAX};
    fl_trace_emit(trace, &r);
}

static void test_numbers_at_every_digit_boundary_are_exact(void **state) {
    (void)state;
    char *text = file_of(emit_boundary_times);
    uint64_t power = 1;
    const char *p = text;
    for (int digits = 1; digits <= 21; digits++) {
        for (int k = 0; k < 2; k++) {
            if (digits == 21 && k == 1) break;
            uint64_t want = digits == 21 ? UINT64_MAX : k == 0 ? power - 1 : power;
            p = strstr(p, "\"restart_after_ns\":");
            assert_non_null(p);
            p += strlen("\"restart_after_ns\":");
            char *end = NULL;
            unsigned long long got = strtoull(p, &end, 10);
            assert_int_equal(got, want);
            assert_int_equal(*end, '}');
            if (digits == 21) break;
        }
        if (digits < 20) power *= 10;
    }
    free(text);
}

/* --- a real run: views follow the model's state ---------------------------------- */

struct views_seen {
    uint64_t events;
    uint64_t views;
    uint64_t views_after_restart; /* the first view line after a node's restart */
    uint64_t restarts;
    uint64_t described_sends;
    uint64_t sends;
};

/* Reads a wal trace back: every view line differs from the node's previous
 * one unless a crash came between, names the record before it, and follows
 * every restart; every send of the model is described. */
static void check_views(FILE *file, uint32_t server_count, uint32_t node_count,
                        struct views_seen *seen) {
    rewind(file);
    static char line[8192];
    char last[32][160];
    bool restarted[32] = {false};
    memset(last, 0, sizeof last);
    assert_true(node_count <= 32);
    while (fgets(line, sizeof line, file) != NULL) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        const char *kind = cJSON_GetObjectItem(o, "kind")->valuestring;
        cJSON *node = cJSON_GetObjectItem(o, "node");
        int id = -1;
        if (cJSON_IsString(node)) {
            id = atoi(node->valuestring + 1) - 1 +
                 (node->valuestring[0] == 'c' ? (int)server_count : 0);
        }
        if (strcmp(kind, "view") == 0) {
            assert_null(cJSON_GetObjectItem(o, "id"));
            assert_int_equal((uint64_t)cJSON_GetObjectItem(o, "after")->valuedouble, seen->events);
            assert_true(id >= 0 && id < (int)node_count);
            cJSON *role = cJSON_GetObjectItem(o, "role");
            cJSON *label = cJSON_GetObjectItem(o, "label");
            char now[160];
            snprintf(now, sizeof now, "%s|%s", role ? role->valuestring : "",
                     label ? label->valuestring : "");
            if (!restarted[id]) assert_string_not_equal(now, last[id]);
            if (restarted[id]) seen->views_after_restart++;
            restarted[id] = false;
            snprintf(last[id], sizeof last[id], "%s", now);
            seen->views++;
        } else {
            seen->events++;
            assert_int_equal((uint64_t)cJSON_GetObjectItem(o, "id")->valuedouble, seen->events);
            if (strcmp(kind, "restart") == 0) {
                restarted[id] = true;
                seen->restarts++;
            }
            if (strcmp(kind, "send") == 0) {
                seen->sends++;
                if (cJSON_GetObjectItem(o, "mkind") != NULL) seen->described_sends++;
            }
        }
        cJSON_Delete(o);
    }
}

static void test_wal_run_writes_views_on_change_and_after_restarts(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/wal/crashes.json");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        FILE *file = tmpfile();
        assert_non_null(file);
        struct fl_run_options options = {.seed = seed, .trace = file};
        struct fl_sim *sim = fl_sim_create(scenario, &options);
        struct fl_result traced, plain;
        fl_sim_run(sim, &traced);
        fl_sim_destroy(sim);
        run_seed(scenario, seed, &plain);
        assert_int_equal(traced.fingerprint, plain.fingerprint);
        assert_int_equal(traced.events, plain.events);
        struct views_seen seen = {0};
        check_views(file, scenario->server_count,
                    scenario->server_count + scenario->client_count, &seen);
        assert_int_equal(seen.events, traced.events);
        assert_true(seen.views > 0);
        assert_true(seen.restarts > 0);
        assert_int_equal(seen.views_after_restart, seen.restarts);
        assert_true(seen.sends > 0);
        assert_int_equal(seen.described_sends, seen.sends);
        fclose(file);
    }
    fl_scenario_free(scenario);
}

/* The CLI renames its trace into place (closing the file) as soon as the run
 * has stopped, before it destroys the simulation: by then the whole trace must
 * be in the file, ending with the end record, and the engine must never touch
 * the FILE again (a flush at destroy read a closed FILE and crashed traced
 * runs of the CLI at random). */
static void test_trace_file_may_be_closed_once_the_run_stops(void **state) {
    (void)state;
    struct fl_scenario *scenario = load_shipped("scenarios/wal/crashes.json");
    FILE *file = tmpfile();
    assert_non_null(file);
    struct fl_run_options options = {.seed = 3, .trace = file};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    struct fl_result result;
    fl_sim_run(sim, &result);
    /* A use of the closed FILE is invisible to the sanitizers (glibc's own
     * code reads it), so check the engine let go of it. */
    assert_null(sim->trace.out);
    long size = ftell(file);
    assert_true(size > 0);
    rewind(file);
    char *text = calloc(1, (size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, file), (size_t)size);
    fclose(file);
    fl_sim_destroy(sim); /* after the file is gone */
    assert_int_equal(text[size - 1], '\n');
    text[size - 1] = '\0';
    const char *last = strrchr(text, '\n');
    assert_non_null(last);
    assert_non_null(strstr(last, "\"kind\":\"end\""));
    free(text);
    fl_scenario_free(scenario);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_is_escaped_as_json),
        cmocka_unit_test(test_valid_utf8_is_kept_and_invalid_bytes_replaced),
        cmocka_unit_test(test_long_text_spanning_buffers_is_one_line),
        cmocka_unit_test(test_fingerprint_is_the_same_with_or_without_a_file),
        cmocka_unit_test(test_numbers_at_every_digit_boundary_are_exact),
        cmocka_unit_test(test_send_description_follows_the_fields_escaped),
        cmocka_unit_test(test_unterminated_description_is_cut_and_empty_fields_left_out),
        cmocka_unit_test(test_view_line_has_no_id_and_names_the_record_before),
        cmocka_unit_test(test_descriptions_are_not_in_the_fingerprint),
        cmocka_unit_test(test_wal_run_writes_views_on_change_and_after_restarts),
        cmocka_unit_test(test_trace_file_may_be_closed_once_the_run_stops),
    };
    return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
