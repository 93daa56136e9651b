/*
 * cli util: helpers shared by the commands.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

bool cli_parse_u64(const char *text, uint64_t *out) {
    if (text == NULL || *text < '0' || *text > '9') return false; /* no sign, no space */
    errno = 0;
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') return false;
    *out = (uint64_t)value;
    return true;
}

uint64_t cli_wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); // wall clock: used only to report run time
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool cli_atomic_open(struct cli_atomic_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    size_t len = strlen(path);
    f->path = strdup(path);
    f->tmp_path = malloc(len + 5);
    if (f->path == NULL || f->tmp_path == NULL) {
        cli_atomic_abort(f);
        return false;
    }
    memcpy(f->tmp_path, path, len);
    memcpy(f->tmp_path + len, ".tmp", 5);
    f->file = fopen(f->tmp_path, "w");
    if (f->file == NULL) {
        int saved = errno;
        free(f->path);
        free(f->tmp_path);
        memset(f, 0, sizeof *f);
        errno = saved;
        return false;
    }
    return true;
}

bool cli_atomic_commit(struct cli_atomic_file *f) {
    bool ok = fflush(f->file) == 0 && !ferror(f->file);
    ok = fclose(f->file) == 0 && ok;
    f->file = NULL;
    if (ok) ok = rename(f->tmp_path, f->path) == 0;
    if (!ok) remove(f->tmp_path);
    free(f->path);
    free(f->tmp_path);
    memset(f, 0, sizeof *f);
    return ok;
}

void cli_atomic_abort(struct cli_atomic_file *f) {
    if (f->file != NULL) fclose(f->file);
    if (f->tmp_path != NULL) remove(f->tmp_path);
    free(f->path);
    free(f->tmp_path);
    memset(f, 0, sizeof *f);
}

/* The handler may only call async-signal-safe functions, so the message is
 * composed before the run starts and written with write(2). */
static char crash_message[1024];
static size_t crash_message_len;
static char crash_remove_path[1024]; /* empty: nothing to remove */

static void on_crash(int signo) {
    static const char head[] = "\nfaultline: internal error: fatal signal ";
    char number[4] = {(char)('0' + signo / 10 % 10), (char)('0' + signo % 10), '\n', 0};
    if (crash_remove_path[0] != '\0') unlink(crash_remove_path);
    ssize_t ignored = write(STDERR_FILENO, head, sizeof head - 1);
    ignored = write(STDERR_FILENO, number, 3);
    ignored = write(STDERR_FILENO, crash_message, crash_message_len);
    (void)ignored;
    _exit(FL_EXIT_INTERNAL);
}

void cli_crash_handler_install(const char *context, const char *remove_path) {
    crash_remove_path[0] = '\0';
    if (remove_path != NULL && strlen(remove_path) < sizeof crash_remove_path) {
        memcpy(crash_remove_path, remove_path, strlen(remove_path) + 1);
    }
    int n = snprintf(crash_message, sizeof crash_message, "%s\n", context);
    crash_message_len = n > 0 && (size_t)n < sizeof crash_message ? (size_t)n
                                                                   : sizeof crash_message - 1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_crash;
    sigemptyset(&action.sa_mask);
    action.sa_flags = (int)SA_RESETHAND;
    int signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], &action, NULL);
    }
}

static bool shell_safe(const char *s) {
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("/._-+=:,", c) != NULL;
        if (!ok) return false;
    }
    return true;
}

void cli_replay_command(char *out, size_t out_size, const char *scenario_path, uint64_t seed) {
    if (shell_safe(scenario_path)) {
        snprintf(out, out_size, "faultline replay %s --seed %llu", scenario_path,
                 (unsigned long long)seed);
        return;
    }
    /* Single-quote it, with ' written as '\'' . */
    size_t used = (size_t)snprintf(out, out_size, "faultline replay '");
    for (const char *s = scenario_path; *s && used + 5 < out_size; s++) {
        if (*s == '\'') {
            memcpy(out + used, "'\\''", 4);
            used += 4;
        } else {
            out[used++] = *s;
        }
    }
    snprintf(out + used, out_size - used, "' --seed %llu", (unsigned long long)seed);
}
