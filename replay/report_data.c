/*
 * report_data.c - what the HTML report shows, gathered from the loaded
 * tables as one JSON object (report.js draws it; the keys are listed
 * there).  Only SQL over the tables and views of schema/, so every figure
 * of the page can be reproduced in the shell.
 *
 * Large archives stay drawable, and the page bounded in size:
 *   - marks: at most MARKS_CAP of each kind, the worst first (longest;
 *     failed calls of a rare kind before the ten-thousandth ENOENT), the
 *     rest counted; every kind also as counts per bucket
 *     (one second, or wider so that a window has at most BUCKETS_MAX);
 *   - lanes: at most LANES_CAP processes, those with the most and worst
 *     marks (a crash, an OOM kill, a failed exit first), and their
 *     ancestors, so the tree reads; the others are counted;
 *   - summary sections at ROWS_CAP rows, connection pairs at 300;
 *   - and whatever the rows hold, no more marks once the data reaches
 *     MARKS_BYTES_MAX, no more stacks past FLAME_BYTES_MAX of them.
 * Times are microseconds from the start of the window (t0, given in ns).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dot.h"
#include "record.h"
#include "report.h"

#define MARKS_CAP 1000
#define LANES_CAP 250
#define BUCKETS_MAX 600
#define ROWS_CAP 50
#define FLAME_STACKS_CAP 3000
/* whatever the rows hold, the marks stop here, and the flame graph's stacks there: the page stays under 10 MB */
#define MARKS_BYTES_MAX (6L << 20)
#define FLAME_BYTES_MAX (2L << 20)

/* The fatal signals of a crash (a bug), as opposed to a kill (someone's decision). */
#define CRASH_SIGNALS "(4, 5, 6, 7, 8, 11, 31)"

/*
 * One kind of mark on the timeline: the rows of TABLE that match WHERE,
 * at ts (or START), lasting DUR (SQL, ns), labelled LABEL (SQL), the worst first by
 * ORDER.  WEIGHT is what one such mark adds to its process's claim to a
 * lane; LANE_BOUND kinds (exec, exit) are drawn only for processes chosen
 * for other reasons.  COUNT is the calls a row stands for.  HOST_LANE:
 * the mark belongs to the host (a loss), not to a process.
 */
struct mark_kind {
	const char *kind;
	const char *table;
	const char *legend;
	const char *start; /* SQL of its start, ns; NULL: ts */
	const char *where;
	const char *dur;
	const char *label;
	const char *order;
	const char *count;
	int weight;
	int lane_bound;
	int host_lane;
};

#define MARK(KIND, TABLE, LEGEND, WHERE, DUR, LABEL, ORDER, COUNT, WEIGHT)                                        \
	.kind = KIND, .table = TABLE, .legend = LEGEND, .where = WHERE, .dur = DUR, .label = LABEL, .order = ORDER, \
	.count = COUNT, .weight = WEIGHT

