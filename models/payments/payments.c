/*
 * payments: an order service, an inventory service and a payment service,
 * and the three ways such a checkout is shipped broken (docs/models/payments.md).
 *
 * Roles are fixed by node id: n1 is the order service, n2 the inventory
 * service, n3 the payment service; a scenario has exactly three servers.
 * Clients c1..cM are customers: client cK pays from account "customer cK",
 * every charge moves money from a customer to the merchant's account.
 *
 * A checkout, in protocol order:
 *   1. the client sends PLACE(item, quantity, amount) to n1, with an
 *      idempotency key naming the order ("c2-17": client 2's 17th order), and
 *      sends it again with the same key whenever params.client_timeout passes
 *      without an answer, until one comes: an order never ends for its client
 *      without a RESULT;
 *   2. n1 looks the key up: a known order gets its result (or, still in
 *      progress, gets it when it ends); a new one gets an order id and an OPEN
 *      record in n1's journal, and waits until that record is durable;
 *   3. n1 reserves the stock by a versioned compare-and-set on n2: GET_STOCK
 *      reads (stock, version), WRITE_STOCK(stock - quantity, expected version)
 *      applies only if the version is still the one read, else CONFLICT with
 *      the current pair, and n1 tries again from it; too little stock rejects
 *      the order. n2 remembers each reservation by the client's order key,
 *      so a retried write is answered, not applied twice, and an item with a
 *      write not yet durable answers nothing until it is (what it would say
 *      could vanish in a crash);
 *   4. n1 sends CHARGE(customer, amount) to n3 with the order id as the
 *      idempotency key: n3 charges a key once and answers every retry with
 *      the same payment (p-9); a key reused with other parameters is refused;
 *      a customer without the money is declined, and n1 then releases the
 *      reservation (the same compare-and-set, adding the quantity back);
 *   5. n1 writes an END record (confirmed, or rejected with its reason), and
 *      answers RESULT once that is durable.
 * n2 and n3 write each change to their own journal and answer only once it is
 * durable (one sync at a time covers every record before it: group commit);
 * every request between services is resent after params.rpc_timeout (then
 * 2x, 4x, 8x it), so a step lost to a crash or the network is simply done
 * again, and the keys make doing it again harmless. After a crash n1 recovers
 * its orders from its journal and resumes every order that has no END record.
 *
 * Answers. An answer to any send of the order's current step counts, not only
 * to the latest: with a timeout shorter than the round trip, the latest send
 * would always be superseded before its answer came. Among CONFLICTs only one
 * with a version newer than any seen counts: one answered before a write of
 * the same step was applied reports an older version, and rejecting the
 * order on it would strand the stock that write reserved (impatient.json,
 * seed 411, before this rule). Versions only grow, and n2 answers only from
 * durable state, so a write sent with an older version can never apply later.
 *
 * Order ids come from blocks of ORDER_ID_BLOCK: at every boot n1 journals the
 * start of a fresh block and syncs it before taking orders, so an id is never
 * handed out twice, even if the order that had it was lost (a database
 * sequence behaves so: ids skip after a crash, they do not repeat).
 *
 * Messages (61 bytes, every field always written, little-endian):
 *   [type u8][trace u64][order u64][key u64][attempt u32][a u64][b u64][c u64][d u32]
 *   [FNV-1a u32 over the 57 bytes before]
 * trace is the client's order key in every message of the order, through
 * every hop, whatever the services make of it; order is n1's order id; key
 * is the idempotency key the receiving service dedupes by: the client's
 * order key for PLACE (0: none) and for the stock (the reservation belongs
 * to the client's order; n1's order id when it came without a key), n1's
 * order id for CHARGE (the payment belongs to the order record). attempt
 * names one send, so a late answer to an earlier one is told apart. By type:
 *   PLACE        a item, b quantity, c amount, d customer
 *   RESULT       order = order id, a outcome, b reason, c payment id
 *   GET_STOCK    a item
 *   STOCK        a item, b stock, c version, d this order's reservation (none/held/released)
 *   WRITE_STOCK  a item, b new stock, c expected version (VERSION_ANY: unconditional),
 *                d operation (reserve/release) | quantity << 8
 *   WRITTEN      a item, b status (ok/conflict), c stock now, d version now
 *   CHARGE       a customer, b amount
 *   CHARGED      a status (ok/declined: funds/declined: key reused), b payment id
 * A message that fails its checksum is dropped; the sender's timer resends.
 *
 * Journal records (models/payments/journal.c), by kind:
 *   n1 SEQ   a = first id of the block this boot hands out
 *   n1 OPEN  order, trace, a item, b quantity | customer << 32, c amount, d key
 *   n1 END   order, trace, a outcome, b reason, c payment id
 *   n2 WRITE order = reservation key, trace, a item, b stock, c version,
 *            d operation | quantity << 8
 *   n3 CHARGE order = payment key (n1's order id), trace, a customer, b amount,
 *            c payment index, d status
 * State not in a journal starts from params at every boot (initial stock,
 * balances), and replaying the journal brings it to where it was.
 *
 * Variants (each the smallest change that ships the bug):
 *   correct                as above;
 *   no_idempotency_key     the client sends no key: every retry, and every
 *                          copy the network duplicates, is a new order, and
 *                          is charged again;
 *   unversioned_inventory  n1 writes the stock back unconditionally (a plain
 *                          read-modify-write): two orders that read the same
 *                          stock both reserve from it, and one unit is sold
 *                          twice;
 *   charge_before_durable  n1 starts reserving and charging as soon as the
 *                          OPEN record is issued, not once it is durable: a
 *                          crash in between loses an order that was charged,
 *                          the client's retry becomes a new order with a new
 *                          id, and the customer pays again (or pays for an
 *                          order that then does not exist).
 *
 * Checks (the checker reads the three services' state between events):
 *   payments.charged_once     no order of a client is charged twice;
 *   payments.inventory        stock is never negative and equals the initial
 *                             stock minus the units reserved and not released;
 *                             when the run has settled, minus the units of the
 *                             confirmed orders;
 *   payments.money_conserved  the balances add up to what they started with,
 *                             none negative, the merchant's up by the charges;
 *   payments.shipped_paid     every confirmed order has its successful charge;
 *   payments.paid_shipped     once settled, every successful charge belongs to
 *                             a confirmed order (no one pays for a lost order);
 *   payments.orders_end       every order a client placed ends within
 *                             params.liveness after the faults healed.
 */
#include "payments.h"

#include <stdio.h>
#include <string.h>

#include "faultline/service.h"
#include "journal.h"

enum {
    VARIANT_CORRECT = 0,
    VARIANT_NO_IDEMPOTENCY_KEY = 1,
    VARIANT_UNVERSIONED_INVENTORY = 2,
    VARIANT_CHARGE_BEFORE_DURABLE = 3,
};

enum role { ROLE_ORDERS = 0, ROLE_INVENTORY = 1, ROLE_PAYMENTS = 2, ROLES = 3 };

#define CLIENTS_MAX 8
#define ITEMS_MAX 8
#define ORDERS_PER_CLIENT_MAX 100
#define ORDERS_MAX 1024       /* orders n1 holds, recovered ones included */
#define RESERVATIONS_MAX 1024 /* orders n2 ever reserved for */
#define PAYMENTS_MAX 1024     /* ledger entries n3 holds */
#define WAITERS_MAX 64        /* answers n2 or n3 holds until their record is durable */
#define ORDER_ID_BLOCK 1000u  /* ids one boot of n1 may hand out */
#define VERSION_ANY UINT64_MAX
#define RECOVERY_RETRY_NS 10000000u /* 10 ms */
#define DISK_RETRY_NS 20000000u     /* 20 ms: a refused write is tried again */
#define RESEND_SHIFT_MAX 3u         /* n1 resends after rpc_timeout, then 2x, 4x, 8x it */

#define MESSAGE_BODY_BYTES 57
#define MESSAGE_BYTES (MESSAGE_BODY_BYTES + 4)

_Static_assert(ORDER_ID_BLOCK > ORDERS_MAX / 2, "a block lasts a boot of normal work");
_Static_assert(CLIENTS_MAX * ORDERS_PER_CLIENT_MAX <= ORDERS_MAX,
               "every order a client places fits");
_Static_assert(ORDERS_MAX <= RESERVATIONS_MAX && ORDERS_MAX <= PAYMENTS_MAX, "one per order");

enum msg_type {
    MSG_PLACE = 1,
    MSG_RESULT = 2,
    MSG_GET_STOCK = 3,
    MSG_STOCK = 4,
    MSG_WRITE_STOCK = 5,
    MSG_WRITTEN = 6,
    MSG_CHARGE = 7,
    MSG_CHARGED = 8,
};

enum outcome { OUTCOME_NONE = 0, OUTCOME_CONFIRMED = 1, OUTCOME_REJECTED = 2 };
enum reason {
    REASON_NONE = 0,
    REASON_OUT_OF_STOCK = 1,
    REASON_NO_FUNDS = 2,
    REASON_KEY_REUSED = 3,
};
enum reservation_state { RES_NONE = 0, RES_HELD = 1, RES_RELEASED = 2 };
enum stock_op { OP_RESERVE = 1, OP_RELEASE = 2 };
enum write_status { WRITE_OK = 1, WRITE_CONFLICT = 2 };
enum charge_status { CHARGE_OK = 1, CHARGE_NO_FUNDS = 2, CHARGE_KEY_REUSED = 3 };
enum record_kind { REC_SEQ = 1, REC_OPEN = 2, REC_END = 3, REC_WRITE = 4, REC_CHARGE = 5 };

