#!/usr/bin/env bash
# test_sweep: `faultline sweep` and `faultline merge`, end to end.
#
# What it pins down: a seed's record is the one `faultline run --seed N --json`
# gives and does not depend on -j; a seed that segfaults, aborts, hangs, livelocks
# or runs out of memory fails with the right result and reason on exactly the seeds
# where `faultline run` misbehaves, and the others pass; the shards of a range,
# merged, equal the unsharded report; a sweep interrupted (SIGINT) or killed
# (SIGKILL) and resumed equals one that was not; --fail-fast stops early; bad flags
# and bad reports exit 2 naming what is wrong; JUnit output is well-formed XML.
#
# Reports are compared with their wall times removed: nothing else may differ.
#
# usage: FAULTLINE=/path/to/faultline bash tests/cli/test_sweep.sh ROOT
# Prints `ok - NAME` or `not ok - NAME` (with the reasons, the exit status and the
# output) per case, then `N passed, M failed`; exits 1 if any case failed.
set -u -o pipefail

# shellcheck source=harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

# Under the sanitizers, a bad access or an out-of-memory must end in SIGABRT (as a
# failed assertion does), not in exit(1), which would look like a failed check.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}abort_on_error=1
sanitized=0
grep -qa __ubsan_handle "$FAULTLINE" && sanitized=1

if command -v python3 >/dev/null 2>&1; then
    have_python=1
else
    have_python=0
    echo "# python3 not found: comparing reports as text, skipping the JSON and XML checks"
fi

# strip FILE: the report without its wall times (the one thing allowed to differ).
strip() {
    sed -E 's/"wall_time_ns":[0-9]+//g' "$1"
}

# same_report A B: fail unless the reports are equal but for wall times.
same_report() {
    if [[ ! -s $1 || ! -s $2 ]]; then
        fail "a report to compare is missing or empty: $1 $2"
    elif ! diff <(strip "$1") <(strip "$2") >"$TMP/diff"; then
        fail "$(basename "$1") and $(basename "$2") differ beyond wall times: $(head -c 600 "$TMP/diff")"
    fi
}

# summary_field FILE KEY: a scalar of the report's summary (its last line).
summary_field() {
    tail -n 1 "$1" | grep -oE "\"$2\":(\"[^\"]*\"|[^,}\"]*)" | head -n 1 | cut -d: -f2- | tr -d '"'
}

# record FILE SEED: the record line of one seed.
record() {
    grep -E "^\{\"seed\":$2," "$1"
}

# record_field FILE SEED KEY: a scalar of one seed's record.
record_field() {
    record "$1" "$2" | grep -oE "\"$3\":(\"[^\"]*\"|[^,}\"]*)" | head -n 1 | cut -d: -f2- |
        tr -d '"'
}

# json_check FILE: every line is a JSON object, records sorted by seed, summary last.
json_check() {
    ((have_python)) || return 0
    python3 - "$1" <<'EOF' 2>"$TMP/json_error" || fail "$(basename "$1"): $(tail -n 1 "$TMP/json_error")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objects = [json.loads(line) for line in lines]
assert objects and objects[-1].get("summary") is True, "the last line is not the summary"
seeds = [o["seed"] for o in objects[:-1]]
assert seeds == sorted(set(seeds)), "records are not sorted by seed, or repeat one"
assert objects[-1]["total"] == len(seeds), "the summary's total is not the record count"
EOF
}

scenario_crashy=$ROOT/tests/scenarios/crashy
partition=$ROOT/scenarios/echo/partition.json
shared=$ROOT/scenarios/echo/shared-buffer.json

# ---- usage and bad flags ---------------------------------------------------------

begin "sweep --help and merge --help exit 0 with usage"
run "$FAULTLINE" sweep --help
want_status 0
want_stdout "usage: faultline sweep"
want_stdout "--shard K/N"
run "$FAULTLINE" merge --help
want_status 0
want_stdout "usage: faultline merge"
end

bad_flags sweep "no scenario" "missing SCENARIO" --seeds 1..3
bad_flags sweep "no seeds" "--seeds" "$partition"
bad_flags sweep "--seeds 5..1" "5..1" "$partition" --seeds 5..1
bad_flags sweep "--seeds abc" "abc" "$partition" --seeds abc
bad_flags sweep "--seeds 1.." "1.." "$partition" --seeds 1..
bad_flags sweep "--seeds -1..3" "-1..3" "$partition" --seeds -1..3
bad_flags sweep "--seeds 0..18446744073709551616" "18446744073709551616" "$partition" \
    --seeds 0..18446744073709551616
