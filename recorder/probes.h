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

#include "overload.h"

#define PROBES_MAX 64
#define FAMILIES_MAX 16
#define UPROBES_MAX 16
#define PROBES_SHARED_MAX 8
#define PROBES_HOT_MAPS_MAX 8
/* Ring event kinds are below this: records below FR_KIND_MAX (64), FR_EV_* above. */
#define PROBES_EVENT_KINDS 128

struct bpf_object;
struct bpf_program;
struct bpf_link;
struct bpf_map;

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

struct security_opts;

enum { SYSCALLS_OFF, SYSCALLS_AUDIT, SYSCALLS_SUMMARY, SYSCALLS_ALL };

/* What the families are asked to record; each reads the fields it needs. */
struct probe_config {
	uint32_t ring_size; /* bytes, a power of two */
	int syscalls;             /* --syscalls: SYSCALLS_OFF, _AUDIT, _SUMMARY (default) or _ALL */
	uint64_t slow_syscall_ns; /* --slow-syscall: summary rows for calls at least this slow */
	int syscall_latency_all;  /* --syscall-latency=all: time every call, not only those that can block */
	int audit_each;           /* --audit-rows=each: a row per audit call, none folded */
	uint64_t runq_threshold_ns; /* --runq-threshold: a runq event for each longer wait */
	uint64_t func_threshold_ns; /* --func-threshold: a func event for each longer --uprobe call */
	uint32_t profile_hz;      /* --profile-hz: CPU samples a second per CPU */
	uint64_t offcpu_threshold_ns; /* --offcpu-threshold: an off-CPU stack for each longer sleep; 0: off */
	unsigned families_off;    /* --probes: bit I turns off family I of the table in probes.c */
	struct uprobe_spec {      /* --uprobe BINARY:SYMBOL */
		char binary[UPROBE_BINARY_MAX];
		char symbol[128];
	} uprobes[UPROBES_MAX];
	int nuprobes;
	const struct security_opts *security; /* --sensitive-path, for the classifier */
};

/* What must wait in the ring before a BPF program wakes the recorder
 * (wake_bytes in bpf/maps.bpf.h): an eighth of it. */
static inline uint64_t probes_wake_bytes(const struct probe_config *cfg)
{
	return cfg->ring_size / 8;
}

struct probes;
struct fr_kind_desc;
struct sink;

/* A kind of ring event a family turns into records itself, and its least size. */
struct probe_event {
	unsigned kind; /* FR_EV_*, or a record kind that needs completing (conn) */
	size_t size;
};

/*
 * A family is the complete unit of one observation: its BPF object (if
 * any), the ring events it owns, the user-space state that turns them into
 * records (pairing tables, configuration), and what it watches in the
 * records of others.  Every hook but open and close may be NULL.  Records
 * go out only through probes_put(), at any time: from the event hook, a
 * tick, or held back and put later.
 */
struct probe_family {
	const char *name;
	/*
	 * Open, configure, load (with probes_prepare_object() before the
	 * load) and attach (with probes_attach()).  Returns 0 and its state
	 * in *STATE, or -errno after reporting with probes_family_failed().
	 */
	int (*open)(struct probes *p, void **state);
	/* The ring events it owns, NEVENTS of them; any other kind crosses the ring as its record. */
	const struct probe_event *events;
	int nevents;
	/* One owned event of at least its size: put the records it stands for, now or later. */
	void (*event)(struct probes *p, void *state, const void *data, size_t size);
	/*
	 * Every record, complete and past the triggers, before the writer
	 * (sink.h); OPENING: one at the head of a new segment.  Records put
	 * from here follow the one observed.
	 */
	void (*observe)(struct probes *p, void *state, const struct fr_kind_desc *k, const void *rec, int opening);
	/* A new segment begins; its opening records are observed next. */
	void (*segment)(struct probes *p, void *state);
	/* Once a second, e.g. to turn per-CPU counters into records. */
	void (*tick)(struct probes *p, void *state, uint64_t now_boot);
	/* A snapshot's window is about to be cut: put what is held back now. */
	void (*flush)(struct probes *p, void *state, uint64_t now_boot);
	/* The recording stops: put what is held back. */
	void (*stop)(struct probes *p, void *state, uint64_t now_boot);
	/* A few words after probe STATUS's line in `flightrec status` (its calls, say); BUF is "" before. */
	void (*note)(struct probes *p, void *state, const struct probe_status *status, char *buf, size_t cap);
	void (*close)(void *state);
	/* Off unless --probes names it (its cost is not nil: see the family). */
	int opt_in;
};

