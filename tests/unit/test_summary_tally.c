/*
 * test_summary_tally.c - the failures section's rows kept at load
 * (replay/summary_tally.c, summary_failures_add): of the processes that
 * failed, the 20 latest by exit_ts, ties the last inserted first, as the
 * index on exit_ts read backwards gives them; a process that did not
 * fail, or failed with no exit_ts, as SQL's WHERE and ORDER BY have them.
 */
#include <stdint.h>
#include <string.h>

#include "summary_tally.h"
#include "tap.h"

static struct summary_failures f;

/* Add row ROWID (pid ROWID + 1000) that exited at TS with CODE, no signal. */
static void add(int64_t rowid, int64_t ts, int64_t code)
{
	int64_t sig = 0;

	summary_failures_add(&f, rowid, rowid + 1000, &ts, &code, &sig);
}

int main(void)
{
	int64_t ts = 5, code = 1, sig = 9, zero = 0, in_order = 1;

	memset(&f, 0, sizeof(f));
	add(1, 10, 0);
	summary_failures_add(&f, 2, 2, &ts, NULL, NULL);
	summary_failures_add(&f, 3, 3, &ts, &zero, NULL);
	ok(f.n == 0, "summary_failures_add - exit 0, no code, no signal: no failure, expect 0 kept (got %u)", f.n);
	summary_failures_add(&f, 4, 4, &ts, NULL, &sig);
	summary_failures_add(&f, 5, 5, &ts, &zero, &sig);
	ok(f.n == 2 && f.row[0].rowid == 5 && f.row[1].rowid == 4,
	   "summary_failures_add - killed, same exit_ts: the last inserted first, expect rowids 5, 4");

	/* 100 failures, exit_ts going down and up again: the 20 latest */
	memset(&f, 0, sizeof(f));
	for (int64_t i = 0; i < 100; i++)
		add(i + 1, (i * 37) % 100, 1 + i % 3);
	for (unsigned i = 1; i < f.n; i++)
		in_order &= f.row[i - 1].exit_ts > f.row[i].exit_ts;
	ok(f.n == 20 && f.row[0].exit_ts == 99 && f.row[19].exit_ts == 80 && in_order,
	   "summary_failures_add - 100 failures, distinct exit_ts: 20 kept, 99 down to 80 (got %u, %lld..%lld)", f.n,
	   (long long)f.row[0].exit_ts, (long long)f.row[f.n ? f.n - 1 : 0].exit_ts);
	ok(f.row[0].rowid == 28 && f.row[0].pid == 1028, "summary_failures_add - the latest, expect rowid 28, pid 1028");

	/* ties across the cut: 30 at the same exit_ts, the 20 last inserted */
	memset(&f, 0, sizeof(f));
	for (int64_t i = 1; i <= 30; i++)
		add(i, 7, 2);
	add(31, 6, 2);
	ok(f.n == 20 && f.row[0].rowid == 30 && f.row[19].rowid == 11,
	   "summary_failures_add - 30 ties then an older one: expect rowids 30 down to 11 (got %lld..%lld)",
	   (long long)f.row[0].rowid, (long long)f.row[19].rowid);
	add(32, 8, 2);
	ok(f.row[0].rowid == 32 && f.row[19].rowid == 12, "summary_failures_add - a later one, expect it first, 11 out");

	ok(!f.unkept, "summary_failures_add - every failure with an exit_ts, expect the rows kept");
	summary_failures_add(&f, 33, 33, NULL, &code, NULL);
	ok(f.unkept && f.n == 20, "summary_failures_add - a failure with no exit_ts (sorts last in SQL), expect not kept");
	tap_plan(tap_n);
	return tap_done();
}
