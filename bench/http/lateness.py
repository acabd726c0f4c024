#!/usr/bin/env python3
"""Scheduler lateness between two /metrics scrapes: checks started, mean and p99 (from the
portwatch_scheduler_lateness_seconds histogram deltas). Usage: lateness.py BEFORE AFTER"""
import re
import sys


def read(path):
    buckets, total, count = {}, 0.0, 0.0
    for line in open(path):
        m = re.match(r'portwatch_scheduler_lateness_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            buckets[float(m.group(1))] = float(m.group(2))
        elif line.startswith("portwatch_scheduler_lateness_seconds_sum "):
            total = float(line.split()[1])
        elif line.startswith("portwatch_scheduler_lateness_seconds_count "):
            count = float(line.split()[1])
    return buckets, total, count


b0, s0, c0 = read(sys.argv[1])
b1, s1, c1 = read(sys.argv[2])
n = c1 - c0
if n <= 0:
    print("checks=0")
    sys.exit(0)
p99 = float("inf")
for le in sorted(b1):
    if b1[le] - b0.get(le, 0) >= 0.99 * n:
        p99 = le
        break
print(f"checks={int(n)} mean_ms={(s1 - s0) / n * 1000:.2f} p99_bucket_le_ms={p99 * 1000:g}")
