/*
 * vtab.c - the SQLite module "flightrec_columns": a record table served
 * from its column store (colstore.h) instead of SQLite's B-tree, with the
 * same name, columns and types as the DDL of schema/records.def, so that
 * the SQL users write and the views of schema/views.sql are unchanged.
 *
 *   CREATE VIRTUAL TABLE syscalls USING flightrec_columns(syscall)
 *
 * The table is read-only and has no indexes; instead the planner is told
 * what the store can do without a scan (xBestIndex):
 *   - rowid = N: one row (rowid is the row's place in load order, plus 1);
 *   - pid = N: the rows of that pid, from an index made on first use;
 *   - ts ranges (=, <, <=, >, >=) and ORDER BY ts, either way: a store in
 *     ts order is cut by binary search; one that is not (archives of
 *     several hosts, rows that go back in time) is read through its rows
 *     sorted by (ts, rowid), made on first use, so that rows come in the
 *     order a ts index gives them, as with SQLite's tables; a range
 *     bounded both ways that meets few chunks (a .timeline of a second)
 *     is read from those chunks alone, sorted, until such slices have
 *     read as many rows as the order would (slice_budget);
 *   - ORDER BY rowid, either way, with no sort;
 *   - ORDER BY an integer column, either way (then rowid), LIMIT N, and
 *     no other condition: the first N from one read of the column
 *     (colstore_top; .slow), not a sort of every row.
 * The derived table `processes` (replay/processes.c) is served the same
 * way from a derived store, with the CREATE TABLE of schema/views.sql:
 * rowid = N, pid = N and ppid = N (an index each, made on first use: what
 * .tree, .follow and the naming of processes look up); it has no ts, but
 * ORDER BY exit_ts or start_ts, either way and with no constraint of
 * rowid, pid or ppid, is answered through an order of its rows on that
 * column (colstore_order, made on first use), as SQLite's table through
 * its indexes processes_exit and processes_start: .summary's last 20
 * failures read 20 rows, not a sort of every failed process.
 * No constraint is omitted: SQLite checks each again, so a bound that is
 * not an integer (a text, a real, NULL) only goes unused here.
 *
 * INSERT appends to the store (a session may add rows, as tests and
 * people do), for the values a record can hold: integers that fit their
 * field, texts that fit theirs, NULL in trailing fields or a TS field
 * (read back as NULL as a record's would be).  Anything else, UPDATE and
 * DELETE are refused with a message naming the way out: SQLite's own
 * tables (--db FILE or FLIGHTREC_REPLAY_INDEX_ALL=1).  Rows a failing
 * multi-row INSERT appended before its failure stay.  `processes` takes
 * no change at all: it is made from the lifecycle tables.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colstore.h"
#include "db.h"
#include "ddl.h"
#include "threads.h"
#include "vtab.h"

enum plan {
	PLAN_ROWID = 1,  /* argv: the rowid */
	PLAN_PID = 2,    /* argv: the pid */
	PLAN_TS_LO = 4,  /* argv: the lower bound of ts */
	PLAN_TS_HI = 8,  /* argv: the upper bound of ts */
	PLAN_TS_EQ = 16, /* argv: ts itself, both bounds */
	PLAN_LO_STRICT = 32,
	PLAN_HI_STRICT = 64,
	PLAN_DESC = 128, /* rows backwards: ORDER BY ... DESC consumed */
	PLAN_BY_TS = 256, /* a store not in ts order read through its ts order (colstore_ts_order) */
	PLAN_PPID = 512, /* argv: the ppid */
	PLAN_BY_COL = 1024, /* rows through the order of column idxNum >> PLAN_COL_SHIFT (colstore_order) */
	PLAN_TOP = 2048,    /* argv: N; the first N rows by column idxNum >> PLAN_COL_SHIFT, then rowid (colstore_top) */
	PLAN_TOP_DESC = 4096, /* PLAN_TOP, largest first */
};
#define PLAN_COL_SHIFT 16

