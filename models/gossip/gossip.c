/*
 * gossip: messages bouncing between servers, the engine's load generator and
 * the network tutorial. No clients.
 *
 * Variants (workloads):
 *   gossip    every node starts params.initial messages towards random peers; on
 *             each delivery the receiver sends one message on to a peer drawn
 *             from its own random stream. The number of messages in flight stays
 *             constant unless the network drops or duplicates some, which makes
 *             the network's effect easy to see and to count.
 *   pingpong  nodes pair up (n1-n2, n3-n4, ...); the first of each pair serves,
 *             and each side sends the ball straight back.
 *
 * Without help, gossip dies under a partition: a quarter of the hops in a
 * 5-node cluster with one node isolated go nowhere, and in a few dozen
 * milliseconds every message is gone. params.refill (off by default, and off in
 * the benchmark) makes each node start a new message whenever it has received
 * nothing for that long: the simplest form of the retry every real protocol
 * needs.
 *
 *   message = [hops u32][origin u32][checksum u64][filler]   (little-endian)
 *   The checksum covers everything after it; a corrupted message is detected,
 *   annotated and replaced by a fresh one, so corruption does not stop the flow.
 *
 * The receive path is the benchmark's hot path: it avoids anything slower than
 * the engine's own per-message work (no division-heavy checksum, no printf).
 */
#include "gossip.h"

#include <string.h>

#include "faultline/service.h"

enum { GOSSIP_GOSSIP = 0, GOSSIP_PINGPONG = 1 };

#define HEADER_BYTES 16
#define PAYLOAD_BYTES_MAX 4096

struct gossip_node {
    uint64_t received;
    uint64_t received_at_last_check; /* refill: received when the timer last fired */
    uint64_t corrupt_seen;
    uint64_t refills;
    uint32_t payload_bytes;          /* params.payload_bytes, read once at start */
};

/* A multiply-mix checksum over the header fields and the filler, eight bytes
 * at a time: any bit flip changes it. (Byte-at-a-time would be a chain of 60
 * dependent multiplies per message, more than the engine's whole send.)
 * Not fl_fnv1a32 for that reason, and not raft's message_hash either: it skips
 * the field it is stored in (bytes 8..15), and the fingerprints depend on it. */
static uint64_t checksum(const uint8_t *data, uint32_t size) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ size;
    h = (h ^ fl_get_u64(data)) * 0xff51afd7ed558ccdull;
    uint32_t i = HEADER_BYTES;
    for (; i + 8 <= size; i += 8) h = (h ^ fl_get_u64(data + i)) * 0xff51afd7ed558ccdull;
    for (; i < size; i++) h = (h ^ data[i]) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static void send_ball(fl_node *node, const struct gossip_node *g, fl_node_id to, uint32_t hops,
                      uint32_t origin) {
    uint32_t size = g->payload_bytes;
    uint8_t msg[PAYLOAD_BYTES_MAX];
    fl_put_u32(msg, hops);
    fl_put_u32(msg + 4, origin);
    memset(msg + HEADER_BYTES, (int)(origin & 0xff), size - HEADER_BYTES);
    fl_put_u64(msg + 8, checksum(msg, size));
    fl_send(node, to, msg, size);
}

static fl_node_id random_peer(fl_node *node) {
    uint32_t n = fl_server_count(node);
    if (n == 1) return fl_self(node);
    fl_node_id peer = (fl_node_id)fl_random_below(node, n - 1);
    return peer >= fl_self(node) ? peer + 1 : peer;
}

static void gossip_start(fl_node *node, void *state) {
    struct gossip_node *g = state;
    g->payload_bytes = (uint32_t)fl_param(node, "payload_bytes");
    fl_node_id self = fl_self(node);
    if (fl_variant(node) == GOSSIP_PINGPONG) {
        bool serves = self % 2 == 0 && self + 1 < fl_server_count(node);
        if (serves) send_ball(node, g, self + 1, 0, self);
        return;
    }
    int64_t initial = fl_param(node, "initial");
    for (int64_t i = 0; i < initial; i++) send_ball(node, g, random_peer(node), 0, self);
    uint64_t refill_ns = (uint64_t)fl_param(node, "refill");
    if (refill_ns > 0) fl_timer_set(node, refill_ns, 0);
}

