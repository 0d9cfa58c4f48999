/*
 * test_format.c - the on-disk format (schema/FORMAT.md): checksums, the
 * record codec for every kind and across minor versions, blocks, segments
 * with damage and truncation, malformed headers, and archives read as
 * untrusted input.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block.h"
#include "crc32c.h"
#include "ddl.h"
#include "input.h"
#include "le.h"
#include "record.h"
#include "segment.h"
#include "sha256.h"
#include "tap.h"

static char tmpdir[256];

/* Fill every field of a struct of kind K with values derived from SEED. */
static void fill(const struct fr_kind_desc *k, void *rec, unsigned seed)
{
	memset(rec, 0, k->struct_size);
	((struct fr_head *)rec)->kind = k->id;
	for (unsigned i = 0; i < k->nfields; i++) {
		const struct fr_field *f = &k->fields[i];
		char *p = (char *)rec + f->offset;
		uint64_t v = 0x0123456789abcdefULL * (i + 1) + seed;

		switch (f->type) {
		case FR_U8:
			*(uint8_t *)p = (uint8_t)v;
			break;
		case FR_U16:
			*(uint16_t *)p = (uint16_t)v;
			break;
		case FR_U32:
			*(uint32_t *)p = (uint32_t)v;
			break;
		case FR_S32:
			*(int32_t *)p = -(int32_t)(v & 0xffff) - 1; /* negative */
			break;
		case FR_TS:
		case FR_U64:
		case FR_S64:
			*(uint64_t *)p = v;
			break;
		case FR_STR: /* the longest string the field holds */
			for (unsigned j = 0; j + 1 < f->size; j++)
				p[j] = (char)('a' + (j + i + seed) % 26);
			break;
		case FR_STRV: /* an argv with NULs inside, full */
			for (unsigned j = 0; j < f->size; j++)
				p[j] = j % 7 == 6 ? '\0' : (char)('A' + (j + seed) % 26);
			p[f->size - 1] = 'z';
			*(uint16_t *)((char *)rec + f->len_offset) = f->size;
			break;
		}
	}
}

static int same_fields(const struct fr_kind_desc *k, const void *a, const void *b, unsigned upto)
{
	char ta[1024], tb[1024];

	for (unsigned i = 0; i < upto; i++) {
		const struct fr_field *f = &k->fields[i];
		if (fr_field_is_text(f)) {
			size_t na = fr_field_text(f, a, ta, sizeof(ta)), nb = fr_field_text(f, b, tb, sizeof(tb));
			if (na != nb || memcmp(ta, tb, na))
				return 0;
		} else if (fr_field_int(f, a) != fr_field_int(f, b)) {
			return 0;
		}
	}
	return 1;
}

/* Encoded size of the first N fields of REC. */
static size_t prefix_len(const struct fr_kind_desc *k, const void *rec, unsigned n)
{
	static const unsigned width[] = { [FR_TS] = 8, [FR_U8] = 1, [FR_U16] = 2, [FR_U32] = 4,
					  [FR_U64] = 8, [FR_S32] = 4, [FR_S64] = 8 };
	char t[1024];
	size_t len = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct fr_field *f = &k->fields[i];
		if (fr_field_is_text(f)) {
			len += 2 + fr_field_text(f, rec, t, sizeof(t));
			if (f->type == FR_STRV) /* the stored list keeps its NULs, minus the trailing ones */
				len = len - fr_field_text(f, rec, t, sizeof(t)) + fr_field_text(f, rec, t, sizeof(t));
		} else {
			len += width[f->type];
		}
	}
	return len;
}

static void test_checksums(void)
{
	struct sha256 s;
	char hex[65];
	char *mill = malloc(1000000);

	ok(crc32c(0, "123456789", 9) == 0xE3069283, "crc32c - \"123456789\", expect 0xE3069283");
	ok(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xE3069283, "crc32c - in two parts, expect the same");
	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_hex(&s, hex);
	ok(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	   "sha256 - \"abc\", expect the FIPS 180-4 digest");
	sha256_init(&s);
	sha256_hex(&s, hex);
	ok(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	   "sha256 - empty input, expect e3b0c442...");
	memset(mill, 'a', 1000000);
	sha256_init(&s);
	sha256_update(&s, mill, 999999);
	sha256_update(&s, mill, 1);
	sha256_hex(&s, hex);
	ok(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	   "sha256 - a million 'a', expect cdc76e5c...");
	free(mill);
}

