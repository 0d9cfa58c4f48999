#!/usr/bin/env bash
# http.sh - HTTP/1.x exchanges on loopback: nginx (one worker, a private
# prefix) serves a file of 1234 bytes; one curl asks for it three times on
# one kept-alive connection, another asks twice for a missing path (404).
# The http table has exactly one client row per request, with curl's pid,
# the method, path, status, nginx's port and, for the 200s, the file's size;
# and exactly one server row per request in the nginx worker, the mirror
# image (its lport the server port, its rport curl's port).  Also the
# probe's status, the timeline, .summary, redaction, and no capture by
# default (http is opt-in: --probes=+http).
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
. "$TESTS_SRCDIR/e2e/nginx-lib.sh"
if [ ! -x "$NGINX" ] || ! command -v curl >/dev/null; then
	skip_all "needs nginx and curl (scripts/install-deps installs nginx-light and curl)"
fi

# IPv6 too, where loopback has ::1: the same server on [::1]
v6=
if [ "$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null)" = 0 ] && ip -6 addr show lo 2>/dev/null | grep -q '::1/128'; then
	v6="listen [::1]:$port;"
fi
head -c 1234 /dev/zero | tr '\0' 'x' >"$www/file.txt"
trap 'cleanup_nginx; cleanup' EXIT

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --probes=+http; then
	fail "flightrec record --probes=+http starts"; done_testing; exit
fi
pass "flightrec record --probes=+http starts"
like "$("$FLIGHTREC" status --dir "$dir")" "http/capture +attached +tp_btf/sys_exit" "status - the http probe is attached"

nginx_start "$v6"; ok $? "nginx listens on 127.0.0.1:$port"

url=http://127.0.0.1:$port
# Three requests on one connection (curl keeps it alive between URLs).
curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
	"$url/file.txt" "$url/file.txt" "$url/file.txt" >"$TEST_TMP/c1" &
c1=$!
wait "$c1"
is "$(tr '\n' ' ' <"$TEST_TMP/c1")" "200 1 200 0 200 0 " "curl - three 200s over one connection"
curl -s -o /dev/null -o /dev/null -w '%{http_code} %{size_download}\n' "$url/missing-$port" "$url/missing-$port" >"$TEST_TMP/c2" &
c2=$!
wait "$c2"
size404=$(head -1 "$TEST_TMP/c2" | cut -d' ' -f2) # nginx's 404 page, as curl read it
is "$(cut -d' ' -f1 "$TEST_TMP/c2" | tr '\n' ' ')" "404 404 " "curl - two 404s"
if [ -n "$v6" ]; then
	curl -s -g -o /dev/null -w '%{http_code}\n' "http://[::1]:$port/file.txt" >"$TEST_TMP/c3" &
	c3=$!
	wait "$c3"
	is "$(cat "$TEST_TMP/c3")" 200 "curl - a 200 over IPv6"
fi
sleep 1.5 # the recorder drains the ring every 100 ms; a second is plenty
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 1s --reason http)
ok $? "snapshot"
red=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 1s --reason http-redacted --redact paths,addrs)
cleanup_nginx

R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" | tail -n +2; }
want="$c1,curl,client,GET,/file.txt,200,127.0.0.1,$port,1234,0
$c1,curl,client,GET,/file.txt,200,127.0.0.1,$port,1234,0
$c1,curl,client,GET,/file.txt,200,127.0.0.1,$port,1234,0
$c2,curl,client,GET,/missing-$port,404,127.0.0.1,$port,$size404,0
$c2,curl,client,GET,/missing-$port,404,127.0.0.1,$port,$size404,0"
is "$(R "SELECT pid, comm, role, method, path, status, raddr, rport, bytes, tls FROM http
	WHERE role = 'client' AND rport = $port AND raddr = '127.0.0.1' ORDER BY ts")" "$want" \
	"http - exactly 5 client rows: curl's pids, GET, the paths, 200 x3 with the file's 1234 bytes, 404 x2"
is "$(R "SELECT count(*) FROM http WHERE role = 'client' AND rport = $port AND raddr = '127.0.0.1'
	AND laddr = '127.0.0.1' AND latency_ns > 0 AND lport > 0")" 5 "http - client rows have their local address and a latency"
