/*
 * status.c - what the recorder says about itself: the answer to `flightrec
 * status` (text, or one line of JSON with --json) and the description of
 * its probes and options that every archive's manifest carries.  Strings
 * that come from outside (the directory, probe names and errors, attach
 * points that name files) go through json_quote().
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "recorder.h"
#include "util.h"

void status_describe(struct recorder *rc)
{
	char *p = rc->extra_json;
	size_t cap = sizeof(rc->extra_json);
	int n = snprintf(p, cap, "\"probes\": [");

	for (int i = 0; i < rc->probes.nstatus && n < (int)cap; i++) {
		const struct probe_status *s = &rc->probes.status[i];
		char name[JSON_QUOTED_MAX(sizeof(s->name))], attach[JSON_QUOTED_MAX(sizeof(s->attach))];
		char why[JSON_QUOTED_MAX(sizeof(s->why))];

		json_quote(name, sizeof(name), s->name);
		json_quote(attach, sizeof(attach), s->attach);
		json_quote(why, sizeof(why), s->why);
		n += snprintf(p + n, cap - (size_t)n, "%s{\"name\": %s, \"attach\": %s, \"ok\": %s%s%s}",
			      i ? ", " : "", name, attach, s->ok ? "true" : "false", s->ok ? "" : ", \"error\": ",
			      s->ok ? "" : why);
	}
	if (n < (int)cap)
		snprintf(p + n, cap - (size_t)n,
			 "],\n  \"options\": {\"max_disk\": %" PRIu64 ", \"segment_size\": %" PRIu64
			 ", \"segment_age_ns\": %" PRIu64 ", \"snapshot_before_ns\": %" PRIu64
			 ", \"snapshot_after_ns\": %" PRIu64 ", \"ring_size\": %" PRIu64 "}",
			 rc->o.store.max_disk, rc->o.store.segment_size, rc->o.store.segment_age_ns,
			 rc->o.snap_before, rc->o.snap_after, rc->o.ring_size);
}

void status_answer(struct recorder *rc, int fd, int json)
{
	char buf[65536], started[40], oldest[40], budget[32], used[32], shed[40] = "";
	uint64_t boot, real, oldest_boot = store_oldest_boot(&rc->store);
	int ok = 0, n;

	clock_pair(&boot, &real);
	fr_format_utc((int64_t)rc->started_real, started, sizeof(started));
	if (rc->probes.overload.since) /* under overload now: verbose records counted only, since */
		fr_format_utc((int64_t)(rc->probes.overload.since + (real - boot)), shed, sizeof(shed));
	if (oldest_boot)
		fr_format_utc((int64_t)(oldest_boot + (real - boot)), oldest, sizeof(oldest));
	else
		snprintf(oldest, sizeof(oldest), "-");
	for (int i = 0; i < rc->probes.nstatus; i++)
		ok += rc->probes.status[i].ok;
	if (json) {
		char dir[JSON_QUOTED_MAX(sizeof(rc->logdir))];

		json_quote(dir, sizeof(dir), rc->o.dir);
		n = snprintf(buf, sizeof(buf),
			     "ok {\"pid\": %d, \"dir\": %s, \"started_utc\": \"%s\", \"uptime_ns\": %" PRIu64
			     ", \"events\": %" PRIu64 ", \"events_per_second\": \"%s\", \"records_written\": %" PRIu64
			     ", \"blocks\": %" PRIu64 ", \"bytes_written\": %" PRIu64 ", \"ringbuf_drops\": %" PRIu64
			     ", \"writer_lost\": %" PRIu64 ", \"bad_events\": %" PRIu64 ", \"segments\": %zu"
			     ", \"disk_bytes\": %" PRIu64 ", \"disk_budget\": %" PRIu64 ", \"oldest_utc\": \"%s\""
			     ", \"probes_ok\": %d, \"probes_failed\": %d, \"snapshots_written\": %" PRIu64
			     ", \"snapshots_pending\": %d, \"upload_ok\": %" PRIu64 ", \"upload_failed\": %" PRIu64
			     ", \"uploads_running\": %d, \"overload_since_utc\": %s%s%s, %s}\n",
			     getpid(), dir, started, boot - rc->started_boot, rc->probes.events, rc->rates,
			     rc->writer.records, rc->writer.blocks, rc->writer.bytes, rc->ringbuf_lost, rc->writer.lost,
			     rc->probes.bad_events, rc->store.nsegs, rc->store.total, rc->o.store.max_disk, oldest, ok,
			     rc->probes.nstatus - ok, rc->snaps.written, rc->snaps.head != NULL, rc->uploads.ok,
			     rc->uploads.failed, uploads_running(&rc->uploads), shed[0] ? "\"" : "",
			     shed[0] ? shed : "null", shed[0] ? "\"" : "", rc->extra_json);
		/* one line: the manifest part is pretty-printed (strings hold no raw newline) */
		for (char *p = buf; *p && p < buf + n - 1; p++)
			if (*p == '\n')
				*p = ' ';
	} else {
		format_size(rc->store.total, used, sizeof(used));
		format_size(rc->o.store.max_disk, budget, sizeof(budget));
		n = snprintf(buf, sizeof(buf),
			     "ok recorder pid %d, recording to %s/log since %s\n"
			     "events:    %" PRIu64 " in all; last second: %s\n"
			     "written:   %" PRIu64 " records in %" PRIu64 " blocks, %" PRIu64 " bytes\n"
			     "lost:      %" PRIu64 " in the ring buffer, %" PRIu64 " on the way to disk\n"
			     "disk:      %s of %s in %zu segments; oldest record from %s\n"
			     "snapshots: %" PRIu64 " written, %s pending, in %s\n"
			     "uploads:   %" PRIu64 " ok, %" PRIu64 " failed, %d running\n"
			     "probes:    %d attached, %d failed\n",
			     getpid(), rc->o.dir, started, rc->probes.events, rc->rates[0] ? rc->rates : "none",
			     rc->writer.records, rc->writer.blocks, rc->writer.bytes, rc->ringbuf_lost, rc->writer.lost,
			     used, budget, rc->store.nsegs, oldest, rc->snaps.written, rc->snaps.head ? "some" : "none",
			     rc->snapdir, rc->uploads.ok, rc->uploads.failed, uploads_running(&rc->uploads), ok,
			     rc->probes.nstatus - ok);
		if (shed[0] && n < (int)sizeof(buf))
			n += snprintf(buf + n, sizeof(buf) - (size_t)n,
				      "overload:  since %s: the most verbose records are counted only\n", shed);
		for (int i = 0; i < rc->probes.nstatus && n < (int)sizeof(buf); i++) {
			const struct probe_status *st = &rc->probes.status[i];
			char note[64];

			probes_note(&rc->probes, i, note, sizeof(note));
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "  %-22s %-8s %s%s%s%s\n", st->name,
				      st->ok ? "attached" : "FAILED", st->attach, st->ok ? "" : ": ", st->ok ? "" : st->why,
				      note);
		}
	}
	send(fd, buf, strlen(buf), MSG_NOSIGNAL);
	close(fd);
}
