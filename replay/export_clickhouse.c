/*
 * export_clickhouse.c - archives into ClickHouse (export_clickhouse.h).
 *
 * Each archive is loaded alone into an in-memory replay database, so that
 * what goes to ClickHouse is exactly what SQLite holds (NULLs, processes,
 * timeline), then read back table by table and sent as TabSeparated in
 * batches of BATCH_BYTES.  The `archives` table of the server is the
 * ledger that makes a load idempotent and its state visible:
 *
 *   - keyed by the SHA-256 of the archive's MANIFEST.json (which holds the
 *     checksums of its members): an archive already `complete` adds nothing;
 *   - its row says `loading` before the first record is sent and
 *     `complete` after the last, so a load that broke off is never taken
 *     for a whole one (and is refused, named, when tried again);
 *   - each host's complete windows: the records of a new archive of that
 *     host inside one of them are already there (an archive holds every
 *     record of its window), and only those outside are sent.  Processes
 *     go by their start (or the window's, when they started before it).
 *
 * The server is checked before anything is written: tables of another
 * flightrec version whose columns differ are refused by name.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clickhouse.h"
#include "clickhouse_ddl.h"
#include "db.h"
#include "export_clickhouse.h"
#include "sha256.h"

#define BATCH_BYTES ((size_t)16 << 20)

struct window {
	int64_t start, end;
};

/* S as a ClickHouse string literal. */
static void put_literal(struct strbuf *b, const char *s)
{
	strbuf_put(b, "'", 1);
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			strbuf_put(b, "\\", 1);
		strbuf_put(b, s, 1);
	}
	strbuf_put(b, "'", 1);
}

/* Run SQL, prefixing the server's error with what we were doing. */
static int run(struct ch *c, const char *sql, int in_db, struct strbuf *out, char *err, size_t errlen)
{
	if (ch_exec(c, sql, in_db, out) == 0)
		return 0;
	snprintf(err, errlen, "%s", ch_error(c));
	return -1;
}

/*
 * Compare the columns the server has with ours: each of ours must be there
 * with our type (more columns, of a newer flightrec, are fine: inserts
 * name theirs).
 */
static int check_columns(struct ch *c, const struct ch_table *t, unsigned nt, char *err, size_t errlen)
{
	struct strbuf cols = { 0 }, q = { 0 };
	int ret = 0;

	strbuf_printf(&q, "SELECT table, name, type FROM system.columns WHERE database = ");
	put_literal(&q, ch_database(c));
	strbuf_printf(&q, " FORMAT TabSeparated");
	if (q.oom || run(c, q.p, 0, &cols, err, errlen)) {
		strbuf_free(&q);
		return -1;
	}
	for (unsigned i = 0; i < nt && !ret; i++) {
		for (unsigned j = 0; j < t[i].ncols && !ret; j++) {
			char key[256];
			const char *hit = NULL;
			int n = snprintf(key, sizeof(key), "%s\t%s\t", t[i].name, t[i].cols[j].name);

			for (const char *line = cols.p; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
				if (!strncmp(line, key, (size_t)n)) {
					hit = line + n;
					break;
				}
			}
			if (!hit) {
				snprintf(err, errlen,
					 "clickhouse at %s: table %s.%s has no column %s (made by an older flightrec? ALTER TABLE %s.%s ADD COLUMN %s %s)",
					 ch_server(c), ch_database(c), t[i].name, t[i].cols[j].name, ch_database(c), t[i].name,
					 t[i].cols[j].name, t[i].cols[j].type);
				ret = -1;
			} else if (strncmp(hit, t[i].cols[j].type, strlen(t[i].cols[j].type)) ||
				   (hit[strlen(t[i].cols[j].type)] != '\n' && hit[strlen(t[i].cols[j].type)] != '\0')) {
				snprintf(err, errlen, "clickhouse at %s: column %s.%s.%s is %.*s, this flightrec writes %s",
					 ch_server(c), ch_database(c), t[i].name, t[i].cols[j].name, (int)strcspn(hit, "\n"), hit,
					 t[i].cols[j].type);
				ret = -1;
			}
		}
	}
	strbuf_free(&cols);
	strbuf_free(&q);
	return ret;
}

