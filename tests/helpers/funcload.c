/*
 * funcload.c - functions to time with --uprobe (tests/e2e/funcs.sh).
 *
 *   funcload FAST SLOW_MS     call fast_step() FAST times, then slow_step()
 *                             once, which sleeps SLOW_MS milliseconds
 *
 * Both are kept out of line and exported so that a uprobe finds them by
 * name in the symbol table.
 */
#include <stdlib.h>
#include <time.h>

volatile unsigned long funcload_sink;

__attribute__((noinline, used)) void fast_step(unsigned long i)
{
	funcload_sink += i;
}

__attribute__((noinline, used)) void slow_step(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

int main(int argc, char **argv)
{
	unsigned long n;

	if (argc != 3)
		return 2;
	n = strtoul(argv[1], NULL, 10);
	for (unsigned long i = 0; i < n; i++)
		fast_step(i);
	slow_step(atol(argv[2]));
	return 0;
}
