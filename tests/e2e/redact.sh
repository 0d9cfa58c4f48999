#!/usr/bin/env bash
# redact.sh - `snapshot --redact argv,paths` hides every original argv
# string and path in every kind and in the process table, while the same
# value hashes the same throughout the archive, so joins still work; the
# manifest says what was redacted; a plain snapshot of the same window
# still holds the originals.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

dir=$TEST_TMP/rec
if ! start_recorder "$dir"; then
	fail "flightrec record starts"; done_testing; exit
fi
pass "flightrec record starts"
secret=frsecret$$x$RANDOM
# from its directory: argv is kept to 256 bytes, and EXIT_WITH's path may be long
(cd "$(dirname "$EXIT_WITH")" && cp exit-with "$TEST_TMP/$secret-tool")
"$TEST_TMP/$secret-tool" 0 "--password=$secret"
"$TEST_TMP/$secret-tool" 0 "--password=$secret"
"$TEST_TMP/$secret-tool" 1 other
red=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 1s --reason redacted --redact argv,paths)
ok $? "snapshot --redact argv,paths - written"
plain=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 1s --reason plain)
stop_recorder

is "$("$FLIGHTREC" dump --json "$plain" | grep "$secret" | grep -c '"kind":"exec"')" 4 \
	"plain archive - the secret shows in 4 exec records (the cp and the 3 runs)"
is "$("$FLIGHTREC" dump --json "$red" | grep -c "$secret")" 0 "redacted archive - no record holds the secret"
like "$(tar xOf "$red" MANIFEST.json)" '"redacted": \["argv", "paths"\]' "redacted archive - the manifest says what was redacted"
got=$("$FLIGHTREC_REPLAY" "$red" --csv -c "SELECT count(DISTINCT argv), count(*) FROM proc_exec WHERE comm LIKE 'frsecret%'")
is "$(echo "$got" | tail -1)" "2,3" "redacted archive - the same argv hashes the same: 2 distinct values for 3 execs"
got=$("$FLIGHTREC_REPLAY" "$red" --csv -c "SELECT count(*) FROM processes p JOIN proc_exec e ON p.pid = e.pid AND p.argv = e.argv AND p.exe = e.exe WHERE e.comm LIKE 'frsecret%'" | tail -1)
is "$got" 3 "redacted archive - joins on hashed values still work (processes with proc_exec)"
got=$("$FLIGHTREC_REPLAY" "$red" --csv -c "SELECT count(*) FROM proc_snapshot WHERE argv <> '' AND argv NOT LIKE '~%'" | tail -1)
is "$got" 0 "redacted archive - the process table at the window's start is hashed too"
got=$("$FLIGHTREC_REPLAY" "$red" --csv -c "SELECT count(*) FROM proc_exec WHERE comm LIKE 'frsecret%' AND argv GLOB '~[0-9a-f]*' AND length(argv) = 17 AND filename GLOB '~*'" | tail -1)
is "$got" 3 "redacted archive - values are '~' and 16 hex digits"
out=$("$FLIGHTREC" snapshot --dir "$dir" --redact everything 2>&1); st=$?
is "$st:$out" "1:flightrec: snapshot: invalid --redact 'everything': unknown class 'everything' (argv, paths, addrs)" \
	"snapshot --redact with an unknown class, expect one line"
done_testing
