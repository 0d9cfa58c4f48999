/*
 * archive_manifest.c - an archive's MANIFEST.json: the host, the window,
 * the trigger, the records of each kind, the drops, what was redacted and
 * what the recorder says of its probes and options (FORMAT.md, "Archives").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_window.h"
#include "redact.h"
#include "segment.h"
#include "util.h"

static void utc_iso(uint64_t ns, char *buf, size_t cap)
{
	fr_format_utc((int64_t)ns, buf, cap);
}

int manifest_build(const struct archive_job *job, const struct window_out *o, int64_t delta,
			  struct membuf *m)
{
	const struct window_spec *w = &job->win;
	char start[40], end[40], trig[40], now[40];

	utc_iso(w->start_boot + (uint64_t)delta, start, sizeof(start));
	utc_iso(w->end_boot + (uint64_t)delta, end, sizeof(end));
	utc_iso(w->trigger_boot + (uint64_t)delta, trig, sizeof(trig));
	utc_iso(now_real_ns(), now, sizeof(now));
	mb_printf(m, "{\n  \"format\": \"%d.%d\",\n  \"host\": ", FR_FORMAT_MAJOR, FR_FORMAT_MINOR);
	mb_json_string(m, job->hi->host);
	mb_printf(m, ",\n  \"kernel\": ");
	mb_json_string(m, job->hi->kernel);
	mb_printf(m, ",\n  \"boot_id\": ");
	mb_json_string(m, job->hi->boot_id);
	mb_printf(m, ",\n  \"cpus\": %ld,\n  \"memory_bytes\": %" PRIu64 ",\n", job->hi->ncpus, job->hi->mem_bytes);
	mb_printf(m, "  \"recorder_version\": \"%s\",\n  \"created_utc\": \"%s\",\n", FR_VERSION, now);
	mb_printf(m,
		  "  \"window\": {\"start_utc\": \"%s\", \"end_utc\": \"%s\", \"start_ns\": %" PRIu64
		  ", \"end_ns\": %" PRIu64 ", \"start_boot_ns\": %" PRIu64 ", \"end_boot_ns\": %" PRIu64 "},\n",
		  start, end, w->start_boot + (uint64_t)delta, w->end_boot + (uint64_t)delta, w->start_boot,
		  w->end_boot);
	mb_printf(m, "  \"reason\": ");
	mb_json_string(m, w->reason);
	mb_printf(m, ",\n  \"trigger\": {\"type\": ");
	mb_json_string(m, w->trigger_type);
	mb_printf(m, ", \"detail\": ");
	mb_json_string(m, w->trigger_detail);
	if (w->trigger_record[0]) {
		/* the triggering record as the recorder saw it: hidden like the rest */
		mb_printf(m, ", \"record\": ");
		mb_json_string(m, job->redact ? "(redacted)" : w->trigger_record);
	}
	mb_printf(m, ", \"utc\": \"%s\", \"ns\": %" PRIu64 ", \"count\": %u},\n", trig,
		  w->trigger_boot + (uint64_t)delta, w->ntriggers ? w->ntriggers : 1);
	mb_printf(m, "  \"records\": {");
	for (unsigned i = 0; i < fr_nkinds; i++)
		mb_printf(m, "%s\"%s\": %" PRIu64, i ? ", " : "", fr_kinds[i].name,
			  fr_kinds[i].id < FR_KIND_MAX ? o->counts[fr_kinds[i].id] : 0);
	mb_printf(m, "},\n  \"records_total\": %" PRIu64 ",\n", o->records);
	mb_printf(m, "  \"processes_at_start\": %" PRIu64 ",\n", o->start_procs);
	mb_printf(m, "  \"drops\": {\"ringbuf\": %" PRIu64 ", \"writer\": %" PRIu64 "},\n", o->drops_ringbuf,
		  o->drops_writer);
	char classes[64];
	redact_describe(job->redact, classes, sizeof(classes));
	mb_printf(m, "  \"redacted\": %s", classes);
	if (job->extra_json && *job->extra_json)
		mb_printf(m, ",\n  %s", job->extra_json);
	return mb_printf(m, "\n}\n");
}
