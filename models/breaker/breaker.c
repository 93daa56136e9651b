/*
 * breaker: clients calling a replicated service through a partially failing
 * network, with retries, backoff and circuit breakers: the retry storm, and
 * the metastable failure it leaves behind (docs/models/breaker.md).
 *
 * The service. Every server node is a replica of one stateless service with
 * finite capacity: params.workers requests in service at once, each for a
 * service time drawn per request (uniform in [service_time/2,
 * 3*service_time/2)), and a bounded FIFO work queue of params.queue_max
 * requests behind them. A call that finds the workers busy waits in the
 * queue (overload makes the service slow); a call that finds the queue full
 * is shed at once with a REJECT (overload makes it refuse work). A replica
 * never learns that a client gave up on a call: it serves what it queued,
 * late or not, which is the work a retry storm wastes. One replica
 * (params.slow_replica) is slow: its service time is drawn around
 * params.slow_service_time, and params.slow_tail_percent of its draws are
 * SLOW_TAIL_FACTOR times longer (a heavier tail: a GC pause, a cold cache, a
 * noisy neighbour). Nothing a replica holds survives a crash, and nothing
 * needs to: a restarted replica has an empty queue, and the calls it lost
 * time out at their clients.
 *
 * The clients. Each client is an application issuing logical requests open
 * loop (one every params.interval on average, whatever the service does),
 * through a client library that balances over the replicas (a random
 * replica, a different one for a retry) and keeps at most params.concurrency
 * requests in progress (a new request beyond that is refused locally, before
 * any attempt). An attempt fails when it times out (params.timeout) or is
 * rejected; a failed attempt is retried up to params.retry_max times, then
 * the request fails. Every attempt of one request carries the request's
 * trace id (client number * 1,000,000 + its sequence number), so a trace can
 * be read request by request.
 *
 *   CALL    [1][trace id u64][attempt u32]
 *   REPLY   [2][trace id u64][attempt u32][replica u32]
 *   REJECT  [3][trace id u64][attempt u32][replica u32][queue depth u32]
 *   each followed by an FNV-1a checksum u32 of the bytes before it: a message
 *   the network corrupted is dropped, and the attempt times out.
 *
 * Variants (the client library; the service is the same in all three):
 *   breaker          backoff as below, plus a circuit breaker per replica:
 *                    closed (calls flow; the last params.breaker_window
 *                    outcomes are counted), open when at least
 *                    params.breaker_min_calls of them were counted and
 *                    params.breaker_failure_percent of them failed (no call
 *                    goes there for params.breaker_cooldown), then half-open
 *                    (one probe call: success closes it, failure opens it
 *                    again). With every circuit open a request fails at once
 *                    without an attempt: it fails fast instead of queueing
 *                    on a replica that cannot serve it.
 *   immediate_retry  retries at once, on a timeout or a reject: the bug. Under
 *                    overload every failed attempt becomes another attempt
 *                    right away, the offered load multiplies by up to
 *                    retry_max + 1, queues fill with calls whose clients have
 *                    given up, and the service stays overloaded after the
 *                    fault that started it has healed (metastable failure).
 *   backoff          retries after a delay drawn uniformly in [1 ns, min(cap,
 *                    base * 2^(attempt-1))] ("full jitter": exponential
 *                    backoff, capped, from fl_random), without a breaker.
 *
 * Checks (check_end, from the counters check_step collects per window of
 * params.window with the god's-eye view; the fault phase is
 * [params.fault_start, heal), heal = the later of params.fault_end and the
 * time the timeline and swarm went quiet):
 *   breaker.amplification  attempts / requests during the fault is at most
 *                          params.amplification_max_percent / 100;
 *   breaker.goodput        successful requests per second, averaged over the
 *                          fault phase, is at least params.goodput_fault_min,
 *                          and averaged from heal + params.recovery_max to the
 *                          end, at least params.goodput_after_min;
 *   breaker.recovery       after the heal, a window with goodput at least
 *                          params.goodput_after_min ends within
 *                          params.recovery_max (not judged when the run ends
 *                          too soon after the heal to tell).
 * The figures are annotated at the end of every run (fl_world_annotate), a
 * passing one too, so a sweep's traces can be compared across variants.
 */
#include "breaker.h"

#include <stdio.h>
#include <string.h>

#include "faultline/service.h"

enum { VARIANT_BREAKER = 0, VARIANT_IMMEDIATE_RETRY = 1, VARIANT_BACKOFF = 2 };

#define REPLICAS_MAX 8
#define WORKERS_MAX 8
#define QUEUE_MAX 256
#define SLOTS_MAX 128           /* requests in progress per client */
#define BREAKER_WINDOW_MAX 64   /* outcomes a circuit counts */
#define CLIENTS_TRACKED_MAX 64  /* clients the checker counts */
#define WINDOWS_MAX 1024        /* checker windows; time beyond the last is not judged */
#define SLOW_TAIL_FACTOR 8
#define TRACE_ID_CLIENT_STRIDE 1000000u
#define MESSAGE_MAX 32
#define CHECKSUM_BYTES 4

_Static_assert(SLOTS_MAX < TRACE_ID_CLIENT_STRIDE, "trace ids stay readable");

enum msg_type { MSG_CALL = 1, MSG_REPLY = 2, MSG_REJECT = 3 };
static const uint8_t msg_body_bytes[] = {[MSG_CALL] = 13, [MSG_REPLY] = 17, [MSG_REJECT] = 21};

/* Server timers: the window report, or a worker's service completing. */
enum { TAG_WINDOW = 0, TAG_WORKER = 1 };
/* Client timers: the next request; an attempt's timeout or a backoff wait (plus
 * the slot); a circuit's cool-down (plus the replica). */
