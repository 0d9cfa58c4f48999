#!/usr/bin/env bash
# replay-summary-db.sh - .summary on a --db FILE reads its counts from the
# table summary_counts (replay/summary_cache.c), made at load and kept
# true by triggers: the output is byte for byte that of the columns
# (no --db), of SQLite's tables counted by SQL (FLIGHTREC_REPLAY_INDEX_ALL=1)
# and of the same file with the cache gone; the counts are read from the
# cache (an edited row shows), the failures section's rows too, by
# rowid while each still has its pid and exit_ts; a DELETE, INSERT or UPDATE by hand drops
# the rows it makes untrue, as does UPDATE OR REPLACE; a table dropped or
# renamed stops the cache being read; a second load into the file counts
# right, whether the cache was true or not before it, and with a trigger of
# the user's own that adds rows; a file made before the table (none, no
# triggers) still answers, and gets one at its next load.
. "$TESTS_SRCDIR/e2e/lib.sh"

cd "$TEST_TMP" || exit 1
"$MKSEG" -H alpha --synthetic 30000 alpha.seg
"$MKSEG" -H beta --synthetic 9000 beta.seg
# boot ns; rows going back in time, a drop, a fork never exited, a killed child
mkseg_back_seg back.seg
ok $? "mkseg - three segments written"
# archives with manifests (a window start, so fewer started than seen), syscalls, a snapshot
set -- "$TESTS_SRCDIR/data/format-1.0.tar" "$TESTS_SRCDIR/data/format-1.1.tar" back.seg alpha.seg

R() { "$FLIGHTREC_REPLAY" "$@" 2>&1; }
# SUM ARGS...: .summary as CSV
SUM() { R "$@" --csv -c .summary; }
# ONE DB SQL: the first value of SQL's answer on DB
ONE() { R --db "$1" --csv --headers off -c "$2"; }
# NOCACHE DB: .summary on a copy of DB without the cached rows (counted by SQL, as before the cache)
NOCACHE() { cp "$1" nocache.db && R --db nocache.db --csv -c "DELETE FROM summary_counts" -c .summary; rm -f nocache.db; }
# SECTION NAME: the lines of that .summary section (CSV) from stdin, heading and blank line cut
SECTION() { sed -n "/^== $1\$/,/^\$/p" | sed '1d;/^$/d'; }
# KEPT DB: every cached count beside the table's count(*): "name,kept,counted" where they differ
KEPT() {
	local n
	for n in $(ONE "$1" "SELECT name FROM summary_counts WHERE name <> 'processes' ORDER BY name"); do
		echo "$n,$(ONE "$1" "SELECT records FROM summary_counts WHERE name = '$n'"),$(ONE "$1" "SELECT count(*) FROM $n")"
	done | awk -F, '$2 != $3'
}
# SAME WHAT DB: .summary on DB the same as with its cache gone
SAME() {
	local got want
	got=$(SUM --db "$2")
	want=$(NOCACHE "$2")
	if [ "$got" = "$want" ] && [ "$(printf '%s\n' "$got" | wc -l)" -ge 40 ]; then
		pass "$1 - .summary the same as counted by SQL"
	else
		fail "$1 - .summary the same as counted by SQL"
		diag "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -10)"
	fi
}
# TRUE WHAT DB: .summary on DB the same as with its cache gone, and every count kept (the triggers intact) right
TRUE() {
	SAME "$@"
	is "$(KEPT "$2")" "" "$1 - each count kept equals the table's count(*), expect no difference"
}

R --db a.db "$@" -c "SELECT 1" >/dev/null
ntables=$(ONE a.db "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('processes', 'archives', 'summary_counts', 'summary_calls')")
is "$(ONE a.db "SELECT count(*) FROM summary_counts")" "$((ntables + 1))" \
	"summary_counts - a row per record table and one for processes, expect $((ntables + 1))"
is "$(ONE a.db "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name GLOB 'summary_counts_*'")" \
	"$(((ntables + 2) * 3))" "summary_counts - INSERT, UPDATE and DELETE triggers on each record table, processes and archives"
# the counts a load leaves are only its INSERTs' when no other trigger adds or deletes rows
is "$(ONE a.db "SELECT group_concat(name) FROM sqlite_schema WHERE type = 'trigger' AND name NOT GLOB 'summary_counts_*'")" \
	"syscalls_error_null" "schema/'s triggers - only syscalls_error_null, which changes no count (summary_cache.c counts on it)"
