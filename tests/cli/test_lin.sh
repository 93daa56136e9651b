#!/usr/bin/env bash
# test_lin: `faultline lin`, end to end: the exit status contract (0
# linearizable, 1 not linearizable or unknown, 2 bad input or usage), the
# failure report, the JSON keys, format selection, and bad input refused with
# a message naming the file and line. The etcd histories are used when present
# beside the source tree (../shared/data/linearizability/etcd).
#
# usage: FAULTLINE=/path/to/faultline bash tests/cli/test_lin.sh ROOT
set -u -o pipefail

# shellcheck source=harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

inv() { printf '{"process":%s,"type":"invoke","f":"%s","value":%s}\n' "$1" "$2" "$3"; }
ret() { printf '{"process":%s,"type":"%s","f":"%s","value":%s}\n' "$1" "$2" "$3" "$4"; }

{ inv 0 write 1; ret 0 ok write 1; inv 1 read null; ret 1 ok read 1; } >"$TMP/good.jsonl"
{ inv 0 write 1; ret 0 ok write 1; inv 1 read null; ret 1 ok read null; } >"$TMP/stale.jsonl"

begin "faultline lin --help exits 0"
run "$FAULTLINE" lin --help
want_status 0
want_stdout "usage: faultline lin"
end

begin "a linearizable history exits 0"
run "$FAULTLINE" lin "$TMP/good.jsonl"
want_status 0
want_stdout ": linearizable"
end

begin "a stale read exits 1 and names the op that could not be placed"
run "$FAULTLINE" lin "$TMP/stale.jsonl"
want_status 1
want_stdout "not_linearizable"
want_stdout "line 3      process 1    read  -> nil"
end

begin "--json prints one object with the result"
run "$FAULTLINE" lin "$TMP/stale.jsonl" --json
want_status 1
want_stdout '"result":"not_linearizable"'
want_stdout '"states_explored":'
end

begin "a failure names the shortest prefix that fails, in text and --json"
{ cat "$TMP/stale.jsonl"; inv 2 write 5; ret 2 ok write 5; } >"$TMP/stale-then-more.jsonl"
run "$FAULTLINE" lin "$TMP/stale-then-more.jsonl"
want_status 1
want_stdout "the shortest prefix that is not linearizable: the first 4 of 6 events (through line 4)"
run "$FAULTLINE" lin "$TMP/stale-then-more.jsonl" --json
want_status 1
want_stdout '"prefix_events":4,"prefix_key":0,"prefix_unplaced_ops":[1]'
end

begin "an exhausted budget is unknown and exits 1"
{ for p in 0 1 2 3 4 5 6 7 8 9; do inv $p write $p; done
  for p in 0 1 2 3 4 5 6 7 8 9; do ret $p ok write $p; done
  inv 20 read null; ret 20 ok read 99; } >"$TMP/hard.jsonl"
run "$FAULTLINE" lin "$TMP/hard.jsonl" --budget 10 --json
want_status 1
want_stdout '"result":"unknown"'
end

begin "an unknown extension needs --format"
cp "$TMP/good.jsonl" "$TMP/good.txt"
run "$FAULTLINE" lin "$TMP/good.txt"
want_status 2
want_stderr "pass --format"
end

begin "--format overrides the extension"
run "$FAULTLINE" lin "$TMP/good.txt" --format jsonl
want_status 0
end

begin "a return without an invoke exits 2 naming file and line"
{ inv 0 write 1; ret 1 ok write 1; } >"$TMP/orphan.jsonl"
run "$FAULTLINE" lin "$TMP/orphan.jsonl"
want_status 2
want_stderr "$TMP/orphan.jsonl: line 2: a return for process 1 without an invoke"
end

begin "keys in a register history exit 2"
printf '{"process":0,"type":"invoke","f":"read","key":3,"value":null}\n' >"$TMP/keys.jsonl"
run "$FAULTLINE" lin "$TMP/keys.jsonl"
want_status 2
want_stderr "use --model kv"
end

begin "an unknown flag exits 2"
run "$FAULTLINE" lin "$TMP/good.jsonl" --frob
want_status 2
end

ETCD=$ROOT/../shared/data/linearizability/etcd
if [[ -f $ETCD/EXPECTED ]]; then
    begin "the etcd histories get their EXPECTED answers"
    while read -r name want; do
        "$FAULTLINE" lin "$ETCD/$name" >"$OUT" 2>"$ERR"
        got=$?
        case $want in
            linearizable) [[ $got == 0 ]] || fail "$name: exit $got, want 0" ;;
            *) if [[ $got != 1 ]] || ! grep -q not_linearizable "$OUT"; then
                   fail "$name: exit $got, want 1 and not_linearizable"
               fi ;;
        esac
    done <"$ETCD/EXPECTED"
    end
else
    echo "# skipping the etcd histories: none at $ETCD"
fi

finish
