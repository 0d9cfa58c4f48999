/*
 * stack_text.h - the frames text of a stack record (schema/records.def,
 * kind stack) and its id, shared by the CPU samples, the crash stacks and
 * the off-CPU stacks of the profile family.
 */
#ifndef FR_STACK_TEXT_H
#define FR_STACK_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Append frame text F (N bytes) to BUF (LEN of CAP used), after a ';';
 * returns the new length.  An address in no known file that repeats the
 * frame before it is left out: a frame pointer that points at itself
 * (code without frame pointers left the register to other uses) would
 * fill the stack with it.
 */
size_t stack_text_append(char *buf, size_t len, size_t cap, const char *f, size_t n);

/* The id of frames text P (N bytes): a hash, never 0 (0 is no stack). */
uint64_t stack_text_id(const char *p, size_t n);

#endif
