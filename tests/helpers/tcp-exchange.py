#!/usr/bin/env python3
"""tcp-exchange.py - test helper: K loopback TCP connections with known byte
counts.  The server (this process) accepts K connections on 127.0.0.1; the
client (a child process) connects K times, sends S_i bytes, reads R_i bytes
back, holds the connection HOLD seconds, and closes.  Prints one line per
connection: "client_port server_port sent received", then the pids of the
server and the client.  Every wait is bounded."""
import os, socket, sys, time

K = int(sys.argv[1]) if len(sys.argv) > 1 else 5
HOLD = float(sys.argv[2]) if len(sys.argv) > 2 else 0.3
sizes = [(1000 * (i + 1) + 7, 2000 * (i + 1) + 3) for i in range(K)]

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(K)
srv.settimeout(20)
port = srv.getsockname()[1]

def recv_exactly(s, n):
    got = b''
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got

pid = os.fork()
if pid == 0:
    srv.close()
    for send, recv in sizes:
        c = socket.create_connection(('127.0.0.1', port), timeout=20)
        c.sendall(b'x' * send)
        recv_exactly(c, recv)
        time.sleep(HOLD)
        c.close()
    os._exit(0)

lines = []
for send, recv in sizes:
    conn, addr = srv.accept()
    conn.settimeout(20)
    recv_exactly(conn, send)
    conn.sendall(b'y' * recv)
    # the client closes first, after HOLD; then we do
    recv_exactly(conn, 1)
    lines.append('%d %d %d %d' % (addr[1], port, send, recv))
    conn.close()
os.waitpid(pid, 0)
for l in lines:
    print(l)
print(os.getpid(), pid)