/* Create what is missing (database, tables, views; the Distributed layer with cluster=), then check. */
static int prepare_server(struct ch *c, char *err, size_t errlen)
{
	static const struct ch_table ledger = { .name = "archives", .ncols = 11, .cols = {
		{ "checksum", "String", 0 }, { "host", "String", 0 }, { "path", "String", 0 }, { "manifest", "String", 0 },
		{ "window_start", "Int64", 0 }, { "window_end", "Int64", 0 }, { "records", "UInt64", 1 },
		{ "skipped", "UInt64", 1 }, { "status", "String", 0 }, { "loaded_at", "DateTime", 0 }, { "version", "UInt64", 1 } } };
	const char *db = ch_database(c), *cluster = ch_cluster(c);
	unsigned nt;
	const struct ch_table *t = chddl_tables(&nt);
	struct strbuf q = { 0 };
	int ret = -1;

	strbuf_printf(&q, "CREATE DATABASE IF NOT EXISTS %s", db);
	if (run(c, q.p, 0, NULL, err, errlen))
		goto out;
	for (unsigned i = 0; i < nt; i++) {
		q.len = 0;
		chddl_create(&t[i], &q);
		if (q.oom || run(c, q.p, 1, NULL, err, errlen))
			goto out;
	}
	if (run(c, chddl_archives, 1, NULL, err, errlen) || check_columns(c, t, nt, err, errlen) ||
	    check_columns(c, &ledger, 1, err, errlen))
		goto out;
	q.len = 0;
	chddl_conn_pairs(db, 0, &q);
	if (q.oom || run(c, q.p, 1, NULL, err, errlen))
		goto out;
	if (cluster[0]) {
		/* DB_all on this server: every table over the shards of CLUSTER */
		q.len = 0;
		strbuf_printf(&q, "CREATE DATABASE IF NOT EXISTS %s_all", db);
		if (run(c, q.p, 0, NULL, err, errlen))
			goto out;
		for (unsigned i = 0; i <= nt; i++) {
			const char *name = i < nt ? t[i].name : "archives";
			q.len = 0;
			strbuf_printf(&q, "CREATE TABLE IF NOT EXISTS %s_all.%s AS %s.%s ENGINE = Distributed(%s, %s, %s, rand())",
				     db, name, db, name, cluster, db, name);
			if (q.oom || run(c, q.p, 0, NULL, err, errlen))
				goto out;
		}
		char all[160];
		snprintf(all, sizeof(all), "%s_all", db);
		q.len = 0;
		chddl_conn_pairs(all, 1, &q);
		if (q.oom || run(c, q.p, 0, NULL, err, errlen))
			goto out;
	}
	ret = 0;
out:
	strbuf_free(&q);
	return ret;
}

/* The archive's own facts, from the replay database it was loaded into. */
struct archive_info {
	char host[256];
	char checksum[65];
	char *manifest;
	int64_t start, end;
	int64_t bad_blocks, truncated_bytes;
};

