/*
 * family_syscall.c - loader of bpf/syscall.bpf.c: system calls, tiered by
 * --syscalls (off, audit, summary, all) and --slow-syscall.
 *
 * The mode becomes sc_flags[nr], one byte per call number, set before the
 * load: a call the mode does not want leaves both programs at their first
 * test.  Names of calls and errnos go into the object's read-only data, so
 * the records carry them as text and the replay side needs no table.
 *
 * What the default costs is decided here.  In summary mode every call is
 * counted at its exit, but only the calls that can block are timed, once
 * they wait, and there is no sys_enter program at all (exit_only, where
 * the kernel allows: an empty sys_enter alone cost each call about what
 * the whole exit does): sc_switch sees a task leave the CPU inside such a
 * call, the exit adds its latency, and the audit calls' arguments are
 * decoded at exit from the registers the call entered with.  A call of
 * quick_calls costs the exit a few loads and two increments; the calls
 * that wait by design (futex,
 * epoll_wait...) are timed like the others, their waits being the point
 * of the futex_waits view, but never make slow rows.
 * --syscall-latency=all times every call, as all mode does.  Audit rows
 * fold identical repeats in the kernel (struct sc_fold) unless
 * --audit-rows=each.
 *
 * Each second the tick flips the generation of the counting maps (sc_gen),
 * waits until no program can still use the old one (probes_rcu_barrier(),
 * an RCU grace period), reads
 * and empties the old generation (hot per-CPU arrays and the hash) into
 * syscall_stats records and the audit rows still held in it into syscalls
 * records, and turns the kernel's lost-event counters into drop records
 * with source "syscall".
 *
 * Under overload (recorder/overload.c) all mode's per-call rows and the
 * http family's messages give way to counts: the BPF side keeps counting
 * every call and counts each row or message it did not write.
 *
 * The http family has no object of its own: when it is on, SCF_HTTP marks
 * the read/write family and sys_exit looks for HTTP/1.x in their first
 * bytes (bpf/http.bpf.h); its status is that of sys_exit.
 *
 * The tls family's handshakes find their socket at sys_exit too, unless
 * the tid mode is on (tls_note, bpf/tls_exit.bpf.h): once sys_exit is
 * attached, its maps of handshakes in flight are shared for the tls
 * object to load with (probes_share_maps), and that family leaves out the
 * two tracepoints that would otherwise run on every socket send and
 * receive.  The dns family's messages likewise (dns_note,
 * bpf/dns_exit.bpf.h): with its maps of noted processes shared, the dns
 * object leaves out the two programs that would read every packet.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../bpf/syscall_abi.bpf.h"
#include "flightrec.h"
#include "probes.h"
#include "syscall.skel.h"
#include "syscall_names.h"
#include "util.h"

#define BATCH 256

struct sc_state {
	struct syscall_bpf *skel;
	int mode;
	int stats_fd[2];               /* the hashes of generations 0 and 1 */
	int hot_fd;                    /* both generations of the hot arrays, every CPU's */
	size_t hot_bytes;              /* its size */
	uint64_t last_swap;            /* boot ns */
	uint64_t lost_seen[SC_LOST_SLOTS];
	struct sc_fold *folds;         /* ncpus held rows */
	int ncpus;
	struct sc_key *keys;           /* BATCH keys */
	struct sc_agg *vals;           /* BATCH values */
	struct hot_sum *hot;           /* the old generation's hot counts, summed per (pid, call) */
	size_t nhot, hotcap;
};

struct hot_sum {
	struct sc_key key;
	struct sc_agg sum;
	int used;                      /* merged into a record of the hash */
};

/* Calls that wait by design: slow is their normal, ETIMEDOUT their answer. */
static const char *const wait_calls[] = {
	"poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2", "nanosleep",
	"clock_nanosleep", "pause", "wait4", "waitid", "rt_sigsuspend", "rt_sigtimedwait", "futex",
	"futex_waitv", "futex_wait", "io_getevents", "io_pgetevents", "io_uring_enter", "msgrcv",
	"mq_timedreceive", "semop", "semtimedop", "accept", "accept4",
};

