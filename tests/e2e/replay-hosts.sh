#!/usr/bin/env bash
# replay-hosts.sh - segments of several hosts loaded by one command:
# `processes` is rebuilt a part of the hosts on each thread and the parts
# merged (replay/processes.c).  Its rows, their order (rowid) included,
# must be those of the serial rebuild (FLIGHTREC_REPLAY_THREADS=1) and of
# SQLite's tables (FLIGHTREC_REPLAY_INDEX_ALL=1), its counts per host
# exact, and each host's lives those of its segment loaded alone.  The
# hosts' rows interleave in time and tie on ts across hosts and kinds; one
# host's rows go back in time, reuse a pid still open and leave lives open
# at the end (emitted by hash bucket).  Segments made by mkseg: no root.
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

done_testing
