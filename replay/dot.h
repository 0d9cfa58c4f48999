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
int dot_flame(struct replay *r, int argc, char **argv);

#endif
