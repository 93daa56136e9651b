/*
 * faultline sweep: many seeds of one scenario, each run in a separate process,
 * and a report of which failed, why, and how to replay each.
 *
 * Persistent workers, respawned. The scenario is parsed once, in the parent,
 * which forks -j workers; a worker reads a seed (8 bytes) from its task pipe,
 * runs it against the parent's copy-on-write scenario exactly as `faultline
 * run --seed N` does (same options, same embedding API calls, so the record is
 * that run's), writes one JSON line to its result pipe and waits for the next.
 * A worker that crashes, hangs or runs out of memory takes only its current
 * seed with it; the next seed gets a fresh fork.
 *
 * Fork per seed was the first design and was measured: on this project's
 * machines (a virtualized 2-vCPU host where page-table work is expensive)
 * fork+exit+wait of even a 2 MB process costs about 0.2 ms and grows with the
 * parent's memory (3.8 ms at 100 MB), against a budget of 0.2 ms per seed for
 * the whole pool. A worker costs a pipe round trip per seed instead (0.03 to
 * 0.07 ms measured, tests/bench/bench_sweep.c, docs/performance.md). What
 * workers give up is a pristine process per seed: a seed runs in a heap shaped
 * by the seeds before it. The engine has no global state and frees everything
 * at fl_sim_destroy, and a model's run may depend only on the scenario and the
 * seed (the design's determinism rule), so for a correct model the record is the same
 * whatever ran before; a model that reads uninitialized memory or addresses
 * can differ, and --check-determinism exists to catch exactly that. Memory is
 * the one thing that leaks across seeds by accident, so a worker retires after
 * a seed that left its address space an eighth of --mem-max larger than it
 * started; see worker_main.
 *
 * A worker sets limits on itself when it starts: RLIMIT_AS (--mem-max) so that
 * a runaway allocation fails inside it, RLIMIT_CORE 0 (a sweep with thousands
 * of crashing seeds must not write thousands of core files), and
 * PR_SET_PDEATHSIG so that it never outlives a parent killed with SIGKILL. A
 * handler for the fatal signals tells "memory" from a crash: it reads VmSize
 * from /proc/self/statm with open/read (async-signal-safe) and, when that is
 * above 3/4 of the limit, writes "!memory" to the result pipe before dying of
 * the signal. 3/4 rather than just under the limit, because the allocation that
 * failed can be large: a model asking for 64 MiB at a time dies with 448 of its
 * 512 MiB in use.
 *
 * The watchdog is the parent's: each seed's start time is kept, ppoll() sleeps
 * at most until the earliest deadline, and a worker past --wall-max is killed
 * with SIGKILL and its seed recorded as "timeout". It is the only place where
 * wall time decides anything; a livelock that keeps processing events is the
 * engine's business (its event budget ends it as a "fail", the same on every
 * machine). EOF on a result pipe means the worker is exiting (the kernel closes
 * a dying process's files just before making it a zombie), so the blocking
 * waitpid() that follows returns at once.
 *
 * Records are written to the journal as they arrive and sorted by seed at the
 * end (report.c says why); the report is the same whatever -j is.
 *
 * Signals. SIGINT, SIGTERM and SIGHUP are blocked in the parent except inside
 * ppoll(), whose handler only sets a flag, so an interruption is seen at one
 * place in the loop, never in the middle of writing a record. The parent then
 * kills the workers (the seeds they were running are not finished, so they are
 * not in the report), writes the partial report and prints how to resume. A
 * second signal while that happens kills the process outright; the journal
 * still has every finished seed. Workers ignore SIGINT: a Ctrl-C on the
 * terminal reaches the whole process group, and a worker killed by it would
 * look like a crash.
 */
#define _GNU_SOURCE /* ppoll, sigabbrev_np, pipe2 */
#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli.h"
#include "models/registry.h"
#include "report.h"

#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define SWEEP_ASAN 1
#elif defined(__has_feature) /* clang */
#if __has_feature(address_sanitizer)
#define SWEEP_ASAN 1
#endif
#endif
#ifndef SWEEP_ASAN
#define SWEEP_ASAN 0
#endif
#if SWEEP_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

enum {
    SWEEP_EXIT_INTERRUPTED = 130,
    SWEEP_JOBS_MAX = 1024,
    SWEEP_WALL_MAX_S_LIMIT = 1000000,  /* 11 days */
    SWEEP_MEM_MAX_MIB_LIMIT = 1 << 30, /* 1 PiB: RLIMIT_AS in bytes cannot overflow */
    SWEEP_RESULT_BYTES_MAX = 16 << 20, /* a record larger than this is garbage */
    SWEEP_READ_BYTES = 64 << 10,
    SWEEP_TTY_REDRAW_NS = 100000000, /* 10 times a second at most */
    SWEEP_CHILD_EXIT_WRITE = 4,      /* a worker could not write its record */
};
#define SWEEP_PLAIN_EVERY_NS 5000000000ull /* plain progress: at most every 5 s ... */
#define SWEEP_PLAIN_EVERY_PERCENT 10       /* ... and every 10% of the seeds */

static const char memory_marker[] = "!memory\n";

void cli_sweep_usage(FILE *out) {
    fprintf(
        out,
        "usage: faultline sweep SCENARIO (--seeds A..B | --count N [--seed-base S])\n"
        "                       [-j N] [--fail-fast] [--out FILE] [--junit FILE]\n"
        "                       [--shard K/N] [--resume FILE] [--check-determinism]\n"
        "                       [--events-max N] [--wall-max SECONDS] [--mem-max MIB] [--quiet]\n"
        "\n"
        "Runs many seeds of a scenario in worker processes and reports the\n"
        "failing seeds grouped by reason, each group with the command that replays it.\n"
        "A seed that crashes, runs out of memory or hangs fails; the sweep goes on.\n"
        "\n"
        "  --seeds A..B          the seeds A to B, both included\n"
        "  --count N             N seeds from --seed-base (default 1)\n"
        "  -j N                  seeds run at once (default: the number of online CPUs)\n"
        "  --shard K/N           only the seeds s with (s - A) %% N == K, K from 0 (as\n"
        "                        Slurm array ids and JOB_COMPLETION_INDEX count);\n"
        "                        combine the shards' reports with `faultline merge`\n"
        "  --out FILE            a JSON Lines report: one record per seed, by seed, then\n"
        "                        a summary; written to FILE.tmp as seeds finish\n"
        "  --junit FILE          JUnit XML: one test case per failure reason\n"
        "  --resume FILE         skip the seeds already in FILE (or FILE.tmp, left by\n"
        "                        a killed sweep) and finish it; --out defaults to FILE\n"
        "  --fail-fast           stop at the first failing seed\n"
        "  --check-determinism   run each seed twice with the host perturbed; a\n"
        "                        difference fails the seed as nondeterministic\n"
        "  --events-max N        event budget per seed, overriding the scenario's\n"
        "  --wall-max SECONDS    wall-clock time a seed may take (default 60): timeout\n"
        "  --mem-max MIB         address space a seed may use (default 4096): memory\n"
        "  --quiet               no progress on stderr\n"
        "\n"
        "exit status: 0 every seed passed, 1 a seed failed, 2 bad input or usage,\n"
        "3 internal error, 130 interrupted (the report says how far it got).\n");
}

/* --- the command line -------------------------------------------------------------- */

struct sweep_args {
    const char *scenario_path;
    const char *out_path; /* NULL: no report file */
    const char *junit_path;
    const char *resume_path;
    uint64_t seed_first; /* the range, inclusive */
    uint64_t seed_last;
    uint64_t shard_index; /* K */
    uint64_t shard_count; /* N; 0: not sharded */
    uint64_t jobs;
    uint64_t events_max; /* 0: the scenario's */
    uint64_t wall_max_s;
    uint64_t mem_max_mib;
    bool fail_fast;
    bool check_determinism;
    bool quiet;
};

