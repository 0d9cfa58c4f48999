/*
 * archive_ptab.c - the process table at an archive window's start.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_window.h"
#include "redact.h"
#include "segment.h"
#include "util.h"

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
int window_start_table(const struct archive_job *job, const char *path, struct window_out *o)
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
		if (n > 0 && (ret = window_copy_record(o, framed, (size_t)n, p->ts, delta)) == 0) {
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
