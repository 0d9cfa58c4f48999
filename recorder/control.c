/*
 * control.c - the control socket: root-only, one line in, one line out.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

/*
 * The address of the socket at PATH, into SA.  sun_path holds 107 bytes
 * and its NUL, and a state directory or a TMPDIR deeper than that is
 * ordinary (containers, overlay and build trees).  A longer PATH is
 * reached through its directory instead: opened O_PATH as *DIRFD and
 * named /proc/self/fd/N/NAME, which the kernel resolves to the directory
 * itself, for bind() as for connect().  *DIRFD is -1 when PATH fits; the
 * caller closes it once bound or connected.  0, or -errno with the reason
 * in ERR.
 */
static int sun_path(struct sockaddr_un *sa, const char *path, int *dirfd, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	char dir[4200];
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*dirfd = -1;
	if (strlen(path) < sizeof(sa->sun_path)) {
		memcpy(sa->sun_path, path, strlen(path));
		return 0;
	}
	if (!slash || (size_t)(slash - path) >= sizeof(dir) || access("/proc/self/fd", X_OK)) {
		snprintf(err, errlen, "socket path %s is longer than the %zu bytes of sun_path%s", path,
			 sizeof(sa->sun_path) - 1, slash ? ", and no /proc/self/fd to reach it through its directory" : "");
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	*dirfd = open(slash == path ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0) {
		n = -errno;
		snprintf(err, errlen, "cannot open the directory of %s: %s", path, strerror(errno));
		return n;
	}
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd, name);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path)) {
		close(*dirfd);
		*dirfd = -1;
		snprintf(err, errlen, "socket name %s is longer than the %zu bytes of sun_path", name,
			 sizeof(sa->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

int control_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd, ret, dirfd;

	if ((ret = sun_path(&sa, path, &dirfd, err, errlen)))
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot make a socket: %s", strerror(errno));
		goto out;
	}
	unlink(path); /* we hold the directory's lock: any socket here is stale */
	/* Created 0600 from the start, not chmod'ed after: no window for others. */
	mode_t old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0 || listen(fd, 16) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	ret = fd;
out:
	if (dirfd >= 0)
		close(dirfd);
	return ret;
}

int control_parse(const char *line, struct control_req *req, char *err, size_t errlen)
{
	unsigned long long before, after;
	unsigned redact;
	int wait, off = 0;

	memset(req, 0, sizeof(*req));
	if (!strcmp(line, "status") || !strcmp(line, "status json")) {
		req->op = CTL_STATUS;
		req->json = line[6] != '\0';
		return 0;
	}
	if (sscanf(line, "snapshot %llu %llu %d %u %n", &before, &after, &wait, &redact, &off) == 4 && off > 0) {
		req->op = CTL_SNAPSHOT;
		req->before_ns = before;
		req->after_ns = after;
		req->wait = wait != 0;
		req->redact = redact & 7;
		snprintf(req->reason, sizeof(req->reason), "%s", line + off);
		return 0;
	}
	snprintf(err, errlen, "unknown request");
	return -EINVAL;
}

int control_accept(int lfd, struct control_req *req)
{
	struct timeval tv = { .tv_sec = 1 };
	char line[CONTROL_LINE_MAX], err[128];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t got = 0;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
		static const char msg[] = "error permission denied: only root may control the recorder\n";
		send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL);
		close(fd);
		return -EPERM;
	}
	/* Requests come whole and at once; a silent peer must not stall us. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < sizeof(line) - 1) {
		ssize_t n = recv(fd, line + got, sizeof(line) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (control_parse(line, req, err, sizeof(err)) < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "error %s\n", err);
		send(fd, msg, strlen(msg), MSG_NOSIGNAL);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int control_call(const char *path, const char *line, char *reply, size_t cap, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	size_t got = 0;
	int fd, ret, dirfd;

	if ((ret = sun_path(&sa, path, &dirfd, err, errlen)))
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "no recorder is running there (cannot connect to %s: %s)", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		if (dirfd >= 0)
			close(dirfd);
		return ret;
	}
	if (dirfd >= 0)
		close(dirfd);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot send to %s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	while (got < cap - 1) {
		ssize_t n = recv(fd, reply + got, cap - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	reply[got] = '\0';
	while (got > 0 && reply[got - 1] == '\n')
		reply[--got] = '\0';
	if (got == 0) {
		snprintf(err, errlen, "the recorder closed the connection without a reply");
		return -EPIPE;
	}
	return 0;
}
