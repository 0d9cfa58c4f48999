#!/usr/bin/env bash
# probe-fail.sh - choosing probe families with --probes, and a probe that
# fails to attach (--uprobe on a missing binary and on a missing symbol):
# the recorder runs with the rest, the startup lines, `flightrec status`
# and the probes table of an archive name the failed probes and why, and an
# exec is still recorded.  Unknown family names are one line, exit 1.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

# Unknown names: one line naming the name, exit 1, before anything loads.
out=$("$FLIGHTREC" record --dir "$TEST_TMP/x" --probes=-net,nosuch 2>&1); st=$?
is "$st:$out" "1:flightrec: record: invalid --probes '-net,nosuch': unknown probe family 'nosuch' (expected process, syscall, sched, block, net, mem, uprobe, security, dns, http, tls, profile)" \
	"--probes - an unknown family, expect one line naming it and exit 1"
printf 'probes = process,bogus\n' > "$TEST_TMP/bad.conf"
out=$("$FLIGHTREC" record --dir "$TEST_TMP/x" --config "$TEST_TMP/bad.conf" 2>&1); st=$?
is "$st:$out" "1:flightrec: $TEST_TMP/bad.conf:1: invalid probes 'process,bogus': unknown probe family 'bogus' (expected process, syscall, sched, block, net, mem, uprobe, security, dns, http, tls, profile)" \
	"config - probes key with an unknown family, expect FILE:LINE and the name"
out=$("$FLIGHTREC" record --dir "$TEST_TMP/x" --uprobe /bin/true 2>&1); st=$?
is "$st:$out" "1:flightrec: record: invalid --uprobe '/bin/true': expected BINARY:SYMBOL, like /usr/sbin/nginx:ngx_http_handler" \
	"--uprobe - no symbol, expect one line and exit 1"
[ ! -e "$TEST_TMP/x" ]; ok $? "bad options - nothing created"

# Only process and block from the config file; the command line adds two
# failing uprobes and one that attaches.
dir=$TEST_TMP/rec
printf 'probes = process,block\n' > "$TEST_TMP/rec.conf"
# A private copy: uprobes are per file, so only this test's runs count.
probed=$TEST_TMP/exit-with-probed
cp "$EXIT_WITH" "$probed"
if ! start_recorder "$dir" --config "$TEST_TMP/rec.conf" --uprobe "$TEST_TMP/nosuch/bin:main" \
	--uprobe "$EXIT_WITH:no_such_function" --uprobe "$probed:main"; then
	fail "flightrec record starts with two failing uprobes"
	done_testing; exit
fi
pass "flightrec record starts with two failing uprobes"
log=$(cat "$TEST_TMP/recorder.log")
like "$log" "probe uprobe/main failed \(uprobe/$TEST_TMP/nosuch/bin:main\): cannot open $TEST_TMP/nosuch/bin: No such file or directory" \
	"startup - the missing binary is named with its reason"
like "$log" "probe uprobe/no_such_function failed \(uprobe/$EXIT_WITH:no_such_function\): no function no_such_function in $EXIT_WITH" \
	"startup - the missing symbol is named with its reason"
is "$(printf '%s\n' "$log" | grep -c '^flightrec: probe .* attached')" 8 \
	"startup - process (4) + block (3) + uprobe main (1) attached, expect 8"
is "$(printf '%s\n' "$log" | grep -Ec '^flightrec: probe (sched|net|syscall)/')" 0 \
	"startup - families left out by probes = process,block are not loaded"

st=$("$FLIGHTREC" status --dir "$dir")
like "$st" "probes:    8 attached, 2 failed" "status - 8 attached, 2 failed"
like "$st" "uprobe/main +FAILED +uprobe/$TEST_TMP/nosuch/bin:main: cannot open $TEST_TMP/nosuch/bin: No such file or directory" \
	"status - the missing binary, FAILED with its reason"
like "$st" "uprobe/no_such_function +FAILED +uprobe/$EXIT_WITH:no_such_function: no function no_such_function in $EXIT_WITH" \
	"status - the missing symbol, FAILED with its reason"
like "$("$FLIGHTREC" status --json --dir "$dir")" '"probes_ok": 8, "probes_failed": 2, .*\{"name": "uprobe/main", "attach": "[^"]*", "ok": false, "error": "cannot open [^"]*: No such file or directory"\}' \
	"status --json - the failed probe with ok false and its error"

mark=frpf$$x$RANDOM
for i in 1 2 3; do "$probed" 0 "$mark" "$i"; done
count_marked() { "$FLIGHTREC" dump "$dir" 2>/dev/null | grep -c "exec .*argv=\"$probed [0-9-]* $mark "; }
three() { [ "$(count_marked)" -eq 3 ]; }
wait_for 10 three; ok $? "recording goes on - the 3 execs reach the log"
calls=$("$FLIGHTREC" status --dir "$dir" | sed -n 's/.*uprobe\/main .*(\([0-9]*\) calls).*/\1/p')
is "$calls" 3 "uprobe/main attached - counts the 3 runs of the probed binary, expect 3 calls"

archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason probes)
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT name, ok, error FROM probes WHERE ok = 0 ORDER BY name")
is "$got" "name,ok,error
uprobe/main,0,cannot open $TEST_TMP/nosuch/bin: No such file or directory
uprobe/no_such_function,0,no function no_such_function in $EXIT_WITH" "archive - the probes table holds both failed rows with their reasons"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM probes WHERE ok = 1" | tail -1)
is "$got" 8 "archive - and the 8 attached ones"
got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM proc_exec WHERE argv LIKE '$probed % $mark %'" | tail -1)
is "$got" 3 "archive - the 3 execs recorded beside the failed probes"
stop_recorder; ok $? "record - SIGTERM, expect exit 0"