static const struct mark_kind mark_kinds[] = {
	/* the function it crashed in, when the profile family saw the signal (crashes, kind 30): report.js shows it */
	{ MARK("crash", "proc_exit", "crash (fatal signal)", "exit_signal IN " CRASH_SIGNALS, "0",
	       "'killed by signal ' || exit_signal || CASE WHEN core_dumped THEN ' (core dumped)' ELSE '' END"
	       " || coalesce((SELECT ' in ' || c.function FROM crashes c WHERE c.host = proc_exit.host"
	       " AND c.pid = proc_exit.pid AND c.function <> '' ORDER BY c.ts DESC LIMIT 1), '')",
	       "ts", "1", 1000) },
	{ MARK("killed", "proc_exit", "killed by a signal", "exit_signal > 0 AND exit_signal NOT IN " CRASH_SIGNALS, "0",
	       "'killed by signal ' || exit_signal", "ts", "1", 200) },
	{ MARK("oom", "oom_kills", "OOM kill", "1", "0", "'OOM kill (oom_score_adj ' || oom_score_adj || ')'", "ts", "1",
	       1000) },
	{ MARK("failed", "proc_exit", "exit code > 0", "exit_signal = 0 AND exit_code > 0", "0", "'exit ' || exit_code",
	       "ts", "1", 100) },
	{ MARK("syscall_error", "syscalls", "failed system call",
	       "error IS NOT NULL AND error <> '' AND NOT " WOULD_BLOCK_SQL, "latency_ns", "name || ' ' || error || CASE WHEN args <> '' THEN ' ' || substr(args, 1, 80) ELSE '' END",
	       "count(*) OVER (PARTITION BY name, error), latency_ns DESC", "coalesce(count, 1)", 5) },
	{ MARK("syscall_slow", "syscalls", "slow system call", "reason = 'slow' AND (error IS NULL OR error = '')",
	       "latency_ns", "name || CASE WHEN fd_kind <> '' THEN ' (' || fd_kind || ')' ELSE '' END", "latency_ns DESC",
	       "coalesce(count, 1)", 5) },
	{ MARK("runq", "runq", "run-queue delay", "1", "delay_ns", "'waited for a CPU'", "delay_ns DESC", "1", 2) },
	{ MARK("io_slow", "io_requests", "slow (10 ms+) or failed disk I/O",
	       "queue_ns + service_ns >= 10000000 OR error <> 0", "queue_ns + service_ns",
	       "op || ' ' || bytes || ' B ' || disk || CASE WHEN error <> 0 THEN ' error ' || error ELSE '' END",
	       "queue_ns + service_ns DESC", "1", 5) },
	{ MARK("conn", "connections", "TCP connection (colour: outcome)", "1", "duration_ns",
	       "direction || ' ' || raddr || ':' || rport || ' ' || outcome", "outcome IN ('closed', 'open'), duration_ns DESC",
	       "1", 3) },
	{ MARK("dns_error", "dns", "failed DNS lookup", "rcode NOT IN ('', 'NOERROR') OR result NOT IN ('', '0')",
	       "latency_ns", "'DNS ' || query || ': ' || rcode || result", "latency_ns DESC", "1", 20) },
	{ MARK("http_error", "http", "HTTP error or no response", "status >= 400 OR status = 0", "latency_ns",
	       "'HTTP ' || method || ' ' || path || ': ' || CASE WHEN status > 0 THEN status ELSE 'no response' END",
	       "latency_ns DESC", "1", 20) },
	{ MARK("tls_error", "tls", "failed TLS handshake", "NOT ok", "latency_ns", "'TLS ' || role || ' failed: ' || error",
	       "latency_ns DESC", "1", 20) },
	{ MARK("security", "security", "security signal", "1", "0", "severity || ' ' || kind", "severity = 'high' DESC, ts",
	       "1", 20) },
	{ MARK("exec", "proc_exec", "exec", "1", "0", "'exec ' || filename", "ts", "1", 0), .lane_bound = 1 },
	{ MARK("exit", "proc_exit", "exit 0", "exit_signal = 0 AND exit_code <= 0", "0", "'exit ' || exit_code", "ts", "1",
	       0),
	  .lane_bound = 1 },
	/* a drop record is written when the loss is noticed, at the end of its gap */
	{ MARK("gap", "drops", "records lost (gap)", "1", "CASE WHEN since_ts > 0 THEN ts - since_ts ELSE 0 END",
	       "source || ': ' || count || ' lost'", "count DESC", "count", 0),
	  .host_lane = 1, .start = "CASE WHEN since_ts > 0 THEN since_ts ELSE ts END" },
};
#define NMARK_KINDS (sizeof(mark_kinds) / sizeof(mark_kinds[0]))

