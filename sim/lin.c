/*
 * lin: the linearizability search (Wing & Gong, with Lowe's memoization, in
 * Porcupine's entry-list form). The parsers are in lin_history.c.
 *
 * Per partition (one key), the ops' call and return events are sorted by their
 * index in the history and threaded onto a doubly linked list between a head
 * and a tail sentinel. The search walks the list from the head: at a call it
 * tries to apply the op to the model; if the model accepts and the pair (set of
 * linearized ops as a bitset, resulting state) has not been seen before, the op
 * is linearized: its call and return are lifted out of the list (dancing-links
 * style, so they can be put back in O(1)), a frame is pushed and the walk starts
 * again from the head. At a return, the op it belongs to had to be linearized
 * by then and was not, so the search backtracks: pop the last frame, unlift
 * that op and try the next call after it. An empty stack at a return means no
 * order exists. The stack is an explicit array (no recursion, depth <= ops),
 * and the memo table holds at most states_max entries: past that the answer is
 * "unknown".
 *
 * Indefinite (info) ops have their return after the end of the history, so
 * they can be linearized at any point after their invoke; since nothing follows
 * the end, placing one there is the same as it never happening. They never
 * constrain the search (their output is unknown), so the search succeeds as soon
 * as every definite op is linearized.
 *
 * Two reductions keep the state space small, each sound on its own (the
 * comments at find_forced and model_step give the argument), and together they
 * cut the etcd set's states from 407531 to 83894:
 *   - a call that changes nothing and may go first (an ok read of the current
 *     value, a failed cas whose `from` differs from it) is taken as its
 *     configuration's only child: no other order needs trying there;
 *   - an indefinite op that would change nothing where it is tried is refused:
 *     "never" already covers it.
 *
 * The memo table is open addressing over a Zobrist hash of the pair: the XOR
 * of a fixed pseudo-random word per linearized op, kept up to date on every
 * lift and unlift (O(1) instead of rehashing the bitset), mixed with the
 * state. A slot is 8 bytes, 32 bits of the hash and the entry number, so a
 * probe sequence rarely leaves its cache line; entries (the full hash, the
 * bitset words, the state) sit in one arena, and a tag match is always
 * confirmed on the full hash and the whole key. No pointers are hashed and
 * nothing depends on allocation addresses, so the search, its counts and the
 * partial linearization it reports are the same on every run. The deepest
 * point reached (the longest stack at a backtrack; the first one on a tie) is
 * what a "not linearizable" answer reports: the ops linearized up to there and
 * the calls that could not be placed next.
 *
 * Rejected: recursion (stack depth = history length), and checking keys in
 * parallel (determinism first; it is fast enough).
 */
#include "lin.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define LIN_NONE UINT32_MAX
#define LIN_MEMO_INITIAL 1024u

/* A slot: the hash's high half (0: empty) and the entry number. 8 bytes, so a
 * cache line holds 8 and a probe sequence rarely leaves one. */
struct lin_slot {
    uint32_t tag;
    uint32_t ref;
};

struct lin_memo {
    struct lin_slot *slots;
    size_t slot_count; /* a power of two, >= 2 * count */
    uint64_t *arena;   /* entries of `stride` words: the full hash, then the key */
    size_t width;      /* key words: bitset words + 1 for the state */
    size_t stride;     /* width + 1 */
    size_t count;
    size_t capacity;  /* entries the arena has room for */
    size_t count_max; /* the budget */
};

struct lin_frame {
    uint32_t entry; /* the call entry linearized */
    uint32_t forced; /* 1: the only child of its configuration (see find_forced) */
    int64_t state_before;
    uint64_t hash_before;
};

/* An op as the search reads it: the model's fields, packed and partition-local. */
struct lin_local_op {
    int64_t value_in, value_to, value_out;
    uint8_t kind, status;
    uint8_t forcible; /* an ok read or a failed cas: changes nothing when it applies */
};

