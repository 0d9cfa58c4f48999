/*
 * dns_exit.bpf.h - DNS messages read at the exit of the system call that
 * moved them, by bpf/syscall.bpf.c's sys_exit (when the dns family is on:
 * dns_note), from the buffers of the process that sent or received them.
 *
 * This replaces, by default, the dns object's two cgroup_skb programs,
 * which ran on every IP packet of the host (about 55 ns each, most of it
 * the kernel's dispatch) to find the few bound to or from port 53.  Here
 * the work is done only by the processes bpf/dns_sock.bpf.h notes (those
 * that connected a socket to port 53 or sent a datagram there), and only
 * in their sends and receives; every other exit pays a test of the call
 * number, and a send or receive of a process not noted two loads from the
 * page every exit reads (bpf/exit_gates.bpf.h).
 *
 * A message is taken from a send or receive on a socket whose peer is on
 * port 53: the socket's own peer when it is connected (UDP as glibc and Go
 * use it, TCP), else the address the call names (sendto/recvfrom's, the
 * msghdr's msg_name: unconnected UDP as musl and dig use it).  What it
 * reads, per call (x86_64 registers at the exit: di the descriptor, si the
 * buffer, iovec or msghdr, r8 sendto/recvfrom's address):
 *
 *   read, write, recvfrom, sendto    the buffer, the bytes moved
 *   readv, writev                    the first iovec (the second when
 *                                    the first is a TCP message's 2-byte
 *                                    length, as glibc writes it)
 *   recvmsg, sendmsg                 the msghdr's first iovec
 *   recvmmsg, sendmmsg               each message's, the first
 *                                    DNS_EXIT_MMSG_MAX (glibc sends A and
 *                                    AAAA in one sendmmsg)
 *
 * Over TCP a chunk that starts with its own length (2 bytes, the rest of
 * the chunk) has it skipped; a chunk of 2 bytes or fewer is a length read
 * on its own (glibc and Python read it first) and is no message.  The
 * response is stamped when its receive returns, after any wait for it.
 * The messages of a socket the process inherited (fork) or was passed
 * (SCM_RIGHTS) without connecting it are not seen; nor are those of a
 * socket connected before the recorder started by a process the
 * recorder's scan at start did not find (recorder/dns_scan.c).
 */
#ifndef FR_DNS_EXIT_BPF_H
#define FR_DNS_EXIT_BPF_H

#include <bpf/bpf_endian.h>

#include "dns.bpf.h"
#include "dns_sock.bpf.h"
#include "sock.bpf.h"

#define DNS_EXIT_PORT 53
#define DNS_EXIT_UDP 17
#define DNS_EXIT_MMSG_MAX 4
#define DNS_EXIT_MMSG_SIZE 64  /* struct mmsghdr: a msghdr (56 bytes), msg_len, padding */
#define DNS_EXIT_MSG_LEN 56    /* offsetof(struct mmsghdr, msg_len) */
#define DNS_EXIT_AF_INET 2
#define DNS_EXIT_AF_INET6 10

/* Whether the current process (TGID) is one bpf/dns_sock.bpf.h notes: exit_gates' cache, else the hash. */
static __always_inline int dns_proc_noted(__u32 tgid)
{
	struct exit_gates *g = exit_gates_get();
	__u64 epoch, want, *seen;
	int noted;

	if (!g)
		return 0;
	epoch = (g->dns_epoch & 0x7fffffff) << 1;
	want = (__u64)tgid << 32 | epoch;
	seen = &g->dns_seen[tgid & (EXIT_GATES_SEEN - 1)];
	if ((*seen & ~1ULL) == want)
		return *seen & 1;
	/* the epoch read before the hash: a note made meanwhile moves it, and the next call looks again */
	noted = bpf_map_lookup_elem(&dns_procs, &tgid) != NULL;
	*seen = want | noted;
	return noted;
}

/* The ends of a message: the socket's, its peer possibly from the call's address. */
struct dns_ends {
	__u8 laddr[16], raddr[16];
	__u16 lport, rport;
	__u8 family, proto;
	__u8 connected;
};

/* The peer at user address SA (a sockaddr_in or _in6) into D when it is on port 53; 1 if so. */
static __always_inline int dns_exit_peer(__u64 sa, struct dns_ends *d)
{
	struct {
		__u16 family;
		__u16 port; /* network order */
		__u32 v4;
	} h;

	if (!sa || bpf_probe_read_user(&h, sizeof(h), (void *)sa))
		return 0;
	if (h.port != bpf_htons(DNS_EXIT_PORT))
		return 0;
	__builtin_memset(d->raddr, 0, sizeof(d->raddr));
	if (h.family == DNS_EXIT_AF_INET && d->family == 4)
		__builtin_memcpy(d->raddr, &h.v4, 4);
	else if (h.family == DNS_EXIT_AF_INET6 && d->family == 6) {
		if (bpf_probe_read_user(d->raddr, 16, (void *)(sa + 8)))
			return 0;
	} else {
		return 0;
	}
	d->rport = DNS_EXIT_PORT;
	return 1;
}

