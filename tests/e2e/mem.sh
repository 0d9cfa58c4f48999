#!/usr/bin/env bash
# mem.sh - page faults, resident-set growth and lock waits against what the
# kernel says on its own: a helper that writes into 128 MiB of fresh memory
# (32768 pages) reports its faults (getrusage) and VmRSS; fault_stats holds
# at least the 16384 write faults and no more faults than the kernel
# charged it, rss_stats peaks at its VmRSS and grew by the 128 MiB; threads
# that map and unmap pages contend for the mmap lock (lock_stats); a
# thread that waits 300 ms for a mutex shows in futex_waits.  Each is in the
# timeline and in .summary; --probes=-mem turns the family off.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
MEMLOAD=${MEMLOAD:-$(dirname "$EXIT_WITH")/memload}

dir=$TEST_TMP/rec
if ! start_recorder "$dir"; then
	fail "flightrec record starts"; done_testing; exit
fi
pass "flightrec record starts"
st=$("$FLIGHTREC" status --dir "$dir")
for p in page_fault_user rss_stat contention_begin contention_end; do
	like "$st" "mem/$p +attached" "mem/$p attached"
done

mib=128 # 32768 faults: a second of them passes 10000 even when split in two
"$MEMLOAD" touch $mib >"$TEST_TMP/touch.out" &
tpid=$!
wait "$tpid"
ok $? "memload touch $mib"
read -r kfaults vmrss <"$TEST_TMP/touch.out"
"$MEMLOAD" contend 1500 4 &
cpid=$!
wait "$cpid"
ok $? "memload contend: 4 threads mapping pages for 1.5 s"
"$MEMLOAD" futex 300 >"$TEST_TMP/futex.out" &
fpid=$!
wait "$fpid"
ok $? "memload futex: a thread waits 300 ms for a mutex"
wait_drained "$dir" # fault_stats, rss_stats, lock_stats: the last second's counts are drained a tick after it ends
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 60s --after 0s --reason mem)
ok $? "snapshot"
stop_recorder

R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" | tail -1; }
pages=$((mib * 256))
read -r faults writes < <(R "SELECT coalesce(sum(faults), 0) || ' ' || coalesce(sum(write_faults), 0) FROM fault_stats WHERE pid = $tpid")
diag "memload touch: $faults faults recorded ($writes on writes); the kernel charged it $kfaults; VmRSS $vmrss"
[ "${writes:-0}" -ge "$pages" ]; ok $? "fault_stats - at least the $pages write faults of the touched pages ($writes)"
# The kernel's count also has the faults taken in kernel mode (exec copying
# the arguments, say), which exceptions:page_fault_user does not see.
[ "${faults:-0}" -le "$kfaults" ]; ok $? "fault_stats - no more faults than getrusage counted ($faults <= $kfaults)"

read -r peak grew < <(R "SELECT max(max_rss_bytes) || ' ' || sum(growth_bytes) FROM rss_stats WHERE pid = $tpid")
diff=$((peak > vmrss ? peak - vmrss : vmrss - peak))
[ "$diff" -le $((2 << 20)) ]; ok $? "rss_stats - peak resident set within 2 MiB of VmRSS ($peak vs $vmrss)"
[ "${grew:-0}" -ge $(((mib - 1) << 20)) ] && [ "${grew:-0}" -le "$peak" ]
ok $? "rss_stats - grew by the $mib MiB written, at most its peak ($grew)"
# One row, or two when the writes straddle a second.
is "$(R "SELECT count(*) BETWEEN 1 AND 2 AND sum(summary GLOB 'resident set +[1-9]*.[0-9] MiB to [1-9]*.[0-9] MiB') = count(*)
	FROM timeline WHERE pid = $tpid AND kind = 'rss'")" 1 "timeline - rss rows for the growth"
is "$(R "SELECT count(*) > 0 FROM timeline WHERE pid = $tpid AND kind = 'faults' AND summary LIKE '% page faults (% on writes)'")" 1 \
	"timeline - a faults row"

read -r waits total maxw < <(R "SELECT coalesce(sum(waits), 0) || ' ' || coalesce(sum(total_ns), 0) || ' ' || coalesce(max(max_ns), 0) FROM lock_stats WHERE pid = $cpid")
diag "memload contend: $waits waits for kernel locks, $total ns, longest $maxw ns"
[ "${waits:-0}" -gt 0 ] && [ "$maxw" -gt 0 ] && [ "$maxw" -le "$total" ]
ok $? "lock_stats - the contending threads waited for kernel locks, longest <= total"

fut=$(R "SELECT coalesce(sum(total_ns), 0) FROM futex_waits WHERE pid = $fpid")
# The thread measured its own wait around pthread_mutex_lock; the kernel's
# futex time is that, less the user-space edges, plus main's short join.
waited=$(cat "$TEST_TMP/futex.out")
[ "$waited" -ge 250000000 ] && [ "$fut" -ge $((waited * 95 / 100)) ] && [ "$fut" -le $((waited + 100000000)) ]
ok $? "futex_waits - the wait for the mutex: $fut ns recorded, $waited ns measured by the waiting thread"

sum=$("$FLIGHTREC_REPLAY" "$a" -c .summary 2>&1)
like "$sum" "largest resident-set growth" ".summary - a resident-set section"
like "$sum" "most page faults" ".summary - a page-fault section"
like "$sum" "longest waits for kernel locks" ".summary - a lock section"
like "$(echo "$sum" | grep -A8 'largest resident-set growth')" " $tpid +memload +1[23][0-9.]+ MiB" \
	".summary - memload among the five that grew most, by its $mib MiB"

# --probes=-mem: none of it.
dir2=$TEST_TMP/off
if start_recorder "$dir2" --probes=-mem; then
	st=$("$FLIGHTREC" status --dir "$dir2")
	if echo "$st" | grep -q "mem/"; then fail "--probes=-mem - no mem probe"; else pass "--probes=-mem - no mem probe"; fi
	"$MEMLOAD" touch 8 >/dev/null
	wait_drained "$dir2" # what mem would have counted is drained by now
	b=$("$FLIGHTREC" snapshot --dir "$dir2" --before 30s --after 0s --reason off)
	stop_recorder
	is "$("$FLIGHTREC_REPLAY" "$b" --csv -c "SELECT (SELECT count(*) FROM fault_stats) + (SELECT count(*) FROM rss_stats) + (SELECT count(*) FROM lock_stats)" | tail -1)" 0 \
		"--probes=-mem - no fault, rss or lock rows"
else
	fail "--probes=-mem starts"
fi
done_testing
