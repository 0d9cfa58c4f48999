/*
 * security.h - security signals: records of kind `security` derived in the
 * recorder from the records the probes send, by a table of rules in
 * security.c.  A privilege gained (a set-uid or file-capability exec, a
 * set*uid call to uid 0), a sensitive file opened (--sensitive-path), a
 * namespace or mount change (a container escape when it comes from inside
 * a container), a ptrace attach, a kernel module load, a bpf() program
 * load.  The rows come in addition to the syscall and exec records they
 * are read from; README.md ("Security signals") lists the rules.
 *
 * To tell who a process was before a call (its uid, its container), the
 * classifier keeps a table of live processes fed by the exec, fork, exit
 * and proc records.  `--probes=-security` turns it off; it is listed as a
 * family (with no BPF object) so that --probes can name it.
 */
#ifndef FR_SECURITY_H
#define FR_SECURITY_H

#include <stdint.h>

#include "flightrec.h"

#define SECURITY_PATHS_MAX 64
#define SECURITY_PATH_LEN 256

/* --sensitive-path: globs added to the built-in list (fnmatch(3), no flags: '*' spans '/'). */
struct security_opts {
	char paths[SECURITY_PATHS_MAX][SECURITY_PATH_LEN];
	int npaths;
};

struct security;

typedef void (*security_emit_fn)(void *ctx, const struct fr_security *r);

/* A classifier using the globs of OPTS (read at each match: a reload may change them); NULL when out of memory. */
struct security *security_new(const struct security_opts *opts);
void security_free(struct security *s);
/* Add GLOB to OPTS; -EINVAL with a reason in ERR when it is empty, too long or one too many. */
int security_add_path(struct security_opts *opts, const char *glob, char *err, size_t errlen);
/*
 * Look at record REC of KIND (exec, fork, exit, proc, syscall; others are
 * ignored), after the recorder completed it (an exec's container), and
 * call EMIT for each security record it gives.  S may be NULL (turned off).
 */
void security_observe(struct security *s, unsigned kind, const void *rec, security_emit_fn emit, void *ctx);
/* Forget every process: the table is rebuilt from the proc records of a new segment. */
void security_reset(struct security *s);

#endif
