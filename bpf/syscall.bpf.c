// SPDX-License-Identifier: GPL-2.0
/*
 * syscall.bpf.c - system calls, tiered by --syscalls so that the default
 * costs little:
 *
 *   audit    a syscalls row for each call of the audit set
 *            (SC_AUDIT_CALLS), with its arguments decoded at entry;
 *   summary  audit, plus every call of every process counted per (pid, call)
 *            in a per-CPU map that the recorder drains each second into
 *            syscall_stats, plus a row for each call slower than
 *            --slow-syscall and each failure with an errno worth seeing;
 *   all      a row for every call (and the counts).
 *
 * The loader fills sc_flags[nr] for the mode; a call whose flags are 0
 * leaves at the first test of either program.  Only calls that are timed
 * (SCF_TRACK: by default those that can block, --syscall-latency=all for
 * every call) or decoded (SCF_ARGS) do anything at entry: their start is
 * kept per task (task storage; an LRU hash keyed by tid before 5.11), the
 * decoded arguments too, and the exit adds the latency.  A call that is
 * only counted costs the exit a few loads and two increments.
 *
 * Counts go first to sc_hot, a per-CPU array indexed by call number whose
 * two ways two processes per CPU own at a time (no hash lookup on the hot
 * path), and from there, when a third process calls on that CPU, into a
 * hash keyed by (pid, call).  Both come in two generations, chosen by sc_gen:
 * each second the recorder flips sc_gen, then waits for every program that
 * may still use the old generation (probes_rcu_barrier(): updating the slot
 * of an array of maps returns only after an RCU grace period, see
 * maybe_wait_bpf_programs(); every tracing program runs under
 * rcu_read_lock()), then reads and empties the old generation at leisure:
 * no increment is ever lost between a read and a delete.  The held audit
 * rows of sc_folds (struct sc_fold) live in the same generations.
 *
 * Under overload (bpf/shed.bpf.h) rows of --syscalls=all give way to the
 * counts, each one counted (SHED_ROWS), until the recorder says it is over.
 *
 * With SCF_HTTP on the read/write family, the exit also looks at the first
 * bytes moved for an HTTP/1.x request or status line (bpf/http.bpf.h); that
 * needs nothing at entry, so a call with only that flag leaves sys_enter at
 * its first test.
 *
 * With tls_note (the tls family on), the exit of a send or receive by a
 * thread inside a probed libssl handshake call notes the handshake's
 * socket for bpf/tls.bpf.c, in maps the two objects share
 * (bpf/tls_exit.bpf.h); every other exit pays one load.
 *
 * With dns_note (the dns family on), the exit of a send or receive by a
 * process that connected or sent to port 53 reads the DNS message it
 * moved (bpf/dns_exit.bpf.h), instead of a program on every packet of the
 * host; every other exit pays a test of the call number, and the sends
 * and receives of other processes two loads from a page every exit reads
 * (bpf/exit_gates.bpf.h).
 *
 * Call numbers and names are those of x86_64.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "maps.bpf.h"
#include "agg.bpf.h"
#include "syscall_abi.bpf.h"
#include "syscall_fmt.bpf.h"
#include "http.bpf.h"
#include "fdkind.bpf.h"
#include "tls_exit.bpf.h"
#include "dns_exit.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before the load. */
const volatile __u32 self_tgid = 0;       /* the recorder: never recorded */
const volatile __u64 slow_ns = 0;         /* summary and all: a row for calls at least this slow; 0: none */
const volatile __u8 error_rows = 0;       /* summary and all: a row for failures worth seeing */
const volatile __u8 time_all = 0;         /* a timed call's latency from its entry, not only once it waits */
const volatile __u8 exit_only = 0;        /* no sys_enter: sc_switch finds the call, the exit decodes (see sc_switch) */
const volatile __u8 http_on = 0;          /* the http family: SCF_HTTP marks the read/write family */
const volatile __u8 tls_note = 0;         /* the tls family: sys_exit notes its handshakes' sockets */
const volatile __u8 dns_note = 0;         /* the dns family: sys_exit reads DNS messages */
const volatile __u8 sc_flags[SC_NR_MAX] = {};
const volatile char sc_names[SC_NR_MAX][SC_NAME_LEN] = {};
const volatile __u8 sc_errno_flags[SC_ERRNO_SLOTS] = {};
const volatile char sc_errno_names[SC_ERRNO_SLOTS][SC_ERRNO_LEN] = {};
const volatile __u8 sc_fold_idx[SC_NR_MAX] = {}; /* the fold slot of each audit call */

#define TS_COMPAT 0x0002 /* x86 thread_info.status: a 32-bit call is running */
#define MAX_ERRNO 4095
#define ENOSYS 38
#define PF_KTHREAD 0x00200000
#define PF_IO_WORKER 0x00000010
#define NR_clone 56
#define NR_fork 57
#define NR_vfork 58
#define NR_clone3 435

struct sc_start {
	__u64 ts; /* bpf_ktime_get_ns() at entry, 0 when none is pending */
	__u32 nr;
	__u32 pad;
};

/* The start of the running call, per task (5.11+). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sc_start);
} sc_starts SEC(".maps");

/*
 * The timed call running on this CPU: the entry notes it here (an inlined
 * array slot) and the exit finds it here, unless the task left the CPU in
 * between, in which case sc_switch moved it to the task's sc_starts first.
 *
 * A clock read costs about 25 ns here, more than the rest of the exit, so
 * by default (time_all off) the entry reads none: a call that returns
 * without leaving the CPU is counted, not timed, and a call that waits
 * (sleeps or is preempted) is timed from the moment it first left the CPU,
 * which sc_switch reads.  That misses only the microseconds a call runs
 * before it waits, and a call that runs long on the CPU without ever
 * being switched out.  With time_all the entry reads the clock and every
 * timed call has its whole latency.
 */
struct sc_cur {
	__u64 before[8]; /* CPUs' slots, side by side in one array, never share a cache line */
	__u64 task; /* the task_struct it belongs to, 0: empty */
	__u64 ts;   /* entry (time_all), else 0 */
	__u32 nr;
	__u32 pad;
	__u64 after[5];
};

/* Indexed by CPU (the recorder sizes it), a plain array for the reason of SC_HOT_PER_CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sc_cur);
} sc_cur_start SEC(".maps");

/* This CPU's running call. */
static __always_inline struct sc_cur *cur_slot(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&sc_cur_start, &cpu);
}

/* Set by the recorder once sc_switch is attached: until then starts go to task storage. */
__u32 switch_on = 0;

/* The same keyed by tid, for kernels without task storage in tracing programs. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct sc_start);
} sc_starts_tid SEC(".maps");

/* Arguments decoded at entry of an audit-set call, per task, until its exit (5.11+). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sc_text);
} sc_args SEC(".maps");

/* The same by tid, before 5.11. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct sc_text);
} sc_pending SEC(".maps");

/* Where the text is built before it goes to sc_pending (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sc_text);
} sc_scratch SEC(".maps");

/*
 * Shared (not per-CPU) and preallocated: only flushes of the hot arrays
 * write here, so atomic adds cost little, and an insert never fails for
 * want of memory (a per-CPU hash without preallocation lost counts when a
 * burst of flushes emptied the kernel's allocation caches).
 */
struct sc_stats_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SC_STATS_MAX);
	__type(key, struct sc_key);
	__type(value, struct sc_agg);
};
struct sc_stats_map sc_stats_a SEC(".maps"); /* generation 0 */
struct sc_stats_map sc_stats_b SEC(".maps"); /* generation 1 */

