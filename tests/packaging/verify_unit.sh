#!/usr/bin/env bash
# Checks packaging/portwatch.service with `systemd-analyze verify`, its ExecStart pointed at the
# built binary (verify requires the executable to exist). Usage: verify_unit.sh UNIT BINARY
set -euo pipefail
unit="$1"
binary="$2"
if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
    exit 77
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
sed "s#/usr/local/bin/portwatch#${binary}#" "$unit" > "$dir/portwatch.service"
# --man=no: the unit's man: pages are installed by the package, not present in a source tree
# (tests/packaging/deb_test.sh verifies the installed unit with them).
out="$(systemd-analyze verify --man=no "$dir/portwatch.service" 2>&1)" || { echo "$out"; exit 1; }
# verify exits 0 on some warnings; treat any line about our unit as a failure.
if grep -q "portwatch.service" <<<"$out"; then
    echo "$out"
    exit 1
fi
echo "OK: $unit"
