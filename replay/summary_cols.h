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

#endif
