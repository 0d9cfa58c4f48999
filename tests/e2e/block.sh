#!/usr/bin/env bash
# block.sh - disk I/O against the kernel's own counters: N direct,
# synchronous 4 KiB writes with dd to a loop device of the test's own give
# exactly N io rows of 4096 bytes issued by dd, equal to the growth of the
# device's sectors written in /proc/diskstats, and io_stats that add up.
# Then the request flags (blktrace's rwbs): dd's direct, dsync writes to a
# file on ext4 are sync data writes (WS), told apart from the journal's
# metadata writes, each rwbs counted exactly as the kernel's block_rq_issue
# tracepoint prints it in a trace instance of the test's own.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
command -v losetup >/dev/null || skip_all "needs losetup (util-linux)"
command -v mkfs.ext4 >/dev/null || skip_all "needs mkfs.ext4 (e2fsprogs)"
tracing=/sys/kernel/tracing
mounted_tracefs=
if [ ! -d "$tracing/instances" ]; then
	mount -t tracefs nodev "$tracing" 2>/dev/null || skip_all "cannot mount tracefs at $tracing"
	mounted_tracefs=1
fi
[ -d "$tracing/events/block/block_rq_issue" ] || skip_all "no block:block_rq_issue tracepoint in $tracing"

img=$TEST_TMP/disk.img
truncate -s 64M "$img"
loop=$(losetup --find --show "$img" 2>/dev/null) || skip_all "cannot attach a loop device"
loop2= mnt= inst=
finish() {
	if [ -n "$inst" ] && [ -d "$inst" ]; then
		echo 0 > "$inst/events/block/block_rq_issue/enable" 2>/dev/null
		rmdir "$inst" 2>/dev/null
	fi
	[ -n "$mnt" ] && mountpoint -q "$mnt" && umount "$mnt"
	[ -n "$loop2" ] && losetup -d "$loop2" 2>/dev/null
	losetup -d "$loop" 2>/dev/null
	[ -n "$mounted_tracefs" ] && umount "$tracing" 2>/dev/null
	cleanup
}
trap finish EXIT
name=${loop#/dev/}
# /proc/diskstats: field 10 sectors written, field 20 flush requests completed
sectors() { awk -v d="$name" '$3 == d { print $10 }' /proc/diskstats; }
flushes() { awk -v d="$name" '$3 == d { print $20 }' /proc/diskstats; }

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --trigger 'io > 1us' --snapshot-before 5s --snapshot-after 0s; then
	fail "flightrec record starts"; done_testing; exit
fi
pass "flightrec record starts"
n=50
s0=$(sectors); f0=$(flushes)
dd if=/dev/zero of="$loop" bs=4096 count=$n oflag=direct,dsync status=none &
dd_pid=$!
wait $dd_pid
s1=$(sectors); f1=$(flushes)
diag "$loop: diskstats sectors written grew by $((s1 - s0)), flushes by $((f1 - f0))"
rule=
has_rule() { rule=$(ls "$dir"/snapshots/*-io_1us.tar 2>/dev/null | head -1); [ -n "$rule" ]; }
wait_for 15 has_rule
like "$(tar xOf "$rule" MANIFEST.json 2>/dev/null)" '"detail": "io > 1us", "record": "io pid=[0-9]+ .*service_ns=[0-9]+' \
	"io > 1us - a block request takes a snapshot whose manifest names it"
# No wait: io_stats counts per second, drained a tick after the second
# ends, but a snapshot drains them up to its end before it cuts the
# window (both generations of the maps), so a window that ends now has them.
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason io)
# So does the end of the recording: writes just before it stops are in the log.
n2=20
dd if=/dev/zero of="$loop" bs=4096 count=$n2 oflag=direct,dsync status=none
stop_recorder
is "$("$FLIGHTREC" dump "$dir" | awk -v d="disk=\"$name\"" '$2 == "io_stat" && index($0, " " d " ") && / op="write" / {
		for (i = 1; i <= NF; i++) if ($i ~ /^count=/) { sub(/^count=/, "", $i); n += $i } } END { print n + 0 }')" $((n + n2)) \
	"io_stats - the recording stopped at once after $n2 more writes: the log counts all $((n + n2))"

R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" | tail -1; }
is "$(R "SELECT count(*) FROM io WHERE disk = '$name' AND op = 'write' AND bytes = 4096 AND comm = 'dd' AND pid = $dd_pid")" \
	$n "io - exactly $n writes of 4096 bytes to $name issued by dd (pid $dd_pid)"
is "$(R "SELECT sum(bytes) / 512 FROM io WHERE disk = '$name' AND op = 'write'")" $((s1 - s0)) \
	"io - the bytes written to $name equal the growth of /proc/diskstats sectors written ($((s1 - s0)))"
# Flushes are not compared with diskstats: the flush machinery merges pending
# flushes and completes some without issuing them, so neither count bounds
# the other exactly.
fl=$(R "SELECT count(*) FROM io WHERE disk = '$name' AND op = 'flush'")
[ "$fl" -ge 1 ]; ok $? "io - the synchronous writes' flushes are rows too ($fl; diskstats counted $((f1 - f0)))"
read -r maj min < <(stat -c '%t %T' "$loop")
is "$(R "SELECT DISTINCT dev FROM io WHERE disk = '$name'")" "$((16#$maj)):$((16#$min))" "io - dev is the loop device's major:minor"
is "$(R "SELECT sum(count) FROM io_stats WHERE disk = '$name' AND op = 'write'")" $n \
	"io_stats - the per-second counts of $name's writes add up to $n"
is "$(R "SELECT sum(bytes) FROM io_stats WHERE disk = '$name' AND op = 'write'")" $((n * 4096)) \
	"io_stats - and so do their bytes"
is "$(R "SELECT count(*) FROM io WHERE disk = '$name' AND (service_ns <= 0 OR queue_ns < 0)")" 0 \
	"io - every request has a service time"
is "$(R "SELECT count(*) FROM timeline WHERE kind = 'io' AND summary LIKE 'write W% 4096 B $name %'")" $n \
	"timeline - each write is a row, with its rwbs"

# rwbs: a file system of the test's own, idle (no lazy init, no timed
# commit) so that every request in the window comes from dd.
img2=$TEST_TMP/fs.img
truncate -s 64M "$img2"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$img2" || fail "mkfs.ext4"
loop2=$(losetup --find --show "$img2") || fail "losetup of the file system image"
name2=${loop2#/dev/}
mnt=$TEST_TMP/mnt
mkdir -p "$mnt"
mount -o commit=300 "$loop2" "$mnt" || fail "mount $loop2"
read -r maj2 min2 < <(stat -c '%t %T' "$loop2")
inst=$tracing/instances/flightrec-block-$$
mkdir "$inst" || fail "trace instance $inst"
echo 8192 > "$inst/buffer_size_kb"
echo "dev == $(( (16#$maj2 << 20) | 16#$min2 ))" > "$inst/events/block/block_rq_issue/filter"
dir=$TEST_TMP/rec2
if ! start_recorder "$dir" --probes=process,block; then
	fail "flightrec record starts (rwbs)"; done_testing; exit
fi
m=300
sync; sleep 0.2
t0=$(date +%s%N)
echo 1 > "$inst/events/block/block_rq_issue/enable"
dd if=/dev/zero of="$mnt/f" bs=4096 count=$m oflag=direct,dsync status=none &
dd_pid=$!
wait $dd_pid
echo 0 > "$inst/events/block/block_rq_issue/enable"
t1=$(date +%s%N)
# "dd-123 [001] ..... 5.1: block_rq_issue: 7,1 WS 4096 () 2048 + 8 ... [dd]":
# rwbs and bytes follow the device; the issuing command ends the line.
kernel=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "block_rq_issue:") { print $(i + 2) } }' "$inst/trace" | sort | uniq -c |
	awk '{ print $2 "," $1 }' | sort)
kernel_dd_ws=$(awk -v c="[dd]" '$NF == c { for (i = 1; i <= NF; i++) if ($i == "block_rq_issue:" && $(i + 2) == "WS" && $(i + 3) == 4096) n++ } END { print n + 0 }' "$inst/trace")
diag "kernel's rwbs on $name2: $(echo $kernel)"
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason rwbs) # no wait for io_stats: see above
stop_recorder
in_window="disk = '$name2' AND ts BETWEEN $t0 AND $t1"
is "$kernel_dd_ws" $m "kernel - block_rq_issue shows dd's $m data writes as WS of 4096 bytes"
is "$(R "SELECT count(*) FROM io WHERE $in_window AND rwbs = 'WS' AND bytes = 4096 AND pid = $dd_pid")" $m \
	"io - exactly dd's $m data writes are WS (sync) rows of 4096 bytes"
is "$("$FLIGHTREC_REPLAY" "$a" --csv -c "SELECT rwbs, count(*) FROM io WHERE $in_window GROUP BY rwbs ORDER BY rwbs" | tail -n +2 | sort)" \
	"$kernel" "io - every rwbs on $name2 counted as the kernel's block_rq_issue counts it"
meta=$(R "SELECT count(*) FROM io WHERE $in_window AND rwbs LIKE 'W%M'")
[ "$meta" -gt 0 ]; ok $? "io - the journal's metadata writes are rows apart from the data ($meta with M)"
is "$(R "SELECT count(*) FROM io WHERE $in_window AND op = 'write' AND rwbs NOT LIKE '%W%'")" 0 \
	"io - op write is always a W in rwbs"
is "$(R "SELECT sum(count) FROM io_stats WHERE disk = '$name2' AND rwbs = 'WS'")" \
	"$(R "SELECT count(*) FROM io WHERE disk = '$name2' AND rwbs = 'WS'")" \
	"io_stats - the per-second counts of WS add up to the WS rows"
is "$(R "SELECT count(*) FROM timeline WHERE kind = 'io' AND summary LIKE 'write WS 4096 B $name2 %' AND pid = $dd_pid")" $m \
	"timeline - dd's data writes read 'write WS 4096 B'"
like "$("$FLIGHTREC_REPLAY" "$a" -c .slow)" "slowest disk requests
time +host +pid +comm +disk +op +rwbs +bytes +queued +service" ".slow - the slowest disk requests show their rwbs"
done_testing
