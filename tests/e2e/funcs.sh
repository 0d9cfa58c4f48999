#!/usr/bin/env bash
# funcs.sh - function latency on demand: --uprobe on two functions of a
# test binary, one called 5000 times and fast, one once and sleeping
# 300 ms.  func_stats counts exactly the calls, its histogram holds them
# all, and funcs has one row, for the slow call only (--func-threshold
# 100ms), with its latency; status counts the calls; the timeline and
# .summary show the slow call.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
FUNCLOAD=${FUNCLOAD:-$(dirname "$EXIT_WITH")/funcload}
# A private copy: a uprobe is on the file, so only this test's runs count.
bin=$TEST_TMP/funcload
cp "$FUNCLOAD" "$bin"

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --probes=process --uprobe "$bin:fast_step" --uprobe "$bin:slow_step" \
	--func-threshold 100ms; then
	fail "record --uprobe BIN:fast_step --uprobe BIN:slow_step starts"; done_testing; exit
fi
pass "record --uprobe BIN:fast_step --uprobe BIN:slow_step starts"
"$bin" 5000 300 &
fpid=$!
wait "$fpid"
ok $? "funcload: 5000 fast_step calls, one slow_step of 300 ms"
like "$("$FLIGHTREC" status --dir "$dir")" "uprobe/fast_step .*\(5000 calls\)" "status - 5000 calls of fast_step"
wait_drained "$dir" # func_stats: the last second's counts are drained a tick after it ends
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 30s --after 0s --reason funcs)
ok $? "snapshot"
stop_recorder

R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" | tail -1; }
is "$(R "SELECT sum(count) FROM func_stats WHERE pid = $fpid AND symbol = 'fast_step' AND binary = '$bin'")" 5000 \
	"func_stats - exactly 5000 calls of fast_step"
is "$(R "SELECT sum(count) || ' ' || (max(max_ns) >= 300000000) || ' ' || (sum(total_ns) >= 300000000) FROM func_stats
	WHERE pid = $fpid AND symbol = 'slow_step'")" "1 1 1" "func_stats - one call of slow_step, at least 300 ms"
# Every call in the histogram: the counts of its B:N pairs add up.
hist=$(R "SELECT group_concat(hist, ' ') FROM func_stats WHERE pid = $fpid AND symbol = 'fast_step'")
is "$(echo "$hist" | tr ' ' '\n' | awk -F: '{ n += $2 } END { print n }')" 5000 "func_stats - the histogram holds the 5000 calls"
is "$(R "SELECT count(*) || ' ' || min(symbol) || ' ' || (min(latency_ns) >= 300000000) || ' ' || (min(latency_ns) < 2000000000) || ' ' || (min(tid) = $fpid)
	FROM funcs WHERE pid = $fpid")" "1 slow_step 1 1 1" "funcs - one row, for the slow call only, 300 ms to 2 s"
like "$(R "SELECT summary FROM timeline WHERE pid = $fpid AND kind = 'func'")" "^slow_step\\(\\) in .*funcload took 3[0-9][0-9]\\.[0-9] ms$" \
	"timeline - the slow call"
like "$("$FLIGHTREC_REPLAY" "$a" -c .summary 2>&1 | grep -A4 'slowest function calls')" "slow_step" ".summary - the slow call"
done_testing
