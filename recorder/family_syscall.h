/*
 * family_syscall.h - what the recorder does to the ring-only events of
 * bpf/syscall.bpf.c before writing them.
 */
#ifndef FR_FAMILY_SYSCALL_H
#define FR_FAMILY_SYSCALL_H

#include "flightrec.h"
#include "../bpf/syscall_abi.bpf.h"

/*
 * The syscall record that brief event B stands for: the same row the BPF
 * side would have written in full (name from the same table, no args, no
 * error, reason "all").
 */
void syscall_expand_brief(const struct fr_syscall_brief *b, struct fr_syscall *s);

/* The syscall record of audit row F that the kernel still held (count calls folded). */
void syscall_fold_record(const struct sc_fold *f, struct fr_syscall *s);

#endif
