#!/usr/bin/env bash
# hostile-archive.sh - archives built to attack the reader, given to
# flightrec-replay: members with absolute paths, '..', links, device nodes
# and control characters in their names are refused, each with one line
# naming it, and nothing is written anywhere; a member header claiming far
# more bytes than the archive holds costs only what is there; a corrupted
# or truncated window loads every intact block and says what it skipped,
# with exact counts.  Archives are made with python3's tarfile.  No root.
. "$TESTS_SRCDIR/e2e/lib.sh"

command -v python3 >/dev/null || skip_all "needs python3 to build the archives"

# The window: 3 blocks of 2 exec records each, pids 101..106.
for i in 1 2 3 4 5 6; do
	echo "exec $((i * 1000000000)) $((100 + i)) $((100 + i)) 1 0 0 cmd$i /bin/cmd$i /bin/cmd$i arg$i"
done | "$MKSEG" -H hostile -b 2 "$TEST_TMP/window.seg"
ok $? "mkseg - a window of 3 blocks"

# mktar OUT [FLAVOUR]: MANIFEST.json, window.seg and SHA256SUMS of the
# intact window, then the members of FLAVOUR.
mktar() {
	python3 - "$TEST_TMP" "$@" <<'PY'
import hashlib, io, sys, tarfile
tmp, out, flavour = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else "")
seg = open(tmp + "/window.seg", "rb").read()
manifest = b'{"format": "1.1", "host": "hostile"}\n'

def reg(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))

def special(t, name, kind, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    ti.devmajor, ti.devminor = 1, 3
    t.addfile(ti)

sums = "%s  MANIFEST.json\n%s  window.seg\n" % (hashlib.sha256(manifest).hexdigest(), hashlib.sha256(seg).hexdigest())
if flavour == "flip":   # one payload byte of the second block
    b = bytearray(seg)
    first = b.find(b"FRBK", 256)
    second = b.find(b"FRBK", first + 4)
    b[second + 64 + 3] ^= 0x40
    seg = bytes(b)
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT)
reg(t, "MANIFEST.json", manifest)
reg(t, "window.seg", seg)
reg(t, "SHA256SUMS", sums.encode())
if flavour == "evil":
    reg(t, tmp + "/abs.seg", seg)
    reg(t, "../up.seg", seg)
    reg(t, "a/../../deep.seg", seg)
    reg(t, "new\nline.seg", seg)
    special(t, "sym.seg", tarfile.SYMTYPE, "/etc/passwd")
    special(t, "hard.seg", tarfile.LNKTYPE, "window.seg")
    special(t, "null.seg", tarfile.CHRTYPE)
    special(t, "disk.seg", tarfile.BLKTYPE)
    special(t, "fifo.seg", tarfile.FIFOTYPE)
    special(t, "dir", tarfile.DIRTYPE)
end = t.offset
t.close()
data = buf.getvalue()
if flavour in ("huge", "big"):   # a header claiming 3 GiB or 1 GiB, and no data
    ti = tarfile.TarInfo(flavour + ".seg")
    ti.size = 3 << 30 if flavour == "huge" else 1 << 30
    data = data[:end] + ti.tobuf(tarfile.GNU_FORMAT)
open(out, "wb").write(data)
PY
}

# Run where a careless reader would write: a fresh working directory, a
# fresh TMPDIR; both must stay empty.
mkdir -p "$TEST_TMP/cwd/a" "$TEST_TMP/tmpdir"
R() { (cd "$TEST_TMP/cwd/a" && TMPDIR=$TEST_TMP/tmpdir "$FLIGHTREC_REPLAY" "$@"); }

mktar "$TEST_TMP/evil.tar" evil
out=$(R "$TEST_TMP/evil.tar" --csv --headers off -c "SELECT count(*), group_concat(pid, ' ') FROM proc_exec" 2>"$TEST_TMP/err"); st=$?
is "$st:$out" "0:6,101 102 103 104 105 106" "evil members - the window loads alone, expect 6 records, exit 0"
P="flightrec-replay: $TEST_TMP/evil.tar: member"
is "$(cat "$TEST_TMP/err")" "$P $TEST_TMP/abs.seg refused: absolute path
$P ../up.seg refused: '..' in path
$P a/../../deep.seg refused: '..' in path
$P new\\x0aline.seg refused: control character in name
$P sym.seg refused: symbolic link
$P hard.seg refused: hard link
$P null.seg refused: device node
$P disk.seg refused: device node
$P fifo.seg refused: fifo
$P dir/ refused: directory" "evil members - one line naming each refused member and why"
is "$(find "$TEST_TMP/cwd" "$TEST_TMP/tmpdir" -mindepth 1 | grep -v "^$TEST_TMP/cwd/a$")" "" \
	"evil members - nothing written in the working directory or TMPDIR"
