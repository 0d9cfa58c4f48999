/*
 * processes.c - the derived table `processes` (schema/views.sql): one row
 * per process lifetime, from the process table at a window's start
 * (proc_snapshot), forks, execs and exits, merged in time order.
 *
 * Each lifecycle table is a source of rows in (ts, rowid) order: read
 * straight from its column store when it is served from columns (the
 * default; no SQL between the records and the merge), else through SQL
 * (--db FILE, FLIGHTREC_REPLAY_INDEX_ALL).  Lives are keyed by (host,
 * pid), so the hosts may interleave.
 *
 * Without --db FILE `processes` is served from columns too (replay/vtab.c):
 * its rows go to a derived column store, whose texts are those of the
 * lifecycle stores, borrowed rather than copied; an INSERT into SQLite's
 * table was ~1.4 us a row, two thirds of a synthetic archive's load (issue
 * 17), and the table's pages were a quarter of its memory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colstore.h"
#include "db.h"
#include "summary_cache.h"
#include "threads.h"

/* What one lifecycle record says, whichever table it comes from; a NULL text is SQL's NULL. */
enum life_kind { LIFE_PROC, LIFE_FORK, LIFE_EXEC, LIFE_EXIT };
enum life_text { T_COMM, T_EXE, T_ARGV, T_CONTAINER, T_POD_UID, T_POD, T_NS, T_N };

/* The column of `processes` (schema/views.sql) each text goes to. */
enum proc_col {
	P_HOST, P_PID, P_PPID, P_UID, P_GID, P_COMM, P_EXE, P_ARGV, P_START_TS, P_EXIT_TS, P_EXIT_CODE, P_EXIT_SIGNAL,
	P_CONTAINER, P_POD_UID, P_POD, P_NAMESPACE, P_N
};
static const enum proc_col text_col[T_N] = { P_COMM, P_EXE, P_ARGV, P_CONTAINER, P_POD_UID, P_POD, P_NAMESPACE };
/*
 * The bytes a life kept of each text through SQL, with its NUL, as when
 * they were fixed arrays: more than any field of records.def holds.
 */
static const size_t text_cap[T_N] = { 32, 512, 512, 80, 48, 256, 72 };
#define HOST_CAP 72

/*
 * `processes` as a derived column store describes it (colstore.h): the
 * columns of its CREATE TABLE after host, by name and type.
 * columns_create() checks them against that CREATE TABLE.
 */
static const struct fr_field processes_fields[] = {
	{ .name = "pid", .type = FR_U32 },	    { .name = "ppid", .type = FR_U32 },
	{ .name = "uid", .type = FR_U32 },	    { .name = "gid", .type = FR_U32 },
	{ .name = "comm", .type = FR_STR },	    { .name = "exe", .type = FR_STR },
	{ .name = "argv", .type = FR_STR },	    { .name = "start_ts", .type = FR_TS },
	{ .name = "exit_ts", .type = FR_TS },	    { .name = "exit_code", .type = FR_S32 },
	{ .name = "exit_signal", .type = FR_S32 }, { .name = "container", .type = FR_STR },
	{ .name = "pod_uid", .type = FR_STR },	    { .name = "pod", .type = FR_STR },
	{ .name = "namespace", .type = FR_STR },
};
const struct fr_kind_desc processes_table = {
	.name = "processes",
	.table = "processes",
	.doc = "one row per process lifetime",
	.fields = processes_fields,
	.nfields = sizeof(processes_fields) / sizeof(processes_fields[0]),
};

/*
 * A text of a lifecycle row or of a life; S NULL: none (SQL's NULL).  Read
 * from a column store, S is in that store's dictionary, which outlives the
 * rebuild, and REF names it there for the store of `processes`
 * (colstore_text_ref); through SQL, a life owns a copy of S.
 */
struct text {
	const char *s;
	int64_t ref;
};

struct life_row {
	struct text host;
	enum life_kind kind;
	uint64_t row; /* in its store (a source read through SQL: 0) */
	int64_t ts, pid, ppid, uid, gid;
	struct text text[T_N];
	int has_start;
	int64_t start_ts, exit_code, exit_signal;
};

/*
 * Where a row of `processes` comes in the order the serial rebuild emits
 * them: first the rows a lifecycle row ended, in the order those were
 * applied, by (ts, kind, row); then the lives still open, by hash bucket
 * (BUCKET, from 1) and, in one, by when they were opened.  Rebuilt per
 * host on several threads, the rows are put back in this order.
 */
struct life_key {
	int64_t ts;
	uint32_t row;
	uint16_t kind;
	uint16_t bucket; /* 0: a row a lifecycle row ended */
};

/* One process lifetime being rebuilt. */
struct life {
	struct text host;
	int64_t pid, ppid, uid, gid;
	struct text text[T_N];
	int64_t start_ts, exit_ts, exit_code, exit_signal;
	int has_start, has_exit, has_code;
	struct life_key open; /* the lifecycle row that opened it */
	struct life *next; /* hash chain */
};

#define LIFE_BUCKETS 4096

