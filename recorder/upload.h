/*
 * upload.h - hand each finished archive to a user command (--upload-cmd),
 * in a child of its own, without ever waiting for it in the recorder's loop.
 *
 * The command is a shell fragment; the archive's path is appended as one
 * quoted argument: `/bin/sh -c 'CMD "$1"' sh PATH`, so a path is never
 * split or expanded whatever it holds.  The child first verifies the
 * archive (checksums and CRCs, as `flightrec verify`), then runs CMD with
 * stdin and stdout on /dev/null and stderr on a pipe whose first line is
 * logged.  A command running longer than --upload-timeout is killed with
 * its process group.  The archive is never deleted here, whatever the
 * outcome: retention (--max-snapshots) stays the only thing that removes it.
 */
#ifndef FR_UPLOAD_H
#define FR_UPLOAD_H

#include <stdint.h>
#include <sys/types.h>

#define UPLOADS_MAX 8 /* running at once; more are refused and counted failed */

struct upload_job {
	pid_t pid;        /* 0: slot free */
	int err_fd;       /* read end of the command's stderr */
	uint64_t started; /* boot ns */
	int killed;       /* sent SIGKILL: for running too long, or at shutdown */
	char path[4400];
	char first[256]; /* first line of its stderr */
	size_t nfirst;
	int line_done; /* the first line is complete */
};

struct uploads {
	const char *cmd;     /* NULL: no uploads */
	uint64_t timeout_ns; /* 0: no bound */
	uint64_t ok, failed;
	struct upload_job jobs[UPLOADS_MAX];
};

/* Start the command for the archive at PATH.  0, or -errno (counted failed). */
int uploads_start(struct uploads *u, const char *path);
/* Drain stderr pipes and kill commands past their time; call about once a second. */
void uploads_tick(struct uploads *u, uint64_t now_boot);
/* A child exited: log and count it.  1 if it was an upload. */
int uploads_reap(struct uploads *u, pid_t pid, int status);
/* Commands still running. */
int uploads_running(const struct uploads *u);
/* At shutdown: wait at most GRACE_NS for the running commands, then kill them. */
void uploads_finish(struct uploads *u, uint64_t grace_ns);

#endif
