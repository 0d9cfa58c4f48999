#!/usr/bin/env bash
# disk-full.sh - DIR on a small tmpfs that fills up: the recorder keeps
# running, counts every record it could not write, and when space returns
# writes a drop record (source writer) with exactly that count, which shows
# as a gap; records after that are written again.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

mnt=$TEST_TMP/small
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=4m tmpfs "$mnt" 2>/dev/null; then
	skip_all "cannot mount a tmpfs (needs root and mount rights)"
fi
umount_small() { umount "$mnt" 2>/dev/null; }
trap 'umount_small; cleanup' EXIT

dir=$mnt/rec
if ! start_recorder "$dir" --max-disk 64M; then
	fail "flightrec record starts on a 4 MiB tmpfs"
	done_testing; exit
fi
pass "flightrec record starts on a 4 MiB tmpfs"

# Fill the file system to the last byte.
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null
dd if=/dev/zero of="$mnt/filler2" bs=1 2>/dev/null
is "$(df --output=avail -B1 "$mnt" | tail -1 | tr -d ' ')" 0 "the file system is full"

full=frfull$$x$RANDOM
for i in $(seq 1 20); do "$EXIT_WITH" 0 "$full" "$i"; done
lost() { "$FLIGHTREC" status --json --dir "$dir" | sed -n 's/.*"writer_lost": \([0-9]*\).*/\1/p'; }
some_lost() { [ "$(lost)" -gt 0 ]; }
wait_for 10 some_lost
ok $? "disk full - the recorder counts records it cannot write"
kill -0 "$REC_PID"; ok $? "disk full - the recorder keeps running"
"$FLIGHTREC" status --dir "$dir" >/dev/null; ok $? "disk full - it still answers status"
# It says so at the next flush, within a second.
wait_for 5 grep -Eq "cannot (write|create) segment .*No space left on device; counting lost records" "$TEST_TMP/recorder.log"
ok $? "disk full - says so, naming the segment"
is "$(grep -c "counting lost records" "$TEST_TMP/recorder.log")" 1 "disk full - says so once"

rm -f "$mnt/filler" "$mnt/filler2"
wait_for 10 grep -q "writing again" "$TEST_TMP/recorder.log"
ok $? "space returns - the recorder says it writes again"
n_lost=$(lost)
back=frback$$x$RANDOM
for i in 1 2 3; do "$EXIT_WITH" 0 "$back" "$i"; done
all_back() { [ "$("$FLIGHTREC" dump "$dir" 2>/dev/null | grep -c "exec .*argv=\"$EXIT_WITH [0-9-]* $back ")" -eq 3 ]; }
wait_for 10 all_back
ok $? "space returns - new records are written again"
got=$("$FLIGHTREC" dump "$dir" 2>/dev/null | sed -n 's/.* drop source="writer" cpu=4294967295 count=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
is "$got" "$n_lost" "space returns - drop records of source writer add up to the $n_lost lost records"
archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason disk)
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT sum(dropped) FROM gaps WHERE reason = 'cannot write to disk'" | tail -1)
is "$got" "$n_lost" "gaps - the loss is a gap with its count"
stop_recorder; ok $? "record - SIGTERM, expect exit 0"
done_testing
