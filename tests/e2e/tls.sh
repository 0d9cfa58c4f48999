#!/usr/bin/env bash
# tls.sh - TLS handshakes through libssl, on loopback: `openssl s_server`
# with a self-signed certificate made here, run on a private copy of
# libssl.so.3 (another inode, found in its maps after its exec and attached
# by the attacher process, the recorder having dropped CAP_SYS_ADMIN), and
# two `openssl s_client` on the system's libssl: one that trusts the
# certificate (-CAfile) and one that does not (-verify_return_error).
# Each handshake is a row on both sides, with the pids, the roles, the
# server port and the client's ephemeral port (ground truth: the
# connections table of the net family), ok, the error with the verify
# result (18, self-signed), a latency and the library; the timeline and
# .summary show them.  HTTP over TLS (the http family on): a Python HTTPS
# server and curl, a 200 and a 404, each exchange a row on both sides with
# tls 1, from the plaintext of SSL_read/SSL_write.
#
# All of it twice, once for each way the handshake's socket is found: in
# the default mode at the syscall family's sys_exit (the recorder says
# "tls/socket" and holds no handle_sock_send/handle_sock_recv program),
# and with --syscalls=off by the tls family's own sock_send_length and
# sock_recv_length tracepoints; the addresses and ports are checked
# against the ground truth both times.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
command -v openssl >/dev/null || skip_all "needs openssl (scripts/install-deps installs it)"
syslib=
for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib; do
	[ -e "$d/libssl.so.3" ] && { syslib=$(readlink -f "$d/libssl.so.3"); break; }
done
[ -n "$syslib" ] || skip_all "needs OpenSSL 3's libssl.so.3"

SRV_PID=
trap '[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null; cleanup' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TEST_TMP/key.pem" -out "$TEST_TMP/cert.pem" -days 2 \
	-subj /CN=localhost >/dev/null 2>&1
ok $? "a self-signed certificate"
mkdir "$TEST_TMP/lib" && cp "$syslib" "$TEST_TMP/lib/libssl.so.3"
privlib=$TEST_TMP/lib/libssl.so.3
mkfifo "$TEST_TMP/in"
BPFTOOL=${BPFTOOL:-bpftool}

