/*
 * store.c - segment files: create, append, rotate, retain, repair.
 *
 * A block is appended with one write(); if the write fails or is short the
 * segment is truncated back, so a segment only ever holds whole blocks,
 * except after a crash in the middle of a write, which store_open() repairs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "segment.h"
#include "store.h"
#include "util.h"

void store_seg_path(const char *logdir, uint64_t seq, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%016" PRIu64 ".seg", logdir, seq);
}

static int seg_cmp(const void *a, const void *b)
{
	const struct store_seg *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int add_seg(struct store *s, uint64_t seq, uint64_t size, uint64_t created_boot)
{
	if (s->nsegs == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct store_seg *n = realloc(s->segs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->segs = n;
		s->cap = cap;
	}
	s->segs[s->nsegs].seq = seq;
	s->segs[s->nsegs].size = size;
	s->segs[s->nsegs].created_boot = created_boot;
	s->nsegs++;
	s->total += size;
	return 0;
}

/* Creation boot ns from a segment's header; 0 when unreadable (oldest). */
static uint64_t seg_created(const char *path)
{
	uint8_t buf[FR_SEG_HDR_LEN];
	struct fr_seg_hdr h;
	char err[128];
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = pread(fd, buf, sizeof(buf), 0);
		close(fd);
	}
	if (n != (ssize_t)sizeof(buf) || fr_seg_hdr_parse(buf, sizeof(buf), &h, err, sizeof(err)))
		return 0;
	return h.created_boot;
}

/* Parse "NNNNNNNNNNNNNNNN.seg"; 0 or -EINVAL. */
static int parse_seg_name(const char *name, uint64_t *seq)
{
	char *end;

	if (strlen(name) != 20 || strcmp(name + 16, ".seg"))
		return -EINVAL;
	errno = 0;
	*seq = strtoull(name, &end, 10);
	return errno || end != name + 16 ? -EINVAL : 0;
}

/*
 * Cut the newest segment after its last whole block: a crash in the middle
 * of a write leaves part of a block.  A segment without a valid header
 * (a crash right after creating it) is removed.
 */
static int repair_tail(struct store *s, struct store_seg *seg)
{
	char path[4200], err[256];
	struct fr_read_stats st = { 0 };
	struct fr_seg_reader r;
	struct fr_block_hdr h;
	const uint8_t *data;
	size_t len, off, end = FR_SEG_HDR_LEN;
	int ret;

	store_seg_path(s->logdir, seg->seq, path, sizeof(path));
	ret = fr_map_file(path, &data, &len);
	if (ret) {
		snprintf(s->err, sizeof(s->err), "cannot read segment %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = fr_seg_reader_open(&r, data, len, path, &st, NULL, NULL, err, sizeof(err));
	if (ret) {
		fr_unmap_file(data, len);
		if (unlink(path) < 0)
			return -errno;
		s->repaired_bytes += len;
		s->total -= seg->size;
		seg->size = 0;
		return 1; /* removed */
	}
	snprintf(s->last_boot_id, sizeof(s->last_boot_id), "%s", r.hdr.boot_id);
	while (fr_seg_reader_next(&r, &h, &off) == 1) {
		end = off + FR_BLOCK_HDR_LEN + h.stored_len;
		if (h.last_ts > s->last_ts)
			s->last_ts = h.last_ts;
	}
	fr_seg_reader_close(&r);
	fr_unmap_file(data, len);
	if (end < len) {
		if (truncate(path, (off_t)end) < 0) {
			ret = -errno;
			snprintf(s->err, sizeof(s->err), "cannot repair segment %s: %s", path, strerror(errno));
			return ret;
		}
		s->repaired_bytes += len - end;
		s->total -= len - end;
		seg->size = end;
	}
	return 0;
}

int store_open(struct store *s, const char *dir, const struct store_opts *o, const struct hostinfo *hi)
{
	struct dirent *de;
	DIR *d;
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->opts = *o;
	s->hi = *hi;
	s->pin_seq = UINT64_MAX;
	s->next_seq = 1;
	snprintf(s->logdir, sizeof(s->logdir), "%s/log", dir);
	if ((ret = mkdir_mode(dir, 0700)) || (ret = mkdir_mode(s->logdir, 0700))) {
		snprintf(s->err, sizeof(s->err), "cannot create %s: %s", s->logdir, strerror(-ret));
		return ret;
	}
	d = opendir(s->logdir);
	if (!d) {
		ret = -errno;
		snprintf(s->err, sizeof(s->err), "cannot open %s: %s", s->logdir, strerror(errno));
		return ret;
	}
	while ((de = readdir(d))) {
		char path[4200];
		struct stat st;
		uint64_t seq;

		if (parse_seg_name(de->d_name, &seq))
			continue;
		store_seg_path(s->logdir, seq, path, sizeof(path));
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if ((ret = add_seg(s, seq, (uint64_t)st.st_size, seg_created(path))) != 0) {
			closedir(d);
			snprintf(s->err, sizeof(s->err), "out of memory");
			return ret;
		}
		if (seq >= s->next_seq)
			s->next_seq = seq + 1;
	}
	closedir(d);
	if (s->nsegs > 1) /* qsort(NULL, 0) is undefined */
		qsort(s->segs, s->nsegs, sizeof(*s->segs), seg_cmp);
	if (s->nsegs) {
		ret = repair_tail(s, &s->segs[s->nsegs - 1]);
		if (ret < 0)
			return ret;
		if (ret == 1)
			s->nsegs--;
	}
	store_enforce_budget(s);
	return 0;
}

void store_enforce_budget(struct store *s)
{
	/* Never the segment being written (the last), never a pinned one. */
	while (s->total > s->opts.max_disk && s->nsegs > 1 && s->segs[0].seq < s->pin_seq) {
		char path[4200];

		store_seg_path(s->logdir, s->segs[0].seq, path, sizeof(path));
		if (unlink(path) < 0 && errno != ENOENT)
			break;
		s->total -= s->segs[0].size;
		s->deleted++;
		memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof(*s->segs));
		s->nsegs--;
	}
}

void store_rotate(struct store *s)
{
	if (s->fd >= 0) {
		fdatasync(s->fd);
		close(s->fd);
		s->fd = -1;
		s->dirty = 0;
	}
}

static int open_segment(struct store *s)
{
	uint8_t hdr[FR_SEG_HDR_LEN];
	struct fr_seg_hdr h = { 0 };
	char path[4200];
	int ret;

	h.major = FR_FORMAT_MAJOR;
	h.minor = FR_FORMAT_MINOR;
	h.seq = s->next_seq;
	clock_pair(&h.created_boot, &h.created_real);
	snprintf(h.boot_id, sizeof(h.boot_id), "%s", s->hi.boot_id);
	snprintf(h.host, sizeof(h.host), "%s", s->hi.host);
	snprintf(h.kernel, sizeof(h.kernel), "%s", s->hi.kernel);
	fr_seg_hdr_encode(&h, hdr);

	store_seg_path(s->logdir, h.seq, path, sizeof(path));
	s->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		ret = -errno;
		snprintf(s->err, sizeof(s->err), "cannot create segment %s: %s", path, strerror(errno));
		return ret;
	}
	ret = write_full(s->fd, hdr, sizeof(hdr));
	if (ret == 0)
		ret = add_seg(s, h.seq, sizeof(hdr), h.created_boot);
	if (ret) {
		snprintf(s->err, sizeof(s->err), "cannot write segment %s: %s", path, strerror(-ret));
		close(s->fd);
		s->fd = -1;
		unlink(path);
		return ret;
	}
	fsync_parent(path);
	s->next_seq++;
	s->cur_created = h.created_boot;
	s->dirty = 1;
	return 0;
}

