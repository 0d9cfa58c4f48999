/*
 * security.c - the security classifier: a table of rules over the audit
 * rows of the syscall family, one rule over exec records, and the table of
 * live processes the rules consult (uid before a call, container).
 *
 * A rule sees a syscall row only when the syscall family records the call
 * (its audit set, in every --syscalls mode but off), with the arguments
 * decoded in BPF (bpf/syscall.bpf.c): paths are matched as the caller gave
 * them, so a relative path or one under a dirfd is not recognised.  Failed
 * calls count too (an attempt on /etc/shadow is news), with error=ERRNO in
 * the detail, except for set*uid: a failed one changed nothing.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bpf/syscall_abi.bpf.h"
#include "security.h"

/* Always sensitive; --sensitive-path adds to these. */
static const char *const default_paths[] = {
	"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d/*",
	"/etc/ssh/ssh_host_*key", "/root/.ssh/*", "/proc/*/mem", "/dev/mem", "/dev/kmem", "/dev/port",
	"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
	"/var/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/crio/crio.sock",
	"/etc/kubernetes/pki/*",
};
#define NDEFAULT (sizeof(default_paths) / sizeof(default_paths[0]))

/* A live process: pid 0 marks a free slot. */
struct proc_entry {
	uint32_t pid;
	uint32_t uid;          /* real uid, as of its last record */
	const char *container; /* interned; NULL outside containers */
};

struct security {
	const struct security_opts *opts;
	struct proc_entry *procs; /* open addressing, linear probing */
	size_t cap, n;            /* cap a power of two, n < cap / 2 */
	char **containers;        /* distinct container ids of the table, freed by security_reset() */
	size_t ncontainers, containers_cap;
};

/* --- the process table ------------------------------------------------------ */

static size_t slot_of(const struct security *s, uint32_t pid)
{
	size_t i = (pid * 2654435761u) & (s->cap - 1);

	while (s->procs[i].pid && s->procs[i].pid != pid)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static struct proc_entry *proc_find(struct security *s, uint32_t pid)
{
	struct proc_entry *e = &s->procs[slot_of(s, pid)];

	return e->pid ? e : NULL;
}

static int grow(struct security *s)
{
	struct proc_entry *old = s->procs;
	size_t oldcap = s->cap;
	struct proc_entry *nw = calloc(oldcap * 2, sizeof(*nw));

	if (!nw)
		return -ENOMEM;
	s->procs = nw;
	s->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].pid)
			s->procs[slot_of(s, old[i].pid)] = old[i];
	free(old);
	return 0;
}

/* The entry of PID, added when new; NULL when out of memory (the process stays unknown). */
static struct proc_entry *proc_get(struct security *s, uint32_t pid)
{
	struct proc_entry *e;

	if (!pid)
		return NULL;
	if ((e = proc_find(s, pid)))
		return e;
	if ((s->n + 1) * 2 > s->cap && grow(s))
		return NULL;
	e = &s->procs[slot_of(s, pid)];
	e->pid = pid;
	e->uid = 0;
	e->container = NULL;
	s->n++;
	return e;
}

/* Remove PID, moving back the entries of its probe run (no tombstones). */
static void proc_del(struct security *s, uint32_t pid)
{
	size_t i = slot_of(s, pid), j = i;

	if (!s->procs[i].pid)
		return;
	s->procs[i].pid = 0;
	s->n--;
	for (;;) {
		size_t home;
		j = (j + 1) & (s->cap - 1);
		if (!s->procs[j].pid)
			return;
		home = (s->procs[j].pid * 2654435761u) & (s->cap - 1);
		/* move J back to I unless its home lies cyclically in (I, J] */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			s->procs[i] = s->procs[j];
			s->procs[j].pid = 0;
			i = j;
		}
	}
}

