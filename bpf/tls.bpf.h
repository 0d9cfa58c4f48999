/*
 * tls.bpf.h - what bpf/tls.bpf.c shares with recorder/family_tls.c: the
 * libssl functions it probes and how an attach cookie describes one copy
 * of libssl.
 */
#ifndef FR_TLS_BPF_H
#define FR_TLS_BPF_H

#include "flightrec.h"

/* Which function a uprobe is on: the low byte of its cookie. */
enum tls_fn {
	TLS_FN_DO_HANDSHAKE,
	TLS_FN_CONNECT,
	TLS_FN_ACCEPT,
	TLS_FN_READ,      /* SSL_read: may drive the handshake */
	TLS_FN_WRITE,     /* SSL_write: may drive it (s_client writes 0 bytes) */
	TLS_FN_GET_ERROR, /* SSL_get_error: why a call that returned <= 0 did */
	TLS_FN_READ_EX,   /* SSL_read_ex: as SSL_read, the count in its 4th argument */
	TLS_FN_WRITE_EX,
};
#define TLS_FN_IS_IO(fn) ((fn) == TLS_FN_READ || (fn) == TLS_FN_WRITE || (fn) == TLS_FN_READ_EX || (fn) == TLS_FN_WRITE_EX)

/*
 * Cookie: bits 0-7 the function, 8-15 the library (index in the
 * recorder's table), 16-31, 32-47 and 48-63 the offsets in struct ssl_st
 * of in_init, server and verify_result, learned from the library's own
 * accessors (SSL_in_init, SSL_is_server, SSL_get_verify_result);
 * TLS_OFF_NONE when the accessor is not the one load we can read.
 */
#define TLS_OFF_NONE 0xffff
#define TLS_COOKIE(fn, lib, in_init, server, verify)                                                               \
	((__u64)(fn) | (__u64)(lib) << 8 | (__u64)(in_init) << 16 | (__u64)(server) << 32 | (__u64)(verify) << 48)
#define TLS_COOKIE_FN(c) ((unsigned)((c) & 0xff))
#define TLS_COOKIE_LIB(c) ((unsigned)(((c) >> 8) & 0xff))
#define TLS_COOKIE_IN_INIT(c) ((unsigned)(((c) >> 16) & 0xffff))
#define TLS_COOKIE_SERVER(c) ((unsigned)(((c) >> 32) & 0xffff))
#define TLS_COOKIE_VERIFY(c) ((unsigned)(((c) >> 48) & 0xffff))

#define TLS_ROLE_UNKNOWN 0
#define TLS_ROLE_CLIENT 1
#define TLS_ROLE_SERVER 2

#define TLS_LIBS_MAX 8 /* copies of libssl attached (distinct inodes) */

/*
 * A TLS handshake that finished or failed (bpf/tls.bpf.c): raw address
 * bytes, the SSL_get_error code and verify result as numbers and the
 * library as an index; the recorder turns them into the tls record.
 */
#define FR_EV_TLS (FR_KIND_MAX + 4)
struct fr_tls_event {
	struct fr_head head;
	__u64 ts; /* when the handshake began */
	__u64 latency_ns;
	__u32 pid;
	__u32 tid;
	char comm[16];
	__u8 laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
	__u16 lport, rport;
	__u8 family;  /* 4 or 6; 0 when no socket I/O was seen */
	__u8 role;    /* TLS_ROLE_* of bpf/tls.bpf.h */
	__u8 ok;
	__u8 lib;     /* index of the libssl copy */
	__s32 error;  /* SSL_get_error's code; -1 when none */
	__s32 pad;
	__s64 verify; /* the SSL's verify_result; -1 when not read */
};

/* The probed call a thread is in (tls_calls, by tid): outermost one, with nesting depth. */
struct tls_call {
	__u64 ssl;
	__u64 cookie;
	__u32 depth;
	__u32 pad;
};

#endif
