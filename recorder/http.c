/*
 * http.c - HTTP/1.x exchanges from the first bytes of socket calls.
 *
 * The BPF side (bpf/http.bpf.h, and the TLS uprobes for plaintext) sends
 * the first FR_HTTP_CAP bytes of every read or write on a TCP connection
 * that starts like a request line or a status line.  Here a request waits
 * per connection (process and cookie, see struct fr_http_msg) until the
 * response in the other direction comes: a request the process read is
 * answered by a response it writes (role server), one it wrote by one it
 * reads (role client).  Responses come in the order of the requests
 * (HTTP/1.1 pipelining), so each connection keeps a short queue.  Interim
 * responses (1xx but 101) wait for the final one.  A request with no
 * response gets its row with status 0 when the queue overflows, after
 * HTTP_TIMEOUT_NS, or when the recorder stops.
 *
 * Only the request line, the status line and a Content-Length header are
 * read from the captured bytes, and only up to the end of the headers;
 * nothing else of them is kept.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define BUCKETS 4096
#define PIPELINE 4 /* requests waiting on one connection */

struct http_req {
	uint64_t ts;
	uint32_t tid;
	uint8_t role_client; /* the request was written: this process is the client */
	uint8_t tls;
	uint8_t family;
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
	char comm[16];
	char method[16];
	char path[192];
};

struct http_conn {
	struct http_conn *next;
	uint64_t cookie;
	uint32_t pid;
	int head, n; /* the queue: q[head], q[head + 1], ... modulo PIPELINE */
	struct http_req q[PIPELINE];
};

struct http_tracker {
	struct http_conn *bucket[BUCKETS];
	size_t pending;
	uint64_t lost;
};

/* A token of RFC 9110 (tchar): what a method is made of. */
static int tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int http_parse_request(const char *data, size_t n, char *method, size_t method_cap, char *path, size_t path_cap)
{
	size_t i = 0, m, p;

	while (i < n && tchar((unsigned char)data[i]))
		i++;
	if (i == 0 || i >= method_cap || i >= n || data[i] != ' ')
		return 0;
	m = i++;
	p = i;
	while (i < n && data[i] != ' ' && data[i] != '\r' && data[i] != '\n') {
		if ((unsigned char)data[i] < 0x21 || (unsigned char)data[i] == 0x7f)
			return 0;
		i++;
	}
	if (i == p)
		return 0;
	/* the target (origin form /..., absolute http://..., CONNECT's host:port or '*'),
	 * then the version, unless the capture ends first */
	if (i < n) {
		size_t rest = n - i - 1;
		if (data[i] != ' ' || memcmp(data + i + 1, "HTTP/1.", rest < 7 ? rest : 7))
			return 0;
	}
	memcpy(method, data, m);
	method[m] = '\0';
	if (i - p >= path_cap)
		i = p + path_cap - 1;
	memcpy(path, data + p, i - p);
	path[i - p] = '\0';
	return 1;
}

/* Case-insensitive: does the header line at L (up to END) have name NAME? */
static const char *header_value(const char *l, const char *end, const char *name)
{
	size_t len = strlen(name);

	if ((size_t)(end - l) <= len || strncasecmp(l, name, len) || l[len] != ':')
		return NULL;
	l += len + 1;
	while (l < end && (*l == ' ' || *l == '\t'))
		l++;
	return l;
}

