/*
 * frames.h - the names of stack frames: an archive's symbols.txt member
 * (schema/FORMAT.md, "symbols.txt"), read as untrusted input, and the
 * frames text of stack records turned into function names with it.
 */
#ifndef FR_REPLAY_FRAMES_H
#define FR_REPLAY_FRAMES_H

#include <sqlite3.h>
#include <stddef.h>

struct frame_names;

/*
 * Parse symbols.txt (LEN bytes of TEXT).  NULL with a one-line reason in
 * ERR when it is not one; malformed lines are skipped and counted in
 * *SKIPPED.
 */
struct frame_names *frame_names_parse(const char *text, size_t len, size_t *skipped, char *err, size_t errlen);
void frame_names_free(struct frame_names *fn);

/*
 * The frames text RAW (b:BUILDID+OFF;p:PATH+OFF;u:ADDR;k:ADDR, outermost
 * first) with each frame named from FN (may be NULL): its function, or
 * "[unknown] MODULE+0xOFF" when FN has no name for it.  malloc'd, NULL
 * when out of memory.
 */
char *frame_names_apply(const struct frame_names *fn, const char *raw);

/* leaf(FRAMES): the innermost frame of a frames text, for SQL. */
int frames_register_sql(sqlite3 *db);

#endif