struct lin_search {
    const size_t *index;         /* partition-local op -> history op */
    struct lin_local_op *local;  /* partition-local ops */
    uint64_t *zobrist;           /* per local op: a fixed pseudo-random word */
    uint32_t op_count;
    uint32_t definite_count;
    uint32_t definite_done;
    uint32_t *prev, *next; /* entry links; 0 head, 1..2n entries, 2n+1 tail */
    uint32_t *entry_op;    /* entry -> local op */
    uint32_t *match;       /* call entry -> its return entry; LIN_NONE for returns */
    uint64_t *key;         /* the probe: bitset words, then the state */
    size_t words;
    uint64_t set_hash;     /* XOR of the zobrist words of the linearized ops */
    struct lin_frame *stack;
    size_t depth;
    int64_t state;
    struct lin_memo memo;
    uint64_t steps;
    bool best_set; /* the deepest point, for a failure report */
    size_t best_depth;
    int64_t best_state;
    size_t *best_ops; /* history indices */
    size_t *best_unplaced;
    size_t best_unplaced_count;
};

/* ---- the model ---------------------------------------------------------- */

static bool model_step(const struct lin_local_op *op, int64_t state, int64_t *state_next) {
    *state_next = state;
    if (op->kind == FL_LIN_READ) {
        assert(op->status == FL_LIN_OK); /* others are dropped before the search */
        return op->value_out == state;
    }
    /* An indefinite op that would change nothing here is refused: whatever
     * order works with it placed here also works with it never happening,
     * which is always allowed, so trying it only adds states. */
    if (op->kind == FL_LIN_WRITE) {
        *state_next = op->value_in;
        return op->status != FL_LIN_INFO || op->value_in != state;
    }
    assert(op->kind == FL_LIN_CAS);
    if (op->status == FL_LIN_FAIL) return state != op->value_in; /* observed: no match */
    if (state != op->value_in) return false; /* ok: must match; info: a no-op */
    *state_next = op->value_to;
    return op->status != FL_LIN_INFO || op->value_to != state;
}

/* An op as the first `limit` events of the history show it: one whose return
 * is not among them is still open, so indefinite. limit FL_LIN_INDEX_NONE: the
 * whole history. */
static struct fl_lin_op op_in_prefix(const struct fl_lin_op *op, uint64_t limit) {
    struct fl_lin_op view = *op;
    if (view.return_index != FL_LIN_INDEX_NONE && view.return_index >= limit) {
        view.return_index = FL_LIN_INDEX_NONE;
        view.status = FL_LIN_INFO;
    }
    return view;
}

/* Failed reads and writes, and indefinite reads, constrain nothing: dropped. */
static bool op_checked(const struct fl_lin_op *op) {
    if (op->kind == FL_LIN_READ) return op->status == FL_LIN_OK;
    if (op->kind == FL_LIN_WRITE) return op->status != FL_LIN_FAIL;
    return true;
}

/* ---- the memo table ----------------------------------------------------- */