# All but some: -sched,-syscall,-net,-mem,-dns,-tls leaves process and block (and security, which has no probe).
rm -rf "$dir"
if start_recorder "$dir" --probes=-sched,-syscall,-net,-mem,-dns,-tls; then
	is "$(grep -c '^flightrec: probe .* attached' "$TEST_TMP/recorder.log")" 7 \
		"--probes=-sched,-syscall,-net,-mem,-dns,-tls - process (4) and block (3) attach, expect 7"
	is "$(grep -Ec '^flightrec: probe (sched|net|syscall|mem|uprobe|dns|tls)/' "$TEST_TMP/recorder.log")" 0 \
		"--probes=-sched,-syscall,-net,-mem,-dns,-tls - none of the others"
	stop_recorder; ok $? "record - SIGTERM, expect exit 0"
else
	fail "flightrec record starts with --probes=-sched,-syscall,-net,-mem,-dns,-tls"
fi

# A quote in the directory's name and in a failed probe's attach point:
# status --json and the archive's manifest are still JSON that holds both.
qdir="$TEST_TMP/quo\"te dir"
if start_recorder "$qdir" --probes=process --uprobe "$TEST_TMP/no\"such:main"; then
	got=$("$FLIGHTREC" status --json --dir "$qdir" | python3 -c 'import json, sys
j = json.load(sys.stdin)
print(j["dir"])
print([p["attach"] for p in j["probes"] if not p["ok"]][0])')
	is "$got" "$qdir
uprobe/$TEST_TMP/no\"such:main" "status --json - a quote in the directory and in a failed probe, expect valid JSON holding both"
	archive=$("$FLIGHTREC" snapshot --dir "$qdir" --before 1m --after 0s --reason quote)
	got=$(tar xOf "$archive" MANIFEST.json | python3 -c 'import json, sys
j = json.load(sys.stdin)
print([p["error"] for p in j["probes"] if not p["ok"]][0])')
	is "$got" "cannot open $TEST_TMP/no\"such: No such file or directory" \
		"manifest - the failed probe's error with its quote, expect valid JSON"
	stop_recorder; ok $? "record - SIGTERM, expect exit 0"
else
	fail "flightrec record starts in a directory with a quote in its name"
fi

# A binary under a path of 300 bytes (container roots and overlay
# directories make such paths ordinary): its attach point and its reason
# are whole in the startup lines, status, the probes table and func_stats.
long=$TEST_TMP/long
while [ $((${#long} + 10)) -lt 300 ]; do
	n=$((300 - ${#long} - 10 - 1))
	[ "$n" -gt 60 ] && n=60
	[ "$n" -lt 1 ] && n=1
	long=$long/$(printf '%*s' "$n" '' | tr ' ' d)
done
mkdir -p "$long"
lbin=$long/exit-with
cp "$EXIT_WITH" "$lbin"
is "${#lbin}" 300 "long path - the probed binary's path is 300 bytes"
dir=$TEST_TMP/longrec
if start_recorder "$dir" --probes=process --uprobe "$lbin:no_such_function" --uprobe "$lbin:main"; then
	log=$(cat "$TEST_TMP/recorder.log")
	is "$(printf '%s\n' "$log" | grep -Fxc "flightrec: probe uprobe/no_such_function failed (uprobe/$lbin:no_such_function): no function no_such_function in $lbin")" 1 \
		"long path - startup, the failed probe with its whole attach point and reason"
	is "$(printf '%s\n' "$log" | grep -Fxc "flightrec: probe uprobe/main attached (uprobe/$lbin:main)")" 1 \
		"long path - startup, the attached probe with its whole attach point"
	st=$("$FLIGHTREC" status --dir "$dir")
	is "$(printf '%s\n' "$st" | grep -Fc " uprobe/$lbin:no_such_function: no function no_such_function in $lbin")" 1 \
		"long path - status, the whole attach point and reason"
	like "$("$FLIGHTREC" status --json --dir "$dir")" "\"attach\": \"uprobe/$lbin:main\", \"ok\": true" \
		"long path - status --json, the whole attach point"
	"$lbin" 0 long1; "$lbin" 0 long2
	two() { "$FLIGHTREC" status --dir "$dir" | grep -q "uprobe/main .*(2 calls)"; }
	wait_for 10 two; ok $? "long path - the probe counts the 2 runs, expect 2 calls"
	got_stats() { "$FLIGHTREC" dump "$dir" 2>/dev/null | grep -q '^[^ ]* func_stat '; }
	wait_for 10 got_stats; ok $? "long path - a func_stat record reaches the log"
	archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason long-path)
	got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT attach, error FROM probes WHERE name LIKE 'uprobe/%' ORDER BY name")
	is "$got" "attach,error
uprobe/$lbin:main,
uprobe/$lbin:no_such_function,no function no_such_function in $lbin" \
		"long path - archive, the probes table holds both whole attach points and the whole reason"
	got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT DISTINCT binary, length(binary) FROM func_stats" 2>&1 | tail -n +2)
	is "$got" "$lbin,300" "long path - archive, func_stats name the whole 300-byte binary"
	stop_recorder; ok $? "long path - record, SIGTERM, expect exit 0"
else
	fail "flightrec record starts with uprobes on a binary under a 300-byte path"
fi

# Nothing that attaches: the recorder says so and exits 1.
out=$("$FLIGHTREC" record --dir "$TEST_TMP/none" --probes=uprobe --uprobe "$EXIT_WITH:no_such_function" 2>&1); st=$?
like "$st:$(printf '%s\n' "$out" | tail -1)" "^1:flightrec: no probe could be attached$" \
	"only a failing probe - exit 1, expect 'no probe could be attached'"
done_testing