struct probes {
	const struct probe_config *cfg;
	struct sink *sink;    /* where every record goes (probes_put) */
	uint64_t events;      /* events taken from the ring */
	uint64_t bad_events;  /* too short, or of no kind this build knows */
	struct ring_buffer *rb;
	int events_fd;        /* the shared ring buffer */
	int drops_fd;         /* per-CPU count of failed reserves */
	int barrier_fd, barrier_inner_fd; /* probes_rcu_barrier(): an array of maps and its one map, made on first use */
	int ncpus;
	uint64_t *drops_seen; /* per CPU, as of the last probes_read_drops() */
	void *ring_pos[2];    /* the ring's consumer and producer pages, mapped by probes_ring_pending() */
	const struct probe_family *family[FAMILIES_MAX];
	void *state[FAMILIES_MAX];
	/* ring event kind -> 1 + its family's slot (1 + FAMILIES_MAX: a family that is off), 0: a record */
	uint8_t owner[PROBES_EVENT_KINDS];
	size_t owner_size[PROBES_EVENT_KINDS];
	int nfamilies;
	struct probe_status status[PROBES_MAX];
	int nstatus;
	int nattached;
	/* maps a family loaded for the families after it (probes_share_maps) */
	struct probes_shared_map {
		char name[64]; /* as in the objects: the key of the reuse */
		int fd;        /* our own: dup()ed */
	} shared[PROBES_SHARED_MAX];
	int nshared;
	/*
	 * The hot-slot arrays of probes_drain_cached(), mapped on their first
	 * drain and kept: every drain reads all of their pages anyway, and a
	 * mapping made and unmapped each second (with the TLB shootdown of its
	 * munmap) was most of what the idle recorder cost beyond the drains.
	 */
	struct probes_hot_map {
		int fd;
		void *map;
		size_t len;
	} hot_maps[PROBES_HOT_MAPS_MAX];
	int nhot_maps;
	struct overload overload; /* what gives way to counts under overload, and when */
};

/*
 * Create the shared maps, then open every family.  Returns 0 when at least
 * one probe attached; -errno with ERR set when none did.  p->status lists
 * every probe either way.
 */
int probes_open(struct probes *p, const struct probe_config *cfg, struct sink *sink, char *err, size_t errlen);
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
/* Run every family's flush: before a window is cut, what they hold back goes out. */
void probes_flush(struct probes *p, uint64_t now_boot);
/* Run every family's tick. */
void probes_tick(struct probes *p, uint64_t now_boot);
/* The recording stops: every family puts what it holds back. */
void probes_stop(struct probes *p, uint64_t now_boot);
/* A new segment begins: tell the families (before its opening records). */
void probes_segment(struct probes *p);
/* The families' observe hooks, as a sink observer (sink_observe()). */
void probes_observe(void *probes, const struct fr_kind_desc *k, const void *rec, int opening);
/* The note of status row I (see probe_family.note), "" when none. */
void probes_note(struct probes *p, int i, char *buf, size_t cap);
/* The state of the open family FAMILY, or NULL when it is not open. */
void *probes_state(struct probes *p, const struct probe_family *family);
/* For families: put record REC (a struct fr_NAME) into the sink. */
void probes_put(struct probes *p, const void *rec);
/*
 * New ring-buffer drops per CPU since the last call: calls FN(ctx, cpu,
 * count) for each CPU that lost events.  Returns the total.
 */
uint64_t probes_read_drops(struct probes *p, void (*fn)(void *ctx, int cpu, uint64_t n), void *ctx);
void probes_close(struct probes *p);
/* Bytes written to the ring and not yet consumed. */
uint64_t probes_ring_pending(struct probes *p);
/* Ring-buffer drops so far, all CPUs (the kernel's count, not what was reported). */
uint64_t probes_ring_drops_total(struct probes *p);
/* Slot KEY of the per-CPU array FD (u64 values), summed over the CPUs into *SUM: 0, or -1 when unreadable. */
int probes_percpu_sum(const struct probes *p, int fd, uint32_t key, uint64_t *sum);

/*
 * For families: point OBJ's "events" and "ringbuf_drops" maps at the
 * shared ones, and each map named as one that an earlier family shared
 * (probes_share_maps) at that one.
 */
int probes_prepare_object(struct probes *p, struct bpf_object *obj);
struct bpf_object_skeleton;
/*
 * For families, once the skeleton is opened and configured: point its
 * shared maps at ours (probes_prepare_object()) and load it.  0, or
 * -errno after reporting every program it has as failed.
 */
int probes_load(struct probes *p, const char *family, struct bpf_object_skeleton *s);
/*
 * For families: offer the N maps of MAPS, of an object loaded, to the
 * families opened after this one: a map of theirs with the same name
 * becomes the same kernel map (probes_prepare_object()), so that two
 * objects can work on one state.  All of them or none: 0 or -errno.
 */
int probes_share_maps(struct probes *p, struct bpf_map *const *maps, int n);
/* Whether an earlier family shared a map called NAME (probes_share_maps()). */
int probes_map_shared(const struct probes *p, const char *name);
/* For families: attach PROG, keep its link in *LINK, record its status. */
int probes_attach(struct probes *p, const char *family, struct bpf_program *prog, struct bpf_link **link);
/*
 * For families: the per-CPU counter of lost events in MAP_FD (a one-slot
 * per-CPU array of u64) grew past *SEEN: write a drop record of SOURCE for
 * the difference, lost since SINCE (boot ns), and remember the new total.
 */
