/*
 * probes.h - loading and attaching the BPF probe families, and draining
 * their shared ring buffer.
 *
 * Every probe is optional: a family that fails to load, or a program that
 * fails to attach, is reported with its reason and the others go on.
 */
#ifndef FR_PROBES_H
#define FR_PROBES_H

#include <stdint.h>

#define PROBES_MAX 32

struct probe_status {
	char name[64];    /* "process/exec" */
	char attach[96];  /* "tp_btf/sched_process_exec" */
	int ok;
	char why[160];    /* reason for a failure */
};

typedef int (*probes_event_fn)(void *ctx, const void *data, size_t size);

struct probes {
	struct process_bpf *process;
	struct ring_buffer *rb;
	int events_fd;       /* the shared ring buffer */
	int drops_fd;        /* per-CPU count of failed reserves */
	int ncpus;
	uint64_t *drops_seen; /* per CPU, as of the last probes_read_drops() */
	struct probe_status status[PROBES_MAX];
	int nstatus;
	int nattached;
};

struct probes_opts {
	uint32_t ring_size; /* bytes, a power of two */
	probes_event_fn on_event;
	void *ctx;
};

/*
 * Load and attach every family.  Returns 0 when at least one probe
 * attached; -errno with ERR set when none did (or the ring buffer could
 * not be created).  p->status lists each probe either way.
 */
int probes_open(struct probes *p, const struct probes_opts *o, char *err, size_t errlen);
/* File descriptor to poll for events. */
int probes_fd(struct probes *p);
/* Consume what is in the ring buffer; number of events or -errno. */
int probes_consume(struct probes *p);
/*
 * New ring-buffer drops per CPU since the last call: calls FN(ctx, cpu,
 * count) for each CPU that lost events.  Returns the total.
 */
uint64_t probes_read_drops(struct probes *p, void (*fn)(void *ctx, int cpu, uint64_t n), void *ctx);
void probes_close(struct probes *p);

#endif
