#!/usr/bin/env bash
# syscalls.sh - the syscall family end to end, against counts the test
# makes itself with tests/helpers/sysloop (which prints nothing, so its own
# writes never add to them):
#   summary (default)  N failed opens of a marked path -> the first one's
#                      row and one for its N - 1 repeats (count, first and
#                      last time), ENOENT, path in args; M getppid() -> syscall_stats counts exactly
#                      M for that pid, none timed, and no getppid rows;
#                      two processes taking turns on one CPU -> each one's
#                      count exact; a read blocked 150 ms -> one slow row;
#                      a dup failing with EMFILE -> one error row; slow
#                      reads of a pipe, a socket and a pty and a flock of a
#                      file -> their fd_kind,
#                      and .summary ranks the socket's before the others
#   latency all        M getppid() -> all M timed, the histogram holds M;
#                      --audit-rows=each: N failed opens -> N rows
#   audit              a non-blocking connect (EINPROGRESS): .summary does
#                      not count it among the failed calls
#   audit              a connect to 127.0.0.1:PORT -> one connect row with
#                      127.0.0.1:PORT in args (and bind, listen, accept4);
#                      nothing counted, no getppid rows
#   all                M getppid() -> exactly M rows, and M counted; the
#                      same with the starts keyed by tid (before 5.11)
#   off (config key)   no syscall rows, no counts, no syscall probe
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

SYSLOOP=${SYSLOOP:-$(dirname "$EXIT_WITH")/sysloop}
[ -x "$SYSLOOP" ] || skip_all "tests/helpers/sysloop is not built (make check builds it)"

N=7
M=20000
mark=frsc$$x$RANDOM

# sysloop_on_free_port MODE: sysloop MODE on a random port (in $port), tried
# again on another while the port was taken (exit 3); its status in $st.
sysloop_on_free_port() {
	st=3
	for _ in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 40000))
		"$SYSLOOP" "$1" "$port"
		st=$?
		[ "$st" -ne 3 ] && break
	done
}

# q ARCHIVE SQL: the last line of the CSV answer (the value, for one-cell queries).
q() { "$FLIGHTREC_REPLAY" "$1" --csv -c "$2" | tail -1; }

# snap DIR: a snapshot of the last minute that waits 2 s, so that the
# counts of the last second are drained into it; prints the archive path.
snap() { "$FLIGHTREC" snapshot --dir "$1" --before 1m --after 2s --reason syscalls; }