/*
 * Both generations of the hot counters, SC_HOT_WAYS ways of SC_HOT_SLOTS
 * each, SC_HOT_PER_CPU slots per CPU (see syscall_abi.bpf.h); sized by
 * the recorder, which reads the idle generation through a mapping.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SC_HOT_PER_CPU);
	__type(key, __u32);
	__type(value, struct sc_agg);
} sc_hot SEC(".maps");

/*
 * The last open this CPU decoded: its raw arguments, the path as the
 * caller gave it, and the text they made.  A server that opens the same
 * file for every request (nginx without open_file_cache) would otherwise
 * format the same flags and path on every call, the dearest part of its
 * entry: an open whose path and arguments are those of the memo takes the
 * text from it, for one read of the path and a compare.
 */
struct sc_open_memo {
	__u64 nr;
	__u64 arg[5];       /* the pointer to the path is not compared: its content is */
	__u32 plen, tlen;   /* bytes read of the path, NUL included; of the text */
	char path[SC_ARGS_LEN];
	char cur[SC_ARGS_LEN]; /* this call's path, read here */
	char text[SC_ARGS_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sc_open_memo);
} sc_open_memos SEC(".maps");

/* The held audit rows: both generations, SC_FOLD_SLOTS each, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * SC_FOLD_SLOTS);
	__type(key, __u32);
	__type(value, struct sc_fold);
} sc_folds SEC(".maps");

/* The live generation; the recorder flips it through the mmapped .bss. */
__u32 sc_gen = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SC_LOST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} sc_lost SEC(".maps");

static const struct sc_agg sc_agg_zero;

static __always_inline void lost_n(__u32 slot, __u64 count)
{
	__u64 *n = bpf_map_lookup_elem(&sc_lost, &slot);

	if (n)
		*n += count;
}

static __always_inline void lost(__u32 slot)
{
	lost_n(slot, 1);
}

/* --- argument decoding, at entry ------------------------------------------ */

static const struct sc_flagname open_flags[] = {
	{ 00000100, "O_CREAT" },     { 00000200, "O_EXCL" },	  { 00000400, "O_NOCTTY" },
	{ 00001000, "O_TRUNC" },     { 00002000, "O_APPEND" },	  { 00004000, "O_NONBLOCK" },
	{ 04010000, "O_SYNC" },	     { 00010000, "O_DSYNC" },	  { 00020000, "O_ASYNC" },
	{ 00040000, "O_DIRECT" },    { 00100000, "O_LARGEFILE" }, { 020200000, "O_TMPFILE" },
	{ 00200000, "O_DIRECTORY" }, { 00400000, "O_NOFOLLOW" },  { 01000000, "O_NOATIME" },
	{ 02000000, "O_CLOEXEC" },   { 010000000, "O_PATH" },
};

static const struct sc_flagname clone_flags[] = {
	{ 0x00020000, "CLONE_NEWNS" },	 { 0x02000000, "CLONE_NEWCGROUP" }, { 0x04000000, "CLONE_NEWUTS" },
	{ 0x08000000, "CLONE_NEWIPC" },	 { 0x10000000, "CLONE_NEWUSER" },   { 0x20000000, "CLONE_NEWPID" },
	{ 0x40000000, "CLONE_NEWNET" },	 { 0x00000080, "CLONE_NEWTIME" },   { 0x00000400, "CLONE_FILES" },
	{ 0x00000200, "CLONE_FS" },	 { 0x00040000, "CLONE_SYSVSEM" },
};

static const struct sc_flagname at_flags[] = {
	{ 0x100, "AT_SYMLINK_NOFOLLOW" }, { 0x200, "AT_REMOVEDIR" }, { 0x400, "AT_SYMLINK_FOLLOW" },
	{ 0x800, "AT_NO_AUTOMOUNT" },	  { 0x1000, "AT_EMPTY_PATH" },
};

static const struct sc_flagname rename_flags[] = {
	{ 1, "RENAME_NOREPLACE" }, { 2, "RENAME_EXCHANGE" }, { 4, "RENAME_WHITEOUT" },
};

static const char sig_names[32][10] = {
	"0",	   "SIGHUP",  "SIGINT",	 "SIGQUIT", "SIGILL",  "SIGTRAP",   "SIGABRT",	"SIGBUS",
	"SIGFPE",  "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",   "SIGALRM",	"SIGTERM",
	"SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
	"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",  "SIGPWR",	"SIGSYS",
};

static const char bpf_cmds[37][28] = {
	"MAP_CREATE",	     "MAP_LOOKUP_ELEM",	     "MAP_UPDATE_ELEM",
	"MAP_DELETE_ELEM",   "MAP_GET_NEXT_KEY",     "PROG_LOAD",
	"OBJ_PIN",	     "OBJ_GET",		     "PROG_ATTACH",
	"PROG_DETACH",	     "PROG_TEST_RUN",	     "PROG_GET_NEXT_ID",
	"MAP_GET_NEXT_ID",   "PROG_GET_FD_BY_ID",    "MAP_GET_FD_BY_ID",
	"OBJ_GET_INFO_BY_FD", "PROG_QUERY",	     "RAW_TRACEPOINT_OPEN",
	"BTF_LOAD",	     "BTF_GET_FD_BY_ID",     "TASK_FD_QUERY",
	"MAP_LOOKUP_AND_DELETE_ELEM", "MAP_FREEZE",  "BTF_GET_NEXT_ID",
	"MAP_LOOKUP_BATCH",  "MAP_LOOKUP_AND_DELETE_BATCH", "MAP_UPDATE_BATCH",
	"MAP_DELETE_BATCH",  "LINK_CREATE",	     "LINK_UPDATE",
	"LINK_GET_FD_BY_ID", "LINK_GET_NEXT_ID",     "ENABLE_STATS",
	"ITER_CREATE",	     "LINK_DETACH",	     "PROG_BIND_MAP",
	"TOKEN_CREATE",
};

#define NFLAGS(t) ((int)(sizeof(t) / sizeof(t[0])))
#define AT_FDCWD -100

/* dirfd=N, unless it is AT_FDCWD (relative to the working directory). */
static __always_inline void ap_dirfd(struct sc_text *t, __s64 fd)
{
	if ((int)fd == AT_FDCWD)
		return;
	ap_key(t, "dirfd");
	ap_dec(t, (int)fd);
}

static __always_inline void ap_path(struct sc_text *t, const char *key, __u64 uptr)
{
	ap_key(t, key);
	ap_ustr(t, (const void *)uptr, SC_ARGS_LEN);
}

static __always_inline void ap_num(struct sc_text *t, const char *key, __s64 v)
{
	ap_key(t, key);
	ap_dec(t, v);
}

static __always_inline void ap_id(struct sc_text *t, const char *key, __u64 v)
{
	ap_key(t, key);
	ap_dec(t, (int)v); /* -1: unchanged */
}

static __always_inline void ap_sig(struct sc_text *t, __u64 sig)
{
	ap_key(t, "sig");
	if (sig < 32)
		ap_lit(t, sig_names[sig]);
	else
		ap_unum(t, sig);
}

static __noinline void ap_open(struct sc_text *t, __u64 dirfd, __u64 path, __u64 flags, __u64 mode)
{
	static const char acc[4][9] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACC3" };

	ap_dirfd(t, dirfd);
	ap_path(t, "path", path);
	ap_key(t, "flags");
	ap_lit(t, acc[flags & 3]);
	if (flags & ~3ULL) {
		ap_c(t, '|');
		ap_flags(t, flags & ~3ULL, open_flags, NFLAGS(open_flags));
	}
	if (flags & (00000100 | 020000000)) { /* O_CREAT, O_TMPFILE: a mode applies */
		ap_key(t, "mode");
		ap_oct(t, mode & 07777);
	}
}