/* What was given, for the checks that involve two flags. */
struct sweep_given {
    bool seeds;
    bool count;
    bool seed_base;
    uint64_t count_value;
    uint64_t seed_base_value;
};

static int usage_error(const char *format, const char *detail) {
    fprintf(stderr, "faultline sweep: ");
    fprintf(stderr, format, detail);
    fprintf(stderr, "\nrun `faultline sweep --help` for usage\n");
    return FL_EXIT_USAGE;
}

static bool parse_range(const char *text, uint64_t *first, uint64_t *last) {
    const char *dots = strstr(text, "..");
    if (dots == NULL || (size_t)(dots - text) >= 24) return false;
    char head[24];
    memcpy(head, text, (size_t)(dots - text));
    head[dots - text] = '\0';
    return cli_parse_u64(head, first) && cli_parse_u64(dots + 2, last);
}

static bool parse_shard(const char *text, uint64_t *k, uint64_t *n) {
    const char *slash = strchr(text, '/');
    if (slash == NULL || (size_t)(slash - text) >= 24) return false;
    char head[24];
    memcpy(head, text, (size_t)(slash - text));
    head[slash - text] = '\0';
    return cli_parse_u64(head, k) && cli_parse_u64(slash + 1, n);
}

/* A number flag with its bounds. */
static int parse_number(const char *flag, const char *value, uint64_t min, uint64_t max,
                        uint64_t *out) {
    if (!cli_parse_u64(value, out)) {
        fprintf(stderr,
                "faultline sweep: %s: expected a non-negative integer, got \"%s\"\n"
                "run `faultline sweep --help` for usage\n",
                flag, value);
        return FL_EXIT_USAGE;
    }
    if (*out < min || *out > max) {
        fprintf(stderr,
                "faultline sweep: %s must be between %llu and %llu, got %s\n"
                "run `faultline sweep --help` for usage\n",
                flag, (unsigned long long)min, (unsigned long long)max, value);
        return FL_EXIT_USAGE;
    }
    return FL_EXIT_OK;
}

static int parse_seeds_value(struct sweep_args *a, struct sweep_given *g, const char *flag,
                             const char *value) {
    if (strcmp(flag, "--seeds") == 0) {
        g->seeds = true;
        if (!parse_range(value, &a->seed_first, &a->seed_last)) {
            return usage_error("--seeds: expected A..B (two non-negative integers), got \"%s\"",
                               value);
        }
        if (a->seed_first > a->seed_last) return usage_error("--seeds %s: A is above B", value);
        if (a->seed_first == 0 && a->seed_last == UINT64_MAX) {
            return usage_error("--seeds %s: more seeds than can be counted", value);
        }
        return FL_EXIT_OK;
    }
    if (strcmp(flag, "--count") == 0) {
        g->count = true;
        return parse_number(flag, value, 1, UINT64_MAX, &g->count_value);
    }
    g->seed_base = true;
    return parse_number(flag, value, 0, UINT64_MAX, &g->seed_base_value);
}

static int parse_shard_value(struct sweep_args *a, const char *value) {
    if (!parse_shard(value, &a->shard_index, &a->shard_count)) {
        return usage_error("--shard: expected K/N (0 <= K < N), got \"%s\"", value);
    }
    if (a->shard_count == 0 || a->shard_index >= a->shard_count) {
        return usage_error("--shard %s: K counts from 0 and must be below N", value);
    }
    return FL_EXIT_OK;
}

/* A flag that takes a value. */
static int parse_value(struct sweep_args *a, struct sweep_given *g, const char *flag,
                       const char *value) {
    if (strcmp(flag, "--seeds") == 0 || strcmp(flag, "--count") == 0 ||
        strcmp(flag, "--seed-base") == 0) {
        return parse_seeds_value(a, g, flag, value);
    }
    if (strcmp(flag, "--shard") == 0) return parse_shard_value(a, value);
    if (strcmp(flag, "-j") == 0 || strcmp(flag, "--jobs") == 0) {
        return parse_number(flag, value, 1, SWEEP_JOBS_MAX, &a->jobs);
    }
    if (strcmp(flag, "--events-max") == 0) {
        return parse_number(flag, value, 1, UINT64_MAX, &a->events_max);
    }
    if (strcmp(flag, "--wall-max") == 0) {
        return parse_number(flag, value, 1, SWEEP_WALL_MAX_S_LIMIT, &a->wall_max_s);
    }
    if (strcmp(flag, "--mem-max") == 0) {
        return parse_number(flag, value, 1, SWEEP_MEM_MAX_MIB_LIMIT, &a->mem_max_mib);
    }
    if (value[0] == '\0') return usage_error("%s needs a file name, got \"\"", flag);
    if (strcmp(flag, "--out") == 0) a->out_path = value;
    if (strcmp(flag, "--junit") == 0) a->junit_path = value;
    if (strcmp(flag, "--resume") == 0) a->resume_path = value;
    return FL_EXIT_OK;
}

static bool takes_value(const char *flag) {
    static const char *const flags[] = {"--seeds",  "--count",      "--seed-base", "-j",
                                        "--jobs",   "--shard",      "--out",       "--junit",
                                        "--resume", "--events-max", "--wall-max",  "--mem-max"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (strcmp(flag, flags[i]) == 0) return true;
    }
    return false;
}

static int parse_flag(struct sweep_args *a, struct sweep_given *g, int argc, char **argv, int *i) {
    const char *arg = argv[*i];
    if (strcmp(arg, "--fail-fast") == 0) {
        a->fail_fast = true;
    } else if (strcmp(arg, "--check-determinism") == 0) {
        a->check_determinism = true;
    } else if (strcmp(arg, "--quiet") == 0) {
        a->quiet = true;
    } else if (strncmp(arg, "-j", 2) == 0 && arg[2] >= '0' && arg[2] <= '9') {
        return parse_value(a, g, "-j", arg + 2); /* -j4, as make takes it */
    } else if (takes_value(arg)) {
        if (*i + 1 >= argc) return usage_error("%s needs a value", arg);
        *i += 1;
        return parse_value(a, g, arg, argv[*i]);
    } else {
        return usage_error("unknown option \"%s\"", arg);
    }
    return FL_EXIT_OK;
}

/* The checks that involve more than one flag. */
static int check_args(struct sweep_args *a, const struct sweep_given *g) {
    if (a->scenario_path == NULL) return usage_error("%s", "missing SCENARIO file");
    if (g->seeds == g->count) {
        return usage_error("%s", g->seeds ? "--seeds and --count exclude each other"
                                          : "which seeds? give --seeds A..B or --count N");
    }
    if (g->seed_base && !g->count) return usage_error("%s", "--seed-base goes with --count");
    if (g->count) {
        a->seed_first = g->seed_base ? g->seed_base_value : 1;
        if (g->count_value - 1 > UINT64_MAX - a->seed_first) {
            return usage_error("%s", "--seed-base + --count goes past the largest seed");
        }
        a->seed_last = a->seed_first + (g->count_value - 1);
    }
    if (a->out_path == NULL) a->out_path = a->resume_path;
    if (a->out_path != NULL && a->junit_path != NULL && strcmp(a->out_path, a->junit_path) == 0) {
        return usage_error("--out and --junit both name \"%s\"", a->out_path);
    }
    return FL_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct sweep_args *a) {
    memset(a, 0, sizeof *a);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    a->jobs = cpus < 1 ? 1 : cpus > SWEEP_JOBS_MAX ? SWEEP_JOBS_MAX : (uint64_t)cpus;
    a->wall_max_s = 60;
    a->mem_max_mib = 4096;
    struct sweep_given given = {0};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        int status = FL_EXIT_OK;
        if (arg[0] == '-' && arg[1] != '\0') {
            status = parse_flag(a, &given, argc, argv, &i);
        } else if (a->scenario_path == NULL) {
            a->scenario_path = arg;
        } else {
            status = usage_error("unexpected argument \"%s\" (one scenario per sweep)", arg);
        }
        if (status != FL_EXIT_OK) return status;
    }
    return check_args(a, &given);
}

