#!/usr/bin/env bash
# soak.sh - `scripts/soak --quick`: 45 s of mixed load (nginx and wrk on
# loopback, a fork storm, fsync'd writes, a syscall flood) with snapshots
# every 15 s; it must pass (recorder alive and stopping cleanly, every
# snapshot verified, RSS flat after warm-up) and report each figure.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || skip_all "nginx is not installed (scripts/install-deps: nginx-light)"
command -v wrk >/dev/null || skip_all "wrk is not installed (scripts/install-deps: wrk)"
build=$(dirname "$FLIGHTREC")

"$TESTS_SRCDIR/../scripts/soak" --quick --build "$build" >"$TEST_TMP/soak.out" 2>&1
st=$?
out=$(cat "$TEST_TMP/soak.out")
is "$st:$(printf '%s\n' "$out" | tail -1)" "0:soak: PASS" "scripts/soak --quick - exit 0, PASS"
[ "$st" -eq 0 ] || diag "$out"
like "$out" "soak: snapshots: 2 taken, 2 verified" "snapshots - one every 15 s of the 45, expect 2 taken and both verified"
like "$out" "soak: rss: [1-9][0-9]* KiB after warm-up, [1-9][0-9]* KiB at the end, growth -?[0-9]+ KiB, peak [1-9][0-9]* KiB" \
	"report - RSS at start, end, growth and peak"
like "$out" "soak: lost: ringbuf_drops [0-9]+, writer_lost [0-9]+, bad_events 0" \
	"report - losses counted, no malformed event"
like "$out" "soak: events: [1-9][0-9]*; records written: [1-9][0-9]* in [1-9][0-9]* blocks" "report - events and records written"
like "$out" "soak: load: 45s; wrk [1-9][0-9.]* requests/s" "report - nginx answered wrk"
done_testing
