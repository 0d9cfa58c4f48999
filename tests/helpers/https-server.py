#!/usr/bin/python3
# https-server.py PORT CERT KEY N - serve the current directory over HTTPS
# (Python's ssl module: OpenSSL's libssl, SSL_read_ex/SSL_write_ex) on
# 127.0.0.1:PORT for N requests, then exit; "ready" once listening.
import http.server, ssl, sys
port = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", port), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
for _ in range(int(sys.argv[4])):
    srv.handle_request()
