// SPDX-License-Identifier: GPL-2.0
/*
 * tls.bpf.c - TLS handshakes through OpenSSL's libssl: when each began,
 * how long it took, whether it finished, and why not.
 *
 * Uprobes (entry and return) on SSL_do_handshake, SSL_connect and
 * SSL_accept, which drive a handshake explicitly, and on SSL_read(_ex)
 * and SSL_write(_ex), which drive it implicitly when the application never
 * called one of those (openssl s_client writes 0 bytes to do it).  A
 * handshake is kept per SSL object (per process), from the first call that
 * drove it to the call after which it is done, so the latency of a
 * non-blocking handshake spans its retries.  It is done when an explicit
 * call returned 1, or when the SSL's in_init flag is clear after the call.
 * A call that returned <= 0 is judged by the application's SSL_get_error
 * on the same thread: SSL_ERROR_WANT_* means "call again", anything else
 * ends the handshake as failed with that code (and the verify result, for
 * a certificate that did not verify).  A failure the application never
 * asks SSL_get_error about is not recorded.
 *
 * Struct offsets: in_init, server and verify_result of struct ssl_st move
 * between OpenSSL releases, so they are not compiled in: the recorder
 * reads them off the library's own one-load accessors (SSL_in_init,
 * SSL_is_server, SSL_get_verify_result) and passes them in each uprobe's
 * cookie.  Where an accessor is not a single load (OpenSSL 3.2 and later
 * wrap the connection object), that offset is TLS_OFF_NONE: handshakes
 * driven by SSL_read/SSL_write are then not seen, the role comes from the
 * function (SSL_connect or SSL_accept) alone, and no verify result.
 *
 * The socket: its descriptor lives behind the SSL's BIO, whose layout is
 * private and which may not be a socket at all (curl's BIO is its own).
 * What is certain is that a blocking or non-blocking handshake call sends
 * or receives on its socket from the calling thread.  So the thread's
 * current SSL call is kept (bpf/tls_sock.bpf.h, shared), and the first
 * TCP socket that thread sends or receives on during the handshake is
 * noted: by default at the exit of that system call, by the syscall
 * family's sys_exit (bpf/tls_exit.bpf.h), which runs anyway; without it,
 * by this object's sock_send_length/sock_recv_length tracepoints (every
 * sendmsg/recvmsg, read/write on a socket included).  Either returns at
 * once unless some thread is inside a probed call (tls_inflight), so
 * other traffic pays one load.
 *
 * HTTP over TLS (only with the http family on: http_wanted): the
 * plaintext that SSL_read(_ex) returned or SSL_write(_ex) sent, when it
 * starts like an HTTP/1.x request or status line, goes to the recorder as
 * the same fr_http_msg the syscall family makes of plain sockets
 * (bpf/http.bpf.h), with tls 1, the SSL object as the connection's cookie
 * and the addresses its handshake went over (tls_conns; empty for a
 * session older than the recorder).  Bounded as there: FR_HTTP_CAP bytes.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "maps.bpf.h"
#include "tls.bpf.h"
#include "http.bpf.h"
#include "tls_sock.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* SSL_get_error codes (openssl/ssl.h, stable since 0.9.x). */
#define SSL_ERROR_NONE 0
#define SSL_ERROR_SSL 1
#define SSL_ERROR_SYSCALL 5
#define SSL_ERROR_ZERO_RETURN 6

/* Set by the recorder when the http family is on. */
const volatile __u8 http_wanted = 0;

/* The socket of a finished handshake, per SSL object: the addresses of its HTTP rows. */
struct tls_conn {
	__u8 laddr[16], raddr[16];
	__u16 lport, rport;
	__u8 family;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct hs_key);
	__type(value, struct tls_conn);
} tls_conns SEC(".maps");

/* An SSL_read/SSL_write in progress, per thread, for its plaintext. */
struct io_args {
	__u64 ssl;
	__u64 buf;
	__u64 count_ptr; /* _ex: where the byte count goes */
	__u32 fn;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct io_args);
} io_args SEC(".maps");

