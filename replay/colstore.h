/*
 * colstore.h - the rows of one record kind kept in memory as columns, for
 * the SQLite virtual table that serves them (replay/vtab.c).
 *
 * Inserting a row into a SQLite table costs ~1.7 us (issue 17); appending
 * it here costs a few tens of ns.  A store has one column per SQL column
 * of the kind's table (host, then the fields of records.def), in chunks
 * of COLSTORE_CHUNK_ROWS rows.  A sealed chunk keeps each column as
 * offsets from the chunk's smallest value in the fewest bytes that hold
 * them (0, 1, 2, 4 or 8), so constant columns cost nothing and most cost
 * one to four bytes a row; text is interned per column (a comm, a syscall
 * name or a path repeats heavily) and stored as its number.  Rows keep
 * the order they were appended in: row N is SQL's rowid N + 1.
 *
 * A derived store holds a table made in C from other stores (`processes`,
 * replay/processes.c) rather than decoded records: its columns are host
 * and the fields of a descriptor of that table (only their names and
 * types are read), each row says which of its values are NULL, and its
 * text columns copy no text: a value names a text of another store's
 * column (colstore_borrow), whose dictionary already holds it.  It has
 * no ts column: colstore_has_ts() is 0 and the ts functions do not apply.
 *
 * One thread appends to a store; reads may start once appending stopped, and see
 * every row appended (the open chunk included).  The functions that take
 * a const store only read it, so several threads may call them at once;
 * those that take it to change (the indexes made on first use) may not.
 */
#ifndef FR_REPLAY_COLSTORE_H
#define FR_REPLAY_COLSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define COLSTORE_CHUNK_SHIFT 16
#define COLSTORE_CHUNK_ROWS ((uint64_t)1 << COLSTORE_CHUNK_SHIFT)

struct colstore;

/* An empty store for kind K's rows; NULL when out of memory. */
struct colstore *colstore_new(const struct fr_kind_desc *k);
/* An empty derived store for the table T describes; NULL when out of memory. */
struct colstore *colstore_new_derived(const struct fr_kind_desc *t);
/* NULL is accepted. */
void colstore_free(struct colstore *cs);
/* Drop every row (and the indexes over them); what the store is, and borrows, stays. */
void colstore_clear(struct colstore *cs);
/*
 * Drop every row and every text: the store as colstore_new made it, but
 * for the memory, kept for the rows and texts to come (a load reads input
 * after input into stores of their own: the pages are not faulted in again).
 */
void colstore_reset(struct colstore *cs);

/* How many stores' columns one text column of a derived store may borrow from. */
#define COLSTORE_SOURCES 8
/*
 * Let text column COL of derived store CS hold texts of column SRC_COL of
 * SRC, which must outlive CS and take no appends while CS is read.
 * Returns the source's number for colstore_text_ref (the same pair, the
 * same number), or -ENOSPC past COLSTORE_SOURCES.
 */
int colstore_borrow(struct colstore *cs, unsigned col, const struct colstore *src, unsigned src_col);
/* The value of a borrowed text: text number ID (colstore_int of its source) of source SOURCE. */
static inline int64_t colstore_text_ref(int source, int64_t id)
{
	return id * COLSTORE_SOURCES + source;
}
/*
 * Append a row to derived store CS: V[C] is column C's value (a text
 * column's: a colstore_text_ref); bit C of NULLS set makes it NULL.
 * 0, or -ENOMEM (the store keeps the rows before it).
 */
int colstore_append_values(struct colstore *cs, const int64_t *v, uint64_t nulls);

/*
 * Append to derived store CS every row of the derived stores SRC[0] to
 * SRC[NSRC - 1] (of CS's table, borrowing as CS does, taking no more
 * appends), interleaved: FROM[I], for I from 0 to N - 1 (N: their rows
 * together), names the store whose next row is CS's next.  The rows as
 * colstore_append_values would have them one by one, copied a column at a
 * time: the per-host parts of `processes` merged (replay/processes.c),
 * where a row at a time was a fifth of the rebuild.  0, -EINVAL (FROM does
 * not match the stores' rows), or -ENOMEM (CS may then hold some rows).
 */
int colstore_append_merged(struct colstore *cs, struct colstore *const *src, unsigned nsrc, const uint8_t *from,
			   uint64_t n);

/*
 * Append the decoded record REC of HOST; its fields from HELD on were not
 * in the segment it came from (an older minor version) and read as NULL.
 * 0, or -ENOMEM (the store keeps the rows before it).
 */
int colstore_append(struct colstore *cs, const char *host, unsigned held, const void *rec);

/*
 * Append every row of SRC, a store of the same kind that takes no more
 * appends, after CS's rows: the same rows, values, texts' numbers and ts
 * order as if each had been appended to CS by colstore_append, in SRC's
 * order (a load decodes inputs into stores of their own on several
 * threads, then puts them together in the order the inputs were given).
 * Its texts are interned in CS's dictionaries, in SRC's numbering order.
 * 0, -EINVAL (not the same kind, or a derived store), or -ENOMEM (CS may
 * then hold some of SRC's rows and texts).
 */
int colstore_append_store(struct colstore *cs, const struct colstore *src);

const struct fr_kind_desc *colstore_kind(const struct colstore *cs);
uint64_t colstore_rows(const struct colstore *cs);
/* 1 while the rows were appended with ts never decreasing: row order is ts order (0 for a derived store). */
int colstore_ts_ordered(const struct colstore *cs);
/* 1 when column 1 is a ts (a record kind's store), 0 for a derived store. */
int colstore_has_ts(const struct colstore *cs);

/*
 * The SQL value of column COL (0: host, 1 + I: field I) of row ROW:
 * NULL for a field the row's segment did not hold and for a TS field other
 * than the first that is 0 (an unknown time); in a derived store, where
 * the row said so.
 */
