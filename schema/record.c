/*
 * record.c - record descriptors (from records.def), the field-by-field
 * little-endian codec, and the text/JSON printers of `flightrec dump`.
 * The byte layout is specified in FORMAT.md, "Records".
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "le.h"
#include "record.h"
#include "segment.h"

/*
 * The minor version a field's doc string names at its end, "(1.N)" or
 * "(1.NN)", worked out by the compiler from the literal (records.def says
 * it once; nothing parses it at run time); 0 when it names none.
 */
#define DOC_AT(d, i) ((d)[sizeof(d) > (i) + 1 ? sizeof(d) - 2 - (i) : 0]) /* I-th char from the end */
#define DOC_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define DOC_MINOR(d)                                                                                           \
	(sizeof(d) > 6 && DOC_AT(d, 0) == ')' && DOC_DIGIT(DOC_AT(d, 1)) && DOC_AT(d, 2) == '.' &&             \
			 DOC_AT(d, 3) == '0' + FR_FORMAT_MAJOR && DOC_AT(d, 4) == '('                                  \
		 ? DOC_AT(d, 1) - '0'                                                                          \
	 : sizeof(d) > 7 && DOC_AT(d, 0) == ')' && DOC_DIGIT(DOC_AT(d, 1)) && DOC_DIGIT(DOC_AT(d, 2)) &&       \
			 DOC_AT(d, 3) == '.' && DOC_AT(d, 4) == '0' + FR_FORMAT_MAJOR && DOC_AT(d, 5) == '('           \
		 ? (DOC_AT(d, 2) - '0') * 10 + DOC_AT(d, 1) - '0'                                              \
		 : 0)

