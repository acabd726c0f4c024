#!/usr/bin/python3
"""/api/v1/status with N targets and 90 days of history, and /healthz + /metrics meanwhile.

Fills a store (fill.py) whose history keys are the targets of a generated config, starts
`portwatch run` on it (targets on loopback, one closed port: every check is refused), then:
  - time of the first /api/v1/status (it starts the background history read) and how long
    until the answer carries the 90-day bars (= the history read, off the HTTP thread);
  - /api/v1/status, /healthz and /metrics latencies, first alone, then while a client asks
    for /api/v1/status without pause (so the history worker re-reads every 30 s).

    bench/history/status.py --portwatch build/src/cli/portwatch --targets 500
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def fetch(url, timeout=30):
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read()
    return (time.perf_counter() - t) * 1000, body


def summary(name, ms):
    ms = sorted(ms)
    return (f"{name}: n={len(ms)} p50={statistics.median(ms):.1f} ms "
            f"p99={ms[int(len(ms) * 0.99) - 1 if len(ms) > 1 else 0]:.1f} ms max={ms[-1]:.1f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--portwatch", required=True)
    ap.add_argument("--targets", type=int, default=500)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--load-seconds", type=int, default=40)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pw-status-")
    closed = free_port()
    http_port = free_port()
    db = os.path.join(work, "history.db")
    fill = subprocess.run(
        [sys.executable, os.path.join(HERE, "fill.py"), "--targets", str(a.targets), "--days",
         str(a.days), "--out", db, "--key-format", "127.1.{b}.{c}:" + str(closed)],
        check=True, capture_output=True, text=True)
    print("fill:", fill.stdout.strip())
    with open(os.path.join(work, "portwatch.yaml"), "w") as f:
        f.write(f"store: sqlite:{db}\n")
        f.write("defaults: {interval: 30s, timeout: 2s}\n")
        f.write(f"http: {{listen: 127.0.0.1:{http_port}}}\n")
        f.write("targets:\n")
        for i in range(a.targets):
            f.write(f"  - {{name: t{i}, host: 127.1.{i // 256 % 256}.{i % 256}, "
                    f"port: {closed}, group: g{i % 10}}}\n")
    log = open(os.path.join(work, "daemon.log"), "w")
    daemon = subprocess.Popen([a.portwatch, "run", "-c", os.path.join(work, "portwatch.yaml")],
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"
    try:
        for _ in range(150):
            try:
                fetch(base + "/readyz", 1)
                break
            except Exception:
                time.sleep(0.2)
        limit = f"?limit={a.targets}"
        ms, body = fetch(base + "/api/v1/status" + limit)
        print(f"first /api/v1/status: {ms:.1f} ms, {len(body)} bytes (history read starts)")
        t0 = time.perf_counter()
        while True:
            ms, body = fetch(base + "/api/v1/status" + limit)
            j = json.loads(body)
            t = j["groups"][0]["targets"][0]
            if any(d is not None for d in t["days"]):
                break
            if time.perf_counter() - t0 > 120:
                print("no history after 120 s")
                return 1
            time.sleep(0.02)
        print(f"history read (first request to bars): {(time.perf_counter() - t0) * 1000:.0f} ms; "
              f"answer with bars: {len(body)} bytes, "
              f"{sum(d is not None for d in t['days'])} day bars on {t['id']}")

        def measure(seconds):
            h, m, s = [], [], []
            end = time.perf_counter() + seconds
            next_metrics = 0
            while time.perf_counter() < end:
                h.append(fetch(base + "/healthz")[0])
                if time.perf_counter() > next_metrics:
                    m.append(fetch(base + "/metrics")[0])
                    next_metrics = time.perf_counter() + 1
                time.sleep(0.05)
            return h, m

        # The targets list still reads uptime per target on the HTTP thread (point lookups
        # in the coarse rows, cached 30 s): its first page, then a cached one.
        cold, _ = fetch(base + "/api/v1/targets?limit=100")
        warm, _ = fetch(base + "/api/v1/targets?limit=100")
        print(f"/api/v1/targets?limit=100 (4 uptime windows each, on the HTTP thread): "
              f"first {cold:.1f} ms, cached {warm:.1f} ms")
        h, m = measure(5)
        st = [fetch(base + "/api/v1/status" + limit)[0] for _ in range(20)]
        print("alone:", summary("/healthz", h), "|", summary("/metrics", m), "|",
              summary("/api/v1/status", st))
        stop = False
        statuses = []

        def hammer():
            while not stop:
                statuses.append(fetch(base + "/api/v1/status" + limit)[0])

        th = threading.Thread(target=hammer)
        th.start()
        h, m = measure(a.load_seconds)
        stop = True
        th.join()
        print(f"while /api/v1/status is asked without pause for {a.load_seconds} s "
              f"(history re-read every 30 s):", summary("/healthz", h), "|",
              summary("/metrics", m), "|", summary("/api/v1/status", statuses))
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
