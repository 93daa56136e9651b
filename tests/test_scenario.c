/*
 * Tests for sim/scenario.c: the scenario file parser.
 *
 * Each test feeds one JSON text to fl_scenario_parse and checks either the
 * values parsed or the exact one-line error. JSON is written with single quotes
 * and turned into double quotes by parse_ok / expect_error, so the texts stay
 * readable in C. Two models are defined here: "test" (a server and a client
 * service, variants correct/buggy, three parameters) and "quorum" (no client
 * service, no parameters, at least 2 servers).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

/* --- the models ----------------------------------------------------------------------- */

static void start_nothing(fl_node *node, void *state) {
    (void)node;
    (void)state;
}

static const struct fl_service test_server = {.state_size_bytes = 16, .start = start_nothing};
static const struct fl_service test_client = {.state_size_bytes = 8, .start = start_nothing};

static const char *const test_variants[] = {"correct", "buggy", NULL};
static const char *const test_variant_help[] = {"as designed", "with a planted bug", NULL};

static const struct fl_param test_params[] = {
    {"interval", FL_PARAM_DURATION, INT64_C(1000000), INT64_C(10000000000), INT64_C(100000000),
     "time between requests"},
    {"payload_bytes", FL_PARAM_INT, 1, 1024, 32, "request size"},
    {"verbose", FL_PARAM_BOOL, 0, 1, 0, "annotate every message"},
    {.name = NULL},
};

static const struct fl_model test_model = {
    .name = "test",
    .summary = "a server and a client",
    .server = &test_server,
    .client = &test_client,
    .variants = test_variants,
    .variant_help = test_variant_help,
    .params = test_params,
    .server_count_min = 1,
};

static const struct fl_model quorum_model = {
    .name = "quorum",
    .summary = "servers only, at least two",
    .server = &test_server,
    .client = NULL,
    .variants = test_variants,
    .variant_help = test_variant_help,
    .params = NULL,
    .server_count_min = 2,
};

static const struct fl_model *const models[] = {&test_model, &quorum_model, NULL};

/* --- helpers -------------------------------------------------------------------------- */

#define MS INT64_C(1000000)
#define S INT64_C(1000000000)
#define BASE "'name':'t','model':'test','nodes':5,'clients':2,'duration':'30s'"
#define QUORUM "'name':'q','model':'quorum','nodes':3,'duration':'30s'"

/* Single quotes to double quotes, so JSON reads well inside C strings. */
static char *json_text(const char *single_quoted) {
    size_t length = strlen(single_quoted);
    char *text = malloc(length + 1);
    assert_non_null(text);
    for (size_t i = 0; i <= length; i++) {
        text[i] = single_quoted[i] == '\'' ? '"' : single_quoted[i];
    }
    return text;
}

static struct fl_scenario *parse_ok(const char *single_quoted) {
    char *text = json_text(single_quoted);
    struct fl_error error = {{0}};
    struct fl_scenario *scenario = fl_scenario_parse(text, strlen(text), "x.json", models, &error);
    free(text);
    if (scenario == NULL) fail_msg("unexpected error: %s", error.message);
    return scenario;
}

static void expect_error(const char *single_quoted, const char *message) {
    char *text = json_text(single_quoted);
    struct fl_error error = {{0}};
    struct fl_scenario *scenario = fl_scenario_parse(text, strlen(text), "x.json", models, &error);
    free(text);
    if (scenario != NULL) {
        fl_scenario_free(scenario);
        fail_msg("parsed, but expected the error: %s", message);
    }
    assert_string_equal(error.message, message);
}

static uint64_t quiet_since(const char *faults) {
    char text[2048];
    snprintf(text, sizeof(text), "{" BASE ",'faults':[%s]}", faults);
    struct fl_scenario *scenario = parse_ok(text);
    uint64_t quiet_ns = fl_scenario_quiet_since_ns(scenario);
    fl_scenario_free(scenario);
    return quiet_ns;
}

/* --- root keys ------------------------------------------------------------------------ */

static void test_minimal_scenario_takes_every_default(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok("{'name':'t','model':'test','nodes':3,'duration':'10s'}");
    assert_string_equal(s->name, "t");
    assert_string_equal(s->description, "");
    assert_int_equal(s->variant, 0);
    assert_int_equal(s->server_count, 3);
    assert_int_equal(s->client_count, 0);
    assert_int_equal(s->duration_ns, 10 * S);
    assert_int_equal(s->events_max, 100000000);
    assert_int_equal(s->net.latency_min_ns, 1 * MS);
    assert_int_equal(s->net.latency_tail_mean_ns, 0);
    assert_int_equal(s->net.latency_tail_max_ns, 0);
    assert_int_equal(s->net.loss_ppm, 0);
    assert_int_equal(s->net.duplicate_ppm, 0);
    assert_int_equal(s->net.corrupt_ppm, 0);
    assert_int_equal(s->net.queue_count_max, 4096);
    assert_int_equal(s->message_size_max_bytes, 65536);
    assert_null(s->links);
    assert_int_equal(s->link_count, 0);
    assert_int_equal(s->clocks.offset_ns_max, 0);
    assert_int_equal(s->clocks.drift_ppm_max, 0);
    assert_true(s->clocks.wall_epoch_ns == INT64_C(1767225600) * S);
    assert_null(s->clock_overrides);
    assert_null(s->faults);
    assert_int_equal(s->fault_count, 0);
    fl_scenario_free(s);
}

static void test_accessors_return_name_path_model_and_variant(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok("{" BASE ",'description':'two clients'}");
    assert_string_equal(fl_scenario_name(s), "t");
    assert_string_equal(fl_scenario_path(s), "x.json");
    assert_ptr_equal(fl_scenario_model(s), &test_model);
    assert_string_equal(fl_scenario_variant_name(s), "correct");
    assert_string_equal(s->description, "two clients");
    assert_int_equal(fl_scenario_node_count(s), 7);
    fl_scenario_free(s);
}

static void test_variant_selects_by_name(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok("{" BASE ",'variant':'buggy'}");
    assert_int_equal(s->variant, 1);
    assert_string_equal(fl_scenario_variant_name(s), "buggy");
    fl_scenario_free(s);
}

