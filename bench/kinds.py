#!/usr/bin/env python3
"""TLS and HTTP probes at scale: `portwatch check` against prometheus-blackbox-exporter's
tcp/tls/http modules, on the same targets, inside the farm's namespace (run by bench/kinds.sh).
Also measures the floor of a TLS probe on this machine: the cryptography of one handshake
(`openssl speed`) and a bare OpenSSL client loop (bench/farm/tls_floor.c) on the same targets.
Writes the "Probe kinds" section of bench/RESULTS.md (between its markers) and prints it.
Usage: kinds.py PORTWATCH WORKDIR RESULTS_MD [--sizes 1000,10000] [--reps 1]"""
import argparse
import asyncio
import datetime
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

TLS_PORT, HTTP_PORT, HTTPS_PORT, BB_PORT = 21443, 21080, 21444, 19116
TIMEOUT_S = 5
CONC = 200  # in flight at once, both contenders
BEGIN, END = "<!-- kinds:begin -->", "<!-- kinds:end -->"


def hosts(n):
    """n distinct loopback addresses 127.2.0.1 onwards (every 127/8 address answers on lo),
    without .0 and .255 last octets."""
    out, i = [], 0
    while len(out) < n:
        i += 1
        if i % 256 not in (0, 255):
            out.append(f"127.{2 + i // 65536}.{(i // 256) % 256}.{i % 256}")
    return out


def timed(cmd, cwd, stdout):
    t = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *map(str, cmd)], cwd=cwd,
                       stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=900)
    last = t.stderr.strip().splitlines()[-1].split()
    wall, user, sys_, rss = map(float, last)
    return dict(wall=wall, cpu=user + sys_, rss_mb=rss / 1024, rc=t.returncode,
                stderr=t.stderr[-2000:])


def portwatch_config(kind, hs, work):
    ca = work / "ca.pem"
    lines = ["defaults: {timeout: %ds}" % TIMEOUT_S, f"concurrency: {CONC}",
             "notifiers: [{name: none, type: exec, command: [/bin/true]}]", "targets:"]
    for h in hs:
        if kind == "tcp":
            lines.append(f"  - {{host: {h}, port: {TLS_PORT}}}")
        elif kind == "tls":
            lines.append(f"  - {{host: {h}, port: {TLS_PORT}, kind: tls, "
                         f"tls: {{server_name: localhost, ca_file: {ca}}}}}")
        elif kind == "http":
            lines.append(f"  - {{kind: http, url: 'http://{h}:{HTTP_PORT}/health'}}")
        else:
            lines.append(f"  - {{kind: http, url: 'https://{h}:{HTTPS_PORT}/health', "
                         f"tls: {{server_name: localhost, ca_file: {ca}}}}}")
    return "\n".join(lines) + "\n"


def run_portwatch(pw, kind, hs, work):
    d = work / f"pw-{kind}-{len(hs)}"
    d.mkdir(exist_ok=True)
    for f in d.glob("*"):
        f.unlink()
    (d / "pw.yaml").write_text(portwatch_config(kind, hs, work))
    with open(d / "report.json", "w") as out:
        # `check` takes its cap from -j (the config's `concurrency:` is the daemon's).
        m = timed([pw, "check", "-c", d / "pw.yaml", "--json", "-j", CONC], d, out)
    report = json.loads((d / "report.json").read_text() or "{}")
    targets = report.get("targets", [])
    m["up"] = sum(1 for t in targets if t.get("status") == "UP")
    if m["up"] != len(hs):
        bad = [t for t in targets if t.get("status") != "UP"][:3]
        print(f"portwatch {kind}: {m['up']}/{len(hs)} up; e.g. {bad}; {m['stderr'][-400:]}",
              file=sys.stderr)
    return m


def blackbox_config(work):
    ca = work / "ca.pem"
    return f"""modules:
  tcp_connect:
    prober: tcp
    timeout: {TIMEOUT_S}s
    tcp: {{preferred_ip_protocol: ip4}}
  tls_connect:
    prober: tcp
    timeout: {TIMEOUT_S}s
    tcp:
      tls: true
      tls_config: {{ca_file: {ca}, server_name: localhost}}
  http_2xx:
    prober: http
    timeout: {TIMEOUT_S}s
    http:
      preferred_ip_protocol: ip4
      tls_config: {{ca_file: {ca}, server_name: localhost}}
"""


