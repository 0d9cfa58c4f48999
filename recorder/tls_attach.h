/*
 * tls_attach.h - attaching the tls family's uprobes to one copy of libssl,
 * in the recorder at start or, later, in a small privileged process.
 *
 * Creating a uprobe takes CAP_SYS_ADMIN (perf_event_open of the uprobe PMU
 * asks for it here, CAP_PERFMON is not enough), which the recorder gives
 * up once its probes are attached (privs.c).  Copies of libssl that
 * processes bring later (a container's own) are attached by the attacher:
 * a child forked before the drop that keeps only CAP_SYS_ADMIN,
 * CAP_SYS_PTRACE (to open the file through /proc/PID/root), CAP_BPF and
 * CAP_PERFMON, holds no descriptor but its socket and the two programs,
 * and does one thing: attach the programs to the file named in a request
 * and keep the links.  It dies with the recorder.
 */
#ifndef FR_TLS_ATTACH_H
#define FR_TLS_ATTACH_H

#include <stddef.h>

struct tls_bpf;
struct bpf_link;

#define LINKS_PER_LIB 16

/*
 * Attach SKEL's programs to every probed function of the libssl at PATH,
 * with library index LIB in their cookies; the links go to LINKS (room for
 * CAP), *NLINKS of them.  0, or -errno with the reason in WHY (-ENOENT:
 * not OpenSSL's libssl), nothing left attached.
 */
int tls_attach_file(struct tls_bpf *skel, const char *path, unsigned lib, struct bpf_link **links, int cap,
		    int *nlinks, char *why, size_t whycap);

/* Fork the attacher; its socket, or -errno. */
int tls_attacher_start(struct tls_bpf *skel);

/*
 * Ask the attacher on FD to attach PATH as library LIB: 0 or -errno with
 * WHY; -ECOMM when the attacher did not answer (gone, or stuck past 5 s):
 * FD is of no more use then.
 */
int tls_attacher_attach(int fd, const char *path, unsigned lib, char *why, size_t whycap);

#endif