struct columns_vtab {
	sqlite3_vtab base;
	struct replay *r;
	struct colstore *cs;
	int ts_col;         /* column of ts (1), -1 in a derived store */
	int pid_col;        /* column of the pid field, -1 when the kind has none */
	int ppid_col;       /* column of ppid when it is looked up (processes), else -1 */
	int order_col[2];   /* columns read in their order (processes: exit_ts, start_ts), else -1 */
	int empty_null_col; /* a text column whose '' reads as NULL, -1 when none */
	uint64_t sliced;    /* rows read by ts slices (colstore_ts_slice) in place of the ts order */
};

struct columns_cursor {
	sqlite3_vtab_cursor base;
	struct colstore *cs;
	int desc;
	int has_lo, has_hi;
	int64_t lo, hi;       /* inclusive bounds of ts */
	const uint32_t *list; /* list mode: these rows; else rows begin..end-1 */
	uint32_t *slice;      /* rows the cursor owns, when list is them: a ts slice, a top N */
	uint32_t one;
	uint64_t begin, count, k; /* k: how many positions were passed */
	uint64_t row;
	int eof;
};

/*
 * views.sql's trigger syscalls_error_null makes a syscall's empty error
 * NULL as the row goes into the table ("error IS NULL" means success); a
 * virtual table has no triggers, so its column does it as it is read.
 */
static int empty_null_column(const struct fr_kind_desc *k)
{
	if (strcmp(k->table, "syscalls"))
		return -1;
	for (unsigned i = 0; i < k->nfields; i++)
		if (!strcmp(k->fields[i].name, "error"))
			return (int)i + 1;
	return -1;
}

/* The column of field NAME of K, -1 when it has none. */
static int field_column(const struct fr_kind_desc *k, const char *name)
{
	int i = fr_field_index(k, name);

	return i < 0 ? -1 : i + 1;
}

static int columns_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
			   char **err)
{
	struct replay *r = aux;
	int derived = argc == 4 && !strcmp(argv[3], processes_table.name);
	const struct fr_kind_desc *k = derived ? &processes_table : argc == 4 ? fr_kind_by_name(argv[3]) : NULL;
	struct colstore *cs = derived ? r->processes : k ? r->columns[k->id] : NULL;
	struct columns_vtab *t;
	char *ddl;
	int rc;

	if (!cs || (derived && !r->processes_sql)) {
		*err = sqlite3_mprintf("flightrec_columns: no column store for %s", argc == 4 ? argv[3] : "(none)");
		return SQLITE_ERROR;
	}
	if (!(ddl = derived ? strdup(r->processes_sql) : fr_schema_table_sql(k)))
		return SQLITE_NOMEM;
	rc = sqlite3_declare_vtab(db, ddl);
	free(ddl);
	if (rc != SQLITE_OK)
		return rc;
	if (!(t = sqlite3_malloc(sizeof(*t))))
		return SQLITE_NOMEM;
	memset(t, 0, sizeof(*t));
	t->r = r;
	t->cs = cs;
	t->ts_col = colstore_has_ts(cs) ? 1 : -1;
	t->pid_col = field_column(k, "pid");
	t->ppid_col = derived ? field_column(k, "ppid") : -1;
	t->order_col[0] = derived ? field_column(k, "exit_ts") : -1;
	t->order_col[1] = derived ? field_column(k, "start_ts") : -1;
	t->empty_null_col = empty_null_column(k);
	*out = &t->base;
	return SQLITE_OK;
}

static int columns_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

/* Note that the statement being planned may look T's column COL up (columns_make_wanted). */
static void want_lookup(struct columns_vtab *t, unsigned col)
{
	struct replay *r = t->r;

	for (unsigned i = 0; i < r->ncolumns_wanted; i++)
		if (r->columns_wanted[i].cs == t->cs && r->columns_wanted[i].col == col)
			return;
	if (r->ncolumns_wanted < sizeof(r->columns_wanted) / sizeof(r->columns_wanted[0]))
		r->columns_wanted[r->ncolumns_wanted++] = (struct column_want){ t->cs, col };
}

/*
 * ORDER BY an integer column, either way, then perhaps rowid, with a
 * LIMIT and nothing else (no constraint, no OFFSET: SQLite passes the
 * LIMIT only when no other condition may drop rows): the first N rows in
 * one read of the column (colstore_top), not a sort of every row.  A
 * table's ts keeps its own ways (by its order, or read backwards).
 */
