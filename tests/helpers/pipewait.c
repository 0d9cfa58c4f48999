/*
 * pipewait - threads that block reading a pipe for known times, for the
 * off-CPU stacks' test (tests/e2e/offcpu.sh).
 *
 *   pipewait LONG_MS SHORT_MS SHORT_N
 *
 * Thread "pw-long" blocks once in read() of an empty pipe, inside
 * block_in_pipe_read(), until the main thread writes a byte LONG_MS later.
 * Then thread "pw-short" blocks SHORT_N times in read() inside
 * short_pipe_read(), each until a byte written SHORT_MS later.  Each
 * reader times its own reads on CLOCK_MONOTONIC, the ground truth the
 * test compares with: it prints
 *
 *   long TID NS
 *   short TID N TOTAL_NS MIN_NS
 *
 * Built with frame pointers so that the kernel can walk the user stack.
 * libc's read() keeps none of its own, so the walk passes over the frame
 * of its caller (read_byte()) and shows the caller's caller, which is the
 * function the test looks for.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts))
		;
}

struct reader {
	int fd;
	unsigned n;
	pid_t tid;
	uint64_t total_ns, min_ns;
};

/* One byte from FD; the time it took. */
uint64_t __attribute__((noinline)) read_byte(int fd)
{
	uint64_t t0 = mono_ns();
	char c;

	if (read(fd, &c, 1) != 1) {
		perror("pipewait: read");
		exit(1);
	}
	return mono_ns() - t0;
}

static volatile unsigned reads;

/* Not a tail call (the compiler would make it a jump and leave no frame): it counts after the read. */
uint64_t __attribute__((noinline)) block_in_pipe_read(int fd)
{
	uint64_t ns = read_byte(fd);

	reads++;
	return ns;
}

uint64_t __attribute__((noinline)) short_pipe_read(int fd)
{
	uint64_t ns = read_byte(fd);

	reads++;
	return ns;
}

static void *long_reader(void *arg)
{
	struct reader *r = arg;

	r->tid = (pid_t)syscall(SYS_gettid);
	r->total_ns = r->min_ns = block_in_pipe_read(r->fd);
	return NULL;
}

static void *short_reader(void *arg)
{
	struct reader *r = arg;

	r->tid = (pid_t)syscall(SYS_gettid);
	r->min_ns = UINT64_MAX;
	for (unsigned i = 0; i < r->n; i++) {
		uint64_t ns = short_pipe_read(r->fd);
		r->total_ns += ns;
		if (ns < r->min_ns)
			r->min_ns = ns;
	}
	return NULL;
}

/* Start FN on R reading a new pipe, write N bytes MS apart, wait for it. */
static int run(void *(*fn)(void *), const char *name, struct reader *r, unsigned ms)
{
	int fds[2];
	pthread_t t;

	if (pipe(fds)) {
		perror("pipewait: pipe");
		return -1;
	}
	r->fd = fds[0];
	if (pthread_create(&t, NULL, fn, r)) {
		perror("pipewait: thread");
		return -1;
	}
	pthread_setname_np(t, name);
	for (unsigned i = 0; i < r->n; i++) {
		sleep_ms(ms);
		if (write(fds[1], "x", 1) != 1) {
			perror("pipewait: write");
			return -1;
		}
	}
	pthread_join(t, NULL);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

int main(int argc, char **argv)
{
	struct reader lng = { .n = 1 }, shrt = { 0 };
	unsigned long_ms, short_ms;

	if (argc != 4 || !(long_ms = (unsigned)atoi(argv[1])) || !(short_ms = (unsigned)atoi(argv[2])) ||
	    atoi(argv[3]) < 0) {
		fprintf(stderr, "usage: pipewait LONG_MS SHORT_MS SHORT_N\n");
		return 2;
	}
	shrt.n = (unsigned)atoi(argv[3]);
	if (run(long_reader, "pw-long", &lng, long_ms) || run(short_reader, "pw-short", &shrt, short_ms))
		return 1;
	printf("long %d %llu\n", (int)lng.tid, (unsigned long long)lng.total_ns);
	printf("short %d %u %llu %llu\n", (int)shrt.tid, shrt.n, (unsigned long long)shrt.total_ns,
	       (unsigned long long)(shrt.n ? shrt.min_ns : 0));
	return 0;
}
