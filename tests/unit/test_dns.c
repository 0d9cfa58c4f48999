/*
 * test_dns.c - the DNS side of the recorder (recorder/dns.c) on messages
 * built by hand: the header and question parser (labels, compression
 * pointers, loops, truncation), the names of types, rcodes and getaddrinfo
 * errors, and the table that pairs queries with responses: latency, the
 * owner of the query, unmatched responses, retransmissions, timeouts, a
 * full table, and thousands of queries answered out of order (deletions
 * move entries back, the one subtle part).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "tap.h"

/* A DNS message: header with TXID, FLAGS (byte 2, byte 3), ANCOUNT; question NAME (dotted), TYPE. */
static size_t build(uint8_t *b, uint16_t txid, uint8_t f2, uint8_t f3, uint16_t ancount, const char *name,
		    uint16_t type)
{
	size_t n = 12;

	memset(b, 0, 12);
	b[0] = (uint8_t)(txid >> 8);
	b[1] = (uint8_t)txid;
	b[2] = f2;
	b[3] = f3;
	b[5] = 1;
	b[6] = (uint8_t)(ancount >> 8);
	b[7] = (uint8_t)ancount;
	while (*name) {
		size_t l = strcspn(name, ".");
		b[n++] = (uint8_t)l;
		memcpy(b + n, name, l);
		n += l;
		name += l + (name[l] == '.');
	}
	b[n++] = 0;
	b[n++] = (uint8_t)(type >> 8);
	b[n++] = (uint8_t)type;
	b[n++] = 0;
	b[n++] = 1; /* class IN */
	return n;
}

static struct fr_dns rows[4096];
static int nrows;

static void collect(void *ctx, const struct fr_dns *r)
{
	if (nrows < (int)(sizeof(rows) / sizeof(rows[0])))
		rows[nrows] = *r;
	nrows++;
}

/* An event of WHAT between 10.0.0.1:PORT and 10.0.0.53:53 over UDP at TS, owned by PID. */
static void event(struct fr_dns_event *e, int what, uint64_t ts, uint32_t pid, uint16_t port, const uint8_t *msg,
		  size_t len)
{
	memset(e, 0, sizeof(*e));
	e->head.kind = FR_EV_DNS;
	e->what = (uint8_t)what;
	e->ts = ts;
	e->pid = pid;
	snprintf(e->comm, sizeof(e->comm), "%s", pid ? "curl" : "");
	e->proto = 17;
	e->family = 4;
	e->client_port = port;
	e->server_port = 53;
	memcpy(e->client, "\x0a\x00\x00\x01", 4);
	memcpy(e->server, "\x0a\x00\x00\x35", 4);
	memcpy(e->data, msg, len);
	e->len = (uint32_t)len;
}

static void test_parse(void)
{
	uint8_t b[600];
	struct dns_msg m;
	size_t n;
	int ret;

	n = build(b, 0x1234, 0x01, 0x00, 0, "slow.flightrec.test", 1);
	ret = dns_parse(b, n, &m);
	ok(ret == 0 && m.txid == 0x1234 && !m.response && m.qtype == 1 &&
		   !strcmp(m.qname, "slow.flightrec.test"),
	   "dns_parse - a query for slow.flightrec.test A, expect txid 0x1234, QR 0, qtype 1 (got %s)", m.qname);
	n = build(b, 7, 0x81, 0x83, 0, "missing.flightrec.test", 28);
	ok(dns_parse(b, n, &m) == 0 && m.response && m.rcode == 3 && m.ancount == 0 && m.qtype == 28,
	   "dns_parse - an NXDOMAIN response, expect QR 1, rcode 3, qtype 28");
	n = build(b, 7, 0x81, 0x80, 2, "a.b", 1);
	ok(dns_parse(b, n, &m) == 0 && m.ancount == 2, "dns_parse - ANCOUNT 2, expect 2");
	ok(dns_parse(b, n - 1, &m) != 0, "dns_parse - the question cut short by a byte, expect -EINVAL");
	ok(dns_parse(b, 11, &m) != 0, "dns_parse - 11 bytes (no header), expect -EINVAL");
	b[5] = 2;
	ok(dns_parse(b, n, &m) != 0, "dns_parse - two questions, expect -EINVAL (not a query in use)");
	b[5] = 1;

	/* www, then a pointer to "example.com" stored after the question */
	memset(b, 0, 12);
	b[5] = 1;
	n = 12;
	memcpy(b + n, "\x03www\xc0\x16\x00\x01\x00\x01", 10); /* pointer to offset 22 */
	n += 10;
	memcpy(b + n, "\x07" "example\x03" "com\x00", 13);
	n += 13;
	ret = dns_parse(b, n, &m);
	ok(ret == 0 && !strcmp(m.qname, "www.example.com") && m.qtype == 1,
	   "dns_parse - a compression pointer, expect www.example.com A (got %s)", m.qname);
	b[22] = 0xc0;
	b[23] = 0x16; /* points at itself */
	ok(dns_parse(b, n, &m) != 0, "dns_parse - a pointer loop, expect -EINVAL");

	n = build(b, 1, 0, 0, 0, "", 2);
	ret = dns_parse(b, n, &m);
	ok(ret == 0 && !strcmp(m.qname, "."), "dns_parse - the root, expect '.' (got %s)", m.qname);
	n = build(b, 1, 0, 0, 0, "a b.x", 16);
	ret = dns_parse(b, n, &m);
	ok(ret == 0 && !strcmp(m.qname, "a\\032b.x"),
	   "dns_parse - a space in a label, expect it escaped as \\032 (got %s)", m.qname);
	/* 4 labels of 63 bytes of \1: more text than the name holds, cut without overflow */
	memset(b, 0, sizeof(b));
	b[5] = 1;
	n = 12;
	for (int i = 0; i < 4; i++) {
		b[n++] = 63;
		memset(b + n, 1, 63);
		n += 63;
	}
	b[n++] = 0;
	n += 4;
	ret = dns_parse(b, n, &m);
	ok(ret == 0 && strlen(m.qname) == sizeof(m.qname) - 1,
	   "dns_parse - 252 bytes to escape, expect a name cut at %zu (got %zu)", sizeof(m.qname) - 1,
	   strlen(m.qname));
}

