#!/usr/bin/env bash
# The man pages render without a warning; portwatch(1) has every subcommand and the exit codes;
# portwatch.yaml(5) names every key of the reference configuration (packaging/portwatch.yaml).
# Usage: man_test.sh PORTWATCH.1 PORTWATCH.YAML.5 REFERENCE_YAML   (pages may be .gz)
set -euo pipefail
page1="$1"
page5="$2"
reference="$3"
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
for page in "$page1" "$page5"; do
    text="$(MANWIDTH=100 man --warnings -l "$page" 2>"$errors")" || fail "man -l $page"
    [[ ! -s "$errors" ]] || fail "man -l $page warns: $(cat "$errors")"
    [[ -n "$text" ]] || fail "$page is empty"
done
portwatch1="$(MANWIDTH=200 man -l "$page1")"
for want in SUBCOMMANDS "   check" "   validate" "   run" "   notify-test" --notify-cmd --log-level --help-all \
    "Exit codes" "64     bad command line" "ENVIRONMENT" "FILES"; do
    grep -qF -- "$want" <<<"$portwatch1" || fail "portwatch(1) lacks '$want'"
done
MANWIDTH=200 man -l "$page5" | python3 -c '
import sys, yaml
def keys(node):
    if isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from keys(v)
    elif isinstance(node, list):
        for v in node:
            yield from keys(v)
page = sys.stdin.read()
skip = {"env"}  # a label name of the example, not a key
missing = sorted({k for k in keys(yaml.safe_load(open(sys.argv[1]))) if k not in skip and k not in page})
if missing:
    sys.exit(f"FAIL: portwatch.yaml(5) does not name {missing}")
' "$reference"
echo "OK: $page1 $page5"
