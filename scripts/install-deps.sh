#!/usr/bin/env bash
# Installs everything portwatch needs to build, test and benchmark on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
    build-essential cmake ninja-build pkg-config git ca-certificates \
    libboost-dev libc-ares-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev \
    libyaml-cpp-dev libsqlite3-dev libsimdjson-dev libsystemd-dev systemd \
    libgtest-dev libgmock-dev libbenchmark-dev \
    clang libclang-rt-14-dev clang-format \
    python3 iproute2 nftables iptables procps util-linux valgrind \
    nmap hyperfine prometheus-blackbox-exporter time \
    libssl-dev libcrypt-dev zlib1g-dev openssl curl prometheus chromium wrk faketime \
    debhelper dpkg-dev help2man lintian man-db bash-completion zsh python3-yaml \
    libcurl4-openssl-dev python3-aiosmtpd prometheus-alertmanager postgresql \
    fonts-noto-cjk \
    "$@"
