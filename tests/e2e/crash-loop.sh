#!/usr/bin/env bash
# crash-loop.sh - kill -9 the recorder at random moments while an exec
# storm runs, restart it each time, five times over: `flightrec dump DIR`
# then reads every segment cleanly, every exec started more than 1.5 s
# before each kill is on disk (a partial block is written each second, so
# at most the last second is lost), and each time it was down is one gap.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

ROUNDS=5
MARGIN_US=1500000 # the flush interval (1 s), the drain timer and slack
dir=$TEST_TMP/rec
tag=frloop$$x$RANDOM
seed=${CRASH_SEED:-$RANDOM}
RANDOM=$seed
diag "random seed $seed (set CRASH_SEED to repeat)"

# storm ROUND: exec EXIT_WITH with a numbered marker, logging the start
# time of each (bash's clock, no fork) until killed; at most 20000.
storm() {
	for n in $(seq 1 20000); do
		printf '%s %s\n' "$n" "${EPOCHREALTIME/./}" >> "$TEST_TMP/storm$1"
		"$EXIT_WITH" 0 "$tag" "r$1" "n$n"
	done
}
wait_gone() {
	for _ in $(seq 1 $(($2 * 10))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

for r in $(seq 1 $ROUNDS); do
	if ! start_recorder "$dir"; then
		fail "round $r - the recorder starts after kill -9"
		done_testing; exit
	fi
	storm "$r" &
	spid=$!
	# odd rounds die early (during start-up's first blocks), even ones later
	if [ $((r % 2)) -eq 1 ]; then delay=$((100 + RANDOM % 1400)); else delay=$((1600 + RANDOM % 2000)); fi # ms
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
	kill_us=${EPOCHREALTIME/./}
	kill -KILL "$REC_PID"
	wait "$REC_PID" 2>/dev/null; REC_PID=
	kill "$spid" 2>/dev/null; wait_gone "$spid" 10; wait "$spid" 2>/dev/null
	echo "$kill_us" > "$TEST_TMP/kill$r"
	diag "round $r: killed after ${delay} ms, $(wc -l < "$TEST_TMP/storm$r") execs started"
	[ -n "$(grep -l 'repaired the log tail' "$TEST_TMP/recorder.log")" ] && diag "round $r: $(grep 'repaired' "$TEST_TMP/recorder.log")"
done

if ! start_recorder "$dir"; then
	fail "the recorder starts after the last kill -9"
	done_testing; exit
fi
pass "the recorder starts after $ROUNDS kills"
"$FLIGHTREC" dump "$dir" > "$TEST_TMP/dump" 2>"$TEST_TMP/dump.err"
is "$?:$(cat "$TEST_TMP/dump.err")" "0:" "dump DIR - reads every segment with no damage reported"

total=0
for r in $(seq 1 $ROUNDS); do
	kill_us=$(cat "$TEST_TMP/kill$r")
	# The execs of this round started more than MARGIN before the kill.
	awk -v lim=$((kill_us - MARGIN_US)) '$2 < lim { print $1 }' "$TEST_TMP/storm$r" | sort > "$TEST_TMP/want$r"
	# exec records only: a restart's /proc table lists a process still alive as a proc record.
	awk '$2 == "exec"' "$TEST_TMP/dump" | grep -o "argv=\"$EXIT_WITH 0 $tag r$r n[0-9]*\"" | sed 's/.* n\([0-9]*\)"$/\1/' | sort > "$TEST_TMP/got$r"
	missing=$(comm -23 "$TEST_TMP/want$r" "$TEST_TMP/got$r" | wc -l)
	want=$(wc -l < "$TEST_TMP/want$r")
	total=$((total + want))
	is "$missing" 0 "round $r - all $want execs started 1.5 s before the kill are on disk (of $(wc -l < "$TEST_TMP/got$r") recorded)"
	dup=$(uniq -d "$TEST_TMP/got$r" | wc -l)
	is "$dup" 0 "round $r - none recorded twice"
done
[ "$total" -gt 0 ]; ok $? "the rounds checked $total execs in all, expect some"

archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 10m --after 0s --reason crash-loop)
"$FLIGHTREC" verify "$archive" >/dev/null 2>&1; ok $? "snapshot over the crashes - verifies"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM gaps WHERE reason = 'recorder not running'" | tail -1)
is "$got" "$ROUNDS" "gaps - each time the recorder was down is one gap, expect $ROUNDS"
stop_recorder; ok $? "record - SIGTERM, expect exit 0"
done_testing
