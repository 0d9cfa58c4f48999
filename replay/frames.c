/*
 * frames.c - symbols.txt and the naming of stack frames (frames.h).
 *
 * symbols.txt is text, one entry a line, fields separated by tabs: a
 * header "flightrec-symbols<TAB>1<TAB>", then "s<TAB>FRAME<TAB>NAME" (the
 * function a frame is in) and "m<TAB>b:BUILDID<TAB>PATH" (the file of a
 * build id).  Lines of another first field are skipped: a later version
 * may add some.  It comes from an archive, so nothing in it is trusted:
 * lengths are bounded, separators inside names are replaced, and a frame
 * without a name is shown as unknown, never as a guess.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "strbuf.h"

#define FRAME_MAX 4500 /* a p:PATH+OFF frame: a path of 4096 and its offset */
#define NAME_MAX_LEN 4096

struct entry {
	char *key, *val;
};

struct frame_names {
	struct entry *names;  /* frame -> function */
	size_t nnames, capnames;
	struct entry *mods;   /* b:BUILDID -> path */
	size_t nmods, capmods;
};

static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h;
}

/* The slot of KEY (N bytes) in T (CAP slots, a power of two): its own, or the empty one where it goes. */
static struct entry *slot(struct entry *t, size_t cap, const char *key, size_t n)
{
	size_t i = hash(key, n) & (cap - 1);

	while (t[i].key && (strncmp(t[i].key, key, n) || t[i].key[n]))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static const char *lookup(struct entry *t, size_t cap, const char *key, size_t n)
{
	return cap ? slot(t, cap, key, n)->val : NULL;
}

static int put(struct entry **t, size_t *nused, size_t *cap, const char *key, size_t kn, const char *val,
	       size_t vn)
{
	struct entry *e;

	if (2 * (*nused + 1) > *cap) {
		size_t nc = *cap ? 2 * *cap : 1024;
		struct entry *nt = calloc(nc, sizeof(*nt));
		if (!nt)
			return -1;
		for (size_t i = 0; i < *cap; i++)
			if ((*t)[i].key)
				*slot(nt, nc, (*t)[i].key, strlen((*t)[i].key)) = (*t)[i];
		free(*t);
		*t = nt;
		*cap = nc;
	}
	e = slot(*t, *cap, key, kn);
	if (e->key)
		return 0; /* the first one stands */
	if (!(e->key = strndup(key, kn)) || !(e->val = strndup(val, vn))) {
		free(e->key);
		e->key = NULL;
		return -1;
	}
	/* a name with a frame separator would split the frame */
	for (char *c = e->val; *c; c++)
		if (*c == ';' || (unsigned char)*c < 0x20)
			*c = '?';
	(*nused)++;
	return 0;
}

void frame_names_free(struct frame_names *fn)
{
	if (!fn)
		return;
	for (size_t i = 0; i < fn->capnames; i++) {
		free(fn->names[i].key);
		free(fn->names[i].val);
	}
	for (size_t i = 0; i < fn->capmods; i++) {
		free(fn->mods[i].key);
		free(fn->mods[i].val);
	}
	free(fn->names);
	free(fn->mods);
	free(fn);
}

struct frame_names *frame_names_parse(const char *text, size_t len, size_t *skipped, char *err, size_t errlen)
{
	static const char header[] = "flightrec-symbols\t1\t\n";
	struct frame_names *fn;
	const char *p, *end = text + len;

	*skipped = 0;
	if (len < sizeof(header) - 1 || memcmp(text, header, sizeof(header) - 1)) {
		snprintf(err, errlen, "no flightrec-symbols 1 header");
		return NULL;
	}
	if (!(fn = calloc(1, sizeof(*fn)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (p = text + sizeof(header) - 1; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *t1 = memchr(p, '\t', (size_t)(le - p));
		const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(le - t1 - 1)) : NULL;
		size_t kn = t2 ? (size_t)(t2 - t1 - 1) : 0, vn = t2 ? (size_t)(le - t2 - 1) : 0;
		int r = 0;

		if (!t2 || !kn || !vn || kn > FRAME_MAX || vn > NAME_MAX_LEN || memchr(p, '\0', (size_t)(le - p)) ||
		    memchr(t1 + 1, ';', kn)) {
			(*skipped)++;
		} else if (t1 - p == 1 && *p == 's') {
			r = put(&fn->names, &fn->nnames, &fn->capnames, t1 + 1, kn, t2 + 1, vn);
		} else if (t1 - p == 1 && *p == 'm' && kn > 2 && !strncmp(t1 + 1, "b:", 2)) {
			r = put(&fn->mods, &fn->nmods, &fn->capmods, t1 + 1, kn, t2 + 1, vn);
		}
		if (r) {
			frame_names_free(fn);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		p = le + 1;
	}
	return fn;
}

static const char *base_name(const char *path, size_t n, size_t *bn)
{
	const char *b = path;

	for (size_t i = 0; i < n; i++)
		if (path[i] == '/')
			b = path + i + 1;
	*bn = (size_t)(path + n - b);
	return b;
}

/* FRAME (N bytes) as "[unknown] MODULE+0xOFF", or as it is when its form is not known. */
static void unknown_frame(const struct frame_names *fn, struct strbuf *b, const char *f, size_t n)
{
	const char *plus = NULL;
	size_t bn;

	for (size_t i = 0; i < n; i++)
		if (f[i] == '+')
			plus = f + i;
	strbuf_puts(b, "[unknown] ");
	if (plus && n > 2 && (!strncmp(f, "b:", 2) || !strncmp(f, "p:", 2))) {
		const char *mod = NULL, *name;
		if (f[0] == 'b' && fn)
			mod = lookup(fn->mods, fn->capmods, f, (size_t)(plus - f));
		if (mod) {
			name = base_name(mod, strlen(mod), &bn);
		} else if (f[0] == 'p') {
			name = base_name(f + 2, (size_t)(plus - f - 2), &bn);
		} else {
			name = f;
			bn = (size_t)(plus - f);
		}
		strbuf_put(b, name, bn);
		strbuf_puts(b, "+0x");
		strbuf_put(b, plus + 1, (size_t)(f + n - plus - 1));
	} else if (n > 2 && (!strncmp(f, "k:", 2) || !strncmp(f, "u:", 2))) {
		strbuf_puts(b, f[0] == 'k' ? "[kernel] 0x" : "0x");
		strbuf_put(b, f + 2, n - 2);
	} else {
		strbuf_put(b, f, n);
	}
}

char *frame_names_apply(const struct frame_names *fn, const char *raw)
{
	struct strbuf b = { 0 };
	const char *p = raw;

	strbuf_put(&b, "", 0);
	while (*p) {
		size_t n = strcspn(p, ";");
		const char *name = fn && n ? lookup(fn->names, fn->capnames, p, n) : NULL;

		if (b.len)
			strbuf_put(&b, ";", 1);
		if (name)
			strbuf_puts(&b, name);
		else if (n)
			unknown_frame(fn, &b, p, n);
		p += n;
		if (*p)
			p++;
	}
	return strbuf_finish(&b);
}

static void fn_leaf(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *f = (const char *)sqlite3_value_text(argv[0]), *last;

	if (!f)
		return;
	last = strrchr(f, ';');
	sqlite3_result_text(ctx, last ? last + 1 : f, -1, SQLITE_TRANSIENT);
}

int frames_register_sql(sqlite3 *db)
{
	return sqlite3_create_function(db, "leaf", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_leaf, NULL, NULL) ==
			       SQLITE_OK
		       ? 0
		       : -1;
}
