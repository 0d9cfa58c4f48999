/*
 * loader.c - archives into SQLite: one prepared INSERT per record kind,
 * bound field by field from the descriptors of schema/records.def, one
 * transaction per input; then `processes` is rebuilt from the lifecycle
 * records in time order and the indexes are created.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
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
#include "summary_calls_kept.h"
#include "summary_cols.h"
#include "threads.h"
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
	 * temp_store FILE: a sort larger than that (an index of 30M rows, a
	 * timeline of 30M rows in ts order) goes on in files under
	 * SQLITE_TMPDIR (or /var/tmp) rather than in memory, where it grew
	 * with the rows (MEMORY: 1.7 GB making an index on 30M syscalls, 4 GB
	 * for a .follow of 30M rows; FILE: 1.1 and 1.5 GB, as fast); the
	 * temporary tables (the report's) get the same cache.
	 */
	sqlite3_exec(r->db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;"
		     " PRAGMA cache_size = -262144; PRAGMA temp_store = FILE; PRAGMA temp.cache_size = -262144;"
		     " PRAGMA secure_delete = OFF; PRAGMA threads = 2", NULL, NULL, NULL);
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
	index_plan_close(r);
	summary_cols_free(r);
	summary_calls_kept_free(r->keep.calls);
	r->keep.calls = NULL;
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
	if (k->id == FR_KIND_syscall)
		summary_calls_kept_add(c->r->keep.calls, held, rec, sqlite3_last_insert_rowid(c->r->db));
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

/* An input's end: its stacks named, its row in `archives` when it was read (RET 0), its transaction ended. */
static void load_end(struct load_ctx *c, const struct fr_read_stats *st, sqlite3_int64 stacks_before, int ret)
{
	struct replay *r = c->r;
	sqlite3_stmt *s;

	if (ret == 0)
		name_frames(c, stacks_before);
	for (unsigned i = 0; i < FR_KIND_MAX; i++)
		sqlite3_finalize(c->ins[i]);
	if (ret == 0 && sqlite3_prepare_v2(r->db, "INSERT INTO archives VALUES (?, ?, ?, ?, ?, ?)", -1, &s, NULL) ==
				SQLITE_OK) {
		sqlite3_bind_text(s, 1, c->host, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, c->path, -1, SQLITE_STATIC);
		if (c->manifest)
			sqlite3_bind_text(s, 3, c->manifest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)st->records);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)st->bad_blocks);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)st->truncated_bytes);
		sqlite3_step(s);
		sqlite3_finalize(s);
	}
	sqlite3_exec(r->db, ret == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	if (ret == 0)
		r->loaded++;
	free(c->manifest);
	frame_names_free(c->names);
}

static int load_runs(void *ctx, struct fr_seg_reader *seg);

/* Some of R's tables are served from columns (no --db FILE): their stores can be filled on other threads. */
static int served_from_columns(const struct replay *r)
{
	for (unsigned k = 0; k < FR_KIND_MAX; k++)
		if (r->columns[k])
			return 1;
	return 0;
}

int replay_load(struct replay *r, const char *path, char *err, size_t errlen)
{
	struct fr_input_ops ops = { .record = on_record, .warn = on_warn, .manifest = on_manifest,
				    .segment = on_segment, .member = on_member };
	sqlite3_int64 stacks_before = max_rowid(r, "stacks");
	struct fr_read_stats st = { 0 };
	struct load_ctx *c = calloc(1, sizeof(*c));
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
	if (served_from_columns(r) && replay_threads() > 1) {
		ops.records = load_runs; /* a segment's runs of blocks on worker threads */
		ret = fr_input_read(path, &ops, c, &st, err, errlen);
	} else {
		ret = load_pipe_read(path, &ops, c, &st, err, errlen); /* decoded on one worker thread */
	}
	if (c->progress && c->records >= 262144)
		fprintf(stderr, "\r\033[K"); /* the bar's line, cleared */
	if (ret < 0 && c->err[0])
		snprintf(err, errlen, "%s", c->err);
	load_end(c, &st, stacks_before, ret);
	free(c);
	return ret < 0 ? -1 : 0;
}

