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
sleep 2.5 # per-second counts are drained a tick after their second ends
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 15s --after 0s --reason dots)
SYSLOOP=${SYSLOOP:-$(dirname "$EXIT_WITH")/sysloop}
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
got=$(R --csv -c "SELECT count(DISTINCT pid) FROM syscall_stats WHERE comm = '$comm'" | tail -1)
is "$got" 2 "syscall_stats - both marked processes are counted"
"$SYSLOOP" getppid 300000
sleep 2.5
b=$("$FLIGHTREC" snapshot --dir "$dir" --before 60s --after 0s --reason dots2 2>"$TEST_TMP/snap2.err")
top=$("$FLIGHTREC_REPLAY" "$b" --csv -c ".top syscalls" 2>&1)
got=$(echo "$top" | grep ",sysloop," | head -1 | cut -d, -f3,4)
like "$got" "^sysloop,[0-9]+$" ".top syscalls - the loop of 300000 getppid() is among the busiest"
[ -n "$got" ] || diag "snapshot: $b $(cat "$TEST_TMP/snap2.err")" ".top syscalls: $top" \
		"sysloop rows: $("$FLIGHTREC_REPLAY" "$b" --csv -c "SELECT pid, comm, name, count, ts FROM syscall_stats WHERE comm = 'sysloop'" 2>&1)" \
		"recorder: $(tail -20 "$TEST_TMP/recorder.log")"
[ "${got#sysloop,}" -ge 300000 ]; ok $? ".top syscalls - with at least its 300000 calls (${got#sysloop,})"
got=$(R --csv -c ".slow" | sed -n '/== slowest system calls/,/^$/p' | sed -n 3p | cut -d, -f3,5)
want=$(R --csv -c "SELECT pid, name FROM syscalls ORDER BY latency_ns DESC LIMIT 1" | tail -1)
is "$got" "$want" ".slow - starts with the slowest system call of the archive"
got=$(R --csv -c ".slow" | grep '^== ' | tr '\n' '|')
is "$got" "== slowest system calls|== slowest disk requests|== longest run-queue delays|" ".slow - its three sections, in order"
for v in "cpu:host,pid,comm,waits,waited_for_cpu,longest" "io:host,pid,comm,requests,bytes,service" \
	"net:host,pid,comm,connections,sent,received"; do
	is "$(R --csv -c ".top ${v%%:*}" | head -1)" "${v#*:}" ".top ${v%%:*} - its columns"
done
got=$(R -c ".top nosuch" 2>&1 >/dev/null); rc=$?
is "$rc:$got" "1:flightrec-replay: .top: unknown 'nosuch' (cpu, io, net, syscalls)" ".top nosuch - refused, the message names it, expect exit 1"
got=$(R -c ".summary")
like "$got" "$pid +$comm +exit 5" ".summary - lists the failed process"
R -c ".export perfetto $TEST_TMP/t.json" >/dev/null
got=$(python3 -c "
import json, sys
ev = json.load(open('$TEST_TMP/t.json'))['traceEvents']
print(sum(1 for e in ev if e['ph'] == 'M' and e['args']['name'].startswith('$comm [')))")
is "$got" 2 ".export perfetto - a named track for each marked process"
stop_recorder
done_testing
