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
# s_server reads its standard input: an open fifo that says nothing
mkfifo "$TEST_TMP/in" && exec 3<>"$TEST_TMP/in"

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --probes=process,net,tls,http; then
	fail "record --probes=process,net,tls,http starts"; done_testing; exit
fi
pass "record --probes=process,net,tls,http starts"
like "$(cat "$TEST_TMP/recorder.log")" "^flightrec: probe tls/libssl.so.3 attached \(uprobe/.*libssl.so.3\)" \
	"startup - the system's libssl attached"

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
[ -n "$port" ] || { fail "s_server listens"; done_testing; exit; }
pass "s_server listens on 127.0.0.1:$port"
attached() { grep -qF "probe tls/libssl.so.3 attached (uprobe/$privlib)" "$TEST_TMP/recorder.log"; }
wait_for 5 attached
ok $? "the private libssl of s_server, attached after its exec"
is "$(grep -c "^flightrec: probe tls/libssl.so.3 attached" "$TEST_TMP/recorder.log")" 2 \
	"the system's libssl and the private one, each attached once"
like "$(grep -E '^Cap(Eff|Bnd):' "/proc/$REC_PID/status" | tr -s '\t ' ' ' | paste -sd' ')" \
	"^CapEff: 0000000000080000 CapBnd: 0000000000080000$" "the recorder itself kept only CAP_SYS_PTRACE"

openssl s_client -connect "127.0.0.1:$port" -CAfile "$TEST_TMP/cert.pem" -verify_return_error \
	</dev/null >"$TEST_TMP/c1.log" 2>&1 &
c1=$!
wait "$c1"
ok $? "s_client trusting the certificate connects"
openssl s_client -connect "127.0.0.1:$port" -verify_return_error </dev/null >"$TEST_TMP/c2.log" 2>&1 &
c2=$!
wait "$c2"
is $? 1 "s_client -verify_return_error without the CA fails"
like "$(cat "$TEST_TMP/c2.log")" "verify error:num=18:self-signed certificate" "s_client - verify error 18"
srv_done() { ! kill -0 "$SRV_PID" 2>/dev/null; }
wait_for 10 srv_done
ok $? "s_server exits after its two connections"
srv=$SRV_PID
exec 3>&-

# HTTP over TLS: a server on Python's ssl (SSL_read_ex/SSL_write_ex) and curl.
HTTPS_SERVER=${HTTPS_SERVER:-$TESTS_SRCDIR/helpers/https-server.py}
mkdir "$TEST_TMP/www" && printf 'hello over tls\n' > "$TEST_TMP/www/index.html"
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
	pass "an HTTPS server on 127.0.0.1:$hport"
	curl -sk -o "$TEST_TMP/got" "https://127.0.0.1:$hport/index.html" &
	h1=$!
	wait "$h1"; ok $? "curl https://.../index.html"
	is "$(cat "$TEST_TMP/got")" "hello over tls" "curl - the file"
	curl -sk -o /dev/null "https://127.0.0.1:$hport/nosuch.html" &
	h2=$!
	wait "$h2"; ok $? "curl https://.../nosuch.html"
	hsrv=$SRV_PID
	wait_for 10 srv_done
	ok $? "the HTTPS server exits after its two requests"
else
	skip_http="needs /usr/bin/python3 and curl (scripts/install-deps), or no port"
fi
sleep 1.5 # the ring is drained every 100 ms and blocks sealed every second
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 60s --after 0s --reason tls)
ok $? "snapshot"
stop_recorder

R() { "$FLIGHTREC_REPLAY" "$a" --csv -c "$1" | tail -n +2; }
# ground truth for the client's ephemeral ports: the net family's connections
l1=$(R "SELECT lport FROM connections WHERE pid = $c1 AND direction = 'connect'")
l2=$(R "SELECT lport FROM connections WHERE pid = $c2 AND direction = 'connect'")
like "$l1 $l2" "^[0-9]+ [0-9]+$" "connections - the two clients' ports ($l1, $l2)"

