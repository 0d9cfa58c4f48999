/*
 * snapshot.c - the queue of windows to freeze and the children writing them.
 *
 * The archive is written in a forked child so that the recorder never stops
 * draining the ring buffer for it.  The child reports "ok PATH" or
 * "error MSG" through a pipe (a short line, so it never blocks) and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snapshot.h"
#include "util.h"

int snapshots_add(struct snapshots *s, const struct window_spec *w, uint64_t pin_seq, int client)
{
	struct snap_req *r = calloc(1, sizeof(*r)), **pp;

	if (!r)
		return -ENOMEM;
	r->win = *w;
	r->pin_seq = pin_seq;
	r->result_fd = -1;
	if (client >= 0)
		r->clients[r->nclients++] = client;
	for (pp = &s->head; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	return 0;
}

uint64_t snapshots_pin(const struct snapshots *s)
{
	uint64_t pin = UINT64_MAX;

	for (const struct snap_req *r = s->head; r; r = r->next)
		if (r->pin_seq < pin)
			pin = r->pin_seq;
	return pin;
}

struct snap_req *snapshots_due(struct snapshots *s, uint64_t now_boot)
{
	for (struct snap_req *r = s->head; r; r = r->next)
		if (!r->pid && now_boot > r->win.end_boot)
			return r;
	return NULL;
}

int snapshots_running(const struct snapshots *s)
{
	for (const struct snap_req *r = s->head; r; r = r->next)
		if (r->pid)
			return 1;
	return 0;
}

static void reply(struct snap_req *r, const char *line)
{
	for (int i = 0; i < r->nclients; i++) {
		/* A client that went away must not kill us with SIGPIPE. */
		send(r->clients[i], line, strlen(line), MSG_NOSIGNAL);
		close(r->clients[i]);
	}
	r->nclients = 0;
}

static void drop_req(struct snapshots *s, struct snap_req *r)
{
	for (struct snap_req **pp = &s->head; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	if (r->result_fd >= 0)
		close(r->result_fd);
	reply(r, "error the recorder stopped before the snapshot was written\n");
	free(r);
}

static void finish(struct snapshots *s, struct snap_req *r, const char *line)
{
	if (!strncmp(line, "ok ", 3)) {
		s->written++;
		snprintf(s->last_path, sizeof(s->last_path), "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
		fprintf(stderr, "flightrec: snapshot written: %s\n", s->last_path);
		if (s->on_written)
			s->on_written(s->written_ctx, s->last_path);
	} else {
		s->failed++;
		fprintf(stderr, "flightrec: snapshot failed: %.*s\n", (int)strcspn(line, "\n"), line);
	}
	reply(r, line);
	drop_req(s, r);
}

static void write_archive(const struct archive_job *job, char *line, size_t cap)
{
	char path[4400], err[512];

	if (archive_write_window(job, path, sizeof(path), err, sizeof(err)) == 0)
		snprintf(line, cap, "ok %s\n", path);
	else
		snprintf(line, cap, "error %s\n", err);
}

int snapshots_start(struct snapshots *s, struct snap_req *r, const struct archive_job *job)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0) {
		char line[1024];
		sigset_t none;
		/*
		 * The child only reads segments and writes one file; the
		 * recorder's blocked signals must not outlive it in the child.
		 * Stop signals sent to the whole group (Ctrl-C, systemd's
		 * SIGTERM to the unit) are ignored: the recorder waits for this
		 * archive before it exits, so it is written whole rather than
		 * left half-written.  SIGKILL still ends it; the recorder then
		 * removes the temporary file (snapdir_clean_tmp()).
		 */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGUSR1, SIG_IGN);
		close(p[0]);
		write_archive(job, line, sizeof(line));
		write_full(p[1], line, strlen(line));
		_exit(line[0] == 'o' ? 0 : 1);
	}
	close(p[1]);
	r->pid = pid;
	r->result_fd = p[0];
	return 0;
}

void snapshots_run_now(struct snapshots *s, struct snap_req *r, const struct archive_job *job)
{
	char line[1024];

	write_archive(job, line, sizeof(line));
	finish(s, r, line);
}

int snapshots_reap(struct snapshots *s, pid_t pid, int status)
{
	char line[1024];
	ssize_t n;

	for (struct snap_req *r = s->head; r; r = r->next) {
		if (r->pid != pid)
			continue;
		n = read(r->result_fd, line, sizeof(line) - 1);
		if (n <= 0) {
			snprintf(line, sizeof(line), "error the archive writer died (%s %d)\n",
				 WIFSIGNALED(status) ? "signal" : "status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		} else {
			line[n] = '\0';
		}
		finish(s, r, line);
		return 1;
	}
	return 0;
}

void snapshots_free(struct snapshots *s)
{
	while (s->head)
		drop_req(s, s->head);
}
