/*
 * sched.bpf.h - the per-process aggregates of bpf/sched.bpf.c, shared with
 * the recorder (recorder/family_sched.c), which reads them from the maps.
 */
#ifndef FR_SCHED_BPF_H
#define FR_SCHED_BPF_H

#define SCHED_HIST_BUCKETS 32 /* log2 ns: bucket B holds [2^B, 2^(B+1)), the last all above */
#define SCHED_AGG_MAX 16384   /* processes counted per second per generation */

struct runq_agg {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u32 hist[SCHED_HIST_BUCKETS];
	char comm[16];
};

struct offcpu_agg {
	__u64 iowait_ns;
	__u64 sleep_ns;
	__u64 count;
	char comm[16];
};

/*
 * The hot slots in front of the hashes: per CPU and generation, SCHED_HOT_SLOTS
 * slots indexed by tgid, each holding one process's counts until another
 * process needs the slot (then they are added to the hash) or the recorder
 * drains the generation (probes_drain_cached()).  tgid 0: empty.
 */
#define SCHED_HOT_SLOTS 64

struct runq_hot {
	__u32 tgid;
	__u32 pad;
	struct runq_agg a;
};

struct offcpu_hot {
	__u32 tgid;
	__u32 pad;
	struct offcpu_agg a;
};

/* Add SRC to DST: the kernel when a slot is flushed, the recorder when it drains. */
static inline void runq_agg_add(struct runq_agg *dst, const struct runq_agg *src)
{
	dst->count += src->count;
	dst->total_ns += src->total_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	for (int b = 0; b < SCHED_HIST_BUCKETS; b++)
		dst->hist[b] += src->hist[b];
	if (!dst->comm[0])
		__builtin_memcpy(dst->comm, src->comm, sizeof(dst->comm));
}

static inline void offcpu_agg_add(struct offcpu_agg *dst, const struct offcpu_agg *src)
{
	dst->iowait_ns += src->iowait_ns;
	dst->sleep_ns += src->sleep_ns;
	dst->count += src->count;
	if (!dst->comm[0])
		__builtin_memcpy(dst->comm, src->comm, sizeof(dst->comm));
}

#endif