/* Server timer tags: recovery and the SEQ record, else an order's resend
 * timer: its slot in the high half, the attempt it guards in the low half. */
#define TAG_RECOVER (1ull << 63)
#define TAG_SEQ_RETRY (1ull << 62)
/* Client timer tags. */
enum { TAG_TICK = 0, TAG_TIMEOUT = 1 };

/* --- messages ------------------------------------------------------------------------ */

struct msg {
    uint8_t type;
    uint64_t trace;
    uint64_t order;
    uint64_t key;
    uint32_t attempt;
    uint64_t a, b, c;
    uint32_t d;
};

static void msg_encode(uint8_t out[MESSAGE_BYTES], const struct msg *m) {
    memset(out, 0, MESSAGE_BYTES);
    out[0] = m->type;
    fl_put_u64(out + 1, m->trace);
    fl_put_u64(out + 9, m->order);
    fl_put_u64(out + 17, m->key);
    fl_put_u32(out + 25, m->attempt);
    fl_put_u64(out + 29, m->a);
    fl_put_u64(out + 37, m->b);
    fl_put_u64(out + 45, m->c);
    fl_put_u32(out + 53, m->d);
    fl_put_u32(out + MESSAGE_BODY_BYTES, fl_fnv1a32(out, MESSAGE_BODY_BYTES));
}

/* False for a message of the wrong size, a failed checksum or an unknown type. */
static bool msg_decode(const uint8_t *data, size_t size, struct msg *m) {
    if (size != MESSAGE_BYTES) return false;
    if (fl_get_u32(data + MESSAGE_BODY_BYTES) != fl_fnv1a32(data, MESSAGE_BODY_BYTES)) return false;
    if (data[0] < MSG_PLACE || data[0] > MSG_CHARGED) return false;
    *m = (struct msg){.type = data[0], .trace = fl_get_u64(data + 1),
                      .order = fl_get_u64(data + 9), .key = fl_get_u64(data + 17),
                      .attempt = fl_get_u32(data + 25), .a = fl_get_u64(data + 29),
                      .b = fl_get_u64(data + 37), .c = fl_get_u64(data + 45),
                      .d = fl_get_u32(data + 53)};
    return true;
}

/* --- names for people --------------------------------------------------------------- */

/* A client's order key: client index + 1, the client's boot, its order number. */
static uint64_t key_make(uint32_t client, uint32_t incarnation, uint32_t seq) {
    return (uint64_t)(client + 1) << 48 | (uint64_t)(incarnation & 0xffffu) << 32 | seq;
}
static uint32_t key_client(uint64_t key) { return (uint32_t)(key >> 48) - 1; }
static uint32_t key_incarnation(uint64_t key) { return (uint32_t)(key >> 32) & 0xffffu; }
static uint32_t key_seq(uint64_t key) { return (uint32_t)key; }

/* "c2-17" (or "c2.1-17" for an order placed after client 2 restarted once). */
static void key_name(uint64_t key, char *out, size_t size) {
    if (key == 0) {
        snprintf(out, size, "none");
    } else if (key_incarnation(key) == 0) {
        snprintf(out, size, "c%u-%u", key_client(key) + 1, key_seq(key));
    } else {
        snprintf(out, size, "c%u.%u-%u", key_client(key) + 1, key_incarnation(key), key_seq(key));
    }
}

static const char *reason_name(uint32_t reason) {
    switch (reason) {
    case REASON_OUT_OF_STOCK: return "out of stock";
    case REASON_NO_FUNDS: return "insufficient funds";
    case REASON_KEY_REUSED: return "payment key reused";
    default: return "no reason";
    }
}

static const char *msg_kind(uint8_t type) {
    static const char *const kinds[] = {
        [MSG_PLACE] = "place",        [MSG_RESULT] = "result",   [MSG_GET_STOCK] = "get_stock",
        [MSG_STOCK] = "stock",        [MSG_WRITE_STOCK] = "write_stock",
        [MSG_WRITTEN] = "written",    [MSG_CHARGE] = "charge",   [MSG_CHARGED] = "charged",
    };
    return type >= MSG_PLACE && type <= MSG_CHARGED ? kinds[type] : "?";
}

/* --- server state -------------------------------------------------------------------- */

enum phase {
    PHASE_FREE = 0,
    PHASE_OPENING,       /* OPEN record issued, not durable yet */
    PHASE_READ,          /* GET_STOCK sent, to reserve */
    PHASE_WRITE,         /* WRITE_STOCK (reserve) sent */
    PHASE_CHARGE,        /* CHARGE sent */
    PHASE_RELEASE_READ,  /* declined: GET_STOCK sent, to release */
    PHASE_RELEASE_WRITE, /* WRITE_STOCK (release) sent */
    PHASE_END_RETRY,     /* the END record was refused (disk full): trying again */
    PHASE_ENDING,        /* END record issued, not durable yet */
    PHASE_DONE,          /* ended; the result is durable */
};

struct order {
    uint64_t id;           /* n1's order id; n2 and n3 key their work by it */
    uint64_t key;          /* the client's idempotency key; 0: none */
    uint64_t trace;        /* the client's order key, whatever the key */
    uint32_t item;
    uint32_t quantity;
    uint32_t customer;     /* client index */
    uint64_t amount;
    enum phase phase;
    enum outcome outcome;
    enum reason reason;
    uint32_t attempt;      /* of the latest send of the step the order is in */
    uint32_t step_attempt; /* the step's first send: an answer to any send since is current */
    uint32_t resends;      /* in this step, for the backoff */
    uint32_t record_slot;  /* journal slot of the OPEN or END record waited on */
    uint64_t stock_seen;   /* the last (stock, version) n2 reported */
    uint64_t version_seen;
    uint64_t payment_id;   /* the charge's payment number (p-N), once charged */
    struct fl_request request; /* the latest PLACE for it, answered at the end */
    bool has_request;
};

struct order_service {
    struct journal journal;
    bool recovered;        /* the journal was read back */
    bool ready;            /* and this boot's id block is durable: orders are taken */
    uint32_t seq_slot;     /* the SEQ record's journal slot */
    uint64_t block_last;   /* the highest block start any SEQ record names */
    uint64_t id_next;      /* next order id of this boot's block */
    uint64_t id_end;       /* one past the block */
    uint32_t attempt_next; /* distinct across boots: the boot number in the high bits */
    uint32_t count;        /* orders[0..count) in use */
    uint64_t confirmed, rejected;
    struct order orders[ORDERS_MAX];
};

struct item {
    uint64_t stock;        /* units in stock */
    uint64_t version;      /* writes applied to it */
    uint64_t held;         /* units reserved and not released */
    uint32_t last_slot;    /* journal slot of its last write */
    bool written;          /* some write since boot (last_slot means something) */
};

struct reservation {
    uint64_t key;          /* the client's order key, or n1's order id when it came without */
    uint64_t trace;
    uint32_t item;
    uint32_t quantity;
    enum reservation_state state;
    uint32_t slot;         /* journal slot of its last write */
};

/* An answer held until the record it reports is durable. */
struct waiter {
    bool used;
    uint32_t slot;
    fl_node_id to;
    struct msg reply;
};

struct inventory_service {
    struct journal journal;
    bool recovered;
    uint32_t items;
    struct item item[ITEMS_MAX];
    uint32_t count;
    struct reservation reservations[RESERVATIONS_MAX];
    struct waiter waiters[WAITERS_MAX];
};

struct payment {
    uint64_t order;        /* the idempotency key: n1's order id */
    uint64_t trace;        /* the client's order, for people and the checker */
    uint32_t customer;
    uint64_t amount;
    enum charge_status status;
    uint32_t slot;
};

struct payment_service {
    struct journal journal;
    bool recovered;
    uint32_t customers;
    uint64_t balance[CLIENTS_MAX];
    uint64_t merchant;
    uint32_t count;        /* payment p-N is payments[N - 1] */
    struct payment payments[PAYMENTS_MAX];
    struct waiter waiters[WAITERS_MAX];
};

struct payments_server {
    enum role role;
    uint32_t boot;         /* fl_incarnation: which boot this state is of */
    uint32_t variant;
    uint64_t rpc_timeout_ns;
    uint32_t read_attempts;
    union {
        struct order_service orders;
        struct inventory_service inventory;
        struct payment_service payments;
    } u;
};

static struct payments_server *server_of(void *state) { return state; }

/* --- shared by n2 and n3: answers that wait for durability ----------------------------------- */

static void send_msg(fl_node *node, fl_node_id to, const struct msg *m) {
    uint8_t bytes[MESSAGE_BYTES];
    msg_encode(bytes, m);
    fl_send(node, to, bytes, sizeof bytes);
}

static bool waiter_free(const struct waiter *waiters) {
    for (uint32_t i = 0; i < WAITERS_MAX; i++) {
        if (!waiters[i].used) return true;
    }
    return false;
}

static void waiter_add(struct waiter *waiters, uint32_t slot, fl_node_id to, const struct msg *m) {
    for (uint32_t i = 0; i < WAITERS_MAX; i++) {
        if (waiters[i].used) continue;
        waiters[i] = (struct waiter){.used = true, .slot = slot, .to = to, .reply = *m};
        return;
    }
}

/* Sends every held answer whose record is now durable, in slot order. */
static void waiters_flush(fl_node *node, struct waiter *waiters, const struct journal *j) {
    for (;;) {
        uint32_t best = WAITERS_MAX;
        for (uint32_t i = 0; i < WAITERS_MAX; i++) {
            if (!waiters[i].used || !journal_is_durable(j, waiters[i].slot)) continue;
            if (best == WAITERS_MAX || waiters[i].slot < waiters[best].slot) best = i;
        }
        if (best == WAITERS_MAX) return;
        waiters[best].used = false;
        send_msg(node, waiters[best].to, &waiters[best].reply);
    }
}

