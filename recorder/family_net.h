/*
 * family_net.h - what the recorder does to conn events of bpf/net.bpf.c
 * before writing them: their addresses arrive as raw bytes.
 */
#ifndef FR_FAMILY_NET_H
#define FR_FAMILY_NET_H

#include "flightrec.h"

/* Turn the raw 4- or 16-byte addresses of C into text, in place. */
void net_format_conn(struct fr_conn *c);

#endif
