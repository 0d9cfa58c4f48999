/*
 * summary_tally.h - the values of .summary's processes section, counted
 * in C as its SQL counts them, and written back as that SQL's constants.
 * One definition for the two places that count them without SQL: the
 * store of `processes` (replay/summary_cols.c) and the rebuild of SQLite's
 * table into a --db FILE (replay/processes.c, kept by summary_cache.c).
 */
#ifndef FR_REPLAY_SUMMARY_TALLY_H
#define FR_REPLAY_SUMMARY_TALLY_H

#include <stddef.h>
#include <stdint.h>

/* The start of the window the processes section counts the processes started in. */
#define SUMMARY_WINDOW_START_SQL \
	"coalesce((SELECT min(json_extract(manifest, '$.window.start_ns')) FROM archives), 0)"

/* A sum() as SQL has it: NULL (ANY 0) when no row had a value. */
struct summary_sum {
	int64_t n;
	int any;
};

/*
 * count(*) AS seen, sum(start_ts >= WINDOW_START) AS started,
 * count(exit_ts) AS exited, sum(exit_code > 0) AS failed,
 * sum(exit_signal > 0) AS killed, over the rows of `processes`.
 */
struct summary_procs {
	int64_t window_start;
	int64_t seen, exited;
	struct summary_sum started, failed, killed;
};

/*
 * The failures section's rows: of the processes that failed (exit_code > 0
 * OR exit_signal > 0), the SUMMARY_FAILURES latest by exit_ts, ties the
 * last inserted first, as a backward read of the index on exit_ts gives
 * them; each by its rowid in `processes`, with its pid and exit_ts.
 */
#define SUMMARY_FAILURES 20
struct summary_failures {
	unsigned n;
	int unkept; /* a failure with no exit_ts (none, as `processes` is built): the rows are not known */
	struct summary_failure {
		int64_t rowid, pid, exit_ts;
	} row[SUMMARY_FAILURES]; /* latest first */
};

/* The row ROWID of `processes` into F, when it failed; a NULL pointer is SQL's NULL. */
void summary_failures_add(struct summary_failures *f, int64_t rowid, int64_t pid, const int64_t *exit_ts,
			  const int64_t *exit_code, const int64_t *exit_signal);

/* One row of `processes` into P; a NULL pointer is SQL's NULL. */
void summary_procs_add(struct summary_procs *p, const int64_t *start_ts, const int64_t *exit_ts,
		       const int64_t *exit_code, const int64_t *exit_signal);
/* P as the section's query of constants into SQL (LEN bytes): the same names, types and NULLs as its SQL. */
void summary_procs_sql(const struct summary_procs *p, char *sql, size_t len);

#endif
