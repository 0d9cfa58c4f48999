/*
 * flame.c - .flame: the CPU samples as folded stacks ("comm;a;b;c count",
 * outermost first, the format of flamegraph.pl and speedscope), or drawn
 * as a flame graph in an SVG file.  The samples are cpu_samples joined
 * with stacks (schema/records.def, kinds stack and cpu_sample), whose
 * frames the loader named from the archive's symbols.txt.  With --offcpu
 * the same of the off-CPU stacks (offcpu_samples), each weighted by the
 * microseconds its sleeps lasted rather than by a count.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dot.h"
#include "timearg.h"

/* One frame of the merged stacks: its samples, its children. */
struct fnode {
	char *name;
	uint64_t count;
	struct fnode *child, *next;
};

static void fnode_free(struct fnode *n)
{
	while (n) {
		struct fnode *next = n->next;
		fnode_free(n->child);
		free(n->name);
		free(n);
		n = next;
	}
}

/* Add COUNT samples of the folded stack F (';'-separated, outermost first) under ROOT; 0 or -ENOMEM. */
static int fnode_add(struct fnode *root, const char *f, uint64_t count)
{
	struct fnode *at = root;

	root->count += count;
	while (*f) {
		size_t n = strcspn(f, ";");
		struct fnode *c = at->child, **last = &at->child;
		for (; c && (strncmp(c->name, f, n) || c->name[n]); c = c->next)
			last = &c->next;
		if (!c) {
			if (!(c = calloc(1, sizeof(*c))) || !(c->name = strndup(f, n))) {
				free(c);
				return -ENOMEM;
			}
			*last = c;
		}
		c->count += count;
		at = c;
		f += n;
		if (*f)
			f++;
	}
	return 0;
}

static void xml_text(FILE *fp, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '<')
			fputs("&lt;", fp);
		else if (c == '>')
			fputs("&gt;", fp);
		else if (c == '&')
			fputs("&amp;", fp);
		else if (c == '"')
			fputs("&quot;", fp);
		else if (c < 0x20)
			fputc('?', fp);
		else
			fputc(c, fp);
	}
}

#define SVG_W 1200.0
#define SVG_ROW 16
#define SVG_PAD 10.0
#define SVG_CHAR_W 7.0

/* Draw N and its siblings at X (in UNITs: samples, us) and DEPTH; TOTAL span the width, image HEIGHT. */
static void svg_nodes(FILE *fp, const struct fnode *n, uint64_t x, int depth, uint64_t total, int height,
		      const char *unit)
{
	double scale = (SVG_W - 2 * SVG_PAD) / (double)total;

	for (; n; x += n->count, n = n->next) {
		double w = (double)n->count * scale, px = SVG_PAD + (double)x * scale;
		int y = height - SVG_ROW * (depth + 2);
		unsigned h = 0;

		if (w < 0.3)
			continue; /* too narrow to see; its samples are in its parent's width */
		for (const char *c = n->name; *c; c++)
			h = h * 31 + (unsigned char)*c;
		fprintf(fp, "<g><title>");
		xml_text(fp, n->name, strlen(n->name));
		fprintf(fp, " (%llu %s, %.2f%%)</title>", (unsigned long long)n->count, unit,
			100.0 * (double)n->count / (double)total);
		fprintf(fp, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"rgb(%u,%u,%u)\" rx=\"2\"/>", px, y,
			w, SVG_ROW - 1, 205 + h % 50, 80 + (h >> 8) % 150, 40 + (h >> 16) % 40);
		if (w > 3 * SVG_CHAR_W) {
			size_t fit = (size_t)((w - 6) / SVG_CHAR_W), len = strlen(n->name);
			fprintf(fp, "<text x=\"%.1f\" y=\"%d\">", px + 3, y + SVG_ROW - 4);
			xml_text(fp, n->name, len <= fit ? len : fit - 2);
			fprintf(fp, "%s</text>", len <= fit ? "" : "..");
		}
		fprintf(fp, "</g>\n");
		svg_nodes(fp, n->child, x, depth + 1, total, height, unit);
	}
}

static int fnode_depth(const struct fnode *n)
{
	int d = 0;

	for (; n; n = n->next) {
		int c = 1 + fnode_depth(n->child);
		if (c > d)
			d = c;
	}
	return d;
}

