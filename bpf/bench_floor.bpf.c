// SPDX-License-Identifier: GPL-2.0
/*
 * bench_floor.bpf.c - for scripts/bench-syscalls only: empty programs on
 * sys_enter and sys_exit.  What they cost is the floor that any tracer of
 * every system call pays (the tracepoints switch the calls to the slow
 * entry path, and each program run is an indirect call); the syscall
 * family's cost is measured against it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