struct lives {
	struct life *bucket[LIFE_BUCKETS];
	struct life *spare; /* lives ended, for the next ones: one calloc and free per life was a tenth of the rebuild */
	/* the rows go to this store (served from columns), else through ins into SQLite's table, texts copied */
	struct colstore *out;
	sqlite3_stmt *ins;
	struct summary_procs *tally; /* the rows inserted, counted as .summary counts them (a --db FILE's cache), or NULL */
	struct summary_failures *failures; /* with tally: the latest of them that failed, by rowid */
	struct life_key now; /* of the row being applied, or of the open life being emitted at the end */
	struct life_key *keys; /* kept (a host's part of the rebuild): the key of each row emitted */
	size_t nkeys, cap_keys;
	int keep_keys;
	char *err;
	size_t errlen;
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
		if ((*pp)->pid == pid && !strcmp((*pp)->host.s, host))
			return pp;
	return pp;
}

/* *DST becomes V (not NULL), as L keeps texts: borrowed, or copied (at most CAP bytes with the NUL). 0, or -1. */
static int text_set(struct lives *L, struct text *dst, const struct text *v, size_t cap)
{
	char *copy;

	if (L->out) {
		*dst = *v;
		return 0;
	}
	if (!(copy = strndup(v->s, cap - 1))) {
		snprintf(L->err, L->errlen, "out of memory");
		return -1;
	}
	free((char *)dst->s);
	dst->s = copy;
	return 0;
}

/* V into *DST when V is known: a NULL leaves what was known.  0, or -1. */
static int text_update(struct lives *L, struct text *dst, const struct text *v, size_t cap)
{
	return v->s ? text_set(L, dst, v, cap) : 0;
}

static void text_clear(struct lives *L, struct text *t)
{
	if (!L->out)
		free((char *)t->s);
	t->s = NULL;
}

/* An empty life, spare or new; NULL when out of memory. */
static struct life *life_new(struct lives *L)
{
	struct life *l = L->spare;

	if (!l)
		return calloc(1, sizeof(*l));
	L->spare = l->next;
	memset(l, 0, sizeof(*l));
	return l;
}

/* L's texts given back, and L kept for life_new. */
static void life_free(struct lives *L, struct life *l)
{
	text_clear(L, &l->host);
	for (int t = 0; t < T_N; t++)
		text_clear(L, &l->text[t]);
	l->next = L->spare;
	L->spare = l;
}

static void bind_text_or_null(sqlite3_stmt *s, int col, const struct text *v)
{
	if (v->s && v->s[0])
		sqlite3_bind_text(s, col, v->s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, col);
}

/* L's row into the store of processes; 0, or -1 with the error. */
static int life_emit_columns(struct lives *L, const struct life *l)
{
	int64_t v[P_N] = { 0 };
	uint64_t nulls = 0;

	/* "": a text the store reads as empty, as SQL binds a host or comm never known */
	v[P_HOST] = l->host.s ? l->host.ref : -1;
	v[P_PID] = l->pid;
	v[P_PPID] = l->ppid;
	v[P_UID] = l->uid;
	v[P_GID] = l->gid;
	v[P_COMM] = l->text[T_COMM].s ? l->text[T_COMM].ref : -1;
	for (int t = T_EXE; t < T_N; t++) {
		if (l->text[t].s && l->text[t].s[0])
			v[text_col[t]] = l->text[t].ref;
		else
			nulls |= 1u << text_col[t];
	}
	if (l->has_start)
		v[P_START_TS] = l->start_ts;
	else
		nulls |= 1u << P_START_TS;
	if (l->has_exit)
		v[P_EXIT_TS] = l->exit_ts;
	else
		nulls |= 1u << P_EXIT_TS;
	if (l->has_exit && l->has_code) {
		v[P_EXIT_CODE] = l->exit_code;
		v[P_EXIT_SIGNAL] = l->exit_signal;
	} else {
		nulls |= 1u << P_EXIT_CODE | 1u << P_EXIT_SIGNAL;
	}
	if (L->keep_keys && L->nkeys == L->cap_keys) {
		size_t cap = L->cap_keys ? L->cap_keys * 2 : 4096;
		struct life_key *keys = realloc(L->keys, cap * sizeof(*keys));
		if (!keys) {
			snprintf(L->err, L->errlen, "out of memory");
			return -1;
		}
		L->keys = keys;
		L->cap_keys = cap;
	}
	if (colstore_append_values(L->out, v, nulls)) {
		snprintf(L->err, L->errlen, "out of memory");
		return -1;
	}
	if (L->keep_keys)
		L->keys[L->nkeys++] = L->now;
	return 0;
}

