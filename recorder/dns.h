/*
 * dns.h - DNS messages into dns records: the parser of the header and the
 * question, the names of types, response codes and getaddrinfo errors, and
 * the table that pairs each query with its response.
 *
 * The BPF side (bpf/dns.bpf.c) copies the first bytes of every DNS message
 * a client socket sends to or receives from port 53; everything that needs
 * judgement happens here, in user space, where it can be unit-tested
 * (tests/unit/test_dns.c).  No BPF or libbpf in this file.
 */
#ifndef FR_DNS_H
#define FR_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "dns.bpf.h"
#include "flightrec.h"

/* A query with no response for this long is written with rcode TIMEOUT. */
#define DNS_TIMEOUT_NS 10000000000ULL

struct dns_msg {
	uint16_t txid;
	int response; /* the QR bit */
	unsigned opcode, rcode;
	unsigned qdcount, ancount;
	char qname[256]; /* dotted, no final dot; "." for the root */
	uint16_t qtype;
};

/* Parse the header and the first question of the LEN bytes at MSG; 0 or -EINVAL. */
int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *m);

/* "A", "AAAA", ... or "TYPE<n>" into BUF; returns BUF. */
const char *dns_type_name(unsigned type, char *buf, size_t cap);
/* "NOERROR", "NXDOMAIN", ... or "RCODE<n>" into BUF; returns BUF. */
const char *dns_rcode_name(unsigned rcode, char *buf, size_t cap);
/* getaddrinfo's return: "0", "EAI_NONAME", ... or the number, into BUF; returns BUF. */
const char *dns_eai_name(int err, char *buf, size_t cap);

typedef void (*dns_emit_fn)(void *ctx, const struct fr_dns *r);

struct dns_table;
struct dns_table *dns_table_new(void);
void dns_table_free(struct dns_table *t);
/*
 * One event of bpf/dns.bpf.c.  A query waits in T for its response (a
 * query sent again with the same id, addresses and ports keeps its first
 * time: the lookup took that long); a response, or a getaddrinfo return,
 * is a dns record passed to EMIT.  A response whose query was not seen is
 * written with latency 0; messages that do not parse are ignored.
 */
void dns_table_event(struct dns_table *t, const struct fr_dns_event *e, dns_emit_fn emit, void *ctx);
/* Queries sent before NOW - DNS_TIMEOUT_NS: records with rcode TIMEOUT. */
void dns_table_expire(struct dns_table *t, uint64_t now, dns_emit_fn emit, void *ctx);
/* Queries that found the table full and were not kept, since it was made. */
uint64_t dns_table_lost(const struct dns_table *t);
/* Queries waiting for their response. */
unsigned dns_table_pending(const struct dns_table *t);

#endif
