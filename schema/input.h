/*
 * input.h - read records from whatever a user points at: one segment file,
 * a recorder directory (DIR or DIR/log), or an archive (a tar).
 *
 * Archives are untrusted: member names and types are checked, member sizes
 * are bounded, SHA256SUMS is verified, and damage inside a segment costs
 * only the damaged blocks.  Layout: FORMAT.md, "Archives".
 */
#ifndef FR_INPUT_H
#define FR_INPUT_H

#include <stddef.h>

#include "segment.h"

/* Largest archive member read into memory. */
#define FR_MEMBER_MAX ((size_t)2 << 30)
#define FR_MANIFEST_MAX ((size_t)1 << 20)

struct fr_input_ops {
	fr_record_fn record;
	fr_warn_fn warn;
	/* An archive's MANIFEST.json (NUL-terminated), may be NULL. */
	int (*manifest)(void *ctx, const char *path, const char *json, size_t len);
	/* Each segment (or archive window) before its records, may be NULL. */
	int (*segment)(void *ctx, const char *name, const struct fr_seg_hdr *hdr);
	/* An archive member of no kind above (symbols.txt), its LEN bytes as read, may be NULL. */
	int (*member)(void *ctx, const char *path, const char *name, const void *data, size_t len);
	/*
	 * Decode the records of each segment, opened and announced to segment
	 * above, in place of fr_seg_read_records(R, record, ctx) (for
	 * instance its runs of blocks on several threads), with the same
	 * result; may be NULL.  R's data stays valid until it returns.
	 */
	int (*records)(void *ctx, struct fr_seg_reader *r);
};

/*
 * Read every record under PATH.  Returns 0 when PATH was read (damage inside
 * is reported through ops->warn and counted in STATS); a negative errno
 * with a one-line reason in ERR when PATH cannot be read at all.
 */
int fr_input_read(const char *path, const struct fr_input_ops *ops, void *ctx, struct fr_read_stats *stats,
		  char *err, size_t errlen);

/*
 * The segment files (*.seg) directly in LOGDIR, in name order, which is
 * the order they were written: *NAMES (malloc'd, as is each name, free
 * with fr_seg_list_free()) and *N.  0 (perhaps none) or -errno.
 */
int fr_seg_list(const char *logdir, char ***names, size_t *n);
void fr_seg_list_free(char **names, size_t n);

#endif
