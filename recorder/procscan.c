/*
 * procscan.c - the process table from /proc, and exec records completed
 * with what BPF cannot cheaply read (resolved executable path, cgroup path,
 * container id, Kubernetes pod).
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procscan.h"
#include "util.h"

static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap);
	close(fd);
	return n;
}

/* The cgroup path of ID, unless known, and what it says: container, pod. */
#define FILL_CONTAINER(C, R, ID)                                                                                 \
	fill_container((C), (ID), (R)->cgroup, sizeof((R)->cgroup), (R)->container, sizeof((R)->container),      \
		       (R)->pod_uid, sizeof((R)->pod_uid), (R)->pod, sizeof((R)->pod), (R)->namespace,            \
		       sizeof((R)->namespace))

static void fill_container(const struct procscan_ctx *c, uint64_t id, char *cgroup, size_t cgcap, char *container,
			   size_t ccap, char *uid, size_t ucap, char *pod, size_t pcap, char *ns, size_t nscap)
{
	if (!cgroup[0])
		snprintf(cgroup, cgcap, "%s", cgroup_cache_path(c->cgroups, id));
	container_id_from_cgroup(cgroup, container, ccap);
	pod_uid_from_cgroup(cgroup, uid, ucap);
	pod_cache_lookup(c->pods, uid, pod, pcap, ns, nscap);
}

/* One /proc/PID into P; 0, or -1 when it is gone or a kernel thread we skip. */
static int read_proc(const struct procscan_ctx *c, int pid, uint64_t now_boot, struct fr_proc *p)
{
	char path[64], buf[1024], *rp;
	long ticks = sysconf(_SC_CLK_TCK);
	unsigned long long start = 0;
	int ppid = 0;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	p->head.kind = FR_KIND_proc;
	p->head.size = sizeof(*p);
	p->ts = now_boot;
	p->pid = (uint32_t)pid;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: it ends at the last ')'. */
	rp = strrchr(buf, ')');
	if (!rp || !strchr(buf, '('))
		return -1;
	*rp = '\0';
	snprintf(p->comm, sizeof(p->comm), "%s", strchr(buf, '(') + 1);
	/* fields after comm: state ppid ... starttime is the 20th after it */
	if (sscanf(rp + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &ppid,
		   &start) != 2)
		return -1;
	p->ppid = (uint32_t)ppid;
	p->start_ts = ticks > 0 ? start * (NSEC_PER_SEC / (unsigned long long)ticks) : 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		char *l;
		buf[n] = '\0';
		if ((l = strstr(buf, "\nUid:")))
			p->uid = (uint32_t)strtoul(l + 5, NULL, 10);
		if ((l = strstr(buf, "\nGid:")))
			p->gid = (uint32_t)strtoul(l + 5, NULL, 10);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, p->exe, sizeof(p->exe) - 1);
	p->exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = read_file(path, p->argv, sizeof(p->argv));
	p->argv_len = (uint16_t)(n > 0 ? n : 0);
	if (cgroup_of_pid(pid, p->cgroup, sizeof(p->cgroup)) == 0) {
		char abs[768];
		struct stat st;
		snprintf(abs, sizeof(abs), "%s%s", cgroup_cache_root(c->cgroups), p->cgroup);
		if (!strcmp(p->cgroup, "/"))
			p->cgroup_id = 1;
		else if (cgroup_cache_root(c->cgroups)[0] && stat(abs, &st) == 0)
			p->cgroup_id = (uint64_t)st.st_ino;
	}
	FILL_CONTAINER(c, p, p->cgroup_id);
	return 0;
}

int procscan_all(const struct procscan_ctx *c, uint64_t now_boot, void (*fn)(void *ctx, const struct fr_proc *p), void *ctx)
{
	struct dirent *de;
	struct fr_proc *p = malloc(sizeof(*p));
	int n = 0;
	DIR *d = opendir("/proc");

	if (!d || !p) {
		if (d)
			closedir(d);
		free(p);
		return 0;
	}
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (read_proc(c, atoi(de->d_name), now_boot, p) == 0) {
			fn(ctx, p);
			n++;
		}
	}
	closedir(d);
	free(p);
	return n;
}

void procscan_enrich_exec(const struct procscan_ctx *c, struct fr_exec *e)
{
	char path[64];
	ssize_t n;

	/* The process may already be gone: fall back to what exec was given. */
	snprintf(path, sizeof(path), "/proc/%u/exe", e->pid);
	n = readlink(path, e->exe, sizeof(e->exe) - 1);
	if (n > 0) {
		e->exe[n] = '\0';
	} else if (e->filename[0] == '/') {
		snprintf(e->exe, sizeof(e->exe), "%s", e->filename);
	} else {
		char cwd[256];
		snprintf(path, sizeof(path), "/proc/%u/cwd", e->pid);
		n = readlink(path, cwd, sizeof(cwd) - 1);
		if (n > 0) {
			cwd[n] = '\0';
			snprintf(e->exe, sizeof(e->exe), "%s/%s", cwd,
				 strncmp(e->filename, "./", 2) ? e->filename : e->filename + 2);
		} else {
			snprintf(e->exe, sizeof(e->exe), "%s", e->filename);
		}
	}
	e->cgroup[0] = '\0';
	FILL_CONTAINER(c, e, e->cgroup_id);
}
