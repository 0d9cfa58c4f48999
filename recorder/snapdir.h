/*
 * snapdir.h - the archives in DIR/snapshots: listing them with what their
 * manifests say, and keeping them within --max-snapshots and
 * --max-snapshot-disk (apart from the rolling log's budget).
 */
#ifndef FR_SNAPDIR_H
#define FR_SNAPDIR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct snap_entry {
	char name[256];
	uint64_t size;
	time_t mtime;
};

/* The *.tar files of SNAPDIR, oldest first (by name: HOST-UTCTIME-REASON). */
int snapdir_list(const char *snapdir, struct snap_entry **out, size_t *n);
/* Delete the oldest archives beyond MAX_COUNT or MAX_BYTES (0: no bound); how many went. */
int snapdir_enforce(const char *snapdir, uint64_t max_count, uint64_t max_bytes);
/*
 * Remove the temporary files (*.tar.tmp) of archives whose writer died
 * (SIGKILL, a crash of the recorder).  Only when no writer runs: there is
 * one at a time.  Returns how many went.
 */
int snapdir_clean_tmp(const char *snapdir);

#endif
