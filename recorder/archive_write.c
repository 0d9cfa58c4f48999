/*
 * archive_write.c - the window of the log as a tar: select and re-pack
 * (archive_window.c), describe (archive_manifest.c), checksum, and write
 * durably (temporary name, fsync, rename, fsync dir).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive_window.h"
#include "archive_write.h"
#include "block.h"
#include "ddl.h"
#include "redact.h"
#include "segment.h"
#include "sha256.h"
#include "store.h"
#include "symbols.h"
#include "util.h"
int mb_append(struct membuf *m, const void *data, size_t len)
{
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 1 << 16;
		while (cap < m->len + len)
			cap *= 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p)
			return -ENOMEM;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, data, len);
	m->len += len;
	return 0;
}

int mb_printf(struct membuf *m, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < (int)sizeof(small))
		return mb_append(m, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (!big)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ret = mb_append(m, big, (size_t)n);
	free(big);
	return ret;
}

void mb_json_string(struct membuf *m, const char *s)
{
	size_t cap = JSON_QUOTED_MAX(strlen(s));
	char small[512], *q = cap <= sizeof(small) ? small : malloc(cap);

	if (!q)
		return;
	mb_append(m, q, json_quote(q, cap, s));
	if (q != small)
		free(q);
}

static int add_member(struct archive *a, const char *name, const void *data, size_t len, time_t mtime,
		      struct membuf *sums)
{
	struct archive_entry *e = archive_entry_new();
	struct sha256 sh;
	char hex[65];
	int ret = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_mtime(e, mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK || (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		ret = -EIO;
	archive_entry_free(e);
	if (sums) {
		sha256_init(&sh);
		sha256_update(&sh, data, len);
		sha256_hex(&sh, hex);
		mb_printf(sums, "%s  %s\n", hex, name);
	}
	return ret;
}

void archive_name(const char *host, uint64_t real_ns, const char *reason, char *buf, size_t cap)
{
	time_t s = (time_t)(real_ns / NSEC_PER_SEC);
	char when[32], h[64], r[48];
	struct tm tm;
	size_t i, j;

	gmtime_r(&s, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	for (i = j = 0; host[i] && j < sizeof(h) - 1; i++)
		h[j++] = (host[i] == '.' || host[i] == '-' || host[i] == '_' ||
			  (host[i] >= '0' && host[i] <= '9') || ((host[i] | 0x20) >= 'a' && (host[i] | 0x20) <= 'z'))
				 ? host[i] : '_';
	h[j] = '\0';
	for (i = j = 0; reason[i] && j < sizeof(r) - 1; i++) {
		char c = reason[i];
		int safe = c == '-' || c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
		if (safe)
			r[j++] = c;
		else if (j && r[j - 1] != '_')
			r[j++] = '_';
	}
	while (j && r[j - 1] == '_')
		j--;
	r[j] = '\0';
	snprintf(buf, cap, "%s-%s-%s.tar", h[0] ? h : "host", when, r[0] ? r : "snapshot");
}

/*
 * FLIGHTREC_TEST_WRITER_PAUSE_MS (tests only, like git's GIT_TEST_*): hold
 * the writer for that long once its temporary file exists, so that a test can
 * signal a writer that is certainly mid-archive instead of racing one that
 * may finish in a few milliseconds.
 */
