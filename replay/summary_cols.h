/*
 * summary_cols.h - the counts of .summary taken from the column stores
 * (replay/colstore.c) of a session without --db FILE.
 */
#ifndef FR_REPLAY_SUMMARY_COLS_H
#define FR_REPLAY_SUMMARY_COLS_H

#include <stddef.h>
#include <stdint.h>

struct replay;

/*
 * 1 with *ROWS, count(*) of TABLE, when TABLE is served from columns (its
 * store's row count: such a table filters nothing); 0 when it is SQLite's.
 */
int summary_cols_rows(const struct replay *r, const char *table, int64_t *rows);
/*
 * Into SQL (LEN bytes): the processes section's query, its five values
 * computed from the store of `processes` and written as constants, when
 * `processes` is served from columns: 1.  0 when it is SQLite's table.
 */
int summary_cols_processes(struct replay *r, const char *window_start_sql, char *sql, size_t len);
/*
 * When `syscalls` is served from columns: 1, with into ROWIDS (LEN bytes)
 * the rowids, comma-separated, of the 5 slowest calls by ORDER BY
 * latency_ns DESC, rowid among those that waited on a pipe or a terminal
 * (BY_DESIGN, dot.h's BY_DESIGN_SQL) or the others, and in *N how many
 * such calls there are (at most 5).  0 when it is SQLite's table, or out
 * of memory: SQL answers.
 */
int summary_cols_slowest(struct replay *r, int by_design, char *rowids, size_t len, unsigned *n);
/*
 * When `syscalls` is served from columns: 1, with into SQL (LEN bytes) a
 * query of constants that returns what "SELECT name, error,
 * sum(coalesce(count, 1)) AS calls FROM syscalls WHERE COND GROUP BY name,
 * error ORDER BY calls DESC, name, error LIMIT 10" does, COND being that
 * the call failed and would have waited (WOULD_BLOCK, dot.h's
 * WOULD_BLOCK_SQL) or failed otherwise; *N the number of groups (0: no
 * such call).  0 as summary_cols_slowest.
 */
int summary_cols_by_error(struct replay *r, int would_block, char *sql, size_t len, unsigned *n);
/* Free what the two above keep in R between calls (replay_close). */
void summary_cols_free(struct replay *r);

#endif
