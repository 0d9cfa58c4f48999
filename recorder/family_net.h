/*
 * family_net.h - what the net family (bpf/net.bpf.c) tells the rest of the
 * recorder: the connections open now, for an archive's window.
 */
#ifndef FR_FAMILY_NET_H
#define FR_FAMILY_NET_H

#include <stddef.h>
#include <stdint.h>

#include "flightrec.h"

struct probes;
/*
 * The connections open now, as conn records with outcome "open" and no
 * end: *OUT is malloc'd, *N its length.  Returns 0 (none when the net
 * family is not loaded) or -ENOMEM.
 */
int net_open_conns(struct probes *p, uint64_t now, struct fr_conn **out, size_t *n);

#endif
