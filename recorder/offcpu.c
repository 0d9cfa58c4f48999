/*
 * offcpu.c - counting the off-CPU events of bpf/profile.bpf.c per (pid,
 * tid, stack) between two flushes (offcpu.h).
 *
 * Only sleeps of at least the threshold reach here, at most a few a
 * second per thread at the default 100 ms, so a table with room for
 * OFFCPU_MAX threads and stacks a second is plenty; what does not fit is
 * counted as lost: a sleep with no room in the counts as `offcpu`, one
 * counted without its stack (no room for the stack) as `offcpu-stack`.  Each stack's frames text is made when its event
 * arrives (user frames are bare addresses, named through the process's
 * maps, which are gone once it exits) and kept until the flush.
 */
#include <linux/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flightrec.h"
#include "offcpu.h"
#include "probes.h"
#include "profile.bpf.h"
#include "record.h"
#include "stack_text.h"
#include "symbols.h"
#include "util.h"

#define OFFCPU_MAX 4096 /* (thread, stack) pairs, and stacks, a second */

struct offcpu_count {
	uint32_t pid, tid;
	uint64_t stack_id; /* 0: no stack could be taken */
	char comm[16];
	uint64_t count, total_ns, max_ns, iowait_ns;
};

struct offcpu_stack {
	uint64_t id;
	char *frames;
};

struct offcpu {
	struct offcpu_count counts[OFFCPU_MAX];
	size_t ncounts;
	struct offcpu_stack stacks[OFFCPU_MAX];
	size_t nstacks;
	uint64_t lost;       /* sleeps with no room in counts since the last flush */
	uint64_t stack_lost; /* sleeps counted without their stack: no room in stacks */
	uint64_t last_flush; /* boot ns: the drop records' since */
	uint64_t sched_start, sched_end; /* __schedule(), where a stack of a sleep begins */
	struct fr_stack scratch; /* 8 KiB of frames: here rather than on the stack */
};

struct offcpu *offcpu_new(uint64_t sched_start, uint64_t sched_end)
{
	struct offcpu *o = calloc(1, sizeof(struct offcpu));

	if (o) {
		o->last_flush = now_boot_ns();
		o->sched_start = sched_start;
		o->sched_end = sched_end;
	}
	return o;
}

static void offcpu_reset(struct offcpu *o)
{
	for (size_t i = 0; i < o->nstacks; i++)
		free(o->stacks[i].frames);
	o->nstacks = 0;
	o->ncounts = 0;
	o->lost = 0;
	o->stack_lost = 0;
}

void offcpu_free(struct offcpu *o)
{
	if (!o)
		return;
	offcpu_reset(o);
	free(o);
}

/*
 * The first of the NK kernel frames K (innermost first) to keep: the one
 * in __schedule(), past the tracepoint's and the BPF program's, which
 * every sleep has and which say nothing of it; 0 when none is in it.
 */
static int kernel_first(const struct offcpu *o, const __u64 *k, int nk)
{
	for (int i = 0; i < nk; i++)
		if (k[i] >= o->sched_start && k[i] < o->sched_end)
			return i;
	return 0;
}

/* The frames text of E's stacks into R (outermost first: user frames, then the kernel's) and its id. */
static void event_frames(const struct offcpu *o, struct symbols *syms, const struct offcpu_event *e,
			 struct fr_stack *r)
{
	size_t cap = sizeof(r->frames), len = 0;
	int nu = e->s.ubytes > 0 ? (int)(e->s.ubytes / (int64_t)sizeof(e->s.ustack[0])) : 0;
	int nk = e->s.kbytes > 0 ? (int)(e->s.kbytes / (int64_t)sizeof(e->s.kstack[0])) : 0, k0;

