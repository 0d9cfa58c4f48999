# lib.sh - TAP helpers for the end-to-end tests (sourced, bash).
#
# Each test prints TAP for automake's tap-driver: one line per property,
# "ok N - what, expect X" or "not ok N - ...", and the plan at the end.
# A test that needs root or eBPF and lacks it is SKIPPED with the reason;
# under CI (CI=true) that is a failure instead, since CI must run them all.

set -u
TAP_N=0
TAP_FAILED=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/flightrec-test.XXXXXX")
REC_PID=

cleanup() {
	if [ -n "$REC_PID" ] && kill -0 "$REC_PID" 2>/dev/null; then
		kill -TERM "$REC_PID" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$REC_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$REC_PID" 2>/dev/null
	fi
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT

pass() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# ok STATUS MSG: pass when STATUS is 0.
ok() { if [ "$1" -eq 0 ]; then pass "$2"; else fail "$2"; fi; }

# is GOT WANT MSG: exact string comparison, shows both on failure.
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3"
		diag "got:" "$1" "want:" "$2"
	fi
}

# like GOT REGEX MSG
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then pass "$3"; else
		fail "$3"
		diag "got:" "$1" "want match:" "$2"
	fi
}

# unlike GOT REGEX MSG: GOT has no line that matches
unlike() {
	if ! printf '%s' "$1" | grep -Eq -- "$2"; then pass "$3"; else
		fail "$3"
		diag "got:" "$1" "want no match:" "$2"
	fi
}

# skip REASON: one check cannot run here. Under CI that is a failure, as
# for skip_all: CI must run every check.
skip() {
	if [ "${CI:-}" = true ]; then fail "cannot run under CI: $*"; return; fi
	TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $*"
}

# skip_all REASON: the whole test cannot run here.
skip_all() {
	if [ "${CI:-}" = true ]; then
		echo "1..1"
		echo "not ok 1 - cannot run under CI: $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

# need_bpf: root, BTF and a kernel that lets us load BPF.
need_bpf() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root to load BPF programs"
	[ -r /sys/kernel/btf/vmlinux ] || skip_all "needs a kernel with BTF (/sys/kernel/btf/vmlinux)"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; 1 on timeout.
# Beware: a command whose argv holds a test's marker is itself recorded;
# match markers anchored to the program that carries them.
wait_for() {
	local limit=$(($1 * 10)); shift
	for _ in $(seq 1 "$limit"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ticks DIR: the per-second ticks of the recorder of DIR that are in its log
# (each tick drains the per-second counts, then writes one health record).
ticks() { "$FLIGHTREC" dump "$1" 2>/dev/null | grep -c '^[^ ]* health '; }

# wait_drained DIR: wait (bounded) until the recorder of DIR has written to
# its log the per-second counts of everything done before the call.  The
# families that count in BPF maps by generations (sched, block, mem, uprobe,
# profile's CPU samples) read a second's counts one tick after it ends
# (probes_gens_tick), and a snapshot does not read them: that takes two
# ticks begun after the call, and one more for a tick under way at the call
# (its health record may not be on disk yet when they are counted).  A fixed
# sleep of 2.5 s left 0.5 s for a late tick on a busy machine.
wait_drained() {
	local n0
	n0=$(ticks "$1")
	_ticked() { [ "$(ticks "$1")" -ge "$2" ]; }
	wait_for 20 _ticked "$1" $((n0 + 3)) && return 0
	diag "wait_drained: the recorder of $1 did not tick 3 times in 20 s (ticks in its log: $n0, then $(ticks "$1"))"
	return 1
}

# start_recorder DIR [ARGS...]: run `flightrec record` in the background and
# wait until it answers on its control socket.
start_recorder() {
	local dir=$1; shift
	"$FLIGHTREC" record --dir "$dir" "$@" >"$TEST_TMP/recorder.log" 2>&1 &
	REC_PID=$!
	if ! wait_for 20 "$FLIGHTREC" status --dir "$dir"; then
		diag "recorder did not start:" "$(cat "$TEST_TMP/recorder.log")"
		return 1
	fi
}

# stop_recorder: SIGTERM and wait (bounded); returns the recorder's status.
stop_recorder() {
	local st=0
	[ -n "$REC_PID" ] || return 0
	kill -TERM "$REC_PID" 2>/dev/null
	for _ in $(seq 1 150); do kill -0 "$REC_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$REC_PID" || st=$?
	REC_PID=
	return $st
}

# done_testing: the plan, and the exit status.
# Segment FILE of host gamma by mkseg (no root needed), boot ns: lifecycle
# rows going back in time, a drop with no start, a fork never exited, a
# killed child.  Shared by the replay tests of processes.
mkseg_back_seg() {
	"$MKSEG" -H gamma "$1" <<'SPEC'
exec 5000000000 7000 7000 1 0 0 late /usr/bin/late late --x
fork 4000000000 7001 7000 0 0 sh
exec 4500000000 7001 7001 7000 0 0 child /usr/bin/child child a b
exit 6000000000 7000 7000 1 0 0 late 3 0 0
drop 5500000000 ringbuf 1 17 0
fork 1000000000 1000 1 0 0 early
exit 6500000000 7001 7001 7000 0 0 child 0 9 1
SPEC
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
