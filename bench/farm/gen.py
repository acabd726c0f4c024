#!/usr/bin/env python3
"""Writes a target list for the farm, and its ground truth.

The list is the cross product HOSTS x PORTS (shuffled), so that nmap can scan exactly the same
host:port pairs in one invocation (-iL hosts.txt -p PORTS). Hosts are distinct random addresses
spread over 127.0.0.0/8; the class of a target is set by its port:
  up       ports UP_BASE..      the acceptor listens on them (0.0.0.0)
  refused  ports REFUSED_BASE.. nothing listens
  timeout  ports DROP_BASE..    an nftables rule in the namespace drops the SYN silently
With P ports per host (100, or N when N < 100) the percentages have a granularity of 1/P.
"""
import argparse
import json
import random
import sys
from pathlib import Path

UP_BASE, REFUSED_BASE, DROP_BASE = 20000, 30000, 40000
MAX_PORTS = 100  # the farm listens on / drops UP_BASE.. / DROP_BASE.. + 100


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--up", type=float, default=80.0, help="percent up")
    ap.add_argument("--refused", type=float, default=15.0, help="percent refused")
    ap.add_argument("--drop", type=float, default=5.0, help="percent silently dropped")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="directory for targets.lst, truth.tsv, ...")
    a = ap.parse_args()
    if abs(a.up + a.refused + a.drop - 100.0) > 1e-6:
        sys.exit("gen: percentages must add up to 100")
    rng = random.Random(a.seed)
    nports = min(MAX_PORTS, a.n)
    nhosts = -(-a.n // nports)
    n_ref = round(nports * a.refused / 100.0)
    n_drop = round(nports * a.drop / 100.0)
    n_up = nports - n_ref - n_drop
    ports = ([("up", UP_BASE + i) for i in range(n_up)] +
             [("refused", REFUSED_BASE + i) for i in range(n_ref)] +
             [("timeout", DROP_BASE + i) for i in range(n_drop)])
    hosts = set()
    while len(hosts) < nhosts:
        # 127.1.0.0 - 127.254.255.255: any of them answers on lo inside the namespace.
        hosts.add(f"127.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    hosts = sorted(hosts)
    pairs = [(h, p, c) for h in hosts for (c, p) in ports][: a.n]
    rng.shuffle(pairs)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "targets.lst", "w") as f:
        f.write(f"# farm list: n={a.n} up={a.up}% refused={a.refused}% drop={a.drop}% "
                f"seed={a.seed}\n")
        for h, p, c in pairs:
            f.write(f"{h} {p} farm target\n")
    with open(out / "truth.tsv", "w") as f:
        for h, p, c in pairs:
            f.write(f"{h}:{p}\t{c}\n")
    (out / "hosts.txt").write_text("".join(h + "\n" for h in hosts))
    (out / "ports.txt").write_text(",".join(str(p) for _, p in ports) + "\n")
    # The seed-format state file a steady-state run starts from (nothing changes).
    state = {f"{h}:{p}": ("UP" if c == "up" else "DOWN") for h, p, c in pairs}
    (out / "steady_state.json").write_text(json.dumps(state, indent=4) + "\n")
    counts = {k: sum(1 for *_, c in pairs if c == k) for k in ("up", "refused", "timeout")}
    (out / "meta.json").write_text(json.dumps({"n": len(pairs), "hosts": len(hosts),
                                               "ports": len(ports), "seed": a.seed, **counts}))


if __name__ == "__main__":
    main()
