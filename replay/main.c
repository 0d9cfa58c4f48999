/*
 * main.c - flightrec-replay: load archives into SQLite and ask them what
 * happened.  Needs neither root nor eBPF.
 *
 *   flightrec-replay [OPTIONS] ARCHIVE...          a shell (or a script on stdin)
 *   flightrec-replay [OPTIONS] ARCHIVE... -c SQL   run SQL or a dot-command, exit
 *   flightrec-replay [OPTIONS] ARCHIVE... --report FILE.html   write the HTML report, exit
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "report.h"
#include "export_clickhouse.h"
#include "shell.h"

#define COMMANDS_MAX 32

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: flightrec-replay [OPTIONS] ARCHIVE... [-c SQL]...\n"
		     "\n"
		     "Load flightrec archives (or segments, or a recorder directory) into SQLite and\n"
		     "query them: with -c, run each SQL statement or dot-command and exit; without,\n"
		     "open a shell (or run the script on standard input).\n"
		     "\n"
		     "  -c, --command SQL   run SQL or a dot-command (repeatable, in order)\n"
		     "      --csv           print CSV\n"
		     "      --json          print a JSON array of objects\n"
		     "      --line          print one 'column = value' line per column\n"
		     "      --box           print a table drawn with box characters\n"
		     "      --headers on|off  column names in table and CSV output (default on)\n"
		     "      --db FILE       keep the database in FILE; loading it again with the\n"
		     "                      same archives skips the load\n"
		     "      --report FILE   write an HTML incident report (one self-contained page)\n"
		     "                      to FILE after the -c commands, and exit\n"
		     "      --export clickhouse URL  load each archive into the ClickHouse server at\n"
		     "                      URL (http://[USER:PASSWORD@]HOST:PORT/[?database=DB&cluster=NAME])\n"
		     "                      instead of opening a shell; an archive already there adds nothing\n"
		     "  -h, --help          this help\n"
		     "      --version       the version\n");
}

/* The option getopt refused, as typed: "--name" (without "=value") or "-x". */
static const char *bad_option(const char *word, int short_opt, char *buf)
{
	if (!strncmp(word, "--", 2))
		snprintf(buf, 64, "%.*s", (int)strcspn(word, "="), word);
	else
		snprintf(buf, 64, "-%c", short_opt);
	return buf;
}

