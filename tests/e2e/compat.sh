#!/usr/bin/env bash
# compat.sh - every released format version stays readable: the archive of
# each (tests/data/format-MAJOR.MINOR.tar, recorded by that release) loads
# with the exact rows it held, verifies, and dumps.  Needs no root.
. "$TESTS_SRCDIR/e2e/lib.sh"

a=$TESTS_SRCDIR/data/format-1.0.tar
got=$("$FLIGHTREC_REPLAY" "$a" --csv -c \
	"SELECT argv, exit_code, exit_signal FROM processes WHERE argv LIKE '%compat-%' ORDER BY start_ts")
is "$got" "argv,exit_code,exit_signal
/tmp/b/tests/helpers/exit-with 42 compat-marker one two,42,0
/tmp/b/tests/helpers/exit-with -9 compat-killed,-1,9" "format 1.0 - the two marked processes with their exit status"
got=$("$FLIGHTREC_REPLAY" "$a" --csv -c "SELECT kind, count(*) FROM timeline GROUP BY kind ORDER BY kind")
is "$got" "kind,count(*)
exec,3
exit,3
fork,3" "format 1.0 - the timeline's rows per kind"
got=$("$FLIGHTREC_REPLAY" "$a" --csv -c "SELECT count(*) FROM proc_snapshot" | tail -1)
is "$got" 79 "format 1.0 - the process table at the window's start"
got=$("$FLIGHTREC_REPLAY" "$a" --csv -c "SELECT json_extract(manifest, '$.format'), json_extract(manifest, '$.reason') FROM archives" | tail -1)
is "$got" "1.0,format 1.0 sample" "format 1.0 - its manifest"
out=$("$FLIGHTREC" verify "$a"); ok $? "format 1.0 - flightrec verify accepts it"
is "$("$FLIGHTREC" dump "$a" | wc -l)" "$("$FLIGHTREC_REPLAY" "$a" --csv -c "SELECT (SELECT count(*) FROM proc_exec) + (SELECT count(*) FROM proc_fork) + (SELECT count(*) FROM proc_exit) + (SELECT count(*) FROM proc_snapshot) + (SELECT count(*) FROM health) + (SELECT count(*) FROM drops) + (SELECT count(*) FROM oom_kills)" | tail -1)" \
	"format 1.0 - rows loaded equal the records flightrec dump prints"
done_testing
