# harness: what the CLI test scripts share. Sourced, not run:
#   source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"
#
# Checks the arguments (ROOT, the source tree) and FAULTLINE (the binary, made
# absolute), makes a private temporary directory TMP (removed on exit) with OUT
# and ERR for a command's output, and gives each script the same small TAP-like
# vocabulary: begin NAME; run CMD...; want_* and fail REASON; end. A case prints
# `ok - NAME`, or `not ok - NAME` with its reasons, the command, its exit status
# and its output; `finish` prints `N passed, M failed` and exits 1 if any failed.

harness_name=$(basename "$0" .sh)
if [[ $# -ne 1 || ! -d $1/scenarios ]]; then
    echo "usage: FAULTLINE=/path/to/faultline $0 ROOT  (ROOT: the source tree)" >&2
    exit 2
fi
ROOT=$1
if [[ -z ${FAULTLINE:-} || ! -x $FAULTLINE ]]; then
    echo "$harness_name: set FAULTLINE to the faultline binary (got \"${FAULTLINE:-}\")" >&2
    exit 2
fi
case $FAULTLINE in /*) ;; *) FAULTLINE=$PWD/$FAULTLINE ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/$harness_name.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/stdout
ERR=$TMP/stderr

passed=0
failed=0
case_name=""
reasons=()
status=0
last_command=""

# run CMD...: run a command, keeping its stdout, stderr and exit status.
run() {
    "$@" >"$OUT" 2>"$ERR"
    status=$?
    last_command="$*"
}

begin() {
    case_name=$1
    reasons=()
    last_command=""
    : >"$OUT"
    : >"$ERR"
}

fail() { reasons+=("$1"); }

show() { # show LABEL FILE: the first lines of an output, indented
    if [[ -s $2 ]]; then
        echo "#   $1:"
        head -n 25 "$2" | sed 's/^/#     /'
        local lines
        lines=$(wc -l <"$2")
        ((lines > 25)) && echo "#     ... ($lines lines)"
    else
        echo "#   $1: (empty)"
    fi
}

end() {
    if ((${#reasons[@]} == 0)); then
        echo "ok - $case_name"
        passed=$((passed + 1))
        return
    fi
    echo "not ok - $case_name"
    local reason
    for reason in "${reasons[@]}"; do echo "#   $reason"; done
    if [[ -n $last_command ]]; then
        echo "#   command: $last_command"
        echo "#   exit status: $status"
        show stdout "$OUT"
        show stderr "$ERR"
    fi
    failed=$((failed + 1))
}

want_status() {
    [[ $status -eq $1 ]] || fail "expected exit status $1, got $status"
}

want_stdout() { # fixed string
    grep -qF -- "$1" "$OUT" || fail "expected stdout to contain \"$1\""
}

want_stdout_re() { # extended regular expression
    grep -qE -- "$1" "$OUT" || fail "expected a stdout line matching /$1/"
}

want_stderr() {
    grep -qF -- "$1" "$ERR" || fail "expected stderr to contain \"$1\""
}

# want_refused TEXT: the last command exited 2 with a message on stderr,
# one containing TEXT unless TEXT is empty: bad input is refused, saying why.
want_refused() {
    want_status 2
    [[ -s $ERR ]] || fail "expected a message on stderr"
    [[ -z $1 ]] || want_stderr "$1"
}

# bad_flags COMMAND NAME EXPECTED_STDERR ARGS...: one case, `faultline COMMAND
# ARGS` is refused (want_refused EXPECTED_STDERR).
bad_flags() {
    local command=$1 name=$2 text=$3
    shift 3
    begin "bad flags: $name exits 2"
    run "$FAULTLINE" "$command" "$@"
    want_refused "$text"
    end
}

# field NAME FILE: the value of a top-level scalar in a one-line JSON report.
field() {
    grep -oE "\"$1\":(\"[^\"]*\"|[^,}\"]*)" "$2" | head -n 1 | cut -d: -f2- | tr -d '"'
}

finish() {
    echo "$passed passed, $failed failed"
    ((failed == 0))
    exit $?
}
