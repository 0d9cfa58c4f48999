/*
 * exit-with.c - test helper: `exit-with CODE [MARKER...]` exits with CODE,
 * or kills itself with signal -CODE when CODE is negative.  The markers only
 * make its argv unique, so tests can find exactly their own processes.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 0;

	if (code < 0) {
		signal(-code, SIG_DFL);
		raise(-code);
		pause();
	}
	return code;
}
