/*
 * family_mem.c - loader of bpf/mem.bpf.c: page faults (fault_stat), the
 * resident set (rss_stat) and kernel lock contention (lock_stat), one
 * record per process per second.
 *
 * Each tick drains the generation of per-CPU aggregates that the programs
 * stopped writing a second ago, the hashes with the hot slots in front of
 * them, then flips `gen` (as family_sched.c does).
 * growth_bytes needs the resident set of each process's previous record:
 * a small open-addressing table here, keyed by pid, forgotten for pids not
 * seen for a minute.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.bpf.h"
#include "mem.skel.h"
#include "probes.h"
#include "record.h"
#include "util.h"

#define RSS_SEEN_SLOTS 32768 /* twice MEM_AGG_MAX: the table never fills */
#define RSS_FORGET_NS (60ull * 1000000000ull)

struct rss_seen {
	uint32_t pid;     /* 0: empty */
	uint64_t bytes;   /* resident set of its last record */
	uint64_t seen;    /* boot ns of that record */
};

struct mem_state {
	struct mem_bpf *skel;
	long page_size;
	struct probes_gens gens;
	uint64_t last_sweep;
	struct rss_seen *seen; /* RSS_SEEN_SLOTS */
	size_t nseen;
};

static int mem_open(struct probes *p, void **state)
{
	struct mem_state *st = calloc(1, sizeof(*st));
	struct mem_bpf *skel;
	int err;

	if (!st || !(st->seen = calloc(RSS_SEEN_SLOTS, sizeof(*st->seen)))) {
		free(st);
		return -ENOMEM;
	}
	if (!(skel = mem_bpf__open())) {
		err = -errno;
		free(st->seen);
		free(st);
		return err;
	}
	skel->rodata->self_tgid = (uint32_t)getpid();
	probes_hot_slots(p, skel->maps.fault_hot, MEM_HOT_SLOTS);
	probes_hot_slots(p, skel->maps.rss_hot, MEM_HOT_SLOTS);
	probes_hot_slots(p, skel->maps.lock_hot, MEM_HOT_SLOTS);
	err = probes_load(p, "mem", skel->skeleton);
	if (err) {
		mem_bpf__destroy(skel);
		free(st->seen);
		free(st);
		return err;
	}
	probes_attach(p, "mem", skel->progs.page_fault_user, &skel->links.page_fault_user);
	probes_attach(p, "mem", skel->progs.rss_stat, &skel->links.rss_stat);
	probes_attach(p, "mem", skel->progs.contention_begin, &skel->links.contention_begin);
	probes_attach(p, "mem", skel->progs.contention_end, &skel->links.contention_end);
	st->skel = skel;
	st->page_size = sysconf(_SC_PAGESIZE);
	probes_gens_init(&st->gens, &skel->bss->gen, bpf_map__fd(skel->maps.mem_lost), "mem");
	st->last_sweep = now_boot_ns();
	*state = st;
	return 0;
}

/* The slot of PID: its own, or the empty one where it would go. */
static struct rss_seen *seen_slot(struct mem_state *st, uint32_t pid)
{
	size_t i = (pid * 2654435761u) % RSS_SEEN_SLOTS;

	while (st->seen[i].pid && st->seen[i].pid != pid)
		i = (i + 1) % RSS_SEEN_SLOTS;
	return &st->seen[i];
}

/* Forget pids without a record for a minute: rebuild the table without them. */
static void seen_sweep(struct mem_state *st, uint64_t now)
{
	struct rss_seen *old = st->seen, *fresh = calloc(RSS_SEEN_SLOTS, sizeof(*fresh));

	if (!fresh)
		return;
	st->seen = fresh;
	st->nseen = 0;
	for (size_t i = 0; i < RSS_SEEN_SLOTS; i++) {
		if (old[i].pid && now - old[i].seen < RSS_FORGET_NS) {
			*seen_slot(st, old[i].pid) = old[i];
			st->nseen++;
		}
	}
	free(old);
	st->last_sweep = now;
}

/* What a drain needs: the family's state and the interval drained. */
struct mem_drain {
	struct mem_state *st;
	const struct probes_interval *in;
};

static void fault_stat(struct probes *p, void *ctx, const void *key, const void *vals)
{
	const struct mem_drain *d = ctx;
	const struct fault_agg *v = vals;
	struct fr_fault_stat r;

	memset(&r, 0, sizeof(r));
	r.head.kind = FR_KIND_fault_stat;
	r.ts = d->in->end;
	r.pid = *(const uint32_t *)key;
	r.interval_ns = d->in->ns;
	for (int c = 0; c < p->ncpus; c++) {
		r.faults += v[c].faults;
		r.write_faults += v[c].write_faults;
		if (!r.comm[0] && v[c].comm[0])
			memcpy(r.comm, v[c].comm, sizeof(r.comm));
	}
	if (r.faults)
		probes_put(p, &r);
}

