/*
 * options.c - the option table of `flightrec record`, its command-line and
 * config-file parsers.  Every option is one row: its long name (also its
 * config key), a setter that validates the value, what a valid value looks
 * like (for the error message) and its help line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "redact.h"
#include "util.h"

struct opt {
	const char *name;
	int shortopt;    /* 0 when none */
	const char *arg; /* NULL for a flag */
	int (*set)(struct record_opts *o, const char *val);
	const char *expect;
	const char *help;
};

static int set_dir(struct record_opts *o, const char *v)
{
	if (!*v || strlen(v) >= sizeof(o->dir_buf) - 64)
		return -EINVAL;
	snprintf(o->dir_buf, sizeof(o->dir_buf), "%s", v);
	o->dir = o->dir_buf;
	return 0;
}

static int set_size_min(uint64_t *dst, const char *v, uint64_t min, uint64_t max)
{
	uint64_t x;

	if (parse_size(v, &x) || x < min || x > max)
		return -EINVAL;
	*dst = x;
	return 0;
}

static int set_duration_min(uint64_t *dst, const char *v, uint64_t min)
{
	uint64_t x;

	if (parse_duration(v, &x) || x < min)
		return -EINVAL;
	*dst = x;
	return 0;
}

static int set_max_disk(struct record_opts *o, const char *v)
{
	return set_size_min(&o->store.max_disk, v, 1 << 20, UINT64_MAX);
}

static int set_segment_size(struct record_opts *o, const char *v)
{
	return set_size_min(&o->store.segment_size, v, 64 << 10, 1ULL << 40);
}

static int set_segment_age(struct record_opts *o, const char *v)
{
	return set_duration_min(&o->store.segment_age_ns, v, NSEC_PER_SEC);
}

static int set_snapshot_before(struct record_opts *o, const char *v)
{
	return set_duration_min(&o->snap_before, v, 0);
}

static int set_snapshot_after(struct record_opts *o, const char *v)
{
	return set_duration_min(&o->snap_after, v, 0);
}

static int set_max_snapshots(struct record_opts *o, const char *v)
{
	char *end;
	unsigned long long x = strtoull(v, &end, 10);

	if (!*v || *end || *v == '-')
		return -EINVAL;
	o->max_snapshots = x;
	return 0;
}

static int set_max_snapshot_disk(struct record_opts *o, const char *v)
{
	return set_size_min(&o->max_snapshot_disk, v, 0, UINT64_MAX);
}

static int set_trigger(struct record_opts *o, const char *v)
{
	return triggers_add(&o->triggers, v, o->err, sizeof(o->err));
}

static int set_trigger_cooldown(struct record_opts *o, const char *v)
{
	return set_duration_min(&o->triggers.cooldown_ns, v, 0);
}

static int set_redact(struct record_opts *o, const char *v)
{
	return redact_parse(v, &o->redact, o->err, sizeof(o->err));
}

static int set_runq_threshold(struct record_opts *o, const char *v)
{
	return set_duration_min(&o->probe.runq_threshold_ns, v, 0);
}

/* --profile-hz: 1 to 1000 samples a second per CPU. */
static int set_profile_hz(struct record_opts *o, const char *v)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10);

	if (!*v || *end || *v == '-' || x < 1 || x > 1000)
		return -EINVAL;
	o->probe.profile_hz = (uint32_t)x;
	return 0;
}

/* --offcpu-threshold: 1ms or more (shorter sleeps are too many to send each), or off. */
static int set_offcpu_threshold(struct record_opts *o, const char *v)
{
	if (!strcmp(v, "off")) {
		o->probe.offcpu_threshold_ns = 0;
		return 0;
	}
	return set_duration_min(&o->probe.offcpu_threshold_ns, v, NSEC_PER_SEC / 1000);
}

static int set_func_threshold(struct record_opts *o, const char *v)
{
	return set_duration_min(&o->probe.func_threshold_ns, v, 0);
}

static int set_ring_size(struct record_opts *o, const char *v)
{
	uint64_t x;

	if (set_size_min(&x, v, 4096, 1ULL << 30) || (x & (x - 1)))
		return -EINVAL;
	o->ring_size = x;
	return 0;
}