int http_parse_response(const char *data, size_t n, unsigned *status, uint64_t *length)
{
	const char *p, *end = data + n, *eol;

	if (n < 12 || memcmp(data, "HTTP/1.", 7) || !isdigit((unsigned char)data[7]) || data[8] != ' ')
		return 0;
	if (!isdigit((unsigned char)data[9]) || !isdigit((unsigned char)data[10]) || !isdigit((unsigned char)data[11]))
		return 0;
	if (n > 12 && data[12] != ' ' && data[12] != '\r' && data[12] != '\n')
		return 0;
	*status = (unsigned)(data[9] - '0') * 100 + (unsigned)(data[10] - '0') * 10 + (unsigned)(data[11] - '0');
	/* headers, a line each, until the empty line: never past it (the body) */
	for (p = data; p < end; p = eol + 1) {
		const char *v;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break; /* a line cut by the capture */
		if (eol == p || (eol == p + 1 && *p == '\r'))
			break;
		if (p != data && (v = header_value(p, eol, "Content-Length")) && isdigit((unsigned char)*v)) {
			uint64_t len = 0;
			while (v < eol && isdigit((unsigned char)*v) && len < UINT64_MAX / 10)
				len = len * 10 + (uint64_t)(*v++ - '0');
			if (v < eol && *v != '\r' && *v != ' ' && *v != '\t')
				continue;
			*length = len;
		}
	}
	return 1;
}

static size_t hash(uint32_t pid, uint64_t cookie)
{
	uint64_t h = (cookie ^ ((uint64_t)pid << 32) ^ pid) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 52) % BUCKETS;
}

static struct http_conn **find(struct http_tracker *t, uint32_t pid, uint64_t cookie)
{
	struct http_conn **pp = &t->bucket[hash(pid, cookie)];

	while (*pp && ((*pp)->pid != pid || (*pp)->cookie != cookie))
		pp = &(*pp)->next;
	return pp;
}

struct http_tracker *http_new(void)
{
	return calloc(1, sizeof(struct http_tracker));
}

void http_free(struct http_tracker *t)
{
	if (!t)
		return;
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct http_conn *c = t->bucket[b], *next; c; c = next) {
			next = c->next;
			free(c);
		}
	free(t);
}

uint64_t http_lost(const struct http_tracker *t)
{
	return t ? t->lost : 0;
}

static void format_addr(char *out, size_t cap, uint8_t family, const uint8_t raw[16])
{
	unsigned char a[16];

	memcpy(a, raw, sizeof(a));
	if (!family || !inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, out, (socklen_t)cap))
		out[0] = '\0';
}

/* The row of request R of process PID, answered with STATUS (0: none) at END. */
static void emit_row(uint32_t pid, const struct http_req *r, unsigned status, uint64_t bytes, uint64_t end,
		     http_emit_fn emit, void *ctx)
{
	struct fr_http row;

	memset(&row, 0, sizeof(row));
	row.head.kind = FR_KIND_http;
	row.head.size = sizeof(row);
	row.ts = r->ts;
	row.pid = pid;
	row.tid = r->tid;
	memcpy(row.comm, r->comm, sizeof(row.comm));
	row.comm[sizeof(row.comm) - 1] = '\0';
	format_addr(row.laddr, sizeof(row.laddr), r->family, r->laddr);
	format_addr(row.raddr, sizeof(row.raddr), r->family, r->raddr);
	row.lport = r->lport;
	row.rport = r->rport;
	memcpy(row.role, r->role_client ? "client" : "server", 7);
	memcpy(row.method, r->method, sizeof(row.method));
	memcpy(row.path, r->path, sizeof(row.path));
	row.status = (uint16_t)status;
	row.latency_ns = end > r->ts ? end - r->ts : 0;
	row.bytes = bytes;
	row.tls = r->tls;
	emit(ctx, &row);
}

static void drop_conn(struct http_tracker *t, struct http_conn **pp)
{
	struct http_conn *c = *pp;

	*pp = c->next;
	free(c);
}

