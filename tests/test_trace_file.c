/*
 * test_trace_file: a trace written by a real run of every shipped scenario
 * loads, and its counts agree with the run's own result; the model's
 * descriptions (mkind/mtext/trace on sends, view lines) are read; every
 * malformed or truncated file is an error that names the right line.
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
#include "probe.h"
#include "trace_file.h"

static const char *const shipped[] = {
    "scenarios/echo/calm.json",          "scenarios/echo/clocks.json",
    "scenarios/echo/lossy.json",         "scenarios/echo/partition.json",
    "scenarios/echo/shared-buffer.json", "scenarios/echo/shared-buffer-one-client.json",
    "scenarios/echo/swarm.json",         "scenarios/gossip/mesh.json",
    "scenarios/gossip/pingpong.json",    "scenarios/wal/ack-before-sync.json",
    "scenarios/wal/calm.json",           "scenarios/wal/crashes.json",
    "scenarios/wal/everything.json",     "scenarios/wal/no-checksum.json",
    "scenarios/wal/single-copy.json",    "scenarios/wal/three-copies.json",
};

/* Runs a seed with a trace into memory; returns the text (caller frees). */
static char *run_to_text(const char *scenario_path, uint64_t seed, struct fl_result *result,
                         size_t *size) {
    struct fl_scenario *scenario = load_shipped(scenario_path);
    FILE *file = tmpfile();
    assert_non_null(file);
    struct fl_run_options options = {.seed = seed, .trace = file};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    assert_non_null(sim);
    fl_sim_run(sim, result);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
    long n = ftell(file);
    assert_true(n > 0);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    rewind(file);
    assert_int_equal(fread(text, 1, (size_t)n, file), (size_t)n);
    text[n] = '\0';
    fclose(file);
    *size = (size_t)n;
    return text;
}

static void check_against_result(const struct fl_trace_file *t, const struct fl_result *r) {
    assert_int_equal(t->event_count, r->events);
    assert_int_equal(t->counts.sends, r->messages_sent);
    assert_int_equal(t->counts.delivers, r->messages_delivered);
    assert_int_equal(t->counts.drops, r->messages_dropped);
    assert_int_equal(t->counts.duplicates, r->messages_duplicated);
    assert_int_equal(t->counts.corrupt, r->messages_corrupted);
    for (int k = 0; k < FL_DROP_REASON_COUNT; k++) {
        assert_int_equal(t->counts.drops_by_reason[k], r->dropped_by_reason[k]);
    }
    assert_int_equal(t->message_count, r->messages_sent + r->messages_duplicated);
    assert_int_equal(t->end_reason, r->stop);
    assert_int_equal(t->end_ns, r->sim_time_ns);
    assert_int_equal(t->end_id, t->event_count);
    uint32_t kept = r->violation_count < FL_VIOLATIONS_MAX ? r->violation_count : FL_VIOLATIONS_MAX;
    assert_true(t->violation_count >= kept);
    for (uint32_t i = 0; i < kept; i++) {
        assert_int_equal(t->violations[i].event_id, r->violations[i].event_id);
        assert_int_equal(t->violations[i].t_ns, r->violations[i].time_ns);
        const char *text = fl_tf_str(t, t->violations[i].text);
        assert_memory_equal(text, r->violations[i].check, strlen(r->violations[i].check));
    }
}

/* Every message copy's end is consistent with its events; every node's
 * states are in time order and the state query finds them. */