static __noinline void ap_ptrace(struct sc_text *t, __u64 req, __u64 pid)
{
	ap_key(t, "request");
	switch (req) {
	case 0: ap_lit(t, "TRACEME"); break;
	case 1: ap_lit(t, "PEEKTEXT"); break;
	case 2: ap_lit(t, "PEEKDATA"); break;
	case 4: ap_lit(t, "POKETEXT"); break;
	case 5: ap_lit(t, "POKEDATA"); break;
	case 7: ap_lit(t, "CONT"); break;
	case 8: ap_lit(t, "KILL"); break;
	case 9: ap_lit(t, "SINGLESTEP"); break;
	case 12: ap_lit(t, "GETREGS"); break;
	case 13: ap_lit(t, "SETREGS"); break;
	case 16: ap_lit(t, "ATTACH"); break;
	case 17: ap_lit(t, "DETACH"); break;
	case 24: ap_lit(t, "SYSCALL"); break;
	case 0x4206: ap_lit(t, "SEIZE"); break;
	case 0x4207: ap_lit(t, "INTERRUPT"); break;
	default: ap_hex(t, req);
	}
	if (req)
		ap_num(t, "pid", (int)pid);
}

/* bpf(2): the command, and for loads the type and name the caller gave. */
static __noinline void ap_bpf(struct sc_text *t, __u64 cmd, __u64 uattr, __u64 size)
{
	__u8 attr[48] = {};
	char name[16] = {};

	ap_key(t, "cmd");
	if (cmd < 37)
		ap_lit(t, bpf_cmds[cmd]);
	else
		ap_unum(t, cmd);
	if ((cmd == 0 || cmd == 5) && uattr && bpf_probe_read_user(attr, sizeof(attr), (void *)uattr) == 0) {
		/* union bpf_attr: map_type at 0, map_name at 28; prog_type at 0, prog_name at 48 */
		ap_num(t, cmd == 0 ? "map_type" : "prog_type", attr[0] | (attr[1] << 8));
		if (size >= (cmd == 0 ? 44 : 64) &&
		    bpf_probe_read_user(name, sizeof(name), (char *)uattr + (cmd == 0 ? 28 : 48)) == 0 && name[0]) {
			name[15] = '\0';
			ap_key(t, "name");
			ap_lit(t, name);
		}
	}
}

/* capset(2): the target and the 64-bit effective, permitted and inheritable sets. */
static __noinline void ap_capset(struct sc_text *t, __u64 hdrp, __u64 datap)
{
	__u32 hdr[2] = {}, d[6] = {};

	if (bpf_probe_read_user(hdr, sizeof(hdr), (void *)hdrp)) {
		ap_lit(t, "?");
		return;
	}
	ap_num(t, "pid", (int)hdr[1]);
	/* _LINUX_CAPABILITY_VERSION_1 has one 32-bit set, versions 2 and 3 two */
	if (bpf_probe_read_user(d, hdr[0] == 0x19980330 ? 12 : 24, (void *)datap))
		return;
	ap_key(t, "effective");
	ap_hex(t, d[0] | ((__u64)d[3] << 32));
	ap_key(t, "permitted");
	ap_hex(t, d[1] | ((__u64)d[4] << 32));
	ap_key(t, "inheritable");
	ap_hex(t, d[2] | ((__u64)d[5] << 32));
}

/* The arguments of audit-set call NR, x86_64 registers: di si dx r10 r8 r9. */
static __noinline void decode_args(struct sc_text *t, __u64 nr)
{
	__u64 a0 = t->arg[0], a1 = t->arg[1], a2 = t->arg[2], a3 = t->arg[3], a4 = t->arg[4];

	switch (nr) {
	case SC_NR_open:
		ap_open(t, AT_FDCWD, a0, a1, a2);
		break;
	case SC_NR_creat:
		ap_open(t, AT_FDCWD, a0, 01101 /* O_CREAT|O_WRONLY|O_TRUNC */, a1);
		break;
	case SC_NR_openat:
		ap_open(t, a0, a1, a2, a3);
		break;
	case SC_NR_openat2: {
		__u64 how[2] = {}; /* struct open_how: flags, mode, resolve */
		bpf_probe_read_user(how, sizeof(how), (void *)a2);
		ap_open(t, a0, a1, how[0], how[1]);
		break;
	}
	case SC_NR_execve:
		ap_path(t, "path", a0);
		break;
	case SC_NR_execveat:
		ap_dirfd(t, a0);
		ap_path(t, "path", a1);
		if (a4) {
			ap_key(t, "flags");
			ap_flags(t, a4, at_flags, NFLAGS(at_flags));
		}
		break;
	case SC_NR_connect:
	case SC_NR_bind:
		ap_num(t, "fd", (int)a0);
		ap_key(t, "addr");
		ap_sockaddr(t, (const void *)a1, (__u32)a2);
		break;
	case SC_NR_accept:
	case SC_NR_accept4:
		ap_num(t, "fd", (int)a0);
		t->aux = a1; /* the peer is known at exit */
		break;
	case SC_NR_listen:
		ap_num(t, "fd", (int)a0);
		ap_num(t, "backlog", (int)a1);
		break;
	case SC_NR_unlink:
		ap_path(t, "path", a0);
		break;
	case SC_NR_unlinkat:
		ap_dirfd(t, a0);
		ap_path(t, "path", a1);
		if (a2) {
			ap_key(t, "flags");
			ap_flags(t, a2, at_flags, NFLAGS(at_flags));
		}
		break;
	case SC_NR_rename:
		ap_path(t, "old", a0);
		ap_path(t, "new", a1);
		break;
	case SC_NR_renameat:
	case SC_NR_renameat2:
		if ((int)a0 != AT_FDCWD)
			ap_num(t, "olddirfd", (int)a0);
		ap_path(t, "old", a1);
		if ((int)a2 != AT_FDCWD)
			ap_num(t, "newdirfd", (int)a2);
		ap_path(t, "new", a3);
		if (nr == SC_NR_renameat2 && a4) {
			ap_key(t, "flags");
			ap_flags(t, a4, rename_flags, NFLAGS(rename_flags));
		}
		break;
	case SC_NR_chmod:
		ap_path(t, "path", a0);
		ap_key(t, "mode");
		ap_oct(t, a1 & 07777);
		break;
	case SC_NR_fchmodat:
	case SC_NR_fchmodat2:
		ap_dirfd(t, a0);
		ap_path(t, "path", a1);
		ap_key(t, "mode");
		ap_oct(t, a2 & 07777);
		if (nr == SC_NR_fchmodat2 && a3) {
			ap_key(t, "flags");
			ap_flags(t, a3, at_flags, NFLAGS(at_flags));
		}
		break;
	case SC_NR_chown:
	case SC_NR_lchown:
		ap_path(t, "path", a0);
		ap_id(t, "uid", a1);
		ap_id(t, "gid", a2);
		break;
	case SC_NR_fchownat:
		ap_dirfd(t, a0);
		ap_path(t, "path", a1);
		ap_id(t, "uid", a2);
		ap_id(t, "gid", a3);
		if (a4) {
			ap_key(t, "flags");
			ap_flags(t, a4, at_flags, NFLAGS(at_flags));
		}
		break;
	case SC_NR_setuid:
		ap_id(t, "uid", a0);
		break;
	case SC_NR_setgid:
		ap_id(t, "gid", a0);
		break;
	case SC_NR_setreuid:
		ap_id(t, "ruid", a0);
		ap_id(t, "euid", a1);
		break;
	case SC_NR_setregid:
		ap_id(t, "rgid", a0);
		ap_id(t, "egid", a1);
		break;
	case SC_NR_setresuid:
		ap_id(t, "ruid", a0);
		ap_id(t, "euid", a1);
		ap_id(t, "suid", a2);
		break;
	case SC_NR_setresgid:
		ap_id(t, "rgid", a0);
		ap_id(t, "egid", a1);
		ap_id(t, "sgid", a2);
		break;
	case SC_NR_capset:
		ap_capset(t, a0, a1);
		break;
	case SC_NR_ptrace:
		ap_ptrace(t, a0, a1);
		break;
	case SC_NR_mount:
		ap_path(t, "source", a0);
		ap_path(t, "target", a1);
		ap_path(t, "fstype", a2);
		ap_key(t, "flags");
		ap_hex(t, a3);
		break;
	case SC_NR_umount2:
		ap_path(t, "target", a0);
		ap_key(t, "flags");
		ap_hex(t, a1);
		break;
	case SC_NR_unshare:
		ap_key(t, "flags");
		ap_flags(t, a0, clone_flags, NFLAGS(clone_flags));
		break;
	case SC_NR_setns:
		ap_num(t, "fd", (int)a0);
		ap_key(t, "nstype");
		ap_flags(t, a1, clone_flags, NFLAGS(clone_flags));
		break;
	case SC_NR_pivot_root:
		ap_path(t, "new_root", a0);
		ap_path(t, "put_old", a1);
		break;
	case SC_NR_init_module:
		ap_num(t, "len", (__s64)a1);
		ap_path(t, "params", a2);
		break;
	case SC_NR_finit_module:
		ap_num(t, "fd", (int)a0);
		ap_path(t, "params", a1);
		if (a2) {
			ap_key(t, "flags");
			ap_hex(t, a2);
		}
		break;
	case SC_NR_bpf:
		ap_bpf(t, a0, a1, a2);
		break;
	case SC_NR_kill:
		ap_num(t, "pid", (int)a0);
		ap_sig(t, a1);
		break;
	case SC_NR_tkill:
		ap_num(t, "tid", (int)a0);
		ap_sig(t, a1);
		break;
	case SC_NR_tgkill:
		ap_num(t, "tgid", (int)a0);
		ap_num(t, "tid", (int)a1);
		ap_sig(t, a2);
		break;
	}
}

