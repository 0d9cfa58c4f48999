/*
 * shell.c - the interactive shell around the replay: readline with
 * history and completion on a terminal, plain lines from a script.
 *
 * Ctrl-C interrupts the running statement (sqlite3_interrupt), not the
 * shell, and at a prompt forgets the statement being typed; Ctrl-D leaves.
 * History lives in ~/.flightrec_history.  The lines themselves run in
 * replay_run_lines() (dotcmd.c), which `.read FILE` runs too: this file
 * only feeds it lines, so it calls dotcmd.c and never the reverse.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
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

/* One line typed at PROMPT, without its newline, kept in the history; NULL at the end. */
static char *read_line(const char *prompt)
{
	char *line;

	prompt_interrupted = 0;
	line = readline(prompt);
	if (line && *line && !prompt_interrupted)
		add_history(line);
	return line;
}

/* Lines for replay_run_lines() from a terminal (readline) or a script. */
struct line_source {
	FILE *in;
	int tty;
};

static char *next_line(void *ctx, int cont, int *forget)
{
	struct line_source *src = ctx;
	char *line;

	if (!src->tty)
		return replay_file_line(src->in, cont, forget);
	line = read_line(cont ? "   ...> " : "flightrec> ");
	/* Ctrl-C at a prompt: forget the statement being typed */
	*forget = prompt_interrupted;
	return line;
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
	replay_run_lines(r, next_line, &(struct line_source){ in, tty });
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
