#!/usr/bin/env bash
# completion.sh - the bash completions offer every command and every flag
# that the programs' --help print, every dot-command of .help, the values
# the recorder knows (syscall modes, trigger rules, probe families), and
# archives, segments or directories where paths are expected.  No root.
. "$TESTS_SRCDIR/e2e/lib.sh"

SRC=$TESTS_SRCDIR/..
. "$SRC/completions/flightrec"
. "$SRC/completions/flightrec-replay"

# complete FUNC WORD...: COMPREPLY for the last WORD, sorted, one per line.
complete_words() {
	local fn=$1; shift
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	"$fn" 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
flags() { grep -oE -- '--[a-z][a-z-]*' | sort -u; }
lines() { printf '%s\n' "$@" | sort; }

cmds=$("$FLIGHTREC" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
is "$(complete_words _flightrec "$FLIGHTREC" '')" "$(lines $cmds --help --version)" \
	"flightrec TAB - every command of --help, --help and --version"
is "$(complete_words _flightrec "$FLIGHTREC" sn)" "$(lines snapshot snapshots)" "flightrec sn TAB - snapshot and snapshots"
for c in $cmds; do
	want=$("$FLIGHTREC" "$c" --help 2>&1 | flags)
	is "$(complete_words _flightrec "$FLIGHTREC" "$c" --)" "$want" "flightrec $c --TAB - every flag of its --help ($(echo $want | wc -w))"
done
is "$(complete_words _flightrec "$FLIGHTREC" record --dir /tmp --syscalls '')" "$(lines all audit off summary)" \
	"flightrec record --syscalls TAB - the four modes"
rules=$("$FLIGHTREC" record --trigger 'nosuchrule' --help 2>&1 | sed -n "s/.*unknown rule 'nosuchrule' (\(.*\)).*/\1/p" | tr -d ,)
is "$(complete_words _flightrec "$FLIGHTREC" record -t '')" "$(lines $rules)" \
	"flightrec record -t TAB - every rule the recorder knows"
fams=$("$FLIGHTREC" record --probes nosuchfamily --help 2>&1 | sed -n "s/.*unknown probe family 'nosuchfamily' (expected \(.*\)).*/\1/p" | tr -d ,)
got=$(complete_words _flightrec "$FLIGHTREC" record --probes 'process,s')
is "$got" "$(lines process,sched process,security process,syscall)" "flightrec record --probes process,sTAB - completes the next family"
got=$(complete_words _flightrec "$FLIGHTREC" record --probes '' | grep -v '^-')
is "$got" "$(lines $fams)" "flightrec record --probes TAB - every family the recorder knows"

# Paths, in a directory made for it.
mkdir -p "$TEST_TMP/p/sub" && cd "$TEST_TMP/p" || exit 1
touch a.tar b.seg c.txt
is "$(complete_words _flightrec "$FLIGHTREC" verify '')" "$(lines a.tar sub/)" "flightrec verify TAB - archives and directories"
is "$(complete_words _flightrec "$FLIGHTREC" dump --json '')" "$(lines a.tar b.seg sub/)" \
	"flightrec dump --json TAB - archives, segments and directories"
is "$(complete_words _flightrec "$FLIGHTREC" record -d '')" "sub" "flightrec record -d TAB - directories only"
is "$(complete_words _flightrec "$FLIGHTREC" record --config c)" "c.txt" "flightrec record --config cTAB - any file"

# flightrec-replay
want=$("$FLIGHTREC_REPLAY" --help | flags)
is "$(complete_words _flightrec_replay "$FLIGHTREC_REPLAY" a.tar --)" "$want" \
	"flightrec-replay --TAB - every flag of --help ($(echo $want | wc -w))"
is "$(complete_words _flightrec_replay "$FLIGHTREC_REPLAY" '')" "$(lines a.tar b.seg sub/)" \
	"flightrec-replay TAB - archives, segments and directories"
is "$(complete_words _flightrec_replay "$FLIGHTREC_REPLAY" --headers '')" "$(lines off on)" "flightrec-replay --headers TAB - on and off"
is "$(complete_words _flightrec_replay "$FLIGHTREC_REPLAY" --db c)" "c.txt" "flightrec-replay --db cTAB - any file"
dots=$("$FLIGHTREC_REPLAY" "$TESTS_SRCDIR/data/format-1.0.tar" -c .help | awk '{ print $1 }')
is "$(complete_words _flightrec_replay "$FLIGHTREC_REPLAY" a.tar -c .)" "$(lines $dots)" \
	"flightrec-replay -c .TAB - every dot-command of .help"
is "$(complete_words _flightrec_replay "$FLIGHTREC_REPLAY" a.tar --command .ti)" "$(lines .timeline .timer)" \
	"flightrec-replay --command .tiTAB - .timeline and .timer"
cd / || exit 1
done_testing
