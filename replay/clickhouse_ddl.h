/*
 * clickhouse_ddl.h - the ClickHouse tables of an export, from the same
 * descriptors of schema/records.def as the SQLite tables (schema/ddl.c):
 * one MergeTree table per record kind with the same columns, ORDER BY
 * (host, ts) and partitioned by day; `processes` and `timeline` as tables
 * filled from the replay database; `conn_pairs` as a view over
 * `connections`; `archives`, the ledger of what was loaded.
 */
#ifndef FR_REPLAY_CLICKHOUSE_DDL_H
#define FR_REPLAY_CLICKHOUSE_DDL_H

#include "clickhouse.h"

#define CH_COLS_MAX 48

struct ch_col {
	const char *name;
	char type[40];  /* "Nullable(UInt32)" */
	int is_unsigned64; /* UInt64: SQLite keeps it as a signed 64-bit integer */
};

struct ch_table {
	const char *name;
	const char *order_by;
	int by_day; /* partitioned by the day of ts */
	unsigned ncols;
	struct ch_col cols[CH_COLS_MAX];
};

/* The record tables, then processes and timeline (static storage); *N is their count. */
const struct ch_table *chddl_tables(unsigned *n);
/* CREATE TABLE IF NOT EXISTS for T in the handle's database, appended to OUT. */
void chddl_create(const struct ch_table *t, struct strbuf *out);
/* The ledger: one row per archive and state, the latest (version) wins. */
extern const char chddl_archives[];
/* The CREATE VIEW of conn_pairs in DB; GLOBAL when over Distributed tables. */
void chddl_conn_pairs(const char *db, int global, struct strbuf *out);

#endif