static void top_n(struct columns_vtab *t, sqlite3_index_info *info, int *plan, int *arg)
{
	int limit = -1, col = info->nOrderBy ? info->aOrderBy[0].iColumn : -1;

	if (*plan || (info->nOrderBy != 1 && info->nOrderBy != 2) || col < 1 || col == t->ts_col ||
	    col == t->order_col[0] || col == t->order_col[1] || colstore_col_is_text(t->cs, (unsigned)col) ||
	    (info->nOrderBy == 2 && (info->aOrderBy[1].iColumn != -1 || info->aOrderBy[1].desc)))
		return;
	for (int i = 0; i < info->nConstraint; i++) {
		if (!info->aConstraint[i].usable)
			continue;
		if (info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_OFFSET)
			return;
		if (info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_LIMIT)
			limit = i;
		else
			return; /* a condition SQLite checks: rows past the first N may be the ones it keeps */
	}
	if (limit < 0)
		return;
	*plan = PLAN_TOP | col << PLAN_COL_SHIFT | (info->aOrderBy[0].desc ? PLAN_TOP_DESC : 0);
	info->aConstraintUsage[limit].argvIndex = ++*arg;
	info->orderByConsumed = 1;
	info->estimatedRows = 10;
	info->estimatedCost = (double)colstore_rows(t->cs) / 10 + 1; /* a column read, no sort */
}

static int columns_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	struct columns_vtab *t = (struct columns_vtab *)vt;
	double rows = (double)colstore_rows(t->cs) + 1;
	int rowid_eq = -1, pid_eq = -1, ppid_eq = -1, ts_eq = -1, ts_lo = -1, ts_hi = -1, plan = 0, arg = 0;

	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (!c->usable)
			continue;
		if (c->iColumn == -1 && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
			rowid_eq = i;
		} else if (c->iColumn == t->pid_col && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
			pid_eq = i;
		} else if (c->iColumn == t->ppid_col && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
			ppid_eq = i;
		} else if (t->ts_col > 0 && c->iColumn == t->ts_col) {
			if (c->op == SQLITE_INDEX_CONSTRAINT_EQ)
				ts_eq = i;
			else if (c->op == SQLITE_INDEX_CONSTRAINT_GT || c->op == SQLITE_INDEX_CONSTRAINT_GE)
				ts_lo = i;
			else if (c->op == SQLITE_INDEX_CONSTRAINT_LT || c->op == SQLITE_INDEX_CONSTRAINT_LE)
				ts_hi = i;
		}
	}
	if (rowid_eq >= 0) {
		plan = PLAN_ROWID;
		info->aConstraintUsage[rowid_eq].argvIndex = ++arg;
		info->estimatedCost = 1;
		info->estimatedRows = 1;
		info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
	} else {
		if (pid_eq >= 0 || ppid_eq >= 0)
			want_lookup(t, (unsigned)(pid_eq >= 0 ? t->pid_col : t->ppid_col));
		if (pid_eq >= 0) {
			plan |= PLAN_PID;
			info->aConstraintUsage[pid_eq].argvIndex = ++arg;
			rows = rows / 64 + 1;
		} else if (ppid_eq >= 0) {
			plan |= PLAN_PPID;
			info->aConstraintUsage[ppid_eq].argvIndex = ++arg;
			rows = rows / 16 + 1;
		}
		if (ts_eq >= 0) {
			plan |= PLAN_TS_EQ;
			info->aConstraintUsage[ts_eq].argvIndex = ++arg;
			rows = rows / 1000 + 1;
		} else {
			if (ts_lo >= 0) {
				plan |= PLAN_TS_LO;
				if (info->aConstraint[ts_lo].op == SQLITE_INDEX_CONSTRAINT_GT)
					plan |= PLAN_LO_STRICT;
				info->aConstraintUsage[ts_lo].argvIndex = ++arg;
				rows = rows / 4 + 1;
			}
			if (ts_hi >= 0) {
				plan |= PLAN_TS_HI;
				if (info->aConstraint[ts_hi].op == SQLITE_INDEX_CONSTRAINT_LT)
					plan |= PLAN_HI_STRICT;
				info->aConstraintUsage[ts_hi].argvIndex = ++arg;
				rows = rows / 4 + 1;
			}
		}
		info->estimatedRows = (sqlite3_int64)rows;
		info->estimatedCost = rows;
	}
	/* without rowid or pid, a store not in ts order answers a ts bound or ORDER BY ts through its ts order */
	int by_ts = 0;
	if (!(plan & (PLAN_ROWID | PLAN_PID | PLAN_PPID)) && t->ts_col == 1 && !colstore_ts_ordered(t->cs) &&
	    ((plan & (PLAN_TS_EQ | PLAN_TS_LO | PLAN_TS_HI)) || (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == 1))) {
		by_ts = 1;
		plan |= PLAN_BY_TS;
	}
	/* rows come in rowid order, which is ts order in a store in ts order, or in ts order */
	if (info->nOrderBy == 1 &&
	    ((info->aOrderBy[0].iColumn == -1 && !by_ts) ||
	     (t->ts_col > 0 && info->aOrderBy[0].iColumn == t->ts_col && (colstore_ts_ordered(t->cs) || by_ts)))) {
		info->orderByConsumed = 1;
		if (info->aOrderBy[0].desc)
			plan |= PLAN_DESC;
	}
	/* processes by exit_ts or start_ts, where SQLite's table would walk its index on the column */
	if (!(plan & (PLAN_ROWID | PLAN_PID | PLAN_PPID)) && info->nOrderBy == 1 && info->aOrderBy[0].iColumn >= 0 &&
	    (info->aOrderBy[0].iColumn == t->order_col[0] || info->aOrderBy[0].iColumn == t->order_col[1])) {
		plan |= PLAN_BY_COL | info->aOrderBy[0].iColumn << PLAN_COL_SHIFT;
		info->orderByConsumed = 1;
		if (info->aOrderBy[0].desc)
			plan |= PLAN_DESC;
	}
	top_n(t, info, &plan, &arg);
	info->idxNum = plan;
	return SQLITE_OK;
}

