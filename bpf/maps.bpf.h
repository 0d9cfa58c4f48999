/*
 * maps.bpf.h - the ring buffer every probe family writes to, and the
 * per-CPU counter of events that could not be reserved in it.
 *
 * Each family's object declares these maps; the recorder creates them once
 * and hands the same fds to every family (bpf_map__reuse_fd), so all events
 * arrive in one ring buffer in time order.  A failed reserve is never
 * silent: it is counted here and the recorder turns the count into drop
 * records, which show as gaps in the timeline.
 *
 * Events are submitted without waking the recorder until wake_bytes wait
 * in the ring: a wakeup per event (an irq_work, then a context switch of
 * the recorder) costs the traced process more than the event itself, and
 * under a busy server it was most of what the recorder cost.  The recorder
 * drains the ring on its own timer (every 100 ms) in any case.
 */
#ifndef FR_MAPS_BPF_H
#define FR_MAPS_BPF_H

#include "shed.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the recorder: --ring-size */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ringbuf_drops SEC(".maps");

/* Reserve SIZE bytes for an event of KIND, counting a failure as a drop. */
static __always_inline void *event_reserve(__u32 size, __u32 kind)
{
	struct fr_head *h = bpf_ringbuf_reserve(&events, size, 0);

	if (!h) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&ringbuf_drops, &zero);
		if (n)
			*n += 1;
		return NULL;
	}
	h->kind = kind;
	h->size = size;
	return h;
}

/* Set by the loader to a fraction of the ring's size (--ring-size). */
const volatile __u64 wake_bytes = 1 << 20;

static __always_inline void event_submit(void *e)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes ? BPF_RB_FORCE_WAKEUP
										   : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(e, flags);
}

#endif