bad_flags sweep "--seeds with no value" "--seeds" "$partition" --seeds
bad_flags sweep "--count 0" "--count" "$partition" --count 0
bad_flags sweep "--seeds and --count" "--count" "$partition" --seeds 1..3 --count 3
bad_flags sweep "--seed-base without --count" "--seed-base" "$partition" --seeds 1..3 --seed-base 4
bad_flags sweep "-j 0" "-j" "$partition" --seeds 1..3 -j 0
bad_flags sweep "-j x" "\"x\"" "$partition" --seeds 1..3 -j x
bad_flags sweep "--shard 3/3" "--shard" "$partition" --seeds 1..3 --shard 3/3
bad_flags sweep "--shard 1" "--shard" "$partition" --seeds 1..3 --shard 1
bad_flags sweep "--shard 0/0" "--shard" "$partition" --seeds 1..3 --shard 0/0
bad_flags sweep "--wall-max 0" "--wall-max" "$partition" --seeds 1..3 --wall-max 0
bad_flags sweep "--mem-max 1.5" "1.5" "$partition" --seeds 1..3 --mem-max 1.5
bad_flags sweep "--events-max 0" "--events-max" "$partition" --seeds 1..3 --events-max 0
bad_flags sweep "an unknown option --sede" "--sede" "$partition" --seeds 1..3 --sede 3
bad_flags sweep "two scenarios" "unexpected argument" "$partition" "$partition" --seeds 1..3
bad_flags sweep "--out into a missing directory" "/nonexistent-dir/r.jsonl" \
    "$partition" --seeds 1..3 --out /nonexistent-dir/r.jsonl
bad_flags sweep "--junit into a missing directory" "/nonexistent-dir/j.xml" \
    "$partition" --seeds 1..3 --junit /nonexistent-dir/j.xml
bad_flags sweep "--out and --junit the same file" "$TMP/same" \
    "$partition" --seeds 1..3 --out "$TMP/same" --junit "$TMP/same"
bad_flags sweep "a missing scenario" "$TMP/missing.json" "$TMP/missing.json" --seeds 1..3

# ---- a seed's record is its run's, whatever -j -----------------------------------

begin "-j 1 and -j 2 give the same report (wall times aside)"
run "$FAULTLINE" sweep "$partition" --seeds 1..12 -j 1 --out "$TMP/j1.jsonl" --quiet
want_status 0
run "$FAULTLINE" sweep "$partition" --seeds 1..12 -j 2 --out "$TMP/j2.jsonl" --quiet
want_status 0
same_report "$TMP/j1.jsonl" "$TMP/j2.jsonl"
json_check "$TMP/j2.jsonl"
[[ ! -e $TMP/j2.jsonl.tmp ]] || fail "the journal j2.jsonl.tmp was left behind"
[[ $(summary_field "$TMP/j2.jsonl" total) == 12 ]] || fail "expected \"total\":12"
end

# same_as_run REPORT SCENARIO SEED [RUN ARGS...]: the seed's record has the keys and
# values `faultline run --json` gives for it.
same_as_run() {
    local report=$1 scenario=$2 seed=$3
    shift 3
    "$FAULTLINE" run "$scenario" --seed "$seed" --json "$@" >"$TMP/run.json" 2>"$TMP/run.err"
    record "$report" "$seed" >"$TMP/record.json"
    if ((have_python)); then
        python3 - "$TMP/run.json" "$TMP/record.json" <<'EOF' 2>"$TMP/cmp_error" ||
import json, sys
run, rec = (json.load(open(p)) for p in sys.argv[1:3])
keys = ["seed", "result", "stop", "violations", "fingerprint", "events", "messages_sent",
        "messages_delivered", "messages_dropped", "sim_time_ns"]
diff = [k for k in keys if run.get(k) != rec.get(k)]
assert not diff, "differ in %s: run %s, sweep %s" % (
    diff, [run.get(k) for k in diff], [rec.get(k) for k in diff])
EOF
            fail "seed $seed: $(tail -n 1 "$TMP/cmp_error")"
    else
        local key
        for key in result fingerprint events messages_sent messages_delivered messages_dropped \
            sim_time_ns; do
            [[ $(record_field "$report" "$seed" "$key") == $(grep -oE "\"$key\":(\"[^\"]*\"|[^,}\"]*)" \
                "$TMP/run.json" | head -n 1 | cut -d: -f2- | tr -d '"') ]] ||
                fail "seed $seed: \"$key\" differs from run --json"
        done
    fi
}