/*
 * Several inputs at once (replay_load_all), or the runs of blocks of one
 * segment (load_runs): each worker thread reads whole inputs, or runs,
 * one after another, into a part of its own: a column store per
 * kind served from columns, and in order what must reach SQLite or stderr
 * on the caller's thread (the records of SQLite's tables, warnings,
 * symbols.txt).  The caller takes the parts in the order of the inputs and
 * puts each into the shared stores and tables as replay_load would have,
 * so rows, rowids and texts' numbers are the serial load's.  Workers run
 * at most PART_AHEAD parts ahead of the one being taken per worker: the
 * parts wait in memory, packed as the stores are.
 */
#define PART_AHEAD 1

enum part_event_type { EV_WARN, EV_MEMBER, EV_RECORD };

struct part_event {
	enum part_event_type type;
	const struct fr_kind_desc *k; /* EV_RECORD */
	struct fr_seg_hdr seg;        /* EV_RECORD: the header its record came with */
	char *name, *msg;             /* EV_WARN: where and what; EV_MEMBER: the member's name */
	void *data;                   /* EV_RECORD: the decoded record; EV_MEMBER: its bytes */
	size_t len;
};

struct part {
	struct load_all *all;
	const char *path;
	/* a run of blocks of SEG, [from, to) (load_runs), instead of the input at path */
	const struct fr_seg_reader *seg;
	size_t from, to;
	struct colstore *cols[FR_KIND_MAX];
	uint16_t nfields[FR_KIND_MAX];
	uint16_t seg_minor[FR_KIND_MAX]; /* 0xffff: not worked out yet */
	struct part_event *ev;
	size_t nev, cap_ev;
	char host[72];
	char *manifest;
	struct fr_read_stats st;
	int done;  /* its worker finished it */
	int ret;   /* what fr_input_read returned, or -ENOMEM when a callback ran out of memory */
	char err[512];
};