/* Fill T with the arguments of audit-set call NR and decode them. */
static __always_inline void decode_call(struct sc_text *t, struct pt_regs *regs, __u64 nr, int btf_regs)
{
	if (btf_regs) {
		t->arg[0] = regs->di;
		t->arg[1] = regs->si;
		t->arg[2] = regs->dx;
		t->arg[3] = regs->r10;
		t->arg[4] = regs->r8;
	} else {
		t->arg[0] = BPF_CORE_READ(regs, di);
		t->arg[1] = BPF_CORE_READ(regs, si);
		t->arg[2] = BPF_CORE_READ(regs, dx);
		t->arg[3] = BPF_CORE_READ(regs, r10);
		t->arg[4] = BPF_CORE_READ(regs, r8);
	}
	t->len = 0;
	t->nr = nr;
	t->aux = 0;
	decode_args(t, nr);
	t->buf[t->len & SC_MASK] = '\0';
}

/* Before 5.11: decode into the scratch buffer, then into sc_pending[tid]. */
static __always_inline void capture_args_tid(struct pt_regs *regs, __u64 nr, __u32 tid)
{
	__u32 zero = 0;
	struct sc_text *t = bpf_map_lookup_elem(&sc_scratch, &zero);

	if (!t)
		return;
	decode_call(t, regs, nr, 0);
	if (bpf_map_update_elem(&sc_pending, &tid, t, BPF_ANY))
		lost(SC_LOST_ARGS);
}

/* Which argument of open-family call NR is the path, or -1 (openat2: its flags are behind a pointer). */
static __always_inline int open_path_arg(__u64 nr)
{
	switch (nr) {
	case SC_NR_open:
	case SC_NR_creat:
		return 0;
	case SC_NR_openat:
		return 1;
	}
	return -1;
}

/*
 * Decode open-family call NR into T through this CPU's memo: the text of
 * the last open when this one's arguments and path are the same, else
 * decoded and remembered.
 */
static __always_inline void decode_open(struct sc_text *t, struct pt_regs *regs, __u64 nr, int parg)
{
	__u32 zero = 0;
	struct sc_open_memo *m = bpf_map_lookup_elem(&sc_open_memos, &zero);
	__u64 a[5] = { regs->di, regs->si, regs->dx, regs->r10, regs->r8 }, uptr;
	long n;
	int same;

	if (!m) {
		decode_call(t, regs, nr, 1);
		return;
	}
	uptr = parg ? a[1] : a[0];
	if (parg)
		a[1] = 0;
	else
		a[0] = 0;
	n = bpf_probe_read_user_str(m->cur, sizeof(m->cur), (const void *)uptr);
	same = n > 0 && m->nr == nr && m->plen == (__u32)n && m->arg[0] == a[0] && m->arg[1] == a[1] &&
	       m->arg[2] == a[2] && m->arg[3] == a[3] && m->tlen < SC_ARGS_LEN;
	for (__u32 i = 0; same && i < SC_ARGS_LEN / 8; i++) {
		if (i * 8 >= m->plen)
			break;
		if (((__u64 *)m->cur)[i] != ((__u64 *)m->path)[i])
			same = 0;
	}
	if (same) {
		t->len = m->tlen;
		t->nr = nr;
		t->aux = 0;
		__builtin_memcpy(t->buf, m->text, SC_ARGS_LEN);
		return;
	}
	decode_call(t, regs, nr, 1);
	if (n <= 0)
		return;
	m->nr = nr;
	m->plen = (__u32)n;
	for (int i = 0; i < 4; i++)
		m->arg[i] = a[i];
	m->tlen = t->len;
	__builtin_memcpy(m->path, m->cur, SC_ARGS_LEN);
	__builtin_memcpy(m->text, t->buf, SC_ARGS_LEN);
}

/* --- counting and reporting, at exit ----------------------------------------- */

/* Add the hot counts A of (OWNER, NR) to generation G's hash. */
static __noinline void merge(__u32 g, __u32 owner, __u32 nr, struct sc_agg *a)
{
	struct sc_key k = { .tgid = owner, .nr = nr };
	struct sc_agg *s = agg_of(&sc_stats_a, &sc_stats_b, g, &k, &sc_agg_zero);

	if (!s) {
		lost_n(SC_LOST_STATS, a->count);
		return;
	}
	if (!s->comm[0])
		__builtin_memcpy(s->comm, a->comm, sizeof(s->comm));
	/* other CPUs may flush the same process's calls at the same time */
	__sync_fetch_and_add(&s->count, a->count);
	__sync_fetch_and_add(&s->errors, a->errors);
	if (!a->timed)
		return;
	__sync_fetch_and_add(&s->timed, a->timed);
	__sync_fetch_and_add(&s->total_ns, a->total_ns);
	if (a->max_ns > s->max_ns) /* racy only between two such flushes: a max may be missed */
		s->max_ns = a->max_ns;
#pragma unroll
	for (int b = 0; b < SC_HIST_BUCKETS; b++)
		if (a->hist[b])
			__sync_fetch_and_add(&s->hist[b], a->hist[b]);
}

