/*
 * family_tls.c - loader of bpf/tls.bpf.c: TLS handshakes through every
 * copy of OpenSSL's libssl on the host, and the tls records made of them.
 *
 * Uprobes are per inode: attached with pid -1 on a library file, they fire
 * in every process that maps that file, including processes that start
 * later.  So what matters is the set of distinct libssl files (device and
 * inode), at most TLS_LIBS_MAX, found at start: the system's libssl
 * (libssl.so.3, .so.1.1 in the usual library directories) and every
 * libssl.so* mapped by a running process, found in /proc/PID/maps and
 * opened through /proc/PID/root (a container's own copy is another inode);
 * later, each exec'd process's maps are read at the next tick (by then the
 * dynamic loader has mapped its libraries) for a copy not attached yet,
 * which the attacher process attaches (tls_attach.h: the recorder itself
 * no longer may).  The first handshakes of the process that brought a new
 * copy can be missed, and so can a libssl dlopen()ed long after the exec.
 *
 * Each copy's struct offsets are read off its own accessors (see
 * bpf/tls.bpf.c) and travel in the uprobes' cookies, so two OpenSSL
 * releases side by side are each read right.  A copy without
 * SSL_do_handshake (NSS's libssl3.so) is not OpenSSL and is skipped.
 *
 * The handshake's socket (bpf/tls_sock.bpf.h): when the syscall family,
 * opened before this one, has its sys_exit attached and noting sockets,
 * it shared its maps of handshakes in flight (probes_share_maps), this
 * object loads with them, and its own sock_send_length/sock_recv_length
 * programs are not even loaded; the status says "tls/socket" at sys_exit.
 * Otherwise (--syscalls=off, --probes without syscall, the pre-5.11 tid
 * mode, the syscall family failed) those two tracepoints are attached, as
 * tls/sock_send and tls/sock_recv.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probes.h"
#include "record.h"
#include "tls.bpf.h"
#include "tls.skel.h"
#include "tls_attach.h"
#include "util.h"


#define EXEC_QUEUE 256 /* exec'd processes whose maps are read at the next tick */
/* Where the handshake's socket is noted by default (bpf/tls_exit.bpf.h), as the status says it. */
#define SOCKET_AT_EXIT "tp_btf/sys_exit of the syscall family: read write readv writev sendto recvfrom sendmsg recvmsg recvmmsg sendmmsg"

struct tls_lib {
	dev_t dev;
	ino_t ino;
	char path[256]; /* as the processes that map it name it */
	struct bpf_link *links[LINKS_PER_LIB];
	int nlinks;
};

struct tls_state {
	struct tls_bpf *skel;
	struct tls_lib libs[TLS_LIBS_MAX];
	int nlibs;
	struct { dev_t dev; ino_t ino; } rejected[TLS_LIBS_MAX]; /* not OpenSSL, or failed: not tried again */
	int nrejected;
	int attacher_fd; /* -1 when there is none */
	uint32_t execs[EXEC_QUEUE];
	int nexecs;
	int64_t *inflight; /* tls_inflight's slot, mapped; NULL when it could not be */
};

static int seen(struct tls_state *st, dev_t dev, ino_t ino)
{
	for (int i = 0; i < st->nlibs; i++)
		if (st->libs[i].dev == dev && st->libs[i].ino == ino)
			return 1;
	for (int i = 0; i < st->nrejected; i++)
		if (st->rejected[i].dev == dev && st->rejected[i].ino == ino)
			return 1;
	return 0;
}

static void reject(struct tls_state *st, dev_t dev, ino_t ino)
{
	if (st->nrejected < TLS_LIBS_MAX) {
		st->rejected[st->nrejected].dev = dev;
		st->rejected[st->nrejected].ino = ino;
		st->nrejected++;
	}
}

/*
 * Attach to the libssl that the host reaches at OPEN_PATH and processes
 * name SHOWN, unless that file is attached already.  A file that is not
 * OpenSSL's libssl is skipped quietly; a failure is reported in the probe
 * status.
 */
