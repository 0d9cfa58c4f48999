/*
 * test_cgroup.c - container ids out of the cgroup layouts of docker,
 * containerd (Kubernetes), cri-o and podman, and none out of others.
 */
#include <string.h>

#include "cgroup.h"
#include "tap.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void check(const char *path, const char *want, const char *layout)
{
	char id[80];
	size_t n = container_id_from_cgroup(path, id, sizeof(id));

	ok(n == strlen(want) && !strcmp(id, want), "container_id_from_cgroup - %s, expect %s (got '%s')", layout,
	   want[0] ? "its id" : "none", id);
}

int main(void)
{
	check("/system.slice/docker-" ID64 ".scope", ID64, "docker with systemd");
	check("/docker/" ID64, ID64, "docker with cgroupfs");
	check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_5678.slice/cri-containerd-" ID64
	      ".scope",
	      ID64, "containerd under kubepods, systemd driver");
	check("/kubepods/burstable/pod0c7d0f5e-1111-2222-3333-444455556666/" ID64, ID64,
	      "containerd under kubepods, cgroupfs driver");
	check("/kubepods.slice/kubepods-pod1.slice/crio-" ID64 ".scope", ID64, "cri-o");
	check("/kubepods.slice/kubepods-pod1.slice/crio-conmon-" ID64B ".scope", "", "cri-o's conmon is no container");
	check("/machine.slice/libpod-" ID64 ".scope/container", ID64, "podman");
	check("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope", ID64,
	      "rootless podman");
	check("/docker/" ID64B "/docker/" ID64, ID64, "docker in docker: the innermost");
	check("/system.slice/sshd.service", "", "a plain service");
	check("/", "", "the root cgroup");
	check("/x/" ID64 "0", "", "65 hex digits is no id");
	tap_plan(tap_n);
	return tap_done();
}