/* Insert L's row into processes; 0, -1 with the error, or an SQLite error code. */
static int life_emit(struct lives *L, struct life *l)
{
	sqlite3_stmt *s = L->ins;
	int rc;

	if (L->out)
		return life_emit_columns(L, l);
	sqlite3_bind_text(s, 1, l->host.s ? l->host.s : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, l->pid);
	sqlite3_bind_int64(s, 3, l->ppid);
	sqlite3_bind_int64(s, 4, l->uid);
	sqlite3_bind_int64(s, 5, l->gid);
	sqlite3_bind_text(s, 6, l->text[T_COMM].s ? l->text[T_COMM].s : "", -1, SQLITE_STATIC);
	bind_text_or_null(s, 7, &l->text[T_EXE]);
	bind_text_or_null(s, 8, &l->text[T_ARGV]);
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
	bind_text_or_null(s, 13, &l->text[T_CONTAINER]);
	bind_text_or_null(s, 14, &l->text[T_POD_UID]);
	bind_text_or_null(s, 15, &l->text[T_POD]);
	bind_text_or_null(s, 16, &l->text[T_NS]);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE && L->tally) /* as bound above: a code and a signal only with an exit */
		summary_procs_add(L->tally, l->has_start ? &l->start_ts : NULL, l->has_exit ? &l->exit_ts : NULL,
				  l->has_exit && l->has_code ? &l->exit_code : NULL,
				  l->has_exit && l->has_code ? &l->exit_signal : NULL);
	if (rc == SQLITE_DONE && L->failures)
		summary_failures_add(L->failures, sqlite3_last_insert_rowid(sqlite3_db_handle(s)), l->pid,
				     l->has_exit ? &l->exit_ts : NULL, l->has_exit && l->has_code ? &l->exit_code : NULL,
				     l->has_exit && l->has_code ? &l->exit_signal : NULL);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* Apply lifecycle row Q to L; 0, -1 with the error, or an SQLite error code. */
static int life_apply(struct lives *L, const struct life_row *q)
{
	static const struct text no_host = { "", -1 };
	const struct text *host = q->host.s ? &q->host : &no_host;
	int ret = 0;
	struct life **pp = life_find(L, host->s, q->pid), *l = *pp;
	int opened = !l;

	if (q->kind == LIFE_PROC && l)
		return 0; /* the table at a window's start: already known */
	if (q->kind == LIFE_FORK && l) {
		/* a new process under a pid still open: its exit was lost */
		*pp = l->next;
		ret = life_emit(L, l);
		life_free(L, l);
		if (ret)
			return ret;
		l = NULL;
		opened = 1;
		pp = life_find(L, host->s, q->pid);
	}
	if (!l) {
		if (!(l = life_new(L)) || text_set(L, &l->host, host, HOST_CAP)) {
			if (l)
				life_free(L, l);
			snprintf(L->err, L->errlen, "out of memory");
			return -1;
		}
		l->pid = q->pid;
		l->open = L->now;
		l->next = *pp;
		*pp = l;
		if (q->has_start) {
			l->start_ts = q->start_ts;
			l->has_start = 1;
		}
		if (q->kind == LIFE_FORK) {
			/* a child is where its parent is until it execs */
			struct life *parent = *life_find(L, l->host.s, q->ppid);
			for (int t = T_CONTAINER; parent && t < T_N; t++)
				if (text_update(L, &l->text[t], &parent->text[t], text_cap[t]))
					return -1;
		}
	}
	if (text_update(L, &l->text[T_COMM], &q->text[T_COMM], text_cap[T_COMM]))
		return -1;
	/* an exit keeps the parent and ids seen before it, unless it opened the row */
	if (q->kind != LIFE_EXIT || opened) {
		l->ppid = q->ppid;
		l->uid = q->uid;
		l->gid = q->gid;
		if (text_update(L, &l->text[T_EXE], &q->text[T_EXE], text_cap[T_EXE]) ||
		    text_update(L, &l->text[T_ARGV], &q->text[T_ARGV], text_cap[T_ARGV]))
			return -1;
	}
	if (q->kind == LIFE_PROC || q->kind == LIFE_EXEC) {
		/* NULL in a 1.0 archive: nothing known, nothing kept */
		for (int t = T_CONTAINER; t < T_N; t++) {
			text_clear(L, &l->text[t]);
			if (text_update(L, &l->text[t], &q->text[t], text_cap[t]))
				return -1;
		}
	}
	if (q->kind == LIFE_EXIT) {
		l->exit_ts = q->ts;
		l->has_exit = 1;
		l->exit_code = q->exit_code;
		l->exit_signal = q->exit_signal;
		l->has_code = 1;
		*pp = l->next;
		ret = life_emit(L, l);
		life_free(L, l);
	}
	return ret;
}

/*
 * The four lifecycle tables, in the order that breaks a tie of ts: the
 * process table at a window's start, then forks, execs and exits.  SELECT
 * gives the SQL source its columns: host, ts, pid, ppid, uid, gid, the
 * texts of enum life_text, start_ts, exit_code, exit_signal.
 */
