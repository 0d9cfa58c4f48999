#!/usr/bin/env bash
# http-overload.sh - the http family under overload: a kept-alive client
# asks nginx for a file as fast as it can for 5 s while the recorder is
# stopped (SIGSTOP) for 1.2 s, so that its 64K ring fills and loses
# events.  At its next tick the recorder sheds: the HTTP messages give
# way to counts (bpf/shed.bpf.h), then come back once the ring is calm.
# Every message of the client's and nginx's is a row's, a counted loss or
# a counted shed one; the period is a gaps row; the per-process counts
# (the client's one sendto a request) stay exact; and requests after the
# overload have their rows again.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
. "$TESTS_SRCDIR/e2e/nginx-lib.sh"
[ -x "$NGINX" ] || skip_all "needs nginx (scripts/install-deps installs nginx-light)"
head -c 1234 /dev/zero | tr '\0' 'x' >"$www/file.txt"
head -c 99 /dev/zero | tr '\0' 'y' >"$www/after.txt"
trap 'kill -CONT "$REC_PID" 2>/dev/null; cleanup_nginx; cleanup' EXIT

# N requests on one kept-alive connection, for at most SECS seconds (and at
# most CAP of them); prints how many got their 200.  One send() a request.
cat >"$TEST_TMP/client.py" <<'PY'
import http.client, sys, time
port, secs, cap, path = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port)
n, end = 0, time.monotonic() + secs
while n < cap and time.monotonic() < end:
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("status %d" % r.status)
    n += 1
print(n)
PY

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --probes=+http --ring-size 64K; then
	fail "flightrec record --probes=+http --ring-size 64K starts"; done_testing; exit
fi
pass "flightrec record --probes=+http --ring-size 64K starts"
nginx_start; ok $? "nginx listens on 127.0.0.1:$port"

/usr/bin/python3 "$TEST_TMP/client.py" "$port" 5 200000 /file.txt >"$TEST_TMP/load.out" 2>&1 &
load=$!
sleep 0.7
kill -STOP "$REC_PID"
sleep 1.2
kill -CONT "$REC_PID"
shedding() { "$FLIGHTREC" status --json --dir "$dir" | grep -q '"overload_since_utc": "20'; }
wait_for 10 shedding
ok $? "status --json - overload_since_utc says when the shedding began"
like "$("$FLIGHTREC" status --dir "$dir")" "overload: +since 20[0-9-]+T[0-9:.]+Z: the most verbose records are counted only" \
	"status - says the recorder is under overload"
wait "$load"
ok $? "client - kept asking through the recorder's stop"
n=$(cat "$TEST_TMP/load.out")
over() { grep -q "overload over" "$TEST_TMP/recorder.log"; }
wait_for 20 over
ok $? "the overload ends once the ring is calm"
like "$("$FLIGHTREC" status --json --dir "$dir")" '"overload_since_utc": null' "status --json - and then overload_since_utc is null"
like "$(grep 'flightrec: overload' "$TEST_TMP/recorder.log" | head -1)" \
	"overload: the ring is [0-9]+% full and lost events; HTTP messages give way to counts" \
	"recorder log - the overload began: HTTP messages give way to counts"
like "$(grep 'overload over' "$TEST_TMP/recorder.log" | head -1)" \
	"overload over: [0-9]+ HTTP messages were counted only; HTTP messages again" \
	"recorder log - the overload ended, with the count of messages shed"
/usr/bin/python3 "$TEST_TMP/client.py" "$port" 10 3 /after.txt >"$TEST_TMP/after.out" 2>&1 &
after=$!
wait "$after"
is "$(cat "$TEST_TMP/after.out")" 3 "client - three requests after the overload"
sleep 1.5 # the last second's records reach the log
archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 5m --after 1s --reason overload)
ok $? "snapshot - after the overload"
cleanup_nginx
stop_recorder

R() { "$FLIGHTREC_REPLAY" "$archive" --csv -c "$1" | tail -n +2; }
paired=$(R "SELECT count(*) FROM http WHERE status > 0 AND pid IN ($load, $worker)")
unanswered=$(R "SELECT count(*) FROM http WHERE status = 0 AND pid IN ($load, $worker)")
shed=$(R "SELECT coalesce(sum(count), 0) FROM drops WHERE source = 'shed-http'")
lost=$(R "SELECT coalesce(sum(count), 0) FROM drops WHERE source = 'ringbuf'")
msgs=$((4 * n)) # each request: the client writes it, nginx reads it, nginx writes the response, the client reads it
diag "$n requests ($msgs messages): $paired rows with a response, $unanswered without, $shed shed, $lost lost in the ring"
[ "$shed" -gt 0 ]; ok $? "drops - HTTP messages were shed under overload ($shed)"
[ "$lost" -gt 0 ]; ok $? "drops - the stopped recorder's ring lost events ($lost)"
seen=$((2 * paired + unanswered + shed))
[ "$seen" -le "$msgs" ]; ok $? "no message counted twice: rows' messages + shed <= all ($seen <= $msgs)"
# A request whose response went (or the reverse) is in no row: a few at
# each edge of the loss and of the shedding, and requests still waiting.
[ $((seen + lost)) -ge $((msgs - 24)) ]
ok $? "every message is a row's, shed or lost, but the few at the edges ($seen + $lost >= $msgs - 24)"
is "$(R "SELECT count(*) FROM gaps WHERE kind = 'shed-http' AND reason = 'overload: HTTP messages reduced to counts'
	AND dropped > 0 AND end_ts > start_ts")" 1 "gaps - one overload period that reduced HTTP messages to counts"
is "$(R "SELECT count(*) FROM timeline WHERE kind = 'gap'
	AND summary LIKE 'overload: HTTP messages reduced to counts: % messages counted only'")" 1 \
	"timeline - the period as a gap row, with the count of messages"
is "$(R "SELECT sum(count) FROM syscall_stats WHERE pid = $load AND name = 'sendto'")" "$n" \
	"syscall_stats - the client's sends counted exactly through the overload, one a request"
is "$(R "SELECT role, count(*), min(status), max(status) FROM http WHERE path = '/after.txt' GROUP BY role ORDER BY role")" \
"client,3,200,200
server,3,200,200" "http - the three requests after the overload have their rows, client and server"
done_testing
