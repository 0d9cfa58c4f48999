/*
 * privs.c - least privilege after start-up (see privs.h).
 *
 * Loading and attaching BPF programs needs CAP_BPF, CAP_PERFMON and, on
 * older kernels, CAP_SYS_ADMIN; creating the directories and the socket
 * needs nothing beyond being root.  What runs afterwards needs little:
 * the ring buffer is memory-mapped, and on Linux 6.5 and later bpf() on a
 * map's fd checks no capability (commit c8644cd0efe7, "bpf: move
 * unprivileged checks into map_create() and bpf_prog_load()").  The files
 * the recorder writes are its own (root, 0600 in 0700 directories), so it
 * needs no CAP_DAC_OVERRIDE.  What is kept is in one table, each row with
 * its reason; a feature that must attach probes while running (uprobes on
 * processes that start later) adds its rows here.
 *
 * Raw capset(2) and prctl(2), so no libcap.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privs.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const struct kept_cap {
	int cap;
	const char *name;
	int only_if_bpf_needs_it; /* kept only when reading a map fails without it */
	const char *why;
} kept[] = {
	{ CAP_SYS_PTRACE, "cap_sys_ptrace", 0,
	  "readlink /proc/PID/exe and /proc/PID/cwd of processes of other users and of non-dumpable ones "
	  "(exec records, the process table at each segment's head)" },
	{ CAP_BPF, "cap_bpf", 1,
	  "bpf() on map fds (drop counters, per-second aggregates) on kernels before 6.5 with "
	  "kernel.unprivileged_bpf_disabled set" },
};
#define NKEPT (sizeof(kept) / sizeof(kept[0]))

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = 40;

	if (f) {
		if (fscanf(f, "%d", &n) != 1 || n < 0 || n > 63)
			n = 40;
		fclose(f);
	}
	return n;
}

static int set_caps(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

uint64_t privs_kept_mask(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < NKEPT; i++)
		if (!kept[i].only_if_bpf_needs_it)
			m |= 1ULL << kept[i].cap;
	return m;
}

static int get_permitted(uint64_t *prm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*prm = (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

int privs_drop(int probe_fd, char *out, size_t cap)
{
	uint64_t keep = privs_kept_mask(), maybe = 0, prm = 0, *v;
	int last = last_cap(), ret, ncpus;
	uint32_t zero = 0;
	size_t n = 0;

	if ((ret = get_permitted(&prm))) {
		snprintf(out, cap, "cannot read capabilities: %s", strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < NKEPT; i++)
		if (kept[i].only_if_bpf_needs_it && kept[i].cap <= last)
			maybe |= 1ULL << kept[i].cap;
	/* Does a map read work with only what we keep in effect?  (A per-CPU map: a value per CPU.) */
	ncpus = libbpf_num_possible_cpus();
	if (!(v = calloc(ncpus > 0 ? (size_t)ncpus : 1, sizeof(*v)))) {
		snprintf(out, cap, "out of memory");
		return -ENOMEM;
	}
	if ((ret = set_caps(keep & prm, prm))) {
		free(v);
		snprintf(out, cap, "cannot set capabilities: %s", strerror(-ret));
		return ret;
	}
	if (probe_fd >= 0 && bpf_map_lookup_elem(probe_fd, &zero, v) < 0 && errno == EPERM)
		keep |= maybe;
	free(v);
	if ((ret = set_caps(prm, prm))) {
		snprintf(out, cap, "cannot set capabilities: %s", strerror(-ret));
		return ret;
	}
	/*
	 * The bounding set first, while CAP_SETPCAP is still in effect.
	 * Without CAP_SETPCAP (a container that did not grant it) the
	 * bounding set stays as the runtime made it; the rest still goes.
	 */
	for (int c = 0; c <= last; c++)
		if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
			if (errno == EPERM)
				break;
			ret = -errno;
			snprintf(out, cap, "cannot drop capability %d from the bounding set: %s", c, strerror(errno));
			return ret;
		}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	keep &= prm;
	if ((ret = set_caps(keep, keep))) {
		snprintf(out, cap, "cannot set capabilities: %s", strerror(-ret));
		return ret;
	}
	out[0] = '\0';
	for (size_t i = 0; i < NKEPT; i++)
		if (keep & (1ULL << kept[i].cap))
			n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s (%s)", n ? ", " : "", kept[i].name,
					      kept[i].why);
	if (!n)
		snprintf(out, cap, "none");
	return 0;
}
