/*
 * fuzz_segment.c - libFuzzer target: the segment and block reader.
 *
 * The input is read three times: as a segment file (header, block headers,
 * CRCs, resync over damage, LZ4, record frames); as the same with every
 * CRC made right, so that mutations reach the decompressor and the records
 * behind it; and as the decompressed payload of a block, whose records are
 * decoded and printed as `flightrec dump` does (text and JSON).  Built by `make fuzz` (tests/fuzz/run.sh, scripts/fuzz).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "crc32c.h"
#include "le.h"
#include "segment.h"

static FILE *sink;

static int on_record(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k, const void *rec)
{
	fr_record_print_text(sink, k, rec);
	fr_record_print_json(sink, k, rec, seg->host);
	return 0;
}

static void on_warn(void *ctx, const char *name, const char *msg)
{
	fprintf(sink, "%s: %s\n", name, msg);
}

static void records(const uint8_t *raw, size_t len)
{
	_Alignas(8) uint8_t rec[FR_RECORD_STRUCT_MAX];
	const uint8_t *payload;
	size_t off = 0, plen;
	unsigned kind, present;

	while (fr_block_next_record(raw, len, &off, &kind, &payload, &plen) == 1) {
		const struct fr_kind_desc *k = fr_kind_by_id(kind);
		if (!k || fr_record_decode(k, payload, plen, rec, &present))
			continue;
		fr_record_shift_ts(k, rec, 1000);
		fr_record_print_text(sink, k, rec);
		fr_record_print_json(sink, k, rec, "host");
	}
}

static void read_segment(const uint8_t *data, size_t size)
{
	struct fr_read_stats st = { 0 };
	struct fr_seg_reader r;
	char err[256];

	if (fr_seg_reader_open(&r, data, size, "fuzz", &st, on_warn, NULL, err, sizeof(err)) == 0) {
		fr_seg_read_records(&r, on_record, NULL);
		fr_seg_reader_close(&r);
	}
}

/* A copy of DATA whose segment header and block CRCs are all correct. */
static void read_fixed(const uint8_t *data, size_t size)
{
	uint8_t *p;

	if (size < FR_SEG_HDR_LEN || !(p = malloc(size)))
		return;
	memcpy(p, data, size);
	le32_put(p + 252, crc32c(0, p, 252));
	for (size_t o = FR_SEG_HDR_LEN; o + FR_BLOCK_HDR_LEN <= size; o++) {
		size_t stored;
		if (le32_get(p + o) != FR_BLOCK_MAGIC)
			continue;
		stored = le32_get(p + o + 12);
		if (stored <= size - o - FR_BLOCK_HDR_LEN)
			le32_put(p + o + 20, crc32c(0, p + o + FR_BLOCK_HDR_LEN, stored));
		le32_put(p + o + 60, crc32c(0, p + o, 60));
	}
	read_segment(p, size);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fr_block_hdr h;
	const char *why;

	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	read_segment(data, size);
	read_fixed(data, size);
	/* A block header at the start, for the CRC-free paths of the parser. */
	if (fr_block_hdr_parse(data, size, &h, &why) == 0) {
		uint8_t *raw = malloc(FR_BLOCK_RAW_MAX);
		if (raw && fr_block_unpack(&h, data + FR_BLOCK_HDR_LEN, raw, &why) == 0)
			records(raw, h.raw_len);
		free(raw);
	}
	records(data, size);
	return 0;
}
