/*
 * summary_cols.c - the counts of .summary taken from the column stores
 * of a session without --db FILE, rather than by SQL reading every row.
 *
 * SQLite hands no aggregate to a virtual table: count(*) of a table served
 * from columns stepped through each of its rows (0.1 s per 10M), and the
 * processes section's count and sums read four columns of every lifetime
 * through SQL (1.3 s for 10M, issue 17).  A store knows its row count, and
 * reads a column in bulk at ~1 ns a value (colstore_read).  The values go
 * into the section's query as constants, so that it prints exactly what
 * the SQL over the table would: the same names, types and NULLs (sum() of
 * no value is NULL, count() is 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colstore.h"
#include "db.h"
#include "summary_cols.h"
#include "summary_tally.h"

int summary_cols_rows(const struct replay *r, const char *table, int64_t *rows)
{
	for (unsigned i = 0; i < fr_nkinds; i++) {
		const struct colstore *cs = r->columns[fr_kinds[i].id];
		if (cs && !strcmp(fr_kinds[i].table, table)) {
			*rows = (int64_t)colstore_rows(cs);
			return 1;
		}
	}
	return 0;
}

/* The column of field NAME of `processes`' store, -1 when it has none. */
static int column_of(const struct colstore *cs, const char *name)
{
	int i = fr_field_index(colstore_kind(cs), name);

	return i < 0 ? -1 : i + 1;
}

#define BLOCK 4096

int summary_cols_processes(struct replay *r, const char *window_start_sql, char *sql, size_t len)
{
	const struct colstore *cs = r->processes;
	enum { START, EXIT, CODE, SIGNAL, NCOLS };
	static const char *const names[NCOLS] = { "start_ts", "exit_ts", "exit_code", "exit_signal" };
	int col[NCOLS];
	int64_t v[NCOLS][BLOCK];
	uint8_t null[NCOLS][BLOCK];
	struct summary_procs p = { 0 };
	uint64_t rows;

	if (!cs)
		return 0;
	for (int i = 0; i < NCOLS; i++)
		if ((col[i] = column_of(cs, names[i])) < 0)
			return 0; /* not the table .summary asks about: the SQL answers */
	p.window_start = replay_scalar(r, window_start_sql);
	rows = colstore_rows(cs);
	for (uint64_t first = 0; first < rows; first += BLOCK) {
		size_t n = rows - first < BLOCK ? (size_t)(rows - first) : BLOCK;
		for (int i = 0; i < NCOLS; i++)
			colstore_read(cs, (unsigned)col[i], first, n, v[i], null[i]);
		for (size_t k = 0; k < n; k++)
			summary_procs_add(&p, null[START][k] ? NULL : &v[START][k], null[EXIT][k] ? NULL : &v[EXIT][k],
					  null[CODE][k] ? NULL : &v[CODE][k], null[SIGNAL][k] ? NULL : &v[SIGNAL][k]);
	}
	summary_procs_sql(&p, sql, len);
	return 1;
}

/*
 * The four syscalls sections: the slowest calls apart from waits on pipes
 * and terminals, those waits, the failed calls and the calls that would
 * have waited, by name and error.  Through SQL each stepped every row of
 * `syscalls` (7.7 s on a real 30M-record archive, issue 17); here one
 * read of five columns counts all four, kept until the store has more
 * rows (INSERT only appends).  The tests that SQL makes are those of
 * dot.h's BY_DESIGN_SQL and WOULD_BLOCK_SQL, in their three-valued logic,
 * on the column as the table serves it: an empty error is NULL (vtab.c).
 */
#define GROUPS 10

/* A (name, error) group; NO_TEXT for a NULL name. */
#define NO_TEXT UINT32_MAX
struct call_group {
	uint32_t name, error;
	int64_t calls;
};

struct call_groups {
	struct call_group *g;
	size_t n, cap;
	struct summary_slots slots;
};

struct summary_calls {
	uint64_t rows; /* the store's rows when counted */
	struct summary_slow slow[2][SUMMARY_SLOWEST]; /* [by design] */
	unsigned nslow[2];
	struct call_groups groups[2]; /* [SUMMARY_FAILED, SUMMARY_WOULD_BLOCK], in the order printed once counted */
};

static uint32_t group_hash(uint32_t name, uint32_t error)
{
	return (name * 2654435761u) ^ (error * 2246822519u);
}

/* The hash of group K of the call_groups ARG. */
static uint32_t group_hash_of(size_t k, const void *arg)
{
	const struct call_group *g = &((const struct call_groups *)arg)->g[k];

	return group_hash(g->name, g->error);
}

