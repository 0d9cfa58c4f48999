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

/* One process lifetime being rebuilt. */
struct life {
	char host[72];
	int64_t pid, ppid, uid, gid;
	char comm[32], exe[512], argv[512];
	char container[80], pod_uid[48], pod[256], ns[72];
	int64_t start_ts, exit_ts, exit_code, exit_signal;
	int has_start, has_exit, has_code;
	struct life *next; /* hash chain */
};

#define LIFE_BUCKETS 4096

struct lives {
	struct life *bucket[LIFE_BUCKETS];
	sqlite3_stmt *ins;
};

static unsigned life_hash(const char *host, int64_t pid)
{
	unsigned h = (unsigned)pid * 2654435761u;
	for (; *host; host++)
		h = h * 31 + (unsigned char)*host;
	return h % LIFE_BUCKETS;
}

static struct life **life_find(struct lives *L, const char *host, int64_t pid)
{
	struct life **pp = &L->bucket[life_hash(host, pid)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->pid == pid && !strcmp((*pp)->host, host))
			return pp;
	return pp;
}

static void bind_text_or_null(sqlite3_stmt *s, int col, const char *v)
{
	if (v[0])
		sqlite3_bind_text(s, col, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, col);
}

/* Insert L's row into processes; 0, or an SQLite error code. */
static int life_emit(struct lives *L, struct life *l)
{
	sqlite3_stmt *s = L->ins;
	int rc;

	sqlite3_bind_text(s, 1, l->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, l->pid);
	sqlite3_bind_int64(s, 3, l->ppid);
	sqlite3_bind_int64(s, 4, l->uid);
	sqlite3_bind_int64(s, 5, l->gid);
	sqlite3_bind_text(s, 6, l->comm, -1, SQLITE_STATIC);
	if (l->exe[0])
		sqlite3_bind_text(s, 7, l->exe, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 7);
	if (l->argv[0])
		sqlite3_bind_text(s, 8, l->argv, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 8);
	if (l->has_start)
		sqlite3_bind_int64(s, 9, l->start_ts);
	else
		sqlite3_bind_null(s, 9);
	if (l->has_exit)
		sqlite3_bind_int64(s, 10, l->exit_ts);
	else
		sqlite3_bind_null(s, 10);
	if (l->has_exit && l->has_code) {
		sqlite3_bind_int64(s, 11, l->exit_code);
		sqlite3_bind_int64(s, 12, l->exit_signal);
	} else {
		sqlite3_bind_null(s, 11);
		sqlite3_bind_null(s, 12);
	}
	bind_text_or_null(s, 13, l->container);
	bind_text_or_null(s, 14, l->pod_uid);
	bind_text_or_null(s, 15, l->pod);
	bind_text_or_null(s, 16, l->ns);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : rc;
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
	const char *v = (const char *)sqlite3_column_text(s, col);

	if (v)
		snprintf(dst, cap, "%s", v);
}

/*
 * One row per process lifetime, from the process table at the window's
 * start (proc_snapshot), forks, execs and exits in time order.
 */