static int set_syscalls(struct record_opts *o, const char *v)
{
	static const char *const modes[] = { "off", "audit", "summary", "all" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(v, modes[i])) {
			o->probe.syscalls = i; /* SYSCALLS_OFF ... SYSCALLS_ALL */
			return 0;
		}
	return -EINVAL;
}

static int set_syscall_latency(struct record_opts *o, const char *v)
{
	if (!strcmp(v, "blocking") || !strcmp(v, "all")) {
		o->probe.syscall_latency_all = !strcmp(v, "all");
		return 0;
	}
	return -EINVAL;
}

static int set_audit_rows(struct record_opts *o, const char *v)
{
	if (!strcmp(v, "fold") || !strcmp(v, "each")) {
		o->probe.audit_each = !strcmp(v, "each");
		return 0;
	}
	return -EINVAL;
}

static int set_slow_syscall(struct record_opts *o, const char *v)
{
	return set_duration_min(&o->probe.slow_syscall_ns, v, 0);
}

static int set_upload_cmd(struct record_opts *o, const char *v)
{
	if (!*v || strlen(v) >= sizeof(o->upload_cmd_buf))
		return -EINVAL;
	snprintf(o->upload_cmd_buf, sizeof(o->upload_cmd_buf), "%s", v);
	o->upload_cmd = o->upload_cmd_buf;
	return 0;
}

static int set_upload_timeout(struct record_opts *o, const char *v)
{
	return set_duration_min(&o->upload_timeout_ns, v, 0);
}

/*
 * --probes LIST: NAME turns family NAME on, -NAME off, +NAME on.  A list
 * that starts with a bare name attaches only the families named; one that
 * starts with -NAME or +NAME changes the default set (all but the opt-in
 * families, such as http).  The uprobe family stays on unless named with a
 * minus: it loads nothing without --uprobe, and one who gives --uprobe
 * wants it.
 */
static int set_probes(struct record_opts *o, const char *v)
{
	char buf[512], *save = NULL, *tok;
	unsigned off = probes_default_off();
	int first = 1;

	if (!*v || strlen(v) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), first = 0) {
		int neg = *tok == '-', i;
		const char *name = tok + (*tok == '-' || *tok == '+');

		if ((i = probes_family_index(name)) < 0) {
			snprintf(o->err, sizeof(o->err), "unknown probe family '%s' (expected %s)", name,
				 probes_family_names());
			return -EINVAL;
		}
		if (first && *tok != '-' && *tok != '+')
			off = ~0u & ~(1u << probes_family_index("uprobe"));
		if (neg)
			off |= 1u << i;
		else
			off &= ~(1u << i);
	}
	o->probe.families_off = off;
	return 0;
}

/* --uprobe BINARY:SYMBOL, repeatable. */
static int set_uprobe(struct record_opts *o, const char *v)
{
	const char *colon = strrchr(v, ':');
	struct uprobe_spec *u;

	if (o->probe.nuprobes >= UPROBES_MAX) {
		snprintf(o->err, sizeof(o->err), "at most %d uprobes", UPROBES_MAX);
		return -EINVAL;
	}
	u = &o->probe.uprobes[o->probe.nuprobes];
	if (!colon || colon == v || !colon[1] || (size_t)(colon - v) >= sizeof(u->binary) ||
	    strlen(colon + 1) >= sizeof(u->symbol))
		return -EINVAL;
	snprintf(u->binary, sizeof(u->binary), "%.*s", (int)(colon - v), v);
	snprintf(u->symbol, sizeof(u->symbol), "%s", colon + 1);
	o->probe.nuprobes++;
	return 0;
}

static int set_cri_root(struct record_opts *o, const char *v)
{
	if (!*v || strlen(v) >= sizeof(o->cri_root_buf))
		return -EINVAL;
	snprintf(o->cri_root_buf, sizeof(o->cri_root_buf), "%s", v);
	o->cri_root = o->cri_root_buf;
	return 0;
}

/* --sensitive-path GLOB, repeatable: added to the built-in list (security.c). */
static int set_sensitive_path(struct record_opts *o, const char *v)
{
	return security_add_path(&o->security, v, o->err, sizeof(o->err));
}

