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
done_testing
