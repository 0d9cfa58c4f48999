#!/usr/bin/env bash
# snapshot-sigterm.sh - stopping the recorder while a snapshot is under way
# leaves its archive either whole (`flightrec verify` passes, the client got
# its path) or absent (the client got an error), never a partial .tar nor a
# temporary file: SIGTERM at several points of `snapshot --after 2s`,
# SIGTERM to the whole process group while the archive is being written,
# SIGKILL of the writer, and a temporary file left by a crash.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
SYSLOOP=${SYSLOOP:-$(dirname "$EXIT_WITH")/sysloop}
[ -x "$SYSLOOP" ] || skip_all "tests/helpers/sysloop is not built (make check builds it)"

# wait_gone PID SECONDS: 0 once PID has exited (bounded).
wait_gone() {
	for _ in $(seq 1 $(($2 * 10))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
tmp_files() { find "$1/snapshots" -name '*.tmp' 2>/dev/null | wc -l; }
tars() { find "$1/snapshots" -name '*.tar' 2>/dev/null; }

# 1. A temporary file left by a crash is removed at start, and said.
dir=$TEST_TMP/crash
mkdir -p "$dir/snapshots"
echo half > "$dir/snapshots/host-20200101T000000Z-x.tar.tmp"
if start_recorder "$dir"; then
	like "$(cat "$TEST_TMP/recorder.log")" "removed $dir/snapshots/host-20200101T000000Z-x.tar.tmp, an archive whose writer died before finishing it" \
		"start - a temporary archive of an earlier run is removed and named"
	is "$(tmp_files "$dir")" 0 "start - no temporary file left"
	stop_recorder; ok $? "record - SIGTERM, expect exit 0"
else
	fail "flightrec record starts over a stale temporary archive"
fi

# 2. SIGTERM at several points once `snapshot --before 5s --after 2s` is
# queued: the pending window ends with the recording and is written whole.
i=0
for delay in 0 1 1.9 2.3; do
	i=$((i + 1))
	dir=$TEST_TMP/term$i
	if ! start_recorder "$dir"; then fail "round $i - recorder starts"; continue; fi
	mark=frterm$$x$i
	"$EXIT_WITH" 0 "$mark"
	"$FLIGHTREC" snapshot --dir "$dir" --before 5s --after 2s --reason "term$i" >"$TEST_TMP/client$i.out" 2>&1 &
	client=$!
	queued() { grep -q "snapshot requested (term$i)" "$TEST_TMP/recorder.log"; }
	wait_for 10 queued
	sleep "$delay"
	kill -TERM "$REC_PID"
	wait_gone "$REC_PID" 30; wait "$REC_PID"; rst=$?; REC_PID=
	wait_gone "$client" 10; wait "$client"; cst=$?
	archive=$(tars "$dir")
	is "$rst:$cst:$(tmp_files "$dir"):$(printf '%s' "$archive" | grep -c .)" "0:0:0:1" \
		"SIGTERM ${delay}s into the after-window - recorder and client exit 0, one archive, no temporary file"
	is "$(cat "$TEST_TMP/client$i.out")" "$archive" "SIGTERM ${delay}s - the client printed the archive's path"
	"$FLIGHTREC" verify "$archive" >/dev/null 2>&1; ok $? "SIGTERM ${delay}s - flightrec verify passes"
	got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM proc_exec WHERE argv = '$EXIT_WITH 0 $mark'" | tail -1)
	is "$got" 1 "SIGTERM ${delay}s - the exec before the request is in it"
done

# SIGTERM right as the client starts: either it was queued and written, or
# the client was refused; never a partial file.
dir=$TEST_TMP/term0
if start_recorder "$dir"; then
	"$FLIGHTREC" snapshot --dir "$dir" --before 5s --after 2s --reason early >"$TEST_TMP/early.out" 2>&1 &
	client=$!
	kill -TERM "$REC_PID"
	wait_gone "$REC_PID" 30; wait "$REC_PID"; rst=$?; REC_PID=
	wait_gone "$client" 10; wait "$client"; cst=$?
	archive=$(tars "$dir")
	if [ -n "$archive" ]; then
		"$FLIGHTREC" verify "$archive" >/dev/null 2>&1
		is "$rst:$cst:$?:$(cat "$TEST_TMP/early.out")" "0:0:0:$archive" "SIGTERM at once - written whole, verified, path printed"
	else
		is "$rst:$cst" "0:1" "SIGTERM at once - no archive, and the client says it failed (exit 1)"
	fi
	is "$(tmp_files "$dir")" 0 "SIGTERM at once - no temporary file"
fi

# A log with something to write: every call of a syscall flood is a record.
big_recorder() {
	"$SYSLOOP" getppid 300000
	"$FLIGHTREC" status --dir "$1" >/dev/null
}
writer_of() { cat "/proc/$1/task/$1/children" 2>/dev/null | tr ' ' '\n' | grep . | while read -r c; do
	[ "$(cat "/proc/$c/comm" 2>/dev/null)" = flightrec ] && echo "$c"; done | head -1; }
# find_writer REC_PID DIR: the pid of the archive writer once its temporary
# file exists. The recorders of sections 3 and 4 run with
# FLIGHTREC_TEST_WRITER_PAUSE_MS, which holds the writer 3 s after it
# creates that file, so the signals below reach a writer that is certainly
# mid-archive (a fast machine wrote the whole archive before the test could
# see its writer, and the test could only skip).
find_writer() {
	local w=
	for _ in $(seq 1 200); do
		if [ "$(tmp_files "$2")" -ge 1 ]; then w=$(writer_of "$1"); [ -n "$w" ] && break; fi
		sleep 0.05
	done
	echo "$w"
}

# 3. SIGTERM to the whole process group (Ctrl-C, systemd) while the
# archive is being written: the writer ignores it, the recorder waits.
dir=$TEST_TMP/group
FLIGHTREC_TEST_WRITER_PAUSE_MS=3000 "$FLIGHTREC" record --dir "$dir" --syscalls all >"$TEST_TMP/recorder.log" 2>&1 &
REC_PID=$!
if wait_for 20 "$FLIGHTREC" status --dir "$dir"; then
	big_recorder "$dir"
	"$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason group >"$TEST_TMP/group.out" 2>&1 &
	client=$!
	w=$(find_writer "$REC_PID" "$dir")
	if [ -n "$w" ]; then
		kill -TERM "$REC_PID" "$w" # what a signal to the group does to these two
		wait_gone "$REC_PID" 60; wait "$REC_PID"; rst=$?; REC_PID=
		wait_gone "$client" 10; wait "$client"; cst=$?
		archive=$(tars "$dir")
		is "$rst:$cst:$(tmp_files "$dir"):$(printf '%s' "$archive" | grep -c .)" "0:0:0:1" \
			"SIGTERM to recorder and writer while writing - exit 0, one archive, no temporary file"
		"$FLIGHTREC" verify "$archive" >/dev/null 2>&1; ok $? "SIGTERM while writing - the archive verifies"
	else
		fail "SIGTERM while writing - the writer and its temporary file are seen within 10 s"
		diag "$(ls -la "$dir/snapshots" 2>&1)"
		stop_recorder
	fi
else
	fail "recorder with --syscalls all starts"
fi

# 4. SIGKILL of the writer: the client is told, the temporary file is
# removed, the recorder goes on and the next snapshot is whole.
dir=$TEST_TMP/kill
FLIGHTREC_TEST_WRITER_PAUSE_MS=3000 "$FLIGHTREC" record --dir "$dir" --syscalls all >"$TEST_TMP/recorder.log" 2>&1 &
REC_PID=$!
if wait_for 20 "$FLIGHTREC" status --dir "$dir"; then
	big_recorder "$dir"
	"$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason killed >"$TEST_TMP/kill.out" 2>&1 &
	client=$!
	w=$(find_writer "$REC_PID" "$dir")
	if [ -n "$w" ]; then
		kill -KILL "$w"
		wait_gone "$client" 30; wait "$client"; cst=$?
		is "$cst:$(cat "$TEST_TMP/kill.out")" "1:flightrec: the archive writer died (signal 9)" \
			"SIGKILL of the writer - the client exits 1 saying so"
		is "$(tmp_files "$dir"):$(tars "$dir" | grep -c .)" "0:0" "SIGKILL of the writer - no temporary file, no archive"
	else
		fail "SIGKILL of the writer - the writer and its temporary file are seen within 10 s"
		diag "$(ls -la "$dir/snapshots" 2>&1)"
	fi
	archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 2s --after 0s --reason after-kill)
	"$FLIGHTREC" verify "$archive" >/dev/null 2>&1; ok $? "after the writer's death - the next snapshot verifies"
	stop_recorder; ok $? "record - SIGTERM, expect exit 0"
else
	fail "recorder with --syscalls all starts"
fi
done_testing
