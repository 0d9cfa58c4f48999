/*
 * offcpu.h - the off-CPU stacks of the profile family: the sleeps of at
 * least --offcpu-threshold that bpf/profile.bpf.c sends (offcpu_event),
 * counted per thread and stack over a second, then written as stack and
 * offcpu_sample records (schema/records.def).
 */
#ifndef FR_OFFCPU_H
#define FR_OFFCPU_H

#include <stdint.h>

struct offcpu;
struct offcpu_event;
struct probes;
struct symbols;

/*
 * SCHED_START and SCHED_END: where the kernel's __schedule() lies (0, 0
 * when unknown).  The kernel frames of a stack inside it are the
 * recorder's own (the tracepoint and the BPF program) and are cut.
 */
struct offcpu *offcpu_new(uint64_t sched_start, uint64_t sched_end);
void offcpu_free(struct offcpu *o);

/*
 * Count event E of SIZE bytes (at least an offcpu_event).  Its stack's
 * frames are named with SYMS now, while the process still lives and its
 * maps say which file each user address is in.
 */
void offcpu_add(struct offcpu *o, struct symbols *syms, const struct offcpu_event *e);

/*
 * Put the counts since the last flush as records stamped END: each stack
 * they use, then an offcpu_sample per thread and stack, a drop record of
 * source "offcpu" for the sleeps that found the counts full and one of
 * source "offcpu-stack" for those counted without their stack, which found
 * the stacks full.  Then start counting afresh.
 */
void offcpu_flush(struct offcpu *o, struct probes *p, uint64_t end);

#endif
