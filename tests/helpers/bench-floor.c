/*
 * bench-floor.c - load bpf/bench_floor.bpf.c (empty programs on sys_enter
 * and sys_exit), print "ready" and keep them attached until SIGTERM or
 * SIGINT.  For scripts/bench-syscalls; not installed.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_floor.skel.h"

int main(void)
{
	struct bench_floor_bpf *skel;
	sigset_t set;
	int sig, err;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	skel = bench_floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "bench-floor: cannot load the BPF object: %s\n", strerror(errno));
		return 1;
	}
	err = bench_floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "bench-floor: cannot attach: %s\n", strerror(-err));
		bench_floor_bpf__destroy(skel);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	bench_floor_bpf__destroy(skel);
	return 0;
}
