/*
 * test_sink.c - the one way in for every record (recorder/sink.c): a
 * record of every kind of records.def passes count, enrich, triggers,
 * observers and writer, in that order; an exec reaches the rules already
 * enriched; the security classifier's records follow the record that
 * caused them and go through the same stages (a rule on them fires); and
 * the opening records of a segment feed the observers only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bpf/syscall_abi.bpf.h"
#include "hostinfo.h"
#include "procscan.h"
#include "security.h"
#include "sink.h"
#include "store.h"
#include "tap.h"
#include "triggers.h"
#include "util.h"
#include "writer.h"

/* What each stage saw, in the order it saw it. */
static struct {
	unsigned kind;
	char stage; /* 't' triggers, 'o' observers, 'O' observers for an opening record */
	uint64_t count; /* the sink's count of the kind at that moment */
} seen[256];
static int nseen;
static char what[512];

static struct sink *the_sink;

static void on_fire(void *ctx, const struct trigger_rule *r, const char *w)
{
	if (nseen < 256) {
		seen[nseen].kind = r->kind;
		seen[nseen].stage = 't';
		seen[nseen++].count = the_sink->counts[r->kind];
	}
	snprintf(what, sizeof(what), "%s", w);
}

static void on_observe(void *ctx, const struct fr_kind_desc *k, const void *rec, int opening)
{
	if (nseen < 256) {
		seen[nseen].kind = k->id;
		seen[nseen].stage = opening ? 'O' : 'o';
		seen[nseen++].count = the_sink->counts[k->id];
	}
}

/* The classifier as the security family wires it: its records go back into the sink. */
static void put_security(void *ctx, const struct fr_security *r)
{
	sink_put(ctx, r);
}

static void classify(void *ctx, const struct fr_kind_desc *k, const void *rec, int opening)
{
	security_observe(ctx, k->id, rec, opening ? NULL : put_security, the_sink);
}

/* One rule that holds for any record of kind K: its ts above 0. */
static void rule_for(struct triggers *t, unsigned kind)
{
	memset(t, 0, sizeof(*t));
	t->rule[0].type = RULE_THRESHOLD;
	t->rule[0].kind = kind;
	t->rule[0].field[0] = 0; /* ts, the first field of every kind */
	t->rule[0].nfields = 1;
	snprintf(t->rule[0].text, sizeof(t->rule[0].text), "test rule");
	t->n = 1;
	t->watched = 1ull << kind;
}

static void test_every_kind(struct sink *s, struct triggers *t, struct writer *w)
{
	unsigned wrong_order = 0, wrong_count = 0, unseen = 0;
	uint64_t written = w->records;
	char *rec = calloc(1, FR_RECORD_STRUCT_MAX);

	for (unsigned i = 0; i < fr_nkinds; i++) {
		const struct fr_kind_desc *k = &fr_kinds[i];
		int t_at = -1, o_at = -1;

		memset(rec, 0, FR_RECORD_STRUCT_MAX);
		((struct fr_head *)rec)->kind = k->id;
		*(uint64_t *)(rec + k->fields[0].offset) = 1000 + i;
		rule_for(t, k->id);
		nseen = 0;
		sink_put(s, rec);
		for (int j = 0; j < nseen; j++) {
			if (seen[j].kind != k->id)
				continue;
			if (seen[j].stage == 't' && t_at < 0)
				t_at = j;
			if (seen[j].stage == 'o' && o_at < 0)
				o_at = j;
			wrong_count += seen[j].count != 1;
		}
		if (t_at < 0 || o_at < 0) {
			diag("kind %s: triggers %s, observers %s", k->name, t_at < 0 ? "not seen" : "seen",
			     o_at < 0 ? "not seen" : "seen");
			unseen++;
		} else if (t_at > o_at) {
			wrong_order++;
		}
	}
	free(rec);
	writer_flush(w);
	ok(unseen == 0, "sink_put - a record of each of the %u kinds, expect the rules and the observers to see each (%u not)",
	   fr_nkinds, unseen);
	ok(wrong_order == 0, "sink_put - every kind, expect the rules before the observers (%u not)", wrong_order);
	ok(wrong_count == 0, "sink_put - every kind, expect it counted before the rules and observers see it (%u not)",
	   wrong_count);
	ok(w->records - written == fr_nkinds, "sink_put - every kind, expect %u records written (%llu)", fr_nkinds,
	   (unsigned long long)(w->records - written));
	ok(s->lost == 0, "sink_put - known kinds only, expect none lost (%llu)", (unsigned long long)s->lost);
}

static void test_exec_enriched(struct sink *s, struct triggers *t)
{
	struct fr_exec e;
	char err[160], self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	memset(t, 0, sizeof(*t));
	ok(triggers_add(t, "exec test_sink", err, sizeof(err)) == 0, "triggers_add - exec test_sink, expect 0");
	memset(&e, 0, sizeof(e));
	e.head.kind = FR_KIND_exec;
	e.ts = 5000;
	e.pid = e.tid = (uint32_t)getpid();
	snprintf(e.comm, sizeof(e.comm), "test_sink");
	snprintf(e.filename, sizeof(e.filename), "./test_sink");
	what[0] = '\0';
	nseen = 0;
	sink_put(s, &e);
	ok(nseen >= 1 && seen[0].stage == 't', "sink_put - an exec that a rule names, expect the rule to fire");
	ok(self[0] && strstr(what, self) != NULL,
	   "sink_put - the exec the rule saw, expect its resolved exe %s in it (rule saw: %.200s)", self, what);
	ok(e.exe[0] == '\0', "sink_put - the caller's record, expect it unchanged (enriched on a copy)");
}