static void test_unknown_variant_lists_variants(void **state) {
    (void)state;
    expect_error("{" BASE ",'variant':'bugy'}",
                 "x.json: $.variant: unknown variant \"bugy\" of model \"test\" "
                 "(variants: correct, buggy)");
}

static void test_unknown_model_lists_known_models(void **state) {
    (void)state;
    expect_error("{'name':'t','model':'raft','nodes':3,'duration':'1s'}",
                 "x.json: $.model: unknown model \"raft\" (known models: test, quorum)");
}

static void test_missing_required_key_is_named(void **state) {
    (void)state;
    expect_error("{'model':'test','nodes':3,'duration':'1s'}",
                 "x.json: $: missing required key \"name\"");
    expect_error("{'name':'t','model':'test','nodes':3}",
                 "x.json: $: missing required key \"duration\"");
}

static void test_name_longer_than_64_bytes_is_rejected(void **state) {
    (void)state;
    expect_error("{'name':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
                 "'model':'test','nodes':3,'duration':'1s'}",
                 "x.json: $.name: expected a string of 1 to 64 bytes, got "
                 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
    expect_error("{'name':'','model':'test','nodes':3,'duration':'1s'}",
                 "x.json: $.name: expected a string of 1 to 64 bytes, got \"\"");
}

static void test_unknown_key_names_path_and_suggests(void **state) {
    (void)state;
    expect_error("{" BASE ",'network':{'los':0.1}}",
                 "x.json: $.network.los: unknown key (did you mean \"loss\"?)");
    expect_error("{" BASE ",'nodse':3}",
                 "x.json: $.nodse: unknown key (did you mean \"nodes\"?)");
}

static void test_unknown_key_far_from_any_lists_allowed_keys(void **state) {
    (void)state;
    expect_error("{" BASE ",'budget':{'limit':5}}",
                 "x.json: $.budget.limit: unknown key (allowed: events_max)");
}

static void test_duplicate_key_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'network':{'loss':0.1,'loss':0.2}}",
                 "x.json: $.network.loss: duplicate key (each key may appear once)");
    expect_error("{" BASE ",'nodes':4}", "x.json: $.nodes: duplicate key (each key may appear once)");
}

static void test_wrong_json_type_names_what_was_found(void **state) {
    (void)state;
    expect_error("{'name':'t','model':'test','nodes':'3','duration':'1s'}",
                 "x.json: $.nodes: expected an integer from 1 to 1024, got \"3\"");
    expect_error("{" BASE ",'network':[]}",
                 "x.json: $.network: expected an object, got an empty array");
    expect_error("{" BASE ",'variant':null}", "x.json: $.variant: expected a string, got null");
    expect_error("{'name':'t','model':'test','nodes':2.5,'duration':'1s'}",
                 "x.json: $.nodes: expected an integer from 1 to 1024, got 2.5");
}

static void test_nodes_below_model_minimum_names_the_minimum(void **state) {
    (void)state;
    expect_error("{'name':'q','model':'quorum','nodes':1,'duration':'1s'}",
                 "x.json: $.nodes: expected an integer from 2 to 1024 (model \"quorum\" needs "
                 "at least 2 servers), got 1");
}

static void test_clients_on_model_without_client_service_are_rejected(void **state) {
    (void)state;
    expect_error("{" QUORUM ",'clients':2}",
                 "x.json: $.clients: model \"quorum\" has no client service, so clients must "
                 "be 0, got 2");
    struct fl_scenario *s = parse_ok("{" QUORUM ",'clients':0}");
    assert_int_equal(s->client_count, 0);
    fl_scenario_free(s);
}

static void test_nodes_plus_clients_above_the_limit_are_rejected(void **state) {
    (void)state;
    expect_error("{'name':'t','model':'test','nodes':1000,'clients':25,'duration':'1s'}",
                 "x.json: $.clients: expected an integer from 0 to 24 (nodes + clients at most "
                 "1024), got 25");
    struct fl_scenario *s =
        parse_ok("{'name':'t','model':'test','nodes':1000,'clients':24,'duration':'1s'}");
    assert_int_equal(fl_scenario_node_count(s), 1024);
    fl_scenario_free(s);
}

static void test_duration_without_unit_is_rejected(void **state) {
    (void)state;
    expect_error("{'name':'t','model':'test','nodes':3,'duration':30}",
                 "x.json: $.duration: expected a duration greater than 0s and at most 24h, "
                 "written with a unit as in \"250ms\", got 30");
    expect_error("{'name':'t','model':'test','nodes':3,'duration':'30'}",
                 "x.json: $.duration: expected a duration greater than 0s and at most 24h, "
                 "written with a unit as in \"250ms\", got \"30\"");
}

static void test_run_duration_must_be_positive_and_at_most_a_day(void **state) {
    (void)state;
    expect_error("{'name':'t','model':'test','nodes':3,'duration':'0s'}",
                 "x.json: $.duration: expected a duration greater than 0s and at most 24h, "
                 "got \"0s\"");
    expect_error("{'name':'t','model':'test','nodes':3,'duration':'25h'}",
                 "x.json: $.duration: expected a duration greater than 0s and at most 24h, "
                 "got \"25h\"");
}

/* --- params --------------------------------------------------------------------------- */

static void test_params_take_defaults(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok("{" BASE "}");
    assert_int_equal(s->param_count, 3);
    assert_non_null(s->param_values);
    assert_int_equal(s->param_values[0], 100 * MS);
    assert_int_equal(s->param_values[1], 32);
    assert_int_equal(s->param_values[2], 0);
    fl_scenario_free(s);
}

static void test_params_parse_each_kind(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'params':{'verbose':true,'interval':'2.5s','payload_bytes':1024}}");
    assert_int_equal(s->param_values[0], 2500 * MS);
    assert_int_equal(s->param_values[1], 1024);
    assert_int_equal(s->param_values[2], 1);
    fl_scenario_free(s);
}

static void test_param_out_of_range_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'params':{'payload_bytes':2000}}",
                 "x.json: $.params.payload_bytes: expected an integer from 1 to 1024, got 2000");
    expect_error("{" BASE ",'params':{'interval':'500us'}}",
                 "x.json: $.params.interval: expected a duration from 1ms to 10s, got "
                 "\"500us\"");
}