#define RECORD(ID, NAME, TABLE, DOC) static const struct fr_field fields_##NAME[] = {
#define FIELD(REC, NAME, TYPE, DOC)                                                                \
	{ #NAME, DOC, FR_##TYPE, offsetof(struct fr_##REC, NAME),                                      \
	  sizeof(((struct fr_##REC *)0)->NAME), 0, DOC_MINOR(DOC) },
#define STR(REC, NAME, SIZE, DOC) { #NAME, DOC, FR_STR, offsetof(struct fr_##REC, NAME), SIZE, 0, DOC_MINOR(DOC) },
#define STRV(REC, NAME, SIZE, DOC)                                                                 \
	{ #NAME, DOC, FR_STRV, offsetof(struct fr_##REC, NAME), SIZE,                                  \
	  offsetof(struct fr_##REC, NAME##_len), DOC_MINOR(DOC) },
#define END(REC) };
#include "records.def"
#undef RECORD
#undef FIELD
#undef STR
#undef STRV
#undef END

const struct fr_kind_desc fr_kinds[] = {
#define RECORD(ID, NAME, TABLE, DOC)                                                               \
	{ ID, #NAME, #TABLE, DOC, fields_##NAME, sizeof(fields_##NAME) / sizeof(fields_##NAME[0]),     \
	  sizeof(struct fr_##NAME) },
#define FIELD(REC, NAME, TYPE, DOC)
#define STR(REC, NAME, SIZE, DOC)
#define STRV(REC, NAME, SIZE, DOC)
#define END(REC)
#include "records.def"
#undef RECORD
#undef FIELD
#undef STR
#undef STRV
#undef END
};
const unsigned fr_nkinds = sizeof(fr_kinds) / sizeof(fr_kinds[0]);

/* Every struct must fit the decode buffers that FR_RECORD_STRUCT_MAX sizes. */
#define RECORD(ID, NAME, TABLE, DOC)                                                               \
	_Static_assert(sizeof(struct fr_##NAME) <= FR_RECORD_STRUCT_MAX, #NAME " too large");       \
	_Static_assert(ID > 0 && ID < FR_KIND_MAX, #NAME " kind number out of range");
#define FIELD(REC, NAME, TYPE, DOC)
#define STR(REC, NAME, SIZE, DOC)
#define STRV(REC, NAME, SIZE, DOC)
#define END(REC)
#include "records.def"
#undef RECORD
#undef FIELD
#undef STR
#undef STRV
#undef END

const struct fr_kind_desc *fr_kind_by_id(unsigned id)
{
	for (unsigned i = 0; i < fr_nkinds; i++)
		if (fr_kinds[i].id == id)
			return &fr_kinds[i];
	return NULL;
}

const struct fr_kind_desc *fr_kind_by_name(const char *name)
{
	for (unsigned i = 0; i < fr_nkinds; i++)
		if (!strcmp(fr_kinds[i].name, name))
			return &fr_kinds[i];
	return NULL;
}

int fr_field_index(const struct fr_kind_desc *k, const char *name)
{
	for (unsigned i = 0; i < k->nfields; i++)
		if (!strcmp(k->fields[i].name, name))
			return (int)i;
	return -1;
}

static unsigned fixed_width(enum fr_type t)
{
	switch (t) {
	case FR_U8:
		return 1;
	case FR_U16:
		return 2;
	case FR_U32:
	case FR_S32:
		return 4;
	case FR_TS:
	case FR_U64:
	case FR_S64:
		return 8;
	default:
		return 0;
	}
}

int64_t fr_field_int(const struct fr_field *f, const void *rec)
{
	const char *p = (const char *)rec + f->offset;

	switch (f->type) {
	case FR_U8:
		return *(const uint8_t *)p;
	case FR_U16:
		return *(const uint16_t *)p;
	case FR_U32:
		return *(const uint32_t *)p;
	case FR_S32:
		return *(const int32_t *)p;
	case FR_TS:
	case FR_U64:
	case FR_S64:
		return *(const int64_t *)p;
	default:
		return 0;
	}
}

static void field_set_int(const struct fr_field *f, void *rec, uint64_t v)
{
	char *p = (char *)rec + f->offset;

	switch (fixed_width(f->type)) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;
		break;
	case 8:
		*(uint64_t *)p = v;
		break;
	}
}

/* Bytes of a text field as stored in the struct. */
static size_t field_text_len(const struct fr_field *f, const void *rec)
{
	const char *p = (const char *)rec + f->offset;

	if (f->type == FR_STRV) {
		size_t n = *(const uint16_t *)((const char *)rec + f->len_offset);
		if (n > f->size)
			n = f->size;
		while (n > 0 && p[n - 1] == '\0') /* the terminator of the last arg */
			n--;
		return n;
	}
	return strnlen(p, f->size - 1u);
}

int fr_record_encode(const struct fr_kind_desc *k, const void *rec, uint8_t *out, size_t cap)
{
	size_t off = FR_RECORD_FRAME;

	for (unsigned i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];
		unsigned w = fixed_width(f->type);

		if (w) {
			uint64_t v = (uint64_t)fr_field_int(f, rec);
			if (off + w > cap)
				return -ENOSPC;
			for (unsigned b = 0; b < w; b++)
				out[off + b] = (uint8_t)(v >> (8 * b));
			off += w;
		} else {
			size_t n = field_text_len(f, rec);
			if (off + 2 + n > cap)
				return -ENOSPC;
			le16_put(out + off, (uint16_t)n);
			memcpy(out + off + 2, (const char *)rec + f->offset, n);
			off += 2 + n;
		}
	}
	if (off - FR_RECORD_FRAME > UINT16_MAX)
		return -ENOSPC;
	le16_put(out, (uint16_t)k->id);
	le16_put(out + 2, (uint16_t)(off - FR_RECORD_FRAME));
	return (int)off;
}

int fr_record_decode(const struct fr_kind_desc *k, const uint8_t *in, size_t len, void *rec,
		     unsigned *present)
{
	size_t off = 0;
	unsigned i;

	memset(rec, 0, k->struct_size);
	((struct fr_head *)rec)->kind = k->id;
	((struct fr_head *)rec)->size = (uint32_t)k->struct_size;
	for (i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];
		unsigned w = fixed_width(f->type);

		if (off >= len)
			break; /* older minor version: the rest stays zero */
		if (w) {
			uint64_t v = 0;
			if (off + w > len)
				return -EBADMSG;
			for (unsigned b = 0; b < w; b++)
				v |= (uint64_t)in[off + b] << (8 * b);
			field_set_int(f, rec, v);
			off += w;
		} else {
			size_t n, max = f->type == FR_STRV ? f->size : f->size - 1u;
			if (off + 2 > len)
				return -EBADMSG;
			n = le16_get(in + off);
			if (n > max || off + 2 + n > len)
				return -EBADMSG;
			memcpy((char *)rec + f->offset, in + off + 2, n);
			if (f->type == FR_STRV)
				*(uint16_t *)((char *)rec + f->len_offset) = (uint16_t)n;
			off += 2 + n;
		}
	}
	if (present)
		*present = i;
	return 0;
}

uint64_t fr_payload_ts(const uint8_t *payload, size_t len)
{
	return len >= 8 ? le64_get(payload) : 0;
}

void fr_record_shift_ts(const struct fr_kind_desc *k, void *rec, int64_t delta)
{
	for (unsigned i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];
		int64_t *p = (int64_t *)((char *)rec + f->offset);
		/* in unsigned arithmetic: a damaged or hostile time wraps, never overflows */
		if (f->type == FR_TS && *p != 0)
			*p = (int64_t)((uint64_t)*p + (uint64_t)delta);
	}
}

size_t fr_field_text(const struct fr_field *f, const void *rec, char *buf, size_t cap)
{
	size_t n = field_text_len(f, rec);

	if (cap == 0)
		return 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, (const char *)rec + f->offset, n);
	buf[n] = '\0';
	if (f->type == FR_STRV)
		for (size_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
	return n;
}

void fr_format_utc(int64_t ns, char *buf, size_t cap)
{
	time_t s = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;

	if (frac < 0) {
		frac += 1000000000;
		s--;
	}
	gmtime_r(&s, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/* Length of the well-formed UTF-8 sequence at P (1 to 4 of the N bytes left), 0 when P starts none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t want;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		want = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		want = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		want = 4;
	else
		return 0;
	if (want > n)
		return 0;
	for (size_t i = 1; i < want; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) || (p[0] == 0xf0 && p[1] < 0x90) ||
	    (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return want;
}

void fr_json_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_len(p + i, len - i);
		unsigned char c = p[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else if (n == 0)
			fputs("\\ufffd", out); /* not UTF-8: comm and arguments may hold any byte */
		else
			fwrite(p + i, 1, n, out);
		i += n ? n : 1;
	}
	fputc('"', out);
}

/* Text mode quotes strings and escapes what a terminal should not see. */
static void print_quoted(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void fr_record_print_text(FILE *out, const struct fr_kind_desc *k, const void *rec)
{
	char buf[1024];

	for (unsigned i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];

		if (i == 0 && f->type == FR_TS) {
			fr_format_utc(fr_field_int(f, rec), buf, sizeof(buf));
			fprintf(out, "%s %s", buf, k->name);
			continue;
		}
		fprintf(out, " %s=", f->name);
		if (fr_field_is_text(f)) {
			size_t n = fr_field_text(f, rec, buf, sizeof(buf));
			print_quoted(out, buf, n);
		} else if (f->type == FR_TS) {
			int64_t v = fr_field_int(f, rec);
			if (v) {
				fr_format_utc(v, buf, sizeof(buf));
				fputs(buf, out);
			} else {
				fputs("-", out);
			}
		} else if (f->type == FR_U64) {
			fprintf(out, "%llu", (unsigned long long)fr_field_int(f, rec));
		} else {
			fprintf(out, "%lld", (long long)fr_field_int(f, rec));
		}
	}
	fputc('\n', out);
}

void fr_record_print_json(FILE *out, const struct fr_kind_desc *k, const void *rec, const char *host)
{
	char buf[1024];

	fprintf(out, "{\"kind\":\"%s\"", k->name);
	if (host) {
		fputs(",\"host\":", out);
		fr_json_string(out, host, strlen(host));
	}
	for (unsigned i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];

		fprintf(out, ",\"%s\":", f->name);
		if (fr_field_is_text(f)) {
			size_t n = fr_field_text(f, rec, buf, sizeof(buf));
			fr_json_string(out, buf, n);
		} else if (f->type == FR_U64) {
			fprintf(out, "%llu", (unsigned long long)fr_field_int(f, rec));
		} else {
			fprintf(out, "%lld", (long long)fr_field_int(f, rec));
		}
	}
	fputs("}\n", out);
}