cport1=$(R "SELECT DISTINCT lport FROM http WHERE pid = $c1 AND rport = $port")
cport2=$(R "SELECT DISTINCT lport FROM http WHERE pid = $c2 AND rport = $port")
want="$worker,nginx,server,GET,/file.txt,200,127.0.0.1,$port,127.0.0.1,$cport1,1234
$worker,nginx,server,GET,/file.txt,200,127.0.0.1,$port,127.0.0.1,$cport1,1234
$worker,nginx,server,GET,/file.txt,200,127.0.0.1,$port,127.0.0.1,$cport1,1234
$worker,nginx,server,GET,/missing-$port,404,127.0.0.1,$port,127.0.0.1,$cport2,$size404
$worker,nginx,server,GET,/missing-$port,404,127.0.0.1,$port,127.0.0.1,$cport2,$size404"
is "$(R "SELECT pid, comm, role, method, path, status, laddr, lport, raddr, rport, bytes FROM http
	WHERE role = 'server' AND lport = $port AND laddr = '127.0.0.1' ORDER BY ts")" "$want" \
	"http - exactly 5 server rows in the nginx worker, the mirror image (rport = curl's port)"
like "$size404" '^[1-9][0-9]*$' "curl - read a 404 page of $size404 bytes"
if [ -n "$v6" ]; then
	is "$(R "SELECT role, pid, laddr, raddr, method, path, status, bytes FROM http WHERE raddr = '::1' OR laddr = '::1'
		ORDER BY role")" "client,$c3,::1,::1,GET,/file.txt,200,1234
server,$worker,::1,::1,GET,/file.txt,200,1234" "http - the IPv6 exchange, client and server, with ::1 addresses"
else
	skip "no ::1 on loopback"
fi
is "$(R "SELECT count(*) FROM http WHERE status = 0 AND (lport = $port OR rport = $port)")" 0 \
	"http - no request left unanswered"
is "$(R "SELECT count(*) FROM timeline WHERE kind = 'http' AND summary LIKE 'client GET /file.txt 200, 1234 B to 127.0.0.1:$port'")" 3 \
	"timeline - the three client rows of /file.txt as http events"
is "$(R "SELECT count(*) FROM timeline WHERE kind = 'http' AND summary LIKE 'server GET /missing-$port 404, $size404 B from 127.0.0.1:$cport2'")" 2 \
	"timeline - the two server rows of /missing-$port as http events"
sum=$("$FLIGHTREC_REPLAY" "$a" -c .summary | sed -n '/^== HTTP exchanges/,/^$/p')
n=5; [ -n "$v6" ] && n=6
# other tests on the machine may make HTTP traffic too: when there is none, the exact counts
others=$(R "SELECT count(*) FROM http WHERE NOT (lport = $port OR rport = $port)")
if [ "$others" = 0 ]; then
	like "$sum" "client +$n +$((n - 2)) +2 +0 +0 " ".summary - $n client exchanges: $((n - 2)) ok, 2 4xx, no 5xx, none unanswered"
	like "$sum" "server +$n +$((n - 2)) +2 +0 +0 " ".summary - $n server exchanges: $((n - 2)) ok, 2 4xx, no 5xx, none unanswered"
else
	like "$sum" "client +[0-9]+ " ".summary - client exchanges counted (and $others of other processes on the machine)"
	like "$sum" "server +[0-9]+ " ".summary - server exchanges counted (and $others of other processes on the machine)"
fi
like "$("$FLIGHTREC_REPLAY" "$a" -c .summary | sed -n '/^== HTTP errors/,/^$/p')" "404 +GET +/missing-$port +client +2 +1 " \
	".summary - the two 404s of /missing-$port among the errors, client side"
is "$("$FLIGHTREC_REPLAY" "$red" --csv -c "SELECT count(*), count(DISTINCT path), sum(path GLOB '~[0-9a-f]*'),
	sum(raddr GLOB '~[0-9a-f]*') FROM http WHERE lport = $port OR rport = $port" | tail -1)" "$((2 * n)),2,$((2 * n)),$((2 * n))" \
	"snapshot --redact paths,addrs - the paths and addresses of the $((2 * n)) rows hashed, 2 distinct paths"

# By default http is off (opt-in): nothing taken.
stop_recorder
dir2=$TEST_TMP/rec2
if ! start_recorder "$dir2"; then
	fail "flightrec record starts"; done_testing; exit
fi
"$FLIGHTREC" status --dir "$dir2" | grep -q 'http/capture'
is $? 1 "default - no http probe in the status"
"$NGINX" -p "$TEST_TMP" -c "$TEST_TMP/nginx.conf" 2>"$TEST_TMP/nginx.err" &
nginx_pid=$!
wait_for 10 up
curl -s -o /dev/null "$url/file.txt"
sleep 1.5
a2=$("$FLIGHTREC" snapshot --dir "$dir2" --before 1m --after 1s --reason nohttp)
cleanup_nginx
stop_recorder
is "$("$FLIGHTREC_REPLAY" "$a2" --csv -c "SELECT count(*) FROM http" | tail -1)" 0 "default - no http rows"
done_testing
