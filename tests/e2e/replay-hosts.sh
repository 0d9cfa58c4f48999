#!/usr/bin/env bash
# replay-hosts.sh - segments of several hosts loaded by one command:
# `processes` is rebuilt a part of the hosts on each thread and the parts
# merged (replay/processes.c).  Its rows, their order (rowid) included,
# must be those of the serial rebuild (FLIGHTREC_REPLAY_THREADS=1) and of
# SQLite's tables (FLIGHTREC_REPLAY_INDEX_ALL=1), its counts per host
# exact, and each host's lives those of its segment loaded alone.  The
# hosts' rows interleave in time and tie on ts across hosts and kinds; one
# host's rows go back in time, reuse a pid still open and leave lives open
# at the end (emitted by hash bucket).  Several inputs are also read at
# once, each into stores of its own, and put together in their order:
# every table's rows and rowids must be the serial load's and a --db
# FILE's, its warnings the same, a bad input one line and exit 1.
# Segments made by mkseg: no root.
. "$TESTS_SRCDIR/e2e/lib.sh"

cd "$TEST_TMP" || exit 1
# synthetic: a fork, an exec and an exit per process, one record a us from boot 1 s, pids from 1000
"$MKSEG" -H alpha --synthetic 30000 alpha.seg &&
	"$MKSEG" -H beta --synthetic 20000 beta.seg &&
	"$MKSEG" -H gamma --synthetic 9000 gamma.seg &&
	"$MKSEG" -H delta delta.seg <<'SPEC'
fork 1000000000 1000 1 0 0 sh
exec 1000000000 1000 1000 1 0 0 a /usr/bin/a a --first
fork 1000002000 1000 1 0 0 sh2
fork 1000003000 5000 1000 0 0 kid
exit 1000004000 1000 1000 1 0 0 sh2 0 0 0
fork 900000000 7 1 0 0 early
SPEC
ok $? "mkseg - four hosts' segments written"
set -- alpha.seg beta.seg gamma.seg delta.seg

R() { "$FLIGHTREC_REPLAY" "$@" --csv 2>&1; }

