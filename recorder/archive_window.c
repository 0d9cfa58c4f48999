/*
 * archive_window.c - which records go into an archive: the records of the
 * segments that hold the window, each re-packed with its own clock delta
 * into new blocks (window.seg), after the process table at the window's
 * start (archive_ptab.c) and the connections still open at its end.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_window.h"
#include "redact.h"
#include "symbols.h"
#include "input.h"
#include "segment.h"
#include "util.h"

int window_seal(struct window_out *o)
{
	int n;

	if (o->bb.nrecords == 0)
		return 0;
	/* A pair whose difference is the delta the records were written with. */
	n = fr_block_seal(&o->bb, 0, (uint64_t)o->bb_delta, o->sealed, o->sealed_cap);
	if (n < 0)
		return n;
	fr_blockbuf_reset(&o->bb);
	return mb_append(&o->seg, o->sealed, (size_t)n);
}

int window_copy_record(struct window_out *o, const uint8_t *framed, size_t len, uint64_t ts, int64_t delta)
{
	int ret;

	/* Keep each record with its own clock: a clock step starts a new block. */
	if (o->bb.nrecords && llabs(delta - o->bb_delta) > 1000000 && (ret = window_seal(o)))
		return ret;
	if (o->bb.nrecords == 0)
		o->bb_delta = delta;
	ret = fr_blockbuf_add_raw(&o->bb, framed, len, ts);
	if (ret == -ENOSPC) {
		if ((ret = window_seal(o)))
			return ret;
		o->bb_delta = delta;
		ret = fr_blockbuf_add_raw(&o->bb, framed, len, ts);
	}
	return ret;
}

/* Copy the window's records of one segment into O. */
static int select_segment(const struct archive_job *job, const char *path, struct window_out *o)
{
	struct fr_read_stats st = { 0 };
	struct fr_seg_reader r;
	struct fr_block_hdr h;
	const uint8_t *data;
	size_t len;
	char err[256];
	int ret;

	if (fr_map_file(path, &data, &len))
		return 0; /* deleted by retention meanwhile: nothing of it is pinned */
	if (fr_seg_reader_open(&r, data, len, path, &st, NULL, NULL, err, sizeof(err))) {
		fr_unmap_file(data, len);
		return 0;
	}
	/* Boot-time ns of another boot mean other moments. */
	if (strcmp(r.hdr.boot_id, job->hi->boot_id))
		goto out;
	r.min_ts = job->win.start_boot;
	r.max_ts = job->win.end_boot;
	while (fr_seg_reader_next(&r, &h, NULL) == 1) {
		int64_t delta = (int64_t)(h.clock_real - h.clock_boot);
		const uint8_t *payload;
		size_t off = 0, plen;
		unsigned kind;

		if (h.last_ts < job->win.start_boot || h.first_ts > job->win.end_boot)
			continue;
		while (fr_block_next_record(r.raw, h.raw_len, &off, &kind, &payload, &plen) == 1) {
			uint64_t ts = fr_payload_ts(payload, plen);
			if (ts < job->win.start_boot || ts > job->win.end_boot)
				continue;
			if (o->redact && fr_kind_by_id(kind)) {
				/* decode, replace, encode again: the hashes take the place of the values */
				_Alignas(8) uint8_t rec[FR_RECORD_STRUCT_MAX];
				uint8_t framed[FR_RECORD_STRUCT_MAX + 64];
				const struct fr_kind_desc *k = fr_kind_by_id(kind);
				int n;
				if (fr_record_decode(k, payload, plen, rec, NULL))
					continue;
				redact_record(o->redact, k, rec);
				n = fr_record_encode(k, rec, framed, sizeof(framed));
				ret = n > 0 ? window_copy_record(o, framed, (size_t)n, ts, delta) : -EINVAL;
			} else {
				ret = window_copy_record(o, payload - FR_RECORD_FRAME, plen + FR_RECORD_FRAME, ts, delta);
			}
			if (ret)
				goto fail;
			o->records++;
			if (kind < FR_KIND_MAX)
				o->counts[kind]++;
			if (kind == FR_KIND_stack && job->symbols) {
				/* its frames get their names in symbols.txt */
				_Alignas(8) uint8_t rec[FR_RECORD_STRUCT_MAX];
				if (fr_record_decode(fr_kind_by_id(kind), payload, plen, rec, NULL) == 0 &&
				    (ret = symbols_note(job->symbols, ((const struct fr_stack *)rec)->frames)))
					goto fail;
			}
			if (kind == FR_KIND_drop) {
				_Alignas(8) uint8_t rec[FR_RECORD_STRUCT_MAX];
				const struct fr_drop *d = (const struct fr_drop *)rec;
				if (fr_record_decode(fr_kind_by_id(kind), payload, plen, rec, NULL) == 0) {
					if (!strcmp(d->source, FR_DROP_WRITER))
						o->drops_writer += d->count;
					else
						o->drops_ringbuf += d->count;
				}
			}
		}
	}
out:
	ret = 0;
fail:
	fr_seg_reader_close(&r);
	fr_unmap_file(data, len);
	return ret;
}

