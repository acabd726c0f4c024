# Sourced by bench/run.sh and bench/daemon.sh: the target farm inside network namespace $ns.
# Needs $root, $ns and $work set, and the acceptor built as $work/acceptor. Defines inns() and
# sets $acceptor_pid; the caller's EXIT trap calls farm_down.
inns() { ip netns exec "$ns" "$@"; }

# release_portwatch: builds portwatch (Release, no tests) in build-bench/ and sets $pw to it.
release_portwatch() {
    cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DPORTWATCH_BUILD_TESTS=OFF >/dev/null
    cmake --build "$root/build-bench" --target portwatch -j2 >/dev/null
    pw="$root/build-bench/src/cli/portwatch"
}

# farm_up [PREFIX...]: namespace with lo up, sysctls for 100k connects, the drop rule, and the
# acceptor (started through PREFIX, e.g. `nice -n -10`).
farm_up() {
    ip netns add "$ns"
    inns ip link set lo up
    inns sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 \
        net.ipv4.ip_local_port_range="41000 65535" net.ipv4.tcp_tw_reuse=1 \
        net.ipv4.tcp_syncookies=0
    # Silently dropped targets: SYNs to the drop ports (see bench/farm/gen.py) vanish. Only
    # SYNs, and the ephemeral range (above) stays clear of every farm port 20000-40099, so no
    # reply to a client port is ever dropped by mistake.
    inns nft -f - <<'NFT'
table inet pwbench {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 40000-40099 tcp flags & (syn | ack) == syn drop
    }
}
NFT
    # Up targets: 100 ports on 0.0.0.0 (every 127.x.y.z answers on lo), backlog 65535 each.
    inns "$@" "$work/acceptor" 20000 100 65535 "$work/acceptor.ready" 2>"$work/acceptor.log" &
    acceptor_pid=$!
    for _ in $(seq 100); do [[ -s $work/acceptor.ready ]] && break; sleep 0.05; done
    [[ -s $work/acceptor.ready ]] || {
        echo "acceptor did not start:" >&2
        cat "$work/acceptor.log" >&2
        exit 1
    }
}

# farm_down: whatever still runs inside the namespace was started by the caller; kill it,
# remove the namespace and (unless KEEP_WORK is set) the work dir. For the EXIT trap.
farm_down() {
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    [[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"
}
