#!/usr/bin/env bash
# dns.sh - DNS lookups against a slow responder of the test's own, in a
# network namespace the test creates (ip netns exec bind-mounts
# /etc/netns/NAME/resolv.conf over /etc/resolv.conf there, so libc asks the
# responder without touching the host's resolver).  One process looks up
# through libc (A and AAAA over UDP: a name that exists and one that gets
# NXDOMAIN), over TCP and over UDP to ::1; the dns table holds exactly the
# responder's answers, each with its transaction id, the client's port, the
# querying pid, the rcode and answer count, a latency of at least the
# responder's delay, and the two getaddrinfo calls with their results.  A
# UDP socket connected before the recorder started is named by its first
# query; a query the responder never answers is a TIMEOUT row after 10 s.
# All of it twice: with the syscall family, whose sys_exit reads the
# messages of the processes that connect or send to port 53 (the
# default's way), and without it, where the dns family reads every packet.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
command -v ip >/dev/null || skip_all "needs ip (apt-get install iproute2)"
[ -x /usr/bin/python3 ] || skip_all "needs /usr/bin/python3 (apt-get install python3)"

delay_ms=300
resp_pid= early_bg= ns=
dns_cleanup() {
	[ -n "$early_bg" ] && kill "$early_bg" 2>/dev/null
	[ -n "$resp_pid" ] && kill "$resp_pid" 2>/dev/null
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null && rm -rf "/etc/netns/$ns"
	rmdir /etc/netns 2>/dev/null # only when the test made it and it is empty
	cleanup
}
trap dns_cleanup EXIT