static const struct lifecycle_table {
	unsigned kind; /* its record kind */
	const char *table;
	const char *select; /* followed by " FROM table ORDER BY ..." */
} lifecycle[] = {
	[LIFE_PROC] = { FR_KIND_proc, "proc_snapshot",
			"SELECT host, ts, pid, ppid, uid, gid, comm, exe, argv, container, pod_uid, pod, namespace,"
			" start_ts, NULL, NULL" },
	[LIFE_FORK] = { FR_KIND_fork, "proc_fork",
			"SELECT host, ts, pid, ppid, uid, gid, comm, NULL, NULL, NULL, NULL, NULL, NULL, ts, NULL, NULL" },
	[LIFE_EXEC] = { FR_KIND_exec, "proc_exec",
			"SELECT host, ts, pid, ppid, uid, gid, comm, CASE WHEN exe <> '' THEN exe ELSE filename END, argv,"
			" container, pod_uid, pod, namespace, NULL, NULL, NULL" },
	[LIFE_EXIT] = { FR_KIND_exit, "proc_exit",
			"SELECT host, ts, pid, ppid, uid, gid, comm, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
			" exit_code, exit_signal" },
};
#define NLIFECYCLE (sizeof(lifecycle) / sizeof(lifecycle[0]))

/*
 * The columns a store source reads of each row, a batch of rows at a time
 * (colstore_gather): a column read through the batch's rows rather than a
 * call per value, which was a third of the rebuild.
 */
enum batch_col { B_HOST, B_TS, B_PID, B_PPID, B_UID, B_GID, B_TEXT, B_FILENAME = B_TEXT + T_N, B_START, B_CODE,
		 B_SIGNAL, B_N };
#define BATCH_ROWS 128

/* A lifecycle table being read in (ts, rowid) order: through SQL (q) or from its store (cs). */
struct life_source {
	enum life_kind kind;
	sqlite3_stmt *q;
	struct colstore *cs;
	const uint32_t *order; /* a store not in ts order: its rows by (ts, row), the store's */
	uint64_t next, n;
	int col[T_N], col_ts, col_pid, col_ppid, col_uid, col_gid, col_start, col_code, col_signal, col_filename;
	/* the source numbers of its text columns in the store of processes (colstore_borrow) */
	int borrow[T_N], borrow_host, borrow_filename;
	int live;
	struct life_row row;
	/* a store source: the store column of each batch column (-1: none), and the batch, from row at */
	int bcol[B_N];
	uint32_t rows[BATCH_ROWS];
	int64_t v[B_N][BATCH_ROWS];
	uint8_t null[B_N][BATCH_ROWS];
	size_t at, batched;
};

/* The SQL column of field NAME of a store's kind (1 + its index), -1 when it has none. */
static int field_col(const struct colstore *cs, const char *name)
{
	int i = fr_field_index(colstore_kind(cs), name);

	return i < 0 ? -1 : i + 1;
}

/* The next rows of a store source, from s->next on, read into its batch. */
static void store_fill(struct life_source *s)
{
	size_t m = s->n - s->next < BATCH_ROWS ? (size_t)(s->n - s->next) : BATCH_ROWS;

	for (size_t i = 0; i < m; i++)
		s->rows[i] = s->order ? s->order[s->next + i] : (uint32_t)(s->next + i);
	for (int b = 0; b < B_N; b++)
		if (s->bcol[b] >= 0)
			colstore_gather(s->cs, (unsigned)s->bcol[b], s->rows, m, s->v[b], s->null[b]);
	s->at = 0;
	s->batched = m;
}

/* Batch column B of the row being read, a text, and its reference as source BORROW of the store of processes. */
static struct text batch_text(const struct life_source *s, int b, int borrow)
{
	struct text t = { NULL, -1 };
	int64_t id;
	size_t n;

	if (s->bcol[b] < 0 || s->null[b][s->at])
		return t;
	id = s->v[b][s->at];
	t.s = colstore_text_of(s->cs, (unsigned)s->bcol[b], id, &n);
	t.ref = colstore_text_ref(borrow, id);
	return t;
}

static int64_t batch_int(const struct life_source *s, int b)
{
	if (s->bcol[b] < 0 || s->null[b][s->at])
		return 0; /* as sqlite3_column_int64 reads a NULL */
	return s->v[b][s->at];
}

/* The next row of a store source into s->row; s->live 0 past the last. */
static void store_next(struct life_source *s)
{
	struct life_row *q = &s->row;

	if (!(s->live = s->next < s->n))
		return;
	if (s->at + 1 >= s->batched)
		store_fill(s);
	else
		s->at++;
	s->next++;
	q->row = s->rows[s->at];
	q->host = batch_text(s, B_HOST, s->borrow_host);
	q->ts = batch_int(s, B_TS);
	q->pid = batch_int(s, B_PID);
	q->ppid = batch_int(s, B_PPID);
	q->uid = batch_int(s, B_UID);
	q->gid = batch_int(s, B_GID);
	for (int t = 0; t < T_N; t++)
		q->text[t] = batch_text(s, B_TEXT + t, s->borrow[t]);
	if (s->kind == LIFE_EXEC && (!q->text[T_EXE].s || !q->text[T_EXE].s[0]))
		q->text[T_EXE] = batch_text(s, B_FILENAME, s->borrow_filename); /* as the SQL source's CASE */
	q->has_start = 0;
	if (s->kind == LIFE_FORK) {
		q->has_start = 1;
		q->start_ts = q->ts;
	} else if (s->bcol[B_START] >= 0 && !s->null[B_START][s->at]) {
		q->has_start = 1;
		q->start_ts = s->v[B_START][s->at];
	}
	q->exit_code = batch_int(s, B_CODE);
	q->exit_signal = batch_int(s, B_SIGNAL);
}

