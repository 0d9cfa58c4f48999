/*
 * ddl.h - the SQL schema, generated from records.def plus views.sql.
 * The replay shell runs it; archives carry it so that any later shell can
 * see what an old archive meant.
 */
#ifndef FR_DDL_H
#define FR_DDL_H

/* CREATE statements for every table and view; malloc'd, NULL on ENOMEM. */
char *fr_schema_sql(void);
/* CREATE INDEX statements, to run after a bulk load; malloc'd. */
char *fr_schema_index_sql(void);

#endif
