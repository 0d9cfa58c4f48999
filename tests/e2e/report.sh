#!/usr/bin/env bash
# report.sh - the HTML incident report of a real recording, opened in
# headless Chromium: a process killed by SIGSEGV, a connect refused by a
# closed 127.0.0.1 port and a 300 ms read of a pipe are recorded; the page
# (--report, and .report, byte for byte the same) loads nothing (no URL in
# it, its CSP refuses a fetch, the browser asks the network for nothing),
# logs no error, shows the crashed process with SIGSEGV, the refused
# connection with its port and ECONNREFUSED and the slow read; clicking
# the crash's mark shows its proc_exit row, and the function it crashed
# in when the archive has its crashes row.  A redacted archive's report
# holds no original argument; the flame graph appears only with stack
# tables.  The screenshot and the page are kept in
# tests/e2e/report-artifacts/ of the build tree.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf
command -v chromium >/dev/null && command -v chromedriver >/dev/null ||
	skip_all "needs chromium and chromium-driver (scripts/install-deps)"

BROWSE="python3 $TESTS_SRCDIR/helpers/report-browser.py"
art=${TOP_BUILDDIR:-.}/tests/e2e/report-artifacts
mkdir -p "$art"
dir=$TEST_TMP/rec
if ! start_recorder "$dir"; then
	fail "flightrec record starts"; done_testing; exit
fi
pass "flightrec record starts"

# The incident: a crash, a refused connection, a slow read of a pipe.
crash=frrepcrash
cp "$EXIT_WITH" "$TEST_TMP/$crash"
secret=sekrit$$x$RANDOM
"$TEST_TMP/$crash" -11 "$secret" 2>/dev/null
closed=$(python3 -c "
import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); print(p)")
read -r client reader <<< "$(timeout 30 python3 -c "
import os, socket, time
s = socket.socket()  # blocking: connect() itself fails with ECONNREFUSED
try:
    s.connect(('127.0.0.1', $closed))
except OSError:
    pass
s.close()
r, w = os.pipe()
if os.fork() == 0:
    os.close(r)
    # the 300 ms from when the parent waits in its read of the pipe, so that the read lasts
    # them: started at once, they ran ahead of a parent late to its read; its state S alone
    # was once a sleep before the read (281 ms recorded under make -j2).  /proc/PID/syscall:
    # the call a blocked task is in (read is 0 on x86-64) and its first argument, the fd
    for _ in range(10000):
        with open('/proc/%d/syscall' % os.getppid()) as f:
            call = f.read().split()
        if len(call) > 1 and call[0] == '0' and int(call[1], 16) == r:
            break
        time.sleep(0.001)
    time.sleep(0.3); os.write(w, b'x'); os._exit(0)
os.close(w)
os.read(r, 1)
os.wait()
print(os.getpid(), os.getpid())")"
sleep 2.5 # per-second counts are drained a tick after their second ends
a=$("$FLIGHTREC" snapshot --dir "$dir" --before 10s --after 0s --reason report)
red=$("$FLIGHTREC" snapshot --dir "$dir" --before 10s --after 0s --reason report-redacted --redact argv,paths,addrs)
stop_recorder
R() { "$FLIGHTREC_REPLAY" "$a" --csv --headers off -c "$1"; }

# Ground truth, from the archive's tables.
pid=$(R "SELECT pid FROM processes WHERE argv LIKE '%$crash -11 $secret' AND exit_signal = 11")
[ -n "$pid" ]; ok $? "archive - the crashed process, killed by signal 11 ($pid)"
is "$(R "SELECT outcome FROM connections WHERE rport = $closed AND pid = $client")" refused \
	"archive - the connect to closed port $closed is refused"
is "$(R "SELECT error FROM syscalls WHERE name = 'connect' AND pid = $client AND args LIKE '%:$closed%'")" ECONNREFUSED \
	"archive - the connect() failed with ECONNREFUSED"
