/*
 * colstore.c - one record kind's rows as packed columns in memory
 * (colstore.h): chunks of frame-of-reference integers, text interned per
 * column (or, in a derived store, borrowed from other stores), and an
 * index per U32 column made when a query first looks a value up in it.
 * The big arrays (the open chunk, the sealed chunks' slabs, the ts sort)
 * ask for huge pages: a load was a tenth page faults without them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "colstore.h"

/*
 * Huge pages asked for the 2 MiB pages wholly inside [P, P + SIZE) when
 * there are some: a large array written once through, or read at random
 * (a dictionary's slots), is mostly page faults and TLB misses otherwise
 * (4 KiB each; on a virtual machine a fault costs microseconds).  Advice:
 * where it is refused, the pages stay small.  glibc maps such a size on
 * its own, so the advice touches no other allocation.
 */
static void *advise_huge(void *p, size_t size)
{
	const size_t huge = (size_t)2 << 20;

	if (p && size >= 2 * huge) {
		uintptr_t a = ((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1);
		uintptr_t e = ((uintptr_t)p + size) & ~(uintptr_t)(huge - 1);
		if (e > a)
			madvise((void *)a, e - a, MADV_HUGEPAGE);
	}
	return p;
}

static void *big_alloc(size_t size)
{
	return advise_huge(malloc(size), size);
}

/*
 * An array that only grows, of capacity OLD bytes (P, may be NULL) grown
 * to NEW: realloc while it is small; from GROW_MAP bytes on, a mapping of
 * its own grown by mremap, which moves pages rather than copying bytes (a
 * dictionary of millions of texts was copied at each doubling, a tenth of
 * a load) and keeps their huge pages.  NULL when out of memory, P kept.
 * Free with grown_free(P, its capacity).
 */
#define GROW_MAP ((size_t)1 << 20)

static void *grow(void *p, size_t old, size_t new)
{
	void *q;

	if (new < GROW_MAP)
		return realloc(p, new);
	if (old >= GROW_MAP) {
		q = mremap(p, old, new, MREMAP_MAYMOVE);
		return q == MAP_FAILED ? NULL : q;
	}
	q = mmap(NULL, new, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		return NULL;
	advise_huge(q, new);
	if (old)
		memcpy(q, p, old);
	free(p);
	return q;
}

static void grown_free(void *p, size_t cap)
{
	if (p && cap >= GROW_MAP)
		munmap(p, cap);
	else
		free(p);
}

/* One column of a sealed chunk: value = base + the WIDTH-byte unsigned at the row (width 0: base). */
struct packed {
	int64_t base;
	unsigned width;
	void *data;
};

/*
 * Where the packed columns of sealed chunks are kept: slabs of SLAB_BYTES
 * (huge pages, big_alloc), filled in turn and freed with the rows, rather
 * than a malloc each (a mapping each, faulted in 4 KiB at a time).
 */
#define SLAB_BYTES ((size_t)8 << 20)

struct slab {
	struct slab *next;
	size_t used, cap;
	int64_t data[]; /* cap bytes */
};

struct chunk {
	int64_t ts_min, ts_max;
	struct packed col[]; /* the store's ncols */
};

/* Distinct texts of one column, numbered from 0 in order of first sight. */
struct dict {
	char *arena;
	size_t used, cap;
	/* by number: where its text starts in arena, its length and hash (together: a lookup reads one line) */
	struct dict_text {
		size_t off;
		uint32_t len, hash;
	} *text;
	uint32_t n, cap_ids;
	uint32_t *slot; /* open addressing: number + 1, 0 empty */
	uint32_t nslots;
	/* the number last interned + 1 (0: none): a column often repeats its text row after row (host, comm, exe) */
	uint32_t last;
};

/* Rows by (value, row) of one column: the equality index. */
struct eq_index {
	uint32_t *rows;
	uint64_t n; /* rows it covers; rebuilt when the store grew */
};

/* Where a borrowed text column's values point: a column of another store. */
struct borrowed {
	const struct colstore *src;
	unsigned col;
};

struct colstore {
	const struct fr_kind_desc *k;
	int derived; /* colstore_new_derived: values appended as they are, the last column a NULL mask */
	unsigned ncols; /* host, the fields, and last the held count of each row (derived: its NULL mask) */
	unsigned held_col;
	struct chunk **chunks; /* sealed */
	struct slab *slabs;    /* their columns' values, the one being filled first */
	struct slab *spare;    /* slabs of rows dropped by colstore_reset, taken before new ones */
	size_t nchunks, cap_chunks;
	int64_t *stage;        /* the open chunk: ncols arrays of COLSTORE_CHUNK_ROWS values */
	uint64_t staged;       /* rows in it */
	int64_t stage_ts_min, stage_ts_max;
	uint64_t rows;
	int64_t last_ts;
	int ts_ordered;
	struct dict *dict; /* by column; used by the text ones */
	struct eq_index *eq; /* by column, made on first use */
	/* by column, made on first use: row numbers by (value, row), NULLs first (ts of a store not in ts order) */
	struct eq_index *ord;
	struct borrowed (*borrowed)[COLSTORE_SOURCES]; /* derived: by column, the sources of its texts */
	unsigned *nborrowed;
};

static int col_is_text(const struct fr_kind_desc *k, unsigned col)
{
	return col == 0 || (col <= k->nfields && fr_field_is_text(&k->fields[col - 1]));
}

int colstore_col_is_text(const struct colstore *cs, unsigned col)
{
	return col_is_text(cs->k, col);
}

uint32_t colstore_texts(const struct colstore *cs, unsigned col)
{
	return cs->derived ? 0 : cs->dict[col].n;
}

struct colstore *colstore_new(const struct fr_kind_desc *k)
{
	struct colstore *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->k = k;
	cs->ncols = k->nfields + 2;
	cs->held_col = k->nfields + 1;
	cs->ts_ordered = 1;
	cs->last_ts = INT64_MIN;
	if (!(cs->dict = calloc(cs->ncols, sizeof(*cs->dict))) || !(cs->eq = calloc(cs->ncols, sizeof(*cs->eq))) ||
	    !(cs->ord = calloc(cs->ncols, sizeof(*cs->ord)))) {
		free(cs->dict);
		free(cs->eq);
		free(cs);
		return NULL;
	}
	return cs;
}

struct colstore *colstore_new_derived(const struct fr_kind_desc *t)
{
	struct colstore *cs = colstore_new(t);

	if (!cs)
		return NULL;
	cs->derived = 1;
	cs->ts_ordered = 0;
	cs->borrowed = calloc(cs->ncols, sizeof(*cs->borrowed));
	cs->nborrowed = calloc(cs->ncols, sizeof(*cs->nborrowed));
	if (!cs->borrowed || !cs->nborrowed) {
		colstore_free(cs);
		return NULL;
	}
	return cs;
}

int colstore_borrow(struct colstore *cs, unsigned col, const struct colstore *src, unsigned src_col)
{
	unsigned i;

	for (i = 0; i < cs->nborrowed[col]; i++)
		if (cs->borrowed[col][i].src == src && cs->borrowed[col][i].col == src_col)
			return (int)i;
	if (i == COLSTORE_SOURCES)
		return -ENOSPC;
	cs->borrowed[col][i].src = src;
	cs->borrowed[col][i].col = src_col;
	cs->nborrowed[col]++;
	return (int)i;
}

static void dict_free(struct dict *d)
{
	grown_free(d->arena, d->cap);
	grown_free(d->text, d->cap_ids * sizeof(*d->text));
	free(d->slot);
}

/*
 * The rows and what was made from them; the dictionaries stay (texts are
 * only ever added).  KEEP: the slabs go to the spare ones, not freed.
 */
static void drop_rows(struct colstore *cs, int keep)
{
	for (size_t i = 0; i < cs->nchunks; i++)
		free(cs->chunks[i]);
	while (cs->slabs) {
		struct slab *s = cs->slabs;
		cs->slabs = s->next;
		if (keep) {
			s->next = cs->spare;
			cs->spare = s;
		} else {
			free(s);
		}
	}
	free(cs->chunks);
	cs->chunks = NULL;
	cs->nchunks = cs->cap_chunks = 0;
	cs->staged = cs->rows = 0;
	cs->last_ts = INT64_MIN;
	cs->ts_ordered = !cs->derived;
	for (unsigned c = 0; c < cs->ncols; c++) {
		free(cs->eq[c].rows);
		cs->eq[c].rows = NULL;
		cs->eq[c].n = 0;
		free(cs->ord[c].rows);
		cs->ord[c].rows = NULL;
		cs->ord[c].n = 0;
	}
}

void colstore_clear(struct colstore *cs)
{
	drop_rows(cs, 0);
}

void colstore_reset(struct colstore *cs)
{
	drop_rows(cs, 1);
	for (unsigned c = 0; c < cs->ncols; c++) {
		struct dict *d = &cs->dict[c];
		d->used = 0;
		d->n = 0;
		d->last = 0;
		if (d->slot)
			memset(d->slot, 0, d->nslots * sizeof(*d->slot));
	}
}

void colstore_free(struct colstore *cs)
{
	if (!cs)
		return;
	if (cs->eq)
		drop_rows(cs, 0);
	while (cs->spare) {
		struct slab *s = cs->spare;
		cs->spare = s->next;
		free(s);
	}
	free(cs->stage);
	for (unsigned c = 0; c < cs->ncols; c++)
		dict_free(&cs->dict[c]);
	free(cs->dict);
	free(cs->eq);
	free(cs->ord);
	free(cs->borrowed);
	free(cs->nborrowed);
	free(cs);
}

const struct fr_kind_desc *colstore_kind(const struct colstore *cs)
{
	return cs->k;
}

uint64_t colstore_rows(const struct colstore *cs)
{
	return cs->rows;
}

int colstore_ts_ordered(const struct colstore *cs)
{
	return cs->ts_ordered;
}

int colstore_has_ts(const struct colstore *cs)
{
	return !cs->derived;
}

static uint32_t text_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int dict_grow_slots(struct dict *d)
{
	uint32_t nslots = d->nslots ? d->nslots * 2 : 1024;
	uint32_t *slot = advise_huge(calloc(nslots, sizeof(*slot)), nslots * sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (uint32_t id = 0; id < d->n; id++) {
		uint32_t i = d->text[id].hash & (nslots - 1);
		while (slot[i])
			i = (i + 1) & (nslots - 1);
		slot[i] = id + 1;
	}
	free(d->slot);
	d->slot = slot;
	d->nslots = nslots;
	return 0;
}

/* The number of text S (N bytes, hash H) in D, added when new; -ENOMEM. */
static int64_t dict_intern_hashed(struct dict *d, const char *s, size_t n, uint32_t h)
{
	uint32_t i;

	if ((uint64_t)d->n * 2 >= d->nslots && dict_grow_slots(d))
		return -ENOMEM;
	for (i = h & (d->nslots - 1); d->slot[i]; i = (i + 1) & (d->nslots - 1)) {
		uint32_t id = d->slot[i] - 1;
		if (d->text[id].hash == h && d->text[id].len == n && !memcmp(d->arena + d->text[id].off, s, n)) {
			d->last = id + 1;
			return id;
		}
	}
	if (d->n == UINT32_MAX)
		return -ENOMEM;
	if (d->n == d->cap_ids) {
		uint32_t cap = d->cap_ids ? d->cap_ids * 2 : 256;
		struct dict_text *text = grow(d->text, d->cap_ids * sizeof(*text), cap * sizeof(*text));
		if (!text)
			return -ENOMEM;
		d->text = text;
		d->cap_ids = cap;
	}
	if (d->used + n + 1 > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		while (d->used + n + 1 > cap)
			cap *= 2;
		char *arena = grow(d->arena, d->cap, cap);
		if (!arena)
			return -ENOMEM;
		d->arena = arena;
		d->cap = cap;
	}
	memcpy(d->arena + d->used, s, n);
	d->arena[d->used + n] = '\0';
	d->text[d->n] = (struct dict_text){ d->used, (uint32_t)n, h };
	d->used += n + 1;
	d->slot[i] = d->n + 1;
	d->last = d->n + 1;
	return d->n++;
}

/* The number of text S (N bytes) in D, added when new; -ENOMEM. */
static int64_t dict_intern(struct dict *d, const char *s, size_t n)
{
	if (d->last && d->text[d->last - 1].len == n && !memcmp(d->arena + d->text[d->last - 1].off, s, n))
		return d->last - 1;
	return dict_intern_hashed(d, s, n, text_hash(s, n));
}

/* SIZE bytes (at most SLAB_BYTES) of CS's slabs, 8-aligned; NULL when out of memory. */
static void *slab_alloc(struct colstore *cs, size_t size)
{
	struct slab *s = cs->slabs;

	size = (size + 7u) & ~(size_t)7u;
	if (!s || s->cap - s->used < size) {
		if ((s = cs->spare))
			cs->spare = s->next;
		else if (!(s = big_alloc(sizeof(*s) + SLAB_BYTES)))
			return NULL;
		s->used = 0;
		s->cap = SLAB_BYTES;
		s->next = cs->slabs;
		cs->slabs = s;
	}
	s->used += size;
	return (char *)s->data + s->used - size;
}

/*
 * The smallest and largest of V (N > 0 values) into *MIN and *MAX: four of
 * each kept apart, so that no compare waits on the one before it (one
 * pair was half of sealing a chunk, itself a tenth of a load's main thread).
 */
static void min_max(const int64_t *v, uint64_t n, int64_t *min, int64_t *max)
{
	int64_t lo0 = v[0], lo1 = v[0], lo2 = v[0], lo3 = v[0], hi0 = v[0], hi1 = v[0], hi2 = v[0], hi3 = v[0];
	uint64_t i = 0;

#define MIN_MAX(lo, hi, x)                      \
	do {                                    \
		int64_t x_ = (x);               \
		lo = x_ < lo ? x_ : lo;         \
		hi = x_ > hi ? x_ : hi;         \
	} while (0)
	for (; i + 4 <= n; i += 4) {
		MIN_MAX(lo0, hi0, v[i]);
		MIN_MAX(lo1, hi1, v[i + 1]);
		MIN_MAX(lo2, hi2, v[i + 2]);
		MIN_MAX(lo3, hi3, v[i + 3]);
	}
	for (; i < n; i++)
		MIN_MAX(lo0, hi0, v[i]);
	MIN_MAX(lo0, hi0, lo1);
	MIN_MAX(lo0, hi0, hi1);
	MIN_MAX(lo0, hi0, lo2);
	MIN_MAX(lo0, hi0, hi2);
	MIN_MAX(lo0, hi0, lo3);
	MIN_MAX(lo0, hi0, hi3);
#undef MIN_MAX
	*min = lo0;
	*max = hi0;
}

/* Pack the open chunk's column C (N values) into P, its values in CS's slabs. */
static int pack_column(struct colstore *cs, struct packed *p, const int64_t *v, uint64_t n)
{
	int64_t min, max;
	uint64_t range;

	min_max(v, n, &min, &max);
	range = (uint64_t)max - (uint64_t)min;
	p->base = min;
	p->width = range == 0 ? 0 : range <= UINT8_MAX ? 1 : range <= UINT16_MAX ? 2 : range <= UINT32_MAX ? 4 : 8;
	p->data = NULL;
	if (!p->width)
		return 0;
	if (p->width == 8)
		p->base = 0; /* the values as they are: no offset can overflow */
	if (!(p->data = slab_alloc(cs, n * p->width)))
		return -ENOMEM;
	/* the width tested once, not per value */
	switch (p->width) {
	case 1:
		for (uint64_t i = 0; i < n; i++)
			((uint8_t *)p->data)[i] = (uint8_t)((uint64_t)v[i] - (uint64_t)min);
		break;
	case 2:
		for (uint64_t i = 0; i < n; i++)
			((uint16_t *)p->data)[i] = (uint16_t)((uint64_t)v[i] - (uint64_t)min);
		break;
	case 4:
		for (uint64_t i = 0; i < n; i++)
			((uint32_t *)p->data)[i] = (uint32_t)((uint64_t)v[i] - (uint64_t)min);
		break;
	default:
		memcpy(p->data, v, n * sizeof(*v));
	}
	return 0;
}

/* The open chunk, full, becomes a sealed one. */
static int seal_chunk(struct colstore *cs)
{
	struct chunk *ch;

	if (cs->nchunks == cs->cap_chunks) {
		size_t cap = cs->cap_chunks ? cs->cap_chunks * 2 : 16;
		struct chunk **chunks = realloc(cs->chunks, cap * sizeof(*chunks));
		if (!chunks)
			return -ENOMEM;
		cs->chunks = chunks;
		cs->cap_chunks = cap;
	}
	if (!(ch = calloc(1, sizeof(*ch) + cs->ncols * sizeof(ch->col[0]))))
		return -ENOMEM;
	ch->ts_min = cs->stage_ts_min;
	ch->ts_max = cs->stage_ts_max;
	for (unsigned c = 0; c < cs->ncols; c++) {
		if (pack_column(cs, &ch->col[c], cs->stage + (size_t)c * COLSTORE_CHUNK_ROWS, cs->staged)) {
			free(ch); /* what its columns took of the slabs goes with the rows */
			return -ENOMEM;
		}
	}
	cs->chunks[cs->nchunks++] = ch;
	cs->staged = 0;
	return 0;
}

/* The staging row the next append fills: the staged chunk sealed first when full; -ENOMEM. */
static int64_t stage_row(struct colstore *cs)
{
	if (!cs->stage && !(cs->stage = big_alloc((size_t)cs->ncols * COLSTORE_CHUNK_ROWS * sizeof(int64_t))))
		return -ENOMEM;
	if (cs->staged == COLSTORE_CHUNK_ROWS && seal_chunk(cs))
		return -ENOMEM;
	return (int64_t)cs->staged;
}

int colstore_append(struct colstore *cs, const char *host, unsigned held, const void *rec)
{
	const struct fr_kind_desc *k = cs->k;
	char text[FR_RECORD_STRUCT_MAX];
	int64_t r = stage_row(cs), v, ts;

	if (r < 0)
		return (int)r;
	if ((v = dict_intern(&cs->dict[0], host, strlen(host))) < 0)
		return -ENOMEM;
	cs->stage[r] = v;
	for (unsigned i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];
		if (i >= held) {
			v = 0;
		} else if (f->type == FR_STR) {
			const char *p = (const char *)rec + f->offset;
			v = dict_intern(&cs->dict[i + 1], p, strnlen(p, f->size - 1u));
		} else if (f->type == FR_STRV) {
			size_t n = fr_field_text(f, rec, text, sizeof(text));
			v = dict_intern(&cs->dict[i + 1], text, n);
		} else {
			v = fr_field_int(f, rec);
		}
		if (v < 0 && fr_field_is_text(f))
			return -ENOMEM;
		cs->stage[(size_t)(i + 1) * COLSTORE_CHUNK_ROWS + r] = v;
	}
	cs->stage[(size_t)cs->held_col * COLSTORE_CHUNK_ROWS + r] = held;
	ts = fr_field_int(&k->fields[0], rec);
	if (r == 0 || ts < cs->stage_ts_min)
		cs->stage_ts_min = ts;
	if (r == 0 || ts > cs->stage_ts_max)
		cs->stage_ts_max = ts;
	if (ts < cs->last_ts)
		cs->ts_ordered = 0;
	cs->last_ts = ts;
	cs->staged++;
	cs->rows++;
	return 0;
}

int colstore_append_values(struct colstore *cs, const int64_t *v, uint64_t nulls)
{
	int64_t r = stage_row(cs);

	if (r < 0)
		return (int)r;
	for (unsigned c = 0; c < cs->held_col; c++)
		cs->stage[(size_t)c * COLSTORE_CHUNK_ROWS + r] = (nulls >> c) & 1 ? 0 : v[c];
	cs->stage[(size_t)cs->held_col * COLSTORE_CHUNK_ROWS + r] = (int64_t)nulls;
	cs->staged++;
	cs->rows++;
	return 0;
}

/* Rows copied at a time by colstore_append_merged, per source: a bound on its buffers, whatever NSRC. */
#define MERGE_ROWS 4096

int colstore_append_merged(struct colstore *cs, struct colstore *const *src, unsigned nsrc, const uint8_t *from,
			   uint64_t n)
{
	uint64_t *next = calloc(nsrc ? nsrc : 1, sizeof(*next)), total = 0, done = 0;
	uint32_t *cnt = calloc(nsrc ? nsrc : 1, sizeof(*cnt)), *at = calloc(nsrc ? nsrc : 1, sizeof(*at));
	int64_t *buf = malloc((size_t)(nsrc ? nsrc : 1) * MERGE_ROWS * sizeof(*buf));
	int ret = 0;

	if (!next || !cnt || !at || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned s = 0; s < nsrc; s++) {
		if (!src[s]->derived || src[s]->ncols != cs->ncols)
			ret = -EINVAL;
		total += src[s]->rows;
	}
	if (ret || !cs->derived || total != n) {
		ret = -EINVAL;
		goto out;
	}
	while (done < n) {
		int64_t r = stage_row(cs);
		uint64_t m = n - done;

		if (r < 0) {
			ret = -ENOMEM;
			goto out;
		}
		if (m > COLSTORE_CHUNK_ROWS - cs->staged)
			m = COLSTORE_CHUNK_ROWS - cs->staged;
		if (m > MERGE_ROWS)
			m = MERGE_ROWS;
		memset(cnt, 0, nsrc * sizeof(*cnt));
		for (uint64_t i = 0; i < m; i++) {
			if (from[done + i] >= nsrc) {
				ret = -EINVAL;
				goto out;
			}
			cnt[from[done + i]]++;
		}
		for (unsigned s = 0; s < nsrc; s++) {
			if (next[s] + cnt[s] > src[s]->rows) {
				ret = -EINVAL;
				goto out;
			}
		}
		/* each column: the sources' next rows read in bulk, then dealt out in FROM's order */
		for (unsigned c = 0; c < cs->ncols; c++) {
			int64_t *v = cs->stage + (size_t)c * COLSTORE_CHUNK_ROWS + cs->staged;
			for (unsigned s = 0; s < nsrc; s++) {
				colstore_read(src[s], c, next[s], cnt[s], buf + (size_t)s * MERGE_ROWS, NULL);
				at[s] = 0;
			}
			for (uint64_t i = 0; i < m; i++) {
				unsigned s = from[done + i];
				v[i] = buf[(size_t)s * MERGE_ROWS + at[s]++];
			}
		}
		for (unsigned s = 0; s < nsrc; s++)
			next[s] += cnt[s];
		cs->staged += m;
		cs->rows += m;
		done += m;
	}
out:
	free(next);
	free(cnt);
	free(at);
	free(buf);
	return ret;
}

static inline int64_t packed_get(const struct packed *p, uint64_t i)
{
	switch (p->width) {
	case 0:
		return p->base;
	case 1:
		return p->base + ((const uint8_t *)p->data)[i];
	case 2:
		return p->base + ((const uint16_t *)p->data)[i];
	case 4:
		return (int64_t)((uint64_t)p->base + ((const uint32_t *)p->data)[i]);
	default:
		return ((const int64_t *)p->data)[i];
	}
}

static inline int64_t raw_get(const struct colstore *cs, uint64_t row, unsigned col)
{
	uint64_t c = row >> COLSTORE_CHUNK_SHIFT, i = row & (COLSTORE_CHUNK_ROWS - 1);

	if (c < cs->nchunks)
		return packed_get(&cs->chunks[c]->col[col], i);
	return cs->stage[(size_t)col * COLSTORE_CHUNK_ROWS + i];
}

/* Column COL of a store that is not derived holds a time of a field, where 0 reads as NULL (not host, ts, or the held count). */
static int col_is_time(const struct colstore *cs, unsigned col)
{
	return col > 1 && col - 1 < cs->k->nfields && cs->k->fields[col - 1].type == FR_TS;
}

int colstore_is_null(const struct colstore *cs, uint64_t row, unsigned col)
{
	if (cs->derived)
		return (int)(((uint64_t)raw_get(cs, row, cs->held_col) >> col) & 1);
	if (col == 0)
		return 0;
	if ((int64_t)(col - 1) >= raw_get(cs, row, cs->held_col))
		return 1;
	return col_is_time(cs, col) && raw_get(cs, row, col) == 0;
}

int64_t colstore_int(const struct colstore *cs, uint64_t row, unsigned col)
{
	return raw_get(cs, row, col);
}

/* Rows FIRST..FIRST+N-1 of COL, all in one chunk (sealed or the open one), into V. */
static void chunk_read(const struct colstore *cs, unsigned col, uint64_t first, size_t n, int64_t *v)
{
	uint64_t c = first >> COLSTORE_CHUNK_SHIFT, i = first & (COLSTORE_CHUNK_ROWS - 1);
	const struct packed *p;

	if (c >= cs->nchunks) {
		memcpy(v, cs->stage + (size_t)col * COLSTORE_CHUNK_ROWS + i, n * sizeof(*v));
		return;
	}
	/* the width tested once, not per row: this is what makes a column read in bulk cheap */
	p = &cs->chunks[c]->col[col];
	switch (p->width) {
	case 0:
		for (size_t k = 0; k < n; k++)
			v[k] = p->base;
		break;
	case 1:
		for (size_t k = 0; k < n; k++)
			v[k] = p->base + ((const uint8_t *)p->data)[i + k];
		break;
	case 2:
		for (size_t k = 0; k < n; k++)
			v[k] = p->base + ((const uint16_t *)p->data)[i + k];
		break;
	case 4:
		for (size_t k = 0; k < n; k++)
			v[k] = (int64_t)((uint64_t)p->base + ((const uint32_t *)p->data)[i + k]);
		break;
	default:
		memcpy(v, (const int64_t *)p->data + i, n * sizeof(*v));
	}
}

void colstore_read(const struct colstore *cs, unsigned col, uint64_t first, size_t n, int64_t *v, uint8_t *nulls)
{
	int64_t mask[4096];

	for (size_t done = 0; done < n;) {
		uint64_t row = first + done;
		size_t m = (size_t)(COLSTORE_CHUNK_ROWS - (row & (COLSTORE_CHUNK_ROWS - 1)));
		if (m > n - done)
			m = n - done;
		if (m > sizeof(mask) / sizeof(mask[0]))
			m = sizeof(mask) / sizeof(mask[0]);
		chunk_read(cs, col, row, m, v + done);
		if (nulls && cs->derived) {
			chunk_read(cs, cs->held_col, row, m, mask);
			for (size_t k = 0; k < m; k++)
				nulls[done + k] = (uint8_t)(((uint64_t)mask[k] >> col) & 1);
		} else if (nulls) {
			for (size_t k = 0; k < m; k++)
				nulls[done + k] = (uint8_t)colstore_is_null(cs, row + k, col);
		}
		done += m;
	}
}

void colstore_gather(const struct colstore *cs, unsigned col, const uint32_t *rows, size_t n, int64_t *v,
		     uint8_t *nulls)
{
	int ts = !cs->derived && col_is_time(cs, col);

	for (size_t i = 0; i < n; i++)
		v[i] = raw_get(cs, rows[i], col);
	if (!nulls)
		return;
	/* as colstore_is_null, its tests made once for the column rather than for each row */
	if (cs->derived) {
		for (size_t i = 0; i < n; i++)
			nulls[i] = (uint8_t)(((uint64_t)raw_get(cs, rows[i], cs->held_col) >> col) & 1);
	} else if (col == 0) {
		memset(nulls, 0, n);
	} else {
		for (size_t i = 0; i < n; i++)
			nulls[i] = (int64_t)(col - 1) >= raw_get(cs, rows[i], cs->held_col) || (ts && v[i] == 0);
	}
}

/*
 * MAP[C]: for each text number of SRC's text column C, its number in CS's
 * dictionary, the text interned there when new (NULL for the columns that
 * need none: not text, or every number the same in both).  In SRC's number
 * order, which is the order SRC first saw them: CS numbers them as if
 * SRC's rows had been appended one by one.  0, or -ENOMEM.
 */
#define MAP_AHEAD 8

static int map_texts(struct colstore *cs, const struct colstore *src, uint32_t **map)
{
	for (unsigned c = 0; c < cs->held_col; c++) {
		const struct dict *d = &src->dict[c];
		struct dict *to = &cs->dict[c];
		int same = 1;

		map[c] = NULL;
		if (!col_is_text(cs->k, c) || !d->n)
			continue;
		if (!(map[c] = malloc(d->n * sizeof(*map[c]))))
			return -ENOMEM;
		/*
		 * Slots for every text at once, and each text's first slot asked
		 * for a few texts ahead: in a dictionary of millions the lookups
		 * are cache misses, most of the time of this loop.
		 */
		while ((uint64_t)(to->n + d->n) * 2 >= to->nslots)
			if (dict_grow_slots(to))
				return -ENOMEM;
		for (uint32_t id = 0; id < d->n; id++) {
			if (id + MAP_AHEAD < d->n)
				__builtin_prefetch(&to->slot[d->text[id + MAP_AHEAD].hash & (to->nslots - 1)]);
			int64_t v = dict_intern_hashed(to, d->arena + d->text[id].off, d->text[id].len, d->text[id].hash);
			if (v < 0)
				return -ENOMEM;
			map[c][id] = (uint32_t)v;
			same &= v == id;
		}
		to->last = 0; /* the next colstore_append starts afresh */
		if (same) {
			free(map[c]);
			map[c] = NULL;
		}
	}
	return 0;
}

/*
 * The M rows just copied into the open chunk from FIRST on: their texts
 * renumbered by MAP, a text field the row's segment did not hold 0 as
 * colstore_append leaves it, and the chunk's ts range and the store's ts
 * order brought up to date.
 */
static void staged_fix(struct colstore *cs, uint32_t *const *map, uint64_t first, uint64_t m)
{
	const int64_t *held = cs->stage + (size_t)cs->held_col * COLSTORE_CHUNK_ROWS + first;
	const int64_t *ts = cs->stage + COLSTORE_CHUNK_ROWS + first;
	int64_t held_min = INT64_MAX;

	for (unsigned c = 0; c < cs->held_col; c++) {
		int64_t *v = cs->stage + (size_t)c * COLSTORE_CHUNK_ROWS + first;
		if (map[c])
			for (uint64_t i = 0; i < m; i++)
				v[i] = map[c][v[i]];
	}
	for (uint64_t i = 0; i < m; i++)
		if (held[i] < held_min)
			held_min = held[i];
	/* rows of an older minor version: the fields they lack read as 0, not as a renumbered 0 */
	for (unsigned c = 1; c < cs->held_col && held_min < (int64_t)cs->k->nfields; c++) {
		int64_t *v = cs->stage + (size_t)c * COLSTORE_CHUNK_ROWS + first;
		if (map[c])
			for (uint64_t i = 0; i < m; i++)
				if ((int64_t)(c - 1) >= held[i])
					v[i] = 0;
	}
	for (uint64_t i = 0; i < m; i++) {
		if (first + i == 0 || ts[i] < cs->stage_ts_min)
			cs->stage_ts_min = ts[i];
		if (first + i == 0 || ts[i] > cs->stage_ts_max)
			cs->stage_ts_max = ts[i];
		if (ts[i] < cs->last_ts)
			cs->ts_ordered = 0;
		cs->last_ts = ts[i];
	}
}

int colstore_append_store(struct colstore *cs, const struct colstore *src)
{
	uint32_t **map;
	uint64_t row = 0;
	int ret = 0;

	if (cs->derived || src->derived || src->k != cs->k)
		return -EINVAL;
	if (!src->rows)
		return 0;
	if (!(map = calloc(cs->held_col, sizeof(*map))))
		return -ENOMEM;
	if ((ret = map_texts(cs, src, map)))
		goto out;
	while (row < src->rows) {
		int64_t at = stage_row(cs);
		uint64_t m = src->rows - row, left;

		if (at < 0) {
			ret = -ENOMEM;
			goto out;
		}
		/* a slice within one chunk of each: it may start anywhere in CS's */
		if (m > (left = COLSTORE_CHUNK_ROWS - cs->staged))
			m = left;
		if (m > (left = COLSTORE_CHUNK_ROWS - (row & (COLSTORE_CHUNK_ROWS - 1))))
			m = left;
		for (unsigned c = 0; c < cs->ncols; c++)
			chunk_read(src, c, row, (size_t)m, cs->stage + (size_t)c * COLSTORE_CHUNK_ROWS + cs->staged);
		staged_fix(cs, map, cs->staged, m);
		cs->staged += m;
		cs->rows += m;
		row += m;
	}
out:
	for (unsigned c = 0; c < cs->held_col; c++)
		free(map[c]);
	free(map);
	return ret;
}

/* Text number ID of column COL's dictionary; a borrowed one's, of the store it names. */
static const char *text_of(const struct colstore *cs, unsigned col, int64_t id, size_t *len)
{
	const struct dict *d = &cs->dict[col];

	if (cs->derived) {
		int64_t source = id % COLSTORE_SOURCES;
		if (id < 0 || (unsigned)source >= cs->nborrowed[col]) {
			*len = 0;
			return "";
		}
		const struct borrowed *b = &cs->borrowed[col][source];
		return text_of(b->src, b->col, id / COLSTORE_SOURCES, len);
	}
	if (id < 0 || (uint64_t)id >= d->n) {
		/* a field no segment held: its dictionary is empty (read as NULL before this) */
		*len = 0;
		return "";
	}
	*len = d->text[id].len;
	return d->arena + d->text[id].off;
}

const char *colstore_text(const struct colstore *cs, uint64_t row, unsigned col, size_t *len)
{
	return text_of(cs, col, raw_get(cs, row, col), len);
}

const char *colstore_text_of(const struct colstore *cs, unsigned col, int64_t id, size_t *len)
{
	return text_of(cs, col, id, len);
}

void colstore_chunk_ts(const struct colstore *cs, uint64_t row, int64_t *min, int64_t *max)
{
	uint64_t c = row >> COLSTORE_CHUNK_SHIFT;

	if (c < cs->nchunks) {
		*min = cs->chunks[c]->ts_min;
		*max = cs->chunks[c]->ts_max;
	} else {
		*min = cs->stage_ts_min;
		*max = cs->stage_ts_max;
	}
}

uint64_t colstore_first_ts_at_least(const struct colstore *cs, int64_t ts)
{
	return colstore_first_ts_at_least_in(cs, NULL, ts);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Rows by (value of COL, row): a counting sort when the values span at
 * most 2^24 (pid_max is at most 2^22), else a sort of (value, row) pairs.
 */
static int build_eq_index(struct colstore *cs, unsigned col)
{
	uint64_t n = cs->rows;
	uint32_t *rows;
	int64_t min = INT64_MAX, max = INT64_MIN, v[1024];

	if (n > UINT32_MAX)
		return -ENOMEM;
	/* on huge pages: first touches of 4 KiB pages were most of the time (40 MB for 10M rows) */
	if (!(rows = big_alloc((n ? n : 1) * sizeof(*rows))))
		return -ENOMEM;
	/* the column read in bulk (colstore_read), three times: a value at a time was 15 ns a row */
	for (uint64_t first = 0; first < n; first += 1024) {
		size_t k = n - first < 1024 ? (size_t)(n - first) : 1024;
		colstore_read(cs, col, first, k, v, NULL);
		for (size_t i = 0; i < k; i++) {
			if (v[i] < min)
				min = v[i];
			if (v[i] > max)
				max = v[i];
		}
	}
	if (n && (uint64_t)max - (uint64_t)min < ((uint64_t)1 << 24)) {
		size_t span = (size_t)((uint64_t)max - (uint64_t)min) + 2;
		uint32_t *start = big_alloc(span * sizeof(*start));
		if (!start) {
			free(rows);
			return -ENOMEM;
		}
		memset(start, 0, span * sizeof(*start));
		for (uint64_t first = 0; first < n; first += 1024) {
			size_t k = n - first < 1024 ? (size_t)(n - first) : 1024;
			colstore_read(cs, col, first, k, v, NULL);
			for (size_t i = 0; i < k; i++)
				start[v[i] - min + 1]++;
		}
		for (size_t i = 1; i < span; i++)
			start[i] += start[i - 1];
		for (uint64_t first = 0; first < n; first += 1024) {
			size_t k = n - first < 1024 ? (size_t)(n - first) : 1024;
			colstore_read(cs, col, first, k, v, NULL);
			for (size_t i = 0; i < k; i++)
				rows[start[v[i] - min]++] = (uint32_t)(first + i);
		}
		free(start);
	} else if (n) {
		uint64_t *pairs = malloc(n * sizeof(*pairs));
		if (!pairs) {
			free(rows);
			return -ENOMEM;
		}
		/* a U32 field: it fits the high half */
		for (uint64_t r = 0; r < n; r++)
			pairs[r] = ((uint64_t)(uint32_t)raw_get(cs, r, col) << 32) | r;
		qsort(pairs, n, sizeof(*pairs), cmp_u64);
		for (uint64_t r = 0; r < n; r++)
			rows[r] = (uint32_t)pairs[r];
		free(pairs);
	}
	free(cs->eq[col].rows);
	cs->eq[col].rows = rows;
	cs->eq[col].n = n;
	return 0;
}

int colstore_rows_equal(struct colstore *cs, unsigned col, int64_t v, const uint32_t **rows, size_t *n)
{
	struct eq_index *ix = &cs->eq[col];
	uint64_t lo = 0, hi, first;

	if ((!ix->rows || ix->n != cs->rows) && build_eq_index(cs, col))
		return -ENOMEM;
	hi = ix->n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (raw_get(cs, ix->rows[mid], col) < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	hi = ix->n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (raw_get(cs, ix->rows[mid], col) <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	*rows = ix->rows + first;
	*n = (size_t)(lo - first);
	return 0;
}

struct ts_row {
	int64_t ts;
	uint32_t row;
};

static int cmp_ts_row(const void *a, const void *b)
{
	const struct ts_row *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Runs of V (N rows by row number) with ts never decreasing, past which a sort is cheaper than merging them. */
#define TS_RUNS_MAX 4096

/*
 * V (N rows in row order) by (ts, row): a store holds a run in ts order
 * per segment or host loaded (20 hosts: 20 runs), so its runs, found in
 * one pass, are merged pairwise, O(N log runs), rather than sorted; with
 * more than TS_RUNS_MAX runs, a sort.  TMP: room for N.  Returns V or TMP,
 * whichever holds the result.
 */
static struct ts_row *sort_ts_rows(struct ts_row *v, struct ts_row *tmp, uint64_t n)
{
	uint64_t start[TS_RUNS_MAX + 1];
	unsigned runs = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (i && v[i].ts >= v[i - 1].ts)
			continue;
		if (runs == TS_RUNS_MAX) {
			qsort(v, n, sizeof(*v), cmp_ts_row);
			return v;
		}
		start[runs++] = i;
	}
	start[runs] = n;
	while (runs > 1) {
		unsigned merged = 0;
		for (unsigned r = 0; r < runs; r += 2) {
			uint64_t i = start[r], mid = start[r + 1 < runs ? r + 1 : runs],
				 end = start[r + 2 < runs ? r + 2 : runs], j = mid, o = i;
			/* equal ts: the left run's row first, as its row numbers are lower */
			while (i < mid && j < end)
				tmp[o++] = v[j].ts < v[i].ts ? v[j++] : v[i++];
			while (i < mid)
				tmp[o++] = v[i++];
			while (j < end)
				tmp[o++] = v[j++];
			start[merged++] = start[r];
		}
		start[merged] = n;
		runs = merged;
		struct ts_row *t = v;
		v = tmp;
		tmp = t;
	}
	return v;
}

/*
 * V (N pairs in row order) sorted by (value, row), their rows written to
 * OUT; V freed.  Runs merged when there is room for them, else a sort in
 * place.
 */
static void sort_rows_out(struct ts_row *v, uint64_t n, uint32_t *out)
{
	struct ts_row *tmp = big_alloc((n ? n : 1) * sizeof(*tmp)), *sorted;

	if (tmp) {
		sorted = sort_ts_rows(v, tmp, n);
	} else {
		qsort(v, n, sizeof(*v), cmp_ts_row); /* in place: no room for merging */
		sorted = v;
	}
	for (uint64_t i = 0; i < n; i++)
		out[i] = sorted[i].row;
	free(v);
	free(tmp);
}

int colstore_ts_sort(const struct colstore *cs, uint32_t *rows, uint64_t n)
{
	struct ts_row *v;

	if (!(v = big_alloc((n ? n : 1) * sizeof(*v))))
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		v[i].ts = raw_get(cs, rows[i], 1);
		v[i].row = rows[i];
	}
	sort_rows_out(v, n, rows);
	return 0;
}

/*
 * Lanes past which merging them is left to a sort of (value, row) pairs;
 * a store with that many runs that do not go on from one another is rare
 * (a host each, as many hosts).
 */
#define LANES_MAX 1024

/*
 * The runs of a column (rows whose values never decrease) dealt into
 * lanes: run R is rows start[R] to start[R + 1] - 1, and next[R] the run
 * after it in its lane (NO_RUN: none); a lane's runs, one after another,
 * are in (value, row) order.
 */
#define NO_RUN UINT32_MAX

struct lanes {
	uint32_t *start, *next;
	uint64_t nruns, cap;
	unsigned n;
	uint32_t first[LANES_MAX], last[LANES_MAX]; /* each lane's first and last run */
	int64_t tail[LANES_MAX];                    /* the value its last run ends with */
};

/* Of L's lanes, the one a run starting at value V goes on: the one ending latest at most V; L->n for a new one. */
static unsigned lane_for(const struct lanes *l, int64_t v)
{
	unsigned best = l->n;

	for (unsigned i = 0; i < l->n; i++)
		if (l->tail[i] <= v && (best == l->n || l->tail[i] > l->tail[best]))
			best = i;
	return best;
}

/* A run starting at row ROW with value V, put on its lane: the lane, or -1 (too many lanes, out of memory). */
static int lanes_add_run(struct lanes *l, uint64_t row, int64_t v)
{
	unsigned lane = lane_for(l, v);

	if (l->nruns + 1 >= l->cap) {
		uint64_t cap = l->cap ? l->cap * 2 : 1024;
		uint32_t *start = realloc(l->start, cap * sizeof(*start)), *next;
		if (start)
			l->start = start;
		if (!start || !(next = realloc(l->next, cap * sizeof(*next))))
			return -1;
		l->next = next;
		l->cap = cap;
	}
	if (lane == l->n) {
		if (l->n == LANES_MAX)
			return -1;
		l->first[l->n++] = (uint32_t)l->nruns;
	} else {
		l->next[l->last[lane]] = (uint32_t)l->nruns;
	}
	l->last[lane] = (uint32_t)l->nruns;
	l->start[l->nruns] = (uint32_t)row;
	l->next[l->nruns++] = NO_RUN;
	return (int)lane;
}

/*
 * L: the runs of column COL of CS's rows, none NULL, found in one read of
 * the column.  0, or -1 when they do not fall into few lanes: past
 * LANES_MAX, or past a bound on the work of finding them (runs of a few
 * rows in many lanes: a sort is cheaper).
 */
static int lanes_find(const struct colstore *cs, unsigned col, struct lanes *l)
{
	uint64_t n = cs->rows, work = 0, budget = 16 * n + ((uint64_t)1 << 20);
	int64_t v[1024], prev = INT64_MIN;
	int lane = 0;

	for (uint64_t first = 0; first < n; first += 1024) {
		size_t k = n - first < 1024 ? (size_t)(n - first) : 1024;
		colstore_read(cs, col, first, k, v, NULL);
		for (size_t i = 0; i < k; i++) {
			if (first + i && v[i] >= prev) {
				prev = v[i];
				continue;
			}
			if (first + i)
				l->tail[lane] = prev; /* the run before this one ended */
			work += l->n;
			if (work > budget || (lane = lanes_add_run(l, first + i, v[i])) < 0)
				return -1;
			prev = v[i];
		}
	}
	l->start[l->nruns] = (uint32_t)n; /* room kept by lanes_add_run */
	return 0;
}

/* Where the merge of a lane is: row ROW (value V) of its run RUN, which ends before row END. */
struct lane_at {
	int64_t v;
	uint64_t row, end;
	uint32_t run;
};

static int lane_before(const struct lane_at *a, const struct lane_at *b)
{
	return a->v < b->v || (a->v == b->v && a->row < b->row);
}

/* A at its lane's next row (the next run's first when its run ended); 0 when the lane has no more. */
static int lane_next(const struct colstore *cs, unsigned col, const struct lanes *l, struct lane_at *a)
{
	if (++a->row == a->end) {
		if ((a->run = l->next[a->run]) == NO_RUN)
			return 0;
		a->row = l->start[a->run];
		a->end = l->start[a->run + 1];
	}
	a->v = raw_get(cs, a->row, col);
	return 1;
}

/* The heap H of K lanes (AT's, the first by (value, row) at H[0]) put right from H[I] down. */
static void lanes_heap_down(const struct lane_at *at, unsigned *h, unsigned k, unsigned i)
{
	for (unsigned c; (c = 2 * i + 1) < k; i = c) {
		if (c + 1 < k && lane_before(&at[h[c + 1]], &at[h[c]]))
			c++;
		if (!lane_before(&at[h[c]], &at[h[i]]))
			break;
		unsigned t = h[c];
		h[c] = h[i];
		h[i] = t;
	}
}

/* OUT: L's lanes of column COL merged, CS's rows by (value, row).  0, or -ENOMEM. */
static int lanes_merge(const struct colstore *cs, unsigned col, const struct lanes *l, uint32_t *out)
{
	struct lane_at *at = malloc(l->n * sizeof(*at));
	unsigned *h = malloc(l->n * sizeof(*h)), k = l->n;

	if (!at || !h) {
		free(at);
		free(h);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < k; i++) {
		at[i].run = l->first[i];
		at[i].row = l->start[at[i].run];
		at[i].end = l->start[at[i].run + 1];
		at[i].v = raw_get(cs, at[i].row, col);
		h[i] = i;
	}
	for (unsigned i = k / 2; i-- > 0;)
		lanes_heap_down(at, h, k, i);
	for (uint64_t o = 0; k; o++) {
		struct lane_at *a = &at[h[0]];
		out[o] = (uint32_t)a->row;
		if (!lane_next(cs, col, l, a))
			h[0] = h[--k];
		lanes_heap_down(at, h, k, 0);
	}
	free(at);
	free(h);
	return 0;
}

/*
 * OUT: CS's rows by (value of COL, row), none NULL, without a sort: the
 * rows of a store come in runs in order that fall into a few lanes, each
 * run going on where another ended (a real archive's rows are each CPU's
 * in ts order, the CPUs' blocks interleaved: 6076 runs in 5 lanes in one
 * of 30M records; hosts loaded one after another: a lane each).  The
 * lanes are merged in one pass, O(N log lanes), reading the column where
 * it is: a sort of (value, row) pairs wrote 32 bytes a row into fresh
 * memory, most of its time.  0, or -1 when the lanes are too many (or
 * out of memory): the rows want a sort.
 */
static int order_by_lanes(const struct colstore *cs, unsigned col, uint32_t *out)
{
	struct lanes *l = calloc(1, sizeof(*l));
	int ret = !l || lanes_find(cs, col, l) || lanes_merge(cs, col, l, out) ? -1 : 0;

	if (l) {
		free(l->start);
		free(l->next);
	}
	free(l);
	return ret;
}
/*
 * Into OUT: the NULL rows of COL in row order, then, when the values are
 * in order already (a single run: processes' exit_ts but for the lives
 * that never exited), the others in row order; *NULLS: how many are NULL.
 * 1 when OUT is complete, 0 when the values still want sorting.
 */
static int order_in_one_pass(const struct colstore *cs, unsigned col, uint32_t *out, uint64_t *nulls)
{
	int64_t v[1024], prev = INT64_MIN;
	uint8_t null[1024];
	uint64_t n = cs->rows, m = 0;
	int ordered = 1;

	*nulls = 0;
	for (uint64_t first = 0; first < n; first += 1024) {
		size_t k = n - first < 1024 ? (size_t)(n - first) : 1024;
		colstore_read(cs, col, first, k, v, null);
		for (size_t i = 0; i < k; i++) {
			if (null[i]) {
				out[(*nulls)++] = (uint32_t)(first + i);
				continue;
			}
			ordered &= v[i] >= prev;
			prev = v[i];
			m++;
		}
	}
	if (!ordered)
		return 0;
	m = *nulls;
	for (uint64_t first = 0; first < n && m < n; first += 1024) {
		size_t k = n - first < 1024 ? (size_t)(n - first) : 1024;
		colstore_read(cs, col, first, k, v, null);
		for (size_t i = 0; i < k; i++)
			if (!null[i])
				out[m++] = (uint32_t)(first + i);
	}
	return 1;
}

int colstore_order(struct colstore *cs, unsigned col, const uint32_t **rows)
{
	struct eq_index *ix = &cs->ord[col];
	struct ts_row *v;
	uint32_t *out;
	uint64_t n = cs->rows, nulls = 0, m = 0;
	int known;

	if (ix->rows && ix->n == n) {
		*rows = ix->rows;
		return 0;
	}
	if (n > UINT32_MAX || !(out = big_alloc((n ? n : 1) * sizeof(*out))))
		return -ENOMEM;
	/* a kind's ts is never NULL, and out of order just when colstore_ts_ordered says so: no pass to find out */
	known = !cs->derived && col == 1 && !cs->ts_ordered;
	if ((!known && order_in_one_pass(cs, col, out, &nulls)) || (!nulls && !order_by_lanes(cs, col, out)))
		goto done;
	if (!(v = big_alloc((n - nulls ? n - nulls : 1) * sizeof(*v)))) {
		free(out);
		return -ENOMEM;
	}
	/* NULLs first, as SQLite orders them, in row order (out has them); the values after them by (value, row) */
	for (uint64_t r = 0; r < n; r++) {
		if (!colstore_is_null(cs, r, col)) {
			v[m].ts = raw_get(cs, r, col);
			v[m++].row = (uint32_t)r;
		}
	}
	sort_rows_out(v, m, out + nulls);
done:
	free(ix->rows);
	ix->rows = out;
	ix->n = n;
	*rows = out;
	return 0;
}

int colstore_ts_order(struct colstore *cs, const uint32_t **rows)
{
	return colstore_order(cs, 1, rows);
}

/* A row of colstore_top: its value (NULL: below every value) and number. */
struct top_item {
	int64_t v;
	uint32_t row;
	uint8_t null;
};

/* Whether A comes before B in colstore_top's answer: by value (DESC: largest first), NULLs lowest, then by row. */
static int top_before(const struct top_item *a, const struct top_item *b, int desc)
{
	if (a->null != b->null)
		return desc ? b->null : a->null;
	if (!a->null && a->v != b->v)
		return desc ? a->v > b->v : a->v < b->v;
	return a->row < b->row;
}

static int cmp_top(const void *a, const void *b, void *desc)
{
	return top_before(a, b, *(int *)desc) ? -1 : top_before(b, a, *(int *)desc) ? 1 : 0;
}

/* The heap H of K items, the one that comes last at H[0], put right from H[I] down. */
static void top_heap_down(struct top_item *h, uint64_t k, uint64_t i, int desc)
{
	for (;;) {
		uint64_t c = 2 * i + 1;
		struct top_item t;
		if (c >= k)
			return;
		if (c + 1 < k && top_before(&h[c], &h[c + 1], desc))
			c++;
		if (!top_before(&h[i], &h[c], desc))
			return;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
}

int colstore_top(const struct colstore *cs, unsigned col, int desc, uint64_t limit, uint32_t **rows, uint64_t *n)
{
	uint64_t k = limit < cs->rows ? limit : cs->rows, m = 0;
	struct top_item *h = malloc((k ? k : 1) * sizeof(*h));
	int64_t v[1024];
	uint8_t null[1024];

	*n = 0;
	*rows = NULL;
	if (!h || !(*rows = malloc((k ? k : 1) * sizeof(**rows)))) {
		free(h);
		return -ENOMEM;
	}
	for (uint64_t first = 0; first < cs->rows && k; first += 1024) {
		size_t b = cs->rows - first < 1024 ? (size_t)(cs->rows - first) : 1024;
		colstore_read(cs, col, first, b, v, null);
		for (size_t i = 0; i < b; i++) {
			struct top_item x = { null[i] ? 0 : v[i], (uint32_t)(first + i), null[i] };
			if (m < k) {
				/* filling: up from the end, the last-coming at the root */
				uint64_t at = m++;
				h[at] = x;
				while (at && top_before(&h[(at - 1) / 2], &h[at], desc)) {
					struct top_item t = h[at];
					h[at] = h[(at - 1) / 2];
					h[(at - 1) / 2] = t;
					at = (at - 1) / 2;
				}
			} else if (top_before(&x, &h[0], desc)) {
				h[0] = x;
				top_heap_down(h, k, 0, desc);
			}
		}
	}
	if (m > 1)
		qsort_r(h, m, sizeof(*h), cmp_top, &desc);
	for (uint64_t i = 0; i < m; i++)
		(*rows)[i] = h[i].row;
	free(h);
	*n = m;
	return 0;
}

int colstore_has_ts_order(const struct colstore *cs)
{
	return cs->ord[1].rows && cs->ord[1].n == cs->rows;
}

/* Whether the chunk of CS from row FIRST has a ts in [LO, HI], by its span; *END: its end. */
static int chunk_meets(const struct colstore *cs, uint64_t first, int64_t lo, int64_t hi, uint64_t *end)
{
	int64_t min, max;

	*end = first + COLSTORE_CHUNK_ROWS < cs->rows ? first + COLSTORE_CHUNK_ROWS : cs->rows;
	colstore_chunk_ts(cs, first, &min, &max);
	return max >= lo && min <= hi;
}

int colstore_ts_slice(const struct colstore *cs, int64_t lo, int64_t hi, uint64_t budget, uint32_t **rows,
		      uint64_t *n, uint64_t *read)
{
	struct ts_row *v = NULL;
	uint64_t m = 0, cap = 0, end;
	int64_t ts[1024];

	*rows = NULL;
	*n = *read = 0;
	for (uint64_t first = 0; first < cs->rows; first += COLSTORE_CHUNK_ROWS)
		if (chunk_meets(cs, first, lo, hi, &end))
			*read += end - first;
	if (*read > budget) {
		*read = 0;
		return 1;
	}
	for (uint64_t first = 0; first < cs->rows; first += COLSTORE_CHUNK_ROWS) {
		if (!chunk_meets(cs, first, lo, hi, &end))
			continue;
		for (uint64_t at = first; at < end; at += 1024) {
			size_t k = end - at < 1024 ? (size_t)(end - at) : 1024;
			colstore_read(cs, 1, at, k, ts, NULL);
			for (size_t i = 0; i < k; i++) {
				if (ts[i] < lo || ts[i] > hi)
					continue;
				if (m == cap) {
					struct ts_row *w = realloc(v, (cap = cap ? cap * 2 : 1024) * sizeof(*v));
					if (!w) {
						free(v);
						return -ENOMEM;
					}
					v = w;
				}
				v[m].ts = ts[i];
				v[m++].row = (uint32_t)(at + i);
			}
		}
	}
	if (!(*rows = malloc((m ? m : 1) * sizeof(**rows)))) {
		free(v);
		return -ENOMEM;
	}
	if (m)
		qsort(v, m, sizeof(*v), cmp_ts_row);
	for (uint64_t i = 0; i < m; i++)
		(*rows)[i] = v[i].row;
	free(v);
	*n = m;
	return 0;
}

uint64_t colstore_first_ts_at_least_in(const struct colstore *cs, const uint32_t *order, int64_t ts)
{
	uint64_t lo = 0, hi = cs->rows;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (raw_get(cs, order ? order[mid] : mid, 1) < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
