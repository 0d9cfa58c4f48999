/*
 * archive_write.c - the window of the log as a tar: select, re-pack, describe,
 * checksum, and write durably (temporary name, fsync, rename, fsync dir).
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

#include "archive_write.h"
#include "block.h"
#include "ddl.h"
#include "redact.h"
#include "segment.h"
#include "sha256.h"
#include "store.h"
#include "util.h"

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static int mb_append(struct membuf *m, const void *data, size_t len)
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

static int mb_printf(struct membuf *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int mb_printf(struct membuf *m, const char *fmt, ...)
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

static void mb_json_string(struct membuf *m, const char *s)
{
	size_t cap = JSON_QUOTED_MAX(strlen(s));
	char small[512], *q = cap <= sizeof(small) ? small : malloc(cap);

	if (!q)
		return;
	mb_append(m, q, json_quote(q, cap, s));
	if (q != small)
		free(q);
}

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

static int seal_out(struct window_out *o)
{
	int n;

	if (o->bb.nrecords == 0)
		return 0;
	/* A pair whose difference is the delta the records were written with. */
	n = fr_block_seal(&o->bb, 0, (uint64_t)o->bb_delta, o->sealed, o->sealed_cap);
	if (n < 0)
		return n;
	fr_blockbuf_reset(&o->bb);
	return mb_append(&o->seg, o->sealed, (size_t)n);
}

static int copy_record(struct window_out *o, const uint8_t *framed, size_t len, uint64_t ts, int64_t delta)
{
	int ret;

	/* Keep each record with its own clock: a clock step starts a new block. */
	if (o->bb.nrecords && llabs(delta - o->bb_delta) > 1000000 && (ret = seal_out(o)))
		return ret;
	if (o->bb.nrecords == 0)
		o->bb_delta = delta;
	ret = fr_blockbuf_add_raw(&o->bb, framed, len, ts);
	if (ret == -ENOSPC) {
		if ((ret = seal_out(o)))
			return ret;
		o->bb_delta = delta;
		ret = fr_blockbuf_add_raw(&o->bb, framed, len, ts);
	}
	return ret;
}

/* Copy the window's records of one segment into O. */
static int select_segment(const struct archive_job *job, const char *path, struct window_out *o)
{
	struct fr_read_stats st = { 0 };
	struct fr_seg_reader r;
	struct fr_block_hdr h;
	const uint8_t *data;
	size_t len;
	char err[256];
	int ret;

	if (fr_map_file(path, &data, &len))
		return 0; /* deleted by retention meanwhile: nothing of it is pinned */
	if (fr_seg_reader_open(&r, data, len, path, &st, NULL, NULL, err, sizeof(err))) {
		fr_unmap_file(data, len);
		return 0;
	}
	/* Boot-time ns of another boot mean other moments. */
	if (strcmp(r.hdr.boot_id, job->hi->boot_id))
		goto out;
	r.min_ts = job->win.start_boot;
	r.max_ts = job->win.end_boot;
	while (fr_seg_reader_next(&r, &h, NULL) == 1) {
		int64_t delta = (int64_t)(h.clock_real - h.clock_boot);
		const uint8_t *payload;
		size_t off = 0, plen;
		unsigned kind;

		if (h.last_ts < job->win.start_boot || h.first_ts > job->win.end_boot)
			continue;
		while (fr_block_next_record(r.raw, h.raw_len, &off, &kind, &payload, &plen) == 1) {
			uint64_t ts = fr_payload_ts(payload, plen);
			if (ts < job->win.start_boot || ts > job->win.end_boot)
				continue;
			if (o->redact && fr_kind_by_id(kind)) {
				/* decode, replace, encode again: the hashes take the place of the values */
				_Alignas(8) uint8_t rec[FR_RECORD_STRUCT_MAX];
				uint8_t framed[FR_RECORD_STRUCT_MAX + 64];
				const struct fr_kind_desc *k = fr_kind_by_id(kind);
				int n;
				if (fr_record_decode(k, payload, plen, rec, NULL))
					continue;
				redact_record(o->redact, k, rec);
				n = fr_record_encode(k, rec, framed, sizeof(framed));
				ret = n > 0 ? copy_record(o, framed, (size_t)n, ts, delta) : -EINVAL;
			} else {
				ret = copy_record(o, payload - FR_RECORD_FRAME, plen + FR_RECORD_FRAME, ts, delta);
			}
			if (ret)
				goto fail;
			o->records++;
			if (kind < FR_KIND_MAX)
				o->counts[kind]++;
			if (kind == FR_KIND_drop) {
				_Alignas(8) uint8_t rec[FR_RECORD_STRUCT_MAX];
				const struct fr_drop *d = (const struct fr_drop *)rec;
				if (fr_record_decode(fr_kind_by_id(kind), payload, plen, rec, NULL) == 0) {
					if (!strcmp(d->source, FR_DROP_WRITER))
						o->drops_writer += d->count;
					else
						o->drops_ringbuf += d->count;
				}
			}
		}
	}
out:
	ret = 0;
fail:
	fr_seg_reader_close(&r);
	fr_unmap_file(data, len);
	return ret;
}

