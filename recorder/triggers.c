/*
 * triggers.c - parsing and evaluating trigger rules (see triggers.h).
 * Rules find their kinds and fields by name in the record descriptors.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triggers.h"
#include "util.h"

/* Kind NAME with fields F0 (and F1); fills the rule or says what is missing. */
static int bind(struct trigger_rule *r, const char *kind, const char *f0, const char *f1, char *err, size_t errlen)
{
	const struct fr_kind_desc *k = fr_kind_by_name(kind);

	if (!k) {
		snprintf(err, errlen, "this build records no '%s' records", kind);
		return -EINVAL;
	}
	r->kind = k->id;
	r->nfields = 0;
	r->text_field = -1;
	for (const char *f = f0; f; f = f == f0 ? f1 : NULL) {
		int i = fr_field_index(k, f);
		if (i < 0) {
			snprintf(err, errlen, "'%s' records have no field '%s'", kind, f);
			return -EINVAL;
		}
		r->field[r->nfields++] = i;
	}
	return 0;
}

static const struct {
	const char *name, *kind, *f0, *f1;
} thresholds[] = {
	{ "runq", "runq", "delay_ns", NULL },
	{ "io", "io", "queue_ns", "service_ns" },
	{ "syscall", "syscall", "latency_ns", NULL },
};

