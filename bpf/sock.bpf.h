/*
 * sock.bpf.h - the two ends of an IPv4 or IPv6 socket (family, addresses,
 * ports), read the one way every family that names a connection reads
 * them: bpf/net.bpf.c (conn), bpf/tls.bpf.c (the handshake's socket),
 * bpf/http.bpf.h (the HTTP message's connection) and bpf/dns_exit.bpf.h
 * (the DNS message's ends).
 *
 * Addresses go out as raw bytes, 16 of them (IPv4 in the first 4, the rest
 * zero), and ports in host order: the recorder turns them into text
 * (recorder/family_net.c, family_tls.c, http.c).
 */
#ifndef FR_SOCK_BPF_H
#define FR_SOCK_BPF_H

#define SOCK_AF_INET 2
#define SOCK_AF_INET6 10
#ifndef IPPROTO_TCP
#define IPPROTO_TCP 6
#endif
/* From the uapi's stat.h: macros, not in BTF. */
#define SOCK_S_IFMT 00170000
#define SOCK_S_IFSOCK 0140000

/*
 * Where the local port is read from, which depends on when: skc_num while
 * the socket holds its port, inet_sport once it gave it back.  At the
 * CLOSE of inet_sock_set_state skc_num is already 0 (inet_put_port() runs
 * before the tracepoint), while inet_sport, the same port in network
 * order, stays until the socket is freed.  Before the port is chosen
 * (SYN_SENT of a connect: inet_hash_connect() comes after) both are 0.
 */
enum sock_when {
	SOCK_LIVE,   /* the socket holds its port: skc_num */
	SOCK_CLOSED, /* it went to CLOSE: inet_sport */
};

/* 4 or 6 for an IPv4 or IPv6 socket, 0 for another family. */
static __always_inline __u8 sock_family(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	return family == SOCK_AF_INET6 ? 6 : family == SOCK_AF_INET ? 4 : 0;
}

/* The local port of SK, in host order, read as WHEN says. */
static __always_inline __u16 sock_lport(const struct sock *sk, enum sock_when when)
{
	if (when == SOCK_CLOSED)
		return __builtin_bswap16(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	return BPF_CORE_READ(sk, __sk_common.skc_num);
}

/*
 * The ends of SK into LADDR and RADDR (16 bytes each, zeroed first) and
 * LPORT and RPORT (host order), the local port read as WHEN says.
 * Returns the family, 4 or 6, or 0 for a socket of another family, whose
 * addresses are left zero (its ports are still read).
 */
static __always_inline __u8 sock_ends(const struct sock *sk, enum sock_when when, void *laddr, void *raddr,
				      __u16 *lport, __u16 *rport)
{
	__u8 family = sock_family(sk);

	__builtin_memset(laddr, 0, 16);
	__builtin_memset(raddr, 0, 16);
	if (family == 6) {
		bpf_core_read(laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(raddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else if (family == 4) {
		bpf_core_read(laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(raddr, 4, &sk->__sk_common.skc_daddr);
	}
	*lport = sock_lport(sk, when);
	*rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	return family;
}

/*
 * The socket behind descriptor FD of the current task, or NULL:
 * task->files->fdt->fd[FD] (FD checked against max_fds), a socket inode
 * (S_IFSOCK: only sockfs makes those, and its file's private_data is the
 * struct socket), its sk.  A descriptor another thread closed meanwhile is
 * NULL, or the file that took its number.
 */
static __always_inline struct sock *sock_of_fd(__u64 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;
	struct socket *so;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xffffffff]) || !f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & SOCK_S_IFMT) != SOCK_S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(so, sk);
}

/* The TCP socket behind descriptor FD of the current task, or NULL. */
static __always_inline struct sock *sock_tcp_of_fd(__u64 fd)
{
	struct sock *sk = sock_of_fd(fd);

	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return sk;
}

/*
 * Which way the x86_64 system call NR moves bytes through the descriptor
 * in its first argument, for the exits that read a socket's traffic
 * (bpf/tls_exit.bpf.h, bpf/dns_exit.bpf.h): read, readv, recvfrom,
 * recvmsg and recvmmsg receive; write, writev, sendto, sendmsg and
 * sendmmsg send.
 */
enum { SOCK_CALL_NONE, SOCK_CALL_SEND, SOCK_CALL_RECV };

static __always_inline int sock_call_way(__u64 nr)
{
	switch (nr) {
	case 1:   /* write */
	case 20:  /* writev */
	case 44:  /* sendto */
	case 46:  /* sendmsg */
	case 307: /* sendmmsg */
		return SOCK_CALL_SEND;
	case 0:   /* read */
	case 19:  /* readv */
	case 45:  /* recvfrom */
	case 47:  /* recvmsg */
	case 299: /* recvmmsg */
		return SOCK_CALL_RECV;
	}
	return SOCK_CALL_NONE;
}

/*
 * The same set, tested with a mask and two compares where every exit pays
 * for the test: a switch in a program near the verifier's limits can
 * double the states it walks.
 */
#define SOCK_CALL_LOW ((1ULL << 0) | (1ULL << 1) | (1ULL << 19) | (1ULL << 20) | (1ULL << 44) | (1ULL << 45) | \
		       (1ULL << 46) | (1ULL << 47))
static __always_inline int sock_call_maybe(__u64 nr)
{
	return nr < 64 ? (SOCK_CALL_LOW >> nr) & 1 : nr == 299 || nr == 307;
}

#endif
