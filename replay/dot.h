/*
 * dot.h - handlers of the dot-commands that live outside dotcmd.c (which
 * holds the table), and the helpers they share.
 */
#ifndef FR_REPLAY_DOT_H
#define FR_REPLAY_DOT_H

#include <stdint.h>

#include "db.h"

/* Prepare SQL, bind the N int64 values of ARGS to ?1..?N, print the rows. 0 or -1. */
int dot_query_i64(struct replay *r, const char *sql, const int64_t *args, int n);
/* The start of the loaded window (the smallest start_ns of the manifests, else the first record). */
int64_t dot_window_start(struct replay *r);
/* 1 when TABLE exists in the database. */
int dot_has_table(struct replay *r, const char *table);

/*
 * The sections of .summary that apply to the loaded tables, in order: FN
 * gets each heading and the SQL of its rows (NULL: the section says
 * "none").  .summary prints them, the HTML report makes tables of them.
 * 0, or -1 when FN failed for any section (the others still run).
 */
typedef int (*summary_fn)(struct replay *r, const char *heading, const char *sql, void *ctx);
int summary_walk(struct replay *r, summary_fn fn, void *ctx);

/*
 * A call that failed only because it was asked not to wait: a non-blocking
 * connect under way (EINPROGRESS), a non-blocking read, write or accept
 * with nothing to do (EAGAIN).  Event loops make thousands of them.
 */
#define WOULD_BLOCK_SQL                                                                                            \
	"((name = 'connect' AND error = 'EINPROGRESS') OR (error IN ('EAGAIN', 'EWOULDBLOCK') AND name IN"        \
	" ('read', 'readv', 'recvfrom', 'recvmsg', 'recvmmsg', 'write', 'writev', 'sendto', 'sendmsg',"         \
	" 'sendmmsg', 'accept', 'accept4')))"

/*
 * A slow call that waited on a pipe or a terminal (syscalls.fd_kind, 1.4): for a writer or a person.
 * replay/summary_tally.c makes this test and WOULD_BLOCK_SQL's in C, with the same lists: change both.
 */
#define BY_DESIGN_SQL "coalesce(fd_kind IN ('pipe', 'tty'), 0)"

int dot_timeline(struct replay *r, int argc, char **argv);
int dot_around(struct replay *r, int argc, char **argv);
int dot_procs(struct replay *r, int argc, char **argv);
int dot_tree(struct replay *r, int argc, char **argv);
int dot_follow(struct replay *r, int argc, char **argv);
int dot_summary(struct replay *r, int argc, char **argv);
int dot_export(struct replay *r, int argc, char **argv);
int dot_slow(struct replay *r, int argc, char **argv);
int dot_top(struct replay *r, int argc, char **argv);
int dot_conns(struct replay *r, int argc, char **argv);
int dot_peers(struct replay *r, int argc, char **argv);
int dot_report(struct replay *r, int argc, char **argv);
int dot_flame(struct replay *r, int argc, char **argv);

#endif
