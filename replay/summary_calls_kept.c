/*
 * summary_calls_kept.c - .summary's four syscalls sections kept in a --db
 * FILE, in the table summary_calls beside summary_counts
 * (summary_cache.c), so that .summary reads a few rows where it stepped
 * every row of `syscalls` four times (22.6 s on a real 30M-record
 * archive, issue 17).
 *
 *   summary_calls(section, call_rowid, ts, latency_ns, name, error, calls)
 *     'slowest' and 'pipe_waits': the 5 slowest calls apart from waits on
 *     pipes and terminals, and those waits, by rowid (with their ts and
 *     latency: a VACUUM may renumber rows); 'failed' and 'would_block':
 *     every (name, error) group of the failed calls and of those that
 *     would have waited, with sum(coalesce(count, 1)).
 *
 * They are counted while the load inserts, from the rows kept by an
 * earlier load on (merged), and are read only while summary_counts holds
 * its row for `syscalls`, which its triggers delete on any change to the
 * table: then these rows are true.  The table is written before that row,
 * and dropped when nothing true can be written (an earlier load's rows
 * not kept, a trigger of the user's that may add rows, too many groups).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "record.h"
#include "summary_calls_kept.h"
#include "summary_tally.h"

#define TABLE "summary_calls"
#define TABLE_SQL                                                                                          \
	"CREATE TABLE " TABLE " (\n"                                                                       \
	"\tsection TEXT NOT NULL, -- slowest, pipe_waits, failed or would_block (.summary's sections)\n"  \
	"\tcall_rowid INTEGER, -- slowest, pipe_waits: the call's rowid in syscalls\n"                     \
	"\tts INTEGER, -- slowest, pipe_waits: its ts\n"                                                   \
	"\tlatency_ns INTEGER, -- slowest, pipe_waits: its latency\n"                                      \
	"\tname TEXT, -- failed, would_block: the group's call\n"                                          \
	"\terror TEXT, -- failed, would_block: and error\n"                                                \
	"\tcalls INTEGER -- failed, would_block: sum(coalesce(count, 1)) of the group\n"                   \
	")"

static const char *const slow_sections[2] = { "slowest", "pipe_waits" };
static const char *const group_sections[2] = { [SUMMARY_FAILED] = "failed", [SUMMARY_WOULD_BLOCK] = "would_block" };

/* Beyond this many groups nothing is kept: .summary counts by SQL. */
#define MAX_GROUPS 100000
#define TEXT_MAX 64

struct kept_group {
	char name[TEXT_MAX], error[TEXT_MAX];
	int name_null;
	int64_t calls;
};

struct kept_groups {
	struct kept_group *g;
	size_t n, cap;
	struct summary_slots slots;
};

struct summary_calls_kept {
	struct summary_slow slow[2][SUMMARY_SLOWEST]; /* [by design] */
	unsigned nslow[2];
	struct kept_groups groups[2];
	/* the fields of a syscall record the sections read; ts the first */
	const struct fr_field *ts, *name, *error, *latency, *count, *fd_kind;
	unsigned name_i, error_i, latency_i, count_i, fd_kind_i;
	char last_name[TEXT_MAX]; /* the name flags were last worked out for */
	unsigned last_name_flags;
	int broken; /* out of memory, or too many groups: nothing is kept */
};

static uint32_t text_hash(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u; /* FNV-1a */
	return h;
}

static uint32_t group_hash(const char *name, int name_null, const char *error)
{
	return text_hash(text_hash(2166136261u ^ (uint32_t)name_null, name) * 31u, error);
}

/* The hash of group K of the kept_groups ARG. */
static uint32_t group_hash_of(size_t k, const void *arg)
{
	const struct kept_group *g = &((const struct kept_groups *)arg)->g[k];

	return group_hash(g->name, g->name_null, g->error);
}

/* CALLS more of (NAME, ERROR) in section SEC of T (NAME NULL: SQL's NULL); breaks T when it cannot. */
static void group_add(struct summary_calls_kept *t, int sec, const char *name, const char *error, int64_t calls)
{
	struct kept_groups *gs = &t->groups[sec];
	int name_null = name == NULL;
	size_t i;

	if (!name)
		name = "";
	if (strlen(name) >= TEXT_MAX || strlen(error) >= TEXT_MAX || summary_slots_room(&gs->slots, gs->n, 64, group_hash_of, gs)) {
		t->broken = 1;
		return;
	}
	for (i = group_hash(name, name_null, error) & (gs->slots.n - 1); gs->slots.slot[i];
	     i = summary_slots_next(&gs->slots, i)) {
		struct kept_group *g = &gs->g[gs->slots.slot[i] - 1];
		if (g->name_null == name_null && !strcmp(g->name, name) && !strcmp(g->error, error)) {
			g->calls += calls;
			return;
		}
	}
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? gs->cap * 2 : 32;
		struct kept_group *g = cap <= MAX_GROUPS ? realloc(gs->g, cap * sizeof(*g)) : NULL;
		if (!g) {
			t->broken = 1;
			return;
		}
		gs->g = g;
		gs->cap = cap;
	}
	gs->g[gs->n] = (struct kept_group){ .name_null = name_null, .calls = calls };
	strcpy(gs->g[gs->n].name, name);
	strcpy(gs->g[gs->n].error, error);
	gs->slots.slot[i] = (uint32_t)++gs->n;
}

