/*
 * strbuf.h - a growing, NUL-terminated byte buffer: SQL built from the
 * record descriptors, the frames text of a stack, a ClickHouse request or
 * answer.  Out of memory sets oom once and later appends do nothing, so a
 * builder checks once at its end.
 */
#ifndef FR_STRBUF_H
#define FR_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *p; /* NUL-terminated once anything was put; NULL before */
	size_t len, cap;
	int oom;
};

void strbuf_put(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text, the caller's to free; NULL (the buffer freed) when memory ran out. */
char *strbuf_finish(struct strbuf *b);
void strbuf_free(struct strbuf *b);

#endif
