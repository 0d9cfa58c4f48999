/*
 * output.h - every result the shell prints goes through here, in one of
 * the output modes of the table in output.c (as SQLite's shell does).
 */
#ifndef FR_REPLAY_OUTPUT_H
#define FR_REPLAY_OUTPUT_H

#include <sqlite3.h>
#include <stdio.h>

enum output_mode { MODE_TABLE, MODE_CSV, MODE_JSON, MODE_LINE, MODE_BOX };

struct output {
	enum output_mode mode;
	int headers;  /* print column names (table, csv) */
	FILE *fp;     /* stdout or .output FILE */
};

/* Mode by name ("table", "csv", "json", "line"); -1 when unknown. */
int output_mode_by_name(const char *name);
const char *output_mode_name(enum output_mode m);
/* The names of all modes, "table|csv|json|line". */
const char *output_mode_names(void);
/*
 * V as a JSON string literal ("" for NULL): quotes, backslashes and control
 * characters escaped, bytes that are not UTF-8 as U+FFFD, so that the
 * result always parses (schema's fr_json_string()).
 */
void output_json_string(FILE *fp, const char *v);
/*
 * Step STMT to the end, printing its rows in O's mode.  Returns SQLITE_DONE
 * or the error code of the failing step.
 */
int output_statement(struct output *o, sqlite3_stmt *stmt);

#endif