/* ========================================================================================
 * n1: the order service
 * ======================================================================================== */

static struct order *order_by_id(struct order_service *s, uint64_t id) {
    for (uint32_t i = 0; i < s->count; i++) {
        if (s->orders[i].id == id) return &s->orders[i];
    }
    return NULL;
}

static struct order *order_by_key(struct order_service *s, uint64_t key) {
    for (uint32_t i = 0; i < s->count && key != 0; i++) {
        if (s->orders[i].key == key) return &s->orders[i];
    }
    return NULL;
}

static void order_replay(void *ctx, const struct payments_record *r) {
    struct order_service *s = ctx;
    if (r->kind == REC_SEQ) {
        if (r->a > s->block_last) s->block_last = r->a;
    } else if (r->kind == REC_OPEN && s->count < ORDERS_MAX && order_by_id(s, r->order) == NULL) {
        struct order *o = &s->orders[s->count++];
        *o = (struct order){.id = r->order, .key = r->d, .trace = r->trace, .item = (uint32_t)r->a,
                            .quantity = (uint32_t)r->b, .customer = (uint32_t)(r->b >> 32),
                            .amount = r->c, .phase = PHASE_OPENING};
    } else if (r->kind == REC_END) {
        struct order *o = order_by_id(s, r->order);
        if (o == NULL) return;
        o->phase = PHASE_DONE;
        o->outcome = (enum outcome)r->a;
        o->reason = (enum reason)r->b;
        o->payment_id = r->c;
    }
}

static void order_name(const struct order *o, char *out, size_t size) {
    char key[24];
    key_name(o->trace, key, sizeof key);
    snprintf(out, size, "order %llu (%s)", (unsigned long long)o->id, key);
}

static uint32_t order_slot(const struct order_service *s, const struct order *o) {
    return (uint32_t)(o - s->orders);
}

/* Sends what the order's phase waits for, under a fresh attempt number, and
 * arms the timer that sends it again. */
static void order_send(fl_node *node, struct payments_server *srv, struct order *o) {
    struct order_service *s = &srv->u.orders;
    o->attempt = s->attempt_next++;
    /* The reservation belongs to the client's order: its key, if it came with one. */
    struct msg m = {.trace = o->trace, .order = o->id, .key = o->key != 0 ? o->key : o->id,
                    .attempt = o->attempt, .a = o->item};
    fl_node_id to = ROLE_INVENTORY;
    switch (o->phase) {
    case PHASE_READ:
    case PHASE_RELEASE_READ:
        m.type = MSG_GET_STOCK;
        break;
    case PHASE_WRITE:
    case PHASE_RELEASE_WRITE: {
        bool reserve = o->phase == PHASE_WRITE;
        m.type = MSG_WRITE_STOCK;
        m.b = reserve ? o->stock_seen - o->quantity : o->stock_seen + o->quantity;
        /* The bug: a plain read-modify-write, with no version to compare. */
        m.c = srv->variant == VARIANT_UNVERSIONED_INVENTORY ? VERSION_ANY : o->version_seen;
        m.d = (uint32_t)(reserve ? OP_RESERVE : OP_RELEASE) | o->quantity << 8;
        break;
    }
    case PHASE_CHARGE:
        m.type = MSG_CHARGE;
        m.key = o->id; /* the payment belongs to the order record */
        m.a = o->customer;
        m.b = o->amount;
        to = ROLE_PAYMENTS;
        break;
    default:
        fl_always(node, o->phase == PHASE_END_RETRY, "payments.order_send_phase");
        fl_timer_set(node, DISK_RETRY_NS, (uint64_t)order_slot(s, o) << 32 | o->attempt);
        return;
    }
    send_msg(node, to, &m);
    /* Exponential backoff, capped: a service that is down is not flooded, and
     * one that is slow still gets to answer. */
    uint32_t shift = o->resends < RESEND_SHIFT_MAX ? o->resends : RESEND_SHIFT_MAX;
    fl_timer_set(node, srv->rpc_timeout_ns << shift,
                 (uint64_t)order_slot(s, o) << 32 | o->attempt);
}

/* A new step: the answers to the previous one no longer count. */
static void order_go(fl_node *node, struct payments_server *srv, struct order *o,
                     enum phase phase) {
    o->phase = phase;
    o->step_attempt = srv->u.orders.attempt_next;
    o->resends = 0;
    order_send(node, srv, o);
}

static void order_reply(fl_node *node, struct order *o) {
    if (!o->has_request) return;
    struct msg m = {.type = MSG_RESULT, .trace = o->trace, .order = o->id, .a = o->outcome,
                    .b = o->reason, .c = o->payment_id};
    uint8_t bytes[MESSAGE_BYTES];
    msg_encode(bytes, &m);
    fl_reply(node, o->request, bytes, sizeof bytes);
    o->has_request = false;
}

/* Records the outcome; the client hears it once the record is durable. */
static void order_end(fl_node *node, struct payments_server *srv, struct order *o,
                      enum outcome outcome, enum reason reason) {
    struct order_service *s = &srv->u.orders;
    o->outcome = outcome;
    o->reason = reason;
    struct payments_record r = {.kind = REC_END, .order = o->id, .trace = o->trace, .a = outcome,
                               .b = reason, .c = o->payment_id};
    if (payments_journal_append(node, &s->journal, &r, &o->record_slot) != FL_OK) {
        order_go(node, srv, o, PHASE_END_RETRY);
        return;
    }
    o->phase = PHASE_ENDING;
}

/* The journal moved on: the block, the orders waiting for their records. */
static void orders_durable(fl_node *node, struct payments_server *srv) {
    struct order_service *s = &srv->u.orders;
    if (!s->ready) {
        if (!journal_is_durable(&s->journal, s->seq_slot) || s->id_next == 0) return;
        s->ready = true;
        fl_annotate(node, "order service ready: %u orders recovered, new ids from %llu", s->count,
                    (unsigned long long)s->id_next);
    }
    for (uint32_t i = 0; i < s->count; i++) {
        struct order *o = &s->orders[i];
        if (!journal_is_durable(&s->journal, o->record_slot)) continue;
        if (o->phase == PHASE_OPENING) {
            order_go(node, srv, o, PHASE_READ);
        } else if (o->phase == PHASE_ENDING) {
            char name[48];
            order_name(o, name, sizeof name);
            o->phase = PHASE_DONE;
            if (o->outcome == OUTCOME_CONFIRMED) {
                s->confirmed++;
                fl_annotate(node, "%s: confirmed, paid by p-%llu, item %u x%u shipped", name,
                            (unsigned long long)o->payment_id, o->item + 1, o->quantity);
            } else {
                s->rejected++;
                fl_annotate(node, "%s: rejected, %s", name, reason_name(o->reason));
            }
            order_reply(node, o);
        }
    }
}

/* This boot's block of ids: journaled and synced before any is used. */
static void orders_claim_block(fl_node *node, struct payments_server *srv) {
    struct order_service *s = &srv->u.orders;
    uint64_t start = s->block_last == 0 ? 1 : s->block_last + ORDER_ID_BLOCK;
    struct payments_record r = {.kind = REC_SEQ, .a = start};
    if (payments_journal_append(node, &s->journal, &r, &s->seq_slot) != FL_OK) {
        fl_timer_set(node, DISK_RETRY_NS, TAG_SEQ_RETRY);
        return;
    }
    s->id_next = start;
    s->id_end = start + ORDER_ID_BLOCK;
    orders_durable(node, srv);
}

static void orders_recover(fl_node *node, struct payments_server *srv) {
    struct order_service *s = &srv->u.orders;
    memset(s, 0, sizeof *s);
    s->attempt_next = (fl_incarnation(node) & 0xfffu) << 20;
    if (payments_journal_recover(node, &s->journal, srv->read_attempts, order_replay, s) != FL_OK) {
        fl_annotate(node, "order service: journal unreadable, recovering again later");
        fl_timer_set(node, RECOVERY_RETRY_NS, TAG_RECOVER);
        return;
    }
    s->recovered = true;
    uint32_t open = 0;
    for (uint32_t i = 0; i < s->count; i++) {
        const struct order *o = &s->orders[i];
        open += o->phase != PHASE_DONE;
        s->confirmed += o->phase == PHASE_DONE && o->outcome == OUTCOME_CONFIRMED;
        s->rejected += o->phase == PHASE_DONE && o->outcome == OUTCOME_REJECTED;
    }
    fl_sometimes(node, open > 0, "payments.order_resumed_after_crash");
    orders_claim_block(node, srv);
}

