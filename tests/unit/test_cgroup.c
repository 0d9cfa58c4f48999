/*
 * test_cgroup.c - container ids out of the cgroup layouts of docker,
 * containerd (Kubernetes), cri-o and podman, and none out of others; pod
 * uids out of the kubepods layouts of the systemd and cgroupfs drivers;
 * pod names and namespaces out of a CRI log directory tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "pods.h"
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

#define UID "0c7d0f5e-1111-2222-3333-444455556666"
#define UID_ "0c7d0f5e_1111_2222_3333_444455556666"
#define STATIC_UID "6f5b1e2d3c4b5a69788796a5b4c3d2e1"

static void check_pod(const char *path, const char *want, const char *layout)
{
	char uid[48];
	size_t n = pod_uid_from_cgroup(path, uid, sizeof(uid));

	ok(n == strlen(want) && !strcmp(uid, want), "pod_uid_from_cgroup - %s, expect %s (got '%s')", layout,
	   want[0] ? want : "none", uid);
}

static void test_pod_uids(void)
{
	/* what kubelet with each cgroup driver and runtime creates */
	check_pod("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/cri-containerd-" ID64 ".scope",
		  UID, "containerd, systemd driver, burstable");
	check_pod("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID64 ".scope", UID,
		  "cri-o, systemd driver, guaranteed");
	check_pod("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice", UID,
		  "the pod's own slice, systemd driver");
	check_pod("/kubepods/burstable/pod" UID "/" ID64, UID, "containerd, cgroupfs driver");
	check_pod("/kubepods/pod" UID "/" ID64, UID, "cgroupfs driver, guaranteed");
	check_pod("/kubepods/besteffort/pod" STATIC_UID "/" ID64, STATIC_UID, "a static pod (hash uid)");
	check_pod("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/"
		  "kubelet-kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID64 ".scope",
		  UID, "kubelet under kubelet.slice (kind, minikube)");
	check_pod("/system.slice/docker-" ID64 ".scope", "", "docker outside Kubernetes");
	check_pod("/system.slice/pod" UID ".service", "", "a pod-like name outside kubepods");
	check_pod("/kubepods/burstable/pod0c7d0f5e-1111/" ID64, "", "a truncated uid");
	check_pod("/kubepods.slice/kubepods-burstable.slice", "", "the QoS slice itself");
}

static void test_pod_names(void)
{
	char root[] = "/tmp/test_cgroup.XXXXXX", path[256], name[256], ns[72];
	static const char *const dirs[] = {
		"kube-system_coredns-5d78c9869d-8xk2p_" UID,
		"default_web.v2_" STATIC_UID,
		"not-a-pod-dir",
		"a_b", /* no uid */
	};
	struct pod_cache *c;
	int ret;

	if (!mkdtemp(root)) {
		ok(0, "mkdtemp - expect a directory");
		return;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		mkdir(path, 0700);
	}
	c = pod_cache_new(root);
	ret = pod_cache_lookup(c, UID, name, sizeof(name), ns, sizeof(ns));
	ok(ret == 0 && !strcmp(name, "coredns-5d78c9869d-8xk2p") && !strcmp(ns, "kube-system"),
	   "pod_cache_lookup - NAMESPACE_NAME_UID, expect kube-system/coredns-5d78c9869d-8xk2p (got %s/%s)", ns, name);
	ret = pod_cache_lookup(c, STATIC_UID, name, sizeof(name), ns, sizeof(ns));
	ok(ret == 0 && !strcmp(name, "web.v2") && !strcmp(ns, "default"),
	   "pod_cache_lookup - a static pod with a dotted name, expect default/web.v2 (got %s/%s)", ns, name);
	ret = pod_cache_lookup(c, "b", name, sizeof(name), ns, sizeof(ns));
	ok(ret == -ENOENT && !name[0] && !ns[0], "pod_cache_lookup - a directory without a uid, expect no pod");
	ret = pod_cache_lookup(c, "11111111-2222-3333-4444-555555555555", name, sizeof(name), ns, sizeof(ns));
	ok(ret == -ENOENT && !name[0] && !ns[0], "pod_cache_lookup - an unknown uid, expect -ENOENT and empty strings");
	pod_cache_free(c);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		rmdir(path);
	}
	rmdir(root);

	c = pod_cache_new("/nonexistent/flightrec/pods");
	ret = pod_cache_lookup(c, UID, name, sizeof(name), ns, sizeof(ns));
	ok(ret == -ENOENT && !name[0], "pod_cache_lookup - no CRI root on this host, expect -ENOENT");
	pod_cache_free(c);
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
	test_pod_uids();
	test_pod_names();
	tap_plan(tap_n);
	return tap_done();
}
