/* net.bpf.h - constants of bpf/net.bpf.c shared with recorder/family_net.c. */
#ifndef FR_NET_BPF_H
#define FR_NET_BPF_H

#ifndef IPPROTO_TCP
#define IPPROTO_TCP 6
#endif

#endif
