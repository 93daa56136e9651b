/*
 * crashy: service code that misbehaves on purpose, on some seeds only, so that
 * sweeps can be seen (and tested) to survive it: each broken seed must fail
 * with the right reason while the other seeds pass.
 *
 * The servers ping each other every params.interval. At boot, n1 draws from
 * its stream whether this seed misbehaves (params.percent of seeds do) and, if
 * so, does it at params.at. Variants, one per way service code goes wrong:
 *
 *   correct        never misbehaves
 *   segfault       writes through a null pointer
 *   abort          calls abort(), as a failed assert() in the model would
 *   loop           spins forever inside a handler: only a wall-clock watchdog stops it
 *   livelock       re-arms a zero-delay timer forever: the event budget stops it
 *   oom            allocates and touches memory until none is left
 *   uninitialized  sends bytes of an uninitialized stack buffer: nondeterministic,
 *                  which --check-determinism must catch
 *   address        picks a peer from the address of a local variable: nondeterministic
 *
 * Never imitate anything below the "misbehaviour" line in a real model.
 */
#include "crashy.h"

#include <stdlib.h>
#include <string.h>

#include "faultline/service.h"

enum {
    CRASHY_CORRECT,
    CRASHY_SEGFAULT,
    CRASHY_ABORT,
    CRASHY_LOOP,
    CRASHY_LIVELOCK,
    CRASHY_OOM,
    CRASHY_UNINITIALIZED,
    CRASHY_ADDRESS,
};

enum { TAG_PING = 0, TAG_MISBEHAVE = 1, TAG_LIVELOCK = 2 };

struct crashy_node {
    uint64_t pings;
};

static void crashy_start(fl_node *node, void *state) {
    (void)state;
    fl_timer_set(node, (uint64_t)fl_param(node, "interval"), TAG_PING);
    if (fl_self(node) != 0 || fl_variant(node) == CRASHY_CORRECT) return;
    bool misbehaves = fl_random_below(node, 100) < (uint64_t)fl_param(node, "percent");
    fl_sometimes(node, misbehaves, "crashy.misbehaves");
    if (misbehaves && fl_incarnation(node) == 0) {
        fl_timer_set(node, (uint64_t)fl_param(node, "at"), TAG_MISBEHAVE);
    }
}

static void crashy_on_message(fl_node *node, void *state, fl_node_id from, const uint8_t *data,
                              size_t size_bytes) {
    (void)node;
    (void)from;
    (void)data;
    (void)size_bytes;
    struct crashy_node *c = state;
    c->pings++;
}

static void ping(fl_node *node) {
    uint8_t byte = 1;
    fl_node_id peer = (fl_node_id)fl_random_below(node, fl_server_count(node));
    fl_send(node, peer, &byte, 1);
    fl_timer_set(node, (uint64_t)fl_param(node, "interval"), TAG_PING);
}

/* --- misbehaviour ------------------------------------------------------------ */

static void misbehave(fl_node *node) {
    fl_annotate(node, "misbehaving now, on purpose");
    switch (fl_variant(node)) {
    case CRASHY_SEGFAULT: {
        volatile int *nowhere = NULL;
        *nowhere = 1;
        break;
    }
    case CRASHY_ABORT:
        abort();
    case CRASHY_LOOP: {
        volatile uint64_t spin = 0;
        for (;;) spin++;
    }
    case CRASHY_LIVELOCK:
        fl_timer_set(node, 0, TAG_LIVELOCK);
        break;
    case CRASHY_OOM:
        for (;;) {
            char *chunk = malloc(64u << 20);
            if (chunk == NULL) abort(); /* what most code does when malloc fails */
            memset(chunk, 1, 64u << 20); /* touched, so it is really used */
        }
    case CRASHY_UNINITIALIZED: {
        volatile uint8_t buffer[32]; /* never written */
        uint8_t copy[32];
        for (size_t i = 0; i < sizeof copy; i++) copy[i] = buffer[i];
        fl_send(node, 0, copy, sizeof copy);
        break;
    }
    case CRASHY_ADDRESS: {
        int local = 0;
        uintptr_t where = (uintptr_t)&local;
        fl_send(node, (fl_node_id)((where >> 4) % fl_server_count(node)), &local, 1);
        break;
    }
    default:
        break;
    }
}

static void crashy_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)state;
    (void)timer;
    if (tag == TAG_PING) {
        ping(node);
    } else if (tag == TAG_MISBEHAVE) {
        misbehave(node);
    } else {
        fl_timer_set(node, 0, TAG_LIVELOCK);
    }
}

static const struct fl_service crashy_service = {
    .state_size_bytes = sizeof(struct crashy_node),
    .start = crashy_start,
    .on_message = crashy_on_message,
    .on_timer = crashy_on_timer,
};

static const char *const crashy_variants[] = {
    "correct", "segfault", "abort", "loop", "livelock", "oom", "uninitialized", "address", NULL,
};
static const char *const crashy_variant_help[] = {
    "never misbehaves",
    "writes through a null pointer",
    "calls abort()",
    "spins forever inside a handler",
    "re-arms a zero-delay timer forever",
    "allocates memory until none is left",
    "sends uninitialized stack bytes (nondeterministic)",
    "chooses a peer from a stack address (nondeterministic)",
    NULL,
};
static const struct fl_param crashy_params[] = {
    {"percent", FL_PARAM_INT, 0, 100, 30, "share of seeds that misbehave"},
    {"at", FL_PARAM_DURATION, 0, 3600000000000, 10000000, "when n1 misbehaves"},
    {"interval", FL_PARAM_DURATION, 1000, 3600000000000, 1000000, "between pings"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model fl_model_crashy = {
    .name = "crashy",
    .summary = "service code that misbehaves on purpose on some seeds: sweeps must survive it",
    .server = &crashy_service,
    .variants = crashy_variants,
    .variant_help = crashy_variant_help,
    .params = crashy_params,
    .server_count_min = 1,
};
