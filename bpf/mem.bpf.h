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

#endif
