/*
 * cmd_snapshots.c - `flightrec snapshots [--dir DIR]`: the stored archives,
 * oldest first, with when they were triggered, why, their size and window.
 */
#include <archive.h>
#include <archive_entry.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "snapdir.h"
#include "util.h"

/* MANIFEST.json of the archive at PATH (its first member), malloc'd. */
static char *read_manifest(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *text = NULL;

	if (!a)
		return NULL;
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK && !strcmp(archive_entry_pathname(e), "MANIFEST.json") &&
	    archive_entry_size(e) > 0 && archive_entry_size(e) < (1 << 20)) {
		size_t len = (size_t)archive_entry_size(e);
		text = malloc(len + 1);
		if (text && archive_read_data(a, text, len) == (la_ssize_t)len)
			text[len] = '\0';
		else {
			free(text);
			text = NULL;
		}
	}
	archive_read_free(a);
	return text;
}

/* The string after "KEY": "..." (no escapes expected in these keys). */
static void json_str(const char *text, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	if (!text || !(p = strstr(text, pat)))
		return;
	p += strlen(pat);
	while (p[n] && p[n] != '"' && n + 1 < cap)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

static long long json_ll(const char *text, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	if (!text || !(p = strstr(text, pat)))
		return -1;
	return strtoll(p + strlen(pat), NULL, 10);
}

int cmd_snapshots(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = FR_DEFAULT_DIR;
	char snapdir[4200];
	struct snap_entry *v;
	size_t n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		if (c == 'd') {
			dir = optarg;
			continue;
		}
		if (c == 'h') {
			printf("usage: flightrec snapshots [--dir DIR]\n\n"
			       "List the archives in DIR/snapshots, oldest first: trigger time (UTC), reason,\n"
			       "size, window length and records.\n");
			return 0;
		}
		fprintf(stderr, "usage: flightrec snapshots [--dir DIR]\n");
		return 1;
	}
	snprintf(snapdir, sizeof(snapdir), "%s/snapshots", dir);
	if (snapdir_list(snapdir, &v, &n) < 0) {
		fprintf(stderr, "flightrec: cannot list %s\n", snapdir);
		return 1;
	}
	printf("%-24s %-16s %10s %8s %9s  %s\n", "TRIGGERED (UTC)", "REASON", "SIZE", "WINDOW", "RECORDS", "FILE");
	for (size_t i = 0; i < n; i++) {
		char path[4600], when[40], reason[64], size[32], window[32];
		snprintf(path, sizeof(path), "%s/%s", snapdir, v[i].name);
		char *m = read_manifest(path);
		long long start = json_ll(m, "start_ns"), end = json_ll(m, "end_ns"), recs = json_ll(m, "records_total");

		json_str(m && strstr(m, "\"trigger\"") ? strstr(m, "\"trigger\"") : NULL, "utc", when, sizeof(when));
		json_str(m, "reason", reason, sizeof(reason));
		if (strlen(when) > 19)
			when[19] = '\0';
		format_size(v[i].size, size, sizeof(size));
		if (start >= 0 && end >= start)
			snprintf(window, sizeof(window), "%.0fs", (double)(end - start) / 1e9);
		else
			snprintf(window, sizeof(window), "?");
		printf("%-24s %-16s %10s %8s %9lld  %s%s\n", m ? when : "(unreadable)", reason, size, window, recs,
		       v[i].name, m ? "" : " (no manifest)");
		free(m);
	}
	free(v);
	return 0;
}
