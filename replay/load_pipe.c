/*
 * load_pipe.c - records decoded on a worker thread, inserted on the
 * caller's (load_pipe.h).
 *
 * A few batches go round between the two threads: the worker fills a free
 * one (each record copied, its descriptor and segment header beside it),
 * the caller empties a full one, in turn, so order is kept and memory is
 * bounded by the batches (PIPE_BATCHES x PIPE_BYTES).  A batch holds the
 * records of one segment only: its header is copied once and outlives the
 * record callback's use of it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "load_pipe.h"
#include "record.h"

#define PIPE_BATCHES 4
#define PIPE_RECORDS 4096
#define PIPE_BYTES ((size_t)2 << 20) /* at least PIPE_RECORDS small records or one of FR_RECORD_STRUCT_MAX */

struct batch {
	struct fr_seg_hdr seg;
	const struct fr_seg_hdr *seg_src; /* the worker's header these records came with */
	size_t n, used;
	const struct fr_kind_desc *kind[PIPE_RECORDS];
	size_t off[PIPE_RECORDS];
	unsigned char *buf; /* PIPE_BYTES */
	int full;           /* 1: the caller's to empty; 0: the worker's to fill */
};

struct pipe {
	const struct fr_input_ops *ops;
	void *ctx;
	const char *path;
	struct fr_read_stats *stats;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct batch b[PIPE_BATCHES];
	unsigned fill; /* batch the worker fills */
	int stop;      /* the caller failed: the worker stops at its next record */
	int done;      /* the worker returned */
	int ret;       /* what fr_input_read returned */
	char err[512];
};

/* Worker: hand the batch being filled to the caller and wait for the next to be free; -1 when told to stop. */
static int pass_batch(struct pipe *p)
{
	struct batch *b = &p->b[p->fill];
	int stop;

	pthread_mutex_lock(&p->lock);
	if (!b->n) {
		stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		return stop ? -1 : 0;
	}
	b->full = 1;
	pthread_cond_broadcast(&p->changed);
	p->fill = (p->fill + 1) % PIPE_BATCHES;
	while (p->b[p->fill].full && !p->stop)
		pthread_cond_wait(&p->changed, &p->lock);
	stop = p->stop;
	pthread_mutex_unlock(&p->lock);
	return stop ? -1 : 0;
}

static int copy_record(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k, const void *rec)
{
	struct pipe *p = ctx;
	struct batch *b = &p->b[p->fill];
	size_t size = (k->struct_size + 7u) & ~(size_t)7u;

	if (b->n && (b->seg_src != seg || b->n == PIPE_RECORDS || b->used + size > PIPE_BYTES)) {
		if (pass_batch(p))
			return -1;
		b = &p->b[p->fill];
	}
	if (!b->n) {
		b->seg = *seg;
		b->seg_src = seg;
		b->used = 0;
	}
	memcpy(b->buf + b->used, rec, k->struct_size);
	b->kind[b->n] = k;
	b->off[b->n++] = b->used;
	b->used += size;
	return 0;
}

/* A new segment: its header may sit where the last one did, so its records start a new batch. */
static int new_segment(void *ctx, const char *name, const struct fr_seg_hdr *hdr)
{
	struct pipe *p = ctx;

	if (pass_batch(p))
		return -1;
	return p->ops->segment ? p->ops->segment(p->ctx, name, hdr) : 0;
}

static void pass_warn(void *ctx, const char *name, const char *msg)
{
	struct pipe *p = ctx;

	if (p->ops->warn)
		p->ops->warn(p->ctx, name, msg);
}

static int pass_manifest(void *ctx, const char *path, const char *json, size_t len)
{
	struct pipe *p = ctx;

	return p->ops->manifest ? p->ops->manifest(p->ctx, path, json, len) : 0;
}

static int pass_member(void *ctx, const char *path, const char *name, const void *data, size_t len)
{
	struct pipe *p = ctx;

	return p->ops->member ? p->ops->member(p->ctx, path, name, data, len) : 0;
}

static void *worker(void *arg)
{
	struct pipe *p = arg;
	const struct fr_input_ops wops = { .record = copy_record, .warn = pass_warn, .manifest = pass_manifest,
					   .segment = new_segment, .member = pass_member };
	int ret = fr_input_read(p->path, &wops, p, p->stats, p->err, sizeof(p->err));

	if (ret == 0)
		pass_batch(p); /* the last records */
	pthread_mutex_lock(&p->lock);
	p->ret = ret;
	p->done = 1;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int load_pipe_read(const char *path, const struct fr_input_ops *ops, void *ctx, struct fr_read_stats *stats,
		   char *err, size_t errlen)
{
	struct pipe *p = calloc(1, sizeof(*p));
	pthread_t tid;
	unsigned take = 0;
	int failed = 0, ret;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < PIPE_BATCHES; i++) {
		if (!(p->b[i].buf = malloc(PIPE_BYTES))) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	p->ops = ops;
	p->ctx = ctx;
	p->path = path;
	p->stats = stats;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	if ((ret = pthread_create(&tid, NULL, worker, p)) != 0) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->changed);
		snprintf(err, errlen, "cannot start the decoding thread: %s", strerror(ret));
		ret = -ret;
		goto out;
	}
	for (;;) {
		struct batch *b = &p->b[take];

		pthread_mutex_lock(&p->lock);
		while (!b->full && !p->done)
			pthread_cond_wait(&p->changed, &p->lock);
		pthread_mutex_unlock(&p->lock);
		if (!b->full)
			break; /* the worker returned and every batch it passed is inserted */
		for (size_t i = 0; i < b->n && !failed; i++)
			if (ops->record(ctx, &b->seg, b->kind[i], b->buf + b->off[i]))
				failed = 1;
		pthread_mutex_lock(&p->lock);
		b->n = 0;
		b->full = 0;
		if (failed)
			p->stop = 1;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		if (failed)
			break;
		take = (take + 1) % PIPE_BATCHES;
	}
	pthread_join(tid, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
	ret = failed ? -ECANCELED : p->ret;
	if (ret < 0)
		snprintf(err, errlen, "%s", failed ? "stopped by the reader" : p->err);
out:
	for (unsigned i = 0; i < PIPE_BATCHES; i++)
		free(p->b[i].buf);
	free(p);
	return ret;
}
