/*
 * echo: the smallest model with clients, and the first tutorial
 * (docs/writing-a-model.md walks through this file).
 *
 * Protocol. A client sends a request to a random server; the server "works" on
 * it for a random time up to params.process_time, then replies with the same
 * bytes. The client checks the reply against what it sent and gives up on a
 * request after params.timeout.
 *
 *   request = reply = [client u32][seq u64][filler][checksum u32]
 *   (little-endian, payload_bytes in all; the filler is a function of seq, so
 *   a reply that carries another request's bytes is caught; the checksum is
 *   FNV-1a over everything before it, so a bit the network flipped is caught
 *   too: both sides drop what fails it, as a real service behind a checksum
 *   would, and the request times out)
 *
 * Variants:
 *   correct        each pending request keeps its own copy of its bytes;
 *   shared_buffer  the server keeps only the bytes of the request it received
 *                  last and replies with those: right whenever requests do not
 *                  overlap, wrong as soon as two are in progress at once (more
 *                  clients, more concurrency, slower processing). A classic
 *                  "works on my laptop" bug: one client at a time never sees it.
 *
 * Checks:
 *   echo.reply_matches  (always, in the client) a reply carries its request's bytes;
 *   echo.liveness       (end of run, when params.liveness > 0) every client that
 *                       is up got a reply after the last fault healed, if the run
 *                       went on for params.liveness after that.
 */
#include "echo.h"

#include <stdio.h>
#include <string.h>

#include "faultline/service.h"

enum { ECHO_CORRECT = 0, ECHO_SHARED_BUFFER = 1 };

#define PAYLOAD_BYTES_MAX 256
#define HEADER_BYTES 12
#define CHECKSUM_BYTES 4
#define PENDING_MAX 32
#define OUTSTANDING_MAX 8
#define CLIENTS_TRACKED_MAX 1024

enum { TAG_TICK = 0, TAG_TIMEOUT = 1 }; /* client timers; timeout tags add the slot */

/* --- encoding ------------------------------------------------------------------ */

static bool checksum_ok(const uint8_t *data, size_t size_bytes) {
    if (size_bytes < HEADER_BYTES + CHECKSUM_BYTES) return false;
    uint32_t body = (uint32_t)size_bytes - CHECKSUM_BYTES;
    return fl_get_u32(data + body) == fl_fnv1a32(data, body);
}

static void encode_request(uint8_t *out, uint32_t size, uint32_t client, uint64_t seq) {
    uint32_t body = size - CHECKSUM_BYTES;
    fl_put_u32(out, client);
    fl_put_u64(out + 4, seq);
    for (uint32_t i = HEADER_BYTES; i < body; i++) out[i] = (uint8_t)(seq * 31 + i);
    fl_put_u32(out + body, fl_fnv1a32(out, body));
}

/* --- server -------------------------------------------------------------------- */

struct pending {
    struct fl_request request;
    uint32_t size;
    bool used;
    uint8_t payload[PAYLOAD_BYTES_MAX];
};

struct echo_server {
    struct pending pending[PENDING_MAX];
    uint8_t last[PAYLOAD_BYTES_MAX]; /* shared_buffer: the only copy it keeps */
    uint32_t last_size;
    uint64_t served;
};

static void server_on_request(fl_node *node, void *state, struct fl_request request,
                              const uint8_t *data, size_t size_bytes) {
    struct echo_server *s = state;
    bool intact = size_bytes <= PAYLOAD_BYTES_MAX && checksum_ok(data, size_bytes);
    fl_sometimes(node, !intact, "echo.server_dropped_corrupt");
    if (!intact) return; /* the client will time out and try again */
    uint32_t slot = 0;
    while (slot < PENDING_MAX && s->pending[slot].used) slot++;
    fl_sometimes(node, slot == PENDING_MAX, "echo.server_saturated");
    if (slot == PENDING_MAX) return; /* shed load: the client times out */
    struct pending *p = &s->pending[slot];
    p->used = true;
    p->request = request;
    p->size = (uint32_t)size_bytes;
    memcpy(p->payload, data, size_bytes);
    memcpy(s->last, data, size_bytes);
    s->last_size = (uint32_t)size_bytes;
    uint64_t work_ns = fl_random_below(node, (uint64_t)fl_param(node, "process_time") + 1);
    fl_timer_set(node, work_ns, slot);
}

static void server_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct echo_server *s = state;
    bool known = tag < PENDING_MAX && s->pending[tag].used;
    fl_always(node, known, "echo.server_timer_slot");
    if (!known) return;
    struct pending *p = &s->pending[tag];
    if (fl_variant(node) == ECHO_SHARED_BUFFER) {
        fl_reply(node, p->request, s->last, s->last_size);
    } else {
        fl_reply(node, p->request, p->payload, p->size);
    }
    p->used = false;
    s->served++;
}

/* --- descriptions (trace files only) --------------------------------------------- */