ok "$([ ! -e "$TEST_TMP/abs.seg" ] && [ ! -e "$TEST_TMP/cwd/up.seg" ] && [ ! -e "$TEST_TMP/deep.seg" ]; echo $?)" \
	"evil members - nothing written at the paths they name"
# The same through `flightrec dump`, the other reader.
got=$("$FLIGHTREC" dump "$TEST_TMP/evil.tar" 2>"$TEST_TMP/err" | wc -l)
is "$got:$(wc -l < "$TEST_TMP/err")" "6:10" "evil members - dump prints the 6 records and 10 refusals"

# Sizes in headers are claims: memory grows with the data actually read.
limit=
ldd "$FLIGHTREC_REPLAY" 2>/dev/null | grep -q libasan || limit="ulimit -v 600000;" # ASan reserves terabytes
for f in huge big; do
	mktar "$TEST_TMP/$f.tar" $f
	out=$(cd "$TEST_TMP/cwd/a" && bash -c "$limit exec \"\$@\"" - "$FLIGHTREC_REPLAY" "$TEST_TMP/$f.tar" --csv \
		--headers off -c "SELECT count(*) FROM proc_exec" 2>"$TEST_TMP/err-$f"); st=$?
	is "$st:$out" "0:6" "member claiming $f size - the window loads in 600 MB of address space, expect 6 records"
done
like "$(cat "$TEST_TMP/err-huge")" "member huge.seg refused: member too large" "member claiming 3 GiB - refused by name"
like "$(cat "$TEST_TMP/err-big")" "member big.seg truncated \(0 of 1073741824 bytes\)" \
	"member claiming 1 GiB with no data - named as truncated"

# One corrupted block of 3: the other two load, the skip is reported and counted.
mktar "$TEST_TMP/flip.tar" flip
out=$(R "$TEST_TMP/flip.tar" --csv --headers off \
	-c "SELECT count(*), group_concat(pid, ' ') FROM proc_exec" -c "SELECT records, bad_blocks FROM archives" 2>"$TEST_TMP/err"); st=$?
is "$st:$out" "0:4,101 102 105 106
4,1" "one block of 3 corrupted - the 4 records of the intact blocks, 1 bad block counted"
is "$(grep -c "flip.tar:window.seg: bad block CRC at offset [0-9]*, skipped [0-9]* bytes$" "$TEST_TMP/err")" 1 \
	"one block of 3 corrupted - one line naming the member and the offset"
like "$(cat "$TEST_TMP/err")" "member window.seg does not match its SHA256SUMS checksum" \
	"one block of 3 corrupted - the checksum mismatch named"

# Cut inside the last block: its records are lost, the others load.
mktar "$TEST_TMP/whole.tar"
seg=$(stat -c %s "$TEST_TMP/window.seg")
off=$(python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); print(b.find(b"FRECSEG"))' "$TEST_TMP/whole.tar")
head -c $((off + seg - 10)) "$TEST_TMP/whole.tar" > "$TEST_TMP/cut.tar"
out=$(R "$TEST_TMP/cut.tar" --csv --headers off \
	-c "SELECT count(*), group_concat(pid, ' ') FROM proc_exec" -c "SELECT records, bad_blocks, truncated_bytes > 0 FROM archives" \
	2>"$TEST_TMP/err"); st=$?
is "$st:$out" "0:4,101 102 103 104
4,0,1" "archive cut in the last block - the 4 records of the whole blocks"
like "$(cat "$TEST_TMP/err")" "member window.seg truncated \($((seg - 10)) of $seg bytes\)" \
	"archive cut in the last block - the member named as truncated, with its sizes"
like "$(cat "$TEST_TMP/err")" "cut.tar:window.seg: truncated block at offset [0-9]+" \
	"archive cut in the last block - the block's offset named"
done_testing
