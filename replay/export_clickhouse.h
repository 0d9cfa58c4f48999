/*
 * export_clickhouse.h - `--export clickhouse URL` and `.export clickhouse
 * URL`: archives into ClickHouse tables (replay/clickhouse_ddl.h), once
 * each, keyed by the checksum of their manifest.
 */
#ifndef FR_REPLAY_EXPORT_CLICKHOUSE_H
#define FR_REPLAY_EXPORT_CLICKHOUSE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Load each of the N archives PATHS on its own and export it to the
 * server at URL, creating the tables that are missing; one line on OUT per
 * archive: what it added, or that it was already there.  0, or -1 with a
 * one-line reason in ERR at the first archive or server that fails.
 */
int export_clickhouse(const char *url, char *const *paths, int n, FILE *out, char *err, size_t errlen);

#endif
