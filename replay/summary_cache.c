/*
 * summary_cache.c - the counts of .summary kept in a --db FILE, so that
 * it reads a few rows where it read every row of the biggest tables: on
 * 30M records, count(*) of each lifecycle table and the processes
 * section's count and four sums over 10M lifetimes took 3.2 s (issue 17).
 *
 *   summary_counts(name, records, started, exited, failed, killed, failures)
 *     a row per record table: its count(*) in records; a row 'processes':
 *     the processes section's five values (summary_tally.h), and in
 *     failures the failures section's rows, "ROWID PID EXIT_TS" of each,
 *     latest first, space-separated: without them that section read every
 *     lifetime, through an index on exit_ts made for it (7.6 s on 10M).
 *
 * The table is replay-internal, not schema/'s: it holds nothing that was
 * recorded, only what this file's tables count, and only a --db FILE has
 * it (archives carry schema/'s DDL; without FILE the counts come from the
 * column stores, replay/summary_cols.c).
 *
 * Triggers keep it true in any SQLite client: an INSERT, UPDATE or DELETE
 * on a record table deletes that table's row; on processes or archives
 * (whose manifests start the window "started" counts from), the row
 * 'processes'.  UPDATE too: UPDATE OR REPLACE onto a taken rowid deletes
 * that row without a DELETE trigger.  A table dropped takes its triggers
 * with it, one renamed has them rewritten: the rows are read only while
 * every trigger is in sqlite_schema as made, else .summary counts by SQL,
 * as in a file made before this table.
 *
 * A trigger per inserted row would slow a load, and `processes` is
 * rebuilt whole: before a session's first load into the file the rows are
 * deleted, then the triggers dropped.  After it the triggers are made
 * first, then the rows: with no journal (loader.c), a failure half way
 * leaves a table not used or rows that are true.  A table's count is what
 * the file held before, from its row when that was true, plus what the
 * load added; else count(*).  `processes`' values are tallied while it is
 * rebuilt, and its latest failures kept.  A file made before the column
 * failures has none: that section reads `processes`.  The rows are named
 * by rowid, which a VACUUM may renumber: they are read only when each
 * still has the pid and exit_ts kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ddl.h"
#include "record.h"
#include "summary_cache.h"
#include "summary_calls_kept.h"

#define TABLE "summary_counts"
#define TABLE_SQL                                                                        \
	"CREATE TABLE " TABLE " (\n"                                                     \
	"\tname TEXT PRIMARY KEY, -- a record table, or processes\n"                     \
	"\trecords INTEGER NOT NULL, -- its count(*)\n"                                   \
	"\tstarted INTEGER, -- processes: sum(start_ts >= the window's start)\n"         \
	"\texited INTEGER, -- processes: count(exit_ts)\n"                               \
	"\tfailed INTEGER, -- processes: sum(exit_code > 0)\n"                           \
	"\tkilled INTEGER, -- processes: sum(exit_signal > 0)\n"                         \
	"\tfailures TEXT -- processes: the latest failures, ROWID PID EXIT_TS each\n"     \
	")"

static const char *const ops[] = { "insert", "update", "delete" };
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* The guarded tables: the record tables, then processes and archives. */
static unsigned nguarded(void)
{
	return fr_nkinds + 2;
}

/* Guarded table I; *ROW: the row of summary_counts a change to it makes untrue. */
static const char *guarded(unsigned i, const char **row)
{
	const char *t = i < fr_nkinds ? fr_kinds[i].table : i == fr_nkinds ? "processes" : "archives";

	*row = i <= fr_nkinds ? t : "processes";
	return t;
}

/* Trigger OP of guarded table I: its name into NAME (and its CREATE TRIGGER, as sqlite_schema keeps it, into SQL). */
static void trigger_sql(unsigned i, unsigned op, char *name, size_t nlen, char *sql, size_t slen)
{
	const char *row, *t = guarded(i, &row);

	snprintf(name, nlen, TABLE "_%s_%s", t, ops[op]);
	if (sql)
		snprintf(sql, slen, "CREATE TRIGGER %s AFTER %s ON %s BEGIN DELETE FROM " TABLE " WHERE name = '%s'; END",
			 name, op == 0 ? "INSERT" : op == 1 ? "UPDATE" : "DELETE", t, row);
}

