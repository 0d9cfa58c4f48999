/*
 * commands.h - the subcommands of flightrec, one cmd_NAME(argc, argv) each,
 * dispatched from the table in main.c.  Each returns the exit status.
 */
#ifndef FR_COMMANDS_H
#define FR_COMMANDS_H

#define FR_DEFAULT_DIR "/var/lib/flightrec"

int cmd_record(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_snapshots(int argc, char **argv);

#include <stddef.h>
/*
 * Is the archive at PATH whole and true to its manifest (cmd_verify.c)?
 * 0 with "ok, N records ..." in MSG, or -1 with the first problem.
 */
int archive_verify(const char *path, char *msg, size_t cap);

#endif
