/*
 * block.bpf.h - the per-(device, operation) aggregates of bpf/block.bpf.c,
 * shared with recorder/family_block.c.
 */
#ifndef FR_BLOCK_BPF_H
#define FR_BLOCK_BPF_H

#define BLK_HIST_BUCKETS 32
#define BLK_AGG_MAX 1024

struct blk_key {
	__u32 dev; /* major << 20 | minor, as the kernel's dev_t */
	__u32 op;  /* REQ_OP_* */
};

struct blk_agg {
	__u64 count;
	__u64 bytes;
	__u64 total_ns; /* queue + service */
	__u64 max_ns;
	__u32 hist[BLK_HIST_BUCKETS];
	char disk[32];
};

#endif
