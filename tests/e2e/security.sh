#!/usr/bin/env bash
# security.sh - security signals from real programs: `cat /etc/shadow` is one
# sensitive_open row with that cat's pid and the path; passwd, set-uid root,
# run as nobody is a privilege row with uid 65534 and euid 0 (and, reading
# /etc/shadow, a sensitive_open row as uid 65534); a set-uid root copy of
# tests/helpers/setuid-zero run as nobody is that, then a privilege row for
# its setuid(0) from uid 65534; a copy with cap_net_raw as a file
# capability is a medium privilege row with that one capability, and its
# failed setuid(0) no row; `unshare -U true` is a
# namespace row; strace attaching to a sleep is a ptrace row; the same
# unshare and a look at /proc/1/root from a cgroup named like a docker
# container are container_escape rows with its id; an open of a plain file,
# and a path added with --sensitive-path; the timeline and .summary show
# them; with --probes=-security the same cat leaves its syscall row and no
# security row.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
for p in setpriv unshare strace; do
	command -v $p >/dev/null || skip_all "needs $p"
done
[ -u /usr/bin/passwd ] && [ "$(stat -c %u /usr/bin/passwd)" = 0 ] || skip_all "needs /usr/bin/passwd set-uid root"
id nobody >/dev/null 2>&1 || skip_all "needs the user nobody"

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
ID=$(printf '5ec0%060d' $$)
docker_cg=
if [ -n "$cg2" ] && mkdir "$cg2/docker-$ID.scope" 2>/dev/null; then
	docker_cg=$cg2/docker-$ID.scope
fi
sleeper=
cleanup_security() {
	[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
	if [ -n "$docker_cg" ]; then
		for _ in $(seq 1 50); do rmdir "$docker_cg" 2>/dev/null && break; sleep 0.1; done
	fi
}
trap 'cleanup_security; cleanup' EXIT

q() { "$FLIGHTREC_REPLAY" "$archive" --csv -c "$1" | tail -n +2; }

# A directory nobody can enter, with the helper set-uid root and with a file capability.
chmod 711 "$TEST_TMP"
mkdir -m 755 "$TEST_TMP/bin"
suid_bin= cap_bin=
if [ -x "${SETUID_ZERO:-}" ]; then
	suid_bin=$TEST_TMP/bin/setuid-zero
	cp "$SETUID_ZERO" "$suid_bin" && chown root:root "$suid_bin" && chmod 4755 "$suid_bin" || suid_bin=
	if command -v setcap >/dev/null; then
		cap_bin=$TEST_TMP/bin/capped-setuid-zero
		cp "$SETUID_ZERO" "$cap_bin" && chmod 755 "$cap_bin" && setcap cap_net_raw+ep "$cap_bin" || cap_bin=
	fi
fi
nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups) # exec's its command: the same pid

# Fewer families, a larger ring: the machine may be busy, and a lost
# event here would be a wrong answer, not a slow one.
dir=$TEST_TMP/rec
if ! start_recorder "$dir" --probes process,syscall,security --syscalls audit --ring-size 64M \
	--sensitive-path "$TEST_TMP/secret*"; then
	fail "record starts"; done_testing; exit
fi
pass "record --probes process,syscall,security starts"

echo hello >"$TEST_TMP/plain"
echo hush >"$TEST_TMP/secret.key"
cat /etc/shadow >/dev/null & shadow_cat=$!; wait $shadow_cat
cat "$TEST_TMP/plain" >/dev/null & plain_cat=$!; wait $plain_cat
cat "$TEST_TMP/secret.key" >/dev/null & secret_cat=$!; wait $secret_cat
"${nobody[@]}" /usr/bin/passwd -S >/dev/null & passwd=$!; wait $passwd
unshare -U true & unshare=$!; wait $unshare
suid= suid_st= cap= cap_st=
if [ -n "$suid_bin" ]; then "${nobody[@]}" "$suid_bin" & suid=$!; wait $suid; suid_st=$?; fi
if [ -n "$cap_bin" ]; then "${nobody[@]}" "$cap_bin" & cap=$!; wait $cap; cap_st=$?; fi
sleep 60 & sleeper=$!
strace -qq -o /dev/null -p "$sleeper" & tracer=$!
traced() { grep -q "^TracerPid:[[:space:]]*$tracer\$" "/proc/$sleeper/status"; }
wait_for 10 traced; ok $? "strace $tracer attached to sleep $sleeper"
kill -INT $tracer; wait $tracer
traced_pid=$sleeper; kill $sleeper; sleeper=
esc_unshare= esc_cat=
if [ -n "$docker_cg" ]; then
	# the shell moves itself into the cgroup, then execs: the exec is in the container
	bash -c 'echo $$ > "$1/cgroup.procs" && exec unshare -U true' sh "$docker_cg" & esc_unshare=$!; wait $esc_unshare
	bash -c 'echo $$ > "$1/cgroup.procs" && exec cat /proc/1/root/etc/hostname' sh "$docker_cg" >/dev/null &
	esc_cat=$!; wait $esc_cat
