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
	const struct fr_kind_desc *k = colstore_kind(cs);

	for (unsigned i = 0; i < k->nfields; i++)
		if (!strcmp(k->fields[i].name, name))
			return (int)i + 1;
	return -1;
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
