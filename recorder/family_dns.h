/*
 * family_dns.h - what the dns family (bpf/dns.bpf.c) tells the rest of the
 * recorder: its ring events are not records yet.
 */
#ifndef FR_FAMILY_DNS_H
#define FR_FAMILY_DNS_H

#include "flightrec.h"

struct probes;
struct probe_family;

extern const struct probe_family family_dns;

/*
 * One FR_EV_DNS event: a query waits for its response; a response or a
 * getaddrinfo return is emitted as a dns record through the probes' emit
 * callback.  Nothing happens when the family is not loaded.
 */
void dns_family_event(struct probes *p, const struct fr_dns_event *e);

#endif