static void rss_stat(struct probes *p, void *ctx, const void *key, const void *vals)
{
	const struct mem_drain *d = ctx;
	struct mem_state *st = d->st;
	const struct rss_agg *v = vals;
	uint32_t pid = *(const uint32_t *)key;
	struct fr_rss_stat r;
	struct rss_seen *s;
	uint64_t latest = 0, earliest = UINT64_MAX, first = 0;

	memset(&r, 0, sizeof(r));
	r.head.kind = FR_KIND_rss_stat;
	r.ts = d->in->end;
	r.pid = pid;
	r.interval_ns = d->in->ns;
	/* The CPU that saw the latest change has the current value. */
	for (int c = 0; c < p->ncpus; c++) {
		if (v[c].last_ts > latest) {
			latest = v[c].last_ts;
			r.rss_bytes = v[c].last_pages * (uint64_t)st->page_size;
		}
		if (v[c].first_ts && v[c].first_ts < earliest) {
			earliest = v[c].first_ts;
			first = v[c].first_pages * (uint64_t)st->page_size;
		}
		if (v[c].max_pages * (uint64_t)st->page_size > r.max_rss_bytes)
			r.max_rss_bytes = v[c].max_pages * (uint64_t)st->page_size;
		if (!r.comm[0] && v[c].comm[0])
			memcpy(r.comm, v[c].comm, sizeof(r.comm));
	}
	if (!latest)
		return;
	s = seen_slot(st, pid);
	if (s->pid) {
		r.growth_bytes = (int64_t)r.rss_bytes - (int64_t)s->bytes;
	} else {
		/* its first record: since the first change seen */
		r.growth_bytes = (int64_t)r.rss_bytes - (int64_t)first;
	}
	if (!s->pid && st->nseen < RSS_SEEN_SLOTS / 2) {
		s->pid = pid;
		st->nseen++;
	}
	if (s->pid) {
		s->bytes = r.rss_bytes;
		s->seen = d->in->end;
	}
	probes_put(p, &r);
}

static void lock_stat(struct probes *p, void *ctx, const void *key, const void *vals)
{
	const struct mem_drain *d = ctx;
	const struct lock_agg *v = vals;
	struct fr_lock_stat r;

	memset(&r, 0, sizeof(r));
	r.head.kind = FR_KIND_lock_stat;
	r.ts = d->in->end;
	r.pid = *(const uint32_t *)key;
	r.interval_ns = d->in->ns;
	for (int c = 0; c < p->ncpus; c++) {
		r.waits += v[c].waits;
		r.total_ns += v[c].total_ns;
		if (v[c].max_ns > r.max_ns)
			r.max_ns = v[c].max_ns;
		if (!r.comm[0] && v[c].comm[0])
			memcpy(r.comm, v[c].comm, sizeof(r.comm));
	}
	if (r.waits)
		probes_put(p, &r);
}

static void fault_merge(void *dst, const void *src)
{
	fault_agg_add(dst, src);
}

static void rss_merge(void *dst, const void *src)
{
	rss_agg_add(dst, src);
}

static void lock_merge(void *dst, const void *src)
{
	lock_agg_add(dst, src);
}

static void mem_drain(struct probes *p, void *ctx, int old, const struct probes_interval *in)
{
	struct mem_state *st = ctx;
	struct mem_bpf *s = st->skel;
	struct mem_drain d = { st, in };

	probes_drain_cached(p, old ? s->maps.fault_agg1 : s->maps.fault_agg0, s->maps.fault_hot, old, MEM_HOT_SLOTS,
			    sizeof(struct fault_agg), fault_merge, fault_stat, &d);
	probes_drain_cached(p, old ? s->maps.rss_agg1 : s->maps.rss_agg0, s->maps.rss_hot, old, MEM_HOT_SLOTS,
			    sizeof(struct rss_agg), rss_merge, rss_stat, &d);
	probes_drain_cached(p, old ? s->maps.lock_agg1 : s->maps.lock_agg0, s->maps.lock_hot, old, MEM_HOT_SLOTS,
			    sizeof(struct lock_agg), lock_merge, lock_stat, &d);
}

/* Before a snapshot's window is cut: the counts up to now go out. */
static void mem_flush(struct probes *p, void *state, uint64_t now)
{
	struct mem_state *st = state;

	probes_gens_flush(p, &st->gens, now, mem_drain, st);
}

static void mem_tick(struct probes *p, void *state, uint64_t now)
{
	struct mem_state *st = state;

	probes_gens_tick(p, &st->gens, now, mem_drain, st);
	if (now - st->last_sweep > RSS_FORGET_NS)
		seen_sweep(st, now);
}

static void mem_close(void *state)
{
	struct mem_state *st = state;

	mem_bpf__destroy(st->skel);
	free(st->seen);
	free(st);
}

const struct probe_family family_mem = {
	.name = "mem",
	.open = mem_open,
	.tick = mem_tick,
	.flush = mem_flush,
	.close = mem_close,
};