/* CALLS more calls of (NAME, ERROR) in GS; -1 when out of memory. */
static int group_add(struct call_groups *gs, uint32_t name, uint32_t error, int64_t calls)
{
	size_t i;

	if (summary_slots_room(&gs->slots, gs->n, 256, group_hash_of, gs))
		return -1;
	for (i = group_hash(name, error) & (gs->slots.n - 1); gs->slots.slot[i]; i = summary_slots_next(&gs->slots, i)) {
		struct call_group *g = &gs->g[gs->slots.slot[i] - 1];
		if (g->name == name && g->error == error) {
			g->calls += calls;
			return 0;
		}
	}
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? gs->cap * 2 : 64;
		struct call_group *g = realloc(gs->g, cap * sizeof(*g));
		if (!g)
			return -1;
		gs->g = g;
		gs->cap = cap;
	}
	gs->g[gs->n] = (struct call_group){ name, error, calls };
	gs->slots.slot[i] = (uint32_t)++gs->n;
	return 0;
}

static void calls_free(struct summary_calls *t)
{
	if (!t)
		return;
	for (int i = 0; i < 2; i++) {
		free(t->groups[i].g);
		free(t->groups[i].slots.slot);
	}
	free(t);
}

void summary_cols_free(struct replay *r)
{
	calls_free(r->calls);
	r->calls = NULL;
}

/* The columns of `syscalls` the sections read. */
enum { C_NAME, C_ERROR, C_LATENCY, C_COUNT, C_FD_KIND, NCALLCOLS };
static const char *const call_columns[NCALLCOLS] = { "name", "error", "latency_ns", "count", "fd_kind" };

/* summary_call_flags of each text of column COL (C_*), by text number; NULL when out of memory. */
static uint8_t *text_flags(const struct colstore *cs, unsigned col, int which)
{
	static const enum summary_call_column column[NCALLCOLS] = {
		[C_NAME] = SUMMARY_NAME, [C_ERROR] = SUMMARY_ERROR_TEXT, [C_FD_KIND] = SUMMARY_FD_KIND
	};
	uint32_t n = colstore_texts(cs, col);
	uint8_t *f = calloc(n ? n : 1, 1);

	for (uint32_t id = 0; f && id < n; id++) {
		size_t len;
		f[id] = (uint8_t)summary_call_flags(column[which], colstore_text_of(cs, col, id, &len));
	}
	return f;
}

#define CALLS_BLOCK 2048

/*
 * Row ROW into T: item K of V and NULL, its values of the columns C_*
 * (colstore_read), F the flags of their texts.  -1 when out of memory.
 */
static int calls_add(struct summary_calls *t, uint64_t row, int64_t (*v)[CALLS_BLOCK], uint8_t (*null)[CALLS_BLOCK],
		     size_t k, uint8_t *const *f)
{
	int design = !null[C_FD_KIND][k] && (f[C_FD_KIND][v[C_FD_KIND][k]] & SUMMARY_BY_DESIGN);
	unsigned ef = null[C_ERROR][k] ? 0 : f[C_ERROR][v[C_ERROR][k]];
	uint32_t name = (uint32_t)v[C_NAME][k];
	int section;

	struct summary_slow c = { .rowid = (int64_t)row + 1, .latency = v[C_LATENCY][k], .null = null[C_LATENCY][k] };

	summary_slow_add(t->slow[design], &t->nslow[design], &c);
	if (!(ef & SUMMARY_ERROR))
		return 0;
	section = summary_call_section(null[C_NAME][k], null[C_NAME][k] ? 0 : f[C_NAME][name], ef);
	if (section < 0)
		return 0;
	return group_add(&t->groups[section], null[C_NAME][k] ? NO_TEXT : name, (uint32_t)v[C_ERROR][k],
			 null[C_COUNT][k] ? 1 : v[C_COUNT][k]);
}

/* SQLite's BINARY order of two texts of column COL, NO_TEXT (NULL) first. */
static int text_cmp(const struct colstore *cs, unsigned col, uint32_t a, uint32_t b)
{
	size_t la, lb;
	const char *ta, *tb;

	if (a == b)
		return 0;
	if (a == NO_TEXT || b == NO_TEXT)
		return a == NO_TEXT ? -1 : 1;
	ta = colstore_text_of(cs, col, a, &la);
	tb = colstore_text_of(cs, col, b, &lb);
	return strcmp(ta, tb);
}

/* ORDER BY calls DESC, name, error: CTX the store, and its name and error columns. */
struct group_order {
	const struct colstore *cs;
	unsigned name_col, error_col;
};

static int group_cmp(const void *a, const void *b, void *ctx)
{
	const struct call_group *x = a, *y = b;
	const struct group_order *o = ctx;
	int c;

	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	if ((c = text_cmp(o->cs, o->name_col, x->name, y->name)))
		return c;
	return text_cmp(o->cs, o->error_col, x->error, y->error);
}

