/*
 * cmd_record.c - `flightrec record`: the recorder's life.
 *
 * open -> lock DIR -> repair and open the store -> load and attach probes ->
 * one epoll loop over the ring buffer, signals, a 1 s timer and the control
 * socket -> on SIGTERM/SIGINT, drain, write pending snapshots, flush, close.
 * SIGHUP reads the config file again (options_reload()).
 *
 * The 1 s tick seals the partial block (so a crash loses at most about a
 * second), turns new ring-buffer drop counts into drop records, fsyncs the
 * segment, and starts the archives whose windows have ended.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cgroup.h"
#include "commands.h"
#include "control.h"
#include "family_dns.h"
#include "family_net.h"
#include "family_syscall.h"
#include "family_tls.h"
#include "family_uprobe.h"
#include "hostinfo.h"
#include "http.h"
#include "options.h"
#include "probes.h"
#include "privs.h"
#include "procscan.h"
#include "security.h"
#include "snapdir.h"
#include "snapshot.h"
#include "store.h"
#include "upload.h"
#include "util.h"
#include "writer.h"
/* How often the ring is drained when no BPF program asked for it. */
#define DRAIN_NS (100 * 1000 * 1000)
/* How long uploads may go on once the recorder is told to stop. */
#define UPLOAD_GRACE_NS (10 * NSEC_PER_SEC)


