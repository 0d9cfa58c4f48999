/*
 * stack_text.c - building the frames text of a stack record and its id
 * (stack_text.h; the format is kind stack in schema/records.def).
 */
#include <string.h>

#include "stack_text.h"

size_t stack_text_append(char *buf, size_t len, size_t cap, const char *f, size_t n)
{
	size_t prev = len;

	while (prev > 0 && buf[prev - 1] != ';')
		prev--;
	if (len && !strncmp(f, "u:", 2) && len - prev == n && !memcmp(buf + prev, f, n))
		return len;
	if (len + n + 2 > cap)
		return len;
	if (len)
		buf[len++] = ';';
	memcpy(buf + len, f, n);
	len += n;
	buf[len] = '\0';
	return len;
}

/* FNV-1a: the same frames give the same id in every record and recorder. */
uint64_t stack_text_id(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h ? h : 1;
}
