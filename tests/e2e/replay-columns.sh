#!/usr/bin/env bash
# replay-columns.sh - record tables served from in-memory columns (the
# SQLite module flightrec_columns, the default without --db FILE) answer
# byte for byte as SQLite's own tables do (FLIGHTREC_REPLAY_INDEX_ALL=1,
# and --db FILE): ts ranges, ts equality, pid equality, ORDER BY ts either
# way, rowid, joins with processes, views, dot-commands; `processes`
# (a derived store): its rows exactly, lookups by pid and ppid, and no
# change taken; on segments of
# two hosts loaded together whose rows interleave in time (so neither a
# table nor its store is in ts order), and a segment whose rows go back in
# time.  Segments made by mkseg, so no root is needed.
. "$TESTS_SRCDIR/e2e/lib.sh"

cd "$TEST_TMP" || exit 1
# 150000 records per host: 50000 per lifecycle table, in chunks of 65536 rows across hosts
"$MKSEG" -H alpha --synthetic 150000 alpha.seg
"$MKSEG" -H beta --synthetic 60000 beta.seg
# boot ns; real = boot + 1.7e18.  Rows going back in time, a drop with no start, a fork never exited.
mkseg_back_seg back.seg
ok $? "mkseg - three segments written"
set -- alpha.seg beta.seg back.seg

# Q SQL...: the answer of each as loaded by default (columns)
Q() { "$FLIGHTREC_REPLAY" "$@" --csv 2>&1; }
REF() { FLIGHTREC_REPLAY_INDEX_ALL=1 "$FLIGHTREC_REPLAY" "$@" --csv 2>&1; }

is "$("$FLIGHTREC_REPLAY" "$@" --csv --headers off -c "SELECT substr(sql, 1, 20) FROM sqlite_schema WHERE name = 'proc_exec'")" \
	"CREATE VIRTUAL TABLE" "proc_exec - served from columns by default, expect a virtual table"
is "$(FLIGHTREC_REPLAY_INDEX_ALL=1 "$FLIGHTREC_REPLAY" "$@" --csv --headers off -c "SELECT substr(sql, 1, 12) FROM sqlite_schema WHERE name = 'proc_exec'")" \
	"CREATE TABLE" "proc_exec - with FLIGHTREC_REPLAY_INDEX_ALL=1 SQLite's own table, expect a table"
is "$("$FLIGHTREC_REPLAY" --db kept.db "$@" --csv --headers off -c "SELECT substr(sql, 1, 12) FROM sqlite_schema WHERE name = 'proc_exec'")" \
	"CREATE TABLE" "proc_exec - in a --db FILE SQLite's own table, expect a table"

