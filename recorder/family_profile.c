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
#include "probes.h"
#include "profile.bpf.h"
#include "profile.skel.h"
#include "record.h"
#include "symbols.h"
#include "util.h"

#define SWEEP_NS (10ull * 1000000000ull)

struct profile_state {
	struct profile_bpf *skel;
	struct bpf_link **links; /* one per CPU */
	int *pfds;
	int ncpus;
	uint64_t last_flip, prev_flip, lost_seen, last_sweep;
	struct symbols *syms;
	/* this drain's stacks already put, by id (open addressing, 0: empty) */
	uint64_t *put;
	size_t put_cap;
	struct bpf_stack_build_id *ubuf;
	uint64_t *kbuf;
	struct fr_stack stack; /* 8 KiB of frames: here rather than on the stack */
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
	if (!attached) {
		profile_free(st);
		return first_err ? first_err : -ENODEV;
	}
	st->last_flip = st->prev_flip = st->last_sweep = now_boot_ns();
	*state = st;
	return 0;
}

static uint64_t frames_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h ? h : 1; /* 0 is no stack */
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
static void stack_text(struct profile_state *st, int ufd, int kfd, uint32_t pid, int32_t ustack, int32_t kstack,
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
	for (int i = nu - 1; i >= 0 && len + 80 < cap; i--) {
		if (len)
			r->frames[len++] = ';';
		len += symbols_user_frame(st->syms, pid, &st->ubuf[i], i > 0, r->frames + len, cap - len);
	}
	for (int i = nk - 1; i >= 0 && len + 40 < cap; i--) {
		if (len)
			r->frames[len++] = ';';
		len += symbols_kernel_frame(st->kbuf[i], i > 0, r->frames + len, cap - len);
	}
	r->frames[len] = '\0';
	r->id = len ? frames_hash(r->frames, len) : 0;
}

/* Empty stack map FD. */
static void stacks_clear(int fd)
{
	uint32_t key, next;
	int first = 1;

	/* deleting the key just read makes get_next_key of it restart: always ask for the first */
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		if (bpf_map_delete_elem(fd, &next))
			first = 0, key = next;
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
		stack_text(st, ufd, kfd, keys[i].pid, keys[i].ustack, keys[i].kstack, stack);
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

static void profile_tick(struct probes *p, void *state, uint64_t now)
{
	struct profile_state *st = state;
	int old = probes_gen_idle(&st->skel->bss->gen);

	profile_drain(p, st, old, st->last_flip);
	probes_report_lost(p, bpf_map__fd(st->skel->maps.profile_lost), &st->lost_seen, "profile", st->prev_flip, now);
	probes_gen_flip(&st->skel->bss->gen, old);
	st->prev_flip = st->last_flip;
	st->last_flip = now;
	if (now - st->last_sweep > SWEEP_NS) {
		symbols_sweep(st->syms, now);
		st->last_sweep = now;
	}
}

static void profile_close(void *state)
{
	profile_free(state);
}

const struct probe_family family_profile = {
	.name = "profile",
	.open = profile_open,
	.tick = profile_tick,
	.close = profile_close,
};
