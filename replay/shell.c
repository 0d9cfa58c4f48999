/*
 * shell.c - running SQL, and the interactive shell around it.
 *
 * A statement is complete when sqlite3_complete() says so, so SQL may span
 * lines; a line starting with '.' outside a statement is a dot-command.
 * Ctrl-C interrupts the running statement (sqlite3_interrupt), not the
 * shell; Ctrl-D leaves.  History lives in ~/.flightrec_history.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "shell.h"

static sqlite3 *interrupt_db; /* the database a Ctrl-C interrupts */

static void on_sigint(int sig)
{
	if (interrupt_db)
		sqlite3_interrupt(interrupt_db);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int replay_exec(struct replay *r, const char *sql)
{
	const char *tail = sql;
	int ret = 0;

	while (tail && *tail) {
		sqlite3_stmt *s = NULL;
		double t0 = now_s();
		int rc;

		const char *stmt_start = tail + strspn(tail, " \t\r\n");
		if (sqlite3_prepare_v2(r->db, tail, -1, &s, &tail) != SQLITE_OK) {
			/* name the statement: a script may hold many */
			int len = (int)strcspn(stmt_start, ";\n");
			fprintf(stderr, "flightrec-replay: SQL error: %s (in: %.*s%s)\n", sqlite3_errmsg(r->db),
				len > 60 ? 60 : len, stmt_start, len > 60 ? "..." : "");
			r->errors++;
			return -1;
		}
		if (!s)
			continue; /* blanks or a comment */
		rc = output_statement(&r->out, s);
		if (rc != SQLITE_DONE) {
			fprintf(stderr, "flightrec-replay: SQL error: %s\n",
				rc == SQLITE_INTERRUPT ? "interrupted" : sqlite3_errmsg(r->db));
			r->errors++;
			ret = -1;
		}
		sqlite3_finalize(s);
		if (r->timer)
			fprintf(r->out.fp, "Run Time: %.3f s\n", now_s() - t0);
		if (ret)
			break;
	}
	return ret;
}

/* --- completion: dot-commands, SQL keywords, table and column names --- */

static char **names;
static size_t nnames;

static void add_name(const char *n)
{
	char **v;

	for (size_t i = 0; i < nnames; i++)
		if (!strcmp(names[i], n))
			return;
	if (!(v = realloc(names, (nnames + 1) * sizeof(*names))))
		return;
	names = v;
	if ((names[nnames] = strdup(n)))
		nnames++;
}

static void load_names(sqlite3 *db)
{
	static const char *keywords[] = { "SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "LIMIT", "JOIN",
					  "LEFT", "ON", "AND", "OR", "NOT", "COUNT", "DISTINCT", "HAVING", "AS",
					  "DESC", "ASC", "LIKE", "BETWEEN", "IN", "IS", "NULL", "UNION", "ALL",
					  "CASE", "WHEN", "THEN", "ELSE", "END", "WITH", "utc", "dur", "size" };
	sqlite3_stmt *s;

	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		add_name(keywords[i]);
	if (sqlite3_prepare_v2(db,
			       "SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p"
			       " WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%'",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(s) == SQLITE_ROW) {
		add_name((const char *)sqlite3_column_text(s, 0));
		add_name((const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
}

static char *complete_name(const char *text, int state)
{
	static size_t i, len;
	static int dot;

	if (!state) {
		i = 0;
		len = strlen(text);
		dot = rl_point == (int)len && text[0] == '.' && rl_line_buffer[0] == '.';
	}
	if (dot) {
		const char *n;
		while ((n = replay_dot_name(i++))) {
			if (!strncmp(n, text + 1, len - 1)) {
				char *m = malloc(strlen(n) + 2);
				if (m)
					sprintf(m, ".%s", n);
				return m;
			}
		}
		return NULL;
	}
	while (i < nnames) {
		const char *n = names[i++];
		if (!strncasecmp(n, text, len))
			return strdup(n);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	rl_attempted_completion_over = 1; /* never file names */
	return rl_completion_matches(text, complete_name);
}

/* One line of input, without its newline; NULL at the end. */
static char *read_line(FILE *in, int tty, const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (tty) {
		line = readline(prompt);
		if (line && *line)
			add_history(line);
		return line;
	}
	if ((n = getline(&line, &cap, in)) < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

int shell_run(struct replay *r, FILE *in)
{
	int tty = in == stdin && isatty(fileno(stdin));
	char history[4096] = "";
	char *stmt = NULL;
	size_t len = 0;
	struct sigaction sa = { .sa_handler = on_sigint };

	interrupt_db = r->db;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	if (tty) {
		const char *home = getenv("HOME");
		rl_readline_name = "flightrec-replay";
		rl_attempted_completion_function = complete;
		rl_basic_word_break_characters = " \t\n\"'`,;()=<>+-*/|";
		load_names(r->db);
		if (home && *home) {
			snprintf(history, sizeof(history), "%s/.flightrec_history", home);
			stifle_history(1000);
			read_history(history);
		}
		printf("flightrec-replay %s: %d input%s loaded.  .help for commands, .tables for tables.\n", FR_VERSION,
		       r->loaded, r->loaded == 1 ? "" : "s");
	}
	while (!r->quit) {
		char *line = read_line(in, tty, len ? "   ...> " : "flightrec> ");
		size_t l;

		if (!line)
			break;
		if (!len) {
			const char *p = line + strspn(line, " \t");
			if (*p == '.') {
				replay_dot(r, p);
				free(line);
				continue;
			}
			if (!*p) {
				free(line);
				continue;
			}
		}
		l = strlen(line);
		char *ns = realloc(stmt, len + l + 2);
		if (!ns) {
			free(line);
			break;
		}
		stmt = ns;
		memcpy(stmt + len, line, l);
		len += l;
		stmt[len++] = '\n';
		stmt[len] = '\0';
		free(line);
		if (sqlite3_complete(stmt)) {
			replay_exec(r, stmt);
			len = 0;
		}
	}
	if (len && !r->quit) {
		/* the input ended inside a statement: run what there is */
		replay_exec(r, stmt);
	}
	free(stmt);
	if (tty) {
		if (history[0] && write_history(history) != 0)
			fprintf(stderr, "flightrec-replay: cannot save the history in %s\n", history);
		putchar('\n');
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	names = NULL;
	nnames = 0;
	interrupt_db = NULL;
	return r->errors ? 1 : 0;
}