enum {
    TAG_TICK = 0,
    TAG_TIMEOUT = 1,
    TAG_BACKOFF = TAG_TIMEOUT + SLOTS_MAX,
    TAG_COOLDOWN = TAG_BACKOFF + SLOTS_MAX,
};

/* --- encoding ------------------------------------------------------------------ */

struct message {
    enum msg_type type;
    uint64_t trace_id;
    uint32_t attempt;
    uint32_t replica;     /* REPLY, REJECT */
    uint32_t queue_depth; /* REJECT */
};

/* Encodes m into out (MESSAGE_MAX bytes); returns the size. */
static size_t message_encode(uint8_t *out, const struct message *m) {
    memset(out, 0, MESSAGE_MAX);
    out[0] = (uint8_t)m->type;
    fl_put_u64(out + 1, m->trace_id);
    fl_put_u32(out + 9, m->attempt);
    if (m->type != MSG_CALL) fl_put_u32(out + 13, m->replica);
    if (m->type == MSG_REJECT) fl_put_u32(out + 17, m->queue_depth);
    size_t body = msg_body_bytes[m->type];
    fl_put_u32(out + body, fl_fnv1a32(out, body));
    return body + CHECKSUM_BYTES;
}

/* Decodes an intact message of a known type and size; false otherwise. */
static bool message_decode(const uint8_t *data, size_t size, struct message *m) {
    memset(m, 0, sizeof *m);
    if (size < 1 + CHECKSUM_BYTES || size > MESSAGE_MAX) return false;
    uint8_t type = data[0];
    if (type < MSG_CALL || type > MSG_REJECT) return false;
    size_t body = msg_body_bytes[type];
    if (size != body + CHECKSUM_BYTES) return false;
    if (fl_get_u32(data + body) != fl_fnv1a32(data, body)) return false;
    m->type = (enum msg_type)type;
    m->trace_id = fl_get_u64(data + 1);
    m->attempt = fl_get_u32(data + 9);
    if (type != MSG_CALL) m->replica = fl_get_u32(data + 13);
    if (type == MSG_REJECT) m->queue_depth = fl_get_u32(data + 17);
    return true;
}

/* "c2 #17" for trace id 2000017. */
static void trace_id_name(uint64_t trace_id, char *out, size_t out_size) {
    snprintf(out, out_size, "c%llu #%llu", (unsigned long long)(trace_id / TRACE_ID_CLIENT_STRIDE),
             (unsigned long long)(trace_id % TRACE_ID_CLIENT_STRIDE));
}

/* 14200 as "14,200", for messages people read. */
static const char *count_text(uint64_t value, char *out, size_t out_size) {
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)value);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < out_size; i++) {
        if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

/* --- server: a replica with workers and a bounded queue ---------------------------- */

struct job {
    struct fl_request request;
    uint64_t trace_id;
    uint32_t attempt;
};

struct breaker_server {
    uint32_t replica;          /* this node's id: n1 is replica 0 */
    uint32_t workers;          /* params.workers */
    uint32_t queue_max;        /* params.queue_max */
    uint64_t service_ns;       /* mean service time of this replica */
    bool slow;                 /* the slow replica: a heavier tail */
    uint32_t slow_tail_percent;
    uint64_t window_ns;        /* params.window: the report period */
    struct job busy[WORKERS_MAX];
    bool busy_used[WORKERS_MAX];
    uint32_t busy_count;
    struct job queue[QUEUE_MAX]; /* a ring: queue_head is the oldest */
    uint32_t queue_head;
    uint32_t queue_count;
    uint64_t arrivals;         /* intact calls received, this incarnation (the checker's) */
    uint64_t served;           /* replies sent */
    uint64_t shed;             /* calls rejected with a full queue */
    uint32_t window_arrivals;  /* the same, since the last window report */
    uint32_t window_served;
    uint32_t window_shed;
    uint32_t window_shed_before; /* shed in the window before: the role stays "shedding" */
    uint32_t window_queue_peak;
};

static uint64_t service_time_draw(fl_node *node, const struct breaker_server *s) {
    uint64_t ns = s->service_ns / 2 + fl_random_below(node, s->service_ns + 1);
    if (s->slow && fl_random_below(node, 100) < s->slow_tail_percent) ns *= SLOW_TAIL_FACTOR;
    return ns;
}

static void server_begin(fl_node *node, struct breaker_server *s, const struct job *job) {
    uint32_t w = 0;
    while (w < s->workers && s->busy_used[w]) w++;
    fl_always(node, w < s->workers, "breaker.server_worker_free");
    if (w == s->workers) return;
    s->busy[w] = *job;
    s->busy_used[w] = true;
    s->busy_count++;
    fl_timer_set(node, service_time_draw(node, s), TAG_WORKER + w);
}

static void server_reply(fl_node *node, struct breaker_server *s, const struct job *job,
                         enum msg_type type) {
    struct message m = {.type = type, .trace_id = job->trace_id, .attempt = job->attempt,
                        .replica = s->replica, .queue_depth = s->queue_count};
    uint8_t out[MESSAGE_MAX];
    fl_reply(node, job->request, out, message_encode(out, &m));
}

static void server_start(fl_node *node, void *state) {
    struct breaker_server *s = state;
    s->replica = fl_self(node);
    s->workers = (uint32_t)fl_param(node, "workers");
    s->queue_max = (uint32_t)fl_param(node, "queue_max");
    s->slow = (int64_t)s->replica + 1 == fl_param(node, "slow_replica");
    s->service_ns = (uint64_t)fl_param(node, s->slow ? "slow_service_time" : "service_time");
    s->slow_tail_percent = (uint32_t)fl_param(node, "slow_tail_percent");
    s->window_ns = (uint64_t)fl_param(node, "window");
    fl_timer_set(node, s->window_ns, TAG_WINDOW);
}

static void server_on_request(fl_node *node, void *state, struct fl_request request,
                              const uint8_t *data, size_t size_bytes) {
    struct breaker_server *s = state;
    struct message m;
    bool intact = message_decode(data, size_bytes, &m) && m.type == MSG_CALL;
    fl_sometimes(node, !intact, "breaker.server_dropped_corrupt");
    if (!intact) return; /* the attempt times out */
    s->arrivals++;
    s->window_arrivals++;
    struct job job = {.request = request, .trace_id = m.trace_id, .attempt = m.attempt};
    if (s->busy_count < s->workers) {
        server_begin(node, s, &job);
        return;
    }
    bool full = s->queue_count == s->queue_max;
    fl_sometimes(node, full, "breaker.server_shed");
    if (full) {
        s->shed++;
        s->window_shed++;
        server_reply(node, s, &job, MSG_REJECT);
        return;
    }
    s->queue[(s->queue_head + s->queue_count) % QUEUE_MAX] = job;
    s->queue_count++;
    if (s->queue_count > s->window_queue_peak) s->window_queue_peak = s->queue_count;
}

static void server_window_report(fl_node *node, struct breaker_server *s) {
    if (s->window_arrivals > 0 || s->queue_count > 0) {
        fl_annotate(node,
                    "n%u last %llu ms: %u calls arrived, %u served, %u shed; queue peak %u/%u, "
                    "now %u",
                    s->replica + 1, (unsigned long long)(s->window_ns / 1000000),
                    s->window_arrivals, s->window_served, s->window_shed, s->window_queue_peak,
                    s->queue_max, s->queue_count);
    }
    s->window_shed_before = s->window_shed;
    s->window_arrivals = 0;
    s->window_served = 0;
    s->window_shed = 0;
    s->window_queue_peak = s->queue_count;
    fl_timer_set(node, s->window_ns, TAG_WINDOW);
}

static void server_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct breaker_server *s = state;
    if (tag == TAG_WINDOW) {
        server_window_report(node, s);
        return;
    }
    uint64_t w = tag - TAG_WORKER;
    bool known = w < s->workers && s->busy_used[w];
    fl_always(node, known, "breaker.server_worker_known");
    if (!known) return;
    struct job done = s->busy[w];
    s->busy_used[w] = false;
    s->busy_count--;
    s->served++;
    s->window_served++;
    server_reply(node, s, &done, MSG_REPLY);
    if (s->queue_count == 0) return;
    struct job next = s->queue[s->queue_head];
    s->queue_head = (s->queue_head + 1) % QUEUE_MAX;
    s->queue_count--;
    server_begin(node, s, &next);
}

