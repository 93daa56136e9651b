#!/usr/bin/env bash
# test_replay: `faultline replay` and --check-determinism, end to end.
#
# What it pins down: a replay is the run it replays (the same result, events and
# fingerprint as `run`, the same exit status) and leaves the whole trace behind
# (trace-SEED.jsonl by default, one line per event, no temporary file);
# --expect-fingerprint passes a matching replay through and fails a different
# one loudly; --check-determinism passes deterministic models and catches
# crashy's nondeterministic variants on exactly the seeds where n1 misbehaves,
# naming the event; bad flags exit 2 with a message naming the flag or file.
#
# usage: FAULTLINE=/path/to/faultline bash tests/cli/test_replay.sh ROOT
# Prints `ok - NAME` or `not ok - NAME` (with the reasons, the exit status and the
# output) per case, then `N passed, M failed`; exits 1 if any case failed.
set -u -o pipefail

# shellcheck source=harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

# Replays write their default trace into the current directory: use our own.
WORK=$TMP/work
mkdir -p "$WORK" && cd "$WORK" || exit 2

line() { # line PREFIX FILE: the human report's line starting with PREFIX
    grep -E "^$1 " "$2" | head -n 1
}

# ---- help ---------------------------------------------------------------------

begin "faultline replay --help exits 0 and prints usage"
run "$FAULTLINE" replay --help
want_status 0
want_stdout "usage: faultline replay"
want_stdout "--expect-fingerprint"
end

begin "faultline help replay prints the same usage"
run "$FAULTLINE" help replay
want_status 0
want_stdout "usage: faultline replay"
end

# ---- a replay is the run it replays -------------------------------------------

echo_partition=$ROOT/scenarios/echo/partition.json
shared=$ROOT/scenarios/echo/shared-buffer.json
mesh=$ROOT/scenarios/gossip/mesh.json
crashy_abort=$ROOT/tests/scenarios/crashy/abort.json