/* The next row of an SQL source into s->row; 0, or an SQLite error code. */
static int sql_next(struct life_source *s)
{
	sqlite3_stmt *q = s->q;
	struct life_row *row = &s->row;
	int rc = sqlite3_step(q);

	if (!(s->live = rc == SQLITE_ROW))
		return rc == SQLITE_DONE ? 0 : rc;
	row->host.s = (const char *)sqlite3_column_text(q, 0);
	row->ts = sqlite3_column_int64(q, 1);
	row->pid = sqlite3_column_int64(q, 2);
	row->ppid = sqlite3_column_int64(q, 3);
	row->uid = sqlite3_column_int64(q, 4);
	row->gid = sqlite3_column_int64(q, 5);
	for (int t = 0; t < T_N; t++)
		row->text[t].s = (const char *)sqlite3_column_text(q, 6 + t);
	row->has_start = sqlite3_column_type(q, 13) != SQLITE_NULL;
	row->start_ts = sqlite3_column_int64(q, 13);
	row->exit_code = sqlite3_column_int64(q, 14);
	row->exit_signal = sqlite3_column_int64(q, 15);
	return 0;
}

static int source_next(struct life_source *s)
{
	if (s->cs) {
		store_next(s);
		return 0;
	}
	return sql_next(s);
}

/*
 * Borrow text column COL of source S's store for column PCOL of OUT (the
 * store of processes): its source number, or -1 when COL is -1 (no such
 * column) or OUT has no room (not with the four lifecycle tables).
 */
static int borrow(struct colstore *out, enum proc_col pcol, const struct life_source *s, int col)
{
	return col < 0 ? -1 : colstore_borrow(out, pcol, s->cs, (unsigned)col);
}

/*
 * Open the source of lifecycle table T.  From its store: columns found by
 * name, its texts borrowed by OUT (the store of processes) when there is
 * one, its rows put in order by source_order or a part of them by
 * part_rows.  Through SQL, in time order, ties in rowid order (as its ts index
 * has them): by rowid when its rows went in in time order, which needs
 * neither the index nor a sort; else through the ts index, created here
 * (the first query on ts would make it anyway).  0, or -1.
 */
static int source_open(struct replay *r, enum life_kind kind, struct colstore *out, struct life_source *s)
{
	const struct lifecycle_table *t = &lifecycle[kind];
	char sql[512];

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->row.kind = kind;
	if ((s->cs = r->columns[t->kind])) {
		static const char *const names[T_N] = { "comm", "exe", "argv", "container", "pod_uid", "pod", "namespace" };
		for (int i = 0; i < T_N; i++)
			s->col[i] = field_col(s->cs, names[i]);
		if (kind == LIFE_FORK || kind == LIFE_EXIT) /* as their SELECTs: what they say of these is not used */
			for (int i = T_EXE; i < T_N; i++)
				s->col[i] = -1;
		s->col_ts = field_col(s->cs, "ts");
		s->col_pid = field_col(s->cs, "pid");
		s->col_ppid = field_col(s->cs, "ppid");
		s->col_uid = field_col(s->cs, "uid");
		s->col_gid = field_col(s->cs, "gid");
		s->col_start = kind == LIFE_PROC ? field_col(s->cs, "start_ts") : -1;
		s->col_code = kind == LIFE_EXIT ? field_col(s->cs, "exit_code") : -1;
		s->col_signal = kind == LIFE_EXIT ? field_col(s->cs, "exit_signal") : -1;
		s->col_filename = field_col(s->cs, "filename");
		s->n = colstore_rows(s->cs);
		s->bcol[B_HOST] = 0;
		s->bcol[B_TS] = s->col_ts;
		s->bcol[B_PID] = s->col_pid;
		s->bcol[B_PPID] = s->col_ppid;
		s->bcol[B_UID] = s->col_uid;
		s->bcol[B_GID] = s->col_gid;
		for (int i = 0; i < T_N; i++)
			s->bcol[B_TEXT + i] = s->col[i];
		s->bcol[B_FILENAME] = kind == LIFE_EXEC ? s->col_filename : -1;
		s->bcol[B_START] = s->col_start;
		s->bcol[B_CODE] = s->col_code;
		s->bcol[B_SIGNAL] = s->col_signal;
		if (out) {
			s->borrow_host = borrow(out, P_HOST, s, 0);
			s->borrow_filename = borrow(out, P_EXE, s, s->col_filename);
			for (int i = 0; i < T_N; i++)
				s->borrow[i] = borrow(out, text_col[i], s, s->col[i]);
		}
		return 0; /* in (ts, row) order: source_order */
	}
	if (!r->in_ts_order[t->kind]) {
		snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS %s_ts ON %s(ts)", t->table, t->table);
		if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	}
	snprintf(sql, sizeof(sql), "%s FROM %s ORDER BY %s", t->select, t->table, r->in_ts_order[t->kind] ? "rowid" : "ts");
	return sqlite3_prepare_v2(r->db, sql, -1, &s->q, NULL) == SQLITE_OK ? 0 : -1;
}

