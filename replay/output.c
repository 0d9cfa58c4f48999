/*
 * output.c - output modes: an aligned table, CSV (RFC 4180), JSON (an array
 * of objects), and one "column = value" line per column.  Table mode needs
 * every row to size its columns, so it buffers them; the others stream.
 */
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "record.h"

static const char *const mode_names[] = { "table", "csv", "json", "line", "box" };

int output_mode_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(name, mode_names[i]))
			return (int)i;
	return -1;
}

const char *output_mode_name(enum output_mode m)
{
	return mode_names[m];
}

const char *output_mode_names(void)
{
	return "table|box|csv|json|line";
}

/* Text of column I as the mode shows it; NULL for SQL NULL. */
static const char *cell(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static void csv_field(FILE *fp, const char *v)
{
	if (!v)
		return;
	if (!strpbrk(v, ",\"\r\n")) {
		fputs(v, fp);
		return;
	}
	fputc('"', fp);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', fp);
		fputc(*v, fp);
	}
	fputc('"', fp);
}

void output_json_string(FILE *fp, const char *v)
{
	fr_json_string(fp, v ? v : "", v ? strlen(v) : 0);
}

static int run_csv(struct output *o, sqlite3_stmt *s)
{
	int n = sqlite3_column_count(s), rc;

	if (o->headers) {
		for (int i = 0; i < n; i++) {
			if (i)
				fputc(',', o->fp);
			csv_field(o->fp, sqlite3_column_name(s, i));
		}
		fputc('\n', o->fp);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			if (i)
				fputc(',', o->fp);
			csv_field(o->fp, cell(s, i));
		}
		fputc('\n', o->fp);
	}
	return rc;
}

static int run_json(struct output *o, sqlite3_stmt *s)
{
	int n = sqlite3_column_count(s), rc, rows = 0;

	fputc('[', o->fp);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		fputs(rows++ ? ",\n{" : "{", o->fp);
		for (int i = 0; i < n; i++) {
			if (i)
				fputc(',', o->fp);
			output_json_string(o->fp, sqlite3_column_name(s, i));
			fputc(':', o->fp);
			switch (sqlite3_column_type(s, i)) {
			case SQLITE_NULL:
				fputs("null", o->fp);
				break;
			case SQLITE_INTEGER:
				fprintf(o->fp, "%lld", (long long)sqlite3_column_int64(s, i));
				break;
			case SQLITE_FLOAT:
				fprintf(o->fp, "%.17g", sqlite3_column_double(s, i));
				break;
			default:
				output_json_string(o->fp, cell(s, i));
			}
		}
		fputc('}', o->fp);
	}
	fputs("]\n", o->fp);
	return rc;
}

static int run_line(struct output *o, sqlite3_stmt *s)
{
	int n = sqlite3_column_count(s), rc, rows = 0, w = 0;

	for (int i = 0; i < n; i++) {
		int l = (int)strlen(sqlite3_column_name(s, i));
		if (l > w)
			w = l;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (rows++)
			fputc('\n', o->fp);
		for (int i = 0; i < n; i++) {
			const char *v = cell(s, i);
			fprintf(o->fp, "%*s = %s\n", w, sqlite3_column_name(s, i), v ? v : "NULL");
		}
	}
	return rc;
}

/* Display width of UTF-8 text: code points, not bytes. */
static int width(const char *v)
{
	int w = 0;

	for (; *v; v++)
		if (((unsigned char)*v & 0xc0) != 0x80)
			w++;
	return w;
}

static void rule(FILE *fp, const int *w, int n, const char *l, const char *m, const char *r)
{
	fputs(l, fp);
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < w[i] + 2; j++)
			fputs("\u2500", fp);
		fputs(i == n - 1 ? r : m, fp);
	}
	fputc('\n', fp);
}

/*
 * Rows a table sizes its columns by.  Past them the rest stream at those
 * widths (a wider cell shifts the rest of its line): a result of 30M
 * rows (`.follow` of a busy process, SELECT * FROM syscalls) buffered
 * whole took 8 GB before its first line.
 */
#define TABLE_SIZING_ROWS 10000

