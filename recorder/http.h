/*
 * http.h - HTTP/1.x exchanges from the first bytes of socket reads and
 * writes (struct fr_http_msg, see bpf/http_event.bpf.h): the parser of
 * request and status lines, and the tracker that pairs a request with the
 * response that follows on the same connection into http records.
 */
#ifndef FR_HTTP_H
#define FR_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "flightrec.h"
#include "http_event.bpf.h"

/* A request unanswered this long gets its row with status 0. */
#define HTTP_TIMEOUT_NS (30ULL * 1000 * 1000 * 1000)
/* Requests waiting for their response, in all processes. */
#define HTTP_PENDING_MAX 16384

/*
 * DATA (N bytes) starts with a request line: METHOD SP TARGET [SP
 * HTTP/1.x]; the target may be cut by the end of the capture.  Fills
 * METHOD (METHOD_CAP) and PATH (PATH_CAP) and returns 1, or returns 0.
 */
int http_parse_request(const char *data, size_t n, char *method, size_t method_cap, char *path, size_t path_cap);
/*
 * DATA (N bytes) starts with a status line HTTP/1.x SP DDD: returns 1
 * with *STATUS, and *LENGTH set to the Content-Length header when one is
 * among the captured headers (else left alone); 0 when it is not one.
 */
int http_parse_response(const char *data, size_t n, unsigned *status, uint64_t *length);

struct http_tracker;
typedef void (*http_emit_fn)(void *ctx, const struct fr_http *r);

struct http_tracker *http_new(void);
void http_free(struct http_tracker *t);
/* One message from the ring; EMIT gets each row it completes. */
void http_observe(struct http_tracker *t, const struct fr_http_msg *m, http_emit_fn emit, void *ctx);
/* Rows (status 0) for requests waiting since before NOW - HTTP_TIMEOUT_NS; ALL: every one. */
void http_expire(struct http_tracker *t, uint64_t now, int all, http_emit_fn emit, void *ctx);
/* Requests dropped because HTTP_PENDING_MAX were waiting. */
uint64_t http_lost(const struct http_tracker *t);

#endif