/* A store source's rows, all of them, in (ts, row) order.  0, or -1 (out of memory). */
static int source_order(struct life_source *s)
{
	return !s->cs || colstore_ts_ordered(s->cs) || colstore_ts_order(s->cs, &s->order) == 0 ? 0 : -1;
}

/*
 * Apply the rows of the sources SRC to L in time order, then emit the
 * lives still open.  0, -1 with the error, or an SQLite error code.
 */
static int lives_run(struct lives *L, struct life_source *src)
{
	int ret = 0;

	for (size_t i = 0; i < NLIFECYCLE && !ret; i++)
		ret = source_next(&src[i]);
	while (!ret) {
		int next = -1;
		int64_t best = 0;

		/* Smallest ts; on a tie the lower kind (array order) wins. */
		for (size_t i = 0; i < NLIFECYCLE; i++) {
			if (src[i].live && (next < 0 || src[i].row.ts < best)) {
				next = (int)i;
				best = src[i].row.ts;
			}
		}
		if (next < 0)
			break;
		L->now = (struct life_key){ .ts = best, .row = (uint32_t)src[next].row.row, .kind = (uint16_t)next };
		ret = life_apply(L, &src[next].row);
		if (!ret)
			ret = source_next(&src[next]);
	}
	for (size_t b = 0; b < LIFE_BUCKETS; b++) {
		while (L->bucket[b]) {
			struct life *l = L->bucket[b];
			L->bucket[b] = l->next;
			L->now = l->open;
			L->now.bucket = (uint16_t)(b + 1);
			if (!ret)
				ret = life_emit(L, l);
			life_free(L, l);
		}
	}
	return ret;
}

static void lives_free(struct lives *L)
{
	while (L->spare) {
		struct life *l = L->spare;
		L->spare = l->next;
		free(l);
	}
	free(L->keys);
	free(L);
}

/*
 * The rebuild split by host: lives are keyed by (host, pid) and a child
 * finds its parent on its own host, so each host's rows make its lives
 * alone.  A part (a thread) takes some hosts' rows from every lifecycle
 * store, in (ts, row) order, and emits their lives to a store of its own
 * with each one's life_key; the parts' rows are then merged by key into
 * the store of processes, in the order a serial rebuild has them.
 *
 * One host is rebuilt serially.  Split by pid (exact when no row says a
 * container, which a fork takes from a parent perhaps in another part:
 * 5e10eb8) it was slower on 2 CPUs: a part's rows are interleaved with
 * the other's in every column chunk and text arena, so each part read
 * about as many cache lines as the whole (2.4-2.8 s for half of the 30M
 * synthetic's rows against 3.4-4.3 s for all), then the merge (~1 s) was
 * serial.  A reader thread feeding this one the rows in time order did no
 * better: the reading is most of the rebuild (BENCHMARKS.md, issue 17's
 * tenth step).
 */
/* Rows read at once: a scan of the host column. */
#define READ_ROWS 4096

struct part {
	pthread_t tid;
	int started;
	unsigned id;
	const struct life_source *whole;   /* the sources opened on every row */
	unsigned char *const *host_part;   /* by source, by host number: the part that takes its rows */
	struct life_source src[NLIFECYCLE];
	uint32_t *rows[NLIFECYCLE];
	struct lives *L;
	uint64_t next; /* merging: its next row */
	int ret;
	char err[256];
};

/* Part P's rows of each source, in (ts, row) order. 0, or -1. */
static int part_rows(struct part *p)
{
	int64_t host[READ_ROWS];

	for (size_t i = 0; i < NLIFECYCLE; i++) {
		const struct life_source *w = &p->whole[i];
		uint64_t n = 0;

		p->src[i] = *w;
		if (!w->cs)
			continue;
		if (!(p->rows[i] = malloc((w->n ? w->n : 1) * sizeof(uint32_t))))
			return -1;
		for (uint64_t r = 0; r < w->n; r += READ_ROWS) {
			uint64_t m = w->n - r < READ_ROWS ? w->n - r : READ_ROWS;
			colstore_read(w->cs, 0, r, m, host, NULL);
			for (uint64_t j = 0; j < m; j++)
				if (p->host_part[i][host[j]] == p->id)
					p->rows[i][n++] = (uint32_t)(r + j);
		}
		if (colstore_ts_sort(w->cs, p->rows[i], n))
			return -1;
		p->src[i].order = p->rows[i];
		p->src[i].n = n;
	}
	return 0;
}

