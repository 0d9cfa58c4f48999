// SPDX-License-Identifier: GPL-2.0
/*
 * uprobe.bpf.c - function latency on demand: for each --uprobe
 * BINARY:SYMBOL, a uprobe on the function's entry and a uretprobe on its
 * return (the attach cookie is the spec's slot).  Every call is counted
 * (uprobe_calls, which `flightrec status` shows) and, once it returns,
 * timed into per-(process, function) aggregates in two generations of
 * per-CPU hashes, drained each second into func_stat records; a call at
 * least func_threshold_ns long is also a `func` event on the ring.
 *
 * The start of a call is kept per (thread, function): a recursive call
 * overwrites its caller's start, so only the innermost of recursive calls
 * is timed.  A call still running when the recorder stops is not counted
 * as returned.  The recorder attaches with bpf_program__attach_uprobe_opts,
 * so a missing binary or symbol is a probe that failed to attach, reported
 * like any other, while the other families record on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "maps.bpf.h"
#include "agg.bpf.h"
#include "uprobe.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 func_threshold_ns = 10000000;
__u32 gen = 0; /* flipped by the recorder */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UPROBE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} uprobe_calls SEC(".maps");

/* When each (thread, function) call began: tid << 32 | slot. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} func_start SEC(".maps");

AGG_MAP(func_agg0, struct func_key, struct func_agg, FUNC_AGG_MAX);
AGG_MAP(func_agg1, struct func_key, struct func_agg, FUNC_AGG_MAX);

/* Aggregates that found their map full, per CPU: reported as drops. */
AGG_LOST_MAP(func_lost);

SEC("uprobe")
int handle_call(struct pt_regs *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	__u64 key = (bpf_get_current_pid_tgid() << 32) | slot, now = bpf_ktime_get_ns();
	__u64 *n = bpf_map_lookup_elem(&uprobe_calls, &slot);

	if (n)
		*n += 1;
	bpf_map_update_elem(&func_start, &key, &now, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int handle_return(struct pt_regs *ctx)
{
	static const struct func_agg zero = {};
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	__u64 pt = bpf_get_current_pid_tgid();
	__u64 key = (pt << 32) | slot, *start, lat;
	struct func_key fk = { .pid = pt >> 32, .slot = slot };
	struct func_agg *a;

	start = bpf_map_lookup_elem(&func_start, &key);
	if (!start)
		return 0; /* entered before the probe was attached */
	lat = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&func_start, &key);

	a = agg_of(&func_agg0, &func_agg1, gen & 1, &fk, &zero);
	if (a) {
		if ((a->count & 63) == 0)
			bpf_get_current_comm(a->comm, sizeof(a->comm));
		a->count++;
		a->total_ns += lat;
		if (lat > a->max_ns)
			a->max_ns = lat;
		a->hist[log2_bucket(lat, FUNC_HIST_BUCKETS) & (FUNC_HIST_BUCKETS - 1)]++;
	} else {
		agg_lost(&func_lost, 1);
	}
	if (lat >= func_threshold_ns) {
		struct fr_func_event *e = event_reserve(sizeof(*e), FR_EV_FUNC);
		if (e) {
			e->ts = bpf_ktime_get_boot_ns() - lat;
			e->pid = pt >> 32;
			e->tid = (__u32)pt;
			bpf_get_current_comm(e->comm, sizeof(e->comm));
			e->latency_ns = lat;
			e->slot = slot;
			e->pad = 0;
			event_submit(e);
		}
	}
	return 0;
}