static void server_describe(const void *state, struct fl_state_view *out) {
    const struct breaker_server *s = state;
    const char *role = s->window_shed > 0 || s->window_shed_before > 0 ? "shedding"
                       : s->queue_count * 2 >= s->queue_max && s->queue_count > 0 ? "overloaded"
                                                                                  : "ok";
    snprintf(out->role, sizeof out->role, "%s", role);
    snprintf(out->label, sizeof out->label, "queue %u/%u, %u/%u busy, %llu served%s",
             s->queue_count, s->queue_max, s->busy_count, s->workers,
             (unsigned long long)s->served, s->slow ? " (slow)" : "");
}

static void message_describe(const uint8_t *data, size_t size_bytes,
                             struct fl_message_view *out) {
    struct message m;
    if (!message_decode(data, size_bytes, &m)) {
        snprintf(out->kind, sizeof out->kind, "corrupt");
        return;
    }
    static const char *const kinds[] = {[MSG_CALL] = "call", [MSG_REPLY] = "reply",
                                        [MSG_REJECT] = "reject"};
    char name[32];
    trace_id_name(m.trace_id, name, sizeof name);
    snprintf(out->kind, sizeof out->kind, "%s", kinds[m.type]);
    if (m.type == MSG_CALL) {
        snprintf(out->text, sizeof out->text, "request %s attempt %u", name, m.attempt);
    } else if (m.type == MSG_REPLY) {
        snprintf(out->text, sizeof out->text, "request %s attempt %u served by n%u", name,
                 m.attempt, m.replica + 1);
    } else {
        snprintf(out->text, sizeof out->text, "request %s attempt %u shed by n%u, queue %u",
                 name, m.attempt, m.replica + 1, m.queue_depth);
    }
    out->trace_id = m.trace_id;
}

static const struct fl_service breaker_server_service = {
    .state_size_bytes = sizeof(struct breaker_server),
    .start = server_start,
    .on_timer = server_on_timer,
    .on_request = server_on_request,
    .describe_state = server_describe,
    .describe_message = message_describe,
};

/* --- client: retries, backoff and a circuit per replica ----------------------------- */

enum circuit_state { CIRCUIT_CLOSED = 0, CIRCUIT_OPEN = 1, CIRCUIT_HALF_OPEN = 2 };
static const char *const circuit_names[] = {"closed", "open", "half-open"};

struct circuit {
    enum circuit_state state;
    uint8_t failed[BREAKER_WINDOW_MAX]; /* a ring of the last outcomes: 1 = failed */
    uint32_t outcome_count;             /* outcomes in the ring, up to breaker_window */
    uint32_t outcome_next;
    uint32_t failures;                  /* failed outcomes in the ring */
    bool probe_in_flight;               /* half-open: its one probe call is out */
    uint32_t opened;                    /* times it opened */
};

struct call_slot {
    bool used;
    bool backing_off;      /* waiting to retry: no attempt in flight */
    bool probe;            /* the attempt in flight is its replica's half-open probe */
    uint64_t trace_id;
    uint64_t request_id;   /* the engine's id of the attempt in flight; 0: none */
    fl_timer_id timer;     /* the attempt's timeout, or the backoff wait */
    uint32_t attempts;     /* attempts sent so far */
    uint32_t replica;      /* of the last attempt */
};

