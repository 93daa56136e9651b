/*
 * test_history: the clients' operation history (fl_history_invoke / _return):
 * its trace records, the end-of-run linearizability check (pass, fail with the
 * check "linearizable", no check after an earlier violation or without a
 * history_check), the written history read back by the checker `faultline lin`
 * uses, the fingerprint with and without writing it, and no allocation once warm.
 *
 * The model here is a script: each client runs a fixed list of steps at fixed
 * times (timers), each step an invoke or the return of one of its earlier
 * invokes, so every test knows the exact history it produces.
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
#include "lin.h"

enum step_type { STEP_END = 0, STEP_INVOKE, STEP_RETURN };

struct step {
    uint32_t at_ms;
    uint8_t type;
    uint8_t kind;   /* invoke: enum fl_op_kind */
    uint8_t status; /* return: enum fl_op_status */
    uint8_t op;     /* return: which of this client's invokes (0-based) */
    uint64_t key;
    int64_t value, value_to; /* invoke: the value(s); return: value_out */
};

#define STEPS_MAX 8
#define I(t, k, key, v, v2) {t, STEP_INVOKE, k, 0, 0, key, v, v2}
#define R(t, op, s, v) {t, STEP_RETURN, 0, s, op, 0, v, 0}
#define NIL FL_VALUE_NIL

/* Scripts per variant, per client (c1, c2). */
enum { V_LINEAR, V_STALE, V_OVERLAP, V_VIOLATION, V_HARD, V_COUNT };
static const char *const variants[] = {"linear", "stale", "overlap", "violation", "hard", NULL};
static const char *const variant_help[] = {"linearizable", "a stale read",
                                           "one client, two ops open at once",
                                           "the stale read after an assertion failed",
                                           "six writes never answered, then a read of 99", NULL};

static const struct step scripts[V_COUNT][2][STEPS_MAX] = {
    [V_LINEAR] = {{I(1, FL_OP_WRITE, 0, 1, 0), R(3, 0, FL_OP_OK, 0), I(4, FL_OP_READ, 0, 0, 0),
                   R(6, 1, FL_OP_OK, 1), I(7, FL_OP_WRITE, 1, 9, 0)}, /* never returned */
                  {I(2, FL_OP_CAS, 0, 1, 2), R(5, 0, FL_OP_OK, 0), I(7, FL_OP_READ, 1, 0, 0),
                   R(8, 1, FL_OP_OK, NIL), I(9, FL_OP_CAS, 0, 1, 3), R(10, 2, FL_OP_FAIL, 0)}},
    /* c1 reads 7 at 6 ms: never written. The history goes on after it (8 events),
     * the shortest failing prefix ends at that read's return (6). */
    [V_STALE] = {{I(1, FL_OP_WRITE, 0, 1, 0), R(3, 0, FL_OP_OK, 0), I(4, FL_OP_READ, 0, 0, 0),
                  R(6, 1, FL_OP_OK, 7)},
                 {I(2, FL_OP_CAS, 0, 1, 2), R(5, 0, FL_OP_OK, 0), I(7, FL_OP_WRITE, 0, 3, 0),
                  R(8, 1, FL_OP_OK, 0)}},
    /* c1 writes 5 and reads while the write is open; the write times out. */
    [V_OVERLAP] = {{I(1, FL_OP_WRITE, 2, 5, 0), I(1, FL_OP_READ, 2, 0, 0), R(2, 1, FL_OP_OK, 5),
                    R(3, 0, FL_OP_INFO, 0), I(4, FL_OP_READ, 2, 0, 0), R(5, 2, FL_OP_OK, 5)},
                   {I(6, FL_OP_WRITE, 2, 6, 0), R(7, 0, FL_OP_OK, 0)}},
    [V_VIOLATION] = {{I(1, FL_OP_WRITE, 0, 1, 0), R(3, 0, FL_OP_OK, 0), I(4, FL_OP_READ, 0, 0, 0),
                      R(6, 1, FL_OP_OK, 7)},
                     {{0}}},
    /* Every order of the open writes must be tried before "no": many states. */
    [V_HARD] = {{I(1, FL_OP_WRITE, 0, 1, 0), I(1, FL_OP_WRITE, 0, 2, 0), I(1, FL_OP_WRITE, 0, 3, 0),
                 I(1, FL_OP_WRITE, 0, 4, 0), I(1, FL_OP_WRITE, 0, 5, 0), I(1, FL_OP_WRITE, 0, 6, 0)},
                {I(2, FL_OP_READ, 0, 0, 0), R(3, 0, FL_OP_OK, 99)}},
};

