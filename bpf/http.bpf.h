/*
 * http.bpf.h - the first bytes of HTTP/1.x requests and responses on TCP
 * sockets, taken at the exit of the read/write family by bpf/syscall.bpf.c
 * (the calls whose sc_flags hold SCF_HTTP).  The recorder pairs them
 * (recorder/http.c); the event is struct fr_http_msg of bpf/http_event.bpf.h.
 *
 * Read and write are the hottest calls, so the test is ordered by cost:
 * the return value (at least HTTP_MIN_LEN bytes moved), then ONE 4-byte
 * read of the user buffer compared with the starts of the methods and of
 * "HTTP" (a switch on a u32), and only then, for data that looks like
 * HTTP, the walk from the fd to its socket (TCP only), the addresses and
 * the bounded copy.  Reading the bytes first is cheaper than finding out
 * whether the fd is a socket (task->files->fdt->fd[fd]->f_inode: several
 * dependent reads through helpers), and almost every read or write that is
 * not HTTP fails the byte test.  At the exit the registers still hold the
 * arguments (x86_64 keeps di, si, dx in pt_regs), so no state is kept
 * between entry and exit.
 */
#ifndef FR_HTTP_BPF_H
#define FR_HTTP_BPF_H

#include "http_event.bpf.h"
#include "sock.bpf.h"

#define HTTP_MIN_LEN 12 /* "GET / HTTP/1", "HTTP/1.1 200" */

/* x86_64 numbers of the calls that carry it. */
#define HTTP_NR_read 0
#define HTTP_NR_write 1
#define HTTP_NR_readv 19
#define HTTP_NR_writev 20
#define HTTP_NR_sendto 44
#define HTTP_NR_recvfrom 45
#define HTTP_NR_sendmsg 46
#define HTTP_NR_recvmsg 47

/* The first 4 bytes of a request line (a method) or of a status line, little-endian. */
static __always_inline int http_start(__u32 w)
{
	switch (w) {
	case 0x20544547: /* "GET " */
	case 0x54534f50: /* "POST" */
	case 0x20545550: /* "PUT " */
	case 0x44414548: /* "HEAD" */
	case 0x454c4544: /* "DELE" */
	case 0x43544150: /* "PATC" */
	case 0x4954504f: /* "OPTI" */
	case 0x4e4e4f43: /* "CONN" */
	case 0x43415254: /* "TRAC" */
	case 0x50545448: /* "HTTP" */
		return 1;
	}
	return 0;
}

/*
 * An fr_http_msg of the current thread for a call that moved LEN bytes in
 * direction DIR on connection COOKIE, from a socket (TLS 0) or from libssl
 * (TLS 1); NULL when the ring is full (counted there).  The caller fills
 * in the connection's family, addresses and ports, then sends it with
 * http_msg_submit().  Shared by both sources, so they fill it alike.
 */
static __always_inline struct fr_http_msg *http_msg_reserve(__u64 cookie, __u64 len, __u32 dir, __u8 tls)
{
	struct fr_http_msg *e = event_reserve(sizeof(*e), FR_EV_HTTP);
	__u64 pt;

	if (!e)
		return NULL;
	pt = bpf_get_current_pid_tgid();
	e->ts = bpf_ktime_get_boot_ns();
	e->cookie = cookie;
	e->pid = pt >> 32;
	e->tid = (__u32)pt;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->len = (__u32)len;
	e->dir = dir;
	e->tls = tls;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	return e;
}

/* Copy the first FR_HTTP_CAP of the N bytes at user BUF into E and send it. */
static __always_inline void http_msg_submit(struct fr_http_msg *e, __u64 buf, __u64 n)
{
	__u32 cap = n < FR_HTTP_CAP ? (__u32)n : FR_HTTP_CAP;

	if (bpf_probe_read_user(e->data, cap & 0xff, (const void *)buf))
		cap = 0;
	e->cap = cap;
	event_submit(e);
}

/*
 * The data looked like HTTP: when FD is a TCP socket, an fr_http_msg with
 * its addresses and the first FR_HTTP_CAP of the LEN bytes at BUF (N of
 * them in the buffer).  Its own subprogram: verified once, and the hot
 * path stays short.
 */
static __noinline int http_capture(__u64 fd, __u64 buf, __u64 len, __u64 n, __u64 dir)
{
	struct sock *sk = sock_tcp_of_fd(fd);
	struct fr_http_msg *e;

	if (!sk || !sock_family(sk) || event_shed(SHED_HTTP)) /* overload: counted, not read */
		return 0;
	e = http_msg_reserve((__u64)sk, len, dir, 0);
	if (!e)
		return 0;
	e->family = sock_ends(sk, SOCK_LIVE, e->laddr, e->raddr, &e->lport, &e->rport);
	http_msg_submit(e, buf, n);
	return 0;
}

/* The first buffer of a readv/writev (IOV) or sendmsg/recvmsg (MSG) and its length. */
static __noinline __u64 http_first_iov(__u64 nr, __u64 arg, __u64 *len)
{
	__u64 iov[2] = {}; /* struct iovec: base, len */
	__u64 p = arg;

	if (nr == HTTP_NR_sendmsg || nr == HTTP_NR_recvmsg) {
		/* struct user_msghdr: name, namelen (+pad), iov, iovlen */
		if (bpf_probe_read_user(&p, sizeof(p), (const void *)(arg + 16)))
			return 0;
	}
	if (bpf_probe_read_user(iov, sizeof(iov), (const void *)p))
		return 0;
	*len = iov[1];
	return iov[0];
}

/*
 * At the exit of call NR (SCF_HTTP) that returned RET, with arguments FD
 * and ARG1.  A global function: the verifier checks it once, on its own,
 * and the caller only sees a call that returns a number.  As a static
 * subprogram (or inlined) it was walked again for every state of sys_exit
 * that reached it, and sys_exit_tid went past the verifier's million
 * instructions.
 */
__noinline int http_exit(__u64 nr, long ret, __u64 fd, __u64 arg1)
{
	__u64 buf = arg1, n = (__u64)ret, dir;
	__u32 w = 0;

	if (ret < HTTP_MIN_LEN)
		return 0;

	if (nr == HTTP_NR_readv || nr == HTTP_NR_writev || nr == HTTP_NR_sendmsg || nr == HTTP_NR_recvmsg) {
		__u64 ilen = 0;

		buf = http_first_iov(nr, arg1, &ilen);
		if (ilen < n)
			n = ilen;
		if (!buf || n < 4)
			return 0;
	}
	if (bpf_probe_read_user(&w, sizeof(w), (const void *)buf) || !http_start(w))
		return 0;
	dir = nr == HTTP_NR_read || nr == HTTP_NR_readv || nr == HTTP_NR_recvfrom || nr == HTTP_NR_recvmsg
		      ? FR_HTTP_IN
		      : FR_HTTP_OUT;
	return http_capture(fd, buf, (__u64)ret, n, dir);
}

#endif
