/*
 * test_security.c - the security classifier (recorder/security.c) on
 * records built by hand: each rule fires on its call and arguments and
 * not on its neighbours; set*uid to 0 only from a process that was not
 * root; execs by what the kernel said of their credentials; the container
 * of a process through exec, fork and the process table; and the table of
 * processes through thousands of forks and exits (its deletions move
 * entries back, the one subtle part).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bpf/syscall_abi.bpf.h"
#include "security.h"
#include "tap.h"

/* The x86_64 numbers of the audit set, as the syscall family records them. */
#define X(name, nr) { #name, nr },
static const struct {
	const char *name;
	uint32_t nr;
} nrs[] = { SC_AUDIT_CALLS(X) };
#undef X

static uint32_t nr_of(const char *name)
{
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (!strcmp(nrs[i].name, name))
			return nrs[i].nr;
	return 511;
}

#define CID "5ec05ec05ec05ec05ec05ec05ec05ec05ec05ec05ec05ec05ec05ec05ec05ec0"

static struct fr_security last;
static int nrows;

static void collect(void *ctx, const struct fr_security *r)
{
	last = *r;
	nrows++;
}

/* Feed a syscall row; returns the rows it gave (the last in `last`). */
static int call(struct security *s, uint32_t pid, uint32_t uid, const char *name, const char *args, int64_t ret,
		const char *error)
{
	struct fr_syscall c;

	memset(&c, 0, sizeof(c));
	c.head.kind = FR_KIND_syscall;
	c.ts = 1000;
	c.pid = c.tid = pid;
	c.uid = uid;
	snprintf(c.comm, sizeof(c.comm), "comm%u", pid);
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.nr = nr_of(name);
	snprintf(c.args, sizeof(c.args), "%s", args);
	c.ret = ret;
	snprintf(c.error, sizeof(c.error), "%s", error);
	snprintf(c.reason, sizeof(c.reason), "audit");
	nrows = 0;
	memset(&last, 0, sizeof(last));
	security_observe(s, FR_KIND_syscall, &c, collect, NULL);
	return nrows;
}

static void exec_(struct security *s, uint32_t pid, uint32_t uid, uint32_t euid, uint64_t caps, int secure,
		  const char *container)
{
	struct fr_exec e;

	memset(&e, 0, sizeof(e));
	e.head.kind = FR_KIND_exec;
	e.pid = pid;
	e.uid = uid;
	e.euid = euid;
	e.cap_effective = caps;
	e.secureexec = (uint8_t)secure;
	snprintf(e.comm, sizeof(e.comm), "x");
	snprintf(e.filename, sizeof(e.filename), "/usr/bin/x");
	snprintf(e.container, sizeof(e.container), "%s", container);
	nrows = 0;
	memset(&last, 0, sizeof(last));
	security_observe(s, FR_KIND_exec, &e, collect, NULL);
}

static void fork_(struct security *s, uint32_t ppid, uint32_t pid, uint32_t uid)
{
	struct fr_fork f = { .head.kind = FR_KIND_fork, .pid = pid, .ppid = ppid, .uid = uid };

	security_observe(s, FR_KIND_fork, &f, collect, NULL);
}

static void exit_(struct security *s, uint32_t pid)
{
	struct fr_exit x = { .head.kind = FR_KIND_exit, .pid = pid };

	security_observe(s, FR_KIND_exit, &x, collect, NULL);
}

static int is_row(const char *kind, const char *severity, const char *detail)
{
	return !strcmp(last.kind, kind) && !strcmp(last.severity, severity) && (!detail || !strcmp(last.detail, detail));
}

