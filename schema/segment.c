/*
 * segment.c - segment headers and the damage-tolerant segment reader.
 * Layout: FORMAT.md, "Segments".
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "le.h"
#include "segment.h"

static void put_str(uint8_t *out, const char *s, size_t size)
{
	size_t n = strnlen(s, size - 1);

	memset(out, 0, size);
	memcpy(out, s, n);
}

static void get_str(char *dst, const uint8_t *in, size_t size)
{
	memcpy(dst, in, size);
	dst[size - 1] = '\0';
}

void fr_seg_hdr_encode(const struct fr_seg_hdr *h, uint8_t *out)
{
	memset(out, 0, FR_SEG_HDR_LEN);
	memcpy(out, FR_SEG_MAGIC, 8);
	le16_put(out + 8, h->major);
	le16_put(out + 10, h->minor);
	le32_put(out + 12, FR_SEG_HDR_LEN);
	le64_put(out + 16, h->seq);
	le64_put(out + 24, h->created_boot);
	le64_put(out + 32, h->created_real);
	put_str(out + 40, h->boot_id, 40);
	put_str(out + 80, h->host, 72);
	put_str(out + 152, h->kernel, 72);
	le32_put(out + 224, h->flags);
	le32_put(out + 252, crc32c(0, out, 252));
}

int fr_seg_hdr_parse(const uint8_t *p, size_t len, struct fr_seg_hdr *h, char *err, size_t errlen)
{
	if (len < FR_SEG_HDR_LEN) {
		snprintf(err, errlen, "too short for a segment header (%zu bytes)", len);
		return -EBADMSG;
	}
	if (memcmp(p, FR_SEG_MAGIC, 8)) {
		snprintf(err, errlen, "not a flightrec segment (bad magic)");
		return -EBADMSG;
	}
	if (le32_get(p + 252) != crc32c(0, p, 252)) {
		snprintf(err, errlen, "bad segment header CRC");
		return -EBADMSG;
	}
	h->major = le16_get(p + 8);
	h->minor = le16_get(p + 10);
	if (h->major != FR_FORMAT_MAJOR) {
		snprintf(err, errlen, "format version %u.%u is not supported (this build reads %u.x)",
			 h->major, h->minor, FR_FORMAT_MAJOR);
		return -EPROTONOSUPPORT;
	}
	if (le32_get(p + 12) != FR_SEG_HDR_LEN) {
		snprintf(err, errlen, "unsupported segment header length %u", le32_get(p + 12));
		return -EBADMSG;
	}
	h->seq = le64_get(p + 16);
	h->created_boot = le64_get(p + 24);
	h->created_real = le64_get(p + 32);
	get_str(h->boot_id, p + 40, 40);
	get_str(h->host, p + 80, 72);
	get_str(h->kernel, p + 152, 72);
	h->flags = le32_get(p + 224);
	return 0;
}

int fr_seg_reader_open(struct fr_seg_reader *r, const uint8_t *data, size_t len, const char *name,
		       struct fr_read_stats *stats, fr_warn_fn warn, void *ctx, char *err, size_t errlen)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = fr_seg_hdr_parse(data, len, &r->hdr, err, errlen);
	if (ret)
		return ret;
	r->raw = malloc(FR_BLOCK_RAW_MAX);
	if (!r->raw) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->data = data;
	r->len = len;
	r->off = FR_SEG_HDR_LEN;
	r->name = name;
	r->stats = stats;
	r->warn = warn;
	r->ctx = ctx;
	return 0;
}

void fr_seg_reader_close(struct fr_seg_reader *r)
{
	free(r->raw);
	r->raw = NULL;
}

static void warnf(struct fr_seg_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(struct fr_seg_reader *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!r->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->warn(r->ctx, r->name, msg);
}

/* Offset of the next valid block header after a damaged one, or len. */
static size_t resync(struct fr_seg_reader *r, size_t from)
{
	struct fr_block_hdr h;
	const char *why;

	for (size_t o = from; o + FR_BLOCK_HDR_LEN <= r->len; o++) {
		if (r->data[o] != 'F' || le32_get(r->data + o) != FR_BLOCK_MAGIC)
			continue;
		int ret = fr_block_hdr_parse(r->data + o, r->len - o, &h, &why);
		if (ret == 0 || ret == -ENODATA)
			return o;
	}
	return r->len;
}

/*
 * r->release: give back the pages wholly behind r->off, a step at a time
 * (a page re-read would come back from the file).  DATA need not start a
 * page (a member of an archive): the pages are those of the mapping.
 */
static void release_behind(struct fr_seg_reader *r)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), from, upto;

	/* at the end, the rest (a run of fr_seg_split is often shorter than a step) */
	if (!r->release || r->off < r->released || (r->off - r->released < FR_SEG_RELEASE_STEP && r->off < r->len))
		return;
	from = ((uintptr_t)r->data + r->released + page - 1) / page * page;
	upto = ((uintptr_t)r->data + r->off) / page * page;
	if (upto <= from)
		return;
	madvise((void *)from, upto - from, MADV_DONTNEED);
	r->released = upto - (uintptr_t)r->data;
}

