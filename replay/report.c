/*
 * report.c - `.report FILE` and `--report FILE`: the HTML incident report,
 * one page that carries everything it shows (report.h).
 *
 * The page is: a Content-Security-Policy that allows no fetch of any kind
 * and only the page's own two scripts (by their SHA-256), the style, the
 * data as a JSON script element (never run; its '<' written as \u003c so
 * that no string in it can close the element), d3 and report.js.  The
 * scripts and the style are compiled in (replay/report-assets.h, made at
 * build time from Debian's libjs-d3 and replay/report.{js,css}).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dot.h"
#include "report-assets.h"
#include "report.h"
#include "sha256.h"

/* d3 is BSD-licensed: its notice travels with the copy inlined. */
static const char d3_notice[] = "/* d3 " REPORT_D3_VERSION " (from Debian's libjs-d3), Copyright 2010-2016 Mike Bostock,"
				" BSD-3-Clause (its text: /usr/share/doc/libjs-d3/copyright) */\n";

/* 'sha256-BASE64' of the bytes of A then B (a script's text), for the CSP's script-src. */
static void csp_hash(const void *a, size_t alen, const void *b, size_t blen, char out[64])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct sha256 h;
	char hex[65];
	uint8_t d[33] = { 0 };
	char *o = out;

	sha256_init(&h);
	sha256_update(&h, a, alen);
	sha256_update(&h, b, blen);
	sha256_hex(&h, hex);
	for (int i = 0; i < 32; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		d[i] = (uint8_t)v;
	}
	o += sprintf(o, "'sha256-");
	for (int i = 0; i < 33; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)(i + 1 < 33 ? d[i + 1] : 0) << 8 | (i + 2 < 33 ? d[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < 32 ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < 32 ? b64[v & 63] : '=';
	}
	*o++ = '\'';
	*o = '\0';
}

/* The data as the text of a <script type="application/json">: '<' can only be inside a JSON string. */
static void put_json_in_script(FILE *f, const char *json, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (json[i] == '<')
			fputs("\\u003c", f);
		else
			fputc(json[i], f);
	}
}

static int page_write(struct replay *r, FILE *f, char *err, size_t errlen)
{
	char *json = NULL, d3_hash[64], js_hash[64];
	size_t json_len = 0;
	FILE *m = open_memstream(&json, &json_len);

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (report_data(r, m, err, errlen)) {
		fclose(m);
		free(json);
		return -1;
	}
	if (fclose(m)) {
		free(json);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	csp_hash(d3_notice, strlen(d3_notice), report_d3_js, sizeof(report_d3_js) - 1, d3_hash);
	csp_hash("", 0, report_js, sizeof(report_js) - 1, js_hash);
	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src %s %s;"
		" style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"flightrec-replay %s\">\n"
		"<title>flightrec incident report</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>\n",
		d3_hash, js_hash, FR_VERSION);
	fwrite(report_css, 1, sizeof(report_css) - 1, f);
	fputs("</style>\n</head>\n<body>\n<noscript>This report draws itself with JavaScript; the data is in the"
	      " fr-data element of this file.</noscript>\n<div id=\"app\"></div>\n"
	      "<script type=\"application/json\" id=\"fr-data\">",
	      f);
	put_json_in_script(f, json, json_len);
	free(json);
	fputs("</script>\n<script>", f);
	fputs(d3_notice, f);
	fwrite(report_d3_js, 1, sizeof(report_d3_js) - 1, f);
	fputs("</script>\n<script>", f);
	fwrite(report_js, 1, sizeof(report_js) - 1, f);
	fputs("</script>\n</body></html>\n", f);
	return 0;
}

int report_write(struct replay *r, const char *path, char *err, size_t errlen)
{
	char *tmp = NULL, *dir = strdup(path);
	FILE *f = NULL;
	int ret = -1, fd;

	if (!dir || asprintf(&tmp, "%s.tmp", path) < 0) {
		snprintf(err, errlen, "out of memory");
		tmp = NULL;
		goto out;
	}
	if (!(f = fopen(tmp, "w"))) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (page_write(r, f, err, errlen))
		goto out;
	/* durable: the page, then its name, then the directory that holds the name */
	if (fflush(f) || fsync(fileno(f))) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f)) {
		f = NULL;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path)) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(fd);
		close(fd);
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	if (ret && tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	return ret;
}

int dot_report(struct replay *r, int argc, char **argv)
{
	char err[512];

	if (report_write(r, argv[1], err, sizeof(err))) {
		fprintf(stderr, "flightrec-replay: .report: %s\n", err);
		return -1;
	}
	fprintf(r->out.fp, "wrote the report to %s\n", argv[1]);
	return 0;
}