static int set_verbose(struct record_opts *o, const char *v)
{
	o->verbose = 1;
	return 0;
}

static int set_config(struct record_opts *o, const char *v)
{
	return 0; /* read before everything else, in options_parse() */
}

/*
 * What SIGHUP can change while recording: how to copy an option's effect
 * from a freshly parsed NEXT into the running CUR.  An option not listed
 * here (the directory, what the BPF programs were loaded with) takes
 * effect at the next start.
 */
static void apply_store(struct record_opts *cur, const struct record_opts *next)
{
	cur->store = next->store;
}

static void apply_window(struct record_opts *cur, const struct record_opts *next)
{
	cur->snap_before = next->snap_before;
	cur->snap_after = next->snap_after;
}

static void apply_snapdir(struct record_opts *cur, const struct record_opts *next)
{
	cur->max_snapshots = next->max_snapshots;
	cur->max_snapshot_disk = next->max_snapshot_disk;
}

/* A rule kept as it was keeps its cooldown and its recent hits. */
static void apply_triggers(struct record_opts *cur, const struct record_opts *next)
{
	struct triggers t = next->triggers;

	for (int i = 0; i < t.n; i++)
		for (int j = 0; j < cur->triggers.n; j++)
			if (!strcmp(t.rule[i].text, cur->triggers.rule[j].text)) {
				t.rule[i] = cur->triggers.rule[j];
				break;
			}
	cur->triggers = t;
}

static void apply_redact(struct record_opts *cur, const struct record_opts *next)
{
	cur->redact = next->redact;
}

static void apply_security(struct record_opts *cur, const struct record_opts *next)
{
	cur->security = next->security;
}