struct ctx {
	struct replay *r;
	FILE *f;
	char *err;
	size_t errlen;
	int64_t t0, t1, bucket; /* the window [t0, t1) and the width of a bucket, ns */
	int nbuckets;
	int sections; /* summary sections written */
	long flame_end; /* where the flame graph's stacks stop */
};

static int sql_fail(struct ctx *c, const char *what)
{
	snprintf(c->err, c->errlen, "%s: %s", what, sqlite3_errmsg(c->r->db));
	return -1;
}

static int prep(struct ctx *c, const char *sql, sqlite3_stmt **s)
{
	if (replay_prepare(c->r, sql, -1, s, NULL) != SQLITE_OK) {
		snprintf(c->err, c->errlen, "SQL error: %s (in: %.80s)", sqlite3_errmsg(c->r->db), sql);
		return -1;
	}
	return 0;
}

static int exec(struct ctx *c, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(c->r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(c->err, c->errlen, "SQL error: %s (in: %.80s)", msg ? msg : "?", sql);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* "key":[rows of SQL, each an array], after the first FROM columns; ?1 is t0. */
static int rows_json(struct ctx *c, const char *key, const char *sql, int limit)
{
	sqlite3_stmt *s;
	int n = 0, rc;

	if (prep(c, sql, &s))
		return -1;
	sqlite3_bind_int64(s, 1, c->t0);
	fprintf(c->f, ",\"%s\":[", key);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < limit) {
		fputs(n++ ? ",\n" : "\n", c->f);
		rj_row(c->f, s, 0);
	}
	fputc(']', c->f);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_fail(c, key);
}

/* The window, hosts, archives and their triggers. */
static int data_head(struct ctx *c)
{
	sqlite3_stmt *s;
	char t0[32];

	snprintf(t0, sizeof(t0), "%lld", (long long)c->t0);
	fprintf(c->f, "{\"version\":");
	rj_str(c->f, FR_VERSION);
	fprintf(c->f, ",\"t0\":\"%s\",\"span_us\":%lld,\"bucket_us\":%lld,\"nbuckets\":%d", t0,
		(long long)((c->t1 - c->t0) / 1000), (long long)(c->bucket / 1000), c->nbuckets);
	if (prep(c, "SELECT utc(?1)", &s))
		return -1;
	sqlite3_bind_int64(s, 1, c->t0);
	if (sqlite3_step(s) == SQLITE_ROW) {
		fputs(",\"t0_utc\":", c->f);
		rj_col(c->f, s, 0);
	}
	sqlite3_finalize(s);
	if (rows_json(c, "hosts",
		      "SELECT host FROM (SELECT host FROM archives UNION SELECT host FROM processes) WHERE host IS NOT NULL"
		      " ORDER BY host",
		      1000))
		return -1;
	/* manifest fields one by one: an archive of any version, or a bare segment (no manifest) */
	return rows_json(c, "archives",
			 "SELECT host, path, records, json_extract(manifest, '$.window.start_utc'),"
			 " json_extract(manifest, '$.window.end_utc'),"
			 " (json_extract(manifest, '$.window.start_ns') - ?1) / 1000,"
			 " (json_extract(manifest, '$.window.end_ns') - ?1) / 1000,"
			 " json_extract(manifest, '$.trigger.type'), json_extract(manifest, '$.trigger.detail'),"
			 " json_extract(manifest, '$.trigger.record'), (json_extract(manifest, '$.trigger.ns') - ?1) / 1000,"
			 " json_extract(manifest, '$.trigger.utc'), json_extract(manifest, '$.kernel'),"
			 " json_extract(manifest, '$.cpus'), json_extract(manifest, '$.redacted'),"
			 " json_extract(manifest, '$.reason'), bad_blocks, truncated_bytes"
			 " FROM archives ORDER BY host, path",
			 1000);
}

/* The marks of every kind but the lane-bound ones, the worst MARKS_CAP of each. */
static int marks_collect(struct ctx *c, int lane_bound)
{
	char sql[2048];

	for (size_t i = 0; i < NMARK_KINDS; i++) {
		const struct mark_kind *k = &mark_kinds[i];

		if (k->lane_bound != lane_bound || !dot_has_table(c->r, k->table))
			continue;
		snprintf(sql, sizeof(sql),
			 "INSERT INTO temp.report_marks (kind, host, pid, ts, dur, label, rid, weight)"
			 " SELECT '%s', host, %s, %s, %s, %s, rowid, %d FROM %s WHERE (%s)%s ORDER BY %s LIMIT %d",
			 k->kind, k->host_lane ? "NULL" : "pid", k->start ? k->start : "ts", k->dur, k->label, k->weight, k->table, k->where,
			 lane_bound ? " AND (host, pid) IN (SELECT host, pid FROM temp.report_lanes)" : "", k->order,
			 MARKS_CAP);
		if (exec(c, sql))
			return -1;
	}
	return 0;
}

/*
 * The processes that get a lane: of those that did something in the
 * window (a mark, a start, an exit), the LANES_CAP worth most (a crash, a
 * kill, a failure, and the weights of their marks, at most three of a
 * kind: a process that fails one call ten thousand times is worth less
 * than one that crashed), then their ancestors; numbered in tree order,
 * host by host.
 */
static int lanes_choose(struct ctx *c)
{
	char sql[4096];

	snprintf(sql, sizeof(sql),
		 "CREATE INDEX temp.report_marks_pid ON report_marks(pid, host);"
		 "INSERT INTO temp.report_lanes (rid, host, pid, ppid, start_ts, score)"
		 " SELECT p.rowid, p.host, p.pid, p.ppid, p.start_ts,"
		 "  coalesce((SELECT sum(w) FROM (SELECT min(count(*), 3) * max(m.weight) AS w FROM temp.report_marks m"
		 "   WHERE m.pid = p.pid AND m.host = p.host AND (p.start_ts IS NULL OR m.ts >= p.start_ts)"
		 "   AND (p.exit_ts IS NULL OR m.ts <= p.exit_ts + 1000000000) GROUP BY m.kind)), 0)"
		 "  + (coalesce(p.exit_signal, 0) > 0) * 1000 + (coalesce(p.exit_code, 0) > 0) * 100 AS score"
		 " FROM processes p WHERE score > 0 OR p.start_ts >= %lld OR p.exit_ts IS NOT NULL"
		 " ORDER BY score DESC, coalesce(p.start_ts, 0), p.pid LIMIT %d;"
		 /* ancestors: the parent alive at the child's start, up the tree */
		 "WITH RECURSIVE a(rid, depth) AS (SELECT rid, 0 FROM temp.report_lanes"
		 "  UNION SELECT (SELECT q.rowid FROM processes q WHERE q.pid = c.ppid AND q.host = c.host AND q.rowid <> c.rowid"
		 "   AND coalesce(q.start_ts, 0) <= coalesce(c.start_ts, 0) ORDER BY q.start_ts DESC LIMIT 1), a.depth + 1"
		 "   FROM a JOIN processes c ON c.rowid = a.rid WHERE a.depth < 64)"
		 " INSERT INTO temp.report_lanes (rid, host, pid, ppid, start_ts, score)"
		 " SELECT p.rowid, p.host, p.pid, p.ppid, p.start_ts, 0 FROM processes p"
		 "  WHERE p.rowid IN (SELECT rid FROM a) AND p.rowid NOT IN (SELECT rid FROM temp.report_lanes);"
		 /* tree order: the path of start times and pids from the root */
		 "WITH RECURSIVE t(rid, depth, path) AS ("
		 "  SELECT l.rid, 0, printf('%%020d.%%010d', coalesce(l.start_ts, 0), l.pid) FROM temp.report_lanes l"
		 "   WHERE NOT EXISTS (SELECT 1 FROM temp.report_lanes q WHERE q.host = l.host AND q.pid = l.ppid"
		 "    AND q.rid <> l.rid AND coalesce(q.start_ts, 0) <= coalesce(l.start_ts, 0))"
		 "  UNION ALL SELECT ch.rid, t.depth + 1, t.path || '/' || printf('%%020d.%%010d', coalesce(ch.start_ts, 0), ch.pid)"
		 "   FROM t JOIN temp.report_lanes pa ON pa.rid = t.rid JOIN temp.report_lanes ch ON ch.ppid = pa.pid"
		 "    AND ch.host = pa.host AND ch.rid <> pa.rid AND coalesce(ch.start_ts, 0) >= coalesce(pa.start_ts, 0)"
		 "   WHERE t.depth < 64)"
		 " UPDATE temp.report_lanes SET depth = o.depth, path = o.path FROM"
		 "  (SELECT rid, min(depth) AS depth, min(path) AS path FROM t GROUP BY rid) o WHERE o.rid = report_lanes.rid;"
		 "UPDATE temp.report_lanes SET idx = o.n - 1 FROM (SELECT rid, row_number() OVER"
		 "  (ORDER BY host, coalesce(path, printf('%%020d.%%010d', coalesce(start_ts, 0), pid))) AS n"
		 "  FROM temp.report_lanes) o WHERE o.rid = report_lanes.rid;",
		 (long long)c->t0, LANES_CAP);
	return exec(c, sql);
}

/* Each mark to its lane: the process of its pid alive at its time. */
static int marks_place(struct ctx *c)
{
	return exec(c, "CREATE INDEX temp.report_lanes_pid ON report_lanes(pid, host);"
		       "UPDATE temp.report_marks SET lane = (SELECT l.idx FROM temp.report_lanes l"
		       " WHERE l.pid = report_marks.pid AND l.host = report_marks.host"
		       " AND (l.start_ts IS NULL OR l.start_ts <= report_marks.ts + 1000000)"
		       " ORDER BY l.start_ts DESC LIMIT 1) WHERE pid IS NOT NULL AND pid <> 0;");
}

static int data_lanes(struct ctx *c)
{
	fprintf(c->f, ",\"processes\":%lld", (long long)replay_scalar(c->r, "SELECT count(*) FROM processes"));
	/* [host, pid, ppid, comm, argv, start_us, end_us, exit_code, exit_signal, depth, exe] in lane order */
	return rows_json(c, "lanes",
			 "SELECT p.host, p.pid, p.ppid, p.comm, substr(p.argv, 1, 300), (p.start_ts - ?1) / 1000,"
			 " (p.exit_ts - ?1) / 1000, p.exit_code, p.exit_signal, coalesce(l.depth, 0), p.exe"
			 " FROM temp.report_lanes l JOIN processes p ON p.rowid = l.rid ORDER BY l.idx",
			 LANES_CAP * 4);
}

/* Marks, kind by kind: how many in all, and those drawn with the row they stand for. */
static int data_marks(struct ctx *c)
{
	char sql[2048];
	int first = 1;

	fputs(",\"marks\":[", c->f);
	for (size_t i = 0; i < NMARK_KINDS; i++) {
		const struct mark_kind *k = &mark_kinds[i];
		sqlite3_stmt *s;
		int rc, n = 0;

		if (!dot_has_table(c->r, k->table))
			continue;
		snprintf(sql, sizeof(sql), "SELECT sum(%s) FROM %s WHERE %s", k->count, k->table, k->where);
		fprintf(c->f, "%s\n{\"kind\":\"%s\",\"table\":\"%s\",\"legend\":", first ? "" : ",", k->kind, k->table);
		rj_str(c->f, k->legend);
		fprintf(c->f, ",\"total\":%lld,\"host_lane\":%d", (long long)replay_scalar(c->r, sql), k->host_lane);
		first = 0;
		/* [lane, t_us, dur_us, label, host, the row...]; lane null: the host's own lane */
		snprintf(sql, sizeof(sql),
			 "SELECT m.lane, (m.ts - ?1) / 1000, m.dur / 1000, m.label, m.host, t.* FROM temp.report_marks m"
			 " JOIN %s t ON t.rowid = m.rid WHERE m.kind = '%s'%s ORDER BY m.ts",
			 k->table, k->kind, k->host_lane ? "" : " AND (m.lane IS NOT NULL OR m.pid = 0)");
		if (prep(c, sql, &s))
			return -1;
		sqlite3_bind_int64(s, 1, c->t0);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW && ftell(c->f) < MARKS_BYTES_MAX) {
			if (!n)
				fputs(",\"cols\":", c->f), rj_cols(c->f, s, 5), fputs(",\"rows\":[", c->f);
			fputs(n++ ? ",\n" : "\n", c->f);
			rj_row(c->f, s, 0);
		}
		fputs(n ? "]}" : ",\"cols\":[],\"rows\":[]}", c->f);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return sql_fail(c, k->kind);
	}
	fputc(']', c->f);
	return 0;
}

