/*
 * report: the sweep report, shared by `sweep` and `merge`: the per-seed record,
 * the summary it adds up to, the report file (JSON Lines), JUnit XML and the
 * summary a human reads. docs/sweeps.md describes the format for users.
 *
 * A report file is one JSON object per line: one record per seed, sorted by
 * seed, then one summary line ({"summary":true,...}). While a sweep runs, its
 * records go to FILE.tmp (the journal) in the order they complete, after a
 * header line ({"journal":true,...}) carrying the same settings as the summary,
 * so that a killed sweep leaves something `--resume` and `merge` can read and
 * check against the scenario.
 *
 * Seeds are written as exact integer digits: JSON readers (cJSON included) keep
 * numbers as doubles, which round seeds above 2^53, so a seed is read back from
 * the line's text (rep_line_seed), never from a parsed number.
 */
#ifndef FL_CLI_REPORT_H
#define FL_CLI_REPORT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* A seed's result. Only pass is a success. */
enum rep_result {
    REP_PASS = 0,
    REP_FAIL = 1,             /* a check failed (violations name it) */
    REP_CRASH = 2,            /* the seed's process died: a signal, or no result */
    REP_TIMEOUT = 3,          /* the wall-clock watchdog killed it (--wall-max) */
    REP_MEMORY = 4,           /* it ran out of address space (--mem-max) */
    REP_NONDETERMINISTIC = 5, /* --check-determinism saw two runs differ */
    REP_RESULT_COUNT = 6,
};
const char *rep_result_name(enum rep_result result);

#define REP_GROUP_SEEDS_SHOWN 5 /* seeds listed per failure reason in a summary */
#define REP_ERROR_MAX 1024

/* The settings of a sweep: the header of its journal, the start of its summary. */
struct rep_meta {
    char *scenario; /* the path as given to sweep */
    char *name;     /* the scenario's "name" */
    char *model;
    char *variant;
    char scenario_hash[17]; /* XXH3-64 of the scenario file's bytes, 16 hex digits */
    uint64_t seed_first;    /* the range swept, inclusive */
    uint64_t seed_last;
    uint64_t shard_index; /* K of --shard K/N */
    uint64_t shard_count; /* N of --shard K/N; 0: not sharded */
    uint64_t planned;     /* seeds the sweep was to run */
    uint64_t events_max;  /* --events-max; 0: the scenario's budget */
    bool check_determinism;
    uint64_t wall_max_s;  /* --wall-max */
    uint64_t mem_max_mib; /* --mem-max */
};
void rep_meta_deinit(struct rep_meta *meta);
/* A deep copy; false when memory runs out. */
bool rep_meta_copy(struct rep_meta *to, const struct rep_meta *from);
/* Reads the settings from a journal header or summary object (the line's text
 * is needed for the exact seeds). False with a message if a key is missing. */
bool rep_meta_read(struct rep_meta *meta, const cJSON *object, const char *line, char *error,
                   size_t error_size);
/* True if records made under `a` and `b` can be told apart only by wall time:
 * the same scenario bytes, budget and determinism check. */
bool rep_meta_compatible(const struct rep_meta *a, const struct rep_meta *b, char *error,
                         size_t error_size);
/* The journal header line (no newline); the caller frees it. */
char *rep_meta_header(const struct rep_meta *meta);

/* The seeds that failed for one reason. */
struct rep_group {
    char *reason;           /* the violated check, or the crash/timeout/... reason */
    enum rep_result result; /* of its first seed */
    uint64_t *seeds;        /* every failing seed; sorted by rep_summary_finish */
    uint64_t count;
    uint64_t capacity;
};

/* A "sometimes" assertion, added up over seeds. */
struct rep_coverage {
    char *name;
    uint64_t evaluated;
    uint64_t held;
};

struct rep_summary {
    uint64_t total; /* records added */
    uint64_t by_result[REP_RESULT_COUNT];
    struct rep_group *groups;
    uint32_t group_count;
    uint32_t group_capacity;
    struct rep_coverage *coverage;
    uint32_t coverage_count;
    uint32_t coverage_capacity;
    bool interrupted; /* stopped by SIGINT/SIGTERM */
    bool fail_fast;   /* stopped by --fail-fast */
    uint64_t wall_ns; /* the sweep's (merge: the reports' summed) */
    uint64_t resumed; /* records taken from an earlier report, not run in wall_ns */
};
void rep_summary_deinit(struct rep_summary *summary);
/* Adds one record. False with a message if the record is malformed, or when
 * memory runs out. */