struct recorder {
	struct record_opts o;
	int argc;                /* the command line, parsed again on SIGHUP */
	char **argv;
	struct hostinfo hi;
	struct store store;
	struct writer writer;
	struct probes probes;
	struct snapshots snaps;
	struct uploads uploads;
	struct procscan_ctx scan; /* cgroup paths and pods */
	struct security *sec;     /* the security classifier, NULL when --probes turned it off */
	struct http_tracker *http; /* pairs HTTP requests and responses, NULL when --probes turned it off */
	uint64_t http_lost_seen;   /* http_lost() at the last drop record */
	char logdir[4200], snapdir[4200], sockpath[4200];
	int lock_fd, ctl_fd, sig_fd, timer_fd, drain_fd, ep_fd;
	uint64_t started_boot, started_real;
	uint64_t events;       /* events taken from the ring buffer */
	uint64_t bad_events;   /* events too short or of an unknown kind */
	uint64_t ringbuf_lost; /* ring-buffer drops, in all */
	uint64_t last_drop_poll;
	uint64_t kind_counts[FR_KIND_MAX];
	struct {                 /* counters at the last health record */
		uint64_t ts, events, records, bytes, ringbuf_lost, writer_lost, cpu_ns;
		uint64_t kind_counts[FR_KIND_MAX];
	} prev;
	char rates[512];         /* events per second per kind, from the last interval */
	int write_failing;     /* the last flush failed: report once per episode */
	char extra_json[32768]; /* probes and options, for manifests and status: attach points may be long */
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int request_snapshot(struct recorder *rc, uint64_t before, uint64_t after, const char *type,
			    const char *reason, const char *record, unsigned redact, int client);

/* A rule that holds for this record takes a snapshot around it. */
static void check_triggers(struct recorder *rc, const struct fr_kind_desc *k, const void *rec)
{
	const struct trigger_rule *r;
	char what[512];

	if ((r = triggers_check(&rc->o.triggers, k, rec, what, sizeof(what))))
		request_snapshot(rc, rc->o.snap_before, rc->o.snap_after, "rule", r->text, what, 0, -1);
}

/* A security record made by the classifier, written like any event. */
static void on_security(void *ctx, const struct fr_security *r)
{
	struct recorder *rc = ctx;
	const struct fr_kind_desc *k = fr_kind_by_id(FR_KIND_security);

	rc->kind_counts[FR_KIND_security]++;
	if (triggers_watch(&rc->o.triggers, FR_KIND_security))
		check_triggers(rc, k, r);
	writer_add(&rc->writer, k, r);
}

/* An http record: a request paired with its response (http.c). */
static void on_http(void *ctx, const struct fr_http *r)
{
	struct recorder *rc = ctx;
	const struct fr_kind_desc *k = fr_kind_by_id(FR_KIND_http);

	rc->kind_counts[FR_KIND_http]++;
	if (triggers_watch(&rc->o.triggers, FR_KIND_http))
		check_triggers(rc, k, r);
	writer_add(&rc->writer, k, r);
}

/* Ring-buffer callback: one event of the ring-buffer ABI into the writer. */
static int on_event(void *ctx, const void *data, size_t size)
{
	struct recorder *rc = ctx;
	const struct fr_head *h = data;
	const struct fr_kind_desc *k;

	rc->events++;
	if (size >= sizeof(*h) && h->kind == FR_EV_SYSCALL_BRIEF && size >= sizeof(struct fr_syscall_brief)) {
		struct fr_syscall s;

		syscall_expand_brief(data, &s);
		k = fr_kind_by_id(FR_KIND_syscall);
		rc->kind_counts[FR_KIND_syscall]++;
		if (triggers_watch(&rc->o.triggers, FR_KIND_syscall))
			check_triggers(rc, k, &s);
		writer_add(&rc->writer, k, &s);
		security_observe(rc->sec, FR_KIND_syscall, &s, on_security, rc);
		return 0;
	}
	if (size >= sizeof(*h) && h->kind == FR_EV_FUNC && size >= sizeof(struct fr_func_event)) {
		struct fr_func f;

		uprobe_expand_func(&rc->o.probe, data, &f);
		k = fr_kind_by_id(FR_KIND_func);
		rc->kind_counts[FR_KIND_func]++;
		writer_add(&rc->writer, k, &f);
		return 0;
	}
	if (size >= sizeof(*h) && h->kind == FR_EV_DNS && size >= sizeof(struct fr_dns_event)) {
		/* the dns records it makes come back through this function */
		dns_family_event(&rc->probes, data);
		return 0;
	}
	if (size >= sizeof(*h) && h->kind == FR_EV_HTTP && size >= sizeof(struct fr_http_msg)) {
		http_observe(rc->http, data, on_http, rc);
		return 0;
	}
	if (size >= sizeof(*h) && h->kind == FR_EV_TLS && size >= sizeof(struct fr_tls_event)) {
		struct fr_tls t;

		tls_expand(&rc->probes, data, &t);
		k = fr_kind_by_id(FR_KIND_tls);
		rc->kind_counts[FR_KIND_tls]++;
		if (triggers_watch(&rc->o.triggers, FR_KIND_tls))
			check_triggers(rc, k, &t);
		writer_add(&rc->writer, k, &t);
		return 0;
	}
	if (size < sizeof(*h) || !(k = fr_kind_by_id(h->kind)) || size < k->struct_size) {
		rc->bad_events++;
		return 0;
	}
	rc->kind_counts[h->kind]++;
	if (triggers_watch(&rc->o.triggers, h->kind) && h->kind != FR_KIND_conn)
		check_triggers(rc, k, data);
	if (h->kind == FR_KIND_conn) {
		struct fr_conn c;
		memcpy(&c, data, sizeof(c));
		net_format_conn(&c);
		if (triggers_watch(&rc->o.triggers, h->kind))
			check_triggers(rc, k, &c);
		writer_add(&rc->writer, k, &c);
		return 0;
	}
	if (h->kind == FR_KIND_exec) {
		/* What BPF cannot cheaply read: resolved exe, cgroup path, container. */
		struct fr_exec e;
		memcpy(&e, data, sizeof(e));
		procscan_enrich_exec(&rc->scan, &e);
		tls_note_exec(&rc->probes, e.pid); /* a libssl of its own? */
		writer_add(&rc->writer, k, &e);
		security_observe(rc->sec, h->kind, &e, on_security, rc);
		return 0;
	}
	writer_add(&rc->writer, k, data);
	security_observe(rc->sec, h->kind, data, on_security, rc);
	return 0;
}

struct opening {
	struct writer *w;
	struct security *sec;
};

static void add_opening_proc(void *ctx, const struct fr_proc *p)
{
	struct opening *o = ctx;

	writer_add_opening(o->w, fr_kind_by_id(FR_KIND_proc), p);
	security_observe(o->sec, FR_KIND_proc, p, NULL, NULL);
}

/* Every segment opens with the process table, so it can be read alone. */
static void on_new_segment(void *ctx, struct writer *w)
{
	struct recorder *rc = ctx;

	uint64_t now = now_boot_ns();

	/* which probes run, so that every segment says what it can hold */
	for (int i = 0; i < rc->probes.nstatus; i++) {
		const struct probe_status *s = &rc->probes.status[i];
		struct fr_probe p;
		memset(&p, 0, sizeof(p));
		p.head.kind = FR_KIND_probe;
		p.ts = now;
		snprintf(p.name, sizeof(p.name), "%s", s->name);
		snprintf(p.attach, sizeof(p.attach), "%s", s->attach);
		p.ok = (uint8_t)s->ok;
		snprintf(p.error, sizeof(p.error), "%s", s->ok ? "" : s->why);
		writer_add_opening(w, fr_kind_by_id(FR_KIND_probe), &p);
	}
	/* the classifier's table of processes starts again from the same scan */
	struct opening o = { w, rc->sec };
	security_reset(rc->sec);
	procscan_all(&rc->scan, now, add_opening_proc, &o);
}

static void on_ringbuf_drop(void *ctx, int cpu, uint64_t n)
{
	struct recorder *rc = ctx;
	struct fr_drop d;

	memset(&d, 0, sizeof(d));
	d.head.kind = FR_KIND_drop;
	d.ts = now_boot_ns();
	memcpy(d.source, FR_DROP_RINGBUF, sizeof(FR_DROP_RINGBUF));
	d.cpu = (uint32_t)cpu;
	d.count = n;
	d.since_ts = rc->last_drop_poll;
	rc->ringbuf_lost += n;
	writer_add(&rc->writer, fr_kind_by_id(FR_KIND_drop), &d);
}

static void flush(struct recorder *rc)
{
	writer_flush(&rc->writer);
	/* Full blocks are also written (or not) between ticks: report changes of state. */
	if (rc->writer.failing && !rc->write_failing)
		fprintf(stderr, "flightrec: %s; counting lost records until writes succeed again\n",
			rc->store.err);
	else if (!rc->writer.failing && rc->write_failing)
		fprintf(stderr, "flightrec: writing again; %" PRIu64 " records were lost in all\n",
			rc->writer.lost);
	rc->write_failing = rc->writer.failing;
}

static void describe(struct recorder *rc)
{
	char *p = rc->extra_json;
	size_t cap = sizeof(rc->extra_json);
	int n = snprintf(p, cap, "\"probes\": [");

	for (int i = 0; i < rc->probes.nstatus && n < (int)cap; i++) {
		const struct probe_status *s = &rc->probes.status[i];
		n += snprintf(p + n, cap - (size_t)n, "%s{\"name\": \"%s\", \"attach\": \"%s\", \"ok\": %s%s%s%s}",
			      i ? ", " : "", s->name, s->attach, s->ok ? "true" : "false",
			      s->ok ? "" : ", \"error\": \"", s->ok ? "" : s->why, s->ok ? "" : "\"");
	}
	if (n < (int)cap)
		snprintf(p + n, cap - (size_t)n,
			 "],\n  \"options\": {\"max_disk\": %" PRIu64 ", \"segment_size\": %" PRIu64
			 ", \"segment_age_ns\": %" PRIu64 ", \"snapshot_before_ns\": %" PRIu64
			 ", \"snapshot_after_ns\": %" PRIu64 ", \"ring_size\": %" PRIu64 "}",
			 rc->o.store.max_disk, rc->o.store.segment_size, rc->o.store.segment_age_ns,
			 rc->o.snap_before, rc->o.snap_after, rc->o.ring_size);
}

static struct archive_job job_for(struct recorder *rc, const struct snap_req *r)
{
	struct archive_job job = {
		.logdir = rc->logdir,
		.snapdir = rc->snapdir,
		.hi = &rc->hi,
		.extra_json = rc->extra_json,
		.redact = rc->o.redact | r->win.redact,
		.win = r->win,
	};
	return job;
}

static int request_snapshot(struct recorder *rc, uint64_t before, uint64_t after, const char *type,
			    const char *reason, const char *record, unsigned redact, int client)
{
	struct window_spec w = { 0 };
	uint64_t now = now_boot_ns();
	int ret;

	/* A trigger inside a window still waiting to be written extends it. */
	for (struct snap_req *r = rc->snaps.head; r; r = r->next) {
		if (r->pid || now > r->win.end_boot)
			continue;
		if (now + after > r->win.end_boot)
			r->win.end_boot = now + after;
		if (now - before < r->win.start_boot && now > before)
			r->win.start_boot = now - before;
		r->win.ntriggers++;
		r->win.redact |= redact; /* whoever asks for less exposure wins */
		if (client >= 0 && r->nclients < SNAP_CLIENTS_MAX)
			r->clients[r->nclients++] = client;
		else if (client >= 0)
			close(client);
		fprintf(stderr, "flightrec: snapshot trigger (%s) folded into the pending window, which now ends %.1fs from now\n",
			reason, (double)(r->win.end_boot - now) / 1e9);
		return 0;
	}
	w.trigger_boot = now;
	w.ntriggers = 1;
	w.redact = redact;
	if (record)
		snprintf(w.trigger_record, sizeof(w.trigger_record), "%s", record);
	w.start_boot = now > before ? now - before : 0;
	w.end_boot = now + after;
	snprintf(w.reason, sizeof(w.reason), "%s", reason);
	snprintf(w.trigger_type, sizeof(w.trigger_type), "%s", type);
	snprintf(w.trigger_detail, sizeof(w.trigger_detail), "%s", !strcmp(type, "signal") ? "SIGUSR1" : reason);
	ret = snapshots_add(&rc->snaps, &w, store_seq_for(&rc->store, w.start_boot), client);
	if (ret == 0)
		store_pin(&rc->store, snapshots_pin(&rc->snaps));
	fprintf(stderr, "flightrec: snapshot requested (%s): window of %.1fs before and %.1fs after\n", reason,
		(double)before / 1e9, (double)after / 1e9);
	return ret;
}

static void start_due_snapshots(struct recorder *rc, uint64_t now)
{
	struct snap_req *r;

	/* One writer at a time keeps the disk and memory cost of snapshots bounded. */
	if (snapshots_running(&rc->snaps) || !(r = snapshots_due(&rc->snaps, now)))
		return;
	/* what waits in the ring (up to a drain period of it) belongs in the window */
	probes_consume(&rc->probes);
	flush(rc);
	store_sync(&rc->store);
	struct archive_job job = job_for(rc, r);
	struct fr_conn *open_conns = NULL;
	size_t nopen = 0;
	if (net_open_conns(&rc->probes, now_boot_ns(), &open_conns, &nopen) == 0) {
		job.open_conns = open_conns;
		job.nopen_conns = nopen;
	}
	if (snapshots_start(&rc->snaps, r, &job) < 0)
		snapshots_run_now(&rc->snaps, r, &job);
	free(open_conns); /* the child has its own copy */
	store_pin(&rc->store, snapshots_pin(&rc->snaps));
}

static uint64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t self_rss(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Once a second: the recorder's own vital signs, as a health record. */
static void write_health(struct recorder *rc, uint64_t now)
{
	struct fr_health h;
	uint64_t cpu = self_cpu_ns(), interval = now - rc->prev.ts;
	size_t n = 0;
	int ok = 0;

	memset(&h, 0, sizeof(h));
	h.head.kind = FR_KIND_health;
	h.ts = now;
	h.interval_ns = interval;
	h.events = rc->events - rc->prev.events;
	h.records = rc->writer.records - rc->prev.records;
	h.bytes = rc->writer.bytes - rc->prev.bytes;
	h.ringbuf_drops = rc->ringbuf_lost - rc->prev.ringbuf_lost;
	h.writer_lost = rc->writer.lost - rc->prev.writer_lost;
	h.disk_bytes = rc->store.total;
	h.disk_budget = rc->o.store.max_disk;
	h.rss_bytes = self_rss();
	h.cpu_ns = cpu - rc->prev.cpu_ns;
	for (int i = 0; i < rc->probes.nstatus; i++)
		ok += rc->probes.status[i].ok;
	h.probes_ok = (uint32_t)ok;
	h.probes_failed = (uint32_t)(rc->probes.nstatus - ok);
	rc->rates[0] = '\0';
	for (unsigned i = 0; i < fr_nkinds; i++) {
		unsigned id = fr_kinds[i].id;
		uint64_t d = rc->kind_counts[id] - rc->prev.kind_counts[id];
		if (!d || n >= sizeof(h.kinds) - 1)
			continue;
		n += (size_t)snprintf(h.kinds + n, sizeof(h.kinds) - n, "%s%s=%llu", n ? " " : "", fr_kinds[i].name,
				      (unsigned long long)d);
	}
	snprintf(rc->rates, sizeof(rc->rates), "%s", h.kinds);
	writer_add(&rc->writer, fr_kind_by_id(FR_KIND_health), &h);
	rc->prev.ts = now;
	rc->prev.events = rc->events;
	rc->prev.records = rc->writer.records;
	rc->prev.bytes = rc->writer.bytes;
	rc->prev.ringbuf_lost = rc->ringbuf_lost;
	rc->prev.writer_lost = rc->writer.lost;
	rc->prev.cpu_ns = cpu;
	memcpy(rc->prev.kind_counts, rc->kind_counts, sizeof(rc->kind_counts));
}

static void tick(struct recorder *rc)
{
	uint64_t now = now_boot_ns();

	probes_tick(&rc->probes, now);
	http_expire(rc->http, now, 0, on_http, rc);
	if (http_lost(rc->http) > rc->http_lost_seen) { /* requests the tracker had no room for */
		struct fr_drop d;
		memset(&d, 0, sizeof(d));
		d.head.kind = FR_KIND_drop;
		d.ts = now;
		memcpy(d.source, "http", 5);
		d.cpu = FR_CPU_NONE;
		d.count = http_lost(rc->http) - rc->http_lost_seen;
		d.since_ts = rc->last_drop_poll;
		rc->http_lost_seen = http_lost(rc->http);
		writer_add(&rc->writer, fr_kind_by_id(FR_KIND_drop), &d);
	}
	probes_read_drops(&rc->probes, on_ringbuf_drop, rc);
	rc->last_drop_poll = now;
	write_health(rc, now);
	flush(rc);
	store_sync(&rc->store);
	start_due_snapshots(rc, now);
	uploads_tick(&rc->uploads, now);
}

static void answer_status(struct recorder *rc, int fd, int json)
{
	char buf[65536], started[40], oldest[40], budget[32], used[32];
	uint64_t boot, real, oldest_boot = rc->store.nsegs ? rc->store.segs[0].created_boot : 0;
	int ok = 0, n;

	clock_pair(&boot, &real);
	fr_format_utc((int64_t)rc->started_real, started, sizeof(started));
	if (oldest_boot)
		fr_format_utc((int64_t)(oldest_boot + (real - boot)), oldest, sizeof(oldest));
	else
		snprintf(oldest, sizeof(oldest), "-");
	for (int i = 0; i < rc->probes.nstatus; i++)
		ok += rc->probes.status[i].ok;
	if (json) {
		n = snprintf(buf, sizeof(buf),
			     "ok {\"pid\": %d, \"dir\": \"%s\", \"started_utc\": \"%s\", \"uptime_ns\": %" PRIu64
			     ", \"events\": %" PRIu64 ", \"events_per_second\": \"%s\", \"records_written\": %" PRIu64
			     ", \"blocks\": %" PRIu64 ", \"bytes_written\": %" PRIu64 ", \"ringbuf_drops\": %" PRIu64
			     ", \"writer_lost\": %" PRIu64 ", \"bad_events\": %" PRIu64 ", \"segments\": %zu"
			     ", \"disk_bytes\": %" PRIu64 ", \"disk_budget\": %" PRIu64 ", \"oldest_utc\": \"%s\""
			     ", \"probes_ok\": %d, \"probes_failed\": %d, \"snapshots_written\": %" PRIu64
			     ", \"snapshots_pending\": %d, \"upload_ok\": %" PRIu64 ", \"upload_failed\": %" PRIu64
			     ", \"uploads_running\": %d, %s}\n",
			     getpid(), rc->o.dir, started, boot - rc->started_boot, rc->events, rc->rates,
			     rc->writer.records, rc->writer.blocks, rc->writer.bytes, rc->ringbuf_lost, rc->writer.lost,
			     rc->bad_events, rc->store.nsegs, rc->store.total, rc->o.store.max_disk, oldest, ok,
			     rc->probes.nstatus - ok, rc->snaps.written, rc->snaps.head != NULL, rc->uploads.ok,
			     rc->uploads.failed, uploads_running(&rc->uploads), rc->extra_json);
		/* one line: the manifest part is pretty-printed */
		for (char *p = buf; *p && p < buf + n - 1; p++)
			if (*p == '\n')
				*p = ' ';
	} else {
		format_size(rc->store.total, used, sizeof(used));
		format_size(rc->o.store.max_disk, budget, sizeof(budget));
		n = snprintf(buf, sizeof(buf),
			     "ok recorder pid %d, recording to %s/log since %s\n"
			     "events:    %" PRIu64 " in all; last second: %s\n"
			     "written:   %" PRIu64 " records in %" PRIu64 " blocks, %" PRIu64 " bytes\n"
			     "lost:      %" PRIu64 " in the ring buffer, %" PRIu64 " on the way to disk\n"
			     "disk:      %s of %s in %zu segments; oldest record from %s\n"
			     "snapshots: %" PRIu64 " written, %s pending, in %s\n"
			     "uploads:   %" PRIu64 " ok, %" PRIu64 " failed, %d running\n"
			     "probes:    %d attached, %d failed\n",
			     getpid(), rc->o.dir, started, rc->events, rc->rates[0] ? rc->rates : "none",
			     rc->writer.records, rc->writer.blocks, rc->writer.bytes, rc->ringbuf_lost, rc->writer.lost,
			     used, budget, rc->store.nsegs, oldest, rc->snaps.written, rc->snaps.head ? "some" : "none",
			     rc->snapdir, rc->uploads.ok, rc->uploads.failed, uploads_running(&rc->uploads), ok,
			     rc->probes.nstatus - ok);
		uint64_t calls[UPROBES_MAX];
		char ncalls[40];
		int u = 0;
		uprobe_calls(&rc->probes, calls, UPROBES_MAX);
		for (int i = 0; i < rc->probes.nstatus && n < (int)sizeof(buf); i++) {
			const struct probe_status *st = &rc->probes.status[i];
			ncalls[0] = '\0';
			/* uprobe rows come in --uprobe order, which is their slot */
			if (!strncmp(st->name, "uprobe/", 7) && u < UPROBES_MAX && st->ok)
				snprintf(ncalls, sizeof(ncalls), " (%" PRIu64 " calls)", calls[u]);
			if (!strncmp(st->name, "uprobe/", 7))
				u++;
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "  %-22s %-8s %s%s%s%s\n", st->name,
				      st->ok ? "attached" : "FAILED", st->attach, st->ok ? "" : ": ", st->ok ? "" : st->why,
				      ncalls);
		}
	}
	send(fd, buf, strlen(buf), MSG_NOSIGNAL);
	close(fd);
}

static void on_control(struct recorder *rc)
{
	struct control_req req;
	int fd = control_accept(rc->ctl_fd, &req);

	if (fd < 0)
		return;
	if (req.op == CTL_STATUS) {
		answer_status(rc, fd, req.json);
		return;
	}
	if (request_snapshot(rc, req.before_ns, req.after_ns, "command", req.reason[0] ? req.reason : "manual", NULL,
			     req.redact, req.wait ? fd : -1) < 0) {
		send(fd, "error out of memory\n", 20, MSG_NOSIGNAL);
		close(fd);
		return;
	}
	if (!req.wait) {
		send(fd, "queued\n", 7, MSG_NOSIGNAL);
		close(fd);
	}
	/* A window that ends now is written on this turn of the loop. */
	start_due_snapshots(rc, now_boot_ns());
}

static void on_archive_written(void *ctx, const char *path)
{
	struct recorder *rc = ctx;

	uploads_start(&rc->uploads, path);
}

static void reap_children(struct recorder *rc)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (snapshots_reap(&rc->snaps, pid, status)) {
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				snapdir_clean_tmp(rc->snapdir); /* the writer died: no other runs */
			snapdir_enforce(rc->snapdir, rc->o.max_snapshots, rc->o.max_snapshot_disk);
		} else
			uploads_reap(&rc->uploads, pid, status);
	}
	store_pin(&rc->store, snapshots_pin(&rc->snaps));
}