/* --- the seeds ---------------------------------------------------------------------- */

static uint64_t shard_step(const struct sweep_args *a) {
    return a->shard_count == 0 ? 1 : a->shard_count;
}

/* How many seeds the range and shard select. */
static uint64_t seeds_planned(const struct sweep_args *a) {
    uint64_t span = a->seed_last - a->seed_first; /* seeds - 1: cannot overflow */
    if (a->shard_index > span) return 0;
    return (span - a->shard_index) / shard_step(a) + 1;
}

static bool seed_selected(const struct sweep_args *a, uint64_t seed) {
    if (seed < a->seed_first || seed > a->seed_last) return false;
    return (seed - a->seed_first) % shard_step(a) == a->shard_index;
}

/* --- the parent's state ------------------------------------------------------------ */

enum slot_state {
    SLOT_DEAD = 0, /* no worker: one is forked when a seed needs it */
    SLOT_IDLE,     /* a worker waiting for a seed */
    SLOT_BUSY,     /* a worker running `seed` */
    SLOT_RETIRING, /* a worker that said it will exit: its EOF is awaited */
};

struct sweep_slot {
    enum slot_state state;
    pid_t pid;         /* the worker; 0 when dead */
    int task_fd;       /* the parent writes seeds here */
    int result_fd;     /* the worker writes lines here */
    uint64_t seed;     /* busy: the seed it runs */
    uint64_t start_ns; /* busy: when the seed was sent */
    bool timed_out;    /* busy: the watchdog killed it */
    bool memory;       /* busy: it said it is out of memory */
    bool retiring;     /* it said it exits after this seed */
    char *data;        /* what it wrote that is not yet a whole line */
    size_t size;
    size_t capacity;
};

struct progress {
    bool enabled;
    bool tty; /* redrawn in place; else plain lines */
    bool color;
    uint64_t last_ns;   /* when last drawn or printed */
    uint64_t last_done; /* seeds done then */
    size_t width;       /* of the line drawn, to blank it */
};

struct sweep {
    struct sweep_args args;
    int argc; /* the command line, for the resume command */
    char **argv;
    struct fl_scenario *scenario;
    struct rep_meta meta;
    struct rep_summary summary;
    struct rep_index index; /* the journal's records (source 0) */
    FILE *journal;          /* FILE.tmp; NULL without --out */
    char *journal_path;
    char *journal_tmp; /* its name until journal_publish */
    uint64_t journal_bytes;
    uint64_t journal_lines;
    uint64_t *skip; /* seeds already done (--resume), sorted */
    size_t skip_count;
    size_t skip_next;
    uint64_t next_seed; /* the next seed of the shard, if seeds_left */
    bool seeds_left;
    bool pending; /* pending_seed was taken but could not be sent */
    uint64_t pending_seed;
    uint64_t resumed;         /* records taken over from --resume */
    struct sweep_slot *slots; /* args.jobs of them */
    struct pollfd *pollfds;
    struct sweep_slot **polled; /* the slot of each pollfd */
    uint32_t busy;              /* slots running a seed */
    struct progress progress;
    sigset_t wait_mask;  /* inside ppoll: the interrupting signals unblocked */
    sigset_t child_mask; /* the mask the command started with */
    pid_t parent_pid;
    bool fail_fast_hit;
    bool internal_error;
    uint64_t start_ns;
};

/* Set by the handler of SIGINT/SIGTERM/SIGHUP: the signal, or 0. */
static volatile sig_atomic_t sweep_interrupted;

/* --- the worker ---------------------------------------------------------------------- */

/* What the worker's fatal-signal handler needs, set before it is installed. */
static struct {
    volatile sig_atomic_t fd; /* the result pipe */
    uint64_t page_bytes;
    uint64_t baseline_bytes;  /* VmSize not counted against the limit (sanitizers) */
    uint64_t threshold_bytes; /* above this (over the baseline), death is "memory" */
} child_memory = {.fd = -1};

/* VmSize in bytes, read with async-signal-safe calls; 0 if unknown. */
static uint64_t child_vm_bytes(void) {
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char text[64];
    ssize_t n = read(fd, text, sizeof text);
    close(fd);
    uint64_t pages = 0;
    for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
        pages = pages * 10 + (uint64_t)(text[i] - '0');
    }
    return pages * child_memory.page_bytes;
}

static void child_check_memory(void) {
    uint64_t vm = child_vm_bytes();
    if (vm > child_memory.baseline_bytes &&
        vm - child_memory.baseline_bytes >= child_memory.threshold_bytes) {
        ssize_t ignored = write(child_memory.fd, memory_marker, sizeof memory_marker - 1);
        (void)ignored;
    }
}

/* Installed with SA_RESETHAND | SA_NODEFER: raise() then takes the default
 * action, so the parent sees the real signal. */
static void child_on_fatal(int signo) {
    child_check_memory();
    raise(signo);
}

static void child_handlers(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = child_on_fatal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = (int)(SA_RESETHAND | SA_NODEFER);
    static const int fatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &action, NULL);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_DFL);
#if SWEEP_ASAN
    /* AddressSanitizer reports running out of memory itself and may exit(1)
     * rather than abort: tell the parent first. */
    __sanitizer_set_death_callback(child_check_memory);
#endif
}

/* RLIMIT_AS and RLIMIT_CORE. Under AddressSanitizer the process already has
 * terabytes of shadow address space reserved, so there the limit counts from
 * what the process had at fork. */
static void child_limits(const struct sweep_args *a) {
    long page = sysconf(_SC_PAGESIZE);
    child_memory.page_bytes = page > 0 ? (uint64_t)page : 4096;
    child_memory.baseline_bytes = SWEEP_ASAN ? child_vm_bytes() : 0;
    uint64_t limit_bytes = a->mem_max_mib << 20;
    child_memory.threshold_bytes = limit_bytes / 4 * 3;
    struct rlimit as = {.rlim_cur = child_memory.baseline_bytes + limit_bytes,
                        .rlim_max = child_memory.baseline_bytes + limit_bytes};
    if (setrlimit(RLIMIT_AS, &as) != 0) { /* a lower hard limit: keep it */
    }
    struct rlimit core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &core) != 0) { /* cannot happen: lowering is allowed */
    }
}

static _Noreturn void child_out_of_memory(int fd) {
    ssize_t ignored = write(fd, memory_marker, sizeof memory_marker - 1);
    (void)ignored;
    _exit(SWEEP_CHILD_EXIT_WRITE);
}

static void child_setup(const struct sweep *sw, int fd) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != sw->parent_pid) _exit(1);
    child_memory.fd = fd;
    child_handlers();
    sigprocmask(SIG_SETMASK, &sw->child_mask, NULL);
    child_limits(&sw->args);
}

/* Runs the seed as `faultline run` does; its record as one line of text. */
static char *child_run_seed(const struct sweep *sw, uint64_t seed, int fd) {
    struct fl_run_options options = {.seed = seed, .events_max = sw->args.events_max};
    struct fl_result result;
    struct cli_divergence divergence;
    struct fl_sim *sim = NULL;
    bool same = true;
    if (sw->args.check_determinism) {
        same = cli_check_determinism_keep(sw->scenario, &options, &result, &divergence, &sim);
    } else {
        sim = fl_sim_create(sw->scenario, &options);
        if (sim != NULL) fl_sim_run(sim, &result);
    }
    if (sim == NULL) child_out_of_memory(fd);
    cJSON *record = rep_record_run(sw->scenario, sim, &result, seed, same ? NULL : &divergence);
    char *text = record != NULL ? cJSON_PrintUnformatted(record) : NULL;
    if (text == NULL) child_out_of_memory(fd);
    cJSON_Delete(record);
    fl_sim_destroy(sim);
    return text;
}

