// SPDX-License-Identifier: GPL-2.0
/*
 * uprobe.bpf.c - one program attached, once per --uprobe BINARY:SYMBOL, to
 * the entry of a user-space function.  It counts the calls of each probe
 * (the attach cookie is its slot), which `flightrec status` shows; the
 * recorder attaches it with bpf_program__attach_uprobe_opts, so a missing
 * binary or symbol is a probe that failed to attach, reported like any
 * other, while the other families record on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define UPROBE_SLOTS 16 /* UPROBES_MAX in recorder/probes.h */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UPROBE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} uprobe_calls SEC(".maps");

SEC("uprobe")
int handle_call(struct pt_regs *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	__u64 *n = bpf_map_lookup_elem(&uprobe_calls, &slot);

	if (n)
		*n += 1;
	return 0;
}
