/*
 * archive_write.h - freeze a time window of the log into a portable archive:
 * a POSIX pax tar holding MANIFEST.json, schema.sql, window.seg (only the
 * records inside the window, re-packed into blocks) and SHA256SUMS.
 * Layout: schema/FORMAT.md, "Archives".
 */
#ifndef FR_ARCHIVE_WRITE_H
#define FR_ARCHIVE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "flightrec.h"
#include "hostinfo.h"

struct symbols;

struct window_spec {
	uint64_t start_boot, end_boot; /* boot-time ns, inclusive */
	uint64_t trigger_boot;
	char reason[128];
	char trigger_type[16];     /* "signal", "command", "rule" */
	char trigger_detail[256];  /* the signal, the command's reason, the rule */
	char trigger_record[512];  /* a rule's triggering record, as `flightrec dump` prints it */
	uint32_t ntriggers;        /* triggers folded into this window (a burst makes one archive) */
	unsigned redact;           /* REDACT_* classes asked for by the trigger */
};

struct archive_job {
	const char *logdir;   /* DIR/log */
	const char *snapdir;  /* DIR/snapshots */
	const struct hostinfo *hi;
	const char *extra_json; /* recorder facts for the manifest: "\"probes\":[...],..." */
	unsigned redact;        /* REDACT_* classes to replace by keyed hashes */
	/* records known only to the recorder, such as the connections still
	 * open: written at the head of the window whatever their time */
	const struct fr_conn *open_conns;
	size_t nopen_conns;
	/* the frames of the profile family, named in symbols.txt; NULL: no such member */
	struct symbols *symbols;
	struct window_spec win;
};

/*
 * Write the archive of JOB under job->snapdir, first under a temporary name,
 * then fsync'd and renamed.  Returns 0 with its path in PATH, or -errno with
 * a one-line reason in ERR (and no file left behind).
 */
int archive_write_window(const struct archive_job *job, char *path, size_t pathcap, char *err, size_t errlen);

/* HOST-YYYYMMDDTHHMMSSZ-REASON.tar with only [A-Za-z0-9._-] into BUF. */
void archive_name(const char *host, uint64_t real_ns, const char *reason, char *buf, size_t cap);

#endif