static bool read_full(int fd, void *data, size_t size_bytes) {
    size_t done = 0;
    while (done < size_bytes) {
        ssize_t n = read(fd, (char *)data + done, size_bytes - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += (size_t)n;
    }
    return true;
}

/* A worker: runs the seeds it is sent until its task pipe closes. It retires
 * (says so, then exits after the record) once its address space has grown by
 * an eighth of --mem-max, so memory that seeds leave behind can never make a
 * later seed look out of memory: that seed used at least 3/4 - 1/8 of the
 * limit itself. */
static _Noreturn void worker_main(const struct sweep *sw, int task_fd, int result_fd) {
    child_setup(sw, result_fd);
    uint64_t start_bytes = child_vm_bytes();
    uint64_t retire_bytes = (sw->args.mem_max_mib << 20) / 8;
    uint64_t seed;
    while (read_full(task_fd, &seed, sizeof seed)) {
        char *text = child_run_seed(sw, seed, result_fd);
        uint64_t vm = child_vm_bytes();
        bool retire = vm > start_bytes && vm - start_bytes > retire_bytes;
        bool written = (!retire || rep_write_all(result_fd, "!retire\n", 8)) &&
                       rep_write_all(result_fd, text, strlen(text)) &&
                       rep_write_all(result_fd, "\n", 1);
        free(text);
        if (!written) _exit(SWEEP_CHILD_EXIT_WRITE);
        if (retire) break;
    }
    _exit(0); /* _exit: no atexit handlers, no stdio flush of the parent's buffers */
}

/* --- records ---------------------------------------------------------------------- */

static void sweep_fatal(struct sweep *sw, const char *what) {
    fprintf(stderr, "faultline sweep: internal error: %s\n", what);
    sw->internal_error = true;
}

/* Appends a record line to the journal, flushed, and indexes it. */
static void journal_append(struct sweep *sw, uint64_t seed, const char *text) {
    size_t length = strlen(text);
    struct rep_entry entry = {.seed = seed,
                              .offset = sw->journal_bytes,
                              .size_bytes = (uint32_t)length,
                              .source = 0,
                              .line = ++sw->journal_lines};
    bool ok = length <= UINT32_MAX && fwrite(text, 1, length, sw->journal) == length &&
              fputc('\n', sw->journal) != EOF && fflush(sw->journal) == 0;
    if (!ok) {
        fprintf(stderr, "faultline sweep: %s: %s\n", sw->journal_path, strerror(errno));
        sweep_fatal(sw, "cannot write the journal");
        return;
    }
    sw->journal_bytes += length + 1;
    if (!rep_index_add(&sw->index, &entry)) sweep_fatal(sw, "out of memory");
}

/* Adds a record to the summary and the journal. text: its line if the caller
 * has it (a resumed record is copied byte for byte), else printed here. */
static bool record_add(struct sweep *sw, uint64_t seed, cJSON *record, const char *text) {
    char error[REP_ERROR_MAX];
    if (record == NULL || !rep_summary_add(&sw->summary, record, seed, error, sizeof error)) {
        sweep_fatal(sw, record == NULL ? "out of memory" : error);
        return false;
    }
    if (sw->journal == NULL) return true;
    char *printed = text == NULL ? cJSON_PrintUnformatted(record) : NULL;
    if (text == NULL && printed == NULL) {
        sweep_fatal(sw, "out of memory");
        return false;
    }
    journal_append(sw, seed, text != NULL ? text : printed);
    free(printed);
    return !sw->internal_error;
}

/* A seed of this sweep finished: record it, and stop if --fail-fast says so. */
static void seed_done(struct sweep *sw, uint64_t seed, cJSON *record) {
    bool added = record_add(sw, seed, record, NULL);
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(record, "result");
    bool passed = cJSON_IsString(result) && strcmp(result->valuestring, "pass") == 0;
    if (added && !passed && sw->args.fail_fast) sw->fail_fast_hit = true;
    cJSON_Delete(record);
}

static void signal_reason(int signo, char *out, size_t size) {
    const char *abbrev = sigabbrev_np(signo);
    if (abbrev != NULL) {
        snprintf(out, size, "signal %d (SIG%s)", signo, abbrev);
    } else {
        snprintf(out, size, "signal %d", signo);
    }
}

/* A worker's record line, if sound: of the seed it was sent, with the keys
 * the summary reads. NULL otherwise. */
static cJSON *worker_record(const struct sweep_slot *slot, const char *line, uint64_t wall_ns) {
    uint64_t seed;
    if (!rep_line_seed(line, &seed) || seed != slot->seed) return NULL;
    cJSON *record = cJSON_Parse(line);
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(record, "result");
    bool sound =
        cJSON_IsString(result) &&
        (strcmp(result->valuestring, "pass") == 0 || strcmp(result->valuestring, "fail") == 0 ||
         strcmp(result->valuestring, "nondeterministic") == 0) &&
        cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(record, "violations")) &&
        cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(record, "sometimes")) &&
        cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(record, "sometimes_evaluated")) &&
        rep_record_set(record, seed, wall_ns);
    if (sound) return record;
    cJSON_Delete(record);
    return NULL;
}

/* Why a worker died with a seed unfinished. */
static cJSON *death_record(const struct sweep_slot *slot, int status, uint64_t wall_ns) {
    char reason[80];
    enum rep_result result = REP_CRASH;
    if (slot->timed_out) {
        result = REP_TIMEOUT;
        snprintf(reason, sizeof reason, "timeout");
    } else if (slot->memory) {
        result = REP_MEMORY;
        snprintf(reason, sizeof reason, "memory");
    } else if (WIFSIGNALED(status)) {
        signal_reason(WTERMSIG(status), reason, sizeof reason);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        snprintf(reason, sizeof reason, "exit status %d", WEXITSTATUS(status));
    } else {
        snprintf(reason, sizeof reason, "exited without a result");
    }
    return rep_record_abnormal(slot->seed, result, reason, wall_ns);
}

/* --- the pool ------------------------------------------------------------------------ */

static int reap(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return 0;
    }
    return status;
}

/* The worker is gone (or killed here): reap it; a seed it was running is
 * recorded unless `discard`. */
static void slot_bury(struct sweep *sw, struct sweep_slot *slot, bool kill_it, bool discard) {
    assert(slot->state != SLOT_DEAD);
    assert(slot->pid > 0);
    if (kill_it) kill(slot->pid, SIGKILL);
    int status = reap(slot->pid);
    close(slot->task_fd);
    close(slot->result_fd);
    bool was_busy = slot->state == SLOT_BUSY;
    slot->state = SLOT_DEAD;
    slot->pid = 0;
    slot->size = 0;
    if (!was_busy) return;
    assert(sw->busy > 0);
    sw->busy--;
    if (!discard)
        seed_done(sw, slot->seed, death_record(slot, status, cli_wall_ns() - slot->start_ns));
}