static void attach_lib(struct probes *p, struct tls_state *st, const char *open_path, const char *shown)
{
	struct tls_lib *l;
	char name[64], attach[PROBE_TEXT_MAX], why[PROBE_TEXT_MAX];
	const char *base;
	struct stat sb;
	int err;

	if (stat(open_path, &sb) < 0 || !S_ISREG(sb.st_mode) || seen(st, sb.st_dev, sb.st_ino))
		return;
	if (st->nlibs >= TLS_LIBS_MAX) {
		reject(st, sb.st_dev, sb.st_ino);
		return;
	}
	l = &st->libs[st->nlibs];
	memset(l, 0, sizeof(*l));
	why[0] = '\0';
	if (st->attacher_fd >= 0) {
		err = tls_attacher_attach(st->attacher_fd, open_path, (unsigned)st->nlibs, why, sizeof(why));
		if (err == -ECOMM) {
			close(st->attacher_fd);
			st->attacher_fd = -1;
		}
	} else
		err = tls_attach_file(st->skel, open_path, (unsigned)st->nlibs, l->links, LINKS_PER_LIB, &l->nlinks,
				      why, sizeof(why));
	if (err) {
		reject(st, sb.st_dev, sb.st_ino);
		/* NSS's libssl3.so and the like: another library of the same name, not a failure */
		if (err == -ENOENT)
			return;
	}
	base = strrchr(shown, '/') ? strrchr(shown, '/') + 1 : shown;
	snprintf(name, sizeof(name), "tls/%s", base);
	snprintf(attach, sizeof(attach), "uprobe/%s", shown);
	probes_add_status(p, name, attach, err, why);
	if (err)
		return;
	l->dev = sb.st_dev;
	l->ino = sb.st_ino;
	snprintf(l->path, sizeof(l->path), "%s", shown);
	st->nlibs++;
}

/* libssl.so, libssl.so.3, libssl.so.1.1: OpenSSL's names (not NSS's libssl3.so). */
static int is_libssl(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libssl.so", 9) && (base[9] == '\0' || base[9] == '.');
}

/* Attach every libssl that process PID maps (through its root: a container's are its own files). */
static void scan_maps(struct probes *p, struct tls_state *st, uint32_t pid)
{
	char fn[64], line[1024], last[512] = "", open_path[600];
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%u/maps", pid);
	if (!(f = fopen(fn, "re")))
		return; /* gone already */
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');
		size_t n;
		if (!path)
			continue;
		n = strcspn(path, "\n");
		path[n] = '\0';
		if (!is_libssl(path) || !strcmp(path, last) || strstr(path, " (deleted)"))
			continue;
		snprintf(last, sizeof(last), "%s", path);
		snprintf(open_path, sizeof(open_path), "/proc/%u/root%s", pid, path);
		attach_lib(p, st, open_path, path);
	}
	fclose(f);
}

/*
 * The count of threads inside a probed call (bpf/tls_sock.bpf.h): the
 * first field of exit_gates (bpf/exit_gates.bpf.h), mapped; NULL when it
 * cannot be.
 */
static int64_t *map_inflight(struct tls_bpf *skel)
{
	void *m = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(skel->maps.exit_gates), 0);

	return m == MAP_FAILED ? NULL : m;
}

static int tls_open(struct probes *p, void **state)
{
	static const char *const dirs[] = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
					    "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib",
					    "/usr/local/lib64", "/usr/local/lib" };
	static const char *const names[] = { "libssl.so.3", "libssl.so.1.1" };
	struct tls_state *st;
	struct dirent *de;
	char path[300];
	DIR *d;
	int err, at_exit;

	*state = NULL;
	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	st->attacher_fd = -1;
	if (!(st->skel = tls_bpf__open())) {
		err = -errno;
		free(st);
		return err;
	}
	st->skel->rodata->wake_bytes = probes_wake_bytes(p->cfg);
	/* HTTP over TLS: the plaintext of SSL_read/SSL_write, for the http family */
	st->skel->rodata->http_wanted = !(p->cfg->families_off & (1u << probes_family_index("http")));
	/* the handshake's socket: at the syscall family's exit when it shared its maps, else ours */
	at_exit = probes_map_shared(p, "tls_calls");
	bpf_program__set_autoload(st->skel->progs.handle_sock_send, !at_exit);
	bpf_program__set_autoload(st->skel->progs.handle_sock_recv, !at_exit);
	err = probes_load(p, "tls", st->skel->skeleton);
	if (err) {
		tls_bpf__destroy(st->skel);
		free(st);
		return err;
	}
	st->inflight = map_inflight(st->skel);
	if (st->skel->rodata->http_wanted) /* its plaintext's messages */
		overload_may_shed(&p->overload, SHED_HTTP);
	if (at_exit) {
		probes_add_status(p, "tls/socket", SOCKET_AT_EXIT, 0, NULL);
	} else {
		probes_attach(p, "tls", st->skel->progs.handle_sock_send, &st->skel->links.handle_sock_send);
		probes_attach(p, "tls", st->skel->progs.handle_sock_recv, &st->skel->links.handle_sock_recv);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], names[j]);
			attach_lib(p, st, path, path);
		}
	if ((d = opendir("/proc"))) {
		while ((de = readdir(d)))
			if (isdigit((unsigned char)de->d_name[0]))
				scan_maps(p, st, (uint32_t)strtoul(de->d_name, NULL, 10));
		closedir(d);
	}
	if (!st->nlibs)
		probes_add_status(p, "tls/libssl", "uprobe/libssl.so", -ENOENT,
				  "no OpenSSL libssl found; processes that bring one are attached at their exec");
	/* the copies of libssl of processes yet to start: the recorder will have dropped CAP_SYS_ADMIN */
	if ((st->attacher_fd = tls_attacher_start(st->skel)) < 0)
		probes_add_status(p, "tls/attacher", "fork", st->attacher_fd,
				  "cannot start the attacher: copies of libssl brought later are not attached");
	*state = st;
	return 0;
}