static void test_records(void)
{
	_Alignas(8) uint8_t a[FR_RECORD_STRUCT_MAX], b[FR_RECORD_STRUCT_MAX], buf[FR_RECORD_STRUCT_MAX + 64];
	int all_ok = 1, all_len = 1;

	for (unsigned i = 0; i < fr_nkinds; i++) {
		const struct fr_kind_desc *k = &fr_kinds[i];
		unsigned present = 0;
		int n;

		fill(k, a, i);
		n = fr_record_encode(k, a, buf, sizeof(buf));
		if (n < FR_RECORD_FRAME || le16_get(buf) != k->id || le16_get(buf + 2) != n - FR_RECORD_FRAME)
			all_len = 0;
		if (fr_record_decode(k, buf + FR_RECORD_FRAME, (size_t)n - FR_RECORD_FRAME, b, &present) ||
		    present != k->nfields || !same_fields(k, a, b, k->nfields)) {
			diag("kind %s does not round-trip", k->name);
			all_ok = 0;
		}
	}
	ok(all_len, "fr_record_encode - every kind, expect frame kind and length to match");
	ok(all_ok, "fr_record_decode - every kind with every field set, expect the same values back");

	/* A file from an older minor version: the last fields are missing. */
	const struct fr_kind_desc *k = fr_kind_by_name("exec");
	fill(k, a, 3);
	int n = fr_record_encode(k, a, buf, sizeof(buf));
	size_t cut = prefix_len(k, a, 9); /* ts .. argv, without cgroup_id, exe, cgroup, container */
	unsigned present = 0;
	ok(fr_record_decode(k, buf + FR_RECORD_FRAME, cut, b, &present) == 0 && present == 9,
	   "fr_record_decode - payload of an older minor version, expect 9 of %u fields present (%u)", k->nfields,
	   present);
	ok(same_fields(k, a, b, 9) && fr_field_int(&k->fields[9], b) == 0 && ((struct fr_exec *)b)->exe[0] == 0,
	   "fr_record_decode - older payload, expect known fields equal and missing ones zero");
	/* A file from a newer minor version: extra bytes after the known fields. */
	memset(buf + n, 0x5a, 40);
	ok(fr_record_decode(k, buf + FR_RECORD_FRAME, (size_t)n - FR_RECORD_FRAME + 40, b, &present) == 0 &&
		   present == k->nfields && same_fields(k, a, b, k->nfields),
	   "fr_record_decode - newer payload with 40 unknown bytes, expect them ignored");
	/* A string length running past the payload. */
	le16_put(buf + FR_RECORD_FRAME + 24 + 4, 0x7fff); /* comm's length, after ts and 5 u32 */
	ok(fr_record_decode(k, buf + FR_RECORD_FRAME, (size_t)n - FR_RECORD_FRAME, b, &present) == -EBADMSG,
	   "fr_record_decode - a string length past the payload, expect -EBADMSG");
	le16_put(buf + FR_RECORD_FRAME + 28, 16); /* 16 > the 15 bytes comm holds */
	ok(fr_record_decode(k, buf + FR_RECORD_FRAME, (size_t)n - FR_RECORD_FRAME, b, &present) == -EBADMSG,
	   "fr_record_decode - a string longer than its field, expect -EBADMSG");

	struct fr_exec e;
	char text[512];
	memset(&e, 0, sizeof(e));
	memcpy(e.argv, "ls\0-l\0/tmp\0", 11);
	e.argv_len = 11;
	fr_field_text(&k->fields[8], &e, text, sizeof(text));
	ok(!strcmp(text, "ls -l /tmp"), "fr_field_text - argv list, expect 'ls -l /tmp' (got '%s')", text);
}

static struct fr_exec mkexec(uint32_t pid, uint64_t ts)
{
	struct fr_exec e;

	memset(&e, 0, sizeof(e));
	e.head.kind = FR_KIND_exec;
	e.ts = ts;
	e.pid = e.tid = pid;
	snprintf(e.comm, sizeof(e.comm), "p%u", pid);
	snprintf(e.filename, sizeof(e.filename), "/bin/p%u", pid);
	return e;
}