/* One whole line from a worker. */
static void slot_line(struct sweep *sw, struct sweep_slot *slot, const char *line) {
    if (strcmp(line, "!memory") == 0) {
        slot->memory = true;
    } else if (strcmp(line, "!retire") == 0) {
        slot->retiring = true;
    } else if (slot->state == SLOT_BUSY) {
        uint64_t wall_ns = cli_wall_ns() - slot->start_ns;
        cJSON *record = worker_record(slot, line, wall_ns);
        if (record == NULL)
            record = rep_record_abnormal(slot->seed, REP_CRASH, "malformed result", wall_ns);
        slot->state = slot->retiring ? SLOT_RETIRING : SLOT_IDLE;
        sw->busy--;
        seed_done(sw, slot->seed, record);
    } else {
        slot_bury(sw, slot, true, true); /* a worker that talks out of turn is broken */
    }
}

/* Hands every whole line in the buffer to slot_line; keeps the rest. */
static void slot_lines(struct sweep *sw, struct sweep_slot *slot) {
    size_t start = 0;
    char *newline;
    while (slot->state != SLOT_DEAD &&
           (newline = memchr(slot->data + start, '\n', slot->size - start)) != NULL) {
        *newline = '\0';
        slot_line(sw, slot, slot->data + start);
        start = (size_t)(newline - slot->data) + 1;
    }
    if (slot->state == SLOT_DEAD) return;
    memmove(slot->data, slot->data + start, slot->size - start);
    slot->size -= start;
}

static bool slot_room(struct sweep *sw, struct sweep_slot *slot) {
    if (slot->capacity - slot->size >= SWEEP_READ_BYTES / 2) return true;
    if (slot->capacity >= SWEEP_RESULT_BYTES_MAX) { /* garbage: the line never ends */
        slot->size = 0;
        return true;
    }
    char *bigger = realloc(slot->data, slot->capacity * 2);
    if (bigger == NULL) {
        sweep_fatal(sw, "out of memory");
        return false;
    }
    slot->data = bigger;
    slot->capacity *= 2;
    return true;
}

static void slot_read(struct sweep *sw, struct sweep_slot *slot) {
    if (!slot_room(sw, slot)) return;
    ssize_t n = read(slot->result_fd, slot->data + slot->size, slot->capacity - slot->size);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        slot_bury(sw, slot, false, false);
        return;
    }
    slot->size += (size_t)n;
    slot_lines(sw, slot);
}

/* In a new worker: the other workers' pipes are not its business (holding
 * their task pipes open would hide the end of the sweep from them). */
static void close_other_workers(const struct sweep *sw, const struct sweep_slot *self) {
    for (uint32_t i = 0; i < sw->args.jobs; i++) {
        const struct sweep_slot *other = &sw->slots[i];
        if (other == self || other->state == SLOT_DEAD) continue;
        close(other->task_fd);
        close(other->result_fd);
    }
}

static bool spawn_worker(struct sweep *sw, struct sweep_slot *slot) {
    int task[2], result[2];
    if (pipe2(task, O_CLOEXEC) != 0) return false;
    if (pipe2(result, O_CLOEXEC) != 0) {
        close(task[0]);
        close(task[1]);
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(task[1]);
        close(result[0]);
        close_other_workers(sw, slot);
        worker_main(sw, task[0], result[1]);
    }
    close(task[0]);
    close(result[1]);
    if (pid < 0) {
        close(task[1]);
        close(result[0]);
        return false;
    }
    *slot = (struct sweep_slot){.state = SLOT_IDLE,
                                .pid = pid,
                                .task_fd = task[1],
                                .result_fd = result[0],
                                .data = slot->data,
                                .capacity = slot->capacity};
    return true;
}

/* Sends a seed to an idle worker. */
static bool send_seed(struct sweep *sw, struct sweep_slot *slot, uint64_t seed) {
    assert(slot->state == SLOT_IDLE);
    if (!rep_write_all(slot->task_fd, (const char *)&seed, sizeof seed)) return false;
    slot->state = SLOT_BUSY;
    slot->seed = seed;
    slot->start_ns = cli_wall_ns();
    slot->timed_out = false;
    slot->memory = false;
    slot->retiring = false;
    sw->busy++;
    return true;
}

/* The next seed to run: in the shard, not already done. */
static bool take_seed(struct sweep *sw, uint64_t *seed) {
    if (sw->pending) {
        sw->pending = false;
        *seed = sw->pending_seed;
        return true;
    }
    while (sw->seeds_left) {
        uint64_t s = sw->next_seed;
        uint64_t step = shard_step(&sw->args);
        assert(seed_selected(&sw->args, s));
        if (sw->args.seed_last - s < step) sw->seeds_left = false;
        if (sw->seeds_left) sw->next_seed = s + step;
        while (sw->skip_next < sw->skip_count && sw->skip[sw->skip_next] < s)
            sw->skip_next++;
        if (sw->skip_next < sw->skip_count && sw->skip[sw->skip_next] == s) continue;
        *seed = s;
        return true;
    }
    return false;
}

/* Puts a seed back: it is the next one taken. */
static void untake_seed(struct sweep *sw, uint64_t seed) {
    assert(!sw->pending);
    sw->pending = true;
    sw->pending_seed = seed;
}

static bool has_seeds(const struct sweep *sw) {
    return sw->pending || sw->seeds_left;
}

/* Gives every idle (or dead: one is forked) slot a seed. */
static void dispatch(struct sweep *sw) {
    int spawn_error = 0;
    for (uint32_t i = 0; i < sw->args.jobs && has_seeds(sw); i++) {
        struct sweep_slot *slot = &sw->slots[i];
        if (slot->state == SLOT_DEAD && !spawn_worker(sw, slot)) {
            spawn_error = errno; /* tried again on the next pass */
            continue;
        }
        if (slot->state != SLOT_IDLE) continue;
        uint64_t seed;
        if (!take_seed(sw, &seed)) return;
        if (!send_seed(sw, slot, seed)) {
            untake_seed(sw, seed); /* the worker died idle: another gets the seed */
            slot_bury(sw, slot, true, true);
        }
    }
    uint32_t alive = 0;
    for (uint32_t i = 0; i < sw->args.jobs; i++)
        alive += sw->slots[i].state != SLOT_DEAD;
    if (spawn_error != 0 && alive == 0) { /* nothing left to wait for: give up */
        fprintf(stderr, "faultline sweep: cannot start a worker process: %s\n",
                strerror(spawn_error));
        sweep_fatal(sw, "fork failed");
    }
}

/* Kills every worker; a seed one was running is not recorded. */
static void stop_all(struct sweep *sw) {
    for (uint32_t i = 0; i < sw->args.jobs; i++) {
        if (sw->slots[i].state != SLOT_DEAD) slot_bury(sw, &sw->slots[i], true, true);
    }
    sw->seeds_left = false;
    sw->pending = false;
    assert(sw->busy == 0);
}

static void watchdog(struct sweep *sw, uint64_t now) {
    uint64_t limit_ns = sw->args.wall_max_s * 1000000000ull;
    for (uint32_t i = 0; i < sw->args.jobs; i++) {
        struct sweep_slot *slot = &sw->slots[i];
        if (slot->state != SLOT_BUSY || slot->timed_out || now - slot->start_ns < limit_ns) {
            continue;
        }
        kill(slot->pid, SIGKILL); /* its pipe's EOF comes next, and with it the record */
        slot->timed_out = true;
    }
}

/* How long ppoll may sleep: until the first deadline, or the next redraw. */
static uint64_t wait_ns(const struct sweep *sw, uint64_t now) {
    uint64_t limit_ns = sw->args.wall_max_s * 1000000000ull;
    uint64_t wait = sw->progress.tty && sw->progress.enabled ? SWEEP_TTY_REDRAW_NS : limit_ns;
    for (uint32_t i = 0; i < sw->args.jobs; i++) {
        const struct sweep_slot *slot = &sw->slots[i];
        if (slot->state != SLOT_BUSY || slot->timed_out) continue;
        uint64_t age = now - slot->start_ns;
        uint64_t left = age >= limit_ns ? 0 : limit_ns - age;
        if (left < wait) wait = left;
    }
    return wait;
}

