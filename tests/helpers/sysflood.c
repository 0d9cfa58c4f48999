/*
 * sysflood.c - system call load for scripts/bench, timed from inside.
 *
 *   sysflood loop getppid|read N
 *       N getppid() calls, or N 64-byte reads of /dev/zero, back to back;
 *       prints the ns per call, measured around the loop only, so that the
 *       start of the process (and of a tracer such as strace) is not counted.
 *   sysflood loop pingpong N
 *       N round trips of one byte over a TCP connection on 127.0.0.1 to a
 *       forked child that echoes it: per round trip two send() and two
 *       recv() calls, two packets each way through the loopback device
 *       (egress and ingress), and the two processes waking each other;
 *       prints the ns per round trip.  Pin it (taskset) to one CPU to make
 *       the switches part of each trip and the figure steady.
 *   sysflood paced RATE SECONDS THREADS
 *       THREADS threads that together make RATE getppid() calls per second
 *       for SECONDS, in slices of a millisecond (a thread that falls behind
 *       catches up without sleeping); prints the calls made and the rate
 *       reached, calls per second.
 *
 * The clock is read through the vDSO (no system call).  Exit status 2 on
 * bad arguments, 1 when a call fails.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int number(const char *s, unsigned long *n)
{
	char *end;

	*n = strtoul(s, &end, 10);
	return !*s || *end || *n == 0 ? -1 : 0;
}

/* Echo each byte read on FD until its peer closes: the child of run_pingpong. */
static void echo_bytes(int fd)
{
	char c;

	while (recv(fd, &c, 1, 0) == 1)
		if (send(fd, &c, 1, 0) != 1)
			_exit(1);
	_exit(0);
}

static int run_pingpong(unsigned long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lfd, cfd, sfd, one = 1, status = 1;
	uint64_t t0, t1;
	pid_t child;
	char c = 'x';

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen))
		return 1;
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0)
		return 1;
	/* one byte a segment, sent at once: no Nagle wait for the ack */
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		close(cfd);
		echo_bytes(sfd);
	}
	close(sfd);
	close(lfd);
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++)
		if (send(cfd, &c, 1, 0) != 1 || recv(cfd, &c, 1, 0) != 1)
			goto out;
	t1 = now_ns();
	printf("%.1f\n", (double)(t1 - t0) / (double)n);
	status = 0;
out:
	close(cfd); /* the child reads the end and leaves */
	if (waitpid(child, NULL, 0) != child)
		status = 1;
	return status;
}

static int run_loop(const char *kind, unsigned long n)
{
	char buf[64];
	uint64_t t0, t1;
	int fd = -1;

	if (!strcmp(kind, "pingpong"))
		return run_pingpong(n);
	if (!strcmp(kind, "read")) {
		fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
	} else if (strcmp(kind, "getppid")) {
		return 2;
	}
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		if (fd < 0)
			syscall(SYS_getppid);
		else if (syscall(SYS_read, fd, buf, sizeof(buf)) != (long)sizeof(buf))
			return 1;
	}
	t1 = now_ns();
	printf("%.1f\n", (double)(t1 - t0) / (double)n);
	return 0;
}

struct pacer {
	pthread_t thread;
	double per_ms;		/* calls in each millisecond slice */
	uint64_t end_ns;
	unsigned long calls;
};

static void *paced_thread(void *arg)
{
	struct pacer *p = arg;
	uint64_t start = now_ns(), t;
	double owed = 0;

	while ((t = now_ns()) < p->end_ns) {
		/* Calls due since the start, minus those made: catch up. */
		owed = p->per_ms * (double)(t - start) / 1e6 - (double)p->calls;
		if (owed < 1) {
			struct timespec ts = { 0, 100000 }; /* 0.1 ms */
			nanosleep(&ts, NULL);
			continue;
		}
		if (owed > p->per_ms) /* behind: catch up a slice at a time, so that the end is kept */
			owed = p->per_ms;
		for (long i = 0; i < (long)owed; i++)
			syscall(SYS_getppid);
		p->calls += (unsigned long)owed;
	}
	return NULL;
}

static int run_paced(unsigned long rate, unsigned long secs, unsigned long threads)
{
	struct pacer p[64];
	uint64_t t0, t1;
	unsigned long total = 0;

	if (threads > 64)
		return 2;
	t0 = now_ns();
	for (unsigned long i = 0; i < threads; i++) {
		p[i].per_ms = (double)rate / (double)threads / 1000.0;
		p[i].end_ns = t0 + secs * 1000000000u;
		p[i].calls = 0;
		if (pthread_create(&p[i].thread, NULL, paced_thread, &p[i]))
			return 1;
	}
	for (unsigned long i = 0; i < threads; i++) {
		pthread_join(p[i].thread, NULL);
		total += p[i].calls;
	}
	t1 = now_ns();
	printf("%lu %.0f\n", total, (double)total * 1e9 / (double)(t1 - t0));
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long a, b, c;

	if (argc == 4 && !strcmp(argv[1], "loop") && !number(argv[3], &a))
		return run_loop(argv[2], a);
	if (argc == 5 && !strcmp(argv[1], "paced") && !number(argv[2], &a) &&
	    !number(argv[3], &b) && !number(argv[4], &c))
		return run_paced(a, b, c);
	fprintf(stderr, "usage: sysflood loop getppid|read|pingpong N | sysflood paced RATE SECONDS THREADS\n");
	return 2;
}
