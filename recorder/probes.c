/*
 * probes.c - the probe families: open -> configure -> load -> attach each
 * program separately, so one that the kernel refuses does not take the
 * others down.  The ring buffer and drop counter are created by the first
 * family and shared by the rest through bpf_map__reuse_fd().
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes.h"
#include "process.skel.h"

static void add_status(struct probes *p, const char *family, const struct bpf_program *prog, int err)
{
	struct probe_status *s;
	const char *name = bpf_program__name(prog);
	const char *sec = bpf_program__section_name(prog);

	if (p->nstatus >= PROBES_MAX)
		return;
	s = &p->status[p->nstatus++];
	/* handle_exec -> process/exec */
	snprintf(s->name, sizeof(s->name), "%s/%s", family,
		 strncmp(name, "handle_", 7) ? name : name + 7);
	snprintf(s->attach, sizeof(s->attach), "%s", sec ? sec : "?");
	s->ok = err == 0;
	if (err)
		snprintf(s->why, sizeof(s->why), "%s", strerror(err < 0 ? -err : err));
	else
		p->nattached++;
}

/* Attach one program, keeping its link in *LINK and recording its status. */
static void attach_one(struct probes *p, const char *family, struct bpf_program *prog, struct bpf_link **link)
{
	struct bpf_link *l = bpf_program__attach(prog);
	int err = libbpf_get_error(l);

	*link = err ? NULL : l;
	add_status(p, family, prog, err);
}

/* Every program of a family that failed to load gets the same reason. */
static void family_failed(struct probes *p, const char *family, struct bpf_object *obj, int err)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		add_status(p, family, prog, err ? err : -EINVAL);
}

static int open_process(struct probes *p, const struct probes_opts *o)
{
	struct process_bpf *skel = process_bpf__open();
	int err;

	if (!skel)
		return -errno;
	bpf_map__set_max_entries(skel->maps.events, o->ring_size);
	err = process_bpf__load(skel);
	if (err) {
		family_failed(p, "process", skel->obj, err);
		process_bpf__destroy(skel);
		return err;
	}
	p->process = skel;
	p->events_fd = bpf_map__fd(skel->maps.events);
	p->drops_fd = bpf_map__fd(skel->maps.ringbuf_drops);
	attach_one(p, "process", skel->progs.handle_fork, &skel->links.handle_fork);
	attach_one(p, "process", skel->progs.handle_exec, &skel->links.handle_exec);
	attach_one(p, "process", skel->progs.handle_exit, &skel->links.handle_exit);
	return 0;
}

int probes_open(struct probes *p, const struct probes_opts *o, char *err, size_t errlen)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->events_fd = p->drops_fd = -1;
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0) {
		snprintf(err, errlen, "cannot count CPUs: %s", strerror(-p->ncpus));
		return p->ncpus ? p->ncpus : -EINVAL;
	}
	p->drops_seen = calloc((size_t)p->ncpus, sizeof(*p->drops_seen));
	if (!p->drops_seen) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = open_process(p, o);
	if (p->events_fd < 0) {
		snprintf(err, errlen, "cannot load BPF programs: %s", strerror(ret < 0 ? -ret : EINVAL));
		return ret < 0 ? ret : -EINVAL;
	}
	p->rb = ring_buffer__new(p->events_fd, (ring_buffer_sample_fn)o->on_event, o->ctx, NULL);
	if (!p->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(errno));
		return ret;
	}
	if (p->nattached == 0) {
		snprintf(err, errlen, "no probe could be attached");
		return -ENOENT;
	}
	return 0;
}

int probes_fd(struct probes *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int probes_consume(struct probes *p)
{
	return ring_buffer__consume(p->rb);
}

uint64_t probes_read_drops(struct probes *p, void (*fn)(void *ctx, int cpu, uint64_t n), void *ctx)
{
	uint64_t *vals = calloc((size_t)p->ncpus, sizeof(*vals));
	uint32_t zero = 0;
	uint64_t total = 0;

	if (!vals)
		return 0;
	if (bpf_map_lookup_elem(p->drops_fd, &zero, vals) == 0) {
		for (int cpu = 0; cpu < p->ncpus; cpu++) {
			uint64_t n = vals[cpu] - p->drops_seen[cpu];
			if (!n)
				continue;
			p->drops_seen[cpu] = vals[cpu];
			total += n;
			if (fn)
				fn(ctx, cpu, n);
		}
	}
	free(vals);
	return total;
}

void probes_close(struct probes *p)
{
	ring_buffer__free(p->rb);
	p->rb = NULL;
	process_bpf__destroy(p->process);
	p->process = NULL;
	free(p->drops_seen);
	p->drops_seen = NULL;
}