/* 1 when FILE already holds archive PATH (a --db reopened). */
static int already_loaded(struct replay *r, const char *path)
{
	sqlite3_stmt *s;
	int found = 0;

	if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM archives WHERE path = ?", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/*
 * Take `--export FORMAT TARGET` (or `--export=FORMAT TARGET`) out of ARGV
 * before getopt, which knows options of one argument only: *URL is set
 * for clickhouse.  0, or -1 after saying what is wrong.
 */
static int take_export(int *argc, char **argv, const char **url)
{
	for (int i = 1; i < *argc; i++) {
		const char *format;
		int words;

		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--export")) {
			format = i + 1 < *argc ? argv[i + 1] : NULL;
			words = 3;
		} else if (!strncmp(argv[i], "--export=", 9)) {
			format = argv[i] + 9;
			words = 2;
		} else {
			continue;
		}
		if (!format || strcmp(format, "clickhouse")) {
			fprintf(stderr, "flightrec-replay: --export: unknown format '%s' (clickhouse)\n", format ? format : "");
			return -1;
		}
		if (i + words - 1 >= *argc) {
			fprintf(stderr, "flightrec-replay: --export clickhouse needs a URL (see --help)\n");
			return -1;
		}
		*url = argv[i + words - 1];
		memmove(&argv[i], &argv[i + words], (size_t)(*argc - i - words + 1) * sizeof(*argv));
		*argc -= words;
		i--;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "command", required_argument, NULL, 'c' }, { "csv", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },          { "line", no_argument, NULL, 'L' },
		{ "box", no_argument, NULL, 'B' },
		{ "headers", required_argument, NULL, 'H' }, { "db", required_argument, NULL, 'D' },
		{ "report", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },          { "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *commands[COMMANDS_MAX], *dbfile = NULL, *report = NULL, *export_url = NULL;
	int ncommands = 0, mode = MODE_TABLE, headers = 1, c, status = 0;
	struct replay r;
	char err[512], opt[64];

	if (take_export(&argc, argv, &export_url))
		return 1;
	opterr = 0; /* our own one-line messages below */
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (ncommands == COMMANDS_MAX) {
				fprintf(stderr, "flightrec-replay: at most %d -c commands\n", COMMANDS_MAX);
				return 1;
			}
			commands[ncommands++] = optarg;
			break;
		case 'C':
			mode = MODE_CSV;
			break;
		case 'J':
			mode = MODE_JSON;
			break;
		case 'L':
			mode = MODE_LINE;
			break;
		case 'B':
			mode = MODE_BOX;
			break;
		case 'H':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr, "flightrec-replay: invalid --headers '%s': expected on or off\n", optarg);
				return 1;
			}
			headers = !strcmp(optarg, "on");
			break;
		case 'D':
			dbfile = optarg;
			break;
		case 'R':
			report = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("flightrec-replay %s\n", FR_VERSION);
			return 0;
		case ':':
			fprintf(stderr, "flightrec-replay: option '%s' needs an argument (see --help)\n",
				bad_option(argv[optind - 1], optopt, opt));
			return 1;
		default:
			bad_option(argv[optind - 1], optopt, opt);
			for (const struct option *o = opts; o->name; o++) {
				if (opt[1] == '-' && !strcmp(opt + 2, o->name)) {
					fprintf(stderr, "flightrec-replay: option '%s' takes no argument (see --help)\n", opt);
					return 1;
				}
			}
			fprintf(stderr, "flightrec-replay: unknown option '%s' (see --help)\n", opt);
			return 1;
		}
	}
	if (optind >= argc && !dbfile) {
		fprintf(stderr, "flightrec-replay: no archive given (see --help)\n");
		return 1;
	}
	if (export_url) {
		if (optind >= argc) {
			fprintf(stderr, "flightrec-replay: --export clickhouse: no archive given\n");
			return 1;
		}
		if (export_clickhouse(export_url, argv + optind, argc - optind, stdout, err, sizeof(err))) {
			fprintf(stderr, "flightrec-replay: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (replay_open(&r, dbfile, err, sizeof(err))) {
		fprintf(stderr, "flightrec-replay: %s\n", err);
		replay_close(&r);
		return 1;
	}
	r.out.mode = (enum output_mode)mode;
	r.out.headers = headers;
	/* FLIGHTREC_REPLAY_TIMING=1: how long loading and indexing took (benchmarks) */
	int timing = getenv("FLIGHTREC_REPLAY_TIMING") != NULL;
	r.timing = timing;
	double t0 = mono();
	for (int i = optind; dbfile && i < argc; i++) {
		if (already_loaded(&r, argv[i]))
			continue;
		if (replay_load(&r, argv[i], err, sizeof(err))) {
			fprintf(stderr, "flightrec-replay: cannot load %s: %s\n", argv[i], err);
			replay_close(&r);
			return 1;
		}
	}
	unsigned failed = 0;
	if (!dbfile && replay_load_all(&r, argv + optind, (unsigned)(argc - optind), &failed, err, sizeof(err))) {
		fprintf(stderr, "flightrec-replay: cannot load %s: %s\n", argv[optind + failed], err);
		replay_close(&r);
		return 1;
	}
	double t1 = mono();
	if (replay_finish(&r, err, sizeof(err))) {
		fprintf(stderr, "flightrec-replay: %s\n", err);
		replay_close(&r);
		return 1;
	}
	if (timing)
		fprintf(stderr, "flightrec-replay: loaded in %.3f s, processes and indexes in %.3f s\n", t1 - t0,
			mono() - t1);
	if (ncommands) {
		for (int i = 0; i < ncommands && !r.quit; i++) {
			const char *cmd = commands[i] + strspn(commands[i], " \t\n");
			if ((*cmd == '.' ? replay_dot(&r, cmd) : replay_exec(&r, cmd)) != 0) {
				status = 1;
				break;
			}
		}
	} else if (!report) {
		status = shell_run(&r, stdin);
	}
	if (report && !status) {
		if (report_write(&r, report, err, sizeof(err))) {
			fprintf(stderr, "flightrec-replay: --report: %s\n", err);
			status = 1;
		}
	}
	replay_close(&r);
	return status;
}