/* For families: a drop record of SOURCE, COUNT lost from SINCE to NOW (boot ns). */
void probes_put_drop(struct probes *p, const char *source, uint64_t count, uint64_t since, uint64_t now);
void probes_report_lost(struct probes *p, int map_fd, uint64_t *seen, const char *source, uint64_t since,
			uint64_t now);
/* What a drained generation covers: its records are stamped with its end. */
struct probes_interval {
	uint64_t end, ns;
};
/*
 * For families that aggregate in BPF, per CPU, in two generations of maps
 * (sched, block, mem, uprobe): BPF programs write the generation that
 * their `gen` names; once a second the recorder drains the other one, idle
 * since the last flip, reports what the programs lost, then flips to the
 * drained one.  A family keeps one of these in its state.
 */
struct probes_gens {
	uint32_t *gen;      /* the object's `gen` (its bss) */
	int lost_fd;        /* its per-CPU counter of lost events (one u64) */
	const char *source; /* the drop records' source: the family's name */
	uint64_t last_flip; /* boot ns of the last flip: the idle generation began there */
	uint64_t prev_flip;
	uint64_t lost_seen;
};
/* Drain generation OLD (0 or 1) of the family's maps, which covers IN. */
typedef void (*probes_drain_fn)(struct probes *p, void *ctx, int old, const struct probes_interval *in);
/* Start the generations of GEN, the first one from now. */
void probes_gens_init(struct probes_gens *g, uint32_t *gen, int lost_fd, const char *source);
/* A family's tick: DRAIN(CTX) the idle generation, report the losses, flip. */
void probes_gens_tick(struct probes *p, struct probes_gens *g, uint64_t now, probes_drain_fn drain, void *ctx);
/*
 * A family's flush, before a snapshot's window is cut: DRAIN(CTX) both
 * generations, the idle one (quiescent: probes_flush() waited for the
 * programs before calling the families) and the live one up to NOW
 * (flipped, then waited for with probes_rcu_barrier()), so that the window
 * holds the counts of its last second too.  Without the barrier the live
 * one is left for the next tick, as before.
 */
void probes_gens_flush(struct probes *p, struct probes_gens *g, uint64_t now, probes_drain_fn drain, void *ctx);
/*
 * Return once every BPF program that was running when called has
 * returned (an RCU grace period: updating a slot of an array of maps waits
 * for one).  0, or -errno when the maps cannot be made or updated.
 */
int probes_rcu_barrier(struct probes *p);
/* One key of an aggregate map and its values, one per CPU (p->ncpus of them). */
typedef void (*probes_agg_fn)(struct probes *p, void *ctx, const void *key, const void *vals);
/*
 * For families: call FN for every key of the per-CPU hash MAP_FD (keys of
 * KEY_SIZE bytes, values of VAL_SIZE bytes per CPU), then empty it.
 */
void probes_drain_aggregates(struct probes *p, int map_fd, size_t key_size, size_t val_size, probes_agg_fn fn,
			     void *ctx);
/* Adds the aggregate SRC (one CPU's) into DST. */
typedef void (*probes_merge_fn)(void *dst, const void *src);
/*
 * The first BYTES of FD, a mappable array map, mapped for reading and
 * writing while a drain reads it, *LEN bytes (whole pages) to unmap:
 * the kernel maps all of an array's pages at once, so a mapping kept
 * would count them in the recorder's resident set.  MAP_FAILED (errno)
 * on failure.
 */
void *probes_map_array(int fd, size_t bytes, size_t *len);

/* Size HOT, an AGG_HOT_SLOTS array of NSLOTS slots a generation, for every CPU: before the load. */
int probes_hot_slots(struct probes *p, struct bpf_map *hot, uint32_t nslots);

/*
 * probes_drain_aggregates() for a per-CPU hash of u32 keys with per-CPU hot
 * slots in front of it (sched, mem: AGG_HOT_SLOTS of bpf/agg.bpf.h): HOT is
 * an array of 2 * NSLOTS + 1 slots per CPU, the NSLOTS of generation GEN
 * (0 or 1) after those of the other, each a u32 key (0: empty), 4 bytes of
 * padding, then an aggregate of VAL_SIZE bytes that the programs have not
 * yet added to HASH.  Each slot is added (MERGE) to the hash's value of its
 * key on its CPU before FN sees it, keys only in slots are reported too,
 * and the slots are emptied.
 */
void probes_drain_cached(struct probes *p, struct bpf_map *hash, struct bpf_map *hot, int gen, uint32_t nslots,
			 size_t val_size, probes_merge_fn merge, probes_agg_fn fn, void *ctx);
/* "B:N B:N ..." of the non-empty buckets of HIST (N of them) into BUF. */
void probes_format_hist(const uint64_t *hist, int n, char *buf, size_t cap);

/*
 * For families whose probes are not one program each (uprobes): record
 * the status of probe NAME at ATTACH, failed with WHY when ERR is not 0
 * (WHY NULL: strerror(ERR)).
 */
void probes_add_status(struct probes *p, const char *name, const char *attach, int err, const char *why);
/* For families: every program of OBJ failed for the same reason ERR. */
void probes_family_failed(struct probes *p, const char *family, struct bpf_object *obj, int err);

#endif
