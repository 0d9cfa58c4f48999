#!/usr/bin/env python3
"""report-browser.py - open an HTML report in headless Chromium through
chromedriver (the W3C WebDriver protocol over HTTP, urllib only) and say
what a reader would see, as JSON on standard output:

  report-browser.py FILE.html [--shot PNG] [--click CSS] [--timeout S]

ready_ms     performance.now() when the page said it was drawn (data-ready)
open_ms      wall time from the navigation command to that marker
console      console messages of level SEVERE (errors), and window.frErrors
resources    performance entries of type resource (fetches of any kind)
requests     URLs the page asked for, other than itself (from the DevTools
             performance log)
text         document.body.innerText
detail       the text of #detail after clicking the first element that
             matches --click (a mark), or null
csp_blocks   1 when a fetch() tried from the page is refused by its CSP

Every wait is bounded; chromedriver and Chromium are stopped at the end.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Driver:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.sid = None

    def call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        url = self.base + (path if self.sid is None or path.startswith("/session") and not path.startswith("/session/")
                           else path)
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read().decode() or "{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s %s: %s" % (method, path, e.read().decode()[:500]))

    def s(self, method, path, body=None, timeout=60):
        return self.call(method, "/session/%s%s" % (self.sid, path), body, timeout)

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    page = os.path.abspath(args[0])
    shot = click = None
    limit = 60.0
    i = 1
    while i < len(args):
        if args[i] == "--shot":
            shot = args[i + 1]
        elif args[i] == "--click":
            click = args[i + 1]
        elif args[i] == "--timeout":
            limit = float(args[i + 1])
        else:
            print("report-browser.py: unknown argument %s" % args[i], file=sys.stderr)
            return 2
        i += 2
    port = free_port()
    profile = tempfile.mkdtemp(prefix="frreport-chromium.")
    log = open(os.path.join(profile, "chromedriver.log"), "w")
    cd = subprocess.Popen(["chromedriver", "--port=%d" % port], stdout=log, stderr=subprocess.STDOUT)
    d = Driver(port)
    out = {}
    try:
        deadline = time.time() + 20
        while True:
            try:
                if d.call("GET", "/status", timeout=2).get("ready"):
                    break
            except Exception:
                pass
            if time.time() > deadline:
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1440,1000", "--user-data-dir=" + profile],
            }}}}
        d.sid = d.call("POST", "/session", caps, timeout=90)["sessionId"]
        t = time.time()
        d.s("POST", "/url", {"url": "file://" + page}, timeout=limit)
        while not d.js("return document.documentElement.getAttribute('data-ready') === '1'"):
            if time.time() - t > limit or d.js("return (window.frErrors || []).length") :
                break
            time.sleep(0.02)
        out["open_ms"] = round((time.time() - t) * 1000)
        out["ready_ms"] = d.js("return window.frReady === undefined ? null : Math.round(window.frReady)")
        out["resources"] = d.js("return performance.getEntriesByType('resource').length")
        out["text"] = d.js("return document.body.innerText")
        out["detail"] = None
        if click:
            els = d.s("POST", "/elements", {"using": "css selector", "value": click})
            if els:
                try:
                    d.s("POST", "/element/%s/click" % els[0][ELEMENT], {})
                    out["detail"] = d.js("return document.getElementById('detail').innerText")
                except RuntimeError as e:
                    out["click_error"] = str(e)[:300]
        if shot:
            # the whole page in one picture: the window as tall as the document
            h = d.js("return Math.min(6000, document.documentElement.scrollHeight)")
            d.s("POST", "/window/rect", {"width": 1440, "height": int(h) + 140})
            d.js("window.scrollTo(0, 0)")
            png = base64.b64decode(d.s("GET", "/screenshot"))
            with open(shot, "wb") as f:
                f.write(png)
        console = []
        for e in d.s("POST", "/se/log", {"type": "browser"}) or []:
            if e.get("level") == "SEVERE":
                console.append(e.get("message", ""))
        console += d.js("return window.frErrors || []")
        out["console"] = console
        requests = []
        for e in d.s("POST", "/se/log", {"type": "performance"}) or []:
            m = json.loads(e["message"])["message"]
            # the page's own requests (the log also holds the blank tab's, before the page)
            if m.get("method") == "Network.requestWillBeSent" and m["params"].get("documentURL") == "file://" + page:
                u = m["params"]["request"]["url"]
                if u != "file://" + page:
                    requests.append(u)
        out["requests"] = requests
        # the CSP enforced, not only written: a fetch from the page must be refused
        d.js("window.frCsp = 0; document.addEventListener('securitypolicyviolation', function () { window.frCsp = 1; });"
             "try { fetch('http://127.0.0.1:9/').catch(function () {}); } catch (e) {}")
        t = time.time()
        while not d.js("return window.frCsp") and time.time() - t < 5:
            time.sleep(0.05)
        out["csp_blocks"] = d.js("return window.frCsp")
    except Exception as e:
        out["error"] = str(e)
    finally:
        try:
            if d.sid:
                d.call("DELETE", "/session/%s" % d.sid, timeout=20)
        except Exception:
            pass
        cd.terminate()
        try:
            cd.wait(10)
        except subprocess.TimeoutExpired:
            cd.kill()
        log.close()
        shutil.rmtree(profile, ignore_errors=True)
    json.dump(out, sys.stdout)
    print()
    return 0 if "error" not in out else 1


if __name__ == "__main__":
    sys.exit(main())
