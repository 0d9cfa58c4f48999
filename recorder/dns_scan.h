/*
 * dns_scan.h - the processes that already hold a socket connected to a
 * DNS server (port 53) when the recorder starts, so that sys_exit reads
 * their messages too (bpf/dns_sock.bpf.h, bpf/dns_exit.bpf.h).
 */
#ifndef FR_DNS_SCAN_H
#define FR_DNS_SCAN_H

#include <stddef.h>

/*
 * Note in the BPF hash PROCS_FD (tgid -> 1) each process holding a UDP or
 * TCP socket whose peer is on port 53, in any network namespace, and add
 * one to the dns_epoch of the map GATES_FD (bpf/exit_gates.bpf.h) if any
 * was noted.  Returns how many
 * processes were noted, or a negative errno when /proc cannot be read.
 */
int dns_scan_connected(int procs_fd, int gates_fd);

#endif
