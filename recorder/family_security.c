/*
 * family_security.c - the security family: no BPF object, only the
 * classifier (recorder/security.c) watching the records of the others
 * and putting security records of its own.  `--probes=-security` turns it
 * off like any family.
 */
#include <errno.h>

#include "probes.h"
#include "record.h"
#include "security.h"

static int security_family_open(struct probes *p, void **state)
{
	static const struct security_opts none;

	/* the opts are read at each match: a reload may change them */
	if (!(*state = security_new(p->cfg->security ? p->cfg->security : &none)))
		return -ENOMEM;
	return 0;
}

static void put_security(void *ctx, const struct fr_security *r)
{
	probes_put(ctx, r);
}

/*
 * Every record: the classifier reads the kinds it knows.  An opening
 * record (the process table of a new segment) only feeds its table of
 * processes.
 */
static void security_family_observe(struct probes *p, void *state, const struct fr_kind_desc *k, const void *rec,
				    int opening)
{
	security_observe(state, k->id, rec, opening ? NULL : put_security, p);
}

/* The table of processes starts again from the new segment's process table. */
static void security_family_segment(struct probes *p, void *state)
{
	security_reset(state);
}

static void security_family_close(void *state)
{
	security_free(state);
}

const struct probe_family family_security = {
	.name = "security",
	.open = security_family_open,
	.observe = security_family_observe,
	.segment = security_family_segment,
	.close = security_family_close,
};
