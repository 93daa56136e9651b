/*
 * lin: a linearizability checker for register and key-value histories.
 *
 * A history is a list of operations, each with the index of its invoke and of
 * its return event (docs/linearizability.md). The checker answers whether some
 * total order of the operations respects their real-time order (one that returned
 * before another was invoked comes first) and the sequential model: a register
 * that starts absent (nil), where reads return the value, writes set it and
 * cas(from, to) succeeds iff the value equals `from`. The "kv" model is one such
 * register per key, and each key's sub-history is checked on its own (a history
 * is linearizable iff every key's is: P-compositionality).
 *
 * Operation statuses follow Jepsen: ok took effect between invoke and return;
 * fail definitely did not take effect (a failed cas observed that the value
 * differed from `from`, and is kept as that observation; a failed read or write
 * is dropped); info is indefinite: it may take effect at any point after its
 * invoke, or never (its return is placed after the end of the history, where a
 * late effect is the same as none, and its output is not constrained).
 *
 * The search is bounded by states_max (the memo table's size); past it the
 * answer is "unknown", never a guess. Everything here is deterministic: the
 * order of ops, of keys and of the search depends only on the history.
 */
#ifndef FL_LIN_H
#define FL_LIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_LIN_NIL INT64_MIN         /* the absent value: a register never written */
#define FL_LIN_INDEX_NONE UINT64_MAX /* the return index of an indefinite op */
#define FL_LIN_STATES_MAX_DEFAULT (4u * 1024u * 1024u)
#define FL_LIN_MESSAGE_MAX 512

enum fl_lin_kind { FL_LIN_READ, FL_LIN_WRITE, FL_LIN_CAS };
enum fl_lin_status { FL_LIN_OK, FL_LIN_FAIL, FL_LIN_INFO };
enum fl_lin_model { FL_LIN_MODEL_REGISTER, FL_LIN_MODEL_KV };
enum fl_lin_format { FL_LIN_FORMAT_JEPSEN, FL_LIN_FORMAT_JSONL };
enum fl_lin_result { FL_LIN_LINEARIZABLE, FL_LIN_NOT_LINEARIZABLE, FL_LIN_UNKNOWN };

/* Errors are values: bad input carries a message naming the file and line. */
enum fl_lin_error_code { FL_LIN_EOK = 0, FL_LIN_EINPUT = 1, FL_LIN_ENOMEM = 2, FL_LIN_EIO = 3 };

struct fl_lin_op {
    uint64_t process;      /* the client that ran it */
    uint64_t key;          /* 0 for the single register */
    int64_t value_in;      /* write: the value; cas: from */
    int64_t value_to;      /* cas: to */
    int64_t value_out;     /* ok read: the value read (FL_LIN_NIL: nil) */
    uint64_t invoke_index; /* position of the invoke event in the history */
    uint64_t return_index; /* position of the return event; FL_LIN_INDEX_NONE for info */
    uint32_t invoke_line;  /* source line of the invoke (0: not from a file) */
    uint32_t return_line;  /* source line of the return (0: none) */
    uint8_t kind;          /* enum fl_lin_kind */
    uint8_t status;        /* enum fl_lin_status */
};

struct fl_lin_history {
    struct fl_lin_op *ops; /* in invoke order */
    size_t count;
    size_t capacity;
    uint64_t events; /* invoke and return events seen */
};

struct fl_lin_error {
    char message[FL_LIN_MESSAGE_MAX]; /* "FILE: line N: what was expected" */
};

void fl_lin_history_init(struct fl_lin_history *history);
void fl_lin_history_deinit(struct fl_lin_history *history);
/* Parses text (name is used in messages). Returns an fl_lin_error_code. */
int fl_lin_history_parse(struct fl_lin_history *history, const char *text, size_t size,
                         enum fl_lin_format format, const char *name, struct fl_lin_error *error);
/* Reads and parses a file. Returns an fl_lin_error_code. */
int fl_lin_history_load(struct fl_lin_history *history, const char *path, enum fl_lin_format format,
                        struct fl_lin_error *error);

struct fl_lin_options {
    enum fl_lin_model model;
    uint64_t states_max; /* memo table entries over the whole check; 0: the default */
    /* Not linearizable: also find the shortest failing prefix (report.prefix_*),
     * by binary search over prefixes, each checked with its own states_max. */
    bool shortest_prefix;
};

struct fl_lin_report {
    enum fl_lin_result result;
    uint64_t operations;      /* ops checked (definite and indefinite; dropped excluded) */
    uint64_t partitions;      /* keys (1 for the register model) */
    uint64_t states_explored; /* memo entries inserted, all partitions */
    uint64_t steps;           /* model steps tried, all partitions */
    /* Not linearizable: where the search got deepest in the first bad key. */
    uint64_t bad_key;
    size_t *linearized; /* history op indices, in the order linearized */
    size_t linearized_count;
    int64_t state_after;   /* the register's value after them */
    size_t *unplaced;      /* ops that could not be linearized next; first: the one */
    size_t unplaced_count; /*   whose return was reached without it */
    /* Not linearizable, with options.shortest_prefix: the first prefix_events events
     * of the history (ops still open after them indefinite) are already not
     * linearizable, and the first prefix_events - 1 are linearizable or unknown
     * (a prefix of a linearizable history is linearizable, so shorter ones are
     * too, unless unknown). When the shorter one is linearizable, the last event
     * is an ok or fail return. 0: not computed. */
    uint64_t prefix_events;
    uint64_t prefix_bad_key;      /* the key that fails in it */
    size_t *prefix_unplaced;      /* as unplaced, for that prefix: first, the op whose */
    size_t prefix_unplaced_count; /*   return was reached without it */
    uint64_t prefix_checks;       /* prefixes checked to find it */
};

/* Checks a history. Returns an fl_lin_error_code (FL_LIN_ENOMEM only); the
 * report is filled in either way and must be released with fl_lin_report_deinit. */
int fl_lin_check(const struct fl_lin_history *history, const struct fl_lin_options *options,
                 struct fl_lin_report *report);
void fl_lin_report_deinit(struct fl_lin_report *report);

const char *fl_lin_result_name(enum fl_lin_result result); /* "linearizable", ... */
const char *fl_lin_kind_name(enum fl_lin_kind kind);       /* "read", "write", "cas" */

#endif /* FL_LIN_H */
