/*
 * clickhouse.h - a ClickHouse server over its HTTP interface, through
 * libcurl: statements sent as POST bodies, inserts as TabSeparated bodies
 * of `INSERT ... FORMAT TabSeparated`.  A handle keeps the server's name
 * (host:port, never the password) and the last error, one line: what
 * curl or the server said.
 */
#ifndef FR_REPLAY_CLICKHOUSE_H
#define FR_REPLAY_CLICKHOUSE_H

#include <stddef.h>

#include "strbuf.h"

/* S as a TabSeparated field into B: backslash, tab, newline and CR escaped. */
void ch_put_tsv(struct strbuf *b, const char *s, size_t n);

struct ch;

/*
 * Parse URL (http[s]://[USER[:PASSWORD]@]HOST[:PORT][/][?database=DB&cluster=NAME])
 * without contacting the server: NULL with ERR set when it is not one.
 */
struct ch *ch_open(const char *url, char *err, size_t errlen);
void ch_close(struct ch *c);
/* "HOST:PORT", the database, and the cluster ("" for none). */
const char *ch_server(const struct ch *c);
const char *ch_database(const struct ch *c);
const char *ch_cluster(const struct ch *c);
/* The last error: "clickhouse at HOST:PORT: WHAT" */
const char *ch_error(const struct ch *c);

/*
 * Run SQL (one statement); its TabSeparated result, when OUT is not NULL,
 * appended to OUT.  IN_DB: run it in the handle's database (0 for the
 * statements that create it).  0, or -1 with ch_error() set.
 */
int ch_exec(struct ch *c, const char *sql, int in_db, struct strbuf *out);
/* `INSERT INTO TARGET FORMAT TabSeparated` with ROWS (LEN bytes) as its body; 0 or -1. */
int ch_insert(struct ch *c, const char *target, const char *rows, size_t len);

#endif
