#!/usr/bin/env bash
# triggers.sh - rules take snapshots by themselves: `crash` fires on a
# process killed by SIGSEGV, once per cooldown, and the manifest names the
# rule and the process; `exec NAME` fires on an exec; `oom` fires when the
# OOM killer kills a process in a small memory cgroup made by the test;
# a burst of SIGUSR1 inside a pending window makes one archive.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

snaps() { ls "$1"/snapshots/*.tar 2>/dev/null | wc -l; }
manifest() { tar xOf "$1" MANIFEST.json; }

# --- crash, with a 3 s cooldown ---
dir=$TEST_TMP/crash
if ! start_recorder "$dir" --trigger crash --trigger-cooldown 3s --snapshot-before 5s --snapshot-after 1s; then
	fail "record --trigger crash starts"; done_testing; exit
fi
pass "record --trigger crash starts"
for i in 1 2 3; do "$EXIT_WITH" -11 frsegv "$i" 2>/dev/null; done
has_one() { [ "$(snaps "$dir")" -ge 1 ]; }
wait_for 15 has_one; ok $? "crash - three SIGSEGV deaths take a snapshot"
sleep 1.5 # past the window's end: no second archive may appear from the same burst
is "$(snaps "$dir")" 1 "crash - once per cooldown, expect exactly 1 archive"
a=$(ls "$dir"/snapshots/*.tar | head -1)
like "$a" "-crash\.tar$" "crash - archive named after the rule"
m=$(manifest "$a")
like "$m" '"trigger": \{"type": "rule", "detail": "crash", "record": "exit pid=[0-9]+ .*comm=\\"exit-with\\" exit_code=-1 exit_signal=11' \
	"crash - manifest names the rule and the dying process with its signal"
sleep 2 # the cooldown (3 s from the first crash) has passed
"$EXIT_WITH" -6 frabrt 2>/dev/null
has_two() { [ "$(snaps "$dir")" -ge 2 ]; }
wait_for 15 has_two; ok $? "crash - after the cooldown a SIGABRT death takes a second snapshot"
"$EXIT_WITH" 3 frfine
sleep 2
is "$(snaps "$dir")" 2 "crash - a normal exit with code 3 takes none"
stop_recorder

# --- exec NAME, and a burst of SIGUSR1 folded into one window ---
dir=$TEST_TMP/exec
if ! start_recorder "$dir" --trigger 'exec frtrig*' --snapshot-before 5s --snapshot-after 2s; then
	fail "record --trigger 'exec frtrig*' starts"; done_testing; exit
fi
pass "record --trigger 'exec frtrig*' starts"
cp "$EXIT_WITH" "$TEST_TMP/frtrigger-prog"
"$TEST_TMP/frtrigger-prog" 0
wait_for 15 has_one; ok $? "exec - running frtrigger-prog takes a snapshot"
a=$(ls "$dir"/snapshots/*.tar | head -1)
like "$(manifest "$a")" '"detail": "exec frtrig\*", "record": "exec pid=[0-9]+ .*filename=\\"'"$TEST_TMP"'/frtrigger-prog\\"' \
	"exec - manifest names the rule and the exec"
# The rule sees the exec as it is written: enriched first (issue 20: it used to see it without).
like "$(manifest "$a")" '"record": "exec pid=[0-9]+ .*exe=\\"'"$TEST_TMP"'/frtrigger-prog\\" cgroup=\\"/[^"]' \
	"exec - the rule saw the exec enriched: its resolved exe and cgroup path"
before=$(snaps "$dir")
# Spaced out: signals of one kind sent together merge in the kernel.
kill -USR1 "$REC_PID"; sleep 0.3; kill -USR1 "$REC_PID"; sleep 0.3; kill -USR1 "$REC_PID"
more() { [ "$(snaps "$dir")" -gt "$before" ]; }
wait_for 15 more; ok $? "SIGUSR1 burst - an archive is written"
sleep 2.5
is "$(snaps "$dir")" $((before + 1)) "SIGUSR1 burst - three signals, expect one archive"
a=$(ls -t "$dir"/snapshots/*.tar | head -1)
like "$(manifest "$a")" '"type": "signal", "detail": "SIGUSR1", .*"count": 3\}' "SIGUSR1 burst - the manifest counts 3 triggers"
stop_recorder

# --- open GLOB and syscall > DUR, on the records of the syscall family ---
dir=$TEST_TMP/sys
secret=$TEST_TMP/frsecret-$$
if ! start_recorder "$dir" --trigger "open $TEST_TMP/frsecret-*" --trigger 'syscall > 250ms' \
	--snapshot-before 3s --snapshot-after 1s; then
	fail "record --trigger 'open GLOB' --trigger 'syscall > 250ms' starts"; done_testing; exit
fi
pass "record --trigger 'open GLOB' --trigger 'syscall > 250ms' starts"
cat "$secret" 2>/dev/null
has_open() { ls "$dir"/snapshots/*-open_*.tar >/dev/null 2>&1; }
wait_for 15 has_open; ok $? "open - opening a matching path takes a snapshot"
a=$(ls "$dir"/snapshots/*-open_*.tar 2>/dev/null | head -1)
like "$(manifest "$a" 2>/dev/null)" '"record": "syscall pid=[0-9]+ .*comm=..cat.. name=..openat.. args=..path=.*'"$secret"'.* error=..ENOENT' \
	"open - the manifest names the openat of cat, its path and ENOENT"
# A read of a pipe that blocks 400 ms: slow, and not a call that waits by design.
"${SYSLOOP:-$(dirname "$EXIT_WITH")/sysloop}" slowread 400
has_slow() { ls "$dir"/snapshots/*-syscall_250ms.tar >/dev/null 2>&1; }
wait_for 15 has_slow; ok $? "syscall > 250ms - a read blocked 400 ms (or any slower call) takes a snapshot"
a=$(ls "$dir"/snapshots/*-syscall_250ms.tar 2>/dev/null | head -1)
lat=$(manifest "$a" | sed -n 's/.*"record": "syscall .* latency_ns=\([0-9]*\).*/\1/p')
[ "${lat:-0}" -gt 250000000 ]; ok $? "syscall > 250ms - the triggering call took longer than 250 ms ($lat ns)"
stop_recorder

# --- oom, in a memory cgroup of the test's own ---
cg=
if [ -w /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/memory ]; then
	cg=/sys/fs/cgroup/memory/frtest$$
	mkdir "$cg" && echo $((32 * 1024 * 1024)) > "$cg/memory.limit_in_bytes" || cg=
else
	root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	if [ -n "$root" ] && grep -qw memory "$root/cgroup.controllers" 2>/dev/null; then
		cg=$root/frtest$$
		echo +memory > "$root/cgroup.subtree_control" 2>/dev/null
		mkdir "$cg" && echo 32M > "$cg/memory.max" && echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
		[ -f "$cg/memory.max" ] || cg=
	fi
fi
if [ -z "$cg" ]; then
	for _ in 1 2 3; do skip "no memory cgroup to confine an OOM in"; done
else
	dir=$TEST_TMP/oom
	if start_recorder "$dir" --trigger oom --snapshot-before 5s --snapshot-after 1s; then
		pass "record --trigger oom starts"
		# Allocates and touches 256 MiB in a 32 MiB cgroup: the OOM killer ends it.
		sh -c "echo \$\$ > $TEST_TMP/oom.pid; echo \$\$ > $cg/cgroup.procs; exec python3 -c 'b = bytearray(256 << 20)'" 2>/dev/null
		wait_for 15 has_one; ok $? "oom - the OOM kill takes a snapshot"
		a=$(ls "$dir"/snapshots/*.tar 2>/dev/null | head -1)
		like "$(manifest "$a" 2>/dev/null)" '"detail": "oom", "record": "oom pid=[0-9]+ .*comm=\\"python3' \
			"oom - the manifest names the victim"
		victim=$(cat "$TEST_TMP/oom.pid")
		row=$("$FLIGHTREC_REPLAY" "$a" --csv -c "SELECT pid, comm, anon_rss_kb > 16384 AND anon_rss_kb <= 32768, total_vm_kb > anon_rss_kb FROM oom_kills" | tail -n +2)
		is "$row" "$victim,python3,1,1" "oom_kills - the victim's pid and comm, its anonymous RSS between 16 MiB and the 32 MiB limit, below its virtual size"
		stop_recorder
	else
		fail "record --trigger oom starts"
	fi
	rmdir "$cg" 2>/dev/null
fi

# Bad rules are refused with one line.
out=$("$FLIGHTREC" record --dir "$TEST_TMP/x" --trigger 'crash now' 2>&1); st=$?
is "$st:$out" "1:flightrec: record: invalid --trigger 'crash now': 'crash' takes no argument" "a bad rule, expect one line"
done_testing
