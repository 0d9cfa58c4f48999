#!/usr/bin/env bash
# compat.sh - every released format version stays readable: the archive of
# each (tests/data/format-MAJOR.MINOR.tar, recorded by that release) loads
# with the exact rows it held, verifies, and dumps; fields a later minor
# version appended are NULL.  Needs no root.
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
is "$("$FLIGHTREC_REPLAY" "$a" --csv -c "SELECT count(*) FROM proc_exec WHERE pod_uid IS NULL AND euid IS NULL" | tail -1)" 3 \
	"format 1.0 - the fields of 1.1 and 1.2 are NULL, not empty or 0"

# 1.1, recorded with --probes process,syscall --syscalls audit: the exec
# credentials and the syscall uid of 1.2 are NULL (not uid 0), no security rows.
a=$TESTS_SRCDIR/data/format-1.1.tar
q() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" | tail -n +2; }
is "$(q "SELECT argv, exit_code, exit_signal FROM processes WHERE argv LIKE '%exit-with%compat-%' ORDER BY start_ts")" \
	"/tmp/bh5old/tests/helpers/exit-with 42 compat-marker one two,42,0
/tmp/bh5old/tests/helpers/exit-with -9 compat-killed,-1,9" "format 1.1 - the two marked processes with their exit status"
is "$(q "SELECT comm, uid, euid IS NULL, cap_effective IS NULL, secureexec IS NULL, pod_uid FROM proc_exec WHERE argv LIKE '%compat-%' ORDER BY ts")" \
	"exit-with,0,1,1,1,
exit-with,0,1,1,1,
cat,0,1,1,1," "format 1.1 - proc_exec: euid, cap_effective, secureexec NULL; pod_uid there (empty)"
is "$(q "SELECT name, args, ret, reason, uid IS NULL FROM syscalls WHERE comm = 'cat' AND args LIKE '%compat-file%'")" \
	'openat,"path=""/tmp/c11/compat-file"" flags=O_RDONLY",3,audit,1' "format 1.1 - the cat's open, its uid NULL"
is "$(q "SELECT count(*), count(uid) FROM syscalls")" "6029,0" "format 1.1 - 6029 syscall rows, none with a uid"
is "$(q "SELECT count(*) FROM security")" 0 "format 1.1 - no security rows"
is "$(q "SELECT json_extract(manifest, '$.format'), json_extract(manifest, '$.records_total') FROM archives")" "1.1,6257" \
	"format 1.1 - its manifest"
out=$("$FLIGHTREC" verify "$a"); ok $? "format 1.1 - flightrec verify accepts it"
done_testing
