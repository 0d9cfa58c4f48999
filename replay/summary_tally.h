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

/*
 * .summary's four syscalls sections counted in C: from the store of
 * `syscalls` (summary_cols.c) and while a load inserts into a --db FILE
 * (summary_cache.c).  What dot.h's BY_DESIGN_SQL and WOULD_BLOCK_SQL test
 * of a call, from flags of its texts: an empty error is NULL (success),
 * as the table has it.
 */
enum summary_call_flag {
	SUMMARY_BY_DESIGN = 1,  /* fd_kind: pipe or tty */
	SUMMARY_ERROR = 2,      /* error: not empty */
	SUMMARY_INPROGRESS = 4, /* error: EINPROGRESS */
	SUMMARY_AGAIN = 8,      /* error: EAGAIN or EWOULDBLOCK */
	SUMMARY_CONNECT = 16,   /* name: connect */
	SUMMARY_NONBLOCK = 32,  /* name: a call that EAGAIN means would have waited */
};
enum summary_call_column { SUMMARY_NAME, SUMMARY_ERROR_TEXT, SUMMARY_FD_KIND };
/* The flags of TEXT, a value of COLUMN. */
unsigned summary_call_flags(enum summary_call_column column, const char *text);
/*
 * The section a call goes to by its flags (NAME_NULL: its name is NULL):
 * SUMMARY_FAILED, SUMMARY_WOULD_BLOCK, or -1 for neither (it succeeded,
 * or SQL's test is NULL).
 */
enum { SUMMARY_FAILED = 0, SUMMARY_WOULD_BLOCK = 1 };
int summary_call_section(int name_null, unsigned name_flags, unsigned error_flags);

/* The slowest calls of a section, by ORDER BY latency_ns DESC, rowid. */
#define SUMMARY_SLOWEST 5
struct summary_slow {
	int64_t rowid, latency;
	int null;   /* latency NULL: after every value */
	int64_t ts; /* carried along (a --db FILE checks its rows by it) */
};
/* Call C into TOP (*N of SUMMARY_SLOWEST kept) when it is among the slowest. */
void summary_slow_add(struct summary_slow *top, unsigned *n, const struct summary_slow *c);

/*
 * The slots of a tally's (name, error) groups, open addressing: slot[i]
 * is a group's index + 1, 0 empty; a group's first slot is its hash, its
 * others the ones after (summary_slots_next).  The two tallies key their
 * groups differently (a store's text numbers; the texts of a --db load,
 * which has no dictionary), so each hashes and compares its own.
 */
struct summary_slots {
	uint32_t *slot;
	size_t n; /* a power of two */
};
/*
 * Room in S for one more of its N groups: when they fill half of it,
 * twice the slots (FIRST the first time), each group put again by
 * HASH(K, ARG) of its index K.  0, or -1 when out of memory (S as it was).
 */
int summary_slots_room(struct summary_slots *s, size_t n, size_t first, uint32_t (*hash)(size_t k, const void *arg),
		       const void *arg);
static inline size_t summary_slots_next(const struct summary_slots *s, size_t i)
{
	return (i + 1) & (s->n - 1);
}

#endif
