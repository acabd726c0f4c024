#!/usr/bin/env python3
"""Every query of the Grafana dashboard returns data from a real Prometheus scraping a real
`portwatch run` on loopback, and the alerting rules load in that Prometheus.

Usage: dashboard_test.py PORTWATCH DASHBOARD_JSON RULES_YML. Exits 77 (skip) without prometheus.
"""
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

DEADLINE_S = 90
# Grafana's variables, as "All" selects them; the rate windows span several 1 s scrapes.
VARIABLES = {"$job": ".*", "$group": ".*", "$__rate_interval": "15s", "$__range": "1m",
             "${datasource}": ""}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def query(prom, expr):
    url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        return get_json(url)["data"]["result"]
    except OSError:
        return []


def dashboard_exprs(path):
    dash = json.loads(Path(path).read_text())
    exprs = []
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for name, value in VARIABLES.items():
                expr = expr.replace(name, value)
            exprs.append((panel["title"], expr))
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            # label_values(METRIC{...}, LABEL): the series of METRIC must carry LABEL.
            inner = var["query"]["query"][len("label_values("):-1]
            metric, label = inner.rsplit(",", 1)
            for name, value in VARIABLES.items():
                metric = metric.replace(name, value)
            exprs.append((f"variable {var['name']}", f"count by ({label.strip()}) ({metric})"))
    return exprs


def main():
    portwatch, dashboard, rules = sys.argv[1:4]
    if shutil.which("prometheus") is None:
        print("SKIP: prometheus not installed (apt-get install prometheus)")
        return 77
    work = Path(tempfile.mkdtemp(prefix="pw-dashboard-"))
    procs = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.5)
    stop = threading.Event()

    def accept_and_close():
        while not stop.is_set():
            try:
                listener.accept()[0].close()
            except OSError:
                pass

    acceptor = threading.Thread(target=accept_and_close, daemon=True)
    acceptor.start()
    closed = free_port()
    http_port = free_port()
    prom_port = free_port()
    try:
        (work / "portwatch.yaml").write_text(
            f"store: sqlite:{work}/history.db\n"
            "defaults: {interval: 1s, timeout: 1s, failure_threshold: 1, success_threshold: 1}\n"
            "targets:\n"
            f"  - {{name: web, host: 127.0.0.1, port: {listener.getsockname()[1]}, group: prod}}\n"
            f"  - {{name: db, host: 127.0.0.1, port: {closed}, group: prod, description: DB}}\n"
            "notifiers:\n"
            "  - {type: exec, command: [/bin/true], timeout: 5s}\n"
            f"http: {{listen: '127.0.0.1:{http_port}'}}\n")
        (work / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: ['{Path(rules).resolve()}']\n"
            "scrape_configs:\n"
            "  - job_name: portwatch\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{http_port}']}}]\n")
        procs.append(subprocess.Popen(
            [portwatch, "run", "-c", str(work / "portwatch.yaml")],
            stdout=open(work / "portwatch.log", "w"), stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(
            ["prometheus", f"--config.file={work}/prometheus.yml",
             f"--storage.tsdb.path={work}/tsdb", f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=open(work / "prometheus.log", "w"), stderr=subprocess.STDOUT))
        prom = f"http://127.0.0.1:{prom_port}"

        pending = dashboard_exprs(dashboard)
        deadline = time.monotonic() + DEADLINE_S
        while pending and time.monotonic() < deadline:
            pending = [(title, expr) for title, expr in pending if not query(prom, expr)]
            if pending:
                time.sleep(1)
        failed = bool(pending)
        for title, expr in pending:
            print(f"FAIL: panel '{title}': no data for {expr}")

        # Each rule evaluated without error (health "ok") at least once.
        while True:
            groups = get_json(f"{prom}/api/v1/rules")["data"]["groups"]
            loaded = [r for g in groups for r in g["rules"]]
            bad = [r["name"] for r in loaded if r.get("health") != "ok"]
            if (loaded and not bad) or time.monotonic() > deadline:
                break
            time.sleep(1)
        if not loaded or bad:
            print(f"FAIL: alerting rules loaded {len(loaded)}, unhealthy {bad}")
            failed = True
        if failed:
            print((work / "portwatch.log").read_text()[-3000:])
            print((work / "prometheus.log").read_text()[-3000:])
            return 1
        print(f"OK: {len(dashboard_exprs(dashboard))} dashboard queries returned data; "
              f"{len(loaded)} alerting rules loaded")
        return 0
    finally:
        stop.set()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        acceptor.join(timeout=5)
        listener.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
