/*
 * store.h - the segment store: DIR/log/NNNNNNNNNNNNNNNN.seg files that the
 * recorder appends sealed blocks to, rotated by size and age, with the
 * oldest deleted to stay within --max-disk, and the tail of the newest
 * repaired after a crash.  Layout: schema/FORMAT.md, "Recorder directory".
 */
#ifndef FR_STORE_H
#define FR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "hostinfo.h"

struct store_opts {
	uint64_t segment_size;   /* rotate when the next block would pass this */
	uint64_t segment_age_ns; /* rotate when the current segment is older */
	uint64_t max_disk;       /* delete the oldest segments beyond this */
};

struct store_seg {
	uint64_t seq;
	uint64_t size;
	uint64_t created_boot; /* from its header: the boot ns of its first possible record */
};

struct store {
	char logdir[4096];
	struct store_opts opts;
	struct hostinfo hi;
	int fd;                  /* current segment, -1 before the first block */
	uint64_t cur_created;    /* boot ns the current segment was opened */
	int dirty;               /* written since the last store_sync() */
	struct store_seg *segs;  /* oldest first; the current one is last */
	size_t nsegs, cap;
	uint64_t next_seq;
	uint64_t total;          /* bytes in all segments */
	uint64_t pin_seq;        /* keep segments with seq >= this (UINT64_MAX: none) */
	uint64_t deleted;        /* segments deleted by retention */
	uint64_t repaired_bytes; /* torn tail cut at open */
	uint64_t last_ts;        /* newest record time in the log found at open, boot ns */
	char last_boot_id[40];   /* ... and the boot it belongs to */
	char err[512];
};

/*
 * Open the store in DIR/log (created 0700), repair the newest segment's
 * tail and apply retention.  Returns 0 or -errno with s->err set.
 */
int store_open(struct store *s, const char *dir, const struct store_opts *o, const struct hostinfo *hi);
/*
 * Append one sealed block, rotating first when size or age says so.
 * Returns 0 or -errno with s->err set; on failure nothing of the block
 * remains in the segment.
 */
int store_append(struct store *s, const void *block, size_t len);
/*
 * The two halves of store_append: make room for LEN bytes (rotating when
 * size or age says so), returning 1 when a new segment was begun, 0 when
 * not, -errno on failure; then write the block to the current segment.
 */
int store_prepare(struct store *s, size_t len);
int store_write(struct store *s, const void *block, size_t len);
/* fdatasync the current segment if written since the last call. */
int store_sync(struct store *s);
/* Start a new segment on the next append. */
void store_rotate(struct store *s);
/* Keep segments with seq >= SEQ from retention (UINT64_MAX to release). */
void store_pin(struct store *s, uint64_t seq);
/* Sequence number of the oldest segment that may hold records at or after BOOT_NS. */
uint64_t store_seq_for(const struct store *s, uint64_t boot_ns);
/* Boot ns the oldest segment was opened, 0 when there is none. */
uint64_t store_oldest_boot(const struct store *s);
/* Delete the oldest unpinned segments while over the budget. */
void store_enforce_budget(struct store *s);
void store_close(struct store *s);
/* Path of segment SEQ in LOGDIR. */
void store_seg_path(const char *logdir, uint64_t seq, char *buf, size_t cap);

#endif
