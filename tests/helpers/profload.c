/*
 * profload - known shares of CPU time in named functions, for the profile
 * family's test (tests/e2e/profile.sh), and a crash in a named function.
 *
 *   profload burn SECONDS   spin for SECONDS of this thread's CPU time,
 *                           75% of it in burn_major() and 25% in
 *                           burn_minor(), measured on the thread's own
 *                           CPU clock (preemption does not skew it)
 *
 *   profload segv          dereference NULL in crash_segv()
 *   profload abort         call abort() from crash_abort()
 *
 * Built with frame pointers (-fno-omit-frame-pointer) so that the kernel
 * can walk its stack; each function spins in slices of pseudo-random
 * length so that the sampling period cannot beat with them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static volatile uint64_t sink;

/* Spin for NS of this thread's CPU time; the clock is read every 64k steps (tens of microseconds). */
void __attribute__((noinline)) burn_major(uint64_t ns)
{
	uint64_t end = cpu_ns() + ns, x = sink;

	do {
		for (int i = 0; i < 65536; i++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
		sink = x;
	} while (cpu_ns() < end);
}

void __attribute__((noinline)) burn_minor(uint64_t ns)
{
	uint64_t end = cpu_ns() + ns, x = sink;

	do {
		for (int i = 0; i < 65536; i++)
			x = x * 2862933555777941757ull + 3037000493ull;
		sink = x;
	} while (cpu_ns() < end);
}

/* Not a leaf: a leaf gets no frame pointer from GCC 12, whatever -mno-omit-leaf-frame-pointer says. */
static void __attribute__((noinline)) touch(void)
{
	sink = sink + 1;
}

void __attribute__((noinline)) crash_segv(volatile int *p)
{
	touch();
	*p = 42;
}

void __attribute__((noinline)) crash_abort(void)
{
	abort();
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "segv")) {
		crash_segv(NULL);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "abort")) {
		crash_abort();
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "burn")) {
		uint64_t total = (uint64_t)(atof(argv[2]) * 1e9), start = cpu_ns();
		unsigned seed = 12345;

		while (cpu_ns() - start < total) {
			/* a slice of 0.5 to 1.5 ms, three of them in burn_major for one in burn_minor */
			uint64_t slice = 500000 + (uint64_t)(rand_r(&seed) % 1000000);
			burn_major(3 * slice);
			burn_minor(slice);
		}
		return 0;
	}
	fprintf(stderr, "usage: profload burn SECONDS | segv | abort\n");
	return 2;
}
