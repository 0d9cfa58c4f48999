/*
 * cgroup.h - cgroup v2 ids to paths, and container ids out of cgroup paths.
 *
 * BPF gives a cgroup id (the inode number of the cgroup's directory under
 * /sys/fs/cgroup); people want the path and the container.  The resolver
 * keeps a cache and rescans the hierarchy on a miss, at most once a second.
 */
#ifndef FR_CGROUP_H
#define FR_CGROUP_H

#include <stddef.h>
#include <stdint.h>

struct cgroup_cache;

/*
 * A cache over the cgroup v2 hierarchy mounted at ROOT, or, when ROOT is
 * NULL, wherever /proc/self/mountinfo says cgroup2 is mounted (/sys/fs/cgroup,
 * or /sys/fs/cgroup/unified on hybrid hosts).  Without a cgroup2 mount only
 * the root cgroup (id 1) has a path.
 */
struct cgroup_cache *cgroup_cache_new(const char *root);
/* Mount point of the first cgroup2 file system in /proc/self/mountinfo into BUF, "" when none. */
void cgroup2_mount(char *buf, size_t cap);
/* Where the cgroup2 hierarchy is mounted, "" when it is not. */
const char *cgroup_cache_root(const struct cgroup_cache *c);
void cgroup_cache_free(struct cgroup_cache *c);
/* Path of cgroup ID relative to the root ("/system.slice/x.service"); "" when unknown. */
const char *cgroup_cache_path(struct cgroup_cache *c, uint64_t id);

/*
 * The container id in a cgroup path, for the layouts of docker, containerd
 * (and Kubernetes), cri-o and podman: the 64-hex-digit id of the innermost
 * container component.  Returns its length (0 when none) and writes it to ID.
 */
size_t container_id_from_cgroup(const char *path, char *id, size_t cap);

/*
 * The Kubernetes pod uid in a cgroup path under kubepods, for the systemd
 * and cgroupfs cgroup drivers (with the dashes a UUID is written with).
 * Returns its length (0 when none) and writes it to UID.
 */
size_t pod_uid_from_cgroup(const char *path, char *uid, size_t cap);

/* cgroup v2 path of process PID from /proc/PID/cgroup into BUF; 0 or -errno. */
int cgroup_of_pid(int pid, char *buf, size_t cap);

#endif
