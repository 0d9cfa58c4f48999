/*
 * recorder.h - the state of one `flightrec record` run, shared by the
 * files of the recorder's life: cmd_record.c (lifecycle and loop),
 * health.c (the health record each second) and status.c (`flightrec
 * status` and the recorder's description in manifests).
 */
#ifndef FR_RECORDER_H
#define FR_RECORDER_H

#include <stdint.h>

#include "hostinfo.h"
#include "options.h"
#include "probes.h"
#include "procscan.h"
#include "sink.h"
#include "snapshot.h"
#include "store.h"
#include "upload.h"
#include "writer.h"

struct recorder {
	struct record_opts o;
	int argc;                /* the command line, parsed again on SIGHUP */
	char **argv;
	struct hostinfo hi;
	struct store store;
	struct writer writer;
	struct sink sink;        /* every record's way to the writer */
	struct probes probes;
	struct snapshots snaps;
	struct uploads uploads;
	struct procscan_ctx scan; /* cgroup paths and pods */
	char logdir[4200], snapdir[4200], sockpath[4200];
	int lock_fd, ctl_fd, sig_fd, timer_fd, drain_fd, ep_fd;
	uint64_t started_boot, started_real;
	uint64_t ringbuf_lost; /* ring-buffer drops, in all */
	uint64_t last_drop_poll;
	struct {                 /* counters at the last health record */
		uint64_t ts, events, records, bytes, ringbuf_lost, writer_lost, cpu_ns;
		uint64_t kind_counts[FR_KIND_MAX];
	} prev;
	char rates[512];         /* events per second per kind, from the last interval */
	int write_failing;     /* the last flush failed: report once per episode */
	char extra_json[32768]; /* probes and options, for manifests and status: attach points may be long */
};

/* health.c: the recorder's vital signs of the last interval, as a health record put at NOW. */
void health_write(struct recorder *rc, uint64_t now);
/* health.c: start the first interval at NOW. */
void health_start(struct recorder *rc, uint64_t now);

/* status.c: the probes and options as JSON members, into rc->extra_json (at start and on reload). */
void status_describe(struct recorder *rc);
/* status.c: answer a status request on FD (text, or one line of JSON) and close it. */
void status_answer(struct recorder *rc, int fd, int json);

#endif
