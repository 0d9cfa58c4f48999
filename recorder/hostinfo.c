/*
 * hostinfo.c - the identity of the host for headers and manifests.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "hostinfo.h"

void hostinfo_read(struct hostinfo *hi)
{
	struct utsname u;
	FILE *f;

	memset(hi, 0, sizeof(*hi));
	if (uname(&u) == 0) {
		snprintf(hi->host, sizeof(hi->host), "%s", u.nodename);
		snprintf(hi->kernel, sizeof(hi->kernel), "%s", u.release);
	}
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (fgets(hi->boot_id, sizeof(hi->boot_id), f))
			hi->boot_id[strcspn(hi->boot_id, "\n")] = '\0';
		fclose(f);
	}
	hi->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	hi->mem_bytes = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
}
