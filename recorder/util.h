/*
 * util.h - small helpers of the recorder: parsing durations and sizes,
 * clocks, durable file operations.
 */
#ifndef FR_UTIL_H
#define FR_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define NSEC_PER_SEC 1000000000ULL

/*
 * Parse a duration: an integer or decimal with a unit ns, us, ms, s, m, h, d
 * ("250ms", "5m", "1.5s"); a bare number is seconds.  0 or -EINVAL.
 */
int parse_duration(const char *s, uint64_t *ns);
/* Parse a size: bytes with an optional K, M, G, T suffix (powers of 1024). */
int parse_size(const char *s, uint64_t *bytes);
/* "1.5 GiB" into BUF. */
void format_size(uint64_t bytes, char *buf, size_t cap);

uint64_t now_boot_ns(void);
uint64_t now_real_ns(void);
/*
 * A pair of readings of CLOCK_BOOTTIME and CLOCK_REALTIME taken as close
 * together as we can: the real-time reading is bracketed by two boot-time
 * readings and paired with their midpoint.
 */
void clock_pair(uint64_t *boot, uint64_t *real);

/* write() all of BUF, retrying short writes and EINTR; 0 or -errno. */
int write_full(int fd, const void *buf, size_t len);
/* mkdir with MODE unless it exists as a directory; 0 or -errno. */
int mkdir_mode(const char *path, unsigned mode);
/* fsync the directory holding PATH (after a rename or unlink in it). */
int fsync_parent(const char *path);

/* Bytes json_quote() may need for a string of N bytes: each may become \u00XX, and two quotes. */
#define JSON_QUOTED_MAX(n) (6 * (n) + 3)
/*
 * S as a JSON string literal, quotes included, into OUT (CAP bytes, NUL
 * terminated): '"' and '\\' escaped, control characters as \u00XX.  Cut
 * short where CAP ends, never inside an escape, and still closed by its
 * quote.  The one JSON escaper of the recorder: manifests, status,
 * descriptions.  Returns the length written.
 */
size_t json_quote(char *out, size_t cap, const char *s);

#endif
