/*
 * family_http.c - the http entry of the family table: HTTP/1.x exchanges
 * (recorder/http.c pairs them).
 */
#include <errno.h>

#include "probes.h"

/*
 * `--probes` names families; this one has no BPF object: the syscall
 * family's sys_exit takes the bytes when it is on (family_syscall.c), and
 * reports the probe.  Here only the case where that cannot happen.
 */
static int http_family_open(struct probes *p, void **state)
{
	int sc = probes_family_index("syscall");

	*state = NULL;
	if (p->cfg->syscalls == SYSCALLS_OFF || (sc >= 0 && (p->cfg->families_off & (1u << sc))))
		probes_add_status(p, "http/capture", "tp_btf/sys_exit", -ENOENT,
				  "needs the syscall family (--syscalls is off or --probes left it out)");
	return 0;
}

static void http_family_close(void *state)
{
}

const struct probe_family family_http = {
	.name = "http",
	.open = http_family_open,
	.close = http_family_close,
	/*
	 * One more helper call (a 4-byte read of the buffer) at the exit of
	 * every read and write: measurable on the hottest calls, so off
	 * unless asked for (--probes=+http).
	 */
	.opt_in = 1,
};