static void test_param_integer_with_a_fraction_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'params':{'payload_bytes':1.5}}",
                 "x.json: $.params.payload_bytes: expected an integer from 1 to 1024, got 1.5");
}

static void test_param_bool_must_be_true_or_false(void **state) {
    (void)state;
    expect_error("{" BASE ",'params':{'verbose':1}}",
                 "x.json: $.params.verbose: expected true or false, got 1");
}

static void test_unknown_param_suggests_the_closest(void **state) {
    (void)state;
    expect_error("{" BASE ",'params':{'intervall':'1s'}}",
                 "x.json: $.params.intervall: unknown key (did you mean \"interval\"?)");
}

static void test_model_without_params_rejects_any_param(void **state) {
    (void)state;
    expect_error("{" QUORUM ",'params':{'x':1}}",
                 "x.json: $.params.x: unknown key (model \"quorum\" has no parameters)");
    struct fl_scenario *s = parse_ok("{" QUORUM ",'params':{}}");
    assert_null(s->param_values);
    assert_int_equal(s->param_count, 0);
    fl_scenario_free(s);
}

/* --- budget and network --------------------------------------------------------------- */

static void test_budget_sets_events_max_within_range(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok("{" BASE ",'budget':{'events_max':1000000000000}}");
    assert_int_equal(s->events_max, UINT64_C(1000000000000));
    fl_scenario_free(s);
    expect_error("{" BASE ",'budget':{'events_max':0}}",
                 "x.json: $.budget.events_max: expected an integer from 1 to 1000000000000, "
                 "got 0");
}

static void test_network_parses_every_key(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'network':{'latency_min':'2ms','latency_tail_mean':'5ms',"
        "'latency_tail_max':'50ms','loss':0.01,'duplicate':0.5,'corrupt':1,"
        "'queue_max':10,'message_size_max':1048576}}");
    assert_int_equal(s->net.latency_min_ns, 2 * MS);
    assert_int_equal(s->net.latency_tail_mean_ns, 5 * MS);
    assert_int_equal(s->net.latency_tail_max_ns, 50 * MS);
    assert_int_equal(s->net.loss_ppm, 10000);
    assert_int_equal(s->net.duplicate_ppm, 500000);
    assert_int_equal(s->net.corrupt_ppm, 1000000);
    assert_int_equal(s->net.queue_count_max, 10);
    assert_int_equal(s->message_size_max_bytes, 1048576);
    fl_scenario_free(s);
}

static void test_probability_above_one_is_rejected(void **state) {
    (void)state;
    char *text = json_text("{" BASE ",'network':{'loss':1.5}}");
    struct fl_error error;
    struct fl_scenario *s =
        fl_scenario_parse(text, strlen(text), "scenarios/x.json", models, &error);
    free(text);
    assert_null(s);
    assert_string_equal(error.message,
                        "scenarios/x.json: $.network.loss: expected a probability from 0 to 1, "
                        "got 1.5");
    expect_error("{" BASE ",'network':{'corrupt':'1%'}}",
                 "x.json: $.network.corrupt: expected a probability from 0 to 1, got \"1%\"");
}

static void test_probability_rounds_to_the_nearest_ppm(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'network':{'loss':0.1234565,'duplicate':0.0000004,'corrupt':0.0000005}}");
    assert_int_equal(s->net.loss_ppm, 123457);
    assert_int_equal(s->net.duplicate_ppm, 0);
    assert_int_equal(s->net.corrupt_ppm, 1);
    fl_scenario_free(s);
}

static void test_tail_max_defaults_to_twenty_times_the_mean(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok("{" BASE ",'network':{'latency_tail_mean':'3ms'}}");
    assert_int_equal(s->net.latency_tail_max_ns, 60 * MS);
    fl_scenario_free(s);
    s = parse_ok("{" BASE ",'network':{'latency_tail_mean':'10m'}}");
    assert_int_equal(s->net.latency_tail_max_ns, 3600 * S); /* capped at the 1h limit */
    fl_scenario_free(s);
}

static void test_tail_max_below_the_mean_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'network':{'latency_tail_max':'1ms','latency_tail_mean':'5ms'}}",
                 "x.json: $.network.latency_tail_max: expected a duration of at least "
                 "latency_tail_mean (5ms), got \"1ms\"");
}

static void test_network_duration_above_an_hour_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'network':{'latency_min':'61m'}}",
                 "x.json: $.network.latency_min: expected a duration from 0s to 1h, got "
                 "\"61m\"");
    expect_error("{" BASE ",'network':{'latency_min':'-1ms'}}",
                 "x.json: $.network.latency_min: expected a duration from 0s to 1h, got "
                 "\"-1ms\"");
}

static void test_links_inherit_network_defaults_regardless_of_key_order(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'network':{'links':[{'from':'n1','to':'c2','loss':0.5},"
        "{'from':'c1','to':'n5','latency_tail_mean':'1ms'}],"
        "'latency_min':'7ms','loss':0.25,'queue_max':9,'latency_tail_mean':'2ms'}}");
    assert_int_equal(s->link_count, 2);
    const struct fl_link_override *first = &s->links[0];
    assert_int_equal(first->from, 0);
    assert_int_equal(first->to, 6);
    assert_int_equal(first->params.loss_ppm, 500000);
    assert_int_equal(first->params.latency_min_ns, 7 * MS);
    assert_int_equal(first->params.queue_count_max, 9);
    assert_int_equal(first->params.latency_tail_mean_ns, 2 * MS);
    assert_int_equal(first->params.latency_tail_max_ns, 40 * MS);
    const struct fl_link_override *second = &s->links[1];
    assert_int_equal(second->from, 5);
    assert_int_equal(second->to, 4);
    assert_int_equal(second->params.loss_ppm, 250000);
    assert_int_equal(second->params.latency_tail_mean_ns, 1 * MS);
    assert_int_equal(second->params.latency_tail_max_ns, 20 * MS);
    fl_scenario_free(s);
}

static void test_link_from_a_node_to_itself_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'network':{'links':[{'from':'n2','to':'n2'}]}}",
                 "x.json: $.network.links[0]: \"from\" and \"to\" are both \"n2\"; a link joins "
                 "two different nodes");
}