/* The header of a table of N columns of widths W: a dashed rule under it, or a box's top and rule. */
static void table_header(struct output *o, sqlite3_stmt *s, const int *w, int n, int box)
{
	if (box && n > 0)
		rule(o->fp, w, n, "\u250c", "\u252c", "\u2510");
	if (!o->headers || n == 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *h = sqlite3_column_name(s, i);
		if (box)
			fprintf(o->fp, "\u2502 %s%*s ", h, w[i] - width(h), "");
		else
			fprintf(o->fp, "%s%-*s", i ? "  " : "", i == n - 1 ? 0 : w[i], h);
	}
	fputs(box ? "\u2502\n" : "\n", o->fp);
	if (box) {
		rule(o->fp, w, n, "\u251c", "\u253c", "\u2524");
		return;
	}
	for (int i = 0; i < n; i++) {
		fputs(i ? "  " : "", o->fp);
		for (int j = 0; j < w[i]; j++)
			fputc('-', o->fp);
	}
	fputc('\n', o->fp);
}

/* One row of a table: CELLS (N, NULL: out of memory), numbers right-aligned where NUMERIC says. */
static void table_row(struct output *o, const char *const *cells, const int *w, const int *numeric, int n, int box)
{
	for (int i = 0; i < n; i++) {
		const char *c = cells[i];
		int pad = w[i] - (c ? width(c) : 0);
		fputs(box ? "\u2502 " : i ? "  " : "", o->fp);
		if (numeric[i])
			fprintf(o->fp, "%*s%s", pad > 0 ? pad : 0, "", c ? c : "");
		else if (i == n - 1 && !box)
			fputs(c ? c : "", o->fp);
		else
			fprintf(o->fp, "%s%*s", c ? c : "", pad > 0 ? pad : 0, "");
		if (box)
			fputc(' ', o->fp);
	}
	fputs(box ? "\u2502\n" : "\n", o->fp);
}

/*
 * MODE_TABLE: aligned, a dashed rule under the header; MODE_BOX: drawn
 * with box characters.  Sized by the first TABLE_SIZING_ROWS rows.
 */
static int run_table(struct output *o, sqlite3_stmt *s)
{
	int box = o->mode == MODE_BOX;
	int n = sqlite3_column_count(s), rc = SQLITE_DONE;
	size_t rows = 0, cap = 0;
	char **cells = NULL;
	const char **line = calloc((size_t)n + 1, sizeof(*line));
	int *w = calloc((size_t)n + 1, sizeof(int)), *numeric = calloc((size_t)n + 1, sizeof(int));

	if (!w || !numeric || !line) {
		free(w);
		free(numeric);
		free(line);
		return SQLITE_NOMEM;
	}
	for (int i = 0; i < n; i++) {
		w[i] = o->headers ? width(sqlite3_column_name(s, i)) : 0;
		numeric[i] = 1;
	}
	while (rows < TABLE_SIZING_ROWS && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (rows == cap) {
			char **nc = realloc(cells, (cap = cap ? cap * 2 : 64) * (size_t)n * sizeof(*cells));
			if (!nc) {
				rc = SQLITE_NOMEM;
				break;
			}
			cells = nc;
		}
		for (int i = 0; i < n; i++) {
			const char *v = cell(s, i);
			int t = sqlite3_column_type(s, i);
			char *c = strdup(v ? v : "NULL");
			cells[rows * (size_t)n + (size_t)i] = c;
			if (c && width(c) > w[i])
				w[i] = width(c);
			if (t != SQLITE_INTEGER && t != SQLITE_FLOAT && t != SQLITE_NULL)
				numeric[i] = 0;
		}
		rows++;
	}
	table_header(o, s, w, n, box);
	for (size_t r = 0; r < rows; r++)
		table_row(o, (const char *const *)&cells[r * (size_t)n], w, numeric, n, box);
	for (size_t k = 0; k < rows * (size_t)n; k++)
		free(cells[k]);
	free(cells);
	/* the rows past the sizing ones, as they come */
	while (rows == TABLE_SIZING_ROWS && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			const char *v = cell(s, i);
			line[i] = v ? v : "NULL";
		}
		table_row(o, line, w, numeric, n, box);
	}
	if (box && n > 0)
		rule(o->fp, w, n, "\u2514", "\u2534", "\u2518");
	free(line);
	free(w);
	free(numeric);
	return rc;
}

int output_statement(struct output *o, sqlite3_stmt *stmt)
{
	int rc;

	/* A statement without columns (CREATE, INSERT) prints nothing. */
	if (sqlite3_column_count(stmt) == 0) {
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			;
		return rc;
	}
	switch (o->mode) {
	case MODE_CSV:
		rc = run_csv(o, stmt);
		break;
	case MODE_JSON:
		rc = run_json(o, stmt);
		break;
	case MODE_LINE:
		rc = run_line(o, stmt);
		break;
	default: /* table, box */
		rc = run_table(o, stmt);
	}
	fflush(o->fp);
	return rc;
}
