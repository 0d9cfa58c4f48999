/* sha256.h - SHA-256 for the SHA256SUMS member of archives (FIPS 180-4). */
#ifndef FR_SHA256_H
#define FR_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Finish and write the digest as 64 lowercase hex digits and a NUL into HEX. */
void sha256_hex(struct sha256 *s, char hex[65]);

#endif