/*
 * SIGHUP: the config file again.  What changed and applies while
 * recording takes effect now; the log says which changes wait for a
 * restart.  A bad file changes nothing and is one line in the log.
 */
static void reload(struct recorder *rc)
{
	char applied[512], restart[512];

	if (!rc->o.config) {
		fprintf(stderr, "flightrec: SIGHUP: no config file to read again (start with --config FILE)\n");
		return;
	}
	if (options_reload(rc->argc, rc->argv, &rc->o, applied, restart, sizeof(applied))) {
		fprintf(stderr, "flightrec: reload: %s; keeping the running configuration\n", rc->o.err);
		return;
	}
	rc->store.opts = rc->o.store;
	store_enforce_budget(&rc->store);
	snapdir_enforce(rc->snapdir, rc->o.max_snapshots, rc->o.max_snapshot_disk);
	describe(rc);
	fprintf(stderr, "flightrec: reloaded %s: %s%s%s%s%s\n", rc->o.config,
		applied[0] ? "applied " : "", applied, applied[0] && restart[0] ? "; " : "",
		restart[0] ? "changed but needing a restart: " : "", restart[0] ? restart : applied[0] ? "" : "no change");
}

/* 1 to go on, 0 to stop. */
static int on_signal(struct recorder *rc)
{
	struct signalfd_siginfo si;

	while (read(rc->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			request_snapshot(rc, rc->o.snap_before, rc->o.snap_after, "signal", "sigusr1", NULL, 0, -1);
			break;
		case SIGCHLD:
			reap_children(rc);
			break;
		case SIGHUP:
			reload(rc);
			break;
		case SIGINT:
		case SIGTERM:
			return 0;
		}
	}
	return 1;
}

