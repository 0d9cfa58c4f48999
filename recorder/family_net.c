/*
 * family_net.c - loader of bpf/net.bpf.c: TCP connections from socket
 * state changes and resets; formats their addresses for the writer.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>

#include "family_net.h"
#include "net.bpf.h"
#include "net.skel.h"
#include "probes.h"
#include "record.h"
#include "util.h"

struct net_state {
	struct net_bpf *skel;
	uint64_t lost_seen, last_tick;
};

/* Turn the raw 4- or 16-byte addresses of C into text, in place. */
static void net_format_conn(struct fr_conn *c)
{
	unsigned char l[16], r[16];
	int af = c->family == 6 ? AF_INET6 : AF_INET;

	memcpy(l, c->laddr, 16);
	memcpy(r, c->raddr, 16);
	if (!inet_ntop(af, l, c->laddr, sizeof(c->laddr)))
		c->laddr[0] = '\0';
	if (!inet_ntop(af, r, c->raddr, sizeof(c->raddr)))
		c->raddr[0] = '\0';
}

static int net_open(struct probes *p, void **state)
{
	struct net_state *st = calloc(1, sizeof(*st));
	struct net_bpf *skel;
	int err;

	if (!st)
		return -ENOMEM;
	if (!(skel = net_bpf__open())) {
		free(st);
		return -errno;
	}
	skel->rodata->wake_bytes = probes_wake_bytes(p->cfg);
	err = probes_load(p, "net", skel->skeleton);
	if (err) {
		net_bpf__destroy(skel);
		free(st);
		return err;
	}
	probes_attach(p, "net", skel->progs.handle_state, &skel->links.handle_state);
	probes_attach(p, "net", skel->progs.handle_receive_reset, &skel->links.handle_receive_reset);
	probes_attach(p, "net", skel->progs.handle_send_reset, &skel->links.handle_send_reset);
	st->skel = skel;
	st->last_tick = now_boot_ns();
	*state = st;
	return 0;
}

/* Sockets the map could not hold are connections we will not see end. */
static void net_tick(struct probes *p, void *state, uint64_t now)
{
	struct net_state *st = state;

	probes_report_lost(p, bpf_map__fd(st->skel->maps.net_lost), &st->lost_seen, "net", st->last_tick, now);
	st->last_tick = now;
}

int net_open_conns(struct probes *p, uint64_t now, struct fr_conn **out, size_t *n)
{
	struct net_state *st = NULL;
	struct fr_conn *v = NULL;
	size_t cap = 0;
	uint64_t key, next, *prev = NULL;
	struct conn c;
	int fd;

	*out = NULL;
	*n = 0;
	for (int i = 0; i < p->nfamilies; i++)
		if (!strcmp(p->family[i]->name, "net"))
			st = p->state[i];
	if (!st)
		return 0;
	fd = bpf_map__fd(st->skel->maps.conns);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct fr_conn *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c) || !c.start_ts)
			continue;
		if (*n == cap) {
			struct fr_conn *nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		r = &v[(*n)++];
		memset(r, 0, sizeof(*r));
		r->head.kind = FR_KIND_conn;
		r->ts = c.start_ts;
		r->pid = c.pid;
		memcpy(r->comm, c.comm, sizeof(r->comm));
		r->family = c.family;
		memcpy(r->laddr, c.laddr, 16);
		memcpy(r->raddr, c.raddr, 16);
		r->lport = c.lport;
		r->rport = c.rport;
		snprintf(r->direction, sizeof(r->direction), "%s", c.flags & NET_F_CONNECT ? "connect" : "accept");
		if ((c.flags & NET_F_CONNECT) && c.established_ts)
			r->connect_ns = c.established_ts - c.start_ts;
		r->duration_ns = now > c.start_ts ? now - c.start_ts : 0;
		snprintf(r->outcome, sizeof(r->outcome), "open");
		net_format_conn(r);
	}
	*out = v;
	return 0;
}

static void net_close(void *state)
{
	struct net_state *st = state;

	net_bpf__destroy(st->skel);
	free(st);
}

/* A conn event crosses the ring with raw addresses: the record has them as text. */
static void net_event(struct probes *p, void *state, const void *data, size_t size)
{
	struct fr_conn c;

	memcpy(&c, data, sizeof(c));
	net_format_conn(&c);
	probes_put(p, &c);
}

static const struct probe_event net_events[] = { { FR_KIND_conn, sizeof(struct fr_conn) } };

const struct probe_family family_net = {
	.name = "net",
	.open = net_open,
	.events = net_events,
	.nevents = 1,
	.event = net_event,
	.tick = net_tick,
	.close = net_close,
};
