/*
 * test_clickhouse.c - the pieces of --export clickhouse that need no
 * server: TabSeparated escaping, the URL (server, database, cluster, what
 * is refused), the DDL from records.def (a table per kind plus processes
 * and timeline, Nullable exactly where SQLite holds NULL, widths and
 * signs), and a refused connection as one line naming the server.
 */
#include <stdlib.h>
#include <string.h>

#include "clickhouse.h"
#include "clickhouse_ddl.h"
#include "record.h"
#include "tap.h"

static void test_tsv(void)
{
	struct strbuf b = { 0 };

	ch_put_tsv(&b, "a\tb\nc\\d\re", 9);
	ok(b.p && !strcmp(b.p, "a\\tb\\nc\\\\d\\re"), "ch_put_tsv - tab, newline, backslash, CR, expect each escaped");
	b.len = 0;
	ch_put_tsv(&b, "x\0y", 3);
	ok(b.len == 4 && !memcmp(b.p, "x\\0y", 4), "ch_put_tsv - a NUL, expect \\0");
	b.len = 0;
	ch_put_tsv(&b, "plain", 5);
	ok(!strcmp(b.p, "plain"), "ch_put_tsv - nothing to escape, expect it as it is");
	strbuf_free(&b);
}

static void test_url(void)
{
	char err[512];
	struct ch *c;

	c = ch_open("http://u:p@127.0.0.1:8123/", err, sizeof(err));
	ok(c && !strcmp(ch_server(c), "127.0.0.1:8123") && !strcmp(ch_database(c), "flightrec") && !ch_cluster(c)[0],
	   "ch_open - no database, expect server 127.0.0.1:8123 and database flightrec, no cluster");
	ch_close(c);
	c = ch_open("http://localhost:9999/?database=fleet_db&cluster=fleet", err, sizeof(err));
	ok(c && !strcmp(ch_database(c), "fleet_db") && !strcmp(ch_cluster(c), "fleet"),
	   "ch_open - ?database=fleet_db&cluster=fleet, expect both");
	ch_close(c);
	c = ch_open("http://h/", err, sizeof(err));
	ok(c && !strcmp(ch_server(c), "h:80"), "ch_open - no port, expect http's 80 named");
	ch_close(c);
	c = ch_open("ftp://h:1/", err, sizeof(err));
	ok(!c && strstr(err, "is not a ClickHouse URL"), "ch_open - ftp, expect refused: %s", err);
	c = ch_open("http://h:1/?database=a;DROP", err, sizeof(err));
	ok(!c && strstr(err, "database and cluster must be names"), "ch_open - a database that is not a name, expect refused");
	c = ch_open("http://127.0.0.1:1/", err, sizeof(err));
	ok(c && ch_exec(c, "SELECT 1", 0, NULL) == -1 && !strncmp(ch_error(c), "clickhouse at 127.0.0.1:1: ", 27) &&
		   !strchr(ch_error(c), '\n'),
	   "ch_exec - nothing listening, expect one line naming the server: %s", c ? ch_error(c) : "");
	ch_close(c);
}

static const struct ch_col *col(const struct ch_table *t, unsigned n, const char *table, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(t[i].name, table))
			for (unsigned j = 0; j < t[i].ncols; j++)
				if (!strcmp(t[i].cols[j].name, name))
					return &t[i].cols[j];
	return NULL;
}

static void test_ddl(void)
{
	unsigned n, fields_ok = 1;
	const struct ch_table *t = chddl_tables(&n);
	const struct ch_col *c;
	struct strbuf b = { 0 };

	ok(n == fr_nkinds + 2 && !strcmp(t[n - 2].name, "processes") && !strcmp(t[n - 1].name, "timeline"),
	   "chddl_tables - one per kind of records.def, then processes and timeline, expect %u", fr_nkinds + 2);
	for (unsigned i = 0; i < fr_nkinds; i++)
		fields_ok &= t[i].ncols == fr_kinds[i].nfields + 1 && !strcmp(t[i].cols[0].name, "host") &&
			     !strcmp(t[i].cols[1].name, "ts") && !strcmp(t[i].cols[1].type, "Int64");
	ok(fields_ok, "chddl_tables - every kind: host, then its fields, ts an Int64 that is never NULL");
	ok((c = col(t, n, "syscalls", "error")) && !strcmp(c->type, "Nullable(String)"),
	   "chddl_tables - syscalls.error, expect Nullable(String) (NULL on success)");
	ok((c = col(t, n, "syscalls", "name")) && !strcmp(c->type, "String"), "chddl_tables - syscalls.name, expect String");
	ok((c = col(t, n, "proc_exec", "euid")) && !strcmp(c->type, "Nullable(UInt32)"),
	   "chddl_tables - proc_exec.euid (1.2), expect Nullable(UInt32)");
	ok((c = col(t, n, "connections", "end_ts")) && !strcmp(c->type, "Nullable(Int64)"),
	   "chddl_tables - connections.end_ts, a time that may be unknown, expect Nullable(Int64)");
	ok((c = col(t, n, "connections", "lport")) && !strcmp(c->type, "UInt16"), "chddl_tables - connections.lport, expect UInt16");
	ok((c = col(t, n, "proc_exit", "exit_code")) && !strcmp(c->type, "Int32"), "chddl_tables - proc_exit.exit_code, expect Int32");
	ok((c = col(t, n, "drops", "count")) && c->is_unsigned64, "chddl_tables - drops.count, expect UInt64 printed unsigned");
	chddl_create(&t[0], &b);
	ok(b.p && strstr(b.p, "CREATE TABLE IF NOT EXISTS ") && strstr(b.p, " ENGINE = MergeTree() PARTITION BY toDate(") &&
		   strstr(b.p, " ORDER BY (host, ts)"),
	   "chddl_create - a record table, expect MergeTree by day ORDER BY (host, ts)");
	b.len = 0;
	chddl_create(&t[n - 2], &b);
	ok(b.p && !strstr(b.p, "PARTITION BY") && strstr(b.p, "ORDER BY (host, pid)"),
	   "chddl_create - processes, expect ORDER BY (host, pid), no partition");
	strbuf_free(&b);
}

int main(void)
{
	test_tsv();
	test_url();
	test_ddl();
	tap_plan(tap_n);
	return tap_done();
}
