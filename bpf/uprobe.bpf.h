/*
 * uprobe.bpf.h - the per-process, per-function aggregates of
 * bpf/uprobe.bpf.c, shared with the recorder (recorder/family_uprobe.c).
 */
#ifndef FR_UPROBE_BPF_H
#define FR_UPROBE_BPF_H

#include "flightrec.h"

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

/*
 * A call of a --uprobe function at least --func-threshold long: the
 * recorder adds the binary and the symbol of slot SLOT (its --uprobe).
 */
#define FR_EV_FUNC (FR_KIND_MAX + 2)
struct fr_func_event {
	struct fr_head head;
	__u64 ts; /* when the call began */
	__u32 pid;
	__u32 tid;
	char comm[16];
	__u64 latency_ns;
	__u32 slot;
	__u32 pad;
};

#endif
