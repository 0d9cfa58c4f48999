#!/usr/bin/env bash
# valgrind.sh - flightrec-replay under valgrind's memcheck, loading the
# format 1.0 archive and a damaged segment and running dot-commands: no
# invalid read or write, no use of uninitialised memory, no definite or
# indirect leak.  Skipped when valgrind is missing or the programs are
# built with ASan (the two do not mix).  No root.
. "$TESTS_SRCDIR/e2e/lib.sh"

command -v valgrind >/dev/null || skip_all "valgrind not installed (scripts/install-deps installs it)"
ldd "$FLIGHTREC_REPLAY" 2>/dev/null | grep -q libasan && skip_all "built with AddressSanitizer, which valgrind cannot run"

VG() { # LOG ARGS...: memcheck; exit 99 on any error or leak
	local log=$1; shift
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 --log-file="$log" "$@"
}

archive=$TESTS_SRCDIR/data/format-1.0.tar
want=$("$FLIGHTREC_REPLAY" "$archive" -c ".summary" -c ".timeline" -c ".procs" 2>&1)
got=$(VG "$TEST_TMP/vg1" "$FLIGHTREC_REPLAY" "$archive" -c ".summary" -c ".timeline" -c ".procs" 2>&1); st=$?
is "$st" 0 "format-1.0.tar with .summary, .timeline, .procs - expect exit 0 under memcheck"
is "$(cat "$TEST_TMP/vg1")" "" "format-1.0.tar with .summary, .timeline, .procs - expect no memcheck report"
[ "$got" = "$want" ] && [ -n "$got" ]; ok $? "format-1.0.tar - the same output as without valgrind"

# Damage on the way: a segment with a flipped payload byte and a cut tail.
for i in 1 2 3 4 5 6; do
	echo "exec $((i * 1000000000)) $((100 + i)) $((100 + i)) 1 0 0 cmd$i /bin/cmd$i /bin/cmd$i arg$i"
done | "$MKSEG" -H vg -b 2 "$TEST_TMP/w.seg"
python3 - "$TEST_TMP/w.seg" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
first = b.find(b'FRBK', 256)
second = b.find(b'FRBK', first + 4)
b[second + 64 + 3] ^= 0x40
open(p, 'wb').write(b[:-10])
PY
got=$(VG "$TEST_TMP/vg2" "$FLIGHTREC_REPLAY" "$TEST_TMP/w.seg" --json -c "SELECT pid FROM proc_exec" -c ".summary" \
	-c ".export perfetto $TEST_TMP/trace.json" 2>/dev/null); st=$?
is "$st" 0 "damaged segment with --json, .summary, .export - expect exit 0 under memcheck"
is "$(cat "$TEST_TMP/vg2")" "" "damaged segment - expect no memcheck report"
is "$(printf '%s\n' "$got" | head -2 | tr -d '\n')" '[{"pid":101},{"pid":102}]' \
	"damaged segment - the records of the first block, as without valgrind"

# flightrec dump reads the same files with the recorder's binary.
want=$("$FLIGHTREC" dump --json "$archive" 2>/dev/null | wc -l)
got=$(VG "$TEST_TMP/vg3" "$FLIGHTREC" dump --json "$archive" 2>/dev/null | wc -l)
is "$(cat "$TEST_TMP/vg3")" "" "flightrec dump --json format-1.0.tar - expect no memcheck report"
is "$got" "$want" "flightrec dump --json format-1.0.tar - the same $want records as without valgrind"
done_testing