static void check_structure(const struct fl_trace_file *t) {
    for (uint32_t i = 0; i < t->message_count; i++) {
        const struct fl_tf_message *m = &t->messages[i];
        assert_true(m->from < t->node_count && m->to < t->node_count);
        assert_int_equal(t->events[m->send_id - 1].kind, FL_TF_SEND);
        if (i > 0) assert_true(m->send_ns >= t->messages[i - 1].send_ns);
        if (m->fate == FL_TF_FATE_IN_FLIGHT) {
            assert_int_equal(m->end_id, 0);
            continue;
        }
        const struct fl_tf_event *end = &t->events[m->end_id - 1];
        assert_int_equal(end->ref, i);
        assert_int_equal(end->cause, m->send_id);
        assert_int_equal(end->kind, m->fate == FL_TF_FATE_DELIVERED ? FL_TF_DELIVER : FL_TF_DROP);
        assert_true(m->end_ns - m->send_ns <= t->flight_ns_max);
    }
    for (uint32_t k = 0; k < t->node_count; k++) {
        uint32_t first = t->node_changes_first[k], last = t->node_changes_first[k + 1];
        assert_true(last > first); /* every node starts */
        for (uint32_t c = first; c < last; c++) {
            assert_int_equal(t->changes[c].node, k);
            if (c > first) assert_true(t->changes[c].t_ns >= t->changes[c - 1].t_ns);
        }
        const struct fl_tf_change *s = fl_tf_node_state(t, k, t->end_ns);
        assert_ptr_equal(s, &t->changes[last - 1]);
    }
    for (uint64_t i = 0; i < t->event_count; i++) {
        assert_int_equal(fl_tf_event_at(t, t->events[i].t_ns) <= i, true);
    }
}

static void test_every_shipped_scenario_loads_and_agrees_with_its_result(void **state) {
    (void)state;
    for (size_t s = 0; s < sizeof shipped / sizeof shipped[0]; s++) {
        for (uint64_t seed = 1; seed <= 2; seed++) {
            struct fl_result result;
            size_t size;
            char *text = run_to_text(shipped[s], seed, &result, &size);
            struct fl_trace_file trace;
            struct fl_error error = {{0}};
            bool ok = fl_tf_load_memory(&trace, text, size, shipped[s], &error);
            if (!ok)
                fail_msg("%s seed %llu: %s", shipped[s], (unsigned long long)seed, error.message);
            assert_int_equal(trace.counts.fallback_lines, 0); /* the fast path reads it all */
            check_against_result(&trace, &result);
            check_structure(&trace);
            fl_tf_free(&trace);
            free(text);
        }
    }
}

/* A fixed three-node trace with every feature the viewer uses. */
static const char small_trace[] =
    "{\"id\":1,\"t\":0,\"kind\":\"start\",\"node\":\"n1\",\"cause\":0,\"incarnation\":0}\n"
    "{\"t\":0,\"kind\":\"view\",\"node\":\"n1\",\"after\":1,\"role\":\"leader\",\"label\":\"term 7 "
    "commit 41\"}\n"
    "{\"id\":2,\"t\":0,\"kind\":\"start\",\"node\":\"n2\",\"cause\":0,\"incarnation\":0}\n"
    "{\"id\":3,\"t\":0,\"kind\":\"start\",\"node\":\"c1\",\"cause\":0,\"incarnation\":0}\n"
    "{\"id\":4,\"t\":10,\"kind\":\"send\",\"node\":\"n1\",\"cause\":1,\"to\":\"n2\",\"size\":40,"
    "\"mkind\":\"append_entries\",\"mtext\":\"term 7 prev 40/6 2 entries\",\"trace\":17}\n"
    "{\"id\":5,\"t\":10,\"kind\":\"duplicate\",\"node\":\"n1\",\"cause\":4,\"to\":\"n2\"}\n"
    "{\"id\":6,\"t\":20,\"kind\":\"net\",\"node\":null,\"cause\":0,\"undo\":false,\"text\":\"split "
    "n1 | n2,c1\"}\n"
    "{\"id\":7,\"t\":30,\"kind\":\"deliver\",\"node\":\"n2\",\"cause\":4,\"from\":\"n1\",\"size\":"
    "40}\n"
    "{\"id\":8,\"t\":35,\"kind\":\"drop\",\"node\":\"n2\",\"cause\":4,\"from\":\"n1\",\"reason\":"
    "\"partition\"}\n"
    "{\"id\":9,\"t\":40,\"kind\":\"crash\",\"node\":\"n2\",\"cause\":0,\"restart_after_ns\":20}\n"
    "{\"id\":10,\"t\":50,\"kind\":\"net\",\"node\":null,\"cause\":6,\"undo\":true,\"text\":\"split "
    "n1 | n2,c1\"}\n"
    "{\"id\":11,\"t\":60,\"kind\":\"restart\",\"node\":\"n2\",\"cause\":9,\"incarnation\":1}\n"
    "{\"id\":12,\"t\":60,\"kind\":\"annotate\",\"node\":\"n2\",\"cause\":11,\"text\":\"caf\\u00e9 "
    "\\\"x\\\"\"}\n"
    "{\"t\":60,\"kind\":\"view\",\"node\":\"n2\",\"after\":11,\"role\":\"follower\",\"label\":\"\"}"
    "\n"
    "{\"id\":13,\"t\":70,\"kind\":\"send\",\"node\":\"c1\",\"cause\":3,\"to\":\"n1\",\"type\":"
    "\"request\",\"size\":8,\"req\":1}\n"
    "{\"id\":14,\"t\":80,\"kind\":\"violation\",\"node\":null,\"cause\":13,\"text\":\"x.check: "
    "broken\"}\n"
    "{\"id\":15,\"t\":80,\"kind\":\"end\",\"node\":null,\"cause\":0,\"reason\":\"violation\"}\n";

