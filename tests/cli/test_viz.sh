#!/usr/bin/env bash
# test_viz: `faultline viz` and `replay --viz`, end to end, with no display:
# a screenshot of a real run's trace is a PNG (or a BMP) of the asked size;
# bad flags exit 2 with a message; a truncated or malformed trace exits 2
# with the error naming its line, never a crash; with no display the window
# is refused (exit 2) rather than waiting for keys no one can press.
#
# usage: FAULTLINE=/path/to/faultline bash tests/cli/test_viz.sh ROOT
set -u -o pipefail

# shellcheck source=harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

# No display here, whatever the machine has: SDL must not find one.
unset DISPLAY WAYLAND_DISPLAY
export SDL_VIDEODRIVER=offscreen

"$FAULTLINE" run "$ROOT/scenarios/echo/shared-buffer.json" --trace "$TMP/t.jsonl" >/dev/null
lines=$(wc -l <"$TMP/t.jsonl")

png_size() { # WIDTHxHEIGHT of a PNG, from its IHDR
    od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'
}

begin "faultline viz --help exits 0 and names the keys"
run "$FAULTLINE" viz --help
want_status 0
want_stdout "usage: faultline viz TRACE"
want_stdout "v the violation"
end

begin "--screenshot writes a PNG of the default size at the violation"
run "$FAULTLINE" viz "$TMP/t.jsonl" --screenshot "$TMP/shot.png" --at violation
want_status 0
want_stdout "screenshot   $TMP/shot.png (1280x800 at 14.425 ms"
[[ $(head -c 8 "$TMP/shot.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
    fail "not a PNG signature"
[[ $(png_size "$TMP/shot.png") == 1280x800 ]] || fail "size $(png_size "$TMP/shot.png")"
end

begin "--size, --at in a duration, --node; the same frame twice is the same file"
run "$FAULTLINE" viz "$TMP/t.jsonl" --screenshot "$TMP/a.png" --at 5ms --size 800x500 --node n2
want_status 0
[[ $(png_size "$TMP/a.png") == 800x500 ]] || fail "size $(png_size "$TMP/a.png")"
"$FAULTLINE" viz "$TMP/t.jsonl" --screenshot "$TMP/b.png" --at 5000000 --size 800x500 --node n2 >/dev/null
cmp -s "$TMP/a.png" "$TMP/b.png" || fail "5ms and 5000000 ns gave different frames"
end

begin "a .bmp name writes a BMP"
run "$FAULTLINE" viz "$TMP/t.jsonl" --screenshot "$TMP/shot.bmp" --message 6 --filter
want_status 0
[[ $(head -c 2 "$TMP/shot.bmp") == BM ]] || fail "not a BMP"
end

begin "bad flags exit 2 with a message"
for args in "--size 12" "--size 100x100" "--at soon" "--message 0" "--message 1" "--node x9" \
            "--span 5" "--bogus" "--filter" "--at" "--node n1 --message 6" "--frames x"; do
    # shellcheck disable=SC2086 # split on purpose
    run "$FAULTLINE" viz "$TMP/t.jsonl" --screenshot "$TMP/x.png" $args
    ((status == 2)) || fail "$args: exit $status, expected 2"
    grep -q "faultline viz: " "$ERR" || fail "$args: no message"
done
run "$FAULTLINE" viz
want_status 2
want_stderr "missing TRACE file"
end

begin "--at violation on a trace without one exits 2"
"$FAULTLINE" run "$ROOT/scenarios/echo/calm.json" --trace "$TMP/calm.jsonl" >/dev/null
run "$FAULTLINE" viz "$TMP/calm.jsonl" --screenshot "$TMP/x.png" --at violation
want_status 2
want_stderr "has no violation"
end

begin "a truncated trace exits 2 naming its last line"
head -c $(($(wc -c <"$TMP/t.jsonl") - 30)) "$TMP/t.jsonl" >"$TMP/cut.jsonl"
run "$FAULTLINE" viz "$TMP/cut.jsonl" --screenshot "$TMP/x.png"
want_status 2
want_stderr "$TMP/cut.jsonl: line $lines: expected a complete JSON object"
[[ -e $TMP/x.png ]] && fail "wrote a screenshot anyway"
end

begin "a trace cut at a line's end exits 2: no end record"
head -n 10 "$TMP/t.jsonl" >"$TMP/short.jsonl"
run "$FAULTLINE" viz "$TMP/short.jsonl" --screenshot "$TMP/x.png"
want_status 2
want_stderr "$TMP/short.jsonl: line 11: expected the end record"
end

begin "a line that is not JSON exits 2 naming it"
sed '5s/.*/this is not json/' "$TMP/t.jsonl" >"$TMP/bad.jsonl"
run "$FAULTLINE" viz "$TMP/bad.jsonl" --screenshot "$TMP/x.png"
want_status 2
want_stderr "$TMP/bad.jsonl: line 5: expected one JSON object on the line"
end

begin "ids out of order exit 2 naming the line"
# the 7th record with an id (view lines have none)
n=$(grep -n '^{"id":' "$TMP/t.jsonl" | sed -n 7p | cut -d: -f1)
awk -v n="$n" 'NR == n { sub(/"id":[0-9]+/, "\"id\":99") } { print }' "$TMP/t.jsonl" >"$TMP/ids.jsonl"
run "$FAULTLINE" viz "$TMP/ids.jsonl" --screenshot "$TMP/x.png"
want_status 2
want_stderr "line $n: expected \"id\" 7 (ids count up from 1), found 99"
end

begin "a missing trace file exits 2"
run "$FAULTLINE" viz "$TMP/none.jsonl"
want_status 2
want_stderr "$TMP/none.jsonl: cannot open"
end

begin "with no display the window is refused, exit 2"
run "$FAULTLINE" viz "$TMP/t.jsonl"
want_status 2
want_stderr "no display"
end

begin "the window's loop runs (offscreen) for --frames N and exits 0"
# Leak checking off for this one command: opening a window, SDL calls into
# libraries it loads at run time, which leave about 7 KB that no faultline code
# allocated (valgrind: every lost block is allocated inside SDL's calls from
# fl_viz_run_window, in those unnamed modules).
run env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
    "$FAULTLINE" viz "$TMP/t.jsonl" --frames 3 --at violation --size 800x500
want_status 0
run "$FAULTLINE" viz "$TMP/t.jsonl" --frames 0
want_status 2
want_stderr "--frames expects a positive integer"
run "$FAULTLINE" viz "$TMP/t.jsonl" --frames 2 --screenshot "$TMP/x.png"
want_status 2
end

begin "replay --viz runs the seed, then refuses the window here; no temporary left"
run env TMPDIR="$TMP" "$FAULTLINE" replay "$ROOT/scenarios/echo/shared-buffer.json" --seed 1 --viz
want_status 2
want_stdout "violation    echo.reply_matches"
want_stderr "no display"
compgen -G "$TMP/faultline-trace-*" >/dev/null && fail "left a temporary trace"
run "$FAULTLINE" replay "$ROOT/scenarios/echo/shared-buffer.json" --seed 1 --viz --no-trace
want_status 2
want_stderr "--viz shows the trace"
end

finish