static const struct opt opts[] = {
	{ "dir", 'd', "DIR", set_dir, "a directory path", "where the log lives (default " FR_DEFAULT_DIR ")" },
	{ "config", 'c', "FILE", set_config, "a file", "read options from FILE (key = value lines)" },
	{ "max-disk", 0, "SIZE", set_max_disk, "a size of at least 1M, like 2G", "disk budget for the log (default 1G)" },
	{ "segment-size", 0, "SIZE", set_segment_size, "a size of at least 64K, like 64M",
	  "rotate segments at this size (default 64M)" },
	{ "segment-age", 0, "DUR", set_segment_age, "a duration of at least 1s, like 1h",
	  "rotate segments at this age (default 1h)" },
	{ "snapshot-before", 0, "DUR", set_snapshot_before, "a duration like 5m",
	  "window before a SIGUSR1 trigger (default 5m)" },
	{ "snapshot-after", 0, "DUR", set_snapshot_after, "a duration like 10s",
	  "window after a SIGUSR1 trigger (default 10s)" },
	{ "max-snapshots", 0, "N", set_max_snapshots, "a count, 0 for no bound",
	  "keep at most N archives in DIR/snapshots (default 100)" },
	{ "max-snapshot-disk", 0, "SIZE", set_max_snapshot_disk, "a size like 2G, 0 for no bound",
	  "keep DIR/snapshots within SIZE (default 2G)" },
	{ "trigger", 't', "EXPR", set_trigger, "a rule such as 'runq > 250ms', 'crash' or 'exec nc'",
	  "take a snapshot when EXPR holds (repeatable; see flightrec(8))" },
	{ "trigger-cooldown", 0, "DUR", set_trigger_cooldown, "a duration like 1m",
	  "at most one snapshot per rule within DUR (default 1m)" },
	{ "redact", 0, "LIST", set_redact, "argv, paths, addrs, comma-separated",
	  "hide these in every archive behind keyed hashes" },
	{ "ring-size", 0, "SIZE", set_ring_size, "a power of two between 4K and 1G",
	  "BPF ring buffer size (default 8M)" },
	{ "syscalls", 0, "MODE", set_syscalls, "off, audit, summary or all",
	  "system calls: audit set only, + per-second counts and failed/slow calls (summary, default), or every call" },
	{ "slow-syscall", 0, "DUR", set_slow_syscall, "a duration like 10ms, 0 for none",
	  "summary: record each call at least this slow (default 10ms)" },
	{ "syscall-latency", 0, "WHICH", set_syscall_latency, "blocking or all",
	  "summary: time the calls that can block (default), or every call (costs more)" },
	{ "audit-rows", 0, "HOW", set_audit_rows, "fold or each",
	  "audit rows: identical repeats within a second folded into one row with a count (default), or a row each" },
	{ "runq-threshold", 0, "DUR", set_runq_threshold, "a duration like 5ms",
	  "a runq row for each wait for a CPU longer than DUR (default 5ms)" },
	{ "upload-cmd", 0, "CMD", set_upload_cmd, "a shell command, like 'cp -t /mnt/bucket'",
	  "run `sh -c 'CMD \"$1\"' sh ARCHIVE` on each verified archive, in the background" },
	{ "upload-timeout", 0, "DUR", set_upload_timeout, "a duration like 10m, 0 for no bound",
	  "kill an upload command running longer than DUR (default 10m)" },
	{ "probes", 0, "LIST", set_probes, "family names, comma-separated, -NAME to leave one out, +NAME to add one",
	  "attach only these probe families (process,sched), all but some (-net,-block), or more (+http, off by default)" },
	{ "uprobe", 0, "BINARY:SYMBOL", set_uprobe, "BINARY:SYMBOL, like /usr/sbin/nginx:ngx_http_handler",
	  "count and time the calls of a function (repeatable, at most 16): func_stats, funcs" },
	{ "func-threshold", 0, "DUR", set_func_threshold, "a duration like 10ms",
	  "a funcs row for each uprobed call at least DUR long (default 10ms)" },
	{ "profile-hz", 0, "HZ", set_profile_hz, "a number of samples a second from 1 to 1000",
	  "profile: sample each CPU's stack HZ times a second (default 49)" },
	{ "offcpu-threshold", 0, "DUR", set_offcpu_threshold, "a duration of at least 1ms, like 100ms, or off",
	  "profile: the stack of each sleep at least DUR long, user and kernel (default 100ms)" },
	{ "cri-root", 0, "DIR", set_cri_root, "a directory path",
	  "pod names and namespaces from DIR/NAMESPACE_POD_UID (default /var/log/pods)" },
	{ "sensitive-path", 0, "GLOB", set_sensitive_path, "a glob like /etc/ssl/private/*",
	  "also report opens of paths matching GLOB as security signals (repeatable)" },
	{ "verbose", 'v', NULL, set_verbose, "", "print libbpf's messages" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

typedef void apply_fn(struct record_opts *cur, const struct record_opts *next);
static const struct {
	const char *name;
	apply_fn *apply;
} live[] = {
	{ "max-disk", apply_store },        { "segment-size", apply_store },      { "segment-age", apply_store },
	{ "snapshot-before", apply_window }, { "snapshot-after", apply_window },  { "max-snapshots", apply_snapdir },
	{ "max-snapshot-disk", apply_snapdir }, { "trigger", apply_triggers }, { "trigger-cooldown", apply_triggers },
	{ "redact", apply_redact },         { "sensitive-path", apply_security },
};

static apply_fn *live_apply(const char *name)
{
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (!strcmp(live[i].name, name))
			return live[i].apply;
	return NULL;
}
_Static_assert(NOPTS <= OPTIONS_MAX, "raise OPTIONS_MAX in options.h");

void options_usage(FILE *out)
{
	fprintf(out, "usage: flightrec record [OPTIONS]\n"
		     "\n"
		     "Record what the host does into a rolling, LZ4-compressed log under DIR/log.\n"
		     "SIGUSR1 or `flightrec snapshot` freezes a window of it into DIR/snapshots;\n"
		     "SIGHUP reads the config file again (flightrec(8) says what applies at once).\n"
		     "\n");
	for (size_t i = 0; i < NOPTS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "%c%c%c --%s%s%s", opts[i].shortopt ? '-' : ' ',
			 opts[i].shortopt ? opts[i].shortopt : ' ', opts[i].shortopt ? ',' : ' ', opts[i].name,
			 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		fprintf(out, "  %-30s %s\n", left, opts[i].help);
	}
	fprintf(out, "  %-30s %s\n", "-h, --help", "this help");
	fprintf(out, "\nEvery long option is also a config-file key: `max-disk = 2G`.\n");
}

static const struct opt *find_opt(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

void options_defaults(struct record_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dir = FR_DEFAULT_DIR;
	o->store.max_disk = 1ULL << 30;
	o->store.segment_size = 64ULL << 20;
	o->store.segment_age_ns = 3600 * NSEC_PER_SEC;
	o->snap_before = 300 * NSEC_PER_SEC;
	o->snap_after = 10 * NSEC_PER_SEC;
	o->ring_size = 8ULL << 20;
	o->max_snapshots = 100;
	o->max_snapshot_disk = 2ULL << 30;
	o->triggers.cooldown_ns = 60 * NSEC_PER_SEC;
	o->probe.runq_threshold_ns = 5 * NSEC_PER_SEC / 1000;
	o->probe.profile_hz = 49;
	o->probe.offcpu_threshold_ns = 100 * NSEC_PER_SEC / 1000;
	o->probe.func_threshold_ns = 10 * NSEC_PER_SEC / 1000;
	o->probe.syscalls = SYSCALLS_SUMMARY;
	o->probe.families_off = probes_default_off();
	o->probe.slow_syscall_ns = 10 * NSEC_PER_SEC / 1000;
	o->upload_timeout_ns = 600 * NSEC_PER_SEC;
	o->cri_root = "/var/log/pods";
}

/*
 * Remember VAL as given for option I, after the values given before it
 * (a repeated option, a key in the file and on the command line), so that
 * a reload can tell which options changed.  Out of memory, it forgets the
 * option: a reload then reports it changed.
 */
static void note_given(struct record_opts *o, size_t i, const char *val)
{
	char *old = o->given[i], *s;

	if (asprintf(&s, "%s%s%s", old ? old : "", old ? "\n" : "", val) < 0)
		s = NULL;
	free(old);
	o->given[i] = s;
}

void options_free(struct record_opts *o)
{
	for (size_t i = 0; i < OPTIONS_MAX; i++) {
		free(o->given[i]);
		o->given[i] = NULL;
	}
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int options_read_config(FILE *f, const char *path, struct record_opts *o, char *msg, size_t cap)
{
	char line[4096];
	int lineno = 0, ret = 0;

	while (fgets(line, sizeof(line), f)) {
		char *key, *val, *eq;
		const struct opt *opt;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(msg, cap, "%s:%d: line too long", path, lineno);
			ret = -EINVAL;
			break;
		}
		key = trim(line);
		if (!*key || *key == '#')
			continue;
		if (!(eq = strchr(key, '='))) {
			snprintf(msg, cap, "%s:%d: expected 'key = value'", path, lineno);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		opt = find_opt(key);
		if (!opt || opt->set == set_config) {
			snprintf(msg, cap, "%s:%d: unknown key '%s'", path, lineno, key);
			ret = -EINVAL;
			break;
		}
		if (!opt->arg) {
			if (strcmp(val, "true") && strcmp(val, "yes") && strcmp(val, "1") && strcmp(val, "false") &&
			    strcmp(val, "no") && strcmp(val, "0")) {
				snprintf(msg, cap, "%s:%d: invalid %s '%s': expected true or false", path, lineno, key, val);
				ret = -EINVAL;
				break;
			}
			if (val[0] == 't' || val[0] == 'y' || val[0] == '1')
				opt->set(o, val);
			note_given(o, (size_t)(opt - opts), val);
			continue;
		}
		o->err[0] = '\0';
		if (opt->set(o, val)) {
			snprintf(msg, cap, "%s:%d: invalid %s '%s': %s%s", path, lineno, key, val,
				 o->err[0] ? "" : "expected ", o->err[0] ? o->err : opt->expect);
			ret = -EINVAL;
			break;
		}
		note_given(o, (size_t)(opt - opts), val);
	}
	return ret;
}

/* Read the config file PATH; the first error goes to MSG as "FILE:LINE: what". */
static int parse_config(const char *path, struct record_opts *o, char *msg, size_t cap)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(msg, cap, "cannot read config file %s: %s", path, strerror(errno));
		return ret;
	}
	ret = options_read_config(f, path, o, msg, cap);
	fclose(f);
	return ret;
}

/* QUIET: a config file's error only in o->err (a reload reports it its way). */
static int parse(int argc, char **argv, struct record_opts *o, int quiet)
{
	struct option longopts[NOPTS + 2];
	char msg[sizeof(o->err)];
	char shortopts[2 * NOPTS + 3];
	size_t ns = 0;
	int c;

	options_defaults(o);
	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].arg ? required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 256 + (int)i;
		if (opts[i].shortopt) {
			shortopts[ns++] = (char)opts[i].shortopt;
			if (opts[i].arg)
				shortopts[ns++] = ':';
		}
	}
	longopts[NOPTS] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[NOPTS + 1] = (struct option){ 0 };
	shortopts[ns++] = 'h';
	shortopts[ns] = '\0';

	/* The config file first, so that the command line overrides it. */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
		if (c == 'c' || (c >= 256 && opts[c - 256].set == set_config))
			o->config = optarg;
	if (o->config && parse_config(o->config, o, msg, sizeof(msg))) {
		if (!quiet)
			fprintf(stderr, "flightrec: %s\n", msg);
		snprintf(o->err, sizeof(o->err), "%s", msg);
		return -EINVAL;
	}

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct opt *opt = NULL;

		if (c == 'h') {
			options_usage(stdout);
			return 1;
		}
		if (c >= 256)
			opt = &opts[c - 256];
		else
			for (size_t i = 0; i < NOPTS; i++)
				if (opts[i].shortopt == c)
					opt = &opts[i];
		if (!opt) {
			options_usage(stderr);
			return -EINVAL;
		}
		o->err[0] = '\0';
		if (opt->set(o, optarg ? optarg : "")) {
			fprintf(stderr, "flightrec: record: invalid --%s '%s': %s%s\n", opt->name, optarg,
				o->err[0] ? "" : "expected ", o->err[0] ? o->err : opt->expect);
			return -EINVAL;
		}
		note_given(o, (size_t)(opt - opts), optarg ? optarg : "1");
	}
	if (optind < argc) {
		fprintf(stderr, "flightrec: record: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	/* A segment is the unit of retention: several must fit the budget. */
	if (o->store.segment_size > o->store.max_disk / 4)
		o->store.segment_size = o->store.max_disk / 4;
	o->probe.ring_size = (uint32_t)o->ring_size;
	return 0;
}

int options_parse(int argc, char **argv, struct record_opts *o)
{
	return parse(argc, argv, o, 0);
}

/* Append NAME to the comma-separated LIST of CAP bytes. */
static void list_add(char *list, size_t cap, const char *name)
{
	size_t n = strlen(list);

	snprintf(list + n, cap - n, "%s%s", n ? ", " : "", name);
}

int options_reload(int argc, char **argv, struct record_opts *cur, char *applied, char *restart, size_t cap)
{
	struct record_opts *next = malloc(sizeof(*next));
	apply_fn *done[NOPTS];
	size_t ndone = 0;

	applied[0] = restart[0] = '\0';
	if (!next) {
		snprintf(cur->err, sizeof(cur->err), "out of memory");
		return -ENOMEM;
	}
	if (parse(argc, argv, next, 1)) {
		snprintf(cur->err, sizeof(cur->err), "%s", next->err);
		options_free(next);
		free(next);
		return -EINVAL;
	}
	for (size_t i = 0; i < NOPTS; i++) {
		const char *a = cur->given[i], *b = next->given[i];
		apply_fn *apply = live_apply(opts[i].name);
		size_t j;

		if (opts[i].set == set_config || (a && b && !strcmp(a, b)) || (!a && !b))
			continue;
		if (!apply) {
			list_add(restart, cap, opts[i].name);
			continue;
		}
		list_add(applied, cap, opts[i].name);
		for (j = 0; j < ndone && done[j] != apply; j++)
			;
		if (j == ndone) {
			apply(cur, next);
			done[ndone++] = apply;
		}
		/* What runs now is what was given; a restart-only option keeps its old text. */
		free(cur->given[i]);
		cur->given[i] = next->given[i];
		next->given[i] = NULL;
	}
	options_free(next);
	free(next);
	return 0;
}
