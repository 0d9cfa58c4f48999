/*
 * test_colstore.c - replay/colstore.c: rows appended read back exactly,
 * across packed chunks and the open one; extreme integers; text interned
 * per column; NULL for fields a segment did not hold and for an unknown
 * time; ts order (merged runs, CPUs' blocks merged by lanes, sorted), chunk
 * ts spans and the pid index; a derived store:
 * NULLs where a row says, texts borrowed from other stores, an index per
 * looked-up column, an order per column (NULLs first), a column read in
 * bulk or gathered by row number, cleared and filled again, dealt to parts
 * and merged back; stores put after one another as one, emptied for reuse.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colstore.h"
#include "flightrec.h"
#include "record.h"
#include "tap.h"

/* The SQL column of field NAME of K (1 + its index). */
static unsigned col_of(const struct fr_kind_desc *k, const char *name)
{
	for (unsigned i = 0; i < k->nfields; i++)
		if (!strcmp(k->fields[i].name, name))
			return i + 1;
	return 0;
}

/* A pair of the reference order: the rows by (ts, row) as a sort of them has them. */
struct ts_ref {
	int64_t ts;
	uint32_t row;
};

static int cmp_ts_ref(const void *a, const void *b)
{
	const struct ts_ref *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* 1 when ORDER is CS's rows by (ts, row) exactly, as qsort of (ts, row) pairs has them. */
static int order_is_sorted(const struct colstore *cs, unsigned c_ts, const uint32_t *order)
{
	uint64_t n = colstore_rows(cs);
	struct ts_ref *ref = malloc((n ? n : 1) * sizeof(*ref));
	int same = ref != NULL;

	for (uint64_t r = 0; same && r < n; r++)
		ref[r] = (struct ts_ref){ colstore_int(cs, r, c_ts), (uint32_t)r };
	if (same)
		qsort(ref, n, sizeof(*ref), cmp_ts_ref);
	for (uint64_t i = 0; same && i < n; i++)
		same = order[i] == ref[i].row;
	free(ref);
	return same;
}

/* 1 when ROWS (N) are exactly CS's rows with ts in [LO, HI], by (ts, row), as a filter and a sort have them. */
static int slice_is_reference(const struct colstore *cs, unsigned c_ts, int64_t lo, int64_t hi, const uint32_t *rows,
			      uint64_t n)
{
	uint64_t all = colstore_rows(cs), m = 0;
	struct ts_ref *ref = malloc((all ? all : 1) * sizeof(*ref));
	int same = ref != NULL;

	for (uint64_t r = 0; same && r < all; r++) {
		int64_t ts = colstore_int(cs, r, c_ts);
		if (ts >= lo && ts <= hi)
			ref[m++] = (struct ts_ref){ ts, (uint32_t)r };
	}
	if (same)
		qsort(ref, m, sizeof(*ref), cmp_ts_ref);
	same = same && m == n;
	for (uint64_t i = 0; same && i < n; i++)
		same = rows[i] == ref[i].row;
	free(ref);
	return same;
}

/* A row of the reference top: value, NULL, row; DESC as the comparator's argument. */
struct top_ref {
	int64_t v;
	int null;
	uint32_t row;
};

static int cmp_top_ref(const void *a, const void *b, void *arg)
{
	const struct top_ref *x = a, *y = b;
	int desc = *(int *)arg;

	if (x->null != y->null)
		return desc ? x->null - y->null : y->null - x->null;
	if (!x->null && x->v != y->v)
		return (x->v < y->v ? -1 : 1) * (desc ? -1 : 1);
	return x->row < y->row ? -1 : x->row > y->row;
}

/* 1 when ROWS (N) are the first LIMIT of CS's rows by column COL (DESC: largest first), NULLs lowest, then by row. */
static int top_is_reference(const struct colstore *cs, unsigned col, int desc, uint64_t limit, const uint32_t *rows,
			    uint64_t n)
{
	uint64_t all = colstore_rows(cs);
	struct top_ref *ref = malloc((all ? all : 1) * sizeof(*ref));
	int same = ref != NULL;

	for (uint64_t r = 0; same && r < all; r++)
		ref[r] = (struct top_ref){ colstore_int(cs, r, col), colstore_is_null(cs, r, col), (uint32_t)r };
	if (same)
		qsort_r(ref, all, sizeof(*ref), cmp_top_ref, &desc);
	same = same && n == (limit < all ? limit : all);
	for (uint64_t i = 0; same && i < n; i++)
		same = rows[i] == ref[i].row;
	free(ref);
	return same;
}

/*
 * N rows appended to CS as a real archive has them: LANES clocks (CPUs),
 * each never going back, their rows in blocks of 1 to 500 taken from one
 * clock then another; ticks of 0 to 2, so that ts repeat within a lane and
 * across lanes.  SEED: the blocks' draw.
 */
static int append_interleaved(struct colstore *cs, uint64_t n, unsigned lanes, uint32_t seed)
{
	int64_t clock[2048] = { 0 };
	struct fr_syscall rec;
	int bad = 0;

	for (uint64_t i = 0; i < n && !bad;) {
		unsigned l, block;
		seed = seed * 1103515245u + 12345u;
		l = (seed >> 8) % lanes;
		seed = seed * 1103515245u + 12345u;
		block = 1 + (seed >> 8) % 500;
		for (unsigned b = 0; b < block && i < n && !bad; b++, i++) {
			seed = seed * 1103515245u + 12345u;
			clock[l] += (seed >> 8) % 3;
			memset(&rec, 0, sizeof(rec));
			rec.ts = 1000 + clock[l];
			rec.pid = l;
			bad = colstore_append(cs, "h", fr_kind_by_name("syscall")->nfields, &rec);
		}
	}
	return bad;
}

int main(void)
{
	const struct fr_kind_desc *sk = fr_kind_by_name("syscall"), *pk = fr_kind_by_name("proc");
	struct colstore *cs = colstore_new(sk);
	uint64_t n = COLSTORE_CHUNK_ROWS * 2 + 1000; /* two packed chunks and an open one */
	unsigned c_ts = col_of(sk, "ts"), c_pid = col_of(sk, "pid"), c_ret = col_of(sk, "ret"),
		 c_lat = col_of(sk, "latency_ns"), c_name = col_of(sk, "name"), c_uid = col_of(sk, "uid");
	int bad_int = 0, bad_text = 0, bad_null = 0;
	struct fr_syscall rec;
	size_t len;

	tap_plan(62);
	if (!cs || !c_ts || !c_pid || !c_ret || !c_lat || !c_name || !c_uid)
		return ok(0, "colstore_new - a store for syscalls"), tap_done();
	for (uint64_t i = 0; i < n; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.ts = 1000000 + (int64_t)i * 10;
		rec.pid = (uint32_t)(100 + i % 7);
		/* extremes in one chunk, small values in another: each packs its own way */
		rec.ret = i == 5 ? INT64_MIN : i == 6 ? INT64_MAX : -(int64_t)(i % 3);
		rec.latency_ns = i < COLSTORE_CHUNK_ROWS ? 42 : i * 1000003;
		snprintf(rec.name, sizeof(rec.name), "%s", i % 2 ? "read" : "write");
		rec.uid = 7;
		/* rows from 2000 on came from an older segment that held no uid (appended in 1.2) */
		if (colstore_append(cs, i % 3 ? "a" : "b", i >= 2000 && i < 3000 ? c_uid - 1 : sk->nfields, &rec))
			break;
	}
	ok(colstore_rows(cs) == n, "colstore_append - every row kept, expect %llu", (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		int64_t ret = i == 5 ? INT64_MIN : i == 6 ? INT64_MAX : -(int64_t)(i % 3);
		int64_t lat = i < COLSTORE_CHUNK_ROWS ? 42 : (int64_t)(i * 1000003);
		const char *name = colstore_text(cs, i, c_name, &len);
		const char *host = colstore_text(cs, i, 0, &len);
		if (colstore_int(cs, i, c_ts) != 1000000 + (int64_t)i * 10 || colstore_int(cs, i, c_pid) != (int64_t)(100 + i % 7) ||
		    colstore_int(cs, i, c_ret) != ret || colstore_int(cs, i, c_lat) != lat)
			bad_int++;
		if (strcmp(name, i % 2 ? "read" : "write") || strcmp(host, i % 3 ? "a" : "b"))
			bad_text++;
		if (colstore_is_null(cs, i, c_uid) != (i >= 2000 && i < 3000) || colstore_is_null(cs, i, c_ret))
			bad_null++;
	}
	ok(bad_int == 0, "colstore_int - every integer read back, INT64_MIN and INT64_MAX included, expect 0 wrong (%d)",
	   bad_int);
	ok(bad_text == 0, "colstore_text - every interned text read back, expect 0 wrong (%d)", bad_text);
	ok(bad_null == 0, "colstore_is_null - NULL exactly where the segment held no uid, expect 0 wrong (%d)", bad_null);
	/* rows out of order across every chunk, the ones without uid among them: every column as read one by one */
	uint32_t grows[300];
	int64_t gv[300];
	uint8_t gnull[300];
	int bad_gather = 0;
	for (unsigned i = 0; i < 300; i++)
		grows[i] = (uint32_t)((n - 1 - (uint64_t)i * 443) % n);
	for (unsigned c = 0; c <= sk->nfields + 1; c++) {
		colstore_gather(cs, c, grows, 300, gv, gnull);
		for (unsigned i = 0; i < 300; i++)
			bad_gather += gv[i] != colstore_int(cs, grows[i], c) || gnull[i] != colstore_is_null(cs, grows[i], c);
	}
	ok(bad_gather == 0, "colstore_gather - 300 rows in no order, every column and NULL as read one by one, expect 0 wrong (%d)",
	   bad_gather);
	ok(colstore_text(cs, 0, c_name, &len) == colstore_text(cs, 2, c_name, &len) && len == 5,
	   "colstore_text - one copy of a repeated text, expect the same pointer and length 5");
	ok(colstore_col_is_text(cs, 0) && colstore_col_is_text(cs, c_name) && !colstore_col_is_text(cs, c_ret),
	   "colstore_col_is_text - host and name are text, ret is not");
	ok(colstore_ts_ordered(cs), "colstore_ts_ordered - rows appended in ts order, expect 1");
	ok(colstore_first_ts_at_least(cs, 1000000 + 10 * 70000 - 5) == 70000,
	   "colstore_first_ts_at_least - between two rows, expect the later (70000)");
	ok(colstore_first_ts_at_least(cs, 0) == 0 && colstore_first_ts_at_least(cs, INT64_MAX) == n,
	   "colstore_first_ts_at_least - before the first and past the last, expect 0 and rows");

	int64_t min, max;
	colstore_chunk_ts(cs, COLSTORE_CHUNK_ROWS + 3, &min, &max);
	ok(min == 1000000 + (int64_t)COLSTORE_CHUNK_ROWS * 10 && max == 1000000 + (int64_t)(2 * COLSTORE_CHUNK_ROWS - 1) * 10,
	   "colstore_chunk_ts - the second chunk's span, expect its first and last ts");
	colstore_chunk_ts(cs, n - 1, &min, &max);
	ok(min == 1000000 + (int64_t)(2 * COLSTORE_CHUNK_ROWS) * 10 && max == 1000000 + (int64_t)(n - 1) * 10,
	   "colstore_chunk_ts - the open chunk's span, expect its first and last ts");

	const uint32_t *rows;
	size_t nrows = 0;
	int in_order = 1, right_pid = 1;
	ok(colstore_rows_equal(cs, c_pid, 103, &rows, &nrows) == 0, "colstore_rows_equal - pid 103 looked up");
	for (size_t i = 0; i < nrows; i++) {
		if (i && rows[i] <= rows[i - 1])
			in_order = 0;
		if (rows[i] % 7 != 3)
			right_pid = 0;
	}
	ok(nrows == (n + 3) / 7 && right_pid && in_order,
	   "colstore_rows_equal - every row of pid 103 in row order, expect %llu", (unsigned long long)(n + 3) / 7);
	ok(colstore_rows_equal(cs, c_pid, 99, &rows, &nrows) == 0 && nrows == 0,
	   "colstore_rows_equal - a pid with no rows, expect 0");

	/* a row out of ts order, after the pid index was made: both notice */
	memset(&rec, 0, sizeof(rec));
	rec.ts = 5;
	rec.pid = 103;
	colstore_append(cs, "a", sk->nfields, &rec);
	ok(!colstore_ts_ordered(cs), "colstore_ts_ordered - a row earlier than the last, expect 0");
	ok(colstore_rows_equal(cs, c_pid, 103, &rows, &nrows) == 0 && nrows == (n + 3) / 7 + 1 && rows[nrows - 1] == n,
	   "colstore_rows_equal - the index made again with the new row, expect it last");
	const uint32_t *order;
	int sorted = 1;
	ok(colstore_ts_order(cs, &order) == 0 && order[0] == n && order[1] == 0, "colstore_ts_order - the late row first, then row 0");
	for (uint64_t i = 1; i < colstore_rows(cs); i++)
		if (colstore_int(cs, order[i - 1], c_ts) > colstore_int(cs, order[i], c_ts))
			sorted = 0;
	ok(sorted, "colstore_ts_order - every row by ts, expect no row before an earlier one");
	colstore_free(cs);

	/* pids too far apart for a counting sort, and an unknown time */
	struct colstore *ps = colstore_new(pk);
	struct fr_proc p;
	unsigned c_ppid = col_of(pk, "pid"), c_start = col_of(pk, "start_ts");
	uint32_t pids[] = { 4000000000u, 3, 4000000000u, 70000000, 3 };
	for (unsigned i = 0; i < 5; i++) {
		memset(&p, 0, sizeof(p));
		p.ts = 10 + i;
		p.pid = pids[i];
		p.start_ts = i == 1 ? 0 : 99;
		colstore_append(ps, "h", pk->nfields, &p);
	}
	ok(colstore_rows_equal(ps, c_ppid, 4000000000u, &rows, &nrows) == 0 && nrows == 2 && rows[0] == 0 && rows[1] == 2,
	   "colstore_rows_equal - pids 4e9 apart (sorted pairs), expect rows 0 and 2");
	ok(colstore_rows_equal(ps, c_ppid, 3, &rows, &nrows) == 0 && nrows == 2 && rows[0] == 1 && rows[1] == 4,
	   "colstore_rows_equal - the smallest pid, expect rows 1 and 4");
	ok(colstore_is_null(ps, 1, c_start) && !colstore_is_null(ps, 0, c_start) && !colstore_is_null(ps, 1, 1),
	   "colstore_is_null - a start_ts of 0 is an unknown time, a ts of any value is not");

	/* runs in ts order (hosts loaded one after another), ties across them; then too many runs to merge */
	for (int many = 0; many < 2; many++) {
		struct colstore *ms = colstore_new(sk);
		uint64_t mn = many ? 5000 : 5 * 30000;
		for (uint64_t i = 0; i < mn; i++) {
			memset(&rec, 0, sizeof(rec));
			rec.ts = many ? (mn - i) / 2 : (i % 30000) * 3 / (1 + i / 30000);
			colstore_append(ms, "h", sk->nfields, &rec);
		}
		int bad = colstore_ts_order(ms, &order) != 0;
		for (uint64_t i = 1; !bad && i < mn; i++) {
			int64_t a = colstore_int(ms, order[i - 1], c_ts), b = colstore_int(ms, order[i], c_ts);
			bad = a > b || (a == b && order[i - 1] >= order[i]);
		}
		ok(!bad, "colstore_ts_order - %s, expect rows by (ts, row) exactly",
		   many ? "5000 rows backwards, each its own run (sorted)" : "5 runs of 30000 rows with equal ts across them (merged)");
		colstore_free(ms);
	}

	/*
	 * Rows as a real archive's: CPUs' clocks interleaved by blocks, ts
	 * equal within and across them, over several chunks, merged from their
	 * lanes (too many lanes, sorted: the 5000 rows backwards above); the
	 * order of a sort of (ts, row).
	 */
	for (int many = 0; many < 2; many++) {
		struct colstore *ls = colstore_new(sk);
		int bad = !ls || append_interleaved(ls, many ? 200000 : 3 * COLSTORE_CHUNK_ROWS + 777, many ? 2000 : 5, 7);
		bad = bad || colstore_ts_ordered(ls) || colstore_ts_order(ls, &order) || !order_is_sorted(ls, c_ts, order);
		ok(!bad, "colstore_ts_order - %s, expect rows by (ts, row) as a sort has them",
		   many ? "200000 rows of 2000 CPUs' blocks (hundreds of lanes)" : "3 chunks and more of 5 CPUs' blocks (lanes merged)");
		colstore_free(ls);
	}

	/*
	 * A ts slice without the order (.timeline of a second): the rows of the
	 * chunks it meets, by (ts, row); ties at both bounds, an empty one, the
	 * open chunk; refused past its budget; the order made and then stale.
	 */
	struct colstore *ss = colstore_new(sk);
	int bad = !ss || append_interleaved(ss, 5 * COLSTORE_CHUNK_ROWS + 999, 5, 11);
	int64_t lo_all = colstore_int(ss, 0, c_ts), hi_all = lo_all;
	for (uint64_t r = 0; !bad && r < colstore_rows(ss); r++) {
		int64_t t = colstore_int(ss, r, c_ts);
		lo_all = t < lo_all ? t : lo_all;
		hi_all = t > hi_all ? t : hi_all;
	}
	struct {
		int64_t lo, hi;
		const char *what;
	} slices[] = {
		{ (lo_all + hi_all) / 2, (lo_all + hi_all) / 2 + 40, "a narrow slice in the middle, ties at its bounds" },
		{ (lo_all + hi_all) / 2, (lo_all + hi_all) / 2, "one ts (ts = N)" },
		{ hi_all - 30, hi_all, "the last ts, in the open chunk" },
		{ lo_all, hi_all, "every row (a budget of them all)" },
		{ hi_all, lo_all, "bounds crossed (none)" },
		{ hi_all + 1, INT64_MAX, "after the last row (none)" },
	};
	for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++) {
		uint32_t *sl = NULL;
		uint64_t sn = 1, read = 0;
		int got = bad ? -1 : colstore_ts_slice(ss, slices[i].lo, slices[i].hi, colstore_rows(ss), &sl, &sn, &read);
		ok(got == 0 && slice_is_reference(ss, c_ts, slices[i].lo, slices[i].hi, sl, sn) && (i < 4) == (sn > 0) &&
			   read % COLSTORE_CHUNK_ROWS == (i == 2 || i == 3) * 999 && read <= (i == 3 ? colstore_rows(ss) : i < 3 ? 3 * COLSTORE_CHUNK_ROWS : 0),
		   "colstore_ts_slice - %s, expect its rows by (ts, row) as a filter and a sort have them, and only the chunks"
		   " it meets read (%llu rows, %llu read)",
		   slices[i].what, (unsigned long long)sn, (unsigned long long)read);
		free(sl);
	}
	uint32_t *sl = NULL;
	uint64_t sn = 7, read = 7;
	ok(!bad && colstore_ts_slice(ss, lo_all, hi_all, 2 * COLSTORE_CHUNK_ROWS, &sl, &sn, &read) == 1 && !sl && sn == 0 &&
		   read == 0,
	   "colstore_ts_slice - a slice wider than its budget of 2 chunks, expect 1 (no rows, none read)");
	int had = colstore_has_ts_order(ss);
	bad = bad || colstore_ts_order(ss, &order);
	ok(!had && colstore_has_ts_order(ss), "colstore_has_ts_order - 0 before colstore_ts_order, 1 after");
	memset(&rec, 0, sizeof(rec));
	rec.ts = lo_all;
	bad = bad || colstore_append(ss, "h", sk->nfields, &rec);
	ok(!bad && !colstore_has_ts_order(ss), "colstore_has_ts_order - a row appended since, expect 0");
	colstore_free(ss);

	/*
	 * The first N by a column, either way (.slow): latencies with ties,
	 * over several chunks, some NULL (rows of a segment without the field);
	 * N of 0, 1, 10, past the rows.
	 */
	struct colstore *ts_ = colstore_new(sk);
	uint64_t tn = 2 * COLSTORE_CHUNK_ROWS + 321;
	bad = !ts_ || !c_lat;
	for (uint64_t i = 0; !bad && i < tn; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.ts = 1000 + i;
		rec.latency_ns = (i * 7919) % 5003; /* values repeat: ties across chunks */
		bad = colstore_append(ts_, "h", i % 1000 == 999 ? c_lat - 1 : sk->nfields, &rec);
	}
	bad = bad || !colstore_is_null(ts_, 999, c_lat) || colstore_is_null(ts_, 998, c_lat);
	static const uint64_t limits[] = { 0, 1, 10, 5003, UINT64_MAX };
	for (int desc = 0; desc < 2; desc++) {
		for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
			uint32_t *tr = NULL;
			uint64_t trn = 0;
			int got = bad ? -1 : colstore_top(ts_, c_lat, desc, limits[i], &tr, &trn);
			ok(got == 0 && top_is_reference(ts_, c_lat, desc, limits[i], tr, trn),
			   "colstore_top - latency_ns %s, limit %s, ties and NULLs, expect the rows of a full sort (%llu)",
			   desc ? "DESC" : "ASC", limits[i] == UINT64_MAX ? "none" : i == 3 ? "5003" : i == 2 ? "10" : i ? "1" : "0",
			   (unsigned long long)trn);
			free(tr);
		}
	}
	colstore_free(ts_);

	/* a derived store: two columns, texts borrowed from two stores, NULLs by mask */
	static const struct fr_field dfields[] = { { .name = "pid", .type = FR_U32 }, { .name = "ppid", .type = FR_U32 },
						   { .name = "name", .type = FR_STR } };
	static const struct fr_kind_desc dk = { .name = "derived", .table = "derived", .fields = dfields, .nfields = 3 };
	struct colstore *a = colstore_new(sk), *b = colstore_new(sk), *ds = colstore_new_derived(&dk);
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.name, sizeof(rec.name), "openat");
	colstore_append(a, "hostA", sk->nfields, &rec);
	snprintf(rec.name, sizeof(rec.name), "read");
	colstore_append(b, "hostB", sk->nfields, &rec);
	snprintf(rec.name, sizeof(rec.name), "write");
	colstore_append(b, "hostB", sk->nfields, &rec);
	int sa = colstore_borrow(ds, 3, a, c_name), sb = colstore_borrow(ds, 3, b, c_name);
	int ha = colstore_borrow(ds, 0, a, 0), hb = colstore_borrow(ds, 0, b, 0);
	ok(sa == 0 && sb == 1 && colstore_borrow(ds, 3, b, c_name) == 1 && ha == 0 && hb == 1,
	   "colstore_borrow - a number per (store, column) of each column, the same pair the same number");
	int bad_derived = 0;
	uint64_t dn = COLSTORE_CHUNK_ROWS + 10;
	for (uint64_t i = 0; i < dn; i++) {
		int fromb = i % 2;
		int64_t v[4] = { colstore_text_ref(fromb ? hb : ha, 0), (int64_t)(i % 1000), (int64_t)(i % 3),
				 fromb ? colstore_text_ref(sb, colstore_int(b, i % 4 == 1, c_name)) : colstore_text_ref(sa, 0) };
		if (colstore_append_values(ds, v, i % 5 == 0 ? 1u << 3 : 0))
			bad_derived++;
	}
	for (uint64_t i = 0; i < dn; i++) {
		const char *host = colstore_text(ds, i, 0, &len);
		const char *name = colstore_is_null(ds, i, 3) ? NULL : colstore_text(ds, i, 3, &len);
		const char *want = i % 5 == 0 ? NULL : i % 2 == 0 ? "openat" : i % 4 == 1 ? "write" : "read";
		if (strcmp(host, i % 2 ? "hostB" : "hostA") || colstore_int(ds, i, 1) != (int64_t)(i % 1000) ||
		    colstore_is_null(ds, i, 1) || (want ? !name || strcmp(name, want) : name != NULL))
			bad_derived++;
	}
	ok(bad_derived == 0, "colstore_append_values - every value, borrowed text and NULL read back, expect 0 wrong (%d)",
	   bad_derived);
	ok(!colstore_has_ts(ds) && colstore_has_ts(a) && !colstore_ts_ordered(ds),
	   "colstore_has_ts - a derived store has no ts, a kind's store has");
	ok(colstore_rows_equal(ds, 1, 7, &rows, &nrows) == 0 && nrows == (dn - 7 + 999) / 1000 && rows[0] == 7 &&
	       rows[1] == 1007,
	   "colstore_rows_equal - pid 7 of the derived store, its rows in order");
	ok(colstore_rows_equal(ds, 2, 2, &rows, &nrows) == 0 && nrows == dn / 3 && rows[0] == 2 &&
	       colstore_rows_equal(ds, 1, 7, &rows, &nrows) == 0 && rows[0] == 7,
	   "colstore_rows_equal - an index on a second column beside the first, expect both answer");
	/* column 1 (pid, i % 1000) in order: its values go up in runs of 1000 rows, so a merge, ties by row */
	int bad_order = colstore_order(ds, 1, &order) != 0;
	for (uint64_t i = 1; !bad_order && i < dn; i++) {
		int64_t x = colstore_int(ds, order[i - 1], 1), y = colstore_int(ds, order[i], 1);
		bad_order = x > y || (x == y && order[i - 1] >= order[i]);
	}
	ok(!bad_order && order[0] == 0 && order[1] == 1000, "colstore_order - rows by (pid, row), expect rows 0, 1000, ...");
	/* column 3 (name): NULL every fifth row, first and in row order, as SQLite orders NULLs */
	bad_order = colstore_order(ds, 3, &order) != 0;
	for (uint64_t i = 0; !bad_order && i < dn; i++)
		bad_order = (i < (dn + 4) / 5) != colstore_is_null(ds, order[i], 3) ||
			    (i < (dn + 4) / 5 && order[i] != i * 5);
	ok(!bad_order, "colstore_order - the NULL rows first, in row order, expect rows 0, 5, 10, ...");
	int64_t vals[320];
	uint8_t nulls[160];
	int bad_read = 0;
	colstore_read(ds, 3, COLSTORE_CHUNK_ROWS - 150, 160, vals, nulls); /* across the sealed chunk into the open one */
	colstore_read(ds, 1, COLSTORE_CHUNK_ROWS - 150, 160, vals + 160, NULL);
	for (uint64_t i = 0; i < 160; i++) {
		uint64_t row = COLSTORE_CHUNK_ROWS - 150 + i;
		if (nulls[i] != colstore_is_null(ds, row, 3) || (!nulls[i] && vals[i] != colstore_int(ds, row, 3)) ||
		    vals[160 + i] != colstore_int(ds, row, 1))
			bad_read++;
	}
	ok(bad_read == 0, "colstore_read - values and NULLs across a chunk's end as colstore_int reads them, expect 0 wrong (%d)",
	   bad_read);
	/* ds's rows dealt to two parts (one row in three to the first), merged back: ds again */
	struct colstore *mp[2] = { colstore_new_derived(&dk), colstore_new_derived(&dk) }, *merged = colstore_new_derived(&dk);
	uint8_t *from = malloc(dn);
	int bad_merge = !mp[0] || !mp[1] || !merged || !from;
	for (unsigned c = 0; !bad_merge && c < 4; c += 3)
		for (unsigned s = 0; s < 2; s++)
			bad_merge |= colstore_borrow(merged, c, s ? b : a, c ? c_name : 0) != (int)s;
	for (uint64_t i = 0; !bad_merge && i < dn; i++) {
		int64_t v[4];
		from[i] = i % 3 != 0;
		for (unsigned c = 0; c < 4; c++)
			v[c] = colstore_int(ds, i, c);
		bad_merge |= colstore_append_values(mp[from[i]], v, (uint64_t)colstore_int(ds, i, 4)) != 0;
	}
	bad_merge |= colstore_append_merged(merged, mp, 2, from, dn - 1) != -EINVAL;
	bad_merge |= colstore_append_merged(merged, mp, 2, from, dn) != 0 || colstore_rows(merged) != dn;
	for (uint64_t i = 0; !bad_merge && i < dn; i++)
		for (unsigned c = 0; c < 5; c++)
			bad_merge |= colstore_int(merged, i, c) != colstore_int(ds, i, c) ||
				     colstore_is_null(merged, i, c) != colstore_is_null(ds, i, c);
	for (unsigned c = 0; !bad_merge && c < 5; c++) {
		uint32_t back[3] = { (uint32_t)dn - 1, 5, 0 };
		int64_t bv[3];
		uint8_t bn[3];
		colstore_gather(merged, c, back, 3, bv, bn);
		for (unsigned i = 0; i < 3; i++)
			bad_merge |= bv[i] != colstore_int(ds, back[i], c) || bn[i] != colstore_is_null(ds, back[i], c);
	}
	ok(!bad_merge && !strcmp(colstore_text(merged, 1, 3, &len), colstore_text(ds, 1, 3, &len)),
	   "colstore_append_merged - two parts' rows dealt back by FROM, every value and NULL as the whole's, a short FROM -EINVAL");
	free(from);
	colstore_free(mp[0]);
	colstore_free(mp[1]);
	colstore_free(merged);
	colstore_clear(ds);
	int64_t one[4] = { colstore_text_ref(hb, 0), 5, 6, colstore_text_ref(sb, 1) };
	ok(colstore_rows(ds) == 0 && colstore_append_values(ds, one, 0) == 0 && colstore_rows(ds) == 1 &&
	       !strcmp(colstore_text(ds, 0, 3, &len), "write") && len == 5 &&
	       colstore_rows_equal(ds, 1, 5, &rows, &nrows) == 0 && nrows == 1 && rows[0] == 0,
	   "colstore_clear - no rows left, a row appended after it read back and found by pid");
	colstore_free(ds);
	colstore_free(a);
	colstore_free(b);
	colstore_free(ps);
	colstore_free(NULL);

	/*
	 * colstore_append_store: three parts (1000 rows, then a chunk and a
	 * half, then 70000 going back in time), texts shared and not, rows of
	 * an older segment without the name, put after one another must be the
	 * store the same rows appended one by one make, numbers of texts included.
	 */
	static const uint64_t part_rows[3] = { 1000, COLSTORE_CHUNK_ROWS + 500, 70000 };
	struct colstore *whole = colstore_new(sk), *joined = colstore_new(sk), *other = colstore_new(pk), *part[3];
	uint64_t at = 0;
	int bad_join = 0;
	for (unsigned pi = 0; pi < 3; pi++) {
		part[pi] = colstore_new(sk);
		for (uint64_t i = 0; i < part_rows[pi] && whole && joined && part[pi]; i++, at++) {
			static const char *names[3][3] = { { "read", "write", "read" }, { "open", "read", "close" },
							   { "mmap", "brk", "mmap" } };
			char host[16];
			unsigned held = pi == 1 && i % 5 == 0 ? c_name - 1 : sk->nfields;
			memset(&rec, 0, sizeof(rec));
			rec.ts = pi == 2 ? 9000000 - (int64_t)(i % 1000) * 3 : 1000000 + (int64_t)at;
			rec.pid = (uint32_t)(100 + (at * 7) % 13);
			rec.ret = (int64_t)(i % 3) - 1;
			snprintf(rec.name, sizeof(rec.name), "%s", names[pi][i % 3]);
			snprintf(host, sizeof(host), "%s", pi == 1 ? "h1" : i % 2 ? "h0" : "h2");
			bad_join |= colstore_append(whole, host, held, &rec) | colstore_append(part[pi], host, held, &rec);
		}
		bad_join |= !part[pi] || !joined || colstore_append_store(joined, part[pi]) != 0;
	}
	ok(!bad_join && colstore_rows(joined) == colstore_rows(whole) && colstore_rows(joined) == at,
	   "colstore_append_store - three parts put together, expect the %llu rows of one store", (unsigned long long)at);
	for (uint64_t r = 0; !bad_join && r < at; r++) {
		int64_t lo1, hi1, lo2, hi2;
		colstore_chunk_ts(whole, r, &lo1, &hi1);
		colstore_chunk_ts(joined, r, &lo2, &hi2);
		bad_join |= lo1 != lo2 || hi1 != hi2;
		for (unsigned c = 0; c <= sk->nfields + 1; c++) {
			bad_join |= colstore_int(whole, r, c) != colstore_int(joined, r, c) ||
				    colstore_is_null(whole, r, c) != colstore_is_null(joined, r, c);
			if (c <= sk->nfields && colstore_col_is_text(whole, c)) {
				size_t l1, l2;
				const char *t1 = colstore_text(whole, r, c, &l1), *t2 = colstore_text(joined, r, c, &l2);
				bad_join |= l1 != l2 || memcmp(t1, t2, l1);
			}
		}
	}
	for (unsigned c = 0; c <= sk->nfields; c++)
		bad_join |= colstore_texts(whole, c) != colstore_texts(joined, c);
	ok(!bad_join && colstore_texts(joined, c_name) == 6 && colstore_texts(joined, 0) == 3,
	   "colstore_append_store - every value, NULL, text and its number, chunk ts span as one store's, expect 0 wrong");
	ok(!colstore_ts_ordered(joined) && colstore_ts_ordered(whole) == colstore_ts_ordered(joined) &&
	       colstore_append_store(joined, other) == -EINVAL,
	   "colstore_append_store - ts order lost as one store's, a store of another kind refused, expect -EINVAL");
	/* a part emptied for the next: no rows, no texts, and what is appended again reads back */
	colstore_reset(part[2]);
	ok(colstore_rows(part[2]) == 0 && colstore_texts(part[2], c_name) == 0 && colstore_ts_ordered(part[2]) &&
	       colstore_append_store(joined, part[2]) == 0 && colstore_rows(joined) == at,
	   "colstore_reset - no rows, no texts, in ts order again, expect nothing appended from it");
	for (uint64_t i = 0; i < COLSTORE_CHUNK_ROWS + 10 && !bad_join; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.ts = (int64_t)i;
		rec.pid = (uint32_t)i;
		snprintf(rec.name, sizeof(rec.name), "%s", i % 2 ? "again" : "mmap");
		bad_join |= colstore_append(part[2], "h9", sk->nfields, &rec);
	}
	ok(!bad_join && colstore_rows(part[2]) == COLSTORE_CHUNK_ROWS + 10 && colstore_texts(part[2], c_name) == 2 &&
	       colstore_int(part[2], 0, c_name) == 0 && colstore_int(part[2], COLSTORE_CHUNK_ROWS + 9, c_pid) == COLSTORE_CHUNK_ROWS + 9 &&
	       !strcmp(colstore_text(part[2], 1, c_name, &len), "again") && !strcmp(colstore_text(part[2], 5, 0, &len), "h9"),
	   "colstore_reset - rows appended after it read back, texts numbered from 0, expect mmap 0, again 1");
	/*
	 * Many texts: 300000 distinct names in two parts, a dictionary's
	 * arrays past the size from which they are mappings of their own
	 * grown by mremap, then emptied and filled again.
	 */
	struct colstore *many = colstore_new(sk), *mjoin = colstore_new(sk), *mpart[2] = { colstore_new(sk), colstore_new(sk) };
	int bad_many = !many || !mjoin || !mpart[0] || !mpart[1];
	for (uint32_t i = 0; i < 300000 && !bad_many; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.ts = (int64_t)i;
		rec.pid = i;
		snprintf(rec.name, sizeof(rec.name), "t%u", i % 2 ? i : 299998 - i);
		bad_many |= colstore_append(many, "h", sk->nfields, &rec) | colstore_append(mpart[i >= 120000], "h", sk->nfields, &rec);
	}
	for (unsigned pi = 0; pi < 2 && !bad_many; pi++)
		bad_many |= colstore_append_store(mjoin, mpart[pi]);
	for (uint64_t r = 0; r < 300000 && !bad_many; r += 997) {
		size_t l1, l2;
		const char *t1 = colstore_text(many, r, c_name, &l1), *t2 = colstore_text(mjoin, r, c_name, &l2);
		char want[32];
		snprintf(want, sizeof(want), "t%u", r % 2 ? (unsigned)r : (unsigned)(299998 - r));
		bad_many |= l1 != l2 || strcmp(t1, want) || strcmp(t2, want) || colstore_int(many, r, c_name) != colstore_int(mjoin, r, c_name);
	}
	ok(!bad_many && colstore_texts(many, c_name) == 300000 && colstore_texts(mjoin, c_name) == 300000,
	   "colstore_append_store - 300000 distinct texts in two parts, expect each read back with one store's number");
	colstore_reset(mpart[1]);
	for (uint32_t i = 0; i < 200000 && !bad_many; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.ts = (int64_t)i;
		snprintf(rec.name, sizeof(rec.name), "u%u", i);
		bad_many |= colstore_append(mpart[1], "h", sk->nfields, &rec);
	}
	ok(!bad_many && colstore_texts(mpart[1], c_name) == 200000 &&
	       !strcmp(colstore_text(mpart[1], 199999, c_name, &len), "u199999"),
	   "colstore_reset - 200000 distinct texts again in an emptied store, expect the last read back");
	colstore_free(many);
	colstore_free(mjoin);
	colstore_free(mpart[0]);
	colstore_free(mpart[1]);
	for (unsigned pi = 0; pi < 3; pi++)
		colstore_free(part[pi]);
	colstore_free(whole);
	colstore_free(joined);
	colstore_free(other);
	return tap_done();
}
