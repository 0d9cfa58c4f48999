#!/usr/bin/env bash
# offcpu.sh - off-CPU stacks against what the helper measures itself:
# pipewait's thread pw-long blocks in read() of an empty pipe inside
# block_in_pipe_read() until a byte comes 300 ms later; thread pw-short
# then blocks 10 times 40 ms the same way in short_pipe_read().  Each
# times its reads on CLOCK_MONOTONIC.  With --probes=+profile and the
# default --offcpu-threshold 100ms the archive (copied elsewhere, the
# binary deleted) holds one offcpu_samples row for pw-long: one sleep,
# its length within the read it happened in and about 300 ms, none of it
# uninterruptible (a pipe read sleeps interruptibly), in a stack that
# names block_in_pipe_read and the kernel's pipe_read below it; and none
# for pw-short, whose sleeps are all below the threshold.  At
# --offcpu-threshold 20ms pw-short has exactly its 10 sleeps.  .flame
# --offcpu weighs the stacks in microseconds asleep, .export perfetto
# carries them, a bad --offcpu-threshold is refused by name, and
# --offcpu-threshold off loads the CPU samples without the off-CPU programs.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
PIPEWAIT=${PIPEWAIT:-$(dirname "$EXIT_WITH")/pipewait}
bin=$TEST_TMP/bin/pipewait
mkdir -p "$TEST_TMP/bin" "$TEST_TMP/elsewhere"
cp "$PIPEWAIT" "$bin"

for bad in 0 500us soon; do
	"$FLIGHTREC" record --dir "$TEST_TMP/bad" --offcpu-threshold "$bad" >/dev/null 2>"$TEST_TMP/bad.err"
	st=$?
	[ "$st" -ne 0 ]; ok $? "--offcpu-threshold $bad - refused (exit $st)"
	is "$(wc -l <"$TEST_TMP/bad.err"):$(grep -c 'offcpu-threshold' "$TEST_TMP/bad.err")" "1:1" \
		"--offcpu-threshold $bad - one line that names the option ($(head -1 "$TEST_TMP/bad.err"))"
done

# run_pipewait DIR ARGS...: record with ARGS while pipewait runs; sets LONG_TID LONG_NS SHORT_TID SHORT_N SHORT_NS and A (the archive).
run_pipewait() {
	local dir=$1 out; shift
	if ! start_recorder "$dir" --probes=process,profile "$@"; then
		fail "record --probes=process,profile${*:+ $*} starts"; return 1
	fi
	pass "record --probes=process,profile${*:+ $*} starts"
	out=$("$bin" 300 40 10)
	ok $? "pipewait 300 40 10 runs"
	read -r _ LONG_TID LONG_NS <<<"$(printf '%s\n' "$out" | grep '^long ')"
	read -r _ SHORT_TID SHORT_N SHORT_NS _ <<<"$(printf '%s\n' "$out" | grep '^short ')"
	diag "pipewait: $out"
	sleep 1.5 # the ring is drained every 100 ms, the counts written each second
	A=$("$FLIGHTREC" snapshot --dir "$dir" --before 60s --after 0s --reason offcpu)
	ok $? "snapshot"
	stop_recorder
}

dir=$TEST_TMP/rec
run_pipewait "$dir" || { done_testing; exit; }
log=$(cat "$TEST_TMP/recorder.log")
# Names from the archive alone: another directory, the binary gone.
cp "$A" "$TEST_TMP/elsewhere/a.tar"
rm -f "$bin"
a=$TEST_TMP/elsewhere/a.tar
R() { "$FLIGHTREC_REPLAY" "$a" --csv --headers off -c "$1" 2>>"$TEST_TMP/replay.err"; }

is "$(R "SELECT name || ' ' || attach || ' ' || ok FROM probes WHERE name LIKE 'profile/offcpu%' GROUP BY name ORDER BY name")" \
	"profile/offcpu_switch tp_btf/sched_switch 1
profile/offcpu_wakeup tp_btf/sched_wakeup 1" "probes - profile/offcpu_switch and offcpu_wakeup attached"
row=$(R "SELECT count(*), sum(count), sum(total_ns), max(max_ns), sum(iowait_ns), min(comm) FROM offcpu_samples WHERE tid = $LONG_TID")
IFS=, read -r rows sleeps total max iowait comm <<<"$row"
diag "pw-long (tid $LONG_TID): read took $LONG_NS ns; offcpu_samples: $row"
is "$rows:$sleeps:$comm" "1:1:pw-long" "offcpu_samples - one row for pw-long, one sleep, its comm"
[ "${total:-0}" -ge 250000000 ] && [ "${total:-0}" -le 400000000 ]
ok $? "offcpu_samples - pw-long slept about 300 ms, within 250-400 ms (${total:-none} ns)"
# the sleep lies inside the read: it is shorter, by the entry, the exit and the wait for a CPU after the wakeup
[ "${total:-0}" -le "$LONG_NS" ] && [ $((LONG_NS - ${total:-0})) -le 30000000 ]
ok $? "offcpu_samples - within the read's own time ($LONG_NS ns), less at most 30 ms (${total:-none} ns)"
is "$max:$iowait" "$total:0" "offcpu_samples - max_ns is the one sleep, iowait_ns 0 (a pipe read sleeps interruptibly)"
frames=$(R "SELECT s.frames FROM offcpu_samples o JOIN stacks s ON s.host = o.host AND s.id = o.stack_id WHERE o.tid = $LONG_TID")
diag "pw-long's stack: $frames"
like "$frames" "(^|;)long_reader;block_in_pipe_read;[^;]*read;(.*;)?(ksys_read|vfs_read);(.*;)?[a-z_]*pipe_read;(.*;)?__schedule$" \
	"stacks - pw-long slept in long_reader, block_in_pipe_read, libc's read, the kernel's read of a pipe, ending in __schedule"