begin "each seed's record equals faultline run --seed N --json (partition, seeds 1 5 12)"
for seed in 1 5 12; do same_as_run "$TMP/j2.jsonl" "$partition" $seed; done
end

begin "a failing scenario: records equal run --json, violations included, exit 1"
run "$FAULTLINE" sweep "$shared" --seeds 1..3 -j 2 --out "$TMP/shared.jsonl" --quiet
want_status 1
want_stdout "echo.reply_matches"
for seed in 1 2 3; do same_as_run "$TMP/shared.jsonl" "$shared" $seed; done
json_check "$TMP/shared.jsonl"
end

begin "seeds near 2^64 are written and read back exactly"
run "$FAULTLINE" sweep "$partition" --seeds 18446744073709551612..18446744073709551615 \
    --shard 1/2 --out "$TMP/big.jsonl" --quiet
want_status 0
record "$TMP/big.jsonl" 18446744073709551613 >/dev/null || fail "no record of seed 18446744073709551613"
record "$TMP/big.jsonl" 18446744073709551615 >/dev/null || fail "no record of seed 18446744073709551615"
[[ $(grep -c '"seed":' "$TMP/big.jsonl") == 2 ]] || fail "expected 2 records (shard 1/2 of 4 seeds)"
same_as_run "$TMP/big.jsonl" "$partition" 18446744073709551615
end

begin "without a terminal the progress is plain lines, never redrawn with \\r"
run "$FAULTLINE" sweep "$partition" --seeds 1..4
want_status 0
! grep -q $'\r' "$ERR" || fail "stderr has a carriage return"
end

# ---- crashy: each way a seed can go wrong ---------------------------------------

# misbehaving VARIANT [WRAPPER...]: the seeds 1..20 where `faultline run` of that
# seed (run under WRAPPER, if any) exits with a status other than 0, as SEED:STATUS
# (run exits 3 on a crash).
misbehaving() {
    local variant=$1 seed list=""
    shift
    for seed in $(seq 1 20); do
        "$@" "$FAULTLINE" run "$scenario_crashy/$variant.json" --seed "$seed" >/dev/null 2>&1
        local code=$?
        if ((code != 0)); then list+="$seed:$code "; fi
    done
    echo "$list"
}

# failing_seeds REPORT RESULT: the seeds whose record has that result.
failing_seeds() {
    grep -oE "^\{\"seed\":[0-9]+,\"result\":\"$2\"" "$1" | grep -oE '[0-9]+' | tr '\n' ' '
}

