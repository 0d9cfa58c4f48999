/*
 * fuzz_load.c - libFuzzer target: the archive reader (schema/input.c) and
 * the loader into an in-memory SQLite database (replay/loader.c), up to
 * the rebuilt processes table and the indexes, and the dot-commands that
 * read what was loaded (replay/analyze.c, export.c), printing to /dev/null.
 *
 * The first byte chooses what the rest is: even, a file given to
 * flightrec-replay as is (a tar archive or a segment); odd, the records of
 * one block, sealed here into a valid segment (correct CRCs) so that the
 * loader sees every record the fuzzer can frame.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "block.h"
#include "db.h"
#include "segment.h"

/* A segment of one block holding RAW as its framed records. */
static int write_sealed(int fd, const uint8_t *raw, size_t len)
{
	struct fr_seg_hdr sh = { .major = FR_FORMAT_MAJOR, .minor = FR_FORMAT_MINOR, .host = "fuzz" };
	struct fr_blockbuf bb;
	uint8_t hdr[FR_SEG_HDR_LEN], *out;
	size_t cap = fr_block_bound(len);
	int n, ret = -1;

	if (len > FR_BLOCK_RAW_MAX || fr_blockbuf_init(&bb, len ? len : 1))
		return -1;
	fr_blockbuf_add_raw(&bb, raw, len, 1);
	out = malloc(cap);
	fr_seg_hdr_encode(&sh, hdr);
	if (out && (n = fr_block_seal(&bb, 0, 0, out, cap)) > 0 &&
	    write(fd, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr) && write(fd, out, (size_t)n) == n)
		ret = 0;
	free(out);
	fr_blockbuf_free(&bb);
	return ret;
}

/*
 * One database for all inputs (creating the schema costs more than most
 * loads): emptied after each, as a fresh one would be.
 */
static void empty_tables(sqlite3 *db)
{
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(db, "SELECT 'DELETE FROM \"' || name || '\"' FROM sqlite_master"
			       " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", -1, &q, NULL) != SQLITE_OK)
		abort();
	while (sqlite3_step(q) == SQLITE_ROW)
		sqlite3_exec(db, (const char *)sqlite3_column_text(q, 0), NULL, NULL, NULL);
	sqlite3_finalize(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct replay r;
	char path[64], err[512];
	int fd;

	if (size < 1)
		return 0;
	if (!r.db) {
		/* runs of a few records: a segment's blocks cut and read on worker threads (load_runs), even small ones */
		setenv("FLIGHTREC_REPLAY_RUN_RECORDS", "3", 0);
		if (replay_open(&r, NULL, err, sizeof(err)) || !(r.out.fp = fopen("/dev/null", "w")))
			abort();
	}
	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (data[0] & 1) {
		if (write_sealed(fd, data + 1, size - 1)) {
			close(fd);
			return 0;
		}
	} else if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (replay_load(&r, path, err, sizeof(err)) == 0 && replay_finish(&r, err, sizeof(err)) == 0) {
		static const char *const dots[] = { ".summary", ".procs", ".timeline", ".tree", ".conns", ".gaps",
						    ".hosts", ".slow", ".top syscalls", ".around 1", ".follow 1",
						    ".export perfetto /dev/null" };
		for (size_t i = 0; i < sizeof(dots) / sizeof(dots[0]); i++)
			replay_dot(&r, dots[i]);
	}
	r.loaded = 0;
	empty_tables(r.db);
	close(fd);
	return 0;
}