static void wait_and_read(struct sweep *sw) {
    uint32_t count = 0;
    for (uint32_t i = 0; i < sw->args.jobs; i++) {
        if (sw->slots[i].state == SLOT_DEAD) continue;
        sw->pollfds[count] = (struct pollfd){.fd = sw->slots[i].result_fd, .events = POLLIN};
        sw->polled[count++] = &sw->slots[i];
    }
    uint64_t wait = wait_ns(sw, cli_wall_ns());
    struct timespec timeout = {.tv_sec = (time_t)(wait / 1000000000ull),
                               .tv_nsec = (long)(wait % 1000000000ull)};
    int ready = ppoll(sw->pollfds, count, &timeout, &sw->wait_mask);
    if (ready < 0 && errno != EINTR) sweep_fatal(sw, "ppoll failed");
    for (uint32_t i = 0; ready > 0 && i < count; i++) {
        if (sw->pollfds[i].revents != 0) slot_read(sw, sw->polled[i]);
    }
    watchdog(sw, cli_wall_ns());
}

/* --- progress ----------------------------------------------------------------------- */

static uint64_t seeds_done(const struct sweep *sw) {
    return sw->summary.total;
}

static void format_left(char *out, size_t size, double seconds) {
    uint64_t s = seconds < 0 ? 0 : seconds > 360000.0 ? 360000 : (uint64_t)(seconds + 0.5);
    if (s >= 3600) {
        snprintf(out, size, "%lluh%02llum", (unsigned long long)(s / 3600),
                 (unsigned long long)(s / 60 % 60));
    } else if (s >= 60) {
        snprintf(out, size, "%llum%02llus", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    } else {
        snprintf(out, size, "%llus", (unsigned long long)s);
    }
}

/* Seeds per second this run (resumed seeds did not take any time), and the
 * time left at that rate. */
static double progress_rate(const struct sweep *sw, uint64_t now, char *left, size_t left_size) {
    double seconds = (double)(now - sw->start_ns) / 1e9;
    uint64_t ran = seeds_done(sw) - sw->resumed;
    double rate = seconds > 0 ? (double)ran / seconds : 0;
    uint64_t remaining = sw->meta.planned - seeds_done(sw);
    if (rate > 0) {
        format_left(left, left_size, (double)remaining / rate);
    } else {
        snprintf(left, left_size, "?");
    }
    return rate;
}

static void progress_draw(struct sweep *sw, uint64_t now) {
    struct progress *p = &sw->progress;
    uint64_t done = seeds_done(sw), planned = sw->meta.planned;
    uint64_t failed = rep_summary_failed(&sw->summary);
    char bar[25], left[32], line[256];
    size_t filled = planned ? (size_t)(done * 24 / planned) : 24;
    for (size_t i = 0; i < 24; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[24] = '\0';
    double rate = progress_rate(sw, now, left, sizeof left);
    const char *red = p->color && failed ? "\033[31m" : "",
               *reset = p->color && failed ? "\033[0m" : "";
    int n = snprintf(line, sizeof line,
                     "\r[%s] %llu/%llu seeds  %s%llu failed%s  %.0f seeds/s  %s left", bar,
                     (unsigned long long)done, (unsigned long long)planned, red,
                     (unsigned long long)failed, reset, rate, left);
    size_t width = n > 0 ? (size_t)n : 0;
    fputs(line, stderr);
    for (size_t i = width; i < p->width; i++)
        fputc(' ', stderr); /* blank a longer old line */
    p->width = width;
}

static void progress_plain(struct sweep *sw, uint64_t now) {
    char left[32];
    double rate = progress_rate(sw, now, left, sizeof left);
    uint64_t done = seeds_done(sw), planned = sw->meta.planned;
    fprintf(stderr,
            "faultline sweep: %llu/%llu seeds (%.0f%%), %llu failed, %.0f seeds/s, %s left\n",
            (unsigned long long)done, (unsigned long long)planned,
            planned ? 100.0 * (double)done / (double)planned : 100.0,
            (unsigned long long)rep_summary_failed(&sw->summary), rate, left);
}

static void progress_update(struct sweep *sw) {
    struct progress *p = &sw->progress;
    if (!p->enabled) return;
    uint64_t now = cli_wall_ns();
    uint64_t done = seeds_done(sw);
    if (p->tty) {
        if (now - p->last_ns < SWEEP_TTY_REDRAW_NS) return;
        progress_draw(sw, now);
    } else {
        uint64_t step = sw->meta.planned * SWEEP_PLAIN_EVERY_PERCENT / 100;
        if (now - p->last_ns < SWEEP_PLAIN_EVERY_NS || done - p->last_done < (step ? step : 1)) {
            return;
        }
        progress_plain(sw, now);
    }
    p->last_ns = now;
    p->last_done = done;
}

static void progress_clear(struct sweep *sw) {
    struct progress *p = &sw->progress;
    if (!p->enabled || !p->tty || p->width == 0) return;
    fputc('\r', stderr);
    for (size_t i = 0; i < p->width; i++)
        fputc(' ', stderr);
    fputc('\r', stderr);
    p->width = 0;
}

static void progress_init(struct progress *p, bool quiet, uint64_t now) {
    memset(p, 0, sizeof *p);
    p->enabled = !quiet;
    p->tty = isatty(STDERR_FILENO) == 1;
    const char *term = getenv("TERM");
    p->color = p->tty && getenv("NO_COLOR") == NULL && (term == NULL || strcmp(term, "dumb") != 0);
    p->last_ns = now;
}

/* --- setting up ----------------------------------------------------------------------- */

static void on_interrupt(int signo) {
    if (sweep_interrupted != 0) { /* the second one: stop now */
        signal(signo, SIG_DFL);
        raise(signo);
    }
    sweep_interrupted = signo;
}

/* Blocks the interrupting signals except inside ppoll (sw->wait_mask). */
static void signals_init(struct sweep *sw) {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &sw->child_mask);
    sw->wait_mask = sw->child_mask;
    sigdelset(&sw->wait_mask, SIGINT);
    sigdelset(&sw->wait_mask, SIGTERM);
    sigdelset(&sw->wait_mask, SIGHUP);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is an error to report, not a death */
}

/* XXH3-64 of the file's bytes, as 16 hex digits. */
static bool hash_file(const char *path, char out[17]) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return false;
    XXH3_state_t *state = XXH3_createState();
    bool ok = state != NULL && XXH3_64bits_reset(state) == XXH_OK;
    char buffer[65536];
    size_t n;
    while (ok && (n = fread(buffer, 1, sizeof buffer, file)) > 0) {
        ok = XXH3_64bits_update(state, buffer, n) == XXH_OK;
    }
    ok = ok && !ferror(file);
    if (ok) snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits_digest(state));
    XXH3_freeState(state);
    fclose(file);
    return ok;
}

static int meta_init(struct sweep *sw) {
    const struct sweep_args *a = &sw->args;
    struct rep_meta *m = &sw->meta;
    if (!hash_file(a->scenario_path, m->scenario_hash)) {
        fprintf(stderr, "%s: cannot read: %s\n", a->scenario_path, strerror(errno));
        return FL_EXIT_USAGE;
    }
    m->scenario = strdup(a->scenario_path);
    m->name = strdup(fl_scenario_name(sw->scenario));
    m->model = strdup(fl_scenario_model(sw->scenario)->name);
    m->variant = strdup(fl_scenario_variant_name(sw->scenario));
    m->seed_first = a->seed_first;
    m->seed_last = a->seed_last;
    m->shard_index = a->shard_index;
    m->shard_count = a->shard_count;
    m->planned = seeds_planned(a);
    m->events_max = a->events_max;
    m->check_determinism = a->check_determinism;
    m->wall_max_s = a->wall_max_s;
    m->mem_max_mib = a->mem_max_mib;
    if (m->scenario && m->name && m->model && m->variant) return FL_EXIT_OK;
    fprintf(stderr, "faultline sweep: out of memory\n");
    return FL_EXIT_INTERNAL;
}