# --- summary, the default ------------------------------------------------------
dir=$TEST_TMP/summary
if start_recorder "$dir"; then
	pass "summary - flightrec record starts"
	log=$(cat "$TEST_TMP/recorder.log")
	# the default has no sys_enter: sc_switch finds a waiting call, the exit decodes
	unlike "$log" "probe syscall/sys_enter" "summary - no sys_enter program"
	like "$log" "probe syscall/sc_switch attached \(tp_btf/sched_switch\)" "summary - sc_switch attached"
	like "$log" "probe syscall/sc_exec attached \(tp_btf/sched_process_exec\)" "summary - sc_exec attached"
	like "$log" "probe syscall/sys_exit attached \(tp_btf/sys_exit\)" "summary - sys_exit attached"
	"$SYSLOOP" open "/nonexistent-$mark/file" "$N"
	ok $? "summary - sysloop: $N opens of a missing path, each failing with ENOENT"
	"$SYSLOOP" getppid "$M" &
	gpid=$!
	wait "$gpid"
	ok $? "summary - sysloop: $M getppid() calls"
	# Three processes taking turns on one CPU: the hot array's two ways
	# hold two of them, so the per-CPU counts change hands (the least
	# recently used way flushed into the hash) at turns; none may be lost.
	pin=()
	command -v taskset >/dev/null && pin=(taskset -c 0)
	"${pin[@]}" "$SYSLOOP" getppid 30011 &
	p1=$!
	"${pin[@]}" "$SYSLOOP" getppid 17003 &
	p2=$!
	"${pin[@]}" "$SYSLOOP" getppid 9001 &
	p3=$!
	wait "$p1" && wait "$p2" && wait "$p3"
	ok $? "summary - sysloop: three processes, 30011, 17003 and 9001 getppid() calls, ${pin[*]:-unpinned}"
	# A client and its echo server waking each other on one CPU (both ways
	# of the hot array), beside a third process: 3001 round trips.
	SYSFLOOD=${SYSFLOOD:-$(dirname "$EXIT_WITH")/sysflood}
	"${pin[@]}" "$SYSLOOP" getppid 20011 &
	p4=$!
	"${pin[@]}" "$SYSFLOOD" loop pingpong 3001 >/dev/null &
	pp=$!
	wait "$pp" && wait "$p4"
	ok $? "summary - sysflood: 3001 TCP round trips to an echo child beside 20011 getppid() calls, ${pin[*]:-unpinned}"
	"$SYSLOOP" slowread 150 &
	spid=$!
	wait "$spid"
	ok $? "summary - sysloop: one read of a pipe written 150 ms later"
	"$SYSLOOP" slowread 1000 socket &
	sockpid=$!
	wait "$sockpid"
	ok $? "summary - sysloop: one read of a socket written 1 s later"
	"$SYSLOOP" slowread 1200 tty &
	ttypid=$!
	wait "$ttypid"
	ok $? "summary - sysloop: one read of a pty's master written 1.2 s later"
	"$SYSLOOP" slowflock 200 "$TEST_TMP/lockfile" &
	lockpid=$!
	wait "$lockpid"
	ok $? "summary - sysloop: one flock of a file that a child holds for 200 ms"
	"$SYSLOOP" emfile &
	epid=$!
	wait "$epid"
	ok $? "summary - sysloop: dup() until EMFILE"
	# Audit calls in the default mode, decoded at exit (no sys_enter): a
	# connect, bind, listen and accept; an execve that succeeds (its
	# registers are the new program's by its exit: its path comes from
	# sc_exec) three times, from three processes, and one that fails.
	sysloop_on_free_port connect
	is "$st" 0 "summary - sysloop: listen, connect and accept on 127.0.0.1:$port"
	exe=$TEST_TMP/true-$$x$RANDOM # not $mark: the folding checks below count its rows
	cp "$(type -P true)" "$exe"
	for _ in 1 2 3; do "$exe"; done
	ok $? "summary - three execs of $exe"
	missing=$TEST_TMP/missing-$$x$RANDOM
	(exec "$missing" 2>/dev/null)
	is $? 127 "summary - an exec of a missing file fails"
	archive=$(snap "$dir")
	ok $? "summary - snapshot"
	is "$(q "$archive" "SELECT count(*) || ' ' || ret || ' ' || ifnull(error, 'NULL') FROM syscalls
		WHERE name = 'connect' AND args LIKE 'fd=% addr=127.0.0.1:$port'")" "1 0 NULL" \
		"summary - exactly one connect row, its address decoded at exit, ret 0"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE name = 'bind' AND args LIKE 'fd=% addr=127.0.0.1:$port'")" 1 \
		"summary - one bind row with the address"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE name = 'accept4' AND ret >= 0 AND args GLOB 'fd=[0-9]*'
		AND pid IN (SELECT pid FROM syscalls WHERE name = 'bind' AND args LIKE '%:$port')")" 1 \
		"summary - one accept4 row with its fd"
	is "$(q "$archive" "SELECT count(DISTINCT pid) || ' ' || sum(count) || ' ' || min(ret) || ' ' || max(ret) FROM syscalls
		WHERE name = 'execve' AND args = 'path=\"$exe\"'")" "3 3 0 0" \
		"summary - three execve rows from three processes, the path as given, ret 0"
	is "$(q "$archive" "SELECT count(*) || ' ' || ret || ' ' || error FROM syscalls
		WHERE name = 'execve' AND args = 'path=\"$missing\"'")" "1 -2 ENOENT" \
		"summary - the failed execve: one row, its path from its registers, ENOENT"

	# the first call's row, then one for its repeats (and one more when the second turned between them)
	is "$(q "$archive" "SELECT (count(*) BETWEEN 2 AND 3) || ' ' || sum(count) || ' ' || min(count) FROM syscalls
		WHERE args LIKE '%$mark%'")" "1 $N 1" \
		"summary - failed opens of the marked path, expect the first call's row and one for the repeats, $N in all"
	is "$(q "$archive" "SELECT sum(count) FROM syscalls WHERE args = 'path=\"/nonexistent-$mark/file\" flags=O_RDONLY|O_CLOEXEC'
		AND name = 'openat' AND ret = -2 AND error = 'ENOENT' AND reason = 'audit' AND nr = 257 AND comm = 'sysloop'
		AND span_ns < 2000000000")" "$N" \
		"summary - it is openat, path and flags in args, ret -2, error ENOENT, first and last within its second"
	is "$(q "$archive" "SELECT sum(count) FROM syscall_stats WHERE pid = $gpid AND name = 'getppid'")" "$M" \
		"summary - syscall_stats counts exactly $M getppid for the helper's pid"
	is "$(q "$archive" "SELECT group_concat(n, ' ') FROM (SELECT sum(count) AS n FROM syscall_stats
		WHERE pid IN ($p1, $p2) AND name = 'getppid' GROUP BY pid ORDER BY pid = $p2)")" "30011 17003" \
		"summary - two processes on one CPU, expect exactly 30011 and 17003 counted"
	is "$(q "$archive" "SELECT group_concat(n, ' ') FROM (SELECT sum(count) AS n FROM syscall_stats
		WHERE pid IN ($p3, $p4) AND name = 'getppid' GROUP BY pid ORDER BY pid = $p4)")" "9001 20011" \
		"summary - the third process on that CPU, and the one beside the round trips: exactly 9001 and 20011"
	is "$(q "$archive" "SELECT group_concat(n, ' ') FROM (SELECT pid = $pp AS parent, sum(count) AS n FROM syscall_stats
		WHERE pid IN ($pp, (SELECT pid FROM processes WHERE ppid = $pp)) AND name IN ('sendto', 'recvfrom')
		GROUP BY parent, name ORDER BY parent, name)")" "3002 3001 3001 3001" \
		"summary - the echo child's recvfrom and sendto, the client's: exactly 3002 3001 3001 3001"
	is "$(q "$archive" "SELECT sum(errors) || ' ' || sum(timed) || ' ' || sum(total_ns) || ' ' || max(max_ns) || ' [' || group_concat(hist, '') || ']'
		FROM syscall_stats WHERE pid = $gpid AND name = 'getppid'")" "0 0 0 0 []" \
		"summary - getppid never blocks: counted, not timed (no errors, no latency, empty histogram)"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE pid = $gpid AND name = 'getppid'")" 0 \
		"summary - no row per getppid call"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE ret >= 0 AND error IS NOT NULL")" 0 \
		"summary - calls that succeeded have a NULL error"
	is "$(q "$archive" "SELECT count(*) FROM timeline WHERE kind = 'syscall' AND summary LIKE 'openat(%$mark%) = -2 ENOENT [% identical calls in % ms]'")" \
		"$(q "$archive" "SELECT count(*) FROM syscalls WHERE args LIKE '%$mark%' AND count > 1")" \
		"summary - the timeline shows the folded rows with their count"
	is "$(q "$archive" "SELECT count(*) || ' ' || min(latency_ns >= 150000000) || ' ' || min(ret) || ' ' || min(reason)
		FROM syscalls WHERE pid = $spid AND name = 'read'")" "1 1 1 slow" \
		"summary - the read slower than --slow-syscall (10ms), expect one row, latency >= 150ms"
	# (the loader's read of the ELF header is counted too, and timed only if it waited)
	is "$(q "$archive" "SELECT (sum(timed) >= 1) || ' ' || (max(max_ns) >= 150000000) FROM syscall_stats
		WHERE pid = $spid AND name = 'read'")" "1 1" \
		"summary - the read that waited is timed in syscall_stats, its maximum >= 150ms"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE pid = $spid AND reason = 'slow' AND name <> 'read'")" 0 \
		"summary - no other slow rows for it (its child's nanosleep and its wait4 wait by design)"
	is "$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT fd_kind, count(*) FROM syscalls
		WHERE pid IN ($spid, $sockpid, $ttypid) AND reason = 'slow' GROUP BY fd_kind ORDER BY fd_kind" | tail -n +2)" \
		"pipe,1
