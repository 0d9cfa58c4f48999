/*
 * hostinfo.h - who this host is: name, kernel release, boot id, CPUs and
 * memory, as written into segment headers and archive manifests.
 */
#ifndef FR_HOSTINFO_H
#define FR_HOSTINFO_H

#include <stdint.h>

struct hostinfo {
	char host[65];
	char kernel[65];
	char boot_id[40];
	long ncpus;
	uint64_t mem_bytes;
};

/* Fill HI from uname(2), /proc/sys/kernel/random/boot_id and sysconf. */
void hostinfo_read(struct hostinfo *hi);

#endif