static int columns_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct columns_cursor *c = sqlite3_malloc(sizeof(*c));

	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->cs = ((struct columns_vtab *)vt)->cs;
	*out = &c->base;
	return SQLITE_OK;
}

static int columns_close(sqlite3_vtab_cursor *cur)
{
	free(((struct columns_cursor *)cur)->slice);
	sqlite3_free(cur);
	return SQLITE_OK;
}

/* V as an integer when it is one; else 0 and the bound goes unused (SQLite checks it). */
static int integer_arg(sqlite3_value *v, int64_t *out)
{
	if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER)
		return 0;
	*out = sqlite3_value_int64(v);
	return 1;
}

/* The row at position K of the cursor's rows, in its direction. */
static uint64_t row_at(const struct columns_cursor *c, uint64_t k)
{
	uint64_t i = c->desc ? c->count - 1 - k : k;

	return c->list ? c->list[i] : c->begin + i;
}

/* From position c->k on, the first row within the ts bounds; eof when none. */
static void settle(struct columns_cursor *c)
{
	for (; c->k < c->count; c->k++) {
		uint64_t row = row_at(c, c->k);
		int64_t ts, min, max;

		if (!c->has_lo && !c->has_hi)
			break;
		if (!c->list) {
			/* a whole chunk outside the bounds is passed at once */
			colstore_chunk_ts(c->cs, row, &min, &max);
			if ((c->has_lo && max < c->lo) || (c->has_hi && min > c->hi)) {
				uint64_t chunk_first = row & ~(COLSTORE_CHUNK_ROWS - 1);
				uint64_t rest = c->desc ? (chunk_first > c->begin ? row - chunk_first : row - c->begin)
						      : (row | (COLSTORE_CHUNK_ROWS - 1)) - row;
				c->k += rest; /* and the loop's ++ passes the chunk's last (first) row */
				continue;
			}
		}
		ts = colstore_int(c->cs, row, 1);
		if ((!c->has_lo || ts >= c->lo) && (!c->has_hi || ts <= c->hi))
			break;
	}
	c->eof = c->k >= c->count;
	if (!c->eof)
		c->row = row_at(c, c->k);
}