static void test_rules(struct security *s)
{
	ok(call(s, 10, 0, "openat", "path=\"/etc/shadow\" flags=O_RDONLY", 3, "") == 1 &&
		   is_row("sensitive_open", "medium", "call=openat path=\"/etc/shadow\" flags=O_RDONLY"),
	   "openat /etc/shadow - expect one sensitive_open row (got %d: %s)", nrows, last.detail);
	ok(call(s, 10, 1000, "open", "path=\"/etc/sudoers.d/x\" flags=O_RDONLY", -13, "EACCES") == 1 &&
		   is_row("sensitive_open", "medium", "call=open path=\"/etc/sudoers.d/x\" flags=O_RDONLY error=EACCES") &&
		   last.uid == 1000,
	   "open /etc/sudoers.d/x, failed - expect a row with error=EACCES and uid 1000 (got %s)", last.detail);
	ok(call(s, 10, 0, "openat", "path=\"/etc/shadowy\" flags=O_RDONLY", 3, "") == 0,
	   "openat /etc/shadowy - expect no row");
	ok(call(s, 10, 0, "openat", "dirfd=5 path=\"/etc/shadow\" flags=O_RDONLY", 3, "") == 0,
	   "openat under a dirfd - expect no row (not resolved)");
	ok(call(s, 10, 0, "openat", "path=\"/proc/1234/mem\" flags=O_RDWR", 3, "") == 1, "openat /proc/1234/mem - expect a row");
	ok(call(s, 10, 0, "openat", "path=\"/srv/keys/a b.pem\" flags=O_RDONLY", 3, "") == 0,
	   "openat /srv/keys/a b.pem without --sensitive-path - expect no row");
	ok(call(s, 10, 0, "unlink", "path=\"/etc/shadow\"", 0, "") == 0, "unlink /etc/shadow - expect no row (not an open)");
	ok(call(s, 10, 0, "ptrace", "request=SEIZE pid=77", 0, "") == 1 && is_row("ptrace", "high", NULL),
	   "ptrace SEIZE - expect a high ptrace row");
	ok(call(s, 10, 0, "ptrace", "request=ATTACH pid=77", 0, "") == 1, "ptrace ATTACH - expect a row");
	ok(call(s, 10, 0, "ptrace", "request=PEEKDATA pid=77", 0, "") == 0, "ptrace PEEKDATA - expect no row");
	ok(call(s, 10, 0, "finit_module", "fd=3 params=\"\"", 0, "") == 1 && is_row("module", "high", NULL),
	   "finit_module - expect a high module row");
	ok(call(s, 10, 0, "bpf", "cmd=PROG_LOAD prog_type=1 name=x", 5, "") == 1 && is_row("bpf", "medium", NULL),
	   "bpf PROG_LOAD - expect a medium bpf row");
	ok(call(s, 10, 0, "bpf", "cmd=MAP_LOOKUP_ELEM", 0, "") == 0, "bpf MAP_LOOKUP_ELEM - expect no row");
	ok(call(s, 10, 0, "unshare", "flags=CLONE_NEWNS", 0, "") == 1 && is_row("namespace", "medium", NULL),
	   "unshare on the host - expect a medium namespace row");
	ok(call(s, 10, 0, "mount", "source=\"x\" target=\"/mnt\" fstype=\"tmpfs\" flags=0x0", 0, "") == 1 &&
		   is_row("mount", "low", NULL),
	   "mount on the host - expect a low mount row");
	ok(call(s, 10, 0, "kill", "pid=1 sig=SIGTERM", 0, "") == 0, "kill - expect no row (no rule)");
	call(s, 10, 0, "openat", "path=\"/etc/shadow\" flags=O_RDONLY", 3, "");
	snprintf(last.kind, sizeof(last.kind), "none");
	{
		struct fr_syscall c = { .head.kind = FR_KIND_syscall, .pid = 10, .nr = SC_NR_openat };
		snprintf(c.name, sizeof(c.name), "openat");
		snprintf(c.args, sizeof(c.args), "path=\"/etc/shadow\" flags=O_RDONLY");
		snprintf(c.reason, sizeof(c.reason), "slow");
		nrows = 0;
		security_observe(s, FR_KIND_syscall, &c, collect, NULL);
		ok(nrows == 0, "a slow row of an open of /etc/shadow - expect no row (its audit row gave it)");
	}
}

static void test_setuid(struct security *s)
{
	fork_(s, 1, 20, 1000);
	ok(call(s, 20, 0, "setresuid", "ruid=0 euid=0 suid=0", 0, "") == 1 &&
		   is_row("privilege", "high", "call=setresuid ruid=0 euid=0 suid=0 from_uid=1000") && last.uid == 1000,
	   "setresuid(0, 0, 0) by uid 1000 - expect a high privilege row from uid 1000 (got %s)", last.detail);
	ok(call(s, 20, 0, "setuid", "uid=0", 0, "") == 0, "setuid(0) again, now root - expect no row");
	fork_(s, 1, 21, 1000);
	ok(call(s, 21, 1000, "setuid", "uid=0", -1, "EPERM") == 0, "a failed setuid(0) - expect no row");
	ok(call(s, 21, 1000, "setresuid", "ruid=-1 euid=1001 suid=-1", 0, "") == 0, "setresuid to 1001 - expect no row");
	ok(call(s, 21, 1000, "setreuid", "ruid=-1 euid=0", 0, "") == 1 &&
		   is_row("privilege", "high", "call=setreuid ruid=-1 euid=0 from_uid=1000"),
	   "setreuid(-1, 0) by uid 1000 - expect a row");
}

