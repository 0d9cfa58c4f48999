/*
 * block.bpf.h - the per-(device, operation) aggregates of bpf/block.bpf.c,
 * shared with recorder/family_block.c.
 */
#ifndef FR_BLOCK_BPF_H
#define FR_BLOCK_BPF_H

#define BLK_HIST_BUCKETS 32
#define BLK_AGG_MAX 1024

/* The request flags that blktrace's rwbs shows, in our own bits: the
 * kernel's REQ_* bit numbers move between releases (bpf/block.bpf.c
 * reads them with CO-RE). */
#define BLK_PREFLUSH (1u << 0) /* F before the operation: flush the cache first */
#define BLK_FUA (1u << 1)      /* F after it: forced unit access */
#define BLK_RAHEAD (1u << 2)   /* A: readahead */
#define BLK_SYNC (1u << 3)     /* S: someone waits for it */
#define BLK_META (1u << 4)     /* M: file-system metadata (journal, inodes) */

struct blk_key {
	__u32 dev;   /* major << 20 | minor, as the kernel's dev_t */
	__u32 op;    /* REQ_OP_* */
	__u32 flags; /* BLK_* */
};

/*
 * The rwbs text of blktrace and of the block tracepoints (the kernel's
 * blk_fill_rwbs()) for operation OP (REQ_OP_*) and FLAGS (BLK_*), into
 * DST of at least 8 bytes: "WS" for a sync write, "WSM" for a sync
 * metadata (journal) write, "FWFS" for a flush-first FUA sync write, "RA"
 * for readahead.  Shared by the BPF side (io events) and the recorder
 * (io_stat records).
 */
static inline void blk_rwbs(char *dst, __u32 op, __u32 flags)
{
	int i = 0;

	if (flags & BLK_PREFLUSH)
		dst[i++] = 'F';
	switch (op) {
	case 0:
		dst[i++] = 'R';
		break;
	case 1:
		dst[i++] = 'W';
		break;
	case 2:
		dst[i++] = 'F';
		break;
	case 3:
		dst[i++] = 'D';
		break;
	case 5: /* REQ_OP_SECURE_ERASE */
		dst[i++] = 'D';
		dst[i++] = 'E';
		break;
	default:
		dst[i++] = 'N';
	}
	if (flags & BLK_FUA)
		dst[i++] = 'F';
	if (flags & BLK_RAHEAD)
		dst[i++] = 'A';
	if (flags & BLK_SYNC)
		dst[i++] = 'S';
	if (flags & BLK_META)
		dst[i++] = 'M';
	dst[i] = '\0';
}

struct blk_agg {
	__u64 count;
	__u64 bytes;
	__u64 total_ns; /* queue + service */
	__u64 max_ns;
	__u32 hist[BLK_HIST_BUCKETS];
	char disk[32];
};

#endif
