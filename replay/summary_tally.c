/*
 * summary_tally.c - sections of .summary counted in C (summary_tally.h):
 * a comparison with NULL is NULL, which sum() and count() pass over, and
 * sum() of no value is NULL, as in SQL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary_tally.h"

void summary_procs_add(struct summary_procs *p, const int64_t *start_ts, const int64_t *exit_ts,
		       const int64_t *exit_code, const int64_t *exit_signal)
{
	p->seen++;
	if (start_ts) {
		p->started.n += *start_ts >= p->window_start;
		p->started.any = 1;
	}
	p->exited += exit_ts != NULL;
	if (exit_code) {
		p->failed.n += *exit_code > 0;
		p->failed.any = 1;
	}
	if (exit_signal) {
		p->killed.n += *exit_signal > 0;
		p->killed.any = 1;
	}
}

void summary_failures_add(struct summary_failures *f, int64_t rowid, int64_t pid, const int64_t *exit_ts,
			  const int64_t *exit_code, const int64_t *exit_signal)
{
	unsigned i;

	if (!(exit_code && *exit_code > 0) && !(exit_signal && *exit_signal > 0))
		return;
	if (!exit_ts) {
		f->unkept = 1; /* NULL sorts last: kept rows would need the NULLs' order too */
		return;
	}
	/* rows come in rowid order: one as late as a kept one goes before it */
	for (i = f->n; i > 0 && f->row[i - 1].exit_ts <= *exit_ts; i--)
		;
	if (i >= SUMMARY_FAILURES)
		return;
	if (f->n < SUMMARY_FAILURES)
		f->n++;
	memmove(&f->row[i + 1], &f->row[i], (f->n - 1 - i) * sizeof(f->row[0]));
	f->row[i] = (struct summary_failure){ rowid, pid, *exit_ts };
}

static void sum_text(const struct summary_sum *s, char *buf, size_t len)
{
	if (s->any)
		snprintf(buf, len, "%" PRId64, s->n);
	else
		snprintf(buf, len, "NULL");
}

void summary_procs_sql(const struct summary_procs *p, char *sql, size_t len)
{
	char a[32], b[32], c[32];

	sum_text(&p->started, a, sizeof(a));
	sum_text(&p->failed, b, sizeof(b));
	sum_text(&p->killed, c, sizeof(c));
	snprintf(sql, len, "SELECT %" PRId64 " AS seen, %s AS started, %" PRId64 " AS exited, %s AS failed, %s AS killed",
		 p->seen, a, p->exited, b, c);
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

unsigned summary_call_flags(enum summary_call_column column, const char *text)
{
	/* the lists of dot.h's WOULD_BLOCK_SQL and BY_DESIGN_SQL: change both */
	static const char *const nonblock[] = { "read", "readv", "recvfrom", "recvmsg", "recvmmsg", "write", "writev",
						"sendto", "sendmsg", "sendmmsg", "accept", "accept4", NULL };
	static const char *const by_design[] = { "pipe", "tty", NULL };
	static const char *const again[] = { "EAGAIN", "EWOULDBLOCK", NULL };

	switch (column) {
	case SUMMARY_FD_KIND:
		return in_list(text, by_design) ? SUMMARY_BY_DESIGN : 0;
	case SUMMARY_ERROR_TEXT:
		return (*text ? SUMMARY_ERROR : 0) | (!strcmp(text, "EINPROGRESS") ? SUMMARY_INPROGRESS : 0) |
		       (in_list(text, again) ? SUMMARY_AGAIN : 0);
	case SUMMARY_NAME:
		return (!strcmp(text, "connect") ? SUMMARY_CONNECT : 0) | (in_list(text, nonblock) ? SUMMARY_NONBLOCK : 0);
	}
	return 0;
}

int summary_call_section(int name_null, unsigned name_flags, unsigned error_flags)
{
	if (!(error_flags & SUMMARY_ERROR))
		return -1; /* succeeded: error IS NULL */
	if (name_null) /* name = ... is NULL: so is WOULD_BLOCK_SQL for these errors, and neither takes the call */
		return error_flags & (SUMMARY_INPROGRESS | SUMMARY_AGAIN) ? -1 : SUMMARY_FAILED;
	if (((name_flags & SUMMARY_CONNECT) && (error_flags & SUMMARY_INPROGRESS)) ||
	    ((error_flags & SUMMARY_AGAIN) && (name_flags & SUMMARY_NONBLOCK)))
		return SUMMARY_WOULD_BLOCK;
	return SUMMARY_FAILED;
}

/* 1 when A sorts before B in ORDER BY latency_ns DESC, rowid. */
static int slower(const struct summary_slow *a, const struct summary_slow *b)
{
	if (a->null != b->null)
		return !a->null;
	if (!a->null && a->latency != b->latency)
		return a->latency > b->latency;
	return a->rowid < b->rowid;
}

void summary_slow_add(struct summary_slow *top, unsigned *n, const struct summary_slow *c)
{
	unsigned i;

	if (*n == SUMMARY_SLOWEST && !slower(c, &top[SUMMARY_SLOWEST - 1]))
		return;
	i = *n < SUMMARY_SLOWEST ? (*n)++ : SUMMARY_SLOWEST - 1;
	for (; i > 0 && slower(c, &top[i - 1]); i--)
		top[i] = top[i - 1];
	top[i] = *c;
}

int summary_slots_room(struct summary_slots *s, size_t n, size_t first, uint32_t (*hash)(size_t k, const void *arg),
		       const void *arg)
{
	size_t nslots = s->n ? s->n * 2 : first;
	uint32_t *slot;

	if (n * 2 < s->n)
		return 0;
	if (!(slot = calloc(nslots, sizeof(*slot))))
		return -1;
	for (size_t k = 0; k < n; k++) {
		size_t i = hash(k, arg) & (nslots - 1);
		while (slot[i])
			i = (i + 1) & (nslots - 1);
		slot[i] = (uint32_t)k + 1;
	}
	free(s->slot);
	s->slot = slot;
	s->n = nslots;
	return 0;
}
