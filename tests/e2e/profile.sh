#!/usr/bin/env bash
# profile.sh - CPU samples with their stacks against a known split: a
# helper built with frame pointers spends 3 s of its own CPU time, 75% in
# burn_major() and 25% in burn_minor() (measured on its thread's CPU
# clock).  At 499 Hz that is 1497 samples; the archive, copied elsewhere
# and replayed after the helper's binary is deleted, names both functions
# with those shares (within 5 points) from its symbols.txt alone; .flame
# prints folded stacks, .flame --svg draws them, .top cpu names the hot
# functions, .export perfetto carries the samples, and each stack is one
# row of `stacks`.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
PROFLOAD=${PROFLOAD:-$(dirname "$EXIT_WITH")/profload}
bin=$TEST_TMP/bin/profload
mkdir -p "$TEST_TMP/bin" "$TEST_TMP/elsewhere"
cp "$PROFLOAD" "$bin"

"$FLIGHTREC" record --dir "$TEST_TMP/bad" --profile-hz 0 >/dev/null 2>"$TEST_TMP/bad.err"
st=$?
[ "$st" -ne 0 ]; ok $? "--profile-hz 0 - refused (exit $st)"
like "$(cat "$TEST_TMP/bad.err")" "profile-hz" "--profile-hz 0 - the message names the option"

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --probes=process,profile --profile-hz 499; then
	fail "record --probes=process,profile --profile-hz 499 starts"; done_testing; exit
fi
pass "record --probes=process,profile --profile-hz 499 starts"
like "$("$FLIGHTREC" status --dir "$dir")" "profile/cpu_sample +attached +perf_event/cpu-clock@499Hz" \
	"status - profile/cpu_sample attached at 499 Hz"

"$bin" burn 3 &
ppid=$!
wait "$ppid"
ok $? "profload burn 3: 3 s of CPU, 75% in burn_major, 25% in burn_minor"
wait_drained "$dir" # cpu_samples: the last second's counts are drained a tick after it ends
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 60s --after 0s --reason profile)
ok $? "snapshot"
stop_recorder

members=$(tar tf "$a" | tr '\n' ' ')
like "$members" "window.seg symbols.txt SHA256SUMS" "archive - a symbols.txt member ($members)"
like "$(tar xOf "$a" SHA256SUMS)" "  symbols.txt" "archive - symbols.txt is in SHA256SUMS"
"$FLIGHTREC" verify "$a" >/dev/null 2>&1
ok $? "flightrec verify - the archive with symbols.txt verifies"

# Names from the archive alone: another directory, the binary gone.
cp "$a" "$TEST_TMP/elsewhere/a.tar"
rm -f "$bin"
a=$TEST_TMP/elsewhere/a.tar
R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" 2>"$TEST_TMP/replay.err" | tail -1; }