# rec_progs PID: the names of the BPF programs process PID holds (programs
# and links), space-separated.  Two processes, not one per descriptor: a
# burst of execs would fill the recorder's queue of execs to look at for
# a libssl (EXEC_QUEUE a second) and hide s_server's.
rec_progs() {
	local ids
	ids=$(grep -hs '^prog_id:' /proc/"$1"/fdinfo/* | awk '{ print $2 }' | sort -un | tr '\n' ' ')
	"$BPFTOOL" prog show | awk -v ids=" $ids" '/^[0-9]+: / { id = $1; sub(":", "", id);
		if (index(ids, " " id " ")) for (i = 2; i < NF; i++) if ($i == "name") print $(i + 1) }' | sort | tr '\n' ' '
}

# socket_way WAY: the recorder's report and the programs it holds say how
# it finds the handshake's socket: exit (at the syscall family's
# sys_exit) or tracepoints (the tls family's own two).
socket_way() {
	local log progs
	log=$(cat "$TEST_TMP/recorder.log")
	if command -v "$BPFTOOL" >/dev/null; then
		progs=$(rec_progs "$REC_PID")
	fi
	if [ "$1" = exit ]; then
		like "$log" "^flightrec: probe tls/socket attached \(tp_btf/sys_exit of the syscall family: read write" \
			"$M: startup - tls/socket, found at the syscall family's sys_exit"
		unlike "$log" "probe tls/sock_(send|recv)" "$M: startup - neither tls/sock_send nor tls/sock_recv"
	else
		like "$log" "^flightrec: probe tls/sock_send attached \(tp_btf/sock_send_length\)" \
			"$M: startup - tls/sock_send attached (the fallback)"
		like "$log" "^flightrec: probe tls/sock_recv attached \(tp_btf/sock_recv_length\)" \
			"$M: startup - tls/sock_recv attached (the fallback)"
		unlike "$log" "probe tls/socket" "$M: startup - no tls/socket"
	fi
	if [ -z "${progs+set}" ]; then
		skip "$M: the recorder's BPF programs: needs bpftool"
	elif [ "$1" = exit ]; then
		like "$progs" "(^| )sys_exit " "$M: the recorder holds sys_exit"
		unlike "$progs" "handle_sock_(send|recv)" "$M: the recorder holds neither handle_sock_send nor handle_sock_recv"
	else
		unlike "$progs" "(^| )sys_exit " "$M: the recorder holds no sys_exit"
		like "$progs" "handle_sock_recv handle_sock_send " "$M: the recorder holds handle_sock_send and handle_sock_recv"
	fi
}

# scenario WAY RECORD_ARGS...: the handshakes and HTTPS exchanges under a
# recorder started with RECORD_ARGS, which finds the sockets the WAY
# socket_way checks.  Its checks are named "$M: ...".
scenario() {
local port hport p try c1 c2 srv h1 h2 hsrv hl1 hl2 l1 l2 a sum nok skip_http dir

dir=$TEST_TMP/rec-$1
# s_server reads its standard input: an open fifo that says nothing
exec 3<>"$TEST_TMP/in"
if ! start_recorder "$dir" "${@:2}"; then
	fail "$M: record starts"; return 1
fi
pass "$M: record starts"
like "$(cat "$TEST_TMP/recorder.log")" "^flightrec: probe tls/libssl.so.3 attached \(uprobe/.*libssl.so.3\)" \
	"$M: startup - the system's libssl attached"

# A port of our own: the first that s_server can bind of a few.
port=
for try in 1 2 3 4 5; do
	p=$((20000 + RANDOM % 20000))
	LD_LIBRARY_PATH=$TEST_TMP/lib openssl s_server -accept "127.0.0.1:$p" -cert "$TEST_TMP/cert.pem" \
		-key "$TEST_TMP/key.pem" -naccept 2 >"$TEST_TMP/server.log" 2>&1 <&3 &
	SRV_PID=$!
	ready() { grep -q '^ACCEPT' "$TEST_TMP/server.log"; }
	if wait_for 5 ready; then port=$p; break; fi
	kill "$SRV_PID" 2>/dev/null; SRV_PID=
done
[ -n "$port" ] || { fail "$M: s_server listens"; return 1; }
pass "$M: s_server listens on 127.0.0.1:$port"
attached() { grep -qF "probe tls/libssl.so.3 attached (uprobe/$privlib)" "$TEST_TMP/recorder.log"; }
wait_for 5 attached
ok $? "$M: the private libssl of s_server, attached after its exec"
is "$(grep -c "^flightrec: probe tls/libssl.so.3 attached" "$TEST_TMP/recorder.log")" 2 \
	"$M: the system's libssl and the private one, each attached once"
like "$(grep -E '^Cap(Eff|Bnd):' "/proc/$REC_PID/status" | tr -s '\t ' ' ' | paste -sd' ')" \
	"^CapEff: 0000000000080000 CapBnd: 0000000000080000$" "$M: the recorder itself kept only CAP_SYS_PTRACE"

openssl s_client -connect "127.0.0.1:$port" -CAfile "$TEST_TMP/cert.pem" -verify_return_error \
	</dev/null >"$TEST_TMP/c1.log" 2>&1 &
c1=$!
wait "$c1"
ok $? "$M: s_client trusting the certificate connects"
openssl s_client -connect "127.0.0.1:$port" -verify_return_error </dev/null >"$TEST_TMP/c2.log" 2>&1 &
c2=$!
wait "$c2"
is $? 1 "$M: s_client -verify_return_error without the CA fails"
like "$(cat "$TEST_TMP/c2.log")" "verify error:num=18:self-signed certificate" "$M: s_client - verify error 18"
srv_done() { ! kill -0 "$SRV_PID" 2>/dev/null; }
wait_for 10 srv_done
ok $? "$M: s_server exits after its two connections"
srv=$SRV_PID
exec 3>&-

# HTTP over TLS: a server on Python's ssl (SSL_read_ex/SSL_write_ex) and curl.
HTTPS_SERVER=${HTTPS_SERVER:-$TESTS_SRCDIR/helpers/https-server.py}
rm -rf "$TEST_TMP/www" && mkdir "$TEST_TMP/www" && printf 'hello over tls\n' > "$TEST_TMP/www/index.html"
hport=
if [ -x /usr/bin/python3 ] && command -v curl >/dev/null; then
	for try in 1 2 3 4 5; do
		p=$((20000 + RANDOM % 20000))
		(cd "$TEST_TMP/www" && exec /usr/bin/python3 "$HTTPS_SERVER" "$p" "$TEST_TMP/cert.pem" "$TEST_TMP/key.pem" 2) \
			>"$TEST_TMP/https.log" 2>&1 &
		SRV_PID=$!
		hready() { grep -q '^ready' "$TEST_TMP/https.log"; }
		if wait_for 5 hready; then hport=$p; break; fi
		kill "$SRV_PID" 2>/dev/null; SRV_PID=
	done
fi
if [ -n "$hport" ]; then
	pass "$M: an HTTPS server on 127.0.0.1:$hport"
	curl -sk -o "$TEST_TMP/got" "https://127.0.0.1:$hport/index.html" &
	h1=$!
	wait "$h1"; ok $? "$M: curl https://.../index.html"
	is "$(cat "$TEST_TMP/got")" "hello over tls" "$M: curl - the file"
	curl -sk -o /dev/null "https://127.0.0.1:$hport/nosuch.html" &
	h2=$!
	wait "$h2"; ok $? "$M: curl https://.../nosuch.html"
	hsrv=$SRV_PID
	wait_for 10 srv_done
	ok $? "$M: the HTTPS server exits after its two requests"
else
	skip_http="needs /usr/bin/python3 and curl (scripts/install-deps), or no port"
fi
sleep 1.5 # the ring is drained every 100 ms and blocks sealed every second
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 60s --after 0s --reason tls)
ok $? "$M: snapshot"
socket_way "$1" # last: its execs must not crowd out s_server's (see rec_progs)
stop_recorder

R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" | tail -n +2; }
# ground truth for the client's ephemeral ports: the net family's connections
l1=$(R "SELECT lport FROM connections WHERE pid = $c1 AND direction = 'connect'")
l2=$(R "SELECT lport FROM connections WHERE pid = $c2 AND direction = 'connect'")
like "$l1 $l2" "^[0-9]+ [0-9]+$" "$M: connections - the two clients' ports ($l1, $l2)"

is "$(R "SELECT count(*) FROM tls WHERE pid IN ($c1, $c2, $srv)")" 4 "$M: tls - four rows: two handshakes, both sides"
is "$(R "SELECT comm, laddr, lport, raddr, rport, role, ok, error, latency_ns > 0, library FROM tls WHERE pid = $c1")" \
	"openssl,127.0.0.1,$l1,127.0.0.1,$port,client,1,,1,$syslib" \
	"$M: tls - the trusting client: ok, its port to the server's, the system libssl"
is "$(R "SELECT laddr, lport, raddr, rport, role, ok, error, latency_ns > 0, library FROM tls
	WHERE pid = $srv AND rport = $l1")" \
	"127.0.0.1,$port,127.0.0.1,$l1,server,1,,1,$privlib" \
	"$M: tls - the server's side of it: ok, on the private libssl"
is "$(R "SELECT laddr, lport, raddr, rport, role, ok, error, latency_ns > 0 FROM tls WHERE pid = $c2")" \
	"127.0.0.1,$l2,127.0.0.1,$port,client,0,SSL_ERROR_SSL: certificate verify failed: self-signed certificate (18),1" \
	"$M: tls - the distrusting client: failed, SSL_ERROR_SSL with verify result 18"
is "$(R "SELECT lport, rport, role, ok, error FROM tls WHERE pid = $srv AND rport = $l2")" \
	"$port,$l2,server,0,SSL_ERROR_SSL" "$M: tls - the server's side of it: failed (the client's alert)"
is "$(R "SELECT count(*) FROM tls WHERE pid = $c1 AND ts + latency_ns <= (SELECT end_ts FROM connections WHERE pid = $c1)")" 1 \
	"$M: tls - the handshake ended before its connection closed"
like "$(R "SELECT summary FROM timeline WHERE kind = 'tls' AND pid = $c2")" \
	"^\"?TLS client 127\.0\.0\.1:$l2 -> 127\.0\.0\.1:$port failed: SSL_ERROR_SSL: certificate verify failed: self-signed certificate \(18\) in [0-9]+\.[0-9] ms\"?$" \
	"$M: timeline - the failed handshake"
if [ -n "$hport" ]; then
	hl1=$(R "SELECT lport FROM connections WHERE pid = $h1 AND direction = 'connect'")
	hl2=$(R "SELECT lport FROM connections WHERE pid = $h2 AND direction = 'connect'")
	is "$(R "SELECT pid, role, method, path, status, laddr, lport, raddr, rport, bytes, tls FROM http
		WHERE pid IN ($h1, $h2) ORDER BY ts")" \
		"$h1,client,GET,/index.html,200,127.0.0.1,$hl1,127.0.0.1,$hport,15,1
$h2,client,GET,/nosuch.html,404,127.0.0.1,$hl2,127.0.0.1,$hport,$(R "SELECT bytes FROM http WHERE pid = $h2"),1" \
		"$M: http over TLS - curl's two exchanges: 200 with the file's 15 bytes, 404; its ports, tls 1"
	is "$(R "SELECT role, method, path, status, lport, rport, tls FROM http WHERE pid = $hsrv ORDER BY ts")" \
		"server,GET,/index.html,200,$hport,$hl1,1
server,GET,/nosuch.html,404,$hport,$hl2,1" \
		"$M: http over TLS - the server's side of both, mirrored ports, tls 1"
	is "$(R "SELECT count(*) FROM http WHERE pid IN ($h1, $h2, $hsrv) AND latency_ns > 0")" 4 \
		"$M: http over TLS - four rows, each with a latency"
	is "$(R "SELECT count(*) FROM tls WHERE pid IN ($h1, $h2, $hsrv) AND ok")" 4 \
		"$M: tls - the four handshakes of the HTTPS exchanges"
else
	skip "$M: http over TLS: $skip_http"
fi
sum=$("$FLIGHTREC_REPLAY" "$a" -c .summary 2>&1)
like "$(echo "$sum" | grep -A6 '^.*failed TLS handshakes')" "$c2 +openssl +client +127\.0\.0\.1:$port +SSL_ERROR_SSL" \
	"$M: .summary - the failed handshake"
nok=$([ -n "$hport" ] && echo 3 || echo 1)
like "$(echo "$sum" | grep -A4 '^.*TLS handshakes' | head -5)" "client +$nok +1" "$M: .summary - clients: $nok ok, 1 failed"
}

M=default
scenario exit --probes=+http
M="syscalls off"
scenario tracepoints --probes=+http --syscalls=off

# A client killed inside its handshake never returns from SSL_connect: its
# count of threads in flight would stay, and with it every read and write
# of the host would look for a handshake.  The recorder takes it back.
M=killed
# inflight: the count of threads inside a probed libssl call, the field
# tls_inflight of the map exit_gates that the recorder holds (the first 8
# bytes of its value, signed).
inflight() {
	local id
	for id in $(grep -hs '^map_id:' /proc/"$REC_PID"/fdinfo/* | awk '{ print $2 }' | sort -un); do
		"$BPFTOOL" map show id "$id" 2>/dev/null | grep -q ' name exit_gates ' || continue
		"$BPFTOOL" -j map dump id "$id" 2>/dev/null | python3 -c 'import json, sys
for e in json.load(sys.stdin):
    v = e.get("formatted", e).get("value")
    if isinstance(v, dict):
        print(v["tls_inflight"])
    else:
        print(int.from_bytes(bytes(int(b, 16) for b in v[:8]), "little", signed=True))'
		return
	done
	echo none
}
if ! command -v "$BPFTOOL" >/dev/null; then
	for _ in 1 2 3 4; do skip "$M: needs bpftool"; done
elif start_recorder "$TEST_TMP/rec-killed"; then
	pass "$M: record starts"
	# a listener that accepts and never answers: the client waits in SSL_connect for the server's hello
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(30)' >"$TEST_TMP/mute.port" &
	mute=$!
	has_port() { [ -s "$TEST_TMP/mute.port" ]; }
	wait_for 5 has_port
	openssl s_client -connect "127.0.0.1:$(cat "$TEST_TMP/mute.port")" </dev/null >/dev/null 2>&1 &
	cl=$!
	in_call() { [ "$(inflight)" = 1 ]; }
	wait_for 10 in_call
	ok $? "$M: s_client waits in its handshake: one thread in flight ($(inflight))"
	kill -9 "$cl"; wait "$cl" 2>/dev/null
	none_left() { [ "$(inflight)" = 0 ]; }
	wait_for 10 none_left
	ok $? "$M: killed in its handshake, its thread no longer counts ($(inflight) in flight)"
	kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null
	stop_recorder
	pass "$M: record stops"
else
	fail "$M: record starts"
	for _ in 1 2 3; do skip "$M: no recorder"; done
fi
done_testing
