#!/usr/bin/env bash
# control-path.sh - a state directory deeper than sun_path's 107 bytes
# (a deep TMPDIR, a container's or a build tree's path): the recorder
# listens on DIR/control.sock all the same, status and snapshot reach it,
# the socket is where the other files are (0600) and gone after the stop;
# a client of such a directory without a recorder, and one whose directory
# does not exist, are told so in one line naming the whole path.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

# the directory: 150 bytes, or 60 more than TEST_TMP when that is deeper already
len=$(( ${#TEST_TMP} + 60 > 150 ? ${#TEST_TMP} + 60 : 150 ))
pad=$(printf 'd%.0s' $(seq 1 $((len - ${#TEST_TMP} - 1))))
dir=$TEST_TMP/$pad
sock=$dir/control.sock
is "${#dir}:$(( ${#sock} > 107 ))" "$len:1" "the directory is $len bytes, its socket path ${#sock}: over sun_path's 107"

if ! start_recorder "$dir" --probes=process; then
	fail "record --dir (a $len-byte directory) starts and answers status"; done_testing; exit
fi
pass "record --dir (a $len-byte directory) starts and answers status"
is "$(stat -c '%F %a' "$sock" 2>&1)" "socket 600" "control.sock - a socket, 0600, in that directory"
got=$("$FLIGHTREC" status --dir "$dir" | head -1)
is "$got" "recorder pid $REC_PID, recording to $dir/log since ${got##* since }" "status - the recorder's pid and its log"
arch=$("$FLIGHTREC" snapshot --dir "$dir" --before 5s --after 0s --reason deep 2>"$TEST_TMP/snap.err"); st=$?
is "$st" 0 "snapshot - over the socket, expect exit 0"
like "$arch" "^$dir/snapshots/[^/]+-deep\\.tar\$" "snapshot - the archive's path, in the directory's snapshots"
[ -f "$arch" ]; ok $? "snapshot - the archive exists"
got=$("$FLIGHTREC_REPLAY" "$arch" --csv -c "SELECT json_extract(manifest, '$.trigger.detail') FROM archives" | tail -1)
is "$got" "deep" "snapshot - its manifest has the reason given"
stop_recorder; st=$?
is "$st" 0 "record - SIGTERM, expect exit 0"
[ ! -e "$sock" ]; ok $? "record - the socket is removed on exit"

# clients with no recorder there: the whole path, the reason, exit 1
got=$("$FLIGHTREC" status --dir "$dir" 2>&1); st=$?
is "$st:$got" "1:flightrec: no recorder is running there (cannot connect to $sock: No such file or directory)" \
	"status - no recorder in the deep directory, expect exit 1 and the path"
got=$("$FLIGHTREC" snapshot --dir "$dir/nosuch" 2>&1); st=$?
is "$st:$got" "1:flightrec: cannot open the directory of $dir/nosuch/control.sock: No such file or directory" \
	"snapshot - a deep directory that does not exist, expect exit 1 and the path"
done_testing
