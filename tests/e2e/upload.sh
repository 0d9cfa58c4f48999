#!/usr/bin/env bash
# upload.sh - --upload-cmd (here from the config file) runs on each finished
# archive in the background: a copy arrives byte for byte; a failing command
# is counted and its first stderr line logged, the archive kept; a command
# past --upload-timeout is killed with its process group.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

# A directory with a space in its name: CMD is the user's shell text, the
# archive path comes as one argument whatever it holds.
up="$TEST_TMP/up load"
mkdir -p "$up/dest"
echo 0 > "$up/count"
cat > "$up/upload.sh" <<'EOF'
#!/bin/sh
# 1st call: copy; 2nd: fail with two lines on stderr; 3rd: hang.
here=$(dirname "$0")
n=$(cat "$here/count"); echo $((n + 1)) > "$here/count"
case $n in
0) exec cp "$1" "$here/dest/" ;;
1) echo "bucket full for $(basename "$1")" >&2; echo "second line" >&2; exit 3 ;;
*) echo $$ > "$here/hung.pid"; exec sleep 300 ;;
esac
EOF
chmod +x "$up/upload.sh"
cat > "$TEST_TMP/conf" <<EOF
upload-cmd = "$up/upload.sh"
upload-timeout = 2s
EOF

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --config "$TEST_TMP/conf"; then
	fail "record --config with upload-cmd starts"; done_testing; exit
fi
pass "record with upload-cmd and upload-timeout from the config file starts"

status_has() { "$FLIGHTREC" status --dir "$dir" --json | grep -q "$1"; }

# 1. a copy arrives, identical
a1=$("$FLIGHTREC" snapshot --dir "$dir" --before 1s --after 0 --reason up1 2>&1)
a1=${a1#ok }
[ -f "$a1" ]; ok $? "snapshot - archive written ($a1)"
wait_for 20 status_has '"upload_ok": 1, "upload_failed": 0, "uploads_running": 0'
ok $? "status - upload_ok 1, upload_failed 0 once the copy is done"
cmp "$a1" "$up/dest/$(basename "$a1")"; ok $? "upload - the copy is identical to the archive (cmp)"
like "$(cat "$TEST_TMP/recorder.log")" "flightrec: uploaded $a1 in [0-9.]+s" "log - the upload is logged"

# 2. a failing command: counted, its first stderr line logged, archive kept
a2=$("$FLIGHTREC" snapshot --dir "$dir" --before 1s --after 0 --reason up2 2>&1)
a2=${a2#ok }
wait_for 20 status_has '"upload_ok": 1, "upload_failed": 1, "uploads_running": 0'
ok $? "status - a failing command, expect upload_failed 1"
got=$(grep "upload of $a2" "$TEST_TMP/recorder.log")
is "$got" "flightrec: upload of $a2 failed (exit status 3): bucket full for $(basename "$a2"); the archive is kept" \
	"log - exit status and the first stderr line only"
"$FLIGHTREC" verify "$a2" >/dev/null 2>&1; ok $? "failed upload - the archive is still there and verifies"
[ ! -e "$up/dest/$(basename "$a2")" ]; ok $? "failed upload - nothing arrived"

# 3. a hanging command: killed after 2 s with what it started; the recorder answers meanwhile
a3=$("$FLIGHTREC" snapshot --dir "$dir" --before 1s --after 0 --reason up3 2>&1)
a3=${a3#ok }
has_pid() { [ -s "$up/hung.pid" ]; }
wait_for 10 has_pid; ok $? "hanging upload - the command runs"
status_has '"uploads_running": 1'; ok $? "status - answers while an upload runs, uploads_running 1"
wait_for 20 status_has '"upload_ok": 1, "upload_failed": 2, "uploads_running": 0'
ok $? "status - the hanging command, expect upload_failed 2 after --upload-timeout"
hung=$(cat "$up/hung.pid")
# killed, it may stay a zombie a moment until whoever inherited it reaps it
gone() { case $(ps -o stat= -p "$hung") in ''|Z*) return 0 ;; esac; return 1; }
wait_for 5 gone; ok $? "hanging upload - its process ($hung) is killed"
like "$(grep "upload of $a3" "$TEST_TMP/recorder.log")" "failed \(killed after [0-9]s: --upload-timeout\); the archive is kept" \
	"log - the timeout is named"
[ -f "$a3" ]; ok $? "hanging upload - the archive is kept"
is "$(cat "$up/count")" 3 "upload - the command ran once per archive"

got=$("$FLIGHTREC" status --dir "$dir" | grep '^uploads:')
is "$got" "uploads:   1 ok, 2 failed, 0 running" "status - text form"

# a bad value is refused with one line
out=$("$FLIGHTREC" record --dir "$TEST_TMP/x" --upload-timeout soon 2>&1); st=$?
is "$st:$out" "1:flightrec: record: invalid --upload-timeout 'soon': expected a duration like 10m, 0 for no bound" \
	"record --upload-timeout soon - refused with one line"

stop_recorder; ok $? "record - SIGTERM, expect exit 0"
done_testing