struct script_state {
    uint64_t handles[STEPS_MAX];
    uint32_t invoked;
};

static const struct step *client_script(fl_node *node) {
    uint32_t client = fl_self(node) - fl_server_count(node);
    return scripts[fl_variant(node)][client];
}

static void client_start(fl_node *node, void *state) {
    (void)state;
    const struct step *steps = client_script(node);
    for (uint64_t i = 0; i < STEPS_MAX && steps[i].type != STEP_END; i++) {
        fl_timer_set(node, steps[i].at_ms * 1000000ull, i);
    }
}

static void client_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct script_state *s = state;
    const struct step *step = &client_script(node)[tag];
    if (step->type == STEP_INVOKE) {
        s->handles[s->invoked++] = fl_history_invoke(node, (enum fl_op_kind)step->kind, step->key,
                                                     step->value, step->value_to);
    } else {
        fl_history_return(node, s->handles[step->op], (enum fl_op_status)step->status,
                          step->value);
    }
    fl_always(node, !(fl_variant(node) == V_VIOLATION && tag == 2), "script.no_second_step");
}

static const struct fl_service server = {0};
static const struct fl_service client = {.state_size_bytes = sizeof(struct script_state),
                                         .start = client_start,
                                         .on_timer = client_timer};

static const struct fl_model script_kv = {
    .name = "script",
    .summary = "clients run a fixed operation script",
    .server = &server,
    .client = &client,
    .variants = variants,
    .variant_help = variant_help,
    .server_count_min = 1,
    .history_check = FL_HISTORY_KV,
};
static struct fl_model script_none;  /* the same without a history check */
static struct fl_model script_small; /* the same with a search budget of 20 states */
static const struct fl_model *models[] = {&script_kv, &script_none, &script_small, NULL};

static struct fl_scenario *scenario_of(const char *model, const char *variant) {
    script_none = script_kv;
    script_none.name = "script_none";
    script_none.history_check = FL_HISTORY_NONE;
    script_small = script_kv;
    script_small.name = "script_small";
    script_small.history_states_max = 20;
    char text[512];
    snprintf(text, sizeof text,
             "{\"name\":\"h\",\"model\":\"%s\",\"variant\":\"%s\",\"nodes\":1,\"clients\":2,"
             "\"duration\":\"1s\"}",
             model, variant);
    struct fl_error error;
    struct fl_scenario *scenario = fl_scenario_parse(text, strlen(text), "h.json", models, &error);
    if (scenario == NULL) fail_msg("%s", error.message);
    return scenario;
}

static struct fl_sim *run(const struct fl_scenario *scenario, FILE *trace,
                          struct fl_result *result) {
    struct fl_run_options options = {.seed = 1, .trace = trace};
    struct fl_sim *sim = fl_sim_create(scenario, &options);
    assert_non_null(sim);
    fl_sim_run(sim, result);
    return sim;
}

