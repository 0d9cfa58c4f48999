#!/usr/bin/env bash
# sched.sh - run-queue delays and off-CPU time against the kernel's own
# scheduler statistics: a victim sharing one CPU with two CPU hogs waits on
# the run queue; the sum of its runq_stats.total_ns is within 10% of the
# growth of its /proc/PID/schedstat run_delay; its long waits are runq rows;
# a `runq > 5ms` rule fires on the storm; its sleeps are off-CPU time.
# Both ways of the sched family (bpf/sched.bpf.c): read from the kernel's
# sched_info at each switch (the default here), and timed from the wakeup
# (FLIGHTREC_SCHED_WAKEUPS=1, the way of kernels without sched_info).
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
command -v taskset >/dev/null || skip_all "needs taskset (util-linux)"

# scenario WAY: the storm and its checks, the recorder loaded the WAY way
scenario() {
	local M=$1 dir=$TEST_TMP/rec-$1 rule= a log
	if ! start_recorder "$dir" --runq-threshold 5ms --trigger 'runq > 5ms' --snapshot-before 20s --snapshot-after 2s; then
		fail "$M: record --runq-threshold 5ms starts"
		return
	fi
	pass "$M: record --runq-threshold 5ms --trigger 'runq > 5ms' starts"
	log=$(cat "$TEST_TMP/recorder.log")
	if [ "$M" = sched_info ]; then
		like "$log" "^flightrec: probe sched/switch attached \(tp_btf/sched_switch\)" "$M: startup - sched/switch attached"
		unlike "$log" "probe sched/(wakeup|switch_after)" "$M: startup - no program on wakeups"
	else
		for p in "wakeup (tp_btf/sched_wakeup)" "wakeup_new (tp_btf/sched_wakeup_new)" \
			"switch_after_wakeup (tp_btf/sched_switch)"; do
			like "$log" "^flightrec: probe sched/${p%% *} attached \(${p#* (}" "$M: startup - sched/${p%% *} attached"
		done
	fi

	# Two hogs on CPU 0 for a bounded 4 s, and the victim on the same CPU.
	taskset -c 0 timeout 4 sh -c 'while :; do :; done' &
	h1=$!
	taskset -c 0 timeout 4 sh -c 'while :; do :; done' &
	h2=$!
	read -r vpid delay slept < <(taskset -c 0 "$VICTIM" 300)
	wait "$h1" "$h2" 2>/dev/null
	diag "$M: victim $vpid: run_delay grew $delay ns; asleep $slept ns"
	[ "${delay:-0}" -gt 100000000 ]; ok $? "$M: the victim waited on the run queue (schedstat: $delay ns)"

	has_rule() { rule=$(ls "$dir"/snapshots/*-runq_5ms.tar 2>/dev/null | head -1); [ -n "$rule" ]; }
	wait_for 20 has_rule; ok $? "$M: runq > 5ms - the storm takes a snapshot"
	like "$(tar xOf "$rule" MANIFEST.json 2>/dev/null)" '"detail": "runq > 5ms", "record": "runq pid=[0-9]+ .*delay_ns=[0-9]+' \
		"$M: runq > 5ms - the manifest names the waiting thread and its delay"
	wait_drained "$dir" # runq_stats, offcpu_stats: the last second of counts is drained one tick after it ends
	a=$("$FLIGHTREC" snapshot --dir "$dir" --before 30s --after 0s --reason sched)
	stop_recorder

	R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" | tail -1; }
	total=$(R "SELECT coalesce(sum(total_ns), 0) FROM runq_stats WHERE pid = $vpid")
	diag "$M: recorded run-queue time of the victim: $total ns"
	awk -v a="$total" -v b="$delay" 'BEGIN { exit !(a >= b * 0.9 && a <= b * 1.1) }'
	ok $? "$M: runq_stats - the victim's total is within 10% of its schedstat run_delay growth ($total vs $delay)"
	rows=$(R "SELECT count(*) FROM runq WHERE pid = $vpid AND delay_ns >= 5000000")
	waits=$(R "SELECT coalesce(sum(count), 0) FROM runq_stats WHERE pid = $vpid")
	[ "$rows" -ge 1 ] && [ "$rows" -le "$waits" ]; ok $? "$M: runq - its long waits are rows ($rows), no more than its counted waits ($waits)"
	is "$(R "SELECT count(*) FROM runq WHERE delay_ns < 5000000")" 0 "$M: runq - no row below --runq-threshold"
	sleep_ns=$(R "SELECT coalesce(sum(sleep_ns), 0) FROM offcpu_stats WHERE pid = $vpid")
	awk -v a="$sleep_ns" -v b="$slept" 'BEGIN { exit !(a >= b * 0.9 && a <= b * 1.1) }'
	ok $? "$M: offcpu_stats - its sleep time is within 10% of wall time less schedstat on-CPU and run-queue time ($sleep_ns vs $slept)"
	got=$(R "SELECT count(*) FROM timeline WHERE kind = 'runq' AND pid = $vpid")
	is "$got" "$rows" "$M: timeline - each runq row is a timeline row"
}

if [ -r /proc/self/schedstat ]; then
	scenario sched_info
else
	diag "no /proc/self/schedstat (CONFIG_SCHED_INFO): the sched_info way is not this kernel's"
fi
FLIGHTREC_SCHED_WAKEUPS=1 scenario wakeups
done_testing
