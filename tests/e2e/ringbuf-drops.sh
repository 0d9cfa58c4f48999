#!/usr/bin/env bash
# ringbuf-drops.sh - a ring buffer too small for a burst of processes loses
# events in the kernel; every loss is counted per CPU, written as a drop
# record, and shows as a gap in the timeline: no exec goes missing without
# being accounted for.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --ring-size 4K; then
	fail "flightrec record starts with --ring-size 4K"
	done_testing; exit
fi
pass "flightrec record starts with --ring-size 4K"

mark=frdrop$$x$RANDOM
n=400
# A burst of n processes at once, bounded by n.
pids=()
for i in $(seq 1 $n); do "$EXIT_WITH" 0 "$mark" "$i" & pids+=($!); done
wait "${pids[@]}" # not a bare wait: the recorder is a child of this shell too
archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 1s --reason drops)
ok $? "snapshot - after the burst"
status=$("$FLIGHTREC" status --json --dir "$dir")
drops_status=$(printf '%s' "$status" | sed -n 's/.*"ringbuf_drops": \([0-9]*\).*/\1/p')
stop_recorder

seen=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM proc_exec WHERE argv LIKE '%$mark%'" | tail -1)
drops=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT coalesce(sum(count), 0) FROM drops WHERE source = 'ringbuf'" | tail -1)
gaps=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM timeline WHERE kind = 'gap'" | tail -1)
diag "execs seen $seen of $n, ring-buffer drops $drops, recorder says $drops_status"
[ "$seen" -lt "$n" ]; ok $? "a 4K ring buffer under a burst of $n processes loses some, expect fewer than $n execs ($seen)"
[ "$drops" -ge $((n - seen)) ]; ok $? "drops - every missing exec is counted, expect >= $((n - seen)) ($drops)"
# Every loss the kernel counted ends up in the log: the drop records of the
# whole log add up to the total the recorder reports when it stops.
total=$(sed -n 's/.* \([0-9]*\) lost in the kernel.*/\1/p' "$TEST_TMP/recorder.log")
logged=$("$FLIGHTREC" dump "$dir" | sed -n 's/.* drop source="ringbuf" cpu=[0-9]* count=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
is "$logged" "$total" "drops - the log's drop records add up to the recorder's final count ($total)"
[ "$drops" -le "$drops_status" ]; ok $? "drops - the window's share is no more than the count at the snapshot ($drops <= $drops_status)"
[ "$gaps" -ge 1 ]; ok $? "timeline - the losses show as gap rows ($gaps)"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM drops WHERE source = 'ringbuf' AND cpu >= $(nproc)" | tail -1)
is "$got" 0 "drops - counted per CPU, expect each cpu < $(nproc)"

# --- a syscall flood in --syscalls=all overflows a 64K ring -----------------
# Every getppid() of the flood is a row, a counted loss or a row shed under
# overload (the recorder sheds per-call rows once the ring loses events, a
# gap row "overload" says for how long and how many), the per-process
# counts stay exact through it all, the losses are per CPU and show as gap
# rows, and the recorder keeps answering status and SIGUSR1 while the
# flood runs.
SYSFLOOD=$TOP_BUILDDIR/tests/helpers/sysflood
calls=1500000 # per flooder: one flooder per CPU, so that the recorder competes for a CPU
dir=$TEST_TMP/flood
if ! start_recorder "$dir" --syscalls=all --ring-size 64K --snapshot-before 5s --snapshot-after 1s; then
	fail "flightrec record starts with --syscalls=all --ring-size 64K"
	done_testing; exit
fi
"$SYSFLOOD" loop getppid $calls >"$TEST_TMP/flood1.out" 2>&1 &
flood1=$!
"$SYSFLOOD" loop getppid $calls >"$TEST_TMP/flood2.out" 2>&1 &
flood2=$!
sleep 0.3
"$FLIGHTREC" status --dir "$dir" >/dev/null
ok $? "status - answers during the flood"
kill -USR1 "$REC_PID"
sig_archive() { ls "$dir"/snapshots/*-sigusr1.tar >/dev/null 2>&1; }
wait_for 60 sig_archive
ok $? "SIGUSR1 - an archive is written during the flood"
wait "$flood1"
ok $? "sysflood 1 - $calls getppid() calls done ($(cat "$TEST_TMP/flood1.out") ns a call)"
wait "$flood2"
ok $? "sysflood 2 - $calls getppid() calls done ($(cat "$TEST_TMP/flood2.out") ns a call)"
calls=$((2 * calls))
sleep 1.5 # the last second's records reach the log
archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 5m --after 1s --reason flood)
ok $? "snapshot - after the flood"
stop_recorder
"$FLIGHTREC" verify "$(ls "$dir"/snapshots/*-sigusr1.tar | head -1)" >/dev/null
ok $? "SIGUSR1 - the archive taken during the flood verifies"
rows=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM syscalls WHERE pid IN ($flood1, $flood2) AND name = 'getppid'" | tail -1)
lost=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT coalesce(sum(count), 0) FROM drops WHERE source = 'ringbuf'" | tail -1)
cpus=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(DISTINCT cpu) FROM drops WHERE source = 'ringbuf' AND cpu < $(nproc)" | tail -1)
gaps=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM timeline WHERE kind = 'gap' AND summary LIKE '%on cpu %records lost%'" | tail -1)
shed=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT coalesce(sum(count), 0) FROM drops WHERE source = 'shed'" | tail -1)
shedgaps=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM timeline WHERE kind = 'gap'
	AND summary LIKE 'overload: per-call rows reduced to counts: % rows counted only' AND duration_ns > 0" | tail -1)
counted=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT sum(count) FROM syscall_stats WHERE pid IN ($flood1, $flood2) AND name = 'getppid'" | tail -1)
diag "flood: $rows rows of $calls calls, $lost lost on $cpus CPUs, $gaps gap rows, $shed shed in $shedgaps periods, $counted counted"
[ "$lost" -gt 0 ]; ok $? "flood - a 64K ring loses records under $calls calls ($lost)"
[ $((rows + lost + shed)) -ge $calls ]; ok $? "flood - every call is a row, a counted loss or a shed row ($rows + $lost + $shed >= $calls)"
[ "$shed" -gt 0 ] && [ "$shedgaps" -ge 1 ]; ok $? "flood - under overload per-call rows gave way to counts ($shed rows in $shedgaps gap rows)"
is "$counted" "$calls" "flood - the per-process counts stay exact through the overload, expect $calls"
[ "$cpus" -ge 1 ]; ok $? "flood - losses are counted per CPU ($cpus CPUs)"
[ "$gaps" -ge 1 ]; ok $? "flood - the losses show as gap rows in the timeline ($gaps)"
done_testing