/* The one copy of container id ID; NULL for "" or out of memory. */
static const char *intern(struct security *s, const char *id)
{
	char *c;

	if (!id[0])
		return NULL;
	for (size_t i = 0; i < s->ncontainers; i++)
		if (!strcmp(s->containers[i], id))
			return s->containers[i];
	if (s->ncontainers == s->containers_cap) {
		size_t cap = s->containers_cap ? s->containers_cap * 2 : 16;
		char **v = realloc(s->containers, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->containers = v;
		s->containers_cap = cap;
	}
	if (!(c = strdup(id)))
		return NULL;
	s->containers[s->ncontainers++] = c;
	return c;
}

struct security *security_new(const struct security_opts *opts)
{
	struct security *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->opts = opts;
	s->cap = 1024;
	s->procs = calloc(s->cap, sizeof(*s->procs));
	if (!s->procs) {
		free(s);
		return NULL;
	}
	return s;
}

void security_reset(struct security *s)
{
	if (!s)
		return;
	memset(s->procs, 0, s->cap * sizeof(*s->procs));
	s->n = 0;
	for (size_t i = 0; i < s->ncontainers; i++)
		free(s->containers[i]);
	s->ncontainers = 0;
}

void security_free(struct security *s)
{
	if (!s)
		return;
	security_reset(s);
	free(s->containers);
	free(s->procs);
	free(s);
}

int security_add_path(struct security_opts *opts, const char *glob, char *err, size_t errlen)
{
	if (!*glob || strlen(glob) >= SECURITY_PATH_LEN) {
		snprintf(err, errlen, "expected a glob of 1 to %d bytes, like /etc/ssl/private/*", SECURITY_PATH_LEN - 1);
		return -EINVAL;
	}
	if (opts->npaths >= SECURITY_PATHS_MAX) {
		snprintf(err, errlen, "at most %d sensitive paths", SECURITY_PATHS_MAX);
		return -EINVAL;
	}
	snprintf(opts->paths[opts->npaths++], SECURITY_PATH_LEN, "%s", glob);
	return 0;
}

/* --- reading decoded arguments ---------------------------------------------------- */

/*
 * The value of KEY in ARGS (KEY=VALUE separated by spaces, paths quoted)
 * into BUF, unquoted; 0 when ARGS has no KEY.  A quoted value ends at the
 * first quote followed by a space or the end (paths are not escaped).
 */
static int arg_value(const char *args, const char *key, char *buf, size_t cap)
{
	size_t klen = strlen(key), n;
	const char *p = args, *v, *e;

	for (;;) {
		if (!(p = strstr(p, key)))
			return 0;
		if ((p == args || p[-1] == ' ') && p[klen] == '=')
			break;
		p += klen;
	}
	v = p + klen + 1;
	if (*v == '"') {
		v++;
		for (e = v; *e && !(e[0] == '"' && (e[1] == ' ' || e[1] == '\0')); e++)
			;
	} else {
		e = v + strcspn(v, " ");
	}
	n = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 1;
}

/* ARGS sets some uid to 0 (keys KEY..., "-1" leaves one unchanged). */
static int sets_uid0(const char *args)
{
	static const char *const keys[] = { "uid", "ruid", "euid", "suid" };
	char v[32];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (arg_value(args, keys[i], v, sizeof(v)) && !strcmp(v, "0"))
			return 1;
	return 0;
}

static int sensitive(const struct security *s, const char *path)
{
	for (size_t i = 0; i < NDEFAULT; i++)
		if (!fnmatch(default_paths[i], path, 0))
			return 1;
	for (int i = 0; s->opts && i < s->opts->npaths; i++)
		if (!fnmatch(s->opts->paths[i], path, 0))
			return 1;
	return 0;
}

/* --- the rules ---------------------------------------------------------------------- */

/* What a rule decided: the kind and severity of the row, or kind NULL for none. */
struct verdict {
	const char *kind;
	const char *severity;
	uint32_t uid;        /* the uid column; the caller's by default */
	char extra[64];      /* appended to the detail */
};

typedef void rule_fn(const struct security *s, const struct fr_syscall *c, const struct proc_entry *p,
		     struct verdict *v);

/* open family: a sensitive path, or the host's root seen through /proc/1/root from a container. */
static void rule_open(const struct security *s, const struct fr_syscall *c, const struct proc_entry *p,
		      struct verdict *v)
{
	char path[sizeof(c->args)], dirfd[16];

	/* relative to a directory fd: where it points is not known here */
	if (!arg_value(c->args, "path", path, sizeof(path)) || arg_value(c->args, "dirfd", dirfd, sizeof(dirfd)))
		return;
	if (p && p->container && !strncmp(path, "/proc/1/root", 12) && (path[12] == '/' || !path[12])) {
		v->kind = "container_escape";
		v->severity = "high";
	} else if (sensitive(s, path)) {
		v->kind = "sensitive_open";
		v->severity = "medium";
	}
}

/* set*uid to 0 by a process whose real uid was not 0: it becomes root. */
static void rule_setuid(const struct security *s, const struct fr_syscall *c, const struct proc_entry *p,
			struct verdict *v)
{
	if (c->ret != 0 || !sets_uid0(c->args) || (p && p->uid == 0))
		return;
	v->kind = "privilege";
	v->severity = "high";
	if (p) {
		v->uid = p->uid;
		snprintf(v->extra, sizeof(v->extra), " from_uid=%u", p->uid);
	}
}

static void rule_ptrace(const struct security *s, const struct fr_syscall *c, const struct proc_entry *p,
			struct verdict *v)
{
	if (!strncmp(c->args, "request=ATTACH ", 15) || !strncmp(c->args, "request=SEIZE ", 14)) {
		v->kind = "ptrace";
		v->severity = "high";
	}
}

static void rule_module(const struct security *s, const struct fr_syscall *c, const struct proc_entry *p,
			struct verdict *v)
{
	v->kind = "module";
	v->severity = "high";
}

/* bpf(): what puts code in the kernel or attaches it; map reads and lookups are routine. */
static void rule_bpf(const struct security *s, const struct fr_syscall *c, const struct proc_entry *p,
		     struct verdict *v)
{
	static const char *const cmds[] = { "PROG_LOAD", "PROG_ATTACH", "RAW_TRACEPOINT_OPEN", "LINK_CREATE",
					     "BTF_LOAD" };
	char cmd[32];

	if (!arg_value(c->args, "cmd", cmd, sizeof(cmd)))
		return;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i])) {
			v->kind = "bpf";
			v->severity = "medium";
		}
}

