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
 * stacks into cpu_sample and stack records, and empties it.  Nothing goes
 * through the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "profile.bpf.h"

char LICENSE[] SEC("license") = "GPL";

__u32 gen = 0; /* flipped by the recorder */

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

/* Samples that found their count map full, per CPU: reported as drops. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} profile_lost SEC(".maps");

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
			__u32 zero = 0;
			__u64 *n = bpf_map_lookup_elem(&profile_lost, &zero);
			if (n)
				*n += 1;
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
	return 0;
}
