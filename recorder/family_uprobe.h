/*
 * family_uprobe.h - what the uprobe family (--uprobe BINARY:SYMBOL) tells
 * the rest of the recorder.
 */
#ifndef FR_FAMILY_UPROBE_H
#define FR_FAMILY_UPROBE_H

#include <stdint.h>

struct probes;

/* Calls so far of the first N --uprobe specs, in their order; -ENOENT when none attached. */
int uprobe_calls(struct probes *p, uint64_t *calls, int n);

#endif
