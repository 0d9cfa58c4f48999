#!/usr/bin/env bash
# block.sh - disk I/O against the kernel's own counters: N direct,
# synchronous 4 KiB writes with dd to a loop device of the test's own give
# exactly N io rows of 4096 bytes issued by dd, equal to the growth of the
# device's sectors written in /proc/diskstats, and io_stats that add up.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
command -v losetup >/dev/null || skip_all "needs losetup (util-linux)"

img=$TEST_TMP/disk.img
truncate -s 64M "$img"
loop=$(losetup --find --show "$img" 2>/dev/null) || skip_all "cannot attach a loop device"
trap 'losetup -d "$loop" 2>/dev/null; cleanup' EXIT
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
sleep 2.5 # the per-second counts are drained a tick after their second ends
rule=$(ls "$dir"/snapshots/*-io_1us.tar 2>/dev/null | head -1)
like "$(tar xOf "$rule" MANIFEST.json 2>/dev/null)" '"detail": "io > 1us", "record": "io pid=[0-9]+ .*service_ns=[0-9]+' \
	"io > 1us - a block request takes a snapshot whose manifest names it"
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason io)
stop_recorder

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
is "$(R "SELECT count(*) FROM timeline WHERE kind = 'io' AND summary LIKE 'write 4096 B $name %'")" $n \
	"timeline - each write is a row"
done_testing