is "$(ONE a.db "SELECT records FROM summary_counts WHERE name IN ('proc_exec', 'syscalls', 'drops') ORDER BY name")" \
	"1
10025
6029" "summary_counts - drops, proc_exec, syscalls counted at load, expect 1, 10025, 6029"
is "$(ONE a.db "SELECT records, started, exited, failed, killed FROM summary_counts WHERE name = 'processes'")" \
	"10225,147,10025,6669,3" "summary_counts - processes' five values, expect 10225,147,10025,6669,3"

want=$(SUM "$@")
got=$(SUM --db a.db)
if [ "$got" = "$want" ] && [ "$(printf '%s\n' "$want" | wc -l)" -ge 40 ]; then
	pass ".summary on a --db FILE - byte for byte that of the columns (no --db)"
else
	fail ".summary on a --db FILE - byte for byte that of the columns (no --db)"
	diag "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -10)"
fi
is "$(FLIGHTREC_REPLAY_INDEX_ALL=1 SUM "$@")" "$want" ".summary on a --db FILE - that of SQLite's tables counted by SQL"
is "$(NOCACHE a.db)" "$want" ".summary on a --db FILE - that of the same file without its cached rows"
is "$(R --db a.db --json -c .summary)" "$(R "$@" --json -c .summary)" ".summary --json on a --db FILE - that of the columns"
# read from the cache, not counted: a row edited by hand (no trigger on the table itself) shows
cp a.db e.db
R --db e.db -c "UPDATE summary_counts SET records = 4242424 WHERE name = 'proc_fork'" \
	-c "UPDATE summary_counts SET failed = 31337, started = NULL WHERE name = 'processes'" >/dev/null
is "$(SUM --db e.db | SECTION 'records per table' | grep '^proc_fork,')" "proc_fork,4242424" \
	".summary on a --db FILE - the records of proc_fork read from summary_counts (edited row), expect 4242424"
is "$(SUM --db e.db | SECTION processes | sed -n 2p)" "10225,,10025,31337,3" \
	".summary on a --db FILE - the processes section read from summary_counts (edited row), expect 10225,,10025,31337,3"
# the failures section's rows kept by rowid, the latest first, as the index on exit_ts read backwards gives them
is "$(ONE a.db "SELECT failures FROM summary_counts WHERE name = 'processes'")" \
	"$(ONE a.db "SELECT group_concat(k, ' ') FROM (SELECT rowid || ' ' || pid || ' ' || exit_ts AS k FROM processes
		WHERE exit_code > 0 OR exit_signal > 0 ORDER BY exit_ts DESC, rowid DESC LIMIT 20)")" \
	"summary_counts - the 20 latest failures' rowid, pid and exit_ts, latest first"
cp a.db e.db
R --db e.db -c "UPDATE summary_counts SET failures = (SELECT group_concat(k, ' ') FROM (SELECT rowid || ' ' || pid || ' ' || exit_ts
	AS k FROM processes WHERE exit_code > 0 ORDER BY exit_ts LIMIT 2)) WHERE name = 'processes'" >/dev/null
is "$(SUM --db e.db | SECTION 'failures and crashes' | cut -d, -f1 | tr '\n' ' ')" \
	"time $(ONE e.db "SELECT group_concat(utc(exit_ts), ' ') FROM (SELECT exit_ts FROM processes WHERE exit_code > 0 ORDER BY exit_ts LIMIT 2)") " \
	".summary on a --db FILE - the failures read from summary_counts (edited to the 2 first), expect those 2"
# a row kept that no longer has its pid and exit_ts (a VACUUM may renumber rowids): the failures by SQL
R --db e.db -c "UPDATE summary_counts SET failures = (SELECT rowid || ' ' || (pid + 1) || ' ' || exit_ts FROM processes
	WHERE exit_code > 0 ORDER BY exit_ts DESC LIMIT 1) WHERE name = 'processes'" >/dev/null
is "$(SUM --db e.db | SECTION 'failures and crashes')" "$(SUM "$@" | SECTION 'failures and crashes')" \
	".summary on a --db FILE - a kept failure whose row changed, the failures by SQL, expect those of the columns"
# a file made before the column failures: the counts still read, the failures by SQL
cp a.db e.db
R --db e.db -c "ALTER TABLE summary_counts DROP COLUMN failures" \
	-c "UPDATE summary_counts SET failed = 31337 WHERE name = 'processes'" >/dev/null