static void gossip_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    (void)tag;
    struct gossip_node *g = state;
    bool quiet = g->received == g->received_at_last_check;
    fl_sometimes(node, quiet, "gossip.refilled");
    if (quiet) {
        g->refills++;
        send_ball(node, g, random_peer(node), 0, fl_self(node));
    }
    g->received_at_last_check = g->received;
    fl_timer_set(node, (uint64_t)fl_param(node, "refill"), 0);
}

static void gossip_on_message(fl_node *node, void *state, fl_node_id from, const uint8_t *data,
                              size_t size_bytes) {
    struct gossip_node *g = state;
    g->received++;
    uint32_t hops = 0;
    uint32_t origin = fl_self(node);
    bool intact = size_bytes >= HEADER_BYTES &&
                  fl_get_u64(data + 8) == checksum(data, (uint32_t)size_bytes);
    fl_sometimes(node, !intact, "gossip.corruption_detected");
    if (intact) {
        hops = fl_get_u32(data) + 1;
        origin = fl_get_u32(data + 4);
    } else {
        g->corrupt_seen++;
        fl_annotate(node, "corrupt message from n%u replaced", from + 1);
    }
    fl_node_id to = fl_variant(node) == GOSSIP_PINGPONG ? from : random_peer(node);
    send_ball(node, g, to, hops, origin);
}

/* --- descriptions (trace files only) ---------------------------------------------------- */

/* Decimal digits of v at p; returns the end. By hand, not snprintf: a traced
 * benchmark run describes a million messages. */
static char *put_decimal(char *p, uint64_t v) {
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0) *p++ = digits[--n];
    return p;
}

static char *put_text(char *p, const char *text) {
    size_t n = strlen(text);
    memcpy(p, text, n);
    return p + n;
}

/* No role: every node does the same. The label names only what is rare
 * (refills, corrupt messages), so a node's view changes seldom and the trace
 * stays small. */
_Static_assert(FL_VIEW_LABEL_MAX > sizeof "refills  corrupt " + 2 * 20, "two counters fit");
_Static_assert(FL_VIEW_TEXT_MAX > sizeof "hops  origin n" + 2 * 10, "two u32 fit");

static void gossip_describe_state(const void *state, struct fl_state_view *out) {
    const struct gossip_node *g = state;
    char *p = out->label;
    if (g->refills > 0) {
        p = put_text(p, "refills ");
        p = put_decimal(p, g->refills);
    }
    if (g->corrupt_seen > 0) {
        p = put_text(p, p == out->label ? "corrupt " : " corrupt ");
        p = put_decimal(p, g->corrupt_seen);
    }
    *p = '\0';
}

static void gossip_describe_message(const uint8_t *data, size_t size_bytes,
                                    struct fl_message_view *out) {
    memcpy(out->kind, "ball", sizeof "ball");
    if (size_bytes < HEADER_BYTES) return;
    char *p = put_text(out->text, "hops ");
    p = put_decimal(p, fl_get_u32(data));
    p = put_text(p, " origin n");
    p = put_decimal(p, (uint64_t)fl_get_u32(data + 4) + 1);
    *p = '\0';
}

static const struct fl_service gossip_service = {
    .state_size_bytes = sizeof(struct gossip_node),
    .start = gossip_start,
    .on_message = gossip_on_message,
    .on_timer = gossip_on_timer,
    .describe_state = gossip_describe_state,
    .describe_message = gossip_describe_message,
};

static const char *const gossip_variants[] = {"gossip", "pingpong", NULL};
static const char *const gossip_variant_help[] = {
    "each delivery is forwarded to a random peer",
    "pairs of nodes bounce one ball back and forth",
    NULL,
};

static const struct fl_param gossip_params[] = {
    {"initial", FL_PARAM_INT, 0, 1000, 1, "messages each node starts (gossip variant)"},
    {"payload_bytes", FL_PARAM_INT, HEADER_BYTES, PAYLOAD_BYTES_MAX, 64, "size of each message"},
    {"refill", FL_PARAM_DURATION, 0, 3600000000000, 0,
     "if > 0: a node that received nothing for this long starts a new message"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model fl_model_gossip = {
    .name = "gossip",
    .summary = "messages forwarded between servers: the network tutorial and the benchmark load",
    .server = &gossip_service,
    .client = NULL,
    .variants = gossip_variants,
    .variant_help = gossip_variant_help,
    .params = gossip_params,
    .server_count_min = 1,
};
