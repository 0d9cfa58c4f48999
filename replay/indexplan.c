/*
 * indexplan.c - which of the indexes a statement's columns want
 * (replay/lazyindex.c) its plan would use were every index of the schema
 * made: those alone are worth making.
 *
 * The authorizer sees every column a statement reads, not why: a column
 * only shown (SELECT *, .procs' ended, .summary's argv) would make its
 * index as one it is searched by, and an index costs a sort of its whole
 * table (on 10M processes, 3 to 8 s each), for a plan that reads the
 * table once anyway.  So the statement is planned again on a copy of the
 * schema in memory, empty tables with every index made, and an index is
 * kept wanted when that plan searches it (a constraint, an IN, a join, a
 * min() or max()) or scans it for its order (ORDER BY, GROUP BY, DISTINCT:
 * without it the plan sorts in a temporary b-tree).  A scan of a covering
 * index for its narrower rows alone is not worth its making.
 *
 * SQLite plans without reading rows: with no sqlite_stat1 (ANALYZE) its
 * estimates are the same for an empty table as for a full one, so the
 * plan made here is the one the database would make with every index, and
 * the indexes kept are the ones it would read: a statement still never
 * runs slower than with every index made up front.  A statement the copy
 * cannot plan (a temporary or attached table, a module of the user's)
 * wants every index its columns want, as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ddl.h"
#include "record.h"

/* The main schema's version (it changes with every CREATE, DROP or ALTER); -1 when not read. */
static int schema_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA main.schema_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * The CREATE TABLE a virtual table of replay/vtab.c stands for (a table
 * served from columns is planned as the table it replaces, its own ts and
 * pid lookups as indexes), malloc'd; NULL for any other module.
 */
static char *table_of_columns(struct replay *r, const char *name, const char *sql)
{
	if (!strstr(sql, "flightrec_columns"))
		return NULL;
	if (!strcmp(name, "processes"))
		return r->processes_sql ? strdup(r->processes_sql) : NULL;
	for (unsigned i = 0; i < fr_nkinds; i++)
		if (!strcmp(fr_kinds[i].table, name))
			return fr_schema_table_sql(&fr_kinds[i]);
	return NULL;
}

/*
 * The copy of r->db's main schema, with every index of the schema made,
 * as of its version now: made again when the schema changed since.  An
 * object it cannot make is left out (a statement reading it is not
 * planned here).  NULL when no copy can be opened.
 */
static sqlite3 *plan_db(struct replay *r)
{
	int version = schema_version(r->db);
	sqlite3_stmt *s;
	char sql[256];

	if (r->plan_db && version == r->plan_version)
		return r->plan_db;
	sqlite3_close(r->plan_db);
	r->plan_db = NULL;
	if (sqlite3_open(":memory:", &r->plan_db) != SQLITE_OK || replay_register_functions(r->plan_db)) {
		sqlite3_close(r->plan_db);
		return r->plan_db = NULL;
	}
	/* tables first, as views and triggers name them; sqlite_ names are SQLite's own */
	if (sqlite3_prepare_v2(r->db,
			       "SELECT name, sql FROM main.sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
			       " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid",
			       -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(s, 0), *ddl = (const char *)sqlite3_column_text(s, 1);
			char *table;

			if (sqlite3_exec(r->plan_db, ddl, NULL, NULL, NULL) == SQLITE_OK || !(table = table_of_columns(r, name, ddl)))
				continue;
			sqlite3_exec(r->plan_db, table, NULL, NULL, NULL);
			free(table);
		}
	}
	sqlite3_finalize(s);
	for (unsigned i = 0; i < r->nindexes; i++) {
		const struct fr_index *ix = &r->indexes[i];
		snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS %s ON %s(%s)", ix->name, ix->table, ix->columns);
		sqlite3_exec(r->plan_db, sql, NULL, NULL, NULL);
	}
	r->plan_version = version;
	return r->plan_db;
}

