/*
 * test_summary_tally.c - the failures section's rows kept at load
 * (replay/summary_tally.c, summary_failures_add): of the processes that
 * failed, the 20 latest by exit_ts, ties the last inserted first, as the
 * index on exit_ts read backwards gives them; a process that did not
 * fail, or failed with no exit_ts, as SQL's WHERE and ORDER BY have them.
 * And the syscalls sections' tests of a call (summary_call_flags,
 * summary_call_section: dot.h's WOULD_BLOCK_SQL and BY_DESIGN_SQL with
 * SQL's NULLs) and their slowest calls (summary_slow_add: ORDER BY
 * latency_ns DESC, rowid, NULLs last).
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

/* The section of a call named NAME (NULL: SQL's NULL) that failed with ERROR. */
static int section(const char *name, const char *error)
{
	return summary_call_section(name == NULL, name ? summary_call_flags(SUMMARY_NAME, name) : 0,
				    summary_call_flags(SUMMARY_ERROR_TEXT, error));
}

static void calls(void)
{
	static const struct {
		const char *name, *error;
		int want;
	} cases[] = {
		{ "read", "", -1 },	/* succeeded: error NULL */
		{ "read", "EAGAIN", SUMMARY_WOULD_BLOCK },
		{ "accept4", "EWOULDBLOCK", SUMMARY_WOULD_BLOCK },
		{ "sendmmsg", "EAGAIN", SUMMARY_WOULD_BLOCK },
		{ "connect", "EINPROGRESS", SUMMARY_WOULD_BLOCK },
		{ "connect", "EAGAIN", SUMMARY_FAILED }, /* not in the list of calls EAGAIN lets off */
		{ "futex", "EAGAIN", SUMMARY_FAILED },
		{ "read", "EINPROGRESS", SUMMARY_FAILED },
		{ "openat", "ENOENT", SUMMARY_FAILED },
		{ "readx", "EAGAIN", SUMMARY_FAILED }, /* whole names only */
		{ NULL, "EAGAIN", -1 },		 /* NULL AND ... OR ...: NULL, neither */
		{ NULL, "EINPROGRESS", -1 },
		{ NULL, "ENOENT", SUMMARY_FAILED },
	};
	struct summary_slow top[SUMMARY_SLOWEST];
	static const int64_t lat[] = { 5, 9, 7, 9, 1, 7, 7, 8 };
	unsigned n = 0, bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bad += section(cases[i].name, cases[i].error) != cases[i].want;
	ok(!bad, "summary_call_section - 13 calls: succeeded, would-block, failed, a NULL name (got %u wrong)", bad);
	ok(summary_call_flags(SUMMARY_FD_KIND, "pipe") == SUMMARY_BY_DESIGN &&
	   summary_call_flags(SUMMARY_FD_KIND, "tty") == SUMMARY_BY_DESIGN && !summary_call_flags(SUMMARY_FD_KIND, "socket") &&
	   !summary_call_flags(SUMMARY_FD_KIND, ""),
	   "summary_call_flags - pipe and tty by design, a socket and no kind not");

	/* rowids 1..8, then one with no latency: the 5 slowest, ties by rowid */
	for (unsigned i = 0; i < 8; i++) {
		struct summary_slow c = { .rowid = i + 1, .latency = lat[i] };
		summary_slow_add(top, &n, &c);
	}
	summary_slow_add(top, &n, &(struct summary_slow){ .rowid = 9, .null = 1 });
	ok(n == 5 && top[0].rowid == 2 && top[1].rowid == 4 && top[2].rowid == 8 && top[3].rowid == 3 &&
	   top[4].rowid == 6,
	   "summary_slow_add - latencies 5 9 7 9 1 7 7 8 and a NULL: expect rowids 2 4 8 3 6 (got %lld %lld %lld %lld %lld)",
	   (long long)top[0].rowid, (long long)top[1].rowid, (long long)top[2].rowid, (long long)top[3].rowid,
	   (long long)top[4].rowid);
	n = 0;
	summary_slow_add(top, &n, &(struct summary_slow){ .rowid = 1, .null = 1 });
	summary_slow_add(top, &n, &(struct summary_slow){ .rowid = 2, .latency = -3 });
	ok(n == 2 && top[0].rowid == 2 && top[1].rowid == 1, "summary_slow_add - a NULL after any value, even below 0");
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
	calls();
	tap_plan(tap_n);
	return tap_done();
}