/* Namespaces: from inside a container, a way out; on the host, worth a row. */
static void rule_namespace(const struct security *s, const struct fr_syscall *c, const struct proc_entry *p,
			   struct verdict *v)
{
	v->kind = p && p->container ? "container_escape" : "namespace";
	v->severity = p && p->container ? "high" : "medium";
}

/* Mounts: the host mounts all day (systemd, container runtimes). */
static void rule_mount(const struct security *s, const struct fr_syscall *c, const struct proc_entry *p,
		       struct verdict *v)
{
	v->kind = p && p->container ? "container_escape" : "mount";
	v->severity = p && p->container ? "high" : "low";
}

/* The rule of call NR (x86_64, as the syscall family records it), NULL for most. */
static rule_fn *rule_of(uint32_t nr)
{
	switch (nr) {
	case SC_NR_open: case SC_NR_openat: case SC_NR_openat2: case SC_NR_creat:
		return rule_open;
	case SC_NR_setuid: case SC_NR_setreuid: case SC_NR_setresuid:
		return rule_setuid;
	case SC_NR_ptrace:
		return rule_ptrace;
	case SC_NR_init_module: case SC_NR_finit_module:
		return rule_module;
	case SC_NR_bpf:
		return rule_bpf;
	case SC_NR_unshare: case SC_NR_setns:
		return rule_namespace;
	case SC_NR_mount: case SC_NR_pivot_root:
		return rule_mount;
	}
	return NULL;
}