/* A series of BUCKETS: AGG (SQL) per bucket of the rows of TABLE that match WHERE; 0 where none. */
static int series(struct ctx *c, const char *name, const char *table, const char *where, const char *agg)
{
	char sql[1024];
	double *v = calloc((size_t)c->nbuckets, sizeof(double));
	sqlite3_stmt *s;
	int rc;

	if (!v) {
		snprintf(c->err, c->errlen, "out of memory");
		return -1;
	}
	snprintf(sql, sizeof(sql),
		 "SELECT (ts - ?1) / ?2 AS b, %s FROM %s WHERE ts >= ?1 AND ts < ?3 AND (%s) GROUP BY b", agg, table,
		 where);
	if (prep(c, sql, &s)) {
		free(v);
		return -1;
	}
	sqlite3_bind_int64(s, 1, c->t0);
	sqlite3_bind_int64(s, 2, c->bucket);
	sqlite3_bind_int64(s, 3, c->t1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(s, 0);
		if (b >= 0 && b < c->nbuckets)
			v[b] = sqlite3_column_double(s, 1);
	}
	sqlite3_finalize(s);
	fprintf(c->f, ",\n\"%s\":[", name);
	for (int i = 0; i < c->nbuckets; i++)
		fprintf(c->f, "%s%.6g", i ? "," : "", v[i]);
	fputc(']', c->f);
	free(v);
	return rc == SQLITE_DONE ? 0 : sql_fail(c, name);
}