static void test_pause_writer(void)
{
	const char *v = getenv("FLIGHTREC_TEST_WRITER_PAUSE_MS");
	long ms = v ? strtol(v, NULL, 10) : 0;
	struct timespec ts;

	if (ms <= 0 || ms > 60000)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int archive_write_window(const struct archive_job *job, char *path, size_t pathcap, char *err, size_t errlen)
{
	struct window_out o = { 0 };
	struct membuf manifest = { 0 }, sums = { 0 };
	struct fr_seg_hdr sh = { 0 };
	uint8_t seghdr[FR_SEG_HDR_LEN];
	char name[256], tmp[4400] = "", final[4400];
	struct archive *a = NULL;
	uint64_t boot, real;
	char *ddl = NULL, *symtxt = NULL;
	size_t symlen = 0;
	int fd = -1, ret;

	clock_pair(&boot, &real);
	if ((ret = mkdir_mode(job->snapdir, 0700))) {
		snprintf(err, errlen, "cannot create %s: %s", job->snapdir, strerror(-ret));
		return ret;
	}
	if (fr_blockbuf_init(&o.bb, FR_BLOCK_RAW_TARGET) ||
	    !(o.sealed = malloc(o.sealed_cap = fr_block_bound(FR_BLOCK_RAW_TARGET)))) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	sh.major = FR_FORMAT_MAJOR;
	sh.minor = FR_FORMAT_MINOR;
	sh.flags = FR_SEG_FLAG_WINDOW;
	sh.created_boot = boot;
	sh.created_real = real;
	snprintf(sh.boot_id, sizeof(sh.boot_id), "%s", job->hi->boot_id);
	snprintf(sh.host, sizeof(sh.host), "%s", job->hi->host);
	snprintf(sh.kernel, sizeof(sh.kernel), "%s", job->hi->kernel);
	fr_seg_hdr_encode(&sh, seghdr);
	struct redactor redactor;
	if (job->redact) {
		if ((ret = redactor_init(&redactor, job->redact))) {
			snprintf(err, errlen, "cannot draw a redaction key: %s", strerror(-ret));
			goto out;
		}
		o.redact = &redactor;
	}
	if ((ret = mb_append(&o.seg, seghdr, sizeof(seghdr))) || (ret = window_select(job, &o))) {
		snprintf(err, errlen, "cannot gather the window from %s: %s", job->logdir, strerror(-ret));
		goto out;
	}
	/* the names of the window's frames, while this child still has the recorder's tables */
	if (job->symbols && o.counts[FR_KIND_stack] && (ret = symbols_member(job->symbols, &symtxt, &symlen))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ddl = fr_schema_sql();
	if (!ddl || (ret = manifest_build(job, &o, (int64_t)(real - boot), &manifest))) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}

	archive_name(job->hi->host, job->win.trigger_boot + (real - boot), job->win.reason, name, sizeof(name));
	snprintf(final, sizeof(final), "%s/%s", job->snapdir, name);
	for (int i = 1; access(final, F_OK) == 0 && i < 1000; i++) /* two snapshots in one second */
		snprintf(final, sizeof(final), "%s/%.*s-%d.tar", job->snapdir, (int)strlen(name) - 4, name, i);
	snprintf(tmp, sizeof(tmp), "%s.tmp", final);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	test_pause_writer();
	a = archive_write_new();
	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		ret = -EIO;
		snprintf(err, errlen, "cannot start the archive %s: %s", tmp, a ? archive_error_string(a) : "no memory");
		goto out;
	}
	time_t mtime = (time_t)(real / NSEC_PER_SEC);
	if ((ret = add_member(a, "MANIFEST.json", manifest.p, manifest.len, mtime, &sums)) ||
	    (ret = add_member(a, "schema.sql", ddl, strlen(ddl), mtime, &sums)) ||
	    (ret = add_member(a, "window.seg", o.seg.p, o.seg.len, mtime, &sums)) ||
	    (symtxt && (ret = add_member(a, "symbols.txt", symtxt, symlen, mtime, &sums))) ||
	    (ret = add_member(a, "SHA256SUMS", sums.p, sums.len, mtime, NULL)) ||
	    archive_write_close(a) != ARCHIVE_OK) {
		ret = -EIO;
		snprintf(err, errlen, "cannot write %s: %s", tmp, archive_error_string(a));
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, final) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	fsync_parent(final);
	snprintf(path, pathcap, "%s", final);
	ret = 0;
out:
	if (a)
		archive_write_free(a);
	if (fd >= 0)
		close(fd);
	if (ret && tmp[0])
		unlink(tmp);
	free(ddl);
	free(symtxt);
	free(manifest.p);
	free(sums.p);
	free(o.seg.p);
	free(o.sealed);
	fr_blockbuf_free(&o.bb);
	return ret;
}
