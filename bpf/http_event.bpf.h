/*
 * http_event.bpf.h - what bpf/http.bpf.h (inside syscall.bpf.c) and
 * bpf/tls.bpf.c send the recorder's http family (recorder/http.c): the
 * ring ABI, not part of the file format.  Plain C, so that user space
 * includes it too.
 */
#ifndef FR_HTTP_EVENT_BPF_H
#define FR_HTTP_EVENT_BPF_H

#include "flightrec.h"

/*
 * The first bytes of one read or write on a TCP connection that start like
 * an HTTP/1.x request line (a method and a space) or status line
 * ("HTTP/1."): the recorder pairs a request with the response that follows
 * on the same connection into an http record (recorder/http.c).  Bounded:
 * at most FR_HTTP_CAP bytes, which the recorder parses for the request line,
 * the status line and a Content-Length header and never writes to disk.
 *
 * Two sources fill it the same way:
 *   - bpf/syscall.bpf.c (bpf/http.bpf.h) at the exit of read, write, readv,
 *     writev, sendto, recvfrom, sendmsg and recvmsg on a TCP socket, tls 0;
 *   - uprobes on SSL_read/SSL_write (the tls family), from the plaintext
 *     buffer at the return, tls 1.
 * Fields:
 *   ts      boot-time ns (bpf_ktime_get_boot_ns) when the call returned;
 *   cookie  names the connection within process PID: the struct sock
 *           address for sockets; a TLS source may give the SSL pointer (it
 *           only has to be the same for the request and its response, and
 *           the same kind of value for both directions of one connection);
 *   dir     FR_HTTP_IN (the process read it: a request on a server, a
 *           response on a client) or FR_HTTP_OUT (it wrote it);
 *   len     bytes the call moved (its return value); cap the bytes of DATA
 *           that are valid (min(len, FR_HTTP_CAP), less when the buffer of
 *           a vectored call was shorter);
 *   family  4 or 6, with laddr/raddr raw (IPv4 in the first 4 bytes) and
 *           the ports in host order, as in fr_conn; 0 when unknown (the row
 *           then has empty addresses and ports 0).
 */
#define FR_EV_HTTP (FR_KIND_MAX + 5)
#define FR_HTTP_CAP 192
#define FR_HTTP_IN 0
#define FR_HTTP_OUT 1
struct fr_http_msg {
	struct fr_head head;
	__u64 ts;
	__u64 cookie;
	__u32 pid;
	__u32 tid;
	char comm[16];
	__u32 len;
	__u16 cap;
	__u8 dir;
	__u8 tls;
	__u8 family;
	__u8 pad[3];
	__u16 lport, rport;
	__u8 laddr[16], raddr[16];
	char data[FR_HTTP_CAP];
};

#endif
