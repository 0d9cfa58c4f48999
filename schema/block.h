/*
 * block.h - blocks: the unit of compression, checksum and recovery.
 *
 * A block is a 64-byte header and an LZ4-compressed run of framed records
 * (FORMAT.md, "Blocks").  The recorder fills a struct fr_blockbuf and seals
 * it; readers parse and check the header, then decompress the payload and
 * walk its records with fr_block_next_record().
 */
#ifndef FR_BLOCK_H
#define FR_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define FR_BLOCK_MAGIC 0x4b425246u /* "FRBK" */
#define FR_BLOCK_HDR_LEN 64
#define FR_BLOCK_FLAG_LZ4 0x1
/* Writers aim for this much raw data per block ... */
#define FR_BLOCK_RAW_TARGET (64 * 1024)
/* ... and readers refuse anything larger, whatever the header says. */
#define FR_BLOCK_RAW_MAX (1024 * 1024)

struct fr_block_hdr {
	uint16_t hdr_len;
	uint16_t flags;
	uint32_t raw_len;
	uint32_t stored_len;
	uint32_t nrecords;
	uint32_t payload_crc;
	uint64_t first_ts; /* boot-time ns, smallest in the block */
	uint64_t last_ts;  /* boot-time ns, largest in the block */
	uint64_t clock_boot; /* a clock pair taken when the block was sealed: */
	uint64_t clock_real; /* real = boot + (clock_real - clock_boot) */
};

/* Records being gathered into the next block. */
struct fr_blockbuf {
	uint8_t *raw;
	size_t len, cap;
	uint32_t nrecords;
	uint64_t first_ts, last_ts;
};

int fr_blockbuf_init(struct fr_blockbuf *bb, size_t cap);
void fr_blockbuf_free(struct fr_blockbuf *bb);
void fr_blockbuf_reset(struct fr_blockbuf *bb);
/* Encode REC of kind K; -ENOSPC when the block is full (seal, then retry). */
int fr_blockbuf_add(struct fr_blockbuf *bb, const struct fr_kind_desc *k, const void *rec);
/* Append an already framed record (kind, length, payload) whose time is TS. */
int fr_blockbuf_add_raw(struct fr_blockbuf *bb, const uint8_t *framed, size_t len, uint64_t ts);

/* Bytes a sealed block of RAW_LEN raw bytes may need at most. */
size_t fr_block_bound(size_t raw_len);
/*
 * Compress BB into OUT (at least fr_block_bound(bb->len) bytes) with its
 * header.  Returns the block's total size, or a negative errno.
 */
int fr_block_seal(const struct fr_blockbuf *bb, uint64_t clock_boot, uint64_t clock_real, uint8_t *out,
		  size_t cap);

/*
 * Parse and check the header at P (AVAIL bytes readable).  Returns 0;
 * -ENODATA when AVAIL is too short for the header or its payload (a
 * truncated tail); -EBADMSG with *WHY set when it is not a valid header.
 */
int fr_block_hdr_parse(const uint8_t *p, size_t avail, struct fr_block_hdr *h, const char **why);
/*
 * Check the payload's CRC and decompress it into RAW (FR_BLOCK_RAW_MAX
 * bytes).  Returns 0 or -EBADMSG with *WHY set.
 */
int fr_block_unpack(const struct fr_block_hdr *h, const uint8_t *payload, uint8_t *raw, const char **why);
/*
 * Next framed record of a decompressed block at *OFF.  Returns 1 with KIND,
 * PAYLOAD and PLEN set and *OFF advanced, 0 at the end, -EBADMSG when a
 * frame runs past the block.
 */
int fr_block_next_record(const uint8_t *raw, size_t len, size_t *off, unsigned *kind,
			 const uint8_t **payload, size_t *plen);

#endif
