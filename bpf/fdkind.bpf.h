/*
 * fdkind.bpf.h - what the file descriptor a system call waited on was:
 * "file", "pipe", "socket", "tty" or "other", for the slow rows of
 * bpf/syscall.bpf.c (syscalls.fd_kind), so that .summary can rank the
 * waits on disks and peers above a read of a pipe or a terminal that waits
 * for a writer or a person by design.
 *
 * Only calls whose first argument is a descriptor they wait on have a
 * kind; the others get "" (NULL in SQL is reserved for archives older
 * than 1.4).  The descriptor is read at the call's exit from the task's
 * own saved registers, and looked up in the task's own table: a
 * descriptor that another thread closed meanwhile is "other".
 */
#ifndef FR_FDKIND_BPF_H
#define FR_FDKIND_BPF_H

/* From the uapi's stat.h and the kernel's major.h: macros, not in BTF. */
#define FDK_S_IFMT 0170000
#define FDK_S_IFSOCK 0140000
#define FDK_S_IFREG 0100000
#define FDK_S_IFBLK 0060000
#define FDK_S_IFDIR 0040000
#define FDK_S_IFCHR 0020000
#define FDK_S_IFIFO 0010000
#define FDK_MINORBITS 20          /* the kernel's dev_t is major << 20 | minor */
#define FDK_TTY_MAJOR 4           /* /dev/ttyN, /dev/ttySN */
#define FDK_TTYAUX_MAJOR 5        /* /dev/tty, /dev/console, /dev/ptmx */
#define FDK_PTY_SLAVE_MAJOR 136   /* /dev/pts/N: UNIX98_PTY_SLAVE_MAJOR .. + 7 */
#define FDK_PTY_SLAVE_LAST 143

/*
 * 1 when x86_64 system call NR takes, as its first argument, a descriptor
 * it may wait on: the read and write family, the socket calls that wait
 * for a peer, the syncs, locks and splices.  (sendfile, splice and
 * copy_file_range: the first descriptor, the one written for sendfile.)
 */
static __always_inline int fdkind_fd_first(__u32 nr)
{
	switch (nr) {
	case 0:   /* read */
	case 1:   /* write */
	case 16:  /* ioctl */
	case 17:  /* pread64 */
	case 18:  /* pwrite64 */
	case 19:  /* readv */
	case 20:  /* writev */
	case 40:  /* sendfile */
	case 42:  /* connect */
	case 43:  /* accept */
	case 44:  /* sendto */
	case 45:  /* recvfrom */
	case 46:  /* sendmsg */
	case 47:  /* recvmsg */
	case 72:  /* fcntl (F_SETLKW) */
	case 73:  /* flock */
	case 74:  /* fsync */
	case 75:  /* fdatasync */
	case 77:  /* ftruncate */
	case 217: /* getdents64 */
	case 275: /* splice */
	case 276: /* tee */
	case 277: /* sync_file_range */
	case 278: /* vmsplice */
	case 285: /* fallocate */
	case 288: /* accept4 */
	case 295: /* preadv */
	case 296: /* pwritev */
	case 299: /* recvmmsg */
	case 306: /* syncfs */
	case 307: /* sendmmsg */
	case 326: /* copy_file_range */
	case 327: /* preadv2 */
	case 328: /* pwritev2 */
		return 1;
	}
	return 0;
}

/* KIND (8 bytes) of the inode mode MODE and device RDEV. */
static __always_inline void fdkind_name(char *kind, __u32 mode, __u32 rdev)
{
	__u32 major = rdev >> FDK_MINORBITS;

	switch (mode & FDK_S_IFMT) {
	case FDK_S_IFREG:
	case FDK_S_IFDIR:
	case FDK_S_IFBLK:
		__builtin_memcpy(kind, "file", 5);
		return;
	case FDK_S_IFIFO:
		__builtin_memcpy(kind, "pipe", 5);
		return;
	case FDK_S_IFSOCK:
		__builtin_memcpy(kind, "socket", 7);
		return;
	case FDK_S_IFCHR:
		if (major == FDK_TTY_MAJOR || major == FDK_TTYAUX_MAJOR ||
		    (major >= FDK_PTY_SLAVE_MAJOR && major <= FDK_PTY_SLAVE_LAST)) {
			__builtin_memcpy(kind, "tty", 4);
			return;
		}
	}
	__builtin_memcpy(kind, "other", 6); /* /dev/null, eventfd, epoll and other anonymous inodes */
}

/*
 * The kind of descriptor FD of the current task into KIND (8 bytes):
 * task->files->fdt->fd[FD]->f_inode->i_mode, FD checked against
 * fdt->max_fds first.
 */
static __always_inline void fdkind_of_fd(char *kind, __u64 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;
	struct inode *inode;

	__builtin_memcpy(kind, "other", 6);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds || bpf_core_read(&f, sizeof(f), fds + fd) || !f)
		return;
	inode = BPF_CORE_READ(f, f_inode);
	if (!inode)
		return;
	fdkind_name(kind, BPF_CORE_READ(inode, i_mode), BPF_CORE_READ(inode, i_rdev));
}

/*
 * At the exit of system call NR of the current task: the kind of the
 * descriptor in its first argument into KIND (8 bytes), "" when NR takes
 * none.  The argument comes from the registers the task entered with,
 * through bpf_task_pt_regs() (5.15, commit dd6e10fbd9fb "bpf: Add
 * bpf_task_pt_regs() helper"); an older kernel has no such helper, the
 * verifier drops the branch and every kind is "".
 */
static __always_inline void fdkind_of_arg0(char *kind, __u32 nr)
{
	struct pt_regs *regs;

	kind[0] = '\0';
	if (!fdkind_fd_first(nr))
		return;
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	fdkind_of_fd(kind, (__u32)PT_REGS_PARM1_CORE_SYSCALL(regs));
}

#endif