static void fill(struct fr_security *r, uint64_t ts, uint32_t pid, uint32_t uid, const char *comm, const char *kind,
		 const char *severity, const struct proc_entry *p)
{
	memset(r, 0, sizeof(*r));
	r->head.kind = FR_KIND_security;
	r->head.size = sizeof(*r);
	r->ts = ts;
	r->pid = pid;
	r->uid = uid;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->severity, sizeof(r->severity), "%s", severity);
	if (p && p->container)
		snprintf(r->container, sizeof(r->container), "%s", p->container);
}

/*
 * Every syscall row comes here (with --syscalls=all, every call): most
 * leave at the switch of rule_of() without a string compared.  Error and
 * slow rows repeat what the audit row of the same call said.
 */
static void on_syscall(struct security *s, const struct fr_syscall *c, security_emit_fn emit, void *ctx)
{
	rule_fn *rule = rule_of(c->nr);
	struct verdict v = { .uid = c->uid };
	struct proc_entry *p;
	struct fr_security r;

	if (!rule || c->reason[0] == 'e' || c->reason[0] == 's')
		return;
	p = proc_find(s, c->pid);
	rule(s, c, p, &v);
	if (v.kind) {
		fill(&r, c->ts, c->pid, v.uid, c->comm, v.kind, v.severity, p);
		snprintf(r.detail, sizeof(r.detail), "call=%s %s%s%s%s", c->name, c->args, v.extra,
			 c->error[0] ? " error=" : "", c->error);
		emit(ctx, &r);
	}
	/* a set*uid changes who the process is for its next call (exec records say it too) */
	if (rule == rule_setuid && c->ret == 0 && (p || (p = proc_get(s, c->pid))))
		p->uid = c->uid;
}

/*
 * An exec the kernel ran in secure mode (set-uid, set-gid, file
 * capabilities) that changed the effective uid, or gave a process that is
 * not root effective capabilities.  A set-gid exec alone is not reported.
 */
static void on_exec(struct security *s, const struct fr_exec *e, security_emit_fn emit, void *ctx)
{
	struct proc_entry *p = proc_get(s, e->pid);
	struct fr_security r;

	if (p) {
		p->uid = e->uid;
		p->container = intern(s, e->container);
	}
	if (!e->secureexec || (e->euid == e->uid && (e->uid == 0 || e->cap_effective == 0)))
		return;
	fill(&r, e->ts, e->pid, e->uid, e->comm, "privilege", e->euid == 0 ? "high" : "medium", p);
	snprintf(r.detail, sizeof(r.detail), "call=exec path=\"%s\" euid=%u cap_effective=0x%llx",
		 e->exe[0] ? e->exe : e->filename, e->euid, (unsigned long long)e->cap_effective);
	emit(ctx, &r);
}

void security_observe(struct security *s, unsigned kind, const void *rec, security_emit_fn emit, void *ctx)
{
	struct proc_entry *p, *parent;

	if (!s)
		return;
	switch (kind) {
	case FR_KIND_syscall:
		on_syscall(s, rec, emit, ctx);
		break;
	case FR_KIND_exec:
		on_exec(s, rec, emit, ctx);
		break;
	case FR_KIND_fork: {
		const struct fr_fork *f = rec;
		const char *container = (parent = proc_find(s, f->ppid)) ? parent->container : NULL;
		if ((p = proc_get(s, f->pid))) {
			p->uid = f->uid;
			p->container = container;
		}
		break;
	}
	case FR_KIND_exit:
		proc_del(s, ((const struct fr_exit *)rec)->pid);
		break;
	case FR_KIND_proc: {
		const struct fr_proc *pr = rec;
		if ((p = proc_get(s, pr->pid))) {
			p->uid = pr->uid;
			p->container = intern(s, pr->container);
		}
		break;
	}
	}
}
