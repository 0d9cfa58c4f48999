/*
 * symbols.h - the frames of sampled stacks: as written in stack records,
 * and as the names of the symbols.txt member of an archive.
 *
 * A user frame the kernel gives as a build id and a file offset, or as a
 * bare address when it could not read the build id; a kernel frame as an
 * address.  symbols_user_frame() turns either into the frame text of a
 * stack record (schema/records.def, kind stack), learning from
 * /proc/PID/maps which file each mapping is (cached per process: the
 * process may be gone when a snapshot is written) and loading that file's
 * function symbols (.symtab and .dynsym, or its debug file under
 * /usr/lib/debug/.build-id) the first time one of its frames is seen.
 * Files are opened through /proc/PID/map_files, or /proc/PID/root, so a
 * container's binaries are its own.  symbols_member() then names the
 * frames of a window (kernel frames from /proc/kallsyms) for the archive
 * writer; the format is in schema/FORMAT.md, "symbols.txt".
 */
#ifndef FR_SYMBOLS_H
#define FR_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct symbols;
struct bpf_stack_build_id;

struct symbols *symbols_new(void);
void symbols_free(struct symbols *s);

/*
 * The text of user frame F of process PID into BUF (at most CAP bytes
 * with the NUL): b:BUILDID+OFF, p:PATH+OFF or u:ADDR.  CALLER: F is a
 * return address, so the offset written is that of the byte before it
 * (inside the call): a call that ends a function is named after that
 * function, not the next one.  Returns the length written.
 */
size_t symbols_user_frame(struct symbols *s, uint32_t pid, const struct bpf_stack_build_id *f, int caller, char *buf,
			  size_t cap);
/* The same for a user frame given as an address (no build id). */
size_t symbols_user_ip(struct symbols *s, uint32_t pid, uint64_t ip, int caller, char *buf, size_t cap);
/* The text of kernel frame ADDR: k:ADDR (minus one for a CALLER). */
size_t symbols_kernel_frame(uint64_t addr, int caller, char *buf, size_t cap);

/*
 * Learn the file EXE that process PID runs (from its exec record): a crash
 * event comes when the process is already gone, too late to read its maps,
 * and its binary's frames are then found by build id among the files
 * learned so.
 */
void symbols_learn_exe(struct symbols *s, uint32_t pid, const char *exe);
/* Learn the files process PID maps now (the recorder's own: the libc most processes share). */
void symbols_learn_pid(struct symbols *s, uint32_t pid);
/*
 * Where kernel function NAME lies, [*START, *END), from /proc/kallsyms: 0,
 * or -ENOENT when it is not there or addresses are hidden.  Reads all of
 * kallsyms: for a family's open, not for each event.
 */
int symbols_kernel_function(struct symbols *s, const char *name, uint64_t *start, uint64_t *end);
/* The function of frame F (a frame text) into BUF, "" when it has none. */
void symbols_frame_name(struct symbols *s, const char *f, char *buf, size_t cap);

/* Once a second: forget the maps of processes unseen for a minute. */
void symbols_sweep(struct symbols *s, uint64_t now_boot);

/*
 * Note the frames of a stack record (its frames text) as used in a
 * window; then symbols_member() makes symbols.txt of every noted frame
 * it can name, and of the modules they are in, into *OUT (malloc'd) and
 * *LEN.  0 or -ENOMEM.  Called in the snapshot's child: it may take its
 * time (reading /proc/kallsyms).
 */
int symbols_note(struct symbols *s, const char *frames);
int symbols_member(struct symbols *s, char **out, size_t *len);

#endif