/*
 * The process table at the window's start: the opening /proc table of the
 * segment holding the start, advanced by the forks, execs and exits that
 * came after it and before the start.  Emitted as proc records stamped
 * with the start, so the window knows who every pid was.
 */
#define PTAB_SLOTS (1 << 20) /* pid_max is at most 4M; a segment sees far fewer pids */

struct ptab {
	struct fr_proc *slot[PTAB_SLOTS];
	uint32_t pid[PTAB_SLOTS];
};

static struct fr_proc **ptab_find(struct ptab *t, uint32_t pid, int create)
{
	size_t i = (pid * 2654435761u) & (PTAB_SLOTS - 1);

	for (size_t n = 0; n < PTAB_SLOTS; n++, i = (i + 1) & (PTAB_SLOTS - 1)) {
		/* an exited pid keeps its slot, reused if the pid comes back */
		if (t->pid[i] == pid)
			return t->slot[i] || create ? &t->slot[i] : NULL;
		if (t->pid[i] == 0) {
			if (!create)
				return NULL;
			t->pid[i] = pid;
			return &t->slot[i];
		}
	}
	return NULL;
}

static struct fr_proc *ptab_get(struct ptab *t, uint32_t pid)
{
	struct fr_proc **pp = ptab_find(t, pid ? pid : UINT32_MAX, 1);

	if (!pp)
		return NULL;
	if (!*pp && !(*pp = calloc(1, sizeof(**pp))))
		return NULL;
	(*pp)->head.kind = FR_KIND_proc;
	(*pp)->pid = pid;
	return *pp;
}

static void ptab_apply(struct ptab *t, unsigned kind, const void *rec)
{
	struct fr_proc *p;

	switch (kind) {
	case FR_KIND_proc:
		if ((p = ptab_get(t, ((const struct fr_proc *)rec)->pid)))
			*p = *(const struct fr_proc *)rec;
		break;
	case FR_KIND_fork: {
		const struct fr_fork *f = rec;
		if (!(p = ptab_get(t, f->pid)))
			break;
		memset(p, 0, sizeof(*p));
		p->head.kind = FR_KIND_proc;
		p->pid = f->pid;
		p->ppid = f->ppid;
		p->uid = f->uid;
		p->gid = f->gid;
		p->start_ts = f->ts;
		p->cgroup_id = f->cgroup_id;
		memcpy(p->comm, f->comm, sizeof(p->comm));
		/* a forked child runs its parent's image until it execs */
		struct fr_proc **parent = ptab_find(t, f->ppid, 0);
		if (parent && *parent) {
			memcpy(p->exe, (*parent)->exe, sizeof(p->exe));
			memcpy(p->argv, (*parent)->argv, sizeof(p->argv));
			p->argv_len = (*parent)->argv_len;
			memcpy(p->cgroup, (*parent)->cgroup, sizeof(p->cgroup));
			memcpy(p->container, (*parent)->container, sizeof(p->container));
			memcpy(p->pod_uid, (*parent)->pod_uid, sizeof(p->pod_uid));
			memcpy(p->pod, (*parent)->pod, sizeof(p->pod));
			memcpy(p->namespace, (*parent)->namespace, sizeof(p->namespace));
		}
		break;
	}
	case FR_KIND_exec: {
		const struct fr_exec *e = rec;
		if (!(p = ptab_get(t, e->pid)))
			break;
		p->ppid = e->ppid;
		p->uid = e->uid;
		p->gid = e->gid;
		p->cgroup_id = e->cgroup_id;
		memcpy(p->comm, e->comm, sizeof(p->comm));
		memcpy(p->exe, e->exe, sizeof(p->exe));
		memcpy(p->argv, e->argv, sizeof(p->argv));
		p->argv_len = e->argv_len;
		memcpy(p->cgroup, e->cgroup, sizeof(p->cgroup));
		memcpy(p->container, e->container, sizeof(p->container));
		memcpy(p->pod_uid, e->pod_uid, sizeof(p->pod_uid));
		memcpy(p->pod, e->pod, sizeof(p->pod));
		memcpy(p->namespace, e->namespace, sizeof(p->namespace));
		break;
	}
	case FR_KIND_exit: {
		struct fr_proc **pp = ptab_find(t, ((const struct fr_exit *)rec)->pid, 0);
		if (pp && *pp) {
			free(*pp);
			*pp = NULL; /* the pid stays as a tombstone for probing */
		}
		break;
	}
	}
}

