/*
 * cmd_dump.c - `flightrec dump PATH...`: the records of a segment, a log
 * directory or an archive, one per line as text or JSON.  Damage is named
 * on stderr with the file and offset, intact records are still printed, and
 * the exit status is 1 if anything was skipped.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "input.h"

struct dump_ctx {
	int json;
	int damaged;
	const char *host;
};

static int on_record(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k, const void *rec)
{
	struct dump_ctx *d = ctx;

	if (d->json)
		fr_record_print_json(stdout, k, rec, seg->host);
	else
		fr_record_print_text(stdout, k, rec);
	return 0;
}

static void on_warn(void *ctx, const char *name, const char *msg)
{
	struct dump_ctx *d = ctx;

	d->damaged = 1;
	fflush(stdout);
	fprintf(stderr, "flightrec: %s: %s\n", name, msg);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: flightrec dump [--json] PATH...\n"
		     "\n"
		     "Print the records of a segment file, a recorder directory (DIR or DIR/log)\n"
		     "or an archive, one per line.\n"
		     "\n"
		     "  -j, --json   one JSON object per line\n"
		     "  -h, --help   this help\n");
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fr_input_ops ops = { .record = on_record, .warn = on_warn };
	struct dump_ctx d = { 0 };
	int c, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			d.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		struct fr_read_stats st = { 0 };
		char err[512];

		if (fr_input_read(argv[i], &ops, &d, &st, err, sizeof(err)) < 0) {
			fflush(stdout);
			fprintf(stderr, "flightrec: cannot read %s: %s\n", argv[i], err);
			status = 1;
		}
	}
	fflush(stdout);
	if (ferror(stdout)) {
		fprintf(stderr, "flightrec: dump: cannot write the output\n");
		return 1;
	}
	return status || d.damaged;
}