static void test_link_needs_from_and_to(void **state) {
    (void)state;
    expect_error("{" BASE ",'network':{'links':[{'from':'n2'}]}}",
                 "x.json: $.network.links[0]: missing required key \"to\"");
}

static void test_link_to_unknown_node_lists_the_nodes(void **state) {
    (void)state;
    expect_error("{" QUORUM ",'network':{'links':[{'from':'n1','to':'c1'}]}}",
                 "x.json: $.network.links[0].to: node \"c1\" does not exist (servers are "
                 "n1..n3, no clients)");
    expect_error("{" BASE ",'network':{'links':[{'from':'n01','to':'n2'}]}}",
                 "x.json: $.network.links[0].from: node \"n01\" does not exist (servers are "
                 "n1..n5, clients c1..c2)");
}

/* --- clocks --------------------------------------------------------------------------- */

static void test_clocks_parse_every_key(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'clocks':{'offset_max':'250ms','drift_ppm_max':100,'wall_epoch':0}}");
    assert_int_equal(s->clocks.offset_ns_max, 250 * MS);
    assert_int_equal(s->clocks.drift_ppm_max, 100);
    assert_int_equal(s->clocks.wall_epoch_ns, 0);
    fl_scenario_free(s);
    expect_error("{" BASE ",'clocks':{'wall_epoch':4102444801}}",
                 "x.json: $.clocks.wall_epoch: expected an integer from 0 to 4102444800, got "
                 "4102444801");
}

static void test_clock_overrides_are_per_node(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'clocks':{'nodes':{'n3':{'offset':'-1.5s','drift_ppm':-200},'c2':{}}}}");
    assert_int_equal(s->clock_override_count, 2);
    assert_int_equal(s->clock_overrides[0].node, 2);
    assert_true(s->clock_overrides[0].offset_ns == -1500 * MS);
    assert_true(s->clock_overrides[0].drift_ppm == -200);
    assert_int_equal(s->clock_overrides[1].node, 6);
    assert_int_equal(s->clock_overrides[1].offset_ns, 0);
    assert_int_equal(s->clock_overrides[1].drift_ppm, 0);
    fl_scenario_free(s);
}

static void test_clock_override_for_unknown_node_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'clocks':{'nodes':{'n9':{}}}}",
                 "x.json: $.clocks.nodes.n9: node \"n9\" does not exist (servers are n1..n5, "
                 "clients c1..c2)");
}

static void test_clock_override_twice_for_a_node_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'clocks':{'nodes':{'n1':{},'n1':{'drift_ppm':5}}}}",
                 "x.json: $.clocks.nodes.n1: duplicate key (each key may appear once)");
}

static void test_clock_override_out_of_range_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'clocks':{'nodes':{'n1':{'offset':'2h'}}}}",
                 "x.json: $.clocks.nodes.n1.offset: expected a duration from -1h to 1h, got "
                 "\"2h\"");
    expect_error("{" BASE ",'clocks':{'nodes':{'n1':{'drift_ppm':-100001}}}}",
                 "x.json: $.clocks.nodes.n1.drift_ppm: expected an integer from -100000 to "
                 "100000, got -100001");
}

/* --- faults --------------------------------------------------------------------------- */

static void test_faults_are_sorted_stably_by_time(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'faults':[{'at':'5s','type':'crash','node':'n1'},"
        "{'at':'1s','type':'heal'},{'at':'5s','type':'restart','node':'n1'},"
        "{'at':'0s','type':'isolate','node':'c1'}]}");
    assert_int_equal(s->fault_count, 4);
    assert_int_equal(s->faults[0].kind, FL_FAULT_ISOLATE);
    assert_int_equal(s->faults[0].at_ns, 0);
    assert_int_equal(s->faults[0].node, 5);
    assert_int_equal(s->faults[1].kind, FL_FAULT_HEAL);
    assert_int_equal(s->faults[2].kind, FL_FAULT_CRASH);
    assert_int_equal(s->faults[3].kind, FL_FAULT_RESTART);
    assert_int_equal(s->faults[3].at_ns, 5 * S);
    fl_scenario_free(s);
}

static void test_fault_node_that_does_not_exist_names_servers_and_clients(void **state) {
    (void)state;
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'heal'},{'at':'2s','type':'heal'},"
                 "{'at':'3s','type':'isolate','node':'n9'}]}",
                 "x.json: $.faults[2].node: node \"n9\" does not exist (servers are n1..n5, "
                 "clients c1..c2)");
}

static void test_fault_at_or_after_the_end_of_the_run_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'faults':[{'at':'40s','type':'heal'}]}",
                 "x.json: $.faults[0].at: \"40s\" is after the end of the run (duration 30s)");
    expect_error("{" BASE ",'faults':[{'at':'30s','type':'heal'}]}",
                 "x.json: $.faults[0].at: \"30s\" is at the end of the run (duration 30s)");
    expect_error("{" BASE ",'faults':[{'at':'-1s','type':'heal'}]}",
                 "x.json: $.faults[0].at: expected a duration from 0s to 24h, got \"-1s\"");
}

static void test_unknown_fault_type_lists_the_types(void **state) {
    (void)state;
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'partition'}]}",
                 "x.json: $.faults[0].type: unknown fault type \"partition\" (types: isolate, "
                 "split, bridge, oneway, hold, release, heal, crash, restart, pause, "
                 "clock_jump, disk_full, disk_corrupt)");
}

static void test_fault_key_not_allowed_for_its_type_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'heal','node':'n1'}]}",
                 "x.json: $.faults[0].node: unknown key in a heal fault (allowed: at, type)");
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'crash','nodes':'n1'}]}",
                 "x.json: $.faults[0].nodes: unknown key in a crash fault (did you mean "
                 "\"node\"?)");
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'isolate','restart_after':'1s',"
                 "'node':'n1'}]}",
                 "x.json: $.faults[0].restart_after: unknown key in an isolate fault "
                 "(allowed: at, type, node, duration)");
}