/*
 * Calls that never block and are never slow: counted at exit, not timed
 * (unless --syscall-latency=all).  A call not named here can wait for a
 * disk, a lock, the network or memory, and is timed.
 */
static const char *const quick_calls[] = {
	"getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"getpgrp", "getpgid", "getsid", "getcpu", "gettimeofday", "time", "clock_gettime", "clock_getres",
	"rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "sigaltstack", "umask", "uname", "sched_yield",
	"sched_getaffinity", "sched_getscheduler", "sched_getparam", "getrusage", "times", "getpriority",
	"getrlimit", "prctl", "arch_prctl", "set_tid_address", "set_robust_list", "get_robust_list", "rseq",
	"capget", "getcwd", "dup", "dup2", "dup3", "lseek", "epoll_ctl", "epoll_create", "epoll_create1",
	"eventfd", "eventfd2", "getsockname", "getpeername", "getsockopt", "setsockopt", "getitimer",
	"setitimer", "alarm", "timerfd_create", "timerfd_settime", "timerfd_gettime", "signalfd4", "pipe",
	"pipe2", "socketpair",
};

static const char *const open_calls[] = { "open", "openat", "openat2", "creat" };

/* Where HTTP/1.x is looked for (bpf/http.bpf.h), when the http family is on. */
static const char *const http_calls[] = { "read", "write", "readv", "writev", "sendto", "recvfrom", "sendmsg",
					  "recvmsg" };
#define HTTP_ATTACH "tp_btf/sys_exit: read write readv writev sendto recvfrom sendmsg recvmsg"

static int http_wanted(const struct probe_config *cfg)
{
	int i = probes_family_index("http");

	return i >= 0 && !(cfg->families_off & (1u << i));
}

/*
 * Whether family NAME will be opened: for "tls" sys_exit notes its
 * handshakes' sockets (tls_note), for "dns" it reads DNS messages (dns_note).
 */
static int family_wanted(const struct probe_config *cfg, const char *name)
{
	int i = probes_family_index(name);

	return i >= 0 && !(cfg->families_off & (1u << i));
}

/* Failures worth a row in summary mode, and from which calls. */
static const struct {
	int err;
	unsigned flags;
} errno_rows[] = {
	{ EACCES, SCE_ANY },	    { EPERM, SCE_ANY },	    { ENOENT, SCE_OPEN },      { ENOSPC, SCE_ANY },
	{ EIO, SCE_ANY },	    { EDQUOT, SCE_ANY },    { ECONNREFUSED, SCE_ANY }, { ETIMEDOUT, SCE_NOT_WAIT },
	{ ENOMEM, SCE_ANY },	    { EMFILE, SCE_ANY },    { ENFILE, SCE_ANY },       { EROFS, SCE_ANY },
	{ EADDRINUSE, SCE_ANY },    { ENETUNREACH, SCE_ANY }, { EHOSTUNREACH, SCE_ANY }, { ECONNRESET, SCE_ANY },
};

static int nr_by_name(const char *name)
{
	for (int i = 0; i < SYSCALL_NAMES_MAX; i++)
		if (syscall_names[i] && !strcmp(syscall_names[i], name))
			return i;
	return -1;
}

