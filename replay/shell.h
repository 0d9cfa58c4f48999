/*
 * shell.h - the interactive loop: readline with history and completion
 * when standard input is a terminal, plain lines (a script) when not.
 */
#ifndef FR_REPLAY_SHELL_H
#define FR_REPLAY_SHELL_H

#include <stdio.h>

#include "db.h"

/* Read statements and dot-commands from IN until EOF or .quit; 0, or 1 if any failed. */
int shell_run(struct replay *r, FILE *in);
/*
 * Run the SQL and dot-commands of the file PATH, as a script on standard
 * input would run.  Returns 0, or -1 when PATH cannot be read or any of its
 * lines failed (each failure already printed).
 */
int shell_read_file(struct replay *r, const char *path);
/* The names of the dot-commands, for completion; NULL after the last. */
const char *replay_dot_name(size_t i);

#endif
