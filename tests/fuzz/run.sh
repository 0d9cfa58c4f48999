#!/usr/bin/env bash
# run.sh - the fuzz smoke test of make check: each libFuzzer target replays
# its stored corpus (tests/fuzz/corpus/TARGET/, which keeps every input that
# once crashed it) and then mutates it for a few seconds.  One TAP line per
# target; any crash, leak or undefined behaviour fails it with the report.
# Skipped, with the reason, when configure found no clang able to build
# them.  Longer runs: scripts/fuzz.
. "$TESTS_SRCDIR/e2e/lib.sh"

targets="segment load control config"
seconds=${FUZZ_SECONDS:-5}

for t in $targets; do
	[ -x "$FUZZ_BIN/fuzz-$t" ] ||
		skip_all "fuzz targets not built: configure found no clang that links -fsanitize=fuzzer"
done

for t in $targets; do
	corpus=$TESTS_SRCDIR/fuzz/corpus/$t
	n=$(find "$corpus" -type f | wc -l)
	mkdir -p "$TEST_TMP/$t"
	# New inputs go to the first (scratch) directory, never to the source tree.
	"$FUZZ_BIN/fuzz-$t" -max_total_time="$seconds" -runs=2000000 -timeout=20 -rss_limit_mb=2048 \
		-close_fd_mask=2 -artifact_prefix="$TEST_TMP/$t/crash-" "$TEST_TMP/$t" "$corpus" \
		>"$TEST_TMP/$t.log" 2>&1
	st=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$TEST_TMP/$t.log")
	if [ "$st" -eq 0 ] && [ -n "$runs" ]; then
		pass "fuzz-$t - $runs runs from a corpus of $n inputs, expect no crash, leak or UB"
	else
		fail "fuzz-$t - exit $st after ${runs:-?} runs, expect no crash, leak or UB"
		diag "$(grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$TEST_TMP/$t.log" | head -20)"
	fi
done
done_testing