static int name_in(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

static void mark(volatile __u8 *flags, const char *const *names, size_t n, __u8 bit)
{
	for (size_t i = 0; i < n; i++) {
		int nr = nr_by_name(names[i]);
		if (nr >= 0)
			flags[nr] |= bit;
	}
}

/* The object's read-only data for MODE: flags per call, names, errno rules. */
static void configure(struct syscall_bpf *skel, const struct probe_config *cfg)
{
	struct syscall_bpf__rodata *ro = skel->rodata;
	static const int audit[] = {
#define SC_X_NR(name, nr) nr,
		SC_AUDIT_CALLS(SC_X_NR)
#undef SC_X_NR
	};
	__u8 base = 0, audit_flags = SCF_TRACK | SCF_EMIT | SCF_ARGS | (cfg->audit_each ? 0 : SCF_FOLD);

	ro->self_tgid = (__u32)getpid();
	ro->wake_bytes = probes_wake_bytes(cfg);
	if (cfg->syscalls == SYSCALLS_SUMMARY) {
		base = SCF_TRACK | SCF_COUNT;
		ro->slow_ns = cfg->slow_syscall_ns;
		ro->time_all = cfg->syscall_latency_all != 0;
		ro->error_rows = 1;
	} else if (cfg->syscalls == SYSCALLS_ALL) {
		base = SCF_TRACK | SCF_COUNT | SCF_EMIT;
		ro->time_all = 1; /* a row per call: each with its whole latency */
		/* failed and slow calls say so, keep their rows under overload, and a slow one its fd_kind */
		ro->slow_ns = cfg->slow_syscall_ns;
		ro->error_rows = 1;
	}
	for (int nr = 0; nr < SC_NR_MAX; nr++) {
		ro->sc_flags[nr] = base;
		if (nr < SYSCALL_NAMES_MAX && syscall_names[nr])
			snprintf((char *)ro->sc_names[nr], SC_NAME_LEN, "%s", syscall_names[nr]);
		else
			snprintf((char *)ro->sc_names[nr], SC_NAME_LEN, "sys_%d", nr);
	}
	if (cfg->syscalls == SYSCALLS_AUDIT)
		ro->time_all = 1; /* the audit rows alone: their latency from entry costs little */
	if (cfg->syscalls == SYSCALLS_SUMMARY && !cfg->syscall_latency_all)
		for (int nr = 0; nr < SC_NR_MAX; nr++)
			if (nr < SYSCALL_NAMES_MAX && syscall_names[nr] &&
			    name_in(syscall_names[nr], quick_calls, sizeof(quick_calls) / sizeof(quick_calls[0])))
				ro->sc_flags[nr] &= (__u8)~SCF_TRACK;
	for (size_t i = 0; i < sizeof(audit) / sizeof(audit[0]); i++) {
		ro->sc_flags[audit[i]] |= audit_flags;
		ro->sc_fold_idx[audit[i]] = (__u8)i;
	}
	if (http_wanted(cfg)) {
		ro->http_on = 1;
		mark(ro->sc_flags, http_calls, sizeof(http_calls) / sizeof(http_calls[0]), SCF_HTTP);
	}
	if (base) {
		mark(ro->sc_flags, wait_calls, sizeof(wait_calls) / sizeof(wait_calls[0]), SCF_WAIT);
		mark(ro->sc_flags, open_calls, sizeof(open_calls) / sizeof(open_calls[0]), SCF_OPEN);
	}
	for (int e = 1; e < ERRNO_NAMES_MAX; e++)
		if (errno_names[e])
			snprintf((char *)ro->sc_errno_names[e], SC_ERRNO_LEN, "%s", errno_names[e]);
	for (int e = 0; e < ERRNO_KERNEL_COUNT; e++)
		snprintf((char *)ro->sc_errno_names[SC_ERRNO_BASE + e], SC_ERRNO_LEN, "%s", errno_kernel_names[e]);
	for (size_t i = 0; i < sizeof(errno_rows) / sizeof(errno_rows[0]); i++)
		ro->sc_errno_flags[errno_rows[i].err] |= (__u8)errno_rows[i].flags;
}

/*
 * Task storage in tracing programs came with 5.11; before, starts are
 * keyed by tid.  FLIGHTREC_SYSCALLS_TID_MAP=1 takes the older way on a newer
 * kernel too, so that the tests can cover it.
 */
static int have_task_storage(void)
{
	const char *force = getenv("FLIGHTREC_SYSCALLS_TID_MAP");

	if (force && !strcmp(force, "1"))
		return 0;
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
}

/*
 * Whether the default's exit-only way can run (bpf/syscall.bpf.c,
 * switch_in_call): no sys_enter, a timed call found by sc_switch from
 * the registers of a task leaving the CPU (bpf_task_pt_regs, 5.15+), the
 * audit calls decoded at exit.  Every call whose latency is wanted from
 * its entry (--syscall-latency=all, --syscalls=all or audit) keeps
 * sys_enter.  FLIGHTREC_SYSCALLS_ENTRY=1 keeps it in the default too,
 * for the tests and for comparing the two.
 */
static int exit_only_possible(const struct syscall_bpf *skel)
{
	const char *force = getenv("FLIGHTREC_SYSCALLS_ENTRY");

	if (force && !strcmp(force, "1"))
		return 0;
	if (skel->rodata->time_all)
		return 0;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_pt_regs, NULL) == 1;
}