socket,1
tty,1" "summary - the slow reads of a pipe, a socket and a pty: fd_kind pipe, socket, tty"
	is "$(q "$archive" "SELECT count(*) || ' ' || min(fd_kind) || ' ' || min(latency_ns >= 200000000) FROM syscalls
		WHERE pid = $lockpid AND name = 'flock' AND reason = 'slow'")" "1 file 1" \
		"summary - the flock that waited 200 ms for a regular file: one slow row, fd_kind file"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE pid IN ($gpid, $epid) AND fd_kind <> ''")" 0 \
		"summary - rows that are not slow have no fd_kind"
	sec=$("$FLIGHTREC_REPLAY" "$archive" -c .summary | sed -n '/^== slowest system calls/,/^$/p')
	like "$sec" "time +pid +comm +name +fd +latency +error" ".summary - slowest system calls: an fd column"
	like "$sec" " $sockpid +sysloop +read +socket +1(\.[0-9]+)?s " ".summary - the socket's 1 s read is among the slowest"
	is "$(printf '%s\n' "$sec" | grep -Ec ' (pipe|tty) ')" 0 ".summary - no wait on a pipe or a tty among them"
	sec=$("$FLIGHTREC_REPLAY" "$archive" -c .summary | sed -n '/^== longest waits on pipes and terminals/,/^$/p')
	like "$sec" " $ttypid +sysloop +read +tty +1\.[0-9]+s " ".summary - the pty's 1.2 s read is apart, among the waits on pipes and terminals"
	sec=$("$FLIGHTREC_REPLAY" "$archive" -c .summary | sed -n '/^== slowest disk requests/,/^$/p')
	like "$sec" "time +pid +comm +disk +op +rwbs +bytes +queued +service" \
		".summary - slowest disk requests: chosen columns, like the other sections"
	is "$(q "$archive" "SELECT count(*) || ' ' || min(name) || ' ' || min(ret) || ' ' || min(error) || ' ' || min(reason)
		FROM syscalls WHERE pid = $epid AND reason = 'error'")" "1 dup -24 EMFILE error" \
		"summary - the failed dup, expect one row, EMFILE"
	is "$(q "$archive" "SELECT count(*) FROM drops WHERE source = 'syscall'")" 0 "summary - nothing lost"
	stop_recorder
	ok $? "summary - recorder stops cleanly"
