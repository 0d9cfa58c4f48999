// SPDX-License-Identifier: GPL-2.0
/*
 * process.bpf.c - process lifecycle: fork (new processes, not threads),
 * exec with filename and argv, and the exit of a process's last thread with
 * its exit status.  tp_btf programs: typed arguments, no tracefs needed.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "maps.bpf.h"
#include "task.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct fr_fork *e;

	/* clone(CLONE_THREAD) also fires here: threads are not processes. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	e = event_reserve(sizeof(*e), FR_KIND_fork);
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = BPF_CORE_READ(child, tgid);
	e->ppid = task_ppid(child);
	task_ids(child, &e->uid, &e->gid);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), child->comm);
	/* Runs in the parent, whose cgroup the child starts in. */
	e->cgroup_id = bpf_get_current_cgroup_id();
	event_submit(e);
	return 0;
}

/*
 * What the exec did to the credentials, which begin_new_exec() has
 * committed by now: the effective uid and capabilities, and whether the
 * kernel judged it a gain of privilege (bprm->secureexec, the AT_SECURE
 * it passes to the new image: set-uid, set-gid, or file capabilities
 * beyond the ambient set).  kernel_cap_t was two u32 words before 6.3 and
 * is one u64 since (f122a08b197d "capability: just use a 'u64' instead of
 * a 'u32[2]' array"): the same 8 bytes either way on little-endian, read
 * as one.
 */
static __always_inline void exec_creds(struct task_struct *p, struct linux_binprm *bprm, struct fr_exec *e)
{
	const struct cred *cred = BPF_CORE_READ(p, cred);
	__u64 caps = 0;

	e->euid = BPF_CORE_READ(cred, euid.val);
	bpf_core_read(&caps, sizeof(caps), &cred->cap_effective);
	e->cap_effective = caps;
	e->secureexec = BPF_CORE_READ_BITFIELD_PROBED(bprm, secureexec);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	unsigned long arg_start, arg_end, len;
	struct fr_exec *e;

	e = event_reserve(sizeof(*e), FR_KIND_exec);
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = BPF_CORE_READ(p, tgid);
	e->tid = old_pid; /* the thread that called exec, before de_thread() */
	e->ppid = task_ppid(p);
	task_ids(p, &e->uid, &e->gid);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->comm);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));

	/* The new image's arguments are on its stack, just copied there by exec. */
	arg_start = BPF_CORE_READ(p, mm, arg_start);
	arg_end = BPF_CORE_READ(p, mm, arg_end);
	len = arg_end - arg_start;
	if (len > sizeof(e->argv))
		len = sizeof(e->argv);
	e->argv_len = 0;
	if (len > 0 && bpf_probe_read_user(e->argv, len & 0x1ff, (void *)arg_start) == 0)
		e->argv_len = len;
	e->cgroup_id = bpf_get_current_cgroup_id();
	exec_creds(p, bprm, e);
	/* Filled in user space by the recorder; ring-buffer memory is not zeroed. */
	e->exe[0] = e->cgroup[0] = e->container[0] = e->pod_uid[0] = e->pod[0] = e->namespace[0] = '\0';
	event_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	struct fr_exit *e;
	int code;

	/*
	 * Fires for every thread; signal->live reaches 0 (decremented in
	 * do_exit() before this tracepoint) only for the last one.
	 */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	e = event_reserve(sizeof(*e), FR_KIND_exit);
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = BPF_CORE_READ(p, tgid);
	e->tid = BPF_CORE_READ(p, pid);
	e->ppid = task_ppid(p);
	task_ids(p, &e->uid, &e->gid);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->comm);
	code = BPF_CORE_READ(p, exit_code);
	if (code & 0x7f) {
		e->exit_code = -1;
		e->exit_signal = code & 0x7f;
		e->core_dumped = (code & 0x80) ? 1 : 0;
	} else {
		e->exit_code = (code >> 8) & 0xff;
		e->exit_signal = 0;
		e->core_dumped = 0;
	}
	event_submit(e);
	return 0;
}

/*
 * mark_victim has carried the victim's task since 6.8 (before, only its
 * pid); on older kernels this program fails to load its BTF types and is
 * reported as failed while the others run.
 */
/*
 * The victim's memory as mark_victim prints it: the mm's counters read
 * without summing the per-CPU deltas (percpu_counter_read_positive, the
 * kernel's own get_mm_counter), in KiB.  rss_stat is an array of
 * percpu_counter since 6.2, which mark_victim's task argument (6.8) implies.
 */
const volatile __u32 page_kb = 4; /* the page size in KiB, set by the recorder */

static __always_inline __u64 mm_counter_kb(struct mm_struct *mm, int member)
{
	__s64 pages = BPF_CORE_READ(mm, rss_stat[member].count);

	return pages > 0 ? (__u64)pages * page_kb : 0;
}

static __always_inline void oom_memory(struct fr_oom *e, struct task_struct *victim)
{
	struct mm_struct *mm = BPF_CORE_READ(victim, mm);

	if (!mm)
		return;
	e->total_vm_kb = BPF_CORE_READ(mm, total_vm) * page_kb;
	e->file_rss_kb = mm_counter_kb(mm, MM_FILEPAGES);
	e->anon_rss_kb = mm_counter_kb(mm, MM_ANONPAGES);
	e->shmem_rss_kb = mm_counter_kb(mm, MM_SHMEMPAGES);
}

SEC("tp_btf/mark_victim")
int BPF_PROG(handle_oom, struct task_struct *victim)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task_btf();
	struct fr_oom *e;

	e = event_reserve(sizeof(*e), FR_KIND_oom);
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = BPF_CORE_READ(victim, tgid);
	e->uid = BPF_CORE_READ(victim, real_cred, uid.val);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), victim->comm);
	e->cgroup_id = BPF_CORE_READ(victim, cgroups, dfl_cgrp, kn, id);
	e->oom_score_adj = BPF_CORE_READ(victim, signal, oom_score_adj);
	e->trigger_pid = BPF_CORE_READ(cur, tgid);
	bpf_probe_read_kernel_str(e->trigger_comm, sizeof(e->trigger_comm), cur->comm);
	oom_memory(e, victim);
	event_submit(e);
	return 0;
}
