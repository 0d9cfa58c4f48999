/*
 * kindsize.c - bytes on disk per record of each kind, for scripts/bench.
 *
 *   kindsize PATH...     (segments, recorder directories or archives)
 *
 * A log mixes kinds in its blocks, so what one kind costs cannot be read
 * off the files.  This re-encodes the records of each kind alone, in
 * blocks the size the recorder writes (FR_BLOCK_RAW_TARGET), LZ4 and
 * headers included, and prints per kind: records, bytes, bytes per record;
 * then the same for all of them in their original order ("all").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "input.h"
#include "record.h"

struct kind_size {
	struct fr_blockbuf bb;
	uint64_t records, bytes;
	int used;
};

struct sizer {
	struct kind_size kinds[FR_KIND_MAX + 1]; /* [FR_KIND_MAX]: all kinds together */
	uint8_t *sealed;
	size_t sealed_cap;
	int failed;
};

static void seal(struct sizer *s, struct kind_size *ks)
{
	int n;

	if (!ks->bb.nrecords)
		return;
	n = fr_block_seal(&ks->bb, 0, 0, s->sealed, s->sealed_cap);
	if (n < 0)
		s->failed = 1;
	else
		ks->bytes += (uint64_t)n;
	fr_blockbuf_reset(&ks->bb);
}

static int add(struct sizer *s, struct kind_size *ks, const struct fr_kind_desc *k, const void *rec)
{
	int rc;

	if (!ks->used) {
		if (fr_blockbuf_init(&ks->bb, FR_BLOCK_RAW_TARGET))
			return -ENOMEM;
		ks->used = 1;
	}
	rc = fr_blockbuf_add(&ks->bb, k, rec);
	if (rc == -ENOSPC) {
		seal(s, ks);
		rc = fr_blockbuf_add(&ks->bb, k, rec);
	}
	if (rc < 0)
		return rc;
	ks->records++;
	return 0;
}

static int on_record(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k, const void *rec)
{
	struct sizer *s = ctx;

	(void)seg;
	if (k->id >= FR_KIND_MAX)
		return 0;
	if (add(s, &s->kinds[k->id], k, rec) || add(s, &s->kinds[FR_KIND_MAX], k, rec)) {
		s->failed = 1;
		return 1;
	}
	return 0;
}

static void on_warn(void *ctx, const char *name, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "kindsize: %s: %s\n", name, msg);
}

int main(int argc, char **argv)
{
	static struct sizer s;
	struct fr_input_ops ops = { .record = on_record, .warn = on_warn };

	if (argc < 2) {
		fprintf(stderr, "usage: kindsize PATH...\n");
		return 2;
	}
	s.sealed_cap = fr_block_bound(FR_BLOCK_RAW_TARGET);
	s.sealed = malloc(s.sealed_cap);
	if (!s.sealed)
		return 1;
	for (int i = 1; i < argc; i++) {
		struct fr_read_stats st = { 0 };
		char err[512];

		if (fr_input_read(argv[i], &ops, &s, &st, err, sizeof(err)) < 0) {
			fprintf(stderr, "kindsize: cannot read %s: %s\n", argv[i], err);
			return 1;
		}
	}
	printf("%-14s %12s %14s %8s\n", "kind", "records", "bytes", "B/rec");
	for (unsigned id = 0; id <= FR_KIND_MAX; id++) {
		struct kind_size *ks = &s.kinds[id];
		const struct fr_kind_desc *k = id < FR_KIND_MAX ? fr_kind_by_id(id) : NULL;

		if (!ks->used)
			continue;
		seal(&s, ks);
		printf("%-14s %12llu %14llu %8.1f\n", k ? k->name : "all", (unsigned long long)ks->records,
		       (unsigned long long)ks->bytes, (double)ks->bytes / (double)ks->records);
		fr_blockbuf_free(&ks->bb);
	}
	free(s.sealed);
	if (s.failed) {
		fprintf(stderr, "kindsize: a block could not be encoded\n");
		return 1;
	}
	return 0;
}