int store_prepare(struct store *s, size_t len)
{
	int ret;

	if (s->fd >= 0) {
		struct store_seg *cur = &s->segs[s->nsegs - 1];
		if (cur->size + len > s->opts.segment_size || now_boot_ns() - s->cur_created > s->opts.segment_age_ns)
			store_rotate(s);
	}
	if (s->fd >= 0)
		return 0;
	if ((ret = open_segment(s)) != 0)
		return ret;
	store_enforce_budget(s);
	return 1;
}

int store_write(struct store *s, const void *block, size_t len)
{
	struct store_seg *cur;
	int ret;

	if (s->fd < 0 && (ret = store_prepare(s, len)) < 0)
		return ret;
	cur = &s->segs[s->nsegs - 1];
	ret = write_full(s->fd, block, len);
	if (ret) {
		char path[4200];
		store_seg_path(s->logdir, cur->seq, path, sizeof(path));
		snprintf(s->err, sizeof(s->err), "cannot write segment %s: %s", path, strerror(-ret));
		/* Keep only whole blocks: cut what part of this one got through. */
		if (ftruncate(s->fd, (off_t)cur->size) < 0)
			store_rotate(s);
		return ret;
	}
	cur->size += len;
	s->total += len;
	s->dirty = 1;
	if (s->total > s->opts.max_disk)
		store_enforce_budget(s);
	return 0;
}

int store_append(struct store *s, const void *block, size_t len)
{
	int ret = store_prepare(s, len);

	return ret < 0 ? ret : store_write(s, block, len);
}

int store_sync(struct store *s)
{
	if (s->fd < 0 || !s->dirty)
		return 0;
	s->dirty = 0;
	return fdatasync(s->fd) < 0 ? -errno : 0;
}

void store_pin(struct store *s, uint64_t seq)
{
	s->pin_seq = seq;
	if (seq == UINT64_MAX)
		store_enforce_budget(s);
}

uint64_t store_oldest_boot(const struct store *s)
{
	return s->nsegs ? s->segs[0].created_boot : 0;
}

uint64_t store_seq_for(const struct store *s, uint64_t boot_ns)
{
	uint64_t seq = s->next_seq;

	/* From the newest back: the first created at or before BOOT_NS may hold it. */
	for (size_t i = s->nsegs; i-- > 0;) {
		seq = s->segs[i].seq;
		if (s->segs[i].created_boot <= boot_ns)
			break;
	}
	return seq;
}

void store_close(struct store *s)
{
	store_rotate(s);
	free(s->segs);
	s->segs = NULL;
	s->nsegs = s->cap = 0;
}
