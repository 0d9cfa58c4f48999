#!/usr/bin/env bash
# clickhouse.sh - `--export clickhouse URL` into two real ClickHouse
# servers (Debian's clickhouse-server, on 127.0.0.1 only, started here),
# two shards of one cluster: archives of two hosts, each exported to its
# own shard, give through the Distributed tables (flightrec_all) the same
# answers as flightrec-replay on the same archives: rows per table, the
# timeline's kinds, the processes that failed, the connections paired
# across the hosts, .summary's failures.  Then: an archive loaded twice
# adds nothing and says so; an archive whose window overlaps one already
# loaded adds each record once; a server that is not there, a wrong
# password, a truncated archive, a table of an older flightrec and a load
# that never finished are one line each, a failure, and add nothing.
# Archives are built from mkseg segments with python3, so every row is known.
. "$TESTS_SRCDIR/e2e/lib.sh"

command -v clickhouse-server >/dev/null || skip_all "needs clickhouse-server (scripts/install-deps)"
command -v python3 >/dev/null || skip_all "needs python3 to build the archives"
command -v curl >/dev/null || skip_all "needs curl to query the servers"
. "$TESTS_SRCDIR/helpers/clickhouse-local.sh"
trap 'ch_stop_all; cleanup' EXIT
cd "$TEST_TMP" || exit 1

# mkarchive OUT HOST START_NS END_NS < SPEC: an archive as the recorder
# writes one (MANIFEST.json, window.seg, SHA256SUMS), times of SPEC in
# boot ns, the window in boot ns too (mkseg's clock: real = boot + 1.7e18).
mkarchive() {
	local out=$1 host=$2 start=$3 end=$4
	"$MKSEG" -H "$host" "$out.seg" || return 1
	python3 - "$out" "$host" "$start" "$end" <<'PY'
import hashlib, io, sys, tarfile
out, host, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seg = open(out + ".seg", "rb").read()
d = 1700000000000000000
manifest = ('{"format": "1.4", "host": "%s", "window": {"start_ns": %d, "end_ns": %d, "start_boot_ns": %d, "end_boot_ns": %d}, '
            '"trigger": {"type": "command", "detail": "test"}}\n' % (host, start + d, end + d, start, end)).encode()
sums = "%s  MANIFEST.json\n%s  window.seg\n" % (hashlib.sha256(manifest).hexdigest(), hashlib.sha256(seg).hexdigest())
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    for name, data in (("MANIFEST.json", manifest), ("window.seg", seg), ("SHA256SUMS", sums.encode())):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
open(out + ".sum", "w").write(hashlib.sha256(manifest).hexdigest())
PY
}

# web-1 calls api-1 (paired), is refused by 10.0.0.9; each host has a
# child that failed (exit 2, exit 3), web-1 one killed by a signal, and a
# ring-buffer gap.  web2 overlaps web's window [0.5 s, 10 s] from 5 s on:
# its records up to 10 s are web's, its later ones new.
WEB_OVERLAP='fork 5000000000 102 100 0 0 web
exit 5100000000 102 102 100 0 0 web -1 9 1
drop 6000000000 ringbuf 1 7 5500000000'
mkarchive web.tar web-1 500000000 10000000000 <<SPEC
exec 900000000 100 100 1 0 0 web /usr/bin/web web --port 80
conn 1000000000 2000000000 100 web 10.0.0.1 40000 10.0.0.2 8080 connect 500 1500 closed
conn 3000000000 3500000000 100 web 10.0.0.1 40001 10.0.0.9 443 connect 0 0 refused
fork 4000000000 101 100 0 0 web
exec 4100000000 101 101 100 0 0 ls /usr/bin/ls ls /nonexistent
exit 4200000000 101 101 100 0 0 ls 2 0 0
$WEB_OVERLAP
SPEC
ok $? "mkarchive - web-1's archive"
mkarchive api.tar api-1 500000000 10000000000 <<'SPEC'
exec 900000000 200 200 1 0 0 api /usr/bin/api api
conn 1001000000 1999000000 200 api 10.0.0.2 8080 10.0.0.1 40000 accept 1500 500 closed
fork 2500000000 201 200 0 0 api
exec 2600000000 201 201 200 0 0 sh /bin/sh sh -c exit 3
exit 2900000000 201 201 200 0 0 sh 3 0 0
fork 3000000000 202 200 0 0 api
exit 3100000000 202 202 200 0 0 api 0 0 0
SPEC
ok $? "mkarchive - api-1's archive"
mkarchive web2.tar web-1 5000000000 15000000000 <<SPEC
$WEB_OVERLAP
fork 11000000000 103 100 0 0 web
exec 11100000000 103 103 100 0 0 curl /usr/bin/curl curl -s http://10.0.0.9/
exit 12000000000 103 103 100 0 0 curl 7 0 0
SPEC
ok $? "mkarchive - web-1's second archive, overlapping the first"

