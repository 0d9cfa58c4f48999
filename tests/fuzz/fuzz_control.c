/*
 * fuzz_control.c - libFuzzer target: the control socket's request parser,
 * given what control_accept() would read: at most CONTROL_LINE_MAX - 1
 * bytes, cut at the first newline.
 */
#include <stdint.h>
#include <string.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[CONTROL_LINE_MAX], err[128];
	struct control_req req;

	if (size > sizeof(line) - 1)
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (control_parse(line, &req, err, sizeof(err)) == 0 && strlen(req.reason) >= sizeof(req.reason))
		__builtin_trap();
	return 0;
}
