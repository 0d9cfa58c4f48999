// SPDX-License-Identifier: GPL-2.0
/*
 * profile.bpf.c - CPU samples with their call stacks.
 *
 * The recorder opens one software perf event (cpu-clock) per CPU at
 * --profile-hz and attaches profile_sample to each.  A sample of a CPU
 * that runs a thread (not the idle task, pid 0) takes its user stack as
 * build ids and file offsets (BPF_F_STACK_BUILD_ID: the kernel falls back
 * to the bare address when it cannot read the build id now) and its
 * kernel stack as addresses, each interned in a stack map, and counts
 * the (pid, tid, user stack, kernel stack) in a hash.  An idle CPU costs
 * one timer interrupt per sample and a return: nothing is stored.
 *
 * Two generations of maps, chosen by `gen` as in bpf/sched.bpf.c: the
 * recorder flips gen each second, reads the other generation's counts and
 * stacks into cpu_sample and stack records, and empties it.  Nothing of
 * the samples goes through the ring buffer.
 *
 * signal_generate sends a crash event through the ring when a thread gets
 * a fatal signal in its own context (a fault, or abort() raising SIGABRT)
 * with no handler for it: the signal, its code, the fault address and the
 * thread's user stack, taken there, before the process is gone.
 *
 * Off-CPU stacks (the recorder leaves these two programs unloaded with
 * --offcpu-threshold off): offcpu_switch takes the user and kernel stacks
 * of a user thread that leaves the CPU asleep, interruptibly or not, and
 * keeps them with the task; offcpu_wakeup, when that sleep ends, sends
 * them through the ring if it lasted at least offcpu_threshold_ns.  The
 * stacks must be taken on every sleep, since only the wakeup tells which
 * are long: that walk is the cost (BENCHMARKS.md).  A sleep's length is
 * from the switch to the wakeup, as the sched family's offcpu_stats count
 * it, not the wait for a CPU after it.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "maps.bpf.h"
#include "profile.bpf.h"

char LICENSE[] SEC("license") = "GPL";

__u32 gen = 0; /* flipped by the recorder */
const volatile __u64 offcpu_threshold_ns = 100000000;
const volatile __u32 self_tgid = 0;

/* Sizes are set by the recorder from --profile-hz and the CPU count. */
#define STACK_MAP(NAME, FLAGS, FRAME)                                                                              \
	struct {                                                                                                   \
		__uint(type, BPF_MAP_TYPE_STACK_TRACE);                                                            \
		__uint(max_entries, 1024);                                                                         \
		__uint(map_flags, FLAGS);                                                                          \
		__uint(key_size, sizeof(__u32));                                                                   \
		__uint(value_size, PROFILE_DEPTH * sizeof(FRAME));                                                 \
	} NAME SEC(".maps")

STACK_MAP(ustack0, BPF_F_STACK_BUILD_ID, struct bpf_stack_build_id);
STACK_MAP(ustack1, BPF_F_STACK_BUILD_ID, struct bpf_stack_build_id);
STACK_MAP(kstack0, 0, __u64);
STACK_MAP(kstack1, 0, __u64);

#define COUNT_MAP(NAME)                                                                                            \
	struct {                                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                                   \
		__uint(max_entries, 2048);                                                                         \
		__type(key, struct profile_key);                                                                   \
		__type(value, struct profile_val);                                                                 \
	} NAME SEC(".maps")

COUNT_MAP(samples0);
COUNT_MAP(samples1);

/* Samples that found their count map full, and sleeps whose stacks had no task storage, per CPU: reported as drops. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} profile_lost SEC(".maps");

/* Samples whose user or kernel stack found its stack map's bucket taken (or no memory): counted, with a partial or no stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} profile_stack_lost SEC(".maps");

#define ENOMEM 12
#define EEXIST 17

/* 1 when bpf_get_stackid()'s ID says the map had no room for the stack (not: there was no stack). */
static __always_inline int stack_no_room(__s32 id)
{
	return id == -EEXIST || id == -ENOMEM;
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&profile_lost, &zero);

	if (n)
		*n += 1;
}