ch_ports 2 || { fail "no free ports for two servers"; done_testing; exit; }
ch_start 0 "$TEST_TMP/ch0" && ch_start 1 "$TEST_TMP/ch1"
ok $? "clickhouse-server - two shards answer SELECT 1"
S0=127.0.0.1:${CH_HTTP[0]} S1=127.0.0.1:${CH_HTTP[1]}
U0="http://default:$CH_PASSWORD@$S0/?cluster=flightrec_fleet"
U1="http://default:$CH_PASSWORD@$S1/?cluster=flightrec_fleet"

out=$("$FLIGHTREC_REPLAY" web.tar --export clickhouse "$U0" 2>&1); st=$?
is "$st:$out" "0:web.tar: host web-1, 9 records into $S0 (database flightrec)" "export - web-1 into shard 1: its 9 records"
out=$("$FLIGHTREC_REPLAY" --export clickhouse "$U1" api.tar 2>&1); st=$?
is "$st:$out" "0:api.tar: host api-1, 7 records into $S1 (database flightrec)" "export - api-1 into shard 2 (the option before the archive)"
is "$(ch_query 0 "SELECT DISTINCT host FROM flightrec.proc_exec") $(ch_query 1 "SELECT DISTINCT host FROM flightrec.proc_exec")" \
	"web-1 api-1" "shards - each host's records on its own server"

