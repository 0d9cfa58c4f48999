/*
 * family_profile.c - loader of bpf/profile.bpf.c: CPU samples with their
 * call stacks (cpu_sample and stack records), one record per thread and
 * stack per second.
 *
 * One software perf event (cpu-clock, --profile-hz) per online CPU, each
 * with profile_sample attached.  Each tick drains the generation the
 * program stopped writing a second ago: every (pid, tid, user stack,
 * kernel stack) count becomes a cpu_sample, and each stack a stack record
 * whose frames symbols.c writes (build id and offset, or path and offset,
 * for user frames).  A stack record goes out in every second that uses
 * it, so a window holds the stacks of all its samples whatever its start.
 *
 * signal_generate's crash events (a thread that got a fatal signal) become
 * a crash record and the stack record of its user stack.  The process is
 * gone by then, so the files of its frames are found by build id among
 * those learned before: from the maps of sampled processes, and from the
 * exe of every exec record (observed).
 *
 * Off-CPU events (a sleep of at least --offcpu-threshold, with the stacks
 * it began in) are counted by offcpu.c and written each tick, and before
 * a snapshot's window is cut, as stack and offcpu_sample records.
 * --offcpu-threshold off leaves their two programs unloaded.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "family_profile.h"
#include "flightrec.h"
#include "offcpu.h"
#include "probes.h"
#include "profile.bpf.h"
#include "profile.skel.h"
#include "record.h"
#include "stack_text.h"
#include "symbols.h"
#include "util.h"

#define SWEEP_NS (10ull * 1000000000ull)

struct profile_state {
	struct profile_bpf *skel;
	struct bpf_link **links; /* one per CPU */
	int *pfds;
	int ncpus;
	struct probes_gens gens;
	uint64_t last_sweep;
	/* samples left with a partial stack or none (stack map bucket taken): drops of source profile-stack */
	uint64_t stack_lost_seen, stack_lost_since;
	struct symbols *syms;
	/* this drain's stacks already put, by id (open addressing, 0: empty) */
	uint64_t *put;
	size_t put_cap;
	struct bpf_stack_build_id *ubuf;
	uint64_t *kbuf;
	struct fr_stack stack; /* 8 KiB of frames: here rather than on the stack */
	struct offcpu *offcpu; /* NULL with --offcpu-threshold off */
};

struct symbols *profile_symbols(void *state)
{
	return state ? ((struct profile_state *)state)->syms : NULL;
}

/* Stack and count maps for HZ samples a second on NCPUS: twice a second's worst, at least 1024. */
static uint32_t map_size(uint32_t hz, int ncpus)
{
	uint64_t need = 2ull * hz * (uint64_t)ncpus;
	uint32_t n = 1024;

	while (n < need && n < (1u << 20))
		n <<= 1;
	return n;
}

