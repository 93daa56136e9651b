/*
 * determinism: --check-determinism, shared by run, replay and sweep.
 *
 * A model is deterministic when its run is a function of the scenario and the
 * seed alone. The engine cannot stop service code from reading something else:
 * an uninitialized buffer, a pointer value, the host clock, a global left over
 * from an earlier run. Such code usually passes every test, because within one
 * process the leftovers happen to be the same each time. So this check makes
 * them differ: it runs the seed again in this process with the host state
 * changed, and compares the fingerprints (which cover every record of the run,
 * the payload bytes of every message included).
 *
 * The runs, and what each changes (det_hosts below):
 *
 *   run 1        stack painted 0x00, entered at the base depth, a small heap
 *                block kept during the run.
 *   run 2        stack painted 0xff, entered deeper, a larger heap block, and
 *                run 1's simulation still alive, so its allocations land at
 *                other addresses, on other leftovers.
 *   run 3        ASan builds only: as run 2, but on ASan's fake stack (below).
 *
 * The paint: a noinline function fills STACK_PAINT_BYTES below the caller's
 * frame through a volatile array (so the stores are not dropped) and returns;
 * the run's frames then sit on painted memory. It catches a read of a stack
 * slot nothing in the run has written yet.
 *
 * The depth: the run is entered through an alloca of a chosen size, and the
 * size is calibrated, not assumed, because compilers round alloca differently
 * (gcc to 16 bytes with an offset, clang to 16, ASan to 32 with redzones).
 * Run 1 records where a frame called from its entry point sits
 * (__builtin_frame_address of a probe); run 2 probes candidate sizes from the
 * same call site and takes the first whose distance from run 1 is at least
 * STACK_SHIFT_MIN_BYTES and, in units of 16 bytes, not a multiple of 2, 3, 5
 * or 7 (ASan: a multiple of 32, so its 32-byte-aligned frames move by exactly
 * that much, and then not a multiple of 3, 5 or 7). So an address reduced
 * modulo a small count changes: crashy's "address" variant picks a peer as
 * (&local >> 4) % 3, which a shift by a multiple of 48 bytes would leave alone,
 * and a first version with two fixed pads did exactly that under ASan.
 * __builtin_alloca and __builtin_frame_address are GNU C (gcc and clang); with
 * another compiler there is no depth shift, only the paint and the heap.
 *
 * What catches crashy's "uninitialized" variant (a 32-byte stack buffer read
 * in a timer handler, sent as a payload) was measured, not assumed: by that
 * event the engine has overwritten that stack region many times, so the buffer
 * holds no paint but leftovers of the same event's engine frames. Without ASan
 * those include a heap pointer, which run 2's heap shift changes. Under ASan
 * (with detect_stack_use_after_return off, its default here) they were only a
 * code address and the event's time and cause: identical in every run,
 * however the stack is painted or shifted. Hence run 3: it sets ASan's runtime
 * switch __asan_option_detect_stack_use_after_return, so every instrumented
 * frame with address-taken locals lives on ASan's fake stack, a separate pool
 * with its own leftovers. It cannot replace run 2: fake-stack addresses do not
 * follow the real stack, so the "address" variant would slip through a third
 * of the time. Every misbehaving seed of both variants (seeds 1..40) is caught,
 * and no other seed is flagged, in all eight builds of gcc 12 and clang 14 at
 * -O0 and -O2 with and without ASan+UBSan (also with ASAN_OPTIONS's
 * detect_stack_use_after_return=1); tests/cli/test_replay.sh keeps checking a
 * few seeds in every build CI tests.
 *
 * Finding the first divergence. The first runs only compare fingerprints:
 * they cost about twice a plain run. When the fingerprints differ, run 1 and
 * the run that differed are repeated the same way, now with their traces in
 * tmpfile()s and stepped one event at a time: run 1 writes its running
 * fingerprint after every step to a third tmpfile(), the other compares, which
 * names the first event whose records differ, even when the difference is in
 * a field the trace leaves out (a send's payload hash is in the fingerprint
 * only, so the "uninitialized" variant gives two identical traces). The traces
 * then give the record: the first pair of lines that differ, or, if the lines
 * of that event read the same, its first send (payload bytes are the likeliest
 * hidden difference), else its first timer (its handle), else its first
 * record. The per-step fingerprints cost about three times a run, which is
 * why the first runs go without them. If the repeat does not diverge again
 * (nondeterminism that depends on history, such as leftovers of the first
 * runs), or a tmpfile() cannot be made, event_id is 0 and the two lines
 * compare the first runs' results field by field instead.
 *
 * Limits: a model can read host state this check does not vary (the host
 * clock between two fast runs, an environment variable, a global that both
 * runs leave the same), and a value derived from an address that the chosen
 * shift happens to preserve (one reduced modulo a larger power of two). A
 * passing check is evidence, not proof.
 *
 * Alternatives rejected: a forked child per run (the children would inherit
 * the same leftovers, the thing to avoid); comparing traces only (blind to
 * payloads); a per-record hash in the engine (not in the embedding API, and
 * per-step fingerprints find the event as well).
 */
