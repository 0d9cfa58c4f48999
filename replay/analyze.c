/*
 * analyze.c - the dot-commands that answer "what happened": .timeline,
 * .around, .procs, .tree, .follow and .summary.  Each is SQL over the
 * tables and views of schema/, so what they print can be reproduced by
 * hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dot.h"
#include "record.h"
#include "strbuf.h"
#include "summary_calls_kept.h"
#include "summary_cols.h"
#include "summary_tally.h"
#include "timearg.h"

/*
 * The name of a process in a per-second statistics group (g: host, pid,
 * last ts, comm): the one it had by then, from processes.  A stats record
 * keeps the name of its interval's first event, which for a process that
 * forked and exec'd within that second is the parent's (bash for a
 * program it started).
 */
#define NAME_NOW                                                                                    \
	"COALESCE((SELECT p.comm FROM processes p WHERE p.host = g.host AND p.pid = g.pid"          \
	" AND (p.start_ts IS NULL OR p.start_ts <= g.last) ORDER BY p.start_ts DESC LIMIT 1), g.comm)"

/* Prepare SQL into *S; 0, or -1 with the error said. */
static int query_prepare(struct replay *r, const char *sql, sqlite3_stmt **s)
{
	if (replay_prepare(r, sql, -1, s, NULL) == SQLITE_OK)
		return 0;
	fprintf(stderr, "flightrec-replay: SQL error: %s\n", sqlite3_errmsg(r->db));
	return -1;
}

/* Print the rows of S, its values bound, and finalize it; 0, or -1 with the error said. */
static int query_print(struct replay *r, sqlite3_stmt *s)
{
	int rc = output_statement(&r->out, s);

	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	fprintf(stderr, "flightrec-replay: SQL error: %s\n", sqlite3_errmsg(r->db));
	return -1;
}

int dot_query_i64(struct replay *r, const char *sql, const int64_t *args, int n)
{
	sqlite3_stmt *s;

	if (query_prepare(r, sql, &s))
		return -1;
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(s, i + 1, args[i]);
	return query_print(r, s);
}

int64_t dot_window_start(struct replay *r)
{
	int64_t v = replay_scalar(r, "SELECT min(json_extract(manifest, '$.window.start_ns')) FROM archives"), t;
	char sql[256];

	if (v)
		return v;
	/*
	 * No manifest (a bare segment): the first record, found through each
	 * table's ts index or store.  ORDER BY, not min(): SQLite asks a table
	 * served from columns for no order for min(ts), and would read it whole.
	 */
	for (unsigned i = 0; i < fr_nkinds; i++) {
		snprintf(sql, sizeof(sql), "SELECT ts FROM %s WHERE ts IS NOT NULL ORDER BY ts LIMIT 1", fr_kinds[i].table);
		t = replay_scalar(r, sql);
		if (t && (!v || t < v))
			v = t;
	}
	return v;
}

