#!/usr/bin/env bash
# replay-summary-calls.sh - .summary's four syscalls sections (slowest
# calls, waits on pipes and terminals, failed calls, calls that would
# have waited) counted from the store of `syscalls` (replay/summary_cols.c)
# answer exactly the rows SQL picks: the same as SQLite's tables
# (FLIGHTREC_REPLAY_INDEX_ALL=1) and a --db FILE, with ties in latency
# and in calls ordered by rowid and by name and error, folded rows counted
# by their count, an empty error as success, EAGAIN a would-block only
# for the calls that can wait, a section shown only when it has rows
# hidden when it has none, and a row INSERTed by hand counted at once.
. "$TESTS_SRCDIR/e2e/lib.sh"

cd "$TEST_TMP" || exit 1
# call TS PID COMM NAME RET ERROR LATENCY_NS COUNT FD_KIND
"$MKSEG" -H alpha calls.seg <<'SPEC'
call 1000000000 10 app read 64 - 900000 1 file
call 1000001000 10 app write 64 - 700000 1 socket
call 1000002000 11 app fsync 0 - 900000 1 file
call 1000003000 11 app read 64 - 700000 1 -
call 1000004000 12 app write 64 - 800000 1 file
call 1000005000 12 app read 64 - 700000 1 socket
call 1000006000 12 app read 64 - 100000 1 file
call 1000007000 13 cat read 10 - 5000000 1 pipe
call 1000008000 13 cat read 10 - 4000000 1 tty
call 1000009000 13 cat read 10 - 5000000 1 pipe
call 1000010000 14 app openat -2 ENOENT 1000 1 -
call 1000011000 14 app openat -2 ENOENT 1000 5 -
call 1000012000 14 app openat -2 ENOENT 1000 1 -
call 1000013000 15 app futex -110 ETIMEDOUT 1000 7 -
call 1000014000 15 app futex -11 EAGAIN 1000 3 -
call 1000015000 16 app read -11 EAGAIN 1000 4 socket
call 1000016000 16 app connect -115 EINPROGRESS 1000 2 -
call 1000017000 16 app connect -11 EAGAIN 1000 1 -
call 1000018000 16 app accept4 -11 EWOULDBLOCK 1000 1 socket
call 1000019000 17 app access -2 ENOENT 1000 1 -
call 1000020000 17 app unlink -2 ENOENT 1000 1 -
call 1000021000 17 app mkdir -17 EEXIST 1000 1 -
call 1000022000 17 app kill -3 ESRCH 1000 1 -
call 1000023000 17 app chdir -2 ENOENT 1000 1 -
call 1000024000 17 app stat -2 ENOENT 1000 1 -
call 1000025000 17 app ioctl -25 ENOTTY 1000 1 -
call 1000026000 17 app bind -98 EADDRINUSE 1000 1 -
call 1000027000 17 app getppid 1 - 1000 1 -
SPEC
ok $? "mkseg - a segment of syscalls rows"
# no pipe wait, no would-block: those two sections are not shown
"$MKSEG" -H beta plain.seg <<'SPEC'
call 2000000000 20 app read 64 - 300000 1 file
call 2000001000 20 app openat -2 ENOENT 1000 1 -
SPEC
ok $? "mkseg - a segment with neither a pipe wait nor a would-block"

Q() { "$FLIGHTREC_REPLAY" "$@" --csv 2>&1; }
REF() { FLIGHTREC_REPLAY_INDEX_ALL=1 "$FLIGHTREC_REPLAY" "$@" --csv 2>&1; }
# SECTION NAME: the lines of that .summary section (CSV) from stdin, heading and blank line cut
SECTION() { sed -n "/^== $1\$/,/^\$/p" | sed '1d;/^$/d'; }