#define _POSIX_C_SOURCE 200809L /* getline */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* noclone: gcc -O2 would otherwise specialize enter_shifted for run == NULL,
 * and the probe would measure a different frame than the run's. */
#if defined(__clang__)
#define DET_NOINLINE __attribute__((noinline))
#elif defined(__GNUC__)
#define DET_NOINLINE __attribute__((noinline, noclone))
#else
#define DET_NOINLINE
#endif

#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define DET_ASAN 1
#elif defined(__has_feature) /* clang */
#if __has_feature(address_sanitizer)
#define DET_ASAN 1
#endif
#endif

enum {
    STACK_PAINT_BYTES = 256 * 1024,   /* deeper than any run's call chain */
    STACK_BASE_BYTES = 64,            /* run 1's alloca */
    STACK_SHIFT_MIN_BYTES = 3 * 1024, /* the others sit at least this much deeper */
    STACK_SHIFT_TRIES = 64,           /* candidate sizes, 16 bytes apart */
    HEAP_BLOCK_BYTES = 64,            /* run 1's heap block */
    HEAP_SHIFT_BYTES = 16 * 211,      /* the others' blocks are this much larger */
};

/* One way to set up the host before a run. Run 1 uses the first; the others
 * run in turn until one gives another fingerprint. */
struct det_host {
    unsigned char paint; /* the byte painted over the stack below */
    bool deeper;         /* entered at a calibrated depth below run 1 */
    size_t heap_bytes;   /* the heap block kept during the run */
    int fake_stack;      /* under ASan: 1 puts frames on its fake stack */
};

static const struct det_host det_hosts[] = {
    {0x00, false, HEAP_BLOCK_BYTES, 0},
    {0xff, true, HEAP_BLOCK_BYTES + HEAP_SHIFT_BYTES, 0},
#ifdef DET_ASAN
    {0xff, true, HEAP_BLOCK_BYTES + HEAP_SHIFT_BYTES, 1},
#endif
};
enum { DET_HOSTS = sizeof det_hosts / sizeof det_hosts[0] };

/* What a run of host 0 leaves for the runs compared with it: where its frames
 * sat, and its fingerprint after every step. */
struct det_pair {
    uintptr_t first_mark; /* frame address below run 1's entry point */
    FILE *log;            /* (events, fingerprint) per step of run 1; NULL: none */
    bool log_failed;      /* writing the log failed: no step is known */
    bool comparing;       /* the compared run is still looking for the step */
    bool diverged;        /* it found the step */
    uint64_t events_lo;   /* records before that step */
    uint64_t events_hi;   /* records after it: the step wrote lo+1..hi */
};

struct det_step_entry {
    uint64_t events;      /* records so far */
    uint64_t fingerprint; /* running fingerprint */
};

