/*
 * redact.c - keyed hashes in place of argv, paths and addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "redact.h"
#include "sha256.h"

/* Field name -> the classes that redact it. */
static const struct {
	const char *field;
	unsigned classes;
} field_classes[] = {
	{ "argv", REDACT_ARGV },
	{ "args", REDACT_ARGV | REDACT_PATHS | REDACT_ADDRS }, /* decoded syscall arguments hold all three */
	{ "filename", REDACT_PATHS },
	{ "exe", REDACT_PATHS },
	{ "cgroup", REDACT_PATHS },
	{ "path", REDACT_PATHS },
	{ "detail", REDACT_ARGV | REDACT_PATHS | REDACT_ADDRS }, /* security records quote syscall arguments */
	{ "laddr", REDACT_ADDRS },
	{ "raddr", REDACT_ADDRS },
	{ "addr", REDACT_ADDRS },
	{ "server", REDACT_ADDRS },
};

static const struct {
	const char *name;
	unsigned bit;
} class_names[] = { { "argv", REDACT_ARGV }, { "paths", REDACT_PATHS }, { "addrs", REDACT_ADDRS } };

int redact_parse(const char *spec, unsigned *mask, char *err, size_t errlen)
{
	char buf[128], *tok, *save = NULL;

	*mask = 0;
	if (!strcmp(spec, "none") || !*spec)
		return 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
			if (!strcmp(tok, class_names[i].name))
				break;
		if (i == sizeof(class_names) / sizeof(class_names[0])) {
			snprintf(err, errlen, "unknown class '%s' (argv, paths, addrs)", tok);
			return -EINVAL;
		}
		*mask |= class_names[i].bit;
	}
	return 0;
}

void redact_describe(unsigned mask, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "[");

	for (size_t i = 0; i < sizeof(class_names) / sizeof(class_names[0]) && n < cap; i++)
		if (mask & class_names[i].bit)
			n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\"", n > 1 ? ", " : "", class_names[i].name);
	if (n < cap)
		snprintf(buf + n, cap - n, "]");
}

int redactor_init(struct redactor *r, unsigned mask)
{
	r->mask = mask;
	if (getrandom(r->key, sizeof(r->key), 0) != (ssize_t)sizeof(r->key))
		return -errno;
	return 0;
}

/* HMAC-SHA256(key, msg) as "~" and its first 16 hex digits. */
static void keyed_hash(const uint8_t key[32], const char *msg, size_t len, char out[18])
{
	uint8_t pad[64], inner[32];
	char hex[65];
	struct sha256 s;

	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < 32; i++)
		pad[i] ^= key[i];
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	sha256_update(&s, msg, len);
	sha256_hex(&s, hex);
	for (int i = 0; i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &inner[i]);
	memset(pad, 0x5c, sizeof(pad));
	for (int i = 0; i < 32; i++)
		pad[i] ^= key[i];
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	sha256_update(&s, inner, sizeof(inner));
	sha256_hex(&s, hex);
	out[0] = '~';
	memcpy(out + 1, hex, 16);
	out[17] = '\0';
}

void redact_record(const struct redactor *r, const struct fr_kind_desc *k, void *rec)
{
	if (!r || !r->mask)
		return;
	for (unsigned i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];
		char text[1024], h[18];
		size_t n;

		if (!fr_field_is_text(f))
			continue;
		for (size_t j = 0; j < sizeof(field_classes) / sizeof(field_classes[0]); j++) {
			if (strcmp(f->name, field_classes[j].field) || !(field_classes[j].classes & r->mask))
				continue;
			n = fr_field_text(f, rec, text, sizeof(text));
			if (n == 0)
				break; /* nothing to hide, and empty stays visibly empty */
			keyed_hash(r->key, text, n, h);
			char *p = (char *)rec + f->offset;
			memset(p, 0, f->size);
			memcpy(p, h, sizeof(h) - 1 < f->size ? sizeof(h) - 1 : f->size - 1u);
			if (f->type == FR_STRV)
				*(uint16_t *)((char *)rec + f->len_offset) = (uint16_t)strlen(h);
			break;
		}
	}
}
