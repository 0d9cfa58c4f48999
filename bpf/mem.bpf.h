/*
 * mem.bpf.h - the per-process aggregates of bpf/mem.bpf.c, shared with the
 * recorder (recorder/family_mem.c), which reads them from the maps.
 */
#ifndef FR_MEM_BPF_H
#define FR_MEM_BPF_H

#define MEM_AGG_MAX 16384 /* processes counted per second per generation */

/* Page faults taken in user mode. */
struct fault_agg {
	__u64 faults;
	__u64 write_faults;
	char comm[16];
};

/* The resident set as the kernel's counters said at each change. */
struct rss_agg {
	__u64 first_ts;    /* boot ns of the first change seen on this CPU */
	__u64 first_pages; /* file + anon + shmem pages then */
	__u64 last_ts;     /* the latest change */
	__u64 last_pages;
	__u64 max_pages;
	__u64 changes;
	char comm[16];
};

/* Waits for contended kernel locks (lock:contention_begin/end). */
struct lock_agg {
	__u64 waits;
	__u64 total_ns;
	__u64 max_ns;
	char comm[16];
};

/*
 * The hot slots in front of the hashes, as in sched.bpf.h: per CPU and
 * generation, MEM_HOT_SLOTS slots indexed by tgid, each holding one
 * process's counts until another process needs the slot (then they are
 * added to the hash) or the recorder drains the generation.  tgid 0: empty.
 */
#define MEM_HOT_SLOTS 64

struct fault_hot {
	__u32 tgid;
	__u32 pad;
	struct fault_agg a;
};

struct rss_hot {
	__u32 tgid;
	__u32 pad;
	struct rss_agg a;
};

struct lock_hot {
	__u32 tgid;
	__u32 pad;
	struct lock_agg a;
};

/* Add SRC to DST, both of one CPU: the kernel when a slot is flushed, the recorder when it drains. */
static inline void fault_agg_add(struct fault_agg *dst, const struct fault_agg *src)
{
	dst->faults += src->faults;
	dst->write_faults += src->write_faults;
	if (!dst->comm[0])
		__builtin_memcpy(dst->comm, src->comm, sizeof(dst->comm));
}

static inline void rss_agg_add(struct rss_agg *dst, const struct rss_agg *src)
{
	if (src->first_ts && (!dst->first_ts || src->first_ts < dst->first_ts)) {
		dst->first_ts = src->first_ts;
		dst->first_pages = src->first_pages;
	}
	if (src->last_ts > dst->last_ts) {
		dst->last_ts = src->last_ts;
		dst->last_pages = src->last_pages;
	}
	if (src->max_pages > dst->max_pages)
		dst->max_pages = src->max_pages;
	dst->changes += src->changes;
	if (!dst->comm[0])
		__builtin_memcpy(dst->comm, src->comm, sizeof(dst->comm));
}

static inline void lock_agg_add(struct lock_agg *dst, const struct lock_agg *src)
{
	dst->waits += src->waits;
	dst->total_ns += src->total_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	if (!dst->comm[0])
		__builtin_memcpy(dst->comm, src->comm, sizeof(dst->comm));
}

#endif
