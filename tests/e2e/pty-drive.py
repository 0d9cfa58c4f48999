#!/usr/bin/env python3
"""pty-drive.py - drive an interactive program through a pseudo-terminal.

usage: pty-drive.py [--timeout S] [--status N] -- COMMAND [ARG...] < STEPS

STEPS, one per line:
  send TEXT      write TEXT (escapes: \\n \\t \\x03 for Ctrl-C, \\x04 for Ctrl-D)
  expect REGEX   wait until the output since the last expect matches REGEX
  sleep S        wait S seconds
Exits 0 when every expect matched and the program ended with status N
(default 0), 1 otherwise, with the transcript on stdout.  Every wait is
bounded by --timeout.
"""
import os, pty, re, select, signal, sys, time

def main():
    args = sys.argv[1:]
    timeout = 10.0
    want_status = 0
    while args[:1] in (['--timeout'], ['--status']):
        if args[0] == '--timeout':
            timeout = float(args[1])
        else:
            want_status = int(args[1])
        args = args[2:]
    if args[:1] == ['--']:
        args = args[1:]
    steps = [l.rstrip('\n') for l in sys.stdin if l.strip()]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ['TERM'] = 'dumb'
        os.execvp(args[0], args)
    out = b''
    mark = 0
    def read_some(deadline):
        nonlocal out
        r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            out += data.replace(b'\r', b'')
        return True
    ok = True
    for step in steps:
        verb, _, arg = step.partition(' ')
        if verb == 'send':
            os.write(fd, arg.encode().decode('unicode_escape').encode('latin-1'))
        elif verb == 'sleep':
            end = time.time() + float(arg)
            while time.time() < end and read_some(end):
                pass
        elif verb == 'expect':
            rx = re.compile(arg.encode())
            end = time.time() + timeout
            while True:
                m = rx.search(out, mark)
                if m:
                    mark = m.end()
                    break
                if time.time() >= end or not read_some(end):
                    m = rx.search(out, mark)
                    if m:
                        mark = m.end(); break
                    print('pty-drive: no match for %r' % arg)
                    ok = False
                    break
            if not ok:
                break
    end = time.time() + timeout
    while time.time() < end and read_some(end):
        pass
    try:
        # the program may still be saving its history: wait for it, bounded
        end = time.time() + timeout
        wpid, status = os.waitpid(pid, os.WNOHANG)
        while wpid == 0 and time.time() < end:
            time.sleep(0.05)
            wpid, status = os.waitpid(pid, os.WNOHANG)
        if wpid == 0:
            os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
            print('pty-drive: the program did not end'); ok = False
        elif not os.WIFEXITED(status):
            print('pty-drive: killed by signal %d' % os.WTERMSIG(status)); ok = False
        elif os.WEXITSTATUS(status) != want_status:
            print('pty-drive: exit status %d, expected %d' % (os.WEXITSTATUS(status), want_status))
            ok = False
    except ChildProcessError:
        pass
    sys.stdout.write(out.decode('utf-8', 'replace').replace('\r', ''))
    sys.exit(0 if ok else 1)

main()
