/*
 * agg.bpf.h - what the families that aggregate in the kernel share: the
 * bucket of a log2 histogram, the per-CPU hashes of the two generations
 * (the recorder flips the family's `gen` each second and drains the
 * other, probes_drain_aggregates()), the count of what found them full,
 * and the aggregate of a process in a generation, directly or through a
 * per-CPU hot slot in front of the hash (probes_drain_cached()).
 */
#ifndef FR_AGG_BPF_H
#define FR_AGG_BPF_H

/* floor(log2(V)), 0 for 0 and 1, capped at NBUCKETS - 1: without a loop or a branch on V. */
static __always_inline __u32 log2_bucket(__u64 v, __u32 nbuckets)
{
	__u32 r = 0, s;

	s = (v > 0xFFFFFFFFULL) << 5;
	v >>= s;
	r |= s;
	s = (v > 0xFFFF) << 4;
	v >>= s;
	r |= s;
	s = (v > 0xFF) << 3;
	v >>= s;
	r |= s;
	s = (v > 0xF) << 2;
	v >>= s;
	r |= s;
	s = (v > 0x3) << 1;
	v >>= s;
	r |= s;
	r |= (__u32)(v >> 1);
	return r < nbuckets ? r : nbuckets - 1;
}

/* A per-CPU hash of MAX aggregates, KEY to VALUE: one of a family's two generations. */
#define AGG_MAP(NAME, KEY, VALUE, MAX)                                                                             \
	struct {                                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH);                                                            \
		__uint(max_entries, MAX);                                                                          \
		__type(key, KEY);                                                                                  \
		__type(value, VALUE);                                                                              \
	} NAME SEC(".maps")

/* The per-CPU counter of the events that found a family's maps full: the recorder reports them as drops. */
#define AGG_LOST_MAP(NAME)                                                                                         \
	struct {                                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                                           \
		__uint(max_entries, 1);                                                                            \
		__type(key, __u32);                                                                                \
		__type(value, __u64);                                                                              \
	} NAME SEC(".maps")

/* Add N to LOST, an AGG_LOST_MAP. */
static __always_inline void agg_lost(void *lost, __u64 n)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(lost, &zero);

	if (c)
		*c += n;
}

/* The aggregate of KEY in generation G (MAP0 or MAP1), added as ZERO if new; NULL when the map is full. */
static __always_inline void *agg_of(void *map0, void *map1, __u32 g, const void *key, const void *zero)
{
	void *map = g ? map1 : map0;
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	/* -EEXIST: another CPU added it first, which is as good */
	if (bpf_map_update_elem(map, key, zero, BPF_NOEXIST) && !bpf_map_lookup_elem(map, key))
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

/*
 * Per-CPU hot slots in front of the per-process hashes NAME_agg0 and
 * NAME_agg1: a hash lookup costs more than the rest of a sched_switch or a
 * page fault, and a CPU mostly serves a few processes.  Each generation has
 * NSLOTS slots (a power of 2) of struct NAME_hot { tgid; pad; struct
 * NAME_agg a; }, indexed by tgid, per CPU.  They are a plain array with
 * AGG_HOT_PER_CPU(NSLOTS) slots per CPU, indexed by the CPU's number and
 * sized by the recorder (probes_hot_slots()), not a per-CPU array: on a
 * kernel with page-table isolation a per-CPU array's slot cost a program
 * ~35 ns more to reach (BENCHMARKS.md, "Where sys_exit's time goes on a
 * PTI machine").  The last slot of a CPU is unused: two CPUs' slots never
 * share a cache line.  NAME_slot(tgid) returns the aggregate of
 * TGID in its slot for the current generation (`gen` of the family),
 * after adding the counts of the slot's former owner to the hash with
 * NAME_agg_add() or, when the hash is full, their LOST_FIELD to the LOST
 * counter; NULL when the slot cannot be read.  The recorder adds what the
 * slots of a drained generation hold (probes_drain_cached()).
 */
#define AGG_HOT_PER_CPU(NSLOTS) (2 * (NSLOTS) + 1)
#define AGG_HOT_SLOTS(NAME, NSLOTS, LOST, LOST_FIELD)                                                          \
	struct {                                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                                  \
		__uint(map_flags, BPF_F_MMAPABLE);                                                                 \
		__uint(max_entries, AGG_HOT_PER_CPU(NSLOTS));                                                      \
		__type(key, __u32);                                                                                \
		__type(value, struct NAME##_hot);                                                                  \
	} NAME##_hot SEC(".maps");                                                                                 \
                                                                                                                   \
	static __always_inline struct NAME##_agg *NAME##_slot(__u32 tgid)                                          \
	{                                                                                                          \
		__u32 g = gen & 1, k = bpf_get_smp_processor_id() * AGG_HOT_PER_CPU(NSLOTS) + g * (NSLOTS) +       \
				       (tgid & ((NSLOTS) - 1));                                                    \
		struct NAME##_hot *h = bpf_map_lookup_elem(&NAME##_hot, &k);                                       \
                                                                                                                   \
		if (!h)                                                                                            \
			return NULL;                                                                               \
		if (h->tgid != tgid) {                                                                             \
			if (h->tgid) {                                                                             \
				__u32 owner = h->tgid;                                                             \
				struct NAME##_agg zero = {},                                                       \
						  *a = agg_of(&NAME##_agg0, &NAME##_agg1, g, &owner, &zero);       \
				if (a)                                                                             \
					NAME##_agg_add(a, &h->a);                                                  \
				else                                                                               \
					agg_lost(&LOST, h->a.LOST_FIELD);                                          \
			}                                                                                          \
			__builtin_memset(&h->a, 0, sizeof(h->a));                                                  \
			h->tgid = tgid;                                                                            \
		}                                                                                                  \
		return &h->a;                                                                                      \
	}

#endif