/* A request and its reply carry the same bytes: "c2 seq 7". */
static void describe_payload(const uint8_t *data, size_t size_bytes, const char *kind,
                             struct fl_message_view *out) {
    snprintf(out->kind, sizeof out->kind, "%s", kind);
    if (size_bytes < HEADER_BYTES) return;
    snprintf(out->text, sizeof out->text, "c%u seq %llu", fl_get_u32(data) + 1,
             (unsigned long long)fl_get_u64(data + 4));
}

static void server_describe_message(const uint8_t *data, size_t size_bytes,
                                    struct fl_message_view *out) {
    describe_payload(data, size_bytes, "reply", out);
}

static void server_describe_state(const void *state, struct fl_state_view *out) {
    const struct echo_server *s = state;
    uint32_t pending = 0;
    for (uint32_t i = 0; i < PENDING_MAX; i++) pending += s->pending[i].used;
    snprintf(out->role, sizeof out->role, "%s", pending > 0 ? "busy" : "idle");
    snprintf(out->label, sizeof out->label, "%u pending, %llu served", pending,
             (unsigned long long)s->served);
}

static const struct fl_service echo_server_service = {
    .state_size_bytes = sizeof(struct echo_server),
    .on_request = server_on_request,
    .on_timer = server_on_timer,
    .describe_state = server_describe_state,
    .describe_message = server_describe_message,
};

/* --- client -------------------------------------------------------------------- */

struct outstanding {
    uint64_t request_id; /* 0: slot free */
    uint64_t seq;
    fl_timer_id timeout;
};

struct echo_client {
    struct outstanding outstanding[OUTSTANDING_MAX];
    uint64_t seq_next;
    uint64_t replies_ok; /* read by the liveness checker */
    uint64_t timeouts;
};

static uint32_t client_index(const fl_node *node) {
    return fl_self(node) - fl_server_count(node);
}

static void client_tick(fl_node *node, struct echo_client *c) {
    uint32_t concurrency = (uint32_t)fl_param(node, "concurrency");
    uint32_t slot = 0;
    while (slot < concurrency && c->outstanding[slot].request_id != 0) slot++;
    if (slot < concurrency) {
        uint32_t size = (uint32_t)fl_param(node, "payload_bytes");
        uint8_t payload[PAYLOAD_BYTES_MAX];
        uint64_t seq = c->seq_next++;
        encode_request(payload, size, client_index(node), seq);
        fl_node_id server = (fl_node_id)fl_random_below(node, fl_server_count(node));
        struct outstanding *o = &c->outstanding[slot];
        o->seq = seq;
        o->request_id = fl_request(node, server, payload, size);
        o->timeout = fl_timer_set(node, (uint64_t)fl_param(node, "timeout"), TAG_TIMEOUT + slot);
    }
    uint64_t interval = (uint64_t)fl_param(node, "interval");
    fl_timer_set(node, interval / 2 + fl_random_below(node, interval), TAG_TICK);
}

static void client_start(fl_node *node, void *state) {
    struct echo_client *c = state;
    client_tick(node, c);
}

static void client_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct echo_client *c = state;
    if (tag == TAG_TICK) {
        client_tick(node, c);
        return;
    }
    uint64_t slot = tag - TAG_TIMEOUT;
    bool known = slot < OUTSTANDING_MAX && c->outstanding[slot].request_id != 0;
    fl_always(node, known, "echo.client_timeout_slot");
    if (!known) return;
    fl_annotate(node, "request %llu (seq %llu) timed out",
                (unsigned long long)c->outstanding[slot].request_id,
                (unsigned long long)c->outstanding[slot].seq);
    c->outstanding[slot].request_id = 0;
    c->timeouts++;
    fl_sometimes(node, true, "echo.client_timed_out");
}

static void client_on_reply(fl_node *node, void *state, fl_node_id from, uint64_t request_id,
                            const uint8_t *data, size_t size_bytes) {
    (void)from;
    struct echo_client *c = state;
    uint32_t slot = 0;
    while (slot < OUTSTANDING_MAX && c->outstanding[slot].request_id != request_id) slot++;
    fl_sometimes(node, slot == OUTSTANDING_MAX, "echo.late_or_duplicate_reply");
    if (slot == OUTSTANDING_MAX) return; /* timed out already, or the network's duplicate */
    bool intact = checksum_ok(data, size_bytes);
    fl_sometimes(node, !intact, "echo.client_dropped_corrupt");
    if (!intact) return; /* as if lost: the request times out */
    struct outstanding *o = &c->outstanding[slot];
    uint32_t size = (uint32_t)fl_param(node, "payload_bytes");
    uint8_t expected[PAYLOAD_BYTES_MAX];
    encode_request(expected, size, client_index(node), o->seq);
    bool matches = size_bytes == size && memcmp(data, expected, size) == 0;
    uint64_t got_seq = size_bytes >= HEADER_BYTES ? fl_get_u64(data + 4) : 0;
    uint32_t got_client = size_bytes >= HEADER_BYTES ? fl_get_u32(data) : 0;
    fl_assert_always(node, matches, "echo.reply_matches",
                     "reply to request %llu carries client %u seq %llu, expected client %u seq "
                     "%llu%s",
                     (unsigned long long)request_id, got_client + 1,
                     (unsigned long long)got_seq, client_index(node) + 1,
                     (unsigned long long)o->seq,
                     size_bytes != size ? " (the size differs)" : " (the payload differs)");
    fl_timer_cancel(node, o->timeout);
    o->request_id = 0;
    c->replies_ok++;
}

