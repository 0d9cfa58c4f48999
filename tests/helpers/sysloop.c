/*
 * sysloop.c - make an exact number of system calls, for the syscall tests
 * (tests/e2e/syscalls.sh) and scripts/bench-syscalls.
 *
 *   sysloop getppid N        N getppid() calls
 *   sysloop read N           N reads of 64 bytes from /dev/zero (after one
 *                            openat of /dev/zero)
 *   sysloop open PATH N      N open(PATH, O_RDONLY) calls, each of which must
 *                            fail with ENOENT
 *   sysloop connect PORT     listen on 127.0.0.1:PORT, connect to it once,
 *                            accept that connection; exit 3 when PORT is in use
 *   sysloop nbconnect PORT   the same with a non-blocking connect, which must
 *                            fail with EINPROGRESS (then poll until connected)
 *   sysloop eagain N         N reads of an empty non-blocking socket, each of
 *                            which must fail with EAGAIN
 *   sysloop slowread MS [pipe|socket|tty]
 *                            one read(2) of a pipe (or a socket, or a pty's
 *                            master) that a child writes to MS milliseconds
 *                            after the read began to wait: one slow read
 *   sysloop slowflock MS FILE
 *                            one flock(2) of FILE that waits for a child to
 *                            let go of it MS milliseconds later: a slow call
 *                            on a regular file
 *   sysloop emfile           with RLIMIT_NOFILE at 16, dup(0) until it fails;
 *                            exit 0 when exactly the last one failed, EMFILE
 *
 * It prints nothing and exits 0 when every call did what it should, so that
 * its own writes never add to the counts the tests assert.  The calls go
 * through syscall(2), so no libc cache can answer one in user space.
 */
#define _GNU_SOURCE /* posix_openpt, ptsname, cfmakeraw */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int count(const char *s, unsigned long *n)
{
	char *end;

	*n = strtoul(s, &end, 10);
	return !*s || *end ? -1 : 0;
}

static int do_connect(unsigned long port, int nonblock)
{
	struct sockaddr_in a;
	struct pollfd pfd;
	int l, c, s, one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		return 1;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)))
		return errno == EADDRINUSE ? 3 : 1;
	if (listen(l, 1))
		return 1;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (c < 0)
		return 1;
	if (nonblock) {
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EINPROGRESS)
			return 1;
		pfd = (struct pollfd){ .fd = c, .events = POLLOUT };
		if (poll(&pfd, 1, 5000) != 1)
			return 1;
	} else if (connect(c, (struct sockaddr *)&a, sizeof(a))) {
		return 1;
	}
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		return 1;
	close(s);
	close(c);
	close(l);
	return 0;
}

static int do_eagain(unsigned long n)
{
	int sv[2];
	char c;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return 1;
	for (unsigned long i = 0; i < n; i++)
		if (syscall(SYS_read, sv[0], &c, 1) != -1 || errno != EAGAIN)
			return 1;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* FDS[0] to read, FDS[1] for the child to write: a pipe, a socket pair, or a pty's master and slave. */
static int reader_writer(const char *kind, int fds[2])
{
	if (!strcmp(kind, "pipe"))
		return pipe(fds);
	if (!strcmp(kind, "socket"))
		return socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
	if (!strcmp(kind, "tty")) {
		struct termios t;
		char *name;
		fds[0] = posix_openpt(O_RDWR | O_NOCTTY);
		if (fds[0] < 0 || grantpt(fds[0]) || unlockpt(fds[0]) || !(name = ptsname(fds[0])))
			return -1;
		fds[1] = open(name, O_RDWR | O_NOCTTY);
		if (fds[1] < 0 || tcgetattr(fds[1], &t))
			return -1;
		cfmakeraw(&t); /* the byte reaches the master as written */
		return tcsetattr(fds[1], TCSANOW, &t);
	}
	return -1;
}

/*
 * In the child: wait (bounded, 10 s) until the parent sleeps (state S in
 * /proc/PPID/stat), in the one call of it that can, before the MS that the
 * test asserts that call waits at least.  Sleeping at once, the child ran
 * ahead of a parent late to enter its call (preempted on a busy machine,
 * or slow to wake from a pipe that said "ready"): the call came out shorter.
 */
static void wait_parent_asleep(void)
{
	struct timespec ms1 = { 0, 1000000 };
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)getppid());
	for (int i = 0; i < 10000; i++) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return;
		buf[n] = '\0';
		/* "PID (COMM) STATE ...": the comm may hold anything, the state follows its last ')' */
		if ((p = strrchr(buf, ')')) && p[1] == ' ' && p[2] == 'S')
			return;
		nanosleep(&ms1, NULL);
	}
}

