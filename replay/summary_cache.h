/*
 * summary_cache.h - the counts of .summary kept in a --db FILE, in the
 * table summary_counts: made at load, dropped by triggers on any change
 * to the tables they count (replay/summary_cache.c says how and why).
 */
#ifndef FR_REPLAY_SUMMARY_CACHE_H
#define FR_REPLAY_SUMMARY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "flightrec.h"
#include "summary_tally.h"

struct replay;
struct summary_calls_kept;

/* What a session knows of the counts of its FILE (in struct replay). */
struct summary_keep {
	int file;       /* the database is a --db FILE: the counts are kept */
	int fresh;      /* made by this session: every table was empty */
	int unguarded;  /* the rows deleted and the triggers dropped for this session's load */
	int trust_added; /* no trigger but the cache's and schema/'s: a table changed only by the load's INSERTs */
	int64_t before[FR_KIND_MAX]; /* per kind, its count before the load; -1: not known */
	int64_t added[FR_KIND_MAX];  /* per kind, rows the load added (net) */
	struct summary_procs procs;  /* tallied while `processes` was rebuilt */
	struct summary_failures failures; /* kept while it was rebuilt, with procs */
	int procs_tallied;
	struct summary_calls_kept *calls; /* the syscalls sections, counted while the load inserts (summary_calls_kept.c) */
};

/* The rows of summary_counts: per kind its count(*) (-1: no row), and the processes section's. */
struct summary_cached {
	int64_t records[FR_KIND_MAX];
	struct summary_procs procs;
	int has_procs;
	struct summary_failures failures; /* the failures section's rows, when has_failures */
	int has_failures;
};

/*
 * Before a session's first load into its FILE: note what the rows held
 * while true, delete them, drop the triggers.  0, or -1 with ERR.
 */
int summary_cache_unguard(struct replay *r, char *err, size_t errlen);
/* N rows of TABLE deleted by the load itself (duplicate stacks). */
void summary_cache_deleted(struct replay *r, const char *table, int64_t n);
/*
 * Where processes_rebuild() tallies `processes` for the cache (emptied),
 * NULL when none is kept: no load into a FILE, or a window start that is
 * not an integer (SQL would compare start_ts with it as such).
 */
struct summary_procs *summary_cache_tally(struct replay *r);
/*
 * 1 when each of the failures F is still at its rowid in `processes`, with
 * its pid and exit_ts (a VACUUM may renumber rows without a trigger).
 */
int summary_cache_failures_true(struct replay *r, const struct summary_failures *f);
/*
 * After the load, `processes` and stacks: the triggers made, then the rows
 * written.  0 (also when no cache is kept), or -1 with ERR.
 */
int summary_cache_write(struct replay *r, char *err, size_t errlen);
/*
 * Into *C, the rows of the FILE's summary_counts: 1 when they are true
 * (every trigger there as made), 0 when .summary must count by SQL.
 */
int summary_cache_read(struct replay *r, struct summary_cached *c);

#endif
