#!/usr/bin/env bash
# crashes.sh - crash stacks against what the helper does: profload segv
# writes through NULL in crash_segv() and profload abort calls abort()
# from crash_abort(); each has one `crashes` row with its pid, its signal
# (SIGSEGV code 1 SEGV_MAPERR at address 0; SIGABRT code -6 SI_TKILL);
# the SIGSEGV's stack is main;crash_segv, named from the archive alone
# (copied elsewhere, the binary deleted); the SIGABRT's starts in libc,
# whose missing frame pointers end the walk (a known limit, asserted as
# such); a `crash` line in the timeline; and --trigger crash names the
# function in the manifest's trigger record; the HTML report's crash mark
# names the function too (its label in the data the page embeds).
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
PROFLOAD=${PROFLOAD:-$(dirname "$EXIT_WITH")/profload}
bin=$TEST_TMP/bin/profload
mkdir -p "$TEST_TMP/bin" "$TEST_TMP/elsewhere"
cp "$PROFLOAD" "$bin"

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --probes=process,profile --trigger crash --snapshot-before 10s --snapshot-after 1s; then
	fail "record --probes=process,profile --trigger crash starts"; done_testing; exit
fi
pass "record --probes=process,profile --trigger crash starts"
like "$("$FLIGHTREC" status --dir "$dir")" "profile/signal_generate +attached +tp_btf/signal_generate" \
	"status - profile/signal_generate attached"

"$bin" segv 2>/dev/null &
spid=$!
wait "$spid"
st=$?
is "$st" 139 "profload segv - killed by SIGSEGV (status 139)"
has_one() { [ "$(ls "$dir"/snapshots/*.tar 2>/dev/null | wc -l)" -ge 1 ]; }
wait_for 15 has_one; ok $? "--trigger crash - the SIGSEGV takes a snapshot"
t=$(ls "$dir"/snapshots/*.tar 2>/dev/null | head -1)
like "$(tar xOf "$t" MANIFEST.json 2>/dev/null)" "\"record\": \"crash pid=$spid tid=$spid comm=\\\\\"profload\\\\\" signal=11 code=1 addr=0 stack_id=[0-9]+ function=\\\\\"crash_segv\\\\\"" \
	"--trigger crash - the trigger record names crash_segv"

sleep 1
"$bin" abort 2>/dev/null &
apid=$!
wait "$apid"
st=$?
is "$st" 134 "profload abort - killed by SIGABRT (status 134)"
sleep 1.5
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 30s --after 0s --reason crashes)
ok $? "snapshot"
stop_recorder

cp "$a" "$TEST_TMP/elsewhere/a.tar"
rm -f "$bin"
a=$TEST_TMP/elsewhere/a.tar
R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" 2>/dev/null | tail -1; }

is "$(R "SELECT count(*) || ' ' || signal || ' ' || code || ' ' || addr || ' ' || comm FROM crashes WHERE pid = $spid")" "1 11 1 0 profload" \
	"crashes - profload segv: one row, SIGSEGV, SEGV_MAPERR, address 0"
is "$(R "SELECT count(*) || ' ' || signal || ' ' || code || ' ' || addr FROM crashes WHERE pid = $apid")" "1 6 -6 0" \
	"crashes - profload abort: one row, SIGABRT, SI_TKILL, no address"
# the innermost frame of the helper's own code (a frame of libc, without frame pointers, may come before it)
inner() { R "SELECT s.frames FROM crashes c JOIN stacks s ON s.id = c.stack_id WHERE c.pid = $1"; }
sframes=$(inner "$spid")
diag "segv stack: $sframes"
like "$sframes" "(^|;)main;crash_segv$" "stacks - the SIGSEGV stack: main;crash_segv innermost, named from the archive"
aframes=$(inner "$apid")
diag "abort stack: $aframes"
# Debian's libc has no frame pointers: the walk from its innermost frame
# cannot reach crash_abort (README, "CPU profiles": limits).  What it holds
# is named: the innermost frame is libc's kill path, never a wrong name.
like "$aframes" "(^|;)(__pthread_kill_implementation|__pthread_kill_internal|pthread_kill|raise|abort|crash_abort)$" \
	"stacks - the SIGABRT stack: innermost frame libc's kill path (or crash_abort), named from the archive"
is "$(printf '%s' "$aframes" | tr ';' '\n' | grep -c '^\[unknown\] 0x' | awk '{ print ($1 <= 1) }')" 1 \
	"stacks - an address repeated by a looping frame-pointer walk is kept once"
like "$(R "SELECT summary FROM timeline WHERE kind = 'crash' AND pid = $spid")" "^SIGSEGV \(code 1\) at 0x0 in crash_segv \(thread $spid\)$" \
	"timeline - a crash line: signal, code, address, function"
"$FLIGHTREC_REPLAY" "$a" --report "$TEST_TMP/report.html" 2>"$TEST_TMP/report.err"
ok $? "--report - writes the page"
like "$(python3 -c '
import json, re, sys
h = open(sys.argv[1]).read()
d = json.loads(re.search(r"id=\"fr-data\">(.*?)</script>", h, re.S).group(1))
for k in d["marks"]:
    if k["kind"] == "crash":
        c = k["cols"]
        print(" | ".join(r[3] for r in k["rows"] if r[5 + c.index("pid")] == int(sys.argv[2])))' "$TEST_TMP/report.html" "$spid" 2>&1)" \
	"^killed by signal 11( \\(core dumped\\))? in crash_segv$" "report - the SIGSEGV's crash mark is labelled with crash_segv, the function it crashed in"
done_testing
