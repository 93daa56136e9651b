#!/usr/bin/env bash
# test_export: `faultline export`, end to end: both formats written from a real
# trace (atomically: no OUT.tmp left, an earlier OUT kept when an export
# fails), and bad usage or a bad trace refused with exit status 2 and a
# message naming the flag, the file or the line.
#
# usage: FAULTLINE=/path/to/faultline bash tests/cli/test_export.sh ROOT
set -u -o pipefail

# shellcheck source=harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

have_python=0
command -v python3 >/dev/null && have_python=1

trace=$TMP/t.jsonl
"$FAULTLINE" run "$ROOT/scenarios/echo/partition.json" --seed 3 --trace "$trace" >/dev/null

begin "faultline export --help exits 0 with usage"
run "$FAULTLINE" export --help
want_status 0
want_stdout "usage: faultline export TRACE --format perfetto|svg OUT"
end

begin "--format perfetto writes JSON with a traceEvents array, and no OUT.tmp"
run "$FAULTLINE" export "$trace" --format perfetto "$TMP/t.json"
want_status 0
[[ -s $TMP/t.json ]] || fail "$TMP/t.json was not written"
[[ ! -e $TMP/t.json.tmp ]] || fail "t.json.tmp is left behind"
grep -q '"traceEvents":\[' "$TMP/t.json" || fail "no traceEvents array"
if ((have_python)); then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["traceEvents"]' \
        "$TMP/t.json" 2>"$TMP/py" || fail "not JSON: $(tail -n 1 "$TMP/py")"
fi
end

begin "--format svg writes an SVG, cut to a window with --from/--to"
run "$FAULTLINE" export "$trace" --format svg "$TMP/t.svg" --from 1s --to 2.5s
want_status 0
head -n 2 "$TMP/t.svg" | grep -q '<svg xmlns="http://www.w3.org/2000/svg"' || fail "no <svg> root"
grep -q 'Cut: showing 1s to 2.5s' "$TMP/t.svg" || fail "no note saying what was cut"
tail -n 1 "$TMP/t.svg" | grep -qx '</svg>' || fail "the SVG does not end with </svg>"
if ((have_python)); then
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$TMP/t.svg" \
        2>"$TMP/py" || fail "not well-formed XML: $(tail -n 1 "$TMP/py")"
fi
end

begin "the same trace exports to the same bytes twice"
run "$FAULTLINE" export "$trace" --format perfetto "$TMP/again.json"
want_status 0
cmp -s "$TMP/t.json" "$TMP/again.json" || fail "two exports of one trace differ"
end

# ---- bad usage ---------------------------------------------------------------------

begin "no arguments: exit 2 with a message"
run "$FAULTLINE" export
want_status 2
want_stderr "missing TRACE"
end

begin "an unknown flag: exit 2 naming it"
run "$FAULTLINE" export "$trace" --format svg "$TMP/x.svg" --colour red
want_status 2
want_stderr 'unknown flag "--colour"'
end

begin "an unknown format: exit 2 naming it and the formats"
run "$FAULTLINE" export "$trace" --format png "$TMP/x.png"
want_status 2
want_stderr 'unknown format "png": expected perfetto or svg'
end

begin "no --format, or no OUT: exit 2"
run "$FAULTLINE" export "$trace" "$TMP/x.svg"
want_status 2
want_stderr "missing --format"
run "$FAULTLINE" export "$trace" --format svg
want_status 2
want_stderr "missing OUT"
end

begin "a malformed time: exit 2 naming the flag and the value"
run "$FAULTLINE" export "$trace" --format svg "$TMP/x.svg" --from 3parsecs
want_status 2
want_stderr '--from expects a simulated time such as "250ms" or "1.5s", found "3parsecs"'
end

begin "--from after --to, or a window for perfetto: exit 2"
run "$FAULTLINE" export "$trace" --format svg "$TMP/x.svg" --from 2s --to 1s
want_status 2
want_stderr "--from must not be after --to"
run "$FAULTLINE" export "$trace" --format perfetto "$TMP/x.json" --from 1s
want_status 2
want_stderr "apply to --format svg only"
end

begin "--from after the end of the run: exit 2 naming the trace and its end"
run "$FAULTLINE" export "$trace" --format svg "$TMP/x.svg" --from 1h
want_status 2
want_stderr "--from is after the end of the run in $trace"
[[ ! -e $TMP/x.svg ]] || fail "an output was written"
end

# ---- bad traces -------------------------------------------------------------------

begin "an unreadable trace: exit 2 naming the file"
run "$FAULTLINE" export "$TMP/missing.jsonl" --format svg "$TMP/x.svg"
want_status 2
want_stderr "$TMP/missing.jsonl"
[[ ! -e $TMP/x.svg && ! -e $TMP/x.svg.tmp ]] || fail "an output was written for a missing trace"
end

begin "a cut trace: exit 2 naming the file and line; an earlier OUT is kept"
head -n 40 "$trace" >"$TMP/cut.jsonl"
printf '{"id":' >>"$TMP/cut.jsonl"
echo "earlier" >"$TMP/keep.svg"
run "$FAULTLINE" export "$TMP/cut.jsonl" --format svg "$TMP/keep.svg"
want_status 2
want_stderr "$TMP/cut.jsonl: line 41"
[[ $(cat "$TMP/keep.svg") == earlier ]] || fail "the earlier keep.svg was replaced"
[[ ! -e $TMP/keep.svg.tmp ]] || fail "keep.svg.tmp is left behind"
end

begin "a trace with a gap in its ids: exit 2 naming the line"
sed '5d' "$trace" >"$TMP/gap.jsonl"
run "$FAULTLINE" export "$TMP/gap.jsonl" --format perfetto "$TMP/x.json"
want_status 2
want_stderr "$TMP/gap.jsonl: line "
end

begin "an output directory that does not exist: exit 2 naming the file"
run "$FAULTLINE" export "$trace" --format svg "$TMP/no/such/dir/x.svg"
want_status 2
want_stderr "cannot write $TMP/no/such/dir/x.svg.tmp"
end

finish
