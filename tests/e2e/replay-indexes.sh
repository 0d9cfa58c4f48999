#!/usr/bin/env bash
# replay-indexes.sh - an index of the schema is made the first time a
# statement's plan would read it (replay/lazyindex.c, indexplan.c), not
# for a column only shown: on a --db FILE, sqlite_schema names exactly
# the indexes each statement made; a statement the copy of the schema
# cannot plan (a temporary table) makes those its columns want, as
# before; the first .summary makes none (its sections of empty tables
# make no index: replay_hold_indexes); the dot-commands answer as with every index made up front
# (FLIGHTREC_REPLAY_INDEX_ALL=1).
. "$TESTS_SRCDIR/e2e/lib.sh"

cd "$TEST_TMP" || exit 1
"$MKSEG" --synthetic 3000 syn.seg
ok $? "mkseg - a synthetic segment written"

R() { "$FLIGHTREC_REPLAY" "$@" 2>&1; }
"$FLIGHTREC_REPLAY" --db fresh.db syn.seg -c "SELECT 1" >/dev/null 2>&1
ok $? "flightrec-replay --db - the segment loaded"
# MADE SQL...: on a copy of the fresh file, run each SQL (one session), then name the indexes of processes in it
MADE() {
	cp fresh.db t.db && R --db t.db "${@/#/-c}" >/dev/null &&
		R --db t.db --csv --headers off -c "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema
			WHERE type = 'index' AND tbl_name = 'processes' ORDER BY name)"
}

is "$(MADE "")" "" "fresh --db FILE - no index of processes yet, expect none"
is "$(MADE "SELECT * FROM processes")" "" "SELECT * - columns only shown, expect no index"
is "$(MADE "SELECT pid, ppid, comm, argv, exit_ts FROM processes WHERE exit_code > 0")" "" \
	"WHERE on a column with no index of the schema - the others only shown, expect no index"
is "$(MADE ".procs")" "" ".procs - ordered by coalesce(start_ts, 0), which no index gives, expect no index"
is "$(MADE "SELECT comm FROM processes WHERE pid = 5000")" "processes_pid" "WHERE pid = - expect processes_pid"
is "$(MADE "SELECT comm FROM processes WHERE pid IN (5000, 5001)")" "processes_pid" "WHERE pid IN - expect processes_pid"
is "$(MADE "SELECT ppid FROM processes")" "" "a covering scan of ppid for its narrower rows - expect no index"
is "$(MADE "SELECT ppid, count(*) FROM processes GROUP BY ppid")" "processes_ppid" \
	"GROUP BY ppid - a covering scan for its order, expect processes_ppid"
is "$(MADE "SELECT pid FROM processes ORDER BY start_ts DESC LIMIT 3")" "processes_start" \
	"ORDER BY start_ts LIMIT - a scan for its order, expect processes_start"
is "$(MADE "SELECT max(exit_ts) FROM processes")" "processes_exit" "max(exit_ts) - expect processes_exit"
is "$(MADE "SELECT c.comm FROM processes p JOIN processes c ON c.ppid = p.pid WHERE p.pid = 5000")" \
	"processes_pid processes_ppid" "a join on ppid, pid = - expect processes_pid and processes_ppid"
is "$(MADE "SELECT comm FROM processes" "SELECT comm FROM processes WHERE pid = 5000")" "processes_pid" \
	"a second statement of a session - planned on the schema as it is, expect processes_pid"
# its counts and failures kept at load, its sections of empty tables (rss_stats, ...) naming no process
is "$(MADE ".summary")" "" ".summary - the first on a fresh --db FILE, expect no index of processes"
is "$(MADE "CREATE TEMP TABLE w (p INTEGER)" "SELECT comm FROM processes JOIN w ON processes.ppid = w.p")" \
	"processes_ppid" "a temporary table, not in the copy of the schema - every index its columns want, expect processes_ppid"
is "$(MADE "CREATE TABLE w (p INTEGER)" "SELECT comm FROM processes JOIN w ON processes.pid = w.p")" \
	"processes_pid" "a table made in the session - the copy of the schema made again, expect processes_pid"

# the same answers as with every index made after the load
for cmd in .procs .tree ".tree 5000" ".follow 5000" .summary "SELECT count(*), sum(pid) FROM processes WHERE ppid = 5000"; do
	want=$(FLIGHTREC_REPLAY_INDEX_ALL=1 R syn.seg --csv -c "$cmd")
	cp fresh.db t.db
	got=$(R --db t.db --csv -c "$cmd")
	if [ "$got" = "$want" ] && [ -n "$got" ]; then
		pass "$cmd - the same as with every index made"
	else
		fail "$cmd - the same as with every index made"
		diag "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -10)"
	fi
done

rm -f fresh.db t.db syn.seg
done_testing
