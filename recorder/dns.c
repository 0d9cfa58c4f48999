/*
 * dns.c - DNS messages into dns records (see dns.h).  The message format is
 * RFC 1035 section 4.1: a 12-byte header, then the question (a name of
 * length-prefixed labels, possibly compressed with pointers, RFC 1035
 * 4.1.4, then the type and the class).
 *
 * Queries wait for their responses in an open-addressing hash table of
 * fixed size (linear probing, backward-shift deletion), keyed by what ties
 * a response to its query: protocol, client and server addresses, client
 * port and transaction id.  A full table keeps no more queries and counts
 * them as lost; the recorder reports that as a drop of source "dns".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "record.h"

#define SLOTS 2048      /* a power of two */
#define SLOTS_USED 1536 /* at most: probe sequences stay short */

/* No padding: the key is hashed and compared as bytes. */
struct key {
	uint8_t proto, family;
	uint16_t client_port, txid;
	uint8_t client[16], server[16];
};

struct pending {
	int used;
	struct key k;
	uint64_t ts;
	uint32_t pid;
	char comm[16];
	char qname[256];
	uint16_t qtype;
};

struct dns_table {
	struct pending slot[SLOTS];
	unsigned used;
	uint64_t lost;
};

/* The name at *POS into OUT (dotted, escaped); *POS moves past it. */
static int read_name(const uint8_t *msg, size_t len, size_t *pos, char *out, size_t cap)
{
	size_t p = *pos, o = 0;
	int jumped = 0, hops = 0;

	for (;;) {
		unsigned l;

		if (p >= len)
			return -EINVAL;
		l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			/* a pointer: the rest of the name is elsewhere */
			if (p + 1 >= len || ++hops > 16)
				return -EINVAL;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			p = ((l & 0x3f) << 8) | msg[p + 1];
			continue;
		}
		if (l & 0xc0)
			return -EINVAL; /* extended label types are not in use */
		if (l == 0) {
			if (!jumped)
				*pos = p + 1;
			break;
		}
		if (p + 1 + l > len)
			return -EINVAL;
		if (o && o + 1 < cap)
			out[o++] = '.';
		for (unsigned i = 0; i < l; i++) {
			uint8_t c = msg[p + 1 + i];
			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
				if (o + 1 < cap)
					out[o++] = (char)c;
			} else if (o + 4 < cap) {
				o += (size_t)snprintf(out + o, cap - o, "\\%03u", c);
			}
		}
		p += 1 + l;
	}
	if (o == 0 && cap > 1)
		out[o++] = '.';
	out[o] = '\0';
	return 0;
}

int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *m)
{
	size_t pos = 12;

	memset(m, 0, sizeof(*m));
	if (len < 12)
		return -EINVAL;
	m->txid = (uint16_t)(msg[0] << 8 | msg[1]);
	m->response = msg[2] >> 7;
	m->opcode = (msg[2] >> 3) & 0xf;
	m->rcode = msg[3] & 0xf;
	m->qdcount = (unsigned)(msg[4] << 8 | msg[5]);
	m->ancount = (unsigned)(msg[6] << 8 | msg[7]);
	/* every query in use asks one question; anything else is not DNS to us */
	if (m->qdcount != 1 || read_name(msg, len, &pos, m->qname, sizeof(m->qname)) || pos + 4 > len)
		return -EINVAL;
	m->qtype = (uint16_t)(msg[pos] << 8 | msg[pos + 1]);
	return 0;
}

const char *dns_type_name(unsigned type, char *buf, size_t cap)
{
	static const struct {
		unsigned type;
		const char *name;
	} names[] = {
		{ 1, "A" },      { 2, "NS" },       { 5, "CNAME" },  { 6, "SOA" },    { 12, "PTR" },   { 13, "HINFO" },
		{ 15, "MX" },    { 16, "TXT" },     { 28, "AAAA" },  { 33, "SRV" },   { 35, "NAPTR" }, { 39, "DNAME" },
		{ 41, "OPT" },   { 43, "DS" },      { 46, "RRSIG" }, { 47, "NSEC" },  { 48, "DNSKEY" }, { 50, "NSEC3" },
		{ 52, "TLSA" },  { 64, "SVCB" },    { 65, "HTTPS" }, { 251, "IXFR" }, { 252, "AXFR" }, { 255, "ANY" },
		{ 257, "CAA" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type) {
			snprintf(buf, cap, "%s", names[i].name);
			return buf;
		}
	snprintf(buf, cap, "TYPE%u", type);
	return buf;
}

const char *dns_rcode_name(unsigned rcode, char *buf, size_t cap)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					     "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rcode < sizeof(names) / sizeof(names[0]))
		snprintf(buf, cap, "%s", names[rcode]);
	else
		snprintf(buf, cap, "RCODE%u", rcode);
	return buf;
}