struct breaker_client {
    uint32_t variant;
    uint32_t number;            /* c1 is 1 */
    uint32_t replicas;
    uint64_t interval_ns;       /* params.interval */
    uint64_t timeout_ns;        /* params.timeout */
    uint32_t retry_max;
    uint64_t backoff_base_ns;
    uint64_t backoff_cap_ns;
    uint32_t concurrency;
    uint32_t breaker_window;
    uint32_t breaker_min_calls;
    uint32_t breaker_failure_percent;
    uint64_t breaker_cooldown_ns;
    uint64_t seq;               /* logical requests issued */
    struct call_slot slots[SLOTS_MAX];
    struct circuit circuits[REPLICAS_MAX];
    uint64_t requests;          /* admitted to a slot (the checker's) */
    uint64_t successes;         /* requests that got a reply */
    uint64_t attempts;          /* calls sent, retries included */
    uint64_t failed;            /* requests that ran out of retries */
    uint64_t failed_fast;       /* requests failed at once: every circuit open */
    uint64_t refused;           /* not admitted: every slot in use */
};

static void circuit_open(fl_node *node, struct breaker_client *c, uint32_t r, const char *why) {
    struct circuit *k = &c->circuits[r];
    k->state = CIRCUIT_OPEN;
    k->probe_in_flight = false;
    k->opened++;
    fl_annotate(node, "c%u: circuit to n%u opened (%s); cool-down %llu ms", c->number, r + 1,
                why, (unsigned long long)(c->breaker_cooldown_ns / 1000000));
    fl_timer_set(node, c->breaker_cooldown_ns, TAG_COOLDOWN + r);
}

static void circuit_reset(struct circuit *k) {
    k->state = CIRCUIT_CLOSED;
    k->outcome_count = 0;
    k->outcome_next = 0;
    k->failures = 0;
    k->probe_in_flight = false;
}

/* An attempt's outcome, as the circuit of its replica counts it. Outcomes of
 * calls sent before the circuit opened are ignored: it decided already. */
static void circuit_record(fl_node *node, struct breaker_client *c, uint32_t r, bool failed,
                           bool probe) {
    struct circuit *k = &c->circuits[r];
    if (k->state == CIRCUIT_HALF_OPEN && probe) {
        fl_sometimes(node, !failed, "breaker.probe_closed_circuit");
        if (failed) {
            circuit_open(node, c, r, "the half-open probe failed");
            return;
        }
        circuit_reset(k);
        fl_annotate(node, "c%u: circuit to n%u closed: the probe succeeded", c->number, r + 1);
        return;
    }
    if (k->state != CIRCUIT_CLOSED) return;
    if (k->outcome_count == c->breaker_window) {
        k->failures -= k->failed[k->outcome_next];
    } else {
        k->outcome_count++;
    }
    k->failed[k->outcome_next] = failed ? 1 : 0;
    k->failures += failed ? 1 : 0;
    k->outcome_next = (k->outcome_next + 1) % c->breaker_window;
    fl_always(node, k->failures <= k->outcome_count, "breaker.circuit_counts");
    if (k->outcome_count < c->breaker_min_calls) return;
    if (k->failures * 100 < c->breaker_failure_percent * k->outcome_count) return;
    char why[64];
    snprintf(why, sizeof why, "%u of the last %u calls failed", k->failures, k->outcome_count);
    circuit_open(node, c, r, why);
}

/* The replica for the next attempt of slot, or REPLICAS_MAX when every
 * circuit is open. A retry goes to another replica when there is one. */
static uint32_t replica_choose(fl_node *node, const struct breaker_client *c,
                               const struct call_slot *slot) {
    uint32_t candidates[REPLICAS_MAX];
    uint32_t count = 0;
    for (uint32_t r = 0; r < c->replicas; r++) {
        if (slot->attempts > 0 && r == slot->replica && c->replicas > 1) continue;
        if (c->variant == VARIANT_BREAKER) {
            const struct circuit *k = &c->circuits[r];
            if (k->state == CIRCUIT_OPEN) continue;
            if (k->state == CIRCUIT_HALF_OPEN && k->probe_in_flight) continue;
        }
        candidates[count++] = r;
    }
    if (count == 0 && slot->attempts > 0 && c->variant == VARIANT_BREAKER) {
        const struct circuit *k = &c->circuits[slot->replica]; /* only the last one is left */
        bool usable = k->state == CIRCUIT_CLOSED ||
                      (k->state == CIRCUIT_HALF_OPEN && !k->probe_in_flight);
        if (usable) candidates[count++] = slot->replica;
    }
    if (count == 0) return REPLICAS_MAX;
    return candidates[fl_random_below(node, count)];
}

static void slot_free(struct call_slot *slot) {
    memset(slot, 0, sizeof *slot);
}

static void attempt_send(fl_node *node, struct breaker_client *c, uint32_t index) {
    struct call_slot *slot = &c->slots[index];
    uint32_t r = replica_choose(node, c, slot);
    fl_sometimes(node, r == REPLICAS_MAX, "breaker.failed_fast");
    if (r == REPLICAS_MAX) {
        char name[32];
        trace_id_name(slot->trace_id, name, sizeof name);
        fl_annotate(node, "request %s failed fast after %u attempt%s: every circuit is open",
                    name, slot->attempts, slot->attempts == 1 ? "" : "s");
        c->failed_fast++;
        slot_free(slot);
        return;
    }
    struct circuit *k = &c->circuits[r];
    slot->probe = k->state == CIRCUIT_HALF_OPEN;
    if (slot->probe) k->probe_in_flight = true;
    slot->replica = r;
    slot->attempts++;
    slot->backing_off = false;
    struct message m = {.type = MSG_CALL, .trace_id = slot->trace_id, .attempt = slot->attempts};
    uint8_t out[MESSAGE_MAX];
    slot->request_id = fl_request(node, r, out, message_encode(out, &m));
    slot->timer = fl_timer_set(node, c->timeout_ns, TAG_TIMEOUT + index);
    c->attempts++;
}

