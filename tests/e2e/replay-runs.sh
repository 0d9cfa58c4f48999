#!/usr/bin/env bash
# replay-runs.sh - one segment read on several threads: its blocks cut
# into runs (fr_seg_split), each run decoded by a worker into stores of its
# own, the runs put together in their order (replay/loader.c, load_runs).
# Every table's rows and rowids, the warnings and the `archives` row must
# be those of the serial read (FLIGHTREC_REPLAY_THREADS=1), whatever the
# runs' size: through tables of SQLite's (connections, stacks) between
# rows served from columns, rows back in time, reused pids, a damaged
# block, a damaged block header (the cutting stops there: the last run
# reads past it), a truncated end, and the same segment in an archive.
# Segments made by mkseg: no root.
. "$TESTS_SRCDIR/e2e/lib.sh"

cd "$TEST_TMP" || exit 1

# 2000 processes, 5 records a block: forks, execs with texts of their own, exits (one in 7 left
# open), connections and stacks (SQLite's tables), drops; one record in 97 goes back in time
awk 'BEGIN {
	for (i = 0; i < 2000; i++) {
		ts = 1000000000 + i * 5000; pid = 1000 + i % 1500; comm = "c" (i % 4)
		if (i % 97 == 0) ts -= 400000
		printf "fork %d %d 1 0 0 %s\n", ts, pid, comm
		printf "exec %d %d %d 1 %d 0 %s /usr/bin/%s %s --job %d\n", ts + 1000, pid, pid, i % 3, comm, comm, comm, i
		if (i % 3 == 0) printf "conn %d %d %d %s 10.0.0.1 %d 10.0.0.2 443 1 %d %d 0\n", ts + 1500, ts + 3000, pid, comm, 20000 + i, i, 2 * i
		if (i % 5 == 0) printf "stack %d %d 0x%x;0x%x\n", ts + 1700, i, 4096 + i, 8192 + i
		if (i % 50 == 0) printf "drop %d ring %d %d %d\n", ts + 1800, i % 2, i, ts
		if (i % 7) printf "exit %d %d %d 1 %d 0 %s %d 0 0\n", ts + 2000, pid, pid, i % 3, comm, i % 4
	}
}' >solo.spec
"$MKSEG" -H solo -b 5 solo.seg <solo.spec
ok $? "mkseg - one host's segment of 5-record blocks"

# the blocks' offsets, walked by their headers (64 bytes; the stored length at +12) after the 256-byte segment header
python3 - solo.seg >blocks <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
o = 256
while o + 64 <= len(d):
    print(o)
    o += 64 + struct.unpack_from("<I", d, o + 12)[0]
EOF
nblocks=$(wc -l <blocks)
is "$nblocks" "$(( ($(wc -l <solo.spec) + 4) / 5 ))" "blocks - every 5 records a block, expect as many as the spec's lines / 5"

# damaged: a payload byte of block 300 (its CRC fails: skipped alone), the header of block 700 (the
# cutting stops there), the file cut in the middle of its last block
cp solo.seg damaged.seg
python3 - damaged.seg "$(sed -n 301p blocks)" "$(sed -n 701p blocks)" "$(tail -1 blocks)" <<'EOF'
import sys
path, pay, hdr, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
d = bytearray(open(path, "rb").read())
d[pay + 64 + 1] ^= 0xff
d[hdr + 20] ^= 0xff
open(path, "wb").write(d[:last + 70])
EOF
ok $? "damaged.seg - a payload, a block header and the end broken"

