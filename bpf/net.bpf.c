// SPDX-License-Identifier: GPL-2.0
/*
 * net.bpf.c - TCP connections from socket state changes, without kprobes:
 *
 *   CLOSE -> SYN_SENT        an active open, in the connecting process
 *   SYN_SENT -> ESTABLISHED  its connect latency
 *   SYN_SENT -> CLOSE        a failed connect: refused when a reset came
 *                            back, else timed out
 *   SYN_RECV -> ESTABLISHED  a passive open (in softirq: the accepting
 *                            process is not known yet; the process that
 *                            closes the socket names it)
 *   ... -> CLOSE             the end: one `conn` event with the byte counts
 *                            and retransmits read from tcp_sock (CO-RE)
 *
 * Resets sent and received are noted per socket (tcp_send_reset,
 * tcp_receive_reset).  Sockets are keyed by address and always deleted at
 * CLOSE.  Addresses travel as raw bytes in laddr/raddr; the recorder
 * formats them as text before they are written.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "maps.bpf.h"
#include "net.bpf.h"
#include "sock.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_FIN_WAIT1 4
#define TCP_CLOSE 7
#define TCP_CLOSE_WAIT 8
#define TCP_LAST_ACK 9

#define F_CONNECT 0x1
#define F_RST_SENT 0x2
#define F_RST_RECEIVED 0x4


struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* the socket's address */
	__type(value, struct conn);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} net_lost SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&net_lost, &zero);

	if (n)
		*n += 1;
}

/*
 * ESTABLISHED -> FIN_WAIT1 and CLOSE_WAIT -> LAST_ACK happen only in
 * tcp_close() and tcp_shutdown(): in the process that closes the socket.
 */
static __always_inline void note_process(struct conn *c)
{
	if (c->pid)
		return;
	c->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(c->comm, sizeof(c->comm));
}

/* Addresses and ports, for connections still open when a snapshot is taken. */
static __always_inline void note_addresses(const struct sock *sk, struct conn *c)
{
	c->family = sock_ends(sk, SOCK_LIVE, c->laddr, c->raddr, &c->lport, &c->rport);
}

static __always_inline void emit(const struct sock *sk, struct conn *c, __u64 now, const char *outcome, int olen)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct fr_conn *e = event_reserve(sizeof(*e), FR_KIND_conn);

	if (!e)
		return;
	e->ts = c->start_ts;
	e->end_ts = now;
	e->pid = c->pid;
	__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
	/* raw address bytes, which the recorder turns into text; at CLOSE
	 * skc_num is gone, so the local port comes from inet_sport */
	e->family = sock_ends(sk, SOCK_CLOSED, e->laddr, e->raddr, &e->lport, &e->rport);
	if (c->flags & F_CONNECT)
		__builtin_memcpy(e->direction, "connect", 8);
	else
		__builtin_memcpy(e->direction, "accept", 7);
	e->connect_ns = c->established_ts && (c->flags & F_CONNECT) ? c->established_ts - c->start_ts : 0;
	/* data bytes: bytes_sent (4.19+) leaves out SYN and FIN, which
	 * bytes_acked counts; bytes_received counts the peer's FIN, if any */
	e->bytes_sent = BPF_CORE_READ(tp, bytes_sent);
	e->bytes_received = BPF_CORE_READ(tp, bytes_received);
	if (e->bytes_received && (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown) & 1 /* RCV_SHUTDOWN */))
		e->bytes_received--;
	e->duration_ns = now - c->start_ts;
	e->retransmits = BPF_CORE_READ(tp, total_retrans);
	__builtin_memset(e->outcome, 0, sizeof(e->outcome));
	bpf_probe_read_kernel_str(e->outcome, sizeof(e->outcome), outcome);
	event_submit(e);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 key = (__u64)sk, now = bpf_ktime_get_boot_ns();
	struct conn *c;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT) {
		struct conn n = { .start_ts = now, .flags = F_CONNECT };
		n.pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(n.comm, sizeof(n.comm));
		note_addresses(sk, &n);
		if (bpf_map_update_elem(&conns, &key, &n, BPF_ANY))
			count_lost();
		return 0;
	}
	if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
		struct conn n = { .start_ts = now, .established_ts = now };
		note_addresses(sk, &n);
		if (bpf_map_update_elem(&conns, &key, &n, BPF_NOEXIST) && !bpf_map_lookup_elem(&conns, &key))
			count_lost();
		return 0;
	}
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0; /* opened before the recorder started */
	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT) {
		c->established_ts = now;
		/* tcp_v4_connect() and tcp_v6_connect() enter SYN_SENT before
		 * inet_hash_connect() picks the local port: read it now, for a
		 * connection still open at a snapshot (conn_pairs needs it) */
		c->lport = sock_lport(sk, SOCK_LIVE);
		return 0;
	}
	if ((newstate == TCP_FIN_WAIT1 && oldstate == TCP_ESTABLISHED) ||
	    (newstate == TCP_LAST_ACK && oldstate == TCP_CLOSE_WAIT))
		note_process(c);
	if (newstate != TCP_CLOSE)
		return 0;
	/*
	 * An orderly close passes through FIN_WAIT*, CLOSING, LAST_ACK or
	 * TIME_WAIT; straight from ESTABLISHED or CLOSE_WAIT to CLOSE without a
	 * reset received is an abort by this side (tcp_disconnect() closes the
	 * socket before it sends the reset, so tcp_send_reset comes too late).
	 */
	if (oldstate == TCP_SYN_SENT)
		emit(sk, c, now, c->flags & F_RST_RECEIVED ? "refused" : "timeout", 8);
	else if (c->flags & F_RST_RECEIVED)
		emit(sk, c, now, "reset-received", 15);
	else if ((c->flags & F_RST_SENT) || oldstate == TCP_ESTABLISHED || oldstate == TCP_CLOSE_WAIT)
		emit(sk, c, now, "reset-sent", 11);
	else
		emit(sk, c, now, "closed", 7);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

static __always_inline void flag(const struct sock *sk, __u32 f)
{
	__u64 key = (__u64)sk;
	struct conn *c;

	if (!sk)
		return;
	c = bpf_map_lookup_elem(&conns, &key);
	if (c)
		c->flags |= f;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(handle_receive_reset, struct sock *sk)
{
	flag(sk, F_RST_RECEIVED);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(handle_send_reset, const struct sock *sk)
{
	flag(sk, F_RST_SENT);
	return 0;
}