static void test_names(void)
{
	char b[16];

	ok(!strcmp(dns_type_name(28, b, sizeof(b)), "AAAA"), "dns_type_name - 28, expect AAAA");
	ok(!strcmp(dns_type_name(12, b, sizeof(b)), "PTR"), "dns_type_name - 12, expect PTR");
	ok(!strcmp(dns_type_name(999, b, sizeof(b)), "TYPE999"), "dns_type_name - 999, expect TYPE999");
	ok(!strcmp(dns_rcode_name(3, b, sizeof(b)), "NXDOMAIN"), "dns_rcode_name - 3, expect NXDOMAIN");
	ok(!strcmp(dns_rcode_name(5, b, sizeof(b)), "REFUSED"), "dns_rcode_name - 5, expect REFUSED");
	ok(!strcmp(dns_rcode_name(15, b, sizeof(b)), "RCODE15"), "dns_rcode_name - 15, expect RCODE15");
	ok(!strcmp(dns_eai_name(0, b, sizeof(b)), "0"), "dns_eai_name - 0, expect 0");
	ok(!strcmp(dns_eai_name(EAI_NONAME, b, sizeof(b)), "EAI_NONAME"), "dns_eai_name - EAI_NONAME");
	ok(!strcmp(dns_eai_name(EAI_AGAIN, b, sizeof(b)), "EAI_AGAIN"), "dns_eai_name - EAI_AGAIN");
}