/* nr of a call of the audit set, as the syscall family records it */
#define X(name, nr) if (!strcmp(#name, call)) return nr;
static uint32_t nr_of(const char *call)
{
	SC_AUDIT_CALLS(X)
	return 511;
}
#undef X

static void test_classifier(struct sink *s, struct triggers *t, struct writer *w)
{
	struct fr_fork f;
	struct fr_syscall c;
	char err[160];
	uint64_t written;
	int sec_t = -1, sec_o = -1, sc_o = -1;

	memset(t, 0, sizeof(*t));
	triggers_add(t, "security high", err, sizeof(err));
	memset(&f, 0, sizeof(f));
	f.head.kind = FR_KIND_fork;
	f.ts = 6000;
	f.ppid = 1;
	f.pid = 77;
	f.uid = 1000;
	sink_put(s, &f);
	memset(&c, 0, sizeof(c));
	c.head.kind = FR_KIND_syscall;
	c.ts = 6001;
	c.pid = c.tid = 77;
	c.uid = 1000;
	snprintf(c.comm, sizeof(c.comm), "escalate");
	snprintf(c.name, sizeof(c.name), "setresuid");
	c.nr = nr_of("setresuid");
	snprintf(c.args, sizeof(c.args), "ruid=0 euid=0 suid=0");
	writer_flush(w);
	written = w->records;
	nseen = 0;
	what[0] = '\0';
	sink_put(s, &c);
	writer_flush(w);
	for (int j = 0; j < nseen; j++) {
		if (seen[j].kind == FR_KIND_syscall && seen[j].stage == 'o' && sc_o < 0)
			sc_o = j;
		if (seen[j].kind == FR_KIND_security && seen[j].stage == 't' && sec_t < 0)
			sec_t = j;
		if (seen[j].kind == FR_KIND_security && seen[j].stage == 'o' && sec_o < 0)
			sec_o = j;
	}
	ok(sc_o >= 0 && sec_t > sc_o && sec_o > sec_t,
	   "sink_put - setresuid to 0 from uid 1000, expect the classifier's record through the rules and observers after the call (%d %d %d)",
	   sc_o, sec_t, sec_o);
	ok(strstr(what, "privilege") != NULL, "sink_put - rule 'security high', expect it fired on the signal (%.120s)",
	   what);
	ok(w->records - written == 2, "sink_put - the call and its signal, expect 2 records written (%llu)",
	   (unsigned long long)(w->records - written));
	ok(s->counts[FR_KIND_security] == 2, "sink - security records counted, expect 2 (one per test) (%llu)",
	   (unsigned long long)s->counts[FR_KIND_security]);
}

static void test_opening(struct sink *s, struct triggers *t)
{
	struct fr_proc p;
	uint64_t before = s->counts[FR_KIND_proc];

	rule_for(t, FR_KIND_proc);
	memset(&p, 0, sizeof(p));
	p.head.kind = FR_KIND_proc;
	p.ts = 7000;
	p.pid = 88;
	nseen = 0;
	sink_put_opening(s, &p);
	ok(nseen == 1 && seen[0].stage == 'O', "sink_put_opening - a proc record, expect only the observers (opening) to see it");
	ok(s->counts[FR_KIND_proc] == before, "sink_put_opening - expect it not counted as an event");
}

int main(void)
{
	char dir[] = "/tmp/test_sink.XXXXXX";
	struct store_opts o = { .segment_size = 1 << 20, .segment_age_ns = 3600 * NSEC_PER_SEC, .max_disk = 64 << 20 };
	struct hostinfo hi;
	struct store st;
	struct writer w;
	struct triggers t;
	struct security_opts sopts;
	struct security *sec;
	struct procscan_ctx scan;
	struct sink s;
	char cmd[64];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	memset(&hi, 0, sizeof(hi));
	snprintf(hi.host, sizeof(hi.host), "testhost");
	snprintf(hi.boot_id, sizeof(hi.boot_id), "00000000-0000-0000-0000-000000000001");
	memset(&sopts, 0, sizeof(sopts));
	memset(&s, 0, sizeof(s));
	memset(&t, 0, sizeof(t));
	scan.cgroups = cgroup_cache_new(NULL);
	scan.pods = pod_cache_new(dir);
	sec = security_new(&sopts);
	ok(store_open(&st, dir, &o, &hi) == 0 && writer_init(&w, &st) == 0, "store_open, writer_init - expect 0");
	the_sink = &s;
	s.scan = &scan;
	s.triggers = &t;
	s.fire = on_fire;
	s.writer = &w;
	ok(sink_observe(&s, on_observe, NULL) == 0 && sink_observe(&s, classify, sec) == 0,
	   "sink_observe - a recorder of what it sees and the classifier, expect 0");

	test_every_kind(&s, &t, &w);
	test_exec_enriched(&s, &t);
	test_classifier(&s, &t, &w);
	test_opening(&s, &t);

	sink_free(&s);
	writer_free(&w);
	store_close(&st);
	security_free(sec);
	cgroup_cache_free(scan.cgroups);
	pod_cache_free(scan.pods);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	tap_plan(tap_n);
	return tap_failed ? 1 : 0;
}