static uint64_t mix64(uint64_t x) { /* splitmix64's finalizer */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The memo hash of (set, state): the set's zobrist XOR, mixed with the state. */
static uint64_t memo_hash(uint64_t set_hash, int64_t state) {
    return set_hash ^ mix64((uint64_t)state + 0x9e3779b97f4a7c15ull);
}

static uint32_t memo_tag(uint64_t hash) {
    return (uint32_t)(hash >> 32) | 1u; /* 0 marks an empty slot */
}

static int memo_init(struct lin_memo *memo, size_t width, size_t count_max) {
    memset(memo, 0, sizeof *memo);
    memo->width = width;
    memo->stride = width + 1;
    memo->count_max = count_max;
    memo->slot_count = 2u * LIN_MEMO_INITIAL;
    memo->capacity = LIN_MEMO_INITIAL;
    memo->slots = calloc(memo->slot_count, sizeof *memo->slots);
    memo->arena = malloc(memo->capacity * memo->stride * sizeof *memo->arena);
    if (memo->slots == NULL || memo->arena == NULL) return FL_LIN_ENOMEM;
    return FL_LIN_EOK;
}

static void memo_deinit(struct lin_memo *memo) {
    free(memo->slots);
    free(memo->arena);
    memset(memo, 0, sizeof *memo);
}

static void memo_place(struct lin_slot *slots, size_t slot_count, uint64_t hash, uint32_t ref) {
    size_t mask = slot_count - 1;
    size_t slot = (size_t)hash & mask;
    while (slots[slot].tag != 0)
        slot = (slot + 1) & mask;
    slots[slot] = (struct lin_slot){memo_tag(hash), ref};
}

static int memo_grow(struct lin_memo *memo) {
    size_t capacity = memo->capacity * 2;
    if (capacity > memo->count_max) capacity = memo->count_max; /* never past the budget */
    assert(capacity > memo->capacity);
    uint64_t *arena = realloc(memo->arena, capacity * memo->stride * sizeof *arena);
    if (arena == NULL) return FL_LIN_ENOMEM;
    memo->arena = arena;
    memo->capacity = capacity;
    size_t slot_count = memo->slot_count;
    while (slot_count < 2 * capacity)
        slot_count *= 2; /* load factor at most 1/2 */
    if (slot_count == memo->slot_count) return FL_LIN_EOK;
    struct lin_slot *slots = calloc(slot_count, sizeof *slots);
    if (slots == NULL) return FL_LIN_ENOMEM;
    for (size_t i = 0; i < memo->count; i++) /* the full hashes are in the arena */
        memo_place(slots, slot_count, memo->arena[i * memo->stride], (uint32_t)i);
    free(memo->slots);
    memo->slots = slots;
    memo->slot_count = slot_count;
    return FL_LIN_EOK;
}

enum { MEMO_ADDED, MEMO_SEEN, MEMO_FULL, MEMO_NOMEM };

static bool key_equal(const uint64_t *a, const uint64_t *b, size_t width) {
    for (size_t i = 0; i < width; i++) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

/* Adds the key (whose hash is given) unless it is there. The hash only finds
 * candidates: a match is always confirmed on the whole key, so a collision can
 * cost a probe, never an answer. */
static int memo_add(struct lin_memo *memo, const uint64_t *key, uint64_t hash) {
    size_t mask = memo->slot_count - 1;
    uint32_t tag = memo_tag(hash);
    for (size_t slot = (size_t)hash & mask; memo->slots[slot].tag != 0;
         slot = (slot + 1) & mask) {
        if (memo->slots[slot].tag != tag) continue;
        const uint64_t *entry = memo->arena + (size_t)memo->slots[slot].ref * memo->stride;
        if (entry[0] == hash && key_equal(entry + 1, key, memo->width)) return MEMO_SEEN;
    }
    if (memo->count >= memo->count_max) return MEMO_FULL;
    if (memo->count == memo->capacity && memo_grow(memo) != FL_LIN_EOK) return MEMO_NOMEM;
    assert(memo->count < memo->capacity);
    assert(memo->count < UINT32_MAX);
    uint64_t *entry = memo->arena + memo->count * memo->stride;
    entry[0] = hash;
    memcpy(entry + 1, key, memo->width * sizeof *key);
    memo_place(memo->slots, memo->slot_count, hash, (uint32_t)memo->count);
    memo->count++;
    return MEMO_ADDED;
}

/* ---- the entry list ----------------------------------------------------- */

struct lin_event {
    uint64_t time; /* history index; info returns: after everything */
    uint32_t op;   /* local op */
    uint32_t is_call;
};

static int event_compare(const void *a, const void *b) {
    const struct lin_event *x = a;
    const struct lin_event *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    if (x->op != y->op) return x->op < y->op ? -1 : 1;
    return (int)y->is_call - (int)x->is_call; /* an op's call before its return */
}

/* Sorts the events and threads them between the sentinels. */
static int search_link(struct lin_search *s, const struct fl_lin_op *ops, uint64_t limit) {
    uint32_t n = s->op_count;
    struct lin_event *events = malloc(2u * n * sizeof *events);
    uint32_t *return_of_op = malloc(n * sizeof *return_of_op);
    if (events == NULL || return_of_op == NULL) {
        free(events);
        free(return_of_op);
        return FL_LIN_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct fl_lin_op op = op_in_prefix(&ops[s->index[i]], limit);
        events[2 * i] = (struct lin_event){op.invoke_index, i, 1};
        events[2 * i + 1] = (struct lin_event){op.return_index, i, 0};
        assert(op.return_index == FL_LIN_INDEX_NONE || op.return_index > op.invoke_index);
    }
    qsort(events, 2u * n, sizeof *events, event_compare);
    uint32_t tail = 2u * n + 1;
    for (uint32_t e = 1; e <= 2u * n; e++) {
        s->entry_op[e] = events[e - 1].op;
        s->match[e] = LIN_NONE;
        if (!events[e - 1].is_call) return_of_op[events[e - 1].op] = e;
        s->prev[e] = e - 1;
        s->next[e] = e + 1;
    }
    for (uint32_t e = 1; e <= 2u * n; e++) {
        if (events[e - 1].is_call) s->match[e] = return_of_op[events[e - 1].op];
    }
    s->next[0] = 1;
    s->prev[tail] = 2u * n;
    free(events);
    free(return_of_op);
    return FL_LIN_EOK;
}

static void entry_unlink(struct lin_search *s, uint32_t e) {
    s->next[s->prev[e]] = s->next[e];
    s->prev[s->next[e]] = s->prev[e];
}

static void entry_relink(struct lin_search *s, uint32_t e) {
    s->next[s->prev[e]] = e;
    s->prev[s->next[e]] = e;
}

static void lift(struct lin_search *s, uint32_t call) {
    entry_unlink(s, call);
    entry_unlink(s, s->match[call]);
}

static void unlift(struct lin_search *s, uint32_t call) {
    entry_relink(s, s->match[call]);
    entry_relink(s, call);
}

/* ---- the search --------------------------------------------------------- */

static void bit_set(uint64_t *words, uint32_t bit) {
    words[bit / 64] |= 1ull << (bit % 64);
}
static void bit_clear(uint64_t *words, uint32_t bit) {
    words[bit / 64] &= ~(1ull << (bit % 64));
}

static bool op_definite(const struct lin_search *s, uint32_t op) {
    return s->local[op].status != FL_LIN_INFO;
}

/* At a return that cannot be passed: keep the deepest such point. */
static void note_deepest(struct lin_search *s, uint32_t ret) {
    if (s->best_set && s->depth <= s->best_depth) return;
    s->best_set = true;
    s->best_depth = s->depth;
    s->best_state = s->state;
    for (size_t i = 0; i < s->depth; i++) {
        s->best_ops[i] = s->index[s->entry_op[s->stack[i].entry]];
    }
    uint32_t blocked = s->entry_op[ret];
    size_t count = 0;
    s->best_unplaced[count++] = s->index[blocked];
    for (uint32_t e = s->next[0]; e != ret; e = s->next[e]) {
        assert(s->match[e] != LIN_NONE); /* only calls precede the first return */
        if (s->entry_op[e] != blocked) s->best_unplaced[count++] = s->index[s->entry_op[e]];
    }
    assert(count <= s->op_count);
    s->best_unplaced_count = count;
}

/* Tries to linearize the call e. Returns MEMO_ADDED if it did, MEMO_SEEN if
 * the model refused it or the configuration it leads to was seen before. */
static int try_call(struct lin_search *s, uint32_t e, bool forced) {
    uint32_t op = s->entry_op[e];
    int64_t state_next = 0;
    s->steps++;
    if (!model_step(&s->local[op], s->state, &state_next)) return MEMO_SEEN;
    uint64_t set_hash = s->set_hash ^ s->zobrist[op];
    bit_set(s->key, op);
    s->key[s->words] = (uint64_t)state_next;
    int added = memo_add(&s->memo, s->key, memo_hash(set_hash, state_next));
    if (added != MEMO_ADDED) {
        bit_clear(s->key, op);
        return added;
    }
    assert(s->depth < s->op_count);
    s->stack[s->depth++] = (struct lin_frame){e, forced, s->state, s->set_hash};
    s->state = state_next;
    s->set_hash = set_hash;
    lift(s, e);
    if (op_definite(s, op)) s->definite_done++;
    return MEMO_ADDED;
}

/* A call that can be linearized first without losing any solution: an ok read
 * of the current value, or a failed cas whose `from` differs from it. Such an
 * op leaves the value as it is, and (being before every remaining return) may
 * go first in real time; so any order of the remaining ops that works has a
 * twin with it moved to the front, and the configuration succeeds iff the one
 * after it does. The search then takes it as the configuration's only child
 * (Lowe's and Horn & Kroening's partial-order reduction for reads). */
static uint32_t find_forced(const struct lin_search *s) {
    for (uint32_t e = s->next[0]; s->match[e] != LIN_NONE; e = s->next[e]) {
        const struct lin_local_op *op = &s->local[s->entry_op[e]];
        if (!op->forcible) continue;
        bool applies = op->kind == FL_LIN_READ ? op->value_out == s->state
                                               : op->value_in != s->state;
        if (applies) return e;
    }
    return LIN_NONE;
}

/* The configuration on top failed: undoes frames until one whose parent has
 * other calls to try, and returns the entry to try next; LIN_NONE when the
 * empty configuration failed. A forced frame's parent fails with it. */
static uint32_t backtrack(struct lin_search *s) {
    while (s->depth > 0) {
        struct lin_frame frame = s->stack[--s->depth];
        uint32_t op = s->entry_op[frame.entry];
        s->state = frame.state_before;
        s->set_hash = frame.hash_before;
        bit_clear(s->key, op);
        unlift(s, frame.entry);
        if (op_definite(s, op)) s->definite_done--;
        if (!frame.forced) return s->next[frame.entry];
    }
    return LIN_NONE;
}

/* Returns an fl_lin_result, or -1 out of memory. */
static int search_run(struct lin_search *s) {
    uint32_t tail = 2u * s->op_count + 1;
    uint32_t e = s->next[0];
    bool fresh = true; /* a configuration reached for the first time */
    while (s->definite_done < s->definite_count) {
        int outcome;
        if (fresh) {
            fresh = false;
            uint32_t forced = find_forced(s);
            if (forced != LIN_NONE) {
                outcome = try_call(s, forced, true);
                if (outcome == MEMO_ADDED) {
                    fresh = true;
                    continue;
                }
                if (outcome == MEMO_FULL) return FL_LIN_UNKNOWN;
                if (outcome == MEMO_NOMEM) return -1;
                /* seen, so it failed before: so does this configuration */
                e = backtrack(s);
                if (e == LIN_NONE) return FL_LIN_NOT_LINEARIZABLE;
                continue;
            }
            e = s->next[0];
        }
        assert(e != tail); /* a definite op's return is still in the list */
        if (s->match[e] == LIN_NONE) {
            note_deepest(s, e);
            e = backtrack(s);
            if (e == LIN_NONE) return FL_LIN_NOT_LINEARIZABLE;
            continue;
        }
        outcome = try_call(s, e, false);
        if (outcome == MEMO_FULL) return FL_LIN_UNKNOWN;
        if (outcome == MEMO_NOMEM) return -1;
        if (outcome == MEMO_ADDED) {
            fresh = true;
        } else {
            e = s->next[e];
        }
    }
    return FL_LIN_LINEARIZABLE;
}

static void search_free(struct lin_search *s) {
    free(s->prev);
    free(s->next);
    free(s->entry_op);
    free(s->match);
    free(s->key);
    free(s->stack);
    free(s->local);
    free(s->zobrist);
    free(s->best_ops);
    free(s->best_unplaced);
    memo_deinit(&s->memo);
}

static int search_init(struct lin_search *s, const struct fl_lin_op *ops, const size_t *index,
                       uint32_t op_count, size_t states_max, uint64_t limit) {
    memset(s, 0, sizeof *s);
    s->index = index;
    s->op_count = op_count;
    s->state = FL_LIN_NIL;
    s->words = (op_count + 63u) / 64u;
    size_t entries = 2u * (size_t)op_count + 2u;
    s->prev = malloc(entries * sizeof *s->prev);
    s->next = malloc(entries * sizeof *s->next);
    s->entry_op = malloc(entries * sizeof *s->entry_op);
    s->match = malloc(entries * sizeof *s->match);
    s->key = calloc(s->words + 1, sizeof *s->key);
    s->stack = malloc((op_count + 1u) * sizeof *s->stack);
    s->local = malloc((op_count + 1u) * sizeof *s->local);
    s->zobrist = malloc((op_count + 1u) * sizeof *s->zobrist);
    s->best_ops = malloc((op_count + 1u) * sizeof *s->best_ops);
    s->best_unplaced = malloc((op_count + 1u) * sizeof *s->best_unplaced);
    if (s->prev == NULL || s->next == NULL || s->entry_op == NULL || s->match == NULL ||
        s->key == NULL || s->stack == NULL || s->local == NULL || s->zobrist == NULL ||
        s->best_ops == NULL || s->best_unplaced == NULL) {
        return FL_LIN_ENOMEM;
    }
    for (uint32_t i = 0; i < op_count; i++) {
        struct fl_lin_op op = op_in_prefix(&ops[index[i]], limit);
        bool forcible = (op.kind == FL_LIN_READ && op.status == FL_LIN_OK) ||
                        (op.kind == FL_LIN_CAS && op.status == FL_LIN_FAIL);
        s->local[i] = (struct lin_local_op){op.value_in, op.value_to, op.value_out, op.kind,
                                            op.status, forcible};
        /* Fixed words, not random draws: the same search on every run. */
        s->zobrist[i] = mix64(0x5851f42d4c957f2dull * (i + 1u));
        if (op_definite(s, i)) s->definite_count++;
    }
    if (memo_init(&s->memo, s->words + 1, states_max) != FL_LIN_EOK) return FL_LIN_ENOMEM;
    return search_link(s, ops, limit);
}

/* ---- partitions and the report ------------------------------------------ */

struct lin_keyed {
    uint64_t key;
    size_t op; /* history index */
};

static int keyed_compare(const void *a, const void *b) {
    const struct lin_keyed *x = a;
    const struct lin_keyed *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->op < y->op ? -1 : (x->op > y->op ? 1 : 0);
}

/* The checked ops, grouped by key (kv) and in history order within a key. */
static int collect_ops(const struct fl_lin_history *history, bool by_key, uint64_t limit,
                       size_t *index, size_t *count) {
    struct lin_keyed *keyed = malloc((history->count + 1) * sizeof *keyed);
    if (keyed == NULL) return FL_LIN_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < history->count; i++) {
        if (history->ops[i].invoke_index >= limit) continue; /* not in the prefix */
        struct fl_lin_op op = op_in_prefix(&history->ops[i], limit);
        if (!op_checked(&op)) continue;
        keyed[n++] = (struct lin_keyed){by_key ? history->ops[i].key : 0, i};
    }
    qsort(keyed, n, sizeof *keyed, keyed_compare);
    for (size_t i = 0; i < n; i++)
        index[i] = keyed[i].op;
    *count = n;
    free(keyed);
    return FL_LIN_EOK;
}

static int report_failure(struct fl_lin_report *report, const struct lin_search *s, uint64_t key) {
    report->bad_key = key;
    report->state_after = s->best_state;
    report->linearized = malloc((s->best_depth + 1) * sizeof *report->linearized);
    report->unplaced = malloc((s->best_unplaced_count + 1) * sizeof *report->unplaced);
    if (report->linearized == NULL || report->unplaced == NULL) return FL_LIN_ENOMEM;
    memcpy(report->linearized, s->best_ops, s->best_depth * sizeof *s->best_ops);
    memcpy(report->unplaced, s->best_unplaced, s->best_unplaced_count * sizeof *s->best_unplaced);
    report->linearized_count = s->best_depth;
    report->unplaced_count = s->best_unplaced_count;
    return FL_LIN_EOK;
}

/* Checks ops index[0..count) as one register. */
static int check_partition(const struct fl_lin_history *history, const size_t *index, size_t count,
                           uint64_t states_max, uint64_t limit, struct fl_lin_report *report) {
    assert(count > 0);
    assert(count < UINT32_MAX / 2);
    struct lin_search s;
    size_t left = states_max - report->states_explored;
    int error = search_init(&s, history->ops, index, (uint32_t)count, left, limit);
    int result = error == FL_LIN_EOK ? search_run(&s) : -1;
    report->states_explored += s.memo.count;
    report->steps += s.steps;
    if (result < 0) {
        error = FL_LIN_ENOMEM;
    } else {
        report->result = (enum fl_lin_result)result;
        if (result == FL_LIN_NOT_LINEARIZABLE) {
            assert(s.best_set); /* every failure starts at a return that could not be passed */
            error = report_failure(report, &s, history->ops[index[0]].key);
        }
    }
    search_free(&s);
    return error;
}

static size_t partition_end(const struct fl_lin_history *history, const size_t *index, size_t count,
                            size_t start, bool by_key) {
    if (!by_key) return count;
    size_t end = start + 1;
    while (end < count && history->ops[index[end]].key == history->ops[index[start]].key)
        end++;
    return end;
}

/* Checks the first `limit` events of the history. */
static int check_limited(const struct fl_lin_history *history, const struct fl_lin_options *options,
                         uint64_t limit, struct fl_lin_report *report) {
    memset(report, 0, sizeof *report);
    report->result = FL_LIN_LINEARIZABLE;
    uint64_t states_max =
        options->states_max != 0 ? options->states_max : FL_LIN_STATES_MAX_DEFAULT;
    bool by_key = options->model == FL_LIN_MODEL_KV;
    size_t *index = malloc((history->count + 1) * sizeof *index);
    size_t count = 0;
    int error = index != NULL ? collect_ops(history, by_key, limit, index, &count) : FL_LIN_ENOMEM;
    report->operations = count;
    for (size_t start = 0; error == FL_LIN_EOK && start < count;) {
        start = partition_end(history, index, count, start, by_key);
        report->partitions++;
    }
    bool unknown = false;
    for (size_t start = 0, end = 0; error == FL_LIN_EOK && start < count; start = end) {
        end = partition_end(history, index, count, start, by_key);
        error = check_partition(history, index + start, end - start, states_max, limit, report);
        if (report->result == FL_LIN_NOT_LINEARIZABLE) break; /* definite: stop here */
        if (report->result == FL_LIN_UNKNOWN) unknown = true; /* another key may still fail */
        report->result = FL_LIN_LINEARIZABLE;
    }
    if (unknown && report->result == FL_LIN_LINEARIZABLE) report->result = FL_LIN_UNKNOWN;
    free(index);
    return error;
}

/* Events in the history: one past the last index any op names. */
static uint64_t history_events(const struct fl_lin_history *history) {
    uint64_t events = history->events;
    for (size_t i = 0; i < history->count; i++) {
        const struct fl_lin_op *op = &history->ops[i];
        if (op->invoke_index >= events) events = op->invoke_index + 1;
        if (op->return_index != FL_LIN_INDEX_NONE && op->return_index >= events)
            events = op->return_index + 1;
    }
    return events;
}

static size_t *copy_indices(const size_t *from, size_t count) {
    size_t *to = malloc((count + 1) * sizeof *to);
    if (to != NULL && count > 0) memcpy(to, from, count * sizeof *to);
    return to;
}

/* The shortest prefix that is not linearizable, the whole history being so.
 * Binary search: a prefix of a linearizable history is linearizable (an op
 * cut off after its invoke becomes indefinite, which constrains less; one cut
 * off before it constrains nothing), so "not linearizable" is monotone in the
 * prefix length. A prefix answered unknown counts as not known to fail: the
 * search moves right, so the answer is always a prefix shown to fail, and one
 * event less was shown linearizable or unknown. */
static int find_shortest_prefix(const struct fl_lin_history *history,
                                const struct fl_lin_options *options,
                                struct fl_lin_report *report) {
    uint64_t good = 0;                         /* the empty prefix is linearizable */
    uint64_t bad = history_events(history);    /* the whole history is not */
    struct fl_lin_report best;
    bool have_best = false;
    int error = FL_LIN_EOK;
    while (bad - good > 1 && error == FL_LIN_EOK) {
        uint64_t mid = good + (bad - good) / 2;
        struct fl_lin_report r;
        error = check_limited(history, options, mid, &r);
        report->prefix_checks++;
        if (error == FL_LIN_EOK && r.result == FL_LIN_NOT_LINEARIZABLE) {
            bad = mid;
            if (have_best) fl_lin_report_deinit(&best);
            best = r;
            have_best = true;
        } else {
            good = mid;
            fl_lin_report_deinit(&r);
        }
    }
    if (error == FL_LIN_EOK) {
        const struct fl_lin_report *from = have_best ? &best : report;
        report->prefix_events = bad;
        report->prefix_bad_key = from->bad_key;
        report->prefix_unplaced = copy_indices(from->unplaced, from->unplaced_count);
        report->prefix_unplaced_count = from->unplaced_count;
        if (report->prefix_unplaced == NULL) error = FL_LIN_ENOMEM;
    }
    if (have_best) fl_lin_report_deinit(&best);
    return error;
}

int fl_lin_check(const struct fl_lin_history *history, const struct fl_lin_options *options,
                 struct fl_lin_report *report) {
    int error = check_limited(history, options, FL_LIN_INDEX_NONE, report);
    if (error != FL_LIN_EOK || report->result != FL_LIN_NOT_LINEARIZABLE) return error;
    if (!options->shortest_prefix) return FL_LIN_EOK;
    return find_shortest_prefix(history, options, report);
}

void fl_lin_report_deinit(struct fl_lin_report *report) {
    free(report->linearized);
    free(report->unplaced);
    free(report->prefix_unplaced);
    memset(report, 0, sizeof *report);
}

const char *fl_lin_result_name(enum fl_lin_result result) {
    switch (result) {
    case FL_LIN_LINEARIZABLE: return "linearizable";
    case FL_LIN_NOT_LINEARIZABLE: return "not_linearizable";
    case FL_LIN_UNKNOWN: return "unknown";
    }
    return "?";
}

const char *fl_lin_kind_name(enum fl_lin_kind kind) {
    switch (kind) {
    case FL_LIN_READ: return "read";
    case FL_LIN_WRITE: return "write";
    case FL_LIN_CAS: return "cas";
    }
    return "?";
}
