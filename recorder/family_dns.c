/*
 * family_dns.c - loader of bpf/dns.bpf.c: the packet programs and the
 * socket-owner hooks on the root of the cgroup v2 hierarchy, the
 * getaddrinfo uprobes on the recorder's own libc, and the table that turns
 * their events into dns records (recorder/dns.c).
 *
 * The cgroup programs are attached as BPF links, which the kernel always
 * attaches in BPF_F_ALLOW_MULTI mode: they run beside the programs systemd
 * or a container runtime attach to the same cgroups, never instead of them,
 * and they leave with the recorder (a link dies with its last fd, even
 * when the recorder is killed).  On a hybrid host the hierarchy is the one
 * mounted at /sys/fs/cgroup/unified; every socket belongs to a cgroup of
 * it, so the root sees them all.
 *
 * The messages are read by the syscall family's sys_exit when it shared
 * its maps of the processes that talk to DNS servers (bpf/dns_sock.bpf.h,
 * bpf/dns_exit.bpf.h): then the two packet programs are not even loaded,
 * the status says "dns/messages" at sys_exit, and the processes that hold
 * such a socket already are found in /proc (recorder/dns_scan.c).
 * Otherwise the packet programs read every packet.
 *
 * getaddrinfo is probed in the libc the recorder itself runs with (found
 * in /proc/self/maps), for every process that maps that file: processes
 * of another libc (most containers) are seen only on the wire.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "dns.skel.h"
#include "dns.h"
#include "dns_scan.h"
#include "probes.h"
#include "record.h"
#include "util.h"

#define DNS_LINKS 8
#define MESSAGES_AT_EXIT \
	"tp_btf/sys_exit: read write readv writev sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg of processes that connect or send to port 53"

struct dns_state {
	struct dns_bpf *skel;
	struct bpf_link *links[DNS_LINKS];
	int nlinks;
	struct dns_table *table;
	uint64_t lost_seen, last_tick;
};

/* The path of the libc this process runs with, from its maps; 0 or -ENOENT. */
static int find_libc(char *buf, size_t cap)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/'), *base;
		size_t n;

		if (!path)
			continue;
		path[strcspn(path, "\n")] = '\0';
		base = strrchr(path, '/') + 1;
		n = strlen(base);
		/* libc.so.6, or libc-2.31.so on older glibc */
		if (!strcmp(base, "libc.so.6") || (!strncmp(base, "libc-", 5) && n > 8 && !strcmp(base + n - 3, ".so"))) {
			snprintf(buf, cap, "%s", path);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* "dns/egress" for handle_egress. */
static void probe_name(const struct bpf_program *prog, char *buf, size_t cap)
{
	const char *n = bpf_program__name(prog);

	snprintf(buf, cap, "dns/%s", strncmp(n, "handle_", 7) ? n : n + 7);
}

static void attach_cgroup(struct probes *p, struct dns_state *st, struct bpf_program *prog, int cgfd,
			  const char *root, const char *why)
{
	char name[64], attach[PROBE_TEXT_MAX];
	struct bpf_link *l = NULL;
	int err = cgfd < 0 ? -ENOENT : 0;

	probe_name(prog, name, sizeof(name));
	snprintf(attach, sizeof(attach), "%s:%s", bpf_program__section_name(prog), root[0] ? root : "?");
	if (!err) {
		l = bpf_program__attach_cgroup(prog, cgfd);
		err = libbpf_get_error(l);
		why = NULL;
	}
	if (!err && st->nlinks < DNS_LINKS)
		st->links[st->nlinks++] = l;
	probes_add_status(p, name, attach, err, why);
}

static void attach_getaddrinfo(struct probes *p, struct dns_state *st)
{
	char libc[512], name[64], attach[PROBE_TEXT_MAX], why[PROBE_TEXT_MAX];
	struct bpf_program *progs[2] = { st->skel->progs.handle_getaddrinfo, st->skel->progs.handle_getaddrinfo_ret };
	int err = find_libc(libc, sizeof(libc));

	for (int ret = 0; ret <= 1; ret++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "getaddrinfo", .retprobe = ret);
		struct bpf_link *l;

		probe_name(progs[ret], name, sizeof(name));
		snprintf(attach, sizeof(attach), "%s/%s:getaddrinfo", ret ? "uretprobe" : "uprobe",
			 err ? "libc.so.6" : libc);
		if (err) {
			snprintf(why, sizeof(why), "no libc.so.6 among the recorder's own mappings");
			probes_add_status(p, name, attach, err, why);
			continue;
		}
		l = bpf_program__attach_uprobe_opts(progs[ret], -1, libc, 0, &opts);
		if (!libbpf_get_error(l) && st->nlinks < DNS_LINKS)
			st->links[st->nlinks++] = l;
		probes_add_status(p, name, attach, (int)libbpf_get_error(l), NULL);
	}
}

