/*
 * sink.h - the one way in for every record.
 *
 * A record comes from the ring (through the event hook of the family that
 * owns its kind, or as it is), from a family's tick, from a pairing table
 * (dns, http), from the classifier, or from the recorder itself (health,
 * drops).  Whatever its source, it passes the same stages in the same
 * order:
 *
 *   count -> enrich -> triggers -> observers -> writer
 *
 *   count      one more record of its kind (health records and status);
 *   enrich     what BPF cannot cheaply read, added in place of a copy: an
 *              exec's resolved exe, cgroup path, container and pod;
 *   triggers   the --trigger rules, on the completed record;
 *   observers  the families that watch records (the security classifier,
 *              tls looking for a new libssl in an exec'd process);
 *   writer     into the current block.
 *
 * An observer may put records of its own while a record passes (a
 * security signal read from a syscall): they are queued and put, through
 * every stage, after the record that caused them, so the log keeps cause
 * before effect.  A family may also hold records back and put them later,
 * from its tick (dns and http pairing, syscall folding): the sink does not
 * care when a record comes, only that it comes through here.
 *
 * Opening records of a new segment (the probe table, the process table)
 * take a short way: observers, then the head of the segment.  They are
 * not new events, so they are neither counted nor checked by the rules.
 */
#ifndef FR_SINK_H
#define FR_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct procscan_ctx;
struct triggers;
struct trigger_rule;
struct writer;

#define SINK_OBSERVERS_MAX 4
#define SINK_PENDING_MAX 16

/* A rule fired on a record: WHAT describes the record in one line. */
typedef void (*sink_fire_fn)(void *ctx, const struct trigger_rule *r, const char *what);
/* A record on its way to the writer; OPENING: at the head of a new segment. */
typedef void (*sink_observe_fn)(void *ctx, const struct fr_kind_desc *k, const void *rec, int opening);

struct sink {
	const struct procscan_ctx *scan; /* enrich: NULL adds nothing */
	struct triggers *triggers;       /* NULL: no rules */
	sink_fire_fn fire;
	void *fire_ctx;
	struct {
		sink_observe_fn fn;
		void *ctx;
	} obs[SINK_OBSERVERS_MAX];
	int nobs;
	struct writer *writer;           /* NULL: records go nowhere (tests) */
	uint64_t counts[FR_KIND_MAX];    /* records put, per kind */
	uint64_t records;                /* records put, in all */
	uint64_t lost;                   /* bad kinds, or an observer's records beyond the queue */
	/* records observers put while one passes, put after it */
	int depth;
	void *pending[SINK_PENDING_MAX];
	int npending;
};

/* Add observer FN; -ENOSPC beyond SINK_OBSERVERS_MAX. */
int sink_observe(struct sink *s, sink_observe_fn fn, void *ctx);
/*
 * Put record REC (a struct fr_NAME, kind in its head) through every
 * stage.  REC is not changed: enrichment works on a copy.  A record of no
 * known kind is counted in s->lost and goes nowhere.
 */
void sink_put(struct sink *s, const void *rec);
/* Put REC at the head of a new segment (from the writer's on_segment callback). */
void sink_put_opening(struct sink *s, const void *rec);
/* Free records still queued (none, unless an observer put some outside sink_put). */
void sink_free(struct sink *s);

#endif
