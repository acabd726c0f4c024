#!/usr/bin/env bash
# TLS and HTTP probes at 1k and 10k targets: portwatch against prometheus-blackbox-exporter's
# tls/http modules, inside a private network namespace (bench/kinds.py; rewrites the "Probe
# kinds" section of bench/RESULTS.md). Needs root. portwatch: $PORTWATCH, else a Release
# build in build-bench/. Extra arguments go to kinds.py (e.g. --sizes 1000 --reps 3).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ $(id -u) -ne 0 ]]; then
    echo "bench/kinds.sh: needs root (network namespace)" >&2
    exit 1
fi
ns="pwkinds-$$"
inns() { ip netns exec "$ns" "$@"; }
pw="${PORTWATCH:-}"
if [[ -z $pw ]]; then
    cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DPORTWATCH_BUILD_TESTS=OFF >/dev/null
    cmake --build "$root/build-bench" --target portwatch -j2 >/dev/null
    pw="$root/build-bench/src/cli/portwatch"
fi
work="$(mktemp -d /tmp/portwatch-kinds.XXXXXX)"
cleanup() {
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    [[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
inns ip link set lo up
inns sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 \
    net.ipv4.ip_local_port_range="41000 65535" net.ipv4.tcp_tw_reuse=1
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
timeout 1800 ip netns exec "$ns" /usr/bin/python3 "$root/bench/kinds.py" "$pw" "$work" \
    "$root/bench/RESULTS.md" "$@"
