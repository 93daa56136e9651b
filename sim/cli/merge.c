/*
 * faultline merge: combines the reports of a sweep's shards (or of sweeps of
 * neighbouring seed ranges) into one report and one summary.
 *
 * Only the per-seed records are read; the inputs' summaries are checked (they
 * must be of the same scenario bytes, budget and determinism check) and then
 * ignored, and the summary is added up afresh from the records by the same code
 * a sweep uses (report.c). That is why the merge of shards 0/N..N-1/N equals
 * the unsharded report of the range, wall times aside: the same records, sorted
 * the same way, summed the same way. A seed found twice must have the same
 * record both times (a shard re-run after a crash of the machine is fine; two
 * different results for one seed mean mixed sweeps or a nondeterministic model,
 * and the merge refuses them).
 *
 * A journal (FILE.tmp, left by a sweep that was killed) can be merged too: its
 * records are as good as any, a truncated last line is dropped with a warning,
 * and the merged summary says "interrupted": true. Missing shards are reported
 * on stderr, and the merged summary's "planned" counts every seed of the
 * inputs' ranges, so "total" < "planned" shows the gap. A gap fails the merge
 * (exit 1) unless --allow-partial says it is expected: a shard lost on a cluster
 * must not turn a nightly job green by leaving its failing seeds out.
 */
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

void cli_merge_usage(FILE *out) {
    fprintf(out, "usage: faultline merge REPORT... [--out FILE] [--junit FILE]\n"
                 "\n"
                 "Combines sweep reports (the shards of one sweep, or sweeps of other seed\n"
                 "ranges of the same scenario) into one summary. A REPORT may be the FILE.tmp a\n"
                 "killed sweep left. The merged report of all shards equals the unsharded one.\n"
                 "\n"
                 "  --out FILE     write the merged report (JSON Lines, by seed, then a summary)\n"
                 "  --junit FILE   write JUnit XML: one test case per failure reason\n"
                 "  --allow-partial  exit 0 when the seeds present passed, even if some of\n"
                 "                 the planned seeds are missing (a shard lost or not run)\n"
                 "\n"
                 "exit status: 0 every seed passed, 1 a seed failed or planned seeds are\n"
                 "missing (a shard report not given), 2 bad input or usage\n"
                 "(an unreadable or malformed report, reports of different scenarios, a seed\n"
                 "with two different records), 3 internal error.\n");
}

struct merge_args {
    const char **reports; /* argc of them at most */
    int report_count;
    const char *out_path;
    const char *junit_path;
    bool allow_partial; /* missing planned seeds are not a failure */
};

static int usage_error(const char *format, const char *detail) {
    fprintf(stderr, "faultline merge: ");
    fprintf(stderr, format, detail);
    fprintf(stderr, "\nrun `faultline merge --help` for usage\n");
    return FL_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct merge_args *args) {
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--allow-partial") == 0) {
            args->allow_partial = true;
        } else if (strcmp(arg, "--out") == 0 || strcmp(arg, "--junit") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return usage_error("%s needs a file name", arg);
            *(arg[2] == 'o' ? &args->out_path : &args->junit_path) = argv[++i];
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option \"%s\"", arg);
        } else {
            args->reports[args->report_count++] = arg;
        }
    }
    if (args->report_count == 0) return usage_error("%s", "no REPORT to merge");
    if (args->out_path != NULL && args->junit_path != NULL &&
        strcmp(args->out_path, args->junit_path) == 0) {
        return usage_error("--out and --junit both name \"%s\"", args->out_path);
    }
    return FL_EXIT_OK;
}

/* --- the merged settings ----------------------------------------------------------- */

/* A shard is part of its range's sweep: the merged report plans every seed of the
 * inputs' ranges, so "total" < "planned" shows any shard that is missing. */

struct range {
    uint64_t first;
    uint64_t last;
};

