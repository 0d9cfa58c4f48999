/*
 * sink.c - every record's one way to the writer (see sink.h for the
 * stages and their order).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procscan.h"
#include "sink.h"
#include "triggers.h"
#include "writer.h"

int sink_observe(struct sink *s, sink_observe_fn fn, void *ctx)
{
	if (s->nobs >= SINK_OBSERVERS_MAX)
		return -ENOSPC;
	s->obs[s->nobs].fn = fn;
	s->obs[s->nobs++].ctx = ctx;
	return 0;
}

/* The rules see the record as it will be written. */
static void check_triggers(struct sink *s, const struct fr_kind_desc *k, const void *rec)
{
	const struct trigger_rule *r;
	char what[512];

	if (s->triggers && triggers_watch(s->triggers, k->id) &&
	    (r = triggers_check(s->triggers, k, rec, what, sizeof(what))) && s->fire)
		s->fire(s->fire_ctx, r, what);
}

static void observe(struct sink *s, const struct fr_kind_desc *k, const void *rec, int opening)
{
	for (int i = 0; i < s->nobs; i++)
		s->obs[i].fn(s->obs[i].ctx, k, rec, opening);
}

static void put_one(struct sink *s, const struct fr_kind_desc *k, const void *rec)
{
	struct fr_exec e;

	s->counts[k->id]++;
	s->records++;
	if (k->id == FR_KIND_exec && s->scan) {
		memcpy(&e, rec, sizeof(e));
		procscan_enrich_exec(s->scan, &e);
		rec = &e;
	}
	check_triggers(s, k, rec);
	observe(s, k, rec, 0);
	if (s->writer)
		writer_add(s->writer, k, rec);
}

/* An observer's record, while another passes: a copy waits for its turn. */
static void queue(struct sink *s, const struct fr_kind_desc *k, const void *rec)
{
	void *copy;

	if (s->npending >= SINK_PENDING_MAX || !(copy = malloc(k->struct_size))) {
		s->lost++;
		return;
	}
	memcpy(copy, rec, k->struct_size);
	s->pending[s->npending++] = copy;
}

void sink_put(struct sink *s, const void *rec)
{
	const struct fr_kind_desc *k = fr_kind_by_id(((const struct fr_head *)rec)->kind);

	if (!k) {
		s->lost++;
		return;
	}
	if (s->depth) {
		queue(s, k, rec);
		return;
	}
	s->depth++;
	put_one(s, k, rec);
	/* what observers put, in the order they put it; theirs may add more */
	for (int i = 0; i < s->npending; i++) {
		put_one(s, fr_kind_by_id(((const struct fr_head *)s->pending[i])->kind), s->pending[i]);
		free(s->pending[i]);
		s->pending[i] = NULL;
	}
	s->npending = 0;
	s->depth--;
}

void sink_put_opening(struct sink *s, const void *rec)
{
	const struct fr_kind_desc *k = fr_kind_by_id(((const struct fr_head *)rec)->kind);

	if (!k) {
		s->lost++;
		return;
	}
	s->depth++; /* an observer's record now would not belong to the segment's head */
	observe(s, k, rec, 1);
	s->depth--;
	if (s->writer)
		writer_add_opening(s->writer, k, rec);
}

void sink_free(struct sink *s)
{
	for (int i = 0; i < s->npending; i++)
		free(s->pending[i]);
	s->npending = 0;
}
