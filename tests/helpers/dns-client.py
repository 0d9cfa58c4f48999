#!/usr/bin/python3
"""dns-client.py [early FIFO | lost] - the lookups of tests/e2e/dns.sh.

Run where /etc/resolv.conf names the test's responder (tests/helpers/
dns-responder.py).  Prints its pid first.  With no argument, makes these
lookups in one process, a line for each:

    getaddrinfo slow.flightrec.test. RESULTS     libc: A and AAAA over UDP
    getaddrinfo missing.flightrec.test. ERROR    libc: NXDOMAIN for both
    tcp TXID                                     slow.flightrec.test A over TCP to 127.0.0.1
    udp6 TXID                                    v6.flightrec.test AAAA over UDP to ::1 (sendto)

The names end with a dot so that libc asks for them as they are, with no
search domain appended.

early FIFO: connect a UDP socket to 127.0.0.1:53, print "connected", wait
until FIFO is written (the test starts the recorder meanwhile), then ask
for early.flightrec.test A on it and print "answered".

lost: send a query for lost.flightrec.test A (TXID 0x1055) to 127.0.0.1:53,
which the responder never answers, and exit.
"""
import os
import socket
import struct
import sys

print(os.getpid(), flush=True)


def query(txid, name, qtype):
    q = struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode("ascii")
    return q + b"\0" + struct.pack("!HH", qtype, 1)


def lookups():
    res = socket.getaddrinfo("slow.flightrec.test.", 80, type=socket.SOCK_STREAM)
    print("getaddrinfo slow.flightrec.test.", len(res), flush=True)
    try:
        socket.getaddrinfo("missing.flightrec.test.", 80, type=socket.SOCK_STREAM)
        print("getaddrinfo missing.flightrec.test. found", flush=True)
    except socket.gaierror as e:
        print("getaddrinfo missing.flightrec.test.", e.errno, flush=True)

    with socket.create_connection(("127.0.0.1", 53), timeout=5) as t:
        q = query(0x7C01, "slow.flightrec.test", 1)
        t.sendall(struct.pack("!H", len(q)) + q)
        n, = struct.unpack("!H", t.recv(2, socket.MSG_WAITALL))
        t.recv(n, socket.MSG_WAITALL)
        print("tcp", 0x7C01, flush=True)

    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as u:
        u.settimeout(5)
        u.sendto(query(0x6601, "v6.flightrec.test", 28), ("::1", 53))
        u.recvfrom(4096)
        print("udp6", 0x6601, flush=True)


def early(fifo):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(5)
        u.connect(("127.0.0.1", 53))
        print("connected", flush=True)
        with open(fifo) as f:
            f.read()
        u.send(query(0xEA01, "early.flightrec.test", 1))
        u.recv(4096)
        print("answered", flush=True)


def lost():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.sendto(query(0x1055, "lost.flightrec.test", 1), ("127.0.0.1", 53))


if len(sys.argv) > 2 and sys.argv[1] == "early":
    early(sys.argv[2])
elif len(sys.argv) > 1 and sys.argv[1] == "lost":
    lost()
else:
    lookups()