static void orders_place(fl_node *node, struct payments_server *srv, struct fl_request request,
                         const struct msg *m) {
    struct order_service *s = &srv->u.orders;
    struct order *o = order_by_key(s, m->key);
    fl_sometimes(node, o != NULL, "payments.order_deduplicated");
    if (o != NULL) {
        o->request = request; /* the latest PLACE gets the answer */
        o->has_request = true;
        if (o->phase == PHASE_DONE) order_reply(node, o);
        return;
    }
    bool room = s->count < ORDERS_MAX && s->id_next < s->id_end;
    fl_sometimes(node, !room, "payments.order_service_full");
    if (!room || m->a >= ITEMS_MAX || m->d >= CLIENTS_MAX) return;
    o = &s->orders[s->count];
    *o = (struct order){.id = s->id_next, .key = m->key, .trace = m->trace,
                        .item = (uint32_t)m->a, .quantity = (uint32_t)m->b,
                        .customer = (uint32_t)m->d, .amount = m->c, .phase = PHASE_OPENING,
                        .request = request, .has_request = true};
    struct payments_record r = {.kind = REC_OPEN, .order = o->id, .trace = o->trace, .a = o->item,
                               .b = o->quantity | (uint64_t)o->customer << 32, .c = o->amount,
                               .d = o->key};
    if (payments_journal_append(node, &s->journal, &r, &o->record_slot) != FL_OK) return; /* retried */
    s->count++;
    s->id_next++;
    char name[48], key[24];
    order_name(o, name, sizeof name);
    key_name(o->key, key, sizeof key);
    fl_annotate(node, "%s: opened, item %u x%u for %llu, idempotency key %s", name, o->item + 1,
                o->quantity, (unsigned long long)o->amount, key);
    /* The bug: the order goes ahead before its record is durable. */
    if (srv->variant == VARIANT_CHARGE_BEFORE_DURABLE) order_go(node, srv, o, PHASE_READ);
}

/* STOCK: what n2 holds for the item, and for this order. */
static void orders_on_stock(fl_node *node, struct payments_server *srv, struct order *o,
                            const struct msg *m) {
    enum reservation_state held = (enum reservation_state)m->d;
    o->stock_seen = m->b;
    o->version_seen = m->c;
    if (o->phase == PHASE_RELEASE_READ) {
        if (held != RES_HELD) {
            order_end(node, srv, o, OUTCOME_REJECTED, o->reason);
            return;
        }
        order_go(node, srv, o, PHASE_RELEASE_WRITE);
        return;
    }
    /* Reserved before a crash of n1 (or declined and released): on to the
     * charge, which n3 answers as it did the first time. */
    if (held != RES_NONE) {
        order_go(node, srv, o, PHASE_CHARGE);
        return;
    }
    if (m->b < o->quantity) {
        order_end(node, srv, o, OUTCOME_REJECTED, REASON_OUT_OF_STOCK);
        return;
    }
    order_go(node, srv, o, PHASE_WRITE);
}

static void orders_on_written(fl_node *node, struct payments_server *srv, struct order *o,
                              const struct msg *m) {
    bool reserve = o->phase == PHASE_WRITE;
    if (m->b == WRITE_OK) {
        char name[48];
        order_name(o, name, sizeof name);
        fl_annotate(node, "%s: %s item %u x%u, stock now %llu", name,
                    reserve ? "reserved" : "released", o->item + 1, o->quantity,
                    (unsigned long long)m->c);
        if (reserve) {
            order_go(node, srv, o, PHASE_CHARGE);
        } else {
            order_end(node, srv, o, OUTCOME_REJECTED, o->reason);
        }
        return;
    }
    /* Only a newer version than any seen counts: a conflict answered before
     * one of this step's writes was applied reports an older one, and acting
     * on it (rejecting the order, say) would strand that write's stock. */
    bool newer = m->d > o->version_seen;
    fl_sometimes(node, !newer, "payments.stale_conflict_ignored");
    if (!newer) return;
    fl_sometimes(node, true, "payments.cas_conflict_retried");
    o->stock_seen = m->c;
    o->version_seen = m->d;
    if (reserve && m->c < o->quantity) {
        order_end(node, srv, o, OUTCOME_REJECTED, REASON_OUT_OF_STOCK);
        return;
    }
    order_send(node, srv, o); /* the same write, from the stock and version now */
}

static void orders_on_charged(fl_node *node, struct payments_server *srv, struct order *o,
                              const struct msg *m) {
    char name[48];
    order_name(o, name, sizeof name);
    if (m->a == CHARGE_OK) {
        o->payment_id = m->b;
        fl_annotate(node, "%s: charged p-%llu amount %llu", name, (unsigned long long)m->b,
                    (unsigned long long)o->amount);
        order_end(node, srv, o, OUTCOME_CONFIRMED, REASON_NONE);
        return;
    }
    o->reason = m->a == CHARGE_NO_FUNDS ? REASON_NO_FUNDS : REASON_KEY_REUSED;
    fl_annotate(node, "%s: charge declined (%s), releasing the stock", name,
                reason_name(o->reason));
    order_go(node, srv, o, PHASE_RELEASE_READ);
}

static void orders_on_message(fl_node *node, struct payments_server *srv, const struct msg *m) {
    struct order_service *s = &srv->u.orders;
    if (!s->recovered) return;
    struct order *o = order_by_id(s, m->order);
    /* Any send of the current step: with a timeout shorter than the round
     * trip, waiting for the answer to the latest send would wait forever. */
    bool current = o != NULL && m->attempt >= o->step_attempt && m->attempt <= o->attempt;
    fl_sometimes(node, !current, "payments.order_late_or_duplicate_answer");
    if (!current) return;
    if (m->type == MSG_STOCK && (o->phase == PHASE_READ || o->phase == PHASE_RELEASE_READ)) {
        orders_on_stock(node, srv, o, m);
    } else if (m->type == MSG_WRITTEN &&
               (o->phase == PHASE_WRITE || o->phase == PHASE_RELEASE_WRITE)) {
        orders_on_written(node, srv, o, m);
    } else if (m->type == MSG_CHARGED && o->phase == PHASE_CHARGE) {
        orders_on_charged(node, srv, o, m);
    }
}

static void orders_on_timer(fl_node *node, struct payments_server *srv, uint64_t tag) {
    struct order_service *s = &srv->u.orders;
    if (tag == TAG_RECOVER) {
        orders_recover(node, srv);
        return;
    }
    if (tag == TAG_SEQ_RETRY) {
        orders_claim_block(node, srv);
        return;
    }
    uint32_t slot = (uint32_t)(tag >> 32);
    fl_always(node, slot < s->count, "payments.order_timer_slot");
    if (slot >= s->count) return;
    struct order *o = &s->orders[slot];
    if (o->attempt != (uint32_t)tag) return; /* answered: the timer is stale */
    if (o->phase == PHASE_END_RETRY) {
        order_end(node, srv, o, o->outcome, o->reason);
        return;
    }
    bool waiting = o->phase >= PHASE_READ && o->phase <= PHASE_RELEASE_WRITE;
    if (!waiting) return;
    fl_sometimes(node, true, "payments.order_step_resent");
    o->resends++;
    order_send(node, srv, o);
}

/* ========================================================================================
 * n2: the inventory service
 * ======================================================================================== */

static struct reservation *reservation_of(struct inventory_service *s, uint64_t key) {
    for (uint32_t i = 0; i < s->count; i++) {
        if (s->reservations[i].key == key) return &s->reservations[i];
    }
    return NULL;
}

/* Applies a write the journal holds (or is about to): the stock, the version,
 * the order's reservation. Shared by replay and the live path. */
static void inventory_apply(struct inventory_service *s, const struct payments_record *r,
                            uint32_t slot) {
    uint32_t item = (uint32_t)r->a;
    if (item >= s->items) return;
    enum stock_op op = (enum stock_op)(r->d & 0xff);
    uint32_t quantity = (uint32_t)(r->d >> 8);
    struct item *it = &s->item[item];
    it->stock = r->b;
    it->version = r->c;
    it->last_slot = slot;
    it->written = true;
    struct reservation *res = reservation_of(s, r->order);
    if (res == NULL) {
        if (s->count >= RESERVATIONS_MAX) return;
        res = &s->reservations[s->count++];
        *res = (struct reservation){.key = r->order, .trace = r->trace, .item = item,
                                    .quantity = quantity};
    }
    res->slot = slot;
    if (op == OP_RESERVE && res->state == RES_NONE) {
        res->state = RES_HELD;
        it->held += quantity;
    } else if (op == OP_RELEASE && res->state == RES_HELD) {
        res->state = RES_RELEASED;
        it->held -= res->quantity;
    }
}

struct replay_ctx {
    struct inventory_service *s;
    uint32_t slot;
};

static void inventory_replay(void *ctx, const struct payments_record *r) {
    struct replay_ctx *c = ctx;
    if (r->kind == REC_WRITE) inventory_apply(c->s, r, c->slot);
    c->slot++;
}

static void inventory_recover(fl_node *node, struct payments_server *srv) {
    struct inventory_service *s = &srv->u.inventory;
    memset(s, 0, sizeof *s);
    s->items = (uint32_t)fl_param(node, "items");
    uint64_t stock = (uint64_t)fl_param(node, "stock");
    for (uint32_t i = 0; i < s->items; i++) s->item[i].stock = stock;
    struct replay_ctx ctx = {.s = s};
    if (payments_journal_recover(node, &s->journal, srv->read_attempts, inventory_replay, &ctx) != FL_OK) {
        fl_annotate(node, "inventory: journal unreadable, recovering again later");
        fl_timer_set(node, RECOVERY_RETRY_NS, TAG_RECOVER);
        return;
    }
    s->recovered = true;
    fl_annotate(node, "inventory recovered: %u reservations", s->count);
}

/* An item with a write not yet durable answers nothing: what it would say
 * could vanish in a crash. The order service asks again. */
static bool item_settled(const struct inventory_service *s, uint32_t item) {
    const struct item *it = &s->item[item];
    return !it->written || journal_is_durable(&s->journal, it->last_slot);
}

static void inventory_get(fl_node *node, struct inventory_service *s, const struct msg *m) {
    const struct reservation *res = reservation_of(s, m->key);
    const struct item *it = &s->item[m->a];
    struct msg reply = {.type = MSG_STOCK, .trace = m->trace, .order = m->order,
                        .attempt = m->attempt, .a = m->a, .b = it->stock, .c = it->version,
                        .d = res == NULL ? RES_NONE : res->state};
    send_msg(node, ROLE_ORDERS, &reply);
}

