/*
 * summary_calls_kept.h - .summary's syscalls sections kept in a --db FILE
 * (the table summary_calls, replay/summary_calls_kept.c says how).
 */
#ifndef FR_REPLAY_SUMMARY_CALLS_KEPT_H
#define FR_REPLAY_SUMMARY_CALLS_KEPT_H

#include <stddef.h>
#include <stdint.h>

struct replay;
struct summary_calls_kept;

/*
 * Before a load into a FILE whose `syscalls` held BEFORE rows as its true
 * cache says (-1: not known): what the sections count, from the rows an
 * earlier load kept when BEFORE > 0.  NULL when nothing can be kept true
 * (BEFORE -1, no rows kept, out of memory).
 */
struct summary_calls_kept *summary_calls_kept_begin(struct replay *r, int64_t before);
/* A syscall record REC, inserted at ROWID (its fields from HELD on NULL), into T (NULL: none). */
void summary_calls_kept_add(struct summary_calls_kept *t, unsigned held, const void *rec, int64_t rowid);
/*
 * After the load, before summary_counts' rows: the table made again with
 * T's rows, or dropped when T is NULL or broken.  0, or -1 with ERR.
 */
int summary_calls_kept_write(struct replay *r, const struct summary_calls_kept *t, char *err, size_t errlen);
void summary_calls_kept_free(struct summary_calls_kept *t);

/*
 * The kept rows, while true (summary_counts' row for `syscalls` there):
 * as summary_cols_slowest and summary_cols_by_error (summary_cols.h), the
 * groups' query reading the table; 0 when not kept or not true.
 */
int summary_calls_kept_slowest(struct replay *r, int by_design, char *rowids, size_t len, unsigned *n);
int summary_calls_kept_by_error(struct replay *r, int would_block, char *sql, size_t len, unsigned *n);

#endif