/* Count one sample of KEY in MAP, a new key taking the current comm. */
static __always_inline void count_sample(void *map, struct profile_key *key)
{
	struct profile_val *v = bpf_map_lookup_elem(map, key);

	if (!v) {
		struct profile_val first = { .count = 1 };

		bpf_get_current_comm(first.comm, sizeof(first.comm));
		if (!bpf_map_update_elem(map, key, &first, BPF_NOEXIST))
			return;
		/* another CPU added it first (-EEXIST), or the map is full */
		v = bpf_map_lookup_elem(map, key);
		if (!v) {
			count_lost();
			return;
		}
	}
	__sync_fetch_and_add(&v->count, 1);
}

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct profile_key key = { .pid = id >> 32, .tid = (__u32)id };

	if (key.tid == 0) /* the idle task */
		return 0;
	/* Each map by name: the verifier wants a constant map for bpf_get_stackid. */
	if (gen & 1) {
		key.ustack = bpf_get_stackid(ctx, &ustack1, BPF_F_USER_STACK);
		key.kstack = bpf_get_stackid(ctx, &kstack1, 0);
		count_sample(&samples1, &key);
	} else {
		key.ustack = bpf_get_stackid(ctx, &ustack0, BPF_F_USER_STACK);
		key.kstack = bpf_get_stackid(ctx, &kstack0, 0);
		count_sample(&samples0, &key);
	}
	if (stack_no_room(key.ustack) || stack_no_room(key.kstack)) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&profile_stack_lost, &zero);

		if (n)
			*n += 1;
	}
	return 0;
}

/* SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV: the signals that dump core and that a thread brings on itself. */
static __always_inline int crash_signal(int sig)
{
	return sig == 4 || sig == 5 || sig == 6 || sig == 7 || sig == 8 || sig == 11;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct sighand_struct *sh;
	struct crash_event *e;
	void *handler = NULL;
	__u64 id;

	/* result 0: TRACE_SIGNAL_DELIVERED (not ignored, not already pending) */
	if (result != 0 || !crash_signal(sig) || task != cur)
		return 0;
	/* a handler makes it no crash (a JVM's SIGSEGV, say); SIG_IGN is overridden for a forced fault */
	sh = BPF_CORE_READ(task, sighand);
	if (sh && sig >= 1 && sig <= 64)
		bpf_core_read(&handler, sizeof(handler), &sh->action[sig - 1].sa.sa_handler);
	if ((unsigned long)handler > 1)
		return 0;
	e = event_reserve(sizeof(*e), FR_EV_CRASH);
	if (!e)
		return 0;
	id = bpf_get_current_pid_tgid();
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->sig = sig;
	e->code = BPF_CORE_READ(info, si_code);
	/* si_code > 0: sent by the kernel for a fault, whose siginfo holds the address */
	e->addr = e->code > 0 && sig != 6 ? (__u64)BPF_CORE_READ(info, _sifields._sigfault._addr) : 0;
	e->nbytes = bpf_get_stack(ctx, e->frames, sizeof(e->frames), BPF_F_USER_STACK | BPF_F_USER_BUILD_ID);
	/* the process is about to go: wake the recorder now */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

#define TASK_RUNNING 0
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_DEAD 0x80
#define PF_KTHREAD 0x00200000

/* Each thread's stacks of its current sleep (task storage, 5.11+): nothing to look up by tid or evict. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct offcpu_task);
} offcpu_tasks SEC(".maps");

/*
 * prev_state is the fourth argument since 5.18 (commit fa2c3254d7cf,
 * "sched/tracing: Don't re-read p->state when emitting sched_switch
 * event").  The current task is still prev here, so bpf_get_stack()
 * walks prev's stacks.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
	struct offcpu_task *t;

	/* preempted (still runnable), exiting (no wakeup comes), the idle task, kernel threads (their sleeps are mostly idle waits), the recorder */
	if (prev_state == TASK_RUNNING || (prev_state & TASK_DEAD) || prev->pid == 0 || (prev->flags & PF_KTHREAD) ||
	    prev->tgid == self_tgid)
		return 0;
	t = bpf_task_storage_get(&offcpu_tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		count_lost(); /* no memory, or the storage busy on this CPU: a sleep that cannot be measured */
		return 0;
	}
	t->s.ubytes = bpf_get_stack(ctx, t->s.ustack, sizeof(t->s.ustack), BPF_F_USER_STACK);
	t->s.kbytes = bpf_get_stack(ctx, t->s.kstack, sizeof(t->s.kstack), 0);
	t->s.uninterruptible = (prev_state & TASK_UNINTERRUPTIBLE) != 0;
	t->asleep_ts = bpf_ktime_get_boot_ns();
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(offcpu_wakeup, struct task_struct *p)
{
	struct offcpu_task *t = bpf_task_storage_get(&offcpu_tasks, p, 0, 0);
	struct offcpu_event *e;
	__u64 now, slept;

	if (!t || !t->asleep_ts)
		return 0;
	now = bpf_ktime_get_boot_ns();
	slept = now > t->asleep_ts ? now - t->asleep_ts : 0;
	t->asleep_ts = 0;
	if (slept < offcpu_threshold_ns)
		return 0;
	e = event_reserve(sizeof(*e), FR_EV_OFFCPU);
	if (!e)
		return 0;
	e->ts = now;
	e->slept_ns = slept;
	e->pid = p->tgid;
	e->tid = p->pid;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->comm);
	bpf_probe_read_kernel(&e->s, sizeof(e->s), &t->s);
	event_submit(e);
	return 0;
}
