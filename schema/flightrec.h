/*
 * flightrec.h - record structs shared by bpf/, recorder/ and replay/.
 *
 * The structs below are generated from records.def.  They are the in-memory
 * and ring-buffer form of a record: native byte order, natural alignment,
 * allowed to change between releases.  They are never written to disk as
 * they are: schema/record.c encodes them field by field, little-endian,
 * as FORMAT.md describes.
 *
 * This header is included by BPF programs (after vmlinux.h, which defines
 * the __uN types) and by user space (which gets them from linux/types.h), so
 * it must not include any libc header.
 */
#ifndef FLIGHTREC_H
#define FLIGHTREC_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FR_COMM_LEN 16

/* Every ring-buffer event starts with this; it is not part of the format. */
struct fr_head {
	__u32 kind;
	__u32 size; /* sizeof the whole event, checked by the consumer */
};

#define FR_T_TS __u64
#define FR_T_U8 __u8
#define FR_T_U16 __u16
#define FR_T_U32 __u32
#define FR_T_U64 __u64
#define FR_T_S32 __s32
#define FR_T_S64 __s64

/* Record kind numbers: FR_KIND_EXEC, ... */
enum fr_kind {
	FR_KIND_NONE = 0,
#define RECORD(ID, NAME, TABLE, DOC) FR_KIND_##NAME = ID,
#define FIELD(REC, NAME, TYPE, DOC)
#define STR(REC, NAME, SIZE, DOC)
#define STRV(REC, NAME, SIZE, DOC)
#define END(REC)
#include "records.def"
#undef RECORD
#undef FIELD
#undef STR
#undef STRV
#undef END
};

/* Kind numbers are below this (arrays indexed by kind use it). */
#define FR_KIND_MAX 64

/* struct fr_exec, struct fr_fork, ... */
#define RECORD(ID, NAME, TABLE, DOC) struct fr_##NAME { struct fr_head head;
#define FIELD(REC, NAME, TYPE, DOC) FR_T_##TYPE NAME;
#define STR(REC, NAME, SIZE, DOC) char NAME[SIZE];
#define STRV(REC, NAME, SIZE, DOC) __u16 NAME##_len; char NAME[SIZE];
#define END(REC) };
#include "records.def"
#undef RECORD
#undef FIELD
#undef STR
#undef STRV
#undef END

/*
 * Ring-only events: not records, never on disk.  The recorder turns each
 * into the record it stands for.  Their kinds start at FR_KIND_MAX.
 *
 * A call recorded only because of --syscalls=all, that took no arguments
 * worth decoding and did not fail, crosses the ring as this 64-byte event
 * instead of a 400-byte fr_syscall: the recorder adds the name, the empty
 * args and error, and the reason "all".  Six times less ring per call is
 * what lets the default ring absorb a flood while the recorder waits for
 * a CPU.
 */
#define FR_EV_SYSCALL_BRIEF (FR_KIND_MAX + 1)
struct fr_syscall_brief {
	struct fr_head head;
	__u64 ts;
	__u32 pid;
	__u32 tid;
	char comm[16];
	__s64 ret;
	__u64 latency_ns;
	__u32 nr;
	__u32 uid; /* real uid when the call returned */
};

/*
 * A call of a --uprobe function at least --func-threshold long: the
 * recorder adds the binary and the symbol of slot SLOT (its --uprobe).
 */
#define FR_EV_FUNC (FR_KIND_MAX + 2)
struct fr_func_event {
	struct fr_head head;
	__u64 ts; /* when the call began */
	__u32 pid;
	__u32 tid;
	char comm[16];
	__u64 latency_ns;
	__u32 slot;
	__u32 pad;
};

/*
 * A DNS message on port 53 (a query leaving a client socket, a response
 * reaching one) or a return from getaddrinfo: the recorder parses the
 * message, pairs queries with their responses and writes dns records.
 */
#define FR_EV_DNS (FR_KIND_MAX + 3)
#define FR_DNS_CAP 512 /* bytes of a DNS message copied: the header and the question */
enum { FR_DNS_QUERY = 1, FR_DNS_RESPONSE = 2, FR_DNS_GETADDRINFO = 3 };
struct fr_dns_event {
	struct fr_head head;
	__u64 ts;         /* when the packet passed (getaddrinfo: when it was called) */
	__u64 latency_ns; /* getaddrinfo: call to return */
	__u32 pid;        /* owner of the socket, 0 when unknown */
	__u32 len;        /* bytes in data: the DNS message (TCP: after its length), or the host */
	char comm[16];
	__u8 what;        /* FR_DNS_QUERY, _RESPONSE or _GETADDRINFO */
	__u8 proto;       /* 17 UDP, 6 TCP */
	__u8 family;      /* 4 or 6 */
	__u8 pad;
	__u16 client_port; /* host byte order */
	__u16 server_port;
	__u8 client[16];  /* raw address: 4 bytes for IPv4 */
	__u8 server[16];
	__s32 result;     /* getaddrinfo's return value */
	__u32 answers;    /* getaddrinfo: entries in its result list */
	__u8 data[FR_DNS_CAP];
};

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

/* Sources named in drop records. */
#define FR_DROP_RINGBUF "ringbuf"
#define FR_DROP_WRITER "writer"
#define FR_CPU_NONE 0xffffffffu

#endif /* FLIGHTREC_H */
