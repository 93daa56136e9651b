/*
 * probe: a test model whose nodes record what the network and the clocks did
 * to them, so tests can measure rates and check orderings. Shared by the test
 * programs; it uses only the public service API, like any model.
 *
 * Variants:
 *   stream  n1 sends params.count messages to n2, one every params.interval,
 *           each carrying its sequence number; n2 records what arrived.
 *   mesh    every node sends one message to every other node every
 *           params.interval, params.count rounds; each records who reached it.
 *   timer   every node records its clocks at boot and sets one timer of
 *           params.delay on its local clock, recording the clocks when it fires.
 *
 * Beside the model, the helpers every test program shares, each written once:
 * loading a scenario (shipped, patched, as another variant, or inline),
 * running a seed, sweeping seeds for passes or for the failures of named
 * checks, replaying a seed, and reading what a run's assertions saw.
 */
#ifndef FL_TESTS_PROBE_H
#define FL_TESTS_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "faultline/faultline.h"

#define PROBE_SEQ_MAX 200000u
#define PROBE_NODES_MAX 16u

enum { PROBE_STREAM = 0, PROBE_MESH = 1, PROBE_TIMER = 2 };

struct probe_state {
    uint64_t received;                       /* messages delivered to this node */
    uint64_t duplicates;                     /* a sequence number seen before */
    uint64_t reorders;                       /* arrived after a higher sequence number */
    uint64_t corrupt;                        /* payload failed its check */
    uint64_t seq_max_seen;
    uint64_t sent;
    uint64_t from[PROBE_NODES_MAX];          /* deliveries by sender */
    uint64_t boot_mono_ns;
    int64_t boot_wall_ns;
    uint64_t fired_mono_ns;                  /* timer variant: clocks at the fire */
    int64_t fired_wall_ns;
    bool fired;
    uint64_t first_random;                   /* the node's first draw at boot */
    bool any_nonzero_at_boot;                /* state was not zeroed at boot */
    uint8_t seen[PROBE_SEQ_MAX / 8];         /* stream: bitmap of sequence numbers */
};

extern const struct fl_model probe_model;
extern const struct fl_model *const probe_models[];

/* Parses a scenario from text with the probe model alone; fails the calling
 * test on a parse error. */
struct fl_scenario *probe_scenario(const char *json_text);
/* The same with the built-in models, for a scenario written inline in a test;
 * messages name it "inline.json". */
struct fl_scenario *parse_builtin(const char *json_text);
/* Loads a shipped scenario by its path in the source tree ("scenarios/echo/calm.json")
 * with the built-in models; fails the calling test on an error. */
struct fl_scenario *load_shipped(const char *relative);
/* A shipped scenario with a JSON merge patch applied (RFC 7386) before it is
 * parsed: each member of the patch object replaces the member of that name,
 * or is added; an object merges into an object, member by member, so
 * "{\"params\": {\"concurrency\": 16}}" adds one param and keeps the others;
 * null removes a member. Editing the parsed JSON, not the text, means a patch
 * never depends on the file's layout or on whether a key is there yet.
 * Messages name the shipped file. Fails the calling test on an error. */
struct fl_scenario *load_shipped_edited(const char *relative, const char *patch_json);
/* A shipped scenario run as `variant`, whether or not the file names one. */
struct fl_scenario *load_shipped_variant(const char *relative, const char *variant);
/* Runs a seed to the end and keeps only its result. */
void run_seed(const struct fl_scenario *scenario, uint64_t seed, struct fl_result *result);
/* Runs a seed to the end; returns the simulation, not yet destroyed. */
struct fl_sim *probe_run(const struct fl_scenario *scenario, uint64_t seed,
                         struct fl_result *result);

/* --- sweeping seeds ----------------------------------------------------------------- */

/* Defined in a build with AddressSanitizer, where a seed costs several times
 * more: model tests run fewer seeds there. The sanitizers look for memory
 * errors, which the first seeds exercise as well as the later ones. */
#if defined(__SANITIZE_ADDRESS__)
#define FL_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FL_TEST_SANITIZED 1
#endif
#endif

/* Fails the calling test at the first of seeds 1..seeds that does not pass,
 * naming the scenario, its variant, the seed, the check and its message. */
void assert_seeds_pass(const struct fl_scenario *scenario, uint64_t seeds);
/* The same for a shipped scenario, loaded and freed here. */
void assert_shipped_passes(const char *relative, uint64_t seeds);

/* The checks a failure may name, for the scans below: check names separated
 * by '|' ("wal.acked_not_lost|wal.no_corrupt_read"); a name ending in '*' is
 * a prefix ("breaker.*"). At most SCAN_CHECKS_MAX names. */
#define SCAN_CHECKS_MAX 4u

/* What scan_failures saw. */
struct seed_scan {
    uint32_t failed;                     /* seeds that failed */
    uint64_t first_failed;               /* the first failing seed; 0 when none failed */
    uint32_t by_check[SCAN_CHECKS_MAX];  /* failures per name in `checks`, in its order */
};

/* Runs seeds 1..seeds_max, stopping once `failures_max` have failed (0: never
 * stops early). Every failure's first violation must be one of `checks` and
 * its message must contain `words` (NULL: any message); any other failure
 * fails the calling test, naming the seed, what it failed and what was
 * expected. The caller asserts on the counts. */
struct seed_scan scan_failures(const struct fl_scenario *scenario, uint64_t seeds_max,
                               const char *checks, const char *words, uint32_t failures_max);

/* The first of seeds 1..seeds_max that fails; its first violation must be
 * one of `checks`, with `words` in its message (as scan_failures). Fails the
 * calling test when no seed fails. */
uint64_t first_failure(const struct fl_scenario *scenario, uint64_t seeds_max, const char *checks,
                       const char *words);

/* Runs a seed twice and fails the calling test unless both runs end the same:
 * pass or fail, events, fingerprint, and every violation kept (check,
 * message, time, node, event). What replay promises, in process. */
void assert_replays_same(const struct fl_scenario *scenario, uint64_t seed);

/* --- what a run did ------------------------------------------------------------------ */

/* Whether any violation kept in a result names `check`. */
bool has_violation(const struct fl_result *result, const char *check);

/* How many times the assertion site (fl_always, fl_sometimes) named `name`
 * held in a run; 0 when the run never reached it. */
uint64_t assertion_held(struct fl_sim *sim, const char *name);

/* Fails the calling test unless each of the `count` named assertions held in
 * at least one of seeds 1..seeds_max (the scan stops once all have): the
 * recovery paths a passing sweep vouches for were taken. */
void assert_paths_taken(const struct fl_scenario *scenario, uint64_t seeds_max,
                        const char *const *names, uint32_t count);

#endif /* FL_TESTS_PROBE_H */
