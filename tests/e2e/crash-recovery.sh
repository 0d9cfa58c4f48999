#!/usr/bin/env bash
# crash-recovery.sh - kill -9 the recorder, tear the tail of its newest
# segment as a crash in the middle of a write would, restart it: the tail
# is repaired (every whole block kept), `flightrec dump DIR` reads every
# segment cleanly, and the time the recorder was down is a gap.  Also: a
# config file sets options, and its errors name the file and the line.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

dir=$TEST_TMP/rec
conf=$TEST_TMP/flightrec.conf
cat > "$conf" <<CONF
# test configuration
max-disk = 64M
snapshot-before = 20s   
snapshot-after=1s
CONF
if ! start_recorder "$dir" --config "$conf"; then
	fail "flightrec record starts with --config"
	done_testing; exit
fi
pass "flightrec record starts with --config"
st=$("$FLIGHTREC" status --json --dir "$dir")
like "$st" '"max_disk": 67108864, .*"snapshot_before_ns": 20000000000, "snapshot_after_ns": 1000000000' \
	"config - max-disk, snapshot-before and snapshot-after taken from the file"

mark=frcrash$$x$RANDOM
for i in 1 2 3 4 5; do "$EXIT_WITH" 0 "$mark" "$i"; done
count_marked() { "$FLIGHTREC" dump "$dir" 2>/dev/null | grep -c "exec .*argv=\"$EXIT_WITH [0-9-]* $mark "; }
all_marked() { [ "$(count_marked)" -eq 5 ]; }
wait_for 10 all_marked
ok $? "the 5 processes reach the disk within the flush interval"

kill -KILL "$REC_PID"; wait "$REC_PID" 2>/dev/null; REC_PID=
seg=$(ls "$dir"/log/*.seg | tail -1)
size=$(stat -c %s "$seg")
# A torn write: the start of a block header and some payload, then nothing.
printf 'FRBK\100\000\001\000' >> "$seg"
head -c 300 /dev/urandom >> "$seg"

if ! start_recorder "$dir" --config "$conf"; then
	fail "flightrec record restarts after kill -9"
	done_testing; exit
fi
pass "flightrec record restarts after kill -9"
like "$(cat "$TEST_TMP/recorder.log")" "repaired the log tail: cut 308 bytes of an incomplete block" \
	"restart - the torn tail is cut, expect exactly the 308 torn bytes"
[ "$(stat -c %s "$seg")" -ge "$size" ]; ok $? "restart - every whole block of the old segment kept"
"$FLIGHTREC" dump "$dir" >/dev/null 2>"$TEST_TMP/dump.err"
is "$?:$(cat "$TEST_TMP/dump.err")" "0:" "dump DIR - reads every segment with no damage reported"
is "$(count_marked)" 5 "dump DIR - the 5 processes from before the crash are still there"

archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason after-crash)
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT reason, dropped FROM gaps WHERE reason = 'recorder not running'")
is "$got" $'reason,dropped\nrecorder not running,0' "gaps - the time the recorder was down is one gap"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM timeline WHERE kind = 'gap' AND summary LIKE 'recorder not running%' AND duration_ns > 0" | tail -1)
is "$got" 1 "timeline - the gap is a row with its duration"
stop_recorder; ok $? "record - SIGTERM, expect exit 0"

# Config file errors: one line naming the file, the line and the problem.
printf 'max-disk = 1G\nsnapshot-after = soon\n' > "$conf"
out=$("$FLIGHTREC" record --dir "$TEST_TMP/x" --config "$conf" 2>&1); st=$?
is "$st:$out" "1:flightrec: $conf:2: invalid snapshot-after 'soon': expected a duration like 10s" \
	"config - a bad value, expect FILE:LINE and the expected form"
printf '\n# ok\nwhatever = 3\n' > "$conf"
out=$("$FLIGHTREC" record --dir "$TEST_TMP/x" --config "$conf" 2>&1); st=$?
is "$st:$out" "1:flightrec: $conf:3: unknown key 'whatever'" "config - an unknown key, expect FILE:LINE"
done_testing
