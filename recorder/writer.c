/*
 * writer.c - records to sealed blocks to the store, with loss accounting.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "writer.h"

int writer_init(struct writer *w, struct store *s)
{
	memset(w, 0, sizeof(*w));
	w->store = s;
	if (fr_blockbuf_init(&w->bb, FR_BLOCK_RAW_TARGET))
		return -ENOMEM;
	w->sealed_cap = fr_block_bound(FR_BLOCK_RAW_TARGET);
	w->sealed = malloc(w->sealed_cap);
	w->open_sealed = malloc(w->sealed_cap);
	if (!w->sealed || !w->open_sealed || fr_blockbuf_init(&w->openbb, FR_BLOCK_RAW_TARGET)) {
		writer_free(w);
		return -ENOMEM;
	}
	return 0;
}

void writer_free(struct writer *w)
{
	fr_blockbuf_free(&w->bb);
	fr_blockbuf_free(&w->openbb);
	free(w->sealed);
	free(w->open_sealed);
	w->sealed = w->open_sealed = NULL;
}

/* Seal and write the opening block gathered so far. */
static int flush_opening(struct writer *w)
{
	uint64_t boot, real;
	int n, ret;

	if (w->openbb.nrecords == 0)
		return 0;
	clock_pair(&boot, &real);
	n = fr_block_seal(&w->openbb, boot, real, w->open_sealed, w->sealed_cap);
	ret = n < 0 ? n : store_write(w->store, w->open_sealed, (size_t)n);
	if (ret) { /* reported like any other loss: by the next block's drop record */
		if (w->lost_pending == 0)
			w->lost_since = w->openbb.first_ts;
		w->lost_pending += w->openbb.nrecords;
		w->lost += w->openbb.nrecords;
	} else {
		w->records += w->openbb.nrecords;
		w->blocks++;
		w->bytes += (uint64_t)n;
		w->raw_bytes += w->openbb.len;
	}
	fr_blockbuf_reset(&w->openbb);
	return ret;
}

int writer_add_opening(struct writer *w, const struct fr_kind_desc *k, const void *rec)
{
	int ret = fr_blockbuf_add(&w->openbb, k, rec);

	if (ret == -ENOSPC) {
		flush_opening(w);
		ret = fr_blockbuf_add(&w->openbb, k, rec);
	}
	return ret;
}

/* Put the report of earlier losses at the head of the block being sealed. */
static int add_loss_report(struct writer *w)
{
	struct fr_drop d;

	memset(&d, 0, sizeof(d));
	d.head.kind = FR_KIND_drop;
	d.ts = now_boot_ns();
	memcpy(d.source, FR_DROP_WRITER, sizeof(FR_DROP_WRITER));
	d.cpu = FR_CPU_NONE;
	d.count = w->lost_pending;
	d.since_ts = w->lost_since;
	return fr_blockbuf_add(&w->bb, fr_kind_by_id(FR_KIND_drop), &d);
}

int writer_flush(struct writer *w)
{
	uint64_t boot, real, reported_count = w->lost_pending;
	uint32_t reported = 0;
	int n, ret;

	if (w->lost_pending && add_loss_report(w) == 0)
		reported = 1;
	if (w->bb.nrecords == 0)
		return 0;
	clock_pair(&boot, &real);
	n = fr_block_seal(&w->bb, boot, real, w->sealed, w->sealed_cap);
	ret = n < 0 ? n : store_prepare(w->store, (size_t)n);
	if (ret == 1) {
		/* A new segment: its opening records (the process table) go first. */
		if (w->on_segment) {
			w->on_segment(w->segment_ctx, w);
			flush_opening(w);
		}
		ret = 0;
	}
	if (ret == 0)
		ret = store_write(w->store, w->sealed, (size_t)n);
	if (ret) {
		uint64_t lost = w->bb.nrecords - reported;
		if (w->lost_pending == 0)
			w->lost_since = w->bb.first_ts;
		w->lost_pending += lost;
		w->lost += lost;
		w->failing = 1;
	} else {
		w->records += w->bb.nrecords - reported;
		w->blocks++;
		w->bytes += (uint64_t)n;
		w->raw_bytes += w->bb.len;
		if (reported) /* not what a new segment's opening block lost meanwhile (flush_opening) */
			w->lost_pending -= reported_count;
		w->failing = 0;
	}
	fr_blockbuf_reset(&w->bb);
	return ret;
}

int writer_add(struct writer *w, const struct fr_kind_desc *k, const void *rec)
{
	int ret = fr_blockbuf_add(&w->bb, k, rec);

	if (ret == -ENOSPC) {
		writer_flush(w); /* a failure is counted in w->lost */
		ret = fr_blockbuf_add(&w->bb, k, rec);
	}
	return ret;
}