else
	fail "summary - flightrec record starts"
fi

# --- summary with --syscall-latency=all and --audit-rows=each ----------------------
dir=$TEST_TMP/latency-all
if start_recorder "$dir" --syscall-latency=all --audit-rows=each; then
	pass "latency all - flightrec record --syscall-latency=all --audit-rows=each starts"
	"$SYSLOOP" getppid "$M" &
	gpid=$!
	wait "$gpid"
	ok $? "latency all - sysloop: $M getppid() calls"
	"$SYSLOOP" open "/nonexistent-$mark/each" "$N"
	ok $? "latency all - sysloop: $N opens of a missing path"
	archive=$(snap "$dir")
	ok $? "latency all - snapshot"
	is "$(q "$archive" "SELECT sum(count) || ' ' || sum(timed) || ' ' || (sum(total_ns) > 0) || ' ' || (max(max_ns) > 0)
		FROM syscall_stats WHERE pid = $gpid AND name = 'getppid'")" "$M $M 1 1" \
		"latency all - every getppid counted and timed, latencies summed, a maximum"
	# the histogram holds every call: the B:N counts add up to count
	hist=$(q "$archive" "SELECT group_concat(hist, ' ') FROM syscall_stats WHERE pid = $gpid AND name = 'getppid'")
	is "$(printf '%s\n' $hist | awk -F: '{ s += $2 } END { print s }')" "$M" \
		"latency all - the latency histogram holds all $M calls"
	is "$(q "$archive" "SELECT count(*) || ' ' || sum(count) || ' ' || sum(span_ns = 0) FROM syscalls
		WHERE args LIKE '%/nonexistent-$mark/each%' AND error = 'ENOENT'")" "$N $N $N" \
		"latency all - --audit-rows=each: $N rows, each for one call"
	stop_recorder
	ok $? "latency all - recorder stops cleanly"
else
	fail "latency all - flightrec record --syscall-latency=all --audit-rows=each starts"
fi