static int ep_add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int setup_loop(struct recorder *rc)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct itimerspec drain = { .it_interval = { 0, DRAIN_NS }, .it_value = { 0, DRAIN_NS } };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	rc->timer_fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	/* BPF programs wake us only when the ring fills (bpf/maps.bpf.h). */
	rc->drain_fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	rc->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (rc->sig_fd < 0 || rc->timer_fd < 0 || rc->drain_fd < 0 || rc->ep_fd < 0 ||
	    timerfd_settime(rc->timer_fd, 0, &its, NULL) < 0 || timerfd_settime(rc->drain_fd, 0, &drain, NULL) < 0)
		return -errno;
	if (ep_add(rc->ep_fd, rc->sig_fd) || ep_add(rc->ep_fd, rc->timer_fd) || ep_add(rc->ep_fd, rc->drain_fd) ||
	    ep_add(rc->ep_fd, rc->ctl_fd) ||
	    ep_add(rc->ep_fd, probes_fd(&rc->probes)))
		return -errno;
	return 0;
}

static void run_loop(struct recorder *rc)
{
	struct epoll_event evs[8];

	for (;;) {
		int n = epoll_wait(rc->ep_fd, evs, 8, 1000);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == rc->sig_fd) {
				if (!on_signal(rc))
					return;
			} else if (fd == rc->timer_fd) {
				uint64_t expirations;
				if (read(rc->timer_fd, &expirations, sizeof(expirations)) > 0)
					tick(rc);
			} else if (fd == rc->drain_fd) {
				uint64_t expirations;
				if (read(rc->drain_fd, &expirations, sizeof(expirations)) > 0)
					probes_consume(&rc->probes);
			} else if (fd == rc->ctl_fd) {
				on_control(rc);
			} else {
				probes_consume(&rc->probes);
			}
		}
	}
}

