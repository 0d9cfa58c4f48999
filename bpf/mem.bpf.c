// SPDX-License-Identifier: GPL-2.0
/*
 * mem.bpf.c - page faults, resident-set growth and kernel lock contention,
 * counted per process.
 *
 * exceptions:page_fault_user counts faults taken in user mode (and which of
 * them were writes); rss_stat, which fires when a process's resident-page
 * counters change, keeps the latest and the largest resident set; and
 * lock:contention_begin/end time each wait for a contended kernel lock
 * (mutex, rwsem, spinning or sleeping) of a thread.  All three only add to
 * per-CPU hot slots and the per-CPU hashes behind them, keyed by tgid, in
 * two generations like bpf/sched.bpf.c:
 * the recorder flips `gen` each second and drains the other generation
 * into fault_stat, rss_stat and lock_stat records.  Nothing goes through
 * the ring buffer.  Each program is a probe of its own: a kernel without
 * one of the tracepoints loses only that one.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "mem.bpf.h"
#include "agg.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 self_tgid = 0;
__u32 gen = 0; /* flipped by the recorder */

AGG_MAP(fault_agg0, __u32, struct fault_agg, MEM_AGG_MAX);
AGG_MAP(fault_agg1, __u32, struct fault_agg, MEM_AGG_MAX);
AGG_MAP(rss_agg0, __u32, struct rss_agg, MEM_AGG_MAX);
AGG_MAP(rss_agg1, __u32, struct rss_agg, MEM_AGG_MAX);
AGG_MAP(lock_agg0, __u32, struct lock_agg, MEM_AGG_MAX);
AGG_MAP(lock_agg1, __u32, struct lock_agg, MEM_AGG_MAX);

/*
 * When the current thread began to wait for a lock, kept with the task
 * (task storage, 5.11+): no hash insert and delete per wait.  0: none.
 */
struct lock_wait {
	__u64 since;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lock_wait);
} lock_since SEC(".maps");

/* Aggregates that found their map full, per CPU: reported as drops. */
AGG_LOST_MAP(mem_lost);

/* Per-CPU hot slots in front of the hashes (bpf/agg.bpf.h, mem.bpf.h). */
AGG_HOT_SLOTS(fault, MEM_HOT_SLOTS, mem_lost, faults)
AGG_HOT_SLOTS(rss, MEM_HOT_SLOTS, mem_lost, changes)
AGG_HOT_SLOTS(lock, MEM_HOT_SLOTS, mem_lost, waits)

SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct fault_agg *a;

	if (tgid == self_tgid || tgid == 0)
		return 0;
	a = fault_slot(tgid);
	if (!a)
		return 0;
	if ((a->faults & 63) == 0) /* the first, then every 64th: an exec renames */
		bpf_get_current_comm(a->comm, sizeof(a->comm));
	a->faults++;
	if (error_code & 2) /* X86_PF_WRITE */
		a->write_faults++;
	return 0;
}

/* MM_FILEPAGES, MM_ANONPAGES and MM_SHMEMPAGES: what VmRSS adds up. */
static __always_inline __u64 rss_pages(struct mm_struct *mm)
{
	/* mm is a trusted argument of the tracepoint: plain loads, not probe reads */
	__s64 file = mm->rss_stat[0].count;
	__s64 anon = mm->rss_stat[1].count;
	__s64 shmem = mm->rss_stat[3].count;
	__s64 sum = (file > 0 ? file : 0) + (anon > 0 ? anon : 0) + (shmem > 0 ? shmem : 0);

	return (__u64)sum;
}

SEC("tp_btf/rss_stat")
int BPF_PROG(rss_stat, struct mm_struct *mm, int member)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	struct rss_agg *a;
	__u64 pages, now;

	/* Only a process's own changes: not reclaim by kswapd, not another mm. */
	if (tgid == self_tgid || tgid == 0 || task->mm != mm)
		return 0;
	a = rss_slot(tgid);
	if (!a)
		return 0;
	pages = rss_pages(mm);
	now = bpf_ktime_get_boot_ns();
	if (!a->first_ts) {
		a->first_ts = now;
		a->first_pages = pages;
	}
	if ((a->changes++ & 63) == 0)
		bpf_get_current_comm(a->comm, sizeof(a->comm));
	a->last_ts = now;
	a->last_pages = pages;
	if (pages > a->max_pages)
		a->max_pages = pages;
	return 0;
}

SEC("tp_btf/contention_begin")
int BPF_PROG(contention_begin, void *lock, unsigned int flags)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct lock_wait *w;

	if ((pt >> 32) == self_tgid || (__u32)pt == 0)
		return 0;
	w = bpf_task_storage_get(&lock_since, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	/* A mutex that spins then sleeps begins twice: keep the first. */
	if (w && !w->since)
		w->since = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/contention_end")
int BPF_PROG(contention_end, void *lock, int ret)
{
	struct lock_wait *w = bpf_task_storage_get(&lock_since, bpf_get_current_task_btf(), 0, 0);
	struct lock_agg *a;
	__u64 wait;

	if (!w || !w->since)
		return 0;
	wait = bpf_ktime_get_ns() - w->since;
	w->since = 0;
	a = lock_slot(bpf_get_current_pid_tgid() >> 32);
	if (!a)
		return 0;
	if ((a->waits & 63) == 0)
		bpf_get_current_comm(a->comm, sizeof(a->comm));
	a->waits++;
	a->total_ns += wait;
	if (wait > a->max_ns)
		a->max_ns = wait;
	return 0;
}
