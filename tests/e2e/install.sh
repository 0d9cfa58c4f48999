#!/usr/bin/env bash
# install.sh - `make install DESTDIR=...` puts the programs, the manual
# pages, the systemd unit, the bash completions and the example config in
# place (the unit naming the installed paths); a second install keeps an
# edited config; uninstall leaves nothing but that edited config.  The
# unit passes systemd-analyze verify, the example config parses with every
# line uncommented, and (as root) the recorder runs with the unit's
# capability bounding set and no-new-privileges: every probe attaches, a
# uprobe too, the recorder then drops CAP_SYS_ADMIN from its bounding set,
# and a snapshot is written.
. "$TESTS_SRCDIR/e2e/lib.sh"

SRC=$TESTS_SRCDIR/..
: "${TOP_BUILDDIR:?TOP_BUILDDIR is the build directory (set by make check)}"
root=$TEST_TMP/root
# Outside make check's jobserver, quietly.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP_BUILDDIR" "$@"; }
var() { printf 'include Makefile\nprint-%%:\n\t@echo $($*)\n' | mk -f - "print-$1"; }

sbindir=$(var sbindir) bindir=$(var bindir) mandir=$(var mandir) sysconfdir=$(var sysconfdir)
unitdir=$(var systemdsystemunitdir) compdir=$(var bashcompletiondir)
[ -n "$sbindir" ] && [ -n "$unitdir" ] && [ -n "$compdir" ]
ok $? "make - the installation directories ($sbindir, $unitdir, $compdir)"

mk install DESTDIR="$root" >"$TEST_TMP/install.out" 2>&1
ok $? "make install DESTDIR - exit 0" || diag "$(tail -20 "$TEST_TMP/install.out")"
want="$sbindir/flightrec
$bindir/flightrec-replay
$mandir/man8/flightrec.8
$mandir/man1/flightrec-replay.1
$unitdir/flightrec.service
$compdir/flightrec
$compdir/flightrec-replay
$sysconfdir/flightrec.conf"
got=$(cd "$root" && find . -type f | sed 's/^\.//' | sort)
is "$got" "$(printf '%s\n' "$want" | sort)" "make install DESTDIR - exactly the expected files"
like "$("$root$sbindir/flightrec" --version)" "^flightrec [0-9]" "installed flightrec - runs"
like "$("$root$bindir/flightrec-replay" --version)" "^flightrec-replay [0-9]" "installed flightrec-replay - runs"
[ -x "$root$sbindir/flightrec" ] && [ ! -x "$root$mandir/man8/flightrec.8" ] && [ ! -x "$root$sysconfdir/flightrec.conf" ]
ok $? "make install - programs executable, data not"
unit=$root$unitdir/flightrec.service
is "$(grep -E '^Exec(Start|Reload)=' "$unit")" "ExecStart=$sbindir/flightrec record --config $sysconfdir/flightrec.conf
ExecReload=/bin/kill -HUP \$MAINPID" "unit - ExecStart names the installed recorder and config, ExecReload sends SIGHUP"
! grep -q @ "$unit"; ok $? "unit - every @VARIABLE@ substituted"
cmp -s "$SRC/dist/flightrec.conf" "$root$sysconfdir/flightrec.conf"; ok $? "config - the example installed"

# The example parses: as installed (all commented) and with every line uncommented.
"$root$sbindir/flightrec" record --config "$root$sysconfdir/flightrec.conf" --help >/dev/null
ok $? "config - the example as installed parses"
sed 's/^#\([a-z-]* = \)/\1/' "$SRC/dist/flightrec.conf" >"$TEST_TMP/all.conf"
n=$(grep -c '^[a-z-]* = ' "$TEST_TMP/all.conf")
out=$("$root$sbindir/flightrec" record --config "$TEST_TMP/all.conf" --help 2>&1 >/dev/null); st=$?
is "$st:$out" "0:" "config - the example with all $n settings uncommented parses"

# An edited config survives a second install and the uninstall.
echo "max-disk = 3G # mine" >"$root$sysconfdir/flightrec.conf"
out=$(mk install DESTDIR="$root" 2>&1)
is "$(cat "$root$sysconfdir/flightrec.conf")" "max-disk = 3G # mine" "make install again - an edited config is kept"
like "$out" "keeping $root$sysconfdir/flightrec.conf" "make install again - says it kept the config"
mk uninstall DESTDIR="$root" >/dev/null 2>&1
is "$(cd "$root" && find . -type f | sed 's/^\.//')" "$sysconfdir/flightrec.conf" \
	"make uninstall - removes everything but the edited config"