static void test_small_trace_reads_every_feature(void **state) {
    (void)state;
    struct fl_trace_file t;
    struct fl_error error = {{0}};
    assert_true(fl_tf_load_memory(&t, small_trace, sizeof small_trace - 1, "small", &error));
    assert_int_equal(t.event_count, 15);
    assert_int_equal(t.server_count, 2);
    assert_int_equal(t.client_count, 1);
    assert_string_equal(fl_tf_node_name(&t, 2), "c1");
    assert_int_equal(t.message_count, 3); /* two copies of 4, and 13 */
    const struct fl_tf_message *m = &t.messages[0];
    assert_string_equal(fl_tf_str(&t, m->mkind), "append_entries");
    assert_string_equal(fl_tf_str(&t, m->mtext), "term 7 prev 40/6 2 entries");
    assert_int_equal(m->trace_id, 17);
    assert_int_equal(m->fate, FL_TF_FATE_DELIVERED);
    assert_int_equal(m->end_ns, 30);
    assert_int_equal(t.messages[1].copy_of, 0);
    assert_int_equal(t.messages[1].fate, FL_TF_FATE_DROPPED);
    assert_int_equal(t.messages[1].drop_reason, FL_TF_DROP_PARTITION);
    assert_string_equal(fl_tf_str(&t, t.messages[1].mkind), "append_entries");
    assert_int_equal(t.messages[2].fate, FL_TF_FATE_IN_FLIGHT);
    assert_int_equal(t.messages[2].to, 0);
    assert_int_equal(t.messages[2].from, 2);
    assert_int_equal(t.messages[2].req, 1);
    assert_int_equal(t.messages[2].type, FL_TF_MSG_REQUEST);
    assert_string_equal(fl_tf_str(&t, t.events[11].text), "caf\xc3\xa9 \"x\"");
    /* n1 is the leader from 0; n2 is down at 45 and a follower after 60. */
    const struct fl_tf_change *s = fl_tf_node_state(&t, 0, 5);
    assert_non_null(s);
    assert_string_equal(fl_tf_str(&t, s->role), "leader");
    assert_string_equal(fl_tf_str(&t, s->label), "term 7 commit 41");
    s = fl_tf_node_state(&t, 1, 45);
    assert_false(s->up);
    s = fl_tf_node_state(&t, 1, 60);
    assert_true(s->up);
    assert_int_equal(s->incarnation, 1);
    assert_string_equal(fl_tf_str(&t, s->role), "follower");
    assert_int_equal(s->event_id, 11);
    assert_int_equal(t.counts.views, 2);
    /* faults: the split 20..50, the crash 40..60 */
    assert_int_equal(t.fault_count, 2);
    assert_int_equal(t.faults[0].kind, FL_TF_FAULT_NET);
    assert_int_equal(t.faults[0].end_ns, 50);
    assert_string_equal(fl_tf_str(&t, t.faults[0].text), "split n1 | n2,c1");
    assert_int_equal(t.faults[1].kind, FL_TF_FAULT_CRASH);
    assert_int_equal(t.faults[1].node, 1);
    assert_int_equal(t.faults[1].end_ns, 60);
    assert_int_equal(t.violation_count, 1);
    assert_int_equal(t.violations[0].node, FL_TF_NONE);
    assert_int_equal(t.end_reason, FL_STOP_VIOLATION);
    assert_int_equal(fl_tf_event_at(&t, 35), 7);
    assert_int_equal(fl_tf_message_at(&t, 11), 2);
    fl_tf_free(&t);
}