static int archive_info(struct replay *r, const char *path, struct archive_info *a, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int ret = -1;

	if (replay_prepare(r,
			       "SELECT host, manifest, json_extract(manifest, '$.window.start_ns'),"
			       " json_extract(manifest, '$.window.end_ns'), bad_blocks, truncated_bytes FROM archives",
			       -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(r->db));
		return -1;
	}
	if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_type(s, 1) == SQLITE_NULL) {
		snprintf(err, errlen, "%s: not an archive (no MANIFEST.json): only archives are exported, each once by its checksum", path);
	} else if (sqlite3_column_type(s, 2) != SQLITE_INTEGER || sqlite3_column_type(s, 3) != SQLITE_INTEGER) {
		snprintf(err, errlen, "%s: its manifest has no window (window.start_ns, window.end_ns)", path);
	} else if (sqlite3_column_int64(s, 4) || sqlite3_column_int64(s, 5) || r->first_damage[0]) {
		if (r->first_damage[0])
			snprintf(err, errlen, "%s: damaged, not exported: %s", path, r->first_damage);
		else
			snprintf(err, errlen, "%s: damaged, not exported: %lld bad blocks, %lld bytes cut off", path,
				 (long long)sqlite3_column_int64(s, 4), (long long)sqlite3_column_int64(s, 5));
	} else {
		struct sha256 h;
		const char *m = (const char *)sqlite3_column_text(s, 1);

		snprintf(a->host, sizeof(a->host), "%s", (const char *)sqlite3_column_text(s, 0) ?: "");
		a->manifest = strdup(m);
		a->start = sqlite3_column_int64(s, 2);
		a->end = sqlite3_column_int64(s, 3);
		sha256_init(&h);
		sha256_update(&h, m, strlen(m));
		sha256_hex(&h, a->checksum);
		ret = a->manifest ? 0 : -1;
		if (ret)
			snprintf(err, errlen, "out of memory");
	}
	sqlite3_finalize(s);
	return ret;
}

/* The ledger's row for CHECKSUM: its status ("" when none) and when. */
static int ledger_status(struct ch *c, const char *checksum, char *status, size_t cap, char *when, size_t wcap,
			 char *err, size_t errlen)
{
	struct strbuf q = { 0 }, res = { 0 };
	int ret;

	strbuf_printf(&q, "SELECT status, toString(loaded_at) FROM archives FINAL WHERE checksum = ");
	put_literal(&q, checksum);
	strbuf_printf(&q, " FORMAT TabSeparated");
	status[0] = when[0] = '\0';
	ret = q.oom ? -1 : run(c, q.p, 1, &res, err, errlen);
	if (!ret && res.len) {
		size_t n = strcspn(res.p, "\t\n");
		snprintf(status, cap, "%.*s", (int)n, res.p);
		if (res.p[n] == '\t')
			snprintf(when, wcap, "%.*s", (int)strcspn(res.p + n + 1, "\n"), res.p + n + 1);
	}
	strbuf_free(&q);
	strbuf_free(&res);
	return ret;
}

/*
 * The complete windows of A's host on the server that overlap A's window
 * (only those can hold A's records): malloc'd into *W, their count in *N.
 */
static int host_windows(struct ch *c, const struct archive_info *a, struct window **w, unsigned *n, char *err,
			size_t errlen)
{
	struct strbuf q = { 0 }, res = { 0 };
	unsigned cap = 0;
	int ret;

	strbuf_printf(&q, "SELECT window_start, window_end FROM archives FINAL WHERE status = 'complete' AND host = ");
	put_literal(&q, a->host);
	strbuf_printf(&q, " AND window_end >= %" PRId64 " AND window_start <= %" PRId64 " ORDER BY window_start FORMAT TabSeparated",
		     a->start, a->end);
	*w = NULL;
	*n = 0;
	ret = q.oom ? -1 : run(c, q.p, 1, &res, err, errlen);
	for (char *line = res.p; !ret && line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		long long s, e;
		if (sscanf(line, "%lld\t%lld", &s, &e) != 2)
			continue;
		if (*n == cap) {
			struct window *more = realloc(*w, (cap = cap ? cap * 2 : 16) * sizeof(**w));
			if (!more) {
				snprintf(err, errlen, "out of memory");
				ret = -1;
				break;
			}
			*w = more;
		}
		(*w)[(*n)++] = (struct window){ s, e };
	}
	strbuf_free(&q);
	strbuf_free(&res);
	return ret;
}

