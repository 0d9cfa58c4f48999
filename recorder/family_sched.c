/*
 * family_sched.c - loader of bpf/sched.bpf.c: run-queue delays (runq
 * events, runq_stat records each second) and off-CPU time (offcpu_stat).
 *
 * Each tick drains the generation of per-CPU aggregates that the programs
 * stopped writing a second ago (see sched.bpf.c), the hashes with the hot
 * slots in front of them, then flips `gen` so that they write the emptied
 * one next.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
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
	struct probes_gens gens;
};

/* Whether STRUCT of BTF has a member named MEMBER. */
static int btf_has_member(const struct btf *btf, const char *structure, const char *member)
{
	int id = btf__find_by_name_kind(btf, structure, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (int i = 0; m && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return 1;
	return 0;
}

/*
 * Whether the kernel keeps sched_info (CONFIG_SCHED_INFO: what
 * /proc/PID/schedstat shows) and a cfs_rq knows its run queue
 * (CONFIG_FAIR_GROUP_SCHED), the two that handle_switch reads
 * (bpf/sched.bpf.c); else the wakeup way.  FLIGHTREC_SCHED_WAKEUPS=1 takes
 * the wakeup way on such a kernel too, so that the tests can cover it.
 */
static int kernel_keeps_sched_info(void)
{
	const char *force = getenv("FLIGHTREC_SCHED_WAKEUPS");
	struct btf *btf;
	int ok;

	if ((force && !strcmp(force, "1")) || access("/proc/self/schedstat", R_OK))
		return 0;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return 0;
	ok = btf_has_member(btf, "sched_info", "last_queued") && btf_has_member(btf, "cfs_rq", "rq") &&
	     btf_has_member(btf, "rq", "clock");
	btf__free(btf);
	return ok;
}

static int sched_open(struct probes *p, void **state)
{
	struct sched_state *st = calloc(1, sizeof(*st));
	struct sched_bpf *skel;
	int err, by_sched_info;

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
	by_sched_info = kernel_keeps_sched_info();
	bpf_program__set_autoload(skel->progs.handle_switch, by_sched_info);
	bpf_program__set_autoload(skel->progs.switch_after_wakeup, !by_sched_info);
	bpf_program__set_autoload(skel->progs.handle_wakeup, !by_sched_info);
	bpf_program__set_autoload(skel->progs.handle_wakeup_new, !by_sched_info);
	probes_hot_slots(p, skel->maps.runq_hot, SCHED_HOT_SLOTS);
	probes_hot_slots(p, skel->maps.offcpu_hot, SCHED_HOT_SLOTS);
	err = probes_load(p, "sched", skel->skeleton);
	if (err) {
		sched_bpf__destroy(skel);
		free(st);
		return err;
	}
	if (by_sched_info) {
		probes_attach(p, "sched", skel->progs.handle_switch, &skel->links.handle_switch);
	} else {
		probes_attach(p, "sched", skel->progs.handle_wakeup, &skel->links.handle_wakeup);
		probes_attach(p, "sched", skel->progs.handle_wakeup_new, &skel->links.handle_wakeup_new);
		probes_attach(p, "sched", skel->progs.switch_after_wakeup, &skel->links.switch_after_wakeup);
	}
	st->skel = skel;
	probes_gens_init(&st->gens, &skel->bss->gen, bpf_map__fd(skel->maps.sched_lost), "sched");
	*state = st;
	return 0;
}

static void runq_stat(struct probes *p, void *ctx, const void *key, const void *v)
{
	const struct probes_interval *in = ctx;
	const struct runq_agg *vals = v;
	struct fr_runq_stat r;
	uint64_t hist[SCHED_HIST_BUCKETS] = { 0 };

	memset(&r, 0, sizeof(r));
	r.head.kind = FR_KIND_runq_stat;
	r.ts = in->end;
	r.pid = *(const uint32_t *)key;
	r.interval_ns = in->ns;
	for (int c = 0; c < p->ncpus; c++) {
		r.count += vals[c].count;
		r.total_ns += vals[c].total_ns;
		if (vals[c].max_ns > r.max_ns)
			r.max_ns = vals[c].max_ns;
		for (int b = 0; b < SCHED_HIST_BUCKETS; b++)
			hist[b] += vals[c].hist[b];
		if (!r.comm[0] && vals[c].comm[0])
			memcpy(r.comm, vals[c].comm, sizeof(r.comm));
	}
	probes_format_hist(hist, SCHED_HIST_BUCKETS, r.hist, sizeof(r.hist));
	if (r.count)
		probes_put(p, &r);
}

static void offcpu_stat(struct probes *p, void *ctx, const void *key, const void *v)
{
	const struct probes_interval *in = ctx;
	const struct offcpu_agg *vals = v;
	struct fr_offcpu_stat o;

	memset(&o, 0, sizeof(o));
	o.head.kind = FR_KIND_offcpu_stat;
	o.ts = in->end;
	o.pid = *(const uint32_t *)key;
	o.interval_ns = in->ns;
	for (int c = 0; c < p->ncpus; c++) {
		o.iowait_ns += vals[c].iowait_ns;
		o.sleep_ns += vals[c].sleep_ns;
		o.count += vals[c].count;
		if (!o.comm[0] && vals[c].comm[0])
			memcpy(o.comm, vals[c].comm, sizeof(o.comm));
	}
	if (o.count)
		probes_put(p, &o);
}

static void runq_merge(void *dst, const void *src)
{
	runq_agg_add(dst, src);
}

static void offcpu_merge(void *dst, const void *src)
{
	offcpu_agg_add(dst, src);
}

static void sched_drain(struct probes *p, void *ctx, int old, const struct probes_interval *in)
{
	struct sched_bpf *s = ctx;

	probes_drain_cached(p, old ? s->maps.runq_agg1 : s->maps.runq_agg0, s->maps.runq_hot, old, SCHED_HOT_SLOTS,
			    sizeof(struct runq_agg), runq_merge, runq_stat, (void *)in);
	probes_drain_cached(p, old ? s->maps.offcpu_agg1 : s->maps.offcpu_agg0, s->maps.offcpu_hot, old, SCHED_HOT_SLOTS,
			    sizeof(struct offcpu_agg), offcpu_merge, offcpu_stat, (void *)in);
}

static void sched_tick(struct probes *p, void *state, uint64_t now)
{
	struct sched_state *st = state;

	probes_gens_tick(p, &st->gens, now, sched_drain, st->skel);
}

/* Before a snapshot's window is cut: the counts up to now go out. */
static void sched_flush(struct probes *p, void *state, uint64_t now)
{
	struct sched_state *st = state;

	probes_gens_flush(p, &st->gens, now, sched_drain, st->skel);
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
	.flush = sched_flush,
	.close = sched_close,
};