/* Apply the lifecycle row at Q (columns of lifecycle_sql) to L; 0, -1 with ERR, or an SQLite error code. */
static int life_apply(struct lives *L, sqlite3_stmt *q, char *err, size_t errlen)
{
	const char *host = (const char *)sqlite3_column_text(q, 0);
	int kind = sqlite3_column_int(q, 1), ret = 0;
	int64_t ts = sqlite3_column_int64(q, 2), pid = sqlite3_column_int64(q, 3);
	struct life **pp = life_find(L, host ? host : "", pid), *l = *pp;
	int opened = !l;

	if (kind == 0 && l)
		return 0; /* the table at a window's start: already known */
	if (kind == 1 && l) {
		/* a new process under a pid still open: its exit was lost */
		*pp = l->next;
		ret = life_emit(L, l);
		free(l);
		if (ret)
			return ret;
		l = NULL;
		opened = 1;
		pp = life_find(L, host ? host : "", pid);
	}
	if (!l) {
		if (!(l = calloc(1, sizeof(*l)))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(l->host, sizeof(l->host), "%s", host ? host : "");
		l->pid = pid;
		l->next = *pp;
		*pp = l;
		if (sqlite3_column_type(q, 10) != SQLITE_NULL) {
			l->start_ts = sqlite3_column_int64(q, 10);
			l->has_start = 1;
		}
		if (kind == 1) {
			/* a child is where its parent is until it execs */
			struct life *parent = *life_find(L, l->host, sqlite3_column_int64(q, 4));
			if (parent) {
				memcpy(l->container, parent->container, sizeof(l->container));
				memcpy(l->pod_uid, parent->pod_uid, sizeof(l->pod_uid));
				memcpy(l->pod, parent->pod, sizeof(l->pod));
				memcpy(l->ns, parent->ns, sizeof(l->ns));
			}
		}
	}
	copy_text(l->comm, sizeof(l->comm), q, 7);
	/* an exit keeps the parent and ids seen before it, unless it opened the row */
	if (kind != 3 || opened) {
		l->ppid = sqlite3_column_int64(q, 4);
		l->uid = sqlite3_column_int64(q, 5);
		l->gid = sqlite3_column_int64(q, 6);
		copy_text(l->exe, sizeof(l->exe), q, 8);
		copy_text(l->argv, sizeof(l->argv), q, 9);
	}
	if (kind == 0 || kind == 2) {
		/* NULL in a 1.0 archive: nothing known, nothing kept */
		l->container[0] = l->pod_uid[0] = l->pod[0] = l->ns[0] = '\0';
		copy_text(l->container, sizeof(l->container), q, 13);
		copy_text(l->pod_uid, sizeof(l->pod_uid), q, 14);
		copy_text(l->pod, sizeof(l->pod), q, 15);
		copy_text(l->ns, sizeof(l->ns), q, 16);
	}
	if (kind == 3) {
		l->exit_ts = ts;
		l->has_exit = 1;
		l->exit_code = sqlite3_column_int64(q, 11);
		l->exit_signal = sqlite3_column_int64(q, 12);
		l->has_code = 1;
		*pp = l->next;
		ret = life_emit(L, l);
		free(l);
	}
	return ret;
}

/*
 * The four lifecycle tables, each read in time order through its ts index,
 * merged here by (ts, kind): the process table at a window's start, then
 * forks, execs and exits.  Lives are keyed by (host, pid), so the hosts
 * may interleave.  Merging ordered cursors instead of sorting their union
 * (ORDER BY over all four) made this step four times faster on 1M records.
 */
static const struct lifecycle_table {
	unsigned kind; /* its record kind, for replay.in_ts_order */
	const char *table;
	const char *select; /* followed by " FROM table ORDER BY ..." */
} lifecycle[] = {
	{ FR_KIND_proc, "proc_snapshot",
	  "SELECT host, 0, ts, pid, ppid, uid, gid, comm, exe, argv, start_ts, NULL, NULL,"
	  " container, pod_uid, pod, namespace" },
	{ FR_KIND_fork, "proc_fork",
	  "SELECT host, 1, ts, pid, ppid, uid, gid, comm, NULL, NULL, ts, NULL, NULL, NULL, NULL, NULL, NULL" },
	{ FR_KIND_exec, "proc_exec",
	  "SELECT host, 2, ts, pid, ppid, uid, gid, comm, CASE WHEN exe <> '' THEN exe ELSE filename END, argv,"
	  " NULL, NULL, NULL, container, pod_uid, pod, namespace" },
	{ FR_KIND_exit, "proc_exit",
	  "SELECT host, 3, ts, pid, ppid, uid, gid, comm, NULL, NULL, NULL, exit_code, exit_signal,"
	  " NULL, NULL, NULL, NULL" },
};
#define NLIFECYCLE (sizeof(lifecycle) / sizeof(lifecycle[0]))

/*
 * Prepare the read of lifecycle table T in time order, ties in rowid order
 * (as its ts index has them): by rowid when its rows went in in time order,
 * which needs neither the index nor a sort; else through the ts index,
 * created here (the first query on ts would make it anyway), or for a
 * table served from columns, which has none, by a sort on (ts, rowid).
 */
static int lifecycle_prepare(struct replay *r, const struct lifecycle_table *t, sqlite3_stmt **q)
{
	char sql[512];
	const char *order = "rowid";

	if (!r->in_ts_order[t->kind] && r->columns[t->kind]) {
		order = "ts, rowid";
	} else if (!r->in_ts_order[t->kind]) {
		order = "ts";
		snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS %s_ts ON %s(ts)", t->table, t->table);
		if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	}
	snprintf(sql, sizeof(sql), "%s FROM %s ORDER BY %s", t->select, t->table, order);
	return sqlite3_prepare_v2(r->db, sql, -1, q, NULL) == SQLITE_OK ? 0 : -1;
}

static int rebuild_processes(struct replay *r, char *err, size_t errlen)
{
	struct lives *L = calloc(1, sizeof(*L));
	sqlite3_stmt *q[NLIFECYCLE] = { 0 };
	int live[NLIFECYCLE] = { 0 };
	int ret = 0, rc = SQLITE_DONE;

	if (!L) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sqlite3_prepare_v2(r->db, "INSERT INTO processes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &L->ins, NULL) !=
		    SQLITE_OK) {
		snprintf(err, errlen, "cannot rebuild processes: %s", sqlite3_errmsg(r->db));
		ret = -1;
		goto out;
	}
	for (size_t i = 0; i < NLIFECYCLE; i++) {
		if (lifecycle_prepare(r, &lifecycle[i], &q[i])) {
			snprintf(err, errlen, "cannot rebuild processes: %s", sqlite3_errmsg(r->db));
			ret = -1;
			goto out;
		}
	}
	sqlite3_exec(r->db, "BEGIN; DELETE FROM processes", NULL, NULL, NULL);
	for (size_t i = 0; i < NLIFECYCLE && !ret; i++) {
		rc = sqlite3_step(q[i]);
		live[i] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			ret = rc;
	}
	while (!ret) {
		int next = -1;
		int64_t best = 0;

		/* Smallest ts; on a tie the lower kind (array order) wins. */
		for (size_t i = 0; i < NLIFECYCLE; i++) {
			if (!live[i])
				continue;
			int64_t ts = sqlite3_column_int64(q[i], 2);
			if (next < 0 || ts < best) {
				next = (int)i;
				best = ts;
			}
		}
		if (next < 0)
			break;
		ret = life_apply(L, q[next], err, errlen);
		if (ret)
			break;
		rc = sqlite3_step(q[next]);
		live[next] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			ret = rc;
	}
	for (size_t b = 0; b < LIFE_BUCKETS; b++) {
		while (L->bucket[b]) {
			struct life *l = L->bucket[b];
			L->bucket[b] = l->next;
			if (!ret)
				ret = life_emit(L, l);
			free(l);
		}
	}
	if (ret > 0) {
		snprintf(err, errlen, "cannot rebuild processes: %s", sqlite3_errmsg(r->db));
		ret = -1;
	}
	sqlite3_exec(r->db, ret ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
out:
	for (size_t i = 0; i < NLIFECYCLE; i++)
		sqlite3_finalize(q[i]);
	sqlite3_finalize(L->ins);
	free(L);
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
	if (r->loaded && rebuild_processes(r, err, errlen))
		return -1;
	step_done(r, "processes", &t);
	/* A stack is written in every second that uses it: keep one row of each. */
	if (r->loaded && sqlite3_exec(r->db,
				      "DELETE FROM stacks WHERE rowid NOT IN (SELECT min(rowid) FROM stacks GROUP BY host, id);"
				      "CREATE INDEX IF NOT EXISTS stacks_id ON stacks(host, id);",
				      NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot index stacks: %s", msg);
		sqlite3_free(msg);
		return -1;
	}
	step_done(r, "stacks", &t);
	if (r->index_all) {
		if (make_all_indexes(r, err, errlen))
			return -1;
		step_done(r, "indexes", &t);
		return 0;
	}
	replay_index_lazily(r);
	return 0;
}