# --- audit ------------------------------------------------------------------------
dir=$TEST_TMP/audit
if start_recorder "$dir" --syscalls=audit; then
	pass "audit - flightrec record --syscalls=audit starts"
	sysloop_on_free_port connect
	is "$st" 0 "audit - sysloop: listen, connect and accept on 127.0.0.1:$port"
	cport=$port
	sysloop_on_free_port nbconnect
	nbport=$port
	port=$cport
	is "$st" 0 "audit - sysloop: a non-blocking connect to 127.0.0.1:$nbport, EINPROGRESS"
	"$SYSLOOP" getppid 1000 &
	gpid=$!
	wait "$gpid"
	archive=$(snap "$dir")
	ok $? "audit - snapshot"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE name = 'connect' AND args LIKE '%addr=127.0.0.1:$port'")" 1 \
		"audit - exactly one connect row with 127.0.0.1:$port in args"
	is "$(q "$archive" "SELECT ret || ' ' || ifnull(error, 'NULL') || ' ' || reason FROM syscalls
		WHERE name = 'connect' AND args LIKE '%addr=127.0.0.1:$port'")" "0 NULL audit" \
		"audit - the connect returned 0, no error"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE name = 'bind' AND args LIKE 'fd=% addr=127.0.0.1:$port'")" 1 \
		"audit - one bind row with the address"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE name = 'listen' AND args LIKE 'fd=% backlog=1'
		AND pid IN (SELECT pid FROM syscalls WHERE name = 'bind' AND args LIKE '%:$port')")" 1 \
		"audit - one listen row, backlog 1"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE name = 'accept4' AND ret >= 0
		AND pid IN (SELECT pid FROM syscalls WHERE name = 'bind' AND args LIKE '%:$port')")" 1 \
		"audit - one accept4 row"
	is "$(q "$archive" "SELECT count(*) || ' ' || min(error) FROM syscalls WHERE name = 'connect' AND args LIKE '%addr=127.0.0.1:$nbport'")" \
		"1 EINPROGRESS" "audit - the non-blocking connect, one row, EINPROGRESS"
	sum=$("$FLIGHTREC_REPLAY" "$archive" -c .summary)
	is "$(printf '%s\n' "$sum" | sed -n '/^== failed system calls/,/^$/p' | grep -c EINPROGRESS)" 0 \
		".summary - a non-blocking connect under way is not among the failed system calls"
	like "$(printf '%s\n' "$sum" | sed -n '/^== non-blocking calls that would have waited/,/^$/p')" "connect +EINPROGRESS +[1-9]" \
		".summary - it is counted apart, as a call that would have waited"
	is "$(q "$archive" "SELECT count(*) FROM syscall_stats")" 0 "audit - nothing counted"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE pid = $gpid AND name = 'getppid'")" 0 \
		"audit - no getppid rows"
	stop_recorder
	ok $? "audit - recorder stops cleanly"
else
	fail "audit - flightrec record --syscalls=audit starts"
fi

# --- all ----------------------------------------------------------------------------
dir=$TEST_TMP/all
if start_recorder "$dir" --syscalls=all --ring-size 64M; then
	pass "all - flightrec record --syscalls=all starts"
	"$SYSLOOP" getppid "$M" &
	gpid=$!
	wait "$gpid"
	ok $? "all - sysloop: $M getppid() calls"
	"$SYSLOOP" emfile &
	epid=$!
	wait "$epid"
	ok $? "all - sysloop: dup() until EMFILE"
	"$SYSLOOP" eagain 25 &
	apid=$!
	wait "$apid"
	ok $? "all - sysloop: 25 reads of an empty non-blocking socket, EAGAIN"
	"$SYSLOOP" slowread 150 &
	aspid=$!
	wait "$aspid"
	ok $? "all - sysloop: one read of a pipe written 150 ms later"
	archive=$(snap "$dir")
	ok $? "all - snapshot"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE pid = $apid AND name = 'read' AND error = 'EAGAIN'")" 25 \
		"all - 25 read rows failing with EAGAIN"
	sum=$("$FLIGHTREC_REPLAY" "$archive" -c .summary)
	is "$(printf '%s\n' "$sum" | sed -n '/^== failed system calls/,/^$/p' | grep -Ec 'read +EAGAIN')" 0 \
		".summary - a non-blocking read with nothing to read is not among the failed system calls"
	like "$(printf '%s\n' "$sum" | sed -n '/^== non-blocking calls that would have waited/,/^$/p')" "read +EAGAIN +[1-9]" \
		".summary - it is counted apart, as a call that would have waited"
	# Successful calls cross the ring as brief events: the row must be whole.
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE pid = $gpid AND name = 'getppid' AND reason = 'all'
		AND ret = $$ AND error IS NULL AND nr = 110 AND args = '' AND tid = pid AND comm = 'sysloop'
		AND latency_ns > 0")" "$M" \
		"all - exactly $M getppid rows for the helper's pid, returning its parent's pid"
	# A failed call crosses the ring in full, with its error, and says it
	# failed: under overload only the rows of reason 'all' give way.
	is "$(q "$archive" "SELECT count(*) || ' ' || min(ret) || ' ' || min(error) || ' ' || min(reason) FROM syscalls
		WHERE pid = $epid AND name = 'dup' AND error IS NOT NULL")" "1 -24 EMFILE error" \
		"all - the dup() that failed: one row, ret -24, EMFILE, reason error"
	# A call slower than --slow-syscall says so, with what it waited on.
	is "$(q "$archive" "SELECT count(*) || ' ' || min(reason) || ' ' || min(fd_kind) || ' ' || min(latency_ns >= 150000000)
		FROM syscalls WHERE pid = $aspid AND name = 'read' AND latency_ns >= 10000000")" "1 slow pipe 1" \
		"all - the read of a pipe that waited 150 ms: reason slow, fd_kind pipe"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE pid IN ($gpid, $apid) AND name IN ('getppid', 'read')
		AND reason <> 'all'")" 0 "all - the getppid and EAGAIN loops' rows: reason all"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE pid = $epid AND name = 'dup' AND ret >= 0 AND error IS NULL")" \
		"$(q "$archive" "SELECT sum(count) - 1 FROM syscall_stats WHERE pid = $epid AND name = 'dup'")" \
		"all - and a row for each dup() that succeeded, as many as the kernel counted"
	is "$(q "$archive" "SELECT sum(count) FROM syscall_stats WHERE pid = $gpid AND name = 'getppid'")" "$M" \
		"all - and $M counted"
	is "$(q "$archive" "SELECT count(*) FROM drops WHERE source IN ('ringbuf', 'syscall')")" 0 "all - nothing lost"
	stop_recorder
	ok $? "all - recorder stops cleanly"