sum=$(Q calls.seg -c .summary)
is "$(printf '%s\n' "$sum" | SECTION "slowest system calls" | cut -d, -f2,4-)" \
"pid,name,fd,latency,error
10,read,file,900us,
11,fsync,file,900us,
12,write,file,800us,
10,write,socket,700us,
11,read,,700us," "slowest system calls - by latency, ties by rowid, pipes and terminals apart"
is "$(printf '%s\n' "$sum" | SECTION "longest waits on pipes and terminals (for a writer or a person)" | cut -d, -f2,4-)" \
"pid,name,fd,latency,error
13,read,pipe,5ms,
13,read,pipe,5ms,
13,read,tty,4ms," "waits on pipes and terminals - the three, by latency"
is "$(printf '%s\n' "$sum" | SECTION "failed system calls")" \
"name,error,calls
futex,ETIMEDOUT,7
openat,ENOENT,7
futex,EAGAIN,3
access,ENOENT,1
bind,EADDRINUSE,1
chdir,ENOENT,1
connect,EAGAIN,1
ioctl,ENOTTY,1
kill,ESRCH,1
mkdir,EEXIST,1" "failed system calls - folded rows by their count, ties by name then error, EAGAIN of futex and connect a failure, 10 of 12"
is "$(printf '%s\n' "$sum" | SECTION "non-blocking calls that would have waited (not failures)")" \
"name,error,calls
read,EAGAIN,4
connect,EINPROGRESS,2
accept4,EWOULDBLOCK,1" "would-block calls - EAGAIN of a read, EINPROGRESS of a connect, EWOULDBLOCK of an accept4"
is "$sum" "$(REF calls.seg -c .summary)" ".summary - the same as SQLite's tables counted by SQL"
is "$sum" "$(Q --db calls.db calls.seg -c .summary)" ".summary - the same as a --db FILE"

# .slow and the first N by a column, read from the store (colstore_top) where SQL would sort every row
slow=$(Q calls.seg -c .slow)
is "$(printf '%s\n' "$slow" | SECTION "slowest system calls" | cut -d, -f3,5- | head -9)" \
"pid,name,fd,latency,error,args
13,read,pipe,5ms,,
13,read,pipe,5ms,,
13,read,tty,4ms,,
10,read,file,900us,,
11,fsync,file,900us,,
12,write,file,800us,,
10,write,socket,700us,,
11,read,,700us,," ".slow - the slowest calls by latency, ties by rowid"
is "$slow" "$(REF calls.seg -c .slow)" ".slow - the same as SQLite's tables"
is "$(Q calls.seg plain.seg -c .slow)" "$(REF calls.seg plain.seg -c .slow)" ".slow, two hosts - the same as SQLite's tables"
for q in "SELECT rowid, pid, name, latency_ns FROM syscalls ORDER BY latency_ns DESC, rowid LIMIT 6" \
	"SELECT rowid, pid, latency_ns FROM syscalls ORDER BY latency_ns, rowid LIMIT 30" \
	"SELECT rowid, pid, name FROM syscalls ORDER BY pid DESC, rowid LIMIT 4" \
	"SELECT rowid, count FROM syscalls ORDER BY count DESC, rowid LIMIT 3 OFFSET 2" \
	"SELECT rowid, ret FROM syscalls WHERE pid > 12 ORDER BY ret, rowid LIMIT 5" \
	"SELECT rowid, count FROM syscalls ORDER BY count DESC, rowid LIMIT 0"; do
	is "$(Q calls.seg plain.seg -c "$q")" "$(REF calls.seg plain.seg -c "$q")" "$(echo "$q" | cut -c1-80) - the same as SQLite's tables"
done
is "$(Q calls.seg --headers off -c "EXPLAIN QUERY PLAN SELECT * FROM syscalls ORDER BY latency_ns DESC, rowid LIMIT 10" |
	cut -d, -f4)" "SCAN syscalls VIRTUAL TABLE INDEX $((2048 | 4096 | $(Q calls.seg --headers off -c \
	"SELECT cid FROM pragma_table_info('syscalls') WHERE name = 'latency_ns'") << 16)):" \
	"ORDER BY latency_ns DESC, rowid LIMIT 10 - the store's first 10 by latency (plan TOP), no sort of every row"
