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
	int ncpus;
	uint64_t last_flip, prev_flip;
	uint64_t lost_seen;
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
	err = probes_prepare_object(p, skel->obj);
	if (!err)
		err = block_bpf__load(skel);
	if (err) {
		probes_family_failed(p, "block", skel->obj, err);
		block_bpf__destroy(skel);
		free(st);
		return err;
	}
	probes_attach(p, "block", skel->progs.handle_insert, &skel->links.handle_insert);
	probes_attach(p, "block", skel->progs.handle_issue, &skel->links.handle_issue);
	probes_attach(p, "block", skel->progs.handle_complete, &skel->links.handle_complete);
	st->skel = skel;
	st->ncpus = libbpf_num_possible_cpus();
	st->last_flip = st->prev_flip = now_boot_ns();
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

static void drain(struct probes *p, struct block_state *st, int fd)
{
	struct blk_agg *vals = calloc((size_t)st->ncpus, sizeof(*vals));
	struct blk_key key, next, *prev = NULL;

	if (!vals)
		return;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		uint64_t hist[BLK_HIST_BUCKETS] = { 0 };
		struct fr_io_stat s;
		size_t n = 0;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		memset(&s, 0, sizeof(s));
		s.head.kind = FR_KIND_io_stat;
		s.ts = st->last_flip;
		s.interval_ns = st->last_flip - st->prev_flip;
		s.major = key.dev >> 20;
		s.minor = key.dev & 0xfffff;
		snprintf(s.op, sizeof(s.op), "%s", op_name(key.op));
		blk_rwbs(s.rwbs, key.op, key.flags);
		for (int c = 0; c < st->ncpus; c++) {
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
		for (int b = 0; b < BLK_HIST_BUCKETS && n < sizeof(s.hist); b++)
			if (hist[b])
				n += (size_t)snprintf(s.hist + n, sizeof(s.hist) - n, "%s%d:%llu", n ? " " : "", b,
						      (unsigned long long)hist[b]);
		if (s.count)
			p->emit(p->ctx, &s, sizeof(s));
	}
	while (bpf_map_get_next_key(fd, NULL, &next) == 0)
		if (bpf_map_delete_elem(fd, &next))
			break;
	free(vals);
}

static void block_tick(struct probes *p, void *state, uint64_t now)
{
	struct block_state *st = state;
	struct block_bpf *s = st->skel;
	int old = (s->bss->gen & 1) ^ 1; /* not written since the last flip, a second ago */

	drain(p, st, bpf_map__fd(old ? s->maps.blk_agg1 : s->maps.blk_agg0));
	probes_report_lost(p, bpf_map__fd(s->maps.block_lost), &st->lost_seen, "block", st->prev_flip, now);
	__atomic_store_n(&s->bss->gen, (uint32_t)old, __ATOMIC_RELEASE);
	st->prev_flip = st->last_flip;
	st->last_flip = now;
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
	.close = block_close,
};
