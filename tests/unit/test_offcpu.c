/*
 * test_offcpu.c - recorder/offcpu.c's accounting when its tables fill:
 * every sleep it is given is either in an offcpu_sample's count or in a
 * drop record, never both and never neither.  Sleeps with no room in the
 * counts are drops of source "offcpu"; sleeps counted without their stack
 * (no room for the stack) are drops of source "offcpu-stack".
 *
 * The symbol lookups and the record sink are replaced here: user and
 * kernel frames print as their address, and probes_put() and
 * probes_put_drop() collect what a flush writes.
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flightrec.h"
#include "offcpu.h"
#include "probes.h"
#include "profile.bpf.h"
#include "record.h"
#include "tap.h"

#define TABLE 4096 /* OFFCPU_MAX of offcpu.c */

/* ---- what a flush wrote ---- */
static struct {
	size_t stacks, samples;
	uint64_t counted;              /* summed offcpu_sample.count */
	uint64_t stackless;            /* of which with stack_id 0 */
	uint64_t drop_offcpu, drop_stack, drop_other;
} out;

void probes_put(struct probes *p, const void *rec)
{
	const struct fr_head *h = rec;

	(void)p;
	if (h->kind == FR_KIND_stack) {
		out.stacks++;
	} else if (h->kind == FR_KIND_offcpu_sample) {
		const struct fr_offcpu_sample *s = rec;
		out.samples++;
		out.counted += s->count;
		if (!s->stack_id)
			out.stackless += s->count;
	}
}

void probes_put_drop(struct probes *p, const char *source, uint64_t count, uint64_t since, uint64_t now)
{
	(void)p;
	(void)since;
	(void)now;
	if (!strcmp(source, "offcpu"))
		out.drop_offcpu += count;
	else if (!strcmp(source, "offcpu-stack"))
		out.drop_stack += count;
	else
		out.drop_other += count;
}

size_t symbols_user_ip(struct symbols *s, uint32_t pid, uint64_t ip, int caller, char *buf, size_t cap)
{
	(void)s;
	(void)pid;
	(void)caller;
	return (size_t)snprintf(buf, cap, "u:%llx", (unsigned long long)ip);
}

size_t symbols_kernel_frame(uint64_t addr, int caller, char *buf, size_t cap)
{
	(void)caller;
	return (size_t)snprintf(buf, cap, "k:%llx", (unsigned long long)addr);
}

/* A sleep of 150 ms by thread TID of pid 100 in a one-frame user stack at IP (0: no stack). */
static void sleep_in(struct offcpu *o, uint32_t tid, uint64_t ip)
{
	static struct offcpu_event e; /* 2 KiB of frames: not on the stack */

	memset(&e, 0, sizeof(e));
	e.pid = 100;
	e.tid = tid;
	e.slept_ns = 150000000;
	snprintf(e.comm, sizeof(e.comm), "t%u", tid);
	if (ip) {
		e.s.ustack[0] = ip;
		e.s.ubytes = sizeof(e.s.ustack[0]);
	}
	offcpu_add(o, NULL, &e);
}

static void flush(struct offcpu *o)
{
	memset(&out, 0, sizeof(out));
	offcpu_flush(o, NULL, 1000);
}

int main(void)
{
	struct offcpu *o = offcpu_new(0, 0);
	uint32_t tid;

	if (!ok(o != NULL, "offcpu_new - a table"))
		return tap_done();

	/* As many threads, each in its own stack, as the table holds: all counted. */
	for (tid = 1; tid <= TABLE; tid++)
		sleep_in(o, tid, 0x1000 + tid);
	flush(o);
	ok(out.samples == TABLE && out.counted == TABLE && out.stacks == TABLE,
	   "offcpu_add - %d threads in %d stacks, expect %d samples and stacks (got %zu, %zu)", TABLE, TABLE, TABLE,
	   out.samples, out.stacks);
	ok(out.drop_offcpu == 0 && out.drop_stack == 0 && out.drop_other == 0,
	   "offcpu_flush - a table just full, expect no drop record");

	/* One thread more: its sleep is lost, once, as "offcpu". */
	for (tid = 1; tid <= TABLE + 1; tid++)
		sleep_in(o, tid, 0x1000 + tid);
	flush(o);
	ok(out.counted == TABLE && out.drop_offcpu == 1 && out.drop_stack == 0,
	   "offcpu_add - %d threads, expect %d counted and 1 offcpu drop, no offcpu-stack (got %llu, %llu, %llu)",
	   TABLE + 1, TABLE, (unsigned long long)out.counted, (unsigned long long)out.drop_offcpu,
	   (unsigned long long)out.drop_stack);

	/*
	 * Counted without a stack: thread 1 slept once with no stack taken, so
	 * it has a stackless count; the counts then fill, and further sleeps
	 * of new threads in new stacks are lost but fill the stacks; a later
	 * sleep of thread 1 in yet another stack finds no room for the stack
	 * and joins thread 1's stackless count, which says so.
	 */
	sleep_in(o, 1, 0);
	for (tid = 2; tid <= TABLE; tid++)
		sleep_in(o, tid, 0x1000 + tid);       /* counts now full; 4095 stacks */
	sleep_in(o, TABLE + 1, 0x1000 + TABLE + 1); /* lost; its stack is the 4096th */
	sleep_in(o, 1, 0x9999999);                  /* no room for the stack: stackless */
	sleep_in(o, TABLE + 2, 0);                  /* lost */
	flush(o);
	ok(out.counted == TABLE + 1 && out.stackless == 2,
	   "offcpu_add - thread 1's two stackless sleeps in one count, expect %d counted, 2 stackless (got %llu, %llu)",
	   TABLE + 1, (unsigned long long)out.counted, (unsigned long long)out.stackless);
	ok(out.drop_stack == 1, "offcpu_flush - the sleep counted without its stack, expect 1 offcpu-stack drop (got %llu)",
	   (unsigned long long)out.drop_stack);
	ok(out.drop_offcpu == 2, "offcpu_flush - the two sleeps with no room, expect 2 offcpu drops (got %llu)",
	   (unsigned long long)out.drop_offcpu);
	ok(out.counted + out.drop_offcpu == TABLE + 3,
	   "offcpu - every sleep given is counted or dropped, expect %d (got %llu)", TABLE + 3,
	   (unsigned long long)(out.counted + out.drop_offcpu));

	/* A flush starts afresh: nothing carried over. */
	flush(o);
	ok(out.samples == 0 && out.stacks == 0 && out.drop_offcpu == 0 && out.drop_stack == 0,
	   "offcpu_flush - after a flush, expect an empty second");
	offcpu_free(o);
	tap_plan(tap_n);
	return tap_done();
}