/*
 * A thread that died inside a probed libssl call (killed during a
 * handshake) never returned from it: its call stays in tls_calls and in the
 * count of threads in flight, and while that count is not 0 the programs
 * that note sockets look up every read and write of the host.  Each tick
 * that the count is not 0, the calls of threads that no longer exist are
 * removed and taken off it (never below 0: a count the programs are
 * changing at the same moment is only lowered by what was removed).
 */
static void sweep_dead_calls(struct tls_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.tls_calls);
	__u32 key, next, *prev = NULL;
	int64_t gone = 0, n;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct tls_call c;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c) || !c.depth)
			continue;
		/* ESRCH: no task has that id; EPERM (another user's) is alive */
		if (kill((pid_t)key, 0) == 0 || errno != ESRCH)
			continue;
		if (bpf_map_delete_elem(fd, &key) == 0)
			gone++;
	}
	n = __atomic_load_n(st->inflight, __ATOMIC_RELAXED);
	while (gone > 0 && n > 0 &&
	       !__atomic_compare_exchange_n(st->inflight, &n, n - (gone < n ? gone : n), 0, __ATOMIC_SEQ_CST,
					    __ATOMIC_RELAXED))
		;
}

static void tls_tick(struct probes *p, void *state, uint64_t now)
{
	struct tls_state *st = state;
	int before = p->nstatus;

	(void)now;
	if (!st)
		return;
	if (st->inflight && __atomic_load_n(st->inflight, __ATOMIC_RELAXED) > 0)
		sweep_dead_calls(st);
	for (int i = 0; i < st->nexecs && st->attacher_fd >= 0; i++)
		scan_maps(p, st, st->execs[i]);
	st->nexecs = 0;
	/* said as at start; the probe records of the next segment list them too */
	for (int i = before; i < p->nstatus; i++) {
		const struct probe_status *s = &p->status[i];
		if (s->ok)
			fprintf(stderr, "flightrec: probe %s attached (%s)\n", s->name, s->attach);
		else
			fprintf(stderr, "flightrec: probe %s failed (%s): %s\n", s->name, s->attach, s->why);
	}
}

static void tls_close(void *state)
{
	struct tls_state *st = state;

	if (!st)
		return;
	for (int i = 0; i < st->nlibs; i++)
		for (int j = 0; j < st->libs[i].nlinks; j++)
			bpf_link__destroy(st->libs[i].links[j]);
	if (st->attacher_fd >= 0)
		close(st->attacher_fd); /* the attacher exits, and its links go with it */
	if (st->inflight)
		munmap(st->inflight, (size_t)sysconf(_SC_PAGESIZE));
	tls_bpf__destroy(st->skel);
	free(st);
}

/* Process PID exec'd: its maps are read at the next tick for a libssl not attached yet. */
static void tls_observe(struct probes *p, void *state, const struct fr_kind_desc *k, const void *rec, int opening)
{
	struct tls_state *st = state;

	if (k->id != FR_KIND_exec || opening)
		return;
	/* Beyond EXEC_QUEUE execs a second (a fork-and-exec storm) the rest are
	 * not looked at: a copy of libssl they bring is in all likelihood one
	 * that an earlier process brought already. */
	if (st && st->attacher_fd >= 0 && st->nlibs < TLS_LIBS_MAX && st->nexecs < EXEC_QUEUE)
		st->execs[st->nexecs++] = ((const struct fr_exec *)rec)->pid;
}