static void test_fault_needs_its_required_keys(void **state) {
    (void)state;
    expect_error("{" BASE ",'faults':[{'at':'1s'}]}",
                 "x.json: $.faults[0]: missing required key \"type\"");
    expect_error("{" BASE ",'faults':[{'type':'heal'}]}",
                 "x.json: $.faults[0]: missing required key \"at\"");
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'oneway','from':'n1'}]}",
                 "x.json: $.faults[0]: missing required key \"to\"");
}

static void test_split_groups_fill_group_of(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'faults':[{'at':'1s','type':'split','groups':[['n1','n2','c1'],"
        "['n3','n4']],'duration':'2s'}]}");
    const struct fl_fault *split = &s->faults[0];
    assert_int_equal(split->kind, FL_FAULT_SPLIT);
    assert_int_equal(split->duration_ns, 2 * S);
    assert_non_null(split->group_of);
    const uint8_t expected[] = {0, 0, 1, 1, FL_GROUP_NONE, 0, FL_GROUP_NONE};
    assert_memory_equal(split->group_of, expected, sizeof(expected));
    assert_int_equal(split->node, FL_NODE_NONE);
    fl_scenario_free(s);
}

static void test_node_in_two_groups_names_the_node_and_both_groups(void **state) {
    (void)state;
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'split','groups':[['n1','n2'],"
                 "['n3'],['n4','n2']]}]}",
                 "x.json: $.faults[0].groups[2][1]: node \"n2\" is in both groups[0] and "
                 "groups[2]");
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'split','groups':[['n1','n1'],"
                 "['n3']]}]}",
                 "x.json: $.faults[0].groups[0][1]: node \"n1\" appears twice in groups[0]");
}

static void test_split_needs_at_least_two_non_empty_groups(void **state) {
    (void)state;
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'split','groups':[['n1','n2']]}]}",
                 "x.json: $.faults[0].groups: expected an array of 2 to 16 groups (arrays of "
                 "node names), got an array");
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'split','groups':[['n1'],[]]}]}",
                 "x.json: $.faults[0].groups[1]: expected a non-empty array of node names, got "
                 "an empty array");
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'split','groups':[['n1'],'n2']}]}",
                 "x.json: $.faults[0].groups[1]: expected a non-empty array of node names, got "
                 "\"n2\"");
}

static void test_bridge_stores_its_node_outside_the_groups(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'faults':[{'at':'1s','type':'bridge','node':'n3','groups':[['n1','n2'],"
        "['n4','n5']]}]}");
    const struct fl_fault *bridge = &s->faults[0];
    assert_int_equal(bridge->kind, FL_FAULT_BRIDGE);
    assert_int_equal(bridge->node, 2);
    assert_int_equal(bridge->group_of[2], FL_GROUP_NONE);
    assert_int_equal(bridge->group_of[3], 1);
    fl_scenario_free(s);
}

static void test_bridge_node_inside_a_group_is_rejected(void **state) {
    (void)state;
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'bridge','node':'n3','groups':[['n1'],"
                 "['n3','n4']]}]}",
                 "x.json: $.faults[0].node: bridge node \"n3\" must not be in any group, but it "
                 "is in groups[1]");
}

static void test_link_faults_store_from_and_to(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'faults':[{'at':'1s','type':'hold','from':'n1','to':'c2'},"
        "{'at':'2s','type':'release','from':'n1','to':'c2'},"
        "{'at':'3s','type':'oneway','from':'c1','to':'n2','duration':'1s'}]}");
    assert_int_equal(s->faults[0].from, 0);
    assert_int_equal(s->faults[0].to, 6);
    assert_int_equal(s->faults[0].duration_ns, 0);
    assert_int_equal(s->faults[1].kind, FL_FAULT_RELEASE);
    assert_int_equal(s->faults[2].from, 5);
    assert_int_equal(s->faults[2].to, 1);
    assert_int_equal(s->faults[2].duration_ns, 1 * S);
    assert_int_equal(s->faults[2].node, FL_NODE_NONE);
    assert_null(s->faults[2].group_of);
    fl_scenario_free(s);
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'oneway','from':'n1','to':'n1'}]}",
                 "x.json: $.faults[0]: \"from\" and \"to\" are the same node; a link joins two "
                 "different nodes");
}

static void test_crash_restart_after_is_stored_as_duration(void **state) {
    (void)state;
    struct fl_scenario *s =
        parse_ok("{" BASE ",'faults':[{'at':'1s','type':'crash','node':'n2','restart_after':"
                 "'3s'}]}");
    assert_int_equal(s->faults[0].kind, FL_FAULT_CRASH);
    assert_int_equal(s->faults[0].node, 1);
    assert_int_equal(s->faults[0].duration_ns, 3 * S);
    assert_int_equal(s->faults[0].from, FL_NODE_NONE);
    assert_int_equal(s->faults[0].to, FL_NODE_NONE);
    fl_scenario_free(s);
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'crash','node':'n2','restart_after':"
                 "'0s'}]}",
                 "x.json: $.faults[0].restart_after: expected a duration greater than 0s and at "
                 "most 24h, got \"0s\"");
}

static void test_pause_requires_a_duration(void **state) {
    (void)state;
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'pause','node':'n2'}]}",
                 "x.json: $.faults[0]: missing required key \"duration\"");
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'faults':[{'at':'1s','type':'pause','node':'n2','duration':'500ms'}]}");
    assert_int_equal(s->faults[0].duration_ns, 500 * MS);
    fl_scenario_free(s);
}

static void test_clock_jump_needs_a_nonzero_delta_within_a_day(void **state) {
    (void)state;
    struct fl_scenario *s = parse_ok(
        "{" BASE ",'faults':[{'at':'1s','type':'clock_jump','node':'c1','wall_delta':'-2s'}]}");
    assert_true(s->faults[0].wall_delta_ns == -2 * S);
    assert_int_equal(s->faults[0].node, 5);
    fl_scenario_free(s);
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'clock_jump','node':'c1','wall_delta':"
                 "'0s'}]}",
                 "x.json: $.faults[0].wall_delta: expected a nonzero duration from -24h to 24h, "
                 "got \"0s\"");
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'clock_jump','node':'c1','wall_delta':"
                 "'25h'}]}",
                 "x.json: $.faults[0].wall_delta: expected a duration from -24h to 24h, got "
                 "\"25h\"");
}

/* --- quiet since ---------------------------------------------------------------------- */