/* One run, and the host state it runs in. */
struct det_run {
    int host;                           /* index into det_hosts; 0 writes the log */
    const struct fl_scenario *scenario; /* the caller's */
    struct fl_run_options options;      /* the caller's, with this run's trace */
    struct fl_sim *sim;                 /* alive until the caller is done comparing */
    struct fl_result result;            /* at the end of the run */
    struct fl_result *probe;            /* heap scratch for the per-step result */
    struct det_pair *pair;              /* shared with the runs it is compared with */
};

static void out_of_memory(void) {
    /* An internal error, like an assertion: the crash handler of run and
     * replay (or the sweep's parent) reports it with the seed to replay. */
    fprintf(stderr, "faultline: out of memory while checking determinism\n");
    abort();
}

/* ---- one step at a time ------------------------------------------------- */

static void log_step(struct det_run *run) {
    struct det_pair *pair = run->pair;
    if (pair->log == NULL) return;
    fl_sim_result(run->sim, run->probe);
    struct det_step_entry entry = {run->probe->events, run->probe->fingerprint};
    if (run->host == 0) {
        if (fwrite(&entry, sizeof entry, 1, pair->log) != 1) pair->log_failed = true;
        return;
    }
    if (!pair->comparing) return;
    struct det_step_entry logged;
    if (fread(&logged, sizeof logged, 1, pair->log) == 1 &&
        logged.fingerprint == entry.fingerprint) {
        pair->events_lo = entry.events;
        return;
    }
    pair->comparing = false;
    pair->diverged = true;
    pair->events_hi = entry.events;
}

/* The same loop for every run of the check, so the runs differ in the host
 * state they start from and in nothing else. */
static void step_all(struct det_run *run) {
    bool more;
    do {
        more = fl_sim_step(run->sim);
        log_step(run);
    } while (more);
    fl_sim_result(run->sim, &run->result);
}

/* ---- the host perturbation ---------------------------------------------- */

#ifdef DET_ASAN
/* ASan's runtime switch for its fake stack (the flag behind ASAN_OPTIONS's
 * detect_stack_use_after_return), read by every instrumented function with
 * address-taken locals when it is entered. Returns the previous value. */
extern int __asan_option_detect_stack_use_after_return;
static int fake_stack_use(int on) {
    int previous = __asan_option_detect_stack_use_after_return;
    __asan_option_detect_stack_use_after_return = on;
    return previous;
}
#else
static int fake_stack_use(int on) {
    (void)on;
    return 0;
}
#endif

DET_NOINLINE static void paint_stack(unsigned char byte) {
    volatile unsigned char area[STACK_PAINT_BYTES];
    for (size_t i = 0; i < sizeof area; i++)
        area[i] = byte;
}

#if defined(__GNUC__)
/* The frame address of a function called from the caller's position. */
DET_NOINLINE static uintptr_t frame_mark(void) {
    return (uintptr_t)__builtin_frame_address(0);
}

/* Enters the run (or, with run NULL, only measures) below `shift_bytes` of
 * stack; returns where a frame called from here sits. */
DET_NOINLINE static uintptr_t enter_shifted(struct det_run *run, size_t shift_bytes) {
    volatile unsigned char *pad = __builtin_alloca(shift_bytes);
    pad[0] = 0;
    uintptr_t mark = frame_mark();
    if (run != NULL) step_all(run);
    return mark + pad[0]; /* reads the pad, so it stays for the whole run */
}
#else
/* Without alloca (not gcc or clang) there is no depth shift: paint and heap only. */
static uintptr_t enter_shifted(struct det_run *run, size_t shift_bytes) {
    (void)shift_bytes;
    if (run != NULL) step_all(run);
    return 0;
}
#endif

/* Whether frames `delta` bytes below run 1's move every stack address by an
 * amount that survives reduction modulo small counts (see the file comment). */