# same_as_run SCENARIO SEED [EXTRA FLAGS]: replay --json against run --json.
same_as_run() {
    local scenario=$1 seed=$2 key run_status
    shift 2
    local rel=${scenario#"$ROOT"/}
    begin "replay $rel --seed $seed $* gives run's result, fingerprint and exit status"
    run "$FAULTLINE" run "$scenario" --seed "$seed" --json "$@"
    run_status=$status
    cp "$OUT" "$TMP/run.json"
    rm -f "trace-$seed.jsonl"
    run "$FAULTLINE" replay "$scenario" --seed "$seed" --json "$@"
    want_status "$run_status"
    for key in result stop fingerprint events messages_sent messages_delivered sim_time_ns; do
        [[ $(field "$key" "$OUT") == "$(field "$key" "$TMP/run.json")" ]] ||
            fail "\"$key\": run says $(field "$key" "$TMP/run.json"), replay $(field "$key" "$OUT")"
    done
    [[ -n $(field fingerprint "$OUT") ]] || fail "no fingerprint in the replay's report"
    [[ $(field trace "$OUT") == "trace-$seed.jsonl" ]] ||
        fail "expected \"trace\":\"trace-$seed.jsonl\" in the report"
    end

    begin "replay $rel --seed $seed $* writes trace-$seed.jsonl, one id line per event"
    local events lines
    events=$(field events "$TMP/run.json")
    if [[ ! -f trace-$seed.jsonl ]]; then
        fail "trace-$seed.jsonl was not written in the current directory"
    else
        lines=$(grep -c '^{"id":' "trace-$seed.jsonl")
        [[ -n $events && $lines -eq $events ]] ||
            fail "the trace has $lines event lines, run reports \"events\":$events"
        grep '^{"id":' "trace-$seed.jsonl" | tail -n 1 | grep -qE '^\{"id":[0-9]+,.*"kind":"end"' ||
            fail "the trace's last event line is not the end record"
    fi
    [[ ! -e trace-$seed.jsonl.tmp ]] || fail "trace-$seed.jsonl.tmp is left behind"
    end
}

same_as_run "$echo_partition" 7
same_as_run "$shared" 1
same_as_run "$mesh" 2
same_as_run "$crashy_abort" 2
same_as_run "$echo_partition" 3 --events-max 500

begin "replay prints run's human report, then where the trace is and how to read it"
run "$FAULTLINE" run "$shared" --seed 1
cp "$OUT" "$TMP/run.txt"
run "$FAULTLINE" replay "$shared" --seed 1
want_status 1
for prefix in scenario seed result events messages fingerprint violation; do
    from_run=$(line "$prefix" "$TMP/run.txt")
    from_replay=$(line "$prefix" "$OUT")
    [[ -n $from_replay && $from_replay == "$from_run" ]] ||
        fail "the \"$prefix\" line differs: run: $from_run; replay: $from_replay"
done
want_stdout_re "^trace +trace-1\.jsonl: [0-9]+ events"
want_stdout "grep '\"kind\":\"violation\"' trace-1.jsonl"
grep -qF '"kind":"violation"' trace-1.jsonl 2>/dev/null ||
    fail "the grep the replay suggests finds no violation in trace-1.jsonl"
end

begin "replay --trace FILE writes FILE and not the default"
rm -f trace-7.jsonl
run "$FAULTLINE" replay "$echo_partition" --seed 7 --trace "$TMP/named trace.jsonl"
want_status 0
[[ -s "$TMP/named trace.jsonl" ]] || fail "the named trace was not written"
[[ ! -e trace-7.jsonl ]] || fail "trace-7.jsonl was written as well"
want_stdout "'$TMP/named trace.jsonl'"
end

begin "replay --no-trace writes no trace"
rm -f trace-7.jsonl
run "$FAULTLINE" replay "$echo_partition" --seed 7 --no-trace
want_status 0
[[ ! -e trace-7.jsonl ]] || fail "trace-7.jsonl was written"
grep -q '^trace ' "$OUT" && fail "a trace line was printed without a trace"
end

# ---- --expect-fingerprint ---------------------------------------------------------

# fingerprint_of SCENARIO SEED: what run --json reports.
fingerprint_of() {
    "$FAULTLINE" run "$1" --seed "$2" --json 2>/dev/null | grep -oE '"fingerprint":"[0-9a-f]{16}"' |
        cut -d'"' -f4
}
fp_pass=$(fingerprint_of "$echo_partition" 7)
fp_fail=$(fingerprint_of "$shared" 1)

begin "--expect-fingerprint with the right value exits 0 for a passing run"
run "$FAULTLINE" replay "$echo_partition" --seed 7 --no-trace --expect-fingerprint "$fp_pass"
want_status 0
grep -qi "not reproduce" "$ERR" "$OUT" && fail "says it does not reproduce"
end

begin "--expect-fingerprint with the right value (upper case) exits 1 for a failing run"
run "$FAULTLINE" replay "$shared" --seed 1 --no-trace --expect-fingerprint "${fp_fail^^}"
want_status 1
grep -qi "not reproduce" "$ERR" "$OUT" && fail "says it does not reproduce"
want_stdout_re "^violation"
end

begin "--expect-fingerprint with a wrong value exits 1 and says it does not reproduce"
wrong=0123456789abcdef
[[ $fp_pass == "$wrong" ]] && wrong=fedcba9876543210
run "$FAULTLINE" replay "$echo_partition" --seed 7 --no-trace --expect-fingerprint "$wrong"
want_status 1
want_stderr "does NOT reproduce"
want_stderr "$wrong"
want_stderr "$fp_pass"
want_stderr "--check-determinism"
end

begin "--expect-fingerprint with a wrong value: --json says \"reproduced\":false"
run "$FAULTLINE" replay "$echo_partition" --seed 7 --no-trace --json --expect-fingerprint "$wrong"
want_status 1
[[ $(field reproduced "$OUT") == false ]] || fail "expected \"reproduced\":false"
[[ $(field expected_fingerprint "$OUT") == "$wrong" ]] ||
    fail "expected \"expected_fingerprint\":\"$wrong\""
end

# ---- --check-determinism --------------------------------------------------------------

for scenario in "$echo_partition" "$ROOT/scenarios/echo/lossy.json" "$mesh"; do
    rel=${scenario#"$ROOT"/}
    begin "run $rel --check-determinism passes"
    run "$FAULTLINE" run "$scenario" --seed 2 --check-determinism
    want_status 0
    grep -q nondeterministic "$OUT" && fail "flagged as nondeterministic"
    want_stdout_re "^determinism "
    end
done

begin "replay --check-determinism --json of a deterministic run has no divergence"
run "$FAULTLINE" replay "$echo_partition" --seed 5 --check-determinism --json --no-trace
want_status 0
[[ $(field result "$OUT") == pass ]] || fail "expected \"result\":\"pass\""
grep -qF '"nondeterministic"' "$OUT" && fail "a \"nondeterministic\" key"
end

# The seeds where crashy's n1 misbehaves are those whose trace has the
# annotation; the same draw decides it in every variant.
uninitialized=$ROOT/tests/scenarios/crashy/uninitialized.json
address=$ROOT/tests/scenarios/crashy/address.json
misbehaving=()
calm=()
for seed in $(seq 1 12); do
    "$FAULTLINE" run "$uninitialized" --seed "$seed" --trace "$TMP/probe.jsonl" >/dev/null 2>&1
    if grep -q '"kind":"annotate".*misbehaving now' "$TMP/probe.jsonl" 2>/dev/null; then
        misbehaving+=("$seed")
    else
        calm+=("$seed")
    fi
done
begin "crashy misbehaves on some seeds 1..12 and not on others"
((${#misbehaving[@]} >= 2)) || fail "misbehaving seeds: ${misbehaving[*]:-none}"
((${#calm[@]} >= 1)) || fail "no seed where nothing misbehaves"
end

for scenario in "$uninitialized" "$address"; do
    rel=${scenario#"$ROOT"/}
    for seed in "${misbehaving[@]:0:3}"; do
        begin "run $rel --seed $seed --check-determinism: nondeterministic, names the event"
        run "$FAULTLINE" run "$scenario" --seed "$seed" --check-determinism
        want_status 1
        want_stdout_re "^result +FAIL +\(nondeterministic"
        want_stdout "nondeterministic: seed $seed of $scenario"
        want_stdout_re "first divergence at event [1-9][0-9]*"
        want_stdout_re '^  run 1: \{"id":[0-9]+'
        want_stdout_re '^  run 2: \{"id":[0-9]+'
        want_stdout "--check-determinism"
        end
    done
    seed=${misbehaving[0]}
    begin "replay $rel --seed $seed --check-determinism --json: \"reason\":\"nondeterministic\""
    run "$FAULTLINE" replay "$scenario" --seed "$seed" --check-determinism --json --no-trace
    want_status 1
    [[ $(field result "$OUT") == fail ]] || fail "expected \"result\":\"fail\""
    [[ $(field reason "$OUT") == nondeterministic ]] ||
        fail "expected \"reason\":\"nondeterministic\""
    for key in '"event":[1-9]' '"fingerprint_first":"[0-9a-f]{16}"' \
        '"fingerprint_second":"[0-9a-f]{16}"' '"first":"\{\\"id\\":' '"second":"\{\\"id\\":'; do
        grep -qE "\"nondeterministic\":\\{.*$key" "$OUT" ||
            fail "the \"nondeterministic\" object lacks /$key/"
    done
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT" 2>/dev/null ||
            fail "stdout is not valid JSON"
    fi
    end
    for seed in "${calm[@]:0:2}"; do
        begin "run $rel --seed $seed --check-determinism: nothing misbehaves, passes"
        run "$FAULTLINE" run "$scenario" --seed "$seed" --check-determinism
        want_status 0
        grep -q nondeterministic "$OUT" && fail "flagged as nondeterministic"
        end
    done
done

# ---- bad flags: exit 2 --------------------------------------------------------------

# bad_replay_flags NAME EXPECTED_STDERR ARGS...: `faultline replay ARGS` is
# refused (want_refused) and writes no trace.
bad_replay_flags() {
    local name=$1 text=$2
    shift 2
    begin "bad flags: $name exits 2"
    rm -f trace-*.jsonl
    run "$FAULTLINE" replay "$@"
    want_refused "$text"
    compgen -G 'trace-*.jsonl*' >/dev/null && fail "a trace file was written"
    end
}

bad_replay_flags "no scenario" "SCENARIO" --seed 1
bad_replay_flags "no --seed" "--seed" "$echo_partition"
bad_replay_flags "--seed abc" "abc" "$echo_partition" --seed abc
bad_replay_flags "--seed -1" "-1" "$echo_partition" --seed -1
bad_replay_flags "--seed with no value" "--seed" "$echo_partition" --seed
bad_replay_flags "--seed given twice" "--seed" "$echo_partition" --seed 1 --seed 2
bad_replay_flags "an unknown option --sede 3" "--sede" "$echo_partition" --sede 3
bad_replay_flags "two scenario paths" "" "$echo_partition" "$echo_partition" --seed 1
bad_replay_flags "--expect-fingerprint with 15 digits" "--expect-fingerprint" \
    "$echo_partition" --seed 1 --expect-fingerprint 0123456789abcde
bad_replay_flags "--expect-fingerprint not hex" "xyz" "$echo_partition" --seed 1 \
    --expect-fingerprint 0123456789abcxyz
bad_replay_flags "--expect-fingerprint with no value" "--expect-fingerprint" \
    "$echo_partition" --seed 1 --expect-fingerprint
bad_replay_flags "--trace and --no-trace" "--no-trace" "$echo_partition" --seed 1 --trace t.jsonl \
    --no-trace
bad_replay_flags "--events-max 0" "--events-max" "$echo_partition" --seed 1 --events-max 0
bad_replay_flags "a missing scenario file" "$TMP/no-such.json" "$TMP/no-such.json" --seed 1
bad_replay_flags "--trace into a missing directory" "/nonexistent-dir/t.jsonl" \
    "$echo_partition" --seed 1 --trace /nonexistent-dir/t.jsonl

begin "bad flags: run --check-determinism=yes exits 2"
run "$FAULTLINE" run "$echo_partition" --check-determinism=yes
want_status 2
want_stderr "--check-determinism=yes"
end

finish
