/*
 * dotcmd.c - running input: SQL statements (replay_exec), which may span
 * lines (sqlite3_complete() says when one is whole), and the dot-commands
 * of the replay shell, one row each in the table below: name, handler,
 * usage, help.  `.help` prints the table.  replay_run_lines() runs the
 * lines of any source: the interactive shell's (shell.c), a script on
 * standard input, or a file that `.read` opens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "dot.h"
#include "vtab.h"

#define ARGS_MAX 8

typedef int (*dot_fn)(struct replay *r, int argc, char **argv);

struct dotcmd {
	const char *name;
	dot_fn fn;
	int min_args, max_args;
	const char *usage;
	const char *help;
};

static const struct dotcmd *dot_table(size_t *n);

static int query(struct replay *r, const char *sql, const char *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (replay_prepare(r, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "flightrec-replay: SQL error: %s\n", sqlite3_errmsg(r->db));
		return -1;
	}
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	rc = output_statement(&r->out, s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int replay_exec(struct replay *r, const char *sql)
{
	const char *tail = sql;
	int ret = 0;

	while (tail && *tail) {
		sqlite3_stmt *s = NULL;
		double t0 = now_s();
		int rc;

		const char *stmt_start = tail + strspn(tail, " \t\r\n");
		if (replay_prepare(r, tail, -1, &s, &tail) != SQLITE_OK) {
			/* name the statement: a script may hold many */
			int len = (int)strcspn(stmt_start, ";\n");
			fprintf(stderr, "flightrec-replay: SQL error: %s (in: %.*s%s)\n", sqlite3_errmsg(r->db),
				len > 60 ? 60 : len, stmt_start, len > 60 ? "..." : "");
			r->errors++;
			return -1;
		}
		if (!s)
			continue; /* blanks or a comment */
		rc = output_statement(&r->out, s);
		if (rc != SQLITE_DONE) {
			fprintf(stderr, "flightrec-replay: SQL error: %s\n",
				rc == SQLITE_INTERRUPT ? "interrupted" : sqlite3_errmsg(r->db));
			r->errors++;
			ret = -1;
		}
		sqlite3_finalize(s);
		if (r->timer)
			fprintf(r->out.fp, "Run Time: %.3f s\n", now_s() - t0);
		if (ret)
			break;
	}
	return ret;
}

void replay_run_lines(struct replay *r, replay_line_fn next, void *ctx)
{
	char *stmt = NULL;
	size_t len = 0;

	while (!r->quit) {
		int forget = 0;
		char *line = next(ctx, len > 0, &forget);
		size_t l;

		if (!line)
			break;
		if (forget) {
			free(line);
			len = 0;
			continue;
		}
		if (!len) {
			const char *p = line + strspn(line, " \t");
			if (*p == '.') {
				if (replay_dot(r, p))
					r->errors++;
				free(line);
				continue;
			}
			if (!*p) {
				free(line);
				continue;
			}
		}
		l = strlen(line);
		char *ns = realloc(stmt, len + l + 2);
		if (!ns) {
			fprintf(stderr, "flightrec-replay: out of memory reading a statement\n");
			r->errors++;
			free(line);
			break;
		}
		stmt = ns;
		memcpy(stmt + len, line, l);
		len += l;
		stmt[len++] = '\n';
		stmt[len] = '\0';
		free(line);
		if (sqlite3_complete(stmt)) {
			replay_exec(r, stmt);
			len = 0;
		}
	}
	if (len && !r->quit) {
		/* the input ended inside a statement: run what there is */
		replay_exec(r, stmt);
	}
	free(stmt);
}

static int dot_help(struct replay *r, int argc, char **argv)
{
	size_t n;
	const struct dotcmd *t = dot_table(&n);

	for (size_t i = 0; i < n; i++) {
		char left[64];
		snprintf(left, sizeof(left), ".%s%s%s", t[i].name, t[i].usage[0] ? " " : "", t[i].usage);
		fprintf(r->out.fp, "%-28s %s\n", left, t[i].help);
	}
	return 0;
}