/* The SSL passed to SSL_get_error, from its entry to its return, per thread. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} get_error_args SEC(".maps");

static __always_inline int read_int(__u64 ssl, unsigned off, int *v)
{
	if (off == TLS_OFF_NONE)
		return -1;
	return bpf_probe_read_user(v, sizeof(*v), (void *)(ssl + off)) ? -1 : 0;
}

static __always_inline __u8 role_of(__u64 ssl, __u64 cookie)
{
	int server;

	switch (TLS_COOKIE_FN(cookie)) {
	case TLS_FN_CONNECT:
		return TLS_ROLE_CLIENT;
	case TLS_FN_ACCEPT:
		return TLS_ROLE_SERVER;
	}
	if (read_int(ssl, TLS_COOKIE_SERVER(cookie), &server))
		return TLS_ROLE_UNKNOWN;
	return server ? TLS_ROLE_SERVER : TLS_ROLE_CLIENT;
}

static __always_inline void emit(struct hs *h, struct hs_key *k, __u64 cookie, int ok, int error)
{
	struct fr_tls_event *e = event_reserve(sizeof(*e), FR_EV_TLS);
	__u64 now = bpf_ktime_get_boot_ns();
	unsigned voff = TLS_COOKIE_VERIFY(cookie);
	long verify = -1;

	if (!e)
		return;
	e->ts = h->start_ts;
	e->latency_ns = now - h->start_ts;
	e->pid = k->pid;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->laddr, h->laddr, 16);
	__builtin_memcpy(e->raddr, h->raddr, 16);
	e->lport = h->lport;
	e->rport = h->rport;
	e->family = h->family;
	e->role = h->role != TLS_ROLE_UNKNOWN ? h->role : role_of(k->ssl, cookie);
	e->ok = ok;
	e->lib = TLS_COOKIE_LIB(cookie);
	e->error = error;
	e->pad = 0;
	if (voff != TLS_OFF_NONE && bpf_probe_read_user(&verify, sizeof(verify), (void *)(k->ssl + voff)))
		verify = -1;
	e->verify = verify;
	event_submit(e);
	if (http_wanted && ok && h->family) {
		struct tls_conn c = { .lport = h->lport, .rport = h->rport, .family = h->family };

		__builtin_memcpy(c.laddr, h->laddr, 16);
		__builtin_memcpy(c.raddr, h->raddr, 16);
		bpf_map_update_elem(&tls_conns, k, &c, BPF_ANY);
	}
}

/* The plaintext of an SSL_read/SSL_write that returned: an fr_http_msg when it starts like HTTP/1.x. */
static __noinline int http_plaintext(__u64 ssl, __u64 buf, __u64 n, __u32 dir)
{
	struct hs_key k = { .ssl = ssl, .pid = bpf_get_current_pid_tgid() >> 32 };
	struct fr_http_msg *e;
	struct tls_conn *c;
	__u32 w = 0;

	if (n < HTTP_MIN_LEN || bpf_probe_read_user(&w, sizeof(w), (const void *)buf) || !http_start(w))
		return 0;
	if (event_shed(SHED_HTTP)) /* overload: counted, not read */
		return 0;
	e = http_msg_reserve(ssl, n, dir, 1);
	if (!e)
		return 0;
	c = bpf_map_lookup_elem(&tls_conns, &k);
	if (c) {
		__builtin_memcpy(e->laddr, c->laddr, 16);
		__builtin_memcpy(e->raddr, c->raddr, 16);
		e->lport = c->lport;
		e->rport = c->rport;
		e->family = c->family;
	} else {
		__builtin_memset(e->laddr, 0, sizeof(e->laddr));
		__builtin_memset(e->raddr, 0, sizeof(e->raddr));
		e->lport = e->rport = 0;
		e->family = 0;
	}
	http_msg_submit(e, buf, n);
	return 0;
}

/* At the return of an SSL_read/SSL_write (_ex) that returned RET: its plaintext, when HTTP is wanted. */
static __always_inline void io_returned(__u32 tid, int ret)
{
	struct io_args *a = bpf_map_lookup_elem(&io_args, &tid);
	__u64 n = 0;
	__u32 dir;

	if (!a)
		return;
	if (a->fn == TLS_FN_READ_EX || a->fn == TLS_FN_WRITE_EX) {
		if (ret == 1 && bpf_probe_read_user(&n, sizeof(n), (const void *)a->count_ptr))
			n = 0;
	} else if (ret > 0) {
		n = (__u64)ret;
	}
	dir = a->fn == TLS_FN_READ || a->fn == TLS_FN_READ_EX ? FR_HTTP_IN : FR_HTTP_OUT;
	if (n)
		http_plaintext(a->ssl, a->buf, n, dir);
	bpf_map_delete_elem(&io_args, &tid);
}

