#!/usr/bin/env bash
# new-kind.sh - a record kind is records.def and its docs (CONTRIBUTING.md,
# "A new record kind"): in a copy of schema/, one RECORD appended to
# records.def and one row to FORMAT.md's kind table give, with no other
# change, a C struct, a descriptor, an encoder and a decoder that round-trip
# it, a dump line and an SQL table; and the docs check (docs.sh) holds for
# the new kind.  No root.
. "$TESTS_SRCDIR/e2e/lib.sh"

SRC=$TESTS_SRCDIR/..
CC=${CC:-cc}
command -v "$CC" >/dev/null || { skip_all "no C compiler ($CC)"; exit 0; }
[ -f "$TOP_BUILDDIR/schema/views-sql.h" ] || { skip_all "no built schema/views-sql.h in $TOP_BUILDDIR"; exit 0; }

w=$TEST_TMP/src
mkdir -p "$w/schema" "$w/tests/e2e" && cp "$SRC"/schema/* "$w/schema/" && cp "$TOP_BUILDDIR/schema/views-sql.h" "$w/schema/"
cp "$SRC/tests/e2e/docs.sh" "$SRC/tests/e2e/lib.sh" "$w/tests/e2e/"

# Step 1: records.def.
cat >> "$w/schema/records.def" <<'DEF'

RECORD(63, testkind, test_kinds, "a kind that only this test adds")
FIELD(testkind, ts, TS, "boot-time ns")
FIELD(testkind, pid, U32, "process id")
STR(testkind, label, 32, "a label")
FIELD(testkind, value, U64, "a value")
END(testkind)
DEF
# Step 2: its row in FORMAT.md's table, after the last one.
python3 - "$w/schema/FORMAT.md" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
last = [l for l in s.split('\n') if l.startswith('| 27 | http |')][0]
s = s.replace(last, last + '\n| 63 | testkind | `test_kinds` | ts (TS), pid (U32), label (STR 32), value (U64) |', 1)
open(p, 'w').write(s)
PY

cat > "$w/drive.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ddl.h"
#include "record.h"

int main(void)
{
	const struct fr_kind_desc *k = fr_kind_by_name("testkind");
	struct fr_testkind r = { .head = { .kind = FR_KIND_testkind }, .ts = 5, .pid = 42, .value = 7 }, back;
	unsigned char buf[256];
	unsigned present = 0;
	char *sql = fr_schema_sql(), *t;
	int n;

	if (!k)
		return 1;
	snprintf(r.label, sizeof(r.label), "hello");
	n = fr_record_encode(k, &r, buf, sizeof(buf));
	if (n <= 4 || fr_record_decode(k, buf + 4, (size_t)n - 4, &back, &present))
		return 2;
	printf("kind %u %s %s %u fields, %d bytes (4 of frame, 8 + 4 + 2 + 5 + 8)\n", k->id, k->name, k->table, k->nfields, n);
	printf("back pid=%u label=%s value=%llu\n", back.pid, back.label, (unsigned long long)back.value);
	fr_record_print_text(stdout, k, &back);
	t = strstr(sql, "CREATE TABLE test_kinds");
	printf("%.*s\n", t ? (int)strcspn(t, "(") : 4, t ? t : "none");
	free(sql);
	return 0;
}
C
out=$("$CC" -std=gnu11 -D_GNU_SOURCE -I"$w/schema" -o "$w/drive" "$w/drive.c" "$w"/schema/*.c -llz4 -larchive -lpthread 2>&1)
ok $? "build - the format library with the new kind, expect no error" || diag "$out"
out=$("$w/drive")
is "$(printf '%s\n' "$out" | head -2)" "kind 63 testkind test_kinds 4 fields, 31 bytes (4 of frame, 8 + 4 + 2 + 5 + 8)
back pid=42 label=hello value=7" "codec - the new kind's descriptor, and a record of it round-trips"
like "$(printf '%s\n' "$out" | sed -n 3p)" ' testkind pid=42 label="hello" value=7$' "dump - a line for the new kind"
like "$(printf '%s\n' "$out" | tail -1)" '^CREATE TABLE test_kinds' "ddl - a table for the new kind"
out=$(cd "$w" && TESTS_SRCDIR="$w/tests" bash tests/e2e/docs.sh)
is "$(printf '%s\n' "$out" | grep -c '^not ok')" 0 "docs.sh - holds for records.def and FORMAT.md with the new kind" || diag "$out"
n=$(($(grep -c '^RECORD(' "$SRC/schema/records.def") + 1))
like "$out" "one table: expect as many rows \\($n\\) as records.def has kinds \\($n\\)" "docs.sh - counts the new kind ($n)"
done_testing
