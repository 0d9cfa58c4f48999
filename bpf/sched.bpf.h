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

#endif
