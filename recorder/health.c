/*
 * health.c - the recorder's own vital signs, once a second, as a health
 * record (records.def): what came from the ring, what reached the disk,
 * what was lost where, its CPU time and memory, and the records of each
 * kind in the interval (also the "last second" of `flightrec status`).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recorder.h"
#include "util.h"

static uint64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t self_rss(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

void health_start(struct recorder *rc, uint64_t now)
{
	rc->prev.ts = now;
	rc->prev.cpu_ns = self_cpu_ns();
}

void health_write(struct recorder *rc, uint64_t now)
{
	struct fr_health h;
	uint64_t cpu = self_cpu_ns(), interval = now - rc->prev.ts;
	const uint64_t *counts = rc->sink.counts;
	size_t n = 0;
	int ok = 0;

	memset(&h, 0, sizeof(h));
	h.head.kind = FR_KIND_health;
	h.ts = now;
	h.interval_ns = interval;
	h.events = rc->probes.events - rc->prev.events;
	h.records = rc->writer.records - rc->prev.records;
	h.bytes = rc->writer.bytes - rc->prev.bytes;
	h.ringbuf_drops = rc->ringbuf_lost - rc->prev.ringbuf_lost;
	h.writer_lost = rc->writer.lost - rc->prev.writer_lost;
	h.disk_bytes = rc->store.total;
	h.disk_budget = rc->o.store.max_disk;
	h.rss_bytes = self_rss();
	h.cpu_ns = cpu - rc->prev.cpu_ns;
	for (int i = 0; i < rc->probes.nstatus; i++)
		ok += rc->probes.status[i].ok;
	h.probes_ok = (uint32_t)ok;
	h.probes_failed = (uint32_t)(rc->probes.nstatus - ok);
	rc->rates[0] = '\0';
	for (unsigned i = 0; i < fr_nkinds; i++) {
		unsigned id = fr_kinds[i].id;
		uint64_t d = counts[id] - rc->prev.kind_counts[id];
		if (!d || n >= sizeof(h.kinds) - 1)
			continue;
		n += (size_t)snprintf(h.kinds + n, sizeof(h.kinds) - n, "%s%s=%llu", n ? " " : "", fr_kinds[i].name,
				      (unsigned long long)d);
	}
	snprintf(rc->rates, sizeof(rc->rates), "%s", h.kinds);
	rc->prev.ts = now;
	rc->prev.events = rc->probes.events;
	rc->prev.records = rc->writer.records;
	rc->prev.bytes = rc->writer.bytes;
	rc->prev.ringbuf_lost = rc->ringbuf_lost;
	rc->prev.writer_lost = rc->writer.lost;
	rc->prev.cpu_ns = cpu;
	sink_put(&rc->sink, &h);
	/* after: the health record is not one of the next interval's events */
	memcpy(rc->prev.kind_counts, counts, sizeof(rc->prev.kind_counts));
}