void index_plan_synced(struct replay *r)
{
	if (r->plan_db)
		r->plan_version = schema_version(r->db);
}

/* The index a line of a query plan names, and how it is read. */
enum plan_use { PLAN_NONE, PLAN_SEARCH, PLAN_SCAN, PLAN_SCAN_COVERING };

/* How the plan line DETAIL reads index NAME. */
static enum plan_use plan_line_use(const char *detail, const char *name)
{
	const char *ix = strstr(detail, " INDEX ");
	size_t n = strlen(name);

	if (!ix || strncmp(ix + 7, name, n) || (ix[7 + n] != '\0' && ix[7 + n] != ' '))
		return PLAN_NONE;
	if (!strncmp(detail, "SEARCH ", 7))
		return PLAN_SEARCH;
	if (strncmp(detail, "SCAN ", 5))
		return PLAN_NONE;
	return strstr(detail, " USING COVERING INDEX ") ? PLAN_SCAN_COVERING : PLAN_SCAN;
}

/*
 * The query plan of SQL on DB: per index of r->indexes, into USE (when
 * not NULL), the most it is read by (SEARCH over SCAN); and the number of
 * sorts in temporary b-trees.  -1 when SQL cannot be planned there.
 */
static int plan(struct replay *r, sqlite3 *db, const char *sql, unsigned char *use)
{
	sqlite3_stmt *s;
	char *eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
	int sorts = 0, rc;

	if (!eqp)
		return -1;
	rc = sqlite3_prepare_v2(db, eqp, -1, &s, NULL);
	sqlite3_free(eqp);
	if (rc != SQLITE_OK)
		return -1;
	if (use)
		memset(use, PLAN_NONE, r->nindexes);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(s, 3);

		if (!detail)
			continue;
		if (strstr(detail, "TEMP B-TREE"))
			sorts++;
		for (unsigned i = 0; use && i < r->nindexes; i++) {
			enum plan_use u = r->index_state[i] == INDEX_WANTED ? plan_line_use(detail, r->indexes[i].name) : PLAN_NONE;
			if (u != PLAN_NONE && (use[i] == PLAN_NONE || u == PLAN_SEARCH))
				use[i] = (unsigned char)u;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? sorts : -1;
}

/* 1 when the plan of SQL sorts more without index I than with it (SORTS): I is scanned for its order. */
static int scanned_for_order(struct replay *r, sqlite3 *db, unsigned i, const char *sql, int sorts)
{
	char drop[160];
	int without;

	snprintf(drop, sizeof(drop), "SAVEPOINT plan; DROP INDEX %s", r->indexes[i].name);
	if (sqlite3_exec(db, drop, NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK TO plan; RELEASE plan", NULL, NULL, NULL);
		return 1;
	}
	without = plan(r, db, sql, NULL);
	sqlite3_exec(db, "ROLLBACK TO plan; RELEASE plan", NULL, NULL, NULL);
	return without < 0 || without > sorts;
}

void index_plan_narrow(struct replay *r, const char *sql)
{
	unsigned char use[FR_INDEX_MAX];
	sqlite3 *db = sql ? plan_db(r) : NULL;
	int sorts = db ? plan(r, db, sql, use) : -1;

	if (sorts < 0)
		return; /* not planned: every index wanted stays so */
	r->indexes_wanted = 0;
	for (unsigned i = 0; i < r->nindexes; i++) {
		if (r->index_state[i] != INDEX_WANTED)
			continue;
		if (use[i] == PLAN_NONE || (use[i] == PLAN_SCAN_COVERING && !scanned_for_order(r, db, i, sql, sorts)))
			r->index_state[i] = INDEX_NOT_WANTED;
		else
			r->indexes_wanted = 1;
	}
}

void index_plan_close(struct replay *r)
{
	sqlite3_close(r->plan_db);
	r->plan_db = NULL;
}
