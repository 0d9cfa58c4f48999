/*
 * family_block.c - loader of bpf/block.bpf.c: io events per request and
 * io_stat records per (disk, operation, rwbs flags) each second, drained from the
 * generation of per-CPU aggregates written until a second ago.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>

#include "block.bpf.h"
#include "block.skel.h"
#include "probes.h"
#include "record.h"
#include "util.h"

struct block_state {
	struct block_bpf *skel;
	struct probes_gens gens;
};

static int block_open(struct probes *p, void **state)
{
	struct block_state *st = calloc(1, sizeof(*st));
	struct block_bpf *skel;
	int err;

	if (!st)
		return -ENOMEM;
	if (!(skel = block_bpf__open())) {
		free(st);
		return -errno;
	}
	skel->rodata->wake_bytes = probes_wake_bytes(p->cfg);
	err = probes_load(p, "block", skel->skeleton);
	if (err) {
		block_bpf__destroy(skel);
		free(st);
		return err;
	}
	probes_attach(p, "block", skel->progs.handle_insert, &skel->links.handle_insert);
	probes_attach(p, "block", skel->progs.handle_issue, &skel->links.handle_issue);
	probes_attach(p, "block", skel->progs.handle_complete, &skel->links.handle_complete);
	st->skel = skel;
	probes_gens_init(&st->gens, &skel->bss->gen, bpf_map__fd(skel->maps.block_lost), "block");
	*state = st;
	return 0;
}

static const char *op_name(uint32_t op)
{
	switch (op) {
	case 0:
		return "read";
	case 1:
		return "write";
	case 2:
		return "flush";
	case 3:
		return "discard";
	case 9:
		return "zeroes";
	default:
		return "other";
	}
}

static void io_stat(struct probes *p, void *ctx, const void *k, const void *v)
{
	const struct probes_interval *in = ctx;
	const struct blk_key *key = k;
	const struct blk_agg *vals = v;
	uint64_t hist[BLK_HIST_BUCKETS] = { 0 };
	struct fr_io_stat s;

	memset(&s, 0, sizeof(s));
	s.head.kind = FR_KIND_io_stat;
	s.ts = in->end;
	s.interval_ns = in->ns;
	s.major = key->dev >> 20;
	s.minor = key->dev & 0xfffff;
	snprintf(s.op, sizeof(s.op), "%s", op_name(key->op));
	blk_rwbs(s.rwbs, key->op, key->flags);
	for (int c = 0; c < p->ncpus; c++) {
		s.count += vals[c].count;
		s.bytes += vals[c].bytes;
		s.total_ns += vals[c].total_ns;
		if (vals[c].max_ns > s.max_ns)
			s.max_ns = vals[c].max_ns;
		for (int b = 0; b < BLK_HIST_BUCKETS; b++)
			hist[b] += vals[c].hist[b];
		if (!s.disk[0] && vals[c].disk[0])
			memcpy(s.disk, vals[c].disk, sizeof(s.disk) - 1);
	}
	probes_format_hist(hist, BLK_HIST_BUCKETS, s.hist, sizeof(s.hist));
	if (s.count)
		probes_put(p, &s);
}

static void block_drain(struct probes *p, void *ctx, int old, const struct probes_interval *in)
{
	struct block_bpf *s = ctx;

	probes_drain_aggregates(p, bpf_map__fd(old ? s->maps.blk_agg1 : s->maps.blk_agg0), sizeof(struct blk_key),
				sizeof(struct blk_agg), io_stat, (void *)in);
}

static void block_tick(struct probes *p, void *state, uint64_t now)
{
	struct block_state *st = state;

	probes_gens_tick(p, &st->gens, now, block_drain, st->skel);
}

/* Before a snapshot's window is cut: the counts up to now go out. */
static void block_flush(struct probes *p, void *state, uint64_t now)
{
	struct block_state *st = state;

	probes_gens_flush(p, &st->gens, now, block_drain, st->skel);
}

static void block_close(void *state)
{
	struct block_state *st = state;

	block_bpf__destroy(st->skel);
	free(st);
}

const struct probe_family family_block = {
	.name = "block",
	.open = block_open,
	.tick = block_tick,
	.flush = block_flush,
	.close = block_close,
};