is "$(SUM --db e.db | SECTION processes | sed -n 2p)" "10225,147,10025,31337,3" \
	"a file made before the column failures - the processes section still read from summary_counts, expect 31337"
is "$(SUM --db e.db | SECTION 'failures and crashes')" "$(SUM "$@" | SECTION 'failures and crashes')" \
	"a file made before the column failures - the failures by SQL, expect those of the columns"

# changes by hand drop the rows they make untrue
edit() { cp a.db e.db && R --db e.db -c "$1" >/dev/null; }
edit "DELETE FROM syscalls WHERE name = 'openat' OR rowid < 100"
is "$(ONE e.db "SELECT count(*) FROM summary_counts WHERE name IN ('syscalls', 'processes')")" "1" \
	"DELETE FROM syscalls - its row of summary_counts deleted, processes' kept"
is "$(SUM --db e.db | SECTION 'records per table' | grep '^syscalls,')" "syscalls,$(ONE e.db "SELECT count(*) FROM syscalls")" \
	"DELETE FROM syscalls - .summary shows the rows left"
TRUE "DELETE FROM syscalls WHERE ..." e.db
edit "INSERT INTO proc_fork (host, ts, pid, ppid) VALUES ('delta', 7, 42, 1), ('delta', 8, 43, 1)"
is "$(SUM --db e.db | SECTION 'records per table' | grep '^proc_fork,')" "proc_fork,10027" \
	"INSERT INTO proc_fork - .summary counts the two rows added, expect 10027"
TRUE "INSERT INTO proc_fork" e.db
edit "INSERT INTO processes (host, pid, start_ts, exit_ts, exit_code, exit_signal) VALUES ('delta', 9, 1, 2, 0, 6)"
is "$(SUM --db e.db | SECTION processes | sed -n 2p)" "10226,147,10026,6669,4" \
	"INSERT INTO processes - .summary counts the life added (started before the window), expect 10226,147,10026,6669,4"
TRUE "INSERT INTO processes" e.db
edit "UPDATE processes SET exit_code = 1 WHERE exit_code = 0 AND host = 'alpha' AND pid < 1100"
is "$(SUM --db e.db | SECTION processes | sed -n 2p)" \
	"$(ONE e.db "SELECT count(*), sum(start_ts >= (SELECT coalesce(min(json_extract(manifest, '\$.window.start_ns')), 0) FROM archives)), count(exit_ts), sum(exit_code > 0), sum(exit_signal > 0) FROM processes")" \
	"UPDATE processes - .summary counts the failures made by hand"
TRUE "UPDATE processes" e.db
edit "UPDATE archives SET manifest = json_set(manifest, '\$.window.start_ns', 0)"
is "$(SUM --db e.db | SECTION processes | sed -n 2p)" "10225,10224,10025,6669,3" \
	"UPDATE archives (the window's start) - .summary counts every life with a start as started, expect 10224"
TRUE "UPDATE archives" e.db
edit "DELETE FROM processes"
is "$(SUM --db e.db | SECTION processes | sed -n 2p)" "0,,0,," "DELETE FROM processes (every row) - .summary counts none, expect 0,,0,,"
TRUE "DELETE FROM processes" e.db
# REPLACE deletes the row it lands on without a DELETE trigger: the UPDATE's catches it
edit "UPDATE OR REPLACE proc_exit SET rowid = 1 WHERE rowid = 2"
is "$(SUM --db e.db | SECTION 'records per table' | grep '^proc_exit,')" "proc_exit,10024" \
	"UPDATE OR REPLACE proc_exit onto a taken rowid - .summary counts one row fewer, expect 10024"
TRUE "UPDATE OR REPLACE" e.db
# a table dropped (its triggers with it) and made again, or two renamed into each other's names
edit "DROP TABLE drops; CREATE TABLE drops (host TEXT NOT NULL, ts INTEGER, source TEXT, cpu INTEGER, count INTEGER, since_ts INTEGER)"
is "$(SUM --db e.db | SECTION 'records per table' | grep '^drops,')" "drops,0" \
	"DROP and CREATE TABLE drops - the kept count not used (triggers gone), expect 0"
