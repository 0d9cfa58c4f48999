/*
 * uprobe.bpf.h - the per-process, per-function aggregates of
 * bpf/uprobe.bpf.c, shared with the recorder (recorder/family_uprobe.c).
 */
#ifndef FR_UPROBE_BPF_H
#define FR_UPROBE_BPF_H

#define UPROBE_SLOTS 16          /* UPROBES_MAX in recorder/probes.h */
#define FUNC_HIST_BUCKETS 32     /* log2 ns, as the scheduler's */
#define FUNC_AGG_MAX 16384       /* (process, function) pairs per second per generation */

struct func_key {
	__u32 pid;
	__u32 slot; /* which --uprobe, in their order */
};

struct func_agg {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u32 hist[FUNC_HIST_BUCKETS];
	char comm[16];
};

#endif