struct load_all {
	struct replay *r;
	struct part *parts;
	unsigned n;
	unsigned next;   /* the next input a worker takes */
	unsigned taken;  /* parts the caller has taken: workers stay within nworkers * PART_AHEAD of it */
	unsigned nworkers;
	int stop;        /* the caller stopped: workers finish nothing more */
	/* stores of parts taken, emptied (colstore_reset) for the next parts: their pages stay faulted in */
	struct colstore *spare[REPLAY_THREADS_MAX + 2][FR_KIND_MAX];
	unsigned nspare;
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

static int part_stopped(const struct part *p)
{
	return __atomic_load_n(&p->all->stop, __ATOMIC_RELAXED);
}

static struct part_event *part_event_new(struct part *p, enum part_event_type type)
{
	if (p->nev == p->cap_ev) {
		size_t cap = p->cap_ev ? p->cap_ev * 2 : 16;
		struct part_event *ev = realloc(p->ev, cap * sizeof(*ev));
		if (!ev)
			return NULL;
		p->ev = ev;
		p->cap_ev = cap;
	}
	memset(&p->ev[p->nev], 0, sizeof(p->ev[0]));
	p->ev[p->nev].type = type;
	return &p->ev[p->nev++];
}

static int part_nomem(struct part *p)
{
	snprintf(p->err, sizeof(p->err), "out of memory");
	return -1;
}

static int part_record(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k, const void *rec)
{
	struct part *p = ctx;
	struct colstore *cs = p->cols[k->id];
	struct part_event *ev;
	unsigned held = 0;

	if (part_stopped(p))
		return -1;
	if (!cs) {
		/* a table of SQLite's (stacks, connections): inserted by the caller, in turn */
		if (!(ev = part_event_new(p, EV_RECORD)) || !(ev->data = malloc(k->struct_size))) {
			if (ev)
				p->nev--;
			return part_nomem(p);
		}
		memcpy(ev->data, rec, k->struct_size);
		ev->k = k;
		ev->seg = *seg;
		return 0;
	}
	if (p->seg_minor[k->id] == seg->minor) {
		held = p->nfields[k->id];
	} else {
		while (held < k->nfields && k->fields[held].minor <= seg->minor)
			held++;
		p->seg_minor[k->id] = seg->minor;
		p->nfields[k->id] = (uint16_t)held;
	}
	if (colstore_append(cs, seg->host, held, rec)) {
		snprintf(p->err, sizeof(p->err), "out of memory for the rows of %s", k->table);
		return -1;
	}
	return 0;
}

static void part_warn(void *ctx, const char *name, const char *msg)
{
	struct part *p = ctx;
	struct part_event *ev = part_event_new(p, EV_WARN);

	if (ev && (!(ev->name = strdup(name)) || !(ev->msg = strdup(msg)))) {
		free(ev->name);
		p->nev--;
		ev = NULL;
	}
	if (!ev) /* not kept: said now rather than lost */
		fprintf(stderr, "flightrec-replay: %s: %s\n", name, msg);
}

static int part_manifest(void *ctx, const char *path, const char *json, size_t len)
{
	struct part *p = ctx;

	free(p->manifest);
	if (!(p->manifest = strndup(json, len)))
		return part_nomem(p);
	return 0;
}

static int part_segment(void *ctx, const char *name, const struct fr_seg_hdr *hdr)
{
	struct part *p = ctx;

	snprintf(p->host, sizeof(p->host), "%s", hdr->host);
	return 0;
}

static int part_member(void *ctx, const char *path, const char *name, const void *data, size_t len)
{
	struct part *p = ctx;
	struct part_event *ev;

	if (strcmp(name, "symbols.txt"))
		return 0; /* the only member on_member reads */
	if (!(ev = part_event_new(p, EV_MEMBER)))
		return part_nomem(p);
	if (!(ev->name = strdup(name)) || !(ev->data = malloc(len ? len : 1))) {
		free(ev->name);
		p->nev--;
		return part_nomem(p);
	}
	memcpy(ev->data, data, len);
	ev->len = len;
	return 0;
}

/* What a part holds, freed (it was taken, or will not be); its stores emptied for another when A has room. */
static void part_free(struct part *p, struct load_all *a)
{
	int keep = 0;

	if (a) {
		pthread_mutex_lock(&a->lock);
		if ((keep = a->nspare < sizeof(a->spare) / sizeof(a->spare[0]))) {
			for (unsigned i = 0; i < FR_KIND_MAX; i++) {
				if (p->cols[i])
					colstore_reset(p->cols[i]);
				a->spare[a->nspare][i] = p->cols[i];
				p->cols[i] = NULL;
			}
			a->nspare++;
		}
		pthread_mutex_unlock(&a->lock);
	}
	for (unsigned i = 0; i < FR_KIND_MAX && !keep; i++) {
		colstore_free(p->cols[i]);
		p->cols[i] = NULL;
	}
	for (size_t i = 0; i < p->nev; i++) {
		free(p->ev[i].name);
		free(p->ev[i].msg);
		free(p->ev[i].data);
	}
	free(p->ev);
	p->ev = NULL;
	p->nev = p->cap_ev = 0;
	free(p->manifest);
	p->manifest = NULL;
}

/* Read input P into its part on this thread. */
static void part_read(struct part *p)
{
	const struct fr_input_ops ops = { .record = part_record, .warn = part_warn, .manifest = part_manifest,
					  .segment = part_segment, .member = part_member };
	struct replay *r = p->all->r;
	char err[512];
	int ret = 0;

	memset(p->seg_minor, 0xff, sizeof(p->seg_minor));
	pthread_mutex_lock(&p->all->lock);
	if (p->all->nspare) {
		p->all->nspare--;
		memcpy(p->cols, p->all->spare[p->all->nspare], sizeof(p->cols));
	}
	pthread_mutex_unlock(&p->all->lock);
	for (unsigned i = 0; i < FR_KIND_MAX && !ret; i++)
		if (r->columns[i] && !p->cols[i] && !(p->cols[i] = colstore_new(colstore_kind(r->columns[i]))))
			ret = part_nomem(p);
	if (!ret && p->seg) {
		struct fr_seg_reader run;
		if (fr_seg_reader_sub(&run, p->seg, p->from, p->to, &p->st, part_warn, p)) {
			ret = part_nomem(p);
		} else {
			ret = fr_seg_read_records(&run, part_record, p);
			fr_seg_reader_close(&run);
		}
	} else if (!ret) {
		err[0] = '\0';
		ret = fr_input_read(p->path, &ops, p, &p->st, err, sizeof(err));
		/* a callback's reason first: fr_input_read's only says the read stopped */
		if (ret < 0 && !p->err[0])
			snprintf(p->err, sizeof(p->err), "%s", err[0] ? err : "cannot be read");
	}
	p->ret = ret < 0 ? ret : 0;
}

static void *load_worker(void *arg)
{
	struct load_all *a = arg;

	for (;;) {
		struct part *p;

		pthread_mutex_lock(&a->lock);
		while (!a->stop && a->next < a->n && a->next >= a->taken + a->nworkers * PART_AHEAD + 1)
			pthread_cond_wait(&a->changed, &a->lock);
		if (a->stop || a->next == a->n) {
			pthread_mutex_unlock(&a->lock);
			return NULL;
		}
		p = &a->parts[a->next++];
		pthread_mutex_unlock(&a->lock);
		part_read(p);
		pthread_mutex_lock(&a->lock);
		p->done = 1;
		pthread_cond_broadcast(&a->changed);
		pthread_mutex_unlock(&a->lock);
	}
}

/*
 * The records of part P into R through C, as on_record would have put
 * them: its messages and SQLite's rows in their order, its stores after
 * the shared ones.  0, or -1 with P's error.
 */
static int part_put(struct load_ctx *c, struct part *p)
{
	struct replay *r = c->r;
	int ret = p->ret;

	for (size_t i = 0; i < p->nev; i++) {
		struct part_event *ev = &p->ev[i];
		if (ev->type == EV_WARN) {
			on_warn(c, ev->name, ev->msg);
		} else if (ev->type == EV_MEMBER) {
			on_member(c, p->path, ev->name, ev->data, ev->len);
		} else if (ret == 0 && on_record(c, &ev->seg, ev->k, ev->data)) {
			snprintf(p->err, sizeof(p->err), "%s", c->err);
			ret = -1;
		}
	}
	for (unsigned k = 0; k < FR_KIND_MAX && ret == 0; k++) {
		const struct colstore *cs = p->cols[k];
		uint64_t n = cs ? colstore_rows(cs) : 0;
		if (!n)
			continue;
		/* as on_record notes each row's ts */
		if (!colstore_ts_ordered(cs) || colstore_int(cs, 0, 1) < r->last_ts[k])
			r->in_ts_order[k] = 0;
		r->last_ts[k] = colstore_int(cs, n - 1, 1);
		if (colstore_append_store(r->columns[k], cs)) {
			snprintf(p->err, sizeof(p->err), "out of memory for the rows of %s", colstore_kind(cs)->table);
			ret = -1;
		}
		c->records += n;
	}
	return ret;
}

/* Part P, a whole input, into R as replay_load(P's path) would have left R.  0, or -1 with ERR. */
static int part_take(struct replay *r, struct part *p, int progress, char *err, size_t errlen)
{
	sqlite3_int64 stacks_before = max_rowid(r, "stacks");
	struct load_ctx *c = calloc(1, sizeof(*c));
	int ret;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(c->seg_minor, 0xff, sizeof(c->seg_minor));
	c->r = r;
	c->path = p->path;
	sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
	ret = part_put(c, p);
	if (progress)
		fprintf(stderr, "\rloading %s: %.1fM records", p->path, (double)p->st.records / 1e6);
	snprintf(c->host, sizeof(c->host), "%s", p->host);
	c->manifest = p->manifest;
	p->manifest = NULL;
	load_end(c, &p->st, stacks_before, ret);
	free(c);
	if (ret < 0)
		snprintf(err, errlen, "%s", p->err);
	return ret < 0 ? -1 : 0;
}

/*
 * Start A's workers, at most WANT: how many started (fewer when the
 * system refuses more), or 0 with ERR when none could.
 */
static unsigned parts_start(struct load_all *a, pthread_t *tid, unsigned want, char *err, size_t errlen)
{
	unsigned started = 0;

	a->nworkers = want;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->changed, NULL);
	for (; started < want; started++) {
		int e = pthread_create(&tid[started], NULL, load_worker, a);
		if (e) {
			if (!started)
				snprintf(err, errlen, "cannot start a loading thread: %s", strerror(e));
			break; /* fewer workers: as many parts at once */
		}
	}
	pthread_mutex_lock(&a->lock);
	a->nworkers = started;
	pthread_mutex_unlock(&a->lock);
	return started;
}

