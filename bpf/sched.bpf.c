// SPDX-License-Identifier: GPL-2.0
/*
 * sched.bpf.c - run-queue delays and off-CPU time.
 *
 * Run-queue delay is the time from becoming runnable (a wakeup, or being
 * preempted while still runnable) to running.  Each delay above
 * runq_threshold_ns is a `runq` event; every delay is counted per
 * process, per CPU, in a hot slot or a hash behind it, that the recorder
 * turns into `runq_stat` records each second.  Off-CPU time is the time
 * from switching out asleep to the wakeup, split into uninterruptible
 * (I/O wait) and other sleep, counted per process the same way.
 *
 * Two ways, one loaded (recorder/family_sched.c):
 * - handle_switch alone, where the kernel keeps sched_info (CONFIG_SCHED_INFO,
 *   what /proc/PID/schedstat shows) and a cfs_rq knows its run queue
 *   (CONFIG_FAIR_GROUP_SCHED).  The
 *   kernel already notes when each task was queued (sched_info.last_queued,
 *   in the clock of its run queue) and adds up its waits (run_delay): at a
 *   switch the wait of the task coming in is read from there, and its
 *   sleep is the time since it left the CPU asleep less that wait.  No
 *   program runs on wakeups, and no clock is read but the run queue's.
 * - switch_after_wakeup with handle_wakeup and handle_wakeup_new elsewhere:
 *   the wakeup notes the time in the task's storage, the switch reads it.
 *
 * The counts live in two generations of maps, chosen by `gen`: the
 * recorder flips gen each second and drains the generation it flipped away
 * from a second earlier, when no program can still be writing it.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "maps.bpf.h"
#include "agg.bpf.h"
#include "sched.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 runq_threshold_ns = 5000000;
const volatile __u32 self_tgid = 0;
__u32 gen = 0; /* flipped by the recorder */

#define TASK_RUNNING 0
#define TASK_UNINTERRUPTIBLE 0x2

/*
 * When each thread became runnable, or went to sleep (and how), kept with
 * the task (task storage, 5.11+): no hash lookup, insert or delete on a
 * switch or wakeup, and nothing to evict.  A time of 0 means none.
 */
struct sched_task {
	__u64 runnable_ts; /* became runnable, waiting for a CPU (wakeup way) */
	__u64 asleep_ts;   /* switched out asleep */
	__u32 uninterruptible;
	__u32 seen;	   /* sched_info way: run_delay below is the task's as of its last switch in */
	__u64 run_delay;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sched_task);
} sched_tasks SEC(".maps");

AGG_MAP(runq_agg0, __u32, struct runq_agg, SCHED_AGG_MAX);
AGG_MAP(runq_agg1, __u32, struct runq_agg, SCHED_AGG_MAX);
AGG_MAP(offcpu_agg0, __u32, struct offcpu_agg, SCHED_AGG_MAX);
AGG_MAP(offcpu_agg1, __u32, struct offcpu_agg, SCHED_AGG_MAX);

/* Aggregates that found their map full, per CPU: reported as drops. */
AGG_LOST_MAP(sched_lost);

/* Per-CPU hot slots in front of the hashes (bpf/agg.bpf.h, sched.bpf.h). */
AGG_HOT_SLOTS(runq, SCHED_HOT_SLOTS, sched_lost, count)
AGG_HOT_SLOTS(offcpu, SCHED_HOT_SLOTS, sched_lost, count)

/*
 * NEXT, of process TGID, waited DELAY ns for the CPU it now gets: counted,
 * and a `runq` event when that is runq_threshold_ns or more.  NOW: the
 * boot clock (bpf_ktime_get_boot_ns()), 0 when the caller did not read it.
 */
static __always_inline void count_wait(struct task_struct *next, __u64 delay, __u64 now)
{
	__u32 tgid = next->tgid;
	struct runq_agg *a = runq_slot(tgid);
	struct fr_runq *e;

	if (a) {
		a->count++;
		a->total_ns += delay;
		if (delay > a->max_ns)
			a->max_ns = delay;
		a->hist[log2_bucket(delay, SCHED_HIST_BUCKETS) & (SCHED_HIST_BUCKETS - 1)]++;
		if (!a->comm[0])
			bpf_probe_read_kernel_str(a->comm, sizeof(a->comm), next->comm);
	}
	if (delay < runq_threshold_ns)
		return;
	e = event_reserve(sizeof(*e), FR_KIND_runq);
	if (!e)
		return;
	if (!now)
		now = bpf_ktime_get_boot_ns();
	e->ts = now - delay;
	e->pid = tgid;
	e->tid = next->pid;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), next->comm);
	e->cpu = bpf_get_smp_processor_id();
	e->delay_ns = delay;
	event_submit(e);
}

/* SLEPT ns off the CPU, asleep (UNINTERRUPTIBLE: waiting for I/O), ended for P of process TGID. */
static __always_inline void count_sleep(struct task_struct *p, __u32 tgid, __u64 slept, __u32 uninterruptible)
{
	struct offcpu_agg *a = offcpu_slot(tgid);

	if (!a)
		return;
	if (uninterruptible)
		a->iowait_ns += slept;
	else
		a->sleep_ns += slept;
	a->count++;
	if (!a->comm[0])
		bpf_probe_read_kernel_str(a->comm, sizeof(a->comm), p->comm);
}

