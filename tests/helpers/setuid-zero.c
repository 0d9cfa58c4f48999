/*
 * setuid-zero.c - test helper: `setuid-zero` calls setuid(0) and exits 0
 * when it succeeded, 1 when it did not.  Installed set-uid root (or with
 * file capabilities) in a test's directory and run as an unprivileged user,
 * it is a process that becomes root the way an exploit or sudo does.
 */
#include <unistd.h>

int main(void)
{
	return setuid(0) == 0 ? 0 : 1;
}
