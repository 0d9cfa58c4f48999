/*
 * redact.h - redaction of archives for sharing outside the team.
 *
 * `--redact=argv,paths,addrs` replaces the values of the fields of those
 * classes, in every record kind (the process table included), by keyed
 * hashes: "~" and 16 hex digits of HMAC-SHA256 under a key drawn at random
 * for each archive.  The same value hashes the same throughout one archive,
 * so joins still work, but cannot be guessed from or matched against
 * another archive.  Which fields are of which class is decided by their
 * names in records.def (redact.c).
 */
#ifndef FR_REDACT_H
#define FR_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define REDACT_ARGV 0x1
#define REDACT_PATHS 0x2
#define REDACT_ADDRS 0x4

struct redactor {
	unsigned mask;
	uint8_t key[32];
};

/* "argv,paths,addrs" (any subset, or "none") into *MASK; 0 or -EINVAL with ERR. */
int redact_parse(const char *spec, unsigned *mask, char *err, size_t errlen);
/* The classes of MASK as a JSON array: ["argv", "paths"]. */
void redact_describe(unsigned mask, char *buf, size_t cap);
/* A redactor for MASK with a fresh random key. */
int redactor_init(struct redactor *r, unsigned mask);
/* Replace the redacted fields of REC (a struct of kind K) in place. */
void redact_record(const struct redactor *r, const struct fr_kind_desc *k, void *rec);

#endif