/* Full jitter: uniform in [1, min(cap, base * 2^(attempts-1))]. */
static uint64_t backoff_draw(fl_node *node, const struct breaker_client *c, uint32_t attempts) {
    uint64_t ceiling = c->backoff_base_ns;
    for (uint32_t i = 1; i < attempts && ceiling < c->backoff_cap_ns; i++) ceiling *= 2;
    if (ceiling > c->backoff_cap_ns) ceiling = c->backoff_cap_ns;
    return 1 + fl_random_below(node, ceiling);
}

enum outcome { OUTCOME_REPLY = 0, OUTCOME_REJECT = 1, OUTCOME_TIMEOUT = 2 };
static const char *const outcome_names[] = {"a reply", "rejected", "timed out"};

/* The attempt in flight for slot index ended: a reply, a reject or a timeout. */
static void attempt_done(fl_node *node, struct breaker_client *c, uint32_t index,
                         enum outcome outcome) {
    struct call_slot *slot = &c->slots[index];
    bool ok = outcome == OUTCOME_REPLY;
    slot->request_id = 0;
    if (c->variant == VARIANT_BREAKER) circuit_record(node, c, slot->replica, !ok, slot->probe);
    if (ok) {
        c->successes++;
        slot_free(slot);
        return;
    }
    if (slot->attempts > c->retry_max) {
        char name[32];
        trace_id_name(slot->trace_id, name, sizeof name);
        fl_annotate(node, "request %s failed after %u attempts: the last, to n%u, %s", name,
                    slot->attempts, slot->replica + 1, outcome_names[outcome]);
        c->failed++;
        slot_free(slot);
        return;
    }
    if (c->variant == VARIANT_IMMEDIATE_RETRY) {
        attempt_send(node, c, index); /* the bug: at once, whatever the service's state */
        return;
    }
    slot->backing_off = true;
    slot->probe = false;
    slot->timer = fl_timer_set(node, backoff_draw(node, c, slot->attempts), TAG_BACKOFF + index);
}

static void client_tick(fl_node *node, struct breaker_client *c) {
    uint32_t index = 0;
    while (index < c->concurrency && c->slots[index].used) index++;
    fl_sometimes(node, index == c->concurrency, "breaker.client_refused_locally");
    if (index == c->concurrency) {
        c->refused++;
    } else {
        struct call_slot *slot = &c->slots[index];
        c->seq++;
        fl_always(node, c->seq < TRACE_ID_CLIENT_STRIDE, "breaker.trace_id_fits");
        slot_free(slot);
        slot->used = true;
        slot->trace_id = (uint64_t)c->number * TRACE_ID_CLIENT_STRIDE + c->seq;
        c->requests++;
        attempt_send(node, c, index);
    }
    fl_timer_set(node, c->interval_ns / 2 + fl_random_below(node, c->interval_ns), TAG_TICK);
}

static void client_start(fl_node *node, void *state) {
    struct breaker_client *c = state;
    c->variant = fl_variant(node);
    c->number = fl_self(node) - fl_server_count(node) + 1;
    c->replicas = fl_server_count(node);
    fl_always(node, c->replicas <= REPLICAS_MAX, "breaker.replicas_fit");
    if (c->replicas > REPLICAS_MAX) c->replicas = REPLICAS_MAX;
    fl_always(node, c->number <= CLIENTS_TRACKED_MAX, "breaker.clients_fit"); /* the checker's */
    c->interval_ns = (uint64_t)fl_param(node, "interval");
    c->timeout_ns = (uint64_t)fl_param(node, "timeout");
    c->retry_max = (uint32_t)fl_param(node, "retry_max");
    c->backoff_base_ns = (uint64_t)fl_param(node, "backoff_base");
    c->backoff_cap_ns = (uint64_t)fl_param(node, "backoff_cap");
    c->concurrency = (uint32_t)fl_param(node, "concurrency");
    c->breaker_window = (uint32_t)fl_param(node, "breaker_window");
    c->breaker_min_calls = (uint32_t)fl_param(node, "breaker_min_calls");
    c->breaker_failure_percent = (uint32_t)fl_param(node, "breaker_failure_percent");
    c->breaker_cooldown_ns = (uint64_t)fl_param(node, "breaker_cooldown");
    if (c->breaker_min_calls > c->breaker_window) c->breaker_min_calls = c->breaker_window;
    client_tick(node, c);
}

static void client_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct breaker_client *c = state;
    if (tag == TAG_TICK) {
        client_tick(node, c);
    } else if (tag < TAG_BACKOFF) {
        uint32_t index = (uint32_t)(tag - TAG_TIMEOUT);
        bool known = index < SLOTS_MAX && c->slots[index].used && c->slots[index].request_id != 0;
        fl_always(node, known, "breaker.client_timeout_slot");
        if (known) attempt_done(node, c, index, OUTCOME_TIMEOUT);
    } else if (tag < TAG_COOLDOWN) {
        uint32_t index = (uint32_t)(tag - TAG_BACKOFF);
        bool known = index < SLOTS_MAX && c->slots[index].used && c->slots[index].backing_off;
        fl_always(node, known, "breaker.client_backoff_slot");
        if (known) attempt_send(node, c, index);
    } else {
        uint32_t r = (uint32_t)(tag - TAG_COOLDOWN);
        bool known = r < c->replicas && c->circuits[r].state == CIRCUIT_OPEN;
        fl_always(node, known, "breaker.client_cooldown_circuit");
        if (known) c->circuits[r].state = CIRCUIT_HALF_OPEN;
    }
}