static void on_request(struct http_tracker *t, const struct fr_http_msg *m, const char *method, const char *path,
		       http_emit_fn emit, void *ctx)
{
	struct http_conn **pp = find(t, m->pid, m->cookie), *c = *pp;
	struct http_req *r;

	if (!c) {
		if (t->pending >= HTTP_PENDING_MAX) {
			t->lost++;
			return;
		}
		if (!(c = calloc(1, sizeof(*c)))) {
			t->lost++;
			return;
		}
		c->pid = m->pid;
		c->cookie = m->cookie;
		c->next = t->bucket[hash(m->pid, m->cookie)];
		t->bucket[hash(m->pid, m->cookie)] = c;
	} else if (c->n == PIPELINE) { /* the oldest was never answered */
		emit_row(c->pid, &c->q[c->head], 0, 0, m->ts, emit, ctx);
		c->head = (c->head + 1) % PIPELINE;
		c->n--;
		t->pending--;
	} else if (c->n && c->q[(c->head + c->n - 1) % PIPELINE].role_client != (m->dir == FR_HTTP_OUT)) {
		/* the other way round on the same connection: the earlier ones were not HTTP after all */
		t->pending -= (size_t)c->n;
		c->n = 0;
	}
	r = &c->q[(c->head + c->n) % PIPELINE];
	memset(r, 0, sizeof(*r));
	r->ts = m->ts;
	r->tid = m->tid;
	r->role_client = m->dir == FR_HTTP_OUT;
	r->tls = m->tls;
	r->family = m->family == 4 || m->family == 6 ? m->family : 0;
	r->lport = m->lport;
	r->rport = m->rport;
	memcpy(r->laddr, m->laddr, sizeof(r->laddr));
	memcpy(r->raddr, m->raddr, sizeof(r->raddr));
	memcpy(r->comm, m->comm, sizeof(r->comm));
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->path, sizeof(r->path), "%s", path);
	c->n++;
	t->pending++;
}

static void on_response(struct http_tracker *t, const struct fr_http_msg *m, unsigned status, uint64_t bytes,
			http_emit_fn emit, void *ctx)
{
	struct http_conn **pp = find(t, m->pid, m->cookie), *c = *pp;
	struct http_req *r;

	if (!c || !c->n)
		return;
	r = &c->q[c->head];
	/* a server writes its response, a client reads it */
	if (r->role_client != (m->dir == FR_HTTP_IN))
		return;
	if (status >= 100 && status < 200 && status != 101)
		return; /* 100 Continue and the like: the final response follows */
	if (!r->family && m->family) { /* a TLS request seen without its socket */
		r->family = m->family;
		r->lport = m->lport;
		r->rport = m->rport;
		memcpy(r->laddr, m->laddr, sizeof(r->laddr));
		memcpy(r->raddr, m->raddr, sizeof(r->raddr));
	}
	emit_row(c->pid, r, status, bytes, m->ts, emit, ctx);
	c->head = (c->head + 1) % PIPELINE;
	c->n--;
	t->pending--;
	if (!c->n)
		drop_conn(t, pp);
}

void http_observe(struct http_tracker *t, const struct fr_http_msg *m, http_emit_fn emit, void *ctx)
{
	char method[16], path[192];
	size_t n = m->cap < FR_HTTP_CAP ? m->cap : FR_HTTP_CAP;
	unsigned status;
	uint64_t bytes = m->len;

	if (!t)
		return;
	if (http_parse_response(m->data, n, &status, &bytes))
		on_response(t, m, status, bytes, emit, ctx);
	else if (http_parse_request(m->data, n, method, sizeof(method), path, sizeof(path)))
		on_request(t, m, method, path, emit, ctx);
}

void http_expire(struct http_tracker *t, uint64_t now, int all, http_emit_fn emit, void *ctx)
{
	if (!t)
		return;
	for (size_t b = 0; b < BUCKETS; b++) {
		struct http_conn **pp = &t->bucket[b];
		while (*pp) {
			struct http_conn *c = *pp;
			while (c->n && (all || c->q[c->head].ts + HTTP_TIMEOUT_NS <= now)) {
				emit_row(c->pid, &c->q[c->head], 0, 0, now, emit, ctx);
				c->head = (c->head + 1) % PIPELINE;
				c->n--;
				t->pending--;
			}
			if (!c->n)
				drop_conn(t, pp);
			else
				pp = &c->next;
		}
	}
}
