#!/usr/bin/env bash
# The end-to-end benchmark: portwatch check vs a C epoll loop, nmap -sT, Python asyncio and
# prometheus-blackbox-exporter on the same target list, inside a private network namespace.
#
#   bench/run.sh            full run (1k, 10k, 100k; 3 repetitions; rewrites bench/RESULTS.md)
#   bench/run.sh --quick    10k only, one repetition, every contender (< 2 minutes)
#   bench/run.sh --smoke    CI smoke: 1k, one repetition, portwatch + C loop + asyncio;
#                           no thresholds, fails if a tool crashes or portwatch misclassifies
# Extra arguments go to bench/bench.py (e.g. --sizes 10000 --tools portwatch,cloop).
# Needs root (network namespace, nftables). portwatch: $PORTWATCH, else build-bench/ (Release,
# built here when missing), or build/ for --smoke when it already exists.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=full
case "${1:-}" in
    --quick) mode=quick; shift ;;
    --smoke) mode=smoke; shift ;;
    --full) shift ;;
esac
if [[ $(id -u) -ne 0 ]]; then
    echo "bench/run.sh: needs root (network namespace, nftables)" >&2
    exit 1
fi
limit=$([[ $mode == full ]] && echo 1800 || echo 600)

# -- portwatch and the bench programs ---------------------------------------------------------
# shellcheck source=farm/farm.sh
source "$root/bench/farm/farm.sh"
pw="${PORTWATCH:-}"
if [[ -z $pw ]]; then
    if [[ $mode == smoke && -x $root/build/src/cli/portwatch && ! -x $root/build-bench/src/cli/portwatch ]]; then
        pw="$root/build/src/cli/portwatch"
    else
        release_portwatch
    fi
fi
work="$(mktemp -d /tmp/portwatch-bench.XXXXXX)"
cc -O2 -Wall -Wextra -o "$work/acceptor" "$root/bench/farm/acceptor.c"
cc -O2 -Wall -Wextra -o "$work/cloop" "$root/bench/farm/cloop.c"

# -- the farm: namespace, sysctls, drop rule, acceptor ----------------------------------------
ns="pwbench-$$"
acceptor_pid=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n ${driver_pid:-} ]]; then
        kill "$driver_pid" 2>/dev/null || true
    fi
    if [[ -n $acceptor_pid ]]; then
        kill "$acceptor_pid" 2>/dev/null || true
        wait "$acceptor_pid" 2>/dev/null || true
    fi
    farm_down
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

farm_up nice -n -10

echo "bench: mode $mode, portwatch $pw, namespace $ns, work dir $work"
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# nice -10: the machine may be shared; every contender (and the acceptor) gets the same boost.
# In the background and waited for, so that INT/TERM reach the trap at once (bash runs traps
# only between commands); the cleanup then kills everything left in the namespace.
inns timeout --signal=TERM --kill-after=10 "$limit" nice -n -10 \
    python3 "$root/bench/bench.py" --mode "$mode" --work "$work" --portwatch "$pw" \
    --bin "$work" "$@" &
driver_pid=$!
wait "$driver_pid"
