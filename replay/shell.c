/*
 * shell.c - running SQL, and the interactive shell around it.
 *
 * A statement is complete when sqlite3_complete() says so, so SQL may span
 * lines; a line starting with '.' outside a statement is a dot-command.
 * Ctrl-C interrupts the running statement (sqlite3_interrupt), not the
 * shell, and at a prompt forgets the statement being typed; Ctrl-D leaves.
 * History lives in ~/.flightrec_history.  `.read FILE` runs FILE through
 * the same loop as a script on standard input.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "shell.h"

static sqlite3 *interrupt_db; /* the database a Ctrl-C interrupts */
static volatile sig_atomic_t prompt_interrupted; /* Ctrl-C while readline waits */

static void on_sigint(int sig)
{
	prompt_interrupted = 1;
	if (interrupt_db)
		sqlite3_interrupt(interrupt_db);
}

/*
 * Readline's reader of keys.  Its own (rl_getc) reads again after a Ctrl-C
 * at a prompt; this one accepts the line instead, so readline returns and
 * the shell, seeing prompt_interrupted, drops what was typed and prompts
 * afresh.  Readline handles the signal itself once this returns (echoes ^C,
 * calls on_sigint).  Other signals go through rl_getc, which handles them
 * before it reads.  SIGINT stays blocked from the check of a pending one to
 * the wait, which unblocks it atomically (pselect): a Ctrl-C that comes just
 * before the wait interrupts it instead of being noticed only after the
 * next key.
 */
static int prompt_getc(FILE *in)
{
	int fd = fileno(in), ready;
	sigset_t block, orig;
	unsigned char c;
	fd_set fds;
	ssize_t n;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	if (rl_pending_signal() == SIGINT) {
		sigprocmask(SIG_SETMASK, &orig, NULL);
		return '\n';
	}
	FD_ZERO(&fds);
	FD_SET(fd, &fds);
	ready = pselect(fd + 1, &fds, NULL, NULL, NULL, &orig);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	if (ready < 0 && errno == EINTR)
		return rl_pending_signal() == SIGINT ? '\n' : rl_getc(in);
	n = read(fd, &c, 1);
	if (n == 1)
		return c;
	if (n < 0 && errno == EINTR && rl_pending_signal() == SIGINT)
		return '\n';
	if (n < 0 && errno == EINTR)
		return rl_getc(in);
	return n == 0 || !RL_ISSTATE(RL_STATE_READCMD) ? EOF : READERR;
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
		prompt_interrupted = 0;
		line = readline(prompt);
		if (line && *line && !prompt_interrupted)
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

/*
 * Run the lines of IN until its end or .quit: dot-commands, and SQL
 * statements that may span lines.  Failures are printed and counted in
 * r->errors; the lines after them still run.
 */
static void run_lines(struct replay *r, FILE *in, int tty)
{
	char *stmt = NULL;
	size_t len = 0;

	while (!r->quit) {
		char *line = read_line(in, tty, len ? "   ...> " : "flightrec> ");
		size_t l;

		if (!line)
			break;
		if (tty && prompt_interrupted) {
			/* Ctrl-C at a prompt: forget the statement being typed */
			free(line);
			len = 0;
			continue;
		}
		if (!len) {
			const char *p = line + strspn(line, " \t");
			if (*p == '.') {
				if (replay_dot(r, p))
					r->errors++;
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
			fprintf(stderr, "flightrec-replay: out of memory reading a statement\n");
			r->errors++;
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
}

/*
 * Where the history is kept: $HOME/.flightrec_history when HOME is set and
 * the file (or, before the first session, HOME) is writable; else "".
 */
static void history_path(char *buf, size_t cap)
{
	const char *home = getenv("HOME");

	buf[0] = '\0';
	if (!home || !*home || (size_t)snprintf(buf, cap, "%s/.flightrec_history", home) >= cap) {
		buf[0] = '\0';
		return;
	}
	if (access(buf, W_OK) == 0 || (errno == ENOENT && access(home, W_OK) == 0))
		return;
	buf[0] = '\0';
}

int shell_run(struct replay *r, FILE *in)
{
	int tty = in == stdin && isatty(fileno(stdin));
	char history[4096] = "";
	struct sigaction sa = { .sa_handler = on_sigint };

	interrupt_db = r->db;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	if (tty) {
		rl_readline_name = "flightrec-replay";
		rl_attempted_completion_function = complete;
		rl_basic_word_break_characters = " \t\n\"'`,;()=<>+-*/|";
		rl_getc_function = prompt_getc;
		load_names(r->db);
		history_path(history, sizeof(history));
		stifle_history(1000);
		if (history[0])
			read_history(history);
		printf("flightrec-replay %s: %d input%s loaded.  .help for commands, .tables for tables.\n", FR_VERSION,
		       r->loaded, r->loaded == 1 ? "" : "s");
	}
	run_lines(r, in, tty);
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

/* .read nests; a file that reads itself stops here instead of overflowing the stack. */
#define READ_DEPTH_MAX 16

int shell_read_file(struct replay *r, const char *path)
{
	static int depth;
	int errors = r->errors;
	FILE *f;

	if (depth == READ_DEPTH_MAX) {
		fprintf(stderr, "flightrec-replay: .read: cannot read %s: nested more than %d deep\n", path,
			READ_DEPTH_MAX);
		return -1;
	}
	if (!(f = fopen(path, "r"))) {
		fprintf(stderr, "flightrec-replay: .read: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	depth++;
	run_lines(r, f, 0);
	depth--;
	fclose(f);
	return r->errors == errors ? 0 : -1;
}
