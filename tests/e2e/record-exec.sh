#!/usr/bin/env bash
# record-exec.sh - real kernel events end to end: the recorder sees N
# processes that the test runs, with a unique marker in their argv and
# known exit codes; a snapshot over the control socket freezes them; the
# replay shell returns exactly those N rows with the right argv, ppid and
# exit status, at times within 2 s of the wall clock.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

dir=$TEST_TMP/rec
if ! start_recorder "$dir"; then
	fail "flightrec record starts and answers status"
	done_testing; exit
fi
pass "flightrec record starts and answers status"
like "$(cat "$TEST_TMP/recorder.log")" "probe process/exec attached \(tp_btf/sched_process_exec\)" \
	"record - reports each probe it attached"

mark=frmark$$x$RANDOM
codes=(0 3 7 42 255)
t0=$(date +%s%N)
for i in "${!codes[@]}"; do
	"$EXIT_WITH" "${codes[$i]}" "$mark" "arg$i"
done
"$EXIT_WITH" -15 "$mark" killed   # terminated by SIGTERM
t1=$(date +%s%N)

# A second recorder on the same directory is refused.
out=$("$FLIGHTREC" record --dir "$dir" 2>&1); st=$?
is "$st" 1 "record - second recorder on the same DIR, expect exit 1"
like "$out" "another recorder \(pid $REC_PID\) is already recording in $dir" \
	"record - second recorder, expect message naming the pid and DIR"

archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 1s --reason "e2e exec"); st=$?
is "$st" 0 "snapshot - over the control socket, expect exit 0"
like "$archive" "^$dir/snapshots/[A-Za-z0-9._-]+-[0-9]{8}T[0-9]{6}Z-e2e_exec\.tar$" \
	"snapshot - prints the archive path HOST-UTCTIME-REASON.tar"
is "$(stat -c %a "$archive" 2>/dev/null)" 600 "snapshot - archive mode, expect 0600"
is "$(tar tf "$archive" 2>/dev/null | tr '\n' ' ')" "MANIFEST.json schema.sql window.seg SHA256SUMS " \
	"snapshot - a plain tar with MANIFEST.json first and SHA256SUMS last"
(mkdir -p "$TEST_TMP/x" && cd "$TEST_TMP/x" && tar xf "$archive" && sha256sum --quiet -c SHA256SUMS)
ok $? "snapshot - every member matches SHA256SUMS"
like "$(tar xOf "$archive" MANIFEST.json)" '"trigger": \{"type": "command", "detail": "e2e exec"' \
	"snapshot - manifest names the trigger"

sql="SELECT argv, ppid, exit_code, exit_signal FROM processes WHERE argv LIKE '%$mark%' ORDER BY start_ts"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "$sql"); st=$?
is "$st" 0 "replay -c - query on the archive, expect exit 0"
want="argv,ppid,exit_code,exit_signal"
for i in "${!codes[@]}"; do
	want+=$'\n'"$EXIT_WITH ${codes[$i]} $mark arg$i,$$,${codes[$i]},0"
done
want+=$'\n'"$EXIT_WITH -15 $mark killed,$$,-1,15"
is "$got" "$want" "processes - exactly the 6 processes run, with argv, ppid and exit status"

# Times come from the kernel's boot clock, converted with the segment's clock pairs.
lo=$((t0 - 2000000000)); hi=$((t1 + 2000000000))
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c \
	"SELECT count(*) FROM processes WHERE argv LIKE '%$mark%' AND start_ts BETWEEN $lo AND $hi
	   AND exit_ts BETWEEN start_ts AND $hi" | tail -1)
is "$got" 6 "processes - start_ts and exit_ts within 2 s of the wall clock"

got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c \
	"SELECT kind, count(*) FROM timeline WHERE kind IN ('exec', 'exit', 'fork') AND pid IN (SELECT pid FROM processes WHERE argv LIKE '%$mark%')
	 GROUP BY kind ORDER BY kind")
is "$got" $'kind,count(*)\nexec,6\nexit,6\nfork,6' "timeline - a fork, an exec and an exit for each"

attached=$(grep -c "^flightrec: probe .* attached" "$TEST_TMP/recorder.log")
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM probes WHERE ok = 1" | tail -1)
is "$got" "$attached" "probes - the segment opens with the status of every probe ($attached attached)"

# dump reads the live log directory too.
got=$("$FLIGHTREC" dump "$dir" | grep -c "exec .*argv=\"$EXIT_WITH [0-9-]* $mark ")
is "$got" 6 "dump - the live log directory shows the 6 execs"
got=$("$FLIGHTREC" dump --json "$archive" | grep -c "\"kind\":\"exit\".*\"comm\":\"exit-with\"")
[ "$got" -ge 6 ]; ok $? "dump --json - archive exit records as JSON lines"

stop_recorder; st=$?
is "$st" 0 "record - SIGTERM stops it cleanly, expect exit 0"
[ ! -e "$dir/control.sock" ]; ok $? "record - control socket removed on exit"
done_testing
