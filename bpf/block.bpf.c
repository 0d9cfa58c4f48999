// SPDX-License-Identifier: GPL-2.0
/*
 * block.bpf.c - one `io` event per block request: who issued it (pid and
 * comm, taken at insert or issue, which run in the issuer's context; the
 * completion runs in interrupt context), its device, operation and the
 * flags blktrace's rwbs shows (as they were at issue, which the block
 * tracepoints print: the flush machinery rewrites them), sector and size, the time it queued (insert to issue) and was served (issue to
 * completion); and per (device, operation) per-second counts with log2
 * latency histograms in two generations of per-CPU maps, as in sched.bpf.c.
 * Requests are reused: the entry of a request is deleted at completion.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "maps.bpf.h"
#include "agg.bpf.h"
#include "block.bpf.h"

char LICENSE[] SEC("license") = "GPL";

__u32 gen = 0; /* flipped by the recorder */

struct inflight {
	__u64 insert_ts;
	__u64 issue_ts;
	__u32 pid, tid;
	__u32 cmd_flags; /* rq->cmd_flags at issue (at insert until then) */
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* the request's address */
	__type(value, struct inflight);
} inflight SEC(".maps");

AGG_MAP(blk_agg0, struct blk_key, struct blk_agg, BLK_AGG_MAX);
AGG_MAP(blk_agg1, struct blk_key, struct blk_agg, BLK_AGG_MAX);

/* Requests or aggregates that did not fit their maps, per CPU: reported as drops. */
AGG_LOST_MAP(block_lost);

/* rq->rq_disk became rq->q->disk in 5.17 (commit f3fa33acca9f, "block:
 * remove the ->rq_disk field in struct request"). */
struct request___rq_disk {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *request_disk(struct request *rq)
{
	struct request___rq_disk *old = (void *)rq;

	if (bpf_core_field_exists(old->rq_disk))
		return BPF_CORE_READ(old, rq_disk);
	return BPF_CORE_READ(rq, q, disk);
}

static __always_inline struct inflight *track(struct request *rq, __u64 now, int issue)
{
	__u64 key = (__u64)rq;
	struct inflight *f = bpf_map_lookup_elem(&inflight, &key);

	if (!f) {
		struct inflight n = { .insert_ts = now };
		__u64 id = bpf_get_current_pid_tgid();
		n.pid = id >> 32;
		n.tid = (__u32)id;
		bpf_get_current_comm(n.comm, sizeof(n.comm));
		if (bpf_map_update_elem(&inflight, &key, &n, BPF_ANY)) {
			agg_lost(&block_lost, 1);
			return NULL;
		}
		f = bpf_map_lookup_elem(&inflight, &key);
	}
	if (f) {
		f->cmd_flags = BPF_CORE_READ(rq, cmd_flags);
		if (issue)
			f->issue_ts = now;
	}
	return f;
}

/* 1 << the kernel's bit for request flag B: enum req_flag_bits has
 * renumbered over releases (e.g. __REQ_NOWAIT and __REQ_POLLED added
 * before __REQ_FUA's neighbours), so the numbers come from its BTF. */
#define REQ_BIT(B) (1u << bpf_core_enum_value(enum req_flag_bits, B))

/* The BLK_* flags of block.bpf.h from rq->cmd_flags. */
static __always_inline __u32 rwbs_flags(__u32 cmd_flags)
{
	__u32 f = 0;

	if (cmd_flags & REQ_BIT(__REQ_PREFLUSH))
		f |= BLK_PREFLUSH;
	if (cmd_flags & REQ_BIT(__REQ_FUA))
		f |= BLK_FUA;
	if (cmd_flags & REQ_BIT(__REQ_RAHEAD))
		f |= BLK_RAHEAD;
	if (cmd_flags & REQ_BIT(__REQ_SYNC))
		f |= BLK_SYNC;
	if (cmd_flags & REQ_BIT(__REQ_META))
		f |= BLK_META;
	return f;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(handle_insert, struct request *rq)
{
	track(rq, bpf_ktime_get_boot_ns(), 0);
	return 0;
}

/* Requests that skip the scheduler are issued without an insert. */
SEC("tp_btf/block_rq_issue")
int BPF_PROG(handle_issue, struct request *rq)
{
	track(rq, bpf_ktime_get_boot_ns(), 1);
	return 0;
}

static __always_inline void set_op(char *dst, __u32 op)
{
	switch (op) {
	case 0:
		__builtin_memcpy(dst, "read", 5);
		break;
	case 1:
		__builtin_memcpy(dst, "write", 6);
		break;
	case 2:
		__builtin_memcpy(dst, "flush", 6);
		break;
	case 3:
		__builtin_memcpy(dst, "discard", 8);
		break;
	case 9:
		__builtin_memcpy(dst, "zeroes", 7);
		break;
	default:
		__builtin_memcpy(dst, "other", 6);
	}
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(handle_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq, now = bpf_ktime_get_boot_ns();
	struct inflight *f = bpf_map_lookup_elem(&inflight, &key);
	struct gendisk *disk;
	struct blk_key k = {};
	struct blk_agg zero = {}, *a;
	struct fr_io *e;
	__u64 issue, queue_ns, service_ns;
	__u32 op, flags, major, minor;

	if (!f)
		return 0; /* issued before the recorder started */
	issue = f->issue_ts ? f->issue_ts : f->insert_ts;
	queue_ns = issue - f->insert_ts;
	service_ns = now > issue ? now - issue : 0;
	disk = request_disk(rq);
	major = BPF_CORE_READ(disk, major);
	minor = BPF_CORE_READ(disk, first_minor);
	op = f->cmd_flags & 0xff; /* REQ_OP_MASK */
	flags = rwbs_flags(f->cmd_flags);

	k.dev = major << 20 | minor;
	k.op = op;
	k.flags = flags;
	a = agg_of(&blk_agg0, &blk_agg1, gen & 1, &k, &zero);
	if (!a)
		agg_lost(&block_lost, 1);
	if (a) {
		a->count++;
		a->bytes += nr_bytes;
		a->total_ns += queue_ns + service_ns;
		if (queue_ns + service_ns > a->max_ns)
			a->max_ns = queue_ns + service_ns;
		a->hist[log2_bucket(queue_ns + service_ns, BLK_HIST_BUCKETS) & (BLK_HIST_BUCKETS - 1)]++;
		if (!a->disk[0])
			bpf_probe_read_kernel_str(a->disk, sizeof(a->disk), disk->disk_name);
	}

	e = event_reserve(sizeof(*e), FR_KIND_io);
	if (e) {
		e->ts = f->insert_ts;
		e->pid = f->pid;
		e->tid = f->tid;
		__builtin_memcpy(e->comm, f->comm, sizeof(e->comm));
		e->major = major;
		e->minor = minor;
		bpf_probe_read_kernel_str(e->disk, sizeof(e->disk), disk->disk_name);
		set_op(e->op, op);
		blk_rwbs(e->rwbs, op, flags);
		e->sector = BPF_CORE_READ(rq, __sector);
		e->bytes = nr_bytes;
		e->queue_ns = queue_ns;
		e->service_ns = service_ns;
		e->error = error;
		event_submit(e);
	}
	bpf_map_delete_elem(&inflight, &key);
	return 0;
}
