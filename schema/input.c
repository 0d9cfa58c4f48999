/*
 * input.c - read records from a segment, a recorder directory or an archive.
 * Archive members are read into memory, never extracted: a hostile name
 * cannot write anywhere.  Layout: FORMAT.md, "Archives".
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "sha256.h"

struct member_sum {
	char name[256];
	char hex[65];
};

struct archive_state {
	struct member_sum *sums; /* digests of the members we read */
	size_t nsums, cap;
	char *sumfile;           /* SHA256SUMS as found */
	int have_manifest;
};

static void warn(const struct fr_input_ops *ops, void *ctx, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void warn(const struct fr_input_ops *ops, void *ctx, const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!ops->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ops->warn(ctx, name, msg);
}

/* strerror(E) in the style of our messages: "no such file or directory". */
static const char *errtext(int e, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* MAPPED: DATA is a file mapped for this read only, whose pages the reader may give back as it goes. */
static int read_segment_mem(const uint8_t *data, size_t len, int mapped, const char *name,
			    const struct fr_input_ops *ops, void *ctx, struct fr_read_stats *stats, char *err, size_t errlen)
{
	struct fr_seg_reader r;
	int ret = fr_seg_reader_open(&r, data, len, name, stats, ops->warn, ctx, err, errlen);

	if (ret)
		return ret;
	r.release = mapped;
	if (ops->segment && (ret = ops->segment(ctx, name, &r.hdr)) != 0) {
		fr_seg_reader_close(&r);
		snprintf(err, errlen, "stopped by the reader");
		return ret < 0 ? ret : -ECANCELED;
	}
	ret = ops->records ? ops->records(ctx, &r) : fr_seg_read_records(&r, ops->record, ctx);
	fr_seg_reader_close(&r);
	if (ret) {
		snprintf(err, errlen, "stopped by the reader");
		return ret < 0 ? ret : -ECANCELED;
	}
	return 0;
}

static int read_segment_file(const char *path, const struct fr_input_ops *ops, void *ctx,
			     struct fr_read_stats *stats, char *err, size_t errlen)
{
	const uint8_t *data;
	char e[128];
	size_t len;
	int ret = fr_map_file(path, &data, &len);

	if (ret) {
		snprintf(err, errlen, "%s", errtext(-ret, e, sizeof(e)));
		return ret;
	}
	ret = read_segment_mem(data, len, 1, path, ops, ctx, stats, err, errlen);
	fr_unmap_file(data, len);
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void fr_seg_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int fr_seg_list(const char *logdir, char ***out, size_t *nout)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;
	DIR *d = opendir(logdir);

	*out = NULL;
	*nout = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".seg"))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));
			if (!nn) {
				ret = -ENOMEM;
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			ret = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (ret) {
		fr_seg_list_free(names, n);
		return ret;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	*nout = n;
	return 0;
}

/* Every *.seg under DIR in name order, which is the order they were written. */
static int read_directory(const char *dir, const struct fr_input_ops *ops, void *ctx,
			  struct fr_read_stats *stats, char *err, size_t errlen)
{
	char logdir[4096], path[4096 + 256];
	struct stat st;
	char **names = NULL;
	size_t n = 0;
	int ret;

	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	if (stat(logdir, &st) < 0 || !S_ISDIR(st.st_mode))
		snprintf(logdir, sizeof(logdir), "%s", dir);
	if ((ret = fr_seg_list(logdir, &names, &n)) == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
		return ret;
	} else if (ret) {
		char e[128];
		snprintf(err, errlen, "cannot open directory: %s", errtext(-ret, e, sizeof(e)));
		return ret;
	}
	if (n == 0) {
		snprintf(err, errlen, "no segments (*.seg) in %s", logdir);
		ret = -ENOENT;
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		char e[256];
		snprintf(path, sizeof(path), "%s/%s", logdir, names[i]);
		/* One unreadable segment must not hide the others. */
		if (read_segment_file(path, ops, ctx, stats, e, sizeof(e)) == -ECANCELED)
			ret = -ECANCELED;
		else if (e[0] && strcmp(e, "stopped by the reader"))
			warn(ops, ctx, path, "%s, segment skipped", e);
		e[0] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

/* Refuse names that could mean anything outside a private directory. */
static const char *bad_member_name(const char *name)
{
	if (!name || !*name)
		return "empty name";
	if (name[0] == '/')
		return "absolute path";
	if (strlen(name) >= 256)
		return "name too long";
	for (const char *p = name; *p; p++) {
		if ((p == name || p[-1] == '/') && p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
			return "'..' in path";
		if ((unsigned char)*p < 0x20)
			return "control character in name";
	}
	return NULL;
}

/* NAME as it may be printed on one line: other bytes as \xNN, at most 200 of them. */
static const char *printable(const char *name, char *buf, size_t cap)
{
	size_t n = 0;

	if (!name)
		name = "(no name)";
	for (const unsigned char *p = (const unsigned char *)name; *p && n + 8 < cap; p++) {
		if (p - (const unsigned char *)name >= 200) {
			n += (size_t)snprintf(buf + n, cap - n, "...");
			break;
		}
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", *p);
		else
			buf[n++] = (char)*p;
	}
	buf[n] = '\0';
	return buf;
}

/* Why a member that is not a plain file is refused, or NULL when it is one. */
static const char *bad_member_type(struct archive_entry *ent)
{
	if (archive_entry_hardlink(ent))
		return "hard link";
	switch (archive_entry_filetype(ent)) {
	case AE_IFREG:
		return NULL;
	case AE_IFLNK:
		return "symbolic link";
	case AE_IFDIR:
		return "directory";
	case AE_IFCHR:
	case AE_IFBLK:
		return "device node";
	case AE_IFIFO:
		return "fifo";
	default:
		return "not a regular file";
	}
}

/*
 * Read the current member's data, SIZE bytes by its header, into *BUF
 * (NUL-terminated), GOT bytes of it.  The buffer grows with the data
 * actually read, so a header that claims more than the archive holds costs
 * nothing.  Block by block: archive_read_data() drops what it read of a
 * member that the end of the file cuts.
 */
static int read_member(struct archive *a, size_t size, uint8_t **buf, size_t *got)
{
	size_t cap = size < 65536 ? size + 1 : 65536;
	uint8_t *b = malloc(cap);
	const void *p;
	size_t n;
	la_int64_t at;

	*got = 0;
	if (!b)
		return -ENOMEM;
	while (archive_read_data_block(a, &p, &n, &at) == ARCHIVE_OK) {
		size_t o = (size_t)at;

		if (at < 0 || o >= size)
			continue;
		if (n > size - o)
			n = size - o;
		if (o + n + 1 > cap) {
			size_t ncap = cap;
			uint8_t *nb;
			while (ncap < o + n + 1)
				ncap = ncap > (size + 1) / 2 ? size + 1 : 2 * ncap;
			if (!(nb = realloc(b, ncap))) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap = ncap;
		}
		if (o > *got)
			memset(b + *got, 0, o - *got); /* a hole of a sparse member */
		memcpy(b + o, p, n);
		if (o + n > *got)
			*got = o + n;
	}
	b[*got] = '\0';
	*buf = b;
	return 0;
}

/*
 * The current member's data where it lies in the archive file FD (SIZE
 * bytes of a file of FILE_SIZE), mapped rather than read: a plain tar (no
 * compression filter) keeps a member that is not sparse in one piece
 * after its headers, and libarchive has read up to it.  0 with *DATA and
 * the mapping (*MAP, *MAPLEN: from the page the data starts in); -1 when
 * it cannot be: the caller reads the member.  The data is read from the
 * file as it is, bounded by it: what a broken archive puts there is
 * damage the segment reader and the checksum find.
 */
static int map_member(struct archive *a, struct archive_entry *ent, int fd, off_t file_size, size_t size,
		      const uint8_t **data, void **map, size_t *maplen)
{
	la_int64_t off = archive_filter_bytes(a, 0);
	off_t page = (off_t)sysconf(_SC_PAGESIZE), start;

	if (fd < 0 || size == 0 || archive_filter_count(a) != 1 || archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE ||
	    archive_entry_sparse_count(ent) != 0 || off < 0 || (off_t)off > file_size || (off_t)size > file_size - off)
		return -1;
	start = off / page * page;
	*maplen = (size_t)(off - start) + size;
	*map = mmap(NULL, *maplen, PROT_READ, MAP_PRIVATE, fd, start);
	if (*map == MAP_FAILED)
		return -1;
	*data = (const uint8_t *)*map + (off - start);
	return 0;
}

/* A member's SHA-256, made on a thread of its own while its records are read. */
struct member_hash {
	const uint8_t *data;
	size_t len;
	char hex[65];
};

static void *hash_member(void *arg)
{
	struct member_hash *h = arg;
	struct sha256 sh;

	sha256_init(&sh);
	sha256_update(&sh, h->data, h->len);
	sha256_hex(&sh, h->hex);
	return NULL;
}

static int record_sum(struct archive_state *as, const char *name, const char *hex)
{
	if (as->nsums == as->cap) {
		size_t cap = as->cap ? 2 * as->cap : 8;
		struct member_sum *s = realloc(as->sums, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		as->sums = s;
		as->cap = cap;
	}
	snprintf(as->sums[as->nsums].name, sizeof(as->sums[0].name), "%s", name);
	memcpy(as->sums[as->nsums].hex, hex, 65);
	as->nsums++;
	return 0;
}

/* Compare SHA256SUMS with what was read; report each difference. */
static void verify_sums(struct archive_state *as, const char *path, const struct fr_input_ops *ops, void *ctx)
{
	if (!as->sumfile) {
		warn(ops, ctx, path, "no SHA256SUMS member, checksums not verified");
		return;
	}
	for (size_t i = 0; i < as->nsums; i++) {
		const char *want = NULL;
		char *line = as->sumfile;
		size_t nl = strlen(as->sums[i].name);

		while (line && *line) {
			char *end = strchr(line, '\n');
			size_t ll = end ? (size_t)(end - line) : strlen(line);
			if (ll == 66 + nl && line[64] == ' ' && line[65] == ' ' &&
			    !memcmp(line + 66, as->sums[i].name, nl))
				want = line;
			line = end ? end + 1 : NULL;
		}
		if (!want)
			warn(ops, ctx, path, "member %s is not listed in SHA256SUMS", as->sums[i].name);
		else if (memcmp(want, as->sums[i].hex, 64))
			warn(ops, ctx, path, "member %s does not match its SHA256SUMS checksum", as->sums[i].name);
	}
}

static int is_segment_name(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, ".seg");
}

/*
 * The records of segment member NAME of archive PATH, its LEN bytes at
 * DATA (MAPPED: a mapping nothing else reads, whose pages may be given
 * back): damage is warned of and the member skipped; -ECANCELED when the
 * reader stopped, else 0.
 */
static int read_member_segment(const uint8_t *data, size_t len, int mapped, const char *path, const char *name,
			       const struct fr_input_ops *ops, void *ctx, struct fr_read_stats *stats)
{
	char e[256] = "", member[4096 + 300];
	int ret;

	snprintf(member, sizeof(member), "%s:%s", path, name);
	ret = read_segment_mem(data, len, mapped, member, ops, ctx, stats, e, sizeof(e));
	if (ret == -ECANCELED)
		return ret;
	if (ret)
		warn(ops, ctx, member, "%s, member skipped", e);
	return 0;
}

/*
 * Segment member NAME of archive PATH read where it lies in the file
 * (map_member), its checksum made meanwhile on a second thread, its pages
 * given back as its records are read: neither copied into memory nor held
 * there whole.  0 when read (damage inside is warned of, as for a member
 * read), 1 when it cannot be mapped (the caller reads it), or a negative
 * errno with ERR that ends the archive's read.
 */
static int read_mapped_segment(struct archive *a, struct archive_entry *ent, int fd, off_t file_size,
			       const char *path, const char *name, struct archive_state *as,
			       const struct fr_input_ops *ops, void *ctx, struct fr_read_stats *stats, char *err,
			       size_t errlen)
{
	struct member_hash h = { 0 };
	pthread_t tid;
	void *map;
	size_t maplen;
	int ret, hashing;

	if (map_member(a, ent, fd, file_size, (size_t)archive_entry_size(ent), &h.data, &map, &maplen))
		return 1;
	h.len = (size_t)archive_entry_size(ent);
	hashing = pthread_create(&tid, NULL, hash_member, &h) == 0;
	ret = read_member_segment(h.data, h.len, 1, path, name, ops, ctx, stats);
	if (hashing)
		pthread_join(tid, NULL);
	else
		hash_member(&h);
	munmap(map, maplen);
	if (ret)
		return ret;
	if (record_sum(as, name, h.hex)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	archive_read_data_skip(a);
	return 0;
}

static int read_archive(const char *path, const struct fr_input_ops *ops, void *ctx, struct fr_read_stats *stats,
			char *err, size_t errlen)
{
	struct archive_state as = { 0 };
	struct archive_entry *ent;
	struct archive *a = archive_read_new();
	uint8_t *buf = NULL;
	int ret = 0, r, members = 0, fd;
	struct stat fst;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		snprintf(err, errlen, "not a flightrec segment or archive (%s)", archive_error_string(a));
		archive_read_free(a);
		return -EINVAL;
	}
	/* for segments mapped where they lie (map_member) */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0 && fstat(fd, &fst) < 0) {
		close(fd);
		fd = -1;
	}
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ent);
		const char *why = bad_member_name(name);
		la_int64_t size = archive_entry_size(ent);
		struct member_hash h;
		char shown[1024];
		size_t got = 0;

		members++;
		if (!why)
			why = bad_member_type(ent);
		if (!why && (size < 0 || (size_t)size > FR_MEMBER_MAX))
			why = "member too large";
		if (why) {
			warn(ops, ctx, path, "member %s refused: %s", printable(name, shown, sizeof(shown)), why);
			continue;
		}
		free(buf);
		buf = NULL;
		if (is_segment_name(name) &&
		    (ret = read_mapped_segment(a, ent, fd, fd < 0 ? 0 : fst.st_size, path, name, &as, ops, ctx, stats,
					       err, errlen)) != 1) {
			if (ret)
				break;
			continue;
		}
		ret = 0;
		if (read_member(a, (size_t)size, &buf, &got)) {
			snprintf(err, errlen, "out of memory for member %s", name);
			ret = -ENOMEM;
			break;
		}
		h = (struct member_hash){ buf, got, "" };
		hash_member(&h);
		if (got < (size_t)size) {
			warn(ops, ctx, path, "member %s truncated (%zu of %lld bytes)", name, got, (long long)size);
			stats->truncated_bytes += (size_t)size - got;
		}
		if (!strcmp(name, "SHA256SUMS")) {
			free(as.sumfile);
			as.sumfile = (char *)buf;
			buf = NULL;
			continue;
		}
		if ((ret = record_sum(&as, name, h.hex)) != 0) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		if (!strcmp(name, "MANIFEST.json")) {
			as.have_manifest = 1;
			if (got > FR_MANIFEST_MAX)
				warn(ops, ctx, path, "MANIFEST.json larger than %zu bytes, ignored", FR_MANIFEST_MAX);
			else if (ops->manifest && (ret = ops->manifest(ctx, path, (char *)buf, got)) != 0)
				break;
		} else if (is_segment_name(name)) {
			if ((ret = read_member_segment(buf, got, 0, path, name, ops, ctx, stats)) != 0)
				break;
		} else if (ops->member && (ret = ops->member(ctx, path, name, buf, got)) != 0) {
			break;
		}
	}
	if (ret == 0 && r != ARCHIVE_EOF) {
		if (members == 0) {
			snprintf(err, errlen, "not a flightrec segment or archive (%s)", archive_error_string(a));
			ret = -EINVAL;
		} else {
			warn(ops, ctx, path, "archive damaged after member %d: %s", members,
			     archive_error_string(a));
		}
	}
	if (ret == 0 && !as.have_manifest) {
		snprintf(err, errlen, "not a flightrec archive (no MANIFEST.json)");
		ret = -EINVAL;
	}
	if (ret == 0)
		verify_sums(&as, path, ops, ctx);
	free(buf);
	free(as.sums);
	free(as.sumfile);
	archive_read_free(a);
	if (fd >= 0)
		close(fd);
	return ret;
}

int fr_input_read(const char *path, const struct fr_input_ops *ops, void *ctx, struct fr_read_stats *stats,
		  char *err, size_t errlen)
{
	char magic[8] = { 0 }, e[128];
	struct stat st;
	FILE *f;
	int ret;

	err[0] = '\0';
	if (stat(path, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s", errtext(-ret, e, sizeof(e)));
		return ret;
	}
	if (S_ISDIR(st.st_mode))
		return read_directory(path, ops, ctx, stats, err, errlen);
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		return -EINVAL;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "empty file");
		return -EINVAL;
	}
	f = fopen(path, "rb");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s", errtext(-ret, e, sizeof(e)));
		return ret;
	}
	if (fread(magic, 1, sizeof(magic), f) != sizeof(magic))
		memset(magic, 0, sizeof(magic));
	fclose(f);
	if (!memcmp(magic, FR_SEG_MAGIC, 8))
		return read_segment_file(path, ops, ctx, stats, err, errlen);
	return read_archive(path, ops, ctx, stats, err, errlen);
}
