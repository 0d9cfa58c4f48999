/*
 * family_uprobe.h - what the uprobe family (--uprobe BINARY:SYMBOL) tells
 * the rest of the recorder.
 */
#ifndef FR_FAMILY_UPROBE_H
#define FR_FAMILY_UPROBE_H

#include <stdint.h>

#include "flightrec.h"

struct probes;
struct probe_config;

/* Calls so far of the first N --uprobe specs, in their order; -ENOENT when none attached. */
int uprobe_calls(struct probes *p, uint64_t *calls, int n);

/* The func record that ring event E stands for: its --uprobe's binary and symbol added. */
void uprobe_expand_func(const struct probe_config *cfg, const struct fr_func_event *e, struct fr_func *f);

#endif