fi

archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 1m --after 0 --reason security 2>&1)
[ -f "$archive" ]; ok $? "snapshot - written ($archive)"
stop_recorder

gaps=$(q "SELECT count(*) FROM gaps")
is "$gaps" 0 "no records lost (else the rows below cannot be exact)"

is "$(q "SELECT uid, comm, kind, severity, detail, container FROM security WHERE pid = $shadow_cat")" \
	'0,cat,sensitive_open,medium,"call=openat path=""/etc/shadow"" flags=O_RDONLY",' \
	"cat /etc/shadow - one sensitive_open row with its pid and the path"
is "$(q "SELECT count(*) FROM security WHERE pid = $plain_cat")" 0 "cat of a plain file - no row"
is "$(q "SELECT kind, detail FROM security WHERE pid = $secret_cat")" \
	"sensitive_open,\"call=openat path=\"\"$TEST_TMP/secret.key\"\" flags=O_RDONLY\"" \
	"--sensitive-path $TEST_TMP/secret* - the cat of secret.key is a row"

caps=$(printf '0x%x' "0x$(awk '/^CapBnd/ { print $2 }' /proc/self/status)")
is "$(q "SELECT uid, comm, severity, detail FROM security WHERE pid = $passwd AND kind = 'privilege'")" \
	"65534,passwd,high,\"call=exec path=\"\"/usr/bin/passwd\"\" euid=0 cap_effective=$caps\"" \
	"passwd as nobody - a privilege row: uid 65534 before, euid 0, the bounding set as capabilities"
is "$(q "SELECT uid, count(*) FROM security WHERE pid = $passwd AND kind = 'sensitive_open' AND detail LIKE '%\"/etc/shadow\"%'")" \
	"65534,1" "passwd as nobody - then one sensitive_open of /etc/shadow as uid 65534"
is "$(q "SELECT euid, secureexec FROM proc_exec WHERE pid = $passwd AND comm = 'passwd'")" "0,1" \
	"proc_exec - passwd's euid 0 and secureexec 1"
is "$(q "SELECT euid, secureexec FROM proc_exec WHERE pid = $shadow_cat")" "0,0" \
	"proc_exec - root's cat: euid 0, secureexec 0"
is "$(q "SELECT count(*) FROM security WHERE kind = 'privilege' AND pid IN ($shadow_cat, $plain_cat, $secret_cat, $unshare)")" \
	0 "root's execs of ordinary binaries - no privilege row"

if [ -n "$suid_bin" ]; then
	is "$suid_st" 0 "setuid-zero, set-uid root, run as nobody - its setuid(0) succeeded"
	is "$(q "SELECT uid, kind, severity, detail FROM security WHERE pid = $suid AND comm = 'setuid-zero' ORDER BY ts")" \
		"65534,privilege,high,\"call=exec path=\"\"$suid_bin\"\" euid=0 cap_effective=$caps\"
65534,privilege,high,call=setuid uid=0 from_uid=65534" \
		"setuid-zero as nobody - the set-uid exec, then setuid(0) from uid 65534"
else
	skip "set-uid helper: SETUID_ZERO not built or not installable in $TEST_TMP"
	skip "set-uid helper: SETUID_ZERO not built or not installable in $TEST_TMP"
fi
if [ -n "$cap_bin" ]; then
	is "$cap_st" 1 "capped-setuid-zero as nobody - its setuid(0) failed"
	is "$(q "SELECT uid, kind, severity, detail FROM security WHERE pid = $cap AND comm = 'capped-setuid-z'")" \
		"65534,privilege,medium,\"call=exec path=\"\"$cap_bin\"\" euid=65534 cap_effective=0x2000\"" \
		"cap_net_raw+ep binary as nobody - one medium privilege row with CAP_NET_RAW, none for the failed setuid(0)"
else
	skip "file capabilities: no setcap"
	skip "file capabilities: no setcap"
fi

is "$(q "SELECT uid, comm, kind, severity, detail FROM security WHERE pid = $unshare")" \
	"0,unshare,namespace,medium,call=unshare flags=CLONE_NEWUSER" "unshare -U true - one namespace row"
# (strace also seizes a child of its own first, to probe the kernel: a row too)
is "$(q "SELECT comm, kind, severity, detail FROM security WHERE pid = $tracer AND detail LIKE '% pid=$traced_pid'")" \
	"strace,ptrace,high,call=ptrace request=SEIZE pid=$traced_pid" "strace -p - one ptrace row naming the traced pid"