void summary_calls_kept_free(struct summary_calls_kept *t)
{
	if (!t)
		return;
	for (int i = 0; i < 2; i++) {
		free(t->groups[i].g);
		free(t->groups[i].slots.slot);
	}
	free(t);
}

/* Field NAME of K into *F and its index into *I: 0, or -1 when K has none. */
static int field(const struct fr_kind_desc *k, const char *name, const struct fr_field **f, unsigned *i)
{
	int at = fr_field_index(k, name);

	if (at < 0)
		return -1;
	*i = (unsigned)at;
	*f = &k->fields[at];
	return 0;
}

/* A slowest call of the kept rows (S) into T. */
static void kept_slow(struct summary_calls_kept *t, int design, sqlite3_stmt *s)
{
	struct summary_slow c = { .rowid = sqlite3_column_int64(s, 1), .ts = sqlite3_column_int64(s, 2),
				  .latency = sqlite3_column_int64(s, 3), .null = sqlite3_column_type(s, 3) == SQLITE_NULL };

	if (sqlite3_column_type(s, 1) != SQLITE_INTEGER || sqlite3_column_type(s, 2) != SQLITE_INTEGER)
		t->broken = 1;
	else
		summary_slow_add(t->slow[design], &t->nslow[design], &c);
}

/* The rows an earlier load kept into T: 0, or -1 when there are none to trust. */
static int read_kept(struct replay *r, struct summary_calls_kept *t)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT section, call_rowid, ts, latency_ns, name, error, calls FROM " TABLE, -1, &s,
			       NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && !t->broken) {
		const char *sec = (const char *)sqlite3_column_text(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 4), *error = (const char *)sqlite3_column_text(s, 5);
		int i;

		for (i = 0; i < 2 && sec && strcmp(sec, slow_sections[i]); i++)
			;
		if (sec && i < 2) {
			kept_slow(t, i, s);
			continue;
		}
		for (i = 0; i < 2 && sec && strcmp(sec, group_sections[i]); i++)
			;
		if (!sec || i == 2 || !error)
			t->broken = 1;
		else
			group_add(t, i, name, error, sqlite3_column_int64(s, 6));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

struct summary_calls_kept *summary_calls_kept_begin(struct replay *r, int64_t before)
{
	const struct fr_kind_desc *k = fr_kind_by_id(FR_KIND_syscall);
	struct summary_calls_kept *t;

	if (before < 0 || !k || !(t = calloc(1, sizeof(*t))))
		return NULL;
	t->ts = &k->fields[0];
	if (field(k, "name", &t->name, &t->name_i) || field(k, "error", &t->error, &t->error_i) ||
	    field(k, "latency_ns", &t->latency, &t->latency_i) || field(k, "count", &t->count, &t->count_i) ||
	    field(k, "fd_kind", &t->fd_kind, &t->fd_kind_i) || (before > 0 && read_kept(r, t)) || t->broken) {
		summary_calls_kept_free(t);
		return NULL;
	}
	return t;
}

/* STR field F of REC, NUL-terminated into BUF (TEXT_MAX bytes). */
static const char *text(const struct fr_field *f, const void *rec, char *buf)
{
	fr_field_text(f, rec, buf, TEXT_MAX);
	return buf;
}

void summary_calls_kept_add(struct summary_calls_kept *t, unsigned held, const void *rec, int64_t rowid)
{
	char name[TEXT_MAX], error[TEXT_MAX], fd_kind[TEXT_MAX];
	struct summary_slow c = { .rowid = rowid };
	unsigned ef, nf = 0;
	int design = 0, sec;

	if (!t || t->broken)
		return;
	if (held > t->fd_kind_i)
		design = summary_call_flags(SUMMARY_FD_KIND, text(t->fd_kind, rec, fd_kind)) & SUMMARY_BY_DESIGN;
	c.ts = fr_field_int(t->ts, rec);
	c.null = held <= t->latency_i;
	c.latency = c.null ? 0 : fr_field_int(t->latency, rec);
	summary_slow_add(t->slow[design], &t->nslow[design], &c);
	if (held <= t->error_i || !(ef = summary_call_flags(SUMMARY_ERROR_TEXT, text(t->error, rec, error))))
		return;
	if (held > t->name_i) {
		text(t->name, rec, name);
		if (strcmp(name, t->last_name)) {
			snprintf(t->last_name, sizeof(t->last_name), "%s", name);
			t->last_name_flags = summary_call_flags(SUMMARY_NAME, name);
		}
		nf = t->last_name_flags;
	}
	if ((sec = summary_call_section(held <= t->name_i, nf, ef)) >= 0)
		group_add(t, sec, held > t->name_i ? name : NULL, error,
			  held > t->count_i ? fr_field_int(t->count, rec) : 1);
}

/* Run SQL; 0, or -1 with ERR. */
static int run(struct replay *r, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "cannot write " TABLE ": %s", msg ? msg : sqlite3_errmsg(r->db));
	sqlite3_free(msg);
	return -1;
}