int dot_has_table(struct replay *r, const char *table)
{
	sqlite3_stmt *s;
	int found = 0;

	if (replay_prepare(r, "SELECT 1 FROM sqlite_schema WHERE name = ?", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* TABLE exists and holds a row (an archive of an older format has the table, empty). */
static int has_rows(struct replay *r, const char *table)
{
	char sql[128];
	sqlite3_stmt *s;
	int found = 0;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\" LIMIT 1", table);
	if (!dot_has_table(r, table) || replay_prepare(r, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* Does query SQL return a row? */
static int sql_any(struct replay *r, const char *sql)
{
	sqlite3_stmt *s;
	int found;

	if (replay_prepare(r, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static int bad_time(const char *cmd, const char *arg)
{
	fprintf(stderr, "flightrec-replay: .%s: cannot read '%s' as a time (2026-11-24 15:40:03, 15:40:03, +30s, or ns)\n",
		cmd, arg);
	return -1;
}

/* The timeline between two times, with an optional SQL condition. */
static int timeline_between(struct replay *r, int64_t from, int64_t to, const char *where)
{
	char sql[2048];
	int64_t args[2] = { from, to };

	snprintf(sql, sizeof(sql),
		 "SELECT utc(ts) AS time, host, pid, comm, kind, summary, dur(duration_ns) AS duration"
		 " FROM timeline WHERE ts BETWEEN ?1 AND ?2%s%s%s ORDER BY ts",
		 where ? " AND (" : "", where ? where : "", where ? ")" : "");
	return dot_query_i64(r, sql, args, 2);
}

int dot_timeline(struct replay *r, int argc, char **argv)
{
	int64_t start = dot_window_start(r), from = INT64_MIN, to = INT64_MAX;
	char where[1024] = "";
	int i = 1;

	if (i < argc && strcasecmp(argv[i], "where")) {
		if (parse_time_ns(argv[i], start, &from))
			return bad_time("timeline", argv[i]);
		i++;
	}
	if (i < argc && strcasecmp(argv[i], "where")) {
		if (parse_time_ns(argv[i], start, &to))
			return bad_time("timeline", argv[i]);
		i++;
	}
	if (i < argc) {
		/* the condition as typed, quotes and all: it is SQL */
		const char *w = r->dot_line ? strcasestr(r->dot_line, "where") : NULL;
		if (strcasecmp(argv[i], "where") || i + 1 >= argc || !w) {
			fprintf(stderr, "flightrec-replay: usage: .timeline [FROM] [TO] [WHERE CONDITION]\n");
			return -1;
		}
		snprintf(where, sizeof(where), "%s", w + 5);
	}
	return timeline_between(r, from, to, where[0] ? where : NULL);
}

int dot_around(struct replay *r, int argc, char **argv)
{
	int64_t t, d = 5000000000LL;
	const char *ds = argc > 2 ? argv[2] : NULL;

	if (parse_time_ns(argv[1], dot_window_start(r), &t))
		return bad_time("around", argv[1]);
	if (ds && (*ds == '+' || *ds == '-') && ds[1] != '\0')
		ds++; /* ±DUR: the sign is only a reminder */
	if (ds && !strncmp(ds, "\xc2\xb1", 2))
		ds += 2;
	if (ds && parse_dur_ns(ds, &d)) {
		fprintf(stderr, "flightrec-replay: .around: cannot read '%s' as a duration (like 5s)\n", argv[2]);
		return -1;
	}
	return timeline_between(r, t - d, t + d, NULL);
}

/* How a process ended, in words. */
#define ENDED_SQL                                                                                                  \
	"CASE WHEN exit_ts IS NULL THEN 'running' WHEN exit_signal > 0 THEN 'killed by signal ' || exit_signal"     \
	" WHEN exit_code IS NULL THEN 'exited' ELSE 'exit ' || exit_code END"

int dot_procs(struct replay *r, int argc, char **argv)
{
	return dot_query_i64(r,
			     "SELECT host, pid, ppid, comm, utc(start_ts) AS started, dur(exit_ts - start_ts) AS lived, " ENDED_SQL
			     " AS ended, argv FROM processes ORDER BY coalesce(start_ts, 0), pid",
			     NULL, 0);
}

/* Processes as a tree: each under its parent, indented, with its life. */
#define TREE_SQL(ROOTS)                                                                                            \
	"WITH RECURSIVE t(rid, depth, path) AS ("                                                                   \
	"  SELECT rowid, 0, printf('%020d.%010d', coalesce(start_ts, 0), pid) FROM processes p WHERE " ROOTS        \
	"  UNION ALL"                                                                                               \
	"  SELECT c.rowid, t.depth + 1, t.path || '/' || printf('%020d.%010d', coalesce(c.start_ts, 0), c.pid)"     \
	"    FROM t JOIN processes parent ON parent.rowid = t.rid"                                                  \
	"    JOIN processes c ON c.ppid = parent.pid AND c.host = parent.host AND c.rowid <> parent.rowid"          \
	"     AND coalesce(c.start_ts, 0) >= coalesce(parent.start_ts, 0)"                                          \
	"   WHERE t.depth < 64)"                                                                                    \
	" SELECT substr('                                                                ', 1, 2 * depth) ||"       \
	"        p.comm || ' [' || p.pid || ']' AS process, p.host, utc(p.start_ts) AS started,"                    \
	"        dur(p.exit_ts - p.start_ts) AS lived, " ENDED_SQL " AS ended, p.argv"                              \
	" FROM t JOIN processes p ON p.rowid = t.rid ORDER BY p.host, t.path"

int dot_tree(struct replay *r, int argc, char **argv)
{
	int64_t pid;
	char *end;

	if (argc < 2)
		return dot_query_i64(r,
				     TREE_SQL("NOT EXISTS (SELECT 1 FROM processes q WHERE q.pid = p.ppid AND q.host = p.host"
					      " AND q.rowid <> p.rowid)"),
				     NULL, 0);
	pid = strtoll(argv[1], &end, 10);
	if (*end || pid <= 0) {
		fprintf(stderr, "flightrec-replay: .tree: '%s' is not a pid\n", argv[1]);
		return -1;
	}
	return dot_query_i64(r, TREE_SQL("pid = ?1"), &pid, 1);
}

/* Run SQL with PID bound to ?1 and HOST (NULL: any host) to ?2, and print the rows. 0 or -1. */
static int query_pid_host(struct replay *r, const char *sql, int64_t pid, const char *host)
{
	sqlite3_stmt *s;

	if (query_prepare(r, sql, &s))
		return -1;
	sqlite3_bind_int64(s, 1, pid);
	if (host)
		sqlite3_bind_text(s, 2, host, -1, SQLITE_STATIC);
	return query_print(r, s);
}

/* PID from ARG for .CMD; 0, or -1 with a message. */
static int pid_arg(const char *cmd, const char *arg, int64_t *pid)
{
	char *end;

	*pid = strtoll(arg, &end, 10);
	if (*end || *pid <= 0) {
		fprintf(stderr, "flightrec-replay: .%s: '%s' is not a pid\n", cmd, arg);
		return -1;
	}
	return 0;
}

/* The process and its descendants (on ?2, or wherever the pid ?1 is), to depth 64. */
#define FOLLOW_TREE_SQL                                                                                         \
	"WITH RECURSIVE d(pid, host, depth) AS ("                                                               \
	"  SELECT DISTINCT pid, host, 0 FROM processes WHERE pid = ?1 AND (?2 IS NULL OR host = ?2)"           \
	"  UNION SELECT c.pid, c.host, d.depth + 1 FROM processes c JOIN d"                                    \
	"    ON c.ppid = d.pid AND c.host = d.host WHERE d.depth < 64)"

/*
 * The pids of PID's tree as an SQL list ("5000,5001"; "" for none),
 * malloc'd; NULL with the error said.  A list of constants is pushed down
 * into each table of the timeline view, whose pid lookup answers it, where
 * IN (SELECT ...) is not: every table would be read whole.
 */
static char *follow_pids(struct replay *r, int64_t pid, const char *host)
{
	struct strbuf b = { 0 };
	sqlite3_stmt *s;
	int rc;

	if (query_prepare(r, FOLLOW_TREE_SQL " SELECT DISTINCT pid FROM d ORDER BY pid", &s))
		return NULL;
	sqlite3_bind_int64(s, 1, pid);
	if (host)
		sqlite3_bind_text(s, 2, host, -1, SQLITE_STATIC);
	strbuf_puts(&b, "");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		strbuf_printf(&b, "%s%lld", b.len ? "," : "", (long long)sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "flightrec-replay: SQL error: %s\n", sqlite3_errmsg(r->db));
		strbuf_free(&b);
		return NULL;
	}
	if (b.oom)
		fprintf(stderr, "flightrec-replay: .follow: out of memory\n");
	return strbuf_finish(&b);
}

int dot_follow(struct replay *r, int argc, char **argv)
{
	const char *host = argc > 2 ? argv[2] : NULL;
	struct strbuf sql = { 0 };
	char *pids, *text;
	int64_t pid;
	int ret;

	if (pid_arg("follow", argv[1], &pid) || !(pids = follow_pids(r, pid, host)))
		return -1;
	/* the process and its descendants, everything they did, in order */
	strbuf_printf(&sql,
		      FOLLOW_TREE_SQL " SELECT utc(t.ts) AS time, t.pid, t.comm, t.kind, t.summary, dur(t.duration_ns) AS duration"
				      " FROM timeline t WHERE t.pid IN (%s)"
				      "   AND (t.host, t.pid) IN (SELECT host, pid FROM d) ORDER BY t.ts",
		      pids);
	free(pids);
	if (!(text = strbuf_finish(&sql))) {
		fprintf(stderr, "flightrec-replay: .follow: out of memory\n");
		return -1;
	}
	ret = query_pid_host(r, text, pid, host);
	free(text);
	return ret;
}

int dot_peers(struct replay *r, int argc, char **argv)
{
	int64_t pid;

	if (pid_arg("peers", argv[1], &pid))
		return -1;
	/* each connection of PID and who was at its other end: the next hop of a request */
	return query_pid_host(r,
			      "SELECT utc(c.ts) AS time, c.host, c.pid, c.comm, c.direction,"
			      " c.laddr || ':' || c.lport AS local, c.raddr || ':' || c.rport AS remote, c.outcome,"
			      " p.peer_host, p.peer_pid, p.peer_comm, p.peer_direction"
			      " FROM connections c LEFT JOIN conn_pairs p ON p.conn_id = c.rowid"
			      " WHERE c.pid = ?1 AND (?2 IS NULL OR c.host = ?2) ORDER BY c.ts, c.host",
			      pid, argc > 2 ? argv[2] : NULL);
}

/*
 * The queries of the syscalls sections of .summary, for the calls that
 * COND (SQL) picks; ties are ordered so that the store of `syscalls`
 * answers the same rows (summary_cols.c).
 */
#define CALLS_ANY_SQL(COND) "SELECT 1 FROM syscalls WHERE " COND " LIMIT 1"
#define CALLS_SLOWEST_SQL(COND)                                                                                    \
	"SELECT utc(ts) AS time, pid, comm, name, nullif(fd_kind, '') AS fd, dur(latency_ns) AS latency, error"    \
	" FROM syscalls WHERE " COND " ORDER BY latency_ns DESC, rowid LIMIT 5"
#define CALLS_BY_ERROR_SQL(COND)                                                                                   \
	"SELECT name, error, sum(coalesce(count, 1)) AS calls FROM syscalls WHERE " COND                           \
	" GROUP BY name, error ORDER BY calls DESC, name, error LIMIT 10"

static void heading(struct replay *r, const char *title)
{
	fprintf(r->out.fp, "\n== %s\n", title);
}

/*
 * The records-per-table section's query into SQL (LEN bytes): counted table
 * by table (the timeline would build a summary for every row); a table
 * served from columns by its store, whose count is written in (count(*)
 * would step through every row), as is one whose count a --db FILE keeps
 * (summary_cache.c).  1: built.
 */
static int records_per_table(struct replay *r, char *sql, size_t len)
{
	struct summary_cached kept;
	int have = summary_cache_read(r, &kept);
	size_t n = 0;
	int64_t rows;

	for (unsigned i = 0; i < fr_nkinds && n < len; i++) {
		const char *t = fr_kinds[i].table;
		if (summary_cols_rows(r, t, &rows) || (have && (rows = kept.records[fr_kinds[i].id]) >= 0))
			n += (size_t)snprintf(sql + n, len - n, "%sSELECT '%s' AS \"table\", %lld AS records",
					      i ? " UNION ALL " : "", t, (long long)rows);
		else
			n += (size_t)snprintf(sql + n, len - n, "%sSELECT '%s' AS \"table\", count(*) AS records FROM %s",
					      i ? " UNION ALL " : "", t, t);
	}
	if (n < len)
		snprintf(sql + n, len - n, " ORDER BY records DESC");
	return 1;
}

/*
 * The processes section's query with its values counted by the store of
 * `processes`, when it has one, or kept in a --db FILE while true.
 */
static int processes_counts(struct replay *r, char *sql, size_t len)
{
	struct summary_cached kept;

	if (summary_cols_processes(r, "SELECT " SUMMARY_WINDOW_START_SQL, sql, len))
		return 1;
	if (!summary_cache_read(r, &kept) || !kept.has_procs)
		return 0;
	summary_procs_sql(&kept.procs, sql, len);
	return 1;
}

#define STR_(X) #X
#define STR(X) STR_(X)
/* The failures section's query: the rows COND picks, by ORDER (their latest), oldest first. */
#define FAILURES_SQL(COND, ORDER)                                                                        \
	"SELECT * FROM (SELECT utc(exit_ts) AS time, host, pid, comm, " ENDED_SQL " AS ended, argv"      \
	" FROM processes WHERE " COND " ORDER BY " ORDER ") ORDER BY time"

/*
 * The failures section's query for the rows a --db FILE keeps while true
 * (summary_cache.c), found by rowid: the rows the index on exit_ts, read
 * backwards, would give, in that order, with no index to make.  The LIMIT
 * keeps the subquery from being flattened into the outer query, which
 * would then sort the rows as they come, by rowid: ties in time would
 * come out in another order.
 */
static int failures_kept(struct replay *r, char *sql, size_t len)
{
	struct summary_cached kept;
	char rowids[SUMMARY_FAILURES * 24] = "";
	size_t n = 0;

	if (!summary_cache_read(r, &kept) || !kept.has_procs || !kept.has_failures ||
	    !summary_cache_failures_true(r, &kept.failures))
		return 0;
	for (unsigned i = 0; i < kept.failures.n && n < sizeof(rowids); i++)
		n += (size_t)snprintf(rowids + n, sizeof(rowids) - n, "%s%lld", i ? ", " : "",
				      (long long)kept.failures.row[i].rowid);
	return n < sizeof(rowids) &&
	       (size_t)snprintf(sql, len,
				FAILURES_SQL("rowid IN (%s)", "exit_ts DESC, rowid DESC LIMIT " STR(SUMMARY_FAILURES)),
				rowids) < len;
}

/*
 * The syscalls sections from the store of `syscalls` (summary_cols.c), or
 * from what a --db FILE keeps of them (summary_calls_kept.c): BUILT with
 * the query, HIDDEN for a section shown only when it has rows and it has
 * none; NOT_BUILT when neither answers (SQL counts).
 */
enum { NOT_BUILT, BUILT, HIDDEN };

static int calls_slowest(struct replay *r, int by_design, char *sql, size_t len)
{
	char rowids[5 * 24];
	unsigned n;

	if (!summary_cols_slowest(r, by_design, rowids, sizeof(rowids), &n) &&
	    !summary_calls_kept_slowest(r, by_design, rowids, sizeof(rowids), &n))
		return NOT_BUILT;
	if (by_design && !n)
		return HIDDEN;
	return (size_t)snprintf(sql, len, CALLS_SLOWEST_SQL("rowid IN (%s)"), rowids) < len ? BUILT : NOT_BUILT;
}

static int calls_by_error(struct replay *r, int would_block, char *sql, size_t len)
{
	unsigned n;

	if (!summary_cols_by_error(r, would_block, sql, len, &n) &&
	    !summary_calls_kept_by_error(r, would_block, sql, len, &n))
		return NOT_BUILT;
	return would_block && !n ? HIDDEN : BUILT;
}

static int slowest_calls(struct replay *r, char *sql, size_t len)
{
	return calls_slowest(r, 0, sql, len);
}

static int waits_by_design(struct replay *r, char *sql, size_t len)
{
	return calls_slowest(r, 1, sql, len);
}

static int failed_calls(struct replay *r, char *sql, size_t len)
{
	return calls_by_error(r, 0, sql, len);
}

static int would_block_calls(struct replay *r, char *sql, size_t len)
{
	return calls_by_error(r, 1, sql, len);
}

/*
 * One section of .summary: its heading and its query, shown when TABLE
 * exists (NULL: always), holds a row (ROWS), and SHOW_IF (SQL) returns a
 * row; "none" instead of the query when NONE_UNLESS (SQL) returns none.
 * BUILD, when it returns BUILT (1), replaces SQL by the query it built
 * (and SHOW_IF and NONE_UNLESS are not asked); HIDDEN: not shown.
 */
struct summary_section {
	const char *heading;
	const char *table;
	int rows;
	const char *show_if;
	const char *none_unless;
	const char *sql;
	int (*build)(struct replay *r, char *sql, size_t len);
};

static const struct summary_section summary_sections[] = {
	{ .heading = "window", .sql = "SELECT host, json_extract(manifest, '$.window.start_utc') AS start,"
	  " json_extract(manifest, '$.window.end_utc') AS end,"
	  " dur(json_extract(manifest, '$.window.end_ns') - json_extract(manifest, '$.window.start_ns')) AS length,"
	  " json_extract(manifest, '$.trigger.type') || ': ' || json_extract(manifest, '$.trigger.detail') AS trigger,"
	  " records FROM archives ORDER BY host" },
	{ .heading = "records per table", .build = records_per_table },
	{ .heading = "processes", .build = processes_counts, .sql = "SELECT count(*) AS seen,"
	  " sum(start_ts >= " SUMMARY_WINDOW_START_SQL ") AS started, count(exit_ts) AS exited,"
	  " sum(exit_code > 0) AS failed, sum(exit_signal > 0) AS killed FROM processes" },
	{ .heading = "failures and crashes", .build = failures_kept,
	  .sql = FAILURES_SQL("exit_code > 0 OR exit_signal > 0", "exit_ts DESC LIMIT " STR(SUMMARY_FAILURES)) },
	{ .heading = "OOM kills", .table = "oom_kills",
	  .sql = "SELECT utc(ts) AS time, host, pid, comm, oom_score_adj, anon_rss_kb, file_rss_kb, total_vm_kb"
	  " FROM oom_kills ORDER BY ts" },
	{ .heading = "security signals",
	  .none_unless = "SELECT 1 FROM security LIMIT 1",
	  .sql = "SELECT kind, severity, count(*) AS events, count(DISTINCT host || '/' || pid) AS processes,"
	  " utc(min(ts)) AS first, utc(max(ts)) AS last FROM security GROUP BY kind, severity"
	  " ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, events DESC, kind" },
	/* a read of a pipe or a terminal waits for a writer or a person by design: apart */
	{ .heading = "slowest system calls", .table = "syscalls", .build = slowest_calls,
	  .sql = CALLS_SLOWEST_SQL("NOT " BY_DESIGN_SQL) },
	{ .heading = "longest waits on pipes and terminals (for a writer or a person)", .table = "syscalls",
	  .build = waits_by_design, .show_if = CALLS_ANY_SQL(BY_DESIGN_SQL), .sql = CALLS_SLOWEST_SQL(BY_DESIGN_SQL) },
	{ .heading = "failed system calls", .table = "syscalls", .build = failed_calls,
	  .sql = CALLS_BY_ERROR_SQL("error IS NOT NULL AND error <> '' AND NOT " WOULD_BLOCK_SQL) },
	{ .heading = "non-blocking calls that would have waited (not failures)", .table = "syscalls",
	  .build = would_block_calls, .show_if = CALLS_ANY_SQL(WOULD_BLOCK_SQL), .sql = CALLS_BY_ERROR_SQL(WOULD_BLOCK_SQL) },
	{ .heading = "longest run-queue delays", .table = "runq",
	  .sql = "SELECT utc(ts) AS time, pid, comm, cpu, dur(delay_ns) AS delay FROM runq ORDER BY delay_ns DESC LIMIT 5" },
	{ .heading = "slowest disk requests", .table = "io",
	  .sql = "SELECT utc(ts) AS time, pid, comm, disk, op, rwbs, bytes, dur(queue_ns) AS queued,"
	  " dur(service_ns) AS service FROM io ORDER BY queue_ns + service_ns DESC LIMIT 5" },
	{ .heading = "connections by outcome", .table = "connections",
	  .sql = "SELECT outcome, count(*) AS connections FROM connections GROUP BY outcome" },
	{ .heading = "TLS handshakes", .table = "tls", .rows = 1,
	  .sql = "SELECT role, sum(ok) AS ok, sum(NOT ok) AS failed, dur(max(latency_ns)) AS slowest"
	  " FROM tls GROUP BY role ORDER BY role" },
	{ .heading = "failed TLS handshakes", .table = "tls", .rows = 1,
	  .sql = "SELECT * FROM (SELECT utc(ts) AS time, host, pid, comm, role,"
	  " raddr || ':' || rport AS peer, error FROM tls WHERE NOT ok ORDER BY ts DESC LIMIT 10)"
	  " ORDER BY time" },
	{ .heading = "slowest TLS handshakes", .table = "tls", .rows = 1,
	  .sql = "SELECT utc(ts) AS time, host, pid, comm, role, raddr || ':' || rport AS peer,"
	  " dur(latency_ns) AS latency, ok FROM tls ORDER BY latency_ns DESC LIMIT 5" },
	{ .heading = "largest resident-set growth", .table = "rss_stats",
	  .sql = "WITH g AS (SELECT host, pid, max(comm) AS comm, max(ts) AS last, sum(growth_bytes) AS grew,"
	  " max(max_rss_bytes) AS peak FROM rss_stats GROUP BY host, pid ORDER BY grew DESC LIMIT 5)"
	  " SELECT host, pid, " NAME_NOW " AS comm, size(grew) AS grew, size(peak) AS peak"
	  " FROM g ORDER BY g.grew DESC" },
	{ .heading = "most page faults", .table = "fault_stats",
	  .sql = "WITH g AS (SELECT host, pid, max(comm) AS comm, max(ts) AS last, sum(faults) AS faults,"
	  " sum(write_faults) AS on_writes FROM fault_stats GROUP BY host, pid ORDER BY faults DESC LIMIT 5)"
	  " SELECT host, pid, " NAME_NOW " AS comm, faults, on_writes FROM g ORDER BY g.faults DESC" },
	{ .heading = "longest waits for kernel locks", .table = "lock_stats",
	  .sql = "WITH g AS (SELECT host, pid, max(comm) AS comm, max(ts) AS last, sum(waits) AS waits,"
	  " sum(total_ns) AS total, max(max_ns) AS longest FROM lock_stats GROUP BY host, pid"
	  " ORDER BY total DESC LIMIT 5)"
	  " SELECT host, pid, " NAME_NOW " AS comm, waits, dur(total) AS waited, dur(longest) AS longest"
	  " FROM g ORDER BY g.total DESC" },
	{ .heading = "slowest function calls", .table = "funcs",
	  .sql = "SELECT utc(ts) AS time, host, pid, comm, symbol, dur(latency_ns) AS latency FROM funcs"
	  " ORDER BY latency_ns DESC LIMIT 5" },
	/* rcode for lookups on the wire, result for getaddrinfo: one of them is empty */
	{ .heading = "slowest DNS lookups", .table = "dns", .rows = 1,
	  .sql = "SELECT utc(ts) AS time, host, pid, comm, source, query, qtype,"
	  " rcode || result AS outcome, server, dur(latency_ns) AS latency FROM dns"
	  " ORDER BY latency_ns DESC LIMIT 5" },
	{ .heading = "failed DNS lookups", .table = "dns", .rows = 1,
	  .sql = "SELECT query, qtype, rcode || result AS outcome, count(*) AS lookups,"
	  " count(DISTINCT host || '/' || pid) AS processes, utc(min(ts)) AS first, utc(max(ts)) AS last"
	  " FROM dns WHERE rcode NOT IN ('', 'NOERROR') OR result NOT IN ('', '0')"
	  " GROUP BY query, qtype, outcome ORDER BY lookups DESC, query, qtype LIMIT 10" },
	{ .heading = "HTTP exchanges", .table = "http", .rows = 1,
	  .sql = "SELECT role, count(*) AS exchanges, sum(status BETWEEN 100 AND 399) AS ok,"
	  " sum(status BETWEEN 400 AND 499) AS \"4xx\", sum(status >= 500) AS \"5xx\","
	  " sum(status = 0) AS unanswered, dur(max(latency_ns)) AS slowest FROM http"
	  " GROUP BY role ORDER BY role" },
	{ .heading = "HTTP errors (4xx, 5xx)", .table = "http", .rows = 1,
	  .none_unless = "SELECT 1 FROM http WHERE status >= 400 LIMIT 1",
	  .sql = "SELECT status, method, path, role, count(*) AS exchanges,"
	  " count(DISTINCT host || '/' || pid) AS processes, utc(max(ts)) AS last FROM http"
	  " WHERE status >= 400 GROUP BY status, method, path, role"
	  " ORDER BY status >= 500 DESC, exchanges DESC LIMIT 10" },
	{ .heading = "slowest HTTP requests", .table = "http", .rows = 1,
	  .sql = "SELECT utc(ts) AS time, host, pid, comm, role, method, path,"
	  " CASE WHEN status > 0 THEN status ELSE 'none' END AS status, dur(latency_ns) AS latency"
	  " FROM http ORDER BY latency_ns DESC LIMIT 5" },
	{ .heading = "losses",
	  .sql = "SELECT reason, count(*) AS gaps, sum(dropped) AS records, dur(sum(end_ts - start_ts)) AS time"
	  " FROM gaps GROUP BY reason" },
};

/*
 * Call FN for each of the N SECTIONS that applies, in order, with its
 * heading and the SQL of its rows (NULL: "none").  0, or -1 when FN failed
 * for any.
 */
static int sections_walk(struct replay *r, const struct summary_section *sections, size_t n, summary_fn fn, void *ctx)
{
	char built[4096];
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		const struct summary_section *s = &sections[i];
		const char *sql = s->sql;
		int empty;

		if (s->table && !(s->rows ? has_rows(r, s->table) : dot_has_table(r, s->table)))
			continue;
		/*
		 * A section of a table with no rows answers none: the processes
		 * its rows would be named from (NAME_NOW) are never looked up,
		 * and an index made for that, 3 s on 10M processes, serves none.
		 */
		empty = s->table && !s->rows && !has_rows(r, s->table);
		switch (s->build ? s->build(r, built, sizeof(built)) : NOT_BUILT) {
		case HIDDEN:
			continue;
		case BUILT:
			sql = built;
			break;
		default:
			if (s->show_if && !sql_any(r, s->show_if))
				continue;
			if (s->none_unless && !sql_any(r, s->none_unless))
				sql = NULL;
		}
		replay_hold_indexes(r, empty);
		ret |= fn(r, s->heading, sql, ctx);
		replay_hold_indexes(r, 0);
	}
	return ret ? -1 : 0;
}

/* One section on the output: its heading, then its rows or "none"; sets the int *CTX (shown). */
static int section_print(struct replay *r, const char *title, const char *sql, void *ctx)
{
	*(int *)ctx = 1;
	heading(r, title);
	if (!sql) {
		fprintf(r->out.fp, "none\n");
		return 0;
	}
	return dot_query_i64(r, sql, NULL, 0);
}

/* Print the N SECTIONS in order; *SHOWN set when any was.  0, or -1 when a query failed. */
static int sections_print(struct replay *r, const struct summary_section *sections, size_t n, int *shown)
{
	return sections_walk(r, sections, n, section_print, shown);
}

int summary_walk(struct replay *r, summary_fn fn, void *ctx)
{
	return sections_walk(r, summary_sections, sizeof(summary_sections) / sizeof(summary_sections[0]), fn, ctx);
}

int dot_summary(struct replay *r, int argc, char **argv)
{
	int shown = 0;

	return sections_print(r, summary_sections, sizeof(summary_sections) / sizeof(summary_sections[0]), &shown);
}

/* Print "no TABLE records in these archives" and succeed: absence is an answer. */
static int none(struct replay *r, const char *what)
{
	fprintf(r->out.fp, "(no %s in these archives)\n", what);
	return 0;
}

/*
 * .slow: the slowest of each kind that has a duration, ten of each, with
 * their host (and a call's arguments); ties by rowid, one answer whatever
 * the table (columns: colstore_top, one read of the column).
 */
static const struct summary_section slow_sections[] = {
	{ .heading = "slowest system calls", .table = "syscalls",
	  .sql = "SELECT utc(ts) AS time, host, pid, comm, name, nullif(fd_kind, '') AS fd,"
	  " dur(latency_ns) AS latency, error, args FROM syscalls ORDER BY latency_ns DESC, rowid LIMIT 10" },
	{ .heading = "slowest disk requests", .table = "io",
	  .sql = "SELECT utc(ts) AS time, host, pid, comm, disk, op, rwbs, bytes, dur(queue_ns) AS queued,"
	  " dur(service_ns) AS service FROM io ORDER BY queue_ns + service_ns DESC, rowid LIMIT 10" },
	{ .heading = "longest run-queue delays", .table = "runq",
	  .sql = "SELECT utc(ts) AS time, host, pid, comm, cpu, dur(delay_ns) AS delay FROM runq"
	  " ORDER BY delay_ns DESC, rowid LIMIT 10" },
};

int dot_slow(struct replay *r, int argc, char **argv)
{
	int shown = 0, ret = sections_print(r, slow_sections, sizeof(slow_sections) / sizeof(slow_sections[0]), &shown);

	if (!shown)
		return none(r, "system call, disk or scheduler records");
	return ret;
}

/*
 * .top WHAT: the 15 processes that did most of WHAT, from TABLE; WITHOUT
 * names what is missing without it.  A bare comm beside the sums would be
 * that of an arbitrary row: see the naming rule below.
 */
#define TOP_SQL(TABLE, SUMS, ORDER, COLS, LAST)                                                               \
	"WITH t AS (SELECT host, pid, " SUMS " FROM " TABLE " GROUP BY host, pid ORDER BY " ORDER " LIMIT 15)"  \
	" SELECT host, pid, coalesce((SELECT comm FROM processes p WHERE p.host = t.host AND p.pid = t.pid"     \
	" ORDER BY coalesce(p.start_ts, 0) DESC LIMIT 1), (SELECT comm FROM " TABLE " s"                        \
	" WHERE s.host = t.host AND s.pid = t.pid ORDER BY " LAST " LIMIT 1)) AS comm, " COLS                  \
	" FROM t ORDER BY " ORDER
/*
 * LAST orders a process's rows for its name when `processes` has none.
 * Each process is named as `processes` names it (the comm of its last exec,
 * of its last lifetime when the pid was reused), else by its rows: the last
 * one; among the counts of one interval (one ts), the biggest.  Rows alone
 * can mislead: a fork's calls before its exec share the pid and the
 * interval with the program it became.
 */
#define TOP_LAST_COUNTED "s.ts DESC, s.count DESC"
#define TOP_LAST_EVENT "s.ts DESC"
static const struct top_view {
	const char *what, *table, *without, *sql;
} top_views[] = {
	{ "syscalls", "syscall_stats", "syscall_stats records",
	  TOP_SQL("syscall_stats", "sum(count) AS calls, sum(errors) AS errors, sum(total_ns) AS ns, max(max_ns) AS mx",
		  "calls DESC", "calls, errors, dur(ns) AS time_in_calls, dur(mx) AS longest", TOP_LAST_COUNTED) },
	{ "cpu", "runq_stats", "scheduler records (runq_stats)",
	  TOP_SQL("runq_stats", "sum(count) AS waits, sum(total_ns) AS ns, max(max_ns) AS mx", "ns DESC",
		  "waits, dur(ns) AS waited_for_cpu, dur(mx) AS longest", TOP_LAST_COUNTED) },
	{ "io", "io", "disk I/O records",
	  TOP_SQL("io", "count(*) AS requests, sum(bytes) AS b, sum(service_ns) AS ns", "b DESC",
		  "requests, size(b) AS bytes, dur(ns) AS service", TOP_LAST_EVENT) },
	{ "net", "connections", "TCP connection records",
	  TOP_SQL("connections", "count(*) AS connections, sum(bytes_sent) AS s, sum(bytes_received) AS r", "s + r DESC",
		  "connections, size(s) AS sent, size(r) AS received", TOP_LAST_EVENT) },
};

/* .top cpu with the profile family's samples: who ran, and in which functions (the innermost frame). */
static int top_cpu_samples(struct replay *r)
{
	int ret = 0;

	heading(r, "on CPU: samples by process");
	ret |= dot_query_i64(r,
			     "SELECT host, pid, comm, sum(count) AS samples,"
			     " printf('%.1f%%', 100.0 * sum(count) / (SELECT sum(count) FROM cpu_samples)) AS share"
			     " FROM cpu_samples GROUP BY host, pid ORDER BY samples DESC LIMIT 15",
			     NULL, 0);
	heading(r, "on CPU: samples by function (innermost frame)");
	ret |= dot_query_i64(r,
			     "SELECT coalesce(leaf(nullif(s.frames, '')), '[no stack]') AS function,"
			     " sum(c.count) AS samples,"
			     " printf('%.1f%%', 100.0 * sum(c.count) / (SELECT sum(count) FROM cpu_samples)) AS share"
			     " FROM cpu_samples c LEFT JOIN stacks s ON s.host = c.host AND s.id = c.stack_id"
			     " GROUP BY function ORDER BY samples DESC LIMIT 15",
			     NULL, 0);
	return ret ? -1 : 0;
}

int dot_top(struct replay *r, int argc, char **argv)
{
	if (!strcmp(argv[1], "cpu") && has_rows(r, "cpu_samples")) {
		int ret = top_cpu_samples(r);

		if (!dot_has_table(r, "runq_stats") || !has_rows(r, "runq_stats") || ret)
			return ret;
		heading(r, "waiting for a CPU"); /* then the run-queue view below */
	}
	for (size_t i = 0; i < sizeof(top_views) / sizeof(top_views[0]); i++) {
		const struct top_view *v = &top_views[i];

		if (strcmp(argv[1], v->what))
			continue;
		if (!dot_has_table(r, v->table))
			return none(r, v->without);
		return dot_query_i64(r, v->sql, NULL, 0);
	}
	fprintf(stderr, "flightrec-replay: .top: unknown '%s' (cpu, io, net, syscalls)\n", argv[1]);
	return -1;
}

int dot_conns(struct replay *r, int argc, char **argv)
{
	if (!dot_has_table(r, "connections"))
		return none(r, "TCP connection records");
	return dot_query_i64(r,
			     "SELECT c.*, (SELECT p.peer_host || ' ' || p.peer_comm || ' [' || p.peer_pid || ']'"
			     " FROM conn_pairs p WHERE p.conn_id = c.rowid LIMIT 1) AS peer FROM connections c ORDER BY ts",
			     NULL, 0);
}