/* WRITE_STOCK: idempotent by order, conditional on the version. */
static void inventory_write(fl_node *node, struct inventory_service *s, const struct msg *m) {
    enum stock_op op = (enum stock_op)(m->d & 0xff);
    const struct reservation *res = reservation_of(s, m->key);
    struct item *it = &s->item[m->a];
    struct msg reply = {.type = MSG_WRITTEN, .trace = m->trace, .order = m->order,
                        .attempt = m->attempt, .a = m->a, .b = WRITE_OK};
    /* Applied already: a reserve for a known key, a release of nothing held. */
    bool done = (op == OP_RESERVE && res != NULL) ||
                (op == OP_RELEASE && (res == NULL || res->state != RES_HELD));
    fl_sometimes(node, done, "payments.stock_write_deduplicated");
    if (done || (m->c != VERSION_ANY && m->c != it->version)) {
        reply.b = done ? WRITE_OK : WRITE_CONFLICT;
        reply.c = it->stock;
        reply.d = (uint32_t)it->version;
        send_msg(node, ROLE_ORDERS, &reply);
        return;
    }
    uint32_t quantity = (uint32_t)(m->d >> 8);
    bool sane = op == OP_RESERVE || op == OP_RELEASE;
    if (!sane || (res == NULL && s->count >= RESERVATIONS_MAX) || !waiter_free(s->waiters)) return;
    struct payments_record r = {.kind = REC_WRITE, .order = m->key, .trace = m->trace, .a = m->a,
                               .b = m->b, .c = it->version + 1, .d = op | quantity << 8};
    uint32_t slot = 0;
    if (payments_journal_append(node, &s->journal, &r, &slot) != FL_OK) return; /* asked again */
    uint64_t before = it->stock;
    inventory_apply(s, &r, slot);
    char key[24];
    key_name(m->trace, key, sizeof key);
    fl_annotate(node, "order %llu (%s): %s item %u x%u, stock %llu -> %llu, version %llu%s",
                (unsigned long long)m->order, key, op == OP_RESERVE ? "reserve" : "release",
                (uint32_t)m->a + 1, quantity, (unsigned long long)before,
                (unsigned long long)it->stock, (unsigned long long)it->version,
                m->c == VERSION_ANY ? " (unconditional write)" : "");
    reply.c = it->stock;
    reply.d = (uint32_t)it->version;
    waiter_add(s->waiters, slot, ROLE_ORDERS, &reply);
}

static void inventory_on_message(fl_node *node, struct payments_server *srv, const struct msg *m) {
    struct inventory_service *s = &srv->u.inventory;
    if (!s->recovered) return;
    bool known_item = m->a < s->items;
    fl_always(node, known_item, "payments.inventory_item_known");
    if (!known_item) return;
    bool settled = item_settled(s, (uint32_t)m->a);
    fl_sometimes(node, !settled, "payments.inventory_busy_item");
    if (!settled) return;
    if (m->type == MSG_GET_STOCK) {
        inventory_get(node, s, m);
    } else if (m->type == MSG_WRITE_STOCK) {
        inventory_write(node, s, m);
    }
}

/* ========================================================================================
 * n3: the payment service
 * ======================================================================================== */

static struct payment *payment_of(struct payment_service *s, uint64_t order) {
    for (uint32_t i = 0; i < s->count; i++) {
        if (s->payments[i].order == order) return &s->payments[i];
    }
    return NULL;
}

static void payment_apply(struct payment_service *s, const struct payments_record *r,
                          uint32_t slot) {
    if (s->count >= PAYMENTS_MAX || r->a >= s->customers) return;
    struct payment *p = &s->payments[s->count++];
    *p = (struct payment){.order = r->order, .trace = r->trace, .customer = (uint32_t)r->a,
                          .amount = r->b, .status = (enum charge_status)r->d, .slot = slot};
    if (p->status != CHARGE_OK) return;
    s->balance[p->customer] -= p->amount;
    s->merchant += p->amount;
}

struct pay_replay_ctx {
    struct payment_service *s;
    uint32_t slot;
};

static void payment_replay(void *ctx, const struct payments_record *r) {
    struct pay_replay_ctx *c = ctx;
    if (r->kind == REC_CHARGE) payment_apply(c->s, r, c->slot);
    c->slot++;
}

static void payments_recover(fl_node *node, struct payments_server *srv) {
    struct payment_service *s = &srv->u.payments;
    memset(s, 0, sizeof *s);
    s->customers = fl_client_count(node) < CLIENTS_MAX ? fl_client_count(node) : CLIENTS_MAX;
    uint64_t balance = (uint64_t)fl_param(node, "balance");
    for (uint32_t i = 0; i < s->customers; i++) s->balance[i] = balance;
    struct pay_replay_ctx ctx = {.s = s};
    if (payments_journal_recover(node, &s->journal, srv->read_attempts, payment_replay, &ctx) != FL_OK) {
        fl_annotate(node, "payment service: journal unreadable, recovering again later");
        fl_timer_set(node, RECOVERY_RETRY_NS, TAG_RECOVER);
        return;
    }
    s->recovered = true;
    fl_annotate(node, "payment service recovered: %u payments, merchant balance %llu", s->count,
                (unsigned long long)s->merchant);
}

static void payments_charge(fl_node *node, struct payment_service *s, const struct msg *m) {
    struct msg reply = {.type = MSG_CHARGED, .trace = m->trace, .order = m->order,
                        .attempt = m->attempt};
    const struct payment *known = payment_of(s, m->key);
    if (known != NULL) {
        if (!journal_is_durable(&s->journal, known->slot)) return; /* answered once durable */
        bool same = known->customer == m->a && known->amount == m->b;
        fl_sometimes(node, same, "payments.charge_deduplicated");
        reply.a = same ? known->status : CHARGE_KEY_REUSED;
        reply.b = same ? (uint64_t)(known - s->payments) + 1 : 0;
        send_msg(node, ROLE_ORDERS, &reply);
        return;
    }
    if (m->a >= s->customers || s->count >= PAYMENTS_MAX || !waiter_free(s->waiters)) return;
    enum charge_status status = s->balance[m->a] >= m->b ? CHARGE_OK : CHARGE_NO_FUNDS;
    fl_sometimes(node, status == CHARGE_NO_FUNDS, "payments.charge_declined");
    struct payments_record r = {.kind = REC_CHARGE, .order = m->key, .trace = m->trace,
                               .a = m->a, .b = m->b, .c = s->count, .d = status};
    uint32_t slot = 0;
    if (payments_journal_append(node, &s->journal, &r, &slot) != FL_OK) return; /* asked again */
    payment_apply(s, &r, slot);
    reply.a = status;
    reply.b = s->count;
    char key[24];
    key_name(m->trace, key, sizeof key);
    fl_annotate(node, "payment p-%u: %s customer c%u %llu for order %llu (%s)", s->count,
                status == CHARGE_OK ? "charged" : "declined", (uint32_t)m->a + 1,
                (unsigned long long)m->b, (unsigned long long)m->order, key);
    waiter_add(s->waiters, slot, ROLE_ORDERS, &reply);
}

/* ========================================================================================
 * the server service: one of the three, by node id
 * ======================================================================================== */

static void server_boot(fl_node *node, struct payments_server *srv) {
    if (srv->role == ROLE_ORDERS) {
        orders_recover(node, srv);
    } else if (srv->role == ROLE_INVENTORY) {
        inventory_recover(node, srv);
    } else {
        payments_recover(node, srv);
    }
}

static void server_start(fl_node *node, void *state) {
    struct payments_server *srv = server_of(state);
    uint32_t servers = fl_server_count(node);
    fl_assert_always(node, servers == ROLES, "payments.three_servers",
                     "payments runs exactly 3 servers (n1 orders, n2 inventory, n3 payments), "
                     "the scenario has %u",
                     servers);
    srv->role = (enum role)fl_self(node);
    srv->boot = fl_incarnation(node);
    srv->variant = fl_variant(node);
    srv->rpc_timeout_ns = (uint64_t)fl_param(node, "rpc_timeout");
    srv->read_attempts = (uint32_t)fl_param(node, "read_attempts");
    if (srv->role >= ROLES) return;
    server_boot(node, srv);
}

static void server_on_message(fl_node *node, void *state, fl_node_id from, const uint8_t *data,
                              size_t size_bytes) {
    (void)from;
    struct payments_server *srv = server_of(state);
    struct msg m;
    bool intact = msg_decode(data, size_bytes, &m);
    fl_sometimes(node, !intact, "payments.server_dropped_corrupt");
    if (!intact) return;
    if (srv->role == ROLE_ORDERS) {
        orders_on_message(node, srv, &m);
    } else if (srv->role == ROLE_INVENTORY) {
        inventory_on_message(node, srv, &m);
    } else if (srv->role == ROLE_PAYMENTS && m.type == MSG_CHARGE && srv->u.payments.recovered) {
        payments_charge(node, &srv->u.payments, &m);
    }
}

static void server_on_request(fl_node *node, void *state, struct fl_request request,
                              const uint8_t *data, size_t size_bytes) {
    struct payments_server *srv = server_of(state);
    struct msg m;
    bool intact = msg_decode(data, size_bytes, &m);
    fl_sometimes(node, !intact, "payments.server_dropped_corrupt");
    if (!intact || srv->role != ROLE_ORDERS || m.type != MSG_PLACE) return;
    if (!srv->u.orders.ready) return; /* recovering: the client asks again */
    orders_place(node, srv, request, &m);
}