static bool shift_is_good(uintptr_t delta) {
    if (delta < STACK_SHIFT_MIN_BYTES || delta % 16 != 0) return false;
    uintptr_t units = delta / 16;
#ifdef DET_ASAN
    if (units % 2 != 0) return false; /* ASan aligns its frames to 32 bytes */
#else
    if (units % 2 == 0) return false;
#endif
    return units % 3 != 0 && units % 5 != 0 && units % 7 != 0;
}

/* Both calls of enter_shifted are made from this one frame, so the probes
 * measure exactly where the run will sit. */
static void run_perturbed(struct det_run *run) {
    assert(run->host >= 0 && run->host < DET_HOSTS);
    assert(run->sim == NULL);
    const struct det_host *host = &det_hosts[run->host];
    unsigned char *block = malloc(host->heap_bytes);
    if (block == NULL) out_of_memory();
    memset(block, host->paint, host->heap_bytes);
    run->sim = fl_sim_create(run->scenario, &run->options);
    if (run->sim == NULL) out_of_memory();
    int fake_stack_was = fake_stack_use(0);
    size_t shift = STACK_BASE_BYTES;
    if (host->deeper) {
        shift += STACK_SHIFT_MIN_BYTES;
        for (int i = 0; i < STACK_SHIFT_TRIES; i++, shift += 16) {
            uintptr_t mark = enter_shifted(NULL, shift);
            if (run->pair->first_mark > mark && shift_is_good(run->pair->first_mark - mark)) break;
        }
    }
    fake_stack_use(host->fake_stack);
    paint_stack(host->paint);
    uintptr_t mark = enter_shifted(run, shift);
    fake_stack_use(fake_stack_was);
    if (run->host == 0) run->pair->first_mark = mark;
    free(block);
}

static void run_init(struct det_run *run, int host, const struct fl_scenario *scenario,
                     const struct fl_run_options *options, struct det_pair *pair) {
    memset(run, 0, sizeof *run);
    run->host = host;
    run->scenario = scenario;
    run->options = *options;
    run->pair = pair;
    run->probe = malloc(sizeof *run->probe);
    if (run->probe == NULL) out_of_memory();
}

static void run_deinit(struct det_run *run) {
    fl_sim_destroy(run->sim);
    free(run->probe);
    memset(run, 0, sizeof *run);
}

/* Runs `other` against the pair's run of host 0. */
static void run_compared(struct det_run *other) {
    struct det_pair *pair = other->pair;
    pair->comparing = false;
    pair->diverged = false;
    pair->events_lo = 0;
    pair->events_hi = 0;
    if (pair->log != NULL) {
        pair->comparing = fflush(pair->log) == 0 && !pair->log_failed;
        rewind(pair->log);
    }
    run_perturbed(other);
}

/* ---- finding the record -------------------------------------------------- */

static void copy_line(char *out, const char *line) {
    size_t len = strcspn(line, "\n");
    if (len >= CLI_DIVERGENCE_LINE_MAX) len = CLI_DIVERGENCE_LINE_MAX - 1;
    memcpy(out, line, len);
    out[len] = '\0';
}

static uint64_t line_id(const char *line) {
    uint64_t id = 0;
    if (strncmp(line, "{\"id\":", 6) != 0) return 0;
    for (const char *p = line + 6; *p >= '0' && *p <= '9'; p++)
        id = id * 10 + (uint64_t)(*p - '0');
    return id;
}

/* Which record of a step whose lines read the same most likely differs in a
 * field the trace leaves out: a send (payload bytes), a timer (its handle). */
static int candidate_rank(const char *line) {
    if (strstr(line, ",\"kind\":\"send\"") != NULL) return 0;
    if (strstr(line, ",\"kind\":\"timer\"") != NULL) return 1;
    return 2;
}

/* Both traces, read in step, and the record range of the first step whose
 * fingerprint differs (hi 0: none is known). */
struct det_scan {
    char *line[2];
    size_t size[2];
    uint64_t lo; /* the step wrote records lo+1..hi */
    uint64_t hi;
};

