/*
 * Tests for sim/lin.c and sim/lin_history.c: the linearizability checker.
 *
 * Small histories, written in the jsonl format, pin each rule: real-time
 * order, the register's read/write/cas semantics, failed and indefinite ops,
 * kv partitioning, the budget's "unknown", the failure report and the parsers'
 * messages. Then every Jepsen etcd history in ../shared/data/linearizability
 * must get the answer its EXPECTED file gives (skipped, saying so, when that
 * directory is not beside the source tree: the data is not copied in).
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lin.h"

#define ETCD_DIR FL_SOURCE_DIR "/../shared/data/linearizability/etcd"

/* Parses jsonl text (asserting it is valid) and checks it with options. */
static enum fl_lin_result check_with(const char *text, const struct fl_lin_options *options,
                                     struct fl_lin_report *report) {
    struct fl_lin_history history;
    struct fl_lin_error error;
    fl_lin_history_init(&history);
    int parsed =
        fl_lin_history_parse(&history, text, strlen(text), FL_LIN_FORMAT_JSONL, "t.jsonl", &error);
    if (parsed != FL_LIN_EOK) fail_msg("parse failed: %s", error.message);
    assert_int_equal(fl_lin_check(&history, options, report), FL_LIN_EOK);
    fl_lin_history_deinit(&history);
    return report->result;
}

static enum fl_lin_result check_text(const char *text, enum fl_lin_model model, uint64_t states_max,
                                     struct fl_lin_report *report) {
    struct fl_lin_options options = {.model = model, .states_max = states_max};
    return check_with(text, &options, report);
}

static enum fl_lin_result result_of(const char *text, enum fl_lin_model model) {
    struct fl_lin_report report;
    enum fl_lin_result result = check_text(text, model, 0, &report);
    fl_lin_report_deinit(&report);
    return result;
}

#define INV(p, f, v) "{\"process\":" #p ",\"type\":\"invoke\",\"f\":\"" f "\",\"value\":" v "}\n"
#define RET(p, t, f, v) "{\"process\":" #p ",\"type\":\"" t "\",\"f\":\"" f "\",\"value\":" v "}\n"
#define KINV(p, k, f, v)                                                                           \
    "{\"process\":" #p ",\"type\":\"invoke\",\"f\":\"" f "\",\"key\":" #k ",\"value\":" v "}\n"
#define KRET(p, k, t, f, v)                                                                        \
    "{\"process\":" #p ",\"type\":\"" t "\",\"f\":\"" f "\",\"key\":" #k ",\"value\":" v "}\n"