ins0="INSERT INTO syscalls (host, ts, pid, tid, comm, name, args, ret, error, latency_ns, nr, reason, uid, count, span_ns, fd_kind)
 VALUES ('alpha', 1000040000, 19, 19, 'app', 'poll', '', 0, '', 9000000, 7, 'slow', 0, 1, 0, '')"
is "$(Q calls.seg -c "$ins0" -c "SELECT pid, name FROM syscalls ORDER BY latency_ns DESC, rowid LIMIT 1")" "pid,name
19,poll" "a row INSERTed by hand - first by latency at once"

plain=$(Q plain.seg -c .summary)
is "$(printf '%s\n' "$plain" | grep -c -e '^== longest waits on pipes' -e '^== non-blocking calls')" 0 \
	"a segment with neither - neither section shown, expect 0"
is "$(printf '%s\n' "$plain" | SECTION "failed system calls")" "name,error,calls
openat,ENOENT,1" "a segment with neither - its one failure"
is "$plain" "$(REF plain.seg -c .summary)" "a segment with neither - the same as SQLite's tables"
both=$(Q calls.seg plain.seg -c .summary)
is "$both" "$(REF calls.seg plain.seg -c .summary)" "two hosts - the same as SQLite's tables"
is "$(printf '%s\n' "$both" | SECTION "failed system calls" | grep '^openat')" "openat,ENOENT,8" \
	"two hosts - openat ENOENT of both counted, expect 8"

# counted once, then again when a row was added: the tally follows the store
ins="INSERT INTO syscalls (host, ts, pid, tid, comm, name, args, ret, error, latency_ns, nr, reason, uid, count, span_ns, fd_kind)
 VALUES ('alpha', 1000030000, 18, 18, 'app', 'nanosleep', '', 0, '', 950000, 35, 'slow', 0, 1, 0, ''),
        ('alpha', 1000031000, 18, 18, 'app', 'read', '', -11, 'EAGAIN', 1000, 0, 'error', 0, 6, 0, 'pipe')"
got=$(Q calls.seg -c .summary -c "$ins" -c .summary)
want=$(REF calls.seg -c .summary -c "$ins" -c .summary)
is "$got" "$want" "rows INSERTed after a first .summary - the second the same as SQLite's tables"
# SECOND NAME: the lines of the second .summary's section NAME (CSV) from stdin
SECOND() { awk -v h="== $1" '$0 == h { n++; next } n == 2 && /^$/ { exit } n == 2 && /,/ { print }'; }
is "$(printf '%s\n' "$got" | SECOND "slowest system calls" | sed -n 2p | cut -d, -f4,6)" \
	"nanosleep,950us" "rows INSERTed - the new slowest call first in the second .summary"
is "$(printf '%s\n' "$got" | SECOND "non-blocking calls that would have waited (not failures)" | grep '^read,')" \
	"read,EAGAIN,10" "rows INSERTed - a read's EAGAIN of count 6 added, expect 10"
is "$(printf '%s\n' "$got" | SECOND "longest waits on pipes and terminals (for a writer or a person)" | wc -l)" 5 \
	"rows INSERTed - the read of a pipe that failed fast is a fourth by-design row, expect a heading and 4 rows"

# --- a --db FILE: kept at load, read while true --------------------------------
ONE() { "$FLIGHTREC_REPLAY" --db "$1" --csv --headers off -c "$2" 2>&1; }
# NOCACHE DB: .summary on a copy of DB without summary_counts' rows (counted by SQL)
NOCACHE() { cp "$1" nocache.db && Q --db nocache.db -c "DELETE FROM summary_counts" -c .summary; rm -f nocache.db; }
rm -f k.db
Q --db k.db calls.seg -c "SELECT 1" >/dev/null
is "$(ONE k.db "SELECT section, count(*), sum(calls) FROM summary_calls GROUP BY section ORDER BY section")" \
"failed,12,26
pipe_waits,3,
slowest,5,
would_block,3,7" "summary_calls - 12 failed groups (26 calls), 3 waits on pipes, 5 slowest, 3 would-block groups (7 calls)"
is "$(ONE k.db "SELECT call_rowid FROM summary_calls WHERE section = 'slowest' ORDER BY latency_ns DESC, call_rowid" | tr '\n' ' ')" \
	"1 3 5 2 4 " "summary_calls - the slowest calls by rowid, the ties of 700 us the first two of three"
