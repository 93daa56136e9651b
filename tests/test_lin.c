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
#include <string.h>

#include "lin.h"

#define ETCD_DIR FL_SOURCE_DIR "/../shared/data/linearizability/etcd"

/* Parses jsonl text (asserting it is valid) and checks it. */
static enum fl_lin_result check_text(const char *text, enum fl_lin_model model, uint64_t states_max,
                                     struct fl_lin_report *report) {
    struct fl_lin_history history;
    struct fl_lin_error error;
    fl_lin_history_init(&history);
    int parsed =
        fl_lin_history_parse(&history, text, strlen(text), FL_LIN_FORMAT_JSONL, "t.jsonl", &error);
    if (parsed != FL_LIN_EOK) fail_msg("parse failed: %s", error.message);
    struct fl_lin_options options = {.model = model, .states_max = states_max};
    assert_int_equal(fl_lin_check(&history, &options, report), FL_LIN_EOK);
    fl_lin_history_deinit(&history);
    return report->result;
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
