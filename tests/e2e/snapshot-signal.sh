#!/usr/bin/env bash
# snapshot-signal.sh - SIGUSR1 freezes [trigger - before, trigger + after]:
# the archive holds exactly the marked processes inside the window and none
# of those before it; non-root users are refused with one line.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --snapshot-before 2s --snapshot-after 1s; then
	fail "flightrec record starts"
	done_testing; exit
fi
pass "flightrec record starts with --snapshot-before 2s --snapshot-after 1s"

old=frold$$x$RANDOM
new=frnew$$x$RANDOM
for i in 1 2 3; do "$EXIT_WITH" 0 "$old" "$i"; done
# Outside the 2 s before the trigger: recorded, but not in the window.
sleep 3
t0=$(date +%s%N)
for i in 1 2 3 4; do "$EXIT_WITH" "$i" "$new" "$i"; done
kill -USR1 "$REC_PID"

archive=
for _ in $(seq 1 100); do
	archive=$(ls "$dir"/snapshots/*-sigusr1.tar 2>/dev/null | head -1)
	[ -n "$archive" ] && break
	sleep 0.1
done
[ -n "$archive" ]; ok $? "SIGUSR1 - an archive HOST-UTCTIME-sigusr1.tar appears in DIR/snapshots"
[ -z "$(ls "$dir"/snapshots/*.tmp 2>/dev/null)" ]; ok $? "SIGUSR1 - no temporary file left beside it"

got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c \
	"SELECT argv, exit_code FROM processes WHERE argv LIKE '%$new%' ORDER BY start_ts")
is "$got" "argv,exit_code
$EXIT_WITH 1 $new 1,1
$EXIT_WITH 2 $new 2,2
$EXIT_WITH 3 $new 3,3
$EXIT_WITH 4 $new 4,4" "SIGUSR1 - the 4 processes inside the window, with exit codes"

got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM proc_exec WHERE argv LIKE '%$old%'" | tail -1)
is "$got" 0 "SIGUSR1 - processes 3 s before the trigger are outside a 2 s window"
got=$("$FLIGHTREC" dump "$dir" | grep -c "exec .*argv=\"$EXIT_WITH [0-9-]* $old ")
is "$got" 3 "dump - the log itself still holds them"

manifest=$(tar xOf "$archive" MANIFEST.json)
like "$manifest" '"trigger": \{"type": "signal", "detail": "SIGUSR1"' "manifest - trigger is the signal"
start=$(printf '%s' "$manifest" | sed -n 's/.*"start_ns": \([0-9]*\).*/\1/p')
end=$(printf '%s' "$manifest" | sed -n 's/.*"end_ns": \([0-9]*\).*/\1/p')
is "$((end - start))" 3000000000 "manifest - window is exactly before + after = 3 s"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c \
	"SELECT count(*) FROM timeline WHERE ts < $start OR ts > $end" | tail -1)
is "$got" 0 "archive - no record outside the manifest's window"
[ "$start" -gt "$((t0 - 3000000000))" ] && [ "$start" -lt "$t0" ]
ok $? "manifest - window starts within the 2 s before the trigger"

# Root only: a plain user is refused with one line and exit 1.
if command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	out=$(as_nobody "$FLIGHTREC" snapshot --dir "$dir" 2>&1); st=$?
	is "$st" 1 "snapshot - as nobody, expect exit 1"
	is "$(printf '%s\n' "$out" | wc -l)" 1 "snapshot - as nobody, expect a one-line refusal"
	like "$out" "^flightrec: permission denied" "snapshot - as nobody, expect 'permission denied'"
	out=$(as_nobody "$FLIGHTREC" record --dir "$TEST_TMP/nobody" 2>&1); st=$?
	is "$st" 1 "record - as nobody, expect exit 1"
	like "$out" "^flightrec: record needs root" "record - as nobody, expect it to say it needs root"
else
	for _ in 1 2 3 4 5; do skip "setpriv not installed"; done
fi

stop_recorder; ok $? "record - SIGTERM, expect exit 0"
done_testing