static int pool_init(struct sweep *sw) {
    sw->slots = calloc(sw->args.jobs, sizeof sw->slots[0]);
    sw->pollfds = calloc(sw->args.jobs, sizeof sw->pollfds[0]);
    sw->polled = calloc(sw->args.jobs, sizeof sw->polled[0]);
    if (sw->slots == NULL || sw->pollfds == NULL || sw->polled == NULL) return FL_EXIT_INTERNAL;
    for (uint32_t i = 0; i < sw->args.jobs; i++) {
        sw->slots[i].capacity = SWEEP_READ_BYTES;
        sw->slots[i].data = malloc(SWEEP_READ_BYTES);
        if (sw->slots[i].data == NULL) return FL_EXIT_INTERNAL;
    }
    sw->parent_pid = getpid(); // watchdog: a worker whose parent died kills itself
    sw->seeds_left = sw->meta.planned > 0;
    sw->next_seed = sw->args.seed_first + sw->args.shard_index;
    return FL_EXIT_OK;
}

/* --- --resume ------------------------------------------------------------------------- */

static bool path_exists(const char *path) {
    return access(path, F_OK) == 0;
}

/* Reads one report into old; rep_load checks its summary (or journal header)
 * against this sweep's own settings. */
static int resume_load(struct sweep *sw, struct rep_index *old, const char *path) {
    struct rep_meta meta;
    bool has_meta = true;
    char error[REP_ERROR_MAX];
    if (!rep_meta_copy(&meta, &sw->meta)) return FL_EXIT_INTERNAL;
    bool ok = rep_load(old, path, &meta, &has_meta, error, sizeof error);
    rep_meta_deinit(&meta);
    if (ok) return FL_EXIT_OK;
    fprintf(stderr, "faultline sweep: --resume: %s\n", error);
    return FL_EXIT_USAGE;
}

/* Reads FILE and FILE.tmp, whichever exist (both, after a resumed sweep was
 * killed: their records are merged). */
static int resume_read(struct sweep *sw, struct rep_index *old) {
    const char *path = sw->args.resume_path;
    char *tmp = malloc(strlen(path) + 5);
    if (tmp == NULL) return FL_EXIT_INTERNAL;
    sprintf(tmp, "%s.tmp", path);
    bool report = path_exists(path), journal = path_exists(tmp);
    int status = FL_EXIT_OK;
    if (!report && !journal) {
        fprintf(stderr,
                "faultline sweep: --resume: cannot read the report: neither %s nor %s "
                "exists\n",
                path, tmp);
        status = FL_EXIT_USAGE;
    }
    if (status == FL_EXIT_OK && report) status = resume_load(sw, old, path);
    if (status == FL_EXIT_OK && journal) status = resume_load(sw, old, tmp);
    free(tmp);
    return status;
}

/* Every resumed seed must be one this sweep would run. */
static int resume_check(struct sweep *sw, struct rep_index *old) {
    char error[REP_ERROR_MAX];
    if (!rep_index_sort_unique(old, error, sizeof error)) {
        fprintf(stderr, "faultline sweep: --resume: %s\n", error);
        return FL_EXIT_USAGE;
    }
    for (size_t i = 0; i < old->count; i++) {
        const struct rep_entry *e = &old->entries[i];
        if (seed_selected(&sw->args, e->seed)) continue;
        fprintf(stderr,
                "faultline sweep: --resume: %s:%llu: seed %llu is not one of this sweep's "
                "seeds; resume with the same --seeds/--count and --shard\n",
                old->sources[e->source].path, (unsigned long long)e->line,
                (unsigned long long)e->seed);
        return FL_EXIT_USAGE;
    }
    return FL_EXIT_OK;
}

/* Copies the resumed records into the journal and the summary. */
static int resume_take(struct sweep *sw, const struct rep_index *old) {
    sw->skip = malloc((old->count ? old->count : 1) * sizeof sw->skip[0]);
    if (sw->skip == NULL) return FL_EXIT_INTERNAL;
    for (size_t i = 0; i < old->count && !sw->internal_error; i++) {
        const struct rep_entry *e = &old->entries[i];
        char *line = rep_index_line(old, e);
        cJSON *record = line != NULL ? cJSON_Parse(line) : NULL;
        if (record == NULL) {
            fprintf(stderr, "faultline sweep: --resume: %s:%llu: cannot read the record again\n",
                    old->sources[e->source].path, (unsigned long long)e->line);
            free(line);
            return FL_EXIT_USAGE;
        }
        record_add(sw, e->seed, record, line);
        cJSON_Delete(record);
        free(line);
        sw->skip[sw->skip_count++] = e->seed;
    }
    sw->resumed = sw->skip_count;
    return sw->internal_error ? FL_EXIT_INTERNAL : FL_EXIT_OK;
}

/* --- the journal and the report --------------------------------------------------------- */

/* Starts FILE.tmp afresh under a temporary name (renamed by journal_publish
 * once the resumed records are in it, so a journal being resumed from is never
 * lost): a header line, then the records as they complete. */
static int journal_open(struct sweep *sw) {
    const char *out = sw->args.out_path;
    sw->journal_path = malloc(strlen(out) + 5);
    if (sw->journal_path == NULL) return FL_EXIT_INTERNAL;
    sprintf(sw->journal_path, "%s.tmp", out);
    sw->journal = rep_temp_beside(sw->journal_path, &sw->journal_tmp);
    if (sw->journal == NULL) {
        fprintf(stderr, "faultline sweep: %s: cannot write the report: %s\n", out, strerror(errno));
        return FL_EXIT_USAGE;
    }
    char *header = rep_meta_header(&sw->meta);
    bool ok =
        header != NULL && fprintf(sw->journal, "%s\n", header) > 0 && fflush(sw->journal) == 0;
    sw->journal_bytes = ok ? strlen(header) + 1 : 0;
    sw->journal_lines = 1;
    free(header);
    sw->index.sources = malloc(sizeof sw->index.sources[0]);
    if (!ok || sw->index.sources == NULL) {
        fprintf(stderr, "faultline sweep: %s: cannot write: %s\n", sw->journal_tmp,
                strerror(errno));
        return FL_EXIT_INTERNAL;
    }
    sw->index.sources[0] =
        (struct rep_source){.path = strdup(sw->journal_path), .fd = dup(fileno(sw->journal))};
    sw->index.source_count = 1;
    return sw->index.sources[0].path != NULL && sw->index.sources[0].fd >= 0 ? FL_EXIT_OK
                                                                             : FL_EXIT_INTERNAL;
}

static int journal_publish(struct sweep *sw) {
    if (sw->journal_tmp == NULL) return FL_EXIT_OK;
    bool ok = fflush(sw->journal) == 0 && rename(sw->journal_tmp, sw->journal_path) == 0;
    if (!ok) fprintf(stderr, "faultline sweep: %s: %s\n", sw->journal_path, strerror(errno));
    free(sw->journal_tmp);
    sw->journal_tmp = NULL;
    return ok ? FL_EXIT_OK : FL_EXIT_INTERNAL;
}

