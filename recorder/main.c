/*
 * main.c - flightrec: record what the host does, freeze windows of it.
 * A subcommand is a row of the table below and a cmd_NAME() in its own file.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "record", cmd_record, "record process lifecycles into a rolling log (root)" },
	{ "snapshot", cmd_snapshot, "freeze a window of the log into an archive (root)" },
	{ "snapshots", cmd_snapshots, "list the archives in DIR/snapshots" },
	{ "status", cmd_status, "show what the running recorder is doing (root)" },
	{ "dump", cmd_dump, "print the records of a segment, a log directory or an archive" },
	{ "verify", cmd_verify, "check an archive: checksums, block CRCs, records inside its window" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: flightrec COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n'flightrec COMMAND --help' shows the options of a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("flightrec %s\n", FR_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "flightrec: unknown command '%s' (see flightrec --help)\n", argv[1]);
	return 1;
}