is "$(R "SELECT count(*) FROM offcpu_samples WHERE tid = $SHORT_TID")" 0 \
	"offcpu_samples - none for pw-short: its $SHORT_N sleeps of 40 ms ($SHORT_NS ns in all) are below 100 ms"
is "$(R "SELECT count(*) FROM offcpu_samples o WHERE stack_id <> 0 AND NOT EXISTS (SELECT 1 FROM stacks s WHERE s.host = o.host AND s.id = o.stack_id)")" 0 \
	"offcpu_samples - every stack id has its stacks row"
is "$(R "SELECT count(*) FROM drops WHERE source = 'offcpu'")" 0 "drops - no off-CPU sleep lost"

"$FLIGHTREC_REPLAY" "$a" -c ".flame --offcpu pw-long" >"$TEST_TMP/folded" 2>"$TEST_TMP/flame.err"
ok $? ".flame --offcpu COMM runs"
want=$(R "SELECT (total_ns + 500) / 1000 FROM offcpu_samples WHERE tid = $LONG_TID")
like "$(grep ';block_in_pipe_read;' "$TEST_TMP/folded")" "^pw-long;(.*;)?block_in_pipe_read;.*pipe_read;.* $want$" \
	".flame --offcpu - pw-long's stack weighs its sleep in us ($want)"
pid=$(R "SELECT pid FROM offcpu_samples WHERE tid = $LONG_TID")
"$FLIGHTREC_REPLAY" "$a" -c ".flame --offcpu ${pid:-0} --svg $TEST_TMP/off.svg" >/dev/null 2>&1
like "$(grep -c '' "$TEST_TMP/off.svg" 2>/dev/null):$(grep -o '<title>block_in_pipe_read ([0-9]* us' "$TEST_TMP/off.svg" 2>/dev/null)" \
	"^[0-9]+:<title>block_in_pipe_read \\($want us" ".flame --offcpu PID --svg - block_in_pipe_read's box, in us"
got=$("$FLIGHTREC_REPLAY" "$a" -c ".flame --offcpu 99999 --bogus" 2>&1 >/dev/null)
like "$got" "^flightrec-replay: \.flame: bad argument '--bogus'" ".flame --offcpu with a bad argument - says which"

"$FLIGHTREC_REPLAY" "$a" -c ".export perfetto $TEST_TMP/trace.json" >/dev/null 2>&1
ok $? ".export perfetto runs"
is "$(python3 -c 'import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
print(" ".join("%d:%d" % (e["args"]["sleeps"], round(e["args"]["total_ms"] * 1e6)) for e in ev
	if e.get("cat") == "offcpu_sample" and e["args"]["thread"] == int(sys.argv[2])))' "$TEST_TMP/trace.json" "$LONG_TID" 2>&1)" \
	"1:$total" ".export perfetto - pw-long's off-CPU stack: one sleep, its length"

# A lower threshold: pw-short's 10 sleeps of 40 ms each.
bin=$TEST_TMP/bin/pipewait
cp "$PIPEWAIT" "$bin"
run_pipewait "$TEST_TMP/rec20" --offcpu-threshold 20ms || { done_testing; exit; }
a=$A
row=$(R "SELECT sum(count), sum(total_ns), min(comm) FROM offcpu_samples WHERE tid = $SHORT_TID")
IFS=, read -r sleeps total comm <<<"$row"
diag "pw-short (tid $SHORT_TID): $SHORT_N reads took $SHORT_NS ns; offcpu_samples: $row"
is "$sleeps:$comm" "$SHORT_N:pw-short" "--offcpu-threshold 20ms - pw-short's $SHORT_N sleeps of 40 ms, each counted"
[ "${total:-0}" -le "$SHORT_NS" ] && [ "${total:-0}" -ge $((SHORT_NS - SHORT_N * 30000000)) ]
ok $? "--offcpu-threshold 20ms - their total within the reads' ($SHORT_NS ns), less at most 30 ms each (${total:-none} ns)"
like "$(R "SELECT group_concat(s.frames, ' | ') FROM offcpu_samples o JOIN stacks s ON s.host = o.host AND s.id = o.stack_id WHERE o.tid = $SHORT_TID")" \
	"short_reader;short_pipe_read;.*pipe_read;" "--offcpu-threshold 20ms - in short_pipe_read"
is "$(wc -c <"$TEST_TMP/replay.err")" 0 "replay - no error or warning"

# off: the CPU samples without the off-CPU programs.
if start_recorder "$TEST_TMP/recoff" --probes=process,profile --offcpu-threshold off; then
	st=$("$FLIGHTREC" status --dir "$TEST_TMP/recoff")
	stop_recorder
	like "$st" "profile/cpu_sample +attached" "--offcpu-threshold off - the CPU samples are attached"
	unlike "$st" "offcpu" "--offcpu-threshold off - no off-CPU program loaded"
else
	fail "record --probes=process,profile --offcpu-threshold off starts"
fi
done_testing
