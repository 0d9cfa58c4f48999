/*
 * privs.h - the recorder gives up what it no longer needs once its probes
 * are attached: every capability but the few of the table in privs.c, from
 * its effective, permitted, inheritable and ambient sets and from the
 * bounding set, so that nothing it runs later (upload commands) gets them
 * back by exec.
 */
#ifndef FR_PRIVS_H
#define FR_PRIVS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Drop every capability but those privs.c keeps.  PROBE_FD is a per-CPU
 * array map (key 0) the recorder reads at run time: CAP_BPF is kept only
 * if reading it needs it (kernels before 6.5 with
 * kernel.unprivileged_bpf_disabled set).
 * Returns 0 with the kept set described in KEPT ("cap_sys_ptrace"), or
 * -errno with the reason in KEPT.
 */
int privs_drop(int probe_fd, char *kept, size_t cap);

/* The mask of capabilities privs_drop() keeps when CAP_BPF is not needed. */
uint64_t privs_kept_mask(void);

#endif
