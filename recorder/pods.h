/*
 * pods.h - Kubernetes pod names and namespaces by pod uid, from the state
 * the kubelet leaves on the host.
 *
 * The kubelet keeps each pod's container logs in
 * /var/log/pods/NAMESPACE_NAME_UID/ (the CRI log directory layout, the same
 * for containerd and cri-o), so the directory names alone map a uid to its
 * pod without talking to any API.  Namespaces and pod names are DNS names:
 * they hold no '_', so the split is unambiguous.  The cache rereads the
 * directory on a miss, at most once a second.
 */
#ifndef FR_PODS_H
#define FR_PODS_H

#include <stddef.h>

struct pod_cache;

/* A cache over ROOT (NULL: /var/log/pods); a missing ROOT just knows no pod. */
struct pod_cache *pod_cache_new(const char *root);
void pod_cache_free(struct pod_cache *c);
/*
 * Name and namespace of the pod with UID into NAME and NS; 0, or -ENOENT
 * (both then empty).
 */
int pod_cache_lookup(struct pod_cache *c, const char *uid, char *name, size_t ncap, char *ns, size_t nscap);

#endif