# the segment in archives: MANIFEST.json, window.seg, SHA256SUMS (read where the member lies in the
# file); damaged.seg in one whose SHA256SUMS is solo.seg's; the first gzipped (read into memory)
mktar() {
	python3 - "$1" "$2" "$3" <<'EOF'
import hashlib, io, sys, tarfile
seg, summed = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
manifest = b'{"format": "flightrec-archive", "host": "solo"}\n'
sums = "%s  MANIFEST.json\n%s  window.seg\n" % (hashlib.sha256(manifest).hexdigest(), hashlib.sha256(summed).hexdigest())
with tarfile.open(sys.argv[3], "w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("MANIFEST.json", manifest), ("window.seg", seg), ("SHA256SUMS", sums.encode())):
        i = tarfile.TarInfo(name)
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
EOF
}
mktar solo.seg solo.seg solo.tar && mktar damaged.seg solo.seg damaged.tar && gzip -c solo.tar >solo.tar.gz
ok $? "solo.tar, damaged.tar, solo.tar.gz - the segments in archives"

tables=$("$FLIGHTREC_REPLAY" solo.seg --csv --headers off -c \
	"SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite_%' ORDER BY name")
every=()
for t in $tables; do every+=(-c "SELECT '$t', rowid, * FROM $t"); done
is "$(printf '%s\n' $tables | wc -l)" 31 "tables - every table of the schema listed, expect 31"

# exact counts, read serially: 2000 forks and execs, 1714 exits, 667 connections, 400 stacks, 40 drops
got=$(FLIGHTREC_REPLAY_THREADS=1 "$FLIGHTREC_REPLAY" solo.seg --csv -c "SELECT (SELECT count(*) FROM proc_fork) forks,
	(SELECT count(*) FROM proc_exec) execs, (SELECT count(*) FROM proc_exit) exits, (SELECT count(*) FROM connections) conns,
	(SELECT count(*) FROM stacks) stacks, (SELECT count(*) FROM drops) drops, (SELECT records FROM archives) records")
is "$got" "forks,execs,exits,conns,stacks,drops,records
2000,2000,1714,667,400,40,6821" "serial - exact counts of each kind, expect 6821 records"

for input in solo.seg damaged.seg solo.tar damaged.tar solo.tar.gz; do
	serial=$(FLIGHTREC_REPLAY_THREADS=1 "$FLIGHTREC_REPLAY" "$input" --csv "${every[@]}" 2>serial.err)
	ok $? "$input - read on one thread, expect exit 0"
	# runs of 1 record (each block a run), 7 (two blocks), 400, and the default (one run: read by the caller)
	for run in 1 7 400 ""; do
		for n in 2 3; do
			got=$(FLIGHTREC_REPLAY_RUN_RECORDS=$run FLIGHTREC_REPLAY_THREADS=$n FLIGHTREC_REPLAY_TIMING=1 \
				"$FLIGHTREC_REPLAY" "$input" --csv "${every[@]}" 2>par.err)
			is "$got" "$serial" "$input - runs of ${run:-262144} records on $n threads, expect every row and rowid of the serial read"
			is "$(grep -v ' in \| on ' par.err)" "$(cat serial.err)" \
				"$input - runs of ${run:-262144} records on $n threads, expect the serial read's warnings, in its order"
		done
	done
	runs=$(FLIGHTREC_REPLAY_RUN_RECORDS=7 FLIGHTREC_REPLAY_THREADS=2 FLIGHTREC_REPLAY_TIMING=1 \
		"$FLIGHTREC_REPLAY" "$input" -c "SELECT 1" 2>&1 >/dev/null | sed -n 's/.* \([0-9]*\) runs of blocks read on 2 threads$/\1/p')
	case $input in
	damaged.*) want=350 ;; # cut every 2 blocks up to the broken header at block 700, the rest one run
	*) want=$(( (nblocks + 1) / 2 )) ;;
	esac
	is "$runs" "$want" "$input - runs of 7 records, expect $want runs of blocks read on 2 threads"
done

# the damage, reported once each with its offset, and counted in archives
FLIGHTREC_REPLAY_THREADS=1 "$FLIGHTREC_REPLAY" damaged.seg -c "SELECT 1" >/dev/null 2>damaged.err
is "$(grep -c "damaged.seg: bad block CRC at offset $(sed -n 301p blocks), skipped [0-9]* bytes$" damaged.err)" 1 \
	"damaged.seg - the broken payload of block 300, expect one line with its offset"
is "$(grep -c "damaged.seg: bad block header CRC at offset $(sed -n 701p blocks), skipped [0-9]* bytes$" damaged.err)" 1 \
	"damaged.seg - the broken header of block 700, expect one line with its offset"
is "$(grep -c "damaged.seg: truncated block at offset $(tail -1 blocks) (70 bytes), ignored$" damaged.err)" 1 \
	"damaged.seg - the cut end, expect one line with its offset"
