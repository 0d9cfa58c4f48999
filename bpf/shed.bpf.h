/*
 * shed.bpf.h - under overload, the most verbose events give way to counts.
 *
 * When the ring buffer is more than half full at a tick, or lost events,
 * the recorder (recorder/overload.c) sets shed_on; until it clears it, the
 * events that come one per call or per message are not written but
 * counted per CPU, by slot, in shed_counts: the per-call rows of
 * --syscalls=all (the per-process counts go on), and the messages of the
 * http family (its rows; the read/write counts go on).  Each period
 * becomes a drop record per slot ("shed", "shed-http"): a gaps row that
 * says what was reduced, how much, from when to when.
 *
 * Like the ring, both maps are declared by every object and created once
 * by the recorder (probes_prepare_object), so every family sees one flag.
 * The slots are shared with user space, which includes this file for them.
 */
#ifndef FR_SHED_BPF_H
#define FR_SHED_BPF_H

enum shed_slot {
	SHED_ROWS = 0, /* per-call rows of --syscalls=all */
	SHED_HTTP = 1, /* HTTP/1.x messages of the http family (plain sockets and libssl) */
	SHED_SLOTS = 2,
};

#ifdef __bpf__
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE); /* the recorder sets it through a mapping */
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} shed_on SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHED_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} shed_counts SEC(".maps");

/* Whether an event of SLOT gives way now; if so it is counted, and the caller writes nothing. */
static __always_inline int event_shed(__u32 slot)
{
	__u32 zero = 0, *on = bpf_map_lookup_elem(&shed_on, &zero);
	__u64 *n;

	if (!on || !*on)
		return 0;
	n = bpf_map_lookup_elem(&shed_counts, &slot);
	if (n)
		*n += 1;
	return 1;
}
#endif

#endif