t1=1700000001000000000 # mkseg's synthetic rows start at boot 1 s, one every us
queries=(
	"SELECT 'proc_exec', count(*) FROM proc_exec UNION ALL SELECT 'proc_fork', count(*) FROM proc_fork
	 UNION ALL SELECT 'proc_exit', count(*) FROM proc_exit UNION ALL SELECT 'drops', count(*) FROM drops
	 UNION ALL SELECT 'processes', count(*) FROM processes"
	"SELECT * FROM processes"
	"SELECT * FROM proc_exec WHERE ts BETWEEN $((t1 + 40000000)) AND $((t1 + 40100000)) ORDER BY ts"
	"SELECT rowid, * FROM proc_exit WHERE ts > $((t1 + 59000000)) AND ts <= $((t1 + 59200000))"
	"SELECT host, pid, ts FROM proc_fork WHERE ts < $((t1 + 300000)) ORDER BY ts DESC"
	"SELECT * FROM proc_exec WHERE ts = $((t1 + 100000000))"
	"SELECT * FROM proc_exec WHERE ts >= $((t1 + 149990000)) ORDER BY ts DESC LIMIT 7"
	"SELECT * FROM proc_fork WHERE ts > '$((t1 + 149990000))' ORDER BY ts"
	"SELECT * FROM proc_fork WHERE ts > $((t1 + 149990000)).5 ORDER BY ts"
	"SELECT host, ts, argv FROM proc_exec WHERE pid = 1500 ORDER BY ts"
	"SELECT host, ts, argv FROM proc_exec WHERE pid = 1500 ORDER BY ts DESC"
	"SELECT rowid, host FROM proc_exit WHERE pid = 7001 AND ts > 0"
	"SELECT count(*) FROM proc_exec WHERE pid = '1500'"
	"SELECT rowid, * FROM proc_fork WHERE rowid IN (1, 2, 65536, 65537, 69999, 70000, 70001, 0, -1, 99999999)"
	"SELECT * FROM proc_exit ORDER BY rowid DESC LIMIT 5"
	"SELECT p.host, p.pid, p.exit_code, e.argv, x.ts FROM processes p JOIN proc_exec e ON e.pid = p.pid AND e.host = p.host
	 JOIN proc_exit x ON x.pid = p.pid AND x.host = p.host WHERE p.start_ts < $((t1 + 3000)) ORDER BY p.host, p.pid"
	"SELECT * FROM processes WHERE host = 'gamma' ORDER BY pid"
	"SELECT * FROM drops"
	"SELECT kind, count(*), min(ts), max(ts) FROM timeline GROUP BY kind ORDER BY kind"
	"SELECT * FROM timeline WHERE ts BETWEEN $((t1 + 10000000)) AND $((t1 + 10020000)) ORDER BY ts, host"
	".timeline $((t1 + 20000000)) $((t1 + 20010000))"
	"SELECT e.host, e.pid, (SELECT count(*) || ' ' || group_concat(f.rowid) FROM proc_fork f WHERE f.ts BETWEEN e.ts - 3000 AND e.ts + 2000)
	 FROM proc_exec e WHERE e.pid BETWEEN 1000 AND 1040 ORDER BY e.rowid"
	".follow 1500 beta"
	".follow 7001"
	".summary"
	".tree"
	".schema proc_exec"
	".schema"
	"SELECT rowid, * FROM processes WHERE pid = 1500"
	"SELECT rowid, host, pid, start_ts FROM processes WHERE ppid = 7000"
	"SELECT host, count(*), min(pid), max(pid), sum(exit_code), count(exit_ts) FROM processes WHERE ppid = 1 GROUP BY host"
	"SELECT rowid, pid FROM processes WHERE pid = '1500' OR pid = 1500.0 OR pid = 7001"
	"SELECT c.host, c.pid, p.pid, p.comm FROM processes c JOIN processes p ON c.ppid = p.pid AND c.host = p.host ORDER BY c.host, c.pid"
	"SELECT rowid, * FROM processes WHERE rowid IN (1, 2, 65536, 65537, 70000, 70001, 70003, 0, -1)"
	"SELECT * FROM processes ORDER BY rowid DESC LIMIT 5"
	"SELECT * FROM processes WHERE exit_code > 0 OR exit_signal > 0 ORDER BY exit_ts DESC LIMIT 20"
	"SELECT typeof(host), typeof(exe), typeof(start_ts), typeof(exit_ts), typeof(exit_code), typeof(container), count(*)
	 FROM processes GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 7"
	"PRAGMA table_info(processes)"
	".procs"
	".tree 7000"
	".schema processes"
)
for q in "${queries[@]}"; do
	got=$(Q "$@" -c "$q")
	want=$(REF "$@" -c "$q")
	lines=$(printf '%s\n' "$want" | wc -l)
	if [ "$got" = "$want" ] && [ "$lines" -ge 2 ]; then
		pass "$(echo "$q" | head -1 | cut -c1-90) - the same $lines lines as SQLite's tables"
	else
		fail "$(echo "$q" | head -1 | cut -c1-90) - the same answer as SQLite's tables, expect $lines lines"
		diag "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20)"
	fi
done

