/*
 * record.h - descriptors of the record kinds and their on-disk codec.
 *
 * The descriptors are generated from records.def; the encoder, the decoder,
 * the SQL DDL, the replay loader and the dump printers all walk them, so no
 * other file knows the fields of a kind.  Layout: FORMAT.md, "Records".
 */
#ifndef FR_RECORD_H
#define FR_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "flightrec.h"

enum fr_type { FR_TS, FR_U8, FR_U16, FR_U32, FR_U64, FR_S32, FR_S64, FR_STR, FR_STRV };

struct fr_field {
	const char *name;
	const char *doc;
	enum fr_type type;
	uint16_t offset;     /* offset in the struct */
	uint16_t size;       /* sizeof the member */
	uint16_t len_offset; /* STRV: offset of the NAME_len member */
	uint16_t minor;      /* format minor version that appended it: its doc ends "(1.N)"; 0 for 1.0 */
};

struct fr_kind_desc {
	unsigned id;
	const char *name;  /* "exec" */
	const char *table; /* "proc_exec" */
	const char *doc;
	const struct fr_field *fields;
	unsigned nfields;
	size_t struct_size;
};

/* Bytes before each record's payload: u16 kind, u16 payload length. */
#define FR_RECORD_FRAME 4
/* Largest in-memory struct of any kind (bounds decode buffers). */
#define FR_RECORD_STRUCT_MAX 16384

extern const struct fr_kind_desc fr_kinds[];
extern const unsigned fr_nkinds;

/* Descriptor of kind ID, or NULL when this build does not know it. */
const struct fr_kind_desc *fr_kind_by_id(unsigned id);
/* Descriptor of kind NAME ("exec"), or NULL. */
const struct fr_kind_desc *fr_kind_by_name(const char *name);
/* The index of K's field NAME in k->fields, -1 when it has none (its SQL column in a store: the index + 1). */
int fr_field_index(const struct fr_kind_desc *k, const char *name);

/*
 * Encode REC (a struct fr_NAME) with its frame into OUT.  Returns the number
 * of bytes written, or -ENOSPC when CAP is too small.
 */
int fr_record_encode(const struct fr_kind_desc *k, const void *rec, uint8_t *out, size_t cap);

/*
 * Decode a payload of LEN bytes into REC (zeroed first, struct_size bytes).
 * Fields beyond LEN (a file written by an older minor version) stay zero and
 * are counted out of *PRESENT; bytes beyond the known fields (a newer minor
 * version) are ignored.  Returns 0, or -EBADMSG when a string length runs
 * past the payload or its member.
 */
int fr_record_decode(const struct fr_kind_desc *k, const uint8_t *in, size_t len, void *rec,
		     unsigned *present);

/* Boot-time ns of an encoded payload (its first field), 0 if too short. */
uint64_t fr_payload_ts(const uint8_t *payload, size_t len);

/* Add DELTA to every non-zero TS field: boot-time ns to Unix epoch ns. */
void fr_record_shift_ts(const struct fr_kind_desc *k, void *rec, int64_t delta);

/* Integer value of a numeric field. */
int64_t fr_field_int(const struct fr_field *f, const void *rec);
/*
 * Text of a STR or STRV field into BUF (NUL-terminated, list separators shown
 * as spaces).  Returns its length.
 */
size_t fr_field_text(const struct fr_field *f, const void *rec, char *buf, size_t cap);
static inline int fr_field_is_text(const struct fr_field *f)
{
	return f->type == FR_STR || f->type == FR_STRV;
}

/* One line of `flightrec dump`: "TIME kind field=value ..." */
void fr_record_print_text(FILE *out, const struct fr_kind_desc *k, const void *rec);
/* One JSON object per line: {"kind":"exec","ts":...} */
void fr_record_print_json(FILE *out, const struct fr_kind_desc *k, const void *rec, const char *host);

/* Format Unix-epoch ns as 2026-11-24T15:40:03.123456789Z into BUF (>= 32). */
void fr_format_utc(int64_t ns, char *buf, size_t cap);
/*
 * Write the LEN bytes at S as a JSON string literal: control characters
 * escaped, bytes that are not well-formed UTF-8 as U+FFFD, so that the
 * output always parses.  The one JSON escaper of dump and replay.
 */
void fr_json_string(FILE *out, const char *s, size_t len);

#endif
