/* net.bpf.h - what bpf/net.bpf.c shares with recorder/family_net.c. */
#ifndef FR_NET_BPF_H
#define FR_NET_BPF_H

#ifndef IPPROTO_TCP
#define IPPROTO_TCP 6
#endif

#define NET_F_CONNECT 0x1

/*
 * One open connection, keyed by its socket's address; the recorder reads
 * them for the connections still open when a snapshot is taken.
 */
struct conn {
	__u64 start_ts;
	__u64 established_ts;
	__u32 pid;
	__u32 flags;
	char comm[16];
	__u8 laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
	__u16 lport, rport;
	__u8 family;               /* 4 or 6 */
	__u8 pad[3];
};

#endif
