/*
 * lazyindex.c - the schema's indexes (schema/ddl.c, fr_schema_index), made
 * the first time a statement reads the column they start with, not after
 * every load.
 *
 * Indexing every table after the load was a fifth to two thirds of the
 * time to a first answer, and most sessions read a few tables.  An
 * authorizer, installed once the load is done, sees each column every
 * statement reads while SQLite prepares it; replay_prepare() then makes
 * the indexes those columns want and prepares the statement again, so that
 * the planner sees them.  Of those, only the ones the statement's plan
 * would read with every index made are made (replay/indexplan.c): a
 * column only shown (SELECT *) makes none, and a statement never runs
 * slower than with every index made up front.  Indexes change how fast,
 * never what a query answers.  Made ones stay in a --db FILE (CREATE
 * INDEX IF NOT EXISTS).
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "ddl.h"
#include "record.h"
#include "vtab.h"

/* SQLite's authorizer: note the indexes that start with a column being read. */
static int want_index_on_read(void *ctx, int action, const char *table, const char *column, const char *schema,
			      const char *via)
{
	struct replay *r = ctx;

	(void)schema;
	(void)via;
	if (action != SQLITE_READ || !table || !column)
		return SQLITE_OK;
	for (unsigned i = 0; i < r->nindexes; i++) {
		const struct fr_index *ix = &r->indexes[i];
		if (r->index_state[i] == INDEX_MADE || strcmp(ix->table, table) || strcmp(ix->first, column))
			continue;
		r->index_state[i] = INDEX_WANTED;
		r->indexes_wanted = 1;
	}
	return SQLITE_OK;
}

void replay_index_lazily(struct replay *r)
{
	/* listed once: fr_schema_index() walks the kinds for each index, and this runs for every column read */
	for (r->nindexes = 0; r->nindexes < FR_INDEX_MAX && fr_schema_index(r->nindexes, &r->indexes[r->nindexes]) == 0;)
		r->nindexes++;
	memset(r->index_state, INDEX_NOT_WANTED, sizeof(r->index_state));
	/* a table served from columns (replay/vtab.c) takes no index: its store answers ts, pid (and ppid) itself */
	for (unsigned i = 0; i < r->nindexes; i++)
		if (columns_serve_table(r, r->indexes[i].table))
			r->index_state[i] = INDEX_MADE;
	r->indexes_wanted = 0;
	sqlite3_set_authorizer(r->db, want_index_on_read, r);
}

/*
 * Make the wanted indexes, in one transaction when none is open (each
 * commit walks the whole page cache).  One that fails (a statement still
 * reading its table locks it) goes back to not wanted: the next statement
 * that reads its column tries again.
 */
static void make_wanted_indexes(struct replay *r)
{
	int own = sqlite3_get_autocommit(r->db);
	char sql[256];

	r->indexes_wanted = 0;
	if (own)
		sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
	for (unsigned i = 0; i < r->nindexes; i++) {
		const struct fr_index *ix = &r->indexes[i];
		if (r->index_state[i] != INDEX_WANTED)
			continue;
		snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS %s ON %s(%s)", ix->name, ix->table, ix->columns);
		r->index_state[i] = sqlite3_exec(r->db, sql, NULL, NULL, NULL) == SQLITE_OK ? INDEX_MADE : INDEX_NOT_WANTED;
	}
	if (own)
		sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	index_plan_synced(r);
}

void replay_hold_indexes(struct replay *r, int hold)
{
	r->indexes_held = hold;
}

/* None of the indexes wanted by the statement just prepared is to be made. */
static void want_none(struct replay *r)
{
	for (unsigned i = 0; i < r->nindexes; i++)
		if (r->index_state[i] == INDEX_WANTED)
			r->index_state[i] = INDEX_NOT_WANTED;
	r->indexes_wanted = 0;
}

int replay_prepare(struct replay *r, const char *sql, int len, sqlite3_stmt **s, const char **tail)
{
	int rc;

	r->ncolumns_wanted = 0; /* those of a statement prepared elsewhere are not this one's */
	rc = sqlite3_prepare_v2(r->db, sql, len, s, tail);
	if (rc == SQLITE_OK && r->ncolumns_wanted && !r->indexes_held)
		columns_make_wanted(r);
	r->ncolumns_wanted = 0;
	if (rc != SQLITE_OK || !r->indexes_wanted)
		return rc;
	if (r->indexes_held) {
		want_none(r);
		return rc;
	}
	index_plan_narrow(r, sqlite3_sql(*s));
	if (!r->indexes_wanted)
		return rc;
	sqlite3_finalize(*s);
	*s = NULL;
	make_wanted_indexes(r);
	return sqlite3_prepare_v2(r->db, sql, len, s, tail);
}
