#!/usr/bin/env python3
"""Notification throughput (issue 15): 10,000 DOWN events from one `portwatch check -c` run
(10,000 refused loopback targets) delivered
  - by the webhook kind into a local HTTP receiver,
  - by exec running curl per event into the same receiver (what users script today),
  - by the slack kind with alert-storm grouping on (the default), counting the messages.
Prints and writes the "Notifications" section of bench/RESULTS.md (between its markers).
Usage: bench/notify.py PORTWATCH RESULTS_MD [--events 10000]   (run as any user; loopback only)"""
import argparse
import asyncio
import datetime
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BEGIN, END = "<!-- notify:begin -->", "<!-- notify:end -->"


class Receiver:
    """A minimal HTTP/1.1 receiver on 127.0.0.1 counting POSTs (asyncio, in a thread)."""

    def __init__(self):
        self.count = 0
        self.loop = asyncio.new_event_loop()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=4096))
        ready.set()
        self.loop.run_forever()
        server.close()

    async def _handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if length:
                    await reader.readexactly(length)
                self.count += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def hosts(n):
    out, i = [], 0
    while len(out) < n:
        i += 1
        if i % 256 not in (0, 255):
            out.append(f"127.{2 + i // 65536}.{(i // 256) % 256}.{i % 256}")
    return out


def run(pw, workdir, notifier, n, port):
    d = Path(tempfile.mkdtemp(dir=workdir))
    lines = [f"concurrency: 1000", "defaults: {timeout: 2s}", "store: json:state.json",
             "notifiers:", f"  - {notifier}", "targets:"]
    lines += [f"  - {{host: {h}, port: {port}}}" for h in hosts(n)]
    (d / "pw.yaml").write_text("\n".join(lines) + "\n")
    t = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", pw, "check", "-c", d / "pw.yaml",
                        "--json", "--quiet"], cwd=d, capture_output=True, text=True, timeout=1800)
    wall, user, sys_, rss = map(float, t.stderr.strip().splitlines()[-1].split())
    report = json.loads(t.stdout or "{}")
    return dict(wall=wall, cpu=user + sys_, rss_mb=rss / 1024, rc=t.returncode,
                delivered=report.get("notifications", {}).get("delivered", -1))


def machine():
    model = "?"
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("portwatch")
    ap.add_argument("results", type=Path)
    ap.add_argument("--events", type=int, default=10000)
    a = ap.parse_args()
    a.portwatch = os.path.abspath(a.portwatch)
    n = a.events
    rx = Receiver()
    port = closed_port()
    url = f"http://127.0.0.1:{rx.port}/hook"
    curl = shutil.which("curl")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, spec in [
            ("webhook", f"{{name: hook, type: webhook, url: '{url}', concurrency: 16}}"),
            ("exec + curl", f"{{name: curl, type: exec, concurrency: 16, command: [{curl}, -sS, "
                            f"-o, /dev/null, '{url}', --data-binary]}}"),
            ("slack (grouping on)", f"{{name: chat, type: slack, url: '{url}'}}"),
        ]:
            before = rx.count
            m = run(a.portwatch, work, spec, n, port)
            time.sleep(0.5)
            m["received"] = rx.count - before
            rows.append((name, m))
            print(f"{name:22} wall {m['wall']:.2f}s cpu {m['cpu']:.2f}s rss {m['rss_mb']:.1f}MB "
                  f"delivered {m['delivered']} received {m['received']} rc {m['rc']}", flush=True)
    L = [BEGIN, f"## Notifications: {n:,} DOWN events in one run (bench/notify.py)", "",
         f"- Machine: {machine()}; {datetime.date.today().isoformat()}",
         f"- One `portwatch check -c` run over {n:,} refused loopback targets (all first seen "
         "DOWN), state file and outbox included; a Python asyncio receiver on 127.0.0.1 counts "
         "the POSTs. Notifier concurrency 16 for webhook and exec.", "",
         "| notifier | wall s | CPU s (portwatch + children) | RSS MB | events delivered | "
         "POSTs received | events/s |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, m in rows:
        L.append(f"| {name} | {m['wall']:.2f} | {m['cpu']:.2f} | {m['rss_mb']:.1f} | "
                 f"{m['delivered']:,} | {m['received']:,} | {m['delivered'] / m['wall']:.0f} |")
    L += ["", f"CPU of exec + curl includes its {n:,} curl processes (GNU time counts waited-for "
          "children). With grouping, the chat kind gets the first 3 events alone and the rest of "
          "the storm as one message per 10 s window, while every event is still its own outbox "
          "entry (delivered counts events).", END]
    section = "\n".join(L) + "\n"
    print(section)
    text = a.results.read_text() if a.results.exists() else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    a.results.write_text(text)
    ok = all(m["delivered"] == n for _, m in rows)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