static int svg_write(const char *path, const struct fnode *root, const char *title, const char *unit)
{
	int height = SVG_ROW * (fnode_depth(root->child) + 3) + 20;
	FILE *fp = fopen(path, "we");

	if (!fp) {
		fprintf(stderr, "flightrec-replay: .flame: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(fp,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%.0f\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">\n"
		"<style>text { font-family: monospace; font-size: 11px; fill: #000; } rect:hover { stroke: #000; }"
		"</style>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#f8f8f8\"/>\n"
		"<text x=\"%.0f\" y=\"20\">",
		SVG_W, height, SVG_PAD);
	xml_text(fp, title, strlen(title));
	fprintf(fp, " (%llu %s)</text>\n", (unsigned long long)root->count, unit);
	if (root->count)
		svg_nodes(fp, root->child, 0, 0, root->count, height, unit);
	fprintf(fp, "</svg>\n");
	if (fclose(fp)) {
		fprintf(stderr, "flightrec-replay: .flame: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* PID when S is a number that can be one, else 0. */
static int64_t as_pid(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return *s && !*end && v > 0 && v <= 0x7fffffffLL ? v : 0;
}

int dot_flame(struct replay *r, int argc, char **argv)
{
	int64_t start = dot_window_start(r), from = INT64_MIN, to = INT64_MAX, pid = 0;
	const char *comm = NULL, *svg = NULL;
	struct fnode root = { 0 };
	sqlite3_stmt *s;
	int npos = 0, ret = 0, rc, offcpu = 0;
	char sql[512];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--svg")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "flightrec-replay: .flame: --svg needs a FILE\n");
				return -1;
			}
			svg = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--offcpu")) {
			offcpu = 1;
			continue;
		}
		/*
		 * The first word names the process: a short number is a pid
		 * (a time in raw ns has more digits), a word that is no time
		 * a command name.  Then FROM and TO.
		 */
		int64_t t;
		if (npos == 0 && !pid && !comm) {
			if (strlen(argv[i]) < 10 && as_pid(argv[i])) {
				pid = as_pid(argv[i]);
				continue;
			}
			if (parse_time_ns(argv[i], start, &t)) {
				comm = argv[i];
				continue;
			}
		}
		if (npos >= 2 || parse_time_ns(argv[i], start, npos ? &to : &from)) {
			fprintf(stderr, "flightrec-replay: .flame: bad argument '%s' (usage: .flame [--offcpu] [PID|COMM] [FROM] [TO] [--svg FILE])\n",
				argv[i]);
			return -1;
		}
		npos++;
	}
	if (!dot_has_table(r, offcpu ? "offcpu_samples" : "cpu_samples") || !dot_has_table(r, "stacks")) {
		fprintf(stderr, "flightrec-replay: .flame: no %s loaded\n", offcpu ? "off-CPU stacks" : "CPU samples");
		return -1;
	}
	/* off CPU: microseconds, rounded per row, so that folded stacks stay integers */
	snprintf(sql, sizeof(sql),
		 "SELECT c.comm || ';' || coalesce(nullif(s.frames, ''), '[no stack]') AS folded,"
		 " sum(%s) FROM %s c LEFT JOIN stacks s ON s.host = c.host AND s.id = c.stack_id"
		 " WHERE (?1 = 0 OR c.pid = ?1) AND (?2 IS NULL OR c.comm = ?2) AND c.ts BETWEEN ?3 AND ?4"
		 " GROUP BY folded ORDER BY folded",
		 offcpu ? "(c.total_ns + 500) / 1000" : "c.count", offcpu ? "offcpu_samples" : "cpu_samples");
	if (replay_prepare(r, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "flightrec-replay: SQL error: %s\n", sqlite3_errmsg(r->db));
		return -1;
	}
	sqlite3_bind_int64(s, 1, pid);
	if (comm)
		sqlite3_bind_text(s, 2, comm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, from);
	sqlite3_bind_int64(s, 4, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(s, 0);
		sqlite3_int64 n = sqlite3_column_int64(s, 1);
		if (!f || n <= 0)
			continue;
		if (svg) {
			if (fnode_add(&root, f, (uint64_t)n)) {
				fprintf(stderr, "flightrec-replay: .flame: out of memory\n");
				ret = -1;
				break;
			}
		} else {
			fprintf(r->out.fp, "%s %lld\n", f, (long long)n);
		}
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "flightrec-replay: SQL error: %s\n", sqlite3_errmsg(r->db));
		ret = -1;
	}
	sqlite3_finalize(s);
	if (!ret && svg) {
		char title[256];
		snprintf(title, sizeof(title), "%s%s%s", offcpu ? "Off-CPU time" : "CPU samples", comm || pid ? " of " : "",
			 comm ? comm : "");
		if (pid)
			snprintf(title + strlen(title), sizeof(title) - strlen(title), "%lld", (long long)pid);
		ret = svg_write(svg, &root, title, offcpu ? "us" : "samples");
	}
	fnode_free(root.child);
	return ret;
}
