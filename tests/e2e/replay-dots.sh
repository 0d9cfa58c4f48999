#!/usr/bin/env bash
# replay-dots.sh - the dot-commands on an archive recorded in the test from
# real kernel events: .tree shows the marked processes under the test's
# shell, .follow finds what they did, .slow and .top syscalls name them,
# .summary counts their failures, .export perfetto has a track for each.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

dir=$TEST_TMP/rec
if ! start_recorder "$dir"; then
	fail "flightrec record starts"; done_testing; exit
fi
pass "flightrec record starts"
mark=frdots$$x$RANDOM
cp "$EXIT_WITH" "$TEST_TMP/$mark"
"$TEST_TMP/$mark" 0 a
"$TEST_TMP/$mark" 5 b
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 1s --reason dots)
stop_recorder
R() { "$FLIGHTREC_REPLAY" "$a" "$@"; }
comm=${mark:0:15}

got=$(R --csv -c ".tree $$" | cut -d, -f1 | grep -F "$comm")
is "$got" "  $comm [$(R --csv -c "SELECT pid FROM processes WHERE argv LIKE '%$mark 0 a'" | tail -1)]
  $comm [$(R --csv -c "SELECT pid FROM processes WHERE argv LIKE '%$mark 5 b'" | tail -1)]" \
	".tree PID - the two marked processes, one level under the test's shell"
pid=$(R --csv -c "SELECT pid FROM processes WHERE argv LIKE '%$mark 5 b'" | tail -1)
got=$(R --csv -c ".follow $pid" | cut -d, -f4 | sort | uniq -c | awk '{ print $2 ":" ($1 > 0) }' | tr '\n' ' ')
like "$got" "exec:1 .*exit:1 .*fork:1 .*syscall:1" ".follow PID - its fork, exec, system calls and exit"
got=$(R --csv -c ".follow $pid" | grep -c ",exit,exit 5")
is "$got" 1 ".follow PID - ends with its exit 5"
got=$(R --csv -c ".top syscalls" | grep -c ",$comm,")
is "$got" 2 ".top syscalls - both marked processes are counted"
got=$(R --csv -c ".slow" | grep -c "execve")
[ "$got" -ge 1 ]; ok $? ".slow - lists execve among the slowest calls"
got=$(R -c ".summary")
like "$got" "$pid +$comm +exit 5" ".summary - lists the failed process"
R -c ".export perfetto $TEST_TMP/t.json" >/dev/null
got=$(python3 -c "
import json, sys
ev = json.load(open('$TEST_TMP/t.json'))['traceEvents']
print(sum(1 for e in ev if e['ph'] == 'M' and e['args']['name'].startswith('$comm [')))")
is "$got" 2 ".export perfetto - a named track for each marked process"
done_testing
