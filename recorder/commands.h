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

#endif
