/*
 * threads.c - the thread count of the parallel steps (threads.h).
 */
#include <stdlib.h>
#include <unistd.h>

#include "threads.h"

unsigned replay_threads(void)
{
	const char *env = getenv("FLIGHTREC_REPLAY_THREADS");
	long n = 0;

	if (env && *env) {
		char *end;
		n = strtol(env, &end, 10);
		if (*end)
			n = 0; /* not a number: as if unset */
	}
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > REPLAY_THREADS_MAX ? REPLAY_THREADS_MAX : (unsigned)n;
}
