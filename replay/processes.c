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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colstore.h"
#include "db.h"

/* What one lifecycle record says, whichever table it comes from; a NULL text is SQL's NULL. */
enum life_kind { LIFE_PROC, LIFE_FORK, LIFE_EXEC, LIFE_EXIT };
enum life_text { T_COMM, T_EXE, T_ARGV, T_CONTAINER, T_POD_UID, T_POD, T_NS, T_N };

struct life_row {
	const char *host;
	enum life_kind kind;
	int64_t ts, pid, ppid, uid, gid;
	const char *text[T_N];
	int has_start;
	int64_t start_ts, exit_code, exit_signal;
};

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
	bind_text_or_null(s, 7, l->exe);
	bind_text_or_null(s, 8, l->argv);
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

/* V into DST, when not NULL: a NULL leaves what was known. */
static void copy_text(char *dst, size_t cap, const char *v)
{
	if (v)
		snprintf(dst, cap, "%s", v);
}

/* Apply lifecycle row Q to L; 0, -1 with ERR, or an SQLite error code. */
static int life_apply(struct lives *L, const struct life_row *q, char *err, size_t errlen)
{
	const char *host = q->host ? q->host : "";
	int ret = 0;
	struct life **pp = life_find(L, host, q->pid), *l = *pp;
	int opened = !l;

	if (q->kind == LIFE_PROC && l)
		return 0; /* the table at a window's start: already known */
	if (q->kind == LIFE_FORK && l) {
		/* a new process under a pid still open: its exit was lost */
		*pp = l->next;
		ret = life_emit(L, l);
		free(l);
		if (ret)
			return ret;
		l = NULL;
		opened = 1;
		pp = life_find(L, host, q->pid);
	}
	if (!l) {
		if (!(l = calloc(1, sizeof(*l)))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(l->host, sizeof(l->host), "%s", host);
		l->pid = q->pid;
		l->next = *pp;
		*pp = l;
		if (q->has_start) {
			l->start_ts = q->start_ts;
			l->has_start = 1;
		}
		if (q->kind == LIFE_FORK) {
			/* a child is where its parent is until it execs */
			struct life *parent = *life_find(L, l->host, q->ppid);
			if (parent) {
				memcpy(l->container, parent->container, sizeof(l->container));
				memcpy(l->pod_uid, parent->pod_uid, sizeof(l->pod_uid));
				memcpy(l->pod, parent->pod, sizeof(l->pod));
				memcpy(l->ns, parent->ns, sizeof(l->ns));
			}
		}
	}
	copy_text(l->comm, sizeof(l->comm), q->text[T_COMM]);
	/* an exit keeps the parent and ids seen before it, unless it opened the row */
	if (q->kind != LIFE_EXIT || opened) {
		l->ppid = q->ppid;
		l->uid = q->uid;
		l->gid = q->gid;
		copy_text(l->exe, sizeof(l->exe), q->text[T_EXE]);
		copy_text(l->argv, sizeof(l->argv), q->text[T_ARGV]);
	}
	if (q->kind == LIFE_PROC || q->kind == LIFE_EXEC) {
		/* NULL in a 1.0 archive: nothing known, nothing kept */
		l->container[0] = l->pod_uid[0] = l->pod[0] = l->ns[0] = '\0';
		copy_text(l->container, sizeof(l->container), q->text[T_CONTAINER]);
		copy_text(l->pod_uid, sizeof(l->pod_uid), q->text[T_POD_UID]);
		copy_text(l->pod, sizeof(l->pod), q->text[T_POD]);
		copy_text(l->ns, sizeof(l->ns), q->text[T_NS]);
	}
	if (q->kind == LIFE_EXIT) {
		l->exit_ts = q->ts;
		l->has_exit = 1;
		l->exit_code = q->exit_code;
		l->exit_signal = q->exit_signal;
		l->has_code = 1;
		*pp = l->next;
		ret = life_emit(L, l);
		free(l);
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

/* A lifecycle table being read in (ts, rowid) order: through SQL (q) or from its store (cs). */
struct life_source {
	enum life_kind kind;
	sqlite3_stmt *q;
	struct colstore *cs;
	const uint32_t *order; /* a store not in ts order: its rows by (ts, row), the store's */
	uint64_t next, n;
	int col[T_N], col_ts, col_pid, col_ppid, col_uid, col_gid, col_start, col_code, col_signal, col_filename;
	int live;
	struct life_row row;
};

/* The SQL column of field NAME of a store's kind (1 + its index), -1 when it has none. */
static int field_col(const struct colstore *cs, const char *name)
{
	const struct fr_kind_desc *k = colstore_kind(cs);

	for (unsigned i = 0; i < k->nfields; i++)
		if (!strcmp(k->fields[i].name, name))
			return (int)i + 1;
	return -1;
}

static const char *store_text(const struct colstore *cs, uint64_t row, int col)
{
	size_t n;

	if (col < 0 || colstore_is_null(cs, row, (unsigned)col))
		return NULL;
	return colstore_text(cs, row, (unsigned)col, &n);
}

static int64_t store_int(const struct colstore *cs, uint64_t row, int col)
{
	if (col < 0 || colstore_is_null(cs, row, (unsigned)col))
		return 0; /* as sqlite3_column_int64 reads a NULL */
	return colstore_int(cs, row, (unsigned)col);
}

/* The next row of a store source into s->row; s->live 0 past the last. */
static void store_next(struct life_source *s)
{
	const struct colstore *cs = s->cs;
	struct life_row *q = &s->row;
	uint64_t r;

	if (!(s->live = s->next < s->n))
		return;
	r = s->order ? s->order[s->next] : s->next;
	s->next++;
	q->host = store_text(cs, r, 0);
	q->ts = store_int(cs, r, s->col_ts);
	q->pid = store_int(cs, r, s->col_pid);
	q->ppid = store_int(cs, r, s->col_ppid);
	q->uid = store_int(cs, r, s->col_uid);
	q->gid = store_int(cs, r, s->col_gid);
	for (int t = 0; t < T_N; t++)
		q->text[t] = store_text(cs, r, s->col[t]);
	if (s->kind == LIFE_EXEC && (!q->text[T_EXE] || !q->text[T_EXE][0]))
		q->text[T_EXE] = store_text(cs, r, s->col_filename); /* as the SQL source's CASE */
	q->has_start = 0;
	if (s->kind == LIFE_FORK) {
		q->has_start = 1;
		q->start_ts = q->ts;
	} else if (s->col_start >= 0 && !colstore_is_null(cs, r, (unsigned)s->col_start)) {
		q->has_start = 1;
		q->start_ts = colstore_int(cs, r, (unsigned)s->col_start);
	}
	q->exit_code = store_int(cs, r, s->col_code);
	q->exit_signal = store_int(cs, r, s->col_signal);
}

/* The next row of an SQL source into s->row; 0, or an SQLite error code. */
static int sql_next(struct life_source *s)
{
	sqlite3_stmt *q = s->q;
	struct life_row *row = &s->row;
	int rc = sqlite3_step(q);

	if (!(s->live = rc == SQLITE_ROW))
		return rc == SQLITE_DONE ? 0 : rc;
	row->host = (const char *)sqlite3_column_text(q, 0);
	row->ts = sqlite3_column_int64(q, 1);
	row->pid = sqlite3_column_int64(q, 2);
	row->ppid = sqlite3_column_int64(q, 3);
	row->uid = sqlite3_column_int64(q, 4);
	row->gid = sqlite3_column_int64(q, 5);
	for (int t = 0; t < T_N; t++)
		row->text[t] = (const char *)sqlite3_column_text(q, 6 + t);
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
 * Open the source of lifecycle table T.  From its store: columns found by
 * name.  Through SQL, in time order, ties in rowid order (as its ts index
 * has them): by rowid when its rows went in in time order, which needs
 * neither the index nor a sort; else through the ts index, created here
 * (the first query on ts would make it anyway).  0, or -1.
 */
static int source_open(struct replay *r, enum life_kind kind, struct life_source *s)
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
		return colstore_ts_ordered(s->cs) || colstore_ts_order(s->cs, &s->order) == 0 ? 0 : -1;
	}
	if (!r->in_ts_order[t->kind]) {
		snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS %s_ts ON %s(ts)", t->table, t->table);
		if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	}
	snprintf(sql, sizeof(sql), "%s FROM %s ORDER BY %s", t->select, t->table, r->in_ts_order[t->kind] ? "rowid" : "ts");
	return sqlite3_prepare_v2(r->db, sql, -1, &s->q, NULL) == SQLITE_OK ? 0 : -1;
}

int processes_rebuild(struct replay *r, char *err, size_t errlen)
{
	struct lives *L = calloc(1, sizeof(*L));
	struct life_source src[NLIFECYCLE] = { 0 };
	int ret = 0;

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
		if (source_open(r, (enum life_kind)i, &src[i])) {
			snprintf(err, errlen, "cannot rebuild processes: %s",
				 src[i].cs ? "out of memory" : sqlite3_errmsg(r->db));
			ret = -1;
			goto out;
		}
	}
	sqlite3_exec(r->db, "BEGIN; DELETE FROM processes", NULL, NULL, NULL);
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
		ret = life_apply(L, &src[next].row, err, errlen);
		if (!ret)
			ret = source_next(&src[next]);
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
	for (size_t i = 0; i < NLIFECYCLE; i++) {
		sqlite3_finalize(src[i].q);
	}
	sqlite3_finalize(L->ins);
	free(L);
	return ret;
}