/* Replaces line `line` (1-based) of small_trace with `with` (NULL: removes
 * it; cut > 0: keeps only its first cut bytes and nothing after). */
static char *edit(int line, const char *with, size_t cut) {
    static char out[sizeof small_trace + 512];
    const char *p = small_trace;
    char *o = out;
    for (int n = 1; *p != '\0'; n++) {
        const char *nl = strchr(p, '\n');
        size_t len = (size_t)(nl - p) + 1;
        if (n == line && cut > 0) {
            memcpy(o, p, cut);
            o += cut;
            break;
        }
        if (n == line) {
            if (with != NULL) o += sprintf(o, "%s\n", with);
        } else {
            memcpy(o, p, len);
            o += len;
        }
        p += len;
    }
    *o = '\0';
    return out;
}

static void expect_error(const char *text, const char *expected) {
    struct fl_trace_file t;
    struct fl_error error = {{0}};
    bool ok = fl_tf_load_memory(&t, text, strlen(text), "t.jsonl", &error);
    if (ok || strstr(error.message, expected) == NULL) {
        fail_msg("expected an error containing \"%s\", got %s: %s", expected,
                 ok ? "success" : "error", error.message);
    }
    assert_int_equal(t.event_count, 0); /* emptied */
    fl_tf_free(&t);
}

static void test_malformed_lines_are_errors_naming_the_line(void **state) {
    (void)state;
    expect_error("", "t.jsonl: line 1: expected a record, the trace is empty");
    /* a cut last line: the file ends in the middle of line 17 */
    expect_error(edit(17, NULL, 30), "t.jsonl: line 17: expected a complete JSON object");
    /* a missing end record: the cut falls at a line's end */
    expect_error(edit(17, NULL, 0), "t.jsonl: line 17: expected the end record");
    expect_error(edit(5, "not json", 0), "t.jsonl: line 5: expected one JSON object");
    expect_error(edit(5, "[1,2]", 0), "t.jsonl: line 5: expected one JSON object");
    expect_error(edit(3, "", 0), "t.jsonl: line 3: expected a JSON object, found an empty line");
    expect_error(
        edit(5, "{\"id\":4,\"t\":10,\"kind\":\"send\",\"node\":\"n1\",\"cause\":1,\"size\":40}", 0),
        "t.jsonl: line 5: expected \"to\" to be a node name");
    expect_error(
        edit(5, "{\"id\":4,\"t\":10,\"kind\":\"send\",\"node\":\"n1\",\"cause\":1,\"to\":\"n2\"}",
             0),
        "t.jsonl: line 5: expected \"size\"");
    /* ids out of order */
    expect_error(edit(4, "{\"id\":7,\"t\":0,\"kind\":\"start\",\"node\":\"c1\",\"cause\":0}", 0),
                 "t.jsonl: line 4: expected \"id\" 3 (ids count up from 1), found 7");
    /* a cause that points forward */
    expect_error(edit(8,
                      "{\"id\":7,\"t\":30,\"kind\":\"deliver\",\"node\":\"n2\",\"cause\":9,"
                      "\"from\":\"n1\",\"size\":40}",
                      0),
                 "t.jsonl: line 8: expected \"cause\" to be an earlier record, found 9 >= id 7");
    /* a deliver whose cause is not a send */
    expect_error(
        edit(8,
             "{\"id\":7,\"t\":30,\"kind\":\"deliver\",\"node\":\"n2\",\"cause\":2,\"from\":\"n1\","
             "\"size\":40}",
             0),
        "t.jsonl: line 8: expected \"cause\" of a deliver to be the id of a send, found 2");
    /* time going backwards */
    expect_error(edit(8,
                      "{\"id\":7,\"t\":5,\"kind\":\"deliver\",\"node\":\"n2\",\"cause\":4,\"from\":"
                      "\"n1\",\"size\":40}",
                      0),
                 "t.jsonl: line 8: time 5 is before the previous record's 20");
    expect_error(edit(4, "{\"id\":3,\"t\":0,\"kind\":\"bogus\",\"node\":\"c1\",\"cause\":0}", 0),
                 "t.jsonl: line 4: expected \"kind\" to be a record kind");
    expect_error(edit(4, "{\"id\":3,\"t\":0,\"kind\":\"start\",\"node\":\"x1\",\"cause\":0}", 0),
                 "t.jsonl: line 4: expected \"node\" to be a node name");
    expect_error(edit(4, "{\"id\":3,\"t\":0,\"kind\":\"start\",\"cause\":0}", 0),
                 "t.jsonl: line 4: expected \"node\"");
    expect_error(
        edit(4, "{\"id\":3,\"t\":\"0\",\"kind\":\"start\",\"node\":\"c1\",\"cause\":0}", 0),
        "t.jsonl: line 4: expected \"t\"");
    expect_error(
        edit(2, "{\"t\":0,\"kind\":\"view\",\"node\":\"n1\",\"after\":9,\"role\":\"leader\"}", 0),
        "t.jsonl: line 2: expected \"after\" to be the id of an earlier event, found 9");
    /* something after the end */
    char after_end[sizeof small_trace + 128];
    snprintf(
        after_end, sizeof after_end, "%s%s", small_trace,
        "{\"id\":16,\"t\":80,\"kind\":\"end\",\"node\":null,\"cause\":0,\"reason\":\"end\"}\n");
    expect_error(after_end, "t.jsonl: line 18: expected nothing after the end record");
}