static int dot_tables(struct replay *r, int argc, char **argv)
{
	sqlite3_stmt *s;
	int col = 0;

	if (replay_prepare(r,
			       "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
			       " ORDER BY name",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		fprintf(r->out.fp, "%s%-16s", col ? "  " : "", sqlite3_column_text(s, 0));
		if (++col == 4) {
			fputc('\n', r->out.fp);
			col = 0;
		}
	}
	if (col)
		fputc('\n', r->out.fp);
	sqlite3_finalize(s);
	return 0;
}

static int dot_schema(struct replay *r, int argc, char **argv)
{
	sqlite3_stmt *s;
	int found = 0;

	if (replay_prepare(r,
			       "SELECT sql, name FROM sqlite_schema WHERE sql IS NOT NULL AND type IN ('table', 'view')"
			       " AND name NOT LIKE 'sqlite_%' AND (?1 IS NULL OR name = ?1) ORDER BY name",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (argc > 1)
		sqlite3_bind_text(s, 1, argv[1], -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		/* a table served from columns shows the CREATE TABLE it stands for */
		char *ddl = columns_table_sql(r, (const char *)sqlite3_column_text(s, 1));
		fprintf(r->out.fp, "%s;\n", ddl ? ddl : (const char *)sqlite3_column_text(s, 0));
		free(ddl);
		found++;
	}
	sqlite3_finalize(s);
	if (argc > 1 && !found) {
		fprintf(stderr, "flightrec-replay: .schema: no table or view named '%s'\n", argv[1]);
		return -1;
	}
	return 0;
}

static int dot_mode(struct replay *r, int argc, char **argv)
{
	int m;

	if (argc == 1) {
		fprintf(r->out.fp, "current output mode: %s\n", output_mode_name(r->out.mode));
		return 0;
	}
	if ((m = output_mode_by_name(argv[1])) < 0) {
		fprintf(stderr, "flightrec-replay: .mode: unknown mode '%s' (%s)\n", argv[1], output_mode_names());
		return -1;
	}
	r->out.mode = (enum output_mode)m;
	return 0;
}

static int on_off(const char *cmd, const char *v, int *dst)
{
	if (!strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "yes"))
		*dst = 1;
	else if (!strcmp(v, "off") || !strcmp(v, "0") || !strcmp(v, "no"))
		*dst = 0;
	else {
		fprintf(stderr, "flightrec-replay: .%s: expected on or off, not '%s'\n", cmd, v);
		return -1;
	}
	return 0;
}

static int dot_headers(struct replay *r, int argc, char **argv)
{
	return on_off("headers", argv[1], &r->out.headers);
}

static int dot_timer(struct replay *r, int argc, char **argv)
{
	return on_off("timer", argv[1], &r->timer);
}

static int dot_output(struct replay *r, int argc, char **argv)
{
	FILE *f = stdout;

	if (argc > 1 && strcmp(argv[1], "stdout") && !(f = fopen(argv[1], "w"))) {
		fprintf(stderr, "flightrec-replay: .output: cannot open %s\n", argv[1]);
		return -1;
	}
	if (r->out.fp != stdout)
		fclose(r->out.fp);
	r->out.fp = f;
	return 0;
}

/* .read nests; a file that reads itself stops here instead of overflowing the stack. */
#define READ_DEPTH_MAX 16

char *replay_file_line(void *ctx, int cont, int *forget)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	*forget = 0;
	if ((n = getline(&line, &cap, ctx)) < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

/* .read FILE: its lines run as a script on standard input would; -1 when it cannot be read or a line failed. */
static int dot_read(struct replay *r, int argc, char **argv)
{
	static int depth;
	int errors = r->errors;
	FILE *f;

	if (depth == READ_DEPTH_MAX) {
		fprintf(stderr, "flightrec-replay: .read: cannot read %s: nested more than %d deep\n", argv[1],
			READ_DEPTH_MAX);
		return -1;
	}
	if (!(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "flightrec-replay: .read: cannot open %s: %s\n", argv[1], strerror(errno));
		return -1;
	}
	depth++;
	replay_run_lines(r, replay_file_line, f);
	depth--;
	fclose(f);
	return r->errors == errors ? 0 : -1;
}

static int dot_hosts(struct replay *r, int argc, char **argv)
{
	return query(r,
		     "SELECT host, count(*) AS archives, sum(records) AS records,"
		     " utc(min(json_extract(manifest, '$.window.start_ns'))) AS first,"
		     " utc(max(json_extract(manifest, '$.window.end_ns'))) AS last"
		     " FROM archives GROUP BY host ORDER BY host",
		     NULL);
}

static int dot_gaps(struct replay *r, int argc, char **argv)
{
	return query(r,
		     "SELECT utc(start_ts) AS start, utc(end_ts) AS end, dur(end_ts - start_ts) AS length, host, cpu,"
		     " kind, dropped, reason FROM gaps ORDER BY start_ts",
		     NULL);
}

static int dot_quit(struct replay *r, int argc, char **argv)
{
	r->quit = 1;
	return 0;
}

static const struct dotcmd dots[] = {
	{ "around", dot_around, 1, 2, "TIME [DUR]", "everything within DUR (default 5s) of TIME" },
	{ "conns", dot_conns, 0, 0, "", "TCP connections with bytes, duration, outcome and the process at the other end" },
	{ "export", dot_export, 2, 2, "perfetto FILE | clickhouse URL", "the timeline as trace-event JSON for ui.perfetto.dev, or the archives into ClickHouse" },
	{ "flame", dot_flame, 0, 6, "[--offcpu] [PID|COMM] [FROM] [TO] [--svg FILE]",
	  "CPU samples as folded stacks (comm;outer;...;inner count), or a flame graph in FILE; --offcpu: the off-CPU stacks, in us asleep" },
	{ "follow", dot_follow, 1, 2, "PID [HOST]", "one process and its children: everything they did, in order" },
	{ "gaps", dot_gaps, 0, 0, "", "where records were lost, and why" },
	{ "headers", dot_headers, 1, 1, "on|off", "show column names" },
	{ "help", dot_help, 0, 0, "", "this list" },
	{ "hosts", dot_hosts, 0, 0, "", "the hosts loaded, with their windows" },
	{ "mode", dot_mode, 0, 1, "table|box|csv|json|line", "how results are printed" },
	{ "output", dot_output, 0, 1, "[FILE]", "send results to FILE (no FILE: back to the terminal)" },
	{ "peers", dot_peers, 1, 2, "PID [HOST]", "connections of PID and the process at each other end, on any host" },
	{ "procs", dot_procs, 0, 0, "", "every process: when it started, how long it lived, how it ended" },
	{ "quit", dot_quit, 0, 0, "", "leave (also .exit, Ctrl-D)" },
	{ "exit", dot_quit, 0, 0, "", "leave" },
	{ "read", dot_read, 1, 1, "FILE", "run the SQL and dot-commands in FILE" },
	{ "report", dot_report, 1, 1, "FILE", "write an HTML incident report (one self-contained page) to FILE" },
	{ "schema", dot_schema, 0, 1, "[TABLE]", "CREATE statements of all tables and views, or of TABLE" },
	{ "slow", dot_slow, 0, 0, "", "the slowest system calls, disk requests and run-queue delays" },
	{ "summary", dot_summary, 0, 0, "", "what happened in the window: counts, failures, worst latencies, losses" },
	{ "tables", dot_tables, 0, 0, "", "the tables and views" },
	{ "timeline", dot_timeline, 0, 32, "[FROM] [TO] [WHERE ...]", "events in time order (TIME: UTC, +30s, ns)" },
	{ "timer", dot_timer, 1, 1, "on|off", "print how long each statement took" },
	{ "top", dot_top, 1, 1, "cpu|io|net|syscalls", "the processes that used the most of it" },
	{ "tree", dot_tree, 0, 1, "[PID]", "processes as a tree, with lifetimes and exit status" },
};

static const struct dotcmd *dot_table(size_t *n)
{
	*n = sizeof(dots) / sizeof(dots[0]);
	return dots;
}

/* The names of the dot-commands, for completion; NULL after the last. */
const char *replay_dot_name(size_t i)
{
	return i < sizeof(dots) / sizeof(dots[0]) ? dots[i].name : NULL;
}

int replay_dot(struct replay *r, const char *line)
{
	char buf[1024], *argv[ARGS_MAX + 1], *p = buf;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line + 1);
	/* words separated by blanks; "quoted" or 'quoted' words may hold blanks */
	while (*p && argc < ARGS_MAX + 1) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (*p == '"' || *p == '\'') {
			char q = *p++;
			argv[argc++] = p;
			while (*p && *p != q)
				p++;
		} else {
			argv[argc++] = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				p++;
		}
		if (*p)
			*p++ = '\0';
	}
	if (argc == 0) {
		fprintf(stderr, "flightrec-replay: empty dot-command (see .help)\n");
		return -1;
	}
	for (size_t i = 0; i < sizeof(dots) / sizeof(dots[0]); i++) {
		if (strcmp(argv[0], dots[i].name))
			continue;
		if (argc - 1 < dots[i].min_args || argc - 1 > dots[i].max_args) {
			fprintf(stderr, "flightrec-replay: usage: .%s %s\n", dots[i].name, dots[i].usage);
			return -1;
		}
		r->dot_line = line;
		double t0 = now_s();
		int ret = dots[i].fn(r, argc, argv);
		/* benchmarks time a command apart from the load before it, which varies more than some commands take */
		if (r->timing)
			fprintf(stderr, "flightrec-replay: .%s in %.3f s\n", dots[i].name, now_s() - t0);
		r->dot_line = NULL;
		return ret;
	}
	fprintf(stderr, "flightrec-replay: unknown command '.%s' (see .help)\n", argv[0]);
	return -1;
}