/*
 * The task pointers of these tracepoints are trusted BTF arguments: their
 * fields are read with plain loads, not probe reads.
 */
static __always_inline void mark_runnable(struct task_struct *p)
{
	struct sched_task *t;

	if (p->pid == 0)
		return;
	t = bpf_task_storage_get(&sched_tasks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t)
		t->runnable_ts = bpf_ktime_get_boot_ns();
}

/* A wakeup ends a sleep (off-CPU time) and starts a wait for the CPU. */
static __always_inline void on_wakeup(struct task_struct *p)
{
	__u32 tgid = p->tgid;
	struct sched_task *t;
	__u64 now, slept;

	if (p->pid == 0)
		return;
	t = bpf_task_storage_get(&sched_tasks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return;
	now = bpf_ktime_get_boot_ns();
	t->runnable_ts = now;
	if (!t->asleep_ts)
		return;
	slept = now > t->asleep_ts ? now - t->asleep_ts : 0;
	t->asleep_ts = 0;
	if (tgid != self_tgid && slept)
		count_sleep(p, tgid, slept, t->uninterruptible);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(handle_wakeup, struct task_struct *p)
{
	on_wakeup(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(handle_wakeup_new, struct task_struct *p)
{
	mark_runnable(p);
	return 0;
}

/*
 * prev_state is the fourth argument since 5.18 (commit fa2c3254d7cf,
 * "sched/tracing: Don't re-read p->state when emitting sched_switch
 * event"); re-reading prev->__state here would race with a wakeup.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(switch_after_wakeup, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u32 next_tid = next->pid;
	__u64 now = bpf_ktime_get_boot_ns(), delay;
	struct sched_task *t;

	if (prev->pid) {
		t = bpf_task_storage_get(&sched_tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t) {
			if (prev_state == TASK_RUNNING) {
				/* preempted: still runnable, waiting again from now */
				t->runnable_ts = now;
			} else {
				t->asleep_ts = now;
				t->uninterruptible = (prev_state & TASK_UNINTERRUPTIBLE) != 0;
			}
		}
	}
	if (next_tid == 0)
		return 0;
	t = bpf_task_storage_get(&sched_tasks, next, 0, 0);
	if (!t || !t->runnable_ts)
		return 0;
	delay = now > t->runnable_ts ? now - t->runnable_ts : 0;
	t->runnable_ts = 0;
	if (next->tgid == self_tgid)
		return 0;

	count_wait(next, delay, now);
	return 0;
}

/*
 * The clock of this CPU's run queue, which stamps sched_info and was
 * brought up to date before the switch.  The run queue is reached through
 * the group scheduling entity's cfs_rq (CONFIG_FAIR_GROUP_SCHED): the
 * kernel's own `runqueues` is a data symbol, which a kernel built without
 * CONFIG_KALLSYMS_ALL cannot give a program.  Every task has its cfs_rq
 * set (set_task_rq()), the idle task and real-time ones too, and the one
 * leaving the CPU is on this CPU's.
 */
static __always_inline __u64 rq_clock_of(struct task_struct *prev)
{
	return prev->se.cfs_rq->rq->clock;
}

/*
 * The sched_info way (see the top).  The tracepoint fires before the
 * kernel's own accounting of the switch (sched_info_switch), so NEXT's
 * last_queued still holds when it was queued, and run_delay its waits up
 * to then; with the run_delay seen at its previous switch in, the
 * difference is this wait, a migration between queues included.  A task
 * seen for the first time has only the part since last_queued.  PREV,
 * preempted, is queued by the kernel itself; asleep, it notes when.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 now = rq_clock_of(prev), queued, waited, delay, off;
	struct sched_task *t;

	if (prev->pid && prev_state != TASK_RUNNING) {
		t = bpf_task_storage_get(&sched_tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t) {
			t->asleep_ts = now;
			t->uninterruptible = (prev_state & TASK_UNINTERRUPTIBLE) != 0;
		}
	}
	if (next->pid == 0)
		return 0;
	t = bpf_task_storage_get(&sched_tasks, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return 0;
	queued = next->sched_info.last_queued;
	delay = queued && now > queued ? now - queued : 0;
	waited = next->sched_info.run_delay + delay;
	if (t->seen)
		delay = waited > t->run_delay ? waited - t->run_delay : 0;
	t->run_delay = waited;
	t->seen = 1;
	off = 0;
	if (t->asleep_ts) {
		/* the run queues' clocks agree between CPUs as sched_clock does: never below 0 */
		off = now > t->asleep_ts ? now - t->asleep_ts : 0;
		off = off > delay ? off - delay : 0;
		t->asleep_ts = 0;
	}
	if (next->tgid == self_tgid)
		return 0;
	if (off)
		count_sleep(next, next->tgid, off, t->uninterruptible);
	count_wait(next, delay, 0);
	return 0;
}
