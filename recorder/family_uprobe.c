/*
 * family_uprobe.c - loader of bpf/uprobe.bpf.c: a uprobe and a uretprobe
 * per --uprobe BINARY:SYMBOL, counting and timing the calls of that
 * function in every process: func_stat records each second (drained from
 * two generations of aggregates, as family_sched.c does) and a func record
 * for each call of at least --func-threshold.
 *
 * A binary that does not exist or has no such symbol is a probe that failed
 * to attach: it is reported with its reason (startup lines, `flightrec
 * status`, the probes table of every archive) and the recorder goes on with
 * the rest.  Nothing is loaded when no --uprobe is given.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "probes.h"
#include "record.h"
#include "uprobe.bpf.h"
#include "uprobe.skel.h"
#include "util.h"

struct uprobe_state {
	struct uprobe_bpf *skel;
	struct bpf_link *links[2 * UPROBES_MAX];
	int nlinks;
	int row[UPROBES_MAX]; /* the status row of each --uprobe */
	struct probes_gens gens;
};

/* Attach spec I; 0, or -errno with the reason in WHY. */
static int attach_one(struct uprobe_state *st, const struct uprobe_spec *u, int i, char *why, size_t cap)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = u->symbol, .bpf_cookie = (__u64)i);
	struct bpf_link *l;
	struct stat sb;
	int err;

	/* libbpf resolves a bare name through $PATH: check only real paths. */
	if (strchr(u->binary, '/') && stat(u->binary, &sb) < 0) {
		err = -errno;
		snprintf(why, cap, "cannot open %s: %s", u->binary, strerror(errno));
		return err;
	}
	for (int ret = 0; ret <= 1; ret++) {
		opts.retprobe = ret;
		l = bpf_program__attach_uprobe_opts(ret ? st->skel->progs.handle_return : st->skel->progs.handle_call,
						    -1, u->binary, 0, &opts);
		if ((err = libbpf_get_error(l))) {
			if (err == -ENOENT)
				snprintf(why, cap, "no function %s in %s", u->symbol, u->binary);
			else
				snprintf(why, cap, "%s%s", ret ? "uretprobe: " : "", strerror(-err));
			return err;
		}
		st->links[st->nlinks++] = l;
	}
	return 0;
}

static int uprobe_open(struct probes *p, void **state)
{
	struct uprobe_state *st;
	char name[64], attach[PROBE_TEXT_MAX], why[PROBE_TEXT_MAX];
	int err;

	*state = NULL;
	if (!p->cfg->nuprobes)
		return 0;
	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	if (!(st->skel = uprobe_bpf__open())) {
		free(st);
		return -errno;
	}
	st->skel->rodata->func_threshold_ns = p->cfg->func_threshold_ns;
	st->skel->rodata->wake_bytes = probes_wake_bytes(p->cfg);
	err = probes_prepare_object(p, st->skel->obj);
	if (!err)
		err = uprobe_bpf__load(st->skel);
	for (int i = 0; i < p->cfg->nuprobes; i++) {
		const struct uprobe_spec *u = &p->cfg->uprobes[i];
		snprintf(name, sizeof(name), "uprobe/%s", u->symbol);
		snprintf(attach, sizeof(attach), "uprobe/%s:%s", u->binary, u->symbol);
		if (err) {
			probes_add_status(p, name, attach, err, NULL);
			continue;
		}
		st->row[i] = p->nstatus;
		probes_add_status(p, name, attach, attach_one(st, u, i, why, sizeof(why)), why);
	}
	if (err) {
		uprobe_bpf__destroy(st->skel);
		free(st);
		return err;
	}
	probes_gens_init(&st->gens, &st->skel->bss->gen, bpf_map__fd(st->skel->maps.func_lost), "uprobe");
	*state = st;
	return 0;
}

