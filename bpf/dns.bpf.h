/*
 * dns.bpf.h - what bpf/dns.bpf.c sends the recorder (recorder/dns.c): the
 * ring ABI of the dns family, not part of the file format.  Plain C, so
 * that user space includes it too.
 */
#ifndef FR_DNS_BPF_H
#define FR_DNS_BPF_H

#include "flightrec.h"

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

#endif
