/*
 * probes.h - the BPF probe families, their shared ring buffer, and the
 * status of every probe.
 *
 * A family is one bpf/NAME.bpf.c with its skeleton and a small loader in
 * recorder/family_NAME.c, listed in the table in probes.c.  Every family
 * and every program in it is optional: one that fails to load or attach
 * is reported with its reason and the others go on.  All families write
 * to one ring buffer and count failed reserves in one per-CPU array, both
 * created here and handed to each family's object (bpf_map__reuse_fd), so
 * events of all kinds arrive in one stream.
 */
#ifndef FR_PROBES_H
#define FR_PROBES_H

#include <stddef.h>
#include <stdint.h>

#define PROBES_MAX 64
#define FAMILIES_MAX 16
#define UPROBES_MAX 16

struct bpf_object;
struct bpf_program;
struct bpf_link;

/* A --uprobe binary may be any path (PATH_MAX): container roots and overlay
 * directories make long ones ordinary. */
#define UPROBE_BINARY_MAX 4096
/* Room for "uprobe/BINARY:SYMBOL" and for a reason that names BINARY. */
#define PROBE_TEXT_MAX (UPROBE_BINARY_MAX + 256)

struct probe_status {
	char name[64];                 /* "process/exec" */
	char attach[PROBE_TEXT_MAX];   /* "tp_btf/sched_process_exec" */
	int ok;
	char why[PROBE_TEXT_MAX];      /* reason for a failure */
};

/* Called with each event (a struct fr_NAME starting with struct fr_head). */
typedef int (*probes_event_fn)(void *ctx, const void *data, size_t size);

enum { SYSCALLS_OFF, SYSCALLS_AUDIT, SYSCALLS_SUMMARY, SYSCALLS_ALL };

/* What the families are asked to record; each reads the fields it needs. */
struct probe_config {
	uint32_t ring_size; /* bytes, a power of two */
	int syscalls;             /* --syscalls: SYSCALLS_OFF, _AUDIT, _SUMMARY (default) or _ALL */
	uint64_t slow_syscall_ns; /* --slow-syscall: summary rows for calls at least this slow */
	uint64_t runq_threshold_ns; /* --runq-threshold: a runq event for each longer wait */
	uint64_t func_threshold_ns; /* --func-threshold: a func event for each longer --uprobe call */
	unsigned families_off;    /* --probes: bit I turns off family I of the table in probes.c */
	struct uprobe_spec {      /* --uprobe BINARY:SYMBOL */
		char binary[UPROBE_BINARY_MAX];
		char symbol[128];
	} uprobes[UPROBES_MAX];
	int nuprobes;
};

/* What must wait in the ring before a BPF program wakes the recorder
 * (wake_bytes in bpf/maps.bpf.h): an eighth of it. */
static inline uint64_t probes_wake_bytes(const struct probe_config *cfg)
{
	return cfg->ring_size / 8;
}

struct probes;

struct probe_family {
	const char *name;
	/*
	 * Open, configure, load (with probes_prepare_object() before the
	 * load) and attach (with probes_attach()).  Returns 0 and its state
	 * in *STATE, or -errno after reporting with probes_family_failed().
	 */
	int (*open)(struct probes *p, void **state);
	/* Once a second, e.g. to turn per-CPU counters into records; may be NULL. */
	void (*tick)(struct probes *p, void *state, uint64_t now_boot);
	void (*close)(void *state);
	/* Off unless --probes names it (its cost is not nil: see the family). */
	int opt_in;
};

struct probes {
	const struct probe_config *cfg;
	probes_event_fn emit; /* also for records that families make in user space */
	void *ctx;
	struct ring_buffer *rb;
	int events_fd;        /* the shared ring buffer */
	int drops_fd;         /* per-CPU count of failed reserves */
	int ncpus;
	uint64_t *drops_seen; /* per CPU, as of the last probes_read_drops() */
	const struct probe_family *family[FAMILIES_MAX];
	void *state[FAMILIES_MAX];
	int nfamilies;
	struct probe_status status[PROBES_MAX];
	int nstatus;
	int nattached;
};

/*
 * Create the shared maps, then open every family.  Returns 0 when at least
 * one probe attached; -errno with ERR set when none did.  p->status lists
 * every probe either way.
 */
int probes_open(struct probes *p, const struct probe_config *cfg, probes_event_fn emit, void *ctx, char *err,
		size_t errlen);
/* Index of the family called NAME in the table, or -1. */
int probes_family_index(const char *name);
/* The --probes bits of the families that are off unless named (opt_in). */
unsigned probes_default_off(void);
/* The names of all families, comma-separated, for messages. */
const char *probes_family_names(void);
/* File descriptor to poll for events. */
int probes_fd(struct probes *p);
/* Consume what is in the ring buffer; number of events or -errno. */
int probes_consume(struct probes *p);
/* Run every family's tick. */
void probes_tick(struct probes *p, uint64_t now_boot);
/*
 * New ring-buffer drops per CPU since the last call: calls FN(ctx, cpu,
 * count) for each CPU that lost events.  Returns the total.
 */
uint64_t probes_read_drops(struct probes *p, void (*fn)(void *ctx, int cpu, uint64_t n), void *ctx);
void probes_close(struct probes *p);

/* For families: point OBJ's "events" and "ringbuf_drops" maps at the shared ones. */
int probes_prepare_object(struct probes *p, struct bpf_object *obj);
/* For families: attach PROG, keep its link in *LINK, record its status. */
int probes_attach(struct probes *p, const char *family, struct bpf_program *prog, struct bpf_link **link);
/*
 * For families: the per-CPU counter of lost events in MAP_FD (a one-slot
 * per-CPU array of u64) grew past *SEEN: write a drop record of SOURCE for
 * the difference, lost since SINCE (boot ns), and remember the new total.
 */
void probes_report_lost(struct probes *p, int map_fd, uint64_t *seen, const char *source, uint64_t since,
			uint64_t now);
/*
 * For families whose probes are not one program each (uprobes): record
 * the status of probe NAME at ATTACH, failed with WHY when ERR is not 0
 * (WHY NULL: strerror(ERR)).
 */
void probes_add_status(struct probes *p, const char *name, const char *attach, int err, const char *why);
/* For families: every program of OBJ failed for the same reason ERR. */
void probes_family_failed(struct probes *p, const char *family, struct bpf_object *obj, int err);

#endif