# norm: CSV (either program's) as lines of fields joined by |, NULL as empty
norm() { python3 -c 'import csv, sys
for row in csv.reader(sys.stdin):
    print("|".join("" if f == "\\N" else f for f in row))'; }
R() { "$FLIGHTREC_REPLAY" web.tar api.tar --csv --headers off -c "$1" | norm; }
CH() { ch_query 0 "$1 FORMAT CSV" | norm; }
Q() { curl -sS -u "default:$CH_PASSWORD" --data-binary "$2 FORMAT CSV" "http://$S0/?database=$1" | norm; }

tables=$("$FLIGHTREC_REPLAY" web.tar --csv --headers off -c "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'archives' ORDER BY name")
count_sql=$(for t in $tables; do printf "SELECT '%s' AS t, count(*) AS n FROM %s UNION ALL " "$t" "$t"; done)
count_sql="SELECT t, n FROM (${count_sql% UNION ALL }) ORDER BY t"
want=$(R "$count_sql")
is "$(echo "$want" | grep -c '|'):$(echo "$want" | grep -E '^(proc_exec|proc_exit|connections|drops|processes)[|]' | tr '\n' ' ')" \
	"$(($(grep -c '^RECORD(' "$TESTS_SRCDIR/../schema/records.def") + 1)):connections|3 drops|1 proc_exec|4 proc_exit|4 processes|6 " \
	"ground truth - one count per table of records.def and processes"
is "$(Q flightrec_all "$count_sql")" "$want" "Distributed - the rows of every table, as in SQLite"
sql="SELECT kind, count(*) FROM timeline GROUP BY kind ORDER BY kind"
want=$(R "$sql")
is "$want" "conn|3
exec|4
exit|4
fork|4
gap|1" "ground truth - the timeline's kinds"
is "$(Q flightrec_all "$sql")" "$want" "Distributed - the timeline's rows per kind, as in SQLite"
sql="SELECT host, pid, comm, argv, exit_code, exit_signal FROM processes WHERE exit_code <> 0 OR exit_signal <> 0 ORDER BY host, pid"
want=$(R "$sql")
is "$want" "api-1|201|sh|sh -c exit 3|3|0
web-1|101|ls|ls /nonexistent|2|0
web-1|102|web||-1|9" "ground truth - the three processes that failed"
is "$(Q flightrec_all "$sql")" "$want" "Distributed - the processes that failed, as in SQLite"
sql="SELECT host, pid, comm, direction, lport, outcome, peer_host, peer_pid, peer_comm, peer_direction, peer_outcome FROM conn_pairs ORDER BY host, ts"
want=$(R "$sql")
is "$want" "api-1|200|api|accept|8080|closed|web-1|100|web|connect|closed
web-1|100|web|connect|40000|closed|api-1|200|api|accept|closed" "ground truth - the connection's two ends, across the hosts"
is "$(Q flightrec_all "$sql")" "$want" "Distributed - conn_pairs across the two shards, as in SQLite"
is "$(Q flightrec "$sql")" "" "local - one shard alone pairs nothing"

# .summary's failures section, and the same question asked of ClickHouse
want=$("$FLIGHTREC_REPLAY" web.tar api.tar --csv --headers off -c .summary |
	sed -n '/^== failures and crashes/,/^$/p' | sed '1d;/^$/d' | norm)
is "$(echo "$want" | wc -l)" 3 "ground truth - .summary names three failures"
is "$(Q flightrec_all "SELECT time, host, pid, comm, ended, argv FROM (SELECT
	concat(toString(toDateTime(intDiv(exit_ts, 1000000000), 'UTC')), '.', substring(toString(1000000 + intDiv(exit_ts % 1000000000, 1000)), 2, 6)) AS time,
	host, pid, comm, multiIf(isNull(exit_ts), 'running', exit_signal > 0, concat('killed by signal ', toString(exit_signal)),
	isNull(exit_code), 'exited', concat('exit ', toString(exit_code))) AS ended, argv, exit_ts
	FROM processes WHERE exit_code > 0 OR exit_signal > 0 ORDER BY exit_ts DESC LIMIT 20) ORDER BY time")" "$want" \
	"Distributed - .summary's failures and crashes, as in SQLite"

# twice: nothing added, said so, not an error
before=$(ch_query 0 "SELECT count() FROM flightrec.timeline")
out=$("$FLIGHTREC_REPLAY" web.tar --export clickhouse "$U0" 2>&1); st=$?
like "$st:$out" "^0:web.tar: already loaded into $S0 \(database flightrec\) at [0-9-]{10} [0-9:]{8} UTC, nothing added$" \
	"export twice - one line: already loaded, nothing added"
is "$(ch_query 0 "SELECT count() FROM flightrec.timeline"):$(ch_query 0 "SELECT count() FROM flightrec.archives")" "$before:2" \
	"export twice - no row added (archives: the loading and the complete row of one archive)"
out=$("$FLIGHTREC_REPLAY" api.tar -c ".export clickhouse $U1" 2>&1); st=$?
like "$st:$out" "^0:api.tar: already loaded into $S1 .*nothing added$" ".export clickhouse URL - the shell's archives, the same ledger"
# as --upload-cmd runs it (README): /bin/sh -c 'CMD "$1"' sh ARCHIVE
out=$(/bin/sh -c "$FLIGHTREC_REPLAY --export clickhouse '$U1' \"\$1\"" sh api.tar 2>&1); st=$?
like "$st:$out" "^0:api.tar: already loaded into $S1 .*nothing added$" "--upload-cmd - the README's line, the archive appended"

# an overlapping window: each record once (ground truth: SQLite's distinct rows of both)
out=$("$FLIGHTREC_REPLAY" web2.tar --export clickhouse "$U0" 2>&1); st=$?
is "$st:$out" "0:web2.tar: host web-1, 3 records into $S0 (database flightrec), 3 already there from an overlapping window" \
	"overlap - web2's 3 records after web's window sent, its 3 inside it not"
sql=$(for t in proc_exec proc_fork proc_exit drops connections; do printf "SELECT '%s', count(*) FROM (SELECT DISTINCT * FROM %s) UNION ALL " "$t" "$t"; done)
want=$("$FLIGHTREC_REPLAY" web.tar web2.tar --csv --headers off -c "${sql% UNION ALL }" | norm)
is "$want" "proc_exec|3
proc_fork|3
proc_exit|3
drops|1
connections|2" "ground truth - web and web2 hold 12 distinct records"
got=$(for t in proc_exec proc_fork proc_exit drops connections; do echo "$t|$(ch_query 0 "SELECT count() FROM flightrec.$t WHERE host = 'web-1'")"; done)
is "$got" "$want" "overlap - ClickHouse holds each of web-1's records once"

# failures: one line each, non-zero, nothing added
rows() { ch_query "$1" "SELECT (SELECT count() FROM flightrec.archives), (SELECT count() FROM flightrec.proc_exec)"; }
before0=$(rows 0) before1=$(rows 1)
port=$(ch_free_port)
out=$("$FLIGHTREC_REPLAY" api.tar --export clickhouse "http://127.0.0.1:$port/" 2>&1); st=$?
like "$st:$out" "^1:flightrec-replay: clickhouse at 127.0.0.1:$port: Failed to connect to 127.0.0.1 port $port .*Couldn't connect to server$" \
	"no server - one line naming it and what curl said"
is "$(echo "$out" | wc -l)" 1 "no server - exactly one line"
out=$("$FLIGHTREC_REPLAY" api.tar --export clickhouse "http://default:wrong@$S1/" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: clickhouse at $S1: Wrong password for user default (code 193)" "wrong password - the server's word, one line"
head -c 1500 api.tar >cut.tar
out=$("$FLIGHTREC_REPLAY" cut.tar --export clickhouse "$U1" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: cut.tar: damaged, not exported: archive damaged after member 1: Truncated tar archive" \
	"truncated archive - one line naming what is wrong, refused"
# a table of an older flightrec: proc_exec without the fields of 1.1 and later
ch_query 1 "CREATE DATABASE old" && ch_query 1 "CREATE TABLE old.proc_exec (host String, ts Int64, pid UInt32) ENGINE = MergeTree() ORDER BY (host, ts)"
out=$("$FLIGHTREC_REPLAY" api.tar --export clickhouse "http://default:$CH_PASSWORD@$S1/?database=old" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: clickhouse at $S1: table old.proc_exec has no column tid (made by an older flightrec? ALTER TABLE old.proc_exec ADD COLUMN tid UInt32)" \
	"older table - one line naming the table, the column and the fix"
is "$(ch_query 1 "SELECT count() FROM old.archives")" 0 "older table - refused before anything was written"
# a load that broke off: its ledger row says loading, and a retry says so
sum=$(cat web2.tar.sum)
printf '%s\tweb-1\tweb2.tar\t{}\t0\t0\t0\t0\tloading\t1700000000\t1\n' "$sum" |
	curl -sS -u "default:$CH_PASSWORD" --data-binary @- "http://$S1/?query=INSERT%20INTO%20flightrec.archives%20FORMAT%20TabSeparated"
out=$("$FLIGHTREC_REPLAY" web2.tar --export clickhouse "$U1" 2>&1); st=$?
like "$st:$out" "^1:flightrec-replay: web2.tar: a load into $S1 \(database flightrec\) begun at .* did not finish: its archives row \(checksum ${sum:0:16}\.\.\.\) says loading; remove its rows before loading it again$" \
	"half-loaded - a retry is refused, named, in one line"
is "$(rows 0):$(rows 1)" "$before0:$(echo "$before1" | awk -F'\t' '{ printf "%d\t%d", $1 + 1, $2 }')" \
	"failures - nothing added anywhere (but the loading row the test wrote)"

# a real recording (format 1.1: no syscalls.count, so NULL there): every
# timeline row, the NULLs and the failed calls as in SQLite
A11=$TESTS_SRCDIR/data/format-1.1.tar
out=$("$FLIGHTREC_REPLAY" "$A11" --export clickhouse "$U0" 2>&1); st=$?
is "$st:$out" "0:$A11: host vm, 6257 records into $S0 (database flightrec)" "format 1.1 - its 6257 records"
R11() { "$FLIGHTREC_REPLAY" "$A11" --csv --headers off -c "$1" | norm; }
# (the server holds web-1's rows too: host = 'vm' in both)
sql="SELECT ts, pid, kind, summary, duration_ns FROM timeline WHERE host = 'vm' ORDER BY ts, pid, kind, summary"
want=$(R11 "$sql" | md5sum)
is "$(R11 "SELECT count(*) FROM timeline")" 6089 "ground truth - format 1.1's 6089 timeline rows"
is "$(Q flightrec "$sql" | md5sum)" "$want" "format 1.1 - every timeline row, summary included, as in SQLite"
sql="SELECT count(*), count(error), count(count), count(uid), sum(latency_ns) FROM syscalls WHERE host = 'vm'"
is "$(Q flightrec "$sql")" "$(R11 "$sql")" "format 1.1 - the NULLs of syscalls (error on success, fields of 1.2 and 1.4) as in SQLite"
sql="SELECT name, error, sum(coalesce(count, 1)) AS calls FROM syscalls WHERE host = 'vm' AND error IS NOT NULL GROUP BY name, error ORDER BY calls DESC, name, error"
want=$(R11 "$sql")
is "$want" "openat|ENOENT|20
bpf|ENOENT|14" "ground truth - format 1.1's failed calls"
is "$(Q flightrec "$sql")" "$want" "format 1.1 - the failed system calls as in SQLite"
sql="SELECT pid, ppid, comm, exe, argv, start_ts, exit_ts, exit_code, exit_signal FROM processes WHERE host = 'vm' ORDER BY pid, start_ts"
is "$(Q flightrec "$sql" | md5sum)" "$(R11 "$sql" | md5sum)" "format 1.1 - every process as in SQLite"

# the README's config line under a real recorder (root and BTF): the
# archive it writes is exported by its --upload-cmd, every record of it
if [ "$(id -u)" -eq 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
	echo "upload-cmd = $FLIGHTREC_REPLAY --export clickhouse '$U1'" >"$TEST_TMP/rec.conf"
	if start_recorder "$TEST_TMP/rec" --config "$TEST_TMP/rec.conf"; then
		a=$("$FLIGHTREC" snapshot --dir "$TEST_TMP/rec" --before 2s --after 0 --reason clickhouse 2>&1)
		a=${a#ok }
		wait_for 60 grep -q "uploaded $a in" "$TEST_TMP/recorder.log"
		ok $? "--upload-cmd - the recorder says the archive was uploaded"
		want=$("$FLIGHTREC_REPLAY" "$a" --csv --headers off -c "SELECT records FROM archives")
		got=$(ch_query 1 "SELECT status, records, skipped FROM flightrec.archives FINAL WHERE path = '$a'")
		is "$got" "$(printf 'complete\t%s\t0' "$want")" "--upload-cmd - its ledger row: complete, all $want records"
		stop_recorder
	else
		fail "--upload-cmd - the recorder starts with the README's line"
	fi
else
	skip "--upload-cmd under a real recorder needs root and BTF"
fi
done_testing
