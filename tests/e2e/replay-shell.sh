#!/usr/bin/env bash
# replay-shell.sh - flightrec-replay on segments made by mkseg with known
# records: exact rows of processes and timeline, the output modes, errors,
# two hosts in one timeline, damaged input, and the interactive shell driven
# through a pseudo-terminal (prompt, multi-line SQL, completion, history,
# Ctrl-C).  Needs no root.
. "$TESTS_SRCDIR/e2e/lib.sh"

D=1700000000000000000 # real = boot + D
A=$TEST_TMP/a.seg
B=$TEST_TMP/b.seg
"$MKSEG" -H hostA -d $D -b 3 "$A" <<'SPEC'
exec 1000 50 50 1 0 0 sshd /usr/sbin/sshd sshd -D
fork 2000 101 50 1000 1000 sshd
exec 2100 101 101 50 1000 1000 bash /bin/bash -bash
exit 5000 101 101 50 1000 1000 bash 0 0 0
fork 3000 102 50 0 0 sshd
exec 3100 102 102 50 0 0 sleep /bin/sleep sleep 600
exit 4000 102 102 50 0 0 sleep -1 9 0
drop 4500 ringbuf 1 7 4400
SPEC
ok $? "mkseg - host A"
"$MKSEG" -H hostB -d $D "$B" <<'SPEC'
fork 2500 700 1 0 0 cron
exec 2600 700 700 1 0 0 backup /usr/bin/backup backup --all
exit 2700 700 700 1 0 0 backup 3 0 0
SPEC
ok $? "mkseg - host B"

R() { "$FLIGHTREC_REPLAY" "$@"; }
got=$(R "$A" --csv -c "SELECT host, pid, ppid, uid, comm, exe, argv, start_ts, exit_ts, exit_code, exit_signal FROM processes ORDER BY pid")
is "$got" "host,pid,ppid,uid,comm,exe,argv,start_ts,exit_ts,exit_code,exit_signal
hostA,50,1,0,sshd,/usr/sbin/sshd,sshd -D,,,,
hostA,101,50,1000,bash,/bin/bash,-bash,$((D + 2000)),$((D + 5000)),0,0
hostA,102,50,0,sleep,/bin/sleep,sleep 600,$((D + 3000)),$((D + 4000)),-1,9" \
	"processes - lifetimes from fork, exec and exit; NULL start for one that began before"

# Lifetimes whose start or end the window does not hold, and reused pids.
C=$TEST_TMP/c.seg
"$MKSEG" -H hostC -d $D "$C" <<'SPEC'
exit 6000 200 200 7 33 44 lost 2 0 0
fork 7000 300 1 0 0 first
fork 8000 300 1 0 0 second
exit 9000 300 300 1 0 0 second 0 0 0
fork 10000 400 1 1000 1000 sh
exec 10100 400 400 1 0 0 sudo /usr/bin/sudo sudo id
exit 10200 400 400 1 0 0 sudo 1 0 0
exec 10300 400 400 1 5 5 cron /usr/sbin/cron cron -f
SPEC
ok $? "mkseg - host C"
got=$(R "$C" --csv -c "SELECT pid, ppid, uid, gid, comm, exe, argv, start_ts - $D AS start, exit_ts - $D AS exit,
	exit_code FROM processes ORDER BY pid, start_ts IS NULL, start_ts")
is "$got" "pid,ppid,uid,gid,comm,exe,argv,start,exit,exit_code
200,7,33,44,lost,,,,6000,2
300,1,0,0,first,,,7000,,
300,1,0,0,second,,,8000,9000,0
400,1,0,0,sudo,/usr/bin/sudo,sudo id,10000,10200,1
400,1,5,5,cron,/usr/sbin/cron,cron -f,,," \
	"processes - an exit alone opens and closes a row with its ids; a fork on an open pid starts a new row; exec sets ids; an exec after an exit starts a row"

got=$(R "$A" --csv -c "SELECT ts - $D, pid, kind, summary FROM timeline")
is "$got" "ts - $D,pid,kind,summary
1000,50,exec,exec /usr/sbin/sshd [sshd -D]
2000,101,fork,fork from 50
2100,101,exec,exec /bin/bash [-bash]
3000,102,fork,fork from 50
3100,102,exec,exec /bin/sleep [sleep 600]
4000,102,exit,killed by signal 9
4400,,gap,ring buffer full on cpu 1: 7 records lost
5000,101,exit,exit 0" "timeline - every kind in time order, the loss as a gap row"

got=$(R "$A" "$B" --csv -c "SELECT host, ts - $D AS t, kind FROM timeline WHERE ts - $D BETWEEN 2000 AND 3000")
is "$got" "host,t,kind
hostA,2000,fork
hostA,2100,exec
hostB,2500,fork
hostB,2600,exec
hostB,2700,exit
hostA,3000,fork" "timeline - two hosts' archives interleave in time order"

got=$(R "$A" --json -c "SELECT pid, comm, exit_code FROM processes WHERE pid >= 101 ORDER BY pid")
is "$got" '[{"pid":101,"comm":"bash","exit_code":0},
{"pid":102,"comm":"sleep","exit_code":-1}]' "--json - an array of objects, integers as numbers"
got=$(R "$A" --json -c "SELECT NULL AS n, 'a\"b' AS s")
is "$got" '[{"n":null,"s":"a\"b"}]' "--json - NULL as null, strings escaped"
got=$(R "$A" --json -c "SELECT CAST(x'ff41c3a90a09' AS TEXT) AS s")
is "$got" '[{"s":"\ufffdAé\n\t"}]' "--json - bytes that are not UTF-8 as U+FFFD, control characters escaped"
got=$(R "$A" -c "SELECT pid, comm FROM processes WHERE pid > 100 ORDER BY pid")
is "$got" "pid  comm
---  -----
101  bash
102  sleep" "table mode - aligned columns with a header and a rule"
got=$(R "$A" --box -c "SELECT pid, comm FROM processes WHERE pid > 100 ORDER BY pid")
is "$got" "┌─────┬───────┐
│ pid │ comm  │
├─────┼───────┤
│ 101 │ bash  │
│ 102 │ sleep │
└─────┴───────┘" "box mode - a table drawn with box characters"
# a long result: sized by its first 10000 rows, the rest streamed at those widths, every row there
long="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10003)
 SELECT i, CASE WHEN i <= 10000 THEN 'ab' ELSE 'wider ' || i END AS t, 'z' AS last FROM n"