/* Part I of A, once its worker has read it. */
static struct part *part_wait(struct load_all *a, unsigned i)
{
	struct part *p = &a->parts[i];

	pthread_mutex_lock(&a->lock);
	while (!p->done)
		pthread_cond_wait(&a->changed, &a->lock);
	pthread_mutex_unlock(&a->lock);
	return p;
}

/* Part I of A taken, FAILED or not: freed, and the workers told (to stop, when it failed). */
static void part_taken(struct load_all *a, unsigned i, int failed)
{
	part_free(&a->parts[i], failed ? NULL : a);
	pthread_mutex_lock(&a->lock);
	a->taken = i + 1;
	if (failed)
		__atomic_store_n(&a->stop, 1, __ATOMIC_RELAXED); /* read by part_record unlocked */
	pthread_cond_broadcast(&a->changed);
	pthread_mutex_unlock(&a->lock);
}

/* The STARTED workers of A joined, what is left of its parts freed. */
static void parts_end(struct load_all *a, pthread_t *tid, unsigned started)
{
	pthread_mutex_lock(&a->lock);
	a->stop = 1; /* parts not taken: nothing more to read */
	pthread_cond_broadcast(&a->changed);
	pthread_mutex_unlock(&a->lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (unsigned i = 0; i < a->n; i++)
		part_free(&a->parts[i], NULL);
	for (unsigned i = 0; i < a->nspare; i++)
		for (unsigned k = 0; k < FR_KIND_MAX; k++)
			colstore_free(a->spare[i][k]);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->changed);
	free(a->parts);
}

