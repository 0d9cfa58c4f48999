/*
 * clickhouse.c - a ClickHouse server over HTTP with libcurl (clickhouse.h).
 *
 * One curl easy handle per server, reused, so that a load of many tables
 * keeps one connection alive.  The server answers an error with a status
 * other than 200 and a body "Code: N, e.displayText() = DB::Exception:
 * WHAT, e.what() = ..." (18.x) or "Code: N. DB::Exception: WHAT" (later);
 * WHAT is the part a person needs.
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse.h"

struct ch {
	CURL *curl;
	char base[512];     /* scheme://host:port/ */
	char server[300];   /* host:port */
	char database[128];
	char cluster[128];
	char user[128], password[256];
	char err[768];
	char curlerr[CURL_ERROR_SIZE];
};

void ch_put_tsv(struct strbuf *b, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc = NULL;
		switch (s[i]) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\0': esc = "\\0"; break;
		}
		if (!esc)
			continue;
		strbuf_put(b, s + run, i - run);
		strbuf_put(b, esc, 2);
		run = i + 1;
	}
	strbuf_put(b, s + run, n - run);
}

/* The value of query parameter NAME in QUERY ("a=1&b=2"), URL-decoded, into OUT. */
static void query_param(const char *query, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);

	out[0] = '\0';
	for (const char *p = query; p && *p;) {
		size_t len = strcspn(p, "&");
		if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			char *v = curl_easy_unescape(NULL, p + nl + 1, (int)(len - nl - 1), NULL);
			snprintf(out, cap, "%s", v ? v : "");
			curl_free(v);
			return;
		}
		p += len + (p[len] == '&');
	}
}

/* 1 when NAME is a plain identifier, safe to put in SQL unquoted. */
static int is_ident(const char *name)
{
	if (!*name)
		return 0;
	for (const char *p = name; *p; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (p != name && *p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

struct ch *ch_open(const char *url, char *err, size_t errlen)
{
	static int inited;
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *password = NULL, *query = NULL;
	struct ch *c = calloc(1, sizeof(*c));

	/* libcurl's own process-wide set-up, once, before the first handle */
	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	if (!c || !u) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "'%s' is not a ClickHouse URL: expected http://[USER[:PASSWORD]@]HOST[:PORT][/?database=DB]", url);
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		snprintf(err, errlen, "'%s': no port", url);
		goto fail;
	}
	curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
	curl_url_get(u, CURLUPART_PASSWORD, &password, CURLU_URLDECODE);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	snprintf(c->server, sizeof(c->server), "%s:%s", host, port);
	snprintf(c->base, sizeof(c->base), "%s://%s:%s/", scheme, host, port);
	snprintf(c->user, sizeof(c->user), "%s", user ? user : "default");
	snprintf(c->password, sizeof(c->password), "%s", password ? password : "");
	query_param(query, "database", c->database, sizeof(c->database));
	query_param(query, "cluster", c->cluster, sizeof(c->cluster));
	if (!c->database[0])
		snprintf(c->database, sizeof(c->database), "flightrec");
	if (!is_ident(c->database) || (c->cluster[0] && !is_ident(c->cluster))) {
		snprintf(err, errlen, "'%s': database and cluster must be names of letters, digits and _", url);
		goto fail;
	}
	if (!(c->curl = curl_easy_init())) {
		snprintf(err, errlen, "cannot start libcurl");
		goto fail;
	}
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->curlerr);
	curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
	curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->password);
	curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	/* a server that stops answering: 60 s below 1 byte/s ends the call */
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_url_cleanup(u);
	curl_free(scheme), curl_free(host), curl_free(port), curl_free(user), curl_free(password), curl_free(query);
	return c;
fail:
	curl_url_cleanup(u);
	curl_free(scheme), curl_free(host), curl_free(port), curl_free(user), curl_free(password), curl_free(query);
	ch_close(c);
	return NULL;
}

void ch_close(struct ch *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	memset(c->password, 0, sizeof(c->password));
	free(c);
}

const char *ch_server(const struct ch *c) { return c->server; }
const char *ch_database(const struct ch *c) { return c->database; }
const char *ch_cluster(const struct ch *c) { return c->cluster; }
const char *ch_error(const struct ch *c) { return c->err; }

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	strbuf_put(ctx, data, size * n);
	return size * n;
}

/* The server's error body as one line: "WHAT (code N)". */
static void server_said(struct ch *c, long status, const char *body)
{
	const char *what = body ? strstr(body, "DB::Exception: ") : NULL;
	int code = body && !strncmp(body, "Code: ", 6) ? atoi(body + 6) : 0;

	if (!what) {
		size_t n = body ? strcspn(body, "\r\n") : 0;
		snprintf(c->err, sizeof(c->err), "clickhouse at %s: HTTP %ld%s%.*s", c->server, status, n ? ": " : "",
			 (int)(n > 300 ? 300 : n), body ? body : "");
		return;
	}
	what += strlen("DB::Exception: ");
	size_t n = strcspn(what, "\r\n");
	const char *end = strstr(what, ", e.what() = ");
	if (end && (size_t)(end - what) < n)
		n = (size_t)(end - what);
	if (n > 400)
		n = 400;
	snprintf(c->err, sizeof(c->err), "clickhouse at %s: %.*s (code %d)", c->server, (int)n, what, code);
}

/* POST BODY to the server with the query parameters PARAMS; the answer into OUT. */
static int post(struct ch *c, const char *params, const char *body, size_t len, struct strbuf *out)
{
	struct strbuf answer = { 0 };
	char *url = malloc(strlen(c->base) + strlen(params) + 2);
	long status = 0;
	CURLcode rc;

	if (!url) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return -1;
	}
	sprintf(url, "%s?%s", c->base, params);
	c->curlerr[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &answer);
	rc = curl_easy_perform(c->curl);
	free(url);
	if (rc != CURLE_OK) {
		snprintf(c->err, sizeof(c->err), "clickhouse at %s: %s", c->server,
			 c->curlerr[0] ? c->curlerr : curl_easy_strerror(rc));
		strbuf_free(&answer);
		return -1;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		server_said(c, status, answer.p);
		strbuf_free(&answer);
		return -1;
	}
	if (answer.oom) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		strbuf_free(&answer);
		return -1;
	}
	if (out && answer.len)
		strbuf_put(out, answer.p, answer.len);
	strbuf_free(&answer);
	return 0;
}

int ch_exec(struct ch *c, const char *sql, int in_db, struct strbuf *out)
{
	char params[256];

	snprintf(params, sizeof(params), "%s%s", in_db ? "database=" : "", in_db ? c->database : "");
	return post(c, params, sql, strlen(sql), out);
}

int ch_insert(struct ch *c, const char *target, const char *rows, size_t len)
{
	char sql[8192], *q;
	int ret;

	snprintf(sql, sizeof(sql), "INSERT INTO %s FORMAT TabSeparated", target);
	if (!(q = curl_easy_escape(c->curl, sql, 0))) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return -1;
	}
	char *params = malloc(strlen(q) + sizeof(c->database) + 32);
	if (!params) {
		curl_free(q);
		snprintf(c->err, sizeof(c->err), "out of memory");
		return -1;
	}
	sprintf(params, "database=%s&query=%s", c->database, q);
	curl_free(q);
	ret = post(c, params, rows, len, NULL);
	free(params);
	return ret;
}
