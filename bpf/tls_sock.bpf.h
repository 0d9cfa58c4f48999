/*
 * tls_sock.bpf.h - what the two objects that find a TLS handshake's socket
 * share: the handshakes in progress (per SSL object), the probed libssl
 * call each thread is in, and how many threads are in one.
 *
 * bpf/tls.bpf.c's uprobes keep these.  The socket is noted by whichever
 * of two ways the recorder chose (recorder/family_tls.c): by default the
 * syscall family's sys_exit, which runs on every send and receive anyway
 * (bpf/tls_exit.bpf.h); or, when that exit is not there (the syscall
 * family off or failed, or in its pre-5.11 tid mode), the tls object's
 * own sock_send_length/sock_recv_length tracepoints.  For the first way
 * both objects declare these maps from this header and the recorder hands
 * the tls object the syscall object's (bpf_map__reuse_fd), so they are
 * the same kernel maps.
 */
#ifndef FR_TLS_SOCK_BPF_H
#define FR_TLS_SOCK_BPF_H

#include "exit_gates.bpf.h"
#include "sock.bpf.h"
#include "tls.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct tls_call);
} tls_calls SEC(".maps");

struct hs_key {
	__u64 ssl;
	__u32 pid;
	__u32 pad;
};

/* A handshake in progress, per SSL object. */
struct hs {
	__u64 start_ts;
	__u64 cookie;          /* of the call that began it */
	__u8 laddr[16], raddr[16];
	__u16 lport, rport;
	__u8 family;           /* 0 until a socket was seen */
	__u8 awaiting_error;   /* the last call returned <= 0: SSL_get_error decides */
	__u8 role;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct hs_key);
	__type(value, struct hs);
} handshakes SEC(".maps");

/*
 * Whether some thread is inside a probed libssl call (exit_gates'
 * tls_inflight): the one load every caller pays while it is 0.  The
 * recorder takes back the count of a thread that died inside a call (its
 * exit never came): left, it would make every read and write on the host
 * look further.
 */
static __always_inline int tls_any_inflight(void)
{
	struct exit_gates *g = exit_gates_get();

	return g && g->tls_inflight > 0;
}

/* ADD (1 or -1) to the threads inside a probed call. */
static __always_inline void tls_inflight_add(__s64 add)
{
	struct exit_gates *g = exit_gates_get();

	if (g)
		__sync_fetch_and_add(&g->tls_inflight, add);
}

/*
 * The handshake the current thread is driving, if it has no socket yet:
 * the SSL of its probed call, the handshake of that SSL in its process.
 * NULL otherwise.
 */
static __always_inline struct hs *tls_handshake_wanting_socket(void)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pt;
	struct tls_call *c;
	struct hs_key k;
	struct hs *h;

	c = bpf_map_lookup_elem(&tls_calls, &tid);
	if (!c || !c->depth)
		return NULL;
	k.ssl = c->ssl;
	k.pid = pt >> 32;
	k.pad = 0;
	h = bpf_map_lookup_elem(&handshakes, &k);
	if (!h || h->family)
		return NULL;
	return h;
}

/* SK, a TCP socket the thread of H sent or received on: the ends of H. */
static __always_inline void tls_note_socket(struct hs *h, const struct sock *sk)
{
	h->family = sock_ends(sk, SOCK_LIVE, h->laddr, h->raddr, &h->lport, &h->rport);
}

#endif