# exact values, not only the same as the reference
is "$(Q "$@" -c "SELECT host, pid, ppid, comm, argv, exit_code, exit_signal FROM processes WHERE host = 'gamma' ORDER BY pid")" \
	"host,pid,ppid,comm,argv,exit_code,exit_signal
gamma,1000,1,early,,,
gamma,7000,1,late,late --x,3,0
gamma,7001,7000,child,child a b,0,9" "processes - gamma's lives from rows out of time order"
is "$(Q "$@" --headers off -c "SELECT since_ts IS NULL, count FROM drops")" "1,17" "drops - since_ts 0 reads as NULL, expect 1,17"
is "$(Q "$@" --headers off -c "SELECT count(*) FROM proc_exec WHERE pid = 1500")" "2" \
	"proc_exec WHERE pid = N - one exec of pid 1500 per synthetic host, expect 2"
is "$(Q "$@" --headers off -c "SELECT count(*) FROM proc_fork")" "70002" "proc_fork - 50000 + 20000 + 2 rows, expect 70002"
# a session may add rows: INSERT appends them, read back as SQLite's tables do
ins="INSERT INTO proc_exit (host, ts, pid, tid, ppid, uid, gid, comm, exit_code) VALUES ('delta', 7, 42, 42, 1, 0, 0, 'added', -1), ('delta', '8', 43, 43, 1, 0, 0, 99, 0)"
q="SELECT rowid, * FROM proc_exit WHERE host = 'delta' OR rowid > 70000 ORDER BY ts"
is "$(Q "$@" -c "$ins" -c "$q")" "$(REF "$@" -c "$ins" -c "$q")" "INSERT into a table served from columns - the rows read back as from SQLite's tables"
is "$(Q "$@" --headers off -c "$ins" -c "SELECT count(*) FROM proc_exit WHERE pid = 43 AND ts < 10")" "1" \
	"INSERT into a table served from columns - found by pid and ts afterwards, expect 1"
got=$(Q "$@" -c "UPDATE proc_exit SET pid = 1 WHERE rowid = 1")
is "$got" "flightrec-replay: SQL error: proc_exit: no row can be deleted or changed in a table served from columns (--db FILE or FLIGHTREC_REPLAY_INDEX_ALL=1 keep SQLite's own tables)" \
	"UPDATE of a table served from columns - refused in one line that says why"
got=$(Q "$@" -c "INSERT INTO proc_exit (host, ts, pid) VALUES ('x', 1, 'abc')")
like "$got" "^flightrec-replay: SQL error: proc_exit: a value that is not an integer its field holds" \
	"INSERT of a text into pid - refused in one line"
# --db FILE answers the same as the columns
q="SELECT host, ts, argv FROM proc_exec WHERE pid = 1500 ORDER BY ts DESC"
is "$("$FLIGHTREC_REPLAY" --db kept.db --csv -c "$q")" "$(Q "$@" -c "$q")" "--db FILE - the same rows as the columns"

# processes: served from columns by default, SQLite's table in a --db FILE, the same rows in the same order
is "$(Q "$@" --headers off -c "SELECT substr(sql, 1, 20) FROM sqlite_schema WHERE name = 'processes'")" \
	"CREATE VIRTUAL TABLE" "processes - served from columns by default, expect a virtual table"
is "$("$FLIGHTREC_REPLAY" --db kept.db --csv --headers off -c "SELECT substr(sql, 1, 12) FROM sqlite_schema WHERE name = 'processes'")" \
	"CREATE TABLE" "processes - in a --db FILE SQLite's own table, expect a table"
q="SELECT rowid, * FROM processes"
want=$("$FLIGHTREC_REPLAY" --db kept.db --csv -c "$q")
got=$(Q "$@" -c "$q")
if [ "$got" = "$want" ] && [ "$(printf '%s\n' "$got" | wc -l)" -eq 70004 ]; then
	pass "processes - every row and rowid as in a --db FILE, expect 70003 rows"
else
	fail "processes - every row and rowid as in a --db FILE, expect 70003 rows"
	diag "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -10)"
