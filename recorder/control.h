/*
 * control.h - the recorder's control socket, DIR/control.sock (mode 0600,
 * root only: the peer's credentials are checked with SO_PEERCRED).
 *
 * Protocol: one request line, one reply line, both text.
 *   snapshot BEFORE_NS AFTER_NS WAIT REDACT REASON  ->  ok PATH | queued | error MSG
 *   status [json]                            ->  ok TEXT... | ok {json}
 */
#ifndef FR_CONTROL_H
#define FR_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define CONTROL_LINE_MAX 1024

struct control_req {
	enum { CTL_SNAPSHOT, CTL_STATUS } op;
	uint64_t before_ns, after_ns;
	int wait;
	int json; /* status as one JSON line, else as text lines */
	unsigned redact; /* REDACT_* classes for this snapshot */
	char reason[128];
};

/*
 * Listen on PATH (replacing a stale socket), of any length: one longer than
 * sun_path is bound through its directory.  Returns the fd, or -errno with
 * the reason in ERR.
 */
int control_listen(const char *path, char *err, size_t errlen);
/*
 * Accept one connection, check it is root's and read its request.  Returns
 * the connection fd with REQ filled, or -errno after replying an error
 * line (refused peer, malformed request) and closing it.
 */
int control_accept(int lfd, struct control_req *req);
/* Parse one request line; 0 or -EINVAL with a message in ERR. */
int control_parse(const char *line, struct control_req *req, char *err, size_t errlen);

/* Client side: connect to PATH (of any length), send LINE, read the whole reply into REPLY. */
int control_call(const char *path, const char *line, char *reply, size_t cap, char *err, size_t errlen);

#endif