static void server_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct payments_server *srv = server_of(state);
    if (srv->role == ROLE_ORDERS) {
        orders_on_timer(node, srv, tag);
        return;
    }
    fl_always(node, tag == TAG_RECOVER, "payments.server_timer_known");
    if (tag == TAG_RECOVER) server_boot(node, srv);
}

static void server_on_sync(fl_node *node, void *state, uint64_t sync_id, uint64_t tag,
                           int status) {
    struct payments_server *srv = server_of(state);
    if (srv->role == ROLE_ORDERS) {
        journal_on_sync(node, &srv->u.orders.journal, sync_id, tag, status);
        if (srv->u.orders.recovered) orders_durable(node, srv);
    } else if (srv->role == ROLE_INVENTORY) {
        struct inventory_service *s = &srv->u.inventory;
        journal_on_sync(node, &s->journal, sync_id, tag, status);
        waiters_flush(node, s->waiters, &s->journal);
    } else if (srv->role == ROLE_PAYMENTS) {
        struct payment_service *s = &srv->u.payments;
        journal_on_sync(node, &s->journal, sync_id, tag, status);
        waiters_flush(node, s->waiters, &s->journal);
    }
}

static void server_describe_state(const void *state, struct fl_state_view *out) {
    const struct payments_server *srv = state;
    if (srv->role == ROLE_ORDERS) {
        const struct order_service *s = &srv->u.orders;
        snprintf(out->role, sizeof out->role, "orders");
        if (!s->ready) {
            snprintf(out->label, sizeof out->label, "recovering");
            return;
        }
        snprintf(out->label, sizeof out->label, "%llu open, %llu confirmed, %llu rejected",
                 (unsigned long long)(s->count - s->confirmed - s->rejected),
                 (unsigned long long)s->confirmed, (unsigned long long)s->rejected);
    } else if (srv->role == ROLE_INVENTORY) {
        const struct inventory_service *s = &srv->u.inventory;
        snprintf(out->role, sizeof out->role, "inventory");
        size_t used = 0;
        for (uint32_t i = 0; i < s->items && used + 24 < sizeof out->label; i++) {
            used += (size_t)snprintf(out->label + used, sizeof out->label - used,
                                     "%sitem %u: %llu v%llu", i == 0 ? "" : ", ", i + 1,
                                     (unsigned long long)s->item[i].stock,
                                     (unsigned long long)s->item[i].version);
        }
    } else if (srv->role == ROLE_PAYMENTS) {
        const struct payment_service *s = &srv->u.payments;
        snprintf(out->role, sizeof out->role, "payments");
        snprintf(out->label, sizeof out->label, "%u payments, merchant %llu", s->count,
                 (unsigned long long)s->merchant);
    }
}

static void describe_message(const uint8_t *data, size_t size_bytes, struct fl_message_view *out) {
    struct msg m;
    if (!msg_decode(data, size_bytes, &m)) {
        snprintf(out->kind, sizeof out->kind, "corrupt");
        return;
    }
    char key[24];
    key_name(m.trace, key, sizeof key);
    snprintf(out->kind, sizeof out->kind, "%s", msg_kind(m.type));
    out->trace_id = m.trace;
    unsigned long long order = m.order, a = m.a, b = m.b, c = m.c;
    switch (m.type) {
    case MSG_PLACE:
        snprintf(out->text, sizeof out->text, "order %s: item %llu x%llu for %llu, key %s", key,
                 a + 1, b, c, m.key == 0 ? "none" : key);
        break;
    case MSG_RESULT:
        snprintf(out->text, sizeof out->text, "order %llu (%s) %s%s", order, key,
                 a == OUTCOME_CONFIRMED ? "confirmed" : "rejected: ",
                 a == OUTCOME_CONFIRMED ? "" : reason_name((uint32_t)b));
        break;
    case MSG_GET_STOCK:
        snprintf(out->text, sizeof out->text, "order %llu (%s): stock of item %llu?", order, key,
                 a + 1);
        break;
    case MSG_STOCK:
        snprintf(out->text, sizeof out->text, "order %llu (%s): item %llu has %llu, version %llu",
                 order, key, a + 1, b, c);
        break;
    case MSG_WRITE_STOCK:
        snprintf(out->text, sizeof out->text, "order %llu (%s): %s item %llu to %llu if v%s%llu",
                 order, key, (m.d & 0xff) == OP_RESERVE ? "reserve" : "release", a + 1, b,
                 c == VERSION_ANY ? "any " : "", c == VERSION_ANY ? 0ull : c);
        break;
    case MSG_WRITTEN:
        snprintf(out->text, sizeof out->text, "order %llu (%s): %s, item %llu has %llu v%u",
                 order, key, b == WRITE_OK ? "ok" : "conflict", a + 1, c, m.d);
        break;
    case MSG_CHARGE:
        snprintf(out->text, sizeof out->text, "order %llu (%s): charge customer c%llu %llu",
                 order, key, a + 1, b);
        break;
    default:
        snprintf(out->text, sizeof out->text, "order %llu (%s): %s p-%llu", order, key,
                 a == CHARGE_OK ? "charged" : "declined", b);
        break;
    }
}

static const struct fl_service payments_server_service = {
    .state_size_bytes = sizeof(struct payments_server),
    .start = server_start,
    .on_message = server_on_message,
    .on_timer = server_on_timer,
    .on_request = server_on_request,
    .on_sync = server_on_sync,
    .describe_state = server_describe_state,
    .describe_message = describe_message,
};

/* ========================================================================================
 * clients: customers placing orders
 * ======================================================================================== */

enum client_order_state { CO_NONE = 0, CO_OPEN = 1, CO_CONFIRMED = 2, CO_REJECTED = 3 };

struct client_order {
    uint64_t key;
    uint32_t item;
    uint32_t quantity;
    uint64_t amount;
    enum client_order_state state;
    uint32_t attempts;       /* PLACE sent this many times */
    uint64_t order_id;       /* as the RESULT named it */
    uint64_t payment_id;
    enum reason reason;
};

struct payments_client {
    uint32_t index;          /* client cK has index K - 1: also its customer account */
    uint32_t incarnation;
    uint32_t variant;
    uint32_t orders_max;     /* params.orders_per_client */
    uint32_t concurrency;    /* params.concurrency */
    uint32_t items;
    uint32_t quantity_max;
    uint64_t price;
    uint64_t interval_ns;
    uint64_t timeout_ns;
    uint32_t placed;         /* orders[0..placed) */
    uint32_t open;
    uint32_t confirmed, rejected;
    struct client_order orders[ORDERS_PER_CLIENT_MAX];
};

static void client_send_place(fl_node *node, struct payments_client *c, uint32_t seq) {
    struct client_order *o = &c->orders[seq];
    /* The bug: no idempotency key, so the service cannot tell a retry from a
     * new order (the trace id is for people, not for the service). */
    uint64_t idempotency_key = c->variant == VARIANT_NO_IDEMPOTENCY_KEY ? 0 : o->key;
    struct msg m = {.type = MSG_PLACE, .trace = o->key, .key = idempotency_key, .a = o->item,
                    .b = o->quantity, .c = o->amount, .d = c->index};
    uint8_t bytes[MESSAGE_BYTES];
    msg_encode(bytes, &m);
    fl_request(node, ROLE_ORDERS, bytes, sizeof bytes);
    o->attempts++;
    fl_timer_set(node, c->timeout_ns, TAG_TIMEOUT + seq);
}

static void client_tick(fl_node *node, struct payments_client *c) {
    if (c->placed < c->orders_max && c->open < c->concurrency) {
        uint32_t seq = c->placed++;
        struct client_order *o = &c->orders[seq];
        o->key = key_make(c->index, c->incarnation, seq + 1);
        o->item = (uint32_t)fl_random_below(node, c->items);
        o->quantity = 1 + (uint32_t)fl_random_below(node, c->quantity_max);
        o->amount = c->price * (o->item + 1) * o->quantity;
        o->state = CO_OPEN;
        c->open++;
        char key[24];
        key_name(o->key, key, sizeof key);
        fl_annotate(node, "order %s: placing item %u x%u for %llu", key, o->item + 1, o->quantity,
                    (unsigned long long)o->amount);
        client_send_place(node, c, seq);
    }
    if (c->placed < c->orders_max) {
        fl_timer_set(node, c->interval_ns / 2 + fl_random_below(node, c->interval_ns), TAG_TICK);
    }
}

static void client_start(fl_node *node, void *state) {
    struct payments_client *c = state;
    c->index = fl_self(node) - fl_server_count(node);
    c->incarnation = fl_incarnation(node);
    c->variant = fl_variant(node);
    fl_assert_always(node, c->index < CLIENTS_MAX, "payments.clients_max",
                     "payments runs at most %u clients, this is c%u", CLIENTS_MAX, c->index + 1);
    if (c->index >= CLIENTS_MAX) return;
    c->orders_max = (uint32_t)fl_param(node, "orders_per_client");
    c->concurrency = (uint32_t)fl_param(node, "concurrency");
    c->items = (uint32_t)fl_param(node, "items");
    c->quantity_max = (uint32_t)fl_param(node, "quantity_max");
    c->price = (uint64_t)fl_param(node, "price");
    c->interval_ns = (uint64_t)fl_param(node, "interval");
    c->timeout_ns = (uint64_t)fl_param(node, "client_timeout");
    client_tick(node, c);
}

