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

/* Calls FN for a proc record of each live process; returns how many. */
int procscan_all(struct cgroup_cache *cg, uint64_t now_boot, void (*fn)(void *ctx, const struct fr_proc *p),
		 void *ctx);
/* Fill exe, cgroup and container of an exec record from /proc and the cache. */
void procscan_enrich_exec(struct cgroup_cache *cg, struct fr_exec *e);

#endif
