#!/usr/bin/python3
"""Fills a portwatch SQLite store with simulated history, as the daemon would have written it
after DAYS of checks of N targets at one check per INTERVAL seconds, and prints its size.

The schema is the store's own: every migration in src/store/sqlite.cpp is run in order (so
this script follows the code, not a copy of it). Rows follow the store's tiers: day rows for
the whole retention, hour rows for SqliteStore::hour_rows_kept, minute rows for
minute_rows_kept (the values are read from src/store/sqlite.hpp too).

    bench/history/fill.py --targets 50000 --days 90 --out /tmp/pw-50k.db
"""
import argparse
import os
import random
import re
import sqlite3
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def migrations():
    src = open(os.path.join(ROOT, "src/store/sqlite.cpp")).read()
    block = src[src.index("migrations = {"):src.index("};", src.index("migrations = {"))]
    return re.findall(r'R"\((.*?)\)"', block, re.S)


def kept():
    hdr = open(os.path.join(ROOT, "src/store/sqlite.hpp")).read()
    minute_h = int(re.search(r"minute_rows_kept\{(\d+)\}", hdr).group(1))
    m = re.search(r"hour_rows_kept\{([\d *]+)\}", hdr).group(1)
    hour_h = eval(m)  # "14 * 24"
    return minute_h, hour_h


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=50000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--interval", type=int, default=30, help="seconds between checks")
    ap.add_argument("--out", required=True)
    ap.add_argument("--key-format", default="10.{a}.{b}.{c}:{port}",
                    help="history key of target i (HOST:PORT)")
    ap.add_argument("--now", type=int, default=None, help="Unix time of the newest minute")
    a = ap.parse_args()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(a.out + suffix):
            os.remove(a.out + suffix)
    db = sqlite3.connect(a.out, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    for i, sql in enumerate(migrations()):
        if i == 0:
            db.executescript(sql)  # version 1 tables (rollups is dropped by version 4)
        else:
            db.executescript("BEGIN;" + sql + "COMMIT;")
        db.execute(f"PRAGMA user_version = {i + 1}")
    minute_h, hour_h = kept()
    now = a.now or int(time.time())
    now_min = now // 60
    per_min = max(1, 60 // a.interval)
    rnd = random.Random(1)
    t0 = time.time()

    def key(i):
        return a.key_format.format(a=i // 65536 % 256, b=i // 256 % 256, c=i % 256,
                                   port=1 + i % 65535, i=i)

    db.execute("BEGIN")
    db.executemany("INSERT INTO series(id, key) VALUES(?, ?)",
                   ((i + 1, key(i)) for i in range(a.targets)))
    db.executemany(
        "INSERT INTO target_state(key, status, since, reason, failures, successes, last_check,"
        " recent, last_alert) VALUES(?, 'UP', ?, '', 0, 5, ?, 0, 0)",
        ((key(i), (now - 86400) * 10**6, now * 10**6) for i in range(a.targets)))
    db.execute("COMMIT")

    def rows(tier_minutes, begin, end):
        checks = per_min * tier_minutes
        for t in range(begin, end):
            for s in range(1, a.targets + 1):
                # Mostly healthy: one target in 50 fails a share of its checks.
                fail = checks // 10 if s % 50 == 0 else 0
                ok = checks - fail
                lat = 300 + rnd.randrange(2700)  # microseconds
                yield (t, s, checks, fail, ok, lat // 2, ok * lat, lat * 3)

    sql = ("INSERT INTO {}(t, series, checks, failures, lat_count, lat_min, lat_sum, lat_max)"
           " VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
    plan = [
        ("rollups_day", 1440, now_min // 1440 - a.days + 1, now_min // 1440 + 1),
        ("rollups_hour", 60, max(now_min // 60 - hour_h + 1, (now_min - a.days * 1440) // 60),
         now_min // 60 + 1),
        ("rollups_minute", 1, max(now_min - minute_h * 60 + 1, now_min - a.days * 1440),
         now_min + 1),
    ]
    counts = {}
    for table, tier, begin, end in plan:
        db.execute("BEGIN")
        db.executemany(sql.format(table), rows(tier, begin, end))
        db.execute("COMMIT")
        counts[table] = (end - begin) * a.targets
    # Transitions: one target in 50 flaps twice a day.
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO transitions(key, from_status, to_status, time, reason) VALUES(?,?,?,?,?)",
        ((key(s), "UP", "DOWN", (now - d * 86400 - h * 3600) * 10**6, "refused")
         for s in range(0, a.targets, 50) for d in range(a.days) for h in (3, 15)))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    size = os.path.getsize(a.out)
    print(f"targets={a.targets} days={a.days} interval={a.interval}s "
          f"minute_rows_kept={minute_h}h hour_rows_kept={hour_h}h rows={counts} "
          f"bytes={size} MiB={size / 2**20:.1f} per_target_bytes={size // a.targets} "
          f"fill_s={time.time() - t0:.0f}")


if __name__ == "__main__":
    sys.exit(main())
