/*
 * runq-victim.c - test helper: `runq-victim N` runs N cycles of about 2 ms
 * of work and 1 ms of sleep, then prints its pid and the growth of its
 * run-queue delay (the second field of /proc/self/schedstat, in ns, counted
 * by the kernel's scheduler statistics) and of its time asleep: the wall
 * time less the time on a CPU and the time waiting for one (both from
 * schedstat).  The recorder's figures are checked against these.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Time on a CPU and time waiting for one, in ns, from the scheduler's statistics. */
static void schedstat(unsigned long long *on_cpu, unsigned long long *delay)
{
	FILE *f = fopen("/proc/self/schedstat", "r");

	if (!f || fscanf(f, "%llu %llu", on_cpu, delay) != 2)
		*on_cpu = *delay = 0;
	if (f)
		fclose(f);
}

static unsigned long long now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	unsigned long long c0, d0, c1, d1, w0, w1;
	volatile unsigned long sink = 0;

	schedstat(&c0, &d0);
	w0 = now_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < n; i++) {
		unsigned long long t = now_ns(CLOCK_THREAD_CPUTIME_ID);
		while (now_ns(CLOCK_THREAD_CPUTIME_ID) - t < 2000000)
			sink++;
		struct timespec one_ms = { 0, 1000000 };
		nanosleep(&one_ms, NULL);
	}
	schedstat(&c1, &d1);
	w1 = now_ns(CLOCK_MONOTONIC);
	printf("%d %llu %llu\n", getpid(), d1 - d0, (w1 - w0) - (c1 - c0) - (d1 - d0));
	return 0;
}
