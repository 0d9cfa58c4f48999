#!/usr/bin/env bash
# docs.sh - the docs that follow from records.def say what it says:
# FORMAT.md's table of record kinds has one row per RECORD, in one table,
# with its number, name, SQL table and its fields in order; and the format
# minor version FORMAT.md gives for segment headers is segment.h's.  No root.
. "$TESTS_SRCDIR/e2e/lib.sh"

SRC=$TESTS_SRCDIR/..
out=$(python3 - "$SRC/schema/records.def" "$SRC/schema/FORMAT.md" <<'PY'
import re, sys
defs, fmt = open(sys.argv[1]).read(), open(sys.argv[2]).read()
kinds, fields = [], {}
for m in re.finditer(r'^(RECORD|FIELD|STR|STRV)\((\d+|\w+), *(\w+)', defs, re.M):
    what, a, b = m.groups()
    if what == 'RECORD':
        kinds.append((int(a), b))
        fields[b] = []
    else:
        fields[a].append(b)
table = fmt.split('### Record kinds', 1)[1]
start = table.index('| kind | name |')
rows = []
for line in table[start:].splitlines()[2:]:
    if not line.startswith('|'):
        break
    rows.append(line)
problems = []
seen = {}
for line in rows:
    cells = [c.strip() for c in line.strip('|').split('|')]
    num, name, flist = int(cells[0]), cells[1], cells[3]
    names = [re.sub(r'\s*\(.*', '', f).strip() for f in re.sub(r'\([^)]*\)', '', flist).split(',')]
    seen[name] = num
    if name not in fields:
        problems.append(f'{name}: in FORMAT.md, not in records.def')
    elif names != fields[name]:
        problems.append(f'{name}: FORMAT.md fields {names} != records.def {fields[name]}')
for num, name in kinds:
    if name not in seen:
        problems.append(f'{name}: kind {num} of records.def missing from the FORMAT.md table (or after a break in it)')
    elif seen[name] != num:
        problems.append(f'{name}: FORMAT.md says kind {seen[name]}, records.def {num}')
print(len(kinds), len(rows))
print('\n'.join(problems))
PY
)
counts=$(printf '%s\n' "$out" | head -1)
problems=$(printf '%s\n' "$out" | tail -n +2)
is "$problems" "" "FORMAT.md - the kind table, expect a row per kind of records.def with its fields in order"
set -- $counts
is "$2" "$1" "FORMAT.md - one table: expect as many rows ($2) as records.def has kinds ($1)"

minor=$(sed -n 's/^#define FR_FORMAT_MINOR \([0-9]*\).*/\1/p' "$SRC/schema/segment.h")
like "$(grep '^| 10 | 2 | minor |' "$SRC/schema/FORMAT.md")" "format minor version, $minor \|" \
	"FORMAT.md - the segment header's minor version is segment.h's ($minor)"
like "$(grep -E '^\| 1\.[0-9]+ \|' "$SRC/schema/FORMAT.md" | tail -1)" "^\| 1\.$minor \|" \
	"FORMAT.md - the version history ends with 1.$minor"
done_testing
