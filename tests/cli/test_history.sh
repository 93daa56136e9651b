#!/usr/bin/env bash
# test_history: `faultline run/replay --history FILE`, end to end: the file is
# written whole (FILE.tmp renamed), `faultline lin` reads it back, writing it
# leaves the fingerprint alone, and an unwritable path exits 2. With the raft
# model's scenarios present, a real history round-trips through `faultline lin`.
#
# usage: FAULTLINE=/path/to/faultline bash tests/cli/test_history.sh ROOT
set -u -o pipefail

# shellcheck source=harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

fingerprint_of() { # the "fingerprint" of a run --json output
    sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' "$OUT"
}

begin "a model without operations writes an empty history that lin accepts"
run "$FAULTLINE" run "$ROOT/scenarios/echo/calm.json" --history "$TMP/echo.jsonl"
want_status 0
want_stdout "history      $TMP/echo.jsonl: 0 operations"
[[ -f $TMP/echo.jsonl && ! -s $TMP/echo.jsonl ]] || fail "expected an empty $TMP/echo.jsonl"
[[ ! -e $TMP/echo.jsonl.tmp ]] || fail "the temporary file was left behind"
run "$FAULTLINE" lin "$TMP/echo.jsonl" --model kv
want_status 0
want_stdout ": linearizable"
end

begin "an unwritable history path exits 2 naming it"
run "$FAULTLINE" run "$ROOT/scenarios/echo/calm.json" --history "$TMP/no/such/dir/h.jsonl"
want_status 2
want_stderr "$TMP/no/such/dir/h.jsonl: cannot write the history"
end

begin "--history needs a file name"
run "$FAULTLINE" run "$ROOT/scenarios/echo/calm.json" --history
want_status 2
end

raft=$ROOT/scenarios/raft/partitions.json
if [[ -f $raft ]]; then
    begin "a raft history round-trips through faultline lin, fingerprint unchanged"
    run "$FAULTLINE" run "$raft" --seed 2 --json
    plain=$(fingerprint_of)
    run "$FAULTLINE" run "$raft" --seed 2 --json --history "$TMP/raft.jsonl"
    want_stdout '"history":'
    [[ $(fingerprint_of) == "$plain" && -n $plain ]] || fail "fingerprint differs with --history"
    [[ -s $TMP/raft.jsonl ]] || fail "expected a non-empty history"
    run "$FAULTLINE" lin "$TMP/raft.jsonl" --model kv --json
    want_status 0
    want_stdout '"result":"linearizable"'
    end

    begin "replay --history writes the same history as run"
    run "$FAULTLINE" replay "$raft" --seed 2 --no-trace --history "$TMP/raft-replay.jsonl"
    cmp -s "$TMP/raft.jsonl" "$TMP/raft-replay.jsonl" || fail "the replayed history differs"
    end
else
    echo "# skipping the raft history: no $raft"
fi

finish
