/*
 * syscall_names.h - x86_64 system call and errno names (syscall_names.c).
 */
#ifndef FR_SYSCALL_NAMES_H
#define FR_SYSCALL_NAMES_H

#define SYSCALL_NAMES_MAX 512  /* x86_64 call numbers are below this */
#define ERRNO_NAMES_MAX 134    /* errno 1-133 */
#define ERRNO_KERNEL_BASE 512  /* ERESTARTSYS ... ENOPARAM, seen by tracers only */
#define ERRNO_KERNEL_COUNT 8

/* Indexed by number; NULL where no call has that number. */
extern const char *const syscall_names[SYSCALL_NAMES_MAX];
extern const char *const errno_names[ERRNO_NAMES_MAX];
extern const char *const errno_kernel_names[ERRNO_KERNEL_COUNT];

#endif