/* Stop: drain what the kernel has, answer every pending snapshot, flush. */
static void shutdown_recorder(struct recorder *rc)
{
	struct snap_req *r;
	int status;
	pid_t pid;

	probes_consume(&rc->probes);
	probes_read_drops(&rc->probes, on_ringbuf_drop, rc);
	http_expire(rc->http, now_boot_ns(), 1, on_http, rc); /* unanswered so far: status 0 */
	flush(rc);
	store_sync(&rc->store);
	while (snapshots_running(&rc->snaps) && (pid = waitpid(-1, &status, 0)) > 0) {
		if (!snapshots_reap(&rc->snaps, pid, status))
			uploads_reap(&rc->uploads, pid, status);
		else if (!WIFEXITED(status) || WEXITSTATUS(status))
			snapdir_clean_tmp(rc->snapdir);
	}
	while ((r = rc->snaps.head) != NULL) {
		uint64_t now = now_boot_ns();
		if (r->win.end_boot > now)
			r->win.end_boot = now; /* the window ends with the recording */
		struct archive_job job = job_for(rc, r);
		snapshots_run_now(&rc->snaps, r, &job);
	}
	/* Uploads get a little time; the archives stay for a later run. */
	uploads_finish(&rc->uploads, UPLOAD_GRACE_NS);
	fprintf(stderr, "flightrec: stopped: %" PRIu64 " records written, %" PRIu64 " lost in the kernel, %" PRIu64
		" lost on the way to disk\n", rc->writer.records, rc->ringbuf_lost, rc->writer.lost);
}