/* One DNS message of N bytes at user address BUF, sent or received (WAY) between the ends D. */
static __always_inline void dns_exit_message(const struct dns_ends *d, int way, __u64 buf, __u64 n)
{
	struct fr_dns_event *e;
	__u16 len;
	__u64 cnt;

	if (d->proto == IPPROTO_TCP) {
		if (n <= 2 || bpf_probe_read_user(&len, sizeof(len), (void *)buf))
			return;
		if (bpf_ntohs(len) + 2 == n) {
			buf += 2;
			n -= 2;
		}
	}
	if (n < 12)
		return; /* no DNS header */
	e = event_reserve(sizeof(*e), FR_EV_DNS);
	if (!e)
		return;
	e->ts = bpf_ktime_get_boot_ns();
	e->latency_ns = 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->what = way == SOCK_CALL_SEND ? FR_DNS_QUERY : FR_DNS_RESPONSE;
	e->proto = d->proto;
	e->family = d->family;
	e->pad = 0;
	e->client_port = d->lport;
	e->server_port = d->rport;
	__builtin_memcpy(e->client, d->laddr, sizeof(e->client));
	__builtin_memcpy(e->server, d->raddr, sizeof(e->server));
	e->result = 0;
	e->answers = 0;
	/* a 64-bit copy, bounded in the register the call takes (as in bpf/dns.bpf.c) */
	cnt = n > FR_DNS_CAP ? FR_DNS_CAP : n;
	asm volatile("" : "+r"(cnt));
	if (cnt < 1 || cnt > FR_DNS_CAP || bpf_probe_read_user(e->data, cnt, (void *)buf))
		cnt = 0;
	e->len = cnt;
	event_submit(e);
}

/*
 * The message of an iovec array at user address IOV of the bytes MOVED:
 * the first iovec's, or the second's when the first holds only a TCP
 * message's length.
 */
static __always_inline void dns_exit_iov(const struct dns_ends *d, int way, __u64 iov, __u64 moved)
{
	struct {
		__u64 base;
		__u64 len;
	} v[2];

	if (!iov || bpf_probe_read_user(&v[0], sizeof(v[0]), (void *)iov))
		return;
	if (d->proto == IPPROTO_TCP && v[0].len == 2 && moved > 2) {
		if (bpf_probe_read_user(&v[1], sizeof(v[1]), (void *)(iov + sizeof(v[0]))))
			return;
		moved -= 2;
		dns_exit_message(d, way, v[1].base, moved < v[1].len ? moved : v[1].len);
		return;
	}
	dns_exit_message(d, way, v[0].base, moved < v[0].len ? moved : v[0].len);
}

/* The message of the msghdr at user address MSG, of the bytes MOVED. */
static __always_inline void dns_exit_msghdr(struct dns_ends *d, int way, __u64 msg, __u64 moved)
{
	struct {
		__u64 name;
		__u64 namelen;
		__u64 iov;
		__u64 iovlen;
	} m;

	if (!msg || bpf_probe_read_user(&m, sizeof(m), (void *)msg) || !m.iovlen)
		return;
	if (!d->connected && !dns_exit_peer(m.name, d))
		return;
	dns_exit_iov(d, way, m.iov, moved);
}

/*
 * At the exit of call NR, which moved RET > 0 bytes (or messages) on
 * descriptor FD, of a process bpf/dns_sock.bpf.h notes: the DNS messages
 * it moved, if FD is a UDP or TCP socket whose peer is on port 53.  ARG
 * is the call's second argument (buffer, iovec, msghdr or mmsghdr), ADDR
 * its fifth (sendto and recvfrom's address).
 */
static __always_inline void dns_exit_note(__u64 nr, __u64 ret, __u64 fd, __u64 arg, __u64 addr)
{
	int way = sock_call_way(nr);
	struct dns_ends d;
	struct sock *sk;
	__u32 n;

	if (way == SOCK_CALL_NONE || !(sk = sock_of_fd(fd)))
		return;
	d.proto = BPF_CORE_READ(sk, sk_protocol);
	if (d.proto != IPPROTO_TCP && d.proto != DNS_EXIT_UDP)
		return;
	d.family = sock_ends(sk, SOCK_LIVE, d.laddr, d.raddr, &d.lport, &d.rport);
	if (!d.family)
		return;
	d.connected = d.rport != 0;
	if (d.connected && d.rport != DNS_EXIT_PORT)
		return;
	if (!d.connected && d.proto != DNS_EXIT_UDP)
		return;
	switch (nr) {
	case 0:  /* read */
	case 1:  /* write */
		if (d.connected)
			dns_exit_message(&d, way, arg, ret);
		break;
	case 44: /* sendto */
	case 45: /* recvfrom */
		if (d.connected || dns_exit_peer(addr, &d))
			dns_exit_message(&d, way, arg, ret);
		break;
	case 19: /* readv */
	case 20: /* writev */
		if (d.connected)
			dns_exit_iov(&d, way, arg, ret);
		break;
	case 46: /* sendmsg */
	case 47: /* recvmsg */
		dns_exit_msghdr(&d, way, arg, ret);
		break;
	default: /* sendmmsg, recvmmsg: RET messages */
		for (__u32 i = 0; i < DNS_EXIT_MMSG_MAX; i++) {
			__u64 m = arg + i * DNS_EXIT_MMSG_SIZE;

			if (i >= ret || bpf_probe_read_user(&n, sizeof(n), (void *)(m + DNS_EXIT_MSG_LEN)))
				break;
			dns_exit_msghdr(&d, way, m, n);
		}
		break;
	}
}

/*
 * At every exit of sys_exit (call NR, returning RET; DI, SI and R8 the
 * saved registers of the call's first, second and fifth arguments): the
 * DNS messages of a send or receive that moved something, by a process
 * that talks to a DNS server.  A global function, verified once on its
 * own, as tls_exit_note is: sys_exit sees only a call.
 */
__noinline int dns_exit_check(__u64 nr, __s64 ret, __u64 di, __u64 si, __u64 r8)
{
	if (ret <= 0 || !sock_call_maybe(nr) || !dns_proc_noted(bpf_get_current_pid_tgid() >> 32))
		return 0;
	dns_exit_note(nr, (__u64)ret, di, si, r8);
	return 0;
}

#endif
