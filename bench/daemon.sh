#!/usr/bin/env bash
# Daemon benchmark: `portwatch run` on 50,000 farm targets (80% up, 15% refused, 5% silently
# dropped) at a 30 s interval for a few minutes, inside a private network namespace. Records
# CPU % of one core, RSS over time, and scheduling lateness percentiles (from the daemon's
# per-minute "stats:" log line) into bench/daemon-results.md (not tracked; summarised in RESULTS.md).
#
#   bench/daemon.sh [--targets N] [--minutes M] [--interval S]
# Needs root. portwatch: $PORTWATCH, else build-bench/ (Release, built here when missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
targets=50000
minutes=5
interval=30
while [[ $# -gt 0 ]]; do
    case "$1" in
        --targets) targets="$2"; shift 2 ;;
        --minutes) minutes="$2"; shift 2 ;;
        --interval) interval="$2"; shift 2 ;;
        *) echo "usage: bench/daemon.sh [--targets N] [--minutes M] [--interval S]" >&2; exit 64 ;;
    esac
done
[[ $(id -u) -eq 0 ]] || { echo "bench/daemon.sh: needs root" >&2; exit 1; }

# shellcheck source=farm/farm.sh
source "$root/bench/farm/farm.sh"
pw="${PORTWATCH:-}"
[[ -n $pw ]] || release_portwatch
work="$(mktemp -d /tmp/portwatch-daemon-bench.XXXXXX)"
cc -O2 -Wall -Wextra -o "$work/acceptor" "$root/bench/farm/acceptor.c"

ns="pwdaemon-$$"
acceptor_pid=""
daemon_pid=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for p in $daemon_pid $acceptor_pid; do kill "$p" 2>/dev/null || true; done
    farm_down
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The farm, as bench/run.sh builds it (see bench/README.md).
farm_up

python3 "$root/bench/farm/gen.py" --n "$targets" --out "$work"
cat > "$work/portwatch.yaml" <<YAML
defaults:
  interval: ${interval}s
  timeout: 2s
include:
  - targets.lst
notifiers:
  - command: [/bin/true]
store: sqlite:portwatch.db
concurrency: 5000
log_level: info
YAML
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "daemon bench: $targets targets, interval ${interval}s, $minutes min, $pw, work $work"
# Not through inns(): a function in the background is a subshell, and $! would be that shell.
# `ip netns exec` execs the daemon, so $! is the daemon itself, whatever its file is called.
ip netns exec "$ns" "$pw" run -c "$work/portwatch.yaml" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
pid=$daemon_pid
sleep 1

# Sample CPU time (utime+stime, clock ticks) and RSS every 10 s.
hz=$(getconf CLK_TCK)
: >"$work/samples.tsv"
end=$(( $(date +%s) + minutes * 60 ))
t0=$(date +%s)
while [[ $(date +%s) -lt $end ]]; do
    [[ -r /proc/$pid/stat ]] || { echo "daemon died:" >&2; tail "$work/daemon.log" >&2; exit 1; }
    read -r -a st < "/proc/$pid/stat"
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    echo -e "$(( $(date +%s) - t0 ))\t$(( st[13] + st[14] ))\t$rss" >>"$work/samples.tsv"
    sleep 10
done
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=""

python3 - "$work" "$hz" "$targets" "$interval" "$minutes" "$root/bench/daemon-results.md" <<'PY'
import re, sys, statistics
work, hz, n, interval, minutes, out = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
rows = [tuple(map(int, l.split())) for l in open(f"{work}/samples.tsv") if l.strip()]
def cpu(a, b):
    return 100.0 * (b[1] - a[1]) / hz / max(1, b[0] - a[0])
warm = [r for r in rows if r[0] >= 60] or rows
overall = cpu(rows[0], rows[-1])
stats = [tuple(map(int, m.groups())) for m in re.finditer(
    r"stats: (\d+) checks in the last minute; lateness p50 (\d+) ms, p99 (\d+) ms, max (\d+) ms;"
    r" \d+ in flight, \d+ skipped turns, outbox (\d+)",
    open(f"{work}/daemon.log").read())]
def minute_cpu(i):
    w = [r for r in rows if 60 * (i - 1) <= r[0] <= 60 * i]
    return cpu(w[0], w[-1]) if len(w) > 1 else float("nan")
# Steady state: the minutes after the first-run burst of notifications (every initially DOWN
# target is announced once, one notifier process each) has drained.
drained = [i for i, s in enumerate(stats, 1) if s[4] == 0]
steady_rows = [r for r in rows if drained and r[0] >= 60 * drained[0]]
steady_cpu = cpu(steady_rows[0], steady_rows[-1]) if len(steady_rows) > 1 else float("nan")
lines = [f"### Daemon: {n} targets, {interval} s interval, {minutes} min (bench/daemon.sh)", "",
         f"- CPU, one core: **{steady_cpu:.1f} %** in steady state (after the first-run "
         f"notification burst drained), {overall:.1f} % over the whole run",
         f"- RSS (MB) every 10 s: " + ", ".join(f"{r[2] / 1024:.0f}" for r in rows),
         f"- RSS first/last after the first minute: {warm[0][2] / 1024:.1f} / "
         f"{warm[-1][2] / 1024:.1f} MB", "",
         "| minute | checks | CPU % | lateness p50 (ms) | p99 (ms) | max (ms) | outbox at end |",
         "| --- | --- | --- | --- | --- | --- | --- |"]
for i, (c, p50, p99, mx, ob) in enumerate(stats, 1):
    lines.append(f"| {i} | {c} | {minute_cpu(i):.1f} | {p50} | {p99} | {mx} | {ob} |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
