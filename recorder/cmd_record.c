/*
 * cmd_record.c - `flightrec record`: the recorder's life and its loop.
 *
 * open -> lock DIR -> repair and open the store -> load and attach probes ->
 * one epoll loop over the ring buffer, signals, a 1 s timer and the control
 * socket -> on SIGTERM/SIGINT, drain, write pending snapshots, flush, close.
 * SIGHUP reads the config file again (options_reload()).
 *
 * The 1 s tick seals the partial block (so a crash loses at most about a
 * second), turns new ring-buffer drop counts into drop records, fsyncs the
 * segment, and starts the archives whose windows have ended.
 *
 * Records do not pass through here: each goes through the sink (sink.h),
 * from the family that makes it (probes.h).  The health record is
 * health.c's, `flightrec status` is status.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
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
#include "family_profile.h"
#include "family_net.h"
#include "privs.h"
#include "recorder.h"
#include "snapdir.h"
#include "triggers.h"
#include "util.h"

/* How often the ring is drained when no BPF program asked for it. */
#define DRAIN_NS (100 * 1000 * 1000)
/* How long uploads may go on once the recorder is told to stop. */
#define UPLOAD_GRACE_NS (10 * NSEC_PER_SEC)

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

/* The sink's triggers stage: a rule that holds for a record takes a snapshot around it. */
static void on_trigger(void *ctx, const struct trigger_rule *r, const char *what)
{
	struct recorder *rc = ctx;

	request_snapshot(rc, rc->o.snap_before, rc->o.snap_after, "rule", r->text, what, 0, -1);
}

static void add_opening_proc(void *ctx, const struct fr_proc *p)
{
	sink_put_opening(ctx, p);
}

/* Every segment opens with the probe table and the process table, so it can be read alone. */
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
		sink_put_opening(&rc->sink, &p);
	}
	/* the classifier's table of processes starts again from the same scan */
	probes_segment(&rc->probes);
	procscan_all(&rc->scan, now, add_opening_proc, &rc->sink);
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
	sink_put(&rc->sink, &d);
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

static struct archive_job job_for(struct recorder *rc, const struct snap_req *r)
{
	struct archive_job job = {
		.logdir = rc->logdir,
		.snapdir = rc->snapdir,
		.hi = &rc->hi,
		.extra_json = rc->extra_json,
		.redact = rc->o.redact | r->win.redact,
		.symbols = profile_symbols(probes_state(&rc->probes, &family_profile)),
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
	/*
	 * What the kernel holds back (folded audit rows, the counts of the
	 * seconds not drained yet) and what waits in the ring belong in the
	 * window: the counts are stamped with its end, or they would fall
	 * after a window that ends now (--after 0s).
	 */
	now = now_boot_ns();
	probes_flush(&rc->probes, r->win.end_boot < now ? r->win.end_boot : now);
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

static void tick(struct recorder *rc)
{
	uint64_t now = now_boot_ns();

	probes_tick(&rc->probes, now);
	probes_read_drops(&rc->probes, on_ringbuf_drop, rc);
	rc->last_drop_poll = now;
	health_write(rc, now);
	flush(rc);
	store_sync(&rc->store);
	start_due_snapshots(rc, now);
	uploads_tick(&rc->uploads, now);
}

static void on_control(struct recorder *rc)
{
	struct control_req req;
	int fd = control_accept(rc->ctl_fd, &req);

	if (fd < 0)
		return;
	if (req.op == CTL_STATUS) {
		status_answer(rc, fd, req.json);
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
	status_describe(rc);
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
	/* the counts of the last seconds (both generations), and the audit rows the kernel still holds */
	probes_tick(&rc->probes, now_boot_ns());
	probes_flush(&rc->probes, now_boot_ns());
	probes_consume(&rc->probes);
	probes_read_drops(&rc->probes, on_ringbuf_drop, rc);
	probes_stop(&rc->probes, now_boot_ns()); /* what families hold back, e.g. unanswered requests */
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
	char err[4608], size[32], segsize[32];
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
	/*
	 * A fixed threshold: big buffers (libbpf reads the kernel's BTF, ~5
	 * MB, once at load) are mapped and given back when freed.  glibc's
	 * default raises the threshold after such a free, and the next
	 * buffers of that size then came from the heap and stayed in the
	 * recorder's resident set for as long as it ran (+4.9 MB measured).
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	libbpf_set_print(rc->o.verbose ? libbpf_print : libbpf_quiet);
	hostinfo_read(&rc->hi);
	rc->started_boot = rc->last_drop_poll = now_boot_ns();
	rc->started_real = now_real_ns();
	health_start(rc, rc->started_boot);
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
	/* every record, whatever makes it: count, enrich, triggers, the families that watch, the writer */
	rc->sink.scan = &rc->scan;
	rc->sink.triggers = &rc->o.triggers;
	rc->sink.fire = on_trigger;
	rc->sink.fire_ctx = rc;
	rc->sink.writer = &rc->writer;
	sink_observe(&rc->sink, probes_observe, &rc->probes);
	if (rc->store.last_ts && !strcmp(rc->store.last_boot_id, rc->hi.boot_id)) {
		/* From the last record of the previous run to now, nothing was seen. */
		struct fr_drop d;
		memset(&d, 0, sizeof(d));
		d.head.kind = FR_KIND_drop;
		d.ts = now_boot_ns();
		memcpy(d.source, "down", 5);
		d.cpu = FR_CPU_NONE;
		d.since_ts = rc->store.last_ts;
		sink_put(&rc->sink, &d);
	}
	rc->o.probe.security = &rc->o.security;
	ret = probes_open(&rc->probes, &rc->o.probe, &rc->sink, err, sizeof(err));
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
	status_describe(rc);
	rc->ctl_fd = control_listen(rc->sockpath, err, sizeof(err));
	if (rc->ctl_fd < 0) {
		fprintf(stderr, "flightrec: %s\n", err);
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
	sink_free(&rc->sink);
	writer_free(&rc->writer);
	snapshots_free(&rc->snaps);
out_store:
	store_close(&rc->store);
	cgroup_cache_free(rc->scan.cgroups);
	pod_cache_free(rc->scan.pods);
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