/* Lines the scanner leaves to cJSON (spaces, key order, a nested value, a
 * float) still load, and give the same result. */
static void test_unusual_but_valid_lines_fall_back_to_cjson(void **state) {
    (void)state;
    const char *text =
        "{ \"id\" : 1, \"t\":0, \"kind\":\"start\", \"node\":\"n1\", \"cause\":0 }\n"
        "{\"node\":\"n1\",\"id\":2,\"t\":1.0e3,\"kind\":\"annotate\",\"cause\":1,\"text\":\"a\","
        "\"extra\":{\"x\":[1]}}\n"
        "{\"id\":3,\"t\":2000,\"kind\":\"end\",\"node\":null,\"cause\":0,\"reason\":\"end\"}";
    struct fl_trace_file t;
    struct fl_error error = {{0}};
    bool ok = fl_tf_load_memory(&t, text, strlen(text), "u", &error);
    if (!ok) fail_msg("%s", error.message);
    assert_int_equal(t.event_count, 3);
    assert_int_equal(t.events[1].t_ns, 1000);
    assert_string_equal(fl_tf_str(&t, t.events[1].text), "a");
    assert_int_equal(t.counts.fallback_lines, 1); /* spaces are fine for the scanner */
    assert_int_equal(t.end_ns, 2000);
    fl_tf_free(&t);
}

/* Every prefix of a trace and every single-byte damage to it loads or fails
 * with a message naming a line: never a crash, never a message without a
 * place (the sanitizer builds run this too). */
static void test_every_cut_and_damaged_byte_is_an_error_with_a_line(void **state) {
    (void)state;
    static const char damage[] = "\"{},:9-x\\\n ";
    size_t n = sizeof small_trace - 1;
    char *text = malloc(n + 1);
    assert_non_null(text);
    for (size_t at = 0; at < n; at++) {
        for (size_t d = 0; d <= sizeof damage - 1; d++) {
            memcpy(text, small_trace, n);
            size_t size = n;
            if (d == sizeof damage - 1) {
                size = at; /* the cut */
            } else {
                if (text[at] == damage[d]) continue;
                text[at] = damage[d];
            }
            struct fl_trace_file t;
            struct fl_error error = {{0}};
            if (fl_tf_load_memory(&t, text, size, "f", &error)) {
                assert_int_equal(t.end_id, t.event_count);
            } else if (strncmp(error.message, "f: line ", 8) != 0) {
                fail_msg("byte %zu, damage %zu: \"%s\"", at, d, error.message);
            }
            fl_tf_free(&t);
        }
    }
    free(text);
}