/* Move this CPU's hot counts of generation G, the way at slot BASE (header H), into the hash. */
static __noinline void hot_flush(struct sc_hot_hdr *h, __u32 g, __u32 base)
{
	__u32 owner = (__u32)(h->owner - 1), n = (__u32)h->n;

	if (!h->owner)
		n = 0;
	for (__u32 i = 0; i < SC_HOT_LIST; i++) {
		__u32 nr, k;
		struct sc_agg *a;

		if (i >= n)
			break;
		nr = h->nrs[i] & (SC_NR_MAX - 1);
		k = base + nr;
		a = bpf_map_lookup_elem(&sc_hot, &k);
		if (!a)
			continue;
		merge(g, owner, nr, a);
		__builtin_memset(a, 0, sizeof(*a));
	}
	h->n = 0;
}

/*
 * This CPU's hot entry of (TGID, NR) in the live generation: in the way
 * TGID owns, or else in the way used least recently, whose owner's counts
 * are flushed first.  An empty way (owner 0) is the least recent one.
 */
static __always_inline struct sc_agg *hot_entry(__u32 tgid, __u32 nr)
{
	__u32 g = sc_gen & 1, base = bpf_get_smp_processor_id() * SC_HOT_PER_CPU + g * SC_HOT_WAYS * SC_HOT_SLOTS,
	      k = base + SC_NR_MAX, way;
	__u64 owner = tgid + 1ULL;
	struct sc_hot_hdr *h0 = bpf_map_lookup_elem(&sc_hot, &k), *h;
	struct sc_agg *a;

	if (!h0)
		return NULL;
	if (h0->owner == owner) {
		h = h0;
		way = 0;
	} else {
		k = base + SC_HOT_SLOTS + SC_NR_MAX;
		h = bpf_map_lookup_elem(&sc_hot, &k);
		if (!h)
			return NULL;
		way = 1;
		if (h->owner != owner) {
			/* a miss: way 0 goes if it is empty, or if both are owned and way 1 was used last */
			if (!h0->owner || (h->owner && h0->mru == 1)) {
				h = h0;
				way = 0;
			}
			hot_flush(h, g, base + way * SC_HOT_SLOTS);
			h->owner = owner;
		}
	}
	if (h0->mru != way)
		h0->mru = way;
	k = base + way * SC_HOT_SLOTS + nr;
	a = bpf_map_lookup_elem(&sc_hot, &k);
	if (!a)
		return NULL;
	if (!a->count) { /* first call of NR since the last flush */
		if (h->n >= SC_HOT_LIST)
			hot_flush(h, g, base + way * SC_HOT_SLOTS);
		h->nrs[h->n & (SC_HOT_LIST - 1)] = nr;
		h->n++;
		bpf_get_current_comm(a->comm, sizeof(a->comm));
	}
	return a;
}

/* Count a call that was not timed: the whole of the default's work for most calls. */
static __always_inline void count_call(__u32 tgid, __u32 nr, long ret)
{
	struct sc_agg *a = hot_entry(tgid, nr);

	if (!a)
		return;
	a->count++;
	if ((unsigned long)ret >= (unsigned long)-MAX_ERRNO)
		a->errors++;
}

/* Count a timed call and its latency LAT. */
static __always_inline void count_timed(__u32 tgid, __u32 nr, long ret, __u64 lat)
{
	struct sc_agg *a = hot_entry(tgid, nr);
	__u32 b;

	if (!a)
		return;
	a->count++;
	if ((unsigned long)ret >= (unsigned long)-MAX_ERRNO)
		a->errors++;
	a->timed++;
	a->total_ns += lat;
	if (lat > a->max_ns)
		a->max_ns = lat;
	b = log2_bucket(lat, SC_HIST_BUCKETS);
	a->hist[b & (SC_HIST_BUCKETS - 1)]++;
}

static __always_inline __u32 errno_slot(long err)
{
	if (err < SC_ERRNO_BASE)
		return (__u32)err;
	if (err >= 512 && err < 512 + (SC_ERRNO_SLOTS - SC_ERRNO_BASE))
		return (__u32)(SC_ERRNO_BASE + err - 512);
	return SC_ERRNO_SLOTS; /* none */
}

enum why { WHY_NONE, WHY_AUDIT, WHY_ALL, WHY_ERROR, WHY_SLOW };

/*
 * Why call NR (flags FL) that returned RET deserves a row; LAT is 0 when
 * it was not timed.  Under --syscalls=all a failure worth seeing and a
 * slow call keep those reasons: only rows of WHY_ALL give way to counts
 * under overload (bpf/shed.bpf.h), and a slow row says what it waited on.
 */
static __always_inline int why_row(__u8 fl, long ret, __u64 lat)
{
	if ((fl & (SCF_EMIT | SCF_ARGS)) == (SCF_EMIT | SCF_ARGS))
		return WHY_AUDIT;
	if (error_rows && (unsigned long)ret >= (unsigned long)-MAX_ERRNO) {
		__u32 s = errno_slot(-ret);
		__u8 ef = 0;

		barrier_var(s); /* keep the bound test where the verifier can see it */
		if (s < SC_ERRNO_SLOTS)
			ef = sc_errno_flags[s];
		if ((ef & SCE_ANY) || ((ef & SCE_OPEN) && (fl & SCF_OPEN)) || ((ef & SCE_NOT_WAIT) && !(fl & SCF_WAIT)))
			return WHY_ERROR;
	}
	if (slow_ns && lat >= slow_ns && !(fl & SCF_WAIT))
		return WHY_SLOW;
	return fl & SCF_EMIT ? WHY_ALL : WHY_NONE;
}

/* The errno name of a failed RET into OUT (SC_ERRNO_LEN bytes), "" when it did not fail. */
static __always_inline void error_name(char *out, long ret)
{
	out[0] = '\0';
	if ((unsigned long)ret >= (unsigned long)-MAX_ERRNO) {
		__u32 s = errno_slot(-ret);

		barrier_var(s);
		if (s < SC_ERRNO_SLOTS && sc_errno_names[s][0]) {
			__builtin_memcpy(out, (const char *)sc_errno_names[s], SC_ERRNO_LEN);
		} else { /* E and the number */
			long v = -ret;
			out[0] = 'E';
			out[1] = '0' + (v / 1000) % 10;
			out[2] = '0' + (v / 100) % 10;
			out[3] = '0' + (v / 10) % 10;
			out[4] = '0' + v % 10;
			out[5] = '\0';
		}
	}
}

/* A successful call of --syscalls=all without decoded arguments: 64 bytes. */
static __always_inline void write_brief(__u64 pt, __u32 nr, long ret, __u64 lat)
{
	struct fr_syscall_brief *e;

	e = event_reserve(sizeof(*e), FR_EV_SYSCALL_BRIEF);
	if (!e)
		return;
	e->ts = bpf_ktime_get_boot_ns() - lat;
	e->pid = pt >> 32;
	e->tid = (__u32)pt;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->ret = ret;
	e->latency_ns = lat;
	e->nr = nr;
	e->uid = (__u32)bpf_get_current_uid_gid();
	event_submit(e);
}

static __always_inline void set_reason(char *reason, int why)
{
	switch (why) {
	case WHY_AUDIT: __builtin_memcpy(reason, "audit", 6); break;
	case WHY_ALL: __builtin_memcpy(reason, "all", 4); break;
	case WHY_ERROR: __builtin_memcpy(reason, "error", 6); break;
	default: __builtin_memcpy(reason, "slow", 5); break;
	}
}