# check_crashy VARIANT RESULT REASON_RE EXPECTED_RUN_STATUS_RE REPORT RUN_SEEDS
check_crashy() {
    local variant=$1 result=$2 reason_re=$3 run_status_re=$4 report=$5 run_seeds=$6
    local expected="" item seed code
    for item in $run_seeds; do
        seed=${item%%:*}
        code=${item#*:}
        [[ $code =~ ^($run_status_re)$ ]] ||
            fail "faultline run of seed $seed exited $code, expected /$run_status_re/"
        expected+="$seed "
    done
    [[ -n $expected ]] || fail "no seed of 1..20 misbehaved under faultline run"
    local got
    got=$(failing_seeds "$report" "$result")
    [[ $got == "$expected" ]] || fail "seeds with \"result\":\"$result\": [$got], expected [$expected]"
    local others
    others=$(grep -cE '"result":"pass"' "$report")
    ((others + $(wc -w <<<"$expected") == 20)) || fail "the other seeds did not all pass"
    for seed in $expected; do
        [[ $(record_field "$report" "$seed" reason) =~ ^($reason_re)$ ]] ||
            fail "seed $seed: reason \"$(record_field "$report" "$seed" reason)\", expected /$reason_re/"
    done
}

# A sanitizer turns a bad access into SIGABRT before the kernel can send SIGSEGV.
segv_re='signal 11 \(SIGSEGV\)'
((sanitized)) && segv_re='signal 11 \(SIGSEGV\)|signal 6 \(SIGABRT\)'

begin "crashy segfault: crash with SIGSEGV on exactly the seeds run crashes on (exit 3)"
run "$FAULTLINE" sweep "$scenario_crashy/segfault.json" --seeds 1..20 -j 2 --out "$TMP/segfault.jsonl"
want_status 1
segfault_seeds=$(misbehaving segfault)
check_crashy segfault crash "$segv_re" 3 "$TMP/segfault.jsonl" "$segfault_seeds"
first=${segfault_seeds%%:*}
want_stdout "faultline replay $scenario_crashy/segfault.json --seed $first"
json_check "$TMP/segfault.jsonl"
end

begin "crashy abort: crash with SIGABRT on exactly the seeds run crashes on (exit 3)"
run "$FAULTLINE" sweep "$scenario_crashy/abort.json" --seeds 1..20 -j 2 --out "$TMP/abort.jsonl" \
    --junit "$TMP/abort.xml"
want_status 1
abort_seeds=$(misbehaving abort)
check_crashy abort crash 'signal 6 \(SIGABRT\)' 3 "$TMP/abort.jsonl" "$abort_seeds"
want_stdout "signal 6 (SIGABRT)"
end

begin "crashy livelock: fail with engine.budget where run fails (--events-max 100000)"
run "$FAULTLINE" sweep "$scenario_crashy/livelock.json" --seeds 1..20 -j 2 --events-max 100000 \
    --out "$TMP/livelock.jsonl"
want_status 1
livelock_seeds=""
for seed in $(seq 1 20); do
    "$FAULTLINE" run "$scenario_crashy/livelock.json" --seed "$seed" --events-max 100000 \
        >/dev/null 2>&1
    code=$?
    ((code != 0)) && livelock_seeds+="$seed:$code "
done
check_crashy livelock fail '' 1 "$TMP/livelock.jsonl" "$livelock_seeds"
for item in $livelock_seeds; do
    record "$TMP/livelock.jsonl" "${item%%:*}" | grep -qF '"check":"engine.budget"' ||
        fail "seed ${item%%:*}: no engine.budget violation"
done
want_stdout "engine.budget"
want_stdout "--events-max 100000"
end

begin "crashy loop: timeout after --wall-max 2 where run hangs"
run "$FAULTLINE" sweep "$scenario_crashy/loop.json" --seeds 1..20 -j 2 --wall-max 2 \
    --out "$TMP/loop.jsonl" --quiet
want_status 1
# run of a hanging seed never ends: give each 1 s, all at once.
for seed in $(seq 1 20); do
    (timeout -s KILL 1 "$FAULTLINE" run "$scenario_crashy/loop.json" --seed "$seed" >/dev/null 2>&1
     echo "$?" >"$TMP/loop.$seed") 2>/dev/null &
done
wait 2>/dev/null
loop_seeds=""
for seed in $(seq 1 20); do
    code=$(cat "$TMP/loop.$seed")
    ((code != 0)) && loop_seeds+="$seed:$code "
done
check_crashy loop timeout timeout 137 "$TMP/loop.jsonl" "$loop_seeds"
end

begin "crashy oom: memory with --mem-max 512 where run runs out of memory"
run "$FAULTLINE" sweep "$scenario_crashy/oom.json" --seeds 1..20 -j 2 --mem-max 512 \
    --out "$TMP/oom.jsonl" --quiet
want_status 1
if ((sanitized)); then
    # A sanitizer cannot start under ulimit -v; n1 draws whether to misbehave
    # the same way in every variant, so abort's seeds are oom's.
    echo "# sanitizer build: oom's misbehaving seeds taken from the abort variant's"
    oom_seeds=$abort_seeds
else
    oom_seeds=$(misbehaving oom bash -c 'ulimit -v 524288 && exec "$@"' limit)
fi
check_crashy oom memory memory 3 "$TMP/oom.jsonl" "$oom_seeds"
want_stdout "memory (over --mem-max 512 MiB)"
end

begin "every crashy variant misbehaves on the same seeds"
for seeds in "$abort_seeds" "$livelock_seeds" "$loop_seeds" "$oom_seeds"; do
    [[ $(sed -E 's/:[0-9]+//g' <<<"$seeds") == $(sed -E 's/:[0-9]+//g' <<<"$segfault_seeds") ]] ||
        fail "seeds [$seeds] differ from segfault's [$segfault_seeds]"
done
end

# ---- JUnit -------------------------------------------------------------------------

# junit_check FILE TESTS FAILURES: well-formed XML with those counts.
junit_check() {
    if ((!have_python)); then
        echo "# python3 not found: skipping the XML check of $(basename "$1")"
        return
    fi
    python3 - "$@" <<'EOF' 2>"$TMP/xml_error" || fail "$(basename "$1"): $(tail -n 1 "$TMP/xml_error")"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall("testsuite")
assert len(suites) == 1, "expected one <testsuite>"
cases = suites[0].findall("testcase")
failures = [c for c in cases if c.find("failure") is not None]
assert len(cases) == int(sys.argv[2]), "%d test cases, expected %s" % (len(cases), sys.argv[2])
assert len(failures) == int(sys.argv[3]), "%d failures, expected %s" % (len(failures), sys.argv[3])
for c in failures:
    assert "faultline replay" in c.find("failure").text, "a failure lacks the replay command"
EOF
}

begin "JUnit: one failing test case per reason, with seeds and the replay command"
junit_check "$TMP/abort.xml" 1 1
grep -qF 'name="signal 6 (SIGABRT)"' "$TMP/abort.xml" || fail "no test case named after the reason"
end

odd=$TMP/"r&d <1> 'x'.json"
cp "$scenario_crashy/abort.json" "$odd"
begin "JUnit: a passing sweep has one passing test case; names are escaped"
run "$FAULTLINE" sweep "$odd" --seeds 2..2 --junit "$TMP/pass.xml" --quiet
want_status 0
junit_check "$TMP/pass.xml" 1 0
grep -qF 'name="seeds"' "$TMP/pass.xml" || fail "no test case \"seeds\""
grep -qF 'r&amp;d &lt;1&gt; &apos;x&apos;' "$TMP/pass.xml" || fail "the scenario path is not escaped"
run "$FAULTLINE" sweep "$odd" --seeds 1..3 --junit "$TMP/odd.xml" --quiet
want_status 1
junit_check "$TMP/odd.xml" 1 1
end

# ---- --fail-fast --------------------------------------------------------------------

begin "--fail-fast stops at the first failing seed"
run "$FAULTLINE" sweep "$scenario_crashy/abort.json" --seeds 1..200 -j 1 --fail-fast \
    --out "$TMP/fast.jsonl" --quiet
want_status 1
total=$(summary_field "$TMP/fast.jsonl" total)
[[ $total == 1 ]] || fail "expected 1 seed run (-j 1, seed 1 fails), got \"$total\""
[[ $(summary_field "$TMP/fast.jsonl" fail_fast) == true ]] || fail "expected \"fail_fast\":true"
run "$FAULTLINE" sweep "$scenario_crashy/abort.json" --seeds 1..200 -j 2 --fail-fast \
    --out "$TMP/fast2.jsonl" --quiet
want_status 1
total=$(summary_field "$TMP/fast2.jsonl" total)
[[ -n $total ]] && ((total < 20)) || fail "-j 2: expected a few seeds run, got \"$total\""
end

# ---- shards and merge ---------------------------------------------------------------

swarm=$ROOT/scenarios/echo/swarm.json
[[ -f $swarm ]] || swarm=$partition
begin "shards 0/3 1/3 2/3 select strided seeds; merged they equal the unsharded report"
run "$FAULTLINE" sweep "$swarm" --seeds 1..12 -j 2 --out "$TMP/whole.jsonl" --quiet
want_status 0
for k in 0 1 2; do
    run "$FAULTLINE" sweep "$swarm" --seeds 1..12 --shard $k/3 -j 2 --out "$TMP/shard$k.jsonl" --quiet
    want_status 0
done
seeds=$(grep -oE '^\{"seed":[0-9]+' "$TMP/shard1.jsonl" | grep -oE '[0-9]+' | tr '\n' ' ')
[[ $seeds == "2 5 8 11 " ]] || fail "shard 1/3 of 1..12 ran [$seeds], expected [2 5 8 11]"
[[ $(summary_field "$TMP/shard1.jsonl" shard) == 1/3 ]] || fail "expected \"shard\":\"1/3\""
run "$FAULTLINE" merge "$TMP/shard2.jsonl" "$TMP/shard0.jsonl" "$TMP/shard1.jsonl" \
    --out "$TMP/merged.jsonl" --junit "$TMP/merged.xml"
want_status 0
same_report "$TMP/whole.jsonl" "$TMP/merged.jsonl"
junit_check "$TMP/merged.xml" 1 0
end

begin "merge: the shards of a failing sweep equal it, and the summary is the same"
for k in 0 1; do
    run "$FAULTLINE" sweep "$scenario_crashy/abort.json" --seeds 1..20 --shard $k/2 -j 2 \
        --out "$TMP/ashard$k.jsonl" --quiet
    want_status 1
done
run "$FAULTLINE" merge "$TMP/ashard0.jsonl" "$TMP/ashard1.jsonl" --out "$TMP/amerged.jsonl"
want_status 1
same_report "$TMP/abort.jsonl" "$TMP/amerged.jsonl"
want_stdout "faultline replay $scenario_crashy/abort.json --seed ${abort_seeds%%:*}"
end

begin "merge: a missing shard fails the merge, naming the shard and the gap"
run "$FAULTLINE" merge "$TMP/shard0.jsonl" "$TMP/shard2.jsonl"
want_status 1
want_stderr "shard 1/3 of seeds 1..12 is missing"
want_stderr "cover 8 of the 12 planned seeds"
want_stderr "--allow-partial"
end

begin "merge --allow-partial: a missing shard is allowed, the seeds present decide"
run "$FAULTLINE" merge "$TMP/shard0.jsonl" "$TMP/shard2.jsonl" --allow-partial
want_status 0
want_stderr "allowed by --allow-partial"
end

begin "merge: the same seed twice with the same record is fine"
run "$FAULTLINE" merge "$TMP/whole.jsonl" "$TMP/shard1.jsonl" --out "$TMP/twice.jsonl"
want_status 0
same_report "$TMP/whole.jsonl" "$TMP/twice.jsonl"
end

sed -E '0,/"fingerprint":"[0-9a-f]+"/s//"fingerprint":"0000000000000000"/' "$TMP/shard1.jsonl" \
    >"$TMP/conflict.jsonl"
begin "merge: one seed with two different records exits 2 naming both files"
run "$FAULTLINE" merge "$TMP/whole.jsonl" "$TMP/conflict.jsonl"
want_status 2
want_stderr "conflict.jsonl:1"
want_stderr "whole.jsonl"
end

begin "merge: reports of different scenarios exit 2 naming the file"
run "$FAULTLINE" merge "$TMP/whole.jsonl" "$TMP/j1.jsonl"
want_status 2
want_stderr "j1.jsonl"
want_stderr "scenario_hash"
end

begin "merge: a malformed line exits 2 naming the file and the line"
{ head -n 2 "$TMP/shard0.jsonl"; echo '{"seed":99,"result":'; tail -n 1 "$TMP/shard0.jsonl"; } \
    >"$TMP/malformed.jsonl"
run "$FAULTLINE" merge "$TMP/malformed.jsonl"
want_status 2
want_stderr "malformed.jsonl:3"
end

begin "merge: a line that is not a record or a summary exits 2"
{ echo '{"hello":1}'; tail -n 1 "$TMP/shard0.jsonl"; } >"$TMP/alien.jsonl"
run "$FAULTLINE" merge "$TMP/alien.jsonl"
want_status 2
want_stderr "alien.jsonl:1"
end

begin "merge: an unreadable report or none at all exits 2"
run "$FAULTLINE" merge "$TMP/no-such.jsonl"
want_status 2
want_stderr "no-such.jsonl"
run "$FAULTLINE" merge
want_status 2
run "$FAULTLINE" merge "$TMP/whole.jsonl" --bogus
want_status 2
want_stderr "--bogus"
end

begin "merge: a journal's truncated last line is dropped with a warning"
journal=$TMP/cut.jsonl.tmp
{
    tail -n 1 "$TMP/whole.jsonl" | sed -E 's/^\{"summary":true/{"journal":true/'
    head -n 3 "$TMP/whole.jsonl"
    head -n 4 "$TMP/whole.jsonl" | tail -n 1 | head -c 40
} >"$journal"
run "$FAULTLINE" merge "$journal" --allow-partial
want_status 0
want_stderr "truncated last line"
want_stdout "3 passed"
end

# ---- interrupt and resume ---------------------------------------------------------

# The loop variant makes this deterministic: seeds 1 and 3 hang for --wall-max 2 s
# each, so an interrupt sent after the first record (seed 2) always lands mid-sweep.
loop_args=(sweep "$scenario_crashy/loop.json" --seeds 1..20 -j 2 --wall-max 2 --quiet)

# start_and_signal SIGNAL REPORT: start the loop sweep in the background, send
# SIGNAL once its journal has a record; sets status to its exit status.
start_and_signal() {
    local signal=$1 report=$2 waited=0
    rm -f "$report" "$report.tmp"
    "$FAULTLINE" "${loop_args[@]}" --out "$report" >"$OUT" 2>"$ERR" &
    local pid=$!
    last_command="faultline ${loop_args[*]} --out $report  (then kill -$signal)"
    while ! grep -q '"seed":' "$report.tmp" 2>/dev/null && ((waited < 200)); do
        sleep 0.05
        waited=$((waited + 1))
    done
    kill -"$signal" "$pid"
    wait "$pid" 2>/dev/null
    status=$?
}

begin "SIGINT: exit 130, a partial report, and the exact command to resume"
start_and_signal INT "$TMP/int.jsonl"
want_status 130
want_stderr "--resume $TMP/int.jsonl"
[[ $(summary_field "$TMP/int.jsonl" interrupted) == true ]] || fail "expected \"interrupted\":true"
total=$(summary_field "$TMP/int.jsonl" total)
[[ -n $total ]] && ((total >= 1 && total < 20)) || fail "expected 1..19 seeds done, got \"$total\""
json_check "$TMP/int.jsonl"
[[ ! -e $TMP/int.jsonl.tmp ]] || fail "the journal int.jsonl.tmp was left behind"
resume=$(grep -A1 'resume with:' "$ERR" | tail -n 1 | sed -E 's/^ *faultline //')
end

begin "--resume after SIGINT: the report equals an uninterrupted sweep's"
eval "run \"\$FAULTLINE\" $resume"
want_status 1
same_report "$TMP/loop.jsonl" "$TMP/int.jsonl"
[[ $(summary_field "$TMP/int.jsonl" interrupted) == false ]] || fail "expected \"interrupted\":false"
end

begin "--resume after SIGKILL reads the journal and equals an uninterrupted sweep"
start_and_signal KILL "$TMP/kill.jsonl"
[[ -s $TMP/kill.jsonl.tmp && ! -e $TMP/kill.jsonl ]] || fail "expected only the journal kill.jsonl.tmp"
run "$FAULTLINE" "${loop_args[@]}" --out "$TMP/kill.jsonl" --resume "$TMP/kill.jsonl"
want_status 1
same_report "$TMP/loop.jsonl" "$TMP/kill.jsonl"
[[ ! -e $TMP/kill.jsonl.tmp ]] || fail "the journal kill.jsonl.tmp was left behind"
end

begin "--resume refuses a report of another scenario (exit 2)"
cp "$TMP/whole.jsonl" "$TMP/other.jsonl"
run "$FAULTLINE" sweep "$partition" --seeds 1..12 --resume "$TMP/other.jsonl" --quiet
want_status 2
want_stderr "scenario_hash"
want_stderr "other.jsonl"
end

begin "--resume refuses seeds outside the sweep's range (exit 2)"
cp "$TMP/j1.jsonl" "$TMP/range.jsonl"
run "$FAULTLINE" sweep "$partition" --seeds 1..6 --resume "$TMP/range.jsonl" --quiet
want_status 2
want_stderr "seed 7"
end

begin "--resume of a missing report exits 2"
run "$FAULTLINE" sweep "$partition" --seeds 1..6 --resume "$TMP/none.jsonl" --quiet
want_status 2
want_stderr "none.jsonl"
end

finish