static int do_slowread(unsigned long ms, const char *kind)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	int fds[2], status;
	char c;
	pid_t pid;

	if (reader_writer(kind, fds))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		wait_parent_asleep(); /* in the read below */
		nanosleep(&ts, NULL);
		_exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
	}
	if (read(fds[0], &c, 1) != 1 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 1;
	return 0;
}

static int do_slowflock(unsigned long ms, const char *path)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	int held, fd, status;
	pid_t pid;

	/*
	 * The lock is taken before the fork, on an open file description that
	 * the child shares: the parent lets go of its copy and waits for the
	 * lock on a description of its own, which the child's exit frees MS
	 * after the parent has begun to wait (no pipe to say "ready", whose
	 * wakeup would be a sleep of the parent before the flock).
	 */
	held = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (held < 0 || syscall(SYS_flock, held, LOCK_EX))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		wait_parent_asleep(); /* in the flock below */
		nanosleep(&ts, NULL);
		_exit(0); /* the lock goes with the last descriptor of HELD */
	}
	close(held);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || syscall(SYS_flock, fd, LOCK_EX) || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 1;
	close(fd);
	return 0;
}

/*
 * dup() until EMFILE under a soft limit of 16, then close what was opened
 * and lift the limit again: the exit needs descriptors too (LeakSanitizer
 * reads /proc/self/task there).
 */
static int do_emfile(void)
{
	struct rlimit old, rl;
	int fds[64], n = 0, ret = 1;

	if (getrlimit(RLIMIT_NOFILE, &old))
		return 1;
	rl = (struct rlimit){ 16, old.rlim_max };
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 1;
	while (n < 64) {
		int fd = dup(0);
		if (fd < 0) {
			ret = errno == EMFILE ? 0 : 1;
			break;
		}
		fds[n++] = fd;
	}
	while (n > 0)
		close(fds[--n]);
	setrlimit(RLIMIT_NOFILE, &old);
	return ret;
}

int main(int argc, char **argv)
{
	char buf[64];
	unsigned long n;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "getppid") && !count(argv[2], &n)) {
		for (unsigned long i = 0; i < n; i++)
			syscall(SYS_getppid);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "read") && !count(argv[2], &n)) {
		fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		for (unsigned long i = 0; i < n; i++)
			if (syscall(SYS_read, fd, buf, sizeof(buf)) != (long)sizeof(buf))
				return 1;
		close(fd);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "open") && !count(argv[3], &n)) {
		for (unsigned long i = 0; i < n; i++)
			if (open(argv[2], O_RDONLY | O_CLOEXEC) >= 0 || errno != ENOENT)
				return 1;
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "connect") && !count(argv[2], &n) && n > 0 && n < 65536)
		return do_connect(n, 0);
	if (argc == 3 && !strcmp(argv[1], "nbconnect") && !count(argv[2], &n) && n > 0 && n < 65536)
		return do_connect(n, 1);
	if (argc == 3 && !strcmp(argv[1], "eagain") && !count(argv[2], &n))
		return do_eagain(n);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "slowread") && !count(argv[2], &n))
		return do_slowread(n, argc == 4 ? argv[3] : "pipe");
	if (argc == 4 && !strcmp(argv[1], "slowflock") && !count(argv[2], &n))
		return do_slowflock(n, argv[3]);
	if (argc == 2 && !strcmp(argv[1], "emfile"))
		return do_emfile();
	return 2;
}