	if (nu > PROFILE_DEPTH)
		nu = PROFILE_DEPTH;
	if (nk > PROFILE_DEPTH)
		nk = PROFILE_DEPTH;
	k0 = kernel_first(o, e->s.kstack, nk);
	r->frames[0] = '\0';
	for (int i = nu - 1; i >= 0; i--) {
		char f[4400];
		size_t n = symbols_user_ip(syms, e->pid, e->s.ustack[i], i > 0, f, sizeof(f));
		len = stack_text_append(r->frames, len, cap, f, n);
	}
	for (int i = nk - 1; i >= k0; i--) {
		char f[40];
		/* the innermost frame kept is a return address too, unless it is the first taken */
		size_t n = symbols_kernel_frame(e->s.kstack[i], i > 0, f, sizeof(f));
		len = stack_text_append(r->frames, len, cap, f, n);
	}
	r->id = len ? stack_text_id(r->frames, len) : 0;
}

/* Keep the frames of stack ID (LEN bytes of FRAMES) for the flush; 0, or -ENOSPC / -ENOMEM. */
static int keep_stack(struct offcpu *o, uint64_t id, const char *frames, size_t len)
{
	for (size_t i = 0; i < o->nstacks; i++)
		if (o->stacks[i].id == id)
			return 0;
	if (o->nstacks == OFFCPU_MAX)
		return -ENOSPC;
	if (!(o->stacks[o->nstacks].frames = strndup(frames, len)))
		return -ENOMEM;
	o->stacks[o->nstacks++].id = id;
	return 0;
}

void offcpu_add(struct offcpu *o, struct symbols *syms, const struct offcpu_event *e)
{
	struct fr_stack *st = &o->scratch;
	struct offcpu_count *c = NULL;
	int stackless = 0;

	event_frames(o, syms, e, st);
	if (st->id && keep_stack(o, st->id, st->frames, strlen(st->frames))) {
		st->id = 0; /* counted without its stack, if it is counted at all */
		stackless = 1;
	}
	for (size_t i = 0; i < o->ncounts && !c; i++)
		if (o->counts[i].tid == e->tid && o->counts[i].pid == e->pid && o->counts[i].stack_id == st->id)
			c = &o->counts[i];
	if (!c) {
		if (o->ncounts == OFFCPU_MAX) {
			o->lost++; /* one loss, whether or not its stack had room */
			return;
		}
		c = &o->counts[o->ncounts++];
		memset(c, 0, sizeof(*c));
		c->pid = e->pid;
		c->tid = e->tid;
		c->stack_id = st->id;
		memcpy(c->comm, e->comm, sizeof(c->comm));
		c->comm[sizeof(c->comm) - 1] = '\0';
	}
	o->stack_lost += stackless;
	c->count++;
	c->total_ns += e->slept_ns;
	if (e->slept_ns > c->max_ns)
		c->max_ns = e->slept_ns;
	if (e->s.uninterruptible)
		c->iowait_ns += e->slept_ns;
}

void offcpu_flush(struct offcpu *o, struct probes *p, uint64_t end)
{
	for (size_t i = 0; i < o->nstacks; i++) {
		struct fr_stack *st = &o->scratch;
		memset(st, 0, sizeof(*st));
		st->head.kind = FR_KIND_stack;
		st->ts = end;
		st->id = o->stacks[i].id;
		snprintf(st->frames, sizeof(st->frames), "%s", o->stacks[i].frames);
		probes_put(p, st);
	}
	for (size_t i = 0; i < o->ncounts; i++) {
		const struct offcpu_count *c = &o->counts[i];
		struct fr_offcpu_sample r;

		memset(&r, 0, sizeof(r));
		r.head.kind = FR_KIND_offcpu_sample;
		r.ts = end;
		r.pid = c->pid;
		r.tid = c->tid;
		memcpy(r.comm, c->comm, sizeof(r.comm));
		r.stack_id = c->stack_id;
		r.count = c->count;
		r.total_ns = c->total_ns;
		r.max_ns = c->max_ns;
		r.iowait_ns = c->iowait_ns;
		probes_put(p, &r);
	}
	if (o->lost)
		probes_put_drop(p, "offcpu", o->lost, o->last_flush, end);
	if (o->stack_lost)
		probes_put_drop(p, "offcpu-stack", o->stack_lost, o->last_flush, end);
	o->last_flush = end;
	offcpu_reset(o);
}