static int ledger_put(struct ch *c, const struct archive_info *a, const char *path, uint64_t records,
		      uint64_t skipped, const char *status, uint64_t version, char *err, size_t errlen)
{
	struct strbuf row = { 0 };
	int ret;

	ch_put_tsv(&row, a->checksum, strlen(a->checksum));
	strbuf_put(&row, "\t", 1);
	ch_put_tsv(&row, a->host, strlen(a->host));
	strbuf_put(&row, "\t", 1);
	ch_put_tsv(&row, path, strlen(path));
	strbuf_put(&row, "\t", 1);
	ch_put_tsv(&row, a->manifest, strlen(a->manifest));
	strbuf_printf(&row, "\t%" PRId64 "\t%" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t%s\t%lld\t%" PRIu64 "\n", a->start,
		     a->end, records, skipped, status, (long long)time(NULL), version);
	if (row.oom) {
		snprintf(err, errlen, "out of memory");
		ret = -1;
	} else if ((ret = ch_insert(c, "archives", row.p, row.len)))
		snprintf(err, errlen, "%s", ch_error(c));
	strbuf_free(&row);
	return ret;
}

/* One SQLite row as a TabSeparated line of T's columns. */
static void put_row(struct strbuf *b, sqlite3_stmt *s, const struct ch_table *t)
{
	for (unsigned i = 0; i < t->ncols; i++) {
		if (i)
			strbuf_put(b, "\t", 1);
		switch (sqlite3_column_type(s, (int)i)) {
		case SQLITE_NULL:
			strbuf_put(b, "\\N", 2);
			break;
		case SQLITE_INTEGER:
			if (t->cols[i].is_unsigned64)
				strbuf_printf(b, "%llu", (unsigned long long)sqlite3_column_int64(s, (int)i));
			else
				strbuf_printf(b, "%lld", (long long)sqlite3_column_int64(s, (int)i));
			break;
		default:
			ch_put_tsv(b, (const char *)sqlite3_column_text(s, (int)i), (size_t)sqlite3_column_bytes(s, (int)i));
		}
	}
	strbuf_put(b, "\n", 1);
}

/*
 * Send the rows of T whose time (TIME_SQL, an SQLite expression) is outside
 * the windows W; their count into *SENT and of those inside into *SKIPPED.
 */
