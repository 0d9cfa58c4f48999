#!/usr/bin/env bash
# manpages.sh - the manual pages say everything the programs know: every
# subcommand and every --flag printed by a --help, every config key, every
# trigger rule, probe family and dot-command, every table and view of the
# schema; and mandoc -Tlint finds nothing at warning level.  No root.
. "$TESTS_SRCDIR/e2e/lib.sh"

SRC=$TESTS_SRCDIR/..
MAN8=$SRC/man/flightrec.8
MAN1=$SRC/man/flightrec-replay.1
command -v mandoc >/dev/null || skip_all "needs mandoc (apt-get install mandoc)"

render() { mandoc -Tascii "$1" | col -bx; }
render "$MAN8" >"$TEST_TMP/8.txt"
render "$MAN1" >"$TEST_TMP/1.txt"
# section NAME FILE: the rendered text of one section (headings are at column 0).
section() { awk -v s="$1" '/^[A-Z]/ { on = ($0 == s) } on' "$2"; }
# missing WORDS... < TEXT: the words not found in TEXT as whole words.
missing() {
	local text w out=
	text=$(cat)
	for w in "$@"; do
		printf '%s\n' "$text" | grep -qE -- "(^|[^A-Za-z0-9_-])$(printf '%s' "$w" | sed 's/[.]/\\./g')([^A-Za-z0-9_-]|$)" ||
			out="$out $w"
	done
	printf '%s' "${out# }"
}
check() { # MSG MISSING
	if [ -z "$2" ]; then pass "$1"; else fail "$1"; diag "missing: $2"; fi
}
flags() { grep -oE -- '--[a-z][a-z-]*' | sort -u; }

for page in "$MAN8" "$MAN1"; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	is "$out" "" "mandoc -Tlint $(basename "$page") - no warnings or errors"
done

# --- flightrec(8) ---
cmds=$("$FLIGHTREC" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ "$(printf '%s\n' "$cmds" | wc -l)" -ge 6 ]; ok $? "flightrec --help - lists the commands ($(echo $cmds))"
m=
for c in $cmds; do grep -q "^\.Ss flightrec $c\( \|$\)" "$MAN8" || m="$m $c"; done
check "flightrec.8 - a subsection for every command" "${m# }"
for c in "" $cmds; do
	f=$("$FLIGHTREC" $c --help 2>&1 | flags) # verify has none but --help, and prints none
	check "flightrec.8 - every flag of 'flightrec $c --help'" \
		"$(section COMMANDS "$TEST_TMP/8.txt" | missing $f)"
done
keys=$("$FLIGHTREC" record --help | flags | sed 's/^--//' | grep -vx -e config -e help)
check "flightrec.8 - CONFIGURATION FILE names every key" \
	"$(section 'CONFIGURATION FILE' "$TEST_TMP/8.txt" | missing $keys)"
check "flightrec.8 - the example config names every key" \
	"$(sed -n 's/^#\{0,1\}\([a-z-]*\) *=.*/\1/p' "$SRC/dist/flightrec.conf" | missing $keys)"
# The rules and families the binary knows, from its own refusals.
rules=$("$FLIGHTREC" record --trigger 'nosuchrule' --help 2>&1 | sed -n "s/.*unknown rule 'nosuchrule' (\(.*\)).*/\1/p" | tr -d ,)
[ -n "$rules" ]; ok $? "flightrec record --trigger nosuchrule - names the known rules ($rules)"
check "flightrec.8 - TRIGGERS describes every rule" "$(section TRIGGERS "$TEST_TMP/8.txt" | missing $rules)"
fams=$("$FLIGHTREC" record --probes nosuchfamily --help 2>&1 | sed -n "s/.*unknown probe family 'nosuchfamily' (expected \(.*\)).*/\1/p" | tr -d ,)
[ -n "$fams" ]; ok $? "flightrec record --probes nosuchfamily - names the families ($fams)"
check "flightrec.8 - PROBES describes every family" "$(section PROBES "$TEST_TMP/8.txt" | missing $fams)"
kinds=$(sed -n 's/^RECORD([0-9]*, *\([a-z_]*\), *\([a-z_]*\),.*/\1 \2/p' "$SRC/schema/records.def")
[ "$(printf '%s\n' "$kinds" | wc -l)" -ge 16 ]; ok $? "records.def - read the record kinds"
m=
while read -r kind table; do
	section 'RECORD KINDS' "$TEST_TMP/8.txt" | grep -qE "^ +$kind +[0-9]+ +$table\$" || m="$m $kind/$table"
done <<<"$kinds"
check "flightrec.8 - RECORD KINDS lists every kind with its table" "${m# }"
for s in NAME SYNOPSIS DESCRIPTION FILES 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
	grep -qx "$s" "$TEST_TMP/8.txt" && grep -qx "$s" "$TEST_TMP/1.txt"; ok $? "both pages - a $s section"
done

# --- flightrec-replay(1) ---
f=$("$FLIGHTREC_REPLAY" --help | flags)
check "flightrec-replay.1 - every flag of --help" "$(section OPTIONS "$TEST_TMP/1.txt" | missing $f)"
dots=$("$FLIGHTREC_REPLAY" "$TESTS_SRCDIR/data/format-1.0.tar" -c .help | awk '{ print $1 }')
[ "$(printf '%s\n' "$dots" | wc -l)" -ge 20 ]; ok $? "flightrec-replay .help - lists the dot-commands"
check "flightrec-replay.1 - DOT-COMMANDS describes every dot-command of .help" \
	"$(section DOT-COMMANDS "$TEST_TMP/1.txt" | missing $dots)"
tables="$(printf '%s\n' "$kinds" | awk '{ print $2 }') $(sed -n 's/^CREATE \(TABLE\|VIEW\) \([a-z_]*\).*/\2/p' "$SRC/schema/views.sql")"
check "flightrec-replay.1 - TABLES describes every table and view of the schema" \
	"$(section TABLES "$TEST_TMP/1.txt" | missing $tables)"
# and what the loader really creates, should ddl.c add one outside records.def and views.sql
made=$("$FLIGHTREC_REPLAY" "$TESTS_SRCDIR/data/format-1.0.tar" --csv --headers off \
	-c "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")
check "flightrec-replay.1 - TABLES describes every table the loader creates" \
	"$(section TABLES "$TEST_TMP/1.txt" | missing $made)"
fns=$(sed -n 's/.*sqlite3_create_function(db, "\([a-z_]*\)".*/\1/p' "$SRC/replay/functions.c")
[ -n "$fns" ]; ok $? "functions.c - read the SQL functions ($(echo $fns))"
check "flightrec-replay.1 - FUNCTIONS describes every SQL function" "$(section FUNCTIONS "$TEST_TMP/1.txt" | missing $fns)"
done_testing
