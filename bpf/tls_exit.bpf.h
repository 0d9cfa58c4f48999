/*
 * tls_exit.bpf.h - the TLS handshake's socket, noted at the exit of the
 * system call that moved its bytes, by bpf/syscall.bpf.c's sys_exit
 * (when the tls family is on: tls_note).  This replaces two tracepoints,
 * sock_send_length and sock_recv_length, that ran on every socket send
 * and receive of the host just for this (bpf/tls_sock.bpf.h says which
 * way is taken when).
 *
 * A thread inside a probed handshake call (SSL_do_handshake, SSL_connect,
 * SSL_accept, or SSL_read/SSL_write while the session is in its
 * handshake) moves the handshake's bytes on its socket with one of the
 * calls of sock_call_way() (bpf/sock.bpf.h), whatever the BIO: OpenSSL's
 * socket BIO uses read/write or sendto/recvfrom (sendmsg with kTLS),
 * curl's own BIO send/recv (sendto, recvfrom), other BIOs readv/writev.
 * At its exit the descriptor
 * is still in the task's saved registers (di) and resolves to its socket
 * (bpf/sock.bpf.h, sock_tcp_of_fd): the first TCP socket is the
 * handshake's.  A descriptor closed by another thread before the exit is
 * not resolved, and that handshake's row has no addresses, as the rows of
 * sessions older than the recorder have none.
 */
#ifndef FR_TLS_EXIT_BPF_H
#define FR_TLS_EXIT_BPF_H

#include "tls_sock.bpf.h"

/*
 * At the exit of call NR on descriptor FD, while some thread is inside a
 * probed libssl call (the caller tested tls_any_inflight()): if this
 * thread drives a handshake that has no socket yet and FD is a TCP socket,
 * that socket's ends become the handshake's.  A global function, verified
 * once on its own: sys_exit, near the verifier's limits, sees only a call
 * that returns a number.
 */
__noinline int tls_exit_note(__u64 nr, __u64 fd)
{
	struct hs *h;
	struct sock *sk;

	if (!sock_call_maybe(nr))
		return 0;
	h = tls_handshake_wanting_socket();
	if (!h)
		return 0;
	sk = sock_tcp_of_fd(fd);
	if (sk)
		tls_note_socket(h, sk);
	return 0;
}

#endif
