/*
 * summary_tally.c - the processes section of .summary counted in C
 * (summary_tally.h): a comparison with NULL is NULL, which sum() and
 * count() pass over, and sum() of no value is NULL, as in SQL.
 */
#include <inttypes.h>
#include <stdio.h>
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
