/*
 * syscall_abi.bpf.h - what bpf/syscall.bpf.c and its loader
 * (recorder/family_syscall.c) share: the per-call-number flags the loader
 * fills for the chosen --syscalls mode, the audit set, the key and value of
 * the per-second aggregation map, and the slots of the lost-event counter.
 * Plain C, no BPF helpers, so that user space can include it too.  Not part
 * of the file format: the records are described in schema/records.def.
 */
#ifndef FR_SYSCALL_ABI_BPF_H
#define FR_SYSCALL_ABI_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "flightrec.h"

#define SC_NR_MAX 512        /* x86_64 call numbers are below this; x32 ones (bit 30 set) are not */
#define SC_NAME_LEN 24       /* longest x86_64 name: landlock_create_ruleset, 23 */
#define SC_ERRNO_LEN 24      /* longest errno name: ERESTART_RESTARTBLOCK, 21 */
#define SC_ERRNO_BASE 134    /* slots 0-133: errno 0-133; 134-141: kernel codes 512-519 */
#define SC_ERRNO_SLOTS 142
#define SC_ARGS_LEN 256      /* the args field of a syscall record */
#define SC_ARGS_BUF 512      /* twice that, so a masked offset plus a bounded copy always fits */
#define SC_HIST_BUCKETS 32   /* bucket b: latency in [2^b, 2^(b+1)) ns; the last one open-ended */
#define SC_STATS_MAX 16384   /* (pid, call) pairs per second before counts are lost (3.8 MB a generation) */

/* sc_flags[nr]: what the mode wants of call NR. */
enum sc_flag {
	SCF_TRACK = 1 << 0, /* time it: note when it enters (latency, histogram, slow rows) */
	SCF_COUNT = 1 << 1, /* count it in syscall_stats */
	SCF_EMIT = 1 << 2,  /* a syscalls row for every call */
	SCF_ARGS = 1 << 3,  /* the audit set: decode its arguments */
	SCF_OPEN = 1 << 4,  /* the open family: ENOENT is worth a row */
	SCF_WAIT = 1 << 5,  /* waits by design: neither slow nor ETIMEDOUT is news */
	SCF_HTTP = 1 << 6,  /* the read/write family: look for HTTP/1.x at exit (bpf/http.bpf.h) */
	SCF_FOLD = 1 << 7,  /* audit rows: identical repeats folded into one row (struct sc_fold) */
};

/* sc_errno_flags[slot]: when a failure with this errno is worth a row (summary). */
enum sc_errno_flag {
	SCE_ANY = 1 << 0,      /* from any call */
	SCE_OPEN = 1 << 1,     /* from the open family only */
	SCE_NOT_WAIT = 1 << 2, /* from any call but those that wait by design */
};

struct sc_key {
	__u32 tgid;
	__u32 nr;
};

/* Per (process, call) since the last drain: per CPU in sc_hot, summed in sc_stats_a/b. */
struct sc_agg {
	__u64 count;
	__u64 errors;
	__u64 timed;   /* of count, those whose latency was measured (SCF_TRACK): total_ns, max_ns, hist */
	__u64 total_ns;
	__u64 max_ns;
	__u32 hist[SC_HIST_BUCKETS];
	char comm[16]; /* of the thread that made the first call of the interval on this CPU */
};

/*
 * The hot path counts into sc_hot, an array of each CPU's slots indexed by
 * call number, for the processes that own its two ways on that CPU (no
 * hash lookup while they keep calling).  Two ways, because two processes that wake each other
 * (a client and its server, a pipe's two ends) alternate on one CPU: with
 * one owner, each switch between them flushed the other's counts.  When a
 * third process calls on that CPU, the way used least recently is
 * flushed: its touched entries are merged into the hash and cleared; so
 * are a way's when its owner has touched SC_HOT_LIST calls.  Slots
 * [(gen * SC_HOT_WAYS + way) * SC_HOT_SLOTS, ... + SC_HOT_SLOTS) per
 * generation and way, the last one of each being the header below, laid
 * over a struct sc_agg.
 */
#define SC_HOT_SLOTS (SC_NR_MAX + 1)
#define SC_HOT_WAYS 2
/*
 * CPU c's slots are [c * SC_HOT_PER_CPU, (c + 1) * SC_HOT_PER_CPU) of one
 * plain array (mapped by the recorder), not a per-CPU array: a per-CPU
 * array's slot cost sys_exit ~35 ns more to reach, on a kernel with
 * page-table isolation, than the same slot of a plain array.  The last
 * slot of each CPU is unused: two CPUs' counts never share a cache line.
 */
#define SC_HOT_PER_CPU (2 * SC_HOT_WAYS * SC_HOT_SLOTS + 1)
#define SC_HOT_LIST SC_HIST_BUCKETS /* calls touched before a flush */

