/*
 * loader.c - archives into SQLite: one prepared INSERT per record kind,
 * bound field by field from the descriptors of schema/records.def, one
 * transaction per input; then `processes` is rebuilt from the lifecycle
 * records in time order and the indexes are created.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "colstore.h"
#include "db.h"
#include "ddl.h"
#include "frames.h"
#include "input.h"
#include "load_pipe.h"
#include "vtab.h"

struct load_ctx {
	struct replay *r;
	const char *path;
	int progress;      /* stderr is a terminal: show how far the load is */
	uint64_t records;
	sqlite3_stmt *ins[FR_KIND_MAX];
	uint16_t nfields[FR_KIND_MAX];   /* per kind, its fields that SEG_MINOR[kind] files hold */
	uint16_t seg_minor[FR_KIND_MAX]; /* 0xffff: not worked out yet */
	char host[72];
	char *manifest;
	struct frame_names *names; /* symbols.txt of the archive, NULL when it has none */
	int failed;
	char err[512];
};

int replay_open(struct replay *r, const char *file, char *err, size_t errlen)
{
	char *ddl;
	char *msg = NULL;
	int fresh = 1;

	memset(r, 0, sizeof(*r));
	r->index_all = getenv("FLIGHTREC_REPLAY_INDEX_ALL") != NULL;
	r->out.fp = stdout;
	r->out.headers = 1;
	r->out.mode = MODE_TABLE;
	if (file && access(file, F_OK) == 0)
		fresh = 0;
	r->keep.file = file != NULL;
	r->keep.fresh = fresh;
	/*
	 * Counting every allocation takes a global mutex on each malloc (17% of
	 * a load's time): off.  It only takes effect before SQLite's first use
	 * in the process, and fails harmlessly (SQLITE_MISUSE) after it.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/*
	 * One thread uses the database: no mutexes on the hot path.  Without
	 * FILE, "" is SQLite's private temporary database: it lives in the page
	 * cache and spills to a deleted file under SQLITE_TMPDIR (or /var/tmp)
	 * only past the cache_size below, so memory stays flat however big the
	 * archive (":memory:" grew by ~150 MB per million records).
	 */
	if (sqlite3_open_v2(file ? file : "", &r->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", file ? file : "(temporary)", sqlite3_errmsg(r->db));
		return -1;
	}
	replay_register_functions(r->db);
	/*
	 * A loaded archive can always be loaded again: trade durability for
	 * speed (no journal, no fsync, no file locking after the first lock).
	 * The page cache is bounded (256 MiB): this, not the archive's size,
	 * is the loader's memory.  threads: CREATE INDEX sorts on two threads.
	 */
	sqlite3_exec(r->db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;"
		     " PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = OFF;"
		     " PRAGMA threads = 2", NULL, NULL, NULL);
	if (!fresh)
		return 0; /* --db FILE again: its tables are there, in an order not known */
	memset(r->in_ts_order, 1, sizeof(r->in_ts_order));
	if (!(ddl = fr_schema_sql())) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sqlite3_exec(r->db, ddl, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create the schema: %s", msg);
		sqlite3_free(msg);
		free(ddl);
		return -1;
	}
	free(ddl);
	/* rows kept in a FILE must be in its tables; index_all is the reference path of SQLite's tables */
	if (!file && !r->index_all && columns_create(r, err, errlen))
		return -1;
	return 0;
}

void replay_close(struct replay *r)
{
	if (r->out.fp && r->out.fp != stdout)
		fclose(r->out.fp);
	sqlite3_close(r->db); /* first: its virtual tables read the stores */
	r->db = NULL;
	colstore_free(r->processes); /* borrows texts of the stores below */
	r->processes = NULL;
	free(r->processes_sql);
	r->processes_sql = NULL;
	for (unsigned i = 0; i < FR_KIND_MAX; i++) {
		colstore_free(r->columns[i]);
		r->columns[i] = NULL;
	}
}

static sqlite3_stmt *insert_for(struct load_ctx *c, const struct fr_kind_desc *k)
{
	char sql[4096];
	size_t n;

	if (c->ins[k->id])
		return c->ins[k->id];
	n = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (?", k->table);
	for (unsigned i = 0; i < k->nfields && n < sizeof(sql) - 4; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, ",?");
	snprintf(sql + n, sizeof(sql) - n, ")");
	if (sqlite3_prepare_v2(c->r->db, sql, -1, &c->ins[k->id], NULL) != SQLITE_OK) {
		snprintf(c->err, sizeof(c->err), "cannot prepare the insert into %s: %s", k->table,
			 sqlite3_errmsg(c->r->db));
		return NULL;
	}
	return c->ins[k->id];
}

static int on_segment(void *ctx, const char *name, const struct fr_seg_hdr *hdr)
{
	struct load_ctx *c = ctx;

	snprintf(c->host, sizeof(c->host), "%s", hdr->host);
	return 0;
}

/*
 * How many of K's fields a segment of format minor MINOR holds: those
 * appended later were not in its records and are NULL in SQL (FORMAT.md),
 * not the zero the decoder leaves, which would read as uid 0.
 */
static unsigned fields_held(struct load_ctx *c, const struct fr_kind_desc *k, unsigned minor)
{
	unsigned n = 0;

	if (c->seg_minor[k->id] == minor)
		return c->nfields[k->id];
	while (n < k->nfields && k->fields[n].minor <= minor)
		n++;
	c->seg_minor[k->id] = (uint16_t)minor;
	c->nfields[k->id] = (uint16_t)n;
	return n;
}

static int on_record(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k, const void *rec)
{
	struct load_ctx *c = ctx;
	struct colstore *cs = c->r->columns[k->id];
	sqlite3_stmt *s;
	unsigned held = fields_held(c, k, seg->minor);
	char text[1024];
	int64_t ts = fr_field_int(&k->fields[0], rec);

	if (ts < c->r->last_ts[k->id])
		c->r->in_ts_order[k->id] = 0;
	c->r->last_ts[k->id] = ts;
	if (cs) {
		if (colstore_append(cs, seg->host, held, rec)) {
			snprintf(c->err, sizeof(c->err), "out of memory for the rows of %s", k->table);
			return -1;
		}
		if (c->progress && ++c->records % 262144 == 0)
			fprintf(stderr, "\rloading %s: %.1fM records", c->path, (double)c->records / 1e6);
		return 0;
	}
	if (!(s = insert_for(c, k)))
		return -1;
	/* seg, rec and text outlive the step below: bound without a copy */
	sqlite3_bind_text(s, 1, seg->host, -1, SQLITE_STATIC);
	for (unsigned i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];
		if (i >= held) {
			sqlite3_bind_null(s, (int)i + 2);
		} else if (f->type == FR_STR) {
			const char *p = (const char *)rec + f->offset;
			sqlite3_bind_text(s, (int)i + 2, p, (int)strnlen(p, f->size - 1u), SQLITE_STATIC);
		} else if (f->type == FR_STRV) {
			size_t n = fr_field_text(f, rec, text, sizeof(text));
			sqlite3_bind_text(s, (int)i + 2, text, (int)n, SQLITE_STATIC);
		} else if (f->type == FR_TS && fr_field_int(f, rec) == 0 && i > 0) {
			sqlite3_bind_null(s, (int)i + 2); /* an unknown time */
		} else {
			sqlite3_bind_int64(s, (int)i + 2, fr_field_int(f, rec));
		}
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		snprintf(c->err, sizeof(c->err), "cannot insert into %s: %s", k->table, sqlite3_errmsg(c->r->db));
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	c->r->keep.added[k->id]++;
	if (c->progress && ++c->records % 262144 == 0)
		fprintf(stderr, "\rloading %s: %.1fM records", c->path, (double)c->records / 1e6);
	return 0;
}

static void on_warn(void *ctx, const char *name, const char *msg)
{
	struct load_ctx *c = ctx;

	if (c->r->quiet_damage) {
		if (!c->r->first_damage[0])
			snprintf(c->r->first_damage, sizeof(c->r->first_damage), "%s", msg);
		return;
	}
	fprintf(stderr, "flightrec-replay: %s: %s\n", name, msg);
}

static int on_manifest(void *ctx, const char *path, const char *json, size_t len)
{
	struct load_ctx *c = ctx;

	free(c->manifest);
	c->manifest = strndup(json, len);
	return 0;
}

/* symbols.txt: the names of the stack frames, applied once the records are in. */
static int on_member(void *ctx, const char *path, const char *name, const void *data, size_t len)
{
	struct load_ctx *c = ctx;
	char e[128];
	size_t skipped = 0;

	if (strcmp(name, "symbols.txt"))
		return 0;
	frame_names_free(c->names);
	if (!(c->names = frame_names_parse(data, len, &skipped, e, sizeof(e))))
		fprintf(stderr, "flightrec-replay: %s: member symbols.txt ignored: %s\n", path, e);
	else if (skipped)
		fprintf(stderr, "flightrec-replay: %s: symbols.txt: %zu malformed lines skipped\n", path, skipped);
	return 0;
}

int64_t replay_scalar(struct replay *r, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = 0;

	if (replay_prepare(r, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static sqlite3_int64 max_rowid(struct replay *r, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT coalesce(max(rowid), 0) FROM %s", table);
	return replay_scalar(r, sql);
}

/* The frames of the stacks loaded after row AFTER, named with C's symbols.txt (or shown as unknown). */
static void name_frames(struct load_ctx *c, sqlite3_int64 after)
{
	sqlite3_stmt *q, *u;

	if (sqlite3_prepare_v2(c->r->db, "SELECT rowid, frames FROM stacks WHERE rowid > ?", -1, &q, NULL) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(c->r->db, "UPDATE stacks SET frames = ? WHERE rowid = ?", -1, &u, NULL) != SQLITE_OK) {
		sqlite3_finalize(q);
		return;
	}
	sqlite3_bind_int64(q, 1, after);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *raw = (const char *)sqlite3_column_text(q, 1);
		char *named = raw ? frame_names_apply(c->names, raw) : NULL;
		if (!named)
			continue;
		sqlite3_bind_text(u, 1, named, -1, free);
		sqlite3_bind_int64(u, 2, sqlite3_column_int64(q, 0));
		sqlite3_step(u);
		sqlite3_reset(u);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(u);
}

int replay_load(struct replay *r, const char *path, char *err, size_t errlen)
{
	struct fr_input_ops ops = { .record = on_record, .warn = on_warn, .manifest = on_manifest,
				    .segment = on_segment, .member = on_member };
	sqlite3_int64 stacks_before = max_rowid(r, "stacks");
	struct fr_read_stats st = { 0 };
	struct load_ctx *c = calloc(1, sizeof(*c));
	sqlite3_stmt *s;
	int ret;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (r->keep.file && !r->keep.unguarded && summary_cache_unguard(r, err, errlen)) {
		free(c);
		return -1;
	}
	memset(c->seg_minor, 0xff, sizeof(c->seg_minor));
	c->r = r;
	c->path = path;
	c->progress = isatty(STDERR_FILENO);
	sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
	ret = load_pipe_read(path, &ops, c, &st, err, errlen);
	if (c->progress && c->records >= 262144)
		fprintf(stderr, "\r\033[K"); /* the bar's line, cleared */
	if (ret < 0 && c->err[0])
		snprintf(err, errlen, "%s", c->err);
	if (ret == 0)
		name_frames(c, stacks_before);
	for (unsigned i = 0; i < FR_KIND_MAX; i++)
		sqlite3_finalize(c->ins[i]);
	if (ret == 0 && sqlite3_prepare_v2(r->db, "INSERT INTO archives VALUES (?, ?, ?, ?, ?, ?)", -1, &s, NULL) ==
				SQLITE_OK) {
		sqlite3_bind_text(s, 1, c->host, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
		if (c->manifest)
			sqlite3_bind_text(s, 3, c->manifest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)st.records);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)st.bad_blocks);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)st.truncated_bytes);
		sqlite3_step(s);
		sqlite3_finalize(s);
	}
	sqlite3_exec(r->db, ret == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	if (ret == 0)
		r->loaded++;
	free(c->manifest);
	frame_names_free(c->names);
	free(c);
	return ret < 0 ? -1 : 0;
}

static double seconds_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* r->timing: how long STEP took since *T, on stderr; *T moves to now. */
static void step_done(struct replay *r, const char *step, double *t)
{
	double now = seconds_now();

	if (r->timing)
		fprintf(stderr, "flightrec-replay: %s in %.3f s\n", step, now - *t);
	*t = now;
}

/* Every index of the schema now, in one transaction (each commit walks the whole page cache). */
static int make_all_indexes(struct replay *r, char *err, size_t errlen)
{
	char *idx = fr_schema_index_sql(), *msg = NULL;

	if (!idx) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
	if (sqlite3_exec(r->db, idx, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create indexes: %s", msg);
		sqlite3_free(msg);
		free(idx);
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	free(idx);
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	return 0;
}

int replay_finish(struct replay *r, char *err, size_t errlen)
{
	char *msg = NULL;
	double t = seconds_now();

	/* the reference path: processes through the ts indexes, as for rows not known to be in order */
	if (r->index_all)
		memset(r->in_ts_order, 0, sizeof(r->in_ts_order));
	if (r->loaded && processes_rebuild(r, err, errlen))
		return -1;
	step_done(r, "processes", &t);
	/* A stack is written in every second that uses it: keep one row of each (the cache counts those deleted). */
	if (r->loaded && sqlite3_exec(r->db,
				      "DELETE FROM stacks WHERE rowid NOT IN (SELECT min(rowid) FROM stacks GROUP BY host, id)",
				      NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot keep one row of each stack: %s", msg);
		sqlite3_free(msg);
		return -1;
	}
	if (r->loaded)
		summary_cache_deleted(r, "stacks", sqlite3_changes(r->db));
	if (r->loaded && sqlite3_exec(r->db, "CREATE INDEX IF NOT EXISTS stacks_id ON stacks(host, id)", NULL, NULL, &msg) !=
				 SQLITE_OK) {
		snprintf(err, errlen, "cannot index stacks: %s", msg);
		sqlite3_free(msg);
		return -1;
	}
	step_done(r, "stacks", &t);
	if (summary_cache_write(r, err, errlen))
		return -1;
	step_done(r, "summary counts", &t);
	if (r->index_all) {
		if (make_all_indexes(r, err, errlen))
			return -1;
		step_done(r, "indexes", &t);
		return 0;
	}
	replay_index_lazily(r);
	return 0;
}