/* Returns the id of the first record that differs, filling both lines: the
 * first pair of lines that differ, unless the step range ends before it, in
 * which case the best candidate inside the range. 0 if there is neither. */
static uint64_t scan_traces(FILE *traces[2], struct det_scan *scan, struct cli_divergence *d) {
    int best_rank = 3;
    uint64_t found = 0;
    for (;;) {
        bool ended[2];
        const char *text[2];
        for (int i = 0; i < 2; i++) {
            ended[i] = getline(&scan->line[i], &scan->size[i], traces[i]) < 0;
            text[i] = ended[i] ? "(the trace ends here)" : scan->line[i];
        }
        if (ended[0] && ended[1]) return found;
        uint64_t id = line_id(ended[0] ? text[1] : text[0]);
        if (scan->hi != 0 && id > scan->hi) return found;
        if (ended[0] || ended[1] || strcmp(text[0], text[1]) != 0) {
            copy_line(d->line_first, text[0]);
            copy_line(d->line_second, text[1]);
            return id;
        }
        if (scan->hi != 0 && id > scan->lo && candidate_rank(text[0]) < best_rank) {
            best_rank = candidate_rank(text[0]);
            found = id;
            copy_line(d->line_first, text[0]);
            copy_line(d->line_second, text[1]);
        }
    }
}

static void describe_result(char *out, const struct fl_result *r) {
    snprintf(out, CLI_DIVERGENCE_LINE_MAX,
             "(result) %s, stopped %s at %" PRIu64 " ns, %" PRIu64 " events, %" PRIu64
             " sent, %" PRIu64 " delivered, %" PRIu64 " dropped, %" PRIu64 " duplicated, %" PRIu64
             " corrupted, %" PRIu32 " violations",
             r->pass ? "pass" : "fail", fl_stop_name(r->stop), r->sim_time_ns, r->events,
             r->messages_sent, r->messages_delivered, r->messages_dropped, r->messages_duplicated,
             r->messages_corrupted, r->violation_count);
}

/* ---- the diagnosis: the pair again, with traces ----------------------------- */

/* What the first runs found: which host diverged, and the results. */
struct det_found {
    int host;                /* the host whose run differed from run 1's; 0: none */
    struct fl_result first;  /* run 1's result */
    struct fl_result second; /* that run's result */
};

/* Repeats run 1 and the run that differed, with traces and the step log, and
 * finds the record. */
static void locate(const struct fl_scenario *scenario, const struct fl_run_options *options,
                   FILE *traces[2], const struct det_found *found, struct cli_divergence *d) {
    struct det_pair pair = {.log = tmpfile()};
    struct det_run runs[2];
    run_init(&runs[0], 0, scenario, options, &pair);
    runs[0].options.trace = traces[0];
    run_perturbed(&runs[0]);
    run_init(&runs[1], found->host, scenario, options, &pair);
    runs[1].options.trace = traces[1];
    run_compared(&runs[1]);
    run_deinit(&runs[0]);
    run_deinit(&runs[1]);
    if (pair.log != NULL) fclose(pair.log);
    struct det_scan scan = {.lo = pair.events_lo, .hi = pair.diverged ? pair.events_hi : 0};
    rewind(traces[0]);
    rewind(traces[1]);
    d->event_id = scan_traces(traces, &scan, d);
    free(scan.line[0]);
    free(scan.line[1]);
}

static void diagnose(const struct fl_scenario *scenario, const struct fl_run_options *options,
                     const struct det_found *found, struct cli_divergence *d) {
    FILE *traces[2] = {tmpfile(), tmpfile()};
    if (traces[0] != NULL && traces[1] != NULL) locate(scenario, options, traces, found, d);
    for (int i = 0; i < 2; i++) {
        if (traces[i] != NULL) fclose(traces[i]);
    }
    if (d->event_id == 0) {
        describe_result(d->line_first, &found->first);
        describe_result(d->line_second, &found->second);
    }
}

