/*
 * family_sched.c - loader of bpf/sched.bpf.c: run-queue delays (runq
 * events, runq_stat records each second) and off-CPU time (offcpu_stat).
 *
 * Each tick drains the generation of per-CPU aggregates that the programs
 * stopped writing a second ago (see sched.bpf.c), then flips `gen` so that
 * they write the emptied one next.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes.h"
#include "record.h"
#include "sched.bpf.h"
#include "sched.skel.h"
#include "util.h"

struct sched_state {
	struct sched_bpf *skel;
	int ncpus;
	uint64_t last_flip;  /* boot ns of the last flip: the drained generation began there */
	uint64_t prev_flip;
	uint64_t lost_seen;
};

static int sched_open(struct probes *p, void **state)
{
	struct sched_state *st = calloc(1, sizeof(*st));
	struct sched_bpf *skel;
	int err;

	if (!st)
		return -ENOMEM;
	skel = sched_bpf__open();
	if (!skel) {
		free(st);
		return -errno;
	}
	skel->rodata->runq_threshold_ns = p->cfg->runq_threshold_ns;
	skel->rodata->self_tgid = (uint32_t)getpid();
	skel->rodata->wake_bytes = probes_wake_bytes(p->cfg);
	err = probes_prepare_object(p, skel->obj);
	if (!err)
		err = sched_bpf__load(skel);
	if (err) {
		probes_family_failed(p, "sched", skel->obj, err);
		sched_bpf__destroy(skel);
		free(st);
		return err;
	}
	probes_attach(p, "sched", skel->progs.handle_wakeup, &skel->links.handle_wakeup);
	probes_attach(p, "sched", skel->progs.handle_wakeup_new, &skel->links.handle_wakeup_new);
	probes_attach(p, "sched", skel->progs.handle_switch, &skel->links.handle_switch);
	st->skel = skel;
	st->ncpus = libbpf_num_possible_cpus();
	st->last_flip = st->prev_flip = now_boot_ns();
	*state = st;
	return 0;
}

/* "B:N B:N ..." of the non-empty buckets. */
static void format_hist(const uint64_t *hist, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int b = 0; b < SCHED_HIST_BUCKETS && n < cap; b++)
		if (hist[b])
			n += (size_t)snprintf(buf + n, cap - n, "%s%d:%llu", n ? " " : "", b, (unsigned long long)hist[b]);
}

static void drain_runq(struct probes *p, struct sched_state *st, int fd, uint64_t now, uint64_t interval)
{
	struct runq_agg *vals = calloc((size_t)st->ncpus, sizeof(*vals));
	uint32_t key, next, *prev = NULL;

	if (!vals)
		return;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct fr_runq_stat r;
		uint64_t hist[SCHED_HIST_BUCKETS] = { 0 };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		memset(&r, 0, sizeof(r));
		r.head.kind = FR_KIND_runq_stat;
		r.ts = now;
		r.pid = key;
		r.interval_ns = interval;
		for (int c = 0; c < st->ncpus; c++) {
			r.count += vals[c].count;
			r.total_ns += vals[c].total_ns;
			if (vals[c].max_ns > r.max_ns)
				r.max_ns = vals[c].max_ns;
			for (int b = 0; b < SCHED_HIST_BUCKETS; b++)
				hist[b] += vals[c].hist[b];
			if (!r.comm[0] && vals[c].comm[0])
				memcpy(r.comm, vals[c].comm, sizeof(r.comm));
		}
		format_hist(hist, r.hist, sizeof(r.hist));
		if (r.count)
			probes_put(p, &r);
	}
	/* emptied after reading: nothing writes this generation now */
	prev = NULL;
	while (bpf_map_get_next_key(fd, NULL, &next) == 0)
		if (bpf_map_delete_elem(fd, &next))
			break;
	free(vals);
}

static void drain_offcpu(struct probes *p, struct sched_state *st, int fd, uint64_t now, uint64_t interval)
{
	struct offcpu_agg *vals = calloc((size_t)st->ncpus, sizeof(*vals));
	uint32_t key, next, *prev = NULL;

	if (!vals)
		return;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct fr_offcpu_stat o;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		memset(&o, 0, sizeof(o));
		o.head.kind = FR_KIND_offcpu_stat;
		o.ts = now;
		o.pid = key;
		o.interval_ns = interval;
		for (int c = 0; c < st->ncpus; c++) {
			o.iowait_ns += vals[c].iowait_ns;
			o.sleep_ns += vals[c].sleep_ns;
			o.count += vals[c].count;
			if (!o.comm[0] && vals[c].comm[0])
				memcpy(o.comm, vals[c].comm, sizeof(o.comm));
		}
		if (o.count)
			probes_put(p, &o);
	}
	while (bpf_map_get_next_key(fd, NULL, &next) == 0)
		if (bpf_map_delete_elem(fd, &next))
			break;
	free(vals);
}

static void sched_tick(struct probes *p, void *state, uint64_t now)
{
	struct sched_state *st = state;
	struct sched_bpf *s = st->skel;
	uint32_t cur = s->bss->gen & 1;
	/* the generation not written since the last flip, a second ago */
	int old = cur ^ 1;

	/* stamped with the end of the interval they cover */
	drain_runq(p, st, bpf_map__fd(old ? s->maps.runq_agg1 : s->maps.runq_agg0), st->last_flip,
		   st->last_flip - st->prev_flip);
	drain_offcpu(p, st, bpf_map__fd(old ? s->maps.offcpu_agg1 : s->maps.offcpu_agg0), st->last_flip,
		     st->last_flip - st->prev_flip);
	probes_report_lost(p, bpf_map__fd(s->maps.sched_lost), &st->lost_seen, "sched", st->prev_flip, now);
	__atomic_store_n(&s->bss->gen, (uint32_t)old, __ATOMIC_RELEASE);
	st->prev_flip = st->last_flip;
	st->last_flip = now;
}

static void sched_close(void *state)
{
	struct sched_state *st = state;

	sched_bpf__destroy(st->skel);
	free(st);
}

const struct probe_family family_sched = {
	.name = "sched",
	.open = sched_open,
	.tick = sched_tick,
	.close = sched_close,
};
