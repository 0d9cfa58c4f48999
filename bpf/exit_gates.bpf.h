/*
 * exit_gates.bpf.h - the one page the syscall family's sys_exit reads on
 * every exit to know whether another family wants anything of it: how
 * many threads are inside a probed libssl call (bpf/tls_sock.bpf.h), and
 * which processes talk to a DNS server (bpf/dns_sock.bpf.h, through a
 * cache of its hash).
 *
 * One map, one page, declared by the three objects that use it (syscall,
 * tls, dns) and created once by the first (probes_share_maps): every page
 * a program touches per call may cost a TLB miss, and on a kernel with
 * page-table isolation (PTI) the kernel's TLB entries do not outlive a
 * return to user space.  Mapped by the recorder too, which takes back the
 * count of a thread that died inside a call (recorder/family_tls.c) and
 * adds to the epoch for the processes it finds at start
 * (recorder/dns_scan.c).
 */
#ifndef FR_EXIT_GATES_BPF_H
#define FR_EXIT_GATES_BPF_H

#define EXIT_GATES_SEEN 64 /* the cache of noted processes, direct-mapped by tgid */

struct exit_gates {
	__s64 tls_inflight; /* threads inside a probed libssl call */
	__u64 dns_epoch;    /* processes noted in dns_procs so far */
	__u64 pad[6];       /* the counters' cache line is read on every exit: the cache below is written */
	/*
	 * Whether process tgid is in dns_procs, as of an epoch: tgid << 32 |
	 * (epoch & 0x7fffffff) << 1 | noted.  One 64-bit store each, so a
	 * race between CPUs leaves an entry of one of them, never a mix.
	 */
	__u64 dns_seen[EXIT_GATES_SEEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exit_gates);
} exit_gates SEC(".maps");

static __always_inline struct exit_gates *exit_gates_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&exit_gates, &zero);
}

#endif
