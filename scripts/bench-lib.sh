# bench-lib.sh - shared by scripts/bench*: sourced, not run.
# Every wait here is bounded; nothing is asserted about timings.

die() { echo "${0##*/}: $*" >&2; exit 1; }

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# wait_line FILE REGEX [TENTHS]: until FILE has a line matching REGEX (30 s by default).
wait_line() {
	for _ in $(seq 1 "${3:-300}"); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# status_field DIR NAME: a number from `flightrec status --json`.
status_field() {
	"$FLIGHTREC" status --json --dir "$1" 2>/dev/null | sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p"
}

# cpu_ticks PID: user + system clock ticks of PID so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# rss_kib PID
rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

# pct_of_core TICKS SECONDS
pct_of_core() { awk -v t="$1" -v hz="$hz" -v s="$2" 'BEGIN { printf "%.2f", t / hz / s * 100 }'; }

# ratio A B [DIGITS]: A / B, or "-" when B is 0.
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.*f", d, a / b }'; }
# pct A B: A as a percentage of B, one decimal.
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.1f", a / b * 100 }'; }

# Tracers that need tracefs (bpftrace, perf trace): mount it once, unmount at the end.
mounted_tracefs=
need_tracefs() {
	grep -q ' /sys/kernel/tracing tracefs' /proc/mounts && return 0
	mount -t tracefs nodev /sys/kernel/tracing && mounted_tracefs=1
}
release_tracefs() { [ -n "$mounted_tracefs" ] && umount /sys/kernel/tracing; mounted_tracefs=; }

# start_recorder DIR LOG ARGS...: flightrec record in the background; sets rec_pid.
rec_pid=
start_recorder() {
	local dir=$1 log=$2
	shift 2
	"$FLIGHTREC" record --dir "$dir" "$@" >"$log" 2>&1 &
	rec_pid=$!
	wait_line "$log" 'recording to' || { cat "$log" >&2; die "flightrec record did not start"; }
}
stop_recorder() {
	[ -n "$rec_pid" ] || return 0
	kill -TERM "$rec_pid" 2>/dev/null
	wait "$rec_pid" 2>/dev/null
	rec_pid=
}
