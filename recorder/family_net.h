/*
 * family_net.h - what the recorder does to conn events of bpf/net.bpf.c
 * before writing them: their addresses arrive as raw bytes.
 */
#ifndef FR_FAMILY_NET_H
#define FR_FAMILY_NET_H

#include <stddef.h>
#include <stdint.h>

#include "flightrec.h"

/* Turn the raw 4- or 16-byte addresses of C into text, in place. */
void net_format_conn(struct fr_conn *c);

struct probes;
/*
 * The connections open now, as conn records with outcome "open" and no
 * end: *OUT is malloc'd, *N its length.  Returns 0 (none when the net
 * family is not loaded) or -ENOMEM.
 */
int net_open_conns(struct probes *p, uint64_t now, struct fr_conn **out, size_t *n);

#endif