/*
 * sys_exit is attached and serves the tls family (tls_note: it notes TLS
 * handshakes' sockets) or the dns family (dns_note: it reads DNS
 * messages), or both: the families opened next load with these maps
 * (their objects declare them too: bpf/exit_gates.bpf.h,
 * bpf/tls_sock.bpf.h, bpf/dns_sock.bpf.h) and leave out the programs that
 * would otherwise do it, the tls family its two socket tracepoints, the
 * dns family its two packet programs.  Not shared, the maps stay ours
 * alone and those families attach their own programs: the exit's tests
 * then find no thread in flight and no process noted.
 */
static void share_exit_maps(struct probes *p, struct syscall_bpf *skel)
{
	struct bpf_map *maps[4];
	int n = 0, err;

	maps[n++] = skel->maps.exit_gates;
	if (skel->rodata->tls_note) {
		maps[n++] = skel->maps.tls_calls;
		maps[n++] = skel->maps.handshakes;
	}
	if (skel->rodata->dns_note)
		maps[n++] = skel->maps.dns_procs;
	err = probes_share_maps(p, maps, n);
	if (err)
		fprintf(stderr, "flightrec: cannot share the maps of syscall/sys_exit: %s; "
				"the tls and dns families use programs of their own\n", strerror(-err));
}

static void sc_state_free(struct sc_state *st)
{
	if (!st)
		return;
	syscall_bpf__destroy(st->skel);
	free(st->keys);
	free(st->vals);
	free(st->hot);
	free(st->folds);
	free(st);
}