static void test_linearizable_history_passes(void **state) {
    (void)state;
    struct fl_scenario *scenario = scenario_of("script", "linear");
    struct fl_result result;
    struct fl_sim *sim = run(scenario, NULL, &result);
    assert_true(result.pass);
    assert_int_equal(result.stop, FL_STOP_IDLE);
    assert_int_equal(fl_sim_history_count(sim), 6);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_overlapping_ops_of_one_client_pass(void **state) {
    (void)state;
    struct fl_scenario *scenario = scenario_of("script", "overlap");
    struct fl_result result;
    struct fl_sim *sim = run(scenario, NULL, &result);
    assert_true(result.pass);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_stale_read_is_a_linearizability_violation(void **state) {
    (void)state;
    struct fl_scenario *scenario = scenario_of("script", "stale");
    struct fl_result result;
    struct fl_sim *sim = run(scenario, NULL, &result);
    assert_false(result.pass);
    assert_int_equal(result.stop, FL_STOP_IDLE);
    assert_int_equal(result.violation_count, 1);
    assert_string_equal(result.violations[0].check, "linearizable");
    assert_non_null(strstr(result.violations[0].message,
                           "key 0: read by c1 returned 7 at 0.006 s, no order of the 4 "
                           "operations explains it (the first 6 of 8 history events already "
                           "fail)"));
    assert_int_equal(result.violations[0].node, FL_NODE_NONE);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

/* A history the search cannot finish within its budget is not a pass. */
static void test_unchecked_history_is_a_violation(void **state) {
    (void)state;
    struct fl_scenario *scenario = scenario_of("script_small", "hard");
    struct fl_result result;
    struct fl_sim *sim = run(scenario, NULL, &result);
    assert_false(result.pass);
    assert_int_equal(result.violation_count, 1);
    assert_string_equal(result.violations[0].check, "linearizable");
    assert_non_null(strstr(result.violations[0].message,
                           "search budget exhausted after 20 states on 7 operations: the "
                           "history is unchecked"));
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
    /* With the default budget the search finishes, and the answer is no. */
    scenario = scenario_of("script", "hard");
    sim = run(scenario, NULL, &result);
    assert_false(result.pass);
    assert_non_null(strstr(result.violations[0].message, "key 0: read by c2 returned 99"));
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_no_history_check_without_history_check(void **state) {
    (void)state;
    struct fl_scenario *scenario = scenario_of("script_none", "stale");
    struct fl_result result;
    struct fl_sim *sim = run(scenario, NULL, &result);
    assert_true(result.pass); /* the same stale read, unchecked by this model's choice */
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_no_history_check_after_an_earlier_violation(void **state) {
    (void)state;
    struct fl_scenario *scenario = scenario_of("script", "violation");
    struct fl_result result;
    struct fl_sim *sim = run(scenario, NULL, &result);
    assert_false(result.pass);
    assert_int_equal(result.stop, FL_STOP_VIOLATION);
    assert_int_equal(result.violation_count, 1);
    assert_string_equal(result.violations[0].check, "script.no_second_step");
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

/* Reads a whole temporary file into a string. */
static char *slurp(FILE *file) {
    long size = ftell(file);
    assert_true(size >= 0);
    rewind(file);
    char *text = calloc((size_t)size + 1, 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, file), (size_t)size);
    return text;
}

static void test_trace_records_of_operations(void **state) {
    (void)state;
    struct fl_scenario *scenario = scenario_of("script", "linear");
    FILE *trace = tmpfile();
    assert_non_null(trace);
    struct fl_result result;
    struct fl_sim *sim = run(scenario, trace, &result);
    char *text = slurp(trace);
    assert_non_null(strstr(text, "\"kind\":\"op_invoke\",\"node\":\"c2\",\"cause\":"));
    assert_non_null(strstr(text, ",\"f\":\"cas\",\"key\":0,\"value\":[1,2],\"op\":2}"));
    assert_non_null(strstr(text, ",\"f\":\"read\",\"status\":\"ok\",\"value\":1,\"op\":3}"));
    assert_non_null(strstr(text, ",\"f\":\"read\",\"status\":\"ok\",\"value\":null,\"op\":"));
    assert_non_null(strstr(text, ",\"f\":\"cas\",\"status\":\"fail\",\"op\":6}"));
    free(text);
    fclose(trace);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

/* The written history, parsed as `faultline lin --format jsonl` parses it, gets
 * the engine's answer; and writing it changes nothing in the run. */
static void round_trip(const char *variant, enum fl_lin_result expected) {
    struct fl_scenario *scenario = scenario_of("script", variant);
    struct fl_result plain, written;
    struct fl_sim *sim = run(scenario, NULL, &plain);
    fl_sim_destroy(sim);
    sim = run(scenario, NULL, &written);
    FILE *file = tmpfile();
    assert_non_null(file);
    assert_true(fl_sim_history_write(sim, file));
    assert_int_equal(plain.fingerprint, written.fingerprint);
    char *text = slurp(file);
    fclose(file);
    struct fl_lin_history history;
    struct fl_lin_error error;
    fl_lin_history_init(&history);
    int status = fl_lin_history_parse(&history, text, strlen(text), FL_LIN_FORMAT_JSONL,
                                      "history.jsonl", &error);
    if (status != FL_LIN_EOK) fail_msg("%s\n%s", error.message, text);
    assert_int_equal(history.count, fl_sim_history_count(sim));
    struct fl_lin_options options = {.model = FL_LIN_MODEL_KV};
    struct fl_lin_report report;
    assert_int_equal(fl_lin_check(&history, &options, &report), FL_LIN_EOK);
    assert_int_equal(report.result, expected);
    assert_int_equal(written.pass, expected == FL_LIN_LINEARIZABLE);
    fl_lin_report_deinit(&report);
    fl_lin_history_deinit(&history);
    free(text);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

static void test_written_history_round_trips(void **state) {
    (void)state;
    round_trip("linear", FL_LIN_LINEARIZABLE);
    round_trip("stale", FL_LIN_NOT_LINEARIZABLE);
    round_trip("overlap", FL_LIN_LINEARIZABLE);
}

static void test_written_history_lines(void **state) {
    (void)state;
    struct fl_scenario *scenario = scenario_of("script", "overlap");
    struct fl_result result;
    struct fl_sim *sim = run(scenario, NULL, &result);
    FILE *file = tmpfile();
    assert_true(fl_sim_history_write(sim, file));
    char *text = slurp(file);
    fclose(file);
    /* c1 is node 1 of 3: its second op open at once gets process 1 + 3. */
    const char *expected =
        "{\"process\": 1, \"type\": \"invoke\", \"f\": \"write\", \"key\": 2, \"value\": 5, "
        "\"node\": 1, \"t\": 1000000}\n"
        "{\"process\": 4, \"type\": \"invoke\", \"f\": \"read\", \"key\": 2, \"value\": null, "
        "\"node\": 1, \"t\": 1000000}\n"
        "{\"process\": 4, \"type\": \"ok\", \"f\": \"read\", \"key\": 2, \"value\": 5, "
        "\"node\": 1, \"t\": 2000000}\n"
        "{\"process\": 1, \"type\": \"info\", \"f\": \"write\", \"key\": 2, \"value\": 5, "
        "\"node\": 1, \"t\": 3000000}\n";
    assert_memory_equal(text, expected, strlen(expected));
    free(text);
    fl_sim_destroy(sim);
    fl_scenario_free(scenario);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linearizable_history_passes),
        cmocka_unit_test(test_overlapping_ops_of_one_client_pass),
        cmocka_unit_test(test_stale_read_is_a_linearizability_violation),
        cmocka_unit_test(test_unchecked_history_is_a_violation),
        cmocka_unit_test(test_no_history_check_without_history_check),
        cmocka_unit_test(test_no_history_check_after_an_earlier_violation),
        cmocka_unit_test(test_trace_records_of_operations),
        cmocka_unit_test(test_written_history_round_trips),
        cmocka_unit_test(test_written_history_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
