/*
 * family_net.c - loader of bpf/net.bpf.c: TCP connections from socket
 * state changes and resets; formats their addresses for the writer.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "family_net.h"
#include "net.skel.h"
#include "probes.h"
#include "record.h"
#include "util.h"

struct net_state {
	struct net_bpf *skel;
	uint64_t lost_seen, last_tick;
};

void net_format_conn(struct fr_conn *c)
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
	err = probes_prepare_object(p, skel->obj);
	if (!err)
		err = net_bpf__load(skel);
	if (err) {
		probes_family_failed(p, "net", skel->obj, err);
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

static void net_close(void *state)
{
	struct net_state *st = state;

	net_bpf__destroy(st->skel);
	free(st);
}

const struct probe_family family_net = {
	.name = "net",
	.open = net_open,
	.tick = net_tick,
	.close = net_close,
};