def proc_cpu(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_hwm(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def drive(module, targets):
    queue = asyncio.Queue()
    for t in targets:
        queue.put_nowait(t)
    up = 0

    async def worker():
        nonlocal up
        while not queue.empty():
            t = queue.get_nowait()
            # One connection per probe, read to EOF: the exporter answers some modules chunked.
            reader, writer = await asyncio.open_connection("127.0.0.1", BB_PORT)
            writer.write(f"GET /probe?module={module}&target={t} HTTP/1.1\r\n"
                         f"Host: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            body = (await reader.read(-1)).decode(errors="replace")
            writer.close()
            if re.search(r"^probe_success 1$", body, re.M):
                up += 1

    await asyncio.gather(*(worker() for _ in range(CONC)))
    return up


def run_blackbox(bb_pid, kind, hs):
    module = {"tcp": "tcp_connect", "tls": "tls_connect"}.get(kind, "http_2xx")
    targets = [f"{h}:{TLS_PORT}" if kind in ("tcp", "tls") else
               f"http://{h}:{HTTP_PORT}/health" if kind == "http" else
               f"https://{h}:{HTTPS_PORT}/health" for h in hs]
    before, t0 = proc_cpu(bb_pid), time.monotonic()
    up = asyncio.run(drive(module, targets))
    return dict(wall=time.monotonic() - t0, cpu=proc_cpu(bb_pid) - before,
                rss_mb=proc_hwm(bb_pid), up=up, rc=0)


def tls_floor(binary, work, hs):
    """The bare OpenSSL client loop over the same targets: CPU seconds and handshakes done."""
    (work / "hosts.txt").write_text("\n".join(hs) + "\n")
    out = subprocess.run([str(binary), str(work / "ca.pem"), str(TLS_PORT), str(work / "hosts.txt")],
                         capture_output=True, text=True, timeout=900).stdout.split()
    return dict(ok=int(out[1]), cpu=float(out[3]))


def crypto_floor_us():
    """µs of one ECDSA P-256 verify plus one X25519 derivation on this machine (openssl speed):
    the least cryptography a TLS 1.3 handshake with this farm's certificate can do (the key
    share's generation is left out, so this is an underestimate)."""
    t = subprocess.run(["openssl", "speed", "-seconds", "2", "ecdsap256", "ecdhx25519"],
                       capture_output=True, text=True, timeout=120).stdout
    verify = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+\S+\s+([\d.]+)", t)
    x25519 = re.search(r"253 bits ecdh \(X25519\)\s+\S+s\s+([\d.]+)", t)
    return 1e6 / float(verify.group(1)) + 1e6 / float(x25519.group(1))


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def machine():
    model = "?"
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}"


def floor_section(rows, floors, crypto_us):
    """The TLS goal against what a handshake costs here, all from this run (first repetition)."""
    per = {(n, kind): (pw["cpu"] / n * 1e6, bbm["cpu"] / n * 1e6)
           for n, kind, rep, pw, bbm in rows if rep == 0}
    L = ["### The floor of a TLS probe here", "",
         "The same targets: a bare OpenSSL client loop (bench/farm/tls_floor.c: blocking, one "
         "handshake after another, chain and host name verified, notAfter read, nothing else) "
         "and the same loop with GnuTLS (the same file, -DFLOOR_GNUTLS); "
         "the cryptography one TLS 1.3 handshake cannot skip with this certificate (one ECDSA "
         "P-256 verify and one X25519 derivation, `openssl speed`); and the goal's budget, "
         "blackbox's TLS CPU per probe / 5. Lower bound = portwatch's own tcp probe + that "
         "cryptography, i.e. a TLS probe with no library overhead at all.", "",
         "| targets | OpenSSL loop µs | GnuTLS loop µs | portwatch tls µs | crypto µs | portwatch tcp µs | "
         "lower bound µs | blackbox tcp µs | blackbox tls µs | goal budget µs | best ratio possible |",
         "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n, f in floors.items():
        if (n, "tls") not in per or (n, "tcp") not in per or f["ok"] == 0:
            continue
        pw_tls, bb_tls = per[(n, "tls")]
        pw_tcp, bb_tcp = per[(n, "tcp")]
        bound = pw_tcp + crypto_us
        g = f.get("gnutls")
        gnutls = f"{g['cpu'] / g['ok'] * 1e6:.0f}" if g and g["ok"] else "-"
        L.append(f"| {n:,} | {f['cpu'] / f['ok'] * 1e6:.0f} | {gnutls} | {pw_tls:.0f} | {crypto_us:.0f} | "
                 f"{pw_tcp:.0f} | {bound:.0f} | {bb_tcp:.0f} | {bb_tls:.0f} | {bb_tls / 5:.0f} | "
                 f"{bb_tls / bound:.1f}x |")
    return L


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("portwatch")
    ap.add_argument("work", type=Path)
    ap.add_argument("results", type=Path)
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    work = a.work
    subprocess.run([str(x) for x in ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", work / "key.pem",
                    "-out", work / "ca.pem"]], check=True, capture_output=True)
    farm = subprocess.Popen([str(a) for a in (
        sys.executable, Path(__file__).parent / "farm/tls_http_farm.py", work / "ca.pem",
        work / "key.pem", TLS_PORT, HTTP_PORT, HTTPS_PORT, 2, work / "farm.ready")])
    (work / "blackbox.yml").write_text(blackbox_config(work))
    bb = subprocess.Popen(["prometheus-blackbox-exporter", f"--config.file={work / 'blackbox.yml'}",
                           f"--web.listen-address=127.0.0.1:{BB_PORT}", "--log.level=error"],
                          stdout=subprocess.DEVNULL, stderr=open(work / "blackbox.log", "w"))
    floor_bin, gnutls_bin = work / "tls_floor", work / "tls_floor_gnutls"
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-o", str(floor_bin),
                    str(Path(__file__).parent / "farm/tls_floor.c"), "-lssl", "-lcrypto"], check=True)
    # The same loop with GnuTLS, when libgnutls28-dev is installed (a column of "-" otherwise).
    if subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-DFLOOR_GNUTLS", "-o", str(gnutls_bin),
                       str(Path(__file__).parent / "farm/tls_floor.c"), "-lgnutls"],
                      capture_output=True).returncode != 0:
        gnutls_bin = None
    crypto_us = crypto_floor_us()
    rows, floors = [], {}
    try:
        for port in (TLS_PORT, HTTP_PORT, HTTPS_PORT, BB_PORT):
            wait_port(port)
        for n in [int(s) for s in a.sizes.split(",")]:
            hs = hosts(n)
            floors[n] = tls_floor(floor_bin, work, hs)
            if gnutls_bin is not None:
                floors[n]["gnutls"] = tls_floor(gnutls_bin, work, hs)
            print(f"floor n={n:>6} bare OpenSSL loop cpu {floors[n]['cpu']:.2f}s "
                  f"ok {floors[n]['ok']}; crypto {crypto_us:.0f} µs/handshake", flush=True)
            for kind in ("tcp", "tls", "http", "https"):
                for rep in range(a.reps):
                    pw = run_portwatch(a.portwatch, kind, hs, work)
                    bbm = run_blackbox(bb.pid, kind, hs)
                    rows.append((n, kind, rep, pw, bbm))
                    print(f"{kind:5} n={n:>6} portwatch wall {pw['wall']:.2f}s cpu {pw['cpu']:.2f}s "
                          f"rss {pw['rss_mb']:.1f}MB up {pw['up']} | blackbox wall {bbm['wall']:.2f}s "
                          f"cpu {bbm['cpu']:.2f}s rss {bbm['rss_mb']:.1f}MB up {bbm['up']}", flush=True)
    finally:
        bb.terminate()
        farm.terminate()
        bb.wait(10)
        farm.wait(10)
    L = [BEGIN, "## Probe kinds: TLS and HTTP (bench/kinds.sh)", "",
         f"- Machine: {machine()}; {datetime.date.today().isoformat()}",
         f"- {CONC} probes in flight for both; timeout {TIMEOUT_S} s; servers: "
         "bench/farm/tls_http_farm.py (2 Python asyncio workers, ECDSA P-256 certificate) in "
         "the farm's namespace. portwatch: one `check -c` run (its whole process: config, "
         "probes, state); blackbox_exporter: the exporter's CPU from /proc while a Python "
         "client drives /probe.", "",
         "| targets | kind | portwatch wall s | portwatch CPU s | CPU/probe µs | RSS MB | up | "
         "blackbox wall s | blackbox CPU s | CPU/probe µs | up | CPU ratio |",
         "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n, kind, rep, pw, bbm in rows:
        ratio = bbm["cpu"] / pw["cpu"] if pw["cpu"] > 0 else float("inf")
        L.append(f"| {n:,} | {kind} | {pw['wall']:.2f} | {pw['cpu']:.2f} | "
                 f"{pw['cpu'] / n * 1e6:.0f} | {pw['rss_mb']:.1f} | {pw['up']} | {bbm['wall']:.2f} | "
                 f"{bbm['cpu']:.2f} | {bbm['cpu'] / n * 1e6:.0f} | {bbm['up']} | {ratio:.1f}x |")
    L += ["", "CPU ratio = blackbox CPU / portwatch CPU (the issue's goal: at least 5x).", ""]
    L += floor_section(rows, floors, crypto_us)
    L += [END]
    section = "\n".join(L) + "\n"
    print(section)
    text = a.results.read_text() if a.results.exists() else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    a.results.write_text(text)
    bad = [r for r in rows if r[3]["up"] != r[0]]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