/* One sealed block of exec records PID0..PID0+N-1 appended to OUT. */
static size_t add_block(uint8_t *out, uint32_t pid0, unsigned n)
{
	struct fr_blockbuf bb;
	int len;

	fr_blockbuf_init(&bb, FR_BLOCK_RAW_TARGET);
	for (unsigned i = 0; i < n; i++) {
		struct fr_exec e = mkexec(pid0 + i, 1000 + pid0 + i);
		fr_blockbuf_add(&bb, fr_kind_by_id(FR_KIND_exec), &e);
	}
	len = fr_block_seal(&bb, 100, 1000000100, out, fr_block_bound(bb.len));
	fr_blockbuf_free(&bb);
	return len > 0 ? (size_t)len : 0;
}

static void test_blocks(void)
{
	struct fr_blockbuf bb;
	struct fr_block_hdr h;
	uint8_t *sealed = malloc(fr_block_bound(FR_BLOCK_RAW_TARGET)), *raw = malloc(FR_BLOCK_RAW_MAX);
	const char *why = "";
	uint64_t ts[] = { 500, 90, 7000, 300 };
	size_t off = 0, plen;
	const uint8_t *payload;
	unsigned kind, count = 0;
	int n;

	fr_blockbuf_init(&bb, FR_BLOCK_RAW_TARGET);
	for (int i = 0; i < 100; i++) {
		struct fr_exec e = mkexec((uint32_t)i, ts[i % 4] + (uint64_t)i);
		fr_blockbuf_add(&bb, fr_kind_by_id(FR_KIND_exec), &e);
	}
	n = fr_block_seal(&bb, 5, 10, sealed, fr_block_bound(bb.len));
	ok(n > FR_BLOCK_HDR_LEN && (size_t)n < bb.len, "fr_block_seal - 100 records, expect compressed (%d of %zu)", n,
	   bb.len);
	ok(fr_block_hdr_parse(sealed, (size_t)n, &h, &why) == 0 && h.nrecords == 100 && h.raw_len == bb.len,
	   "fr_block_hdr_parse - expect 100 records and the raw length");
	ok(h.first_ts == 91 && h.last_ts == 7000 + 98, "fr_block_hdr_parse - first/last ts are min/max, expect 91 and 7098 (%llu, %llu)",
	   (unsigned long long)h.first_ts, (unsigned long long)h.last_ts);
	ok(h.clock_boot == 5 && h.clock_real == 10, "fr_block_hdr_parse - the clock pair, expect 5 and 10");
	ok(fr_block_unpack(&h, sealed + FR_BLOCK_HDR_LEN, raw, &why) == 0 && !memcmp(raw, bb.raw, bb.len),
	   "fr_block_unpack - expect the raw records back");
	while (fr_block_next_record(raw, h.raw_len, &off, &kind, &payload, &plen) == 1)
		count += kind == FR_KIND_exec;
	ok(count == 100, "fr_block_next_record - expect 100 exec records (%u)", count);

	sealed[FR_BLOCK_HDR_LEN + 10] ^= 0x04;
	ok(fr_block_unpack(&h, sealed + FR_BLOCK_HDR_LEN, raw, &why) == -EBADMSG && !strcmp(why, "bad block CRC"),
	   "fr_block_unpack - one flipped payload bit, expect 'bad block CRC' (%s)", why);
	sealed[FR_BLOCK_HDR_LEN + 10] ^= 0x04;
	sealed[17] ^= 0x01;
	ok(fr_block_hdr_parse(sealed, (size_t)n, &h, &why) == -EBADMSG && !strcmp(why, "bad block header CRC"),
	   "fr_block_hdr_parse - one flipped header bit, expect 'bad block header CRC' (%s)", why);
	sealed[17] ^= 0x01;
	ok(fr_block_hdr_parse(sealed, FR_BLOCK_HDR_LEN - 1, &h, &why) == -ENODATA &&
		   fr_block_hdr_parse(sealed, (size_t)n - 1, &h, &why) == -ENODATA,
	   "fr_block_hdr_parse - cut header or payload, expect -ENODATA (a truncated tail)");
	fr_blockbuf_free(&bb);
	free(sealed);
	free(raw);
}

struct collected {
	uint32_t pids[64];
	unsigned n;
	unsigned warnings;
	char last_warning[512];
	char manifest[256];
};

static int collect(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k, const void *rec)
{
	struct collected *c = ctx;

	if (k->id == FR_KIND_exec && c->n < 64)
		c->pids[c->n++] = ((const struct fr_exec *)rec)->pid;
	return 0;
}

