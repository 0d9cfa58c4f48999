#!/usr/bin/env bash
# replay-one-host.sh - `processes` of ONE host with many processes: its
# rows, their order (rowid) included, must be those of the serial rebuild
# (FLIGHTREC_REPLAY_THREADS=1) on 2 and 3 threads, on as many as the CPUs,
# from SQLite's own tables (FLIGHTREC_REPLAY_INDEX_ALL=1) and in a --db
# FILE.  The input is what a split of one host's lives among threads (by
# pid: replay/processes.c) would get wrong first: forks whose parent is
# any earlier process (so, in a split, often in another part), children
# that take their parent's container, pod and namespace (cexec: an exec
# in a container), execs that clear them, pids reused while still open (a
# fork over it: its exit lost), lives still open at the end (emitted by
# hash bucket), execs and exits of pids never forked, ties of ts across
# kinds, and records out of time order.  Once with containers, once
# without (the same input with plain execs).  Segments made by mkseg: no
# root.
. "$TESTS_SRCDIR/e2e/lib.sh"

cd "$TEST_TMP" || exit 1

# N processes, one fork each at 1 s + i us; pids 2000..4999, so process
# i >= 3000 reuses the pid of process i - 3000, which is still open when
# that one never exited (i % 6 == 5).  A parent: an earlier process, by a
# stride.  An exit i % 50 us later (ties with later forks), before the
# record of the next fork (out of time order).
spec() {
	awk -v N=4000 -v CONTAINERS="$1" 'BEGIN {
		for (i = 0; i < N; i++) {
			ts = 1000000000 + i * 1000
			pid = 2000 + i % 3000
			ppid = i ? 2000 + ((i * 7919) % i) % 3000 : 1
			printf "fork %d %d %d 0 0 p%d\n", ts, pid, ppid, i
			if (i % 4 == 3)
				; # never execs: stays where its parent was
			else if (CONTAINERS && i % 5 == 0)
				printf "cexec %d %d %d %d 0 0 c%d /bin/c%d ctr%d uid%d pod%d ns%d c%d --run\n",
					ts + 100, pid, pid, ppid, i, i % 9, i % 7, i % 7, i % 7, i % 3, i
			else if (CONTAINERS && i % 5 == 1)
				printf "cexec %d %d %d %d 0 0 h%d /bin/h - - - - h%d\n", ts + 100, pid, pid, ppid, i, i
			else
				printf "exec %d %d %d %d 0 0 e%d /bin/e%d e%d --x\n", ts + 100, pid, pid, ppid, i, i % 11, i
			if (i % 6 != 5)
				printf "exit %d %d %d %d 0 0 x%d %d %d 0\n", ts + 1000 * (i % 50), pid, pid, ppid, i, i % 3, i % 4 == 1 ? 9 : 0
			if (i % 97 == 0) {
				printf "exec %d %d %d 1 0 0 lone%d /bin/lone lone\n", ts + 500, 9000 + i, 9000 + i, i
				printf "exit %d %d %d 1 0 0 gone%d 1 0 0\n", ts + 500, 19000 + i, 19000 + i, i
			}
		}
	}'
}
spec 1 | "$MKSEG" -H solo solo.seg && spec 0 | "$MKSEG" -H solo plain.seg
ok $? "mkseg - one host's segment with containers, and one without"

R() { "$FLIGHTREC_REPLAY" "$@" --csv 2>&1; }

# exact counts: a life per fork (4000), per lone exec and lone exit (42 each)
# and per exec after its process's exit at the fork's ts (80, i % 50 == 0);
# an exit ends one (3376); forks over a pid still open end the life they
# find, without an exit_ts; children that never exec'd take their parent's
# container (the serial rebuild's figures)
got=$(R solo.seg -c "SELECT count(*) lives, count(exit_ts) ended, count(container) contained,
	(SELECT count(*) FROM processes WHERE exe IS NULL AND container IS NOT NULL) inherited,
	count(DISTINCT container) containers, (SELECT count(*) FROM proc_exec) execs FROM processes")
is "$got" "lives,ended,contained,inherited,containers,execs
4164,3376,1678,1078,7,3042" \
	"processes - one host, containers: lives, ended, in a container, inherited by a fork, expect the exact counts"
got=$(R plain.seg -c "SELECT count(*) lives, count(exit_ts) ended, count(container) contained FROM processes")
is "$got" "lives,ended,contained
4164,3376,0" "processes - one host, no containers: lives, ended, in a container, expect the exact counts"

# every row in the same order, whatever the threads, and from SQLite's tables
Q="SELECT rowid, * FROM processes"
for seg in solo.seg plain.seg; do
	serial=$(FLIGHTREC_REPLAY_THREADS=1 R $seg -c "$Q")
	is "$(printf '%s\n' "$serial" | wc -l)" 4165 "processes - $seg, serial rebuild, expect a header and 4164 rows"
	for n in 2 3; do
		is "$(FLIGHTREC_REPLAY_THREADS=$n R $seg -c "$Q")" "$serial" \
			"processes - $seg on $n threads, expect every row and rowid of the serial rebuild"
	done
	is "$(R $seg -c "$Q")" "$serial" "processes - $seg, threads as the CPUs, expect every row and rowid of the serial rebuild"
	is "$(FLIGHTREC_REPLAY_INDEX_ALL=1 R $seg -c "$Q")" "$serial" \
		"processes - $seg, SQLite's own table (FLIGHTREC_REPLAY_INDEX_ALL=1), expect every row and rowid of the store's"
	rm -f one.db
	is "$(FLIGHTREC_REPLAY_THREADS=3 R --db one.db $seg -c "$Q")" "$serial" \
		"processes - $seg into a --db FILE on 3 threads, expect every row and rowid of the serial rebuild"
	rm -f one.db
done

done_testing