static void client_on_reply(fl_node *node, void *state, fl_node_id from, uint64_t request_id,
                            const uint8_t *data, size_t size_bytes) {
    struct breaker_client *c = state;
    uint32_t index = 0;
    while (index < SLOTS_MAX && !(c->slots[index].used && c->slots[index].request_id == request_id))
        index++;
    fl_sometimes(node, index == SLOTS_MAX, "breaker.late_or_duplicate_reply");
    if (index == SLOTS_MAX) return; /* timed out already, or the network's duplicate */
    struct message m;
    bool intact = message_decode(data, size_bytes, &m) && m.type != MSG_CALL;
    fl_sometimes(node, !intact, "breaker.client_dropped_corrupt");
    if (!intact) return; /* as if lost: the attempt times out */
    struct call_slot *slot = &c->slots[index];
    fl_assert_always(node, m.trace_id == slot->trace_id && m.attempt == slot->attempts &&
                               from == slot->replica,
                     "breaker.reply_matches",
                     "a reply for request %llu attempt %u from n%u answered request %llu "
                     "attempt %u sent to n%u",
                     (unsigned long long)m.trace_id, m.attempt, from + 1,
                     (unsigned long long)slot->trace_id, slot->attempts, slot->replica + 1);
    fl_timer_cancel(node, slot->timer);
    fl_sometimes(node, m.type == MSG_REJECT, "breaker.client_rejected");
    attempt_done(node, c, index, m.type == MSG_REPLY ? OUTCOME_REPLY : OUTCOME_REJECT);
}

static void client_describe(const void *state, struct fl_state_view *out) {
    const struct breaker_client *c = state;
    enum circuit_state worst = CIRCUIT_CLOSED;
    size_t used = 0;
    for (uint32_t r = 0; r < c->replicas && r < REPLICAS_MAX; r++) {
        enum circuit_state s = c->circuits[r].state;
        if (s == CIRCUIT_OPEN || (s == CIRCUIT_HALF_OPEN && worst == CIRCUIT_CLOSED)) worst = s;
        if (s != CIRCUIT_CLOSED && used + 16 < sizeof out->label) {
            int n = snprintf(out->label + used, sizeof out->label - used, "%sn%u %s",
                             used ? ", " : "", r + 1, circuit_names[s]);
            if (n > 0) used += (size_t)n;
        }
    }
    snprintf(out->role, sizeof out->role, "%s", circuit_names[worst]);
    if (used == 0) {
        snprintf(out->label, sizeof out->label, "%llu ok, %llu failed",
                 (unsigned long long)c->successes,
                 (unsigned long long)(c->failed + c->failed_fast));
    }
}

static const struct fl_service breaker_client_service = {
    .state_size_bytes = sizeof(struct breaker_client),
    .start = client_start,
    .on_timer = client_on_timer,
    .on_reply = client_on_reply,
    .describe_state = client_describe,
    .describe_message = message_describe,
};

/* --- checker: counters per window, the metrics at the end ------------------------------ */

struct window_totals {
    uint32_t requests;
    uint32_t successes;
    uint32_t attempts;
    uint32_t arrivals[REPLICAS_MAX]; /* calls reaching each replica */
};

struct breaker_checker {
    uint64_t seen_arrivals[REPLICAS_MAX]; /* each node's counter when last looked at */
    uint64_t seen_requests[CLIENTS_TRACKED_MAX];
    uint64_t seen_successes[CLIENTS_TRACKED_MAX];
    uint64_t seen_attempts[CLIENTS_TRACKED_MAX];
    struct window_totals windows[WINDOWS_MAX];
};

/* What a node's counter grew by since the checker last looked; a crashed
 * node's counters restart from 0, and its last value was counted already. */
static uint32_t counter_delta(uint64_t now, uint64_t *seen) {
    uint64_t delta = now >= *seen ? now - *seen : now;
    *seen = now;
    return (uint32_t)delta;
}

static void breaker_check_step(fl_world *world) {
    struct breaker_checker *k = fl_world_checker_state(world);
    uint64_t window_ns = (uint64_t)fl_world_param(world, "window");
    uint64_t w = fl_world_now_ns(world) / window_ns;
    struct window_totals *t = &k->windows[w < WINDOWS_MAX ? w : WINDOWS_MAX - 1];
    uint32_t servers = fl_world_server_count(world);
    for (uint32_t r = 0; r < servers && r < REPLICAS_MAX; r++) {
        const struct breaker_server *s = fl_world_state(world, r);
        t->arrivals[r] += counter_delta(s != NULL ? s->arrivals : 0, &k->seen_arrivals[r]);
    }
    uint32_t clients = fl_world_client_count(world);
    for (uint32_t i = 0; i < clients && i < CLIENTS_TRACKED_MAX; i++) {
        const struct breaker_client *c = fl_world_state(world, servers + i);
        t->requests += counter_delta(c != NULL ? c->requests : 0, &k->seen_requests[i]);
        t->successes += counter_delta(c != NULL ? c->successes : 0, &k->seen_successes[i]);
        t->attempts += counter_delta(c != NULL ? c->attempts : 0, &k->seen_attempts[i]);
    }
}

/* Sums of the full windows in [from_ns, until_ns). */
struct phase {
    uint64_t from_ns;
    uint64_t until_ns;  /* of the windows summed: from_ns + windows * window */
    uint32_t windows;
    uint64_t requests;
    uint64_t successes;
    uint64_t attempts;
    uint64_t peak_arrivals; /* the most calls one replica got in one window */
    uint32_t peak_replica;
};

