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
 * opened through /proc/PID/root (a container's own copy is another inode).
 *
 * Each copy's struct offsets are read off its own accessors (see
 * bpf/tls.bpf.c) and travel in the uprobes' cookies, so two OpenSSL
 * releases side by side are each read right.  A copy without
 * SSL_do_handshake (NSS's libssl3.so) is not OpenSSL and is skipped.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "family_tls.h"
#include "probes.h"
#include "record.h"
#include "tls.bpf.h"
#include "tls.skel.h"
#include "util.h"

#define LINKS_PER_LIB 16

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
};

static const struct {
	const char *symbol;
	enum tls_fn fn;
	int required;
} probed[] = {
	{ "SSL_do_handshake", TLS_FN_DO_HANDSHAKE, 1 },
	{ "SSL_connect", TLS_FN_CONNECT, 1 },
	{ "SSL_accept", TLS_FN_ACCEPT, 1 },
	{ "SSL_get_error", TLS_FN_GET_ERROR, 1 },
	{ "SSL_read", TLS_FN_READ, 1 },
	{ "SSL_write", TLS_FN_WRITE, 1 },
	{ "SSL_read_ex", TLS_FN_READ, 0 }, /* OpenSSL 1.1.1 and later */
	{ "SSL_write_ex", TLS_FN_WRITE, 0 },
};
#define NPROBED (sizeof(probed) / sizeof(probed[0]))

/* The file offset of dynamic symbol NAME's code in E, or -1. */
static off_t symbol_offset(Elf *e, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Phdr ph;
	size_t nph;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		if (!(d = elf_getdata(scn, NULL)))
			return -1;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *s;
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			if (!(s = elf_strptr(e, sh.sh_link, sym.st_name)) || strcmp(s, name))
				continue;
			if (elf_getphdrnum(e, &nph))
				return -1;
			for (size_t j = 0; j < nph; j++)
				if (gelf_getphdr(e, (int)j, &ph) && ph.p_type == PT_LOAD && sym.st_value >= ph.p_vaddr &&
				    sym.st_value < ph.p_vaddr + ph.p_filesz)
					return (off_t)(sym.st_value - ph.p_vaddr + ph.p_offset);
			return -1;
		}
	}
	return -1;
}

/*
 * The offset of the field that accessor SYM returns, when its code is one
 * load from its first argument (x86-64: [endbr64] mov disp(%rdi),%eax or
 * %rax), as OpenSSL 1.1.1 and 3.0/3.1 compile SSL_in_init, SSL_is_server
 * and SSL_get_verify_result.  TLS_OFF_NONE for anything else.
 */
static unsigned accessor_offset(Elf *e, int fd, const char *sym)
{
	unsigned char b[16];
	off_t off = symbol_offset(e, sym);
	int i = 0;
	long disp;

	if (off < 0 || pread(fd, b, sizeof(b), off) != (ssize_t)sizeof(b))
		return TLS_OFF_NONE;
	if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
		i = 4; /* endbr64 */
	if (b[i] == 0x48)
		i++; /* REX.W: a long */
	if (b[i] != 0x8b)
		return TLS_OFF_NONE;
	if (b[i + 1] == 0x47) /* mod 01 reg eax rm rdi: disp8 */
		disp = (signed char)b[i + 2];
	else if (b[i + 1] == 0x87) /* mod 10: disp32 */
		disp = (int32_t)((uint32_t)b[i + 2] | (uint32_t)b[i + 3] << 8 | (uint32_t)b[i + 4] << 16 |
				 (uint32_t)b[i + 5] << 24);
	else
		return TLS_OFF_NONE;
	return disp >= 0 && disp < TLS_OFF_NONE ? (unsigned)disp : TLS_OFF_NONE;
}

/* Learn the three offsets of the libssl at PATH; -errno when it cannot be read as ELF. */
static int learn_offsets(const char *path, unsigned *in_init, unsigned *server, unsigned *verify)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;

	*in_init = *server = *verify = TLS_OFF_NONE;
	if (fd < 0)
		return -errno;
	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ, NULL))) {
		close(fd);
		return -EINVAL;
	}
#if defined(__x86_64__)
	*in_init = accessor_offset(e, fd, "SSL_in_init");
	*server = accessor_offset(e, fd, "SSL_is_server");
	*verify = accessor_offset(e, fd, "SSL_get_verify_result");
