/* crc32c.h - CRC-32C (Castagnoli), the checksum of segment and block headers and payloads. */
#ifndef FR_CRC32C_H
#define FR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of LEN bytes, continuing from CRC (0 to start). */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