static void test_quiet_since_is_zero_without_faults(void **state) {
    (void)state;
    assert_int_equal(quiet_since(""), 0);
}

static void test_quiet_since_is_the_end_of_the_last_fault_with_a_duration(void **state) {
    (void)state;
    assert_int_equal(quiet_since("{'at':'5s','type':'isolate','node':'n1','duration':'10s'},"
                                 "{'at':'8s','type':'clock_jump','node':'n2','wall_delta':'1s'}"),
                     15 * S);
    assert_int_equal(quiet_since("{'at':'5s','type':'pause','node':'n1','duration':'2s'}"),
                     7 * S);
    assert_int_equal(
        quiet_since("{'at':'5s','type':'crash','node':'n1','restart_after':'4s'}"), 9 * S);
}

static void test_quiet_since_is_the_heal_after_an_open_partition(void **state) {
    (void)state;
    assert_int_equal(quiet_since("{'at':'12s','type':'heal'},"
                                 "{'at':'5s','type':'split','groups':[['n1'],['n2']]}"),
                     12 * S);
}

static void test_quiet_since_is_the_run_end_for_a_partition_never_healed(void **state) {
    (void)state;
    assert_int_equal(quiet_since("{'at':'5s','type':'oneway','from':'n1','to':'n2'}"), 30 * S);
    /* A heal before the partition does not end it. */
    assert_int_equal(quiet_since("{'at':'1s','type':'heal'},"
                                 "{'at':'5s','type':'isolate','node':'n1'}"),
                     30 * S);
}

static void test_quiet_since_is_the_release_of_the_same_held_link(void **state) {
    (void)state;
    assert_int_equal(quiet_since("{'at':'5s','type':'hold','from':'n1','to':'n2'},"
                                 "{'at':'7s','type':'release','from':'n1','to':'n2'}"),
                     7 * S);
    assert_int_equal(quiet_since("{'at':'5s','type':'hold','from':'n1','to':'n2'},"
                                 "{'at':'7s','type':'release','from':'n2','to':'n1'}"),
                     30 * S);
    assert_int_equal(quiet_since("{'at':'5s','type':'hold','from':'n1','to':'n2'},"
                                 "{'at':'9s','type':'heal'}"),
                     9 * S);
}

static void test_quiet_since_is_the_restart_of_the_same_crashed_node(void **state) {
    (void)state;
    assert_int_equal(quiet_since("{'at':'5s','type':'crash','node':'n1'},"
                                 "{'at':'8s','type':'restart','node':'n1'}"),
                     8 * S);
    assert_int_equal(quiet_since("{'at':'5s','type':'crash','node':'n1'},"
                                 "{'at':'8s','type':'restart','node':'n2'}"),
                     30 * S);
    assert_int_equal(quiet_since("{'at':'5s','type':'crash','node':'n1'}"), 30 * S);
}

static void test_quiet_since_is_capped_at_the_run_end(void **state) {
    (void)state;
    assert_int_equal(quiet_since("{'at':'25s','type':'isolate','node':'n1','duration':'10s'}"),
                     30 * S);
}

/* --- malformed input, files, messages ------------------------------------------------- */

static void test_malformed_json_reports_line_and_column(void **state) {
    (void)state;
    expect_error("{\n  'name': 't',\n  'nodes': 3,\n  'model' 'test'\n}",
                 "x.json: line 4, column 11: malformed JSON");
    expect_error("", "x.json: line 1, column 1: malformed JSON");
    expect_error("{'name':'t'} x", "x.json: line 1, column 14: malformed JSON");
}

static void test_root_must_be_an_object(void **state) {
    (void)state;
    expect_error("[1, 2]", "x.json: $: expected an object, got an array");
}

static void test_text_is_read_only_up_to_its_size(void **state) {
    (void)state;
    /* No terminator and garbage after: ASan catches any read past size_bytes. */
    const char *json = "{\"name\":\"t\",\"model\":\"test\",\"nodes\":3,\"duration\":\"1s\"}";
    size_t size_bytes = strlen(json);
    char *text = malloc(size_bytes);
    assert_non_null(text);
    memcpy(text, json, size_bytes);
    struct fl_error error;
    struct fl_scenario *s = fl_scenario_parse(text, size_bytes, "x.json", models, &error);
    assert_non_null(s);
    fl_scenario_free(s);
    assert_null(fl_scenario_parse(text, size_bytes - 1, "x.json", models, &error));
    assert_string_equal(error.message, "x.json: line 1, column 52: malformed JSON");
    free(text);
}

static void test_load_of_a_missing_file_cannot_read(void **state) {
    (void)state;
    struct fl_error error;
    assert_null(fl_scenario_load("/nonexistent/x.json", models, &error));
    assert_string_equal(error.message,
                        "/nonexistent/x.json: cannot read: No such file or directory");
    assert_null(fl_scenario_load("/", models, &error));
    assert_string_equal(error.message, "/: cannot read: Is a directory");
}

