/*
 * export.c - `.export perfetto FILE`: the timeline as Chrome trace-event
 * JSON, which ui.perfetto.dev and chrome://tracing open.  One track per
 * process (named "comm [pid] host") holding its lifetime and everything it
 * did; events with a duration become slices, the others instants; losses
 * go on a "flightrec" track of their own; CPU samples and off-CPU stacks
 * are instants on their process's track, with their stack.  Times are microseconds from the
 * start of the window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dot.h"
#include "export_clickhouse.h"

/* A track id per (host, pid): hosts apart by 10^8 so their pids never meet. */
#define TRACK_SQL "((SELECT count(*) FROM (SELECT DISTINCT host FROM archives) h WHERE h.host < %s.host) * 100000000 + %s.pid)"

/* Microseconds from FROM to TO (ns); exact, and without overflow on times a damaged archive made up. */
static double us_between(int64_t from, int64_t to)
{
	int64_t d;

	if (__builtin_sub_overflow(to, from, &d))
		return ((double)to - (double)from) / 1e3;
	return (double)d / 1e3;
}

/*
 * The CPU samples (OFFCPU 0) or the off-CPU stacks (1) of the profile
 * family into F, counted in *EVENTS: an instant per thread, stack and
 * second on the process's track, named by its innermost frame.  0, or -1
 * after saying why.
 */
static int export_stacks(struct replay *r, FILE *f, int64_t t0, int offcpu, int *events)
{
	const char *table = offcpu ? "offcpu_samples" : "cpu_samples";
	sqlite3_stmt *s = NULL;
	char sql[1024];

	if (!dot_has_table(r, table) || !dot_has_table(r, "stacks"))
		return 0;
	snprintf(sql, sizeof(sql),
		 "SELECT " TRACK_SQL ", c.ts, c.tid, c.count, coalesce(leaf(nullif(s.frames, '')), '[no stack]'),"
		 " coalesce(s.frames, ''), %s FROM %s c LEFT JOIN stacks s ON s.host = c.host AND s.id = c.stack_id"
		 " ORDER BY c.ts",
		 "c", "c", offcpu ? "c.total_ns, c.max_ns" : "0, 0", table);
	if (replay_prepare(r, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "flightrec-replay: .export: %s\n", sqlite3_errmsg(r->db));
		return -1;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		long long track = sqlite3_column_int64(s, 0);
		char name[300];
		snprintf(name, sizeof(name), "%s: %s", offcpu ? "off-cpu" : "cpu", (const char *)sqlite3_column_text(s, 4));
		fputs(",\n{\"name\":", f);
		output_json_string(f, name);
		fprintf(f, ",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"pid\":%lld,\"tid\":%lld,\"ts\":%.3f,\"args\":{\"thread\":%lld,",
			offcpu ? "offcpu_sample" : "cpu_sample", track, track, us_between(t0, sqlite3_column_int64(s, 1)),
			(long long)sqlite3_column_int64(s, 2));
		if (offcpu)
			fprintf(f, "\"sleeps\":%lld,\"total_ms\":%.6f,\"max_ms\":%.6f,", (long long)sqlite3_column_int64(s, 3),
				(double)sqlite3_column_int64(s, 6) / 1e6, (double)sqlite3_column_int64(s, 7) / 1e6);
		else
			fprintf(f, "\"samples\":%lld,", (long long)sqlite3_column_int64(s, 3));
		fputs("\"stack\":", f);
		output_json_string(f, (const char *)sqlite3_column_text(s, 5));
		fputs("}}", f);
		(*events)++;
	}
	sqlite3_finalize(s);
	return 0;
}