is "$(Q --db k.db -c .summary)" "$sum" ".summary on a --db FILE - that of the columns"
is "$(NOCACHE k.db)" "$sum" ".summary on a --db FILE - that of SQL without the kept rows"
cp k.db e.db
Q --db e.db -c "UPDATE summary_calls SET calls = 4242 WHERE name = 'kill'" >/dev/null
is "$(Q --db e.db -c .summary | SECTION "failed system calls" | sed -n 2p)" "kill,ESRCH,4242" \
	".summary on a --db FILE - the failed calls read from summary_calls (an edited row first), expect kill,ESRCH,4242"
cp k.db e.db
Q --db e.db -c "UPDATE summary_calls SET ts = ts + 1 WHERE section = 'slowest' AND call_rowid = 3" >/dev/null
is "$(Q --db e.db -c .summary)" "$sum" "a kept slowest call no longer at its rowid (ts changed) - counted by SQL, the same"
cp k.db e.db
Q --db e.db -c "UPDATE summary_calls SET call_rowid = 7 WHERE section = 'slowest' AND call_rowid = 3" >/dev/null
is "$(Q --db e.db -c .summary)" "$sum" "a kept slowest call moved to another rowid - counted by SQL, the same"
cp k.db e.db
is "$(Q --db e.db -c "$ins" -c .summary)" "$(Q calls.seg -c "$ins" -c .summary)" \
	"rows INSERTed into a --db FILE - its row of summary_counts gone, .summary that of the columns with the same rows"
is "$(ONE e.db "SELECT count(*) FROM summary_counts WHERE name = 'syscalls'")" 0 \
	"rows INSERTed into a --db FILE - its row of summary_counts deleted by its trigger, expect 0"
# a second load adds to what the first kept
cp k.db b.db
Q --db b.db plain.seg -c "SELECT 1" >/dev/null
is "$(Q --db b.db -c .summary)" "$both" "a second load into a --db FILE - .summary that of the columns loading both"
is "$(ONE b.db "SELECT calls FROM summary_calls WHERE name = 'openat'")" 8 \
	"a second load into a --db FILE - openat ENOENT kept as 7 + 1, expect 8"
is "$(NOCACHE b.db)" "$both" "a second load into a --db FILE - that of SQL without the kept rows"
# a second load after the rows became untrue: nothing kept, SQL counts
Q --db e.db plain.seg -c "SELECT 1" >/dev/null
is "$(ONE e.db "SELECT count(*) FROM sqlite_schema WHERE name = 'summary_calls'")" 0 \
	"a second load after an INSERT by hand - summary_calls dropped (what the first kept is not true), expect 0"
is "$(Q --db e.db -c .summary)" "$(NOCACHE e.db)" "a second load after an INSERT by hand - .summary that of SQL"
cp k.db t.db
Q --db t.db -c "CREATE TRIGGER mine AFTER INSERT ON syscalls BEGIN INSERT INTO health (host, ts) VALUES ('x', NEW.ts); END" >/dev/null
Q --db t.db plain.seg -c "SELECT 1" >/dev/null
is "$(ONE t.db "SELECT count(*) FROM sqlite_schema WHERE name = 'summary_calls'")" 0 \
	"a load with a trigger of the user's - summary_calls not kept, expect 0"
is "$(Q --db t.db -c .summary | sed -n '/^== slowest system calls$/,$p')" "$(NOCACHE t.db | sed -n '/^== slowest system calls$/,$p')" \
	"a load with a trigger of the user's - the syscalls sections counted by SQL"
done_testing
