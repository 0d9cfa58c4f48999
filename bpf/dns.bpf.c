// SPDX-License-Identifier: GPL-2.0
/*
 * dns.bpf.c - DNS lookups, independent of the resolver library, and calls
 * of libc's getaddrinfo.
 *
 * Two ways to the messages.  By default the syscall family's sys_exit
 * reads them from the buffers of the processes the hooks below note
 * (bpf/dns_exit.bpf.h), and the packet programs are not loaded: they cost
 * every packet of the host.  When that exit is not there (the syscall
 * family off, failed, or in its pre-5.11 mode) the packets are read:
 *
 * Packets: two cgroup_skb programs on the root of the cgroup v2 hierarchy
 * see every IPv4 and IPv6 packet of every socket of the host.  A UDP or TCP
 * packet leaving for port 53 is a query; one arriving from port 53 is a
 * response (a local server's side of the same exchange, arriving at 53 and
 * leaving from it, is not reported: each lookup is seen once, from the
 * client).  A packet of a connected socket whose peer is not on port 53
 * leaves at once, before any byte of it is read.  The first FR_DNS_CAP bytes of the DNS message cross the ring;
 * the recorder parses the question and the header and pairs each response
 * with its query by transaction id, addresses and ports.  IPv6 extension
 * headers are not followed; a TCP message is read from the start of a
 * segment (after its 2-byte length), which is where resolvers put it.
 * The programs always return 1: the recorder never drops traffic.
 *
 * Who asked: a cgroup_skb program runs where the packet passes, which for
 * a response is softirq context (or, on loopback, the sender's), so the
 * current task says nothing about the socket.  Instead the cgroup/connect4,
 * connect6, sendmsg4 and sendmsg6 hooks, which run in the process that
 * connects or sends (connected UDP as glibc uses, unconnected sendto as Go
 * and musl use, TCP), note that process in the socket's local storage
 * (BPF_MAP_TYPE_SK_STORAGE, freed with the socket) when the destination
 * port is 53, and the packet programs read it from skb->sk.  A UDP socket
 * that connected before the recorder started has no owner yet: its first
 * query leaving names it, since a UDP datagram leaves in the sendmsg() of
 * its sender, where the current task is the sender; that needs
 * bpf_get_current_pid_tgid and bpf_get_current_comm in cgroup_skb programs,
 * which Linux 6.18 gives to privileged programs of every type and older
 * kernels may not: the recorder asks (libbpf_probe_bpf_helper) and sets
 * current_in_skb, so the call is dead code where it would not load.  A TCP
 * segment may leave from softirq context (a retransmission, an ACK-clocked
 * send), so TCP queries are never named that way: a TCP socket connected
 * before the recorder started has pid 0.
 *
 * getaddrinfo: a uprobe and a uretprobe on libc's getaddrinfo (attached to
 * the library file for every process, those that start later included)
 * time each call with a host name, and count the entries of its result
 * list, following ai_next at most 64 times.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "flightrec.h"
#include "dns.bpf.h"
#include "maps.bpf.h"
#include "dns_sock.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the recorder when this kernel lets cgroup_skb programs call
 * bpf_get_current_pid_tgid and bpf_get_current_comm. */
const volatile bool current_in_skb = false;

#define DNS_PORT 53
#define PROTO_TCP 6
#define PROTO_UDP 17
#define GAI_RESULTS_MAX 64
/* struct addrinfo on LP64 Linux (glibc and musl): ai_next after five
 * ints, the address length, and two pointers */
#define AI_NEXT_OFFSET 40

struct owner {
	__u32 pid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct owner);
} dns_owners SEC(".maps");

struct gai_call {
	__u64 start;
	__u64 node; /* const char *, the host */
	__u64 res;  /* struct addrinfo ** */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid: the calling thread */
	__type(value, struct gai_call);
} gai_calls SEC(".maps");

/*
 * In the process that connects or sends to port 53: it owns the socket,
 * and its sends and receives are the ones sys_exit reads when it reads
 * DNS messages (bpf/dns_sock.bpf.h).
 */