static void test_load_reads_a_file_and_keeps_its_path(void **state) {
    (void)state;
    char path[] = "/tmp/test_scenario_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "{\"name\":\"file\",\"model\":\"quorum\",\"nodes\":2,\"duration\":\"1m\"}\n";
    assert_int_equal(write(fd, text, strlen(text)), strlen(text));
    close(fd);
    struct fl_error error;
    struct fl_scenario *s = fl_scenario_load(path, models, &error);
    unlink(path);
    if (s == NULL) fail_msg("%s", error.message);
    assert_string_equal(fl_scenario_path(s), path);
    assert_string_equal(fl_scenario_name(s), "file");
    assert_int_equal(s->duration_ns, 60 * S);
    fl_scenario_free(s);
}

static void test_error_is_one_bounded_line_whatever_the_input(void **state) {
    (void)state;
    /* A 3000-byte key that starts with an escaped newline. */
    char text[4096];
    size_t length = (size_t)snprintf(text, sizeof(text), "{\"name\":\"t\",\"\\n");
    for (int i = 0; i < 3000; i++) text[length++] = 'k';
    snprintf(text + length, sizeof(text) - length, "\":1}");
    struct fl_error error;
    assert_null(fl_scenario_parse(text, strlen(text), "x.json", models, &error));
    assert_null(strchr(error.message, '\n'));
    assert_true(strlen(error.message) < sizeof(error.message));
    assert_non_null(strstr(error.message, "x.json: $[\"\\u000akkkk"));
    assert_non_null(strstr(error.message, "kkk...\"]: unknown key (allowed: name,"));
}

static void test_key_with_control_characters_is_escaped(void **state) {
    (void)state;
    expect_error("{" BASE ",'a\\nb':1}",
                 "x.json: $[\"a\\u000ab\"]: unknown key (allowed: name, description, model, "
                 "variant, params, nodes, clients, duration, budget, network, clocks, faults, swarm, "
                 "disk)");
}

static void test_node_name_formats_servers_then_clients(void **state) {
    (void)state;
    char name[16];
    fl_node_name(5, 0, name, sizeof(name));
    assert_string_equal(name, "n1");
    fl_node_name(5, 4, name, sizeof(name));
    assert_string_equal(name, "n5");
    fl_node_name(5, 5, name, sizeof(name));
    assert_string_equal(name, "c1");
    fl_node_name(5, 6, name, sizeof(name));
    assert_string_equal(name, "c2");
}

static void test_swarm_ranges_are_checked(void **state) {
    (void)state;
    expect_error("{" BASE ",'swarm':{'loss':[0.3,0.1]}}",
                 "x.json: $.swarm.loss: expected a range with min <= max, got an array");
    expect_error("{" BASE ",'swarm':{'loss':0.1}}",
                 "x.json: $.swarm.loss: expected a range [min, max], got 0.1");
    expect_error("{" BASE ",'swarm':{'loss':[0,1.5]}}",
                 "x.json: $.swarm.loss[1]: expected a probability from 0 to 1, got 1.5");
    expect_error("{" BASE ",'swarm':{'crashes':{'every':['1s','2s']}}}",
                 "x.json: $.swarm.crashes: missing required key \"duration\"");
    expect_error("{" BASE ",'swarm':{'crashes':{'every':['0s','2s'],'duration':['1s','2s']}}}",
                 "x.json: $.swarm.crashes.every[0]: expected a duration from 1ms to 30s, got "
                 "\"0s\"");
    expect_error("{" BASE ",'swarm':{'until':'40s'}}",
                 "x.json: $.swarm.until: expected a duration greater than 0s and at most 30s, "
                 "got \"40s\"");
    expect_error("{" BASE ",'swarm':{'disk_read_error':[0.5,0.1]}}",
                 "x.json: $.swarm.disk_read_error: expected a range with min <= max, got an "
                 "array");
    expect_error("{" BASE ",'swarm':{'crash':{}}}",
                 "x.json: $.swarm.crash: unknown key (did you mean \"crashes\"?)");
}

static void test_swarm_is_parsed(void **state) {
    (void)state;
    struct fl_scenario *sc = parse_ok("{" BASE ",'swarm':{'enable':0.25,'until':'20s',"
                                      "'loss':[0.01,0.1],'clock_jumps':{'every':['1s','5s'],"
                                      "'delta':['1ms','2s']}}}");
    assert_true(sc->swarm.present);
    assert_int_equal(sc->swarm.enable_ppm, 250000);
    assert_int_equal(sc->swarm.until_ns, 20000000000ull);
    assert_int_equal(sc->swarm.loss.min, 10000);
    assert_int_equal(sc->swarm.loss.max, 100000);
    assert_false(sc->swarm.crashes.present);
    assert_true(sc->swarm.clock_jumps.present);
    assert_int_equal(sc->swarm.clock_jumps.duration.max, 2000000000);
    fl_scenario_free(sc);
}

static void test_disk_parameters_are_checked(void **state) {
    (void)state;
    expect_error("{" BASE ",'disk':{'sector_size':1024}}",
                 "x.json: $.disk.sector_size: expected 512 or 4096, got 1024");
    expect_error("{" BASE ",'disk':{'unsynced':{'lost':0.5,'kept':0.4}}}",
                 "x.json: $.disk.unsynced: expected lost + kept + torn = 1, got 0.900000");
    expect_error("{" BASE ",'disk':{'read_error':2}}",
                 "x.json: $.disk.read_error: expected a probability from 0 to 1, got 2");
    expect_error("{" BASE ",'disk':{'quota':100}}",
                 "x.json: $.disk.quota: expected 0 (unlimited) or at least one sector (512 "
                 "bytes), got 100");
    expect_error("{" BASE ",'disk':{'sync_latency_tail_mean':'2ms','sync_latency_tail_max':'1ms'}}",
                 "x.json: $.disk.sync_latency_tail_max: expected a duration from 2ms to 1h, got "
                 "\"1ms\"");
    expect_error("{" BASE ",'disk':{'torn':0.5}}",
                 "x.json: $.disk.torn: unknown key (allowed: sector_size, sync_latency_min, "
                 "sync_latency_tail_mean, sync_latency_tail_max, unsynced, read_error, sync_error, "
                 "corruption, lost_write, misdirected_write, quota)");
    expect_error("{" BASE ",'faults':[{'at':'1s','type':'disk_full','node':'n9'}]}",
                 "x.json: $.faults[0].node: node \"n9\" does not exist (servers are n1..n5, "
                 "clients c1..c2)");
}

static void test_disk_parameters_are_parsed_with_defaults(void **state) {
    (void)state;
    struct fl_scenario *sc = parse_ok("{" BASE "}");
    assert_int_equal(sc->disk.sector_bytes, 512);
    assert_int_equal(sc->disk.unsynced_lost_ppm, 1000000);
    assert_int_equal(sc->disk.sync_latency_min_ns, 1000000);
    fl_scenario_free(sc);
    sc = parse_ok("{" BASE ",'disk':{'sector_size':4096,'unsynced':{'lost':0.2,'kept':0.3,"
                  "'torn':0.5},'corruption':0.001,'quota':1048576,'sync_latency_tail_mean':'1ms'},"
                  "'faults':[{'at':'1s','type':'disk_full','node':'n1','duration':'2s'},"
                  "{'at':'2s','type':'disk_corrupt','node':'n2'}]}");
    assert_int_equal(sc->disk.sector_bytes, 4096);
    assert_int_equal(sc->disk.unsynced_torn_ppm, 500000);
    assert_int_equal(sc->disk.corrupt_ppm, 1000);
    assert_int_equal(sc->disk.quota_bytes, 1048576);
    assert_int_equal(sc->disk.sync_latency_tail_max_ns, 20000000);
    assert_int_equal(sc->faults[0].kind, FL_FAULT_DISK_FULL);
    assert_int_equal(sc->faults[1].kind, FL_FAULT_DISK_CORRUPT);
    fl_scenario_free(sc);
}

static void test_free_accepts_null(void **state) {
    (void)state;
    fl_scenario_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_scenario_takes_every_default),
        cmocka_unit_test(test_accessors_return_name_path_model_and_variant),
        cmocka_unit_test(test_variant_selects_by_name),
        cmocka_unit_test(test_unknown_variant_lists_variants),
        cmocka_unit_test(test_unknown_model_lists_known_models),
        cmocka_unit_test(test_missing_required_key_is_named),
        cmocka_unit_test(test_name_longer_than_64_bytes_is_rejected),
        cmocka_unit_test(test_unknown_key_names_path_and_suggests),
        cmocka_unit_test(test_unknown_key_far_from_any_lists_allowed_keys),
        cmocka_unit_test(test_duplicate_key_is_rejected),
        cmocka_unit_test(test_wrong_json_type_names_what_was_found),
        cmocka_unit_test(test_nodes_below_model_minimum_names_the_minimum),
        cmocka_unit_test(test_clients_on_model_without_client_service_are_rejected),
        cmocka_unit_test(test_nodes_plus_clients_above_the_limit_are_rejected),
        cmocka_unit_test(test_duration_without_unit_is_rejected),
        cmocka_unit_test(test_run_duration_must_be_positive_and_at_most_a_day),
        cmocka_unit_test(test_params_take_defaults),
        cmocka_unit_test(test_params_parse_each_kind),
        cmocka_unit_test(test_param_out_of_range_is_rejected),
        cmocka_unit_test(test_param_integer_with_a_fraction_is_rejected),
        cmocka_unit_test(test_param_bool_must_be_true_or_false),
        cmocka_unit_test(test_unknown_param_suggests_the_closest),
        cmocka_unit_test(test_model_without_params_rejects_any_param),
        cmocka_unit_test(test_budget_sets_events_max_within_range),
        cmocka_unit_test(test_network_parses_every_key),
        cmocka_unit_test(test_probability_above_one_is_rejected),
        cmocka_unit_test(test_probability_rounds_to_the_nearest_ppm),
        cmocka_unit_test(test_tail_max_defaults_to_twenty_times_the_mean),
        cmocka_unit_test(test_tail_max_below_the_mean_is_rejected),
        cmocka_unit_test(test_network_duration_above_an_hour_is_rejected),
        cmocka_unit_test(test_links_inherit_network_defaults_regardless_of_key_order),
        cmocka_unit_test(test_link_from_a_node_to_itself_is_rejected),
        cmocka_unit_test(test_link_needs_from_and_to),
        cmocka_unit_test(test_link_to_unknown_node_lists_the_nodes),
        cmocka_unit_test(test_clocks_parse_every_key),
        cmocka_unit_test(test_clock_overrides_are_per_node),
        cmocka_unit_test(test_clock_override_for_unknown_node_is_rejected),
        cmocka_unit_test(test_clock_override_twice_for_a_node_is_rejected),
        cmocka_unit_test(test_clock_override_out_of_range_is_rejected),
        cmocka_unit_test(test_faults_are_sorted_stably_by_time),
        cmocka_unit_test(test_fault_node_that_does_not_exist_names_servers_and_clients),
        cmocka_unit_test(test_fault_at_or_after_the_end_of_the_run_is_rejected),
        cmocka_unit_test(test_unknown_fault_type_lists_the_types),
        cmocka_unit_test(test_fault_key_not_allowed_for_its_type_is_rejected),
        cmocka_unit_test(test_fault_needs_its_required_keys),
        cmocka_unit_test(test_split_groups_fill_group_of),
        cmocka_unit_test(test_node_in_two_groups_names_the_node_and_both_groups),
        cmocka_unit_test(test_split_needs_at_least_two_non_empty_groups),
        cmocka_unit_test(test_bridge_stores_its_node_outside_the_groups),
        cmocka_unit_test(test_bridge_node_inside_a_group_is_rejected),
        cmocka_unit_test(test_link_faults_store_from_and_to),
        cmocka_unit_test(test_crash_restart_after_is_stored_as_duration),
        cmocka_unit_test(test_pause_requires_a_duration),
        cmocka_unit_test(test_clock_jump_needs_a_nonzero_delta_within_a_day),
        cmocka_unit_test(test_quiet_since_is_zero_without_faults),
        cmocka_unit_test(test_quiet_since_is_the_end_of_the_last_fault_with_a_duration),
        cmocka_unit_test(test_quiet_since_is_the_heal_after_an_open_partition),
        cmocka_unit_test(test_quiet_since_is_the_run_end_for_a_partition_never_healed),
        cmocka_unit_test(test_quiet_since_is_the_release_of_the_same_held_link),
        cmocka_unit_test(test_quiet_since_is_the_restart_of_the_same_crashed_node),
        cmocka_unit_test(test_quiet_since_is_capped_at_the_run_end),
        cmocka_unit_test(test_malformed_json_reports_line_and_column),
        cmocka_unit_test(test_root_must_be_an_object),
        cmocka_unit_test(test_text_is_read_only_up_to_its_size),
        cmocka_unit_test(test_load_of_a_missing_file_cannot_read),
        cmocka_unit_test(test_load_reads_a_file_and_keeps_its_path),
        cmocka_unit_test(test_error_is_one_bounded_line_whatever_the_input),
        cmocka_unit_test(test_key_with_control_characters_is_escaped),
        cmocka_unit_test(test_node_name_formats_servers_then_clients),
        cmocka_unit_test(test_swarm_ranges_are_checked),
        cmocka_unit_test(test_swarm_is_parsed),
        cmocka_unit_test(test_disk_parameters_are_checked),
        cmocka_unit_test(test_disk_parameters_are_parsed_with_defaults),
        cmocka_unit_test(test_free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
