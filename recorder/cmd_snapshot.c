/*
 * cmd_snapshot.c - `flightrec snapshot` and `flightrec status`: clients of
 * the running recorder's control socket, DIR/control.sock.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "redact.h"
#include "util.h"

static void snapshot_usage(FILE *out)
{
	fprintf(out,
		"usage: flightrec snapshot [OPTIONS]\n"
		"\n"
		"Ask the running recorder to freeze [now - BEFORE, now + AFTER] into an archive,\n"
		"wait until it is written and print its path.\n"
		"\n"
		"  -d, --dir DIR        the recorder's directory (default " FR_DEFAULT_DIR ")\n"
		"  -b, --before DUR     window before now (default 5m)\n"
		"  -a, --after DUR      window after now (default 10s)\n"
		"  -r, --reason TEXT    why, recorded in the manifest and the file name (default manual)\n"
		"      --redact LIST    hide argv, paths, addrs (comma-separated) behind keyed hashes\n"
		"      --no-wait        return once the request is queued\n"
		"  -h, --help           this help\n");
}

static int call(const char *dir, const char *line, char *reply, size_t cap)
{
	char path[4200], err[4608];

	if (geteuid() != 0) {
		fprintf(stderr, "flightrec: permission denied: only root may control the recorder (try sudo)\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	if (control_call(path, line, reply, cap, err, sizeof(err)) < 0) {
		fprintf(stderr, "flightrec: %s\n", err);
		return -1;
	}
	if (!strncmp(reply, "error ", 6)) {
		fprintf(stderr, "flightrec: %s\n", reply + 6);
		return -1;
	}
	return 0;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },     { "before", required_argument, NULL, 'b' },
		{ "after", required_argument, NULL, 'a' },   { "reason", required_argument, NULL, 'r' },
		{ "no-wait", no_argument, NULL, 'n' },       { "help", no_argument, NULL, 'h' },
		{ "redact", required_argument, NULL, 'R' },
		{ 0 },
	};
	const char *dir = FR_DEFAULT_DIR, *reason = "manual";
	uint64_t before = 300 * NSEC_PER_SEC, after = 10 * NSEC_PER_SEC;
	char line[CONTROL_LINE_MAX], reply[8192];
	int c, wait = 1;
	unsigned redact = 0;
	char rerr[128];

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:b:a:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'b':
			if (parse_duration(optarg, &before)) {
				fprintf(stderr, "flightrec: snapshot: invalid --before '%s': expected a duration like 5m\n", optarg);
				return 1;
			}
			break;
		case 'a':
			if (parse_duration(optarg, &after)) {
				fprintf(stderr, "flightrec: snapshot: invalid --after '%s': expected a duration like 10s\n", optarg);
				return 1;
			}
			break;
		case 'r':
			reason = optarg;
			break;
		case 'n':
			wait = 0;
			break;
		case 'R':
			if (redact_parse(optarg, &redact, rerr, sizeof(rerr))) {
				fprintf(stderr, "flightrec: snapshot: invalid --redact '%s': %s\n", optarg, rerr);
				return 1;
			}
			break;
		case 'h':
			snapshot_usage(stdout);
			return 0;
		default:
			snapshot_usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flightrec: snapshot: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}
	if (strlen(reason) > 100 || strpbrk(reason, "\n\r")) {
		fprintf(stderr, "flightrec: snapshot: invalid --reason: at most 100 characters on one line\n");
		return 1;
	}
	snprintf(line, sizeof(line), "snapshot %" PRIu64 " %" PRIu64 " %d %u %s", before, after, wait, redact, reason);
	if (call(dir, line, reply, sizeof(reply)))
		return 1;
	if (!strncmp(reply, "ok ", 3))
		printf("%s\n", reply + 3);
	else
		printf("%s\n", reply);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = FR_DEFAULT_DIR;
	static char reply[65536]; /* every probe with its whole attach point */
	int c, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			printf("usage: flightrec status [--dir DIR] [--json]\n\n"
			       "Show what the running recorder is doing: since when, events per second per kind,\n"
			       "losses, disk used and budget, oldest record, probes attached and failed.\n"
			       "  -j, --json   one JSON object\n");
			return 0;
		default:
			fprintf(stderr, "usage: flightrec status [--dir DIR] [--json]\n");
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flightrec: status: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}
	if (call(dir, json ? "status json" : "status", reply, sizeof(reply)))
		return 1;
	printf("%s\n", reply + 3);
	return 0;
}