/*
 * The rows the next ts slice of T may read (colstore_ts_slice) rather
 * than make the store's ts order: an eighth of the store (at least four
 * chunks), and no more than the order would read (the whole store) in all
 * of T's slices so far.  A narrow slice (a .timeline of a second,
 * .around) reads a few chunks; a wide one, or the many slices of a join
 * on ts, pay once for the order instead, which all later ones use.
 */
static uint64_t slice_budget(const struct columns_vtab *t, uint64_t rows)
{
	uint64_t one = rows / 8 > 4 * COLSTORE_CHUNK_ROWS ? rows / 8 : 4 * COLSTORE_CHUNK_ROWS;
	uint64_t all = rows > 4 * COLSTORE_CHUNK_ROWS ? rows : 4 * COLSTORE_CHUNK_ROWS;
	uint64_t left = t->sliced < all ? all - t->sliced : 0;

	return one < left ? one : left;
}

static int columns_filter(sqlite3_vtab_cursor *cur, int plan, const char *idx, int argc, sqlite3_value **argv)
{
	struct columns_cursor *c = (struct columns_cursor *)cur;
	struct columns_vtab *t = (struct columns_vtab *)cur->pVtab;
	uint64_t rows = colstore_rows(c->cs);
	uint64_t read;
	int64_t v;
	int arg = 0, ret;

	(void)idx;
	(void)argc;
	c->desc = (plan & PLAN_DESC) != 0;
	c->has_lo = c->has_hi = 0;
	c->list = NULL;
	free(c->slice);
	c->slice = NULL;
	c->begin = 0;
	c->count = rows;
	c->k = 0;
	if (plan & PLAN_ROWID) {
		if (integer_arg(argv[arg++], &v)) {
			c->count = v >= 1 && (uint64_t)v <= rows;
			c->begin = (uint64_t)v - 1;
		}
	} else if (plan & (PLAN_PID | PLAN_PPID)) {
		/* a value no U32 column holds matches nothing (and is not an index's key) */
		if (integer_arg(argv[arg++], &v)) {
			size_t n = 0;
			c->list = &c->one; /* an empty list, until the index gives one */
			if (v >= 0 && v <= UINT32_MAX &&
			    colstore_rows_equal(c->cs, (unsigned)(plan & PLAN_PID ? t->pid_col : t->ppid_col), v, &c->list, &n))
				return SQLITE_NOMEM;
			c->count = n;
		}
	}
	if ((plan & PLAN_TS_EQ) && integer_arg(argv[arg++], &v)) {
		c->has_lo = c->has_hi = 1;
		c->lo = c->hi = v;
	}
	if ((plan & PLAN_TS_LO) && integer_arg(argv[arg++], &v) && !((plan & PLAN_LO_STRICT) && v == INT64_MAX)) {
		c->has_lo = 1;
		c->lo = (plan & PLAN_LO_STRICT) ? v + 1 : v;
	}
	if ((plan & PLAN_TS_HI) && integer_arg(argv[arg++], &v) && !((plan & PLAN_HI_STRICT) && v == INT64_MIN)) {
		c->has_hi = 1;
		c->hi = (plan & PLAN_HI_STRICT) ? v - 1 : v;
	}
	if (plan & PLAN_TOP) {
		/* LIMIT N: at most N; a negative N or one not an integer is none */
		uint64_t n = integer_arg(argv[arg++], &v) && v >= 0 ? (uint64_t)v : UINT64_MAX;
		if (colstore_top(c->cs, (unsigned)plan >> PLAN_COL_SHIFT, (plan & PLAN_TOP_DESC) != 0, n, &c->slice, &c->count))
			return SQLITE_NOMEM;
		c->list = c->slice;
	} else if (plan & PLAN_BY_COL) {
		if (colstore_order(c->cs, (unsigned)plan >> PLAN_COL_SHIFT, &c->list))
			return SQLITE_NOMEM;
	} else if (!c->list && (plan & PLAN_BY_TS) && c->has_lo && c->has_hi && !colstore_has_ts_order(c->cs) &&
		   (ret = colstore_ts_slice(c->cs, c->lo, c->hi, slice_budget(t, rows), &c->slice, &c->count, &read)) <= 0) {
		/* a slice of a store whose ts order is not made: its own rows, not the order of all of them */
		if (ret < 0)
			return SQLITE_NOMEM;
		t->sliced += read;
		c->list = c->slice;
	} else if (!c->list && !(plan & PLAN_ROWID) && (colstore_ts_ordered(c->cs) || (plan & PLAN_BY_TS))) {
		/* in ts order, or through it: the bounds cut the rows themselves */
		const uint32_t *order = NULL;
		if ((plan & PLAN_BY_TS) && colstore_ts_order(c->cs, &order))
			return SQLITE_NOMEM;
		uint64_t first = c->has_lo ? colstore_first_ts_at_least_in(c->cs, order, c->lo) : 0;
		uint64_t last = c->has_hi ? (c->hi == INT64_MAX ? rows : colstore_first_ts_at_least_in(c->cs, order, c->hi + 1))
					  : rows;
		c->begin = first;
		c->count = last > first ? last - first : 0;
		if (order) {
			c->list = order + first;
			c->begin = 0;
		}
	}
	settle(c);
	return SQLITE_OK;
}