/* Per-bucket charts, and the count of every kind of mark per bucket (all of them, drawn or not). */
static int data_series(struct ctx *c)
{
	char name[64], agg[128];

	fputs(",\"series\":{\"_\":0", c->f);
	if (series(c, "cpu_wait_ms", "runq_stats", "1", "sum(total_ns) / 1e6") ||
	    series(c, "cpu_wait_max_ms", "runq_stats", "1", "max(max_ns) / 1e6") ||
	    series(c, "io_avg_ms", "io_stats", "count > 0", "sum(total_ns) / 1e6 / sum(count)") ||
	    series(c, "io_max_ms", "io_stats", "1", "max(max_ns) / 1e6") ||
	    series(c, "io_requests", "io_stats", "1", "sum(count)") ||
	    series(c, "syscall_errors", "syscall_stats", "1", "sum(errors)") ||
	    series(c, "syscalls", "syscall_stats", "1", "sum(count)"))
		return -1;
	for (size_t i = 0; i < NMARK_KINDS; i++) {
		const struct mark_kind *k = &mark_kinds[i];

		snprintf(name, sizeof(name), "n_%s", k->kind);
		snprintf(agg, sizeof(agg), "sum(%s)", k->count);
		if (dot_has_table(c->r, k->table) && series(c, name, k->table, k->where, agg))
			return -1;
	}
	fputc('}', c->f);
	return 0;
}