/*
 * DIR/log and DIR/snapshots are root's alone (0700), made now so that
 * writing archives later needs no privilege; a DIR others may enter is
 * said once (it may be a shared parent the user chose: not ours to chmod).
 */
static int own_dirs(struct recorder *rc)
{
	const char *dirs[] = { rc->logdir, rc->snapdir };
	struct stat st;
	int ret;

	for (int i = 0; i < 2; i++)
		if ((ret = mkdir_mode(dirs[i], 0700)) || (chmod(dirs[i], 0700) < 0 && (ret = -errno))) {
			fprintf(stderr, "flightrec: cannot create %s: %s\n", dirs[i], strerror(-ret));
			return ret;
		}
	if (stat(rc->o.dir, &st) == 0 && (st.st_mode & 077))
		fprintf(stderr, "flightrec: %s is open to other users (mode %03o); its log and archives are not\n",
			rc->o.dir, (unsigned)(st.st_mode & 0777));
	return 0;
}

/* Take DIR/lock: one recorder per directory. */
static int lock_dir(struct recorder *rc)
{
	char path[4200], pid[32], other[32] = "";
	int fd, ret;

	if ((ret = mkdir_mode(rc->o.dir, 0700))) {
		fprintf(stderr, "flightrec: cannot create %s: %s\n", rc->o.dir, strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "%s/lock", rc->o.dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		fprintf(stderr, "flightrec: cannot open %s: %s\n", path, strerror(errno));
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = -errno;
		if (pread(fd, other, sizeof(other) - 1, 0) <= 0)
			snprintf(other, sizeof(other), "?");
		other[strcspn(other, "\n")] = '\0';
		fprintf(stderr, "flightrec: another recorder (pid %s) is already recording in %s\n", other, rc->o.dir);
		close(fd);
		return ret;
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
		/* the pid is informational only; the flock is the lock */
	}
	rc->lock_fd = fd;
	return 0;
}

int cmd_record(int argc, char **argv)
{
	struct recorder *rc = calloc(1, sizeof(*rc));
	char err[512], size[32], segsize[32];
	int ret, status = 1;

	if (!rc) {
		fprintf(stderr, "flightrec: out of memory\n");
		return 1;
	}
	rc->lock_fd = rc->ctl_fd = rc->sig_fd = rc->timer_fd = rc->drain_fd = rc->ep_fd = -1;
	rc->argc = argc;
	rc->argv = argv;
	ret = options_parse(argc, argv, &rc->o);
	if (ret) {
		options_free(&rc->o);
		free(rc);
		return ret > 0 ? 0 : 1;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "flightrec: record needs root (to load BPF programs); run it with sudo\n");
		options_free(&rc->o);
		free(rc);
		return 1;
	}
	libbpf_set_print(rc->o.verbose ? libbpf_print : libbpf_quiet);
	hostinfo_read(&rc->hi);
	rc->started_boot = rc->last_drop_poll = rc->prev.ts = now_boot_ns();
	rc->started_real = now_real_ns();
	rc->prev.cpu_ns = self_cpu_ns();
	snprintf(rc->logdir, sizeof(rc->logdir), "%s/log", rc->o.dir);
	snprintf(rc->snapdir, sizeof(rc->snapdir), "%s/snapshots", rc->o.dir);
	snprintf(rc->sockpath, sizeof(rc->sockpath), "%s/control.sock", rc->o.dir);

	if (lock_dir(rc))
		goto out;
	if ((ret = store_open(&rc->store, rc->o.dir, &rc->o.store, &rc->hi))) {
		fprintf(stderr, "flightrec: %s\n", rc->store.err);
		goto out;
	}
	if (own_dirs(rc))
		goto out_store;
	snapdir_clean_tmp(rc->snapdir); /* left by a crash while an archive was written */
	if (rc->store.repaired_bytes)
		fprintf(stderr, "flightrec: repaired the log tail: cut %" PRIu64 " bytes of an incomplete block\n",
			rc->store.repaired_bytes);
	rc->scan.cgroups = cgroup_cache_new(NULL);
	rc->scan.pods = pod_cache_new(rc->o.cri_root);
	/* before the first record: the first segment's process table feeds it */
	if (!(rc->o.probe.families_off & (1u << probes_family_index("security"))) &&
	    !(rc->sec = security_new(&rc->o.security))) {
		fprintf(stderr, "flightrec: out of memory\n");
		goto out_store;
	}
	if (!(rc->o.probe.families_off & (1u << probes_family_index("http"))) && !(rc->http = http_new())) {
		fprintf(stderr, "flightrec: out of memory\n");
		goto out_store;
	}
	if (!rc->scan.cgroups || !rc->scan.pods || writer_init(&rc->writer, &rc->store)) {
		fprintf(stderr, "flightrec: out of memory\n");
		goto out_store;
	}
	rc->uploads.cmd = rc->o.upload_cmd;
	rc->uploads.timeout_ns = rc->o.upload_timeout_ns;
	rc->snaps.on_written = on_archive_written;
	rc->snaps.written_ctx = rc;
	rc->writer.on_segment = on_new_segment;
	rc->writer.segment_ctx = rc;
	if (rc->store.last_ts && !strcmp(rc->store.last_boot_id, rc->hi.boot_id)) {
		/* From the last record of the previous run to now, nothing was seen. */
		struct fr_drop d;
		memset(&d, 0, sizeof(d));
		d.head.kind = FR_KIND_drop;
		d.ts = now_boot_ns();
		memcpy(d.source, "down", 5);
		d.cpu = FR_CPU_NONE;
		d.since_ts = rc->store.last_ts;
		writer_add(&rc->writer, fr_kind_by_id(FR_KIND_drop), &d);
	}
	ret = probes_open(&rc->probes, &rc->o.probe, on_event, rc, err, sizeof(err));
	for (int i = 0; i < rc->probes.nstatus; i++) {
		const struct probe_status *s = &rc->probes.status[i];
		if (s->ok)
			fprintf(stderr, "flightrec: probe %s attached (%s)\n", s->name, s->attach);
		else
			fprintf(stderr, "flightrec: probe %s failed (%s): %s\n", s->name, s->attach, s->why);
	}
	if (ret) {
		fprintf(stderr, "flightrec: %s\n", err);
		goto out_probes;
	}
	describe(rc);
	rc->ctl_fd = control_listen(rc->sockpath);
	if (rc->ctl_fd < 0) {
		fprintf(stderr, "flightrec: cannot listen on %s: %s\n", rc->sockpath, strerror(-rc->ctl_fd));
		goto out_probes;
	}
	if ((ret = setup_loop(rc))) {
		fprintf(stderr, "flightrec: cannot set up the event loop: %s\n", strerror(-ret));
		goto out_ctl;
	}
	/* Everything is loaded, attached and open: give up what is not needed now. */
	if (privs_drop(rc->probes.drops_fd, err, sizeof(err)))
		fprintf(stderr, "flightrec: %s; going on with the capabilities it has\n", err);
	else
		fprintf(stderr, "flightrec: dropped every capability but: %s\n", err);
	format_size(rc->o.store.max_disk, size, sizeof(size));
	format_size(rc->o.store.segment_size, segsize, sizeof(segsize));
	fprintf(stderr, "flightrec: recording to %s (budget %s, segments of %s), pid %d\n", rc->logdir, size, segsize,
		getpid());
	fprintf(stderr, "flightrec: take a snapshot with `flightrec snapshot --dir %s` or `kill -USR1 %d`; "
		"archives go to %s\n", rc->o.dir, getpid(), rc->snapdir);
	run_loop(rc);
	shutdown_recorder(rc);
	status = 0;
out_ctl:
	close(rc->ctl_fd);
	unlink(rc->sockpath);
out_probes:
	probes_close(&rc->probes);
	writer_free(&rc->writer);
	snapshots_free(&rc->snaps);
out_store:
	store_close(&rc->store);
	cgroup_cache_free(rc->scan.cgroups);
	pod_cache_free(rc->scan.pods);
	security_free(rc->sec);
	http_free(rc->http);
out:
	if (rc->lock_fd >= 0)
		close(rc->lock_fd);
	if (rc->sig_fd >= 0)
		close(rc->sig_fd);
	if (rc->timer_fd >= 0)
		close(rc->timer_fd);
	if (rc->drain_fd >= 0)
		close(rc->drain_fd);
	if (rc->ep_fd >= 0)
		close(rc->ep_fd);
	options_free(&rc->o);
	free(rc);
	return status;
}