/* A row for one call; T holds its decoded arguments (audit set), or NULL. */
static __always_inline void write_row(__u64 pt, __u32 nr, __u8 fl, long ret, __u64 lat, int why, struct sc_text *t)
{
	struct fr_syscall *e;

	if (why == WHY_ALL && !(fl & SCF_ARGS) && (unsigned long)ret < (unsigned long)-MAX_ERRNO) {
		write_brief(pt, nr, ret, lat);
		return;
	}
	e = event_reserve(sizeof(*e), FR_KIND_syscall);
	if (!e)
		return;
	e->ts = bpf_ktime_get_boot_ns() - lat;
	e->span_ns = 0;
	e->count = 1;
	e->pid = pt >> 32;
	e->tid = (__u32)pt;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->name, (const char *)sc_names[nr], SC_NAME_LEN);
	if (t) {
		__builtin_memcpy(e->args, t->buf, SC_ARGS_LEN);
		e->args[SC_ARGS_LEN - 1] = '\0';
	} else if (fl & SCF_ARGS) {
		__builtin_memcpy(e->args, "(args lost)", 12);
		lost(SC_LOST_ARGS);
	} else {
		e->args[0] = '\0';
	}
	e->ret = ret;
	error_name(e->error, ret);
	e->latency_ns = lat;
	e->nr = nr;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->fd_kind[0] = '\0';
	if (why == WHY_SLOW) /* what it waited on: a disk, a peer, a pipe, a person */
		fdkind_of_arg0(e->fd_kind, nr);
	set_reason(e->reason, why);
	event_submit(e);
}

/* The row of the repeats slot F counted, to the ring. */
static __noinline void fold_send(struct sc_fold *f)
{
	struct fr_syscall *e = event_reserve(sizeof(*e), FR_KIND_syscall);
	__u32 nr = f->nr & (SC_NR_MAX - 1);

	if (!e)
		return;
	e->ts = f->first_ts;
	e->span_ns = f->last_ts - f->first_ts;
	e->count = f->count;
	e->pid = f->tgid;
	e->tid = f->tid;
	__builtin_memcpy(e->comm, f->comm, sizeof(e->comm));
	__builtin_memcpy(e->name, (const char *)sc_names[nr], SC_NAME_LEN);
	__builtin_memcpy(e->args, f->args, SC_ARGS_LEN);
	e->ret = f->ret;
	__builtin_memcpy(e->error, f->error, SC_ERRNO_LEN);
	e->latency_ns = f->latency_ns;
	e->nr = nr;
	e->uid = f->uid;
	__builtin_memcpy(e->reason, "audit", 6);
	e->fd_kind[0] = '\0';
	event_submit(e);
}

/* Whether the call (TGID, NR, RET, T) is the one slot F keeps. */
static __always_inline int fold_same(const struct sc_fold *f, __u32 tgid, __u32 nr, long ret, const struct sc_text *t)
{
	__u32 words = (t->len + 8) / 8; /* the NUL included */

	if (f->tgid != tgid || f->nr != nr || f->len != t->len)
		return 0;
	/* the same errno, or success (an fd number may differ from call to call) */
	if (ret < 0 || f->ret < 0 ? ret != f->ret : 0)
		return 0;
	for (__u32 i = 0; i < SC_ARGS_LEN / 8; i++) {
		if (i >= words)
			break;
		if (((const __u64 *)f->args)[i] != ((const __u64 *)t->buf)[i])
			return 0;
	}
	return 1;
}

/*
 * An audit call: 1 when it repeats the call this CPU's slot keeps and was
 * only counted there; 0 when it is new, and its row is for the caller to
 * write now (the slot sends the repeats it held and keeps this call).
 */
static __noinline int fold_row(__u64 pt, __u32 nr, long ret, __u64 lat, struct sc_text *t)
{
	__u32 tgid = pt >> 32, tid = (__u32)pt;
	__u32 k = (sc_gen & 1) * SC_FOLD_SLOTS + (sc_fold_idx[nr & (SC_NR_MAX - 1)] & (SC_FOLD_SLOTS - 1));
	struct sc_fold *f = bpf_map_lookup_elem(&sc_folds, &k);
	__u64 ts;

	if (!f)
		return 0;
	ts = bpf_ktime_get_boot_ns() - lat;
	if (f->used && fold_same(f, tgid, nr, ret, t)) {
		if (!f->count++) { /* the first repeat: the row of the repeats is its */
			f->first_ts = ts;
			f->latency_ns = lat;
			f->tid = tid;
			f->ret = ret;
			f->uid = (__u32)bpf_get_current_uid_gid();
			bpf_get_current_comm(f->comm, sizeof(f->comm));
			error_name(f->error, ret);
		}
		f->last_ts = ts;
		return 1;
	}
	if (f->count)
		fold_send(f);
	f->used = 1;
	f->count = 0;
	f->ret = ret;
	f->tgid = tgid;
	f->nr = nr;
	f->len = t->len;
	__builtin_memcpy(f->args, t->buf, SC_ARGS_LEN);
	f->args[SC_ARGS_LEN - 1] = '\0';
	return 0;
}

/*
 * Everything the exit does once the call is known: count it (LAT is its
 * latency when TIMED), and write or fold its row if it deserves one.
 * T: its decoded arguments (audit set), or NULL.
 */
static __always_inline void on_return(__u64 pt, __u32 nr, __u8 fl, long ret, __u64 lat, int timed, struct sc_text *t)
{
	int why;

	if (fl & SCF_COUNT) {
		if (timed)
			count_timed(pt >> 32, nr, ret, lat);
		else
			count_call(pt >> 32, nr, ret);
	}
	why = why_row(fl, ret, lat);
	if (why == WHY_NONE)
		return;
	if (why == WHY_ALL && event_shed(SHED_ROWS)) /* overload: the row gives way, the count stays */
		return;
	if (t && t->aux && ret >= 0) { /* accept: the peer it returned */
		ap_key(t, "peer");
		ap_sockaddr(t, (const void *)t->aux, 28);
		t->buf[t->len & SC_MASK] = '\0';
	}
	/* a new call's row goes out now, whoever waits for it (triggers, the classifier); repeats wait */
	if (!(why == WHY_AUDIT && (fl & SCF_FOLD) && t && fold_row(pt, nr, ret, lat, t)))
		write_row(pt, nr, fl, ret, lat, why, t);
}

/* --- the programs ------------------------------------------------------------ */

/*
 * Whether the exit looks for HTTP, and whether that is all it does, once
 * http_on says the family is on (off, the verifier drops the whole test:
 * the default mode runs the very instructions it ran before).  Tested
 * on copies the verifier cannot tie to FL: a test of FL itself (a JSET)
 * would teach it the bit, and the rest of sys_exit would be walked once
 * with it set and once without (sys_exit_tid then went past the verifier's
 * million instructions).
 */
static __always_inline int http_wants(__u8 fl)
{
	__u8 h = fl & SCF_HTTP;

	barrier_var(h);
	return h != 0;
}

static __always_inline int http_only(__u8 fl)
{
	__u8 o = fl & ~SCF_HTTP;

	barrier_var(o);
	return o == 0;
}

