/*
 * vtab.h - record tables served from column stores through the SQLite
 * module "flightrec_columns" (vtab.c), for a session without --db FILE.
 */
#ifndef FR_REPLAY_VTAB_H
#define FR_REPLAY_VTAB_H

#include <stddef.h>

#include "record.h"

struct replay;

/* Register the module on r->db; its tables find their stores in r->columns. */
int columns_register(struct replay *r);
/*
 * 1 when kind K's table is served from columns: every record kind but
 * `stacks` (the loader rewrites its rows: frames named, duplicates
 * deleted) and `connections` (conn_pairs joins it with itself on its
 * ports, which wants a B-tree index).
 */
int columns_serve(const struct fr_kind_desc *k);
/*
 * Replace the tables of the kinds served from columns, just created from
 * the schema, by virtual tables over new, empty stores in r->columns, and
 * `processes` by one over r->processes (filled by processes_rebuild).
 * 0, or -1 with ERR.
 */
int columns_create(struct replay *r, char *err, size_t errlen);
/* The CREATE TABLE of TABLE (malloc'd) when it is served from columns, else NULL. */
char *columns_table_sql(const struct replay *r, const char *table);
/* 1 when TABLE is served from columns in this session: it takes no index. */
int columns_serve_table(const struct replay *r, const char *table);

/*
 * Make the lookups by pid and ppid that the statement just prepared
 * would make as it first reads each table (a counting sort of the
 * column, ~0.15 s per 10M rows): all of them at once, a store per
 * thread, rather than one after another as SQLite reaches each table
 * (.follow reads every table of the timeline by pid).  The list is
 * emptied; a lookup that could not be made is made on first use, as before.
 */
void columns_make_wanted(struct replay *r);

#endif