static struct phase phase_sum(const struct breaker_checker *k, uint64_t window_ns,
                              uint32_t replicas, uint64_t from_ns, uint64_t until_ns) {
    struct phase p = {0};
    uint64_t first = (from_ns + window_ns - 1) / window_ns;
    p.from_ns = first * window_ns;
    p.until_ns = p.from_ns;
    for (uint64_t w = first; (w + 1) * window_ns <= until_ns && w < WINDOWS_MAX - 1; w++) {
        const struct window_totals *t = &k->windows[w];
        p.windows++;
        p.until_ns = (w + 1) * window_ns;
        p.requests += t->requests;
        p.successes += t->successes;
        p.attempts += t->attempts;
        for (uint32_t r = 0; r < replicas && r < REPLICAS_MAX; r++) {
            if (t->arrivals[r] > p.peak_arrivals) {
                p.peak_arrivals = t->arrivals[r];
                p.peak_replica = r;
            }
        }
    }
    return p;
}

static double per_second(uint64_t count, uint64_t span_ns) {
    return span_ns == 0 ? 0.0 : (double)count * 1e9 / (double)span_ns;
}

static double seconds(uint64_t ns) {
    return (double)ns / 1e9;
}

/* The first window at or after heal_ns whose goodput reaches min_per_s:
 * returns its end, or 0 if none of the full windows before end_ns does. */
static uint64_t recovered_at(const struct breaker_checker *k, uint64_t window_ns, uint64_t heal_ns,
                             uint64_t end_ns, int64_t min_per_s) {
    for (uint64_t w = (heal_ns + window_ns - 1) / window_ns;
         (w + 1) * window_ns <= end_ns && w < WINDOWS_MAX - 1; w++) {
        if (per_second(k->windows[w].successes, window_ns) >= (double)min_per_s) {
            return (w + 1) * window_ns;
        }
    }
    return 0;
}

static void breaker_check_end(fl_world *world) {
    const struct breaker_checker *k = fl_world_checker_state(world);
    uint64_t window_ns = (uint64_t)fl_world_param(world, "window");
    /* The windows kept end WINDOWS_MAX - 1 windows in: later ones are not judged. */
    uint64_t end_ns = fl_world_now_ns(world);
    if (end_ns > (WINDOWS_MAX - 1) * window_ns) end_ns = (WINDOWS_MAX - 1) * window_ns;
    uint64_t fault_ns = (uint64_t)fl_world_param(world, "fault_start");
    uint64_t heal_ns = (uint64_t)fl_world_param(world, "fault_end");
    if (fl_world_quiet_since_ns(world) > heal_ns) heal_ns = fl_world_quiet_since_ns(world);
    uint64_t recovery_max_ns = (uint64_t)fl_world_param(world, "recovery_max");
    int64_t goodput_fault_min = fl_world_param(world, "goodput_fault_min");
    int64_t goodput_after_min = fl_world_param(world, "goodput_after_min");
    int64_t amplification_max = fl_world_param(world, "amplification_max_percent");
    uint32_t replicas = fl_world_server_count(world);

    struct phase fault = phase_sum(k, window_ns, replicas, fault_ns, heal_ns);
    struct phase after = phase_sum(k, window_ns, replicas, heal_ns + recovery_max_ns, end_ns);
    uint64_t recovered_ns = recovered_at(k, window_ns, heal_ns, end_ns, goodput_after_min);
    uint64_t fault_span = fault.until_ns - fault.from_ns;
    uint64_t after_span = after.until_ns - after.from_ns;
    double goodput_fault = per_second(fault.successes, fault_span);
    double goodput_after = per_second(after.successes, after_span);
    double amplification =
        fault.requests == 0 ? 0.0 : (double)fault.attempts / (double)fault.requests;
    double peak = per_second(fault.peak_arrivals, window_ns);
    char attempts[32], requests[32];
    count_text(fault.attempts, attempts, sizeof attempts);
    count_text(fault.requests, requests, sizeof requests);

    fl_world_annotate(world,
                      "during the fault (%.1f-%.1f s): goodput %.0f/s, %s attempts for %s "
                      "requests (amplification %.2fx), peak load %.0f calls/s on n%u",
                      seconds(fault.from_ns), seconds(fault.until_ns), goodput_fault, attempts,
                      requests, amplification, peak, fault.peak_replica + 1);
    if (recovered_ns != 0) {
        fl_world_annotate(world,
                          "after the heal at %.1f s: goodput back above %lld/s %.1f s later; "
                          "%.0f/s from %.1f s to %.1f s",
                          seconds(heal_ns), (long long)goodput_after_min,
                          seconds(recovered_ns - heal_ns), goodput_after, seconds(after.from_ns),
                          seconds(after.until_ns));
    } else {
        fl_world_annotate(world,
                          "after the heal at %.1f s: goodput never back above %lld/s; %.0f/s "
                          "from %.1f s to %.1f s",
                          seconds(heal_ns), (long long)goodput_after_min, goodput_after,
                          seconds(after.from_ns), seconds(after.until_ns));
    }

    if (fault.windows > 0 && fault.requests > 0 &&
        amplification * 100.0 > (double)amplification_max) {
        fl_world_violation(world, "breaker.amplification",
                           "retry amplification %.1fx during the fault (limit %.1fx): %s "
                           "attempts for %s requests, peak load %.0f calls/s on n%u",
                           amplification, (double)amplification_max / 100.0, attempts, requests,
                           peak, fault.peak_replica + 1);
    }
    if (fault.windows > 0 && goodput_fault < (double)goodput_fault_min) {
        fl_world_violation(world, "breaker.goodput",
                           "goodput %.0f requests/s during the fault (%.1f-%.1f s), below "
                           "%lld/s: %llu of %s requests succeeded",
                           goodput_fault, seconds(fault.from_ns), seconds(fault.until_ns),
                           (long long)goodput_fault_min, (unsigned long long)fault.successes,
                           requests);
    }
    if (end_ns < heal_ns + recovery_max_ns + window_ns) return; /* too soon to tell */
    if (recovered_ns == 0 || recovered_ns > heal_ns + recovery_max_ns) {
        char when[64];
        if (recovered_ns == 0) {
            snprintf(when, sizeof when, "never did, to the end at %.1f s", seconds(end_ns));
        } else {
            snprintf(when, sizeof when, "took %.1f s", seconds(recovered_ns - heal_ns));
        }
        fl_world_violation(world, "breaker.recovery",
                           "after the heal at %.1f s goodput had to be back above %lld/s "
                           "within %.1f s, and it %s (%.0f/s from %.1f s on)",
                           seconds(heal_ns), (long long)goodput_after_min,
                           seconds(recovery_max_ns), when, goodput_after, seconds(after.from_ns));
        return;
    }
    if (after.windows > 0 && goodput_after < (double)goodput_after_min) {
        fl_world_violation(world, "breaker.goodput",
                           "goodput %.0f requests/s after recovering (%.1f-%.1f s), below "
                           "%lld/s: %llu of %llu requests succeeded",
                           goodput_after, seconds(after.from_ns), seconds(after.until_ns),
                           (long long)goodput_after_min, (unsigned long long)after.successes,
                           (unsigned long long)after.requests);
    }
}