static int columns_next(sqlite3_vtab_cursor *cur)
{
	struct columns_cursor *c = (struct columns_cursor *)cur;

	c->k++;
	settle(c);
	return SQLITE_OK;
}

static int columns_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct columns_cursor *)cur)->eof;
}

static int columns_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	struct columns_cursor *c = (struct columns_cursor *)cur;
	struct columns_vtab *t = (struct columns_vtab *)cur->pVtab;

	if (colstore_is_null(c->cs, c->row, (unsigned)col)) {
		sqlite3_result_null(ctx);
	} else if (colstore_col_is_text(c->cs, (unsigned)col)) {
		size_t n;
		const char *s = colstore_text(c->cs, c->row, (unsigned)col, &n);
		/* the store outlives the statement and takes no appends while it runs */
		if (n == 0 && col == t->empty_null_col)
			sqlite3_result_null(ctx);
		else
			sqlite3_result_text(ctx, s, (int)n, SQLITE_STATIC);
	} else {
		sqlite3_result_int64(ctx, colstore_int(c->cs, c->row, (unsigned)col));
	}
	return SQLITE_OK;
}

static int columns_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((struct columns_cursor *)cur)->row + 1;
	return SQLITE_OK;
}


/* Why T cannot take a change, in the vtab's error, and SQLITE_ERROR. */
static int refuse(struct columns_vtab *t, const char *why)
{
	sqlite3_free(t->base.zErrMsg);
	t->base.zErrMsg = sqlite3_mprintf("%s: %s in a table served from columns (--db FILE or FLIGHTREC_REPLAY_INDEX_ALL=1"
					  " keep SQLite's own tables)",
					  colstore_kind(t->cs)->table, why);
	return SQLITE_ERROR;
}

/* V into integer field F of REC; 0, or -1 when it is not an integer that the field holds. */
static int put_int(const struct fr_field *f, void *rec, sqlite3_value *v)
{
	char *p = (char *)rec + f->offset;
	int64_t x;

	if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER)
		return -1;
	x = sqlite3_value_int64(v);
	switch (f->type) {
	case FR_U8:
		if (x < 0 || x > UINT8_MAX)
			return -1;
		*(uint8_t *)p = (uint8_t)x;
		return 0;
	case FR_U16:
		if (x < 0 || x > UINT16_MAX)
			return -1;
		*(uint16_t *)p = (uint16_t)x;
		return 0;
	case FR_U32:
		if (x < 0 || x > UINT32_MAX)
			return -1;
		*(uint32_t *)p = (uint32_t)x;
		return 0;
	case FR_S32:
		if (x < INT32_MIN || x > INT32_MAX)
			return -1;
		*(int32_t *)p = (int32_t)x;
		return 0;
	default: /* TS, U64, S64: as fr_field_int reads them */
		*(int64_t *)p = x;
		return 0;
	}
}