static void client_on_timer(fl_node *node, void *state, fl_timer_id timer, uint64_t tag) {
    (void)timer;
    struct payments_client *c = state;
    if (tag == TAG_TICK) {
        client_tick(node, c);
        return;
    }
    uint64_t seq = tag - TAG_TIMEOUT;
    fl_always(node, seq < c->placed, "payments.client_timer_known");
    if (seq >= c->placed || c->orders[seq].state != CO_OPEN) return;
    struct client_order *o = &c->orders[seq];
    char key[24];
    key_name(o->key, key, sizeof key);
    fl_annotate(node, "order %s: no answer, retry %u with key %s", key, o->attempts,
                c->variant == VARIANT_NO_IDEMPOTENCY_KEY ? "none" : key);
    fl_sometimes(node, true, "payments.client_retried");
    client_send_place(node, c, (uint32_t)seq);
}

static void client_on_reply(fl_node *node, void *state, fl_node_id from, uint64_t request_id,
                            const uint8_t *data, size_t size_bytes) {
    (void)from, (void)request_id;
    struct payments_client *c = state;
    struct msg m;
    bool intact = msg_decode(data, size_bytes, &m) && m.type == MSG_RESULT;
    fl_sometimes(node, !intact, "payments.client_dropped_corrupt");
    if (!intact) return;
    /* Any answer for the order will do, whichever attempt it answers. */
    uint32_t seq = key_seq(m.trace) - 1;
    bool mine = key_client(m.trace) == c->index && key_incarnation(m.trace) == c->incarnation &&
                seq < c->placed && c->orders[seq].key == m.trace;
    if (!mine || c->orders[seq].state != CO_OPEN) return; /* answered already */
    struct client_order *o = &c->orders[seq];
    o->state = m.a == OUTCOME_CONFIRMED ? CO_CONFIRMED : CO_REJECTED;
    o->order_id = m.order;
    o->payment_id = m.c;
    o->reason = (enum reason)m.b;
    c->open--;
    c->confirmed += o->state == CO_CONFIRMED;
    c->rejected += o->state == CO_REJECTED;
    char key[24];
    key_name(o->key, key, sizeof key);
    fl_annotate(node, "order %s: %s as order %llu after %u attempt%s%s%s", key,
                o->state == CO_CONFIRMED ? "confirmed" : "rejected",
                (unsigned long long)m.order, o->attempts, o->attempts == 1 ? "" : "s",
                o->state == CO_CONFIRMED ? "" : ", ",
                o->state == CO_CONFIRMED ? "" : reason_name(o->reason));
}

static void client_describe_state(const void *state, struct fl_state_view *out) {
    const struct payments_client *c = state;
    snprintf(out->role, sizeof out->role, "%s", c->open > 0 ? "waiting" : "idle");
    snprintf(out->label, sizeof out->label, "%u open, %u confirmed, %u rejected", c->open,
             c->confirmed, c->rejected);
}

static const struct fl_service payments_client_service = {
    .state_size_bytes = sizeof(struct payments_client),
    .start = client_start,
    .on_timer = client_on_timer,
    .on_reply = client_on_reply,
    .describe_state = client_describe_state,
    .describe_message = describe_message,
};

/* ========================================================================================
 * checkers
 * ======================================================================================== */

struct payments_checker {
    uint32_t payments_checked;                   /* ledger entries already compared */
    uint32_t money_count;                        /* ledger entries money_charged adds up */
    uint32_t money_boot;                         /* of n3, when money_charged was summed */
    uint64_t money_charged;
    uint32_t placed_seen[CLIENTS_MAX];
    uint32_t incarnation_seen[CLIENTS_MAX];
    uint64_t placed_at_ns[CLIENTS_MAX][ORDERS_PER_CLIENT_MAX]; /* true time */
};

static const struct payments_server *world_server(const fl_world *world, enum role role) {
    if (fl_world_server_count(world) != ROLES) return NULL;
    const struct payments_server *srv = fl_world_state(world, role);
    if (srv == NULL || srv->role != role) return NULL;
    return srv;
}

/* A new successful charge for a client order already charged: the trace
 * says whose order it is, whatever ids the services gave it. */
static void check_charged_once(fl_world *world, struct payments_checker *k,
                               const struct payment_service *p) {
    if (!p->recovered) return;
    if (k->payments_checked > p->count) k->payments_checked = p->count; /* a crash lost some */
    for (uint32_t n = k->payments_checked; n < p->count; n++) {
        const struct payment *late = &p->payments[n];
        for (uint32_t e = 0; e < n && late->status == CHARGE_OK; e++) {
            const struct payment *early = &p->payments[e];
            if (early->status != CHARGE_OK || early->trace != late->trace) continue;
            char key[24];
            key_name(late->trace, key, sizeof key);
            fl_world_violation(world, "payments.charged_once",
                               "order %s charged twice: payments p-%u and p-%u (the order service "
                               "knew it as order %llu, then as order %llu); customer c%u paid "
                               "%llu twice",
                               key, e + 1, n + 1, (unsigned long long)early->order,
                               (unsigned long long)late->order, late->customer + 1,
                               (unsigned long long)late->amount);
            return;
        }
    }
    k->payments_checked = p->count;
}

static void check_inventory_step(fl_world *world, const struct inventory_service *s) {
    if (!s->recovered) return;
    uint64_t initial = (uint64_t)fl_world_param(world, "stock");
    for (uint32_t i = 0; i < s->items; i++) {
        const struct item *it = &s->item[i];
        int64_t expected = (int64_t)initial - (int64_t)it->held;
        if ((int64_t)it->stock == expected && expected >= 0) continue;
        char holders[200] = "";
        size_t used = 0;
        uint32_t count = 0;
        for (uint32_t r = 0; r < s->count; r++) {
            const struct reservation *res = &s->reservations[r];
            if (res->item != i || res->state != RES_HELD) continue;
            count++;
            if (used + 40 >= sizeof holders) continue;
            char key[24];
            key_name(res->trace, key, sizeof key);
            used += (size_t)snprintf(holders + used, sizeof holders - used, "%s%s x%u",
                                     used == 0 ? "" : ", ", key, res->quantity);
        }
        uint64_t off = it->stock > (uint64_t)expected ? it->stock - (uint64_t)expected
                                                       : (uint64_t)expected - it->stock;
        fl_world_violation(world, "payments.inventory",
                           "item %u %s by %llu: orders hold %llu units of it (%s%s) of an initial "
                           "stock of %llu, so %lld should be left, but the inventory shows %llu",
                           i + 1,
                           expected < 0 || (int64_t)it->stock > expected ? "oversold" : "short",
                           (unsigned long long)off, (unsigned long long)it->held, holders,
                           count > 0 && used + 40 >= sizeof holders ? ", ..." : "",
                           (unsigned long long)initial, (long long)expected,
                           (unsigned long long)it->stock);
        return;
    }
}

static void check_money(fl_world *world, struct payments_checker *k,
                        const struct payments_server *srv) {
    const struct payment_service *s = &srv->u.payments;
    if (!s->recovered) return;
    uint64_t initial = (uint64_t)fl_world_param(world, "balance");
    uint64_t total = s->merchant;
    for (uint32_t i = 0; i < s->customers; i++) {
        if (s->balance[i] > initial) {
            fl_world_violation(world, "payments.money_conserved",
                               "customer c%u has %lld, below zero or above the %llu it started "
                               "with",
                               i + 1, (long long)s->balance[i], (unsigned long long)initial);
            return;
        }
        total += s->balance[i];
    }
    /* The ledger only grows between two boots of n3: add the new entries. */
    if (k->money_boot != srv->boot || k->money_count > s->count) {
        k->money_boot = srv->boot;
        k->money_count = 0;
        k->money_charged = 0;
    }
    for (; k->money_count < s->count; k->money_count++) {
        const struct payment *p = &s->payments[k->money_count];
        if (p->status == CHARGE_OK) k->money_charged += p->amount;
    }
    uint64_t charged = k->money_charged;
    uint64_t expected = initial * s->customers;
    if (total == expected && s->merchant == charged) return;
    fl_world_violation(world, "payments.money_conserved",
                       "the accounts hold %llu in all, they started with %llu; the merchant has "
                       "%llu, the successful charges add up to %llu",
                       (unsigned long long)total, (unsigned long long)expected,
                       (unsigned long long)s->merchant, (unsigned long long)charged);
}

/* Notes when each client placed each order, in true time, for orders_end. */
static void check_note_placements(fl_world *world, struct payments_checker *k) {
    uint32_t servers = fl_world_server_count(world);
    uint32_t clients = fl_world_client_count(world);
    for (uint32_t i = 0; i < clients && i < CLIENTS_MAX; i++) {
        const struct payments_client *c = fl_world_state(world, servers + i);
        if (c == NULL) continue;
        if (c->incarnation != k->incarnation_seen[i]) {
            k->incarnation_seen[i] = c->incarnation;
            k->placed_seen[i] = 0;
        }
        for (; k->placed_seen[i] < c->placed && k->placed_seen[i] < ORDERS_PER_CLIENT_MAX;
             k->placed_seen[i]++) {
            k->placed_at_ns[i][k->placed_seen[i]] = fl_world_now_ns(world);
        }
    }
}

static void payments_check_step(fl_world *world) {
    struct payments_checker *k = fl_world_checker_state(world);
    check_note_placements(world, k);
    const struct payments_server *inv = world_server(world, ROLE_INVENTORY);
    if (inv != NULL) check_inventory_step(world, &inv->u.inventory);
    const struct payments_server *pay = world_server(world, ROLE_PAYMENTS);
    if (pay != NULL) {
        check_charged_once(world, k, &pay->u.payments);
        check_money(world, k, pay);
    }
}