static int kind_of_table(const char *table)
{
	for (unsigned i = 0; i < fr_nkinds; i++)
		if (!strcmp(fr_kinds[i].table, table))
			return (int)fr_kinds[i].id;
	return -1;
}

/* 1 when SQL (one statement) returns a row. */
static int any_row(struct replay *r, const char *sql, const char *arg)
{
	sqlite3_stmt *s;
	int found;

	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* The guarded table and the op of trigger NAME, when it is one of the cache's names: 1. */
static int trigger_of(const char *name, unsigned *table, unsigned *op)
{
	const char *t = name + sizeof(TABLE), *under = strrchr(name, '_');
	const char *row;

	if (strncmp(name, TABLE "_", sizeof(TABLE)) || under < t)
		return 0;
	for (*op = 0; *op < NOPS && strcmp(under + 1, ops[*op]); (*op)++)
		;
	for (*table = 0; *op < NOPS && *table < nguarded(); (*table)++) {
		const char *g = guarded(*table, &row);
		if ((size_t)(under - t) == strlen(g) && !strncmp(t, g, (size_t)(under - t)))
			return 1;
	}
	return 0;
}

/*
 * 1 when the triggers in the file are the cache's, each as made, and
 * *FOREIGN (when not NULL) set when any other trigger is not schema/'s.
 */
static int guards_intact(struct replay *r, int *foreign)
{
	sqlite3_stmt *s;
	char name[160], want[512], *schema = foreign ? fr_schema_sql() : NULL;
	unsigned seen = 0, table, op;
	int intact = 1;

	if (foreign)
		*foreign = !schema;
	if (sqlite3_prepare_v2(r->db, "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'", -1, &s, NULL) !=
	    SQLITE_OK) {
		free(schema);
		return 0;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(s, 0), *sql = (const char *)sqlite3_column_text(s, 1);

		if (!n || !sql)
			continue;
		if (trigger_of(n, &table, &op)) {
			trigger_sql(table, op, name, sizeof(name), want, sizeof(want));
			intact &= !strcmp(sql, want);
			seen++;
		} else if (!strncmp(n, TABLE "_", sizeof(TABLE))) {
			intact = 0; /* in the cache's names, not one it makes */
		} else if (foreign && schema && !strstr(schema, sql)) {
			/* schema/'s triggers change no row count (syscalls_error_null sets an empty error to NULL) */
			*foreign = 1;
		}
	}
	sqlite3_finalize(s);
	free(schema);
	return intact && seen == nguarded() * NOPS;
}

/* TEXT, "ROWID PID EXIT_TS" per failure, into *F: 1, or 0 when it is not a list of them. */
static int failures_parse(const char *text, struct summary_failures *f)
{
	int64_t v[3 * SUMMARY_FAILURES + 1];
	unsigned n = 0;
	char *end;

	memset(f, 0, sizeof(*f));
	for (; n < sizeof(v) / sizeof(v[0]); n++) {
		while (*text == ' ')
			text++;
		if (!*text)
			break;
		v[n] = strtoll(text, &end, 10);
		if (end == text || (*end && *end != ' '))
			return 0;
		text = end;
	}
	if (*text || n % 3 || n / 3 > SUMMARY_FAILURES)
		return 0;
	for (f->n = 0; f->n < n / 3; f->n++)
		f->row[f->n] = (struct summary_failure){ v[3 * f->n], v[3 * f->n + 1], v[3 * f->n + 2] };
	return 1;
}

int summary_cache_read(struct replay *r, struct summary_cached *c)
{
	sqlite3_stmt *s;
	int rc;

	for (unsigned i = 0; i < FR_KIND_MAX; i++)
		c->records[i] = -1;
	memset(&c->procs, 0, sizeof(c->procs));
	c->has_procs = c->has_failures = 0;
	if (!r->keep.file || !guards_intact(r, NULL))
		return 0;
	/* a file made before the table has none, or not this one: count by SQL; before the column failures, without */
	if (sqlite3_prepare_v2(r->db, "SELECT name, records, started, exited, failed, killed, failures FROM " TABLE, -1, &s,
			       NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(r->db, "SELECT name, records, started, exited, failed, killed FROM " TABLE, -1, &s,
			       NULL) != SQLITE_OK)
		return 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		int kind = name ? kind_of_table(name) : -1;

		if (kind >= 0) {
			c->records[kind] = sqlite3_column_int64(s, 1);
		} else if (name && !strcmp(name, "processes")) {
			struct summary_sum *sums[] = { &c->procs.started, NULL, &c->procs.failed, &c->procs.killed };
			c->procs.seen = sqlite3_column_int64(s, 1);
			c->procs.exited = sqlite3_column_int64(s, 3);
			for (int col = 2; col <= 5; col++) {
				if (!sums[col - 2])
					continue;
				sums[col - 2]->any = sqlite3_column_type(s, col) != SQLITE_NULL;
				sums[col - 2]->n = sqlite3_column_int64(s, col);
			}
			c->has_procs = 1;
			if (sqlite3_column_count(s) > 6 && sqlite3_column_type(s, 6) == SQLITE_TEXT)
				c->has_failures = failures_parse((const char *)sqlite3_column_text(s, 6), &c->failures);
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE;
}

/* Run SQL; 0, or -1 with ERR naming WHAT. */
static int run(struct replay *r, const char *sql, const char *what, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "cannot %s: %s", what, msg ? msg : sqlite3_errmsg(r->db));
	sqlite3_free(msg);
	return -1;
}

int summary_cache_unguard(struct replay *r, char *err, size_t errlen)
{
	struct summary_cached c;
	char name[160], sql[200];
	int foreign = 1, ret = 0;

	r->keep.unguarded = 1;
	for (unsigned i = 0; i < FR_KIND_MAX; i++) {
		r->keep.before[i] = r->keep.fresh ? 0 : -1;
		r->keep.added[i] = 0;
	}
	if (!r->keep.fresh && summary_cache_read(r, &c))
		memcpy(r->keep.before, c.records, sizeof(c.records));
	summary_calls_kept_free(r->keep.calls);
	r->keep.calls = summary_calls_kept_begin(r, r->keep.before[FR_KIND_syscall]);
	guards_intact(r, &foreign);
	r->keep.trust_added = !foreign;
	/* the rows first: with no journal, no row may outlive its triggers */
	if (any_row(r, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '" TABLE "'", NULL) &&
	    (ret = run(r, "DELETE FROM " TABLE, "empty the table " TABLE, err, errlen)))
		return ret;
	/* also when summary_counts was dropped by hand: its triggers would fail every INSERT of the load */
	sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
	for (unsigned i = 0; i < nguarded() && !ret; i++) {
		for (unsigned op = 0; op < NOPS && !ret; op++) {
			trigger_sql(i, op, name, sizeof(name), NULL, 0);
			snprintf(sql, sizeof(sql), "DROP TRIGGER IF EXISTS %s", name);
			ret = run(r, sql, "drop the triggers of " TABLE, err, errlen);
		}
	}
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	return ret;
}

void summary_cache_deleted(struct replay *r, const char *table, int64_t n)
{
	int kind = kind_of_table(table);

	if (kind >= 0)
		r->keep.added[kind] -= n;
}

struct summary_procs *summary_cache_tally(struct replay *r)
{
	sqlite3_stmt *s;
	int integer = 0;

	memset(&r->keep.procs, 0, sizeof(r->keep.procs));
	memset(&r->keep.failures, 0, sizeof(r->keep.failures));
	r->keep.procs_tallied = 0;
	if (!r->keep.unguarded)
		return NULL;
	if (sqlite3_prepare_v2(r->db, "SELECT " SUMMARY_WINDOW_START_SQL, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER) {
		r->keep.procs.window_start = sqlite3_column_int64(s, 0);
		integer = 1;
	}
	sqlite3_finalize(s);
	r->keep.procs_tallied = integer;
	return integer ? &r->keep.procs : NULL;
}

/* count(*) of TABLE into *N; 0, or -1 with ERR. */
static int count_rows(struct replay *r, const char *table, int64_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, errlen, "cannot count the rows of %s: %s", table, sqlite3_errmsg(r->db));
		sqlite3_finalize(s);
		return -1;
	}
	*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* F as "ROWID PID EXIT_TS" per failure into TEXT (LEN bytes): 1, or 0 when it does not fit. */
static int failures_text(const struct summary_failures *f, char *text, size_t len)
{
	size_t n = 0;

	text[0] = '\0';
	for (unsigned i = 0; i < f->n && n < len; i++)
		n += (size_t)snprintf(text + n, len - n, "%s%" PRId64 " %" PRId64 " %" PRId64, i ? " " : "", f->row[i].rowid,
				      f->row[i].pid, f->row[i].exit_ts);
	return n < len;
}

/* The rows of summary_counts, the triggers being there; 0, or -1 with ERR. */
static int write_rows(struct replay *r, char *err, size_t errlen)
{
	const struct summary_keep *k = &r->keep;
	char list[3 * SUMMARY_FAILURES * 24];
	sqlite3_stmt *s;
	int ret = 0;

	if (sqlite3_prepare_v2(r->db, "INSERT INTO " TABLE " VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot write " TABLE ": %s", sqlite3_errmsg(r->db));
		return -1;
	}
	for (unsigned i = 0; i < fr_nkinds && !ret; i++) {
		unsigned id = fr_kinds[i].id;
		int64_t n = k->before[id] + k->added[id];

		if ((k->before[id] < 0 || !k->trust_added) && (ret = count_rows(r, fr_kinds[i].table, &n, err, errlen)))
			break;
		sqlite3_bind_text(s, 1, fr_kinds[i].table, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, n);
		if (sqlite3_step(s) != SQLITE_DONE) {
			snprintf(err, errlen, "cannot write " TABLE ": %s", sqlite3_errmsg(r->db));
			ret = -1;
		}
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	if (!ret && k->procs_tallied) {
		const struct summary_sum *sums[] = { &k->procs.started, &k->procs.failed, &k->procs.killed };
		sqlite3_bind_text(s, 1, "processes", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, k->procs.seen);
		sqlite3_bind_int64(s, 4, k->procs.exited);
		for (int i = 0; i < 3; i++)
			if (sums[i]->any)
				sqlite3_bind_int64(s, i == 0 ? 3 : i + 4, sums[i]->n);
		if (!k->failures.unkept && failures_text(&k->failures, list, sizeof(list)))
			sqlite3_bind_text(s, 7, list, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			snprintf(err, errlen, "cannot write " TABLE ": %s", sqlite3_errmsg(r->db));
			ret = -1;
		}
	}
	sqlite3_finalize(s);
	return ret;
}

int summary_cache_write(struct replay *r, char *err, size_t errlen)
{
	char name[160], sql[512];
	const char *row;
	int ret;

	if (!r->keep.unguarded)
		return 0;
	/* a file without a table the triggers would name (made by an older build): no cache, .summary counts */
	for (unsigned i = 0; i < nguarded(); i++)
		if (!any_row(r, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", guarded(i, &row)))
			return 0;
	if (run(r, "BEGIN; DROP TABLE IF EXISTS " TABLE "; " TABLE_SQL, "make the table " TABLE, err, errlen))
		goto out;
	for (unsigned i = 0; i < nguarded(); i++) {
		for (unsigned op = 0; op < NOPS; op++) {
			trigger_sql(i, op, name, sizeof(name), sql, sizeof(sql));
			if (run(r, sql, "make the triggers of " TABLE, err, errlen))
				goto out;
		}
	}
	/* the syscalls sections before their row: true when it is there (no journal) */
	if (summary_calls_kept_write(r, r->keep.trust_added ? r->keep.calls : NULL, err, errlen))
		goto out;
	summary_calls_kept_free(r->keep.calls); /* a later load in this session does not add to it */
	r->keep.calls = NULL;
	ret = write_rows(r, err, errlen);
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	return ret;
out:
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	return -1;
}

int summary_cache_failures_true(struct replay *r, const struct summary_failures *f)
{
	sqlite3_stmt *s;
	unsigned found = 0;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT pid, exit_ts FROM processes WHERE rowid = ?", -1, &s, NULL) != SQLITE_OK)
		return 0;
	for (unsigned i = 0; i < f->n; i++) {
		sqlite3_bind_int64(s, 1, f->row[i].rowid);
		rc = sqlite3_step(s);
		found += rc == SQLITE_ROW && sqlite3_column_type(s, 1) == SQLITE_INTEGER &&
			 sqlite3_column_int64(s, 0) == f->row[i].pid && sqlite3_column_int64(s, 1) == f->row[i].exit_ts;
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return found == f->n;
}