/* V into text field F of REC; 0, or -1 when it does not fit. */
static int put_text(const struct fr_field *f, void *rec, sqlite3_value *v)
{
	const unsigned char *s = sqlite3_value_text(v);
	size_t n = (size_t)sqlite3_value_bytes(v);

	if (!s || memchr(s, '\0', n) || n > (f->type == FR_STRV ? f->size : f->size - 1u))
		return -1;
	memcpy((char *)rec + f->offset, s, n);
	if (f->type == FR_STRV)
		*(uint16_t *)((char *)rec + f->len_offset) = (uint16_t)n;
	return 0;
}

static int columns_update(sqlite3_vtab *vt, int argc, sqlite3_value **argv, sqlite3_int64 *rowid)
{
	struct columns_vtab *t = (struct columns_vtab *)vt;
	const struct fr_kind_desc *k = colstore_kind(t->cs);
	unsigned char rec[FR_RECORD_STRUCT_MAX];
	unsigned held = 0;
	const unsigned char *host;

	if (!colstore_has_ts(t->cs))
		return refuse(t, "no row can be added, deleted or changed"); /* it is made from the lifecycle tables */
	if (argc == 1 || sqlite3_value_type(argv[0]) != SQLITE_NULL)
		return refuse(t, "no row can be deleted or changed");
	if (argc != (int)k->nfields + 3)
		return refuse(t, "wrong number of columns");
	if (sqlite3_value_type(argv[1]) != SQLITE_NULL &&
	    sqlite3_value_int64(argv[1]) != (sqlite3_int64)colstore_rows(t->cs) + 1)
		return refuse(t, "a row goes after the last: no rowid but the next");
	if (!(host = sqlite3_value_text(argv[2])))
		return refuse(t, "host cannot be NULL");
	for (unsigned i = 0; i < k->nfields; i++)
		if (sqlite3_value_type(argv[3 + i]) != SQLITE_NULL)
			held = i + 1;
	memset(rec, 0, k->struct_size);
	for (unsigned i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];
		sqlite3_value *v = argv[3 + i];
		if (sqlite3_value_type(v) == SQLITE_NULL) {
			/* a TS of 0 and syscalls' empty error read as NULL */
			if (i < held && (f->type != FR_TS || i == 0) && (int)i + 1 != t->empty_null_col)
				return refuse(t, "a NULL only in a time or after the last value");
			continue;
		}
		if (fr_field_is_text(f) ? put_text(f, rec, v) : put_int(f, rec, v))
			return refuse(t, fr_field_is_text(f) ? "a text longer than its field (or not text)"
							      : "a value that is not an integer its field holds");
	}
	if (k->nfields && sqlite3_value_type(argv[3]) == SQLITE_NULL)
		return refuse(t, "ts cannot be NULL");
	if (colstore_append(t->cs, (const char *)host, held, rec))
		return SQLITE_NOMEM;
	*rowid = (sqlite3_int64)colstore_rows(t->cs);
	return SQLITE_OK;
}

static const sqlite3_module columns_module = {
	.iVersion = 0,
	.xCreate = columns_connect,
	.xConnect = columns_connect,
	.xBestIndex = columns_best_index,
	.xDisconnect = columns_disconnect,
	.xDestroy = columns_disconnect,
	.xOpen = columns_open,
	.xClose = columns_close,
	.xFilter = columns_filter,
	.xNext = columns_next,
	.xEof = columns_eof,
	.xColumn = columns_column,
	.xRowid = columns_rowid,
	.xUpdate = columns_update,
};

int columns_register(struct replay *r)
{
	return sqlite3_create_module_v2(r->db, "flightrec_columns", &columns_module, r, NULL);
}

int columns_serve(const struct fr_kind_desc *k)
{
	return strcmp(k->table, "stacks") && strcmp(k->table, "connections");
}

/*
 * `processes` from a derived store: its CREATE TABLE, as schema/views.sql
 * has it, kept for the virtual table to declare and .schema to show, once
 * its columns are checked against processes_table (so that the two cannot
 * drift apart silently).  0, or -1 with ERR.
 */