else
	fail "all - flightrec record --syscalls=all starts"
fi

# --- all, with the start of each call keyed by tid (kernels before 5.11) ------
dir=$TEST_TMP/tid
if FLIGHTREC_SYSCALLS_TID_MAP=1 start_recorder "$dir" --syscalls=all --ring-size 64M; then
	pass "tid map - flightrec record --syscalls=all without task storage starts"
	like "$(cat "$TEST_TMP/recorder.log")" "probe syscall/sys_exit_tid attached" "tid map - the tid-keyed programs are attached"
	"$SYSLOOP" getppid "$M" &
	gpid=$!
	wait "$gpid"
	"$SYSLOOP" open "/nonexistent-$mark/tid" "$N"
	archive=$(snap "$dir")
	ok $? "tid map - snapshot"
	is "$(q "$archive" "SELECT count(*) FROM syscalls WHERE pid = $gpid AND name = 'getppid'")" "$M" \
		"tid map - exactly $M getppid rows"
	is "$(q "$archive" "SELECT sum(count) FROM syscall_stats WHERE pid = $gpid AND name = 'getppid'")" "$M" \
		"tid map - and $M counted"
	is "$(q "$archive" "SELECT sum(count) FROM syscalls WHERE args LIKE 'path=\"/nonexistent-$mark/tid\"%' AND error = 'ENOENT'")" "$N" \
		"tid map - the $N failed opens with their path"
	stop_recorder
	ok $? "tid map - recorder stops cleanly"
else
	fail "tid map - flightrec record --syscalls=all without task storage starts"
fi

# --- off, from the config file ------------------------------------------------------
dir=$TEST_TMP/off
printf 'syscalls = off\n' >"$TEST_TMP/off.conf"
if start_recorder "$dir" --config "$TEST_TMP/off.conf"; then
	pass "off - flightrec record with 'syscalls = off' in its config starts"
	unlike=$(grep -c "probe syscall/" "$TEST_TMP/recorder.log")
	is "$unlike" 0 "off - no syscall probe loaded"
	"$SYSLOOP" open "/nonexistent-$mark/off" "$N"
	"$SYSLOOP" getppid 1000
	archive=$(snap "$dir")
	ok $? "off - snapshot"
	is "$(q "$archive" "SELECT (SELECT count(*) FROM syscalls) || ' ' || (SELECT count(*) FROM syscall_stats)")" "0 0" \
		"off - no syscall rows and no counts"
	is "$(q "$archive" "SELECT count(*) FROM proc_exec WHERE argv LIKE '%/nonexistent-$mark/off%'")" 1 \
		"off - the other families still record (the exec of sysloop)"
	stop_recorder
	ok $? "off - recorder stops cleanly"
else
	fail "off - flightrec record with 'syscalls = off' in its config starts"
fi

# --- bad values ---------------------------------------------------------------------
out=$("$FLIGHTREC" record --dir "$TEST_TMP/bad" --syscalls=loud 2>&1); st=$?
is "$st" 1 "options - --syscalls=loud is refused, expect exit 1"
like "$out" "invalid --syscalls 'loud': expected off, audit, summary or all" "options - the message names the modes"
done_testing
