#!/usr/bin/env bash
# test_cli: the faultline command, end to end, as a user meets it.
#
# What it pins down: the exit status contract (0 checks held, 1 a check failed,
# 2 bad input or usage, 3 internal error), the JSON report's keys, the replay
# command in a failure report, the fingerprint's determinism (across runs and
# with tracing on), the trace file's shape, and that every kind of bad input is
# refused with a message naming the file and the JSON path.
#
# usage: FAULTLINE=/path/to/faultline bash tests/cli/test_cli.sh ROOT
# Prints `ok - NAME` or `not ok - NAME` (with the reasons, the exit status and the
# output) per case, then `N passed, M failed`; exits 1 if any case failed.
set -u -o pipefail

# shellcheck source=harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

# write_scenario FILE [KEY=JSON ...]: the small valid base scenario with keys
# replaced or added, so each bad input differs from a good one by one thing.
write_scenario() {
    local file=$1 kv key sep=""
    shift
    local -A value=([name]='"cli-base"' [model]='"echo"' [nodes]=5 [clients]=1
                    [duration]='"1s"')
    local order=(name model nodes clients duration)
    for kv in "$@"; do
        key=${kv%%=*}
        [[ -v "value[$key]" ]] || order+=("$key")
        value[$key]=${kv#*=}
    done
    {
        printf '{'
        for key in "${order[@]}"; do
            printf '%s\n  "%s": %s' "$sep" "$key" "${value[$key]}"
            sep=","
        done
        printf '\n}\n'
    } >"$file"
}

# ---- usage and commands -----------------------------------------------------

begin "faultline --help exits 0 and prints usage"
run "$FAULTLINE" --help
want_status 0
want_stdout "usage: faultline"
end

begin "faultline run --help exits 0 and prints usage"
run "$FAULTLINE" run --help
want_status 0
want_stdout "usage: faultline run"
end

begin "faultline with no arguments exits 2"
run "$FAULTLINE"
want_status 2
grep -qi usage "$ERR" || fail "expected usage on stderr"
end

begin "faultline bogus exits 2 and names the command"
run "$FAULTLINE" bogus
want_status 2
want_stderr "bogus"
end

begin "faultline list exits 0 and lists models echo and gossip"
run "$FAULTLINE" list
want_status 0
want_stdout_re "^echo[: ]"
want_stdout_re "^gossip[: ]"
end

# ---- every shipped scenario -------------------------------------------------

KEYS=(scenario model seed result violations fingerprint events messages_sent
      messages_delivered messages_dropped sim_time_ns wall_time_ns)
if command -v python3 >/dev/null 2>&1; then
    have_python=1
else
    have_python=0
    echo "# python3 not found: skipping JSON validation of the reports (key checks still run)"
fi

# A scenario of a model's default (correct) variant must pass; one of a buggy
# variant may fail on seed 1 (or not: its bug may need another seed).
declare -A default_variant=()
current_model=
while IFS= read -r line; do
    if [[ $line =~ ^([a-z_]+):\  ]]; then
        current_model=${BASH_REMATCH[1]}
    elif [[ $line =~ ^\ +([a-z_]+)\ .*\(default\)$ ]]; then
        default_variant[$current_model]=${BASH_REMATCH[1]}
    fi
done < <("$FAULTLINE" list)

scenario_count=0
while IFS= read -r -d '' file; do
    scenario_count=$((scenario_count + 1))
    rel=${file#"$ROOT"/}
    begin "run $rel --seed 1 --json: a complete report, a pass unless the variant is buggy"
    run "$FAULTLINE" run "$file" --seed 1 --json
    model=$(field model "$OUT")
    variant=$(field variant "$OUT")
    if [[ -n $model && $variant != "${default_variant[$model]:-}" ]]; then
        [[ $status == 0 || $status == 1 ]] || fail "expected exit status 0 or 1, got $status"
        expected=$status
    else
        expected=0
        want_status 0
    fi
    for key in "${KEYS[@]}"; do
        grep -qF "\"$key\":" "$OUT" || fail "the JSON report lacks the key \"$key\""
    done
    grep -qE '"fingerprint":"[0-9a-f]{16}"' "$OUT" ||
        fail "the fingerprint is not 16 lowercase hex digits"
    if ((expected == 1)); then
        [[ $(field result "$OUT") == fail ]] || fail "expected \"result\":\"fail\""
    else
        [[ $(field result "$OUT") == pass ]] || fail "expected \"result\":\"pass\""
    fi
    if ((have_python)); then
        python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT" 2>"$TMP/json_error" ||
            fail "stdout is not valid JSON: $(tail -n 1 "$TMP/json_error")"
    fi
    end
done < <(find "$ROOT/scenarios" -type f -name '*.json' -print0 | sort -z)

begin "there are scenarios to run"
((scenario_count > 0)) || fail "no scenarios/**/*.json under $ROOT"
end

# ---- a failure report -------------------------------------------------------

shared=$ROOT/scenarios/echo/shared-buffer.json
# The replay command quotes a path only when it must.
if [[ $shared =~ ^[A-Za-z0-9/._+=:,-]+$ ]]; then
    replay="faultline replay $shared --seed 1"
else
    replay="faultline replay '${shared//\'/\'\\\'\'}' --seed 1"
fi
begin "a failing run prints the violation and the replay command"
run "$FAULTLINE" run "$shared"
want_status 1
want_stdout_re "^violation.*echo\.reply_matches"
want_stdout "$replay"
end

# ---- determinism and the trace ----------------------------------------------

partition=$ROOT/scenarios/echo/partition.json
fp=""
fingerprint_of() { # fingerprint_of ARGS...: run with --json, set fp to the fingerprint
    run "$FAULTLINE" run "$@" --json
    fp=$(field fingerprint "$OUT")
}

begin "determinism: the same seed gives the same fingerprint"
fingerprint_of "$partition" --seed 7
want_status 0
fp7=$fp
fingerprint_of "$partition" --seed 7
want_status 0
fp7_again=$fp
[[ -n $fp7 ]] || fail "no fingerprint in the report"
[[ $fp7 == "$fp7_again" ]] || fail "seed 7 gave $fp7, then $fp7_again"
end

begin "determinism: another seed gives another fingerprint"
fingerprint_of "$partition" --seed 8
want_status 0
fp8=$fp
[[ -n $fp8 && $fp8 != "$fp7" ]] || fail "seed 7 gave $fp7, seed 8 gave $fp8"
end

trace=$TMP/trace.jsonl
begin "determinism: --trace does not change the fingerprint"
fingerprint_of "$partition" --seed 7 --trace "$trace"
want_status 0
fp7_traced=$fp
[[ $fp7_traced == "$fp7" ]] || fail "without --trace $fp7, with --trace $fp7_traced"
events=$(field events "$OUT")
end

begin "trace: one line with an id per event"
if [[ ! -f $trace ]]; then
    fail "$trace was not written"
else
    lines=$(grep -c '^{"id":' "$trace")
    [[ -n $events && $lines -eq $events ]] ||
        fail "the trace has $lines event lines, the report says \"events\":$events"
fi
end

begin "trace: event lines hold ids 1..N in order; the others are view lines"
if [[ -f $trace ]]; then
    bad=$(grep -nvE '^\{"id":.*\}$|^\{"t":[0-9]+,"kind":"view",.*\}$' "$trace" | head -n 3)
    [[ -z $bad ]] || fail "lines neither {\"id\":...} nor view lines: $bad"
    grep -q '"kind":"view"' "$trace" || fail "no view line: the echo model describes its nodes"
    bad=$(grep '^{"id":' "$trace" |
        awk -F'[:,]' '$2 != NR { print "event line " NR ": id " $2; exit }')
    [[ -z $bad ]] || fail "ids out of order at $bad"
else
    fail "$trace was not written"
fi
end

begin "trace: no temporary file is left behind"
[[ ! -e $trace.tmp ]] || fail "$trace.tmp is left behind"
end

# ---- bad input: exit 2, a message naming the file and the JSON path ---------

base=$TMP/base.json
write_scenario "$base"
begin "bad input: the base scenario the bad ones derive from is valid"
run "$FAULTLINE" run "$base"
want_status 0
end

# bad_scenario NAME FILE EXPECTED_STRINGS...: run FILE, expect exit 2 and a
# message on stderr naming FILE and each expected string.
bad_scenario() {
    local name=$1 file=$2 text
    shift 2
    begin "bad input: $name exits 2 with a message naming the file and the place"
    run "$FAULTLINE" run "$file"
    want_status 2
    want_stderr "$file"
    for text in "$@"; do want_stderr "$text"; done
    end
}

bad_scenario "a missing file" "$TMP/no-such-scenario.json" "cannot read"

: >"$TMP/empty.json"
bad_scenario "an empty file" "$TMP/empty.json"

printf '{\n  "name": "cli-base",\n  "model": "echo",,\n  "nodes": 5\n}\n' >"$TMP/malformed.json"
bad_scenario "malformed JSON" "$TMP/malformed.json" "line"

write_scenario "$TMP/unknown-key.json" nodez=3
bad_scenario "an unknown root key" "$TMP/unknown-key.json" '$.nodez'

write_scenario "$TMP/typo.json" network='{"los": 0.1}'
bad_scenario "a typo in a nested key" "$TMP/typo.json" '$.network.los' "loss"

write_scenario "$TMP/wrong-type.json" nodes='"3"'
bad_scenario "a wrong type" "$TMP/wrong-type.json" '$.nodes'

write_scenario "$TMP/out-of-range.json" network='{"loss": 1.5}'
bad_scenario "an out-of-range value" "$TMP/out-of-range.json" '$.network.loss'

write_scenario "$TMP/unknown-node.json" faults='[{"at": "100ms", "type": "crash", "node": "n9"}]'
bad_scenario "a fault naming a node that does not exist" "$TMP/unknown-node.json" \
    '$.faults[0]' "n9"

write_scenario "$TMP/fault-too-late.json" faults='[{"at": "2s", "type": "crash", "node": "n1"}]'
bad_scenario "a fault after the end of the run" "$TMP/fault-too-late.json" '$.faults[0]'

write_scenario "$TMP/unknown-model.json" model='"echoo"'
bad_scenario "an unknown model" "$TMP/unknown-model.json" '$.model' "echoo"

write_scenario "$TMP/unknown-variant.json" variant='"no_such_variant"'
bad_scenario "an unknown variant" "$TMP/unknown-variant.json" '$.variant' "no_such_variant"

write_scenario "$TMP/disk-range.json" disk='{"corruption": 1.5}'
bad_scenario "an out-of-range disk rate" "$TMP/disk-range.json" '$.disk.corruption' \
    "probability"

write_scenario "$TMP/disk-contradiction.json" disk='{"unsynced": {"lost": 0.5, "kept": 0.4}}'
bad_scenario "unsynced fates that do not add up to 1" "$TMP/disk-contradiction.json" \
    '$.disk.unsynced' "lost + kept + torn = 1"

write_scenario "$TMP/disk-sector.json" disk='{"sector_size": 1000}'
bad_scenario "a sector size other than 512 or 4096" "$TMP/disk-sector.json" \
    '$.disk.sector_size' "512 or 4096"

# ---- bad flags: exit 2 ------------------------------------------------------

bad_flags run "run with no scenario" ""
bad_flags run "--seed abc" "abc" "$base" --seed abc
bad_flags run "--seed -1" "-1" "$base" --seed -1
bad_flags run "--seed with no value" "--seed" "$base" --seed
bad_flags run "an unknown option --sede 3" "--sede" "$base" --sede 3
bad_flags run "two scenario paths" "" "$base" "$base"
bad_flags run "--trace into a missing directory" "/nonexistent-dir/t.jsonl" \
    "$base" --trace /nonexistent-dir/t.jsonl

# ---- internal error: exit 3 with the replay command -------------------------

long=$TMP/long.json
write_scenario "$long" model='"gossip"' nodes=50 clients=0 duration='"1h"' \
    params='{"initial": 10}'
begin "a crash mid-run exits 3, says internal error and how to replay"
if command -v timeout >/dev/null 2>&1; then
    # --preserve-status: without it timeout reports 124, not the child's status.
    run timeout --preserve-status -s SEGV 1 "$FAULTLINE" run "$long" --trace "$TMP/crash.jsonl"
    want_status 3
    want_stderr "internal error"
    want_stderr "--seed"
    [[ ! -e $TMP/crash.jsonl.tmp ]] || fail "the half-written trace crash.jsonl.tmp was left behind"
    [[ ! -e $TMP/crash.jsonl ]] || fail "a trace crash.jsonl was written by a crashed run"
else
    echo "# timeout(1) not found: skipping the crash case"
fi
end

# ---- the event budget -------------------------------------------------------

begin "--events-max 100 stops the run with an engine.budget violation"
run "$FAULTLINE" run "$partition" --events-max 100
want_status 1
want_stdout_re "^violation.*engine\.budget"
end

finish