static const char *const ssl_errors[] = {
	"SSL_ERROR_NONE",         "SSL_ERROR_SSL",          "SSL_ERROR_WANT_READ",
	"SSL_ERROR_WANT_WRITE",   "SSL_ERROR_WANT_X509_LOOKUP", "SSL_ERROR_SYSCALL",
	"SSL_ERROR_ZERO_RETURN",  "SSL_ERROR_WANT_CONNECT", "SSL_ERROR_WANT_ACCEPT",
	"SSL_ERROR_WANT_ASYNC",   "SSL_ERROR_WANT_ASYNC_JOB", "SSL_ERROR_WANT_CLIENT_HELLO_CB",
	"SSL_ERROR_WANT_RETRY_VERIFY",
};

/* X509_V_ERR_* codes (openssl/x509_vfy.h, stable numbers) and OpenSSL's texts for them. */
static const char *verify_text(long v)
{
	switch (v) {
	case 2: return "unable to get issuer certificate";
	case 4: return "unable to decrypt certificate's signature";
	case 7: return "certificate signature failure";
	case 9: return "certificate is not yet valid";
	case 10: return "certificate has expired";
	case 18: return "self-signed certificate";
	case 19: return "self-signed certificate in certificate chain";
	case 20: return "unable to get local issuer certificate";
	case 21: return "unable to verify the first certificate";
	case 22: return "certificate chain too long";
	case 23: return "certificate revoked";
	case 24: return "invalid CA certificate";
	case 26: return "unsupported certificate purpose";
	case 27: return "certificate not trusted";
	case 28: return "certificate rejected";
	case 62: return "hostname mismatch";
	case 63: return "email address mismatch";
	case 64: return "IP address mismatch";
	}
	return "certificate verify error";
}

/* The tls record that a ring event stands for: addresses as text, the error and the library named. */
static void tls_event(struct probes *p, void *state, const void *data, size_t size)
{
	struct tls_state *st = state;
	const struct fr_tls_event *e = data;
	struct fr_tls rec, *r = &rec;
	int af = e->family == 6 ? AF_INET6 : AF_INET;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	r->head.kind = FR_KIND_tls;
	r->head.size = sizeof(*r);
	r->ts = e->ts;
	r->pid = e->pid;
	memcpy(r->comm, e->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
	if (e->family && inet_ntop(af, e->laddr, r->laddr, sizeof(r->laddr)) &&
	    inet_ntop(af, e->raddr, r->raddr, sizeof(r->raddr))) {
		r->lport = e->lport;
		r->rport = e->rport;
	} else {
		r->laddr[0] = r->raddr[0] = '\0';
	}
	snprintf(r->role, sizeof(r->role), "%s",
		 e->role == TLS_ROLE_CLIENT ? "client" : e->role == TLS_ROLE_SERVER ? "server" : "");
	r->ok = e->ok;
	if (!e->ok) {
		if (e->error >= 0 && (size_t)e->error < sizeof(ssl_errors) / sizeof(ssl_errors[0]))
			n = (size_t)snprintf(r->error, sizeof(r->error), "%s", ssl_errors[e->error]);
		else
			n = (size_t)snprintf(r->error, sizeof(r->error), "SSL_get_error %d", e->error);
		/* 0 is X509_V_OK: a failure that was not about the certificate */
		if (e->verify > 0 && n < sizeof(r->error))
			snprintf(r->error + n, sizeof(r->error) - n, ": certificate verify failed: %s (%lld)",
				 verify_text(e->verify), (long long)e->verify);
	}
	r->latency_ns = e->latency_ns;
	if (st && e->lib < st->nlibs)
		snprintf(r->library, sizeof(r->library), "%s", st->libs[e->lib].path);
	probes_put(p, r);
}

static const struct probe_event tls_events[] = { { FR_EV_TLS, sizeof(struct fr_tls_event) } };

const struct probe_family family_tls = {
	.name = "tls",
	.open = tls_open,
	.events = tls_events,
	.nevents = 1,
	.event = tls_event,
	.observe = tls_observe,
	.tick = tls_tick,
	.close = tls_close,
};
