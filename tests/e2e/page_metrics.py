"""Loads a page in headless Chromium at an exact viewport (DevTools protocol over
--remote-debugging-pipe, no extra module), waits for body[data-ready="1"], prints the page's
widths as JSON and writes a PNG screenshot.

--window-size cannot go below Chromium's minimum window width (500 px), so a phone width
needs Emulation.setDeviceMetricsOverride.

usage: page_metrics.py CHROMIUM URL WIDTH HEIGHT SCREENSHOT PROFILE_DIR
"""
import base64
import json
import os
import signal
import subprocess
import sys
import time

signal.alarm(60)  # every wait below is bounded by this too
chromium, url, width, height, shot, profile = sys.argv[1:7]

to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()


def wire_fds():
    # Through fresh descriptors: a pipe end may itself be 3 or 4.
    r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
    os.dup2(r, 3)
    os.dup2(w, 4)


proc = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
     "--disable-background-networking", "--disable-component-update", "--disable-sync",
     "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe",
     "--user-data-dir=" + profile, "about:blank"],
    preexec_fn=wire_fds, close_fds=False,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_chrome_r)
os.close(from_chrome_w)
out = os.fdopen(to_chrome_w, "wb")
inp = os.fdopen(from_chrome_r, "rb")
buffered = b""
next_id = 0


def call(method, params=None, session=None):
    global buffered, next_id
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    out.write(json.dumps(msg).encode() + b"\0")
    out.flush()
    while True:
        while b"\0" not in buffered:
            chunk = inp.read1(65536)
            if not chunk:
                raise SystemExit("chromium closed the pipe")
            buffered += chunk
        raw, buffered = buffered.split(b"\0", 1)
        reply = json.loads(raw)
        if reply.get("id") == next_id:
            if "error" in reply:
                raise SystemExit(method + ": " + json.dumps(reply["error"]))
            return reply["result"]


try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Emulation.setDeviceMetricsOverride",
         {"width": int(width), "height": int(height), "deviceScaleFactor": 1,
          "mobile": int(width) < 600}, session)
    call("Page.navigate", {"url": url}, session)

    def evaluate(expr):
        r = call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session)
        return r["result"].get("value")

    deadline = time.monotonic() + 30
    while evaluate("document.body && document.body.dataset.ready") != "1":
        if time.monotonic() > deadline:
            raise SystemExit("page never became ready")
        time.sleep(0.1)
    widths = evaluate("JSON.stringify({scrollWidth: document.documentElement.scrollWidth,"
                      " clientWidth: document.documentElement.clientWidth,"
                      " innerWidth: window.innerWidth})")
    png = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    print(widths)
finally:
    try:
        call("Browser.close")
    except BaseException:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
