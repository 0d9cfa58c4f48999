/*
 * functions.c - SQL functions for people reading a timeline:
 *   utc(ns)    2026-11-24 15:40:03.123456   (Unix-epoch ns, UTC)
 *   dur(ns)    1.25ms, 3.2s, 850ns
 *   size(n)    12.3 MiB
 *   ip(text)   an address as text, unchanged (the records already hold text)
 * Each returns NULL for NULL.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "frames.h"

static void fn_utc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[64];
	sqlite3_int64 ns;
	time_t s;
	struct tm tm;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	ns = sqlite3_value_int64(argv[0]);
	s = (time_t)(ns / 1000000000);
	long us = (long)((ns % 1000000000) / 1000);
	if (us < 0) {
		us += 1000000;
		s--;
	}
	gmtime_r(&s, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* Three significant digits, trailing zeros dropped: 1.25ms, 3s, 12.5us. */
static void fmt3(char *buf, size_t cap, double v, const char *unit)
{
	int prec = v >= 100 ? 0 : v >= 10 ? 1 : 2;
	char *e;

	snprintf(buf, cap, "%.*f", prec, v);
	if (strchr(buf, '.')) {
		e = buf + strlen(buf);
		while (e[-1] == '0')
			*--e = '\0';
		if (e[-1] == '.')
			e[-1] = '\0';
	}
	strncat(buf, unit, cap - strlen(buf) - 1);
}

static void fn_dur(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	static const struct {
		double ns;
		const char *unit;
	} units[] = { { 86400e9, "d" }, { 3600e9, "h" }, { 60e9, "m" }, { 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" } };
	char buf[64];
	double v, a;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	v = sqlite3_value_double(argv[0]);
	a = v < 0 ? -v : v;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		/* minutes and above only from 100 s: 90s reads better than 1.5m */
		if (a >= units[i].ns && (units[i].ns < 60e9 || a >= 100e9)) {
			fmt3(buf, sizeof(buf), v / units[i].ns, units[i].unit);
			sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
			return;
		}
	}
	snprintf(buf, sizeof(buf), "%.0fns", v);
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_size(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	static const char *units[] = { " B", " KiB", " MiB", " GiB", " TiB", " PiB" };
	char buf[64];
	double v;
	int u = 0;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	v = sqlite3_value_double(argv[0]);
	while ((v >= 1024 || v <= -1024) && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, sizeof(buf), "%lld B", (long long)sqlite3_value_int64(argv[0]));
	else
		fmt3(buf, sizeof(buf), v, units[u]);
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_ip(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_value(ctx, argv[0]);
}

int replay_register_functions(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;

	if (sqlite3_create_function(db, "utc", 1, flags, NULL, fn_utc, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "dur", 1, flags, NULL, fn_dur, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "size", 1, flags, NULL, fn_size, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "ip", 1, flags, NULL, fn_ip, NULL, NULL) != SQLITE_OK ||
	    frames_register_sql(db))
		return -1;
	return 0;
}