/* A client's history records (op_invoke, op_return) load with the handle in
 * req and the operation in words, on the scanner's fast path (a cas's
 * [from,to] included); a return without its status is an error. */
static void test_history_records_load_as_operations(void **state) {
    (void)state;
    const char *text =
        "{\"id\":1,\"t\":0,\"kind\":\"start\",\"node\":\"n1\",\"cause\":0,\"incarnation\":0}\n"
        "{\"id\":2,\"t\":0,\"kind\":\"start\",\"node\":\"c1\",\"cause\":0,\"incarnation\":0}\n"
        "{\"id\":3,\"t\":5,\"kind\":\"op_invoke\",\"node\":\"c1\",\"cause\":2,\"f\":\"cas\","
        "\"key\":3,\"value\":[-1,2],\"op\":1}\n"
        "{\"id\":4,\"t\":9,\"kind\":\"op_return\",\"node\":\"c1\",\"cause\":3,\"f\":\"cas\","
        "\"status\":\"fail\",\"op\":1}\n"
        "{\"id\":5,\"t\":9,\"kind\":\"op_invoke\",\"node\":\"c1\",\"cause\":4,\"f\":\"read\","
        "\"key\":2,\"op\":2}\n"
        "{\"id\":6,\"t\":12,\"kind\":\"op_return\",\"node\":\"c1\",\"cause\":5,\"f\":\"read\","
        "\"status\":\"ok\",\"value\":null,\"op\":2}\n"
        "{\"id\":7,\"t\":20,\"kind\":\"end\",\"node\":null,\"cause\":0,\"reason\":\"end\"}\n";
    struct fl_trace_file t;
    struct fl_error error = {{0}};
    assert_true(fl_tf_load_memory(&t, text, strlen(text), "ops.jsonl", &error));
    assert_int_equal(t.event_count, 7);
    assert_int_equal(t.counts.fallback_lines, 0);
    assert_int_equal(t.events[2].kind, FL_TF_OP_INVOKE);
    assert_int_equal(t.events[2].req, 1);
    assert_int_equal(t.events[2].a, 3);
    assert_string_equal(fl_tf_str(&t, t.events[2].text), "cas k3 -1 -> 2");
    assert_string_equal(fl_tf_str(&t, t.events[3].text), "fail cas");
    assert_true((t.events[3].flags & FL_TF_EVENT_FAILED) != 0);
    assert_string_equal(fl_tf_str(&t, t.events[4].text), "read k2");
    assert_string_equal(fl_tf_str(&t, t.events[5].text), "ok read -> nil");
    assert_int_equal(t.events[5].kind, FL_TF_OP_RETURN);
    assert_string_equal(fl_tf_kind_name(FL_TF_OP_RETURN), "op_return");
    fl_tf_free(&t);

    char broken[2048];
    snprintf(broken, sizeof broken, "%.*s%s", (int)(strstr(text, "{\"id\":4") - text), text,
             "{\"id\":4,\"t\":9,\"kind\":\"op_return\",\"node\":\"c1\",\"cause\":3,"
             "\"f\":\"cas\",\"op\":1}\n");
    expect_error(broken, "t.jsonl: line 4: expected \"status\" of an operation's return");
}

static void test_missing_file_is_an_error(void **state) {
    (void)state;
    struct fl_trace_file t;
    struct fl_error error = {{0}};
    assert_false(fl_tf_load(&t, "/nonexistent/trace.jsonl", &error));
    assert_non_null(strstr(error.message, "/nonexistent/trace.jsonl: cannot open"));
    fl_tf_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_scenario_loads_and_agrees_with_its_result),
        cmocka_unit_test(test_small_trace_reads_every_feature),
        cmocka_unit_test(test_malformed_lines_are_errors_naming_the_line),
        cmocka_unit_test(test_unusual_but_valid_lines_fall_back_to_cjson),
        cmocka_unit_test(test_every_cut_and_damaged_byte_is_an_error_with_a_line),
        cmocka_unit_test(test_history_records_load_as_operations),
        cmocka_unit_test(test_missing_file_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
