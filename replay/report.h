/*
 * report.h - the HTML incident report (`--report FILE`, `.report FILE`):
 * one self-contained page, its data gathered from the loaded tables by
 * report_data.c as JSON, drawn in the browser by replay/report.js with
 * d3 (inlined at build time), written by report.c.
 *
 * The page loads nothing: every script, style and datum is inline, and its
 * Content-Security-Policy forbids any fetch.  Its size is bounded whatever
 * the archive (see the caps in report_data.c and README "The HTML report").
 */
#ifndef FR_REPLAY_REPORT_H
#define FR_REPLAY_REPORT_H

#include <sqlite3.h>
#include <stdio.h>

#include "db.h"

/*
 * Write the report of the loaded archives to PATH (through PATH.tmp and a
 * rename, so that a reader never sees half a page).  0, or -1 with the
 * reason in ERR.
 */
int report_write(struct replay *r, const char *path, char *err, size_t errlen);

/*
 * The report's data, one JSON object, into F.  0, or -1 with the reason in
 * ERR (an SQL error: the tables are not those of this replay).
 */
int report_data(struct replay *r, FILE *f, char *err, size_t errlen);

/* JSON values for the page (report_json.c). */
void rj_str(FILE *f, const char *s);
/* Column I of the current row of S: numbers as numbers (integers beyond 2^53 as strings), text as strings. */
void rj_col(FILE *f, sqlite3_stmt *s, int i);
/* Columns FROM.. of the current row of S as a JSON array. */
void rj_row(FILE *f, sqlite3_stmt *s, int from);
/* The names of columns FROM.. of S as a JSON array. */
void rj_cols(FILE *f, sqlite3_stmt *s, int from);

#endif