int triggers_add(struct triggers *t, const char *expr, char *err, size_t errlen)
{
	struct trigger_rule *r;
	char word[32] = "", arg[160] = "", op[4] = "";
	int n = 0;

	if (t->n >= TRIGGERS_MAX) {
		snprintf(err, errlen, "at most %d rules", TRIGGERS_MAX);
		return -EINVAL;
	}
	r = &t->rule[t->n];
	memset(r, 0, sizeof(*r));
	snprintf(r->text, sizeof(r->text), "%s", expr);
	sscanf(expr, " %31s %n", word, &n);
	snprintf(arg, sizeof(arg), "%s", expr + n);
	for (size_t l = strlen(arg); l > 0 && (arg[l - 1] == ' ' || arg[l - 1] == '\t'); l--)
		arg[l - 1] = '\0';

	if (!strcmp(word, "crash") || !strcmp(word, "oom")) {
		if (arg[0]) {
			snprintf(err, errlen, "'%s' takes no argument", word);
			return -EINVAL;
		}
		if (!strcmp(word, "crash")) {
			const struct fr_kind_desc *ck = fr_kind_by_name("crash");
			if (bind(r, "exit", "exit_signal", NULL, err, errlen))
				return -EINVAL;
			r->type = RULE_CRASH;
			/*
			 * The profile family's crash record comes before the
			 * exit and says where it crashed: it fires the rule
			 * when there is one, the exit (then in the cooldown)
			 * when there is none.
			 */
			if (ck && (r->alt_field = fr_field_index(ck, "signal")) >= 0) {
				r->alt_kind = ck->id;
				t->watched |= 1ULL << ck->id;
			}
		} else {
			if (bind(r, "oom", NULL, NULL, err, errlen))
				return -EINVAL;
			r->type = RULE_MATCH;
		}
	} else if (!strcmp(word, "exec") || !strcmp(word, "open")) {
		if (!arg[0] || strchr(arg, ' ')) {
			snprintf(err, errlen, "expected '%s %s'", word, word[0] == 'e' ? "NAME" : "GLOB");
			return -EINVAL;
		}
		r->type = RULE_MATCH;
		snprintf(r->pattern, sizeof(r->pattern), "%s", arg);
		if (word[0] == 'e') {
			if (bind(r, "exec", "comm", "filename", err, errlen))
				return -EINVAL;
		} else {
			if (bind(r, "syscall", "args", NULL, err, errlen))
				return -EINVAL;
			r->text_field = fr_field_index(fr_kind_by_id(r->kind), "name");
		}
	} else if (!strcmp(word, "security")) {
		/* any security record, or those whose severity or kind matches the glob */
		if (strchr(arg, ' ')) {
			snprintf(err, errlen, "expected 'security' or 'security SEVERITY|KIND', like 'security high'");
			return -EINVAL;
		}
		r->type = RULE_MATCH;
		snprintf(r->pattern, sizeof(r->pattern), "%s", arg);
		if (bind(r, "security", arg[0] ? "severity" : NULL, arg[0] ? "kind" : NULL, err, errlen))
			return -EINVAL;
	} else if (!strcmp(word, "retransmits") || !strcmp(word, "resets")) {
		char count[32], per[32];
		if (sscanf(arg, "%3s %31[^/]/%31s", op, count, per) != 3 || strcmp(op, ">") ||
		    parse_size(count, &r->threshold) || parse_duration(per, &r->per_ns) || r->per_ns == 0) {
			snprintf(err, errlen, "expected '%s > N/DUR', like '%s > 10/1m'", word, word);
			return -EINVAL;
		}
		r->type = RULE_RATE;
		if (word[0] == 'r' && word[2] == 't') { /* retransmits */
			if (bind(r, "conn", "retransmits", NULL, err, errlen))
				return -EINVAL;
		} else {
			if (bind(r, "conn", "outcome", NULL, err, errlen))
				return -EINVAL;
			r->text_field = r->field[0];
			r->nfields = 0; /* count the records */
			snprintf(r->pattern, sizeof(r->pattern), "reset");
		}
	} else {
		size_t i;
		char dur[32];
		for (i = 0; i < sizeof(thresholds) / sizeof(thresholds[0]); i++)
			if (!strcmp(word, thresholds[i].name))
				break;
		if (i == sizeof(thresholds) / sizeof(thresholds[0])) {
			snprintf(err, errlen, "unknown rule '%s' (runq, io, syscall, retransmits, resets, oom, crash, exec, open, security)",
				 word);
			return -EINVAL;
		}
		if (sscanf(arg, "%3s %31s", op, dur) != 2 || strcmp(op, ">") || parse_duration(dur, &r->threshold)) {
			snprintf(err, errlen, "expected '%s > DUR', like '%s > 250ms'", word, word);
			return -EINVAL;
		}
		r->type = RULE_THRESHOLD;
		if (bind(r, thresholds[i].kind, thresholds[i].f0, thresholds[i].f1, err, errlen))
			return -EINVAL;
	}
	t->watched |= 1ULL << r->kind;
	t->n++;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The first "quoted" string of ARGS (the path of an open), or ARGS itself. */
static const char *first_quoted(const char *args, char *buf, size_t cap)
{
	const char *q = strchr(args, '"'), *e;

	if (!q || !(e = strchr(q + 1, '"')) || (size_t)(e - q) > cap)
		return args;
	memcpy(buf, q + 1, (size_t)(e - q - 1));
	buf[e - q - 1] = '\0';
	return buf;
}

static int matches(const struct trigger_rule *r, const struct fr_kind_desc *k, const void *rec)
{
	char a[512], b[512];

	switch (r->type) {
	case RULE_THRESHOLD: {
		uint64_t sum = 0;
		for (int i = 0; i < r->nfields; i++)
			sum += (uint64_t)fr_field_int(&k->fields[r->field[i]], rec);
		return sum > r->threshold;
	}
	case RULE_CRASH: {
		int64_t sig = fr_field_int(&k->fields[k->id == r->alt_kind ? r->alt_field : r->field[0]], rec);
		return sig == 11 || sig == 7 || sig == 4 || sig == 8 || sig == 6; /* SEGV BUS ILL FPE ABRT */
	}
	case RULE_MATCH:
		if (r->nfields == 0)
			return 1; /* any record of the kind (oom) */
		fr_field_text(&k->fields[r->field[0]], rec, a, sizeof(a));
		if (r->text_field >= 0) { /* open: only the open family of calls */
			fr_field_text(&k->fields[r->text_field], rec, b, sizeof(b));
			if (strncmp(b, "open", 4))
				return 0;
			return fnmatch(r->pattern, a, 0) == 0 || fnmatch(r->pattern, first_quoted(a, b, sizeof(b)), 0) == 0;
		}
		if (r->nfields == 2) { /* exec: the comm or the file's base name; security: severity or kind */
			fr_field_text(&k->fields[r->field[1]], rec, b, sizeof(b));
			return fnmatch(r->pattern, a, 0) == 0 || fnmatch(r->pattern, base_name(b), 0) == 0;
		}
		return fnmatch(r->pattern, a, 0) == 0;
	default:
		return 0;
	}
}

/* RATE: add AMOUNT at TS; 1 when the sum within the window passes the threshold. */
static int rate_hit(struct trigger_rule *r, uint64_t ts, uint64_t amount)
{
	uint64_t sum = 0;
	unsigned i;

	r->hit_ts[r->hit_head] = ts;
	r->hit_n[r->hit_head] = amount;
	r->hit_head = (r->hit_head + 1) % RATE_SLOTS;
	if (r->hit_count < RATE_SLOTS)
		r->hit_count++;
	for (i = 0; i < r->hit_count; i++) {
		unsigned j = (r->hit_head + RATE_SLOTS - 1 - i) % RATE_SLOTS;
		/* records come roughly, not strictly, in time order: a hit may be later */
		if ((int64_t)(ts - r->hit_ts[j]) > (int64_t)r->per_ns)
			break;
		sum += r->hit_n[j];
	}
	/* Older hits than the window, or than the ring holds, no longer count. */
	r->hit_count = i;
	return sum > r->threshold;
}

static void describe(const struct fr_kind_desc *k, const void *rec, char *what, size_t cap)
{
	char buf[2048];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	const char *p;

	if (!f) {
		snprintf(what, cap, "%s record", k->name);
		return;
	}
	fr_record_print_text(f, k, rec);
	fclose(f);
	buf[sizeof(buf) - 1] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	/* drop the leading time: it is the trigger's, in the manifest already */
	p = strchr(buf, ' ');
	snprintf(what, cap, "%s", p ? p + 1 : buf);
}

const struct trigger_rule *triggers_check(struct triggers *t, const struct fr_kind_desc *k, const void *rec,
					  char *what, size_t cap)
{
	uint64_t ts = (uint64_t)fr_field_int(&k->fields[0], rec);

	for (int i = 0; i < t->n; i++) {
		struct trigger_rule *r = &t->rule[i];
		int fire;

		if (r->kind != k->id && (!r->alt_kind || r->alt_kind != k->id))
			continue;
		if (r->type == RULE_RATE) {
			uint64_t amount;
			if (r->nfields) {
				amount = (uint64_t)fr_field_int(&k->fields[r->field[0]], rec);
			} else {
				char b[128];
				fr_field_text(&k->fields[r->text_field], rec, b, sizeof(b));
				amount = strstr(b, r->pattern) ? 1 : 0;
			}
			fire = amount && rate_hit(r, ts, amount);
		} else {
			fire = matches(r, k, rec);
		}
		if (!fire)
			continue;
		if (r->last_fired && ts - r->last_fired < t->cooldown_ns) {
			r->suppressed++;
			continue;
		}
		r->last_fired = ts;
		r->fired++;
		r->hit_count = 0;
		describe(k, rec, what, cap);
		return r;
	}
	return NULL;
}
