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

#endif
