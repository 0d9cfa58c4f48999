/*
 * tls_attach.c - the tls family's uprobes on one copy of libssl (see
 * tls_attach.h), and the attacher process that adds copies while the
 * recorder runs without the capability to.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "tls.bpf.h"
#include "tls.skel.h"
#include "tls_attach.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif

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
	{ "SSL_read_ex", TLS_FN_READ_EX, 0 }, /* OpenSSL 1.1.1 and later */
	{ "SSL_write_ex", TLS_FN_WRITE_EX, 0 },
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

int tls_attach_file(struct tls_bpf *skel, const char *path, unsigned lib, struct bpf_link **links, int cap,
		    int *nlinks, char *why, size_t whycap)
{
	unsigned in_init, server, verify;
	int err = 0;

	*nlinks = 0;
	why[0] = '\0';
	if ((err = learn_offsets(path, &in_init, &server, &verify)) < 0) {
		snprintf(why, whycap, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < NPROBED && !err; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = probed[i].symbol);
		opts.bpf_cookie = TLS_COOKIE(probed[i].fn, lib, in_init, server, verify);
		for (int ret = 0; ret <= 1 && *nlinks < cap; ret++) {
			struct bpf_link *link;
			opts.retprobe = ret;
			link = bpf_program__attach_uprobe_opts(ret ? skel->progs.handle_return : skel->progs.handle_call,
							       -1, path, 0, &opts);
			if ((err = libbpf_get_error(link))) {
				if (err == -ENOENT && !probed[i].required) {
					err = 0;
					break;
				}
				snprintf(why, whycap, "%s %s: %s", ret ? "uretprobe" : "uprobe", probed[i].symbol,
					 err == -ENOENT ? "no such function" : strerror(-err));
				break;
			}
			links[(*nlinks)++] = link;
		}
	}
	if (err) {
		for (int i = 0; i < *nlinks; i++)
			bpf_link__destroy(links[i]);
		*nlinks = 0;
	}
	return err;
}

struct attach_req {
	uint32_t lib;
	char path[600];
};

struct attach_resp {
	int32_t err;
	char why[160];
};

/* Every descriptor but KEEP[0..N): what the recorder had open is none of the attacher's business. */
static void close_others(const int *keep, int n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int dfd = d ? dirfd(d) : -1;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name), k = 0;
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd == dfd)
			continue;
		for (int i = 0; i < n; i++)
			k |= keep[i] == fd;
		if (!k)
			close(fd);
	}
	closedir(d);
}

static void keep_caps(uint64_t mask)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)mask;
	d[1].effective = d[1].permitted = (uint32_t)(mask >> 32);
	syscall(SYS_capset, &h, d);
}

static void attacher_main(int sock, pid_t parent, struct tls_bpf *skel)
{
	int keep[3] = { sock, bpf_program__fd(skel->progs.handle_call), bpf_program__fd(skel->progs.handle_return) };
	struct bpf_link *links[TLS_LIBS_MAX * LINKS_PER_LIB];
	int nlinks = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0); /* the recorder died before the line above */
	prctl(PR_SET_NAME, "flightrec-tls", 0, 0, 0);
	signal(SIGINT, SIG_IGN); /* a ^C to the recorder's group: it stops us by closing the socket */
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	close_others(keep, 3);
	keep_caps(1ULL << CAP_SYS_ADMIN | 1ULL << CAP_SYS_PTRACE | 1ULL << CAP_BPF | 1ULL << CAP_PERFMON);
	for (;;) {
		struct attach_req rq;
		struct attach_resp rs;
		int n;
		ssize_t got = recv(sock, &rq, sizeof(rq), 0);

		if (got <= 0)
			_exit(0); /* the recorder closed its end */
		memset(&rs, 0, sizeof(rs));
		if (got != (ssize_t)sizeof(rq) || !memchr(rq.path, '\0', sizeof(rq.path)) || rq.lib >= TLS_LIBS_MAX) {
			rs.err = -EINVAL;
			snprintf(rs.why, sizeof(rs.why), "bad request");
		} else if (nlinks + LINKS_PER_LIB > (int)(sizeof(links) / sizeof(links[0]))) {
			rs.err = -ENOSPC;
			snprintf(rs.why, sizeof(rs.why), "more than %d copies of libssl", TLS_LIBS_MAX);
		} else {
			rs.err = tls_attach_file(skel, rq.path, rq.lib, links + nlinks, LINKS_PER_LIB, &n, rs.why,
						 sizeof(rs.why));
			if (!rs.err)
				nlinks += n;
		}
		if (send(sock, &rs, sizeof(rs), MSG_NOSIGNAL) != (ssize_t)sizeof(rs))
			_exit(0);
	}
}

int tls_attacher_start(struct tls_bpf *skel)
{
	struct timeval tv = { .tv_sec = 5 };
	pid_t parent = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (pid == 0) {
		close(sv[0]);
		attacher_main(sv[1], parent, skel);
		_exit(0);
	}
	close(sv[1]);
	/* a stuck attacher must not stall the recorder's loop for long */
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return sv[0];
}

int tls_attacher_attach(int fd, const char *path, unsigned lib, char *why, size_t whycap)
{
	struct attach_req rq;
	struct attach_resp rs;

	memset(&rq, 0, sizeof(rq));
	rq.lib = lib;
	if (strlen(path) >= sizeof(rq.path)) {
		snprintf(why, whycap, "path too long");
		return -ENAMETOOLONG;
	}
	strcpy(rq.path, path);
	errno = 0;
	if (send(fd, &rq, sizeof(rq), MSG_NOSIGNAL) != (ssize_t)sizeof(rq) ||
	    recv(fd, &rs, sizeof(rs), 0) != (ssize_t)sizeof(rs)) {
		snprintf(why, whycap, "the attacher process did not answer: %s", errno ? strerror(errno) : "it is gone");
		return -ECOMM;
	}
	rs.why[sizeof(rs.why) - 1] = '\0';
	snprintf(why, whycap, "%s", rs.why);
	return rs.err;
}
