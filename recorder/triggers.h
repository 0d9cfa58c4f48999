/*
 * triggers.h - rules that take a snapshot by themselves, evaluated by the
 * recorder on live records (`--trigger EXPR`, `trigger = EXPR` in the
 * config file):
 *
 *   runq > DUR          a run-queue delay longer than DUR
 *   io > DUR            a block request slower than DUR (queue + service)
 *   syscall > DUR       a system call slower than DUR
 *   retransmits > N/DUR more than N TCP retransmits within DUR
 *   resets > N/DUR      more than N connections reset within DUR
 *   oom                 the OOM killer chose a victim
 *   crash               a process killed by SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGABRT
 *   exec NAME           a process executes NAME (its comm or the file's base name)
 *   open GLOB           a file whose path matches GLOB is opened
 *   security [GLOB]     a security signal, of a severity or kind matching GLOB
 *
 * Rules name record kinds and fields through the descriptors of
 * records.def, so a rule about a kind this build does not record is
 * refused when it is given, not ignored.
 */
#ifndef FR_TRIGGERS_H
#define FR_TRIGGERS_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define TRIGGERS_MAX 16
#define RATE_SLOTS 64

struct trigger_rule {
	char text[128];
	enum { RULE_THRESHOLD, RULE_RATE, RULE_CRASH, RULE_MATCH } type;
	unsigned kind;
	/* CRASH: a second kind that fires it first, when recorded (crash: where it crashed), and its signal field */
	unsigned alt_kind;
	int alt_field;
	int field[2];           /* THRESHOLD: fields summed; RATE: field added (-1: count records) */
	int nfields;
	int text_field;         /* MATCH/RATE filter: index of the text field, -1 when none */
	char pattern[128];      /* MATCH: name or glob; RATE: substring the text field must hold */
	uint64_t threshold;     /* ns, or a count for RATE */
	uint64_t per_ns;        /* RATE: the window */
	uint64_t last_fired;    /* boot ns, for the cooldown */
	uint64_t fired, suppressed;
	/* RATE: recent hits, a ring of (ts, amount) */
	uint64_t hit_ts[RATE_SLOTS], hit_n[RATE_SLOTS];
	unsigned hit_head, hit_count;
};

struct triggers {
	struct trigger_rule rule[TRIGGERS_MAX];
	int n;
	uint64_t cooldown_ns;
	uint64_t watched; /* bit K set: some rule watches kind K */
};

/* Parse EXPR into a rule; 0, or -EINVAL with what is wrong in ERR. */
int triggers_add(struct triggers *t, const char *expr, char *err, size_t errlen);
/*
 * Check REC (boot-time ts) of kind K against the rules.  When one fires
 * outside its cooldown, returns it and writes a one-line description of
 * the triggering record into WHAT; else NULL.
 */
const struct trigger_rule *triggers_check(struct triggers *t, const struct fr_kind_desc *k, const void *rec,
					  char *what, size_t cap);

static inline int triggers_watch(const struct triggers *t, unsigned kind)
{
	return kind < 64 && (t->watched >> kind) & 1;
}

#endif