/*
 * Task storage (5.11+).  tp_btf: regs is a typed pointer, read directly.
 * Only calls that are timed or decoded do anything at entry: a call that
 * is only counted leaves at the first test, and the exit counts it alone.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task;
	struct sc_start *st;
	__u8 fl;

	if ((__u64)id >= SC_NR_MAX)
		return 0;
	fl = sc_flags[id] & (SCF_TRACK | SCF_ARGS);
	if (!fl)
		return 0;
	/* ids from the typed task: loads, cheaper than bpf_get_current_pid_tgid() */
	task = bpf_get_current_task_btf();
	if (task->tgid == self_tgid)
		return 0;
	if (task->thread_info.status & TS_COMPAT)
		return 0; /* an i386 call: its number means another call */
	if (fl & SCF_ARGS) {
		struct sc_text *t = bpf_task_storage_get(&sc_args, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		int parg = open_path_arg(id);

		if (!t)
			lost(SC_LOST_ARGS);
		else if (parg >= 0)
			decode_open(t, regs, id, parg);
		else
			decode_call(t, regs, id, 1);
	}
	if (switch_on) {
		struct sc_cur *c = cur_slot();

		if (!c)
			return 0;
		/* audit rows keep their whole latency: they are a few calls in ten */
		c->ts = time_all || (fl & SCF_ARGS) ? bpf_ktime_get_ns() : 0;
		c->nr = id;
		/*
		 * The owner last: a program preempted here (a preemptible
		 * kernel) must not let sc_switch move an older call's ts.
		 */
		barrier();
		c->task = (__u64)task;
		return 0;
	}
	st = bpf_task_storage_get(&sc_starts, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		lost(SC_LOST_START);
		return 0;
	}
	st->nr = id;
	st->ts = bpf_ktime_get_ns();
	return 0;
}

/*
 * The default mode (exit_only) has no sys_enter program: an empty one alone
 * costs each call about what all the exit's work does.  What the entry
 * did, this finds out when a task leaves the CPU: whether it is inside a
 * timed call, and which.  The registers the call saved on entering the
 * kernel say so: orig_ax holds the call's number from the entry to the
 * return to user space (any interrupt or exception taken from user mode
 * writes -1 there instead), and ax holds -ENOSYS until the call's body
 * returns and its result replaces it, so a task preempted on its way
 * out, after its exit was counted, is not taken for one still inside.
 * A kernel thread has no such frame.  The call waits from now: its start
 * goes to the task's storage, unless a start of the same call is already
 * there (it left the CPU before, in the same call).
 */
static __always_inline int switch_in_call(struct task_struct *prev)
{
	struct pt_regs *regs;
	struct sc_start *st;
	__u64 nr;

	if (prev->flags & (PF_KTHREAD | PF_IO_WORKER) || prev->tgid == self_tgid)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(prev);
	nr = regs->orig_ax;
	if (nr >= SC_NR_MAX || regs->ax != (unsigned long)-ENOSYS)
		return 0;
	if (!(sc_flags[nr] & SCF_TRACK) || (prev->thread_info.status & TS_COMPAT))
		return 0;
	st = bpf_task_storage_get(&sc_starts, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		lost(SC_LOST_START);
		return 0;
	}
	if (st->ts && st->nr == nr)
		return 0;
	st->nr = nr;
	st->ts = bpf_ktime_get_ns();
	return 0;
}

/*
 * Whether NR makes a new task.  A mask instead of comparisons: a branch
 * on NR == 56 would have the verifier walk the rest of the exit once more
 * with NR known to be 56, and once more for each of the others.
 */
static __always_inline int is_fork(__u64 nr)
{
	__u64 n = nr;

	barrier_var(n);
	if (n >= 64)
		return n == NR_clone3;
	return (1ULL << n) & ((1ULL << NR_clone) | (1ULL << NR_fork) | (1ULL << NR_vfork)) ? 1 : 0;
}

/*
 * exit_only: whether NEXT, about to run, left the CPU inside a timed call
 * (its start is in its storage).  sc_switch notes it in the CPU's slot,
 * so that the exit of the many calls that never waited looks no further
 * than that slot: a task storage lookup at every exit cost more.
 */
static __always_inline int next_waits(struct task_struct *next)
{
	struct sc_start *st;

	if (next->flags & (PF_KTHREAD | PF_IO_WORKER))
		return 0;
	st = bpf_task_storage_get(&sc_starts, next, 0, 0);
	return st && st->ts;
}

/*
 * The arguments of audit call NR that returned RET, at its exit
 * (exit_only), from the registers it entered with, which the kernel
 * keeps, decoded into T.  A successful execve has replaced them (the new
 * program starts with zeroed registers): sc_exec took its path into the
 * task's sc_args, copied from there.  0 when there is none.
 */
static __always_inline int args_at_exit(struct sc_text *t, struct task_struct *task, struct pt_regs *regs,
					__u64 nr, long ret)
{
	int parg;

	if ((nr == SC_NR_execve || nr == SC_NR_execveat) && ret == 0) {
		struct sc_text *e = bpf_task_storage_get(&sc_args, task, 0, 0);

		if (!e || e->nr != nr)
			return 0;
		__builtin_memcpy(t, e, sizeof(*t));
		e->nr = SC_NR_MAX; /* used */
		return 1;
	}
	parg = open_path_arg(nr);
	if (parg >= 0)
		decode_open(t, regs, nr, parg);
	else
		decode_call(t, regs, nr, 1);
	return 1;
}

/* exit_only: the latency of call NR into *LAT if it waited (sc_switch noted when), else 0. */
static __always_inline int waited(struct task_struct *task, __u64 nr, __u64 *lat)
{
	struct sc_start *st = bpf_task_storage_get(&sc_starts, task, 0, 0);
	int timed = 0;

	if (st && st->ts) {
		if (st->nr == nr) {
			*lat = bpf_ktime_get_ns() - st->ts;
			timed = 1;
		}
		st->ts = 0; /* any other is stale */
	}
	return timed;
}

/*
 * A task leaves the CPU: if it is inside a timed call, its start moves
 * from the CPU's slot to the task's storage, where its exit, on whatever
 * CPU, looks when the slot is not its own.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(sc_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct sc_cur *c;
	struct sc_start *st;

	c = cur_slot();
	if (exit_only) {
		switch_in_call(prev);
		if (c)
			c->task = next_waits(next) ? (__u64)next : 0;
		return 0;
	}
	if (!c || c->task != (__u64)prev)
		return 0;
	c->task = 0;
	st = bpf_task_storage_get(&sc_starts, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		lost(SC_LOST_START);
		return 0;
	}
	st->nr = c->nr;
	st->ts = c->ts ? c->ts : bpf_ktime_get_ns(); /* the call waits from now */
	return 0;
}