# scenario WAY ARGS...: the lookups under flightrec record ARGS, whose
# messages are read the WAY it says: exit (sys_exit) or packets.
scenario() {
local way=$1; shift
ns=frdns$$$way
T=$TEST_TMP/$way
mkdir -p "$T"
ip netns add "$ns" || skip_all "cannot create a network namespace"
ip -n "$ns" link set lo up
mkdir -p "/etc/netns/$ns"
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:1\n' >"/etc/netns/$ns/resolv.conf"

# The responder, and a UDP socket connected to it, before the recorder.
ip netns exec "$ns" /usr/bin/python3 "$TESTS_SRCDIR/helpers/dns-responder.py" $delay_ms >"$T/answers" 2>"$T/responder.err" &
resp_pid=$!
ready() { grep -qx ready "$T/answers"; }
if ! wait_for 10 ready; then
	fail "$M: the responder listens on 127.0.0.1:53 and [::1]:53 in $ns"
	diag "$(cat "$T/responder.err")"
	done_testing; exit
fi
mkfifo "$T/go"
ip netns exec "$ns" /usr/bin/python3 "$TESTS_SRCDIR/helpers/dns-client.py" early "$T/go" >"$T/early" 2>&1 &
early_bg=$!
connected() { grep -qx connected "$T/early"; }
wait_for 10 connected; ok $? "$M: a UDP socket connected to 127.0.0.1:53 before the recorder starts"
early_pid=$(head -1 "$T/early")

dir=$T/rec
if ! start_recorder "$dir" "$@"; then
	fail "$M: flightrec record $* starts"; done_testing; exit
fi
pass "$M: flightrec record $* starts"
log=$(cat "$TEST_TMP/recorder.log")
if [ "$way" = exit ]; then
	is "$(grep -c '^flightrec: probe dns/.* attached' <<<"$log")" 7 \
		"$M: startup - connect4/6, sendmsg4/6 on the cgroup root, getaddrinfo entry/return and dns/messages attached, expect 7"
	like "$log" "^flightrec: probe dns/messages attached \(tp_btf/sys_exit: read write " \
		"$M: startup - dns/messages, read at the syscall family's sys_exit"
	unlike "$log" "probe dns/(egress|ingress)" "$M: startup - no packet program"
else
	is "$(grep -c '^flightrec: probe dns/.* attached' <<<"$log")" 8 \
		"$M: startup - egress, ingress, connect4/6, sendmsg4/6 on the cgroup root and getaddrinfo entry/return attached, expect 8"
	unlike "$log" "probe dns/messages" "$M: startup - no dns/messages"
fi

# A query never answered: its 10 s run while the rest goes on.
lost_pid=$(timeout 10 ip netns exec "$ns" /usr/bin/python3 "$TESTS_SRCDIR/helpers/dns-client.py" lost)
timeout 5 sh -c 'echo go >"$1"' sh "$T/go"
answered() { grep -qx answered "$T/early"; }
wait_for 10 answered; ok $? "$M: the early socket's query is answered"
mapfile -t out < <(timeout 30 ip netns exec "$ns" /usr/bin/python3 "$TESTS_SRCDIR/helpers/dns-client.py" 2>&1)
client_pid=${out[0]:-0}
is "$(printf '%s\n' "${out[@]:1}")" "getaddrinfo slow.flightrec.test. 1
getaddrinfo missing.flightrec.test. -2
tcp $((0x7C01))
udp6 $((0x6601))" "$M: the client's lookups: 1 address, EAI_NONAME (-2), the TCP and the IPv6 query answered"

# Ground truth: what the responder answered, in the order of the query below.
want=$(grep -v '^ready$' "$T/answers" | LC_ALL=C sort -k1,1 -k2,2 -k3,3 | tr ' ' ',')
is "$(printf '%s\n' "$want" | wc -l)" 7 "$M: the responder answered 7 queries (A, AAAA twice over UDP, A over TCP, AAAA to ::1, the early A)"

# The recorder sees every lookup of the host (another run of this test
# too): the rows below are those of this run's processes.
pids="$client_pid, $early_pid, $lost_pid"
q="SELECT proto, query, qtype, rcode, txid, client_port FROM dns WHERE source = 'packet' AND query LIKE '%flightrec.test'
   AND rcode <> 'TIMEOUT' AND pid IN ($pids)"
timed_out() { "$FLIGHTREC" dump "$dir" 2>/dev/null | grep -q "^[^ ]* dns pid=$lost_pid .*query=\"lost\.flightrec\.test\" qtype=\"A\" rcode=\"TIMEOUT\""; }
wait_for 20 timed_out; ok $? "$M: the unanswered query is a TIMEOUT row 10 s after it left"
nine() { [ "$("$FLIGHTREC" dump "$dir" 2>/dev/null | grep -c '^[^ ]* dns .*query="[a-z0-9]*\.flightrec\.test')" -ge 10 ]; }
wait_for 10 nine; ok $? "$M: the 8 packet rows and 2 getaddrinfo rows reach the log"
archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0s --reason dns)
[ -f "$archive" ]; ok $? "$M: snapshot - archive written"
sql() { "$FLIGHTREC_REPLAY" "$archive" --csv -c "$1" | tail -n +2; }

is "$(sql "$q ORDER BY proto, query, qtype")" "$want" \
	"$M: dns - one row per answer: protocol, name, type, rcode, transaction id and client port as the responder saw them"
is "$(sql "SELECT proto, query, qtype, rcode, answers, server, pid, comm, source FROM dns
	   WHERE source = 'packet' AND query LIKE '%flightrec.test' AND pid IN ($pids) ORDER BY proto, query, qtype")" \
"tcp,slow.flightrec.test,A,NOERROR,1,127.0.0.1,$client_pid,python3,packet
udp,early.flightrec.test,A,NXDOMAIN,0,127.0.0.1,$early_pid,python3,packet
udp,lost.flightrec.test,A,TIMEOUT,0,127.0.0.1,$lost_pid,python3,packet
udp,missing.flightrec.test,A,NXDOMAIN,0,127.0.0.1,$client_pid,python3,packet
udp,missing.flightrec.test,AAAA,NXDOMAIN,0,127.0.0.1,$client_pid,python3,packet
udp,slow.flightrec.test,A,NOERROR,1,127.0.0.1,$client_pid,python3,packet
udp,slow.flightrec.test,AAAA,NOERROR,0,127.0.0.1,$client_pid,python3,packet
udp,v6.flightrec.test,AAAA,NOERROR,1,::1,$client_pid,python3,packet" \
	"$M: dns - answers, server, and the querying pid: $client_pid (libc's connected UDP, TCP, IPv6 sendto), $early_pid (connected before the recorder: named by its query), $lost_pid (unanswered)"
is "$(sql "SELECT count(*) FROM dns WHERE source = 'packet' AND query LIKE '%flightrec.test' AND pid IN ($pids)
	   AND latency_ns >= $delay_ms * 1000000")" 8 "$M: dns - every packet row took at least the responder's ${delay_ms} ms"
is "$(sql "SELECT txid, latency_ns >= 10000000000 FROM dns WHERE rcode = 'TIMEOUT' AND query = 'lost.flightrec.test' AND pid = $lost_pid")" \
	"$((0x1055)),1" "$M: dns - the TIMEOUT row: the query's transaction id, waited at least 10 s"
is "$(sql "SELECT count(*) FROM dns WHERE pid = $resp_pid")" 0 \
	"$M: dns - the responder's side of the same packets is not reported (each lookup once, from the client)"
is "$(sql "SELECT query, result, answers, pid, latency_ns >= $delay_ms * 1000000, qtype, rcode, server FROM dns
	   WHERE source = 'getaddrinfo' AND query LIKE '%flightrec.test.' AND pid = $client_pid ORDER BY ts")" \
"slow.flightrec.test.,0,1,$client_pid,1,,,
missing.flightrec.test.,EAI_NONAME,0,$client_pid,1,,," \
	"$M: dns - the two getaddrinfo calls: host as given, 0 with 1 result, EAI_NONAME; at least ${delay_ms} ms each"
is "$(sql "SELECT summary FROM timeline WHERE kind = 'dns' AND pid = $client_pid AND summary LIKE '%slow.flightrec.test%'
	   ORDER BY summary" | tr -d '"')" \
"A slow.flightrec.test: NOERROR, 1 answer from 127.0.0.1 (tcp)
A slow.flightrec.test: NOERROR, 1 answer from 127.0.0.1 (udp)
AAAA slow.flightrec.test: NOERROR, 0 answers from 127.0.0.1 (udp)
getaddrinfo(slow.flightrec.test.) = 0, 1 result" "$M: timeline - a dns row for each lookup"
summary=$("$FLIGHTREC_REPLAY" "$archive" -c .summary)
like "$summary" "== slowest DNS lookups" "$M: .summary - a section of the slowest lookups"
like "$(printf '%s\n' "$summary" | sed -n '/== failed DNS lookups/,/^$/p')" \
	"missing\.flightrec\.test +A +NXDOMAIN +[1-9]" "$M: .summary - the NXDOMAIN lookups among the failed ones, by name and type"

stop_recorder; ok $? "$M: record - SIGTERM, expect exit 0"
kill "$early_bg" "$resp_pid" 2>/dev/null
wait "$early_bg" "$resp_pid" 2>/dev/null
early_bg= resp_pid=
ip netns del "$ns"
rm -rf "/etc/netns/$ns"
ns=
}

M=default
scenario exit --probes syscall,dns
M="packets"
scenario packets --probes dns
done_testing