/*
 * Records in a run of blocks, the unit of a segment read on several
 * threads: big enough that a run's store is packed and appended in bulk,
 * small enough that the runs read ahead (PART_AHEAD a worker) stay a few
 * tens of MB.
 */
#define RUN_RECORDS (256u << 10)

/* RUN_RECORDS, or FLIGHTREC_REPLAY_RUN_RECORDS (for the tests: many runs out of a small segment). */
static uint64_t run_records(void)
{
	const char *env = getenv("FLIGHTREC_REPLAY_RUN_RECORDS");
	char *end;
	unsigned long long n = env && *env ? strtoull(env, &end, 10) : 0;

	return n && !*end ? n : RUN_RECORDS;
}

static void stats_add(struct fr_read_stats *to, const struct fr_read_stats *st)
{
	to->blocks += st->blocks;
	to->records += st->records;
	to->bad_blocks += st->bad_blocks;
	to->bad_records += st->bad_records;
	to->unknown += st->unknown;
	to->skipped_bytes += st->skipped_bytes;
	to->truncated_bytes += st->truncated_bytes;
}

/*
 * The records of segment SEG (fr_input_ops.records) when some tables are
 * served from columns: its runs of blocks (fr_seg_split) read on worker
 * threads, each into a part of its own, and taken in order on this one,
 * so rows, rowids and messages are those of fr_seg_read_records(SEG,
 * on_record).  A segment of one run is read here.
 */