int window_select(const struct archive_job *job, struct window_out *o)
{
	struct seg_start {
		int same_boot;
		uint64_t boot;
	} *created = NULL;
	char **names = NULL;
	size_t n = 0;
	int ret = fr_seg_list(job->logdir, &names, &n);

	if (ret)
		return ret;
	/* When each segment began, from its header. */
	if (ret == 0 && !(created = calloc(n ? n : 1, sizeof(*created))))
		ret = -ENOMEM;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		char path[4400];
		uint8_t hdr[FR_SEG_HDR_LEN];
		struct fr_seg_hdr sh;
		char e[128];
		FILE *f;
		size_t got = 0;

		snprintf(path, sizeof(path), "%s/%s", job->logdir, names[i]);
		if ((f = fopen(path, "re"))) {
			got = fread(hdr, 1, sizeof(hdr), f);
			fclose(f);
		}
		if (got == sizeof(hdr) && !fr_seg_hdr_parse(hdr, got, &sh, e, sizeof(e)) &&
		    !strcmp(sh.boot_id, job->hi->boot_id)) {
			created[i].same_boot = 1;
			created[i].boot = sh.created_boot;
		}
	}
	/* The newest segment of this boot created before the start holds it. */
	for (size_t i = n; ret == 0 && i-- > 0;) {
		char path[4400];
		if (!created[i].same_boot || created[i].boot > job->win.start_boot)
			continue;
		snprintf(path, sizeof(path), "%s/%s", job->logdir, names[i]);
		ret = window_start_table(job, path, o);
		break;
	}
	/* Connections still open at the end of the window: stamped with the
	 * later of their start and the window's start; duration_ns says how
	 * long they had been open. */
	for (size_t i = 0; ret == 0 && i < job->nopen_conns; i++) {
		struct fr_conn c = job->open_conns[i];
		uint8_t framed[FR_RECORD_STRUCT_MAX + 64];
		uint64_t boot, real;
		int len;
		if (c.ts > job->win.end_boot)
			continue; /* opened after the window */
		if (c.ts < job->win.start_boot)
			c.ts = job->win.start_boot;
		redact_record(o->redact, fr_kind_by_id(FR_KIND_conn), &c);
		len = fr_record_encode(fr_kind_by_id(FR_KIND_conn), &c, framed, sizeof(framed));
		clock_pair(&boot, &real);
		if (len > 0 && (ret = window_copy_record(o, framed, (size_t)len, c.ts, (int64_t)(real - boot))) == 0) {
			o->records++;
			o->counts[FR_KIND_conn]++;
		}
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", job->logdir, names[i]);
		/* A segment of this boot ends where the next one begins. */
		if (i + 1 < n && created[i + 1].same_boot && created[i + 1].boot < job->win.start_boot)
			continue;
		/* Records wait up to a flush interval in the writer: a segment begun
		 * just after the window's end may still hold some of its records. */
		if (created[i].same_boot && created[i].boot > job->win.end_boot + 5 * NSEC_PER_SEC)
			continue;
		ret = select_segment(job, path, o);
	}
	fr_seg_list_free(names, n);
	free(created);
	if (ret == 0)
		ret = window_seal(o);
	return ret;
}
