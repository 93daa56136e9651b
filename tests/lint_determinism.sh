#!/usr/bin/env bash
# lint_determinism: the engine and the models must not read host nondeterminism.
#
# A run is a function of (scenario, seed): nothing under sim/ or models/ may read
# the host clock, call libc randomness, ask for the process id, or print a pointer
# value (%p differs between runs under ASLR). Nodes get time and randomness from
# the service API: fl_mono_ns / fl_wall_ns and fl_random / fl_random_below.
# sim/cli/ is exempt: the CLI reads the host clock to report how long a run took.
#
# This is a grep, not a parser: it finds the obvious leaks, the ones a reviewer
# misses in a long diff. Comments are stripped first (// and /* */, tracked
# across lines), string literals are blanked for the call check and are the
# only place searched for %p.
#
# usage: lint_determinism.sh ROOT          self-test, then check ROOT/sim and ROOT/models
#        lint_determinism.sh --self-test   only prove that the lint can fail
#        lint_determinism.sh --check ROOT  only check ROOT (no self-test)
# exit status: 0 clean, 1 offending calls found (or the self-test failed),
#              2 usage error.
set -u -o pipefail

# A name at a word start, not a member (s.time(), s->time() are the model's own).
readonly CALLS_RE='(^|[^[:alnum:]_.>]|[^-]>)(time|clock_gettime|gettimeofday|clock|rand|srand|random|srandom|rand_r|drand48|lrand48|getpid|arc4random|getrandom)[[:space:]]*\('
readonly POINTER_RE='(^|[^%])%[-+ #0]*[0-9]*p'

usage() {
    echo "usage: $0 ROOT | --self-test | --check ROOT" >&2
    exit 2
}

# strip MODE FILE: print FILE with comments removed, one output line per input
# line (so line numbers survive). MODE code: string and character literals are
# emptied; MODE strings: only the contents of string literals are kept.
strip() {
    awk -v mode="$1" '
    BEGIN { in_block = 0 }
    {
        line = $0; out = ""; n = length(line); i = 1
        while (i <= n) {
            c = substr(line, i, 1); c2 = substr(line, i, 2)
            if (in_block) {
                if (c2 == "*/") { in_block = 0; i += 2 } else { i++ }
                continue
            }
            if (c2 == "/*") { in_block = 1; out = out " "; i += 2; continue }
            if (c2 == "//") break
            if (c == "\"" || c == "'\''") {
                quote = c; lit = ""; i++
                while (i <= n) {
                    d = substr(line, i, 1)
                    if (d == "\\") { lit = lit substr(line, i, 2); i += 2; continue }
                    if (d == quote) { i++; break }
                    lit = lit d; i++
                }
                if (mode == "code") out = out quote quote
                else if (quote == "\"") out = out " \"" lit "\""
                continue
            }
            if (mode == "code") out = out c
            i++
        }
        print out
    }' "$2"
}

# check ROOT: print each offending FILE:LINE with a hint; 0 if none, 1 otherwise.
check() {
    local root=$1
    if [[ ! -d $root/sim || ! -d $root/models ]]; then
        echo "lint_determinism: $root has no sim/ and models/ directories" >&2
        return 2
    fi
    local files=() file rel hits count=0 bad=0
    while IFS= read -r -d '' file; do
        files+=("$file")
    done < <(find "$root/sim" "$root/models" -path "$root/sim/cli" -prune -o \
                  -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
    for file in "${files[@]}"; do
        count=$((count + 1))
        rel=${file#"$root"/}
        hits=$(strip code "$file" | grep -nE "$CALLS_RE") || true
        if [[ -n $hits ]]; then
            bad=1
            while IFS= read -r hit; do
                echo "$rel:${hit%%:*}: host nondeterminism: ${hit#*:}"
                echo "    hint: use the node's fl_mono_ns/fl_wall_ns for time and fl_random/fl_random_below for randomness instead"
            done <<<"$hits"
        fi
        hits=$(strip strings "$file" | grep -nE "$POINTER_RE") || true
        if [[ -n $hits ]]; then
            bad=1
            while IFS= read -r hit; do
                echo "$rel:${hit%%:*}: %p in a format string:${hit#*:}"
                echo "    hint: pointer values change from run to run; print a node name or an id instead"
            done <<<"$hits"
        fi
    done
    # Models see only the public service API: no engine internals, no embedding API.
    hits=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*sim[/_][^"]*|\.\./[^"]*|faultline/faultline\.h)"' \
               --include='*.c' --include='*.h' "$root/models" | sed "s|^$root/||") || true
    if [[ -n $hits ]]; then
        bad=1
        while IFS= read -r hit; do
            echo "$hit: a model includes something other than faultline/service.h and its own headers"
            echo "    hint: models use only the public service API, so they build against any runtime"
        done <<<"$hits"
    fi
    if ((bad)); then
        echo "lint_determinism: FAILED: host nondeterminism in $root (sim/cli/ excepted)"
        return 1
    fi
    echo "lint_determinism: clean ($count files)"
    return 0
}

# self_test: the lint must flag a planted rand() call and pass a file that only
# mentions time() in a comment.
self_test() {
    local tmp status=0 out
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/lint_determinism.XXXXXX") || return 1
    mkdir -p "$tmp/bad/sim" "$tmp/bad/models" "$tmp/good/sim/cli" "$tmp/good/models"
    printf 'int f(void) {\n    int x;\n    x = rand();\n    return x;\n}\n' >"$tmp/bad/sim/bad.c"
    printf '/* Never call time() here: the clock is fl_mono_ns. */\n' >"$tmp/good/models/ok.c"
    printf '#include "faultline/service.h"\n#include "ok.h"\n' >>"$tmp/good/models/ok.c"
    mkdir -p "$tmp/bad/models/m"
    printf '#include "../../sim/sim_internal.h"\n' >"$tmp/bad/models/m/sneaky.c"
    # The CLI is exempt: a host clock read there is allowed.
    printf 'long t(void) { return time(0); }\n' >"$tmp/good/sim/cli/main.c"

    out=$(check "$tmp/bad" 2>&1)
    if [[ $? -eq 1 && $out == *"sim/bad.c:3:"* && $out == *"models/m/sneaky.c:1:"* ]]; then
        echo "lint_determinism: self-test: flags rand() in sim/bad.c and an engine header in a model: ok"
    else
        echo "lint_determinism: self-test FAILED: rand() in sim/bad.c was not flagged at line 3:"
        echo "$out"
        status=1
    fi
    if out=$(check "$tmp/good" 2>&1); then
        echo "lint_determinism: self-test: passes a comment mentioning time(): ok"
    else
        echo "lint_determinism: self-test FAILED: a comment mentioning time() was flagged:"
        echo "$out"
        status=1
    fi
    rm -rf "$tmp"
    return $status
}

case "${1:-}" in
    --self-test)
        [[ $# -eq 1 ]] || usage
        self_test
        exit $?
        ;;
    --check)
        [[ $# -eq 2 ]] || usage
        check "$2"
        exit $?
        ;;
    "" | -*)
        usage
        ;;
    *)
        [[ $# -eq 1 ]] || usage
        self_test || exit 1
        check "$1"
        exit $?
        ;;
esac
