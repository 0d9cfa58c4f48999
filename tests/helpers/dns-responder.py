#!/usr/bin/python3
"""dns-responder.py DELAY_MS - the DNS server of tests/e2e/dns.sh.

Listens on 127.0.0.1:53 (UDP and TCP) and [::1]:53 (UDP) and answers each
query DELAY_MS after it arrived, every query on its own timer:

    slow.flightrec.test  A     one answer, 192.0.2.7
    slow.flightrec.test  AAAA  NOERROR, no answer
    v6.flightrec.test    AAAA  one answer, 2001:db8::7
    lost.flightrec.test        no response at all
    anything else              NXDOMAIN

Prints "ready" once it listens, then one line per answer, the ground
truth of the test: PROTO NAME TYPE RCODE TXID CLIENT_PORT, printed before
the answer is sent (so that it is there once the client has the answer).
Standard library only; runs until killed.
"""
import socket
import struct
import sys
import threading

DELAY = int(sys.argv[1]) / 1000.0
TYPES = {1: "A", 28: "AAAA"}
RCODES = {0: "NOERROR", 3: "NXDOMAIN"}
lock = threading.Lock()


def qname(msg):
    """The question's name (dotted) and the offset after its type and class."""
    labels, pos = [], 12
    while msg[pos]:
        labels.append(msg[pos + 1 : pos + 1 + msg[pos]].decode("ascii"))
        pos += 1 + msg[pos]
    return ".".join(labels), pos + 5


def answer(query):
    """The response to QUERY, and its name, type and rcode."""
    txid, = struct.unpack("!H", query[:2])
    name, end = qname(query)
    qtype, = struct.unpack("!H", query[end - 4 : end - 2])
    records = []
    rcode = 0
    if name == "slow.flightrec.test" and qtype == 1:
        records.append(struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_pton(socket.AF_INET, "192.0.2.7"))
    elif name == "v6.flightrec.test" and qtype == 28:
        records.append(struct.pack("!HHHIH", 0xC00C, 28, 1, 60, 16) + socket.inet_pton(socket.AF_INET6, "2001:db8::7"))
    elif name not in ("slow.flightrec.test", "v6.flightrec.test"):
        rcode = 3
    flags = 0x8180 | rcode  # QR, RD, RA
    header = struct.pack("!HHHHHH", txid, flags, 1, len(records), 0, 0)
    return header + query[12:end] + b"".join(records), name, TYPES.get(qtype, str(qtype)), RCODES[rcode], txid


def log(proto, name, qtype, rcode, txid, port):
    with lock:
        print(proto, name, qtype, rcode, txid, port, flush=True)


def serve_udp(sock):
    while True:
        query, peer = sock.recvfrom(4096)
        if qname(query)[0] == "lost.flightrec.test":
            continue

        def reply(query=query, peer=peer):
            msg, name, qtype, rcode, txid = answer(query)
            # logged before it is sent: once the client has its answer, the
            # test may read the log at once
            log("udp", name, qtype, rcode, txid, peer[1])
            sock.sendto(msg, peer)

        threading.Timer(DELAY, reply).start()


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve_tcp_conn(conn, peer):
    with conn:
        try:
            while True:
                n, = struct.unpack("!H", recv_exact(conn, 2))
                query = recv_exact(conn, n)
                threading.Event().wait(DELAY)
                msg, name, qtype, rcode, txid = answer(query)
                log("tcp", name, qtype, rcode, txid, peer[1])  # before the client can have it
                conn.sendall(struct.pack("!H", len(msg)) + msg)
        except (EOFError, ConnectionError):
            pass


def serve_tcp(sock):
    while True:
        conn, peer = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn, peer), daemon=True).start()


def main():
    u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u4.bind(("127.0.0.1", 53))
    u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u6.bind(("::1", 53))
    t4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t4.bind(("127.0.0.1", 53))
    t4.listen(8)
    for target, sock in ((serve_udp, u4), (serve_udp, u6), (serve_tcp, t4)):
        threading.Thread(target=target, args=(sock,), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


main()
