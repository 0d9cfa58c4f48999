#!/usr/bin/env bash
# snapshot-retention.sh - a pending snapshot with a long after-window keeps
# the segments it needs while the log is under retention pressure (a small
# --max-disk filled several times over); `flightrec verify` accepts the
# archive and rejects it with one flipped byte, naming the member.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --max-disk 1M --segment-size 64K; then
	fail "record --max-disk 1M starts"; done_testing; exit
fi
pass "record --max-disk 1M --segment-size 64K starts"
early=frearly$$x$RANDOM
"$EXIT_WITH" 0 "$early"
# 6000 distinct arguments of 300 incompressible characters, made at once.
python3 -c "
import random, string
r = random.Random(7)
for i in range(6000):
    print(''.join(r.choice(string.ascii_letters + string.digits) for _ in range(300)))" > "$TEST_TMP/args"
got=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 15s --reason pressure --no-wait)
is "$got" queued "snapshot --no-wait - returns at once, expect 'queued'"

# About 1.5 MB of hardly compressible argv: the log passes its budget while the window is open.
# In chunks of 500, each followed by a request that folds into the pending window and
# extends it to 15 s from then, so that the window outlasts the burst however slow the
# machine: the burst alone takes 6 s on an idle 2-CPU VM, 13 s beside two busy loops,
# and more than the 15 s of one window beside three (a third of its processes were
# then after the window, and the count below failed).
for first in $(seq 1 500 6000); do
	sed -n "$first,$((first + 499))p" "$TEST_TMP/args" | xargs -n 1 "$EXIT_WITH" 0
	"$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 15s --reason pressure --no-wait >/dev/null
done
is "$(grep -c '^flightrec: snapshot trigger (pressure) folded into the pending window' "$TEST_TMP/recorder.log")" 12 \
	"snapshot - the 12 requests between the chunks of the burst extend the one pending window"
archive=
has_archive() { archive=$(ls "$dir"/snapshots/*-pressure.tar 2>/dev/null | head -1); [ -n "$archive" ]; }
wait_for 40 has_archive; ok $? "snapshot - written after its 15 s window"
# The pin goes when the recorder reaps the writer, just after the archive appears.
within_budget() { [ "$(du -cb "$dir"/log/*.seg | tail -1 | cut -f1)" -le $((1024 * 1024)) ]; }
wait_for 10 within_budget
ok $? "retention - the log is back within --max-disk ($(du -cb "$dir"/log/*.seg | tail -1 | cut -f1) bytes)"
first=$(ls "$dir"/log | head -1)
[ "$first" != 0000000000000001.seg ]; ok $? "retention - the oldest segments were deleted once released ($first)"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM proc_exec WHERE argv LIKE '%$early%'" | tail -1)
is "$got" 1 "pending snapshot - the process from before the pressure is in the archive"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM proc_exec WHERE argv LIKE '$EXIT_WITH 0 %' AND length(argv) > 250" | tail -1)
is "$got" 6000 "pending snapshot - all 6000 processes of the window are in the archive"
total=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT sum(length(argv)) FROM proc_exec" | tail -1)
[ "$total" -gt $((1024 * 1024)) ]; ok $? "pending snapshot - the window holds more than the whole budget ($total bytes of argv)"
stop_recorder

out=$("$FLIGHTREC" verify "$archive"); st=$?
like "$st:$out" "^0:$archive: ok, [0-9]+ records in [0-9]+ blocks, all inside .*checksums match$" "verify - a fresh archive, expect ok"
cp "$archive" "$TEST_TMP/flipped.tar"
# One byte in the middle of window.seg (which starts after two 512-byte-aligned members).
off=$(python3 -c "
import sys
b = open(sys.argv[1], 'rb').read()
i = b.find(b'FRECSEG')
print(i + 256 + 100)" "$TEST_TMP/flipped.tar")
printf '\x55' | dd of="$TEST_TMP/flipped.tar" bs=1 seek="$off" conv=notrunc 2>/dev/null
out=$("$FLIGHTREC" verify "$TEST_TMP/flipped.tar" 2>&1); st=$?
is "$st" 1 "verify - one flipped byte, expect exit 1"
like "$out" "^flightrec: $TEST_TMP/flipped.tar: member window.seg: " "verify - one flipped byte, expect the member named"
is "$(printf '%s\n' "$out" | wc -l)" 1 "verify - one line"
done_testing
