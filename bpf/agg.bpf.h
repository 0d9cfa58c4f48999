/*
 * agg.bpf.h - what the families that aggregate in the kernel share: the
 * bucket of a log2 histogram, and the aggregate of a process in one of the
 * two generations of a hash keyed by tgid (the recorder flips the
 * generation each second and drains the other, probes_drain_cached()).
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

/* The aggregate of TGID in generation G (MAP0 or MAP1), added as ZERO if new; NULL when the map is full. */
static __always_inline void *agg_of(void *map0, void *map1, __u32 g, __u32 tgid, void *zero)
{
	void *map = g ? map1 : map0;
	void *v = bpf_map_lookup_elem(map, &tgid);

	if (v)
		return v;
	/* -EEXIST: another CPU added it first, which is as good */
	if (bpf_map_update_elem(map, &tgid, zero, BPF_NOEXIST) && !bpf_map_lookup_elem(map, &tgid))
		return NULL;
	return bpf_map_lookup_elem(map, &tgid);
}

#endif