static int processes_create(struct replay *r, char *err, size_t errlen)
{
	const struct fr_kind_desc *p = &processes_table;
	sqlite3_stmt *s = NULL;
	unsigned ncols = 0;
	char *msg = NULL;
	int ret = -1;

	if (sqlite3_prepare_v2(r->db, "SELECT (SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1), name"
				      " FROM pragma_table_info(?1) ORDER BY cid", -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the table processes: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	sqlite3_bind_text(s, 1, p->table, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);
		const char *want = ncols == 0 ? "host" : ncols <= p->nfields ? p->fields[ncols - 1].name : "(none)";
		if (!name || strcmp(name, want)) {
			snprintf(err, errlen, "the table processes of the schema has column %s where replay/processes.c has %s",
				 name ? name : "(null)", want);
			goto out;
		}
		if (!ncols++ && !(r->processes_sql = strdup((const char *)sqlite3_column_text(s, 0)))) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	if (ncols != p->nfields + 1) {
		snprintf(err, errlen, "the table processes of the schema has %u columns where replay/processes.c has %u",
			 ncols, p->nfields + 1);
		goto out;
	}
	if (!(r->processes = colstore_new_derived(p))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (sqlite3_exec(r->db, "DROP TABLE processes; CREATE VIRTUAL TABLE processes USING flightrec_columns(processes)",
			 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create the column table processes: %s", msg);
		sqlite3_free(msg);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

int columns_create(struct replay *r, char *err, size_t errlen)
{
	char sql[256], *msg = NULL;

	if (columns_register(r) != SQLITE_OK) {
		snprintf(err, errlen, "cannot register the column tables: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	for (unsigned i = 0; i < fr_nkinds; i++) {
		const struct fr_kind_desc *k = &fr_kinds[i];
		if (!columns_serve(k))
			continue;
		if (!(r->columns[k->id] = colstore_new(k))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		/* the views name it and are resolved when used: dropping the table leaves them be */
		snprintf(sql, sizeof(sql), "DROP TABLE %s; CREATE VIRTUAL TABLE %s USING flightrec_columns(%s)", k->table,
			 k->table, k->name);
		if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "cannot create the column table %s: %s", k->table, msg);
			sqlite3_free(msg);
			return -1;
		}
	}
	return processes_create(r, err, errlen);
}

char *columns_table_sql(const struct replay *r, const char *table)
{
	if (table && r->processes && !strcmp(table, processes_table.table))
		return strdup(r->processes_sql);
	for (unsigned i = 0; table && i < fr_nkinds; i++)
		if (r->columns[fr_kinds[i].id] && !strcmp(fr_kinds[i].table, table))
			return fr_schema_table_sql(&fr_kinds[i]);
	return NULL;
}

int columns_serve_table(const struct replay *r, const char *table)
{
	if (r->processes && !strcmp(table, processes_table.table))
		return 1;
	for (unsigned i = 0; i < fr_nkinds; i++)
		if (r->columns[fr_kinds[i].id] && !strcmp(fr_kinds[i].table, table))
			return 1;
	return 0;
}

/* The lookups wanted, taken in turn by the threads of columns_make_wanted. */
struct wanted_work {
	struct replay *r;
	unsigned next;
	pthread_mutex_t lock;
};

static void *make_lookups(void *arg)
{
	struct wanted_work *w = arg;
	const uint32_t *rows;
	size_t n;

	for (;;) {
		unsigned i;
		pthread_mutex_lock(&w->lock);
		i = w->next++;
		pthread_mutex_unlock(&w->lock);
		if (i >= w->r->ncolumns_wanted)
			return NULL;
		/* two columns of one store at once are safe: each lookup is its column's alone */
		colstore_rows_equal(w->r->columns_wanted[i].cs, w->r->columns_wanted[i].col, 0, &rows, &n);
	}
}

void columns_make_wanted(struct replay *r)
{
	struct wanted_work w = { .r = r, .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t tid[REPLAY_THREADS_MAX];
	unsigned want = replay_threads(), started = 0;

	if (want > r->ncolumns_wanted)
		want = r->ncolumns_wanted;
	/* one lookup, or one thread: SQLite makes it on first use, as it reaches the table */
	for (; want > 1 && started < want - 1; started++)
		if (pthread_create(&tid[started], NULL, make_lookups, &w))
			break;
	if (started)
		make_lookups(&w);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	r->ncolumns_wanted = 0;
}