is "$(R "SELECT count(*) FROM tls WHERE pid IN ($c1, $c2, $srv)")" 4 "tls - four rows: two handshakes, both sides"
is "$(R "SELECT comm, laddr, lport, raddr, rport, role, ok, error, latency_ns > 0, library FROM tls WHERE pid = $c1")" \
	"openssl,127.0.0.1,$l1,127.0.0.1,$port,client,1,,1,$syslib" \
	"tls - the trusting client: ok, its port to the server's, the system libssl"
is "$(R "SELECT laddr, lport, raddr, rport, role, ok, error, latency_ns > 0, library FROM tls
	WHERE pid = $srv AND rport = $l1")" \
	"127.0.0.1,$port,127.0.0.1,$l1,server,1,,1,$privlib" \
	"tls - the server's side of it: ok, on the private libssl"
is "$(R "SELECT laddr, lport, raddr, rport, role, ok, error, latency_ns > 0 FROM tls WHERE pid = $c2")" \
	"127.0.0.1,$l2,127.0.0.1,$port,client,0,SSL_ERROR_SSL: certificate verify failed: self-signed certificate (18),1" \
	"tls - the distrusting client: failed, SSL_ERROR_SSL with verify result 18"
is "$(R "SELECT lport, rport, role, ok, error FROM tls WHERE pid = $srv AND rport = $l2")" \
	"$port,$l2,server,0,SSL_ERROR_SSL" "tls - the server's side of it: failed (the client's alert)"
is "$(R "SELECT count(*) FROM tls WHERE pid = $c1 AND ts + latency_ns <= (SELECT end_ts FROM connections WHERE pid = $c1)")" 1 \
	"tls - the handshake ended before its connection closed"
like "$(R "SELECT summary FROM timeline WHERE kind = 'tls' AND pid = $c2")" \
	"^\"?TLS client 127\.0\.0\.1:$l2 -> 127\.0\.0\.1:$port failed: SSL_ERROR_SSL: certificate verify failed: self-signed certificate \(18\) in [0-9]+\.[0-9] ms\"?$" \
	"timeline - the failed handshake"
if [ -n "$hport" ]; then
	hl1=$(R "SELECT lport FROM connections WHERE pid = $h1 AND direction = 'connect'")
	hl2=$(R "SELECT lport FROM connections WHERE pid = $h2 AND direction = 'connect'")
	is "$(R "SELECT pid, role, method, path, status, laddr, lport, raddr, rport, bytes, tls FROM http
		WHERE pid IN ($h1, $h2) ORDER BY ts")" \
		"$h1,client,GET,/index.html,200,127.0.0.1,$hl1,127.0.0.1,$hport,15,1
$h2,client,GET,/nosuch.html,404,127.0.0.1,$hl2,127.0.0.1,$hport,$(R "SELECT bytes FROM http WHERE pid = $h2"),1" \
		"http over TLS - curl's two exchanges: 200 with the file's 15 bytes, 404; its ports, tls 1"
	is "$(R "SELECT role, method, path, status, lport, rport, tls FROM http WHERE pid = $hsrv ORDER BY ts")" \
		"server,GET,/index.html,200,$hport,$hl1,1
server,GET,/nosuch.html,404,$hport,$hl2,1" \
		"http over TLS - the server's side of both, mirrored ports, tls 1"
	is "$(R "SELECT count(*) FROM http WHERE pid IN ($h1, $h2, $hsrv) AND latency_ns > 0")" 4 \
		"http over TLS - four rows, each with a latency"
	is "$(R "SELECT count(*) FROM tls WHERE pid IN ($h1, $h2, $hsrv) AND ok")" 4 \
		"tls - the four handshakes of the HTTPS exchanges"
else
	skip "http over TLS: $skip_http"
fi
sum=$("$FLIGHTREC_REPLAY" "$a" -c .summary 2>&1)
like "$(echo "$sum" | grep -A6 '^.*failed TLS handshakes')" "$c2 +openssl +client +127\.0\.0\.1:$port +SSL_ERROR_SSL" \
	".summary - the failed handshake"
nok=$([ -n "$hport" ] && echo 3 || echo 1)
like "$(echo "$sum" | grep -A4 '^.*TLS handshakes' | head -5)" "client +$nok +1" ".summary - clients: $nok ok, 1 failed"
done_testing