static void test_empty_history_is_linearizable(void **state) {
    (void)state;
    assert_int_equal(result_of("", FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
}

static void test_read_sees_a_completed_write(void **state) {
    (void)state;
    const char *good = INV(0, "write", "1") RET(0, "ok", "write", "1") INV(1, "read", "null")
        RET(1, "ok", "read", "1");
    const char *stale = INV(0, "write", "1") RET(0, "ok", "write", "1") INV(1, "read", "null")
        RET(1, "ok", "read", "null");
    assert_int_equal(result_of(good, FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
    assert_int_equal(result_of(stale, FL_LIN_MODEL_REGISTER), FL_LIN_NOT_LINEARIZABLE);
}

static void test_concurrent_ops_may_take_either_order(void **state) {
    (void)state;
    const char *text = INV(0, "write", "1") INV(1, "read", "null") RET(1, "ok", "read", "1")
        RET(0, "ok", "write", "1") INV(2, "read", "null") RET(2, "ok", "read", "1");
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
}

static void test_read_of_a_value_never_written_fails(void **state) {
    (void)state;
    const char *text = INV(0, "read", "null") RET(0, "ok", "read", "7");
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_NOT_LINEARIZABLE);
}

static void test_cas_succeeds_only_on_a_match(void **state) {
    (void)state;
    const char *good = INV(0, "write", "1") RET(0, "ok", "write", "1") INV(0, "cas", "[1,2]")
        RET(0, "ok", "cas", "[1,2]") INV(1, "read", "null") RET(1, "ok", "read", "2");
    const char *bad = INV(0, "write", "1") RET(0, "ok", "write", "1") INV(0, "cas", "[3,2]")
        RET(0, "ok", "cas", "[3,2]");
    assert_int_equal(result_of(good, FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
    assert_int_equal(result_of(bad, FL_LIN_MODEL_REGISTER), FL_LIN_NOT_LINEARIZABLE);
}

static void test_failed_cas_observes_a_mismatch(void **state) {
    (void)state;
    /* The value is 1 throughout, so a cas from 1 cannot have failed. */
    const char *bad = INV(0, "write", "1") RET(0, "ok", "write", "1") INV(0, "cas", "[1,2]")
        RET(0, "fail", "cas", "[1,2]");
    const char *good = INV(0, "write", "1") RET(0, "ok", "write", "1") INV(0, "cas", "[5,2]")
        RET(0, "fail", "cas", "[5,2]") INV(1, "read", "null") RET(1, "ok", "read", "1");
    assert_int_equal(result_of(bad, FL_LIN_MODEL_REGISTER), FL_LIN_NOT_LINEARIZABLE);
    assert_int_equal(result_of(good, FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
}

static void test_failed_write_never_happened(void **state) {
    (void)state;
    const char *text = INV(0, "write", "1") RET(0, "fail", "write", "1") INV(1, "read", "null")
        RET(1, "ok", "read", "null");
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
}

static void test_indefinite_write_may_happen(void **state) {
    (void)state;
    const char *text = INV(0, "write", "1") RET(0, "info", "write", "\"timed-out\"")
        INV(1, "read", "null") RET(1, "ok", "read", "1");
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
}

static void test_indefinite_write_may_not_happen(void **state) {
    (void)state;
    const char *text = INV(0, "write", "1") RET(0, "info", "write", "null") INV(1, "read", "null")
        RET(1, "ok", "read", "null");
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
}

static void test_indefinite_write_takes_effect_once(void **state) {
    (void)state;
    /* Seen, then overwritten, then seen again: it cannot happen twice. */
    const char *text = INV(0, "write", "1") RET(0, "info", "write", "null") INV(1, "read", "null")
        RET(1, "ok", "read", "1") INV(1, "write", "2") RET(1, "ok", "write", "2")
            INV(1, "read", "null") RET(1, "ok", "read", "1");
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_NOT_LINEARIZABLE);
}

static void test_indefinite_op_not_before_its_invoke(void **state) {
    (void)state;
    const char *text = INV(1, "read", "null") RET(1, "ok", "read", "1") INV(0, "write", "1")
        RET(0, "info", "write", "null");
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_NOT_LINEARIZABLE);
}

static void test_op_never_returned_is_indefinite(void **state) {
    (void)state;
    const char *text = INV(0, "cas", "[null,4]") INV(1, "read", "null") RET(1, "ok", "read", "4");
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
}

static void test_kv_checks_each_key_alone(void **state) {
    (void)state;
    /* As one register the second read is stale; per key both are fine. */
    const char *text =
        KINV(0, 1, "write", "1") KRET(0, 1, "ok", "write", "1") KINV(0, 2, "write", "2")
            KRET(0, 2, "ok", "write", "2") KINV(1, 1, "read", "null") KRET(1, 1, "ok", "read", "1");
    struct fl_lin_report report;
    assert_int_equal(check_text(text, FL_LIN_MODEL_KV, 0, &report), FL_LIN_LINEARIZABLE);
    assert_int_equal(report.partitions, 2);
    fl_lin_report_deinit(&report);
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_NOT_LINEARIZABLE);
}

static void test_kv_names_the_bad_key(void **state) {
    (void)state;
    const char *text = KINV(0, 1, "write", "1") KRET(0, 1, "ok", "write", "1")
        KINV(0, 9, "read", "null") KRET(0, 9, "ok", "read", "1");
    struct fl_lin_report report;
    assert_int_equal(check_text(text, FL_LIN_MODEL_KV, 0, &report), FL_LIN_NOT_LINEARIZABLE);
    assert_int_equal(report.bad_key, 9);
    fl_lin_report_deinit(&report);
}

static void test_report_names_the_op_that_cannot_be_placed(void **state) {
    (void)state;
    const char *text = INV(0, "write", "1") RET(0, "ok", "write", "1") INV(0, "write", "2")
        RET(0, "ok", "write", "2") INV(1, "read", "null") RET(1, "ok", "read", "1");
    struct fl_lin_report report;
    assert_int_equal(check_text(text, FL_LIN_MODEL_REGISTER, 0, &report), FL_LIN_NOT_LINEARIZABLE);
    assert_int_equal(report.linearized_count, 2);
    assert_int_equal(report.linearized[0], 0);
    assert_int_equal(report.linearized[1], 1);
    assert_int_equal(report.state_after, 2);
    assert_int_equal(report.unplaced_count, 1);
    assert_int_equal(report.unplaced[0], 2);
    fl_lin_report_deinit(&report);
}

/* n writers all concurrent with one another, then reads no order explains. */
static void test_budget_gives_unknown(void **state) {
    (void)state;
    char text[8192] = "";
    char line[160];
    for (int p = 0; p < 12; p++) {
        snprintf(line, sizeof line, INV(% d, "write", "%d"), p, p);
        strcat(text, line);
    }
    for (int p = 0; p < 12; p++) {
        snprintf(line, sizeof line, RET(% d, "ok", "write", "%d"), p, p);
        strcat(text, line);
    }
    strcat(text, INV(20, "read", "null") RET(20, "ok", "read", "99"));
    struct fl_lin_report report;
    assert_int_equal(check_text(text, FL_LIN_MODEL_REGISTER, 100, &report), FL_LIN_UNKNOWN);
    assert_true(report.states_explored <= 100);
    fl_lin_report_deinit(&report);
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_NOT_LINEARIZABLE);
}

static void assert_rejected(const char *text, enum fl_lin_format format, const char *message) {
    struct fl_lin_history history;
    struct fl_lin_error error;
    fl_lin_history_init(&history);
    assert_int_equal(fl_lin_history_parse(&history, text, strlen(text), format, "h", &error),
                     FL_LIN_EINPUT);
    if (strstr(error.message, message) == NULL) {
        fail_msg("expected \"%s\" in \"%s\"", message, error.message);
    }
    fl_lin_history_deinit(&history);
}

static void test_parsers_reject_bad_input_naming_the_line(void **state) {
    (void)state;
    assert_rejected(INV(0, "write", "1") RET(1, "ok", "write", "1"), FL_LIN_FORMAT_JSONL,
                    "h: line 2: a return for process 1 without an invoke");
    assert_rejected(INV(0, "frob", "1"), FL_LIN_FORMAT_JSONL, "line 1: expected \"f\"");
    assert_rejected(INV(0, "write", "[1,2]"), FL_LIN_FORMAT_JSONL, "expects an integer");
    assert_rejected("{\"process\":0,\n", FL_LIN_FORMAT_JSONL, "line 1: expected one JSON object");
    assert_rejected(INV(0, "write", "1") INV(0, "write", "2"), FL_LIN_FORMAT_JSONL,
                    "line 2: process 0 invokes again");
    assert_rejected("noise\nINFO  jepsen.util - 3\t:invoke\t:read\tnil\n"
                    "INFO  jepsen.util - 3\t:ok\t:write\t1\n",
                    FL_LIN_FORMAT_JEPSEN, "h: line 3: a return of write for process 3");
    assert_rejected("INFO  jepsen.util - 3\t:invoke\t:cas\t[1 x]\n", FL_LIN_FORMAT_JEPSEN,
                    "line 1: expected a value");
    assert_rejected("INFO  jepsen.util - 3\t:begin\t:cas\t[1 2]\n", FL_LIN_FORMAT_JEPSEN,
                    "line 1: expected a type");
}

static void test_jepsen_format_reads_the_etcd_lines(void **state) {
    (void)state;
    const char *text = "2015-01-01 INFO  jepsen.core - starting\n"
                       "INFO  jepsen.util - 0\t:invoke\t:cas\t[nil 2]\n"
                       "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
                       "INFO  jepsen.util - 1\t:fail\t:read\t:timed-out\n"
                       "INFO  jepsen.util - 0\t:info\t:cas\t:timed-out\n";
    struct fl_lin_history history;
    struct fl_lin_error error;
    fl_lin_history_init(&history);
    assert_int_equal(
        fl_lin_history_parse(&history, text, strlen(text), FL_LIN_FORMAT_JEPSEN, "h", &error),
        FL_LIN_EOK);
    assert_int_equal(history.count, 2);
    assert_int_equal(history.ops[0].kind, FL_LIN_CAS);
    assert_true(history.ops[0].value_in == FL_LIN_NIL);
    assert_int_equal(history.ops[0].value_to, 2);
    assert_int_equal(history.ops[0].status, FL_LIN_INFO);
    assert_int_equal(history.ops[0].invoke_line, 2);
    assert_int_equal(history.ops[1].status, FL_LIN_FAIL);
    fl_lin_history_deinit(&history);
}

static void test_every_etcd_history_matches_expected(void **state) {
    (void)state;
    FILE *expected = fopen(ETCD_DIR "/EXPECTED", "r");
    if (expected == NULL) {
        print_message("skipping: no etcd histories at %s\n", ETCD_DIR);
        skip();
    }
    char name[64], want[64], path[4096];
    int files = 0;
    while (fscanf(expected, "%63s %63s", name, want) == 2) {
        snprintf(path, sizeof path, "%s/%s", ETCD_DIR, name);
        struct fl_lin_history history;
        struct fl_lin_error error;
        struct fl_lin_report report;
        struct fl_lin_options options = {.model = FL_LIN_MODEL_REGISTER};
        fl_lin_history_init(&history);
        if (fl_lin_history_load(&history, path, FL_LIN_FORMAT_JEPSEN, &error) != FL_LIN_EOK) {
            fail_msg("%s", error.message);
        }
        assert_int_equal(fl_lin_check(&history, &options, &report), FL_LIN_EOK);
        const char *got = report.result == FL_LIN_LINEARIZABLE       ? "linearizable"
                          : report.result == FL_LIN_NOT_LINEARIZABLE ? "not-linearizable"
                                                                     : "unknown";
        if (strcmp(got, want) != 0) fail_msg("%s: expected %s, got %s", name, want, got);
        fl_lin_report_deinit(&report);
        fl_lin_history_deinit(&history);
        files++;
    }
    fclose(expected);
    assert_true(files >= 60);
}

/* Checks text with the shortest failing prefix asked for. */
static enum fl_lin_result check_prefix(const char *text, struct fl_lin_report *report) {
    struct fl_lin_options options = {.model = FL_LIN_MODEL_KV, .shortest_prefix = true};
    return check_with(text, &options, report);
}

/* Events 0..9: p1's second read (op 3, events 6 and 7) sees 1 after the write
 * of 2 returned; everything after it is fine. So the shortest failing prefix
 * is 8 events, and op 3 is the one that cannot be placed there. */
static void test_shortest_prefix_ends_at_the_stale_read(void **state) {
    (void)state;
    const char *text = INV(0, "write", "1") RET(0, "ok", "write", "1") INV(1, "read", "null")
        RET(1, "ok", "read", "1") INV(0, "write", "2") RET(0, "ok", "write", "2")
            INV(1, "read", "null") RET(1, "ok", "read", "1") INV(2, "read", "null")
                RET(2, "ok", "read", "2");
    struct fl_lin_report report;
    assert_int_equal(check_prefix(text, &report), FL_LIN_NOT_LINEARIZABLE);
    assert_int_equal(report.prefix_events, 8);
    assert_int_equal(report.prefix_bad_key, 0);
    assert_true(report.prefix_unplaced_count >= 1);
    assert_int_equal(report.prefix_unplaced[0], 3);
    assert_true(report.prefix_checks >= 1);
    fl_lin_report_deinit(&report);
    /* Without the option, nothing is computed. */
    assert_int_equal(check_text(text, FL_LIN_MODEL_REGISTER, 0, &report), FL_LIN_NOT_LINEARIZABLE);
    assert_int_equal(report.prefix_events, 0);
    assert_null(report.prefix_unplaced);
    fl_lin_report_deinit(&report);
}

/* An op still open at the end of a prefix is indefinite there: p1's read of 1
 * is explained by p0's write while that write is open (3 events), and not once
 * it has failed (4). */
static void test_shortest_prefix_treats_open_ops_as_indefinite(void **state) {
    (void)state;
    const char *text = INV(0, "write", "1") INV(1, "read", "null") RET(1, "ok", "read", "1")
        RET(0, "fail", "write", "1") INV(2, "write", "5") RET(2, "ok", "write", "5");
    struct fl_lin_report report;
    assert_int_equal(check_prefix(text, &report), FL_LIN_NOT_LINEARIZABLE);
    assert_int_equal(report.prefix_events, 4);
    assert_int_equal(report.prefix_unplaced[0], 1);
    fl_lin_report_deinit(&report);
}

/* In kv, the prefix spans all keys: key 4 fails in the first 4 events, while
 * key 2 (checked first) fails only from 7 events on. */
static void test_shortest_prefix_in_kv_is_over_all_keys(void **state) {
    (void)state;
    const char *text = KINV(0, 2, "write", "1") KRET(0, 2, "ok", "write", "1")
        KINV(1, 4, "read", "null") KRET(1, 4, "ok", "read", "9") KINV(2, 2, "read", "null")
            KINV(3, 4, "write", "9") KRET(2, 2, "ok", "read", "8") KRET(3, 4, "ok", "write", "9");
    struct fl_lin_report report;
    assert_int_equal(check_prefix(text, &report), FL_LIN_NOT_LINEARIZABLE);
    assert_int_equal(report.bad_key, 2); /* the whole history's first bad key */
    assert_int_equal(report.prefix_events, 4);
    assert_int_equal(report.prefix_bad_key, 4);
    assert_int_equal(report.prefix_unplaced[0], 1);
    fl_lin_report_deinit(&report);
}

/* An indefinite cas that cannot apply when first tried must still be able to
 * take effect later (the search refuses it only where it would change nothing). */
static void test_indefinite_cas_may_apply_later(void **state) {
    (void)state;
    const char *text = INV(0, "cas", "[1,2]") INV(1, "write", "1") RET(1, "ok", "write", "1")
        INV(2, "read", "null") RET(2, "ok", "read", "2");
    assert_int_equal(result_of(text, FL_LIN_MODEL_REGISTER), FL_LIN_LINEARIZABLE);
    const char *bad = INV(0, "cas", "[1,2]") RET(0, "info", "cas", "[1,2]") INV(1, "write", "1")
        RET(1, "ok", "write", "1") INV(2, "read", "null") RET(2, "ok", "read", "2")
            INV(3, "read", "null") RET(3, "ok", "read", "1");
    assert_int_equal(result_of(bad, FL_LIN_MODEL_REGISTER), FL_LIN_NOT_LINEARIZABLE);
}

/* The etcd text cut after its first `events` operation lines. */
static char *etcd_prefix(const char *text, uint64_t events) {
    static const char *const types[] = {"\t:invoke\t", "\t:ok\t", "\t:fail\t", "\t:info\t"};
    const char *c = text;
    uint64_t seen = 0;
    while (seen < events && *c != '\0') {
        const char *eol = strchr(c, '\n');
        const char *end = eol != NULL ? eol : c + strlen(c);
        bool op_line = strncmp(c, "INFO", 4) == 0;
        bool typed = false;
        for (int t = 0; t < 4 && op_line; t++) {
            const char *at = strstr(c, types[t]);
            if (at != NULL && at < end) typed = true;
        }
        if (op_line && typed) seen++;
        c = eol != NULL ? eol + 1 : end;
    }
    assert_int_equal(seen, events);
    size_t n = (size_t)(c - text);
    char *out = malloc(n + 1);
    assert_non_null(out);
    memcpy(out, text, n);
    out[n] = '\0';
    return out;
}

static enum fl_lin_result check_etcd_text(const char *text) {
    struct fl_lin_history history;
    struct fl_lin_error error;
    struct fl_lin_report report;
    struct fl_lin_options options = {.model = FL_LIN_MODEL_REGISTER};
    fl_lin_history_init(&history);
    int parsed = fl_lin_history_parse(&history, text, strlen(text), FL_LIN_FORMAT_JEPSEN,
                                      "prefix.log", &error);
    if (parsed != FL_LIN_EOK) fail_msg("%s", error.message);
    assert_int_equal(fl_lin_check(&history, &options, &report), FL_LIN_EOK);
    enum fl_lin_result result = report.result;
    fl_lin_report_deinit(&report);
    fl_lin_history_deinit(&history);
    return result;
}

/* Every non-linearizable etcd history: the prefix found, cut from the file's
 * text and parsed afresh (so the cut is not the checker's own), is not
 * linearizable, and one event shorter it is linearizable or unknown. */
static void test_etcd_shortest_prefixes(void **state) {
    (void)state;
    FILE *expected = fopen(ETCD_DIR "/EXPECTED", "r");
    if (expected == NULL) {
        print_message("skipping: no etcd histories at %s\n", ETCD_DIR);
        skip();
    }
    char name[64], want[64], path[4096];
    int files = 0, shorter = 0;
    while (fscanf(expected, "%63s %63s", name, want) == 2) {
        if (strcmp(want, "not-linearizable") != 0) continue;
        snprintf(path, sizeof path, "%s/%s", ETCD_DIR, name);
        FILE *file = fopen(path, "rb");
        assert_non_null(file);
        static char text[1 << 20];
        size_t size = fread(text, 1, sizeof text - 1, file);
        fclose(file);
        text[size] = '\0';
        struct fl_lin_history history;
        struct fl_lin_error error;
        struct fl_lin_report report;
        struct fl_lin_options options = {.model = FL_LIN_MODEL_REGISTER, .shortest_prefix = true};
        fl_lin_history_init(&history);
        assert_int_equal(fl_lin_history_parse(&history, text, size, FL_LIN_FORMAT_JEPSEN, name,
                                              &error),
                         FL_LIN_EOK);
        assert_int_equal(fl_lin_check(&history, &options, &report), FL_LIN_EOK);
        assert_int_equal(report.result, FL_LIN_NOT_LINEARIZABLE);
        uint64_t k = report.prefix_events;
        if (k == 0 || k > history.events) fail_msg("%s: prefix of %llu events", name,
                                                   (unsigned long long)k);
        if (k < history.events) shorter++;
        char *cut = etcd_prefix(text, k);
        if (check_etcd_text(cut) != FL_LIN_NOT_LINEARIZABLE)
            fail_msg("%s: the first %llu events are linearizable", name, (unsigned long long)k);
        free(cut);
        cut = etcd_prefix(text, k - 1);
        if (check_etcd_text(cut) == FL_LIN_NOT_LINEARIZABLE)
            fail_msg("%s: the first %llu events already fail", name, (unsigned long long)k - 1);
        free(cut);
        fl_lin_report_deinit(&report);
        fl_lin_history_deinit(&history);
        files++;
    }
    fclose(expected);
    assert_true(files >= 40);
    assert_true(shorter > 0); /* the prefix is not always the whole history */
}

static void test_check_is_deterministic(void **state) {
    (void)state;
    const char *text = INV(0, "write", "1") INV(1, "write", "2") INV(2, "cas", "[1,3]")
        RET(0, "ok", "write", "1") RET(1, "ok", "write", "2") RET(2, "ok", "cas", "[1,3]")
            INV(3, "read", "null") RET(3, "ok", "read", "1");
    struct fl_lin_report a, b;
    assert_int_equal(check_text(text, FL_LIN_MODEL_REGISTER, 0, &a), FL_LIN_NOT_LINEARIZABLE);
    assert_int_equal(check_text(text, FL_LIN_MODEL_REGISTER, 0, &b), FL_LIN_NOT_LINEARIZABLE);
    assert_int_equal(a.states_explored, b.states_explored);
    assert_int_equal(a.steps, b.steps);
    assert_int_equal(a.linearized_count, b.linearized_count);
    assert_memory_equal(a.linearized, b.linearized, a.linearized_count * sizeof *a.linearized);
    fl_lin_report_deinit(&a);
    fl_lin_report_deinit(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_history_is_linearizable),
        cmocka_unit_test(test_read_sees_a_completed_write),
        cmocka_unit_test(test_concurrent_ops_may_take_either_order),
        cmocka_unit_test(test_read_of_a_value_never_written_fails),
        cmocka_unit_test(test_cas_succeeds_only_on_a_match),
        cmocka_unit_test(test_failed_cas_observes_a_mismatch),
        cmocka_unit_test(test_failed_write_never_happened),
        cmocka_unit_test(test_indefinite_write_may_happen),
        cmocka_unit_test(test_indefinite_write_may_not_happen),
        cmocka_unit_test(test_indefinite_write_takes_effect_once),
        cmocka_unit_test(test_indefinite_op_not_before_its_invoke),
        cmocka_unit_test(test_op_never_returned_is_indefinite),
        cmocka_unit_test(test_kv_checks_each_key_alone),
        cmocka_unit_test(test_kv_names_the_bad_key),
        cmocka_unit_test(test_report_names_the_op_that_cannot_be_placed),
        cmocka_unit_test(test_budget_gives_unknown),
        cmocka_unit_test(test_parsers_reject_bad_input_naming_the_line),
        cmocka_unit_test(test_jepsen_format_reads_the_etcd_lines),
        cmocka_unit_test(test_every_etcd_history_matches_expected),
        cmocka_unit_test(test_check_is_deterministic),
        cmocka_unit_test(test_shortest_prefix_ends_at_the_stale_read),
        cmocka_unit_test(test_shortest_prefix_treats_open_ops_as_indefinite),
        cmocka_unit_test(test_shortest_prefix_in_kv_is_over_all_keys),
        cmocka_unit_test(test_indefinite_cas_may_apply_later),
        cmocka_unit_test(test_etcd_shortest_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