fi
is "$(Q "$@" --headers off -c "SELECT host, rowid > 0 FROM processes WHERE pid = 1500 ORDER BY host")" "alpha,1
beta,1" "processes WHERE pid = N - one lifetime of pid 1500 per synthetic host, expect alpha and beta"
is "$(Q "$@" --headers off -c "SELECT host, pid, comm, argv FROM processes WHERE ppid = 7000")" "gamma,7001,child,child a b" \
	"processes WHERE ppid = N - the one child of 7000, expect gamma's 7001"
is "$(Q "$@" --headers off -c "SELECT count(*) FROM processes WHERE pid = -1 OR pid = 4294967296 OR ppid = 99999999999")" "0" \
	"processes - a pid or ppid no U32 holds, expect no row"
like "$(Q "$@" --headers off -c "EXPLAIN QUERY PLAN SELECT * FROM processes WHERE pid = 1500")" "VIRTUAL TABLE INDEX 2:" \
	"processes WHERE pid = N - looked up (plan PLAN_PID), not scanned"
like "$(Q "$@" --headers off -c "EXPLAIN QUERY PLAN SELECT * FROM processes WHERE ppid = 7000")" "VIRTUAL TABLE INDEX 512:" \
	"processes WHERE ppid = N - looked up (plan PLAN_PPID), not scanned"
refused="SQL error: processes: no row can be added, deleted or changed in a table served from columns (--db FILE or FLIGHTREC_REPLAY_INDEX_ALL=1 keep SQLite's own tables)"
for change in "UPDATE processes SET pid = 1 WHERE rowid = 1" "DELETE FROM processes" "INSERT INTO processes (host, pid) VALUES ('x', 1)"; do
	is "$(Q "$@" -c "$change")" "flightrec-replay: $refused" "processes - $change refused in one line"
done
is "$(Q "$@" --headers off -c "SELECT count(*) FROM processes WHERE host = 'x' OR pid = 1")" "0" "processes - no row of x, no pid 1, expect 0"

# processes read in exit_ts or start_ts order, and .summary's counts taken from the stores: exits at
# the same ts (ties go by rowid, as an index has them), a life never exited (exit_ts NULL), an exit
# with no fork or exec seen (start_ts NULL), killed and failed lives.
"$MKSEG" -H delta tie.seg <<'SPEC'
fork 1000000000 8000 1 0 0 a
fork 1000000000 8001 1 0 0 b
fork 1500000000 8002 1 0 0 c
exit 2000000000 8001 8001 1 0 0 b 2 0 0
exit 2000000000 8000 8000 1 0 0 a 1 0 0
exit 2500000000 8003 8003 1 0 0 d 0 15 0
fork 3000000000 8004 1 0 0 e
exit 3000000000 8004 8004 1 0 0 e 0 0 0
SPEC
ok $? "mkseg - a segment with exits at the same ts"
set -- beta.seg back.seg tie.seg
for q in "SELECT rowid, pid, exit_ts FROM processes ORDER BY exit_ts DESC" \
	"SELECT rowid, pid, exit_ts FROM processes ORDER BY exit_ts" \
	"SELECT rowid, pid, start_ts FROM processes ORDER BY start_ts DESC LIMIT 30" \
	"SELECT rowid, pid, start_ts FROM processes WHERE host <> 'beta' ORDER BY start_ts" \
	"SELECT * FROM processes WHERE exit_code > 0 OR exit_signal > 0 ORDER BY exit_ts DESC LIMIT 20" \
	".summary" ".procs"; do
	want=$("$FLIGHTREC_REPLAY" --db order.db "$@" --csv -c "$q" 2>&1)
	got=$(Q "$@" -c "$q")
	lines=$(printf '%s\n' "$want" | wc -l)
	if [ "$got" = "$want" ] && [ "$(REF "$@" -c "$q")" = "$want" ] && [ "$lines" -ge 5 ]; then
		pass "$q - the same $lines lines as a --db FILE and SQLite's tables"
	else
		fail "$q - the same answer as a --db FILE and SQLite's tables, expect $lines lines"
		diag "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20)"
	fi