static void client_describe_message(const uint8_t *data, size_t size_bytes,
                                    struct fl_message_view *out) {
    describe_payload(data, size_bytes, "request", out);
}

static void client_describe_state(const void *state, struct fl_state_view *out) {
    const struct echo_client *c = state;
    uint32_t waiting = 0;
    for (uint32_t i = 0; i < OUTSTANDING_MAX; i++) waiting += c->outstanding[i].request_id != 0;
    snprintf(out->role, sizeof out->role, "%s", waiting > 0 ? "busy" : "idle");
    snprintf(out->label, sizeof out->label, "%llu ok, %llu timed out",
             (unsigned long long)c->replies_ok, (unsigned long long)c->timeouts);
}

static const struct fl_service echo_client_service = {
    .state_size_bytes = sizeof(struct echo_client),
    .start = client_start,
    .on_timer = client_on_timer,
    .on_reply = client_on_reply,
    .describe_state = client_describe_state,
    .describe_message = client_describe_message,
};

/* --- checkers ------------------------------------------------------------------ */

struct echo_checker {
    uint64_t replies_seen[CLIENTS_TRACKED_MAX];
    uint64_t last_reply_ns[CLIENTS_TRACKED_MAX]; /* true time of the latest reply */
    bool replied[CLIENTS_TRACKED_MAX];
};

static void echo_check_step(fl_world *world) {
    if (fl_world_param(world, "liveness") == 0) return;
    struct echo_checker *k = fl_world_checker_state(world);
    uint32_t servers = fl_world_server_count(world);
    uint32_t clients = fl_world_client_count(world);
    for (uint32_t i = 0; i < clients && i < CLIENTS_TRACKED_MAX; i++) {
        const struct echo_client *c = fl_world_state(world, servers + i);
        if (c == NULL || c->replies_ok == k->replies_seen[i]) continue;
        k->replies_seen[i] = c->replies_ok;
        k->last_reply_ns[i] = fl_world_now_ns(world);
        k->replied[i] = true;
    }
}

static void echo_check_end(fl_world *world) {
    uint64_t window_ns = (uint64_t)fl_world_param(world, "liveness");
    if (window_ns == 0) return;
    uint64_t quiet_ns = fl_world_quiet_since_ns(world);
    if (fl_world_now_ns(world) < quiet_ns + window_ns) return; /* never quiet long enough */
    const struct echo_checker *k = fl_world_checker_state(world);
    uint32_t servers = fl_world_server_count(world);
    for (uint32_t i = 0; i < fl_world_client_count(world) && i < CLIENTS_TRACKED_MAX; i++) {
        if (!fl_world_is_up(world, servers + i)) continue;
        if (k->replied[i] && k->last_reply_ns[i] >= quiet_ns) continue;
        fl_world_violation(world, "echo.liveness",
                           "client c%u got no reply in the %.3f s after the faults healed at "
                           "%.3f s",
                           i + 1, (double)(fl_world_now_ns(world) - quiet_ns) / 1e9,
                           (double)quiet_ns / 1e9);
    }
}

/* --- the model ------------------------------------------------------------------ */

static const char *const echo_variants[] = {"correct", "shared_buffer", NULL};
static const char *const echo_variant_help[] = {
    "each pending request keeps its own bytes",
    "replies carry the bytes of the last request received: wrong when requests overlap",
    NULL,
};

static const struct fl_param echo_params[] = {
    {"interval", FL_PARAM_DURATION, 1000, 3600000000000, 100000000,
     "mean time between a client's attempts to send (uniform in [interval/2, 3*interval/2))"},
    {"timeout", FL_PARAM_DURATION, 1000, 3600000000000, 1000000000,
     "a client gives up on a request after this long"},
    {"concurrency", FL_PARAM_INT, 1, OUTSTANDING_MAX, 1,
     "requests a client keeps in flight at once"},
    {"payload_bytes", FL_PARAM_INT, HEADER_BYTES + CHECKSUM_BYTES, PAYLOAD_BYTES_MAX, 32,
     "size of each request and reply"},
    {"process_time", FL_PARAM_DURATION, 0, 3600000000000, 1000000,
     "a server works on a request for a uniform random time up to this"},
    {"liveness", FL_PARAM_DURATION, 0, 3600000000000, 0,
     "if > 0: every live client must get a reply after the faults heal, when the run lasts "
     "this long after that"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model fl_model_echo = {
    .name = "echo",
    .summary = "clients send requests, servers echo them back: the first tutorial",
    .server = &echo_server_service,
    .client = &echo_client_service,
    .variants = echo_variants,
    .variant_help = echo_variant_help,
    .params = echo_params,
    .server_count_min = 1,
    .checker_state_bytes = sizeof(struct echo_checker),
    .check_step = echo_check_step,
    .check_end = echo_check_end,
};
