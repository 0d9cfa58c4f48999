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

# --db keeps the database; opening it again with the same archive skips the load.
R --db "$TEST_TMP/keep.db" "$A" -c "SELECT 1" >/dev/null
got=$(R --db "$TEST_TMP/keep.db" "$A" --csv -c "SELECT count(*) FROM processes" | tail -1)
is "$got" 3 "--db - reopened with the same archive: loaded once, expect 3 processes"

# The interactive shell, through a pseudo-terminal.
export HOME=$TEST_TMP/home
mkdir -p "$HOME"
drive() { python3 "$TESTS_SRCDIR/e2e/pty-drive.py" --timeout 10 -- "$FLIGHTREC_REPLAY" "$A"; }
out=$(drive <<'STEPS'
expect flightrec> 
send .tables\n
expect proc_exec
expect flightrec> 
send SELECT count(*) AS n\n
expect   \.\.\.> 
send FROM processes;\n
expect n\n-\n3
send SELECT pid FROM proc_fo\t
expect proc_fork
send  ORDER BY pid;\n
expect 101\n102
send WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\n
sleep 0.5
send \x03
expect interrupted
expect flightrec> 
send .quit\n
STEPS
); st=$?
is "$st" 0 "shell - prompt, continuation, completion, Ctrl-C and .quit through a pty"
[ "$st" -eq 0 ] || diag "$out"
like "$(cat "$HOME/.flightrec_history" 2>/dev/null)" "\.tables" "shell - history saved in ~/.flightrec_history"
out=$(drive <<'STEPS'
expect flightrec> 
send \x10
expect \.quit
send \n
STEPS
); st=$?
is "$st" 0 "shell - history persists across runs (Ctrl-P recalls the last line)"
done_testing