static int compare_ranges(const void *a, const void *b) {
    const struct range *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/* How many seeds the union of the inputs' ranges holds (saturating). */
static uint64_t union_size(const struct rep_meta *metas, int count, struct range *ranges) {
    for (int i = 0; i < count; i++)
        ranges[i] = (struct range){metas[i].seed_first, metas[i].seed_last};
    qsort(ranges, (size_t)count, sizeof ranges[0], compare_ranges);
    uint64_t total = 0;
    struct range open = ranges[0];
    for (int i = 1; i <= count; i++) {
        if (i < count && (open.last == UINT64_MAX || ranges[i].first <= open.last + 1)) {
            if (ranges[i].last > open.last) open.last = ranges[i].last;
            continue;
        }
        uint64_t size = open.last - open.first; /* seeds - 1 */
        total = size >= UINT64_MAX - total ? UINT64_MAX : total + size + 1;
        if (i < count) open = ranges[i];
    }
    return total;
}

static bool same_range(const struct rep_meta *a, const struct rep_meta *b) {
    return a->seed_first == b->seed_first && a->seed_last == b->seed_last;
}

/* For the range of metas[first]: if only shards K/N of one N were merged, the
 * K that are missing. */
static void warn_missing_shards(const struct rep_meta *metas, int count, int first) {
    uint64_t n = metas[first].shard_count;
    for (int i = first; i < count; i++) {
        if (same_range(&metas[i], &metas[first]) && metas[i].shard_count != n) return;
    }
    int warned = 0;
    for (uint64_t k = 0; n != 0 && k < n && warned < 10; k++) {
        bool present = false;
        for (int i = first; i < count && !present; i++) {
            present = same_range(&metas[i], &metas[first]) && metas[i].shard_index == k;
        }
        if (present) continue;
        fprintf(
            stderr, "faultline merge: warning: shard %llu/%llu of seeds %llu..%llu is missing%s\n",
            (unsigned long long)k, (unsigned long long)n,
            (unsigned long long)metas[first].seed_first, (unsigned long long)metas[first].seed_last,
            ++warned == 10 ? " (and maybe more)" : "");
    }
}

static bool merge_meta(struct rep_meta *merged, const struct rep_meta *metas, int count) {
    assert(count > 0);
    struct range *ranges = calloc((size_t)count, sizeof ranges[0]);
    if (ranges == NULL || !rep_meta_copy(merged, &metas[0])) {
        free(ranges);
        return false;
    }
    merged->shard_index = 0;
    merged->shard_count = 0;
    merged->planned = union_size(metas, count, ranges);
    merged->seed_first = ranges[0].first;
    for (int i = 0; i < count; i++) {
        if (metas[i].seed_last > merged->seed_last) merged->seed_last = metas[i].seed_last;
        bool first_of_range = true;
        for (int j = 0; j < i && first_of_range; j++)
            first_of_range = !same_range(&metas[i], &metas[j]);
        if (first_of_range) warn_missing_shards(metas, count, i);
    }
    free(ranges);
    return true;
}

/* --- reading ------------------------------------------------------------------------- */

struct merge {
    struct merge_args args;
    struct rep_meta *metas; /* one per report */
    struct rep_meta merged;
    struct rep_index index;
    struct rep_summary summary;
};

static int load_all(struct merge *m) {
    char error[REP_ERROR_MAX];
    for (int i = 0; i < m->args.report_count; i++) {
        const char *path = m->args.reports[i];
        bool has_meta = false;
        if (!rep_load(&m->index, path, &m->metas[i], &has_meta, error, sizeof error)) {
            fprintf(stderr, "faultline merge: %s\n", error);
            return FL_EXIT_USAGE;
        }
        assert(has_meta);
        if (i > 0 && !rep_meta_compatible(&m->metas[0], &m->metas[i], error, sizeof error)) {
            fprintf(stderr, "faultline merge: %s: %s (as %s is)\n", path, error,
                    m->args.reports[0]);
            return FL_EXIT_USAGE;
        }
    }
    if (!rep_index_sort_unique(&m->index, error, sizeof error) ||
        !rep_index_summarize(&m->index, &m->summary, error, sizeof error)) {
        fprintf(stderr, "faultline merge: %s\n", error);
        return FL_EXIT_USAGE;
    }
    return FL_EXIT_OK;
}

static int write_outputs(struct merge *m) {
    int status = FL_EXIT_OK;
    if (m->args.out_path != NULL &&
        !rep_write(m->args.out_path, &m->index, &m->merged, &m->summary)) {
        fprintf(stderr, "faultline merge: %s: cannot write: %s\n", m->args.out_path,
                strerror(errno));
        status = FL_EXIT_USAGE;
    }
    if (m->args.junit_path != NULL &&
        !rep_write_junit(m->args.junit_path, &m->merged, &m->summary)) {
        fprintf(stderr, "faultline merge: %s: cannot write: %s\n", m->args.junit_path,
                strerror(errno));
        status = FL_EXIT_USAGE;
    }
    return status;
}

static int merge_run(struct merge *m) {
    int status = load_all(m);
    if (status != FL_EXIT_OK) return status;
    if (!merge_meta(&m->merged, m->metas, m->args.report_count)) return FL_EXIT_INTERNAL;
    m->summary.interrupted = m->index.incomplete;
    m->summary.wall_ns = m->index.wall_ns;
    rep_summary_finish(&m->summary);
    bool partial = m->summary.total < m->merged.planned;
    status = write_outputs(m);
    bool written = m->args.out_path != NULL && status == FL_EXIT_OK;
    rep_print_human(stdout, &m->merged, &m->summary, written ? m->args.out_path : NULL);
    if (partial) {
        fprintf(stderr,
                "faultline merge: the reports cover %llu of the %llu planned seeds%s\n",
                (unsigned long long)m->summary.total, (unsigned long long)m->merged.planned,
                m->args.allow_partial ? " (allowed by --allow-partial)"
                                      : ": run the missing shards and merge again, or pass "
                                        "--allow-partial");
    }
    if (status != FL_EXIT_OK) return status;
    if (rep_summary_failed(&m->summary) > 0) return FL_EXIT_FAIL;
    return partial && !m->args.allow_partial ? FL_EXIT_FAIL : FL_EXIT_OK;
}

int cli_merge(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_merge_usage(stdout);
            return FL_EXIT_OK;
        }
    }
    struct merge m;
    memset(&m, 0, sizeof m);
    m.args.reports = calloc((size_t)argc + 1, sizeof m.args.reports[0]);
    m.metas = calloc((size_t)argc + 1, sizeof m.metas[0]);
    int status = m.args.reports != NULL && m.metas != NULL ? parse_args(argc, argv, &m.args)
                                                           : FL_EXIT_INTERNAL;
    if (status == FL_EXIT_OK) status = merge_run(&m);
    for (int i = 0; i < m.args.report_count; i++)
        rep_meta_deinit(&m.metas[i]);
    rep_meta_deinit(&m.merged);
    rep_index_deinit(&m.index);
    rep_summary_deinit(&m.summary);
    free(m.metas);
    free(m.args.reports);
    return status;
}
