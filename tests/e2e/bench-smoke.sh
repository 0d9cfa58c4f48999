#!/usr/bin/env bash
# bench-smoke.sh - every part of `scripts/bench --quick` runs and reports:
# a row for each tracer, each nginx configuration, each throughput step,
# each record kind, the snapshot and the replay.  Nothing is asserted about
# the figures themselves (timings are for BENCHMARKS.md, never for tests);
# only that each part measured something and that nothing was lost.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
build=$(dirname "$FLIGHTREC")
out=$TEST_TMP/bench.md

"$TESTS_SRCDIR/../scripts/bench" --quick --build "$build" --out "$out" 2>"$TEST_TMP/bench.err"
ok $? "scripts/bench --quick runs"
[ -s "$out" ] || { diag "$(cat "$TEST_TMP/bench.err")"; done_testing; exit; }
if grep -q "failed)" "$out"; then
	fail "no part failed"
	diag "$(grep "failed)" "$out")" "$(tail -20 "$TEST_TMP/bench.err")"
else
	pass "no part failed"
fi

num='[0-9][0-9.]*'
for mode in 'none' 'floor (empty sys_enter + sys_exit)' 'flightrec summary (default)' 'flightrec audit' \
	'flightrec all' 'bpftrace counter' 'perf trace -s' 'strace -c'; do
	like "$(grep -F "| $mode |" "$out")" "^\| .* \| $num \| .*\| $num \| " "syscalls - a row for $mode with ns per call"
done
# Whether it lost any depends on the load on the machine: a figure, not a test.
like "$(grep '^flightrec all (default 8 MiB ring)' "$out")" ', [0-9]+ events lost in the ring buffer' \
	"syscalls - all mode reports its rate and what it lost"

for c in 'untraced' 'floor (empty sys_enter + sys_exit)' 'flightrec --syscalls=off' 'flightrec (default)' \
	'flightrec --syscalls=all' 'bpftrace counter'; do
	like "$(grep -F "| $c |" "$out")" "^\| .* \| [1-9][0-9]* \| $num%" "nginx - requests/s under $c"
done
like "$(grep -F '| flightrec (default) |' "$out")" "of a core \| [1-9][0-9]* MiB \| $num MB/hour" \
	"nginx - the recorder's CPU, RSS and log growth"

like "$(grep -E '^\| 250000 \|' "$out")" "^\| 250000 \| [1-9][0-9]* \| [1-9][0-9]* \| 0 \| 0.00 \|" \
	"throughput - the first step: calls made, none lost"
like "$(grep '^Highest step without loss' "$out")" "$num calls/s" "throughput - the highest step and twice it"

for kind in exec fork exit syscall syscall_stat all; do
	like "$(grep -E "^\| $kind \|" "$out" | head -1)" "^\| $kind \| [1-9][0-9]* \| [1-9][0-9]* \| $num \|" \
		"disk - bytes per record of $kind"
done
like "$(grep 'MB/hour idle' "$out")" "$num MB/hour idle" "disk - growth per hour idle"
like "$(grep -F '| RSS, idle |' "$out")" "[1-9][0-9]* MiB" "footprint - RSS idle"
like "$(grep -F '| 5 minutes after the throughput run |' "$out")" "\| [1-9][0-9]* \| $num MB \| $num s \| $num s \|" \
	"snapshot - an archive of the window, written and verified"
like "$(grep -E '^\| mkseg --synthetic 100000 \|' "$out")" "^\| mkseg --synthetic 100000 \| 100000 \| - \| - \| - \| $num s \| ${num}M \| $num MiB \|" \
	"replay - 100000 records to a first answer"
done_testing
