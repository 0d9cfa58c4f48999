/*
 * db.h - the replay shell's state and the loader of archives into SQLite.
 *
 * Tables come from schema/ (fr_schema_sql): one per record kind with a
 * host column first, plus the derived `processes`, `archives`, `gaps` and
 * `timeline`.  The loader needs neither root nor libbpf: archives are
 * read by schema/input.c like any other untrusted file.
 */
#ifndef FR_REPLAY_DB_H
#define FR_REPLAY_DB_H

#include <sqlite3.h>
#include <stdio.h>

#include "output.h"

struct replay {
	sqlite3 *db;
	struct output out;
	int loaded;  /* inputs loaded into this database */
	int timer;   /* .timer on */
	int quit;    /* .quit seen */
	int errors;  /* statements that failed */
	const char *dot_line; /* the dot-command being run, as typed */
};

/* Open an in-memory database (or FILE) with the schema and the SQL functions. */
int replay_open(struct replay *r, const char *file, char *err, size_t errlen);
void replay_close(struct replay *r);
/*
 * Load PATH (an archive, a segment or a recorder directory).  Damage is
 * reported on stderr and skipped; returns 0, or -1 with ERR set when PATH
 * cannot be read at all.
 */
int replay_load(struct replay *r, const char *path, char *err, size_t errlen);
/* After the last load: rebuild `processes` and create the indexes. */
int replay_finish(struct replay *r, char *err, size_t errlen);

/* utc(), dur(), size(), ip(): SQL functions for people. */
int replay_register_functions(sqlite3 *db);

/*
 * Run SQL (one or more statements) and print the results.  Returns 0, or
 * -1 after printing "flightrec-replay: SQL error: MSG" on stderr.
 */
int replay_exec(struct replay *r, const char *sql);
/* Run a line that starts with '.'; 0, or -1 after printing why. */
int replay_dot(struct replay *r, const char *line);

#endif