static void test_table(void)
{
	struct dns_table *t = dns_table_new();
	struct fr_dns_event e;
	uint8_t q[600], r[600];
	size_t qn, rn;

	qn = build(q, 0xbeef, 0x01, 0x00, 0, "slow.flightrec.test", 1);
	rn = build(r, 0xbeef, 0x81, 0x80, 1, "slow.flightrec.test", 1);
	nrows = 0;
	event(&e, FR_DNS_QUERY, 1000, 42, 40000, q, qn);
	dns_table_event(t, &e, collect, NULL);
	ok(nrows == 0 && dns_table_pending(t) == 1, "table - a query alone, expect no row and 1 pending");
	event(&e, FR_DNS_QUERY, 1500, 42, 40000, q, qn); /* sent again */
	dns_table_event(t, &e, collect, NULL);
	event(&e, FR_DNS_RESPONSE, 301000, 0, 40000, r, rn);
	dns_table_event(t, &e, collect, NULL);
	ok(nrows == 1 && rows[0].ts == 1000 && rows[0].latency_ns == 300000 && rows[0].pid == 42 &&
		   !strcmp(rows[0].comm, "curl") && !strcmp(rows[0].query, "slow.flightrec.test") &&
		   !strcmp(rows[0].qtype, "A") && !strcmp(rows[0].rcode, "NOERROR") && rows[0].answers == 1 &&
		   !strcmp(rows[0].server, "10.0.0.53") && !strcmp(rows[0].source, "packet") &&
		   !strcmp(rows[0].proto, "udp") && rows[0].txid == 0xbeef && rows[0].client_port == 40000 &&
		   dns_table_pending(t) == 0,
	   "table - query sent twice, then its response, expect one row from the first: ts 1000, latency 300000, "
	   "pid 42 (got %d rows, ts %llu, latency %llu, pid %u, server %s)",
	   nrows, (unsigned long long)rows[0].ts, (unsigned long long)rows[0].latency_ns, rows[0].pid, rows[0].server);

	nrows = 0;
	event(&e, FR_DNS_RESPONSE, 5000, 7, 40001, r, rn);
	dns_table_event(t, &e, collect, NULL);
	ok(nrows == 1 && rows[0].latency_ns == 0 && rows[0].ts == 5000 && rows[0].pid == 7,
	   "table - a response whose query was not seen, expect a row at its time with latency 0");
	nrows = 0;
	event(&e, FR_DNS_RESPONSE, 5000, 7, 40001, q, qn); /* QR 0 arriving: mid-message TCP, say */
	dns_table_event(t, &e, collect, NULL);
	event(&e, FR_DNS_QUERY, 5000, 7, 40001, r, rn);
	dns_table_event(t, &e, collect, NULL);
	ok(nrows == 0 && dns_table_pending(t) == 0, "table - QR bits against the direction, expect both ignored");

	nrows = 0;
	event(&e, FR_DNS_QUERY, 1000000000, 9, 40002, q, qn);
	dns_table_event(t, &e, collect, NULL);
	dns_table_expire(t, 1000000000 + DNS_TIMEOUT_NS - 1, collect, NULL);
	ok(nrows == 0, "table - expire 1 ns before the timeout, expect nothing");
	dns_table_expire(t, 1000000000 + DNS_TIMEOUT_NS, collect, NULL);
	ok(nrows == 1 && !strcmp(rows[0].rcode, "TIMEOUT") && rows[0].latency_ns == DNS_TIMEOUT_NS &&
		   rows[0].pid == 9 && !strcmp(rows[0].query, "slow.flightrec.test") && dns_table_pending(t) == 0,
	   "table - at the timeout, expect a TIMEOUT row with the query's name and owner");

	nrows = 0;
	memset(&e, 0, sizeof(e));
	e.what = FR_DNS_GETADDRINFO;
	e.ts = 10;
	e.pid = 5;
	e.result = EAI_NONAME;
	e.latency_ns = 123;
	e.len = 8;
	memcpy(e.data, "nohost.x", 8);
	dns_table_event(t, &e, collect, NULL);
	ok(nrows == 1 && !strcmp(rows[0].query, "nohost.x") && !strcmp(rows[0].result, "EAI_NONAME") &&
		   !strcmp(rows[0].source, "getaddrinfo") && rows[0].qtype[0] == 0 && rows[0].rcode[0] == 0 &&
		   rows[0].server[0] == 0 && rows[0].latency_ns == 123,
	   "table - a getaddrinfo return, expect its host, EAI_NONAME, no qtype, rcode or server");

	/* 1500 queries answered in another order: each pairs with its own */
	nrows = 0;
	for (int i = 0; i < 1500; i++) {
		qn = build(q, (uint16_t)(i * 7919), 0x01, 0x00, 0, "x.test", 1);
		event(&e, FR_DNS_QUERY, (uint64_t)i, 100 + (uint32_t)i, (uint16_t)(1000 + i % 3), q, qn);
		dns_table_event(t, &e, collect, NULL);
	}
	for (int k = 0; k < 1500; k++) {
		int i = (k * 607) % 1500; /* 607 is prime to 1500: every i once */
		rn = build(r, (uint16_t)(i * 7919), 0x81, 0x80, 1, "x.test", 1);
		event(&e, FR_DNS_RESPONSE, 1000000 + (uint64_t)i, 0, (uint16_t)(1000 + i % 3), r, rn);
		dns_table_event(t, &e, collect, NULL);
	}
	{
		int good = 0;
		for (int k = 0; k < nrows && k < 1500; k++) {
			int i = (k * 607) % 1500;
			good += rows[k].pid == 100u + (uint32_t)i && rows[k].latency_ns == 1000000;
		}
		ok(nrows == 1500 && good == 1500 && dns_table_pending(t) == 0,
		   "table - 1500 queries answered out of order, expect 1500 rows each with its query's pid and "
		   "latency 1000000 (got %d rows, %d right)", nrows, good);
	}

	/* a full table keeps no more and counts them */
	for (int i = 0; i < 1600; i++) {
		qn = build(q, (uint16_t)i, 0x01, 0x00, 0, "y.test", 1);
		event(&e, FR_DNS_QUERY, 1, 1, 2000, q, qn);
		dns_table_event(t, &e, collect, NULL);
	}
	ok(dns_table_pending(t) == 1536 && dns_table_lost(t) == 64,
	   "table - 1600 queries unanswered, expect 1536 kept and 64 lost (got %u, %llu)", dns_table_pending(t),
	   (unsigned long long)dns_table_lost(t));
	nrows = 0;
	dns_table_expire(t, 1 + DNS_TIMEOUT_NS, collect, NULL);
	ok(nrows == 1536 && dns_table_pending(t) == 0, "table - expire all, expect 1536 TIMEOUT rows (got %d)",
	   nrows);
	dns_table_free(t);
}

int main(void)
{
	test_parse();
	test_names();
	test_table();
	tap_plan(tap_n);
	return tap_done();
}