static void func_stat(struct probes *p, void *ctx, const void *k, const void *v)
{
	const struct probes_interval *in = ctx;
	const struct func_key *key = k;
	const struct func_agg *vals = v;
	struct fr_func_stat r;
	uint64_t hist[FUNC_HIST_BUCKETS] = { 0 };

	if (key->slot >= (uint32_t)p->cfg->nuprobes)
		return;
	memset(&r, 0, sizeof(r));
	r.head.kind = FR_KIND_func_stat;
	r.ts = in->end;
	r.pid = key->pid;
	r.interval_ns = in->ns;
	snprintf(r.binary, sizeof(r.binary), "%s", p->cfg->uprobes[key->slot].binary);
	snprintf(r.symbol, sizeof(r.symbol), "%s", p->cfg->uprobes[key->slot].symbol);
	for (int c = 0; c < p->ncpus; c++) {
		r.count += vals[c].count;
		r.total_ns += vals[c].total_ns;
		if (vals[c].max_ns > r.max_ns)
			r.max_ns = vals[c].max_ns;
		for (int b = 0; b < FUNC_HIST_BUCKETS; b++)
			hist[b] += vals[c].hist[b];
		if (!r.comm[0] && vals[c].comm[0])
			memcpy(r.comm, vals[c].comm, sizeof(r.comm));
	}
	probes_format_hist(hist, FUNC_HIST_BUCKETS, r.hist, sizeof(r.hist));
	if (r.count)
		probes_put(p, &r);
}

static void uprobe_drain(struct probes *p, void *ctx, int old, const struct probes_interval *in)
{
	struct uprobe_bpf *s = ctx;

	probes_drain_aggregates(p, bpf_map__fd(old ? s->maps.func_agg1 : s->maps.func_agg0), sizeof(struct func_key),
				sizeof(struct func_agg), func_stat, (void *)in);
}

static void uprobe_tick(struct probes *p, void *state, uint64_t now)
{
	struct uprobe_state *st = state;

	if (st)
		probes_gens_tick(p, &st->gens, now, uprobe_drain, st->skel);
}

/* Before a snapshot's window is cut: the counts up to now go out. */
static void uprobe_flush(struct probes *p, void *state, uint64_t now)
{
	struct uprobe_state *st = state;

	if (st)
		probes_gens_flush(p, &st->gens, now, uprobe_drain, st->skel);
}

/* The func record that a ring event stands for: its --uprobe's binary and symbol added. */
static void uprobe_event(struct probes *p, void *state, const void *data, size_t size)
{
	const struct probe_config *cfg = p->cfg;
	const struct fr_func_event *e = data;
	struct fr_func rec, *f = &rec;

	memset(f, 0, sizeof(*f));
	f->head.kind = FR_KIND_func;
	f->head.size = sizeof(*f);
	f->ts = e->ts;
	f->pid = e->pid;
	f->tid = e->tid;
	memcpy(f->comm, e->comm, sizeof(f->comm));
	f->comm[sizeof(f->comm) - 1] = '\0';
	if (e->slot < (uint32_t)cfg->nuprobes) {
		snprintf(f->binary, sizeof(f->binary), "%s", cfg->uprobes[e->slot].binary);
		snprintf(f->symbol, sizeof(f->symbol), "%s", cfg->uprobes[e->slot].symbol);
	}
	f->latency_ns = e->latency_ns;
	probes_put(p, f);
}

static void uprobe_close(void *state)
{
	struct uprobe_state *st = state;

	if (!st)
		return;
	for (int i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	uprobe_bpf__destroy(st->skel);
	free(st);
}

/* An attached --uprobe's line in `flightrec status` says how often it was called. */
static void uprobe_note(struct probes *p, void *state, const struct probe_status *s, char *buf, size_t cap)
{
	struct uprobe_state *st = state;
	uint64_t *vals, calls = 0;

	if (!st || !s->ok)
		return;
	for (__u32 slot = 0; slot < (__u32)p->cfg->nuprobes; slot++) {
		if (&p->status[st->row[slot]] != s)
			continue;
		if (!(vals = calloc((size_t)p->ncpus, sizeof(*vals))))
			return;
		if (bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.uprobe_calls), &slot, vals) == 0)
			for (int c = 0; c < p->ncpus; c++)
				calls += vals[c];
		free(vals);
		snprintf(buf, cap, " (%" PRIu64 " calls)", calls);
	}
}

static const struct probe_event uprobe_events[] = { { FR_EV_FUNC, sizeof(struct fr_func_event) } };

const struct probe_family family_uprobe = {
	.name = "uprobe",
	.open = uprobe_open,
	.events = uprobe_events,
	.nevents = 1,
	.event = uprobe_event,
	.tick = uprobe_tick,
	.flush = uprobe_flush,
	.note = uprobe_note,
	.close = uprobe_close,
};
