/*
 * timearg.h - parsing the TIME and DUR arguments of dot-commands.
 */
#ifndef FR_REPLAY_TIMEARG_H
#define FR_REPLAY_TIMEARG_H

#include <stdint.h>

/* DUR ("250ms", "5s", a bare number of seconds) into ns; 0 or -1. */
int parse_dur_ns(const char *s, int64_t *ns);
/* TIME (UTC, time of day, +/-DUR from WINDOW_START, or raw ns) into Unix ns; 0 or -1. */
int parse_time_ns(const char *s, int64_t window_start, int64_t *ns);

#endif
