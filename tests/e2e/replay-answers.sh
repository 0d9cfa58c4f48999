#!/usr/bin/env bash
# replay-answers.sh - the loader's shortcuts change how fast, never what a
# query answers.  On an archive recorded here from real kernel events
# (--syscalls=all under a getppid loop, and a marked process that exits 5):
#   - every table holds exactly the records `flightrec dump` prints of its
#     kind (stacks: one row per distinct id, as the loader keeps them);
#   - a fixed set of queries and dot-commands answers byte for byte the
#     same with lazy indexes and `processes` rebuilt in rowid order (the
#     default) as with every index made after the load and `processes`
#     rebuilt through the ts indexes (FLIGHTREC_REPLAY_INDEX_ALL=1, the
#     path of the loader before them);
#   - a --db FILE answers the same, and is loaded once.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

SYSLOOP=${SYSLOOP:-$(dirname "$EXIT_WITH")/sysloop}
dir=$TEST_TMP/rec
if ! start_recorder "$dir" --syscalls=all; then
	fail "flightrec record --syscalls=all starts"; done_testing; exit
fi
pass "flightrec record --syscalls=all starts"
mark=frans$$x$RANDOM
cp "$EXIT_WITH" "$TEST_TMP/$mark"
"$TEST_TMP/$mark" 5 a
"$SYSLOOP" getppid 200000
# for .summary's syscalls sections: failed calls, would-block calls
"$SYSLOOP" open "/nonexistent-$mark/file" 3000
"$SYSLOOP" eagain 2500
sleep 2.5 # per-second counts are drained a tick after their second ends
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 30s --after 0s --reason answers 2>"$TEST_TMP/snap.err")
stop_recorder
if [ ! -f "$a" ]; then
	fail "snapshot written: $(cat "$TEST_TMP/snap.err")"; done_testing; exit
fi

# --- every table holds what dump prints ---------------------------------------
"$FLIGHTREC" dump "$a" | awk '{ n[$2]++ } END { for (k in n) print k, n[k] }' | sort >"$TEST_TMP/dump.counts"
stacks=$("$FLIGHTREC" dump --json "$a" | grep '^{"kind":"stack",' | sed 's/.*"id":\([0-9]*\).*/\1/' | sort -u | wc -l)
kinds=$(sed -n 's/^RECORD([0-9]*, \([a-z_]*\), \([a-z_]*\),.*/\1 \2/p' "$TESTS_SRCDIR/../schema/records.def")
sql=$(echo "$kinds" | awk '{ printf "%sSELECT %s, count(*) FROM %s", (NR > 1 ? " UNION ALL " : ""), "'"'"'" $2 "'"'"'", $2 }')
"$FLIGHTREC_REPLAY" "$a" --csv --headers off -c "$sql" >"$TEST_TMP/table.counts"
syscalls_rows=0
while read -r kind table; do
	want=$(awk -v k="$kind" '$1 == k { print $2 }' "$TEST_TMP/dump.counts")
	[ "$kind" = stack ] && want=$stacks
	got=$(awk -F, -v t="$table" '$1 == t { print $2 }' "$TEST_TMP/table.counts")
	is "$got" "${want:-0}" "$table - rows loaded equal the $kind records dump prints, expect ${want:-0}"
	[ "$table" = syscalls ] && syscalls_rows=$got
done <<<"$kinds"
[ "$syscalls_rows" -ge 100000 ]; ok $? "syscalls - the loop's per-call rows are in the archive ($syscalls_rows rows, expect >= 100000)"

# --- the same answers as the reference path ------------------------------------
pid=$("$FLIGHTREC_REPLAY" "$a" --csv --headers off -c "SELECT pid FROM processes WHERE argv LIKE '%$mark 5 a'")
loop=$("$FLIGHTREC_REPLAY" "$a" --csv --headers off -c "SELECT pid FROM syscalls WHERE comm = 'sysloop' GROUP BY pid ORDER BY count(*) DESC LIMIT 1")
t0=$("$FLIGHTREC_REPLAY" "$a" --csv --headers off -c "SELECT ts FROM syscalls WHERE pid = ${loop:-0} ORDER BY ts LIMIT 1 OFFSET 1000")
t0=${t0:-0}
is "$("$FLIGHTREC_REPLAY" "$a" --csv --headers off -c "SELECT exit_code, exit_signal FROM processes WHERE pid = ${pid:-0}")" "5,0" \
	"processes - the marked process exited 5, expect 5,0"