if [ -n "$docker_cg" ]; then
	is "$(q "SELECT kind, severity, detail, container FROM security WHERE pid = $esc_unshare")" \
		"container_escape,high,call=unshare flags=CLONE_NEWUSER,$ID" \
		"unshare inside a container cgroup - a container_escape row with the container id"
	is "$(q "SELECT kind, severity, container FROM security WHERE pid = $esc_cat")" \
		"container_escape,high,$ID" "cat /proc/1/root/... inside a container cgroup - a container_escape row"
else
	skip "container rows: cannot create a cgroup under '$cg2'"
	skip "container rows: cannot create a cgroup under '$cg2'"
fi

is "$(q "SELECT summary FROM timeline WHERE kind = 'security' AND pid = $unshare")" \
	"medium namespace (uid 0): call=unshare flags=CLONE_NEWUSER" "timeline - the namespace row"
summary=$("$FLIGHTREC_REPLAY" "$archive" -c .summary)
like "$summary" "== security signals" ".summary - a security section"
like "$summary" "namespace +medium +1 +1 " ".summary - the namespace row counted by kind and severity"
# the format this build writes (schema/segment.h): 1.4 added the fields the classifier's rows rely on
minor=$(sed -n 's/^#define FR_FORMAT_MINOR \([0-9]*\).*/\1/p' "$TESTS_SRCDIR/../schema/segment.h")
is "$(q "SELECT json_extract(manifest, '$.format') FROM archives")" "1.$minor" "manifest - format 1.$minor, this build's"
[ "$minor" -ge 4 ]
ok $? "manifest - format 1.4 or later"

# --probes=-security: the classifier is off; the syscall row is still there.
dir2=$TEST_TMP/rec2
if ! start_recorder "$dir2" --probes=-security,-sched,-block,-net --syscalls audit --ring-size 64M; then
	fail "record --probes=-security starts"; done_testing; exit
fi
cat /etc/shadow >/dev/null & off_cat=$!; wait $off_cat
archive=$("$FLIGHTREC" snapshot --dir "$dir2" --before 1m --after 0 --reason nosecurity 2>&1)
[ -f "$archive" ]; ok $? "--probes=-security - snapshot written"
stop_recorder
is "$(q "SELECT count(*) FROM syscalls WHERE pid = $off_cat AND args LIKE 'path=\"/etc/shadow\"%'")" 1 \
	"--probes=-security - the open of /etc/shadow is a syscall row"
is "$(q "SELECT count(*) FROM security")" 0 "--probes=-security - no security rows at all"

# --trigger 'security namespace': a host unshare takes a snapshot by itself,
# and a sensitive open (medium, sensitive_open) does not.
dir3=$TEST_TMP/rec3
if ! start_recorder "$dir3" --probes process,syscall,security --syscalls audit --ring-size 64M \
	--trigger 'security namespace' --snapshot-before 5s --snapshot-after 0; then
	fail "record --trigger 'security namespace' starts"; done_testing; exit
fi
cat /etc/shadow >/dev/null & t_cat=$!; wait $t_cat
unshare -U true & t_unshare=$!; wait $t_unshare
archived() { ls "$dir3"/snapshots/*-security_namespace.tar >/dev/null 2>&1; }
wait_for 20 archived; ok $? "--trigger 'security namespace' - an archive named after the rule"
stop_recorder
archive=$(ls "$dir3"/snapshots/*.tar 2>/dev/null | head -1)
is "$(ls "$dir3"/snapshots/*.tar 2>/dev/null | wc -l)" 1 "--trigger 'security namespace' - one archive: the sensitive open did not fire it"
is "$(q "SELECT json_extract(manifest, '$.trigger.detail') = 'security namespace' AND json_extract(manifest, '$.trigger.record') =
	'security pid=$t_unshare uid=0 comm=\"unshare\" kind=\"namespace\" severity=\"medium\" detail=\"call=unshare flags=CLONE_NEWUSER\" container=\"\"' AS ok FROM archives")" 1 \
	"--trigger 'security namespace' - the manifest names the rule and the unshare's record"
st=0; out=$("$FLIGHTREC" record --dir "$TEST_TMP/x" --trigger 'security high now' 2>&1) || st=$?
is "$st:$out" "1:flightrec: record: invalid --trigger 'security high now': expected 'security' or 'security SEVERITY|KIND', like 'security high'" \
	"--trigger 'security high now' - refused in one line"

st=0; out=$("$FLIGHTREC" record --dir "$TEST_TMP/x" --sensitive-path '' 2>&1) || st=$?
is "$st:$out" "1:flightrec: record: invalid --sensitive-path '': expected a glob of 1 to 255 bytes, like /etc/ssl/private/*" \
	"--sensitive-path '' - refused in one line"
done_testing