static int perf_open(int cpu, uint32_t hz)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(a),
		.freq = 1,
		.sample_freq = hz,
	};

	return (int)syscall(__NR_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void profile_free(struct profile_state *st)
{
	if (!st)
		return;
	for (int i = 0; st->links && i < st->ncpus; i++)
		bpf_link__destroy(st->links[i]);
	for (int i = 0; st->pfds && i < st->ncpus; i++)
		if (st->pfds[i] >= 0)
			close(st->pfds[i]);
	profile_bpf__destroy(st->skel);
	symbols_free(st->syms);
	offcpu_free(st->offcpu);
	free(st->links);
	free(st->pfds);
	free(st->put);
	free(st->ubuf);
	free(st->kbuf);
	free(st);
}

static int profile_open(struct probes *p, void **state)
{
	struct profile_state *st = calloc(1, sizeof(*st));
	uint32_t hz = p->cfg->profile_hz ? p->cfg->profile_hz : 49, n;
	int err, attached = 0, first_err = 0;
	char attach[64];

	if (!st)
		return -ENOMEM;
	st->ncpus = p->ncpus;
	st->links = calloc((size_t)st->ncpus, sizeof(*st->links));
	st->pfds = calloc((size_t)st->ncpus, sizeof(*st->pfds));
	st->syms = symbols_new();
	st->ubuf = calloc(PROFILE_DEPTH, sizeof(*st->ubuf));
	st->kbuf = calloc(PROFILE_DEPTH, sizeof(*st->kbuf));
	if (!st->links || !st->pfds || !st->syms || !st->ubuf || !st->kbuf || !(st->skel = profile_bpf__open())) {
		err = -errno ? -errno : -ENOMEM;
		profile_free(st);
		return err;
	}
	for (int i = 0; i < st->ncpus; i++)
		st->pfds[i] = -1;
	n = map_size(hz, st->ncpus);
	bpf_map__set_max_entries(st->skel->maps.ustack0, n);
	bpf_map__set_max_entries(st->skel->maps.ustack1, n);
	bpf_map__set_max_entries(st->skel->maps.kstack0, n);
	bpf_map__set_max_entries(st->skel->maps.kstack1, n);
	bpf_map__set_max_entries(st->skel->maps.samples0, n);
	bpf_map__set_max_entries(st->skel->maps.samples1, n);
	st->skel->rodata->wake_bytes = probes_wake_bytes(p->cfg);
	st->skel->rodata->self_tgid = (uint32_t)getpid();
	if (p->cfg->offcpu_threshold_ns) {
		uint64_t sched_start = 0, sched_end = 0;

		st->skel->rodata->offcpu_threshold_ns = p->cfg->offcpu_threshold_ns;
		symbols_kernel_function(st->syms, "__schedule", &sched_start, &sched_end);
		if (!(st->offcpu = offcpu_new(sched_start, sched_end))) {
			profile_free(st);
			return -ENOMEM;
		}
	} else {
		bpf_program__set_autoload(st->skel->progs.offcpu_switch, false);
		bpf_program__set_autoload(st->skel->progs.offcpu_wakeup, false);
	}
	if ((err = probes_load(p, "profile", st->skel->skeleton))) {
		profile_free(st);
		return err;
	}
	/* One status row for all CPUs: the samples of some CPUs are no use to name. */
	for (int i = 0; i < st->ncpus; i++) {
		if ((st->pfds[i] = perf_open(i, hz)) < 0) {
			if (errno != ENODEV && !first_err) /* ENODEV: an offline CPU */
				first_err = -errno;
			continue;
		}
		st->links[i] = bpf_program__attach_perf_event(st->skel->progs.profile_sample, st->pfds[i]);
		if (!st->links[i]) {
			if (!first_err)
				first_err = -errno;
			continue;
		}
		attached++;
	}
	snprintf(attach, sizeof(attach), "perf_event/cpu-clock@%uHz", hz);
	probes_add_status(p, "profile/cpu_sample", attach, attached ? 0 : (first_err ? -first_err : ENODEV), NULL);
	if (!probes_attach(p, "profile", st->skel->progs.signal_generate, &st->skel->links.signal_generate))
		attached++;
	/* a switch without its wakeup, or the reverse, would count nothing: both or neither */
	if (st->offcpu && !probes_attach(p, "profile", st->skel->progs.offcpu_switch, &st->skel->links.offcpu_switch)) {
		if (!probes_attach(p, "profile", st->skel->progs.offcpu_wakeup, &st->skel->links.offcpu_wakeup)) {
			attached++;
		} else {
			bpf_link__destroy(st->skel->links.offcpu_switch);
			st->skel->links.offcpu_switch = NULL;
		}
	}
	if (!attached) {
		profile_free(st);
		return first_err ? first_err : -ENODEV;
	}
	/* the libc and loader most processes share: known before a crash of a process never sampled */
	symbols_learn_pid(st->syms, (uint32_t)getpid());
	probes_gens_init(&st->gens, &st->skel->bss->gen, bpf_map__fd(st->skel->maps.profile_lost), "profile");
	st->stack_lost_since = now_boot_ns();
	st->last_sweep = now_boot_ns();
	*state = st;
	return 0;
}

/* 1 when stack ID was already put in this drain, else remember it. */
static int put_seen(struct profile_state *st, uint64_t id)
{
	size_t i = id % st->put_cap;

	while (st->put[i] && st->put[i] != id)
		i = (i + 1) % st->put_cap;
	if (st->put[i])
		return 1;
	st->put[i] = id;
	return 0;
}

/*
 * The frames text of user stack USTACK and kernel stack KSTACK of the
 * drained generation (maps UFD and KFD) of process PID into R: outermost
 * first, the user frames then the kernel's, as a flame graph stacks them.
 */
static void sample_stack(struct profile_state *st, int ufd, int kfd, uint32_t pid, int32_t ustack, int32_t kstack,
			 struct fr_stack *r)
{
	size_t cap = sizeof(r->frames), len = 0;
	int nu = 0, nk = 0;

	r->frames[0] = '\0';
	if (ustack >= 0 && !bpf_map_lookup_elem(ufd, &ustack, st->ubuf))
		while (nu < PROFILE_DEPTH && st->ubuf[nu].status != BPF_STACK_BUILD_ID_EMPTY)
			nu++;
	if (kstack >= 0 && !bpf_map_lookup_elem(kfd, &kstack, st->kbuf))
		while (nk < PROFILE_DEPTH && st->kbuf[nk])
			nk++;
	for (int i = nu - 1; i >= 0; i--) {
		char f[4400];
		size_t n = symbols_user_frame(st->syms, pid, &st->ubuf[i], i > 0, f, sizeof(f));
		len = stack_text_append(r->frames, len, cap, f, n);
	}
	for (int i = nk - 1; i >= 0; i--) {
		char f[40];
		size_t n = symbols_kernel_frame(st->kbuf[i], i > 0, f, sizeof(f));
		len = stack_text_append(r->frames, len, cap, f, n);
	}
	r->frames[len] = '\0';
	r->id = len ? stack_text_id(r->frames, len) : 0;
}

/* Empty stack map FD: a stack map's next key is the next id in use, so deleting behind the walk is safe. */
static void stacks_clear(int fd)
{
	uint32_t key, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		bpf_map_delete_elem(fd, &next);
		key = next;
		prev = &key;
	}
}