static int load_runs(void *ctx, struct fr_seg_reader *seg)
{
	struct load_ctx *c = ctx;
	struct load_all a = { .r = c->r };
	pthread_t tid[REPLAY_THREADS_MAX];
	unsigned threads = replay_threads(), started;
	size_t n, *cuts = fr_seg_split(seg, run_records(), &n);
	int ret = 0;

	if (!cuts) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return -1;
	}
	if (n < 2 || threads < 2 || n > UINT_MAX || !(a.parts = calloc(n, sizeof(*a.parts)))) {
		free(cuts);
		return fr_seg_read_records(seg, on_record, c);
	}
	a.n = (unsigned)n;
	for (unsigned i = 0; i < a.n; i++) {
		a.parts[i].all = &a;
		a.parts[i].path = c->path;
		a.parts[i].seg = seg;
		a.parts[i].from = cuts[i];
		a.parts[i].to = cuts[i + 1];
	}
	free(cuts);
	if (!(started = parts_start(&a, tid, threads < a.n ? threads : a.n, c->err, sizeof(c->err)))) {
		parts_end(&a, tid, 0);
		c->err[0] = '\0';
		return fr_seg_read_records(seg, on_record, c);
	}
	for (unsigned i = 0; i < a.n && !ret; i++) {
		struct part *p = part_wait(&a, i);
		if (part_put(c, p)) {
			snprintf(c->err, sizeof(c->err), "%s", p->err);
			ret = -1;
		}
		stats_add(seg->stats, &p->st);
		if (c->progress)
			fprintf(stderr, "\rloading %s: %.1fM records", c->path, (double)seg->stats->records / 1e6);
		part_taken(&a, i, ret);
	}
	parts_end(&a, tid, started);
	if (c->r->timing)
		fprintf(stderr, "flightrec-replay: %s: %u runs of blocks read on %u threads\n", seg->name, a.n, started);
	return ret;
}

int replay_load_all(struct replay *r, char *const *paths, unsigned n, unsigned *failed, char *err, size_t errlen)
{
	struct load_all a = { .r = r, .n = n };
	pthread_t tid[REPLAY_THREADS_MAX];
	unsigned threads = replay_threads(), started;
	int ret = 0, progress = isatty(STDERR_FILENO);

	/* one input, one thread, or every table SQLite's: replay_load, input after input */
	if (n < 2 || threads < 2 || !served_from_columns(r)) {
		for (unsigned i = 0; i < n; i++) {
			if (replay_load(r, paths[i], err, errlen)) {
				*failed = i;
				return -1;
			}
		}
		return 0;
	}
	if (!(a.parts = calloc(n, sizeof(*a.parts)))) {
		snprintf(err, errlen, "out of memory");
		*failed = 0;
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		a.parts[i].all = &a;
		a.parts[i].path = paths[i];
	}
	if (!(started = parts_start(&a, tid, threads < n ? threads : n, err, errlen))) {
		*failed = 0;
		ret = -1;
	}
	if (r->timing && started)
		fprintf(stderr, "flightrec-replay: %u inputs read on %u threads\n", n, started);
	for (unsigned i = 0; i < n && !ret; i++) {
		if (part_take(r, part_wait(&a, i), progress, err, errlen)) {
			*failed = i;
			ret = -1;
		}
		part_taken(&a, i, ret);
	}
	if (progress)
		fprintf(stderr, "\r\033[K"); /* the bar's line, cleared */
	parts_end(&a, tid, started);
	return ret;
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