size_t *fr_seg_split(const struct fr_seg_reader *r, uint64_t records, size_t *n)
{
	size_t cap = 16, *cuts = malloc(cap * sizeof(*cuts)), at = r->off;
	uint64_t in_run = 0;
	struct fr_block_hdr h;
	const char *why;

	if (!cuts)
		return NULL;
	*n = 0;
	cuts[0] = at;
	/* block to block by the headers' lengths: no payload read; damage ends the walk, the last run reads past it */
	while (at < r->len && fr_block_hdr_parse(r->data + at, r->len - at, &h, &why) == 0) {
		if (in_run >= records) {
			if (*n + 2 > cap) {
				size_t *c = realloc(cuts, (cap *= 2) * sizeof(*cuts));
				if (!c) {
					free(cuts);
					return NULL;
				}
				cuts = c;
			}
			cuts[++*n] = at;
			in_run = 0;
		}
		in_run += h.nrecords;
		at += FR_BLOCK_HDR_LEN + h.stored_len;
	}
	cuts[++*n] = r->len;
	return cuts;
}

int fr_seg_reader_sub(struct fr_seg_reader *sub, const struct fr_seg_reader *r, size_t from, size_t to,
		      struct fr_read_stats *stats, fr_warn_fn warn, void *ctx)
{
	*sub = *r;
	if (!(sub->raw = malloc(FR_BLOCK_RAW_MAX)))
		return -ENOMEM;
	sub->off = from;
	sub->len = to;
	sub->stats = stats;
	sub->warn = warn;
	sub->ctx = ctx;
	/* its own pages only: release_behind starts at the first page wholly after FROM (the one FROM is in may hold the run before's end) */
	sub->released = from;
	return 0;
}

int fr_seg_reader_next(struct fr_seg_reader *r, struct fr_block_hdr *h, size_t *offset)
{
	release_behind(r);
	while (r->off < r->len) {
		const char *why = NULL;
		size_t at = r->off;
		int ret = fr_block_hdr_parse(r->data + at, r->len - at, h, &why);

		if (ret == -ENODATA) {
			r->stats->truncated_bytes += r->len - at;
			warnf(r, "truncated block at offset %zu (%zu bytes), ignored", at, r->len - at);
			r->off = r->len;
			return 0;
		}
		if (ret == 0 && r->max_ts && (h->last_ts < r->min_ts || h->first_ts > r->max_ts)) {
			r->off = at + FR_BLOCK_HDR_LEN + h->stored_len;
			continue;
		}
		if (ret == 0)
			ret = fr_block_unpack(h, r->data + at + FR_BLOCK_HDR_LEN, r->raw, &why);
		if (ret == 0) {
			r->off = at + FR_BLOCK_HDR_LEN + h->stored_len;
			r->stats->blocks++;
			if (offset)
				*offset = at;
			return 1;
		}
		r->off = resync(r, at + 1);
		r->stats->bad_blocks++;
		r->stats->skipped_bytes += r->off - at;
		warnf(r, "%s at offset %zu, skipped %zu bytes", why, at, r->off - at);
	}
	return 0;
}

int fr_seg_read_records(struct fr_seg_reader *r, fr_record_fn fn, void *ctx)
{
	_Alignas(8) uint8_t rec[FR_RECORD_STRUCT_MAX];
	struct fr_block_hdr h;
	size_t block_off;
	int ret;

	while ((ret = fr_seg_reader_next(r, &h, &block_off)) == 1) {
		int64_t delta = (int64_t)(h.clock_real - h.clock_boot);
		size_t off = 0, plen;
		const uint8_t *payload;
		unsigned kind;

		while ((ret = fr_block_next_record(r->raw, h.raw_len, &off, &kind, &payload, &plen)) == 1) {
			const struct fr_kind_desc *k = fr_kind_by_id(kind);
			if (!k) {
				r->stats->unknown++;
				continue;
			}
			if (fr_record_decode(k, payload, plen, rec, NULL)) {
				r->stats->bad_records++;
				warnf(r, "malformed %s record in block at offset %zu, skipped", k->name, block_off);
				continue;
			}
			fr_record_shift_ts(k, rec, delta);
			r->stats->records++;
			ret = fn(ctx, &r->hdr, k, rec);
			if (ret)
				return ret;
		}
		if (ret < 0) {
			r->stats->bad_records++;
			warnf(r, "record framing broken in block at offset %zu, rest of block skipped", block_off);
		}
	}
	return 0;
}

int fr_map_file(const char *path, const uint8_t **data, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if (st.st_size == 0) {
		close(fd);
		*data = NULL;
		*len = 0;
		return 0;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	*data = p;
	*len = (size_t)st.st_size;
	return 0;
}

void fr_unmap_file(const uint8_t *data, size_t len)
{
	if (data && len)
		munmap((void *)data, len);
}
