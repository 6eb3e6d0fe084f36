#!/usr/bin/env bash
# Set up kg on a fresh machine: Debian packages (when run as root or with sudo), a virtualenv in .venv, and kg
# installed editable into it.  `tools/setup.sh --test` also installs what the tests need (browser, servers, pytest).
# Safe to run again: every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

apt_install() {
    local pkgs=("$@")
    [ ${#pkgs[@]} -eq 0 ] && return 0
    local missing=()
    for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "setup: please install these Debian packages: ${missing[*]}" >&2; return 1; fi
    fi
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if [ $with_tests -eq 1 ] && [ -s .ci/apt-packages.txt ] && command -v apt-get >/dev/null 2>&1; then
    mapfile -t test_pkgs < <(grep -v '^[[:space:]]*\(#\|$\)' .ci/apt-packages.txt)
    apt_install "${test_pkgs[@]}"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ $with_tests -eq 1 ]; then
    .venv/bin/python -m pip install -q -e '.[test]'
else
    .venv/bin/python -m pip install -q -e .
fi
echo "setup: ready (.venv/bin/kg)" >&2
