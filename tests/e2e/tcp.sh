#!/usr/bin/env bash
# tcp.sh - TCP connections on loopback with known byte counts: exactly K
# client rows and K server rows with the exact ports and byte counts, their
# durations within 10% of the time held open, and a connect to a closed
# port as one refused row; conn_pairs pairs the client and server ends.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --trigger 'resets > 2/10s' --snapshot-before 30s --snapshot-after 1s; then
	fail "flightrec record starts"; done_testing; exit
fi
pass "flightrec record starts"
k=5
hold=0.4
mapfile -t out < <(timeout 60 python3 "$TESTS_SRCDIR/helpers/tcp-exchange.py" $k $hold)
is "${#out[@]}" $((k + 1)) "the helper made $k connections"
read -r server_pid client_pid <<< "${out[$k]}"
server_port=$(echo "${out[0]}" | cut -d' ' -f2)
closed=$(python3 -c "
import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); print(p)")
python3 -c "
import socket
try:
    socket.create_connection(('127.0.0.1', $closed), timeout=5)
except OSError:
    pass"
# Three connections the server aborts: SO_LINGER 0 makes close() send a reset.
rst=$(timeout 30 python3 -c "
import socket, struct
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(3); p = s.getsockname()[1]
for i in range(3):
    c = socket.create_connection(('127.0.0.1', p), timeout=5)
    a, _ = s.accept()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    a.close()
    try:
        c.recv(1)
    except OSError:
        pass
    c.close()
print(p)")
rule=
has_rule() { rule=$(ls "$dir"/snapshots/*-resets_2_10s.tar 2>/dev/null | head -1); [ -n "$rule" ]; }
wait_for 15 has_rule; ok $? "resets > 2/10s - three resets take a snapshot"
like "$(tar xOf "$rule" MANIFEST.json 2>/dev/null)" '"detail": "resets > 2/10s", "record": "conn .*outcome=..reset-' \
	"resets > 2/10s - the manifest names the connection that tipped it"
# A connection held open across the snapshot.
timeout 20 python3 -c "
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); p = s.getsockname()[1]
c = socket.create_connection(('127.0.0.1', p)); a, _ = s.accept()
print(p, flush=True); sys.stdout.close()
time.sleep(6)" > "$TEST_TMP/held" &
held_pid=$!
has_port() { [ -s "$TEST_TMP/held" ]; }
wait_for 10 has_port
held=$(cat "$TEST_TMP/held")
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 1s --reason tcp)
kill "$held_pid" 2>/dev/null; wait "$held_pid" 2>/dev/null
stop_recorder

R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" | tail -n +2; }
want_c= want_s=
for i in $(seq 0 $((k - 1))); do
	read -r cport sport sent recv <<< "${out[$i]}"
	want_c+="127.0.0.1,$cport,127.0.0.1,$sport,$sent,$recv,closed"$'\n'
	want_s+="127.0.0.1,$sport,127.0.0.1,$cport,$recv,$sent,closed"$'\n'
done
got=$(R "SELECT laddr, lport, raddr, rport, bytes_sent, bytes_received, outcome FROM connections
	 WHERE direction = 'connect' AND rport = $server_port AND pid = $client_pid ORDER BY ts")
is "$got" "${want_c%$'\n'}" "connections - exactly $k client rows with their ports and byte counts"
got=$(R "SELECT laddr, lport, raddr, rport, bytes_sent, bytes_received, outcome FROM connections
	 WHERE direction = 'accept' AND lport = $server_port ORDER BY ts")
is "$got" "${want_s%$'\n'}" "connections - exactly $k server rows, the mirror image"
got=$(R "SELECT count(*) FROM connections WHERE direction = 'accept' AND lport = $server_port AND pid = $server_pid")
is "$got" $k "connections - the accepted ones are attributed to the server process, which closed them"
bad=$(R "SELECT count(*) FROM connections WHERE direction = 'connect' AND rport = $server_port
	 AND NOT (duration_ns BETWEEN $hold * 0.9e9 AND $hold * 1.1e9 + 50000000)")
is "$bad" 0 "connections - client durations within 10% of the $hold s held open"
got=$(R "SELECT count(*) FROM connections WHERE direction = 'connect' AND rport = $server_port AND connect_ns > 0 AND connect_ns < 100000000")
is "$got" $k "connections - each connect has its latency"
got=$(R "SELECT outcome, direction, bytes_sent FROM connections WHERE rport = $closed")
is "$got" "refused,connect,0" "connections - a connect to closed port $closed is one refused row"
got=$("$FLIGHTREC_REPLAY" "$a" --csv -c ".conns" | grep -c ",$server_port,.*,accept,")
is "$got" $k ".conns - lists the $k accepted connections on port $server_port"
got=$(R "SELECT direction, outcome, count(*) FROM connections WHERE lport = $rst OR rport = $rst GROUP BY 1, 2 ORDER BY 1")
is "$got" "accept,reset-sent,3
connect,reset-received,3" "connections - the aborted ones: 3 reset-sent by the server, 3 reset-received by the client"
got=$(R "SELECT direction, outcome, end_ts IS NULL, duration_ns > 0 FROM connections WHERE lport = $held OR rport = $held ORDER BY direction")
is "$got" "accept,open,1,1
connect,open,1,1" "connections - one still open at the snapshot is in it, both ends, outcome open, no end"
got=$(R "SELECT count(*) FROM timeline WHERE kind = 'conn' AND summary LIKE 'connect 127.0.0.1:% -> 127.0.0.1:$server_port closed%'")
is "$got" $k "timeline - each client connection is a row"

# Both ends of loopback connections are in one archive: conn_pairs pairs them.
want_c= want_s=
for i in $(seq 0 $((k - 1))); do
	read -r cport sport sent recv <<< "${out[$i]}"
	want_c+="$client_pid,$cport,$sport,$server_pid,accept,1"$'\n'
	want_s+="$server_pid,$sport,$cport,$client_pid,connect,1"$'\n'
done
got=$(R "SELECT pid, lport, rport, peer_pid, peer_direction, peer_host = host FROM conn_pairs
	 WHERE direction = 'connect' AND rport = $server_port ORDER BY ts")
is "$got" "${want_c%$'\n'}" "conn_pairs - each client end paired with the server's accept, same host"
got=$(R "SELECT pid, lport, rport, peer_pid, peer_direction, peer_host = host FROM conn_pairs
	 WHERE direction = 'accept' AND lport = $server_port ORDER BY ts")
is "$got" "${want_s%$'\n'}" "conn_pairs - and each server end with the client's connect"
got=$(R "SELECT direction, peer_direction FROM conn_pairs WHERE lport = $held OR rport = $held ORDER BY direction")
is "$got" "accept,connect
connect,accept" "conn_pairs - the two ends of the connection still open at the snapshot pair"
got=$(R "SELECT count(*) FROM conn_pairs WHERE lport = $closed OR rport = $closed")
is "$got" 0 "conn_pairs - a refused connect has no peer"
got=$("$FLIGHTREC_REPLAY" "$a" --csv -c ".peers $client_pid" | grep -c ",connect,127.0.0.1:[0-9]*,127.0.0.1:$server_port,closed,[^,]*,$server_pid,python3,accept$")
is "$got" $k ".peers PID - the server process at the other end of each of the $k connections"
done_testing
