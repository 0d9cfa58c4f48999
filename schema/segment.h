/*
 * segment.h - segment files: a 256-byte header, then blocks.
 *
 * The recorder appends blocks to segments under DIR/log/; an archive carries
 * the records of its window in one segment-format member.  The reader works
 * on a buffer in memory (an mmap'd file or an archive member), checks every
 * header and CRC, skips a damaged block by searching for the next valid
 * block header, and stops quietly at a truncated tail, counting what it
 * skipped.  Layout: FORMAT.md, "Segments".
 */
#ifndef FR_SEGMENT_H
#define FR_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "record.h"

#define FR_SEG_MAGIC "FRECSEG"	/* 8 bytes with its NUL */
#define FR_SEG_HDR_LEN 256
#define FR_FORMAT_MAJOR 1
#define FR_FORMAT_MINOR 6
#define FR_SEG_FLAG_WINDOW 0x1 /* the window of an archive, not a live log */

struct fr_seg_hdr {
	uint16_t major, minor;
	uint32_t flags;
	uint64_t seq;
	uint64_t created_boot;
	uint64_t created_real;
	char boot_id[40];
	char host[72];
	char kernel[72];
};

/* Encode H into OUT (FR_SEG_HDR_LEN bytes). */
void fr_seg_hdr_encode(const struct fr_seg_hdr *h, uint8_t *out);
/*
 * Parse and check the header in the first LEN bytes of P.  Returns 0, or
 * -EBADMSG / -EPROTONOSUPPORT with a message in ERR.
 */
int fr_seg_hdr_parse(const uint8_t *p, size_t len, struct fr_seg_hdr *h, char *err, size_t errlen);

/* What a read found, for the messages of dump and the replay loader. */
struct fr_read_stats {
	uint64_t blocks;        /* intact blocks read */
	uint64_t records;       /* records decoded */
	uint64_t bad_blocks;    /* damaged blocks skipped */
	uint64_t bad_records;   /* records that did not decode */
	uint64_t unknown;       /* records of kinds this build does not know */
	uint64_t skipped_bytes; /* bytes skipped over damage */
	uint64_t truncated_bytes; /* an incomplete block at the end */
};

/* Called for each decoded record; its TS fields are Unix-epoch ns. */
typedef int (*fr_record_fn)(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k,
			    const void *rec);
/* Called once for each damage found, with a message naming the offset. */
typedef void (*fr_warn_fn)(void *ctx, const char *name, const char *msg);

struct fr_seg_reader {
	const uint8_t *data;
	size_t len, off;
	const char *name;
	struct fr_seg_hdr hdr;
	uint8_t *raw; /* FR_BLOCK_RAW_MAX bytes */
	struct fr_read_stats *stats;
	fr_warn_fn warn;
	void *ctx;
	/* When max_ts is set, blocks wholly outside [min_ts, max_ts] (boot ns)
	 * are stepped over without being checked or decompressed. */
	uint64_t min_ts, max_ts;
	/*
	 * Set when DATA was mapped by fr_map_file and nothing else reads it:
	 * the pages of the blocks read are given back (MADV_DONTNEED) every
	 * FR_SEG_RELEASE_STEP bytes, so that a segment of hundreds of MB is
	 * not resident, in the reader's memory, all at once.  RELEASED: how far.
	 */
	int release;
	size_t released;
};
#define FR_SEG_RELEASE_STEP ((size_t)16 << 20)

/* Check the header of DATA; 0, or a negative errno with ERR set. */
int fr_seg_reader_open(struct fr_seg_reader *r, const uint8_t *data, size_t len, const char *name,
		       struct fr_read_stats *stats, fr_warn_fn warn, void *ctx, char *err, size_t errlen);
void fr_seg_reader_close(struct fr_seg_reader *r);
/*
 * Next intact block: 1 with H set and its records in r->raw (h->raw_len
 * bytes), 0 at the end.  Damage is reported through warn and skipped.
 * OFFSET, when not NULL, receives the block's offset in the data.
 */
int fr_seg_reader_next(struct fr_seg_reader *r, struct fr_block_hdr *h, size_t *offset);
/*
 * Cut R's blocks, from r->off, into runs of about RECORDS records each, by
 * their headers alone (nothing is decompressed or checked past them): the
 * malloc'd offsets of the N runs' starts and, last, r->len (N + 1 of them),
 * or NULL when out of memory.  Where a damaged header stops the walk, the
 * last run takes the rest, damage included, as the whole reader would.
 */
size_t *fr_seg_split(const struct fr_seg_reader *r, uint64_t records, size_t *n);
/*
 * SUB: a reader of R's segment over the blocks in [FROM, TO) only (a run
 * of fr_seg_split), with its own buffer, STATS and WARN; readers of
 * different runs may run on different threads.  Close it with
 * fr_seg_reader_close().  0, or -ENOMEM.
 */
int fr_seg_reader_sub(struct fr_seg_reader *sub, const struct fr_seg_reader *r, size_t from, size_t to,
		      struct fr_read_stats *stats, fr_warn_fn warn, void *ctx);
/* Decode every record of the segment and call FN; stops early if FN returns non-zero. */
int fr_seg_read_records(struct fr_seg_reader *r, fr_record_fn fn, void *ctx);

/* Map a file read-only.  Returns 0 or -errno. */
int fr_map_file(const char *path, const uint8_t **data, size_t *len);
void fr_unmap_file(const uint8_t *data, size_t len);

#endif