static int send_table(struct ch *c, struct replay *r, const struct ch_table *t, const char *time_sql,
		      const struct window *w, unsigned nw, uint64_t *sent, uint64_t *skipped, char *err, size_t errlen)
{
	struct strbuf q = { 0 }, rows = { 0 }, target = { 0 };
	sqlite3_stmt *s = NULL;
	int ret = -1, rc;

	*sent = *skipped = 0;
	strbuf_printf(&q, "SELECT ");
	strbuf_printf(&target, "%s (", t->name);
	for (unsigned i = 0; i < t->ncols; i++) {
		strbuf_printf(&q, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
		strbuf_printf(&target, "%s`%s`", i ? ", " : "", t->cols[i].name);
	}
	strbuf_printf(&target, ")");
	strbuf_printf(&q, ", 0");
	for (unsigned i = 0; i < nw; i++)
		strbuf_printf(&q, " OR (%s BETWEEN %" PRId64 " AND %" PRId64 ")", time_sql, w[i].start, w[i].end);
	strbuf_printf(&q, " FROM \"%s\"", t->name);
	if (q.oom || target.oom) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (replay_prepare(r, q.p, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read %s: %s", t->name, sqlite3_errmsg(r->db));
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_int(s, (int)t->ncols)) {
			(*skipped)++;
			continue;
		}
		put_row(&rows, s, t);
		(*sent)++;
		if (rows.len >= BATCH_BYTES) {
			if (rows.oom || ch_insert(c, target.p, rows.p, rows.len))
				goto insert_failed;
			rows.len = 0;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot read %s: %s", t->name, sqlite3_errmsg(r->db));
		goto out;
	}
	if (rows.len && (rows.oom || ch_insert(c, target.p, rows.p, rows.len)))
		goto insert_failed;
	ret = 0;
	goto out;
insert_failed:
	snprintf(err, errlen, "%s", rows.oom ? "out of memory" : ch_error(c));
out:
	sqlite3_finalize(s);
	strbuf_free(&q);
	strbuf_free(&rows);
	strbuf_free(&target);
	return ret;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int export_one(struct ch *c, const char *path, FILE *out, char *err, size_t errlen)
{
	struct window *w = NULL;
	struct archive_info a = { 0 };
	struct replay r;
	char status[32], when[64], lerr[512];
	unsigned nw, nt;
	const struct ch_table *t = chddl_tables(&nt);
	uint64_t records = 0, skipped = 0, version;
	int ret = -1;

	if (replay_open(&r, NULL, lerr, sizeof(lerr))) {
		snprintf(err, errlen, "%s", lerr);
		goto out;
	}
	r.quiet_damage = 1;
	if (replay_load(&r, path, lerr, sizeof(lerr))) {
		snprintf(err, errlen, "cannot load %s: %s", path, lerr);
		goto out;
	}
	if (archive_info(&r, path, &a, err, errlen))
		goto out;
	if (replay_finish(&r, lerr, sizeof(lerr))) {
		snprintf(err, errlen, "%s: %s", path, lerr);
		goto out;
	}
	if (ledger_status(c, a.checksum, status, sizeof(status), when, sizeof(when), err, errlen))
		goto out;
	if (!strcmp(status, "complete")) {
		fprintf(out, "%s: already loaded into %s (database %s) at %s UTC, nothing added\n", path, ch_server(c),
			ch_database(c), when);
		ret = 0;
		goto out;
	}
	if (status[0]) {
		snprintf(err, errlen,
			 "%s: a load into %s (database %s) begun at %s UTC did not finish: its archives row (checksum %.16s...) says %s; remove its rows before loading it again",
			 path, ch_server(c), ch_database(c), when, a.checksum, status);
		goto out;
	}
	if (host_windows(c, &a, &w, &nw, err, errlen))
		goto out;
	version = (uint64_t)now_ns();
	if (ledger_put(c, &a, path, 0, 0, "loading", version, err, errlen))
		goto out;
	for (unsigned i = 0; i < nt; i++) {
		uint64_t n, k;
		char time_sql[64];
		int is_record = strcmp(t[i].name, "processes") && strcmp(t[i].name, "timeline");

		/* a process that started before the window belongs to the window's start */
		snprintf(time_sql, sizeof(time_sql), is_record || !strcmp(t[i].name, "timeline") ? "ts" : "coalesce(start_ts, %lld)",
			 (long long)a.start);
		if (send_table(c, &r, &t[i], time_sql, w, nw, &n, &k, err, errlen))
			goto out;
		if (is_record) {
			records += n;
			skipped += k;
		}
	}
	if (ledger_put(c, &a, path, records, skipped, "complete", version + 1, err, errlen))
		goto out;
	fprintf(out, "%s: host %s, %" PRIu64 " records into %s (database %s)", path, a.host, records, ch_server(c),
		ch_database(c));
	if (skipped)
		fprintf(out, ", %" PRIu64 " already there from an overlapping window", skipped);
	fprintf(out, "\n");
	ret = 0;
out:
	replay_close(&r);
	free(a.manifest);
	free(w);
	return ret;
}

int export_clickhouse(const char *url, char *const *paths, int n, FILE *out, char *err, size_t errlen)
{
	struct ch *c = ch_open(url, err, errlen);
	int ret = 0;

	if (!c)
		return -1;
	if (prepare_server(c, err, errlen))
		ret = -1;
	for (int i = 0; i < n && !ret; i++)
		ret = export_one(c, paths[i], out, err, errlen);
	ch_close(c);
	return ret;
}
