/*
 * threads.h - how many threads the replay shell's parallel steps use.
 *
 * One per online CPU (sysconf), unless FLIGHTREC_REPLAY_THREADS says
 * otherwise: 1 makes every step serial, as a reference for tests and to
 * leave the other CPUs to something else.
 */
#ifndef FR_REPLAY_THREADS_H
#define FR_REPLAY_THREADS_H

/* The most threads a step starts, whatever the machine or the environment. */
#define REPLAY_THREADS_MAX 64

/* Threads for a parallel step: FLIGHTREC_REPLAY_THREADS, else the online CPUs; 1 to REPLAY_THREADS_MAX. */
unsigned replay_threads(void);

#endif
