/*
 * cmd_verify.c - `flightrec verify ARCHIVE...`: is this archive whole and
 * true to its manifest?  Checks every member against SHA256SUMS, every
 * block's CRC, and that every record lies inside the manifest's window.
 * One line per archive: "ok" with what it holds, or the first problem,
 * naming the member; exit 1 if any archive is bad.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "input.h"

struct verify_ctx {
	const char *path;
	char first_problem[600];
	int problems;
	int have_window;
	int64_t start_ns, end_ns;
	uint64_t records, outside;
	char outside_example[128];
	char start_utc[40], end_utc[40];
};

/* The integer after "KEY": in JSON TEXT; 0 when absent. */
static int json_int(const char *text, const char *key, int64_t *v)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if (!(p = strstr(text, pat)))
		return -1;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	char *end;
	long long x = strtoll(p, &end, 10);
	if (end == p)
		return -1;
	*v = x;
	return 0;
}

static int on_manifest(void *ctx, const char *path, const char *json, size_t len)
{
	struct verify_ctx *v = ctx;

	if (json_int(json, "start_ns", &v->start_ns) == 0 && json_int(json, "end_ns", &v->end_ns) == 0 &&
	    v->start_ns <= v->end_ns)
		v->have_window = 1;
	return 0;
}

static int on_record(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k, const void *rec)
{
	struct verify_ctx *v = ctx;
	int64_t ts = fr_field_int(&k->fields[0], rec);

	v->records++;
	/* The clock pairs are microsecond-exact at best: allow their jitter. */
	if (v->have_window && (ts < v->start_ns - 1000000 || ts > v->end_ns + 1000000)) {
		if (!v->outside++) {
			char when[40];
			fr_format_utc(ts, when, sizeof(when));
			snprintf(v->outside_example, sizeof(v->outside_example), "a %s record at %s", k->name, when);
		}
	}
	return 0;
}

static void on_warn(void *ctx, const char *name, const char *msg)
{
	struct verify_ctx *v = ctx;

	size_t n = strlen(v->path);

	if (v->problems++)
		return;
	/* Damage inside a member is reported under "ARCHIVE:MEMBER". */
	if (!strncmp(name, v->path, n) && name[n] == ':')
		snprintf(v->first_problem, sizeof(v->first_problem), "member %s: %s", name + n + 1, msg);
	else
		snprintf(v->first_problem, sizeof(v->first_problem), "%s", msg);
}

int archive_verify(const char *path, char *msg, size_t cap)
{
	struct fr_input_ops ops = { .record = on_record, .warn = on_warn, .manifest = on_manifest };
	struct fr_read_stats st = { 0 };
	struct verify_ctx *v = calloc(1, sizeof(*v));
	char err[512];
	int bad = -1;

	if (!v) {
		snprintf(msg, cap, "out of memory");
		return -1;
	}
	v->path = path;
	if (fr_input_read(path, &ops, v, &st, err, sizeof(err)) < 0) {
		snprintf(msg, cap, "%s", err);
	} else if (v->problems) {
		snprintf(msg, cap, "%s", v->first_problem);
	} else if (!v->have_window) {
		snprintf(msg, cap, "member MANIFEST.json states no window (start_ns, end_ns)");
	} else if (v->outside) {
		snprintf(msg, cap, "member window.seg holds %" PRIu64 " records outside the window, first %s",
			 v->outside, v->outside_example);
	} else {
		char a[40], b[40];
		fr_format_utc(v->start_ns, a, sizeof(a));
		fr_format_utc(v->end_ns, b, sizeof(b));
		snprintf(msg, cap, "ok, %" PRIu64 " records in %" PRIu64 " blocks, all inside %s .. %s, checksums match",
			 v->records, st.blocks, a, b);
		bad = 0;
	}
	free(v);
	return bad;
}

static int verify_one(const char *path)
{
	char msg[1024];

	if (archive_verify(path, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "flightrec: %s: %s\n", path, msg);
		return 1;
	}
	printf("%s: %s\n", path, msg);
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: flightrec verify ARCHIVE...\n\n"
			       "Check each archive: members against SHA256SUMS, block CRCs, every record inside\n"
			       "the manifest's window.  Prints one line per archive; exit 1 if any is bad.\n");
			return 0;
		}
		fprintf(stderr, "usage: flightrec verify ARCHIVE...\n");
		return 1;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: flightrec verify ARCHIVE...\n");
		return 1;
	}
	for (int i = optind; i < argc; i++)
		status |= verify_one(argv[i]);
	return status;
}