static int syscall_open(struct probes *p, void **state)
{
	struct sc_state *st;
	struct syscall_bpf *skel;
	int err, ts, exit_only;

	*state = NULL;
	if (p->cfg->syscalls == SYSCALLS_OFF)
		return 0; /* nothing loaded, nothing attached */
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->mode = p->cfg->syscalls;
	st->ncpus = p->ncpus;
	st->keys = calloc(BATCH, sizeof(*st->keys));
	st->vals = calloc(BATCH, sizeof(*st->vals));
	st->folds = calloc((size_t)st->ncpus, sizeof(*st->folds));
	skel = st->skel = syscall_bpf__open();
	if (!skel || !st->keys || !st->vals || !st->folds) {
		err = skel ? -ENOMEM : -errno;
		sc_state_free(st);
		return err;
	}
#if !defined(__x86_64__)
	/* The call numbers and the register use are those of x86_64. */
	probes_family_failed(p, "syscall", skel->obj, -ENOTSUP);
	sc_state_free(st);
	return -ENOTSUP;
#endif
	configure(skel, p->cfg);
	ts = have_task_storage();
	exit_only = ts && exit_only_possible(skel);
	skel->rodata->exit_only = (__u8)exit_only;
	bpf_program__set_autoload(skel->progs.sys_enter, ts && !exit_only);
	bpf_program__set_autoload(skel->progs.sc_exec, exit_only);
	bpf_program__set_autoload(skel->progs.sys_exit_audit, exit_only);
	bpf_program__set_autoload(skel->progs.sys_exit_audit_row, exit_only);
	bpf_program__set_autoload(skel->progs.sys_exit, ts);
	bpf_program__set_autoload(skel->progs.sys_enter_tid, !ts);
	bpf_program__set_autoload(skel->progs.sys_exit_tid, !ts);
	bpf_program__set_autoload(skel->progs.sc_switch, ts);
	bpf_map__set_autocreate(skel->maps.sc_starts, ts);
	bpf_map__set_autocreate(skel->maps.sc_args, ts);
	if (ts)
		bpf_map__set_max_entries(skel->maps.sc_pending, 1);
	if (ts)
		bpf_map__set_max_entries(skel->maps.sc_starts_tid, 1);
	/* the tid mode's exit (before 5.11) has no room for it: the tls family uses its tracepoints */
	skel->rodata->tls_note = (__u8)(ts && family_wanted(p->cfg, "tls"));
	if (!skel->rodata->tls_note) { /* the code that uses them is dead: keep them small */
		bpf_map__set_max_entries(skel->maps.tls_calls, 1);
		bpf_map__set_max_entries(skel->maps.handshakes, 1);
	}
	skel->rodata->dns_note = (__u8)(ts && family_wanted(p->cfg, "dns"));
	if (!skel->rodata->dns_note)
		bpf_map__set_max_entries(skel->maps.dns_procs, 1);
	if (st->mode < SYSCALLS_SUMMARY) { /* nothing is counted: keep the maps small */
		bpf_map__set_max_entries(skel->maps.sc_stats_a, 1);
		bpf_map__set_max_entries(skel->maps.sc_stats_b, 1);
		bpf_map__set_max_entries(skel->maps.sc_hot, 1);
	} else {
		bpf_map__set_max_entries(skel->maps.sc_hot, (__u32)st->ncpus * SC_HOT_PER_CPU);
	}
	bpf_map__set_max_entries(skel->maps.sc_cur_start, (__u32)st->ncpus);
	err = probes_load(p, "syscall", skel->skeleton);
	if (err) {
		if (http_wanted(p->cfg))
			probes_add_status(p, "http/capture", HTTP_ATTACH, err, "the syscall family did not load");
		sc_state_free(st);
		return err;
	}
	st->stats_fd[0] = bpf_map__fd(skel->maps.sc_stats_a);
	st->stats_fd[1] = bpf_map__fd(skel->maps.sc_stats_b);
	if (st->mode >= SYSCALLS_SUMMARY) {
		/* its slots are sizeof(struct sc_agg), a multiple of 8, as the kernel lays them */
		st->hot_bytes = (size_t)st->ncpus * SC_HOT_PER_CPU * sizeof(struct sc_agg);
		st->hot_fd = bpf_map__fd(skel->maps.sc_hot);
	}
	st->last_swap = now_boot_ns();
	if (exit_only) {
		int halves[2] = { bpf_program__fd(skel->progs.sys_exit_audit),
				  bpf_program__fd(skel->progs.sys_exit_audit_row) };

		for (__u32 i = 0; i < 2; i++) {
			err = bpf_map_update_elem(bpf_map__fd(skel->maps.sc_exit_audit), &i, &halves[i], BPF_ANY);
			if (err) {
				err = -errno;
				probes_family_failed(p, "syscall", skel->obj, err);
				sc_state_free(st);
				return err;
			}
		}
		/* without sc_switch nothing is timed; without sc_exec an execve row has no path */
		probes_attach(p, "syscall", skel->progs.sc_switch, &skel->links.sc_switch);
		probes_attach(p, "syscall", skel->progs.sc_exec, &skel->links.sc_exec);
		err = probes_attach(p, "syscall", skel->progs.sys_exit, &skel->links.sys_exit);
	} else if (ts) {
		/* first, so that no start is in a CPU's slot before the switch can move it */
		if (probes_attach(p, "syscall", skel->progs.sc_switch, &skel->links.sc_switch) == 0)
			skel->bss->switch_on = 1;
		probes_attach(p, "syscall", skel->progs.sys_enter, &skel->links.sys_enter);
		err = probes_attach(p, "syscall", skel->progs.sys_exit, &skel->links.sys_exit);
	} else {
		probes_attach(p, "syscall", skel->progs.sys_enter_tid, &skel->links.sys_enter_tid);
		err = probes_attach(p, "syscall", skel->progs.sys_exit_tid, &skel->links.sys_exit_tid);
	}
	if (http_wanted(p->cfg)) /* it rides on sys_exit */
		probes_add_status(p, "http/capture", HTTP_ATTACH, err, err ? "syscall/sys_exit did not attach" : NULL);
	if (!err && st->mode == SYSCALLS_ALL)
		overload_may_shed(&p->overload, SHED_ROWS);
	if (!err && http_wanted(p->cfg))
		overload_may_shed(&p->overload, SHED_HTTP);
	if (!err && (skel->rodata->tls_note || skel->rodata->dns_note))
		share_exit_maps(p, skel);
	*state = st;
	return 0;
}

/* "B:N B:N ..." for the non-empty buckets. */
static void format_hist(const __u32 *hist, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int b = 0; b < SC_HIST_BUCKETS && n < cap; b++)
		if (hist[b])
			n += (size_t)snprintf(buf + n, cap - n, "%s%d:%u", n ? " " : "", b, hist[b]);
}

