/*
 * archive_window.h - the parts of the archive writer (archive_write.h),
 * one concern a file:
 *
 *   archive_window.c    which records go into the window, re-packed into blocks
 *   archive_ptab.c      the process table at the window's start
 *   archive_manifest.c  MANIFEST.json
 *   archive_write.c     the tar, its checksums, and writing it durably
 *
 * Internal to them; the rest of the recorder uses archive_write.h.
 */
#ifndef FR_ARCHIVE_WINDOW_H
#define FR_ARCHIVE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "archive_write.h"
#include "block.h"
#include "record.h"

/* A growing buffer in memory: an archive's members are built whole before the tar. */
struct membuf {
	uint8_t *p;
	size_t len, cap;
};

/* Append LEN bytes; 0 or -ENOMEM. */
int mb_append(struct membuf *m, const void *data, size_t len);
int mb_printf(struct membuf *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* S as a JSON string literal (json_quote()). */
void mb_json_string(struct membuf *m, const char *s);

/* What went into the window, for the manifest. */
struct window_out {
	struct fr_blockbuf bb;
	struct membuf seg;      /* window.seg */
	uint8_t *sealed;
	size_t sealed_cap;
	int64_t bb_delta;       /* clock delta of the records in bb */
	uint64_t counts[FR_KIND_MAX];
	uint64_t drops_ringbuf, drops_writer;
	uint64_t records;
	uint64_t start_procs; /* processes alive at the window's start */
	const struct redactor *redact; /* NULL: records are copied as they are */
};

/* Seal the records waiting in O's block into window.seg; 0 or -errno. */
int window_seal(struct window_out *o);
/* Add one framed record of boot time TS written with clock delta DELTA; 0 or -errno. */
int window_copy_record(struct window_out *o, const uint8_t *framed, size_t len, uint64_t ts, int64_t delta);
/*
 * Every record of the window: the process table at its start, the
 * connections open at its end, then the records of the segments that
 * hold it, in order, sealed.  0 or -errno.
 */
int window_select(const struct archive_job *job, struct window_out *o);
/* The process table at the window's start, from segment PATH (the one holding the start), into O. */
int window_start_table(const struct archive_job *job, const char *path, struct window_out *o);
/* MANIFEST.json of the window O of JOB (DELTA: real minus boot ns) into M; 0 or -ENOMEM. */
int manifest_build(const struct archive_job *job, const struct window_out *o, int64_t delta, struct membuf *m);

#endif
