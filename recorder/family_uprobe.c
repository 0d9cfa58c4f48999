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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "family_uprobe.h"
#include "probes.h"
#include "record.h"
#include "uprobe.bpf.h"
#include "uprobe.skel.h"
#include "util.h"

struct uprobe_state {
	struct uprobe_bpf *skel;
	struct bpf_link *links[2 * UPROBES_MAX];
	int nlinks;
	int ncpus;
	uint64_t last_flip, prev_flip, lost_seen;
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
		probes_add_status(p, name, attach, attach_one(st, u, i, why, sizeof(why)), why);
	}
	if (err) {
		uprobe_bpf__destroy(st->skel);
		free(st);
		return err;
	}
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
	for (int b = 0; b < FUNC_HIST_BUCKETS && n < cap; b++)
		if (hist[b])
			n += (size_t)snprintf(buf + n, cap - n, "%s%d:%llu", n ? " " : "", b, (unsigned long long)hist[b]);
}

static void drain_funcs(struct probes *p, struct uprobe_state *st, int fd, uint64_t end, uint64_t interval)
{
	struct func_agg *v = calloc((size_t)st->ncpus, sizeof(*v));
	struct func_key key, next, *prev = NULL;

	if (!v)
		return;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct fr_func_stat r;
		uint64_t hist[FUNC_HIST_BUCKETS] = { 0 };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, v) || key.slot >= (uint32_t)p->cfg->nuprobes)
			continue;
		memset(&r, 0, sizeof(r));
		r.head.kind = FR_KIND_func_stat;
		r.ts = end;
		r.pid = key.pid;
		r.interval_ns = interval;
		snprintf(r.binary, sizeof(r.binary), "%s", p->cfg->uprobes[key.slot].binary);
		snprintf(r.symbol, sizeof(r.symbol), "%s", p->cfg->uprobes[key.slot].symbol);
		for (int c = 0; c < st->ncpus; c++) {
			r.count += v[c].count;
			r.total_ns += v[c].total_ns;
			if (v[c].max_ns > r.max_ns)
				r.max_ns = v[c].max_ns;
			for (int b = 0; b < FUNC_HIST_BUCKETS; b++)
				hist[b] += v[c].hist[b];
			if (!r.comm[0] && v[c].comm[0])
				memcpy(r.comm, v[c].comm, sizeof(r.comm));
		}
		format_hist(hist, r.hist, sizeof(r.hist));
		if (r.count)
			p->emit(p->ctx, &r, sizeof(r));
	}
	while (bpf_map_get_next_key(fd, NULL, &next) == 0)
		if (bpf_map_delete_elem(fd, &next))
			break;
	free(v);
}

static void uprobe_tick(struct probes *p, void *state, uint64_t now)
{
	struct uprobe_state *st = state;
	struct uprobe_bpf *s;
	int old;

	if (!st)
		return;
	s = st->skel;
	old = (s->bss->gen & 1) ^ 1; /* the generation not written since the last flip */
	drain_funcs(p, st, bpf_map__fd(old ? s->maps.func_agg1 : s->maps.func_agg0), st->last_flip,
		    st->last_flip - st->prev_flip);
	probes_report_lost(p, bpf_map__fd(s->maps.func_lost), &st->lost_seen, "uprobe", st->prev_flip, now);
	__atomic_store_n(&s->bss->gen, (uint32_t)old, __ATOMIC_RELEASE);
	st->prev_flip = st->last_flip;
	st->last_flip = now;
}

void uprobe_expand_func(const struct probe_config *cfg, const struct fr_func_event *e, struct fr_func *f)
{
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

const struct probe_family family_uprobe = {
	.name = "uprobe",
	.open = uprobe_open,
	.tick = uprobe_tick,
	.close = uprobe_close,
};

int uprobe_calls(struct probes *p, uint64_t *calls, int n)
{
	struct uprobe_state *st = NULL;
	uint64_t *vals;

	for (int i = 0; i < p->nfamilies; i++)
		if (p->family[i] == &family_uprobe)
			st = p->state[i];
	memset(calls, 0, (size_t)n * sizeof(*calls));
	if (!st || !(vals = calloc((size_t)p->ncpus, sizeof(*vals))))
		return -ENOENT;
	for (__u32 slot = 0; slot < (__u32)n && slot < UPROBES_MAX; slot++)
		if (bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.uprobe_calls), &slot, vals) == 0)
			for (int c = 0; c < p->ncpus; c++)
				calls[slot] += vals[c];
	free(vals);
	return 0;
}
