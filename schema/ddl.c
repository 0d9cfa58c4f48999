/*
 * ddl.c - SQL DDL from the record descriptors: one table per kind, named
 * by records.def, with a host column first and one column per field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "record.h"
#include "views-sql.h"

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static char *sb_finish(struct sbuf *b)
{
	if (b->oom) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

char *fr_schema_sql(void)
{
	struct sbuf b = { 0 };

	for (unsigned i = 0; i < fr_nkinds; i++) {
		const struct fr_kind_desc *k = &fr_kinds[i];

		sb_printf(&b, "-- %s\nCREATE TABLE %s (\n\thost TEXT NOT NULL, -- the host it was recorded on\n", k->doc,
			  k->table);
		/* the comma goes before the comment, which runs to the end of the line */
		for (unsigned j = 0; j < k->nfields; j++) {
			const struct fr_field *f = &k->fields[j];
			sb_printf(&b, "\t%s %s%s -- %s\n", f->name, fr_field_is_text(f) ? "TEXT" : "INTEGER",
				  j + 1 < k->nfields ? "," : "", f->doc);
		}
		sb_printf(&b, ");\n\n");
	}
	sb_printf(&b, "%s", fr_views_sql);
	return sb_finish(&b);
}

char *fr_schema_index_sql(void)
{
	struct sbuf b = { 0 };

	for (unsigned i = 0; i < fr_nkinds; i++) {
		const struct fr_kind_desc *k = &fr_kinds[i];

		sb_printf(&b, "CREATE INDEX IF NOT EXISTS %s_ts ON %s(ts);\n", k->table, k->table);
		for (unsigned j = 0; j < k->nfields; j++)
			if (!strcmp(k->fields[j].name, "pid"))
				sb_printf(&b, "CREATE INDEX IF NOT EXISTS %s_pid ON %s(pid);\n", k->table,
					  k->table);
	}
	sb_printf(&b, "CREATE INDEX IF NOT EXISTS processes_pid ON processes(pid);\n");
	/* conn_pairs: the other end of a connection by its ports */
	sb_printf(&b, "CREATE INDEX IF NOT EXISTS connections_ports ON connections(rport, lport);\n");
	sb_printf(&b, "CREATE INDEX IF NOT EXISTS processes_ppid ON processes(ppid);\n");
	/* .summary's latest failures: read backwards, no sort of every exit */
	sb_printf(&b, "CREATE INDEX IF NOT EXISTS processes_exit ON processes(exit_ts);\n");
	sb_printf(&b, "CREATE INDEX IF NOT EXISTS processes_start ON processes(start_ts);\n");
	return sb_finish(&b);
}