/* --- the model ---------------------------------------------------------------------- */

static const char *const breaker_variants[] = {
    "breaker", "immediate_retry", "backoff", NULL,
};
static const char *const breaker_variant_help[] = {
    "capped exponential backoff with full jitter, and a circuit breaker per replica",
    "retries at once on a timeout or a reject: a retry storm, then metastable overload",
    "capped exponential backoff with full jitter, no circuit breaker",
    NULL,
};

#define MS 1000000LL
#define S 1000000000LL
#define H (3600LL * S)

static const struct fl_param breaker_params[] = {
    {"interval", FL_PARAM_DURATION, 1000, H, 12 * MS,
     "mean time between a client's new requests, open loop (uniform in [interval/2, "
     "3*interval/2))"},
    {"timeout", FL_PARAM_DURATION, 1000, H, 100 * MS, "a client gives up on an attempt after this"},
    {"retry_max", FL_PARAM_INT, 0, 16, 3, "retries of a failed attempt before the request fails"},
    {"backoff_base", FL_PARAM_DURATION, 1000, H, 20 * MS,
     "backoff, breaker: the first retry waits up to this (full jitter), doubling per retry"},
    {"backoff_cap", FL_PARAM_DURATION, 1000, H, 400 * MS, "backoff, breaker: the longest wait"},
    {"concurrency", FL_PARAM_INT, 1, SLOTS_MAX, 64,
     "requests a client keeps in progress; a new one beyond is refused locally"},
    {"workers", FL_PARAM_INT, 1, WORKERS_MAX, 2, "calls a replica serves at once"},
    {"queue_max", FL_PARAM_INT, 1, QUEUE_MAX, 32,
     "calls waiting at a replica; a call finding it full is rejected (shed)"},
    {"service_time", FL_PARAM_DURATION, 2, H, 10 * MS,
     "mean service time of a call (uniform in [t/2, 3t/2))"},
    {"slow_replica", FL_PARAM_INT, 0, REPLICAS_MAX, 3,
     "the slow replica (3 = n3); 0 for none"},
    {"slow_service_time", FL_PARAM_DURATION, 2, H, 15 * MS,
     "mean service time of the slow replica's ordinary calls"},
    {"slow_tail_percent", FL_PARAM_INT, 0, 100, 5,
     "percent of the slow replica's calls that take 8 times longer"},
    {"breaker_window", FL_PARAM_INT, 1, BREAKER_WINDOW_MAX, 20,
     "breaker: outcomes of recent calls a circuit counts"},
    {"breaker_min_calls", FL_PARAM_INT, 1, BREAKER_WINDOW_MAX, 10,
     "breaker: a circuit with fewer outcomes counted never opens"},
    {"breaker_failure_percent", FL_PARAM_INT, 1, 100, 50,
     "breaker: a circuit opens when this percent of its counted calls failed"},
    {"breaker_cooldown", FL_PARAM_DURATION, 1000, H, 250 * MS,
     "breaker: an open circuit lets a probe through after this"},
    {"window", FL_PARAM_DURATION, MS, H, 500 * MS,
     "checker: goodput and load are counted per window"},
    {"fault_start", FL_PARAM_DURATION, 0, 24 * H, 5 * S,
     "checker: the fault phase starts here"},
    {"fault_end", FL_PARAM_DURATION, 0, 24 * H, 8 * S,
     "checker: the heal, or the time the faults went quiet if later"},
    {"goodput_fault_min", FL_PARAM_INT, 0, 1000000, 0,
     "checker: successful requests/s averaged over the fault phase, at least"},
    {"goodput_after_min", FL_PARAM_INT, 0, 1000000, 0,
     "checker: successful requests/s after recovery, at least (recovered: a window reaches it)"},
    {"amplification_max_percent", FL_PARAM_INT, 100, 100000, 100000,
     "checker: attempts per request during the fault, in percent (200 = 2.0x), at most"},
    {"recovery_max", FL_PARAM_DURATION, 0, 24 * H, 2 * S,
     "checker: goodput must be back above goodput_after_min this long after the heal"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model fl_model_breaker = {
    .name = "breaker",
    .summary = "clients with retries and circuit breakers calling replicas of finite capacity: "
               "retry storms",
    .server = &breaker_server_service,
    .client = &breaker_client_service,
    .variants = breaker_variants,
    .variant_help = breaker_variant_help,
    .params = breaker_params,
    .server_count_min = 2,
    .checker_state_bytes = sizeof(struct breaker_checker),
    .check_step = breaker_check_step,
    .check_end = breaker_check_end,
};