#endif
	elf_end(e);
	close(fd);
	return 0;
}

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
	unsigned in_init, server, verify;
	struct tls_lib *l;
	char name[64], attach[96], why[160];
	const char *base;
	struct stat sb;
	int err = 0;

	if (stat(open_path, &sb) < 0 || !S_ISREG(sb.st_mode) || seen(st, sb.st_dev, sb.st_ino))
		return;
	if (st->nlibs >= TLS_LIBS_MAX) {
		reject(st, sb.st_dev, sb.st_ino);
		return;
	}
	if (learn_offsets(open_path, &in_init, &server, &verify) < 0) {
		reject(st, sb.st_dev, sb.st_ino);
		return;
	}
	l = &st->libs[st->nlibs];
	memset(l, 0, sizeof(*l));
	base = strrchr(shown, '/') ? strrchr(shown, '/') + 1 : shown;
	snprintf(name, sizeof(name), "tls/%s", base);
	snprintf(attach, sizeof(attach), "uprobe/%s", shown);
	why[0] = '\0';
	for (size_t i = 0; i < NPROBED && !err; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = probed[i].symbol);
		opts.bpf_cookie = TLS_COOKIE(probed[i].fn, st->nlibs, in_init, server, verify);
		for (int ret = 0; ret <= 1; ret++) {
			struct bpf_link *link;
			opts.retprobe = ret;
			link = bpf_program__attach_uprobe_opts(ret ? st->skel->progs.handle_return
								   : st->skel->progs.handle_call,
							       -1, open_path, 0, &opts);
			if ((err = libbpf_get_error(link))) {
				if (err == -ENOENT && !probed[i].required) {
					err = 0;
					break;
				}
				snprintf(why, sizeof(why), "%s %s: %s", ret ? "uretprobe" : "uprobe", probed[i].symbol,
					 err == -ENOENT ? "no such function" : strerror(-err));
				break;
			}
			l->links[l->nlinks++] = link;
		}
	}
	if (err) {
		for (int i = 0; i < l->nlinks; i++)
			bpf_link__destroy(l->links[i]);
		reject(st, sb.st_dev, sb.st_ino);
		/* NSS's libssl3.so and the like: another library of the same name, not a failure */
		if (err != -ENOENT)
			probes_add_status(p, name, attach, err, why);
		return;
	}
	l->dev = sb.st_dev;
	l->ino = sb.st_ino;
	snprintf(l->path, sizeof(l->path), "%s", shown);
	st->nlibs++;
	probes_add_status(p, name, attach, 0, NULL);
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
	int err;

	*state = NULL;
	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	if (!(st->skel = tls_bpf__open())) {
		err = -errno;
		free(st);
		return err;
	}
	st->skel->rodata->wake_bytes = probes_wake_bytes(p->cfg);
	err = probes_prepare_object(p, st->skel->obj);
	if (!err)
		err = tls_bpf__load(st->skel);
	if (err) {
		probes_family_failed(p, "tls", st->skel->obj, err);
		tls_bpf__destroy(st->skel);
		free(st);
		return err;
	}
	probes_attach(p, "tls", st->skel->progs.handle_sock_send, &st->skel->links.handle_sock_send);
	probes_attach(p, "tls", st->skel->progs.handle_sock_recv, &st->skel->links.handle_sock_recv);
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
		probes_add_status(p, "tls/libssl", "uprobe/libssl.so", -ENOENT, "no OpenSSL libssl found");
	*state = st;
	return 0;
}

static void tls_close(void *state)
{
	struct tls_state *st = state;

	if (!st)
		return;
	for (int i = 0; i < st->nlibs; i++)
		for (int j = 0; j < st->libs[i].nlinks; j++)
			bpf_link__destroy(st->libs[i].links[j]);
	tls_bpf__destroy(st->skel);
	free(st);
}

const struct probe_family family_tls = {
	.name = "tls",
	.open = tls_open,
	.close = tls_close,
};

static struct tls_state *find_state(struct probes *p)
{
	for (int i = 0; i < p->nfamilies; i++)
		if (p->family[i] == &family_tls)
			return p->state[i];
	return NULL;
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

void tls_expand(struct probes *p, const struct fr_tls_event *e, struct fr_tls *r)
{
	struct tls_state *st = find_state(p);
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
}
