#!/usr/bin/env python3
"""Drives prometheus-blackbox-exporter: GET /probe?module=tcp_connect&target=HOST:PORT for
every target, CONC keep-alive HTTP/1.1 connections at once.
Usage: bbclient.py LIST EXPORTER_PORT CONC OUT   (OUT: "HOST:PORT up|refused|timeout")"""
import asyncio
import sys


def read_list(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.strip().split()
            if len(parts) >= 2 and not parts[0].startswith("#"):
                out.append(f"{parts[0]}:{parts[1]}")
    return out


async def worker(port, queue, results):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while True:
        try:
            i, target = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        writer.write(f"GET /probe?module=tcp_connect&target={target} HTTP/1.1\r\n"
                     f"Host: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for h in head.split(b"\r\n"):
            if h.lower().startswith(b"content-length:"):
                length = int(h.split(b":")[1])
        body = (await reader.readexactly(length)).decode()
        success, duration = None, 0.0
        for line in body.splitlines():
            if line.startswith("probe_success "):
                success = float(line.split()[1]) == 1.0
            elif line.startswith("probe_duration_seconds "):
                duration = float(line.split()[1])
        # The exporter says only success or not: a failure that took about the whole
        # timeout is a timeout, a fast one is a refusal.
        results[i] = "up" if success else ("timeout" if duration > 1.0 else "refused")
    writer.close()


async def main():
    path, port, conc, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    targets = read_list(path)
    queue = asyncio.Queue()
    for i, t in enumerate(targets):
        queue.put_nowait((i, t))
    results = ["error"] * len(targets)
    await asyncio.gather(*(worker(port, queue, results) for _ in range(conc)))
    with open(out, "w") as f:
        for t, r in zip(targets, results):
            f.write(f"{t} {r}\n")


if __name__ == "__main__":
    asyncio.run(main())
