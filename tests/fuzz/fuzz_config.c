/*
 * fuzz_config.c - libFuzzer target: the config file parser of
 * `flightrec record` (recorder/options.c), with every setter behind it
 * (sizes, durations, triggers, redaction, probes, uprobes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

/*
 * probes.c needs libbpf and the skeletons; options.c only asks it for the
 * family names.  These match probes.c's table.
 */
static const char *const families[] = { "process", "syscall", "sched", "block", "net",
					 "mem",	    "uprobe",  "security", "dns",   "http", "tls" };

int probes_family_index(const char *name)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strcmp(families[i], name))
			return (int)i;
	return -1;
}

const char *probes_family_names(void)
{
	return "process, syscall, sched, block, net, mem, uprobe, security, dns, http, tls";
}

unsigned probes_default_off(void)
{
	return 1u << 9; /* http */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct record_opts o;
	char msg[256];
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	options_defaults(&o);
	options_read_config(f, "fuzz.conf", &o, msg, sizeof(msg));
	fclose(f);
	options_free(&o);
	return 0;
}