got=$(R "$A" -c "$long")
is "$(printf '%s\n' "$got" | wc -l) | $(printf '%s\n' "$got" | sed -n '1p;2p;3p;10002p;10003p;10005p')" "10005 | i      t   last
-----  --  ----
    1  ab  z
10000  ab  z
10001  wider 10001  z
10003  wider 10003  z" "table mode, 10003 rows - sized by the first 10000 (i 5 wide, t 2), the rest streamed at those widths, every row"
got=$(R "$A" --box -c "$long")
is "$(printf '%s\n' "$got" | wc -l) | $(printf '%s\n' "$got" | sed -n '4p;10004p;10006p;10007p')" "10007 | │     1 │ ab │ z    │
│ 10001 │ wider 10001 │ z    │
│ 10003 │ wider 10003 │ z    │
└───────┴────┴──────┘" "box mode, 10003 rows - the same widths, the box closed after the last row"
got=$(R "$A" --csv -c "SELECT 'x,y' AS a, 'say \"hi\"' AS b")
is "$got" 'a,b
"x,y","say ""hi"""' "--csv - RFC 4180 quoting"
got=$(R "$A" --csv -c "SELECT utc($D + 1500000), dur(1250000), dur(3200000000), size(12897484)")
is "$got" "utc($D + 1500000),dur(1250000),dur(3200000000),size(12897484)
2023-11-14 22:13:20.001500,1.25ms,3.2s,12.3 MiB" "utc(), dur(), size() for people"