/* Each section of .summary as a table. */
static int summary_table(struct replay *r, const char *heading, const char *sql, void *arg)
{
	struct ctx *c = arg;
	sqlite3_stmt *s;
	int n = 0, rc;

	fputs(c->sections++ ? ",\n{\"heading\":" : "\n{\"heading\":", c->f);
	rj_str(c->f, heading);
	if (!sql) {
		fputs(",\"cols\":[],\"rows\":[]}", c->f);
		return 0;
	}
	if (replay_prepare(r, sql, -1, &s, NULL) != SQLITE_OK) {
		fputs(",\"cols\":[],\"rows\":[],\"error\":", c->f);
		rj_str(c->f, sqlite3_errmsg(r->db));
		fputs("}", c->f);
		return 0;
	}
	fputs(",\"cols\":", c->f);
	rj_cols(c->f, s, 0);
	fputs(",\"rows\":[", c->f);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < ROWS_CAP) {
		fputs(n++ ? ",\n" : "\n", c->f);
		rj_row(c->f, s, 0);
	}
	fputs("]}", c->f);
	sqlite3_finalize(s);
	return 0;
}

static int data_summary(struct ctx *c)
{
	fputs(",\"summary\":[", c->f);
	summary_walk(c->r, summary_table, c);
	fputc(']', c->f);
	return 0;
}