static __always_inline void note_owner(struct bpf_sock_addr *ctx)
{
	struct owner *o;

	if (ctx->user_port != bpf_htons(DNS_PORT))
		return;
	dns_note_proc(bpf_get_current_pid_tgid() >> 32);
	o = bpf_sk_storage_get(&dns_owners, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	o->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

SEC("cgroup/connect4")
int handle_connect4(struct bpf_sock_addr *ctx)
{
	note_owner(ctx);
	return 1;
}

SEC("cgroup/connect6")
int handle_connect6(struct bpf_sock_addr *ctx)
{
	note_owner(ctx);
	return 1;
}

SEC("cgroup/sendmsg4")
int handle_sendmsg4(struct bpf_sock_addr *ctx)
{
	note_owner(ctx);
	return 1;
}

SEC("cgroup/sendmsg6")
int handle_sendmsg6(struct bpf_sock_addr *ctx)
{
	note_owner(ctx);
	return 1;
}

/*
 * A packet at the IP layer (offset 0 is the IP header in cgroup_skb):
 * a query when EGRESS and bound for port 53, a response when arriving
 * from port 53.  Everything else leaves after two small loads.
 */
static __always_inline void on_packet(struct __sk_buff *skb, int egress)
{
	struct fr_dns_event *e;
	struct bpf_sock *sk;
	struct owner *o;
	__u8 ip[40], tcp_doff;
	__u16 ports[2]; /* source, destination: network order */
	__u32 off, proto, n, peer, len = skb->len;
	__u64 cnt;
	int v6;

	/*
	 * The fast way out, for most packets: a connected socket (TCP, or
	 * UDP after connect) whose peer's port is not 53.  remote_port is
	 * the socket's, in network order (shifted left 16 on little-endian
	 * hosts: bpf_ntohl undoes both); 0 for an unconnected UDP socket,
	 * whose packets must be read to be told apart.
	 */
	peer = bpf_ntohl(skb->remote_port);
	if (peer && peer != DNS_PORT)
		return;
	/* the shortest DNS message over IPv4 and UDP is 20 + 8 + 12 bytes */
	if (bpf_skb_load_bytes(skb, 0, ip, sizeof(ip)))
		return;
	if ((ip[0] >> 4) == 4) {
		v6 = 0;
		proto = ip[9];
		off = (ip[0] & 0xf) * 4;
		if ((ip[6] & 0x1f) || ip[7])
			return; /* a fragment after the first */
	} else if ((ip[0] >> 4) == 6) {
		v6 = 1;
		proto = ip[6];
		off = 40;
	} else {
		return;
	}
	if (proto != PROTO_UDP && proto != PROTO_TCP)
		return;
	if (bpf_skb_load_bytes(skb, off, ports, sizeof(ports)))
		return;
	if (ports[egress ? 1 : 0] != bpf_htons(DNS_PORT))
		return;
	if (proto == PROTO_TCP) {
		if (bpf_skb_load_bytes(skb, off + 12, &tcp_doff, 1))
			return;
		off += (tcp_doff >> 4) * 4 + 2; /* the 2-byte message length */
	} else {
		off += 8;
	}
	if (len < off + 12)
		return; /* no DNS header: a TCP handshake or a bare ACK */
	n = len - off;
	if (n > FR_DNS_CAP)
		n = FR_DNS_CAP;

	e = event_reserve(sizeof(*e), FR_EV_DNS);
	if (!e)
		return;
	e->ts = bpf_ktime_get_boot_ns();
	e->latency_ns = 0;
	e->pid = 0;
	__builtin_memset(e->comm, 0, sizeof(e->comm));
	e->what = egress ? FR_DNS_QUERY : FR_DNS_RESPONSE;
	e->proto = proto;
	e->family = v6 ? 6 : 4;
	e->pad = 0;
	e->client_port = bpf_ntohs(ports[egress ? 0 : 1]);
	e->server_port = DNS_PORT;
	__builtin_memset(e->client, 0, sizeof(e->client));
	__builtin_memset(e->server, 0, sizeof(e->server));
	if (v6) {
		__builtin_memcpy(egress ? e->client : e->server, ip + 8, 16);
		__builtin_memcpy(egress ? e->server : e->client, ip + 24, 16);
	} else {
		__builtin_memcpy(egress ? e->client : e->server, ip + 12, 4);
		__builtin_memcpy(egress ? e->server : e->client, ip + 16, 4);
	}
	e->result = 0;
	e->answers = 0;
	sk = skb->sk;
	if (sk && (sk = bpf_sk_fullsock(sk))) {
		o = bpf_sk_storage_get(&dns_owners, sk, 0, 0);
		if (!o && current_in_skb && egress && proto == PROTO_UDP &&
		    (o = bpf_sk_storage_get(&dns_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE))) {
			o->pid = bpf_get_current_pid_tgid() >> 32;
			bpf_get_current_comm(o->comm, sizeof(o->comm));
		}
		if (o) {
			e->pid = o->pid;
			__builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
		}
	}
	/* a 64-bit copy, bounded in the register the call takes: else clang
	 * checks a zero-extended copy and the verifier sees the other */
	cnt = n;
	asm volatile("" : "+r"(cnt));
	if (cnt < 1 || cnt > FR_DNS_CAP || bpf_skb_load_bytes(skb, off, e->data, cnt))
		cnt = 0;
	e->len = cnt;
	event_submit(e);
}

SEC("cgroup_skb/egress")
int handle_egress(struct __sk_buff *skb)
{
	on_packet(skb, 1);
	return 1;
}

SEC("cgroup_skb/ingress")
int handle_ingress(struct __sk_buff *skb)
{
	on_packet(skb, 0);
	return 1;
}

/* int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) */
SEC("uprobe")
int handle_getaddrinfo(struct pt_regs *ctx)
{
	struct gai_call c = {
		.start = bpf_ktime_get_ns(),
		.node = PT_REGS_PARM1(ctx),
		.res = PT_REGS_PARM4(ctx),
	};
	__u64 id = bpf_get_current_pid_tgid();

	if (!c.node)
		return 0; /* a service alone: no name to look up */
	bpf_map_update_elem(&gai_calls, &id, &c, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int handle_getaddrinfo_ret(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), ai = 0;
	struct fr_dns_event *e;
	struct gai_call *cp, c;
	long n;

	cp = bpf_map_lookup_elem(&gai_calls, &id);
	if (!cp)
		return 0; /* called before the probe was attached */
	c = *cp;
	bpf_map_delete_elem(&gai_calls, &id);

	e = event_reserve(sizeof(*e), FR_EV_DNS);
	if (!e)
		return 0;
	e->latency_ns = bpf_ktime_get_ns() - c.start;
	e->ts = bpf_ktime_get_boot_ns() - e->latency_ns;
	e->pid = id >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->what = FR_DNS_GETADDRINFO;
	e->proto = 0;
	e->family = 0;
	e->pad = 0;
	e->client_port = 0;
	e->server_port = 0;
	__builtin_memset(e->client, 0, sizeof(e->client));
	__builtin_memset(e->server, 0, sizeof(e->server));
	e->result = (int)PT_REGS_RC(ctx);
	e->answers = 0;
	if (e->result == 0 && c.res && bpf_probe_read_user(&ai, sizeof(ai), (void *)c.res) == 0) {
		for (int i = 0; i < GAI_RESULTS_MAX && ai; i++) {
			e->answers++;
			if (bpf_probe_read_user(&ai, sizeof(ai), (void *)(ai + AI_NEXT_OFFSET)))
				break;
		}
	}
	n = bpf_probe_read_user_str(e->data, 256, (void *)c.node);
	e->len = n > 0 ? (__u32)n - 1 : 0;
	event_submit(e);
	return 0;
}
