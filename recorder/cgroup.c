/*
 * cgroup.c - cgroup id -> path cache over /sys/fs/cgroup, and container ids.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

#define CACHE_SLOTS 8192 /* power of two; a host with more cgroups just rescans more */
#define DEPTH_MAX 32

struct slot {
	uint64_t id;
	char *path;
};

struct cgroup_cache {
	char root[256];
	struct slot slots[CACHE_SLOTS];
	uint64_t last_scan;
};

void cgroup2_mount(char *buf, size_t cap)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char mnt[1024], *sep = strstr(line, " - ");
		/* id parent maj:min root mountpoint options... - fstype source super */
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		snprintf(buf, cap, "%s", mnt);
		break;
	}
	fclose(f);
}

struct cgroup_cache *cgroup_cache_new(const char *root)
{
	struct cgroup_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (root)
		snprintf(c->root, sizeof(c->root), "%s", root);
	else
		cgroup2_mount(c->root, sizeof(c->root));
	return c;
}

const char *cgroup_cache_root(const struct cgroup_cache *c)
{
	return c ? c->root : "";
}

static void clear(struct cgroup_cache *c)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		free(c->slots[i].path);
		c->slots[i].path = NULL;
		c->slots[i].id = 0;
	}
}

void cgroup_cache_free(struct cgroup_cache *c)
{
	if (!c)
		return;
	clear(c);
	free(c);
}

static struct slot *find(struct cgroup_cache *c, uint64_t id)
{
	size_t i = (size_t)(id * 0x9E3779B97F4A7C15ULL >> 51) & (CACHE_SLOTS - 1);

	for (size_t n = 0; n < CACHE_SLOTS; n++, i = (i + 1) & (CACHE_SLOTS - 1))
		if (c->slots[i].id == id || c->slots[i].id == 0)
			return &c->slots[i];
	return NULL; /* full */
}

static void insert(struct cgroup_cache *c, uint64_t id, const char *rel)
{
	struct slot *s = find(c, id);

	if (!s || s->id == id)
		return;
	s->path = strdup(rel[0] ? rel : "/");
	if (s->path)
		s->id = id;
}

/* Walk DIR (ABS on disk, REL under the root) and cache every cgroup in it. */
static void scan(struct cgroup_cache *c, const char *abs, const char *rel, int depth)
{
	struct dirent *de;
	DIR *d;

	if (depth > DEPTH_MAX || !(d = opendir(abs)))
		return;
	while ((de = readdir(d))) {
		char a[4096], r[4096];
		struct stat st;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(a, sizeof(a), "%s/%s", abs, de->d_name);
		snprintf(r, sizeof(r), "%s/%s", rel, de->d_name);
		if (stat(a, &st) < 0)
			continue;
		insert(c, (uint64_t)st.st_ino, r);
		scan(c, a, r, depth + 1);
	}
	closedir(d);
}

const char *cgroup_cache_path(struct cgroup_cache *c, uint64_t id)
{
	struct slot *s;
	uint64_t now;

	if (!c || id == 0)
		return "";
	if (id == 1) /* the root cgroup, the same on every host */
		return "/";
	if (!c->root[0])
		return "";
	s = find(c, id);
	if (s && s->id == id)
		return s->path;
	now = now_boot_ns();
	if (now - c->last_scan < NSEC_PER_SEC && c->last_scan)
		return "";
	c->last_scan = now;
	if (!s) /* full: start over */
		clear(c);
	{
		struct stat st;
		if (stat(c->root, &st) == 0)
			insert(c, (uint64_t)st.st_ino, "");
	}
	scan(c, c->root, "", 0);
	s = find(c, id);
	return s && s->id == id ? s->path : "";
}

static int is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

size_t container_id_from_cgroup(const char *path, char *id, size_t cap)
{
	/*
	 * docker:      /system.slice/docker-ID.scope, /docker/ID
	 * containerd:  .../cri-containerd-ID.scope, /kubepods/burstable/podUID/ID
	 * cri-o:       .../crio-ID.scope (and crio-conmon-ID.scope for its monitor)
	 * podman:      /machine.slice/libpod-ID.scope, .../libpod-ID/...
	 * The innermost component holding a run of exactly 64 hex digits wins.
	 */
	const char *best = NULL;

	for (const char *p = path; *p; p++) {
		size_t n = 0;
		if (p != path && is_hex(p[-1]))
			continue;
		while (is_hex(p[n]))
			n++;
		if (n == 64 && (p == path || p[-1] == '/' || p[-1] == '-') &&
		    (p[64] == '\0' || p[64] == '/' || p[64] == '.')) {
			/* the conmon monitor of cri-o is not the container */
			if (!(p - path >= 12 && !strncmp(p - 12, "crio-conmon-", 12)))
				best = p;
		}
		p += n ? n - 1 : 0;
	}
	if (!best || cap < 65) {
		if (cap)
			id[0] = '\0';
		return 0;
	}
	memcpy(id, best, 64);
	id[64] = '\0';
	return 64;
}

size_t pod_uid_from_cgroup(const char *path, char *uid, size_t cap)
{
	/*
	 * systemd driver: /kubepods.slice/kubepods-burstable.slice/
	 *                 kubepods-burstable-pod0c7d0f5e_1111_2222_3333_444455556666.slice/...
	 * cgroupfs driver: /kubepods/burstable/pod0c7d0f5e-1111-2222-3333-444455556666/...
	 * The uid is a UUID (36), or for a static pod the 32 hex digits of its
	 * manifest's hash.  systemd cannot have '-' inside a unit name's
	 * component, so there the UUID's dashes are underscores.
	 */
	const char *p = strstr(path, "kubepods");
	const char *best = NULL;
	size_t bestn = 0;

	if (cap)
		uid[0] = '\0';
	if (!p)
		return 0;
	for (; (p = strstr(p, "pod")); p += 3) {
		size_t n = 0;
		/* "pod" starts a component, or follows the slice's '-' */
		if (p[-1] != '/' && p[-1] != '-')
			continue;
		while (is_hex(p[3 + n]) || p[3 + n] == '-' || p[3 + n] == '_')
			n++;
		if ((n == 36 || n == 32) && (p[3 + n] == '\0' || p[3 + n] == '/' || p[3 + n] == '.')) {
			best = p + 3;
			bestn = n;
		}
	}
	if (!best || cap <= bestn)
		return 0;
	for (size_t i = 0; i < bestn; i++)
		uid[i] = best[i] == '_' ? '-' : best[i];
	uid[bestn] = '\0';
	return bestn;
}

int cgroup_of_pid(int pid, char *buf, size_t cap)
{
	char path[64], line[4096];
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue; /* cgroup v1 controllers */
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, cap, "%s", line + 3);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}
