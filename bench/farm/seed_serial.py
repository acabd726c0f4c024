#!/usr/bin/env python3
"""The original serial algorithm, as DESIGN.md describes the seed script: read the list line by
line, check each entry in turn with an IPv4 TCP connect and a timeout, compare with
port_check_status.json, run `python3 push_msg.py MESSAGE` for each change, rewrite the state.
Usage: seed_serial.py DIR [TIMEOUT_S]"""
import json
import os
import socket
import subprocess
import sys
import time

d = sys.argv[1]
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
list_path = os.path.join(d, "port_check.lst")
state_path = os.path.join(d, "port_check_status.json")


def check(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        return s.connect_ex((host, port)) == 0
    except OSError:
        return False
    finally:
        s.close()


try:
    with open(state_path) as f:
        old = json.load(f)
except (OSError, ValueError):
    old = {}
new = {}
with open(list_path, encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        host, port, desc = parts[0], int(parts[1]), " ".join(parts[2:])
        key = f"{host}:{port}"
        status = "UP" if check(host, port) else "DOWN"
        new[key] = status
        if old.get(key) != status:
            word = "복구" if status == "UP" else "장애"
            stamp = time.strftime("%Y.%m.%d %H:%M:%S")
            msg = f"{desc} ({key}) {word} ({stamp})" if desc else f"{key} {word} ({stamp})"
            subprocess.run(["python3", os.path.join(d, "push_msg.py"), msg], cwd=d)
with open(state_path, "w") as f:
    json.dump(new, f, indent=4)
