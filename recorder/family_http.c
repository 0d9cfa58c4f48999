/*
 * family_http.c - the http family: HTTP/1.x exchanges.  Its ring events
 * (FR_EV_HTTP) come from the syscall family's sys_exit and from the tls
 * family's SSL_read/SSL_write probes; its state is the tracker that pairs
 * a request with its response (recorder/http.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "probes.h"
#include "record.h"
#include "util.h"

struct http_state {
	struct http_tracker *tracker;
	uint64_t lost_seen; /* http_lost() at the last drop record */
	uint64_t last_tick;
};

/*
 * `--probes` names families; this one has no BPF object: the syscall
 * family's sys_exit takes the bytes when it is on (family_syscall.c), and
 * reports the probe.  Here only the case where that cannot happen.
 */
static int http_family_open(struct probes *p, void **state)
{
	int sc = probes_family_index("syscall");
	struct http_state *st = calloc(1, sizeof(*st));

	if (!st || !(st->tracker = http_new())) {
		free(st);
		return -ENOMEM;
	}
	st->last_tick = now_boot_ns();
	*state = st;
	if (p->cfg->syscalls == SYSCALLS_OFF || (sc >= 0 && (p->cfg->families_off & (1u << sc))))
		probes_add_status(p, "http/capture", "tp_btf/sys_exit", -ENOENT,
				  "needs the syscall family (--syscalls is off or --probes left it out)");
	return 0;
}

static void put_http(void *ctx, const struct fr_http *r)
{
	probes_put(ctx, r);
}

static void http_family_event(struct probes *p, void *state, const void *data, size_t size)
{
	struct http_state *st = state;

	http_observe(st->tracker, data, put_http, p);
}

/* Requests unanswered for HTTP_TIMEOUT_NS get their row; those the tracker had no room for, a drop. */
static void http_family_tick(struct probes *p, void *state, uint64_t now)
{
	struct http_state *st = state;
	uint64_t lost;

	http_expire(st->tracker, now, 0, put_http, p);
	if ((lost = http_lost(st->tracker)) > st->lost_seen) {
		probes_put_drop(p, "http", lost - st->lost_seen, st->last_tick, now);
		st->lost_seen = lost;
	}
	st->last_tick = now;
}

/* Unanswered so far: status 0. */
static void http_family_stop(struct probes *p, void *state, uint64_t now)
{
	struct http_state *st = state;

	http_expire(st->tracker, now, 1, put_http, p);
}

static void http_family_close(void *state)
{
	struct http_state *st = state;

	if (!st)
		return;
	http_free(st->tracker);
	free(st);
}

static const struct probe_event http_events[] = { { FR_EV_HTTP, sizeof(struct fr_http_msg) } };

const struct probe_family family_http = {
	.name = "http",
	.open = http_family_open,
	.events = http_events,
	.nevents = 1,
	.event = http_family_event,
	.tick = http_family_tick,
	.stop = http_family_stop,
	.close = http_family_close,
	/*
	 * One more helper call (a 4-byte read of the buffer) at the exit of
	 * every read and write: measurable on the hottest calls, so off
	 * unless asked for (--probes=+http).
	 */
	.opt_in = 1,
};