static int dns_open(struct probes *p, void **state)
{
	struct dns_state *st = calloc(1, sizeof(*st));
	struct dns_bpf *skel;
	char root[256];
	int err, cgfd = -1, at_exit;

	if (!st || !(st->table = dns_table_new())) {
		free(st);
		return -ENOMEM;
	}
	if (!(skel = dns_bpf__open())) {
		err = -errno;
		dns_table_free(st->table);
		free(st);
		return err;
	}
	skel->rodata->wake_bytes = probes_wake_bytes(p->cfg);
	/* the messages: at the syscall family's exit when it shared its maps, else the packets */
	at_exit = probes_map_shared(p, "dns_procs");
	bpf_program__set_autoload(skel->progs.handle_egress, !at_exit);
	bpf_program__set_autoload(skel->progs.handle_ingress, !at_exit);
	skel->rodata->current_in_skb = !at_exit &&
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB, BPF_FUNC_get_current_pid_tgid, NULL) > 0 &&
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB, BPF_FUNC_get_current_comm, NULL) > 0;
	err = probes_load(p, "dns", skel->skeleton);
	if (err) {
		dns_bpf__destroy(skel);
		dns_table_free(st->table);
		free(st);
		return err;
	}
	st->skel = skel;
	cgroup2_mount(root, sizeof(root));
	if (root[0] && (cgfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		err = -errno;
	{
		char why[160];
		struct bpf_program *cg[] = { skel->progs.handle_connect4, skel->progs.handle_connect6,
					     skel->progs.handle_sendmsg4, skel->progs.handle_sendmsg6,
					     skel->progs.handle_egress,   skel->progs.handle_ingress };

		if (!root[0])
			snprintf(why, sizeof(why), "no cgroup2 file system mounted");
		else
			snprintf(why, sizeof(why), "cannot open %s: %s", root, strerror(-err));
		for (size_t i = 0; i < sizeof(cg) / sizeof(cg[0]) - (at_exit ? 2 : 0); i++)
			attach_cgroup(p, st, cg[i], cgfd, root, why);
	}
	if (cgfd >= 0)
		close(cgfd); /* the links hold the cgroup */
	if (at_exit) {
		/* after the hooks: a process that connects meanwhile is noted by them */
		int n = dns_scan_connected(bpf_map__fd(skel->maps.dns_procs), bpf_map__fd(skel->maps.exit_gates));

		if (n < 0)
			fprintf(stderr, "flightrec: dns: cannot look in /proc for sockets already connected to port 53: %s\n",
				strerror(-n));
		probes_add_status(p, "dns/messages", MESSAGES_AT_EXIT, 0, NULL);
	}
	attach_getaddrinfo(p, st);
	st->last_tick = now_boot_ns();
	*state = st;
	return 0;
}

static void emit_record(void *ctx, const struct fr_dns *r)
{
	struct probes *p = ctx;

	probes_put(p, r);
}

/* A query waits for its response; a response or a getaddrinfo return is a dns record. */
static void dns_event(struct probes *p, void *state, const void *data, size_t size)
{
	struct dns_state *st = state;

	dns_table_event(st->table, data, emit_record, p);
}

/* Queries unanswered for DNS_TIMEOUT_NS become TIMEOUT rows; a full table is a drop. */
static void dns_tick(struct probes *p, void *state, uint64_t now)
{
	struct dns_state *st = state;
	uint64_t lost = dns_table_lost(st->table);

	dns_table_expire(st->table, now, emit_record, p);
	if (lost > st->lost_seen) {
		probes_put_drop(p, "dns", lost - st->lost_seen, st->last_tick, now);
		st->lost_seen = lost;
	}
	st->last_tick = now;
}

static void dns_close(void *state)
{
	struct dns_state *st = state;

	for (int i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	dns_bpf__destroy(st->skel);
	dns_table_free(st->table);
	free(st);
}

static const struct probe_event dns_events[] = { { FR_EV_DNS, sizeof(struct fr_dns_event) } };

const struct probe_family family_dns = {
	.name = "dns",
	.open = dns_open,
	.events = dns_events,
	.nevents = 1,
	.event = dns_event,
	.tick = dns_tick,
	.close = dns_close,
};
