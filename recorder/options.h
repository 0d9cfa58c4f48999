/*
 * options.h - the options of `flightrec record`, from the command line and
 * from a config file (`--config FILE`: `key = value` lines, `#` comments,
 * the keys being the long option names).  Both go through one table in
 * options.c: a new option is one row there and one field here.
 */
#ifndef FR_OPTIONS_H
#define FR_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "probes.h"
#include "security.h"
#include "store.h"
#include "triggers.h"

#define OPTIONS_MAX 64

struct record_opts {
	const char *dir;
	const char *config;
	struct store_opts store;
	uint64_t snap_before, snap_after;
	uint64_t max_snapshots, max_snapshot_disk; /* bounds of DIR/snapshots, 0: none */
	unsigned redact;           /* REDACT_* classes hidden in every archive */
	uint64_t ring_size;
	int verbose;
	struct probe_config probe; /* what the probe families record */
	struct triggers triggers;  /* --trigger rules and --trigger-cooldown */
	char err[256];             /* why a setter refused its value, when it knows better than the table */
	char dir_buf[4096];        /* storage for a dir read from the config file */
	const char *upload_cmd;    /* --upload-cmd, NULL when none */
	uint64_t upload_timeout_ns;
	char upload_cmd_buf[4096];
	char *given[OPTIONS_MAX];  /* per option, the values given ("\n"-joined), for options_reload() */
	const char *cri_root;      /* --cri-root: the kubelet's pod log directories */
	char cri_root_buf[4096];
	struct security_opts security; /* --sensitive-path globs */
};

/* Defaults, then the config file named by --config, then the command line. */
int options_parse(int argc, char **argv, struct record_opts *o);
void options_usage(FILE *out);
/*
 * SIGHUP: parse the command line again with the config file read anew,
 * and copy into CUR what changed among the options that apply while
 * recording.  Returns 0 with the changed options, comma-separated, in
 * APPLIED and in RESTART (those that take effect at the next start), or
 * -EINVAL with "FILE:LINE: what is wrong" in cur->err and CUR untouched.
 */
int options_reload(int argc, char **argv, struct record_opts *cur, char *applied, char *restart, size_t cap);
/* The defaults, before any file or argument. */
void options_defaults(struct record_opts *o);
/*
 * Read `key = value` lines from F (named PATH in messages) into O.  Returns
 * 0, or -EINVAL with the first error in MSG as "PATH:LINE: what is wrong".
 */
int options_read_config(FILE *f, const char *path, struct record_opts *o, char *msg, size_t cap);
/* Free what options_parse() allocated. */
void options_free(struct record_opts *o);

#endif