int colstore_is_null(const struct colstore *cs, uint64_t row, unsigned col);
/* An integer column's value (a text column's: its number in the column's dictionary). */
int64_t colstore_int(const struct colstore *cs, uint64_t row, unsigned col);
/*
 * Column COL of the N rows from FIRST on into V (as colstore_int), and,
 * when NULLS is not NULL, 1 into NULLS[I] for each row whose value is
 * NULL (else 0): a column read in bulk, ~1 ns a value, where SQL reading
 * a row costs ~100 (what .summary's counts of `processes` read).  Column
 * 1 + the fields, after the last field, is a row's count of fields held
 * (a derived store's: its NULL mask, as colstore_append_values took it).
 * Only reads CS: threads may read the same store at once.
 */
void colstore_read(const struct colstore *cs, unsigned col, uint64_t first, size_t n, int64_t *v, uint8_t *nulls);
/*
 * colstore_read of the N rows ROWS names, in that order, rather than of
 * consecutive ones: the rows of a store in ts order, a batch at a time (the
 * rebuild of `processes`, where a call per value was a third of its time).
 * Only reads CS.
 */
void colstore_gather(const struct colstore *cs, unsigned col, const uint32_t *rows, size_t n, int64_t *v,
		     uint8_t *nulls);
/* A text column's value, *LEN bytes (NUL-terminated); valid until the next append. */
const char *colstore_text(const struct colstore *cs, uint64_t row, unsigned col, size_t *len);
/* Text number ID (colstore_int of a row) of text column COL, as colstore_text; one read of the row fewer. */
const char *colstore_text_of(const struct colstore *cs, unsigned col, int64_t id, size_t *len);
/* 1 when column COL is text. */
int colstore_col_is_text(const struct colstore *cs, unsigned col);
/* How many distinct texts text column COL holds: its numbers are 0 to that less 1 (0 in a derived store). */
uint32_t colstore_texts(const struct colstore *cs, unsigned col);

/* The smallest and largest ts of the chunk holding row ROW (a store with a ts). */
void colstore_chunk_ts(const struct colstore *cs, uint64_t row, int64_t *min, int64_t *max);

/*
 * The rows whose column COL, a U32 one (pid, ppid), equals V, in row
 * order: *ROWS points at *N row numbers, owned by the store.  The index of
 * COL behind it is built on first use (a counting sort, 4 bytes a row),
 * kept beside those of other columns, and built again after more rows were
 * appended.  Threads may make the indexes of different columns at once,
 * of one store or several (replay/vtab.c, columns_make_wanted), while
 * nothing else reads or changes the stores.  0, or -ENOMEM.
 */
int colstore_rows_equal(struct colstore *cs, unsigned col, int64_t v, const uint32_t **rows, size_t *n);

/* The first row whose ts is >= TS, for a store in ts order (binary search). */
uint64_t colstore_first_ts_at_least(const struct colstore *cs, int64_t ts);
/*
 * The rows by (ts, row), as an index on ts has them: *ROWS points at
 * colstore_rows() row numbers, owned by the store, made on first use (its
 * runs in ts order merged, or a sort; 4 bytes a row) and again after more
 * rows were appended.  For a store not in ts order.  0, or -ENOMEM.
 */
int colstore_ts_order(struct colstore *cs, const uint32_t **rows);
/*
 * The first LIMIT rows by integer column COL (DESC: largest first), NULLs
 * lowest, ties by row: ORDER BY col [DESC], rowid LIMIT N in one read of
 * the column, keeping N rows (.slow's ten slowest of 30M calls).  *ROWS:
 * *N row numbers in that order, malloc'd, the caller's to free.  0, or
 * -ENOMEM.
 */
int colstore_top(const struct colstore *cs, unsigned col, int desc, uint64_t limit, uint32_t **rows, uint64_t *n);
/* Whether colstore_ts_order's rows are made and current (a binary search away). */
int colstore_has_ts_order(const struct colstore *cs);
/*
 * The rows whose ts lies in [LO, HI], by (ts, row) as colstore_ts_order
 * has them, found without that order: only the chunks whose ts range
 * meets the bounds are read (a minute or a second of an archive of many
 * minutes: a few chunks, where the order reads every row).  *ROWS: *N row
 * numbers, malloc'd, the caller's to free; *READ: the rows of the chunks
 * read.  0; 1 when those chunks hold more than BUDGET rows (a slice that
 * wide is better cut from the order), nothing read; -ENOMEM.
 */
int colstore_ts_slice(const struct colstore *cs, int64_t lo, int64_t hi, uint64_t budget, uint32_t **rows,
		      uint64_t *n, uint64_t *read);
/*
 * The rows by (column COL, row), as an index on COL has them, NULLs
 * first: colstore_ts_order for any integer column (processes' exit_ts
 * and start_ts, which .summary and .procs read in that order).  Made on
 * first use, in one pass when the rows are nearly in that order (runs
 * merged), kept per column and made again after more rows were appended.
 * 0, or -ENOMEM.
 */
int colstore_order(struct colstore *cs, unsigned col, const uint32_t **rows);
/*
 * ROWS (N row numbers, increasing) put in (ts, row) order, as
 * colstore_ts_order has them.  Only reads CS: threads may sort rows of
 * the same store at once.  0, or -ENOMEM (ROWS as they were).
 */
int colstore_ts_sort(const struct colstore *cs, uint32_t *rows, uint64_t n);
/* The first place in ORDER (by ts; NULL: the rows themselves) whose row's ts is >= TS. */
uint64_t colstore_first_ts_at_least_in(const struct colstore *cs, const uint32_t *order, int64_t ts);

#endif