static int export_perfetto(struct replay *r, const char *path)
{
	int64_t t0 = dot_window_start(r);
	sqlite3_stmt *s = NULL;
	char sql[2048];
	int first = 1, events = 0;
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "flightrec-replay: .export: cannot create %s\n", path);
		return -1;
	}
	fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n", f);
	/* the tracks, named, and each process's life as one slice */
	snprintf(sql, sizeof(sql),
		 "SELECT " TRACK_SQL ", p.comm, p.pid, p.host, coalesce(p.start_ts, ?1), p.exit_ts, p.argv FROM processes p",
		 "p", "p");
	if (replay_prepare(r, sql, -1, &s, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_int64(s, 1, t0);
	while (sqlite3_step(s) == SQLITE_ROW) {
		long long track = sqlite3_column_int64(s, 0);
		char name[256];
		double ts = us_between(t0, sqlite3_column_int64(s, 4));
		snprintf(name, sizeof(name), "%s [%lld] %s", sqlite3_column_text(s, 1),
			 (long long)sqlite3_column_int64(s, 2), sqlite3_column_text(s, 3));
		fprintf(f, "%s{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%lld,\"tid\":%lld,\"args\":{\"name\":", first ? "" : ",\n",
			track, track);
		output_json_string(f, name);
		fputs("}}", f);
		first = 0;
		if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
			double d = us_between(sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 5));
			fprintf(f, ",\n{\"name\":\"lifetime\",\"cat\":\"process\",\"ph\":\"X\",\"pid\":%lld,\"tid\":%lld,\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"argv\":",
				track, track, ts, d < 0 ? 0 : d);
			output_json_string(f, (const char *)sqlite3_column_text(s, 6));
			fputs("}}", f);
			events++;
		}
	}
	sqlite3_finalize(s);
	fprintf(f, "%s{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,\"args\":{\"name\":\"flightrec (losses)\"}}",
		first ? "" : ",\n");

	/* every event of the timeline on its process's track */
	snprintf(sql, sizeof(sql),
		 "SELECT CASE WHEN t.pid IS NULL THEN 0 ELSE " TRACK_SQL " END, t.kind, t.summary, t.ts, t.duration_ns"
		 " FROM timeline t ORDER BY t.ts",
		 "t", "t");
	if (replay_prepare(r, sql, -1, &s, NULL) != SQLITE_OK)
		goto sqlerr;
	while (sqlite3_step(s) == SQLITE_ROW) {
		long long track = sqlite3_column_int64(s, 0);
		double ts = us_between(t0, sqlite3_column_int64(s, 3));
		fputs(",\n{\"name\":", f);
		output_json_string(f, (const char *)sqlite3_column_text(s, 1));
		fputs(",\"cat\":", f);
		output_json_string(f, (const char *)sqlite3_column_text(s, 1));
		if (sqlite3_column_type(s, 4) != SQLITE_NULL && sqlite3_column_int64(s, 4) > 0)
			fprintf(f, ",\"ph\":\"X\",\"dur\":%.3f", (double)sqlite3_column_int64(s, 4) / 1e3);
		else
			fputs(",\"ph\":\"i\",\"s\":\"t\"", f);
		fprintf(f, ",\"pid\":%lld,\"tid\":%lld,\"ts\":%.3f,\"args\":{\"summary\":", track, track, ts);
		output_json_string(f, (const char *)sqlite3_column_text(s, 2));
		fputs("}}", f);
		events++;
	}
	sqlite3_finalize(s);

	if (export_stacks(r, f, t0, 0, &events) || export_stacks(r, f, t0, 1, &events)) {
		fclose(f);
		return -1;
	}
	fputs("\n]}\n", f);
	if (fclose(f)) {
		fprintf(stderr, "flightrec-replay: .export: cannot write %s\n", path);
		return -1;
	}
	fprintf(r->out.fp, "wrote %d events to %s\n", events, path);
	return 0;
sqlerr:
	fprintf(stderr, "flightrec-replay: .export: %s\n", sqlite3_errmsg(r->db));
	sqlite3_finalize(s);
	fclose(f);
	return -1;
}

/*
 * `.export clickhouse URL`: the archives loaded in this shell, each read
 * again from its path and exported on its own (export_clickhouse.h).
 */
static int export_clickhouse_loaded(struct replay *r, const char *url)
{
	sqlite3_stmt *s;
	char **paths = NULL, err[1024];
	int n = 0, ret = -1;

	if (replay_prepare(r, "SELECT path FROM archives ORDER BY rowid", -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "flightrec-replay: .export: %s\n", sqlite3_errmsg(r->db));
		return -1;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		char **p = realloc(paths, (size_t)(n + 1) * sizeof(*paths));
		if (!p || !(p[n] = strdup((const char *)sqlite3_column_text(s, 0)))) {
			paths = p ? p : paths;
			fprintf(stderr, "flightrec-replay: .export: out of memory\n");
			goto out;
		}
		paths = p;
		n++;
	}
	if (!n)
		fprintf(stderr, "flightrec-replay: .export: no archive loaded\n");
	else if (export_clickhouse(url, paths, n, r->out.fp, err, sizeof(err)))
		fprintf(stderr, "flightrec-replay: .export: %s\n", err);
	else
		ret = 0;
out:
	sqlite3_finalize(s);
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return ret;
}

int dot_export(struct replay *r, int argc, char **argv)
{
	if (!strcmp(argv[1], "clickhouse"))
		return export_clickhouse_loaded(r, argv[2]);
	if (strcmp(argv[1], "perfetto")) {
		fprintf(stderr, "flightrec-replay: .export: unknown format '%s' (perfetto, clickhouse)\n", argv[1]);
		return -1;
	}
	return export_perfetto(r, argv[2]);
}