/* The sorted report replaces FILE; the journal goes. */
static int write_report(struct sweep *sw) {
    char error[REP_ERROR_MAX];
    if (!rep_index_sort_unique(&sw->index, error, sizeof error)) {
        sweep_fatal(sw, error);
        return FL_EXIT_INTERNAL;
    }
    if (!rep_write(sw->args.out_path, &sw->index, &sw->meta, &sw->summary)) {
        fprintf(stderr,
                "faultline sweep: %s: cannot write the report: %s (the records are "
                "in %s)\n",
                sw->args.out_path, strerror(errno), sw->journal_path);
        return FL_EXIT_INTERNAL;
    }
    fclose(sw->journal);
    sw->journal = NULL;
    unlink(sw->journal_path);
    return FL_EXIT_OK;
}

/* --- the end ------------------------------------------------------------------------ */

static void print_quoted(FILE *out, const char *arg) {
    bool safe = arg[0] != '\0';
    for (const char *p = arg; *p && safe; p++) {
        safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               strchr("/._-+=:,@", *p) != NULL;
    }
    if (safe) {
        fputs(arg, out);
        return;
    }
    fputc('\'', out);
    for (const char *p = arg; *p; p++) {
        if (*p == '\'') {
            fputs("'\\''", out);
        } else {
            fputc(*p, out);
        }
    }
    fputc('\'', out);
}

/* The same command with --resume FILE (replacing a --resume it had). */
static void print_resume_command(FILE *out, const struct sweep *sw) {
    fputs("  faultline sweep", out);
    for (int i = 0; i < sw->argc; i++) {
        if (strcmp(sw->argv[i], "--resume") == 0 && i + 1 < sw->argc) {
            i++;
            continue;
        }
        fputc(' ', out);
        print_quoted(out, sw->argv[i]);
    }
    fputs(" --resume ", out);
    print_quoted(out, sw->args.out_path);
    fputc('\n', out);
}

static void print_interrupted(const struct sweep *sw, bool report_written) {
    const char *name = sigabbrev_np(sweep_interrupted);
    fprintf(stderr, "faultline sweep: interrupted (SIG%s): %llu of %llu seeds done, %llu failed\n",
            name != NULL ? name : "?", (unsigned long long)sw->summary.total,
            (unsigned long long)sw->meta.planned,
            (unsigned long long)rep_summary_failed(&sw->summary));
    if (sw->args.out_path == NULL) {
        fprintf(stderr, "no report was written (no --out), so there is nothing to resume; "
                        "give --out FILE to make a sweep resumable\n");
        return;
    }
    if (report_written) {
        fprintf(stderr, "the finished seeds are in %s; resume with:\n", sw->args.out_path);
    } else {
        fprintf(stderr, "the finished seeds are in %s; resume with:\n", sw->journal_path);
    }
    print_resume_command(stderr, sw);
}

static int sweep_finish(struct sweep *sw) {
    progress_clear(sw);
    sw->summary.interrupted = sweep_interrupted != 0;
    sw->summary.fail_fast = sw->fail_fast_hit;
    sw->summary.wall_ns = cli_wall_ns() - sw->start_ns;
    sw->summary.resumed = sw->resumed;
    rep_summary_finish(&sw->summary);
    int status = FL_EXIT_OK;
    if (sw->journal != NULL) status = write_report(sw);
    if (sw->args.junit_path != NULL &&
        !rep_write_junit(sw->args.junit_path, &sw->meta, &sw->summary)) {
        fprintf(stderr, "faultline sweep: %s: cannot write: %s\n", sw->args.junit_path,
                strerror(errno));
        status = FL_EXIT_INTERNAL;
    }
    bool written = sw->args.out_path != NULL && sw->journal == NULL;
    rep_print_human(stdout, &sw->meta, &sw->summary, written ? sw->args.out_path : NULL);
    if (fflush(stdout) != 0) status = FL_EXIT_INTERNAL;
    if (sweep_interrupted != 0) {
        print_interrupted(sw, written);
        return SWEEP_EXIT_INTERRUPTED;
    }
    if (status != FL_EXIT_OK || sw->internal_error) return FL_EXIT_INTERNAL;
    return rep_summary_failed(&sw->summary) > 0 ? FL_EXIT_FAIL : FL_EXIT_OK;
}

/* Until every seed is done or the sweep is stopped; the workers are gone after. */
static void sweep_loop(struct sweep *sw) {
    for (;;) {
        if (sweep_interrupted != 0 || sw->fail_fast_hit || sw->internal_error) break;
        dispatch(sw);
        if (sw->busy == 0 && !has_seeds(sw)) break;
        if (sw->internal_error) break;
        wait_and_read(sw);
        progress_update(sw);
    }
    stop_all(sw); /* idle workers, and busy ones when stopped early */
}

static void sweep_deinit(struct sweep *sw) {
    for (uint32_t i = 0; sw->slots != NULL && i < sw->args.jobs; i++)
        free(sw->slots[i].data);
    free(sw->slots);
    free(sw->pollfds);
    free(sw->polled);
    free(sw->skip);
    if (sw->journal != NULL) fclose(sw->journal);
    if (sw->journal_tmp != NULL) unlink(sw->journal_tmp);
    free(sw->journal_tmp);
    free(sw->journal_path);
    rep_index_deinit(&sw->index);
    rep_summary_deinit(&sw->summary);
    rep_meta_deinit(&sw->meta);
    if (sw->scenario != NULL) fl_scenario_free(sw->scenario);
    free(sw);
}

/* A --junit path that cannot be written is a usage error now, not a lost
 * report at the end. */
static int check_junit(const char *path) {
    struct cli_atomic_file file;
    if (path == NULL) return FL_EXIT_OK;
    if (!cli_atomic_open(&file, path)) {
        fprintf(stderr, "faultline sweep: %s: cannot write: %s\n", path, strerror(errno));
        return FL_EXIT_USAGE;
    }
    cli_atomic_abort(&file);
    return FL_EXIT_OK;
}

/* Everything before the first seed: the report so far, from --resume. */
static int sweep_prepare(struct sweep *sw) {
    int status = meta_init(sw);
    if (status == FL_EXIT_OK) status = pool_init(sw);
    if (status == FL_EXIT_OK) status = check_junit(sw->args.junit_path);
    struct rep_index old = {0};
    if (status == FL_EXIT_OK && sw->args.resume_path != NULL) {
        status = resume_read(sw, &old);
        if (status == FL_EXIT_OK) status = resume_check(sw, &old);
    }
    if (status == FL_EXIT_OK && sw->args.out_path != NULL) status = journal_open(sw);
    if (status == FL_EXIT_OK && sw->args.resume_path != NULL) status = resume_take(sw, &old);
    if (status == FL_EXIT_OK) status = journal_publish(sw);
    rep_index_deinit(&old);
    return status;
}

static bool wants_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return true;
    }
    return false;
}

int cli_sweep(int argc, char **argv) {
    if (wants_help(argc, argv)) {
        cli_sweep_usage(stdout);
        return FL_EXIT_OK;
    }
    struct sweep *sw = calloc(1, sizeof *sw);
    if (sw == NULL) return FL_EXIT_INTERNAL;
    int status = parse_args(argc, argv, &sw->args);
    struct fl_error error;
    if (status == FL_EXIT_OK) {
        sw->scenario = fl_scenario_load(sw->args.scenario_path, fl_models_builtin, &error);
        if (sw->scenario == NULL) fprintf(stderr, "%s\n", error.message);
        if (sw->scenario == NULL) status = FL_EXIT_USAGE;
    }
    sw->argc = argc;
    sw->argv = argv;
    if (status == FL_EXIT_OK) status = sweep_prepare(sw);
    if (status == FL_EXIT_OK) {
        signals_init(sw);
        sw->start_ns = cli_wall_ns();
        progress_init(&sw->progress, sw->args.quiet, sw->start_ns);
        sweep_loop(sw);
        status = sweep_finish(sw);
    }
    sweep_deinit(sw);
    return status;
}
