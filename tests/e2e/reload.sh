#!/usr/bin/env bash
# reload.sh - SIGHUP reads the config file again: snapshot-before, max-disk
# and the trigger rules change while recording (status --json shows them,
# the old rule no longer fires, the new one does); an option given on the
# command line still wins over the file; a change that needs a restart
# (ring-size) is named in the log and not applied; a broken file is one
# log line naming the file and the line, and the old values stay.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

dir=$TEST_TMP/rec
conf=$TEST_TMP/flightrec.conf
log=$TEST_TMP/recorder.log
old=frold$$
new=frnew$$
cat >"$conf" <<EOF
# flightrec test config
snapshot-before = 2m
max-disk = 64M
snapshot-after = 30s
trigger = exec $old
EOF

status_json() { "$FLIGHTREC" status --dir "$dir" --json; }
field() { status_json | python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
snaps() { ls "$dir"/snapshots/*.tar 2>/dev/null | wc -l; }
hup_and_wait() { # PATTERN: send SIGHUP, wait for a new log line matching PATTERN
	local before
	before=$(grep -c -E -- "$1" "$log")
	kill -HUP "$REC_PID"
	logged() { [ "$(grep -c -E -- "$1" "$log")" -gt "$before" ]; }
	wait_for 10 logged "$1"
}

# --snapshot-after on the command line: the file's 30s must not win on reload.
if ! start_recorder "$dir" --config "$conf" --snapshot-after 1s; then
	fail "record --config starts"; done_testing; exit
fi
pass "record --config FILE starts"
is "$(field "['options']['snapshot_before_ns']")" 120000000000 "status - snapshot-before from the file, expect 2m"
is "$(field "['disk_budget']")" $((64 << 20)) "status - max-disk from the file, expect 64M"

# A change: window, budget, the rule; and one that needs a restart.
cat >"$conf" <<EOF
# flightrec test config
snapshot-before = 7m
max-disk = 32M
snapshot-after = 30s
trigger = exec $new
ring-size = 4M
EOF
hup_and_wait "reloaded $conf"; ok $? "SIGHUP - the recorder logs the reload"
like "$(grep "reloaded $conf" "$log" | tail -1)" \
	"^flightrec: reloaded $conf: applied max-disk, snapshot-before, trigger; changed but needing a restart: ring-size$" \
	"SIGHUP - the log names what was applied and what needs a restart"
is "$(field "['options']['snapshot_before_ns']")" 420000000000 "status after SIGHUP - snapshot-before, expect 7m"
is "$(field "['options']['snapshot_after_ns']")" 1000000000 "status after SIGHUP - the command line's snapshot-after stays, expect 1s"
is "$(field "['disk_budget']")" $((32 << 20)) "status after SIGHUP - max-disk, expect 32M"
is "$(field "['options']['ring_size']")" $((8 << 20)) "status after SIGHUP - ring-size unchanged until a restart, expect 8M"

# The old rule is gone, the new one fires: one archive, named after the new rule.
cp "$EXIT_WITH" "$TEST_TMP/$old"
cp "$EXIT_WITH" "$TEST_TMP/$new"
"$TEST_TMP/$old" 0
"$TEST_TMP/$new" 0
has_one() { [ "$(snaps)" -ge 1 ]; }
wait_for 15 has_one; ok $? "new rule - exec $new takes a snapshot"
sleep 1.5 # past the 1 s window: a second archive would be there by now
is "$(snaps)" 1 "old rule - exec $old after the reload takes none, expect 1 archive in all"
a=$(ls "$dir"/snapshots/*.tar | head -1)
like "$(tar xOf "$a" MANIFEST.json)" "\"detail\": \"exec $new\", \"record\": \"exec pid=[0-9]+ " \
	"new rule - the manifest names the new rule"

# The same file again: only the restart is still pending; without ring-size, nothing to do.
hup_and_wait "reloaded $conf"
is "$(grep "reloaded $conf" "$log" | tail -1)" "flightrec: reloaded $conf: changed but needing a restart: ring-size" \
	"SIGHUP, same file - nothing applied, ring-size still waits for a restart"
sed -i '/^ring-size/d' "$conf"
hup_and_wait "reloaded $conf: no change"; ok $? "SIGHUP, file as the recorder runs it - the log says no change"

# A broken file: one line naming FILE:LINE, the old configuration stays.
cat >"$conf" <<EOF
snapshot-before = 9m
snapshot-after = banana
EOF
hup_and_wait "reload: "; ok $? "SIGHUP, broken file - logged"
is "$(grep "reload: " "$log")" \
	"flightrec: reload: $conf:2: invalid snapshot-after 'banana': expected a duration like 10s; keeping the running configuration" \
	"SIGHUP, broken file - one line naming the file, the line and the value"
is "$(field "['options']['snapshot_before_ns']")" 420000000000 "SIGHUP, broken file - snapshot-before kept, expect 7m"
kill -0 "$REC_PID"; ok $? "SIGHUP, broken file - the recorder goes on"

rm "$conf"
hup_and_wait "reload: cannot read"; ok $? "SIGHUP, missing file - logged"
like "$(grep "reload: cannot read" "$log")" "^flightrec: reload: cannot read config file $conf: No such file or directory; keeping the running configuration$" \
	"SIGHUP, missing file - the line names the file and the cause"
stop_recorder; ok $? "stop - the recorder exits 0"
done_testing