static void warned(void *ctx, const char *name, const char *msg)
{
	struct collected *c = ctx;

	c->warnings++;
	snprintf(c->last_warning, sizeof(c->last_warning), "%s: %s", name, msg);
}

static int got_manifest(void *ctx, const char *path, const char *json, size_t len)
{
	struct collected *c = ctx;

	snprintf(c->manifest, sizeof(c->manifest), "%.*s", (int)len, json);
	return 0;
}

static const struct fr_input_ops ops = { .record = collect, .warn = warned, .manifest = got_manifest };

/* A segment of 3 blocks of 4 records (pids 10.., 20.., 30..); offsets of blocks 2 and 3. */
static size_t make_segment(uint8_t *seg, size_t *b2, size_t *b3)
{
	struct fr_seg_hdr h = { 0 };
	size_t len;

	h.major = FR_FORMAT_MAJOR;
	h.minor = FR_FORMAT_MINOR;
	h.seq = 7;
	snprintf(h.host, sizeof(h.host), "unit");
	snprintf(h.boot_id, sizeof(h.boot_id), "b");
	fr_seg_hdr_encode(&h, seg);
	len = FR_SEG_HDR_LEN;
	len += add_block(seg + len, 10, 4);
	*b2 = len;
	len += add_block(seg + len, 20, 4);
	*b3 = len;
	len += add_block(seg + len, 30, 4);
	return len;
}

static void read_mem(const uint8_t *data, size_t len, struct collected *c, struct fr_read_stats *st)
{
	struct fr_seg_reader r;
	char err[256];

	memset(c, 0, sizeof(*c));
	memset(st, 0, sizeof(*st));
	if (fr_seg_reader_open(&r, data, len, "mem", st, warned, c, err, sizeof(err)) == 0) {
		fr_seg_read_records(&r, collect, c);
		fr_seg_reader_close(&r);
	}
}

static void test_segments(void)
{
	uint8_t *seg = malloc(1 << 20), *copy = malloc(1 << 20);
	struct fr_read_stats st;
	struct collected c;
	struct fr_seg_hdr h;
	size_t len, b2, b3;
	char err[256];

	len = make_segment(seg, &b2, &b3);
	read_mem(seg, len, &c, &st);
	ok(c.n == 12 && st.blocks == 3 && c.warnings == 0, "fr_seg_read_records - intact segment, expect 12 records in 3 blocks");

	/* Truncated in the middle of block 3: blocks 1 and 2 exactly. */
	size_t cut = b3 + 30;
	read_mem(seg, cut, &c, &st);
	ok(c.n == 8 && c.pids[0] == 10 && c.pids[7] == 23, "truncated segment - expect the 8 records of blocks 1-2 (%u)", c.n);
	ok(st.truncated_bytes == 30 && c.warnings == 1, "truncated segment - expect 30 truncated bytes reported (%llu)",
	   (unsigned long long)st.truncated_bytes);

	/* A corrupted middle block: skipped, the reader finds block 3. */
	memcpy(copy, seg, len);
	copy[b2 + FR_BLOCK_HDR_LEN + 5] ^= 0x80;
	read_mem(copy, len, &c, &st);
	ok(c.n == 8 && c.pids[3] == 13 && c.pids[4] == 30 && st.bad_blocks == 1,
	   "corrupted block - expect blocks 1 and 3 exactly, one bad block (%u records)", c.n);
	ok(strstr(c.last_warning, "bad block CRC at offset") != NULL, "corrupted block - expect 'bad block CRC at offset N' (%s)",
	   c.last_warning);

	/* Malformed headers. */
	memcpy(copy, seg, FR_SEG_HDR_LEN);
	copy[0] = 'X';
	ok(fr_seg_hdr_parse(copy, FR_SEG_HDR_LEN, &h, err, sizeof(err)) == -EBADMSG && strstr(err, "bad magic"),
	   "fr_seg_hdr_parse - bad magic, expect a message (%s)", err);
	memcpy(copy, seg, FR_SEG_HDR_LEN);
	copy[100] ^= 1;
	ok(fr_seg_hdr_parse(copy, FR_SEG_HDR_LEN, &h, err, sizeof(err)) == -EBADMSG && strstr(err, "CRC"),
	   "fr_seg_hdr_parse - a flipped bit, expect a CRC message (%s)", err);
	memcpy(copy, seg, FR_SEG_HDR_LEN);
	le16_put(copy + 8, 2);
	le16_put(copy + 10, 0);
	le32_put(copy + 252, crc32c(0, copy, 252));
	ok(fr_seg_hdr_parse(copy, FR_SEG_HDR_LEN, &h, err, sizeof(err)) == -EPROTONOSUPPORT && strstr(err, "2.0"),
	   "fr_seg_hdr_parse - major version 2, expect -EPROTONOSUPPORT naming 2.0 (%s)", err);
	ok(fr_seg_hdr_parse(seg, 100, &h, err, sizeof(err)) == -EBADMSG && strstr(err, "too short"),
	   "fr_seg_hdr_parse - 100 bytes, expect 'too short' (%s)", err);
	free(seg);
	free(copy);
}

