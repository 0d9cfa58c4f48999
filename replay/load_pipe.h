/*
 * load_pipe.h - read an input on a second thread while the caller inserts.
 *
 * fr_input_read() runs on a worker thread: LZ4, CRC, SHA-256 and the
 * record codec, about a seventh of a load, leave the inserting thread.
 * Its records are copied into batches and handed back, in the order they
 * were read, to OPS->record on the caller's thread; OPS's other callbacks
 * (warn, manifest, segment, member) run on the worker and must touch
 * nothing the record callback touches.  A record callback that fails stops
 * the read.
 */
#ifndef FR_REPLAY_LOAD_PIPE_H
#define FR_REPLAY_LOAD_PIPE_H

#include "input.h"

/* fr_input_read(PATH, OPS, CTX, STATS, ERR, ERRLEN), decoding on a worker thread. */
int load_pipe_read(const char *path, const struct fr_input_ops *ops, void *ctx, struct fr_read_stats *stats,
		   char *err, size_t errlen);

#endif