/*
 * Who talked to whom: connections grouped by their two ends, each end a
 * process (paired through conn_pairs, on any loaded host) or, when the
 * other end was not recorded, an address (and the port of a server).
 */
static int data_conns(struct ctx *c)
{
	if (!dot_has_table(c->r, "connections"))
		return 0;
	/* [from, to, outcome, connections, bytes, longest_us, from_host, to_host] */
	return rows_json(c, "conns",
			 "WITH e AS ("
			 " SELECT c.host || ' ' || c.comm || ' [' || c.pid || ']' AS a,"
			 "  coalesce(p.peer_host || ' ' || p.peer_comm || ' [' || p.peer_pid || ']', c.raddr || ':' || c.rport) AS b,"
			 "  c.outcome, c.bytes_sent + c.bytes_received AS bytes, c.duration_ns, c.host AS ah,"
			 "  coalesce(p.peer_host, '') AS bh"
			 "  FROM connections c LEFT JOIN conn_pairs p ON p.conn_id = c.rowid WHERE c.direction = 'connect'"
			 " UNION ALL"
			 " SELECT c.raddr, c.host || ' ' || c.comm || ' [' || c.pid || '] :' || c.lport, c.outcome,"
			 "  c.bytes_sent + c.bytes_received, c.duration_ns, '', c.host"
			 "  FROM connections c WHERE c.direction = 'accept'"
			 "   AND NOT EXISTS (SELECT 1 FROM conn_pairs p WHERE p.conn_id = c.rowid))"
			 " SELECT a, b, outcome, count(*) AS n, sum(bytes), max(duration_ns) / 1000, ah, bh FROM e"
			 " GROUP BY a, b, outcome ORDER BY outcome IN ('closed', 'open'), n DESC LIMIT 300",
			 300);
}

/*
 * CPU samples, as folded stacks (comm;outer;...;inner, as .flame folds
 * them), when the archive has them (tables stacks and cpu_samples).
 * No samples: no section; a failing query: a note instead.
 */