int summary_calls_kept_write(struct replay *r, const struct summary_calls_kept *t, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int ret = 0;

	if (run(r, "DROP TABLE IF EXISTS " TABLE, err, errlen))
		return -1;
	if (!t || t->broken)
		return 0; /* no table: .summary counts by SQL */
	if (run(r, TABLE_SQL, err, errlen))
		return -1;
	if (sqlite3_prepare_v2(r->db, "INSERT INTO " TABLE " VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot write " TABLE ": %s", sqlite3_errmsg(r->db));
		return -1;
	}
	for (int d = 0; d < 2 && !ret; d++) {
		for (unsigned i = 0; i < t->nslow[d] && !ret; i++) {
			sqlite3_bind_text(s, 1, slow_sections[d], -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, t->slow[d][i].rowid);
			sqlite3_bind_int64(s, 3, t->slow[d][i].ts);
			if (!t->slow[d][i].null)
				sqlite3_bind_int64(s, 4, t->slow[d][i].latency);
			ret = sqlite3_step(s) != SQLITE_DONE;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
		}
	}
	for (int g = 0; g < 2 && !ret; g++) {
		for (size_t i = 0; i < t->groups[g].n && !ret; i++) {
			const struct kept_group *k = &t->groups[g].g[i];
			sqlite3_bind_text(s, 1, group_sections[g], -1, SQLITE_STATIC);
			if (!k->name_null)
				sqlite3_bind_text(s, 5, k->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 6, k->error, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 7, k->calls);
			ret = sqlite3_step(s) != SQLITE_DONE;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
		}
	}
	if (ret)
		snprintf(err, errlen, "cannot write " TABLE ": %s", sqlite3_errmsg(r->db));
	sqlite3_finalize(s);
	return ret ? -1 : 0;
}

/* 1 when the kept rows are true: summary_counts holds its row for syscalls, and the table is there. */
static int kept_true(struct replay *r)
{
	struct summary_cached c;
	sqlite3_stmt *s;
	int there;

	if (!summary_cache_read(r, &c) || c.records[FR_KIND_syscall] < 0)
		return 0;
	if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '" TABLE "'", -1, &s,
			       NULL) != SQLITE_OK)
		return 0;
	there = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return there;
}

int summary_calls_kept_slowest(struct replay *r, int by_design, char *rowids, size_t len, unsigned *n)
{
	sqlite3_stmt *s, *check;
	size_t w = 0;
	int rc, ok = 1;

	*n = 0;
	rowids[0] = '\0';
	if (!kept_true(r) || sqlite3_prepare_v2(r->db, "SELECT call_rowid, ts, latency_ns FROM " TABLE " WHERE section = ?",
						-1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_prepare_v2(r->db, "SELECT ts IS ?2 AND latency_ns IS ?3 FROM syscalls WHERE rowid = ?1", -1, &check,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return 0;
	}
	sqlite3_bind_text(s, 1, slow_sections[by_design], -1, SQLITE_STATIC);
	/* each row still where it was kept, with its ts and latency (a VACUUM may renumber rows) */
	while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 1; i <= 3; i++)
			sqlite3_bind_value(check, i, sqlite3_column_value(s, i - 1));
		ok = sqlite3_step(check) == SQLITE_ROW && sqlite3_column_int(check, 0) == 1 && w < len;
		sqlite3_reset(check);
		if (ok)
			w += (size_t)snprintf(rowids + w, len - w, "%s%lld", *n ? ", " : "",
					      (long long)sqlite3_column_int64(s, 0));
		(*n)++;
	}
	ok &= rc == SQLITE_DONE && w < len && *n <= SUMMARY_SLOWEST;
	sqlite3_finalize(check);
	sqlite3_finalize(s);
	return ok;
}

int summary_calls_kept_by_error(struct replay *r, int would_block, char *sql, size_t len, unsigned *n)
{
	sqlite3_stmt *s;
	int ok;

	if (!kept_true(r) || sqlite3_prepare_v2(r->db, "SELECT count(*) FROM " TABLE " WHERE section = ?", -1, &s, NULL) !=
				     SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, group_sections[would_block], -1, SQLITE_STATIC);
	ok = sqlite3_step(s) == SQLITE_ROW;
	*n = (unsigned)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return ok && (size_t)snprintf(sql, len,
				      "SELECT name, error, calls FROM " TABLE " WHERE section = '%s'"
				      " ORDER BY calls DESC, name, error LIMIT 10",
				      group_sections[would_block]) < len;
}
