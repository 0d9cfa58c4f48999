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
#include <stdint.h>
#include <stdio.h>

#include "ddl.h"
#include "flightrec.h"
#include "output.h"
#include "record.h"
#include "summary_cache.h"

struct summary_calls;

struct colstore;

/* An index of the schema in this session (replay/lazyindex.c). */
enum index_state { INDEX_NOT_WANTED, INDEX_WANTED, INDEX_MADE };

struct replay {
	sqlite3 *db;
	struct output out;
	int loaded;  /* inputs loaded into this database */
	int timer;   /* .timer on */
	int timing;  /* FLIGHTREC_REPLAY_TIMING: replay_finish prints each step's time on stderr */
	/*
	 * FLIGHTREC_REPLAY_INDEX_ALL: every index made after the load and
	 * `processes` rebuilt through the ts indexes, as before lazy indexes
	 * (a reference for tests and benchmarks, and a --db FILE fully
	 * indexed for other SQLite clients).
	 */
	int index_all;
	/*
	 * Per record kind, the store its table is served from (replay/vtab.c),
	 * or NULL for a table of SQLite's own: every kind with --db FILE or
	 * index_all, else those columns_serve() names.
	 */
	struct colstore *columns[FR_KIND_MAX];
	/*
	 * The derived store `processes` is served from (a session whose
	 * record tables are served from columns), with the CREATE TABLE of
	 * schema/views.sql it stands for; NULL: SQLite's own table.
	 */
	struct colstore *processes;
	char *processes_sql;
	int quit;    /* .quit seen */
	int errors;  /* statements that failed */
	const char *dot_line; /* the dot-command being run, as typed */
	/*
	 * Per record kind, whether its table's rows went in in time order (ts
	 * never decreasing): then reading it by rowid is reading it by ts, and
	 * rebuilding `processes` needs no sort.  Unknown, so 0, for the rows of
	 * a --db FILE opened again.
	 */
	int64_t last_ts[FR_KIND_MAX];
	unsigned char in_ts_order[FR_KIND_MAX];
	struct fr_index indexes[FR_INDEX_MAX];  /* the schema's, listed once by replay_index_lazily() */
	unsigned nindexes;
	unsigned char index_state[FR_INDEX_MAX]; /* enum index_state, by fr_schema_index number */
	int indexes_wanted;                      /* some index_state is INDEX_WANTED */
	int indexes_held;                        /* replay_hold_indexes(): none made for now */
	/*
	 * The lookups by pid or ppid of stores the statement being prepared
	 * would make on first use (vtab.c): made before it runs, on several
	 * threads (columns_make_wanted).
	 */
	struct column_want {
		struct colstore *cs;
		unsigned col;
	} columns_wanted[FR_KIND_MAX + 2];
	unsigned ncolumns_wanted;
	sqlite3 *plan_db; /* the schema with every index, empty, to plan on (replay/indexplan.c); NULL till needed */
	int plan_version; /* r->db's schema version plan_db copies */
	struct summary_keep keep; /* .summary's counts kept in a --db FILE (replay/summary_cache.c) */
	struct summary_calls *calls; /* .summary's syscalls sections counted from its store (replay/summary_cols.c) */
	int quiet_damage;     /* loader: keep the first damage line in first_damage, print none (an export refuses damage in one line) */
	char first_damage[256];
};

/*
 * Open a temporary database (or FILE) with the schema and the SQL
 * functions.  FLIGHTREC_REPLAY_INDEX_ALL in the environment sets
 * r->index_all, which also keeps every record table in SQLite.
 */
int replay_open(struct replay *r, const char *file, char *err, size_t errlen);
void replay_close(struct replay *r);
/*
 * Load PATH (an archive, a segment or a recorder directory).  Damage is
 * reported on stderr and skipped; returns 0, or -1 with ERR set when PATH
 * cannot be read at all.
 */
int replay_load(struct replay *r, const char *path, char *err, size_t errlen);
/*
 * Load the N inputs PATHS, as replay_load would one after another: the
 * same rows, in the same order, the same messages.  With more than one
 * input, stores of columns and threads to spare (replay_threads), whole
 * inputs are read on several threads at once, each into stores of its
 * own, and put together in the inputs' order.  0, or -1 with ERR and
 * *FAILED the index of the input that could not be loaded (the ones
 * before it are loaded).
 */
int replay_load_all(struct replay *r, char *const *paths, unsigned n, unsigned *failed, char *err, size_t errlen);
/*
 * After the last load: rebuild `processes`; the indexes are made when a
 * statement first needs them (replay_index_lazily), or now with r->index_all.
 */
int replay_finish(struct replay *r, char *err, size_t errlen);
/*
 * Fill `processes` (emptied first) from the lifecycle tables: one row per
 * process lifetime (replay/processes.c).  0, or -1 with ERR.
 */
int processes_rebuild(struct replay *r, char *err, size_t errlen);
/* The columns of `processes` after host, for its derived column store (colstore_new_derived). */
extern const struct fr_kind_desc processes_table;
/* From now on, make each index of the schema when a statement first reads its column. */
void replay_index_lazily(struct replay *r);
/*
 * sqlite3_prepare_v2 on r->db, after making the indexes that the columns
 * SQL reads want (so that the plan uses them).
 */
int replay_prepare(struct replay *r, const char *sql, int len, sqlite3_stmt **s, const char **tail);
/*
 * HOLD 1: make no index for the statements prepared until HOLD 0, which
 * read only tables with no rows (an index there looks nothing up).
 */
void replay_hold_indexes(struct replay *r, int hold);
/*
 * Of the indexes wanted (INDEX_WANTED), leave wanted those the plan of
 * SQL (one statement) would read with every index made: searched, or
 * scanned for their order (replay/indexplan.c).  All stay wanted when SQL
 * cannot be planned on the copy of the schema.
 */
void index_plan_narrow(struct replay *r, const char *sql);
/* The indexes wanted are made: the copy of the schema (which has them) is as r->db's again. */
void index_plan_synced(struct replay *r);
void index_plan_close(struct replay *r);

/* utc(), dur(), size(), ip(): SQL functions for people. */
int replay_register_functions(sqlite3 *db);

/*
 * Run SQL (one or more statements) and print the results.  Returns 0, or
 * -1 after printing "flightrec-replay: SQL error: MSG" on stderr.
 */
int replay_exec(struct replay *r, const char *sql);
/* The first column of SQL's first row as an integer; 0 when there is none or SQL fails. */
int64_t replay_scalar(struct replay *r, const char *sql);
/* Run a line that starts with '.'; 0, or -1 after printing why. */
int replay_dot(struct replay *r, const char *line);
/* The names of the dot-commands, for completion; NULL after the last. */
const char *replay_dot_name(size_t i);
/*
 * A source of input lines: the next one without its newline (malloc'd),
 * NULL at the end.  CONT is 1 inside a statement (for the prompt); set
 * *FORGET to drop the statement typed so far (Ctrl-C at a prompt).
 */
typedef char *(*replay_line_fn)(void *ctx, int cont, int *forget);
/*
 * Run the lines of NEXT until its end or .quit: dot-commands, and SQL
 * statements that may span lines.  Failures are printed and counted in
 * r->errors; the lines after them still run.
 */
void replay_run_lines(struct replay *r, replay_line_fn next, void *ctx);
/* A replay_line_fn for a script: the lines of the FILE * CTX. */
char *replay_file_line(void *ctx, int cont, int *forget);

#endif