/* Build the table from segment PATH (the one holding the start) and emit it. */
static int emit_start_table(const struct archive_job *job, const char *path, struct window_out *o)
{
	_Alignas(8) uint8_t rec[FR_RECORD_STRUCT_MAX];
	struct fr_read_stats st = { 0 };
	struct fr_seg_reader r;
	struct fr_block_hdr h = { 0 };
	const uint8_t *data;
	struct ptab *t;
	size_t len;
	char err[256];
	int ret = 0;

	if (fr_map_file(path, &data, &len))
		return 0;
	if (fr_seg_reader_open(&r, data, len, path, &st, NULL, NULL, err, sizeof(err))) {
		fr_unmap_file(data, len);
		return 0;
	}
	if (!(t = calloc(1, sizeof(*t)))) {
		ret = -ENOMEM;
		goto out;
	}
	while (fr_seg_reader_next(&r, &h, NULL) == 1) {
		const uint8_t *payload;
		size_t off = 0, plen;
		unsigned kind;

		if (h.first_ts >= job->win.start_boot)
			continue;
		while (fr_block_next_record(r.raw, h.raw_len, &off, &kind, &payload, &plen) == 1) {
			const struct fr_kind_desc *k;
			if (kind != FR_KIND_proc && kind != FR_KIND_fork && kind != FR_KIND_exec && kind != FR_KIND_exit)
				continue;
			if (fr_payload_ts(payload, plen) >= job->win.start_boot || !(k = fr_kind_by_id(kind)) ||
			    fr_record_decode(k, payload, plen, rec, NULL))
				continue;
			ptab_apply(t, kind, rec);
		}
	}
	/* The table's records keep the clock of the last block read before the start. */
	uint64_t boot, real;
	clock_pair(&boot, &real);
	int64_t delta = h.clock_boot ? (int64_t)(h.clock_real - h.clock_boot) : (int64_t)(real - boot);
	uint8_t framed[FR_RECORD_STRUCT_MAX + FR_RECORD_FRAME];
	for (size_t i = 0; i < PTAB_SLOTS && ret == 0; i++) {
		struct fr_proc *p = t->slot[i];
		int n;
		if (!p)
			continue;
		p->ts = job->win.start_boot;
		redact_record(o->redact, fr_kind_by_id(FR_KIND_proc), p);
		n = fr_record_encode(fr_kind_by_id(FR_KIND_proc), p, framed, sizeof(framed));
		if (n > 0 && (ret = copy_record(o, framed, (size_t)n, p->ts, delta)) == 0) {
			o->records++;
			o->counts[FR_KIND_proc]++;
			o->start_procs++;
		}
	}
	for (size_t i = 0; i < PTAB_SLOTS; i++)
		free(t->slot[i]);
	free(t);
out:
	fr_seg_reader_close(&r);
	fr_unmap_file(data, len);
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int select_window(const struct archive_job *job, struct window_out *o)
{
	struct seg_start {
		int same_boot;
		uint64_t boot;
	} *created = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;
	DIR *d = opendir(job->logdir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l != 20 || strcmp(de->d_name + 16, ".seg"))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*nn));
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
	if (ret == 0 && n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	/* When each segment began, from its header. */
	if (ret == 0 && !(created = calloc(n ? n : 1, sizeof(*created))))
		ret = -ENOMEM;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		char path[4400];
		uint8_t hdr[FR_SEG_HDR_LEN];
		struct fr_seg_hdr sh;
		char e[128];
		FILE *f;
		size_t got = 0;

		snprintf(path, sizeof(path), "%s/%s", job->logdir, names[i]);
		if ((f = fopen(path, "re"))) {
			got = fread(hdr, 1, sizeof(hdr), f);
			fclose(f);
		}
		if (got == sizeof(hdr) && !fr_seg_hdr_parse(hdr, got, &sh, e, sizeof(e)) &&
		    !strcmp(sh.boot_id, job->hi->boot_id)) {
			created[i].same_boot = 1;
			created[i].boot = sh.created_boot;
		}
	}
	/* The newest segment of this boot created before the start holds it. */
	for (size_t i = n; ret == 0 && i-- > 0;) {
		char path[4400];
		if (!created[i].same_boot || created[i].boot > job->win.start_boot)
			continue;
		snprintf(path, sizeof(path), "%s/%s", job->logdir, names[i]);
		ret = emit_start_table(job, path, o);
		break;
	}
	/* Connections still open at the end of the window: stamped with the
	 * later of their start and the window's start; duration_ns says how
	 * long they had been open. */
	for (size_t i = 0; ret == 0 && i < job->nopen_conns; i++) {
		struct fr_conn c = job->open_conns[i];
		uint8_t framed[FR_RECORD_STRUCT_MAX + 64];
		uint64_t boot, real;
		int len;
		if (c.ts > job->win.end_boot)
			continue; /* opened after the window */
		if (c.ts < job->win.start_boot)
			c.ts = job->win.start_boot;
		redact_record(o->redact, fr_kind_by_id(FR_KIND_conn), &c);
		len = fr_record_encode(fr_kind_by_id(FR_KIND_conn), &c, framed, sizeof(framed));
		clock_pair(&boot, &real);
		if (len > 0 && (ret = copy_record(o, framed, (size_t)len, c.ts, (int64_t)(real - boot))) == 0) {
			o->records++;
			o->counts[FR_KIND_conn]++;
		}
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", job->logdir, names[i]);
		/* A segment of this boot ends where the next one begins. */
		if (i + 1 < n && created[i + 1].same_boot && created[i + 1].boot < job->win.start_boot)
			continue;
		/* Records wait up to a flush interval in the writer: a segment begun
		 * just after the window's end may still hold some of its records. */
		if (created[i].same_boot && created[i].boot > job->win.end_boot + 5 * NSEC_PER_SEC)
			continue;
		ret = select_segment(job, path, o);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(created);
	if (ret == 0)
		ret = seal_out(o);
	return ret;
}

