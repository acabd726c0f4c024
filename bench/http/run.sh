#!/usr/bin/env bash
# HTTP load while the daemon probes: wrk against /metrics and /api/v1/targets while
# `portwatch run` checks N targets (default 10,000: 90% up on loopback addresses, 10% refused)
# every 10 s; prints requests/s and p99 of each, and the scheduler lateness before and during
# the load (from the daemon's own histogram). Also times the pure renderers (50,000 targets).
# Usage: bench/http/run.sh [BUILD_DIR] [N]   (BUILD_DIR built with -DPORTWATCH_BUILD_BENCH=ON)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build-bench}"
n="${2:-10000}"
duration="${WRK_DURATION:-20s}"
bin="$build/src/cli/portwatch"
[[ -x $bin ]] || { echo "no $bin: build first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing (apt-get install wrk)" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up_port=$(free_port)
closed_port=$(free_port)
http_port=$(free_port)

python3 "$here/listener.py" "$up_port" &
pids+=($!)

{
    echo "store: sqlite:$work/history.db"
    echo "defaults: {interval: 10s, timeout: 2s}"
    echo "concurrency: 2000"
    echo "http: {listen: 127.0.0.1:$http_port}"
    echo "targets:"
    for ((i = 0; i < n; i++)); do
        a=$((i / 250 % 250)); b=$((i % 250 + 1)); g=$((i % 10))
        if ((i % 10 == 9)); then
            echo "  - {name: t$i, host: 127.1.$a.$b, port: $closed_port, group: g$g}"
        else
            echo "  - {name: t$i, host: 127.0.$a.$b, port: $up_port, group: g$g}"
        fi
    done
} >"$work/portwatch.yaml"

"$bin" run -c "$work/portwatch.yaml" >"$work/daemon.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$http_port"
for _ in $(seq 1 150); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "$base/readyz" >/dev/null || { cat "$work/daemon.log"; exit 1; }

echo "== $(nproc) cores; $n targets every 10 s; nice -n 10 wrk -t2 -c32 -d$duration (load: $(cut -d' ' -f1-3 /proc/loadavg))"
# window NAME [PATH]: 20 s idle (no PATH) or under wrk on PATH, then the lateness in it.
step=0
window() {
    echo "-- $1"
    if [[ -n ${2:-} ]]; then
        nice -n 10 wrk -t2 -c32 -d"$duration" --latency "$base$2" | grep -E 'Requests/sec|99%|Transfer/sec|Non-2xx'
    else
        sleep "${duration%s}"
    fi
    curl -fs "$base/metrics" >"$work/m$((step + 1))"
    echo "lateness $1: $(python3 "$here/lateness.py" "$work/m$step" "$work/m$((step + 1))")"
    step=$((step + 1))
}
echo "-- warm-up 15 s (first round of checks)"; sleep 15
curl -fs "$base/metrics" >"$work/m0"
window idle
window "wrk /metrics" /metrics
window "idle again"
window "wrk /api/v1/targets" /api/v1/targets
echo "metrics size: $(wc -c <"$work/m4") bytes; up=$(grep -c '^portwatch_target_up{.*} 1$' "$work/m4") down=$(grep -c '^portwatch_target_up{.*} 0$' "$work/m4")"

if [[ -x $build/tests/http/pw_http_render_bench ]]; then
    echo "-- renderers (best of 5, one thread)"
    "$build/tests/http/pw_http_render_bench"
fi