bool rep_summary_add(struct rep_summary *summary, const cJSON *record, uint64_t seed, char *error,
                     size_t error_size);
/* Sorts groups (most seeds first) and their seeds, and coverage by name. */
void rep_summary_finish(struct rep_summary *summary);
uint64_t rep_summary_failed(const struct rep_summary *summary);

/* --- records ---------------------------------------------------------------- */

/* The record of a seed that ran to its end, as `run --json` reports it, plus
 * its fault mix and "sometimes" counts. divergence: NULL if deterministic (or
 * not checked). wall_time_ns is 0: the sweep fills it in. */
/* A result's violations as a JSON array: check, message, time_ns, node, event. */
cJSON *rep_violations_json(const struct fl_scenario *scenario, const struct fl_result *result);

cJSON *rep_record_run(const struct fl_scenario *scenario, struct fl_sim *sim,
                      const struct fl_result *result, uint64_t seed,
                      const struct cli_divergence *divergence);
/* The record of a seed whose process did not report (crash, timeout, memory). */
cJSON *rep_record_abnormal(uint64_t seed, enum rep_result result, const char *reason,
                           uint64_t wall_ns);
/* Sets the exact seed and the wall time of a record parsed back from text. */
bool rep_record_set(cJSON *record, uint64_t seed, uint64_t wall_ns);
/* The seed of a record line: it starts {"seed":DIGITS, as rep_record_* write it. */
bool rep_line_seed(const char *line, uint64_t *seed);
/* True if two record lines say the same thing, wall time aside. */
bool rep_lines_equal(const char *a, const char *b);

/* --- where records are ------------------------------------------------------------- */

/* A file that records are read from, by offset. */
struct rep_source {
    char *path;
    int fd;
};

/* One record: its seed and where its line is. */
struct rep_entry {
    uint64_t seed;
    uint64_t offset;     /* in its source */
    uint32_t size_bytes; /* without the newline */
    uint32_t source;     /* index into the sources */
    uint64_t line;       /* 1-based, for messages */
};

struct rep_index {
    struct rep_entry *entries;
    size_t count;
    size_t capacity;
    struct rep_source *sources;
    uint32_t source_count;
    bool incomplete;  /* rep_load read a journal or an interrupted report */
    uint64_t wall_ns; /* the loaded summaries' wall_time_ns, added up */
};
void rep_index_deinit(struct rep_index *index);
bool rep_index_add(struct rep_index *index, const struct rep_entry *entry);
/* Reads a record's line (without newline) into a fresh string. */
char *rep_index_line(const struct rep_index *index, const struct rep_entry *entry);
/* Sorts by seed and drops exact duplicates (wall time aside); two different
 * records of one seed are an error naming both places. */
bool rep_index_sort_unique(struct rep_index *index, char *error, size_t error_size);

/* Reads a report, or a journal (FILE.tmp), into index (records) and meta (the
 * settings of its summary or header). A journal's truncated last line is
 * dropped with a warning on stderr. Every other problem is an error naming
 * the file and the line. *has_meta is false if meta was already set (by an
 * earlier file, which this one must agree with). */
bool rep_load(struct rep_index *index, const char *path, struct rep_meta *meta, bool *has_meta,
              char *error, size_t error_size);
/* Adds up every indexed record (sorted and unique) into summary. */
bool rep_index_summarize(const struct rep_index *index, struct rep_summary *summary, char *error,
                         size_t error_size);

/* --- output ------------------------------------------------------------------------ */

/* Writes the sorted records and the summary to path, atomically. */
bool rep_write(const char *path, const struct rep_index *index, const struct rep_meta *meta,
               const struct rep_summary *summary);
/* JUnit XML, atomically. */
bool rep_write_junit(const char *path, const struct rep_meta *meta,
                     const struct rep_summary *summary);
/* The summary for a human; report_path NULL if none was written. */
void rep_print_human(FILE *out, const struct rep_meta *meta, const struct rep_summary *summary,
                     const char *report_path);
/* The command that replays one seed of this sweep, with its budget and check. */
void rep_replay_command(char *out, size_t out_size, const struct rep_meta *meta, uint64_t seed);
/* Writes data to a file descriptor in full (retrying short writes). */
bool rep_write_all(int fd, const char *data, size_t size_bytes);
/* A temporary file beside path (path.XXXXXX), opened for writing; *tmp_path
 * gets its name (free it). NULL on failure, with errno set. */
FILE *rep_temp_beside(const char *path, char **tmp_path);

#endif /* FL_CLI_REPORT_H */