/*
 * exit_only: a successful execve's exit finds the new program's zeroed
 * registers, so its path is taken here, once the kernel holds it (the
 * name as the caller gave it; an execveat relative to a directory fd
 * shows as /dev/fd/N/NAME, and its flags are not seen).
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	struct sc_text *t;
	__u64 nr;
	long n;

	if (task->tgid == self_tgid)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	nr = regs->orig_ax;
	if (nr != SC_NR_execve && nr != SC_NR_execveat)
		return 0;
	t = bpf_task_storage_get(&sc_args, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		lost(SC_LOST_ARGS);
		return 0;
	}
	t->nr = nr;
	t->aux = 0;
	__builtin_memcpy(t->buf, "path=\"", 6);
	n = bpf_probe_read_kernel_str(&t->buf[6], SC_ARGS_LEN - 8, BPF_CORE_READ(bprm, filename));
	if (n < 1)
		n = 1;
	t->len = 6 + (__u32)n - 1;
	t->buf[t->len & SC_MASK] = '"';
	t->len++;
	t->buf[t->len & SC_MASK] = '\0';
	return 0;
}

/*
 * exit_only: the two halves of an audit call's exit, sys_exit_audit (0)
 * and sys_exit_audit_row (1), put here by the recorder after the load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} sc_exit_audit SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u64 nr = regs->orig_ax, pt, lat = 0;
	struct task_struct *task;
	struct sc_start *st;
	struct sc_text *t = NULL;
	int timed = 0;
	__u8 fl;

	if (nr >= SC_NR_MAX)
		return 0;
	/*
	 * Before the flags: in audit mode the read/write family has none.
	 * One load unless a thread is inside a handshake call; the call
	 * number is tested in there, where the verifier learns nothing of it.
	 */
	if (tls_note && tls_any_inflight())
		tls_exit_note(nr, regs->di);
	/* its tests in there too: bounds learnt here on nr and ret would double the states walked below */
	if (dns_note)
		dns_exit_check(nr, ret, regs->di, regs->si, regs->r8);
	fl = sc_flags[nr];
	if (!fl)
		return 0;
	task = bpf_get_current_task_btf();
	if (task->tgid == self_tgid)
		return 0;
	if (http_on && http_wants(fl)) {
		http_exit(nr, ret, regs->di, regs->si);
		if (http_only(fl))
			return 0;
	}
	pt = ((__u64)task->tgid << 32) | (__u32)task->pid;
	if (!(fl & (SCF_TRACK | SCF_ARGS))) {
		if (task->thread_info.status & TS_COMPAT)
			return 0;
		on_return(pt, nr, fl, ret, 0, 0, NULL);
		return 0;
	}
	if (exit_only) {
		struct sc_cur *c;

		if (task->thread_info.status & TS_COMPAT)
			return 0;
		/* a new task's first return, from the clone its parent made: the parent counts it */
		if (ret == 0 && is_fork(nr))
			return 0;
		if (fl & SCF_ARGS) {
			/* an audit call: sys_exit_audit, which the verifier walks on its own */
			bpf_tail_call(ctx, &sc_exit_audit, 0);
			lost(SC_LOST_ARGS); /* and its row says "(args lost)" */
		}
		c = cur_slot();
		if (c && c->task == (__u64)task) { /* it left the CPU since it entered (sc_switch) */
			c->task = 0;
			timed = waited(task, nr, &lat);
		}
		goto known;
	}
	if (switch_on) {
		struct sc_cur *c = cur_slot();

		if (c && c->task == (__u64)task) {
			/* it never left the CPU */
			c->task = 0;
			if (c->nr != nr)
				return 0;
			if (c->ts) {
				lat = bpf_ktime_get_ns() - c->ts;
				timed = 1;
			}
			goto args_from_entry;
		}
	}
	st = bpf_task_storage_get(&sc_starts, task, 0, 0);
	/* None: it entered before we attached, or it is a new task's first return from clone. */
	if (!st || !st->ts || st->nr != nr)
		return 0;
	lat = bpf_ktime_get_ns() - st->ts;
	st->ts = 0;
	timed = 1;
args_from_entry:
	if (fl & SCF_ARGS) {
		t = bpf_task_storage_get(&sc_args, task, 0, 0);
		if (t && t->nr != nr)
			t = NULL;
	}
known:
	on_return(pt, nr, fl, ret, lat, timed && (fl & SCF_TRACK), t);
	if (t)
		t->nr = SC_NR_MAX; /* used: never matches a call */
	return 0;
}

/*
 * exit_only: the exit of an audit call, in two halves that sys_exit
 * reaches by tail calls, each walked by the verifier on its own: the
 * decoder (sys_enter's before) and the row together passed its million
 * instructions.  This half times the call and decodes its arguments
 * into this CPU's scratch text.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_audit, struct pt_regs *regs, long ret)
{
	__u64 nr = regs->orig_ax, lat = 0;
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 zero = 0;
	struct sc_text *t = bpf_map_lookup_elem(&sc_scratch, &zero);

	struct sc_cur *c = cur_slot();

	if (!t || nr >= SC_NR_MAX)
		return 0;
	if (c && c->task == (__u64)task)
		c->task = 0;
	t->timed = waited(task, nr, &lat);
	t->lat = lat;
	if (!args_at_exit(t, task, regs, nr, ret))
		t->nr = SC_NR_MAX; /* none: the row says "(args lost)" */
	bpf_tail_call(ctx, &sc_exit_audit, 1);
	lost(SC_LOST_ARGS);
	return 0;
}

/* The second half: count the call and write or fold its row. */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_audit_row, struct pt_regs *regs, long ret)
{
	__u64 nr = regs->orig_ax, pt;
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 zero = 0;
	struct sc_text *t = bpf_map_lookup_elem(&sc_scratch, &zero);
	__u8 fl;

	if (!t || nr >= SC_NR_MAX)
		return 0;
	fl = sc_flags[nr];
	pt = ((__u64)task->tgid << 32) | (__u32)task->pid;
	on_return(pt, nr, fl, ret, t->lat, t->timed && (fl & SCF_TRACK), t->nr == nr ? t : NULL);
	return 0;
}

/* Before 5.11: the start keyed by tid in an LRU hash, the task read with CO-RE. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_tid, struct pt_regs *regs, long id)
{
	struct task_struct *task;
	struct sc_start *st, s0 = {};
	__u32 tid;
	__u64 pt;
	__u8 fl;

	if ((__u64)id >= SC_NR_MAX)
		return 0;
	fl = sc_flags[id] & (SCF_TRACK | SCF_ARGS);
	if (!fl)
		return 0;
	pt = bpf_get_current_pid_tgid();
	if ((pt >> 32) == self_tgid)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, thread_info.status) & TS_COMPAT)
		return 0;
	tid = (__u32)pt;
	if (fl & SCF_ARGS)
		capture_args_tid(regs, id, tid);
	st = bpf_map_lookup_elem(&sc_starts_tid, &tid);
	if (st) {
		st->nr = id;
		st->ts = bpf_ktime_get_ns();
		return 0;
	}
	s0.nr = id;
	s0.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&sc_starts_tid, &tid, &s0, BPF_ANY))
		lost(SC_LOST_START);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_tid, struct pt_regs *regs, long ret)
{
	__u64 nr = BPF_CORE_READ(regs, orig_ax), pt, lat;
	struct sc_start *st;
	struct sc_text *t = NULL;
	__u32 tid;
	__u8 fl;

	if (nr >= SC_NR_MAX)
		return 0;
	fl = sc_flags[nr];
	if (!fl)
		return 0;
	pt = bpf_get_current_pid_tgid();
	if ((pt >> 32) == self_tgid)
		return 0;
	if (http_on && http_wants(fl)) {
		http_exit(nr, ret, BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si));
		if (http_only(fl))
			return 0;
	}
	if (!(fl & (SCF_TRACK | SCF_ARGS))) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		if (BPF_CORE_READ(task, thread_info.status) & TS_COMPAT)
			return 0;
		on_return(pt, nr, fl, ret, 0, 0, NULL);
		return 0;
	}
	tid = (__u32)pt;
	st = bpf_map_lookup_elem(&sc_starts_tid, &tid);
	if (!st || !st->ts || st->nr != nr)
		return 0;
	lat = bpf_ktime_get_ns() - st->ts;
	st->ts = 0;
	if (fl & SCF_ARGS) {
		t = bpf_map_lookup_elem(&sc_pending, &tid);
		if (t && t->nr != nr)
			t = NULL;
	}
	on_return(pt, nr, fl, ret, lat, fl & SCF_TRACK, t);
	if (t)
		bpf_map_delete_elem(&sc_pending, &tid);
	return 0;
}