static void profile_drain(struct probes *p, struct profile_state *st, int old, uint64_t end)
{
	struct profile_bpf *s = st->skel;
	int cfd = bpf_map__fd(old ? s->maps.samples1 : s->maps.samples0);
	int ufd = bpf_map__fd(old ? s->maps.ustack1 : s->maps.ustack0);
	int kfd = bpf_map__fd(old ? s->maps.kstack1 : s->maps.kstack0);
	size_t cap = bpf_map__max_entries(s->maps.samples0), nkeys = 0;
	struct profile_key *keys = calloc(cap, sizeof(*keys)), k;
	struct fr_stack *stack = &st->stack;

	if (!keys)
		return;
	if (st->put_cap != 2 * cap) {
		free(st->put);
		st->put_cap = 2 * cap;
		if (!(st->put = calloc(st->put_cap, sizeof(*st->put)))) {
			st->put_cap = 0;
			free(keys);
			return;
		}
	} else {
		memset(st->put, 0, st->put_cap * sizeof(*st->put));
	}
	for (void *prev = NULL; nkeys < cap && !bpf_map_get_next_key(cfd, prev, &keys[nkeys]); prev = &keys[nkeys - 1])
		nkeys++;
	for (size_t i = 0; i < nkeys; i++) {
		struct profile_val v;
		struct fr_cpu_sample r;

		if (bpf_map_lookup_elem(cfd, &keys[i], &v) || !v.count)
			continue;
		memset(stack, 0, sizeof(*stack));
		stack->head.kind = FR_KIND_stack;
		stack->ts = end;
		sample_stack(st, ufd, kfd, keys[i].pid, keys[i].ustack, keys[i].kstack, stack);
		if (stack->id && !put_seen(st, stack->id))
			probes_put(p, stack);
		memset(&r, 0, sizeof(r));
		r.head.kind = FR_KIND_cpu_sample;
		r.ts = end;
		r.pid = keys[i].pid;
		r.tid = keys[i].tid;
		memcpy(r.comm, v.comm, sizeof(r.comm));
		r.stack_id = stack->id;
		r.count = v.count;
		probes_put(p, &r);
	}
	for (size_t i = 0; i < nkeys; i++)
		bpf_map_delete_elem(cfd, &keys[i]);
	/* keys added since the list was taken (a CPU late to see the flip): gone with them */
	while (!bpf_map_get_next_key(cfd, NULL, &k) && !bpf_map_delete_elem(cfd, &k))
		;
	stacks_clear(ufd);
	stacks_clear(kfd);
	free(keys);
}

/* probes_gens_tick's drain: generation OLD, which ended at IN->end. */
static void profile_drain_gen(struct probes *p, void *ctx, int old, const struct probes_interval *in)
{
	profile_drain(p, ctx, old, in->end);
}