static void agg_add(struct sc_agg *dst, const struct sc_agg *a)
{
	dst->count += a->count;
	dst->errors += a->errors;
	dst->timed += a->timed;
	dst->total_ns += a->total_ns;
	if (a->max_ns > dst->max_ns)
		dst->max_ns = a->max_ns;
	for (int b = 0; b < SC_HIST_BUCKETS; b++)
		dst->hist[b] += a->hist[b];
	if (!dst->comm[0] && a->comm[0])
		memcpy(dst->comm, a->comm, sizeof(dst->comm) - 1);
}

static void emit_stat(struct probes *p, struct sc_state *st, const struct sc_key *k, const struct sc_agg *sum,
		      uint64_t now)
{
	struct fr_syscall_stat r;

	if (!sum->count)
		return;
	memset(&r, 0, sizeof(r));
	r.head.kind = FR_KIND_syscall_stat;
	r.head.size = sizeof(r);
	r.ts = now;
	r.pid = k->tgid;
	r.nr = k->nr;
	r.interval_ns = now - st->last_swap;
	r.count = sum->count;
	r.errors = sum->errors;
	r.timed = sum->timed;
	r.total_ns = sum->total_ns;
	r.max_ns = sum->max_ns;
	memcpy(r.comm, sum->comm, sizeof(r.comm) - 1);
	if (k->nr < SYSCALL_NAMES_MAX && syscall_names[k->nr])
		snprintf(r.name, sizeof(r.name), "%s", syscall_names[k->nr]);
	else
		snprintf(r.name, sizeof(r.name), "sys_%u", k->nr);
	format_hist(sum->hist, r.hist, sizeof(r.hist));
	probes_put(p, &r);
}

static struct hot_sum *hot_find(struct sc_state *st, __u32 tgid, __u32 nr, int add)
{
	for (size_t i = 0; i < st->nhot; i++)
		if (st->hot[i].key.tgid == tgid && st->hot[i].key.nr == nr)
			return &st->hot[i];
	if (!add)
		return NULL;
	if (st->nhot == st->hotcap) {
		size_t cap = st->hotcap ? 2 * st->hotcap : 64;
		struct hot_sum *h = realloc(st->hot, cap * sizeof(*h));
		if (!h)
			return NULL;
		st->hot = h;
		st->hotcap = cap;
	}
	memset(&st->hot[st->nhot], 0, sizeof(st->hot[0]));
	st->hot[st->nhot].key.tgid = tgid;
	st->hot[st->nhot].key.nr = nr;
	return &st->hot[st->nhot++];
}

/* CPU's hot slot K, of its SC_HOT_PER_CPU, in the mapped array. */
static struct sc_agg *hot_slot(struct sc_agg *map, int cpu, __u32 k)
{
	return &map[(size_t)cpu * SC_HOT_PER_CPU + k];
}

/*
 * Add every CPU's way at slot BASE of MAP (sc_hot, mapped) to st->hot per
 * (owner, call), then clear it.  A way's entries are non-zero only for the
 * calls its header lists.  No program writes this generation any more (drain_stats).
 */
static int read_hot_way(struct sc_state *st, struct sc_agg *map, __u32 base)
{
	for (int cpu = 0; cpu < st->ncpus; cpu++) {
		struct sc_hot_hdr *h = (struct sc_hot_hdr *)hot_slot(map, cpu, base + SC_NR_MAX);
		__u64 n = h->owner ? h->n : 0;

		for (__u64 i = 0; i < n && i < SC_HOT_LIST; i++) {
			__u32 nr = h->nrs[i] & (SC_NR_MAX - 1);
			struct sc_agg *a = hot_slot(map, cpu, base + nr);
			struct hot_sum *hs;

			if (!a->count)
				continue;
			if (!(hs = hot_find(st, (__u32)(h->owner - 1), nr, 1)))
				return -ENOMEM;
			agg_add(&hs->sum, a);
			memset(a, 0, sizeof(*a));
		}
		memset(h, 0, sizeof(struct sc_agg));
	}
	return 0;
}