static void *part_run(void *arg)
{
	struct part *p = arg;

	p->L->err = p->err;
	p->L->errlen = sizeof(p->err);
	if (part_rows(p)) {
		snprintf(p->err, sizeof(p->err), "out of memory");
		p->ret = -1;
		return NULL;
	}
	p->ret = lives_run(p->L, p->src);
	return NULL;
}

struct host_rows {
	const char *name;
	unsigned source;
	uint32_t id;
	uint64_t rows;
	unsigned part;
};

static int cmp_host_name(const void *a, const void *b)
{
	const struct host_rows *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->source != y->source ? (x->source < y->source ? -1 : 1) : (x->id > y->id) - (x->id < y->id);
}

/*
 * Split the hosts of the store sources SRC among at most NT parts, about
 * as many rows each (the largest host first, to the part with the fewest
 * rows so far): HOST_PART[i][n] is the part of host number n of source i.
 * Returns the number of parts (1: one host, no split), or -1 when out of
 * memory.
 */
static int split_hosts(const struct life_source *src, unsigned nt, unsigned char *host_part[NLIFECYCLE])
{
	struct host_rows *h = NULL;
	uint64_t *rows = NULL;
	size_t nh = 0, first = 0, nhosts = 0, base[NLIFECYCLE];
	uint64_t load[REPLAY_THREADS_MAX] = { 0 };
	int ret = -1;

	for (unsigned i = 0; i < NLIFECYCLE; i++) {
		uint32_t n = src[i].cs ? colstore_texts(src[i].cs, 0) : 0;
		if (!(host_part[i] = calloc(n ? n : 1, 1)))
			goto out;
		if (n) {
			struct host_rows *g = realloc(h, (nh + n) * sizeof(*h));
			if (!g)
				goto out;
			h = g;
		}
		for (uint32_t id = 0; id < n; id++) {
			size_t len;
			h[nh + id] = (struct host_rows){ colstore_text_of(src[i].cs, 0, id, &len), i, id, 0, 0 };
		}
		base[i] = nh;
		nh += n;
	}
	qsort(h, nh, sizeof(*h), cmp_host_name);
	for (size_t e = 0; e < nh; e++)
		nhosts += !e || strcmp(h[e].name, h[e - 1].name);
	if (nhosts < 2 || nt < 2) {
		ret = 1; /* before counting rows: a read of every row's host, for nothing */
		goto out;
	}
	if (!(rows = calloc(nh, sizeof(*rows))))
		goto out;
	for (unsigned i = 0; i < NLIFECYCLE; i++)
		for (uint64_t r = 0; r < src[i].n; r++)
			rows[base[i] + (size_t)colstore_int(src[i].cs, r, 0)]++;
	/* One host: each entry's rows summed into the first of its name, the rest 0. */
	for (size_t e = 0; e < nh; e++) {
		if (e && !strcmp(h[e].name, h[e - 1].name)) {
			h[first].rows += rows[base[h[e].source] + h[e].id];
			continue;
		}
		first = e;
		h[first].rows = rows[base[h[e].source] + h[e].id];
	}
	if (nt > nhosts)
		nt = (unsigned)nhosts;
	for (;;) {
		size_t big = nh;
		unsigned least = 0;
		for (size_t e = 0; e < nh; e++)
			if (h[e].rows && (big == nh || h[e].rows > h[big].rows))
				big = e;
		if (big == nh)
			break;
		for (unsigned t = 1; t < nt; t++)
			if (load[t] < load[least])
				least = t;
		load[least] += h[big].rows;
		h[big].rows = 0;
		h[big].part = least;
	}
	for (size_t e = 0; e < nh; e++) {
		if (e && !strcmp(h[e].name, h[e - 1].name))
			h[e].part = h[e - 1].part; /* the part of its host's first entry */
		host_part[h[e].source][h[e].id] = (unsigned char)h[e].part;
	}
	ret = (int)nt;
out:
	free(rows);
	free(h);
	return ret;
}

/* A before B in the serial rebuild's order. */
static int key_before(const struct life_key *a, const struct life_key *b)
{
	if (a->bucket != b->bucket)
		return a->bucket < b->bucket;
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->row < b->row;
}

/*
 * The parts' rows, merged by key into OUT: which part each row comes from
 * worked out on the keys alone, then the rows copied a column at a time.
 * 0, or -1 (out of memory).
 */
static int parts_merge(struct part *parts, unsigned np, struct colstore *out)
{
	struct colstore *src[REPLAY_THREADS_MAX];
	uint64_t n = 0, i = 0;
	uint8_t *from;
	int ret;

	for (unsigned t = 0; t < np; t++) {
		src[t] = parts[t].L->out;
		n += parts[t].L->nkeys;
	}
	if (!(from = malloc(n ? n : 1)))
		return -1;
	for (; i < n; i++) {
		struct part *best = NULL;

		for (unsigned t = 0; t < np; t++) {
			struct part *p = &parts[t];
			if (p->next < p->L->nkeys && (!best || key_before(&p->L->keys[p->next], &best->L->keys[best->next])))
				best = p;
		}
		from[i] = (uint8_t)(best - parts);
		best->next++;
	}
	ret = colstore_append_merged(out, src, np, from, n);
	free(from);
	return ret ? -1 : 0;
}

