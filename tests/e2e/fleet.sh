#!/usr/bin/env bash
# fleet.sh - archives of three hosts loaded together: conn_pairs joins the
# two ends of each TCP connection across hosts (the 4-tuple mirrored, the
# lifetimes overlapping, IPv4 in IPv6 as IPv4), and nothing else; .peers
# names the process at the other end, .conns and the timeline show it, and
# .follow PID HOST keeps to one host.  Segments made by mkseg, so the rows
# are exact; tcp.sh checks the pairs of a real loopback recording.
. "$TESTS_SRCDIR/e2e/lib.sh"

cd "$TEST_TMP" || exit 1
# web-1 calls api-1, which calls cache-1; a refused connect has no peer, and
# the same 4-tuple 99 s later on api-1 (a reused port) is another connection.
"$MKSEG" -H web-1 web.seg <<'SPEC'
exec 900000000 100 100 1 0 0 web /usr/bin/web web --port 80
conn 1000000000 2000000000 100 web 10.0.0.1 40000 10.0.0.2 8080 connect 500 1500 closed
conn 3000000000 3500000000 100 web 10.0.0.1 40001 10.0.0.9 443 connect 0 0 refused
SPEC
"$MKSEG" -H api-1 api.seg <<'SPEC'
exec 900000000 200 200 1 0 0 api /usr/bin/api api
exec 950000000 100 100 1 0 0 cron /usr/sbin/cron cron
conn 1001000000 1999000000 200 api 10.0.0.2 8080 10.0.0.1 40000 accept 1500 500 closed
conn 1200000000 1800000000 200 api 10.0.0.2 50001 10.0.0.4 6379 connect 30 60 closed
conn 100000000000 101000000000 200 api 10.0.0.2 8080 10.0.0.1 40000 accept 7 7 closed
SPEC
"$MKSEG" -H cache-1 cache.seg <<'SPEC'
exec 900000000 300 300 1 0 0 redis /usr/bin/redis-server redis-server
conn 1200500000 0 300 redis ::ffff:10.0.0.4 6379 ::ffff:10.0.0.2 50001 accept 60 30 open
SPEC
R() { "$FLIGHTREC_REPLAY" web.seg api.seg cache.seg --csv -c "$1"; }

got=$(R "SELECT host, pid, comm, direction, lport, peer_host, peer_pid, peer_comm, peer_direction
	FROM conn_pairs ORDER BY host, ts")
is "$got" "host,pid,comm,direction,lport,peer_host,peer_pid,peer_comm,peer_direction
api-1,200,api,accept,8080,web-1,100,web,connect
api-1,200,api,connect,50001,cache-1,300,redis,accept
cache-1,300,redis,accept,6379,api-1,200,api,connect
web-1,100,web,connect,40000,api-1,200,api,accept" \
	"conn_pairs - each end of the two cross-host connections with its peer, nothing else"

got=$(R "SELECT count(*) FROM conn_pairs WHERE ts > 1700000050000000000 OR peer_ts > 1700000050000000000" | tail -1)
is "$got" 0 "conn_pairs - the same 4-tuple 99 s later pairs with nothing"

got=$(R ".peers 200 api-1")
is "$got" "time,host,pid,comm,direction,local,remote,outcome,peer_host,peer_pid,peer_comm,peer_direction
2023-11-14 22:13:21.001000,api-1,200,api,accept,10.0.0.2:8080,10.0.0.1:40000,closed,web-1,100,web,connect
2023-11-14 22:13:21.200000,api-1,200,api,connect,10.0.0.2:50001,10.0.0.4:6379,closed,cache-1,300,redis,accept
2023-11-14 22:15:00.000000,api-1,200,api,accept,10.0.0.2:8080,10.0.0.1:40000,closed,,,," \
	".peers PID HOST - the caller, the next hop, and no peer for the late one"

got=$(R ".conns" | cut -d, -f1,8,18)
is "$got" "host,lport,peer
web-1,40000,api-1 api [200]
api-1,8080,web-1 web [100]
api-1,50001,cache-1 redis [300]
cache-1,6379,api-1 api [200]
web-1,40001,
api-1,8080," ".conns - a peer column: HOST COMM [PID], empty without one"

got=$(R ".follow 100 web-1" | cut -d, -f3-5)
is "$got" "comm,kind,summary
web,exec,exec /usr/bin/web [web --port 80]
web,conn,\"connect 10.0.0.1:40000 -> 10.0.0.2:8080 closed
web,conn,\"connect 10.0.0.1:40001 -> 10.0.0.9:443 refused" ".follow PID HOST - only that host's pid 100"
got=$(R ".follow 100" | grep -c ",cron,exec,")
is "$got" 1 ".follow PID - without a host, the pid on every host"

got=$(R "SELECT summary FROM timeline WHERE kind = 'conn' AND host = 'web-1' ORDER BY ts")
is "$got" "summary
\"connect 10.0.0.1:40000 -> 10.0.0.2:8080 closed, sent 500 B, received 1500 B, peer api-1 api [200]\"
\"connect 10.0.0.1:40001 -> 10.0.0.9:443 refused, sent 0 B, received 0 B\"" \
	"timeline - a connection names its peer host and process"

out=$(R ".peers web" 2>&1); st=$?
is "$st:$out" "1:flightrec-replay: .peers: 'web' is not a pid" ".peers - a bad pid is one line and a failure"
done_testing