/* The records of [FROM, TO) of segment DATA read by a reader of that run alone, appended to C. */
static void read_run(const uint8_t *data, size_t len, size_t from, size_t to, struct collected *c,
		     struct fr_read_stats *st)
{
	struct fr_seg_reader whole, run;
	char err[256];

	if (fr_seg_reader_open(&whole, data, len, "mem", st, NULL, NULL, err, sizeof(err)))
		return;
	if (fr_seg_reader_sub(&run, &whole, from, to, st, warned, c) == 0) {
		fr_seg_read_records(&run, collect, c);
		fr_seg_reader_close(&run);
	}
	fr_seg_reader_close(&whole);
}

static void test_runs(void)
{
	uint8_t *seg = malloc(1 << 20), *copy = malloc(1 << 20);
	struct fr_seg_reader r;
	struct fr_read_stats st;
	struct collected c;
	size_t len, b2, b3, n, *cuts;
	char err[256];

	len = make_segment(seg, &b2, &b3);
	fr_seg_reader_open(&r, seg, len, "mem", &st, NULL, NULL, err, sizeof(err));
	cuts = fr_seg_split(&r, 4, &n);
	ok(cuts && n == 3 && cuts[0] == FR_SEG_HDR_LEN && cuts[1] == b2 && cuts[2] == b3 && cuts[3] == len,
	   "fr_seg_split - 3 blocks of 4 records, runs of 4, expect a run a block, cut at the blocks (%zu runs)", n);
	free(cuts);
	cuts = fr_seg_split(&r, 5, &n);
	ok(cuts && n == 2 && cuts[1] == b3 && cuts[2] == len,
	   "fr_seg_split - runs of 5 records, expect blocks 1-2 and block 3 (%zu runs)", n);
	free(cuts);
	cuts = fr_seg_split(&r, 100, &n);
	ok(cuts && n == 1 && cuts[0] == FR_SEG_HDR_LEN && cuts[1] == len, "fr_seg_split - runs of 100, expect one run (%zu)", n);
	free(cuts);
	fr_seg_reader_close(&r);

	/* the runs read one by one: the whole segment's records, in order */
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	read_run(seg, len, b2, b3, &c, &st);
	read_run(seg, len, b3, len, &c, &st);
	read_run(seg, len, FR_SEG_HDR_LEN, b2, &c, &st);
	ok(c.n == 12 && c.pids[0] == 20 && c.pids[4] == 30 && c.pids[8] == 10 && st.blocks == 3 && c.warnings == 0,
	   "fr_seg_reader_sub - runs 2, 3, 1 read alone, expect each run's 4 records, in its order (%u)", c.n);

	/* a broken block header stops the cutting: the last run reads past it as the whole reader would */
	memcpy(copy, seg, len);
	copy[b2 + 20] ^= 0xff;
	fr_seg_reader_open(&r, copy, len, "mem", &st, NULL, NULL, err, sizeof(err));
	cuts = fr_seg_split(&r, 1, &n);
	ok(cuts && n == 1 && cuts[1] == len, "fr_seg_split - block 2's header broken, expect one run to the end (%zu)", n);
	fr_seg_reader_close(&r);
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	if (cuts)
		read_run(copy, len, cuts[0], cuts[1], &c, &st);
	free(cuts);
	ok(c.n == 8 && c.pids[4] == 30 && st.bad_blocks == 1 && strstr(c.last_warning, "bad block header CRC at offset"),
	   "fr_seg_reader_sub - the run over the broken header, expect blocks 1 and 3 and the damage reported (%s)",
	   c.last_warning);

	/* a cut end: the walk stops at the truncated block, the run before it reads it and reports it */
	fr_seg_reader_open(&r, seg, b3 + 30, "mem", &st, NULL, NULL, err, sizeof(err));
	cuts = fr_seg_split(&r, 4, &n);
	ok(cuts && n == 2 && cuts[1] == b2 && cuts[2] == b3 + 30,
	   "fr_seg_split - cut in block 3, expect 2 runs, the last block 2 and the cut block (%zu)", n);
	fr_seg_reader_close(&r);
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	if (cuts)
		read_run(seg, b3 + 30, cuts[1], cuts[2], &c, &st);
	free(cuts);
	ok(c.n == 4 && c.pids[0] == 20 && st.truncated_bytes == 30 && c.warnings == 1,
	   "fr_seg_reader_sub - the last run, expect block 2's 4 records and 30 truncated bytes (%llu)",
	   (unsigned long long)st.truncated_bytes);
	free(seg);
	free(copy);
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ret = f && fwrite(data, 1, len, f) == len ? 0 : -1;

	if (f)
		fclose(f);
	return ret;
}

