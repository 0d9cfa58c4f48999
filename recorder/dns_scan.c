/*
 * dns_scan.c - the processes that hold a socket connected to port 53 when
 * the recorder starts (dns_scan.h).
 *
 * The cgroup/connect and sendmsg hooks of bpf/dns.bpf.c note the processes
 * that connect to a DNS server from now on; a resolver that connected
 * before (a caching daemon's upstream socket, a client mid-lookup) is
 * found here, in two passes over /proc:
 *
 *  1. the socket tables of each network namespace, read once per
 *     namespace through the first process in it (/proc/PID/net/udp, udp6,
 *     tcp, tcp6): the inodes of the sockets whose remote port is 53, and
 *     the namespaces that have any;
 *  2. the descriptors of the processes of those namespaces
 *     (/proc/PID/fd/N -> "socket:[INODE]"): a process holding one of
 *     those inodes is noted.
 *
 * Socket inode numbers are unique across namespaces (sockfs has one
 * counter), so one list serves them all.  A process that exits or a
 * descriptor closed meanwhile is skipped; nothing here is an error but
 * /proc itself missing.
 */
#include <bpf/bpf.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dns_scan.h"

#define DNS_PORT_HEX 0x0035
#define DNS_SCAN_EPOCH_SLOT 1 /* struct exit_gates (bpf/exit_gates.bpf.h): tls_inflight, then dns_epoch */

struct u64_set {
	uint64_t *v;
	size_t n, cap;
};

static int set_has(const struct u64_set *s, uint64_t x)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return 1;
	return 0;
}

static int set_add(struct u64_set *s, uint64_t x)
{
	if (set_has(s, x))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

/* The inode N of a link "PREFIX:[N]" (/proc/PID/ns/net, /proc/PID/fd/M), 0 when it is not one. */
static uint64_t link_inode(const char *path, const char *prefix)
{
	char buf[64];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	size_t plen = strlen(prefix);

	if (n <= (ssize_t)plen + 2)
		return 0;
	buf[n] = '\0';
	if (strncmp(buf, prefix, plen) || buf[plen] != ':' || buf[plen + 1] != '[')
		return 0;
	return strtoull(buf + plen + 2, NULL, 10);
}

/*
 * The sockets of table PATH (/proc/PID/net/udp and the like) whose remote
 * port is 53, into SOCKS; how many, or -ENOMEM.  A line: "sl local_address
 * rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...",
 * addresses as HEX:PORT.
 */
static int read_table(const char *path, struct u64_set *socks)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char rem[64];
		unsigned port;
		uint64_t inode;
		char *colon;

		if (sscanf(line, " %*s %*s %63s %*s %*s %*s %*s %*s %*s %" SCNu64, rem, &inode) != 2)
			continue; /* the header */
		colon = strchr(rem, ':');
		if (!colon || sscanf(colon + 1, "%x", &port) != 1 || port != DNS_PORT_HEX || !inode)
			continue;
		if (set_add(socks, inode)) {
			fclose(f);
			return -ENOMEM;
		}
		found++;
	}
	fclose(f);
	return found;
}

static int is_pid(const char *name)
{
	for (const char *c = name; *c; c++)
		if (!isdigit((unsigned char)*c))
			return 0;
	return name[0] != '\0';
}

/* Pass 1: the port-53 sockets of every namespace, and the namespaces that have one. */
static int scan_tables(struct u64_set *socks, struct u64_set *nets_with)
{
	static const char *const tables[] = { "udp", "udp6", "tcp", "tcp6" };
	struct u64_set seen = { 0 };
	struct dirent *d;
	DIR *proc = opendir("/proc");
	int err = 0;

	if (!proc)
		return -errno;
	while (!err && (d = readdir(proc))) {
		char path[300];
		uint64_t net;
		int found = 0;

		if (!is_pid(d->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		if (!(net = link_inode(path, "net")) || set_has(&seen, net))
			continue;
		if ((err = set_add(&seen, net)))
			break;
		for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
			int n;

			snprintf(path, sizeof(path), "/proc/%s/net/%s", d->d_name, tables[i]);
			if ((n = read_table(path, socks)) < 0) {
				err = n;
				break;
			}
			found += n;
		}
		if (!err && found)
			err = set_add(nets_with, net);
	}
	closedir(proc);
	free(seen.v);
	return err;
}

/* Whether process PID (a /proc entry) holds one of SOCKS. */
static int holds_one(const char *pid, const struct u64_set *socks)
{
	char path[300];
	struct dirent *d;
	DIR *fds;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	if (!(fds = opendir(path)))
		return 0;
	while (!found && (d = readdir(fds))) {
		uint64_t ino;

		if (!is_pid(d->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, d->d_name);
		ino = link_inode(path, "socket");
		found = ino && set_has(socks, ino);
	}
	closedir(fds);
	return found;
}

int dns_scan_connected(int procs_fd, int gates_fd)
{
	struct u64_set socks = { 0 }, nets_with = { 0 };
	struct dirent *d;
	DIR *proc;
	int err, noted = 0;

	if ((err = scan_tables(&socks, &nets_with)) || !socks.n)
		goto out;
	if (!(proc = opendir("/proc"))) {
		err = -errno;
		goto out;
	}
	while ((d = readdir(proc))) {
		char path[300];
		uint32_t tgid, one = 1;

		if (!is_pid(d->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		if (!set_has(&nets_with, link_inode(path, "net")) || !holds_one(d->d_name, &socks))
			continue;
		tgid = (uint32_t)strtoul(d->d_name, NULL, 10);
		if (bpf_map_update_elem(procs_fd, &tgid, &one, BPF_ANY) == 0)
			noted++;
	}
	closedir(proc);
	if (noted) {
		/* mapped: added to as the hooks add to it, none of theirs lost */
		uint64_t *gates = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
				       gates_fd, 0);

		if (gates == MAP_FAILED) {
			err = -errno;
		} else {
			__atomic_fetch_add(&gates[DNS_SCAN_EPOCH_SLOT], 1, __ATOMIC_SEQ_CST);
			munmap(gates, (size_t)sysconf(_SC_PAGESIZE));
		}
	}
out:
	free(socks.v);
	free(nets_with.v);
	return err ? err : noted;
}
