/*
 * report_json.c - JSON values for the HTML report, from SQLite columns.
 * Strings go through the schema's escaper (always valid JSON, whatever
 * bytes a comm or an argument holds); report.c makes the result safe
 * inside a <script> element.  JavaScript numbers hold integers exactly up
 * to 2^53 only, and a time in ns since 1970 is beyond that: such integers
 * are written as strings, which the page reads with BigInt.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "output.h"
#include "report.h"

#define JS_SAFE_INT 9007199254740991LL /* 2^53 - 1 */

void rj_str(FILE *f, const char *s)
{
	output_json_string(f, s);
}

void rj_col(FILE *f, sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER: {
		long long v = sqlite3_column_int64(s, i);
		fprintf(f, v > JS_SAFE_INT || v < -JS_SAFE_INT ? "\"%lld\"" : "%lld", v);
		break;
	}
	case SQLITE_FLOAT: {
		double v = sqlite3_column_double(s, i);
		if (isfinite(v))
			fprintf(f, "%.10g", v);
		else
			fputs("null", f);
		break;
	}
	case SQLITE_TEXT:
		rj_str(f, (const char *)sqlite3_column_text(s, i));
		break;
	case SQLITE_BLOB:
		fprintf(f, "\"(%d bytes)\"", sqlite3_column_bytes(s, i));
		break;
	default:
		fputs("null", f);
	}
}

void rj_row(FILE *f, sqlite3_stmt *s, int from)
{
	int n = sqlite3_column_count(s);

	fputc('[', f);
	for (int i = from; i < n; i++) {
		if (i > from)
			fputc(',', f);
		rj_col(f, s, i);
	}
	fputc(']', f);
}

void rj_cols(FILE *f, sqlite3_stmt *s, int from)
{
	int n = sqlite3_column_count(s);

	fputc('[', f);
	for (int i = from; i < n; i++) {
		if (i > from)
			fputc(',', f);
		rj_str(f, sqlite3_column_name(s, i));
	}
	fputc(']', f);
}
