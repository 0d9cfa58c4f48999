/*
 * memload.c - workloads for tests/e2e/mem.sh, each with the kernel's own
 * figures to compare with.
 *
 *   memload touch MIB        write one byte into each page of MIB MiB of
 *                            fresh anonymous memory; print the faults the
 *                            kernel charged to the process since it was
 *                            forked (getrusage: minor + major) and its VmRSS
 *                            in bytes, after the writes, then
 *                            stay 1.5 s (so one interval holds it whole)
 *   memload contend MS N     N threads mapping, touching and unmapping a
 *                            page for MS milliseconds: the mmap lock of the
 *                            process is contended
 *   memload futex MS         one thread holds a mutex for MS milliseconds
 *                            while another waits for it (in futex(2)) and
 *                            prints how long it waited, in ns
 *
 * Exit status 2 on bad arguments, 1 when a call fails.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static long vm_rss_bytes(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib < 0 ? -1 : kib * 1024;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

static int do_touch(long mib)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)mib << 20;
	static char obuf[4096];
	struct rusage ru1;
	long rss;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	/* No transparent huge pages: a fault per page, as counted below. */
	madvise(p, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += (size_t)page)
		p[off] = 1;
	/* Nothing may fault after getrusage: the output buffer is touched first. */
	rss = vm_rss_bytes();
	memset(obuf, ' ', sizeof(obuf));
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	getrusage(RUSAGE_SELF, &ru1);
	printf("%ld %ld\n", ru1.ru_minflt + ru1.ru_majflt, rss);
	fflush(stdout);
	sleep_ms(1500);
	return 0;
}

struct contender {
	pthread_t t;
	struct timespec end;
	int failed;
};

static void *contend(void *arg)
{
	struct contender *c = arg;
	struct timespec now;

	do {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			c->failed = 1;
			break;
		}
		p[0] = 1;
		munmap(p, 4096);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < c->end.tv_sec || (now.tv_sec == c->end.tv_sec && now.tv_nsec < c->end.tv_nsec));
	return NULL;
}

static int do_contend(long ms, long n)
{
	struct contender c[64];
	struct timespec end;
	int failed = 0;

	if (n < 1 || n > 64)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	for (long i = 0; i < n; i++) {
		c[i].end = end;
		c[i].failed = 0;
		if (pthread_create(&c[i].t, NULL, contend, &c[i]))
			return 1;
	}
	for (long i = 0; i < n; i++) {
		pthread_join(c[i].t, NULL);
		failed |= c[i].failed;
	}
	return failed;
}

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Waits for the mutex and says how long, measured around the lock: the ground truth of the futex wait. */
static void *waiter(void *arg)
{
	long long t0 = mono_ns();

	(void)arg;
	pthread_mutex_lock(&mutex);
	printf("%lld\n", mono_ns() - t0);
	pthread_mutex_unlock(&mutex);
	return NULL;
}

static int do_futex(long ms)
{
	pthread_t t;

	pthread_mutex_lock(&mutex);
	if (pthread_create(&t, NULL, waiter, NULL))
		return 1;
	sleep_ms(ms);
	pthread_mutex_unlock(&mutex);
	pthread_join(t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "touch"))
		return do_touch(atol(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "contend"))
		return do_contend(atol(argv[2]), atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "futex"))
		return do_futex(atol(argv[2]));
	fprintf(stderr, "usage: memload touch MIB | contend MS THREADS | futex MS\n");
	return 2;
}