static void utc_iso(uint64_t ns, char *buf, size_t cap)
{
	fr_format_utc((int64_t)ns, buf, cap);
}

static int build_manifest(const struct archive_job *job, const struct window_out *o, int64_t delta,
			  struct membuf *m)
{
	const struct window_spec *w = &job->win;
	char start[40], end[40], trig[40], now[40];

	utc_iso(w->start_boot + (uint64_t)delta, start, sizeof(start));
	utc_iso(w->end_boot + (uint64_t)delta, end, sizeof(end));
	utc_iso(w->trigger_boot + (uint64_t)delta, trig, sizeof(trig));
	utc_iso(now_real_ns(), now, sizeof(now));
	mb_printf(m, "{\n  \"format\": \"%d.%d\",\n  \"host\": ", FR_FORMAT_MAJOR, FR_FORMAT_MINOR);
	mb_json_string(m, job->hi->host);
	mb_printf(m, ",\n  \"kernel\": ");
	mb_json_string(m, job->hi->kernel);
	mb_printf(m, ",\n  \"boot_id\": ");
	mb_json_string(m, job->hi->boot_id);
	mb_printf(m, ",\n  \"cpus\": %ld,\n  \"memory_bytes\": %" PRIu64 ",\n", job->hi->ncpus, job->hi->mem_bytes);
	mb_printf(m, "  \"recorder_version\": \"%s\",\n  \"created_utc\": \"%s\",\n", FR_VERSION, now);
	mb_printf(m,
		  "  \"window\": {\"start_utc\": \"%s\", \"end_utc\": \"%s\", \"start_ns\": %" PRIu64
		  ", \"end_ns\": %" PRIu64 ", \"start_boot_ns\": %" PRIu64 ", \"end_boot_ns\": %" PRIu64 "},\n",
		  start, end, w->start_boot + (uint64_t)delta, w->end_boot + (uint64_t)delta, w->start_boot,
		  w->end_boot);
	mb_printf(m, "  \"reason\": ");
	mb_json_string(m, w->reason);
	mb_printf(m, ",\n  \"trigger\": {\"type\": ");
	mb_json_string(m, w->trigger_type);
	mb_printf(m, ", \"detail\": ");
	mb_json_string(m, w->trigger_detail);
	if (w->trigger_record[0]) {
		/* the triggering record as the recorder saw it: hidden like the rest */
		mb_printf(m, ", \"record\": ");
		mb_json_string(m, job->redact ? "(redacted)" : w->trigger_record);
	}
	mb_printf(m, ", \"utc\": \"%s\", \"ns\": %" PRIu64 ", \"count\": %u},\n", trig,
		  w->trigger_boot + (uint64_t)delta, w->ntriggers ? w->ntriggers : 1);
	mb_printf(m, "  \"records\": {");
	for (unsigned i = 0; i < fr_nkinds; i++)
		mb_printf(m, "%s\"%s\": %" PRIu64, i ? ", " : "", fr_kinds[i].name,
			  fr_kinds[i].id < FR_KIND_MAX ? o->counts[fr_kinds[i].id] : 0);
	mb_printf(m, "},\n  \"records_total\": %" PRIu64 ",\n", o->records);
	mb_printf(m, "  \"processes_at_start\": %" PRIu64 ",\n", o->start_procs);
	mb_printf(m, "  \"drops\": {\"ringbuf\": %" PRIu64 ", \"writer\": %" PRIu64 "},\n", o->drops_ringbuf,
		  o->drops_writer);
	char classes[64];
	redact_describe(job->redact, classes, sizeof(classes));
	mb_printf(m, "  \"redacted\": %s", classes);
	if (job->extra_json && *job->extra_json)
		mb_printf(m, ",\n  %s", job->extra_json);
	return mb_printf(m, "\n}\n");
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

int archive_write_window(const struct archive_job *job, char *path, size_t pathcap, char *err, size_t errlen)
{
	struct window_out o = { 0 };
	struct membuf manifest = { 0 }, sums = { 0 };
	struct fr_seg_hdr sh = { 0 };
	uint8_t seghdr[FR_SEG_HDR_LEN];
	char name[256], tmp[4400] = "", final[4400];
	struct archive *a = NULL;
	uint64_t boot, real;
	char *ddl = NULL;
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
	if ((ret = mb_append(&o.seg, seghdr, sizeof(seghdr))) || (ret = select_window(job, &o))) {
		snprintf(err, errlen, "cannot gather the window from %s: %s", job->logdir, strerror(-ret));
		goto out;
	}
	ddl = fr_schema_sql();
	if (!ddl || (ret = build_manifest(job, &o, (int64_t)(real - boot), &manifest))) {
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
	free(manifest.p);
	free(sums.p);
	free(o.seg.p);
	free(o.sealed);
	fr_blockbuf_free(&o.bb);
	return ret;
}
