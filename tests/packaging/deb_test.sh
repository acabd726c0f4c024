#!/usr/bin/env bash
# The package as a new user meets it: builds the .deb with scripts/package.sh (or takes
# PORTWATCH_DEB), installs it on this machine with dpkg -i, checks the binary, the man pages,
# the completions, the unit, the user, the state directory and the conffile, then removes and
# purges it and checks that nothing it made is left. Run as root; exits 77 (skip) otherwise.
# Usage: tests/packaging/deb_test.sh [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: dpkg -i needs root"
    exit 77
fi
if dpkg-query -W -f='${Status}' portwatch 2>/dev/null | grep -q installed ||
    getent passwd portwatch >/dev/null || getent group portwatch >/dev/null; then
    echo "SKIP: a portwatch package or user already exists on this machine; not touching it"
    exit 77
fi

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# What the package may leave anywhere: the file names it owns or makes, and its user.
traces() {
    find /etc /lib /usr /var -xdev \( -name '*portwatch*' -o -name '_portwatch' \) \
        -not -path '/var/cache/*' -not -path '/var/log/*' 2>/dev/null | sort
    grep -h '^portwatch:' /etc/passwd /etc/group /etc/shadow /etc/gshadow 2>/dev/null || true
}
# dpkg, waiting (bounded) while apt or another dpkg holds the frontend lock.
dpkg() {
    python3 - <<'PY' || fail "the dpkg lock stayed taken for 300 s"
import fcntl, time
deadline = time.monotonic() + 300
with open("/var/lib/dpkg/lock-frontend", "w") as f:
    while True:
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(1)
            time.sleep(1)
PY
    command dpkg "$@"
}
before="$(traces)"
cleanup() {
    command dpkg --purge portwatch >/dev/null 2>&1 || true
}
trap cleanup EXIT

deb="${PORTWATCH_DEB:-}"
if [[ -z "$deb" ]]; then
    echo "== build (scripts/package.sh)"
    deb="$(bash "$root/scripts/package.sh" ${1:+"$1"} | tail -n 1)"
fi
[[ -f "$deb" ]] || fail "no .deb at '$deb'"
version="$(dpkg-deb -f "$deb" Version)"

echo "== install $deb"
dpkg -i "$deb"

echo "== installed"
[[ "$(portwatch --version)" == "portwatch $version" ]] || fail "portwatch --version: $(portwatch --version)"
[[ "$(command -v portwatch)" == /usr/bin/portwatch ]] || fail "portwatch is $(command -v portwatch)"

bash "$root/tests/packaging/man_test.sh" /usr/share/man/man1/portwatch.1.gz \
    /usr/share/man/man5/portwatch.yaml.5.gz "$root/packaging/portwatch.yaml" || fail "man pages"

unit=/lib/systemd/system/portwatch.service
out="$(systemd-analyze verify "$unit" 2>&1)" || fail "systemd-analyze verify: $out"
if grep -q portwatch <<<"$out"; then
    fail "systemd-analyze verify: $out"
fi
grep -qx 'ExecStart=/usr/bin/portwatch run -c /etc/portwatch/portwatch.yaml' "$unit" || fail "ExecStart"
[[ -L /etc/systemd/system/multi-user.target.wants/portwatch.service ]] || fail "unit not enabled"

portwatch validate -c /etc/portwatch/portwatch.yaml || fail "portwatch validate on the conffile"
dpkg-query -W -f='${Conffiles}\n' portwatch | grep -q '^ /etc/portwatch/portwatch.yaml ' ||
    fail "/etc/portwatch/portwatch.yaml is not a conffile"

getent passwd portwatch >/dev/null || fail "no portwatch user"
[[ "$(stat -c '%U:%G %a' /var/lib/portwatch)" == "portwatch:portwatch 750" ]] ||
    fail "/var/lib/portwatch is $(stat -c '%U:%G %a' /var/lib/portwatch)"

# bash completion as an interactive shell loads it: subcommands, then options of one.
complete_words() {
    bash -c 'source /usr/share/bash-completion/bash_completion
             source /usr/share/bash-completion/completions/portwatch
             COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
             _portwatch portwatch "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
             printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
    [[ "$(complete_words portwatch ch)" == check ]] || fail "bash completion of 'portwatch ch'"
    [[ "$(complete_words portwatch run --log-l)" == --log-level ]] || fail "bash completion of 'run --log-l'"
    [[ "$(complete_words portwatch run --log-format j | tr '\n' ' ')" == "journal json " ]] ||
        fail "bash completion of '--log-format j'"
    [[ "$(complete_words portwatch run --log-level w | tr '\n' ' ')" == "warn " ]] ||
        fail "bash completion of '--log-level w'"
else
    echo "note: bash-completion not installed; completion not exercised"
fi
if command -v zsh >/dev/null; then
    zsh -n /usr/share/zsh/vendor-completions/_portwatch || fail "zsh completion does not parse"
fi

echo "== the daemon as the unit runs it: user portwatch, the installed config, its state directory"
# The installed config with the HTTP port moved to a free one (9107 may be taken here).
conf_dir="$(mktemp -d)"
chmod 755 "$conf_dir"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
sed "s/127.0.0.1:9107/127.0.0.1:$port/" /etc/portwatch/portwatch.yaml >"$conf_dir/portwatch.yaml"
chmod 644 "$conf_dir/portwatch.yaml"
# setpriv execs (runuser would stay the parent and turn SIGTERM into its own exit 143).
setpriv --reuid=portwatch --regid=portwatch --init-groups /usr/bin/portwatch run -c "$conf_dir/portwatch.yaml" >"$conf_dir/log" 2>&1 &
daemon=$!
ready=no
for _ in $(seq 1 100); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
        ready=yes
        break
    fi
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.2
done
kill -TERM "$daemon" 2>/dev/null || true
rc=0
wait "$daemon" || rc=$?
[[ $ready == yes && $rc == 0 ]] || fail "daemon as portwatch: ready=$ready exit=$rc: $(cat "$conf_dir/log")"
rm -rf "$conf_dir"
[[ "$(stat -c %U /var/lib/portwatch/portwatch.db)" == portwatch ]] || fail "no store in /var/lib/portwatch"

echo "== conffile kept across a reinstall"
echo "# local change" >>/etc/portwatch/portwatch.yaml
dpkg -i --force-confold "$deb" >/dev/null
tail -n 1 /etc/portwatch/portwatch.yaml | grep -qx '# local change' || fail "conffile overwritten"

echo "== remove"
dpkg --remove portwatch
[[ ! -e /usr/bin/portwatch ]] || fail "/usr/bin/portwatch left after remove"
[[ -f /etc/portwatch/portwatch.yaml ]] || fail "remove (not purge) dropped the conffile"

echo "== purge"
dpkg --purge portwatch
after="$(traces)"
if [[ "$before" != "$after" ]]; then
    diff <(echo "$before") <(echo "$after") >&2 || true
    fail "purge left traces (above)"
fi
echo "OK: $deb installs, works, removes and purges cleanly"