out=$(R "$A" -c "SELECT * FROM nope" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: SQL error: no such table: nope (in: SELECT * FROM nope)" \
	"-c - a SQL error, expect exit 1, the message and the statement"
out=$(R "$A" -c ".bogus" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: unknown command '.bogus' (see .help)" "-c - an unknown dot-command, expect exit 1"
got=$(R "$A" -c ".tables")
like "$got" "processes" ".tables - lists processes"
like "$got" "timeline" ".tables - lists timeline"
got=$(R "$A" -c ".schema drops")
like "$got" "^CREATE TABLE drops \(" ".schema TABLE - its CREATE statement"
got=$(R "$A" -c ".help")
like "$got" "\.schema \[TABLE\] +CREATE statements" ".help - lists the dot-commands with their help"
got=$(printf 'SELECT 1 AS one;\n.mode csv\nSELECT 2 AS two,\n 3 AS three;\n' | R "$A")
is "$got" "one
---
  1
two,three
2,3" "a script on standard input, with a statement over two lines"
out=$(printf 'SELECT 1 AS a;\n.bogus\nSELECT * FROM nope;\nSELECT 2 AS b;\n' | R "$A" --csv 2>&1); st=$?
is "$st:$out" "1:a
1
flightrec-replay: unknown command '.bogus' (see .help)
flightrec-replay: SQL error: no such table: nope (in: SELECT * FROM nope)
b
2" "a script - errors are printed and the script goes on, expect exit 1"
printf '.mode csv\nSELECT 3 AS c;\n.headers off\nSELECT 4\n  AS d;\n' > "$TEST_TMP/script.sql"
got=$(R "$A" -c ".read $TEST_TMP/script.sql")
is "$got" "c
3
4" ".read FILE - runs its dot-commands and SQL"
printf '.read %s\n' "$TEST_TMP/loop.sql" > "$TEST_TMP/loop.sql"
out=$(R "$A" -c ".read $TEST_TMP/loop.sql" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: .read: cannot read $TEST_TMP/loop.sql: nested more than 16 deep" \
	".read FILE - a file that reads itself stops, expect exit 1"
out=$(R "$A" -c ".read $TEST_TMP/none.sql" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: .read: cannot open $TEST_TMP/none.sql: No such file or directory" \
	".read FILE - a missing file, expect exit 1"

# The command line.
got=$(R --version); st=$?
like "$st:$got" "^0:flightrec-replay [0-9]+\.[0-9]+\.[0-9]+$" "--version - the program and its version"
got=$(R --help); st=$?
like "$st:$(echo "$got" | head -1)" "^0:usage: flightrec-replay \[OPTIONS\] ARCHIVE" "--help - usage on stdout, exit 0"
out=$(R --bogus "$A" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: unknown option '--bogus' (see --help)" "unknown option - one line, exit 1"
out=$(R "$A" -c 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: option '-c' needs an argument (see --help)" "-c without SQL - one line, exit 1"
out=$(R --csv=yes "$A" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: option '--csv' takes no argument (see --help)" "--csv=yes - one line, exit 1"
out=$(R -c "SELECT 1" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: no archive given (see --help)" "no archive - one line, exit 1"
got=$(R "$A" --csv -c "SELECT 1 AS a" -c ".mode json" -c "SELECT 2 AS b")
is "$got" 'a
1
[{"b":2}]' "-c repeated - run in order"

# The dot-commands that answer "what happened".
got=$(R "$A" --csv -c ".tree" | cut -d, -f1)
is "$got" "process
sshd [50]
  bash [101]
  sleep [102]" ".tree - each process under its parent"
got=$(R "$A" --csv -c ".tree 102" | cut -d, -f1,5)
is "$got" "process,ended
sleep [102],killed by signal 9" ".tree PID - one subtree, with how it ended"
got=$(R "$A" --csv -c ".procs" | cut -d, -f2,4,6,7)
is "$got" "pid,comm,lived,ended
50,sshd,,running
101,bash,3us,exit 0
102,sleep,1us,killed by signal 9" ".procs - lifetimes and endings"
got=$(R "$A" --csv -c ".follow 50" | cut -d, -f2,4)
is "$got" "pid,kind
50,exec
101,fork
101,exec
102,fork
102,exec
102,exit
101,exit" ".follow PID - the process and its children, in order"
got=$(R "$A" --csv -c ".timeline +1us +2.1us" | cut -d, -f3,5)
is "$got" "pid,kind
101,fork
101,exec
102,fork
102,exec" ".timeline FROM TO - relative to the window's start"
got=$(R "$A" --csv -c ".timeline WHERE kind = 'exit'" | cut -d, -f3,6)
is "$got" "pid,summary
102,killed by signal 9
101,exit 0" ".timeline WHERE - a condition on the timeline"
got=$(R "$A" --csv -c ".around $((D + 4000)) 500ns" | cut -d, -f5)
is "$got" "kind
exit
gap" ".around TIME DUR - everything near a moment"
got=$(R "$A" -c ".summary")
like "$got" "== failures and crashes" ".summary - has a failures section"
like "$got" "102 +sleep +killed by signal 9" ".summary - lists the killed process"
like "$got" "ring buffer full +1 +7" ".summary - counts the losses"
R "$A" -c ".export perfetto $TEST_TMP/trace.json" >/dev/null
got=$(python3 - "$TEST_TMP/trace.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
names = sorted(e["args"]["name"] for e in ev if e["ph"] == "M")
life = [e for e in ev if e["name"] == "lifetime" and e["pid"] == 102]
inst = [e for e in ev if e["ph"] == "i"]
gaps = [e for e in ev if e["ph"] == "X" and e["name"] == "gap"]
print(names[-1], life[0]["dur"], len(inst), gaps[0]["dur"], sep="|")
PY
)
is "$got" "sshd [50] hostA|1.0|7|0.1" ".export perfetto - valid trace JSON: named tracks, a 1 us lifetime, 7 instants, the gap as a 0.1 us slice"

# Damaged and foreign input.
head -c 4000 /dev/urandom > "$TEST_TMP/garbage"
out=$(R "$TEST_TMP/garbage" -c "SELECT 1" 2>&1); st=$?
is "$st" 1 "garbage - exit 1"
like "$out" "^flightrec-replay: cannot load $TEST_TMP/garbage: not a flightrec segment or archive" "garbage - one line naming it"
: > "$TEST_TMP/empty"
out=$(R "$TEST_TMP/empty" -c "SELECT 1" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: cannot load $TEST_TMP/empty: empty file" "empty file - one line, exit 1"
head -c 100 "$A" > "$TEST_TMP/short.seg"
out=$(R "$TEST_TMP/short.seg" -c "SELECT 1" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: cannot load $TEST_TMP/short.seg: too short for a segment header (100 bytes)" \
	"a segment cut inside its header - one line, exit 1"
size=$(stat -c %s "$A")
head -c $((size - 10)) "$A" > "$TEST_TMP/cut.seg"
got=$(R "$TEST_TMP/cut.seg" --csv -c "SELECT count(*) FROM timeline" 2>"$TEST_TMP/err"); st=$?
is "$st:$(echo "$got" | tail -1)" "0:6" "a segment cut inside its last block - the 6 records of the others load"
like "$(cat "$TEST_TMP/err")" "^flightrec-replay: $TEST_TMP/cut.seg: truncated block at offset [0-9]+ \([0-9]+ bytes\), ignored$" \
	"a segment cut inside its last block - one warning naming it"
got=$(R "$TEST_TMP/cut.seg" --csv -c "SELECT host, records, bad_blocks, truncated_bytes > 0 FROM archives" 2>/dev/null)
is "$got" "host,records,bad_blocks,truncated_bytes > 0
hostA,6,0,1" "a segment cut inside its last block - archives counts what was read and what was lost"
mkdir "$TEST_TMP/nosegs"
echo hello > "$TEST_TMP/nosegs/notes.txt"
out=$(R "$TEST_TMP/nosegs" -c "SELECT 1" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: cannot load $TEST_TMP/nosegs: no segments (*.seg) in $TEST_TMP/nosegs" \
	"a directory without segments - one line, exit 1"
out=$(R "$TEST_TMP/missing.seg" -c "SELECT 1" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: cannot load $TEST_TMP/missing.seg: no such file or directory" \
	"a missing file - one line, exit 1"
out=$(R "$A" "$TEST_TMP/garbage" -c "SELECT 1" 2>&1); st=$?
like "$st:$out" "^1:flightrec-replay: cannot load $TEST_TMP/garbage: " "garbage after a good archive - still exit 1"
mkdir "$TEST_TMP/recdir"
cp "$A" "$TEST_TMP/recdir/000001.seg"
cp "$B" "$TEST_TMP/recdir/000002.seg"
got=$(R "$TEST_TMP/recdir" --csv -c "SELECT host, count(*) FROM processes GROUP BY host ORDER BY host")
is "$got" "host,count(*)
hostA,3
hostB,1" "a recorder directory - all its segments load"
cp "$A" "$TEST_TMP/flip.seg"
python3 - "$TEST_TMP/flip.seg" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
first = b.find(b'FRBK', 256); second = b.find(b'FRBK', first + 4)
b[second + 70] ^= 0x10
open(p, 'wb').write(b)
PY
got=$(R "$TEST_TMP/flip.seg" --csv -c "SELECT count(*) FROM timeline" 2>"$TEST_TMP/err"); st=$?
is "$st:$(echo "$got" | tail -1)" "0:5" "a corrupted block - the other blocks load (8 rows less the 3 of one block)"
like "$(cat "$TEST_TMP/err")" "flip.seg: bad block CRC at offset [0-9]+, skipped [0-9]+ bytes" "a corrupted block - says what it skipped"
got=$(R "$TEST_TMP/flip.seg" --csv -c "SELECT records, bad_blocks FROM archives" 2>/dev/null)
is "$got" "records,bad_blocks
5,1" "a corrupted block - archives counts the records read and the bad block"

# --db keeps the database; opening it again with the same archive skips the load.
R --db "$TEST_TMP/keep.db" "$A" -c "SELECT 1" >/dev/null
got=$(R --db "$TEST_TMP/keep.db" "$A" --csv -c "SELECT count(*) FROM processes" | tail -1)
is "$got" 3 "--db - reopened with the same archive: loaded once, expect 3 processes"

# The interactive shell, through a pseudo-terminal.
export HOME=$TEST_TMP/home
mkdir -p "$HOME"
# drive STATUS: run the shell on $A in a pty, steps on stdin, expect exit STATUS
drive() { python3 "$TESTS_SRCDIR/e2e/pty-drive.py" --timeout 10 --status "$1" -- "$FLIGHTREC_REPLAY" "$A"; }
# status 1: a statement was interrupted and a dot-command unknown
out=$(drive 1 <<'STEPS'
expect flightrec> 
send .tables\n
expect proc_exec
expect flightrec> 
send SELECT count(*) AS n\n
expect   \.\.\.> 
send FROM processes;\n
expect n\n-\n3\nflightrec> 
send SELECT pid FROM proc_fo\t
expect proc_fork
send ORDER BY pid;\n
expect pid\n---\n101\n102\nflightrec> 
send .mode csv\n
expect flightrec> 
send SELECT pid, comm FROM processes\n
expect   \.\.\.> 
send  WHERE pid > 100 ORDER BY pid;\n
expect pid,comm\n101,bash\n102,sleep\nflightrec> 
send .nope\n
expect flightrec-replay: unknown command '\.nope' \(see \.help\)\nflightrec> 
send SELECT 'dropped'\n
expect   \.\.\.> 
send \x03
expect \^C\nflightrec> 
send SELECT 7 AS kept;\n
expect kept\n7\nflightrec> 
send WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\n
sleep 0.5
send \x03
expect flightrec-replay: SQL error: interrupted\nflightrec> 
send .quit\n
STEPS
); st=$?
is "$st" 0 "shell - prompt, continuation, completion, .mode csv, unknown command, Ctrl-C at a prompt and in a query, .quit through a pty"
[ "$st" -eq 0 ] || diag "$out"
is "$(cat "$HOME/.flightrec_history" 2>/dev/null)" ".tables
SELECT count(*) AS n
FROM processes;
SELECT pid FROM proc_fork ORDER BY pid;
.mode csv
SELECT pid, comm FROM processes
 WHERE pid > 100 ORDER BY pid;
.nope
SELECT 'dropped'
SELECT 7 AS kept;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;
.quit" "shell - every line typed saved in ~/.flightrec_history"
out=$(drive 0 <<'STEPS'
expect flightrec> 
send \x10
expect \.quit
send \n
STEPS
); st=$?
is "$st" 0 "shell - history persists across runs (Ctrl-P recalls the last line)"
[ "$st" -eq 0 ] || diag "$out"
out=$(drive 0 <<'STEPS'
expect flightrec> 
send SELECT 1 AS one;\n
expect one\n---\n  1\nflightrec> 
send \x04
STEPS
); st=$?
is "$st" 0 "shell - Ctrl-D leaves, expect exit 0"
[ "$st" -eq 0 ] || diag "$out"
before=$(cat "$HOME/.flightrec_history")
out=$(HOME=$TEST_TMP/no/such/home drive 0 <<'STEPS'
expect flightrec> 
send SELECT 2 AS two;\n
expect two\n---\n  2\nflightrec> 
send .quit\n
STEPS
); st=$?
is "$st:$(printf '%s\n' "$out" | grep -c history)" "0:0" "shell - HOME not writable: no history, no complaint, exit 0"
[ "$st" -eq 0 ] || diag "$out"
out=$(env -u HOME python3 "$TESTS_SRCDIR/e2e/pty-drive.py" --timeout 10 -- "$FLIGHTREC_REPLAY" "$A" <<'STEPS'
expect flightrec> 
send .quit\n
STEPS
); st=$?
is "$st:$(cat "$HOME/.flightrec_history")" "0:$before" "shell - HOME unset: runs, and no history is written anywhere known"
done_testing