done
is "$(Q "$@" --headers off -c "SELECT pid FROM processes WHERE host = 'delta' ORDER BY exit_ts DESC" | tr '\n' ' ')" \
	"8004 8003 8000 8001 8002 " "processes ORDER BY exit_ts DESC - ties by rowid backwards, the life never exited last"
unlike "$(Q "$@" --headers off -c "EXPLAIN QUERY PLAN SELECT * FROM processes WHERE exit_code > 0 ORDER BY exit_ts DESC LIMIT 20")" \
	"TEMP B-TREE" "processes ORDER BY exit_ts DESC - read in that order (no sort of every row)"
unlike "$(Q "$@" --headers off -c "EXPLAIN QUERY PLAN SELECT * FROM processes ORDER BY start_ts")" \
	"TEMP B-TREE" "processes ORDER BY start_ts - read in that order (no sort of every row)"
like "$(Q "$@" --headers off -c "EXPLAIN QUERY PLAN SELECT * FROM processes WHERE pid = 8000 ORDER BY exit_ts")" \
	"TEMP B-TREE" "processes WHERE pid = N ORDER BY exit_ts - looked up by pid, then sorted"
# .summary's counts, exact: 20000 + 2 + 5 lifecycle rows per table as loaded
sum=$(Q "$@" --headers off -c .summary)
# lives: beta 20000 (a third exit 0), back 3 (7000 exec'd only: no start), tie 5 (8003 exited only: no start);
# failed: 13333 of beta's, 7000 (3), 8000 (1), 8001 (2); killed: 7001 (9), 8003 (15)
is "$(printf '%s\n' "$sum" | sed -n '/^== processes/,/^$/p' | sed -n 2p)" "20008,20006,20006,13336,2" \
	".summary processes - seen, started, exited, failed, killed counted from the store, expect 20008,20006,20006,13336,2"
is "$(printf '%s\n' "$sum" | sed -n '/^== records per table/,/^$/p' | sed -n 2,5p | tr '\n' ' ')" \
	"proc_fork,20006 proc_exit,20006 proc_exec,20002 drops,1 " \
	".summary records per table - the stores' row counts, expect 20006 forks and exits, 20002 execs, 1 drop"
is "$(Q "$@" --headers off -c "INSERT INTO drops (host, ts, source, cpu, count) VALUES ('x', 9, 'ringbuf', 0, 1)" -c .summary |
	sed -n '/^== records per table/,/^$/p' | grep '^drops')" "drops,2" ".summary records per table - a row a session added counted, expect 2 drops"
# no process at all: count 0, the sums NULL, as SQL has them
"$MKSEG" -H epsilon drop.seg <<'SPEC'
drop 5500000000 ringbuf 1 17 0
SPEC
is "$(Q drop.seg --headers off -c .summary | sed -n '/^== processes/,/^$/p' | sed -n 2p)" "0,,0,," \
	".summary processes with no process - count 0, sums NULL, expect 0,,0,,"
is "$(Q drop.seg -c .summary)" "$(REF drop.seg -c .summary)" ".summary with no process - the same as SQLite's tables"
# archives with manifests: the processes counted as started from the earliest window's start
set -- "$TESTS_SRCDIR/data/format-1.0.tar" "$TESTS_SRCDIR/data/format-1.1.tar" back.seg
want=$("$FLIGHTREC_REPLAY" --db manifests.db "$@" --csv -c .summary 2>&1)
is "$(Q "$@" -c .summary)" "$want" ".summary of two archives and a segment - the same as a --db FILE"
is "$(printf '%s\n' "$want" | sed -n '/^== processes/,/^$/p' | sed -n 3p)" "225,147,25,3,3" \
	".summary processes of two archives and a segment - fewer started than seen (the snapshot's), expect 225,147,25,3,3"
done_testing
