/*
 * procscan.h - every live process from /proc, as proc records, so that a
 * segment (and an archive window) that begins mid-life still knows who
 * each pid was.  Also what the recorder adds to exec records in user space.
 */
#ifndef FR_PROCSCAN_H
#define FR_PROCSCAN_H

#include <stdint.h>

#include "cgroup.h"
#include "flightrec.h"
#include "pods.h"

/* Where cgroup paths and pod names come from. */
struct procscan_ctx {
	struct cgroup_cache *cgroups;
	struct pod_cache *pods;
};

/* Calls FN for a proc record of each live process; returns how many. */
int procscan_all(const struct procscan_ctx *c, uint64_t now_boot, void (*fn)(void *ctx, const struct fr_proc *p),
		 void *ctx);
/* Fill exe, cgroup, container and pod of an exec record from /proc and the caches. */
void procscan_enrich_exec(const struct procscan_ctx *c, struct fr_exec *e);

#endif
