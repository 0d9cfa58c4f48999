#!/usr/bin/env bash
# privileges.sh - least privilege: DIR, DIR/log and DIR/snapshots are 0700,
# the control socket, the lock, segments and archives 0600; once attached,
# the recorder keeps only CAP_SYS_PTRACE (effective, permitted and bounding
# sets; nothing inheritable or ambient) and still records: an exec, the exe
# of another user's process, status, per-second counts read from BPF maps,
# a snapshot that verifies, a rotation.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
SYSLOOP=${SYSLOOP:-$(dirname "$EXIT_WITH")/sysloop}
[ -x "$SYSLOOP" ] || skip_all "tests/helpers/sysloop is not built (make check builds it)"

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --segment-size 64K --max-disk 64M; then
	fail "flightrec record starts"
	done_testing; exit
fi
pass "flightrec record starts"
like "$(cat "$TEST_TMP/recorder.log")" "^flightrec: dropped every capability but: cap_sys_ptrace \(" \
	"startup - says which capabilities it keeps and why"

# CAP_SYS_PTRACE is bit 19: 0x80000.
caps=$(grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' "/proc/$REC_PID/status" | tr -s '\t ' ' ')
is "$caps" "CapInh: 0000000000000000
CapPrm: 0000000000080000
CapEff: 0000000000080000
CapBnd: 0000000000080000
CapAmb: 0000000000000000" "capabilities - only cap_sys_ptrace effective, permitted and bounding"
is "$(awk '/^Uid:/ {print $2}' "/proc/$REC_PID/status")" 0 "capabilities - still uid 0, so root's 0600 files stay its own"

mode() { stat -c '%a %U' "$1"; }
is "$(mode "$dir")" "700 root" "DIR - 0700 root"
is "$(mode "$dir/log")" "700 root" "DIR/log - 0700 root"
is "$(mode "$dir/snapshots")" "700 root" "DIR/snapshots - made at start, 0700 root"
is "$(stat -c '%F %a' "$dir/control.sock")" "socket 600" "control.sock - a socket, 0600"
is "$(mode "$dir/lock")" "600 root" "lock - 0600"

# Recording after the drop: an exec of root, and one of another user whose
# executable can be resolved only with CAP_SYS_PTRACE.
mark=frpriv$$x$RANDOM
"$EXIT_WITH" 0 "$mark"
seen() { "$FLIGHTREC" dump "$dir" 2>/dev/null | grep -q "exec .*argv=\"$EXIT_WITH 0 $mark\""; }
wait_for 10 seen; ok $? "after the drop - an exec is recorded"
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$SYSLOOP"; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SYSLOOP" slowread 1500 &
	other=$!
	exe_of_other() { "$FLIGHTREC" dump "$dir" 2>/dev/null | grep "exec pid=$other tid=$other .* uid=65534 .*comm=\"sysloop\"" | sed -n 's/.* exe="\([^"]*\)".*/\1/p'; }
	has_exe() { [ -n "$(exe_of_other)" ]; }
	wait_for 10 has_exe
	is "$(exe_of_other)" "$(readlink -f "$SYSLOOP")" "after the drop - the exe of a process of uid 65534 is resolved"
	for _ in $(seq 1 50); do kill -0 "$other" 2>/dev/null || break; sleep 0.1; done
else
	skip "setpriv missing or $SYSLOOP not executable by nobody"
fi

st=$("$FLIGHTREC" status --json --dir "$dir"); ok $? "after the drop - status answers"
like "$st" '"ringbuf_drops": [0-9]+, ' "after the drop - status reports the drop counter"
# Per-second syscall counts are BPF maps the recorder reads each second.
"$SYSLOOP" getppid 5000 &
gpid=$!
wait "$gpid"

# Fill a few 64K segments so that rotation happens after the drop.
for i in $(seq 1 300); do "$EXIT_WITH" 0 "$mark-fill-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; done
rotated() { [ "$(ls "$dir"/log/*.seg | wc -l)" -ge 2 ]; }
wait_for 10 rotated; ok $? "after the drop - the log rotates to a new segment"
is "$(stat -c '%a %U' "$dir"/log/*.seg | sort -u)" "600 root" "segments - every one 0600 root"

sleep 2.5 # per-second counts are drained a tick after their second ends
archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason privs); ok $? "after the drop - a snapshot is written"
is "$(mode "$archive")" "600 root" "archive - 0600 root"
out=$("$FLIGHTREC" verify "$archive" 2>&1); ok $? "archive - flightrec verify passes"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM proc_exec WHERE argv = '$EXIT_WITH 0 $mark'" | tail -1)
is "$got" 1 "archive - holds the exec from after the drop"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT sum(count) FROM syscall_stats WHERE pid = $gpid AND name = 'getppid'" | tail -1)
is "$got" 5000 "after the drop - maps are still read: syscall_stats counts the 5000 getppid() calls exactly"
[ -z "$(ls "$dir"/snapshots/ | grep -v '\.tar$')" ]; ok $? "DIR/snapshots - only archives, no temporary file"

stop_recorder; ok $? "record - SIGTERM, expect exit 0"
[ ! -e "$dir/control.sock" ]; ok $? "record - the socket is removed on exit, without privileges"

# A DIR/log left open by someone is closed again at start.
chmod 755 "$dir/log" "$dir/snapshots"
if start_recorder "$dir"; then
	is "$(stat -c %a "$dir/log"):$(stat -c %a "$dir/snapshots")" "700:700" "restart - DIR/log and DIR/snapshots back to 0700"
	stop_recorder
else
	fail "restart - the recorder starts again"
fi
done_testing