/* A tar with MANIFEST.json, window.seg, extra members, and SHA256SUMS. */
static void make_archive(const char *path, const uint8_t *seg, size_t seglen, int hostile, int bad_sum)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	static const char manifest[] = "{\"format\": \"1.0\", \"host\": \"unit\"}";
	char sums[512];
	struct sha256 s;
	char h1[65], h2[65];

	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, path);
	sha256_init(&s);
	sha256_update(&s, manifest, strlen(manifest));
	sha256_hex(&s, h1);
	sha256_init(&s);
	sha256_update(&s, seg, seglen);
	sha256_hex(&s, h2);
	if (bad_sum)
		h2[0] = h2[0] == '0' ? '1' : '0';
	snprintf(sums, sizeof(sums), "%s  MANIFEST.json\n%s  window.seg\n", h1, h2);
	struct {
		const char *name;
		const void *data;
		size_t len;
		int type;
	} m[] = {
		{ "MANIFEST.json", manifest, strlen(manifest), AE_IFREG },
		{ "window.seg", seg, seglen, AE_IFREG },
		{ "/etc/evil.seg", seg, seglen, AE_IFREG },
		{ "../../evil.seg", seg, seglen, AE_IFREG },
		{ "link.seg", NULL, 0, AE_IFLNK },
		{ "SHA256SUMS", sums, strlen(sums), AE_IFREG },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (!hostile && i >= 2 && i <= 4)
			continue;
		e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, (unsigned)m[i].type);
		archive_entry_set_perm(e, 0600);
		if (m[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, "/etc/passwd");
		archive_entry_set_size(e, (la_int64_t)m[i].len);
		archive_write_header(a, e);
		if (m[i].len)
			archive_write_data(a, m[i].data, m[i].len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static void test_inputs(void)
{
	uint8_t *seg = malloc(1 << 20);
	struct fr_read_stats st;
	struct collected c;
	char path[512], err[512];
	size_t len, b2, b3;

	len = make_segment(seg, &b2, &b3);

	snprintf(path, sizeof(path), "%s/garbage", tmpdir);
	write_file(path, "this is not a flightrec file at all, just some words.", 52);
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	ok(fr_input_read(path, &ops, &c, &st, err, sizeof(err)) < 0 && strstr(err, "not a flightrec"),
	   "fr_input_read - garbage, expect 'not a flightrec ...' (%s)", err);
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	write_file(path, "", 0);
	ok(fr_input_read(path, &ops, &c, &st, err, sizeof(err)) < 0 && !strcmp(err, "empty file"),
	   "fr_input_read - empty file, expect 'empty file' (%s)", err);
	snprintf(path, sizeof(path), "%s/nonexistent", tmpdir);
	ok(fr_input_read(path, &ops, &c, &st, err, sizeof(err)) == -ENOENT, "fr_input_read - missing file, expect -ENOENT");

	snprintf(path, sizeof(path), "%s/good.tar", tmpdir);
	make_archive(path, seg, len, 0, 0);
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	ok(fr_input_read(path, &ops, &c, &st, err, sizeof(err)) == 0 && c.n == 12 && c.warnings == 0,
	   "fr_input_read - a tar archive, expect its 12 records and no warning (%u, %u: %s)", c.n, c.warnings,
	   c.last_warning);
	ok(!strcmp(c.manifest, "{\"format\": \"1.0\", \"host\": \"unit\"}"), "fr_input_read - expect the manifest handed over");

	snprintf(path, sizeof(path), "%s/hostile.tar", tmpdir);
	make_archive(path, seg, len, 1, 0);
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	ok(fr_input_read(path, &ops, &c, &st, err, sizeof(err)) == 0 && c.n == 12,
	   "hostile archive - expect only window.seg's 12 records loaded (%u)", c.n);
	ok(c.warnings >= 3, "hostile archive - expect absolute, '..' and link members refused with warnings (%u)",
	   c.warnings);

	snprintf(path, sizeof(path), "%s/badsum.tar", tmpdir);
	make_archive(path, seg, len, 0, 1);
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	fr_input_read(path, &ops, &c, &st, err, sizeof(err));
	ok(strstr(c.last_warning, "member window.seg does not match its SHA256SUMS checksum") != NULL,
	   "archive with a wrong checksum - expect a warning naming window.seg (%s)", c.last_warning);
	free(seg);
}

static void test_ddl(void)
{
	char *sql = fr_schema_sql(), want[128];
	int all = 1;

	for (unsigned i = 0; sql && i < fr_nkinds; i++) {
		snprintf(want, sizeof(want), "CREATE TABLE %s (", fr_kinds[i].table);
		if (!strstr(sql, want))
			all = 0;
	}
	ok(sql && all, "fr_schema_sql - expect a table for every kind");
	ok(sql && strstr(sql, "CREATE VIEW timeline") && strstr(sql, "CREATE TABLE processes"),
	   "fr_schema_sql - expect the timeline view and the processes table");
	free(sql);
}

/* JSON of raw bytes: what a comm or an argument may hold. */
static void test_json(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{ "a\"b\\c\n\t", 7, "\"a\\\"b\\\\c\\n\\t\"" },
		{ "caf\xc3\xa9", 5, "\"caf\xc3\xa9\"" },
		{ "x\xff\xfey", 4, "\"x\\ufffd\\ufffdy\"" },
		{ "\xc3", 1, "\"\\ufffd\"" },              /* a sequence cut by the end */
		{ "\xe2\x82", 2, "\"\\ufffd\\ufffd\"" },
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },       /* overlong '/' */
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" }, /* a UTF-16 surrogate */
		{ "a\0b\x7f", 4, "\"a\\u0000b\\u007f\"" },
		{ "\xf0\x9f\x99\x82", 4, "\"\xf0\x9f\x99\x82\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[128] = "";
		FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

		fr_json_string(f, cases[i].in, cases[i].len);
		fclose(f);
		ok(!strcmp(buf, cases[i].want), "fr_json_string - case %zu, expect %s", i, cases[i].want);
	}
}

/* The minor version of each field, worked out at compile time from its doc's "(1.N)". */
static void test_field_minors(void)
{
	unsigned wrong = 0, newer = 0;

	for (unsigned i = 0; i < fr_nkinds; i++)
		for (unsigned j = 0; j < fr_kinds[i].nfields; j++) {
			const struct fr_field *f = &fr_kinds[i].fields[j];
			const char *p = strrchr(f->doc, '(');
			unsigned major, minor = 0, want = 0;
			int end = 0;

			if (p && sscanf(p, "(%u.%u)%n", &major, &minor, &end) == 2 && end > 0 && !p[end] &&
			    major == FR_FORMAT_MAJOR)
				want = minor;
			wrong += f->minor != want;
			newer += f->minor > FR_FORMAT_MINOR;
		}
	ok(wrong == 0, "fr_field.minor - every field, expect the minor its doc names (%u differ)", wrong);
	ok(newer == 0, "fr_field.minor - every field, expect none newer than FR_FORMAT_MINOR %d (%u)", FR_FORMAT_MINOR,
	   newer);
	ok(fr_kind_by_name("exec")->fields[16].minor == 2 && !strcmp(fr_kind_by_name("exec")->fields[16].name, "euid"),
	   "fr_field.minor - exec.euid, expect 2");
	ok(fr_kind_by_name("exec")->fields[0].minor == 0, "fr_field.minor - exec.ts, expect 0");
}

int main(void)
{
	char cmd[600];

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_format.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("1..0 # SKIP cannot create a temporary directory\n");
		return 0;
	}
	test_checksums();
	test_records();
	test_blocks();
	test_segments();
	test_runs();
	test_inputs();
	test_ddl();
	test_json();
	test_field_minors();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("cannot remove %s", tmpdir);
	tap_plan(tap_n);
	return tap_done();
}