"$FLIGHTREC_REPLAY" "$a" -c ".flame $ppid" >"$TEST_TMP/folded" 2>"$TEST_TMP/flame.err"
ok $? ".flame PID runs"
read -r total major minor < <(awk '{ n = $NF; t += n; if ($0 ~ /;burn_major[; ]/) a += n; if ($0 ~ /;burn_minor[; ]/) b += n }
	END { print t + 0, a + 0, b + 0 }' "$TEST_TMP/folded")
diag "samples of profload: $total, in burn_major $major, in burn_minor $minor"
# 3 s of its CPU at 499 Hz: 1497 samples, less those of the exec and exit edges
[ "$total" -ge 1347 ] && [ "$total" -le 1647 ]; ok $? ".flame - 3 s of CPU at 499 Hz is 1497 samples, within 10% ($total)"
[ "$total" -gt 0 ] && [ $((major * 1000 / total)) -ge 700 ] && [ $((major * 1000 / total)) -le 800 ]
ok $? ".flame - burn_major has 75% of the samples, within 5 points ($major of $total)"
[ "$total" -gt 0 ] && [ $((minor * 1000 / total)) -ge 200 ] && [ $((minor * 1000 / total)) -le 300 ]
ok $? ".flame - burn_minor has 25% of the samples, within 5 points ($minor of $total)"
like "$(grep -m1 ';burn_major ' "$TEST_TMP/folded")" "^profload;(.*;)?main;burn_major [0-9]+$" \
	".flame - folded: comm;...;main;burn_major COUNT, outermost first"

is "$(R "SELECT count(*) = count(DISTINCT id) FROM stacks")" 1 "stacks - one row per stack id"
is "$(R "SELECT count(*) FROM cpu_samples c WHERE pid = $ppid AND stack_id <> 0 AND NOT EXISTS (SELECT 1 FROM stacks s WHERE s.id = c.stack_id)")" 0 \
	"cpu_samples - every sample of profload with a stack id has its stack"
# A stack whose stack-map bucket another stack of the same second holds is
# lost (the sample counts, with stack id 0): rare, and never silent.
nostack=$(R "SELECT coalesce(sum(count), 0) FROM cpu_samples WHERE pid = $ppid AND stack_id = 0")
lost=$(R "SELECT coalesce(sum(count), 0) FROM drops WHERE source = 'profile-stack'")
[ "$nostack" -le $((total / 50)) ] && [ "$lost" -ge "$nostack" ]
ok $? "cpu_samples - profload's samples without a stack: at most 2%, and counted in drops (profile-stack) ($nostack of $total, $lost counted)"
is "$(R "SELECT sum(count) FROM cpu_samples WHERE pid = $ppid")" "$total" "cpu_samples - the same count as .flame"

"$FLIGHTREC_REPLAY" "$a" -c ".flame profload --svg $TEST_TMP/flame.svg" >/dev/null 2>&1
ok $? ".flame COMM --svg FILE runs"
svg=$(cat "$TEST_TMP/flame.svg" 2>/dev/null)
like "$svg" "^<\?xml" ".flame --svg - an SVG file"
like "$svg" "<title>burn_major \\([0-9]+ samples, 7[0-9]\\.[0-9]+%\\)</title>" ".flame --svg - burn_major's box with its share"

top=$("$FLIGHTREC_REPLAY" "$a" --csv -c ".top cpu" 2>&1)
like "$top" "burn_major" ".top cpu - names burn_major"

"$FLIGHTREC_REPLAY" "$a" -c ".export perfetto $TEST_TMP/trace.json" >/dev/null 2>&1
ok $? ".export perfetto runs"
is "$(python3 -c 'import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
print(sum(e["args"]["samples"] for e in ev if e.get("cat") == "cpu_sample" and "burn_major" in e["args"]["stack"]))' "$TEST_TMP/trace.json" 2>&1)" \
	"$(R "SELECT sum(c.count) FROM cpu_samples c JOIN stacks s ON s.id = c.stack_id WHERE s.frames LIKE '%burn_major%'")" \
	".export perfetto - carries the samples: as many in burn_major as cpu_samples"
# symbols.txt is untrusted input: a damaged one costs names, never the load.
mkdir -p "$TEST_TMP/h"
(cd "$TEST_TMP/h" && tar xf "$a" && printf 'flightrec-symbols\t1\t\ns\tno-name\ns\t\tempty-frame\ns\tb:x;y+1\tsplit\n' >symbols.txt &&
	sha256sum MANIFEST.json schema.sql window.seg symbols.txt >SHA256SUMS &&
	tar cf ../bad-lines.tar MANIFEST.json schema.sql window.seg symbols.txt SHA256SUMS &&
	printf 'not symbols\n' >symbols.txt && sha256sum MANIFEST.json schema.sql window.seg symbols.txt >SHA256SUMS &&
	tar cf ../bad-header.tar MANIFEST.json schema.sql window.seg symbols.txt SHA256SUMS)
got=$("$FLIGHTREC_REPLAY" "$TEST_TMP/bad-lines.tar" --csv -c "SELECT count(*) FROM stacks WHERE frames LIKE '%burn_major%'" 2>"$TEST_TMP/bad.err" | tail -1)
is "$got" 0 "symbols.txt with malformed lines - loads, burn_major unnamed"
like "$(cat "$TEST_TMP/bad.err")" "symbols.txt: 3 malformed lines skipped" "symbols.txt with malformed lines - says how many were skipped"
got=$("$FLIGHTREC_REPLAY" "$TEST_TMP/bad-header.tar" --csv -c "SELECT count(*) > 0 FROM stacks WHERE frames LIKE '%[unknown] %'" 2>"$TEST_TMP/bad.err" | tail -1)
is "$got" 1 "symbols.txt without its header - loads, frames shown as [unknown]"
like "$(cat "$TEST_TMP/bad.err")" "member symbols.txt ignored: no flightrec-symbols 1 header" \
	"symbols.txt without its header - one line naming the member and the cause"
done_testing