struct sc_hot_hdr {
	__u64 owner;                /* tgid + 1 of the process counted here, 0: none */
	__u64 n;                    /* entries in nrs */
	__u64 mru;                  /* way 0's header only: the way used last */
	__u64 unused[2];
	__u32 nrs[SC_HOT_LIST];     /* the call numbers touched since the last flush */
	char unused_comm[16];
};

/* Slots of the per-CPU sc_lost counter; each becomes a drop record "syscall". */
enum sc_lost_slot {
	SC_LOST_STATS = 0, /* calls not counted: the aggregation map was full */
	SC_LOST_START = 1, /* calls not timed nor reported: no room to note their start */
	SC_LOST_ARGS = 2,  /* rows whose arguments were lost (shown as "(args lost)") */
	SC_LOST_SLOTS = 3,
};

/*
 * Folding of audit rows: each CPU keeps, per audit call and generation, the
 * last call it wrote a row for.  A call identical to it (same process,
 * call, decoded arguments and result: the same errno, or success) writes
 * no row: it adds to count and moves last_ts.  Any other call of that
 * number writes its own row at once and takes the slot, which first sends
 * a row for the repeats it counted, if any; the recorder takes the repeats
 * left in the old generation each second.  So every distinct call is a
 * row as it happens, and N identical ones within about a second are that
 * row and one more that stands for the N - 1 repeats, from first to last.
 */
#define SC_FOLD_SLOTS 64 /* >= the number of audit calls */

struct sc_fold {
	__u64 count;      /* repeats counted since the row of the call it keeps */
	__u64 first_ts;   /* boot ns: entry of the first repeat */
	__u64 last_ts;    /* boot ns: entry of the last */
	__u64 latency_ns; /* of the first repeat */
	__s64 ret;        /* the call's result; then that of the first repeat */
	__u32 tgid, tid, nr, uid;
	__u32 len;        /* of args, without the NUL */
	__u32 used;       /* 1: the slot keeps a call (tgid, nr, len, args, ret) */
	char comm[16];
	char error[SC_ERRNO_LEN];
	char args[SC_ARGS_LEN];
};

/*
 * The audit set: calls whose every occurrence is recorded with decoded
 * arguments (in audit, summary and all modes).  X(name, x86_64 number).
 */
#define SC_AUDIT_CALLS(X)                                                                           \
	X(open, 2) X(openat, 257) X(openat2, 437) X(creat, 85)                                      \
	X(execve, 59) X(execveat, 322)                                                              \
	X(connect, 42) X(accept, 43) X(accept4, 288) X(bind, 49) X(listen, 50)                      \
	X(unlink, 87) X(unlinkat, 263) X(rename, 82) X(renameat, 264) X(renameat2, 316)             \
	X(chmod, 90) X(fchmodat, 268) X(fchmodat2, 452) X(chown, 92) X(lchown, 94) X(fchownat, 260) \
	X(setuid, 105) X(setgid, 106) X(setreuid, 113) X(setregid, 114) X(setresuid, 117)          \
	X(setresgid, 119) X(capset, 126) X(ptrace, 101)                                             \
	X(mount, 165) X(umount2, 166) X(unshare, 272) X(setns, 308) X(pivot_root, 155)              \
	X(init_module, 175) X(finit_module, 313) X(bpf, 321)                                        \
	X(kill, 62) X(tkill, 200) X(tgkill, 234)

#define SC_X_ENUM(name, nr) SC_NR_##name = nr,
enum sc_audit_nr { SC_AUDIT_CALLS(SC_X_ENUM) };
#undef SC_X_ENUM

/* The fold slot of each audit call: its place in SC_AUDIT_CALLS. */
#define SC_X_IDX(name, nr) SC_FOLD_##name,
enum sc_fold_idx { SC_AUDIT_CALLS(SC_X_IDX) SC_FOLD_USED };
#undef SC_X_IDX
_Static_assert(SC_FOLD_USED <= SC_FOLD_SLOTS, "more audit calls than fold slots");

/*
 * A call recorded only because of --syscalls=all, that took no arguments
 * worth decoding and did not fail, crosses the ring as this 64-byte event
 * instead of a 400-byte fr_syscall: the recorder adds the name, the empty
 * args and error, and the reason "all".  Six times less ring per call is
 * what lets the default ring absorb a flood while the recorder waits for
 * a CPU.
 */
#define FR_EV_SYSCALL_BRIEF (FR_KIND_MAX + 1)
struct fr_syscall_brief {
	struct fr_head head;
	__u64 ts;
	__u32 pid;
	__u32 tid;
	char comm[16];
	__s64 ret;
	__u64 latency_ns;
	__u32 nr;
	__u32 uid; /* real uid when the call returned */
};

#endif
