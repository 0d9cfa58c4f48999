/*
 * ddl.c - SQL DDL from the record descriptors: one table per kind, named
 * by records.def, with a host column first and one column per field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "record.h"
#include "strbuf.h"
#include "views-sql.h"

/* K's CREATE TABLE statement, as SQLite keeps it in sqlite_schema (no ';'). */
static void table_sql(struct strbuf *b, const struct fr_kind_desc *k)
{
	strbuf_printf(b, "CREATE TABLE %s (\n\thost TEXT NOT NULL, -- the host it was recorded on\n", k->table);
	/* the comma goes before the comment, which runs to the end of the line */
	for (unsigned j = 0; j < k->nfields; j++) {
		const struct fr_field *f = &k->fields[j];
		strbuf_printf(b, "\t%s %s%s -- %s\n", f->name, fr_field_is_text(f) ? "TEXT" : "INTEGER",
			      j + 1 < k->nfields ? "," : "", f->doc);
	}
	strbuf_printf(b, ")");
}

char *fr_schema_table_sql(const struct fr_kind_desc *k)
{
	struct strbuf b = { 0 };

	table_sql(&b, k);
	return strbuf_finish(&b);
}

char *fr_schema_sql(void)
{
	struct strbuf b = { 0 };

	for (unsigned i = 0; i < fr_nkinds; i++) {
		const struct fr_kind_desc *k = &fr_kinds[i];

		strbuf_printf(&b, "-- %s\n", k->doc);
		table_sql(&b, k);
		strbuf_printf(&b, ";\n\n");
	}
	strbuf_printf(&b, "%s", fr_views_sql);
	return strbuf_finish(&b);
}

/*
 * The indexes after the kinds' ts and pid ones: processes by pid, by
 * parent and by start and exit (.summary's latest failures are read
 * backwards, with no sort of every exit); conn_pairs finds the other end
 * of a connection by its ports.
 */
static const struct fr_index extra_indexes[] = {
	{ "processes_pid", "processes", "pid", "pid" },
	{ "connections_ports", "connections", "rport, lport", "rport" },
	{ "processes_ppid", "processes", "ppid", "ppid" },
	{ "processes_exit", "processes", "exit_ts", "exit_ts" },
	{ "processes_start", "processes", "start_ts", "start_ts" },
};

static int has_pid(const struct fr_kind_desc *k)
{
	for (unsigned j = 0; j < k->nfields; j++)
		if (!strcmp(k->fields[j].name, "pid"))
			return 1;
	return 0;
}

int fr_schema_index(unsigned i, struct fr_index *ix)
{
	for (unsigned k = 0; k < fr_nkinds; k++) {
		const struct fr_kind_desc *d = &fr_kinds[k];
		const char *col = NULL;

		if (i == 0)
			col = "ts";
		else if (i == 1 && has_pid(d))
			col = "pid";
		if (col) {
			snprintf(ix->name, sizeof(ix->name), "%s_%s", d->table, col);
			ix->table = d->table;
			ix->columns = ix->first = col;
			return 0;
		}
		i -= has_pid(d) ? 2u : 1u;
	}
	if (i >= sizeof(extra_indexes) / sizeof(extra_indexes[0]))
		return -1;
	*ix = extra_indexes[i];
	return 0;
}

char *fr_schema_index_sql(void)
{
	struct strbuf b = { 0 };
	struct fr_index ix;

	for (unsigned i = 0; fr_schema_index(i, &ix) == 0; i++)
		strbuf_printf(&b, "CREATE INDEX IF NOT EXISTS %s ON %s(%s);\n", ix.name, ix.table, ix.columns);
	return strbuf_finish(&b);
}
