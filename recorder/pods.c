/*
 * pods.c - pod uid -> (namespace, name) from the directory names under the
 * CRI log root.  See pods.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pods.h"
#include "util.h"

#define PODS_MAX 4096 /* a node runs at most a few hundred */

struct pod {
	char uid[40];
	char ns[64];
	char name[254];
};

struct pod_cache {
	char root[4096];
	struct pod *pods;
	size_t n;
	uint64_t last_scan;
};

struct pod_cache *pod_cache_new(const char *root)
{
	struct pod_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->root, sizeof(c->root), "%s", root ? root : "/var/log/pods");
	return c;
}

void pod_cache_free(struct pod_cache *c)
{
	if (!c)
		return;
	free(c->pods);
	free(c);
}

/* NAMESPACE_NAME_UID into P; 0, or -1 when the name has another shape. */
static int parse_dir(const char *d, struct pod *p)
{
	const char *a = strchr(d, '_'), *b = strrchr(d, '_');
	size_t nslen, namelen, uidlen;

	if (!a || a == b)
		return -1;
	nslen = (size_t)(a - d);
	namelen = (size_t)(b - a - 1);
	uidlen = strlen(b + 1);
	if (!nslen || nslen >= sizeof(p->ns) || !namelen || namelen >= sizeof(p->name) || !uidlen ||
	    uidlen >= sizeof(p->uid))
		return -1;
	memcpy(p->ns, d, nslen);
	p->ns[nslen] = '\0';
	memcpy(p->name, a + 1, namelen);
	p->name[namelen] = '\0';
	memcpy(p->uid, b + 1, uidlen + 1);
	return 0;
}

static void rescan(struct pod_cache *c)
{
	struct pod *pods = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(c->root);

	if (!d)
		goto done;
	pods = calloc(PODS_MAX, sizeof(*pods));
	while (pods && n < PODS_MAX && (de = readdir(d)))
		if (de->d_name[0] != '.' && parse_dir(de->d_name, &pods[n]) == 0)
			n++;
	closedir(d);
	if (pods && n < PODS_MAX) { /* keep only what is used */
		struct pod *fit = n ? realloc(pods, n * sizeof(*pods)) : NULL;
		if (fit || !n) {
			free(n ? NULL : pods);
			pods = fit;
		}
	}
done:
	free(c->pods);
	c->pods = pods;
	c->n = pods ? n : 0;
}

static const struct pod *find(const struct pod_cache *c, const char *uid)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->pods[i].uid, uid))
			return &c->pods[i];
	return NULL;
}

int pod_cache_lookup(struct pod_cache *c, const char *uid, char *name, size_t ncap, char *ns, size_t nscap)
{
	const struct pod *p;
	uint64_t now;

	name[0] = ns[0] = '\0';
	if (!c || !uid[0])
		return -ENOENT;
	if (!(p = find(c, uid))) {
		now = now_boot_ns();
		if (c->last_scan && now - c->last_scan < NSEC_PER_SEC)
			return -ENOENT;
		c->last_scan = now;
		rescan(c);
		if (!(p = find(c, uid)))
			return -ENOENT;
	}
	snprintf(name, ncap, "%s", p->name);
	snprintf(ns, nscap, "%s", p->ns);
	return 0;
}
