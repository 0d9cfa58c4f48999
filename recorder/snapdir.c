/*
 * snapdir.c - list and bound the archives in DIR/snapshots.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapdir.h"
#include "util.h"

static int by_time(const void *a, const void *b)
{
	const struct snap_entry *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

int snapdir_list(const char *snapdir, struct snap_entry **out, size_t *n)
{
	struct snap_entry *v = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d = opendir(snapdir);

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[4400];
		struct stat st;
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".tar") || l >= sizeof(v->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", snapdir, de->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			struct snap_entry *nv = realloc(v, (cap = cap ? 2 * cap : 32) * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", de->d_name);
		v[*n].size = (uint64_t)st.st_size;
		v[*n].mtime = st.st_mtime;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), by_time);
	*out = v;
	return 0;
}

int snapdir_enforce(const char *snapdir, uint64_t max_count, uint64_t max_bytes)
{
	struct snap_entry *v;
	uint64_t total = 0;
	size_t n, first = 0;
	int deleted = 0;

	if (snapdir_list(snapdir, &v, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		total += v[i].size;
	/* The newest archive always stays, whatever the bounds. */
	while (first + 1 < n && ((max_count && n - first > max_count) || (max_bytes && total > max_bytes))) {
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", snapdir, v[first].name);
		if (unlink(path) == 0) {
			deleted++;
			fprintf(stderr, "flightrec: deleted old snapshot %s (keeping within the snapshot bounds)\n", path);
		}
		total -= v[first].size;
		first++;
	}
	if (deleted)
		fsync_parent(snapdir);
	free(v);
	return deleted;
}

int snapdir_clean_tmp(const char *snapdir)
{
	DIR *d = opendir(snapdir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[4400];
		size_t l = strlen(de->d_name);

		if (l < 9 || strcmp(de->d_name + l - 8, ".tar.tmp"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", snapdir, de->d_name);
		if (unlink(path) == 0) {
			n++;
			fprintf(stderr, "flightrec: removed %s, an archive whose writer died before finishing it\n", path);
		}
	}
	closedir(d);
	if (n) {
		char entry[4400];
		snprintf(entry, sizeof(entry), "%s/.", snapdir); /* fsync SNAPDIR itself */
		fsync_parent(entry);
	}
	return n;
}