/* Sum generation G's hot arrays, both ways, per (owner, call) into st->hot, then clear them. */
static int read_hot(struct sc_state *st, __u32 g)
{
	size_t len;
	void *m = probes_map_array(st->hot_fd, st->hot_bytes, &len);
	int ret = 0;

	st->nhot = 0;
	if (m == MAP_FAILED)
		return -errno;
	for (__u32 way = 0; way < SC_HOT_WAYS && !ret; way++)
		ret = read_hot_way(st, m, (g * SC_HOT_WAYS + way) * SC_HOT_SLOTS);
	munmap(m, len);
	return ret;
}

/*
 * The audit rows generation G still holds, one record each, then the
 * slots emptied.
 */
static void syscall_fold_record(const struct sc_fold *f, struct fr_syscall *s);

static int read_folds(struct probes *p, struct sc_state *st, __u32 g)
{
	int fd = bpf_map__fd(st->skel->maps.sc_folds);

	for (__u32 i = 0; i < SC_FOLD_USED; i++) {
		__u32 k = g * SC_FOLD_SLOTS + i;
		int held = 0;

		if (bpf_map_lookup_elem(fd, &k, st->folds))
			return -errno;
		for (int cpu = 0; cpu < st->ncpus; cpu++) {
			struct fr_syscall r;
			if (!st->folds[cpu].count)
				continue;
			syscall_fold_record(&st->folds[cpu], &r);
			probes_put(p, &r);
			held = 1;
		}
		if (!held)
			continue;
		memset(st->folds, 0, (size_t)st->ncpus * sizeof(*st->folds));
		if (bpf_map_update_elem(fd, &k, st->folds, BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * Flip the generation, wait out the programs that may still count into
 * the old one, then read and empty it: hot arrays first, then the hash,
 * one record per (pid, call); then the audit rows it holds.
 */
static void drain_stats(struct probes *p, struct sc_state *st, uint64_t now)
{
	__u32 count, g = st->skel->bss->sc_gen & 1;
	__u64 in = 0, out = 0;
	int old = st->stats_fd[g], ret;
	void *inp = NULL;

	if (now < st->last_swap) /* a snapshot's window that ended before the last drain */
		now = st->last_swap;
	__atomic_store_n(&st->skel->bss->sc_gen, !g, __ATOMIC_SEQ_CST);
	if ((ret = probes_rcu_barrier(p))) {
		/* without the grace period the old generation may still change: read it next time */
		fprintf(stderr, "flightrec: syscall: cannot wait for the programs: %s\n", strerror(-ret));
		return;
	}
	if ((ret = read_folds(p, st, g)))
		fprintf(stderr, "flightrec: syscall: cannot read the held audit rows: %s\n", strerror(-ret));
	if (st->mode < SYSCALLS_SUMMARY) {
		st->last_swap = now;
		return;
	}
	if ((ret = read_hot(st, g)))
		fprintf(stderr, "flightrec: syscall: cannot read the hot counts: %s\n", strerror(-ret));
	do {
		count = BATCH;
		ret = bpf_map_lookup_and_delete_batch(old, inp, &out, st->keys, st->vals, &count, NULL);
		if (ret && ret != -ENOENT) {
			fprintf(stderr, "flightrec: syscall: cannot read the counts: %s\n", strerror(-ret));
			break;
		}
		for (__u32 i = 0; i < count; i++) {
			struct sc_agg sum;
			struct hot_sum *hs = hot_find(st, st->keys[i].tgid, st->keys[i].nr, 0);
			memset(&sum, 0, sizeof(sum));
			agg_add(&sum, &st->vals[i]);
			if (hs) {
				agg_add(&sum, &hs->sum);
				hs->used = 1;
			}
			emit_stat(p, st, &st->keys[i], &sum, now);
		}
		in = out;
		inp = &in;
	} while (ret == 0);
	for (size_t i = 0; i < st->nhot; i++)
		if (!st->hot[i].used)
			emit_stat(p, st, &st->hot[i].key, &st->hot[i].sum, now);
	st->last_swap = now;
}

static void report_lost(struct probes *p, struct sc_state *st, uint64_t now, uint64_t since)
{
	uint64_t total = 0;
	int fd = bpf_map__fd(st->skel->maps.sc_lost);

	for (__u32 slot = 0; slot < SC_LOST_SLOTS; slot++) {
		uint64_t sum;
		if (probes_percpu_sum(p, fd, slot, &sum))
			continue;
		total += sum - st->lost_seen[slot];
		st->lost_seen[slot] = sum;
	}
	if (total)
		probes_put_drop(p, "syscall", total, since, now);
}

static void syscall_tick(struct probes *p, void *state, uint64_t now)
{
	struct sc_state *st = state;
	uint64_t since;

	if (!st)
		return;
	/* --syscalls=all rows do not wake the recorder below a threshold: take them now */
	if (st->mode == SYSCALLS_ALL && p->rb)
		ring_buffer__consume(p->rb);
	since = st->last_swap;
	drain_stats(p, st, now);
	report_lost(p, st, now, since);
}

/* Before a snapshot: the audit rows held in the kernel (and the counts so far) go out now. */
static void syscall_flush(struct probes *p, void *state, uint64_t now)
{
	struct sc_state *st = state;

	if (st)
		drain_stats(p, st, now);
}

static void syscall_close(void *state)
{
	sc_state_free(state);
}

/* The syscall record of audit row F that the kernel still held (count calls folded). */
static void syscall_fold_record(const struct sc_fold *f, struct fr_syscall *s)
{
	memset(s, 0, sizeof(*s));
	s->head.kind = FR_KIND_syscall;
	s->head.size = sizeof(*s);
	s->ts = f->first_ts;
	s->span_ns = f->last_ts - f->first_ts;
	s->count = f->count;
	s->pid = f->tgid;
	s->tid = f->tid;
	memcpy(s->comm, f->comm, sizeof(s->comm) - 1);
	if (f->nr < SYSCALL_NAMES_MAX && syscall_names[f->nr])
		snprintf(s->name, sizeof(s->name), "%s", syscall_names[f->nr]);
	else
		snprintf(s->name, sizeof(s->name), "sys_%u", f->nr);
	memcpy(s->args, f->args, sizeof(s->args) - 1);
	s->ret = f->ret;
	memcpy(s->error, f->error, sizeof(s->error) - 1);
	s->latency_ns = f->latency_ns;
	s->nr = f->nr;
	memcpy(s->reason, "audit", 6);
	s->uid = f->uid;
}

/*
 * The syscall record that brief event B stands for: the same row the BPF
 * side would have written in full (name from the same table, no args, no
 * error, reason "all").
 */
static void syscall_expand_brief(const struct fr_syscall_brief *b, struct fr_syscall *s)
{
	s->head.kind = FR_KIND_syscall;
	s->head.size = sizeof(*s);
	s->ts = b->ts;
	s->pid = b->pid;
	s->tid = b->tid;
	memcpy(s->comm, b->comm, sizeof(s->comm));
	s->comm[sizeof(s->comm) - 1] = '\0';
	/* As configure() names them for the BPF side. */
	if (b->nr < SYSCALL_NAMES_MAX && syscall_names[b->nr])
		snprintf(s->name, sizeof(s->name), "%s", syscall_names[b->nr]);
	else
		snprintf(s->name, sizeof(s->name), "sys_%u", b->nr);
	s->args[0] = '\0';
	s->ret = b->ret;
	s->error[0] = '\0';
	s->latency_ns = b->latency_ns;
	s->nr = b->nr;
	memcpy(s->reason, "all", 4);
	s->uid = b->uid;
	s->count = 1;
	s->span_ns = 0;
	s->fd_kind[0] = '\0';
}

static void syscall_event(struct probes *p, void *state, const void *data, size_t size)
{
	struct fr_syscall s;

	syscall_expand_brief(data, &s);
	probes_put(p, &s);
}

static const struct probe_event syscall_events[] = { { FR_EV_SYSCALL_BRIEF, sizeof(struct fr_syscall_brief) } };

const struct probe_family family_syscall = {
	.name = "syscall",
	.open = syscall_open,
	.events = syscall_events,
	.nevents = 1,
	.event = syscall_event,
	.tick = syscall_tick,
	.flush = syscall_flush,
	.close = syscall_close,
};
