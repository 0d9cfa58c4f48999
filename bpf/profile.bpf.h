/*
 * profile.bpf.h - the CPU samples of bpf/profile.bpf.c, shared with the
 * recorder (recorder/family_profile.c), which reads them from the maps.
 */
#ifndef FR_PROFILE_BPF_H
#define FR_PROFILE_BPF_H

/* Frames kept of a user and of a kernel stack; deeper frames (the outermost) are cut. */
#define PROFILE_DEPTH 64

/*
 * One aggregate: a thread in one user and kernel stack.  The stack ids are
 * those of the stack maps of the same generation; negative: no stack
 * (-EFAULT: none of that side, as a kernel stack sampled in user mode;
 * -EEXIST or -ENOMEM: the stack map had no room, the sample still counts).
 */
struct profile_key {
	__u32 pid;
	__u32 tid;
	__s32 ustack;
	__s32 kstack;
};

struct profile_val {
	__u64 count;
	char comm[16];
};

/*
 * A thread got a fatal signal (profile.bpf.c, signal_generate): its user
 * stack as bpf_get_stack() gave it (nbytes of frames, negative: the error).
 */
#define FR_EV_CRASH (FR_KIND_MAX + 6)

struct crash_event {
	struct fr_head head;
	__u64 ts;
	__u32 pid;
	__u32 tid;
	char comm[16];
	__u32 sig;
	__s32 code;
	__u64 addr;
	__s64 nbytes;
	struct bpf_stack_build_id frames[PROFILE_DEPTH];
};

/*
 * Off-CPU stacks (profile.bpf.c, offcpu_switch and offcpu_wakeup): the
 * stacks a thread left the CPU asleep in, kept with the task until its
 * wakeup says how long it slept.  User frames are bare addresses (a build
 * id read on every switch would cost more than the walk), kernel frames
 * addresses; ubytes and kbytes are what bpf_get_stack() returned (bytes of
 * frames, negative: the error).
 */
struct offcpu_stacks {
	__u32 uninterruptible;
	__u32 pad;
	__s64 ubytes;
	__s64 kbytes;
	__u64 ustack[PROFILE_DEPTH];
	__u64 kstack[PROFILE_DEPTH];
};

struct offcpu_task {
	__u64 asleep_ts; /* 0: not asleep, or its wakeup seen */
	struct offcpu_stacks s;
};

/* A sleep of at least offcpu_threshold_ns ended: the thread, how long, and its stacks. */
#define FR_EV_OFFCPU (FR_KIND_MAX + 7)

struct offcpu_event {
	struct fr_head head;
	__u64 ts; /* the wakeup */
	__u64 slept_ns;
	__u32 pid;
	__u32 tid;
	char comm[16];
	struct offcpu_stacks s;
};

#endif
