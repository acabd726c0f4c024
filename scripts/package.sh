#!/usr/bin/env bash
# Builds the Debian package of portwatch from this tree and checks it with lintian.
# Usage: scripts/package.sh [OUT_DIR]   (default build-deb/); the last line printed is the
# path of the .deb. Needs the build dependencies of packaging/debian/control
# (scripts/install-deps.sh installs them) and debhelper, lintian.
#
# Why debian/ and dpkg-buildpackage rather than CPack: debhelper does the Debian parts the way
# every Debian package does them (conffiles for /etc, deb-systemd-helper enable/start snippets
# guarded for hosts without systemd, dpkg-shlibdeps, stripping with a -dbgsym package,
# hardening flags), where CPack would need each one written by hand.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(realpath -m "${1:-$root/build-deb}")"

version="$(sed -n 's/^project(portwatch VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
deb_version="$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version)"
if [[ "$version" != "$deb_version" ]]; then
    echo "package.sh: CMakeLists.txt says $version, packaging/debian/changelog says $deb_version;" \
        "add a changelog entry (dch -v $version)" >&2
    exit 1
fi

# A copy of the tree (tracked and new files, not build outputs) with debian/ at its top, as
# dpkg-buildpackage wants; the .deb lands beside it, in $out.
src="$out/portwatch-$version"
rm -rf "$src" "$out"/portwatch*.deb "$out"/portwatch_*
mkdir -p "$src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -C "$src" -xf -
cp -r "$root/packaging/debian" "$src/debian"

# debhelper gives the build a fresh $HOME; keep the developer's ccache (shared cache, config).
if command -v ccache >/dev/null; then
    CCACHE_DIR="$(ccache -k cache_dir)"
    export CCACHE_DIR
    for conf in "${XDG_CONFIG_HOME:-$HOME/.config}/ccache/ccache.conf" "$HOME/.ccache/ccache.conf"; do
        if [[ -f "$conf" ]]; then
            export CCACHE_CONFIGPATH="$conf"
            break
        fi
    done
fi

jobs="$(nproc)"
(($jobs > 2)) && jobs=2
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs nocheck" \
    dpkg-buildpackage --build=binary --no-sign >"$out/build.log" 2>&1) || {
    tail -n 50 "$out/build.log" >&2
    echo "package.sh: dpkg-buildpackage failed; full log in $out/build.log" >&2
    exit 1
}

deb="$(ls "$out"/portwatch_"${version}"_*.deb)"
# Errors and warnings fail the build; overrides are in packaging/debian/portwatch.lintian-overrides.
lintian --fail-on error,warning --display-info --tag-display-limit 0 "$out"/portwatch_"${version}"_*.changes >&2
echo "$deb"