static const struct payment *ledger_find(const struct payment_service *p, uint64_t order) {
    for (uint32_t n = 0; n < p->count; n++) {
        if (p->payments[n].order == order) return &p->payments[n];
    }
    return NULL;
}

static const struct order *orders_find(const struct order_service *s, uint64_t id) {
    for (uint32_t i = 0; i < s->count; i++) {
        if (s->orders[i].id == id) return &s->orders[i];
    }
    return NULL;
}

/* Every confirmed order was paid, with its amount, by its customer. */
static bool check_shipped_paid(fl_world *world, const struct order_service *o,
                               const struct payment_service *p) {
    for (uint32_t i = 0; i < o->count; i++) {
        const struct order *ord = &o->orders[i];
        if (ord->phase != PHASE_DONE || ord->outcome != OUTCOME_CONFIRMED) continue;
        const struct payment *pay = ledger_find(p, ord->id);
        if (pay != NULL && pay->status == CHARGE_OK && pay->amount == ord->amount &&
            pay->customer == ord->customer) {
            continue;
        }
        char name[48];
        order_name(ord, name, sizeof name);
        fl_world_violation(world, "payments.shipped_paid",
                           "%s was confirmed and shipped, but the payment service %s", name,
                           pay == NULL ? "never charged it" : "has no successful charge of it");
        return false;
    }
    return true;
}

/* Settled: every successful charge belongs to a confirmed order. */
static bool check_paid_shipped(fl_world *world, const struct order_service *o,
                               const struct payment_service *p) {
    for (uint32_t n = 0; n < p->count; n++) {
        const struct payment *pay = &p->payments[n];
        if (pay->status != CHARGE_OK) continue;
        const struct order *ord = orders_find(o, pay->order);
        if (ord != NULL && ord->phase != PHASE_DONE) continue; /* orders_end's business */
        if (ord != NULL && ord->outcome == OUTCOME_CONFIRMED) continue;
        char key[24];
        key_name(pay->trace, key, sizeof key);
        fl_world_violation(world, "payments.paid_shipped",
                           "customer c%u was charged %llu by payment p-%u for order %llu (%s), "
                           "which the order service %s: charged for a lost order",
                           pay->customer + 1, (unsigned long long)pay->amount, n + 1,
                           (unsigned long long)pay->order, key,
                           ord == NULL ? "no longer knows" : "rejected");
        return false;
    }
    return true;
}

/* Settled: the stock of each item is its initial stock less what the
 * confirmed orders took. */
static bool check_inventory_settled(fl_world *world, const struct order_service *o,
                                    const struct inventory_service *inv) {
    uint64_t initial = (uint64_t)fl_world_param(world, "stock");
    for (uint32_t i = 0; i < inv->items; i++) {
        uint64_t shipped = 0;
        uint32_t orders = 0;
        for (uint32_t n = 0; n < o->count; n++) {
            const struct order *ord = &o->orders[n];
            if (ord->item != i || ord->phase != PHASE_DONE || ord->outcome != OUTCOME_CONFIRMED) {
                continue;
            }
            shipped += ord->quantity;
            orders++;
        }
        if (inv->item[i].stock + shipped == initial) continue;
        fl_world_violation(world, "payments.inventory",
                           "item %u: %u confirmed orders shipped %llu units from an initial stock "
                           "of %llu, but the inventory shows %llu left (expected %lld)%s",
                           i + 1, orders, (unsigned long long)shipped,
                           (unsigned long long)initial, (unsigned long long)inv->item[i].stock,
                           (long long)initial - (long long)shipped,
                           inv->item[i].stock + shipped < initial
                               ? ": stock is held by orders that never shipped"
                               : ": units were sold twice");
        return false;
    }
    return true;
}

static void check_orders_end(fl_world *world, const struct payments_checker *k) {
    uint64_t bound = (uint64_t)fl_world_param(world, "liveness");
    uint64_t now = fl_world_now_ns(world), quiet = fl_world_quiet_since_ns(world);
    uint32_t servers = fl_world_server_count(world);
    for (uint32_t i = 0; i < fl_world_client_count(world) && i < CLIENTS_MAX; i++) {
        const struct payments_client *c = fl_world_state(world, servers + i);
        if (c == NULL || c->incarnation != k->incarnation_seen[i]) continue;
        for (uint32_t seq = 0; seq < c->placed && seq < k->placed_seen[i]; seq++) {
            const struct client_order *o = &c->orders[seq];
            uint64_t since = k->placed_at_ns[i][seq] > quiet ? k->placed_at_ns[i][seq] : quiet;
            if (o->state != CO_OPEN || now - since < bound) continue;
            char key[24];
            key_name(o->key, key, sizeof key);
            fl_world_violation(world, "payments.orders_end",
                               "order %s, placed at %.3f s, was still neither confirmed nor "
                               "rejected at %.3f s, %.3f s after %s, longer than the liveness "
                               "bound of %.3f s; the client sent it %u time%s",
                               key, (double)k->placed_at_ns[i][seq] / 1e9, (double)now / 1e9,
                               (double)(now - since) / 1e9,
                               since == quiet ? "the faults healed" : "it was placed",
                               (double)bound / 1e9, o->attempts, o->attempts == 1 ? "" : "s");
            return;
        }
    }
}

/* True when no client waits for an order and n1 has none in progress: the
 * run went idle with everything ended, or settled before its end. */
static bool all_ended(const fl_world *world, const struct order_service *o) {
    uint32_t servers = fl_world_server_count(world);
    for (uint32_t i = 0; i < fl_world_client_count(world) && i < CLIENTS_MAX; i++) {
        const struct payments_client *c = fl_world_state(world, servers + i);
        if (c != NULL && c->open > 0) return false;
    }
    for (uint32_t i = 0; i < o->count; i++) {
        if (o->orders[i].phase != PHASE_DONE) return false;
    }
    return true;
}

static void payments_check_end(fl_world *world) {
    struct payments_checker *k = fl_world_checker_state(world);
    const struct payments_server *ord = world_server(world, ROLE_ORDERS);
    const struct payments_server *inv = world_server(world, ROLE_INVENTORY);
    const struct payments_server *pay = world_server(world, ROLE_PAYMENTS);
    bool up = ord != NULL && inv != NULL && pay != NULL && ord->u.orders.recovered &&
              inv->u.inventory.recovered && pay->u.payments.recovered;
    if (up && !check_shipped_paid(world, &ord->u.orders, &pay->u.payments)) return;
    uint64_t bound = (uint64_t)fl_world_param(world, "liveness");
    bool late = bound > 0 && fl_world_now_ns(world) >= fl_world_quiet_since_ns(world) + bound;
    if (late) check_orders_end(world, k);
    if (!up || !all_ended(world, &ord->u.orders)) return; /* still settling */
    if (!check_paid_shipped(world, &ord->u.orders, &pay->u.payments)) return;
    check_inventory_settled(world, &ord->u.orders, &inv->u.inventory);
}

/* --- the model ---------------------------------------------------------------------------- */

static const char *const payments_variants[] = {
    "correct", "no_idempotency_key", "unversioned_inventory", "charge_before_durable", NULL,
};
static const char *const payments_variant_help[] = {
    "idempotency keys end to end, durable before every answer, compare-and-set stock",
    "the client sends no idempotency key: a retried order is a new order, charged again",
    "the order service writes stock back without a version check: concurrent orders oversell",
    "the order service charges before the order record is durable: a crash loses a paid order",
    NULL,
};

static const struct fl_param payments_params[] = {
    {"interval", FL_PARAM_DURATION, 1000, 3600000000000, 200000000,
     "mean time between a client's new orders (uniform in [interval/2, 3*interval/2))"},
    {"orders_per_client", FL_PARAM_INT, 1, ORDERS_PER_CLIENT_MAX, 20,
     "orders each client places in a run"},
    {"concurrency", FL_PARAM_INT, 1, 8, 2, "orders a client keeps open at once"},
    {"client_timeout", FL_PARAM_DURATION, 1000, 3600000000000, 300000000,
     "a client sends its order again, with the same key, after this long without an answer"},
    {"rpc_timeout", FL_PARAM_DURATION, 1000, 3600000000000, 30000000,
     "the order service resends a request to inventory or payments after this long"},
    {"items", FL_PARAM_INT, 1, ITEMS_MAX, 2, "distinct items on sale"},
    {"stock", FL_PARAM_INT, 0, 1000000, 30, "initial units in stock of each item"},
    {"quantity_max", FL_PARAM_INT, 1, 10, 2, "an order takes 1 to this many units of one item"},
    {"price", FL_PARAM_INT, 1, 1000000, 50, "item k costs price * k per unit"},
    {"balance", FL_PARAM_INT, 0, 1000000000, 1500, "each customer's starting balance"},
    {"read_attempts", FL_PARAM_INT, 1, 16, 8,
     "times a service tries a journal read that fails with EIO before recovering later"},
    {"liveness", FL_PARAM_DURATION, 0, 3600000000000, 3000000000,
     "if > 0: every order ends within this long after the faults heal (or after it was placed)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct fl_model fl_model_payments = {
    .name = "payments",
    .summary = "orders, inventory and payments with idempotency keys and compare-and-set stock",
    .server = &payments_server_service,
    .client = &payments_client_service,
    .variants = payments_variants,
    .variant_help = payments_variant_help,
    .params = payments_params,
    .server_count_min = ROLES,
    .checker_state_bytes = sizeof(struct payments_checker),
    .check_step = payments_check_step,
    .check_end = payments_check_end,
};