static void profile_tick(struct probes *p, void *state, uint64_t now)
{
	struct profile_state *st = state;

	probes_gens_tick(p, &st->gens, now, profile_drain_gen, st);
	probes_report_lost(p, bpf_map__fd(st->skel->maps.profile_stack_lost), &st->stack_lost_seen, "profile-stack",
			   st->stack_lost_since, now);
	st->stack_lost_since = now;
	if (st->offcpu)
		offcpu_flush(st->offcpu, p, now);
	if (now - st->last_sweep > SWEEP_NS) {
		symbols_sweep(st->syms, now);
		st->last_sweep = now;
	}
}

/* A crash event: its stack record, then the crash record that names it. */
static void profile_crash(struct probes *p, struct profile_state *st, const struct crash_event *e)
{
	struct fr_stack *stack = &st->stack;
	struct fr_crash r;
	size_t len = 0, cap = sizeof(stack->frames);
	int n = e->nbytes > 0 ? (int)(e->nbytes / (int64_t)sizeof(e->frames[0])) : 0;

	if (n > PROFILE_DEPTH)
		n = PROFILE_DEPTH;
	memset(&r, 0, sizeof(r));
	r.head.kind = FR_KIND_crash;
	r.ts = e->ts;
	r.pid = e->pid;
	r.tid = e->tid;
	memcpy(r.comm, e->comm, sizeof(r.comm));
	r.comm[sizeof(r.comm) - 1] = '\0';
	r.signal = e->sig;
	r.code = e->code;
	r.addr = e->addr;
	memset(stack, 0, sizeof(*stack));
	stack->head.kind = FR_KIND_stack;
	stack->ts = e->ts;
	/* outermost first; the innermost is where it faulted, the others return addresses */
	for (int i = n - 1; i >= 0; i--) {
		char f[4400], name[128];
		size_t fn = symbols_user_frame(st->syms, e->pid, &e->frames[i], i > 0, f, sizeof(f));
		len = stack_text_append(stack->frames, len, cap, f, fn);
		/* from the outermost in: the last frame named is the innermost one that has a name */
		symbols_frame_name(st->syms, f, name, sizeof(name));
		if (name[0])
			snprintf(r.function, sizeof(r.function), "%s", name);
	}
	stack->frames[len] = '\0';
	if (len) {
		stack->id = stack_text_id(stack->frames, len);
		r.stack_id = stack->id;
		probes_put(p, stack);
	}
	probes_put(p, &r);
}

/* An event of the ring: a crash, or a long sleep (the probes framework checked its size). */
static void profile_event(struct probes *p, void *state, const void *data, size_t size)
{
	struct profile_state *st = state;
	const struct fr_head *h = data;

	if (h->kind == FR_EV_CRASH)
		profile_crash(p, st, data);
	else if (h->kind == FR_EV_OFFCPU && st->offcpu)
		offcpu_add(st->offcpu, st->syms, data);
}

/* A snapshot's window is cut, or the recording stops: the samples and off-CPU counts so far go out now. */
static void profile_flush(struct probes *p, void *state, uint64_t now)
{
	struct profile_state *st = state;

	probes_gens_flush(p, &st->gens, now, profile_drain_gen, st);
	if (st->offcpu)
		offcpu_flush(st->offcpu, p, now);
}

/* Exec records: which file each process runs, for the frames of its crash. */
static void profile_observe(struct probes *p, void *state, const struct fr_kind_desc *k, const void *rec, int opening)
{
	struct profile_state *st = state;

	if (k->id == FR_KIND_exec)
		symbols_learn_exe(st->syms, ((const struct fr_exec *)rec)->pid, ((const struct fr_exec *)rec)->exe);
}

static const struct probe_event profile_events[] = {
	{ FR_EV_CRASH, sizeof(struct crash_event) },
	{ FR_EV_OFFCPU, sizeof(struct offcpu_event) },
};

static void profile_close(void *state)
{
	profile_free(state);
}

const struct probe_family family_profile = {
	.name = "profile",
	.open = profile_open,
	.events = profile_events,
	.nevents = 2,
	.event = profile_event,
	.observe = profile_observe,
	.tick = profile_tick,
	.flush = profile_flush,
	.stop = profile_flush,
	.close = profile_close,
	/* about 27 us a sample (bpf_stats), 2 points of nginx's requests/s in scripts/bench-profile; the off-CPU
	 * stacks 1.2 us a sleep, 4 more points: BENCHMARKS.md */
	.opt_in = 1,
};