const char *dns_eai_name(int err, char *buf, size_t cap)
{
	const char *n = NULL;

	switch (err) {
	case 0: n = "0"; break;
	case EAI_BADFLAGS: n = "EAI_BADFLAGS"; break;
	case EAI_NONAME: n = "EAI_NONAME"; break;
	case EAI_AGAIN: n = "EAI_AGAIN"; break;
	case EAI_FAIL: n = "EAI_FAIL"; break;
	case EAI_FAMILY: n = "EAI_FAMILY"; break;
	case EAI_SOCKTYPE: n = "EAI_SOCKTYPE"; break;
	case EAI_SERVICE: n = "EAI_SERVICE"; break;
	case EAI_MEMORY: n = "EAI_MEMORY"; break;
	case EAI_SYSTEM: n = "EAI_SYSTEM"; break;
	case EAI_OVERFLOW: n = "EAI_OVERFLOW"; break;
#ifdef EAI_NODATA
	case EAI_NODATA: n = "EAI_NODATA"; break;
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY: n = "EAI_ADDRFAMILY"; break;
#endif
	}
	if (n)
		snprintf(buf, cap, "%s", n);
	else
		snprintf(buf, cap, "%d", err);
	return buf;
}

struct dns_table *dns_table_new(void)
{
	return calloc(1, sizeof(struct dns_table));
}

void dns_table_free(struct dns_table *t)
{
	free(t);
}

uint64_t dns_table_lost(const struct dns_table *t)
{
	return t->lost;
}

unsigned dns_table_pending(const struct dns_table *t)
{
	return t->used;
}

static unsigned hash_key(const struct key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h & (SLOTS - 1);
}

/* The slot holding K, or the empty slot where it would go. */
static unsigned find(const struct dns_table *t, const struct key *k)
{
	unsigned i = hash_key(k);

	while (t->slot[i].used && memcmp(&t->slot[i].k, k, sizeof(*k)))
		i = (i + 1) & (SLOTS - 1);
	return i;
}

/* Empty slot I, moving back the entries after it that probed past it. */
static void remove_at(struct dns_table *t, unsigned i)
{
	unsigned j = i;

	t->slot[i].used = 0;
	t->used--;
	for (;;) {
		unsigned home;

		j = (j + 1) & (SLOTS - 1);
		if (!t->slot[j].used)
			return;
		home = hash_key(&t->slot[j].k);
		/* J may move to the hole I when its home is not in (I, J] (cyclically) */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->slot[i] = t->slot[j];
		t->slot[j].used = 0;
		i = j;
	}
}

static void key_of(const struct fr_dns_event *e, uint16_t txid, struct key *k)
{
	memset(k, 0, sizeof(*k));
	k->proto = e->proto;
	k->family = e->family;
	k->client_port = e->client_port;
	k->txid = txid;
	memcpy(k->client, e->client, sizeof(k->client));
	memcpy(k->server, e->server, sizeof(k->server));
}

static void record_base(struct fr_dns *r, const struct fr_dns_event *e)
{
	memset(r, 0, sizeof(*r));
	r->head.kind = FR_KIND_dns;
	r->head.size = sizeof(*r);
	r->ts = e->ts;
	r->pid = e->pid;
	memcpy(r->comm, e->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
	if (e->what == FR_DNS_GETADDRINFO) {
		snprintf(r->source, sizeof(r->source), "getaddrinfo");
		return;
	}
	snprintf(r->source, sizeof(r->source), "packet");
	snprintf(r->proto, sizeof(r->proto), "%s", e->proto == 6 ? "tcp" : "udp");
	r->client_port = e->client_port;
	if (!inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->server, r->server, sizeof(r->server)))
		r->server[0] = '\0';
}

