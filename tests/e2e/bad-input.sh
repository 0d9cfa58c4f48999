#!/usr/bin/env bash
# bad-input.sh - garbage, truncated and corrupted files given to `flightrec
# dump`: a one-line error naming the file and what is wrong, exit 1, no
# crash, and every intact record still printed.  Needs no root: the
# segments are made by tests/helpers/mkseg.
. "$TESTS_SRCDIR/e2e/lib.sh"

# 3 blocks of 2 records each.
spec() {
	for i in 1 2 3 4 5 6; do
		echo "exec $((i * 1000000000)) $((100 + i)) $((100 + i)) 1 0 0 cmd$i /bin/cmd$i /bin/cmd$i arg$i"
	done
}
seg=$TEST_TMP/good.seg
spec | "$MKSEG" -H badhost -b 2 "$seg"
ok $? "mkseg - writes a 3-block segment"
got=$("$FLIGHTREC" dump "$seg" | wc -l)
is "$got" 6 "dump - the intact segment, expect 6 records"

expect_error() { # FILE PATTERN MSG
	local out st
	out=$("$FLIGHTREC" dump "$1" 2>&1 >/dev/null); st=$?
	is "$st" 1 "$3, expect exit 1"
	like "$out" "$2" "$3, expect message naming it"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; ok $? "$3, expect one line"
}

head -c 5000 /dev/urandom > "$TEST_TMP/garbage"
expect_error "$TEST_TMP/garbage" "^flightrec: cannot read $TEST_TMP/garbage: not a flightrec" "dump garbage"
: > "$TEST_TMP/empty"
expect_error "$TEST_TMP/empty" "^flightrec: cannot read $TEST_TMP/empty: empty file" "dump empty file"
expect_error "$TEST_TMP/nonexistent" "^flightrec: cannot read $TEST_TMP/nonexistent: no such file or directory$" "dump missing file"
head -c 100 "$seg" > "$TEST_TMP/short.seg"
expect_error "$TEST_TMP/short.seg" "^flightrec: cannot read $TEST_TMP/short.seg: too short for a segment header" \
	"dump segment cut inside its header"
mkdir -p "$TEST_TMP/emptydir"
expect_error "$TEST_TMP/emptydir" "no segments" "dump directory without segments"

# Truncated inside the last block: the first two blocks still print.
size=$(stat -c %s "$seg")
head -c $((size - 10)) "$seg" > "$TEST_TMP/trunc.seg"
out=$("$FLIGHTREC" dump "$TEST_TMP/trunc.seg" 2>"$TEST_TMP/err"); st=$?
is "$st" 1 "dump truncated segment, expect exit 1"
is "$(printf '%s\n' "$out" | grep -c ' exec ')" 4 "dump truncated segment, expect the 4 records of whole blocks"
like "$(cat "$TEST_TMP/err")" "^flightrec: $TEST_TMP/trunc.seg: truncated block at offset [0-9]+" \
	"dump truncated segment, expect the offset named"

# One flipped byte in the middle block: blocks 1 and 3 still print.
cp "$seg" "$TEST_TMP/flip.seg"
python3 - "$TEST_TMP/flip.seg" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
# Find the second block header ("FRBK" = 46 52 42 4b) and flip a payload byte.
first = b.find(b'FRBK', 256)
second = b.find(b'FRBK', first + 4)
b[second + 64 + 3] ^= 0x40
open(p, 'wb').write(b)
PY
out=$("$FLIGHTREC" dump "$TEST_TMP/flip.seg" 2>"$TEST_TMP/err"); st=$?
is "$st" 1 "dump corrupted block, expect exit 1"
is "$(printf '%s\n' "$out" | sed -n 's/.* exec pid=\([0-9]*\).*/\1/p' | tr '\n' ' ')" "101 102 105 106 " \
	"dump corrupted block, expect blocks 1 and 3 exactly"
like "$(cat "$TEST_TMP/err")" "bad block CRC at offset [0-9]+, skipped [0-9]+ bytes" \
	"dump corrupted block, expect 'bad block CRC' with its offset"

# A tar that is not a flightrec archive.
(cd "$TEST_TMP" && echo hello > note.txt && tar cf other.tar note.txt)
expect_error "$TEST_TMP/other.tar" "not a flightrec archive \(no MANIFEST.json\)" "dump foreign tar"

# Unknown options and missing arguments.
out=$("$FLIGHTREC" dump 2>&1); st=$?
is "$st" 1 "dump without PATH, expect exit 1 with usage"
out=$("$FLIGHTREC" frobnicate 2>&1); st=$?
is "$st:$out" "1:flightrec: unknown command 'frobnicate' (see flightrec --help)" "unknown command, expect one line"
out=$("$FLIGHTREC" record --max-disk lots 2>&1); st=$?
is "$st:$out" "1:flightrec: record: invalid --max-disk 'lots': expected a size of at least 1M, like 2G" \
	"record --max-disk lots, expect one line naming the flag"
done_testing