cp "$SRC/dist/flightrec.conf" "$root$sysconfdir/flightrec.conf"
mk uninstall DESTDIR="$root" >/dev/null 2>&1
is "$(cd "$root" && find . -type f)" "" "make uninstall - removes the config while it is the example"

# The unit, as systemd reads it.  verify needs ExecStart to exist: point it
# at the programs installed again under DESTDIR.
mk install DESTDIR="$root" >/dev/null 2>&1
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TEST_TMP/unit"
	sed "s|^ExecStart=$sbindir/|ExecStart=$root$sbindir/|" "$unit" >"$TEST_TMP/unit/flightrec.service"
	# Documentation=man:... must name the installed pages
	out=$(MANPATH=$root$mandir systemd-analyze verify "$TEST_TMP/unit/flightrec.service" 2>&1); st=$?
	is "$st:$out" "0:" "systemd-analyze verify flightrec.service - no complaint, man pages found"
	# and a broken copy is caught, so that the check above can fail
	sed 's/^ProtectSystem=strict/ProtectSystem=strictest/' "$TEST_TMP/unit/flightrec.service" >"$TEST_TMP/unit/bad.service"
	like "$(MANPATH=$root$mandir systemd-analyze verify "$TEST_TMP/unit/bad.service" 2>&1)" "bad.service:[0-9]+: .*strictest" \
		"systemd-analyze verify - a bad ProtectSystem= is reported"
else
	skip "systemd-analyze not installed (apt-get install systemd)"
	skip "systemd-analyze not installed"
fi
for key in 'ProtectSystem=strict' 'ProtectHome=yes' 'NoNewPrivileges=yes' 'Restart=on-failure' \
	'ReadWritePaths=/var/lib/flightrec' 'StateDirectory=flightrec'; do
	grep -qx "$key" "$unit"; ok $? "unit - $key"
done

# The capabilities the unit leaves are enough.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
if [ "$(id -u)" -ne 0 ] || [ ! -r /sys/kernel/btf/vmlinux ] || ! command -v setpriv >/dev/null; then
	skip "running the recorder with the unit's capabilities needs root, BTF and setpriv"
else
	bset=$(printf '%s\n' $caps | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd,)
	dir=$TEST_TMP/rec
	"$FLIGHTREC" record --dir "$dir" --uprobe "$EXIT_WITH:main" >"$TEST_TMP/recorder.log" 2>&1 &
	REC_PID=$!
	# started as root with all caps, to know what "every probe" is here
	wait_for 20 "$FLIGHTREC" status --dir "$dir"
	all=$("$FLIGHTREC" status --dir "$dir" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["probes_ok"])')
	stop_recorder
	setpriv --bounding-set="-all,$bset" --inh-caps=-all --no-new-privs \
		"$root$sbindir/flightrec" record --dir "$dir" --uprobe "$EXIT_WITH:main" >"$TEST_TMP/recorder.log" 2>&1 &
	REC_PID=$!
	wait_for 20 "$FLIGHTREC" status --dir "$dir"
	st=$("$FLIGHTREC" status --dir "$dir" --json | python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["probes_ok"], j["probes_failed"])')
	is "$st" "$all 0" "unit's capabilities ($bset) - all $all probes attach, the uprobe too"
	# CAP_SETPCAP in the set lets it drop CAP_SYS_ADMIN (bit 21) from its bounding set too
	bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' "/proc/$REC_PID/status")
	is "$(( (0x$bnd >> 21) & 1 ))" 0 "unit's capabilities - once attached, CAP_SYS_ADMIN is out of the bounding set (CapBnd $bnd)"
	got=$(setpriv --bounding-set="-all,$bset" --inh-caps=-all --no-new-privs "$FLIGHTREC" snapshot --dir "$dir" --before 2s --after 0s)
	like "$got" "^$dir/snapshots/.*-manual\.tar$" "unit's capabilities - a snapshot is written"
	stop_recorder; ok $? "unit's capabilities - the recorder stops with 0"
fi
done_testing