static void on_getaddrinfo(const struct fr_dns_event *e, dns_emit_fn emit, void *ctx)
{
	struct fr_dns r;
	size_t n = e->len < sizeof(r.query) - 1 ? e->len : sizeof(r.query) - 1;

	record_base(&r, e);
	memcpy(r.query, e->data, n);
	r.query[n] = '\0';
	dns_eai_name(e->result, r.result, sizeof(r.result));
	r.answers = e->answers;
	r.latency_ns = e->latency_ns;
	emit(ctx, &r);
}

static void on_query(struct dns_table *t, const struct fr_dns_event *e, const struct dns_msg *m)
{
	struct pending *p;
	struct key k;
	unsigned i;

	key_of(e, m->txid, &k);
	i = find(t, &k);
	if (t->slot[i].used)
		return; /* sent again: the lookup started with the first */
	if (t->used >= SLOTS_USED) {
		t->lost++;
		return;
	}
	p = &t->slot[i];
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->k = k;
	p->ts = e->ts;
	p->pid = e->pid;
	memcpy(p->comm, e->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	memcpy(p->qname, m->qname, sizeof(p->qname));
	p->qtype = m->qtype;
	t->used++;
}

static void on_response(struct dns_table *t, const struct fr_dns_event *e, const struct dns_msg *m,
			dns_emit_fn emit, void *ctx)
{
	struct fr_dns r;
	struct key k;
	unsigned i;

	record_base(&r, e);
	snprintf(r.query, sizeof(r.query), "%s", m->qname);
	dns_type_name(m->qtype, r.qtype, sizeof(r.qtype));
	dns_rcode_name(m->rcode, r.rcode, sizeof(r.rcode));
	r.answers = m->ancount;
	r.txid = m->txid;
	key_of(e, m->txid, &k);
	i = find(t, &k);
	if (t->slot[i].used) {
		const struct pending *p = &t->slot[i];
		r.ts = p->ts;
		r.latency_ns = e->ts > p->ts ? e->ts - p->ts : 0;
		if (p->pid) {
			r.pid = p->pid;
			memcpy(r.comm, p->comm, sizeof(r.comm));
		}
		remove_at(t, i);
	}
	emit(ctx, &r);
}

void dns_table_event(struct dns_table *t, const struct fr_dns_event *e, dns_emit_fn emit, void *ctx)
{
	struct dns_msg m;
	size_t len = e->len < FR_DNS_CAP ? e->len : FR_DNS_CAP;

	if (e->what == FR_DNS_GETADDRINFO) {
		on_getaddrinfo(e, emit, ctx);
		return;
	}
	if (dns_parse(e->data, len, &m))
		return;
	/* the QR bit must say what the direction says: else a TCP segment in mid-message */
	if (e->what == FR_DNS_QUERY && !m.response)
		on_query(t, e, &m);
	else if (e->what == FR_DNS_RESPONSE && m.response)
		on_response(t, e, &m, emit, ctx);
}

void dns_table_expire(struct dns_table *t, uint64_t now, dns_emit_fn emit, void *ctx)
{
	for (unsigned i = 0; i < SLOTS;) {
		struct pending *p = &t->slot[i];
		struct fr_dns r;

		if (!p->used || p->ts + DNS_TIMEOUT_NS > now) {
			i++;
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.head.kind = FR_KIND_dns;
		r.head.size = sizeof(r);
		r.ts = p->ts;
		r.pid = p->pid;
		memcpy(r.comm, p->comm, sizeof(r.comm));
		memcpy(r.query, p->qname, sizeof(r.query));
		dns_type_name(p->qtype, r.qtype, sizeof(r.qtype));
		snprintf(r.rcode, sizeof(r.rcode), "TIMEOUT");
		r.latency_ns = now - p->ts;
		if (!inet_ntop(p->k.family == 6 ? AF_INET6 : AF_INET, p->k.server, r.server, sizeof(r.server)))
			r.server[0] = '\0';
		snprintf(r.source, sizeof(r.source), "packet");
		snprintf(r.proto, sizeof(r.proto), "%s", p->k.proto == 6 ? "tcp" : "udp");
		r.txid = p->k.txid;
		r.client_port = p->k.client_port;
		remove_at(t, i); /* an entry may move into I: look at it again */
		emit(ctx, &r);
	}
}
