/*
 * dns_sock.bpf.h - the processes that talk to a DNS server, shared by the
 * two objects that may read their DNS messages.
 *
 * bpf/dns.bpf.c's cgroup/connect4, connect6, sendmsg4 and sendmsg6 hooks,
 * which run in the process that connects a socket to port 53 or sends an
 * unconnected datagram there, note that process here; so does the
 * recorder at start for the processes that hold such a socket already
 * (recorder/dns_scan.c).  By default the syscall family's sys_exit then
 * reads the messages those processes send and receive from their own
 * buffers (bpf/dns_exit.bpf.h), and no program runs per packet.  When
 * that exit is not there, the dns object's cgroup_skb programs read every
 * packet instead, and these maps are its own, written and never read.
 *
 * A noted process stays noted until the LRU hash needs its slot: a
 * process is never un-noted when it stops asking (its later sends and
 * receives only cost a socket lookup each), and a pid reused by another
 * process is noted too, with the same cost and no false row (a row needs
 * a socket whose peer is on port 53).
 *
 * exit_gates' dns_epoch counts the notes of new processes: sys_exit keeps
 * in the same page whether the processes it saw last were noted and at
 * which epoch, and looks in the hash again only when the epoch moved.
 */
#ifndef FR_DNS_SOCK_BPF_H
#define FR_DNS_SOCK_BPF_H

#include "exit_gates.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tgid */
	__type(value, __u32); /* 1 */
} dns_procs SEC(".maps");

/* Note process TGID as one that talks to a DNS server. */
static __always_inline void dns_note_proc(__u32 tgid)
{
	struct exit_gates *g;
	__u32 one = 1;

	if (bpf_map_lookup_elem(&dns_procs, &tgid))
		return;
	bpf_map_update_elem(&dns_procs, &tgid, &one, BPF_ANY);
	/* after the update: a reader that saw the old epoch looks again */
	g = exit_gates_get();
	if (g)
		__sync_fetch_and_add(&g->dns_epoch, 1);
}

#endif
