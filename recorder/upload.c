/*
 * upload.c - the children that run --upload-cmd on finished archives.
 *
 * Each upload is one forked child in a process group of its own (so that a
 * timeout kills whatever the command started too).  The recorder only ever
 * reads its stderr pipe without blocking and reaps it on SIGCHLD.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "upload.h"
#include "util.h"

enum { KILLED_TIMEOUT = 1, KILLED_STOPPING = 2 };

/* In the child: verify, then become the command.  Never returns. */
static void run_child(const char *cmd, const char *path, int err_fd)
{
	char script[4200], msg[1024];
	sigset_t none;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		_exit(126);
	if (archive_verify(path, msg, sizeof(msg)) < 0) {
		dprintf(STDERR_FILENO, "archive does not verify: %s\n", msg);
		_exit(125);
	}
	snprintf(script, sizeof(script), "%s \"$1\"", cmd);
	execl("/bin/sh", "sh", "-c", script, "sh", path, (char *)NULL);
	dprintf(STDERR_FILENO, "cannot run /bin/sh: %s\n", strerror(errno));
	_exit(127);
}

int uploads_start(struct uploads *u, const char *path)
{
	struct upload_job *j = NULL;
	int p[2];
	pid_t pid;

	if (!u->cmd)
		return 0;
	for (int i = 0; i < UPLOADS_MAX && !j; i++)
		if (!u->jobs[i].pid)
			j = &u->jobs[i];
	if (!j) {
		u->failed++;
		fprintf(stderr, "flightrec: upload of %s not started: %d uploads still running\n", path, UPLOADS_MAX);
		return -EBUSY;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		u->failed++;
		fprintf(stderr, "flightrec: upload of %s not started: %s\n", path, strerror(e));
		return -e;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		u->failed++;
		fprintf(stderr, "flightrec: upload of %s not started: %s\n", path, strerror(e));
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		run_child(u->cmd, path, p[1]);
	}
	close(p[1]);
	setpgid(pid, pid); /* also here: no race with a kill before the child ran */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	memset(j, 0, sizeof(*j));
	j->pid = pid;
	j->err_fd = p[0];
	j->started = now_boot_ns();
	snprintf(j->path, sizeof(j->path), "%s", path);
	fprintf(stderr, "flightrec: uploading %s (pid %d)\n", path, (int)pid);
	return 0;
}

/* Keep the first line of J's stderr; read and forget the rest. */
static void drain(struct upload_job *j)
{
	char buf[4096];
	ssize_t n;

	if (j->err_fd < 0)
		return;
	while ((n = read(j->err_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && !j->line_done; i++) {
			if (buf[i] == '\n')
				j->line_done = 1;
			else if (j->nfirst < sizeof(j->first) - 1)
				j->first[j->nfirst++] = buf[i] == '\t' || (unsigned char)buf[i] >= ' ' ? buf[i] : '?';
		}
	}
	if (n == 0) { /* every writer closed it */
		close(j->err_fd);
		j->err_fd = -1;
	}
}

void uploads_tick(struct uploads *u, uint64_t now_boot)
{
	for (int i = 0; i < UPLOADS_MAX; i++) {
		struct upload_job *j = &u->jobs[i];
		if (!j->pid)
			continue;
		drain(j);
		if (u->timeout_ns && !j->killed && now_boot - j->started > u->timeout_ns) {
			kill(-j->pid, SIGKILL);
			j->killed = KILLED_TIMEOUT;
		}
	}
}

int uploads_reap(struct uploads *u, pid_t pid, int status)
{
	for (int i = 0; i < UPLOADS_MAX; i++) {
		struct upload_job *j = &u->jobs[i];
		double secs;

		if (j->pid != pid || !pid)
			continue;
		drain(j);
		j->first[j->nfirst] = '\0';
		secs = (double)(now_boot_ns() - j->started) / 1e9;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			u->ok++;
			fprintf(stderr, "flightrec: uploaded %s in %.1fs\n", j->path, secs);
		} else {
			char how[64];
			u->failed++;
			if (j->killed == KILLED_TIMEOUT)
				snprintf(how, sizeof(how), "killed after %.0fs: --upload-timeout", secs);
			else if (j->killed == KILLED_STOPPING)
				snprintf(how, sizeof(how), "killed: the recorder stopped");
			else if (WIFSIGNALED(status))
				snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
			else
				snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
			fprintf(stderr, "flightrec: upload of %s failed (%s)%s%s; the archive is kept\n", j->path, how,
				j->nfirst ? ": " : "", j->first);
		}
		if (j->err_fd >= 0)
			close(j->err_fd);
		/* anything the command left behind in its group goes with it */
		kill(-j->pid, SIGKILL);
		memset(j, 0, sizeof(*j));
		j->err_fd = -1;
		return 1;
	}
	return 0;
}

int uploads_running(const struct uploads *u)
{
	int n = 0;

	for (int i = 0; i < UPLOADS_MAX; i++)
		n += u->jobs[i].pid != 0;
	return n;
}

void uploads_finish(struct uploads *u, uint64_t grace_ns)
{
	uint64_t until = now_boot_ns() + grace_ns;
	int killed = 0;

	while (uploads_running(u)) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			uploads_reap(u, pid, status);
			continue;
		}
		if (pid < 0 && errno == ECHILD)
			break;
		uploads_tick(u, now_boot_ns());
		if (!killed && now_boot_ns() > until) {
			fprintf(stderr, "flightrec: stopping: killing %d uploads still running\n", uploads_running(u));
			for (int i = 0; i < UPLOADS_MAX; i++)
				if (u->jobs[i].pid) {
					kill(-u->jobs[i].pid, SIGKILL);
					u->jobs[i].killed = KILLED_STOPPING;
				}
			killed = 1;
		}
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
}