SAME "DROP and CREATE TABLE drops" e.db
edit "ALTER TABLE health RENAME TO h; ALTER TABLE proc_snapshot RENAME TO health; ALTER TABLE h RENAME TO proc_snapshot"
is "$(SUM --db e.db | SECTION 'records per table' | grep -E '^(health|proc_snapshot),' | sort)" "health,247
proc_snapshot,2" "health and proc_snapshot renamed into each other's names - counted as they are now, expect 247 and 2"
SAME "tables renamed" e.db
edit "DROP TRIGGER summary_counts_proc_exec_delete"
R --db e.db -c "DELETE FROM proc_exec WHERE rowid < 11" >/dev/null
is "$(SUM --db e.db | SECTION 'records per table' | grep '^proc_exec,')" "proc_exec,10015" \
	"a trigger of the cache dropped, then rows deleted - the kept counts not used, expect 10015"

# a later load into the same file: from the counts kept, from count(*) where one was not true, with a trigger of the user's
cp a.db b.db
R --db b.db "$@" beta.seg -c "SELECT 1" >/dev/null
is "$(SUM --db b.db)" "$(SUM "$@" beta.seg)" "a second load into a --db FILE - .summary that of the columns loading all"
TRUE "a second load" b.db
is "$(ONE b.db "SELECT records FROM summary_counts WHERE name = 'proc_exec'")" "13025" \
	"a second load - proc_exec kept as 10025 + 3000, expect 13025"
cp a.db b.db
R --db b.db -c "DELETE FROM proc_exec WHERE host = 'alpha' AND pid < 2000" >/dev/null
R --db b.db beta.seg -c "SELECT 1" >/dev/null
TRUE "a second load after a DELETE by hand" b.db
is "$(ONE b.db "SELECT records FROM summary_counts WHERE name = 'proc_exec'")" "$(ONE b.db "SELECT count(*) FROM proc_exec")" \
	"a second load after a DELETE by hand - proc_exec counted again"
cp a.db b.db
R --db b.db -c "CREATE TRIGGER mine AFTER INSERT ON proc_exec BEGIN INSERT INTO health (host, ts) VALUES ('x', NEW.ts); END" >/dev/null
R --db b.db beta.seg -c "SELECT 1" >/dev/null
is "$(ONE b.db "SELECT records FROM summary_counts WHERE name = 'health'")" "3002" \
	"a second load with a trigger of the user's adding rows to health - counted, expect 2 + 3000"
TRUE "a second load with a trigger of the user's" b.db

# stacks: the load keeps one row of each (host, id), deleting the others, across loads too
"$MKSEG" -H gamma st1.seg <<'SPEC'
stack 1000000000 11 k:1;k:2
stack 2000000000 11 k:1;k:2
stack 2000000000 12 k:3
SPEC
"$MKSEG" -H gamma st2.seg <<'SPEC'
stack 3000000000 12 k:3
stack 3000000000 13 k:4
SPEC
rm -f s.db
R --db s.db st1.seg -c "SELECT 1" >/dev/null
is "$(ONE s.db "SELECT records FROM summary_counts WHERE name = 'stacks'")" "2" "stacks - duplicates deleted at load not counted, expect 2"
R --db s.db st2.seg -c "SELECT 1" >/dev/null
is "$(ONE s.db "SELECT records FROM summary_counts WHERE name = 'stacks'")" "3" "stacks - a second load's duplicate of a kept one not counted, expect 3"
TRUE "stacks loaded twice" s.db

# a file made before the table: no rows, no triggers
cp a.db old.db
R --db old.db --csv --headers off -c "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_schema WHERE type = 'trigger' AND name GLOB 'summary_counts_*'" >drop.sql
R --db old.db -c "$(cat drop.sql) DROP TABLE summary_counts" >/dev/null
is "$(ONE old.db "SELECT count(*) FROM sqlite_schema WHERE name GLOB 'summary_counts*'")" "0" "a file made before the table - no table, no trigger"
is "$(SUM --db old.db)" "$want" "a file made before the table - .summary the same, counted by SQL"
R --db old.db beta.seg -c "SELECT 1" >/dev/null
is "$(ONE old.db "SELECT count(*) FROM summary_counts")" "$((ntables + 1))" "a file made before the table - made by its next load"
TRUE "a file made before the table, loaded again" old.db
# the table dropped by hand, its triggers left: the next load still loads
cp a.db old.db
R --db old.db -c "DROP TABLE summary_counts" >/dev/null
got=$(R --db old.db beta.seg -c "SELECT count(*) FROM proc_exec")
is "$got" "count(*)
--------
   13025" "summary_counts dropped by hand, its triggers left - the next load loads, expect 13025 execs"
TRUE "summary_counts dropped by hand, loaded again" old.db

done_testing
