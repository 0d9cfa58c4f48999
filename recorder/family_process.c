/*
 * family_process.c - loader of bpf/process.bpf.c: fork, exec, exit, OOM kills.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <unistd.h>

#include "probes.h"
#include "process.skel.h"

static int process_open(struct probes *p, void **state)
{
	struct process_bpf *skel = process_bpf__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->wake_bytes = probes_wake_bytes(p->cfg);
	skel->rodata->page_kb = (__u32)(sysconf(_SC_PAGESIZE) / 1024);
	err = probes_load(p, "process", skel->skeleton);
	if (err) {
		process_bpf__destroy(skel);
		return err;
	}
	probes_attach(p, "process", skel->progs.handle_fork, &skel->links.handle_fork);
	probes_attach(p, "process", skel->progs.handle_exec, &skel->links.handle_exec);
	probes_attach(p, "process", skel->progs.handle_exit, &skel->links.handle_exit);
	probes_attach(p, "process", skel->progs.handle_oom, &skel->links.handle_oom);
	*state = skel;
	return 0;
}

static void process_close(void *state)
{
	process_bpf__destroy(state);
}

const struct probe_family family_process = {
	.name = "process",
	.open = process_open,
	.close = process_close,
};