# exact counts per host: N synthetic records make ceil(N/3) forks and lives
got=$(R "$@" -c "SELECT host, (SELECT count(*) FROM proc_fork f WHERE f.host = a.host) forks,
	(SELECT count(*) FROM proc_exec e WHERE e.host = a.host) execs, (SELECT count(*) FROM proc_exit x WHERE x.host = a.host) exits,
	(SELECT count(*) FROM processes p WHERE p.host = a.host) lives, (SELECT count(exit_ts) FROM processes p WHERE p.host = a.host) ended
	FROM archives a ORDER BY host")
is "$got" "host,forks,execs,exits,lives,ended
alpha,10000,10000,10000,10000,10000
beta,6667,6667,6666,6667,6666
delta,4,1,1,4,1
gamma,3000,3000,3000,3000,3000" \
	"processes - per host: forks, execs, exits, lives and lives ended, expect the exact counts"

# delta's lives: the first pid 1000 ended by a fork over it (no exit), kid and early still open
got=$(R "$@" -c "SELECT pid, ppid, comm, exe, argv, start_ts, exit_ts, exit_code FROM processes WHERE host = 'delta' ORDER BY start_ts, pid")
is "$got" "pid,ppid,comm,exe,argv,start_ts,exit_ts,exit_code
7,1,early,,,1700000000900000000,,
1000,1,a,/usr/bin/a,a --first,1700000001000000000,,
1000,1,sh2,,,1700000001000002000,1700000001000004000,0
5000,1000,kid,,,1700000001000003000,," \
	"processes - delta: a pid reused while open, lives left open, a row back in time, expect 4 exact lives"

# every row in the same order, whatever the threads: the serial rebuild, 3 threads (parts even on one CPU), SQLite's tables
Q="SELECT rowid, * FROM processes"
serial=$(FLIGHTREC_REPLAY_THREADS=1 R "$@" -c "$Q")
lines=$(printf '%s\n' "$serial" | wc -l)
is "$lines" 19672 "processes - serial rebuild, expect a header and 19671 rows"
is "$(FLIGHTREC_REPLAY_THREADS=3 R "$@" -c "$Q")" "$serial" \
	"processes - rebuilt on 3 threads, expect every row and rowid of the serial rebuild"
is "$(FLIGHTREC_REPLAY_THREADS=2 R "$@" -c "$Q")" "$serial" \
	"processes - rebuilt on 2 threads, expect every row and rowid of the serial rebuild"
is "$(R "$@" -c "$Q")" "$serial" \
	"processes - threads as the CPUs, expect every row and rowid of the serial rebuild"
is "$(FLIGHTREC_REPLAY_INDEX_ALL=1 R "$@" -c "$Q")" "$serial" \
	"processes - SQLite's own table (FLIGHTREC_REPLAY_INDEX_ALL=1), expect every row and rowid of the store's"
is "$(FLIGHTREC_REPLAY_THREADS=3 R "$@" -c ".procs")" "$(FLIGHTREC_REPLAY_THREADS=1 R "$@" -c ".procs")" \
	".procs - on 3 threads, expect the serial rebuild's answer"

# each host's lives as its segment alone makes them (ordered: rowids differ)
P="SELECT host, pid, ppid, uid, gid, comm, exe, argv, start_ts, exit_ts, exit_code, exit_signal FROM processes"
for h in alpha beta gamma delta; do
	alone=$(R "$h.seg" -c "$P ORDER BY start_ts, pid, exit_ts")
	is "$(FLIGHTREC_REPLAY_THREADS=3 R "$@" -c "$P WHERE host = '$h' ORDER BY start_ts, pid, exit_ts")" "$alone" \
		"processes - host $h among four, expect the lives of its segment loaded alone"
done

# a host named twice (two segments of one host) stays in one part
"$MKSEG" -H alpha --synthetic 300 alpha2.seg
ok $? "mkseg - a second segment of alpha"
is "$(FLIGHTREC_REPLAY_THREADS=3 R "$@" alpha2.seg -c "$Q")" "$(FLIGHTREC_REPLAY_THREADS=1 R "$@" alpha2.seg -c "$Q")" \
	"processes - a host in two segments, on 3 threads, expect every row and rowid of the serial rebuild"

is "$(FLIGHTREC_REPLAY_THREADS=junk R "$@" -c "SELECT count(*) FROM processes")" "count(*)
19671" "FLIGHTREC_REPLAY_THREADS=junk - as if unset, expect 19671 lives"

# Several inputs read at once, each into stores of its own, put together in the inputs' order
# (replay_load_all): archives (host vm twice: texts shared) and segments of several hosts, one
# whose texts no other has and connections (a table of SQLite's, inserted in turn), a damaged
# segment.  Every table's rows and rowids must be the serial load's, and a --db FILE's.
"$MKSEG" -H epsilon epsilon.seg <<'SPEC'
fork 1000000000 4242 1 0 0 epsilon-only
exec 1000001000 4242 4242 1 0 0 eps-cmd /opt/eps/bin/eps-cmd eps-cmd --flag
conn 1000002000 1000005000 4242 eps-cmd 10.0.0.1 40000 10.0.0.2 443 1 100 200 0
conn 1000003000 0 4242 eps-cmd ::1 40001 ::1 8080 1 10 20 0
fork 999000000 4243 4242 0 0 eps-early
exit 1000006000 4242 4242 1 0 0 eps-cmd 0 0 0
SPEC
ok $? "mkseg - a host whose texts no other has"
cp gamma.seg damaged.seg && printf 'XXXX' | dd of=damaged.seg bs=1 seek=20000 conv=notrunc 2>/dev/null
ok $? "damaged.seg - gamma's segment with a block broken"
set -- "$TESTS_SRCDIR/data/format-1.0.tar" alpha.seg epsilon.seg "$TESTS_SRCDIR/data/format-1.1.tar" beta.seg \
	damaged.seg delta.seg alpha2.seg gamma.seg
tables=$("$FLIGHTREC_REPLAY" epsilon.seg --csv --headers off -c \
	"SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite_%' ORDER BY name")
every=()
for t in $tables; do every+=(-c "SELECT '$t', rowid, * FROM $t"); done
is "$(printf '%s\n' $tables | wc -l)" 31 "tables - every table of the schema listed, expect 31"
serial=$(FLIGHTREC_REPLAY_THREADS=1 "$FLIGHTREC_REPLAY" "$@" --csv "${every[@]}" 2>serial.err)
ok $? "load - nine inputs on one thread, expect exit 0"
is "$(printf '%s\n' "$serial" | grep -c .)" 99204 "load - nine inputs on one thread, expect 99204 lines of rows and headers"
for n in 2 3; do
	got=$(FLIGHTREC_REPLAY_THREADS=$n FLIGHTREC_REPLAY_TIMING=1 "$FLIGHTREC_REPLAY" "$@" --csv "${every[@]}" 2>par.err)
	is "$got" "$serial" "load - nine inputs on $n threads, expect every row and rowid of every table of the serial load"
	is "$(grep -c "9 inputs read on $n threads" par.err)" 1 "load - $n threads, expect the inputs read on $n threads"
	is "$(grep -v ' in \| on ' par.err)" "$(cat serial.err)" "load - $n threads, expect the serial load's warnings, in its order"
done
grep -q "damaged.seg: bad block CRC" serial.err
ok $? "load - the damaged segment's block reported"
rm -f all.db
is "$(FLIGHTREC_REPLAY_THREADS=3 "$FLIGHTREC_REPLAY" --db all.db "$@" --csv "${every[@]}" 2>/dev/null)" "$serial" \
	"load - into a --db FILE (SQLite's tables), expect every row and rowid of the columns' serial load"
rm -f all.db

# an input that cannot be read: one line naming it, exit 1, the inputs before it loaded as on one thread
echo junk >junk.seg
for n in 1 3; do
	got=$(FLIGHTREC_REPLAY_THREADS=$n "$FLIGHTREC_REPLAY" alpha.seg beta.seg junk.seg gamma.seg -c "SELECT 1" 2>&1)
	is "$?:$got" "1:flightrec-replay: cannot load junk.seg: not a flightrec segment or archive (Unrecognized archive format)" \
		"load - a bad input third of four on $n threads, expect one line naming it and exit 1"
	got=$(FLIGHTREC_REPLAY_THREADS=$n "$FLIGHTREC_REPLAY" damaged.seg beta.seg missing.seg -c "SELECT 1" 2>&1)
	is "$?:$got" "1:flightrec-replay: damaged.seg: bad block CRC at offset 12724, skipped 12494 bytes
flightrec-replay: cannot load missing.seg: no such file or directory" \
		"load - a missing input last on $n threads, expect the damage before it, one line naming it and exit 1"
done

done_testing
