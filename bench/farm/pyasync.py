#!/usr/bin/env python3
"""The Python asyncio rewrite of the checker: asyncio.open_connection under wait_for, at most
CONC at once (a semaphore). No state, no notifier: only the probing.
Usage: pyasync.py LIST TIMEOUT_S CONC OUT"""
import asyncio
import sys


def read_list(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.strip().split()
            if len(parts) >= 2 and not parts[0].startswith("#"):
                out.append((parts[0], int(parts[1])))
    return out


async def probe(sem, host, port, timeout):
    async with sem:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except asyncio.TimeoutError:
            return "timeout"
        except ConnectionRefusedError:
            return "refused"
        except OSError:
            return "error"
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
        return "up"


async def main():
    path, timeout, conc, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    targets = read_list(path)
    sem = asyncio.Semaphore(conc)
    results = await asyncio.gather(*(probe(sem, h, p, timeout) for h, p in targets))
    with open(out, "w") as f:
        for (h, p), r in zip(targets, results):
            f.write(f"{h}:{p} {r}\n")


if __name__ == "__main__":
    asyncio.run(main())