/*
 * processes_rebuild's store path on NT threads, the hosts split among
 * them.  Returns 1 when there is one host (nothing to split: the caller
 * rebuilds serially), 0 when done, or -1 with ERR.
 */
static int rebuild_by_host(struct life_source *src, struct colstore *out, unsigned nt, char *err, size_t errlen)
{
	unsigned char *host_part[NLIFECYCLE] = { 0 };
	struct part *parts = NULL;
	int np = split_hosts(src, nt, host_part), ret = -1;

	if (np == 1) {
		ret = 1;
		goto out;
	}
	if (np < 0 || !(parts = calloc((size_t)np, sizeof(*parts)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int t = 0; t < np; t++) {
		struct part *p = &parts[t];
		p->id = (unsigned)t;
		p->whole = src;
		p->host_part = host_part;
		if (!(p->L = calloc(1, sizeof(*p->L))) || !(p->L->out = colstore_new_derived(&processes_table))) {
			snprintf(err, errlen, "out of memory");
			goto join;
		}
		p->L->keep_keys = 1;
		if ((errno = pthread_create(&p->tid, NULL, part_run, p))) {
			snprintf(err, errlen, "cannot start a thread: %s", strerror(errno));
			goto join;
		}
		p->started = 1;
	}
	ret = 0;
join:
	for (int t = 0; t < np; t++) {
		struct part *p = &parts[t];
		if (p->started)
			pthread_join(p->tid, NULL);
		if (!ret && p->ret) {
			snprintf(err, errlen, "cannot rebuild processes: %s", p->err);
			ret = -1;
		}
	}
	if (!ret && parts_merge(parts, (unsigned)np, out)) {
		snprintf(err, errlen, "out of memory");
		ret = -1;
	}
	for (int t = 0; t < np; t++) {
		if (parts[t].L) {
			colstore_free(parts[t].L->out);
			lives_free(parts[t].L);
		}
		for (size_t i = 0; i < NLIFECYCLE; i++)
			free(parts[t].rows[i]);
	}
out:
	free(parts);
	for (size_t i = 0; i < NLIFECYCLE; i++)
		free(host_part[i]);
	return ret;
}

/*
 * The rows go to r->processes when `processes` is served from columns:
 * texts borrowed from the lifecycle stores, none copied; with several
 * hosts and threads (replay_threads), a part of the hosts on each thread.
 * Else INSERT into SQLite's table, in one transaction, texts copied from
 * each row.
 */
int processes_rebuild(struct replay *r, char *err, size_t errlen)
{
	struct lives *L = calloc(1, sizeof(*L));
	struct life_source src[NLIFECYCLE] = { 0 };
	int ret = 0, began = 0;
	unsigned nt = replay_threads();

	if (!L) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	L->err = err;
	L->errlen = errlen;
	if ((L->out = r->processes)) {
		colstore_clear(L->out);
	} else if (sqlite3_prepare_v2(r->db, "INSERT INTO processes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
				      &L->ins, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot rebuild processes: %s", sqlite3_errmsg(r->db));
		ret = -1;
		goto out;
	}
	for (size_t i = 0; i < NLIFECYCLE; i++) {
		if (source_open(r, (enum life_kind)i, L->out, &src[i])) {
			snprintf(err, errlen, "cannot rebuild processes: %s",
				 src[i].cs ? "out of memory" : sqlite3_errmsg(r->db));
			ret = -1;
			goto out;
		}
		if (L->out && !src[i].cs) {
			/* columns_create serves every lifecycle table from columns when it serves processes */
			snprintf(err, errlen, "cannot rebuild processes: %s is not served from columns", lifecycle[i].table);
			ret = -1;
			goto out;
		}
	}
	if (L->out && nt > 1 && (ret = rebuild_by_host(src, L->out, nt, err, errlen)) != 1)
		goto done;
	ret = 0;
	for (size_t i = 0; i < NLIFECYCLE; i++) {
		if (source_order(&src[i])) {
			snprintf(err, errlen, "cannot rebuild processes: out of memory");
			ret = -1;
			goto out;
		}
	}
	if (!L->out) {
		sqlite3_exec(r->db, "BEGIN; DELETE FROM processes", NULL, NULL, NULL);
		began = 1;
		L->tally = summary_cache_tally(r);
		L->failures = L->tally ? &r->keep.failures : NULL;
	}
	ret = lives_run(L, src);
	if (ret > 0) {
		snprintf(err, errlen, "cannot rebuild processes: %s", sqlite3_errmsg(r->db));
		ret = -1;
	}
	if (began)
		sqlite3_exec(r->db, ret ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
done:
	if (ret && L->out)
		colstore_clear(L->out); /* no half-made table */
out:
	for (size_t i = 0; i < NLIFECYCLE; i++) {
		sqlite3_finalize(src[i].q);
	}
	sqlite3_finalize(L->ins);
	lives_free(L);
	return ret;
}