static int data_flame(struct ctx *c)
{
	sqlite3_stmt *s;
	int n = 0, rc;

	if (!dot_has_table(c->r, "cpu_samples") || !dot_has_table(c->r, "stacks") ||
	    !replay_scalar(c->r, "SELECT count(*) FROM (SELECT 1 FROM cpu_samples LIMIT 1)"))
		return 0;
	if (replay_prepare(c->r,
			       "SELECT c.comm || ';' || coalesce(nullif(s.frames, ''), '[no stack]') AS folded,"
			       " sum(c.count) AS n FROM cpu_samples c LEFT JOIN stacks s ON s.host = c.host AND s.id = c.stack_id"
			       " GROUP BY folded ORDER BY n DESC",
			       -1, &s, NULL) != SQLITE_OK) {
		fputs(",\"flame_error\":", c->f);
		rj_str(c->f, sqlite3_errmsg(c->r->db));
		return 0;
	}
	fputs(",\"flame\":[", c->f);
	c->flame_end = ftell(c->f) + FLAME_BYTES_MAX;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < FLAME_STACKS_CAP && ftell(c->f) < c->flame_end) {
		fputs(n++ ? ",\n" : "\n", c->f);
		rj_row(c->f, s, 0);
	}
	fputc(']', c->f);
	sqlite3_finalize(s);
	return 0;
}

/* FLIGHTREC_REPLAY_TIMING=1: how long each step took, on stderr (benchmarks). */
static void step_done(const char *step)
{
	static double last;
	struct timespec ts;
	double now;

	if (!getenv("FLIGHTREC_REPLAY_TIMING"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (step)
		fprintf(stderr, "flightrec-replay: report: %s in %.3f s\n", step, now - last);
	last = now;
}

int report_data(struct replay *r, FILE *f, char *err, size_t errlen)
{
	struct ctx c = { .r = r, .f = f, .err = err, .errlen = errlen };
	int64_t span;
	int ret = -1;

	c.t0 = dot_window_start(r);
	c.t1 = replay_scalar(c.r, "SELECT max(json_extract(manifest, '$.window.end_ns')) FROM archives");
	if (c.t1 <= c.t0) {
		/* no manifest: the last record */
		c.t1 = c.t0;
		for (unsigned i = 0; i < fr_nkinds; i++) {
			char sql[128];
			snprintf(sql, sizeof(sql), "SELECT max(ts) FROM %s", fr_kinds[i].table);
			int64_t t = replay_scalar(c.r, sql);
			if (t > c.t1)
				c.t1 = t;
		}
		c.t1++;
	}
	span = c.t1 - c.t0;
	c.bucket = 1000000000LL;
	if (span / c.bucket >= BUCKETS_MAX)
		c.bucket = (span / BUCKETS_MAX / 1000000000LL + 1) * 1000000000LL;
	c.nbuckets = (int)((span + c.bucket - 1) / c.bucket);
	if (c.nbuckets < 1)
		c.nbuckets = 1;

	if (exec(&c, "DROP TABLE IF EXISTS temp.report_marks; DROP TABLE IF EXISTS temp.report_lanes;"
		     "CREATE TEMP TABLE report_marks (kind TEXT, host TEXT, pid INTEGER, ts INTEGER, dur INTEGER,"
		     " label TEXT, rid INTEGER, weight INTEGER, lane INTEGER);"
		     "CREATE TEMP TABLE report_lanes (rid INTEGER PRIMARY KEY, host TEXT, pid INTEGER, ppid INTEGER,"
		     " start_ts INTEGER, score INTEGER, depth INTEGER, path TEXT, idx INTEGER);"))
		return -1;
	step_done(NULL);
#define STEP(CALL) if ((CALL)) goto out; step_done(#CALL)
	STEP(marks_collect(&c, 0));
	STEP(lanes_choose(&c));
	STEP(marks_collect(&c, 1));
	STEP(marks_place(&c));
	STEP(data_head(&c));
	STEP(data_lanes(&c));
	STEP(data_marks(&c));
	STEP(data_series(&c));
	STEP(data_summary(&c));
	STEP(data_conns(&c));
	STEP(data_flame(&c));
#undef STEP
	fputs("}\n", f);
	ret = 0;
out:
	exec(&c, "DROP TABLE IF EXISTS temp.report_marks; DROP TABLE IF EXISTS temp.report_lanes;");
	return ret;
}
