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

#endif
