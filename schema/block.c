/*
 * block.c - building, sealing (LZ4 + CRC-32C) and parsing blocks.
 * Layout: FORMAT.md, "Blocks".
 */
#include <errno.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "crc32c.h"
#include "le.h"

int fr_blockbuf_init(struct fr_blockbuf *bb, size_t cap)
{
	memset(bb, 0, sizeof(*bb));
	bb->raw = malloc(cap);
	if (!bb->raw)
		return -ENOMEM;
	bb->cap = cap;
	return 0;
}

void fr_blockbuf_free(struct fr_blockbuf *bb)
{
	free(bb->raw);
	bb->raw = NULL;
}

void fr_blockbuf_reset(struct fr_blockbuf *bb)
{
	bb->len = 0;
	bb->nrecords = 0;
	bb->first_ts = bb->last_ts = 0;
}

static void note_ts(struct fr_blockbuf *bb, uint64_t ts)
{
	if (bb->nrecords == 0 || ts < bb->first_ts)
		bb->first_ts = ts;
	if (bb->nrecords == 0 || ts > bb->last_ts)
		bb->last_ts = ts;
	bb->nrecords++;
}

int fr_blockbuf_add(struct fr_blockbuf *bb, const struct fr_kind_desc *k, const void *rec)
{
	int n = fr_record_encode(k, rec, bb->raw + bb->len, bb->cap - bb->len);

	if (n < 0)
		return n;
	note_ts(bb, fr_payload_ts(bb->raw + bb->len + FR_RECORD_FRAME, (size_t)n - FR_RECORD_FRAME));
	bb->len += (size_t)n;
	return 0;
}

int fr_blockbuf_add_raw(struct fr_blockbuf *bb, const uint8_t *framed, size_t len, uint64_t ts)
{
	if (len > bb->cap - bb->len)
		return -ENOSPC;
	memcpy(bb->raw + bb->len, framed, len);
	bb->len += len;
	note_ts(bb, ts);
	return 0;
}

size_t fr_block_bound(size_t raw_len)
{
	return FR_BLOCK_HDR_LEN + (size_t)LZ4_compressBound((int)raw_len);
}

int fr_block_seal(const struct fr_blockbuf *bb, uint64_t clock_boot, uint64_t clock_real, uint8_t *out,
		  size_t cap)
{
	int stored;

	if (bb->len > FR_BLOCK_RAW_MAX || cap < fr_block_bound(bb->len))
		return -EINVAL;
	stored = LZ4_compress_default((const char *)bb->raw, (char *)out + FR_BLOCK_HDR_LEN, (int)bb->len,
				      (int)(cap - FR_BLOCK_HDR_LEN));
	if (stored <= 0 && bb->len > 0)
		return -EIO;
	le32_put(out, FR_BLOCK_MAGIC);
	le16_put(out + 4, FR_BLOCK_HDR_LEN);
	le16_put(out + 6, FR_BLOCK_FLAG_LZ4);
	le32_put(out + 8, (uint32_t)bb->len);
	le32_put(out + 12, (uint32_t)stored);
	le32_put(out + 16, bb->nrecords);
	le32_put(out + 20, crc32c(0, out + FR_BLOCK_HDR_LEN, (size_t)stored));
	le64_put(out + 24, bb->first_ts);
	le64_put(out + 32, bb->last_ts);
	le64_put(out + 40, clock_boot);
	le64_put(out + 48, clock_real);
	le32_put(out + 56, 0);
	le32_put(out + 60, crc32c(0, out, 60));
	return FR_BLOCK_HDR_LEN + stored;
}

int fr_block_hdr_parse(const uint8_t *p, size_t avail, struct fr_block_hdr *h, const char **why)
{
	if (avail < FR_BLOCK_HDR_LEN)
		return -ENODATA;
	if (le32_get(p) != FR_BLOCK_MAGIC) {
		*why = "bad block magic";
		return -EBADMSG;
	}
	if (le32_get(p + 60) != crc32c(0, p, 60)) {
		*why = "bad block header CRC";
		return -EBADMSG;
	}
	h->hdr_len = le16_get(p + 4);
	h->flags = le16_get(p + 6);
	h->raw_len = le32_get(p + 8);
	h->stored_len = le32_get(p + 12);
	h->nrecords = le32_get(p + 16);
	h->payload_crc = le32_get(p + 20);
	h->first_ts = le64_get(p + 24);
	h->last_ts = le64_get(p + 32);
	h->clock_boot = le64_get(p + 40);
	h->clock_real = le64_get(p + 48);
	if (h->hdr_len != FR_BLOCK_HDR_LEN) {
		*why = "unsupported block header length";
		return -EBADMSG;
	}
	if (h->flags & ~FR_BLOCK_FLAG_LZ4) {
		*why = "unknown block flags";
		return -EBADMSG;
	}
	if (h->raw_len > FR_BLOCK_RAW_MAX) {
		*why = "block larger than the format allows";
		return -EBADMSG;
	}
	if (h->stored_len > (uint32_t)LZ4_compressBound(FR_BLOCK_RAW_MAX)) {
		*why = "block payload larger than the format allows";
		return -EBADMSG;
	}
	if (avail - FR_BLOCK_HDR_LEN < h->stored_len)
		return -ENODATA;
	return 0;
}

int fr_block_unpack(const struct fr_block_hdr *h, const uint8_t *payload, uint8_t *raw, const char **why)
{
	if (crc32c(0, payload, h->stored_len) != h->payload_crc) {
		*why = "bad block CRC";
		return -EBADMSG;
	}
	if (!(h->flags & FR_BLOCK_FLAG_LZ4)) {
		if (h->stored_len != h->raw_len) {
			*why = "stored length differs from raw length";
			return -EBADMSG;
		}
		memcpy(raw, payload, h->raw_len);
		return 0;
	}
	if (h->raw_len == 0 && h->stored_len == 0)
		return 0;
	if (LZ4_decompress_safe((const char *)payload, (char *)raw, (int)h->stored_len,
				FR_BLOCK_RAW_MAX) != (int)h->raw_len) {
		*why = "block does not decompress to its stated length";
		return -EBADMSG;
	}
	return 0;
}

int fr_block_next_record(const uint8_t *raw, size_t len, size_t *off, unsigned *kind,
			 const uint8_t **payload, size_t *plen)
{
	size_t n;

	if (*off == len)
		return 0;
	if (len - *off < FR_RECORD_FRAME)
		return -EBADMSG;
	*kind = le16_get(raw + *off);
	n = le16_get(raw + *off + 2);
	if (len - *off - FR_RECORD_FRAME < n)
		return -EBADMSG;
	*payload = raw + *off + FR_RECORD_FRAME;
	*plen = n;
	*off += FR_RECORD_FRAME + n;
	return 1;
}