SEC("uprobe")
int handle_call(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), ssl = PT_REGS_PARM1(ctx), pt = bpf_get_current_pid_tgid();
	unsigned fn = TLS_COOKIE_FN(cookie);
	__u32 tid = (__u32)pt;
	struct hs_key k = { .ssl = ssl, .pid = pt >> 32 };
	struct tls_call *c, nc = { .ssl = ssl, .cookie = cookie, .depth = 1 };
	struct hs *h;

	if (!ssl)
		return 0;
	if (fn == TLS_FN_GET_ERROR) {
		bpf_map_update_elem(&get_error_args, &tid, &ssl, BPF_ANY);
		return 0;
	}
	if (http_wanted && TLS_FN_IS_IO(fn)) {
		struct io_args a = { .ssl = ssl, .buf = PT_REGS_PARM2(ctx), .count_ptr = PT_REGS_PARM4(ctx), .fn = fn };

		bpf_map_update_elem(&io_args, &tid, &a, BPF_ANY);
	}
	c = bpf_map_lookup_elem(&tls_calls, &tid);
	if (c && c->depth) {
		/* SSL_connect calling SSL_do_handshake, and the like: the outer call counts */
		if (c->ssl == ssl)
			c->depth++;
		return 0;
	}
	h = bpf_map_lookup_elem(&handshakes, &k);
	if (TLS_FN_IS_IO(fn)) {
		int in_init = 0;

		/* data on an established session, the common case: nothing to do */
		if (!h && (read_int(ssl, TLS_COOKIE_IN_INIT(cookie), &in_init) || !in_init))
			return 0;
	}
	if (!h) {
		struct hs nh = { .start_ts = bpf_ktime_get_boot_ns(), .cookie = cookie };

		bpf_map_update_elem(&handshakes, &k, &nh, BPF_ANY);
	} else {
		h->awaiting_error = 0;
	}
	bpf_map_update_elem(&tls_calls, &tid, &nc, BPF_ANY);
	tls_inflight_add(1);
	return 0;
}

/* The end of a probed call that may have taken part in a handshake. */
static __always_inline void call_returned(__u64 pt, int ret)
{
	__u32 tid = (__u32)pt;
	struct hs_key k = { .pid = pt >> 32 };
	int in_init = 1, done;
	struct tls_call *c;
	__u64 cookie;
	struct hs *h;

	c = bpf_map_lookup_elem(&tls_calls, &tid);
	if (!c || !c->depth)
		return; /* a call that did not take part in a handshake */
	if (--c->depth)
		return;
	k.ssl = c->ssl;
	cookie = c->cookie; /* the outermost call's */
	bpf_map_delete_elem(&tls_calls, &tid);
	tls_inflight_add(-1);
	h = bpf_map_lookup_elem(&handshakes, &k);
	if (!h)
		return;
	if (TLS_FN_IS_IO(TLS_COOKIE_FN(cookie)))
		done = !read_int(k.ssl, TLS_COOKIE_IN_INIT(cookie), &in_init) && !in_init;
	else
		done = ret == 1;
	if (done) {
		emit(h, &k, cookie, 1, SSL_ERROR_NONE);
		bpf_map_delete_elem(&handshakes, &k);
		return;
	}
	if (ret <= 0) {
		h->awaiting_error = 1;
		if (!h->role)
			h->role = role_of(k.ssl, cookie);
	}
}

SEC("uretprobe")
int handle_return(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), pt = bpf_get_current_pid_tgid();
	unsigned fn = TLS_COOKIE_FN(cookie);
	int ret = (int)PT_REGS_RC(ctx);
	__u32 tid = (__u32)pt;
	struct hs_key k = { .pid = pt >> 32 };
	struct hs *h;

	if (fn == TLS_FN_GET_ERROR) {
		__u64 *ssl = bpf_map_lookup_elem(&get_error_args, &tid);

		if (!ssl)
			return 0;
		k.ssl = *ssl;
		bpf_map_delete_elem(&get_error_args, &tid);
		h = bpf_map_lookup_elem(&handshakes, &k);
		if (!h || !h->awaiting_error)
			return 0;
		h->awaiting_error = 0;
		/* SSL_ERROR_WANT_*: a non-blocking handshake that goes on */
		if (ret != SSL_ERROR_SSL && ret != SSL_ERROR_SYSCALL && ret != SSL_ERROR_ZERO_RETURN)
			return 0;
		emit(h, &k, h->cookie, 0, ret);
		bpf_map_delete_elem(&handshakes, &k);
		return 0;
	}
	call_returned(pt, ret);
	/* after: a handshake this call finished has noted its socket for the plaintext's row */
	if (http_wanted && TLS_FN_IS_IO(fn))
		io_returned(tid, ret);
	return 0;
}

/*
 * The fallback way to the handshake's socket (bpf/tls_sock.bpf.h): the
 * first TCP socket a thread inside a handshake call sends or receives on,
 * seen by the socket layer's tracepoints.  They run on every send and
 * receive of the host, and return after one load while no thread is
 * inside a probed call.
 */
static __always_inline int note_socket(const struct sock *sk)
{
	struct hs *h;

	if (!tls_any_inflight())
		return 0;
	h = tls_handshake_wanting_socket();
	if (!h || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	tls_note_socket(h, sk);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(handle_sock_send, struct sock *sk, int ret, int flags)
{
	return note_socket(sk);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(handle_sock_recv, struct sock *sk, int ret, int flags)
{
	return note_socket(sk);
}
