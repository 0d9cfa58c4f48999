/*
 * overload.h - under overload, the most verbose records give way to
 * counts, and come back when the pressure ends (bpf/shed.bpf.h).
 *
 * At each tick: the ring more than half full, or events lost in it since
 * the last tick, starts a period in which the BPF side counts instead of
 * writing the per-call rows of --syscalls=all and the http family's
 * messages (what the open families said they can shed); once the ring
 * has stayed below an eighth for OVERLOAD_CALM_TICKS ticks the records
 * come back, and the period becomes one drop record per slot that shed
 * ("shed", "shed-http"), a gaps row from its start to its end.  A
 * snapshot or the stop cuts a period in progress, so that what was shed
 * so far is in the window.
 */
#ifndef FR_OVERLOAD_H
#define FR_OVERLOAD_H

#include <stdint.h>

#include "../bpf/shed.bpf.h"

#define OVERLOAD_CALM_TICKS 2

struct probes;

struct overload {
	int on_fd, counts_fd;      /* shed_on and shed_counts, shared by every object */
	uint32_t *on;              /* shed_on's value, mapped */
	unsigned wanted;           /* 1 << slot, for each slot an open family can shed */
	uint64_t since;            /* boot ns when the period began, 0: none */
	uint64_t seen[SHED_SLOTS]; /* each slot's count, all CPUs, when the period began */
	uint64_t ring_lost_seen;   /* the ring's losses at the last tick */
	int calm_ticks;            /* ticks in a row with the ring nearly empty */
};

/* Nothing open yet: overload_close() may be called. */
void overload_init(struct overload *o);
/* Create the two maps (before the families load). 0, or -errno with ERR set. */
int overload_open(struct overload *o, char *err, size_t errlen);
void overload_close(struct overload *o);
/* A family can shed the events of SLOT (enum shed_slot). */
void overload_may_shed(struct overload *o, int slot);
/* Once a second, after the families' ticks: start or end a period. */
void overload_tick(struct probes *p, struct overload *o, uint64_t now);
/* A snapshot's window is cut, or the recording stops: put the period so far, go on from NOW. */
void overload_cut(struct probes *p, struct overload *o, uint64_t now);

#endif