/* The sections' counts of store CS (columns COL) into a new tally; NULL when out of memory. */
static struct summary_calls *calls_count(const struct colstore *cs, const int *col)
{
	struct summary_calls *t = calloc(1, sizeof(*t));
	int64_t(*v)[CALLS_BLOCK] = malloc(sizeof(int64_t[NCALLCOLS][CALLS_BLOCK]));
	uint8_t(*null)[CALLS_BLOCK] = malloc(sizeof(uint8_t[NCALLCOLS][CALLS_BLOCK]));
	uint8_t *f[NCALLCOLS] = { NULL };
	uint64_t rows = colstore_rows(cs);
	int ok = t && v && null;

	for (int i = 0; ok && i < NCALLCOLS; i++)
		if (colstore_col_is_text(cs, (unsigned)col[i]) && !(f[i] = text_flags(cs, (unsigned)col[i], i)))
			ok = 0;
	for (uint64_t first = 0; ok && first < rows; first += CALLS_BLOCK) {
		size_t n = rows - first < CALLS_BLOCK ? (size_t)(rows - first) : CALLS_BLOCK;
		for (int i = 0; i < NCALLCOLS; i++)
			colstore_read(cs, (unsigned)col[i], first, n, v[i], null[i]);
		for (size_t k = 0; ok && k < n; k++)
			ok = calls_add(t, first + k, v, null, k, f) == 0;
	}
	for (int i = 0; i < NCALLCOLS; i++)
		free(f[i]);
	free(v);
	free(null);
	if (!ok) {
		calls_free(t);
		return NULL;
	}
	t->rows = rows;
	for (int i = 0; i < 2; i++) {
		struct group_order o = { cs, (unsigned)col[C_NAME], (unsigned)col[C_ERROR] };
		if (t->groups[i].n > 1) /* none: no array, which qsort_r may not be given */
			qsort_r(t->groups[i].g, t->groups[i].n, sizeof(struct call_group), group_cmp, &o);
	}
	return t;
}

/*
 * The tally of the syscalls store, counted when there is none or the
 * store has more rows since; NULL when `syscalls` is SQLite's table (or
 * out of memory: SQL then answers).  *CS and COL: the store and its columns.
 */
static const struct summary_calls *calls_tally(struct replay *r, const struct colstore **csp, int *col)
{
	const struct colstore *cs = r->columns[FR_KIND_syscall];

	if (!cs)
		return NULL;
	for (int i = 0; i < NCALLCOLS; i++)
		if ((col[i] = column_of(cs, call_columns[i])) < 0)
			return NULL;
	*csp = cs;
	if (r->calls && r->calls->rows == colstore_rows(cs))
		return r->calls;
	summary_cols_free(r);
	return r->calls = calls_count(cs, col);
}

int summary_cols_slowest(struct replay *r, int by_design, char *rowids, size_t len, unsigned *n)
{
	const struct colstore *cs;
	int col[NCALLCOLS];
	const struct summary_calls *t = calls_tally(r, &cs, col);
	size_t w = 0;

	if (!t)
		return 0;
	rowids[0] = 0;
	for (unsigned i = 0; i < t->nslow[by_design] && w < len; i++)
		w += (size_t)snprintf(rowids + w, len - w, "%s%lld", i ? ", " : "",
				      (long long)t->slow[by_design][i].rowid);
	*n = t->nslow[by_design];
	return w < len;
}

int summary_cols_by_error(struct replay *r, int would_block, char *sql, size_t len, unsigned *n)
{
	const struct colstore *cs;
	int col[NCALLCOLS];
	const struct summary_calls *t = calls_tally(r, &cs, col);
	const struct call_groups *gs;
	size_t w = 0;
	unsigned shown;

	if (!t)
		return 0;
	gs = &t->groups[would_block];
	shown = gs->n < GROUPS ? (unsigned)gs->n : GROUPS;
	*n = (unsigned)gs->n;
	if (!shown)
		return (size_t)snprintf(sql, len, "SELECT NULL AS name, NULL AS error, NULL AS calls WHERE 0") < len;
	w = (size_t)snprintf(sql, len, "SELECT name, error, calls FROM (");
	for (unsigned i = 0; i < shown && w < len; i++) {
		const struct call_group *g = &gs->g[i];
		size_t l;
		char *name = g->name == NO_TEXT ? NULL : (char *)colstore_text_of(cs, (unsigned)col[C_NAME], g->name, &l);
		char *error = (char *)colstore_text_of(cs, (unsigned)col[C_ERROR], g->error, &l);
		sqlite3_snprintf((int)(len - w), sql + w, "%sSELECT %u AS k, %Q AS name, %Q AS error, %lld AS calls",
				 i ? " UNION ALL " : "", i, name, error, (long long)g->calls);
		w += strlen(sql + w);
	}
	if (w < len)
		w += (size_t)snprintf(sql + w, len - w, ") ORDER BY k");
	return w < len - 1;
}
