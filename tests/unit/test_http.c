/*
 * test_http.c - the HTTP/1.x parser and pairing of recorder/http.c: request
 * and status lines (cut by the capture or not), Content-Length only within
 * the headers, and the tracker: a server and a client exchange, keep-alive,
 * pipelining, 100 Continue, an unanswered request, a response in the wrong
 * direction.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tap.h"

static int req(const char *s, char *m, char *p)
{
	return http_parse_request(s, strlen(s), m, 16, p, 192);
}

static void test_request(void)
{
	char m[16], p[192];

	ok(req("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", m, p) && !strcmp(m, "GET") && !strcmp(p, "/index.html"),
	   "http_parse_request - GET /index.html HTTP/1.1, expect GET and the path");
	ok(req("POST /api?q=1 HTTP/1.0\r\n", m, p) && !strcmp(m, "POST") && !strcmp(p, "/api?q=1"),
	   "http_parse_request - POST with a query, expect it whole");
	ok(req("GET /a-very-long-path-cut-by-the-cap", m, p) && !strcmp(p, "/a-very-long-path-cut-by-the-cap"),
	   "http_parse_request - a target cut by the end of the capture, expect what there is");
	ok(req("GET /x HTT", m, p) && !strcmp(p, "/x"), "http_parse_request - a version cut by the capture, expect 1");
	ok(!req("GET /x FOO/1.1\r\n", m, p), "http_parse_request - not HTTP/1.x after the target, expect 0");
	ok(!req("GET /x\r\n", m, p), "http_parse_request - HTTP/0.9 (no version), expect 0");
	ok(!req("GETTING things done", m, p), "http_parse_request - a word, not a method, expect 0");
	ok(!req("GET  /x HTTP/1.1\r\n", m, p), "http_parse_request - an empty target, expect 0");
	ok(!req("HTTP/1.1 200 OK\r\n", m, p), "http_parse_request - a status line, expect 0");
}

static void test_response(void)
{
	unsigned st = 0;
	uint64_t len = 7;
	const char *r = "HTTP/1.1 404 Not Found\r\nServer: x\r\ncontent-length:  153\r\n\r\n";
	const char *body = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nContent-Length: 99\r\n";
	const char *cut = "HTTP/1.1 200 OK\r\nContent-Length: 12";

	ok(http_parse_response(r, strlen(r), &st, &len) && st == 404 && len == 153,
	   "http_parse_response - 404 with a lower-case Content-Length, expect 404 and 153");
	len = 7;
	ok(http_parse_response(body, strlen(body), &st, &len) && st == 200 && len == 7,
	   "http_parse_response - a Content-Length after the headers' end (the body), expect it ignored");
	len = 7;
	ok(http_parse_response(cut, strlen(cut), &st, &len) && len == 7,
	   "http_parse_response - a header line cut by the capture, expect it ignored");
	ok(http_parse_response("HTTP/1.0 503", 12, &st, &len) && st == 503, "http_parse_response - bare status, expect 503");
	ok(!http_parse_response("HTTP/2 200 OK\r\n", 15, &st, &len), "http_parse_response - HTTP/2, expect 0");
	ok(!http_parse_response("HTTP/1.1 20x OK\r\n", 17, &st, &len), "http_parse_response - a bad code, expect 0");
	ok(!http_parse_response("HTTP/1.1 2000 OK\r\n", 18, &st, &len), "http_parse_response - four digits, expect 0");
}

static struct fr_http rows[16];
static int nrows;

static void collect(void *ctx, const struct fr_http *r)
{
	if (nrows < 16)
		rows[nrows++] = *r;
}

static void msg(struct http_tracker *t, uint32_t pid, uint64_t cookie, int dir, uint64_t ts, const char *data,
		uint32_t len)
{
	struct fr_http_msg m;

	memset(&m, 0, sizeof(m));
	m.head.kind = FR_EV_HTTP;
	m.head.size = sizeof(m);
	m.ts = ts;
	m.pid = pid;
	m.tid = pid;
	m.cookie = cookie;
	m.dir = (uint8_t)dir;
	m.len = len;
	m.cap = (uint16_t)(strlen(data) < FR_HTTP_CAP ? strlen(data) : FR_HTTP_CAP);
	memcpy(m.data, data, m.cap);
	m.family = 4;
	m.laddr[0] = 127, m.laddr[3] = 1;
	m.raddr[0] = 10, m.raddr[3] = 2;
	m.lport = 80;
	m.rport = 40000;
	strcpy(m.comm, "srv");
	http_observe(t, &m, collect, NULL);
}

static void test_tracker(void)
{
	struct http_tracker *t = http_new();
	const char *ok200 = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";

	nrows = 0;
	msg(t, 10, 1, FR_HTTP_IN, 1000, "GET /a HTTP/1.1\r\n\r\n", 19);
	msg(t, 10, 1, FR_HTTP_OUT, 5000, ok200, 300);
	ok(nrows == 1 && !strcmp(rows[0].role, "server") && !strcmp(rows[0].path, "/a") && rows[0].status == 200 &&
		   rows[0].bytes == 1234 && rows[0].latency_ns == 4000 && rows[0].ts == 1000 &&
		   !strcmp(rows[0].laddr, "127.0.0.1") && !strcmp(rows[0].raddr, "10.0.0.2") && rows[0].lport == 80,
	   "http_observe - read request, written response, expect one server row with everything");
	nrows = 0;
	msg(t, 20, 2, FR_HTTP_OUT, 1000, "GET /b HTTP/1.1\r\n\r\n", 19);
	msg(t, 20, 2, FR_HTTP_IN, 3000, "HTTP/1.1 302 Found\r\n\r\n", 222);
	ok(nrows == 1 && !strcmp(rows[0].role, "client") && rows[0].status == 302 && rows[0].bytes == 222,
	   "http_observe - written request, read response without Content-Length, expect a client row, bytes 222");
	nrows = 0;
	msg(t, 30, 3, FR_HTTP_IN, 100, "GET /1 HTTP/1.1\r\n\r\n", 19);
	msg(t, 30, 3, FR_HTTP_IN, 200, "GET /2 HTTP/1.1\r\n\r\n", 19);
	msg(t, 30, 3, FR_HTTP_OUT, 300, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	msg(t, 30, 3, FR_HTTP_OUT, 400, ok200, 50);
	msg(t, 30, 3, FR_HTTP_OUT, 500, "HTTP/1.1 500 Oops\r\n\r\n", 21);
	ok(nrows == 2 && !strcmp(rows[0].path, "/1") && rows[0].status == 200 && !strcmp(rows[1].path, "/2") &&
		   rows[1].status == 500 && rows[1].latency_ns == 300,
	   "http_observe - two pipelined requests, 100 Continue skipped, expect /1 200 then /2 500 in order");
	nrows = 0;
	msg(t, 40, 4, FR_HTTP_IN, 100, "GET /x HTTP/1.1\r\n\r\n", 19);
	msg(t, 40, 4, FR_HTTP_IN, 200, ok200, 50);
	ok(nrows == 0, "http_observe - a server reading a response, expect no row");
	msg(t, 41, 4, FR_HTTP_OUT, 300, ok200, 50);
	ok(nrows == 0, "http_observe - a response of another process on the same cookie, expect no row");
	http_expire(t, 100 + HTTP_TIMEOUT_NS - 1, 0, collect, NULL);
	ok(nrows == 0, "http_expire - a request younger than the timeout, expect it kept");
	http_expire(t, 100 + HTTP_TIMEOUT_NS, 0, collect, NULL);
	ok(nrows == 1 && rows[0].status == 0 && rows[0].bytes == 0 && rows[0].latency_ns == HTTP_TIMEOUT_NS,
	   "http_expire - after the timeout, expect a row with status 0 and the time waited");
	nrows = 0;
	for (int i = 0; i < 5; i++)
		msg(t, 50, 5, FR_HTTP_IN, 100 + (uint64_t)i, "GET /p HTTP/1.1\r\n\r\n", 19);
	ok(nrows == 1 && rows[0].status == 0 && rows[0].ts == 100,
	   "http_observe - a fifth request waiting on one connection, expect the oldest given up");
	http_expire(t, 1000, 1, collect, NULL);
	ok(nrows == 5, "http_expire - all, expect the four left as rows with status 0");
	http_free(t);
}

int main(void)
{
	test_request();
	test_response();
	test_tracker();
	tap_plan(tap_n);
	return tap_failed ? 1 : 0;
}