is "$(wc -l <damaged.err)" 3 "damaged.seg - expect three lines of warnings"
# lost: blocks 300 and 700, 5 records each, and the last block's
lost=$((10 + 6821 - 5 * (nblocks - 1)))
got=$(FLIGHTREC_REPLAY_RUN_RECORDS=7 FLIGHTREC_REPLAY_THREADS=2 "$FLIGHTREC_REPLAY" damaged.seg --csv --headers off \
	-c "SELECT records, bad_blocks, truncated_bytes FROM archives" 2>/dev/null)
is "$got" "$((6821 - lost)),2,70" "damaged.seg - on 2 threads, expect $lost records lost, 2 bad blocks and 70 bytes truncated"

# the archives: the same rows as the segment, the damage and the checksum reported once, in the serial read's order
for input in solo.tar solo.tar.gz; do
	is "$(FLIGHTREC_REPLAY_RUN_RECORDS=7 FLIGHTREC_REPLAY_THREADS=2 "$FLIGHTREC_REPLAY" "$input" --csv \
		-c "SELECT 'execs', rowid, * FROM proc_exec" -c "SELECT 'conns', rowid, * FROM connections" 2>&1)" \
		"$(FLIGHTREC_REPLAY_THREADS=1 "$FLIGHTREC_REPLAY" solo.seg --csv \
		-c "SELECT 'execs', rowid, * FROM proc_exec" -c "SELECT 'conns', rowid, * FROM connections" 2>&1)" \
		"$input - on 2 threads, expect the execs and connections of solo.seg, no warning"
done
FLIGHTREC_REPLAY_RUN_RECORDS=7 FLIGHTREC_REPLAY_THREADS=2 "$FLIGHTREC_REPLAY" damaged.tar -c "SELECT 1" >/dev/null 2>tar.err
is "$(sed 's/offset [0-9]*/offset N/; s/skipped [0-9]* bytes/skipped M bytes/' tar.err)" \
	"flightrec-replay: damaged.tar:window.seg: bad block CRC at offset N, skipped M bytes
flightrec-replay: damaged.tar:window.seg: bad block header CRC at offset N, skipped M bytes
flightrec-replay: damaged.tar:window.seg: truncated block at offset N (70 bytes), ignored
flightrec-replay: damaged.tar: member window.seg does not match its SHA256SUMS checksum" \
	"damaged.tar - on 2 threads, expect the three damages and the checksum, in order"

# into a --db FILE (every table SQLite's: no runs), the same rows
rm -f solo.db
is "$(FLIGHTREC_REPLAY_RUN_RECORDS=7 FLIGHTREC_REPLAY_THREADS=3 "$FLIGHTREC_REPLAY" --db solo.db solo.seg --csv "${every[@]}" 2>/dev/null)" \
	"$(FLIGHTREC_REPLAY_THREADS=1 "$FLIGHTREC_REPLAY" solo.seg --csv "${every[@]}" 2>/dev/null)" \
	"solo.seg - into a --db FILE, expect every row and rowid of the serial read"
rm -f solo.db

# a segment of the default runs' size: 600000 synthetic records, two runs of about 262144 and the rest
"$MKSEG" -H big --synthetic 600000 big.seg
ok $? "mkseg - 600000 synthetic records"
Q="SELECT count(*), sum(rowid * pid), sum(length(argv)), max(argv), min(ts), max(ts) FROM proc_exec"
serial=$(FLIGHTREC_REPLAY_THREADS=1 "$FLIGHTREC_REPLAY" big.seg --csv -c "$Q" -c "SELECT count(*), sum(rowid * pid) FROM processes" 2>&1)
got=$(FLIGHTREC_REPLAY_THREADS=2 FLIGHTREC_REPLAY_TIMING=1 "$FLIGHTREC_REPLAY" big.seg --csv -c "$Q" \
	-c "SELECT count(*), sum(rowid * pid) FROM processes" 2>par.err)
is "$got" "$serial" "big.seg - on 2 threads, expect the serial read's execs and lives"
like "$serial" "200000," "big.seg - expect 200000 execs"
like "$(cat par.err)" "big.seg: 3 runs of blocks read on 2 threads" "big.seg - expect 3 runs read on 2 threads"

done_testing
