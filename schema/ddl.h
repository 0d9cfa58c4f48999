/*
 * ddl.h - the SQL schema, generated from records.def plus views.sql.
 * The replay shell runs it; archives carry it so that any later shell can
 * see what an old archive meant.
 */
#ifndef FR_DDL_H
#define FR_DDL_H

/* CREATE statements for every table and view; malloc'd, NULL on ENOMEM. */
char *fr_schema_sql(void);
struct fr_kind_desc;
/* The CREATE TABLE statement of kind K's table alone, as fr_schema_sql() has it (no ';'); malloc'd. */
char *fr_schema_table_sql(const struct fr_kind_desc *k);
/* CREATE INDEX statements, to run after a bulk load; malloc'd. */
char *fr_schema_index_sql(void);

/* One index of the schema: NAME on TABLE(COLUMNS); FIRST is its first column. */
struct fr_index {
	char name[96];
	const char *table;
	const char *columns;
	const char *first;
};
/* The schema's indexes in a fixed order; at most this many. */
#define FR_INDEX_MAX 128
/* The I-th index into *IX: 0, or -1 past the last. */
int fr_schema_index(unsigned i, struct fr_index *ix);

#endif