queries=(
	".summary"
	".follow ${pid:-0}"
	".follow ${loop:-0}"
	".timeline $t0 $((t0 + 10000000))"
	".top syscalls"
	".top cpu"
	".tree $$"
	".slow"
	"SELECT * FROM processes ORDER BY host, pid, start_ts, exit_ts"
	"SELECT * FROM syscalls WHERE pid = ${loop:-0} ORDER BY ts LIMIT 20 OFFSET 1000"
	"SELECT * FROM syscalls WHERE ts > (SELECT min(ts) FROM syscalls) + 1000000000 ORDER BY ts LIMIT 20"
	"SELECT name, count(*), sum(count) FROM syscalls GROUP BY name ORDER BY 2 DESC, 1"
	"SELECT kind, count(*) FROM timeline GROUP BY kind ORDER BY kind"
	"SELECT count(*) FROM syscall_stats WHERE pid = ${loop:-0}"
)
for q in "${queries[@]}"; do
	got=$("$FLIGHTREC_REPLAY" "$a" --csv -c "$q" 2>&1)
	want=$(FLIGHTREC_REPLAY_INDEX_ALL=1 "$FLIGHTREC_REPLAY" "$a" --csv -c "$q" 2>&1)
	lines=$(printf '%s\n' "$want" | wc -l)
	if [ "$got" = "$want" ] && [ "$lines" -ge 2 ]; then
		pass "$q - the same $lines lines as with every index made after the load"
	else
		fail "$q - the same answer as with every index made after the load, expect $lines lines"
		diag "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20)"
	fi
done
# SECTION NAME: the rows of that .summary section (CSV) from stdin, heading, header line and blank line cut
SECTION() { sed -n "/^== $1\$/,/^\$/p" | sed '1,2d;/^$/d'; }
sum=$("$FLIGHTREC_REPLAY" "$a" --csv -c .summary)
n=$(printf '%s\n' "$sum" | SECTION "failed system calls" | awk -F, '$1 == "openat" && $2 == "ENOENT" { print $3 }')
[ "${n:-0}" -ge 3000 ]; ok $? ".summary failed system calls - openat ENOENT, sysloop's 3000 among them (got ${n:-none})"
n=$(printf '%s\n' "$sum" | SECTION "non-blocking calls that would have waited (not failures)" | awk -F, '$1 == "read" && $2 == "EAGAIN" { print $3 }')
[ "${n:-0}" -ge 2500 ]; ok $? ".summary would-block calls - read EAGAIN, sysloop's 2500 among them (got ${n:-none})"
got=$("$FLIGHTREC_REPLAY" "$a" --csv -c ".follow ${pid:-0}" | tail -1 | cut -d, -f4,5)
is "$got" "exit,exit 5" ".follow PID - ends with the marked process's exit 5"

# --- --db FILE: the same answers, loaded once ----------------------------------
db=$TEST_TMP/kept.db
"$FLIGHTREC_REPLAY" --db "$db" "$a" --csv --headers off -c "$sql" >"$TEST_TMP/db.counts"
is "$(cat "$TEST_TMP/db.counts")" "$(cat "$TEST_TMP/table.counts")" "--db FILE - the same rows per table"
q="SELECT * FROM syscalls WHERE pid = ${loop:-0} ORDER BY ts LIMIT 20 OFFSET 1000"
is "$("$FLIGHTREC_REPLAY" --db "$db" "$a" --csv -c "$q")" "$("$FLIGHTREC_REPLAY" "$a" --csv -c "$q")" \
	"--db FILE opened again with the archive - the same rows"
is "$("$FLIGHTREC_REPLAY" --db "$db" --csv --headers off -c "SELECT count(*) FROM archives")" 1 \
	"--db FILE opened again - the archive was loaded once, expect 1"
is "$("$FLIGHTREC_REPLAY" --db "$db" --csv --headers off -c "SELECT count(*) FROM syscalls")" "$syscalls_rows" \
	"--db FILE opened again - its syscalls rows, expect $syscalls_rows"
done_testing