/* ---- the check ------------------------------------------------------------ */

/* Runs each other host against `first` until one differs. */
static void run_others(const struct det_run *first, const struct fl_run_options *options,
                       struct det_found *found) {
    found->first = first->result;
    found->second = first->result;
    for (int host = 1; host < DET_HOSTS; host++) {
        struct det_run other;
        run_init(&other, host, first->scenario, options, first->pair);
        run_compared(&other);
        found->second = other.result;
        run_deinit(&other);
        if (found->second.fingerprint != first->result.fingerprint) {
            found->host = host;
            return;
        }
    }
}

bool cli_check_determinism_keep(const struct fl_scenario *scenario,
                                const struct fl_run_options *options, struct fl_result *result,
                                struct cli_divergence *divergence, struct fl_sim **first_sim) {
    struct det_pair pair = {0}; /* no step log: see the file comment */
    struct det_run first;
    run_init(&first, 0, scenario, options, &pair);
    run_perturbed(&first);
    /* The other runs write their trace, if there is one, to a sink, so every
     * run does the same work; the caller's file gets run 1's. */
    struct fl_run_options others = *options;
    if (options->trace != NULL) {
        others.trace = fopen("/dev/null", "w");
        if (others.trace == NULL) others.trace = tmpfile();
        if (others.trace == NULL) out_of_memory();
    }
    struct det_found found = {0};
    run_others(&first, &others, &found);
    if (others.trace != NULL) fclose(others.trace);

    *result = first.result;
    memset(divergence, 0, sizeof *divergence);
    divergence->fingerprint_first = found.first.fingerprint;
    divergence->fingerprint_second = found.second.fingerprint;
    if (found.host != 0) {
        struct fl_run_options untraced = *options;
        untraced.trace = NULL;
        diagnose(scenario, &untraced, &found, divergence);
    }
    *first_sim = first.sim;
    free(first.probe);
    return found.host == 0;
}

bool cli_check_determinism(const struct fl_scenario *scenario, const struct fl_run_options *options,
                           struct fl_result *result, struct cli_divergence *divergence) {
    struct fl_sim *sim = NULL;
    bool same = cli_check_determinism_keep(scenario, options, result, divergence, &sim);
    fl_sim_destroy(sim);
    return same;
}

/* ---- the report ------------------------------------------------------------ */

static void print_where(FILE *out, const struct cli_divergence *d) {
    if (d->event_id == 0) {
        fprintf(out, "no record could be singled out (repeated with traces, the runs agreed),\n"
                     "so here are the first two runs' results:\n");
    } else if (strcmp(d->line_first, d->line_second) == 0) {
        fprintf(out,
                "first divergence at event %" PRIu64 ", in a field the trace does not show\n"
                "(a message's payload bytes, a timer's handle), so both lines read the same:\n",
                d->event_id);
    } else {
        fprintf(out, "first divergence at event %" PRIu64 ":\n", d->event_id);
    }
}

void cli_print_divergence(FILE *out, const char *scenario_path, uint64_t seed,
                          const struct cli_divergence *d) {
    fprintf(out,
            "nondeterministic: seed %" PRIu64 " of %s: fingerprints %016" PRIx64 " and %016" PRIx64
            " differ; ",
            seed, scenario_path, d->fingerprint_first, d->fingerprint_second);
    print_where(out, d);
    fprintf(out, "  run 1: %s\n  run 2: %s\n", d->line_first, d->line_second);
    fprintf(out, "hint: both runs had the same seed; only the host state differed (stack contents\n"
                 "and depth, heap addresses). Look at the code that handled that event for reads\n"
                 "of uninitialized memory (a buffer or struct sent as bytes, padding), decisions\n"
                 "on addresses (pointer values, hashing or ordering by address), the host clock\n"
                 "or the C library's random numbers, and global or static variables that outlive a\n"
                 "run.\n");
}