slow=$(R "SELECT latency_ns FROM syscalls WHERE pid = $reader AND name = 'read' AND fd_kind = 'pipe' AND reason = 'slow'
	 AND latency_ns >= 250000000")
[ -n "$slow" ] && [ "$slow" -ge 290000000 ] && [ "$slow" -lt 1000000000 ]
ok $? "archive - one read of the pipe that took about 300 ms ($slow ns)"

# The page: written by --report and by .report, the same bytes.
page=$art/report.html
"$FLIGHTREC_REPLAY" "$a" --report "$page" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
is "$?:$(cat "$TEST_TMP/out" "$TEST_TMP/err")" "0:" "--report FILE - writes the page silently, exit 0"
is "$("$FLIGHTREC_REPLAY" "$a" -c ".report $TEST_TMP/dot.html")" "wrote the report to $TEST_TMP/dot.html" \
	".report FILE - says where it wrote the page"
cmp -s "$page" "$TEST_TMP/dot.html"; ok $? ".report FILE - the same page as --report"
[ ! -e "$page.tmp" ]; ok $? "--report FILE - no temporary file left"

# No URL loads anything: no src or href but the data: icon, no url(), no @import, the CSP allows no fetch.
got=$(grep -oiE '(src|href|action|poster|srcset)=["'"'"']?[^ >]*|url\([^#)][^)]*\)|@import' "$page" | sort -u)
is "$got" 'href="data:,"' "page - no attribute or CSS that loads a URL, only the data: icon"
is "$(grep -c '<script' "$page")" 3 "page - three inline scripts (data, d3, report.js) and no other"
like "$(grep -o '<meta http-equiv="Content-Security-Policy" content="[^"]*"' "$page")" \
	"content=\"default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]{44}' 'sha256-[A-Za-z0-9+/=]{44}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\"" \
	"page - its CSP forbids every fetch and runs only its own two scripts"
is "$(R "SELECT count(*) FROM cpu_samples"):$(python3 -c "
import json, re
h = open('$page').read()
print('flame' in json.loads(re.search(r'id=\"fr-data\">(.*?)</script>', h, re.S).group(1)))")" 0:False \
	"page - no flame graph data without CPU samples"

# In the browser.
$BROWSE "$page" --shot "$art/report.png" --click ".mark.k-crash" >"$TEST_TMP/b.json"
ok $? "chromium - opened the page (screenshot in $art/report.png)"
J() { python3 -c "import json, sys; d = json.load(open('$TEST_TMP/b.json')); print($1)"; }
is "$(J "d.get('error', '')")" "" "chromium - no WebDriver error"
is "$(J "d['console']")" "[]" "chromium - no console error, no uncaught exception"
is "$(J "d['resources']")" 0 "chromium - performance.getEntriesByType('resource') is empty"
is "$(J "d['requests']")" "[]" "chromium - the page asked the network for nothing (DevTools log)"
is "$(J "d['csp_blocks']")" 1 "chromium - a fetch() from the page is refused by its CSP"
is "$(J "d['ready_ms'] is not None")" True "chromium - the page says it is drawn (data-ready)"
text=$(J "d['text']")
is "$(printf '%s\n' "$text" | grep -cE "^$crash \[$pid\] — crashed: SIGSEGV \+")" 1 \
	"DOM - 'what went wrong' names $crash [$pid], crashed: SIGSEGV"
like "$text" "$crash $pid"$'\n'"crashed: SIGSEGV" "DOM - its lane is labelled crashed: SIGSEGV"
like "$text" "python3 \[$client\]	connect ECONNREFUSED fd=[0-9]+ addr=127\.0\.0\.1:$closed([^0-9]|$)" \
	"DOM - the events list has the refused connect() to port $closed, ECONNREFUSED"
like "$text" "python3 \[$client\]	connect 127\.0\.0\.1:$closed refused" \
	"DOM - and the connection to 127.0.0.1:$closed, outcome refused"
like "$text" "python3 \[$reader\]	read \(pipe\) \(3[0-9][0-9]\.[0-9] ms\)" "DOM - the slow read of a pipe, about 300 ms"
is "$(printf '%s\n' "$text" | grep -c 'Flame graph')" 0 "DOM - no flame graph section without stack samples"
detail=$(J "d['detail']")
like "$detail" "^crashed: SIGSEGV" "click on the crash mark - the detail panel shows it"
like "$detail" "row of proc_exit" "click on the crash mark - the row of proc_exit"
like "$detail" $'\npid\t'"$pid"$'\n' "click on the crash mark - with its pid $pid"
like "$detail" $'\nexit_signal\t11  \\(SIGSEGV\\)\n' "click on the crash mark - exit_signal 11 (SIGSEGV)"
python3 - "$art/report.png" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read()
w, h = struct.unpack('>II', b[16:24])
sys.exit(0 if b[:8] == b'\x89PNG\r\n\x1a\n' and w == 1440 and h >= 1000 else 1)
EOF
ok $? "screenshot - a PNG of the whole page, 1440 pixels wide"

# The detector of network requests detects: a page with an image on the network.
printf '<!DOCTYPE html><img src="http://127.0.0.1:9/x.png"><script>document.documentElement.setAttribute("data-ready", "1")</script>' \
	>"$TEST_TMP/control.html"
$BROWSE "$TEST_TMP/control.html" --timeout 20 >"$TEST_TMP/b.json"
is "$(J "d['requests']")" "['http://127.0.0.1:9/x.png']" "control - a page that loads an image is caught asking for it"

# Redacted archives give redacted reports.
"$FLIGHTREC_REPLAY" "$red" --report "$TEST_TMP/red.html"
is "$(grep -c "$secret" "$TEST_TMP/red.html"):$([ "$(grep -c "$secret" "$page")" -gt 0 ] && echo yes)" "0:yes" \
	"redacted archive - its report holds no original argument (the plain one does)"

# The flame graph: there when the archive has CPU samples (rows added here: the default recorder takes none).
"$FLIGHTREC_REPLAY" "$a" -c "INSERT INTO stacks (host, ts, id, frames) VALUES ('vm', 1, 1, 'main;work;spin'), ('vm', 1, 2, 'main;idle')" \
	-c "INSERT INTO cpu_samples (host, ts, pid, tid, comm, stack_id, count) VALUES
	    ('vm', 1, 1, 1, 'x', 1, 30), ('vm', 2, 1, 1, 'x', 1, 10), ('vm', 3, 1, 1, 'x', 2, 5)" \
	--report "$TEST_TMP/flame.html"
got=$(python3 -c "
import json, re
h = open('$TEST_TMP/flame.html').read()
print(json.loads(re.search(r'id=\"fr-data\">(.*?)</script>', h, re.S).group(1))['flame'])")
is "$got" "[['x;main;work;spin', 40], ['x;main;idle', 5]]" "CPU samples - the flame graph's data, folded stacks with their samples"

# A crash the profile family saw (a crashes row, added here: the default recorder takes none) names its function on the mark.
host=$(R "SELECT host FROM processes WHERE pid = $pid")
"$FLIGHTREC_REPLAY" "$a" -c "INSERT INTO crashes (host, ts, pid, tid, comm, signal, code, addr, stack_id, function)
	SELECT host, ts, pid, pid, comm, 11, 1, 0, 0, 'frrep_crash_fn' FROM proc_exit WHERE host = '$host' AND pid = $pid" \
	--report "$TEST_TMP/crashfn.html"
$BROWSE "$TEST_TMP/crashfn.html" --click ".mark.k-crash" >"$TEST_TMP/b.json"
is "$(J "d.get('error', '')"):$(J "d['console']")" ":[]" "crash with its function - chromium opens the page, no error"
text=$(J "d['text']")
is "$(printf '%s\n' "$text" | grep -cE "^$crash \[$pid\] — crashed: SIGSEGV in frrep_crash_fn \+")" 1 \
	"crash with its function - 'what went wrong' says crashed: SIGSEGV in frrep_crash_fn"
like "$(J "d['detail']")" "^crashed: SIGSEGV in frrep_crash_fn" "crash with its function - so does the detail of its mark"

# Bad output paths: one line, exit 1, nothing left behind.
"$FLIGHTREC_REPLAY" "$a" --report "$TEST_TMP/no/such/dir/r.html" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
is "$?:$(cat "$TEST_TMP/err")" "1:flightrec-replay: --report: cannot create $TEST_TMP/no/such/dir/r.html.tmp: No such file or directory" \
	"--report into a missing directory - one line, exit 1"
done_testing