static void test_exec(struct security *s)
{
	exec_(s, 30, 65534, 0, 0x1ff, 1, "");
	ok(nrows == 1 && is_row("privilege", "high", "call=exec path=\"/usr/bin/x\" euid=0 cap_effective=0x1ff") &&
		   last.uid == 65534,
	   "set-uid root exec by 65534 - expect a high privilege row with uid 65534 (got %d: %s)", nrows, last.detail);
	exec_(s, 31, 1000, 1000, 0x2000, 1, "");
	ok(nrows == 1 && is_row("privilege", "medium", NULL), "file-capability exec by 1000 - expect a medium row");
	exec_(s, 32, 1000, 1000, 0, 1, "");
	ok(nrows == 0, "set-gid exec (secure, same euid, no caps) - expect no row");
	exec_(s, 33, 1000, 1000, 0x2000, 0, "");
	ok(nrows == 0, "ambient capabilities (not secure) - expect no row");
	exec_(s, 34, 0, 0, ~0ULL, 0, "");
	ok(nrows == 0, "root's exec - expect no row");
	exec_(s, 35, 0, 0, ~0ULL, 1, "");
	ok(nrows == 0, "root's exec of a set-uid root binary - expect no row");
	exec_(s, 36, 0, 1000, 0, 1, "");
	ok(nrows == 1 && is_row("privilege", "medium", NULL), "root's exec of a set-uid 1000 binary - expect a medium row");
}

static void test_containers(struct security *s)
{
	exec_(s, 40, 0, 0, 0, 0, CID);
	ok(call(s, 40, 0, "unshare", "flags=CLONE_NEWUSER", 0, "") == 1 && is_row("container_escape", "high", NULL) &&
		   !strcmp(last.container, CID),
	   "unshare in a container - expect a high container_escape row with its id");
	fork_(s, 40, 41, 0);
	ok(call(s, 41, 0, "openat", "path=\"/proc/1/root/etc/shadow\" flags=O_RDONLY", 3, "") == 1 &&
		   is_row("container_escape", "high", NULL) && !strcmp(last.container, CID),
	   "its forked child opens /proc/1/root/... - expect container_escape, the parent's container");
	ok(call(s, 41, 0, "openat", "path=\"/proc/1/rootfs\" flags=O_RDONLY", 3, "") == 0,
	   "/proc/1/rootfs - expect no row (not under /proc/1/root)");
	exec_(s, 41, 0, 0, 0, 0, "");
	ok(call(s, 41, 0, "unshare", "flags=CLONE_NEWUSER", 0, "") == 1 && is_row("namespace", "medium", NULL) &&
		   !last.container[0],
	   "after an exec outside containers - expect a namespace row without container");
	struct fr_proc p = { .head.kind = FR_KIND_proc, .pid = 42, .uid = 0 };
	snprintf(p.container, sizeof(p.container), "%s", CID);
	security_observe(s, FR_KIND_proc, &p, NULL, NULL);
	ok(call(s, 42, 0, "pivot_root", "new_root=\".\" put_old=\".\"", 0, "") == 1 &&
		   is_row("container_escape", "high", NULL),
	   "a process of the table in a container: pivot_root - expect container_escape");
	security_reset(s);
	ok(call(s, 42, 0, "pivot_root", "new_root=\".\" put_old=\".\"", 0, "") == 1 && is_row("mount", "low", NULL),
	   "after security_reset - expect it unknown: a host mount row");
}

/* Many processes come and go: those alive keep their uid, those gone are unknown. */
static void test_table(struct security *s)
{
	enum { N = 20000 };
	static uint32_t pids[N];
	uint32_t x = 12345;
	int wrong = 0, n = N;

	/* distinct pseudo-random pids below 4M: they collide in the table like real ones */
	for (int i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		pids[i] = ((x >> 8) % 4000000u) / N * N + (uint32_t)i + 1;
	}
	security_reset(s);
	for (int i = 0; i < n; i++)
		fork_(s, 1, pids[i], 0);
	for (int i = 1; i < n; i += 2)
		exit_(s, pids[i]);
	for (int i = 0; i < n; i++) {
		/* root known: no row; gone: unknown, a row */
		int rows = call(s, pids[i], 0, "setuid", "uid=0", 0, "");
		wrong += rows != (i % 2);
	}
	ok(wrong == 0, "the process table - %d forks, every other one exited, expect the live ones known (%d wrong)", n,
	   wrong);
}

int main(void)
{
	struct security_opts o = { 0 };
	struct security *s;
	char err[128];

	ok(security_add_path(&o, "/srv/keys/*", err, sizeof(err)) == 0, "security_add_path - /srv/keys/*, expect 0");
	ok(security_add_path(&o, "", err, sizeof(err)) < 0 && strstr(err, "glob"), "security_add_path - '', expect refused");
	s = security_new(&o);
	if (!ok(s != NULL, "security_new - expect a classifier"))
		return 1;
	ok(call(s, 10, 0, "openat", "path=\"/srv/keys/a b.pem\" flags=O_RDONLY", 3, "") == 1 &&
		   is_row("sensitive_open", "medium", NULL),
	   "openat /srv/keys/a b.pem with that glob - expect a row (a path with a space)");
	o.npaths = 0;
	test_rules(s);
	test_setuid(s);
	test_exec(s);
	test_containers(s);
	test_table(s);
	security_free(s);
	security_observe(NULL, FR_KIND_exec, &last, collect, NULL); /* turned off: nothing */
	tap_plan(tap_n);
	return tap_failed ? 1 : 0;
}
