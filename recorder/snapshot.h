/*
 * snapshot.h - pending snapshots: a window [trigger - before, trigger + after]
 * waits until its end has passed, then a child process writes its archive
 * while the recorder keeps draining the ring buffer.  Segments the window
 * needs are pinned against retention until the archive is written.
 */
#ifndef FR_SNAPSHOT_H
#define FR_SNAPSHOT_H

#include <stdint.h>
#include <sys/types.h>

#include "archive_write.h"

#define SNAP_CLIENTS_MAX 8

struct snap_req {
	struct window_spec win;
	uint64_t pin_seq;
	int clients[SNAP_CLIENTS_MAX]; /* control connections waiting for the path */
	int nclients;
	pid_t pid;       /* the child writing it, 0 before */
	int result_fd;   /* read end of the child's result pipe */
	struct snap_req *next;
};

struct snapshots {
	struct snap_req *head; /* in trigger order */
	uint64_t written, failed;
	char last_path[4400];
	/* called with the path of each archive written, after its rename */
	void (*on_written)(void *ctx, const char *path);
	void *written_ctx;
};

/* Queue a window; CLIENT (or -1) gets "ok PATH" or "error MSG" when done. */
int snapshots_add(struct snapshots *s, const struct window_spec *w, uint64_t pin_seq, int client);
/* Smallest pin of all pending windows, UINT64_MAX when none. */
uint64_t snapshots_pin(const struct snapshots *s);
/* The oldest window whose end has passed and that no child writes yet. */
struct snap_req *snapshots_due(struct snapshots *s, uint64_t now_boot);
/* Start a child writing R's archive with JOB (whose win is R's). 0 or -errno. */
int snapshots_start(struct snapshots *s, struct snap_req *r, const struct archive_job *job);
/* Write R's archive in this process (at shutdown), reply and drop it. */
void snapshots_run_now(struct snapshots *s, struct snap_req *r, const struct archive_job *job);
/* A child exited: reply to its clients and drop its request.  1 if it was ours. */
int snapshots_reap(struct snapshots *s, pid_t pid, int status);
/* Any child still writing? */
int snapshots_running(const struct snapshots *s);
void snapshots_free(struct snapshots *s);

#endif
