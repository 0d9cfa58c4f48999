/*
 * writer.h - gathers records into blocks, seals them (LZ4 + CRC) and
 * appends them to the store.  Records that cannot be written (disk full,
 * I/O error) are counted and reported in a drop record of source "writer"
 * in the first block that can be written again.
 */
#ifndef FR_WRITER_H
#define FR_WRITER_H

#include <stdint.h>

#include "block.h"
#include "record.h"
#include "store.h"

struct writer;
/* Called when a segment begins: add its opening records with writer_add_opening(). */
typedef void (*writer_segment_fn)(void *ctx, struct writer *w);

struct writer {
	struct store *store;
	writer_segment_fn on_segment;
	void *segment_ctx;
	struct fr_blockbuf bb;
	struct fr_blockbuf openbb; /* the opening records of a new segment */
	uint8_t *open_sealed;
	uint8_t *sealed;
	size_t sealed_cap;
	uint64_t records;      /* records written to disk */
	uint64_t blocks;
	uint64_t bytes;        /* bytes of sealed blocks written */
	uint64_t raw_bytes;    /* bytes before compression */
	uint64_t lost;         /* records that never reached the disk, in all */
	uint64_t lost_pending; /* ... not yet reported in a drop record */
	uint64_t lost_since;   /* boot ns of the first of them */
	int failing;           /* the last append failed */
};

int writer_init(struct writer *w, struct store *s);
void writer_free(struct writer *w);
/* Add one record; seals and appends the block first when it is full. */
int writer_add(struct writer *w, const struct fr_kind_desc *k, const void *rec);
/* Seal and append the partial block, if any.  0 or -errno (store->err). */
int writer_flush(struct writer *w);
/* From an on_segment callback: add a record to the head of the new segment. */
int writer_add_opening(struct writer *w, const struct fr_kind_desc *k, const void *rec);

#endif
