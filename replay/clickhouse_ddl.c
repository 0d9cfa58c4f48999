/*
 * clickhouse_ddl.c - ClickHouse DDL from records.def (clickhouse_ddl.h).
 *
 * The column types say what SQLite cannot: the width and sign of each
 * field.  A column is Nullable where the replay database can hold NULL
 * (replay/loader.c): a time other than the first that was 0 (unknown), a
 * field appended by a later minor version (absent from older archives),
 * and syscalls.error, NULL when the call succeeded (views.sql).
 */
#include <stdio.h>
#include <string.h>

#include "clickhouse_ddl.h"
#include "record.h"

static struct ch_table tables[FR_KIND_MAX + 2];
static unsigned ntables;

static const char *base_type(enum fr_type t)
{
	switch (t) {
	case FR_TS: return "Int64";
	case FR_U8: return "UInt8";
	case FR_U16: return "UInt16";
	case FR_U32: return "UInt32";
	case FR_U64: return "UInt64";
	case FR_S32: return "Int32";
	case FR_S64: return "Int64";
	default: return "String";
	}
}

static void add_col(struct ch_table *t, const char *name, const char *type, int nullable)
{
	struct ch_col *c = &t->cols[t->ncols++];

	c->name = name;
	snprintf(c->type, sizeof(c->type), nullable ? "Nullable(%s)" : "%s", type);
	c->is_unsigned64 = !strcmp(type, "UInt64");
}

/* The derived tables of views.sql that are filled, not computed, in ClickHouse. */
static void add_derived(void)
{
	static const char *const proc_cols[][2] = {
		{ "ppid", "Int64" },   { "uid", "Int64" },	  { "gid", "Int64" },	     { "comm", "String" },
		{ "exe", "String" },   { "argv", "String" },	  { "start_ts", "Int64" },   { "exit_ts", "Int64" },
		{ "exit_code", "Int64" }, { "exit_signal", "Int64" }, { "container", "String" }, { "pod_uid", "String" },
		{ "pod", "String" },   { "namespace", "String" },
	};
	struct ch_table *p = &tables[ntables++], *t = &tables[ntables++];

	p->name = "processes";
	p->order_by = "(host, pid)";
	add_col(p, "host", "String", 0);
	add_col(p, "pid", "Int64", 0);
	for (size_t i = 0; i < sizeof(proc_cols) / sizeof(proc_cols[0]); i++)
		add_col(p, proc_cols[i][0], proc_cols[i][1], 1);

	t->name = "timeline";
	t->order_by = "(host, ts)";
	t->by_day = 1;
	add_col(t, "ts", "Int64", 0);
	add_col(t, "host", "String", 0);
	add_col(t, "pid", "Int64", 1);
	add_col(t, "comm", "String", 1);
	add_col(t, "kind", "String", 0);
	add_col(t, "summary", "String", 1);
	add_col(t, "duration_ns", "Int64", 1);
}

const struct ch_table *chddl_tables(unsigned *n)
{
	if (!ntables) {
		for (unsigned i = 0; i < fr_nkinds; i++) {
			const struct fr_kind_desc *k = &fr_kinds[i];
			struct ch_table *t = &tables[ntables++];

			t->name = k->table;
			t->order_by = "(host, ts)";
			t->by_day = 1;
			add_col(t, "host", "String", 0);
			for (unsigned j = 0; j < k->nfields && t->ncols < CH_COLS_MAX; j++) {
				const struct fr_field *f = &k->fields[j];
				int nullable = (j > 0 && f->type == FR_TS) || f->minor > 0 ||
					       (!strcmp(k->table, "syscalls") && !strcmp(f->name, "error"));
				add_col(t, f->name, base_type(f->type), nullable);
			}
		}
		add_derived();
	}
	*n = ntables;
	return tables;
}

void chddl_create(const struct ch_table *t, struct strbuf *out)
{
	strbuf_printf(out, "CREATE TABLE IF NOT EXISTS %s (", t->name);
	for (unsigned i = 0; i < t->ncols; i++)
		strbuf_printf(out, "%s`%s` %s", i ? ", " : "", t->cols[i].name, t->cols[i].type);
	strbuf_printf(out, ") ENGINE = MergeTree()%s ORDER BY %s",
		     t->by_day ? " PARTITION BY toDate(toDateTime(intDiv(ts, 1000000000), 'UTC'))" : "", t->order_by);
}

const char chddl_archives[] =
	"CREATE TABLE IF NOT EXISTS archives (checksum String, host String, path String, manifest String,"
	" window_start Int64, window_end Int64, records UInt64, skipped UInt64, status String,"
	" loaded_at DateTime, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY checksum";

/*
 * As views.sql's conn_pairs: the 4-tuple mirrored (IPv4 in IPv6 as IPv4),
 * not the same row, the lifetimes overlapping give or take a second.
 * ClickHouse 18 joins on equalities only (the rest goes to WHERE), sees
 * no table qualifiers across a GLOBAL join (hence the distinct names of
 * the right side), and has no rowid: conn_id is a hash of what makes a
 * connection, the same on every server.
 */
#define CONN_ID "cityHash64(host, ts, pid, laddr, lport, raddr, rport, direction)"

void chddl_conn_pairs(const char *db, int global, struct strbuf *out)
{
	strbuf_printf(out,
		     "CREATE VIEW IF NOT EXISTS %s.conn_pairs AS SELECT conn_id, host, ts, end_ts, pid, comm, direction,"
		     " laddr, lport, raddr, rport, outcome, bytes_sent, bytes_received, peer_conn_id, peer_host, peer_pid,"
		     " peer_comm, peer_direction, peer_ts, peer_end_ts, peer_outcome, peer_bytes_sent, peer_bytes_received"
		     " FROM (SELECT " CONN_ID " AS conn_id, host, ts, end_ts, pid, comm, direction, laddr, lport, raddr, rport,"
		     " outcome, bytes_sent, bytes_received, replaceAll(laddr, '::ffff:', '') AS a_laddr,"
		     " replaceAll(raddr, '::ffff:', '') AS a_raddr FROM %s.connections)"
		     " %sALL INNER JOIN (SELECT " CONN_ID " AS peer_conn_id, host AS peer_host, pid AS peer_pid,"
		     " comm AS peer_comm, direction AS peer_direction, ts AS peer_ts, end_ts AS peer_end_ts,"
		     " outcome AS peer_outcome, bytes_sent AS peer_bytes_sent, bytes_received AS peer_bytes_received,"
		     " lport AS b_lport, rport AS b_rport, replaceAll(laddr, '::ffff:', '') AS b_laddr,"
		     " replaceAll(raddr, '::ffff:', '') AS b_raddr FROM %s.connections)"
		     " ON lport = b_rport AND rport = b_lport AND a_laddr = b_raddr AND a_raddr = b_laddr"
		     " WHERE peer_conn_id <> conn_id AND (isNull(peer_end_ts) OR ts <= peer_end_ts + 1000000000)"
		     " AND (isNull(end_ts) OR peer_ts <= end_ts + 1000000000)",
		     db, db, global ? "GLOBAL " : "", db);
}
