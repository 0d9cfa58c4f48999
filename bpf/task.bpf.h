/*
 * task.bpf.h - reading identity out of a task_struct with CO-RE.
 */
#ifndef FR_TASK_BPF_H
#define FR_TASK_BPF_H

static __always_inline __u32 task_ppid(struct task_struct *t)
{
	return BPF_CORE_READ(t, real_parent, tgid);
}

/* Real uid and gid, as ps shows them. */
static __always_inline void task_ids(struct task_struct *t, __u32 *uid, __u32 *gid)
{
	*uid = BPF_CORE_READ(t, real_cred, uid.val);
	*gid = BPF_CORE_READ(t, real_cred, gid.val);
}

#endif
