#!/usr/bin/env bash
# Installs everything aha needs to build and test: Debian packages and the project virtualenv (.venv)
# with a pinned torch (LibTorch comes from that wheel) and the Python reference packages.
# Idempotent: re-running it only checks, and installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[setup] $*"; }
die() { echo "[setup] error: $*" >&2; exit 1; }

DEB_PACKAGES=(build-essential cmake ninja-build ccache git python3-venv
              nlohmann-json3-dev libboost-dev libboost-filesystem-dev libgtest-dev
              pkg-config libpcre2-dev libutf8proc-dev libgmp-dev libmpfr-dev libmpc-dev libseccomp-dev
              clang libclang-rt-14-dev)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root or sudo to apt-get install ${missing[*]}"
        SUDO=sudo
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q || die "apt-get update failed; check the Debian package mirror"
    $SUDO apt-get install -y -q "${missing[@]}" || die "apt-get install ${missing[*]} failed"
else
    say "Debian packages present"
fi

PY=${AHA_PYTHON:-python3}
command -v "$PY" >/dev/null || die "python3 not found; install python3 (>= 3.10) or set AHA_PYTHON"
if [ ! -x .venv/bin/python ]; then
    say "creating virtualenv .venv"
    "$PY" -m venv .venv || die "python3 -m venv failed; install python3-venv"
fi
stamp=.venv/.aha-requirements
if ! cmp -s scripts/requirements.txt "$stamp"; then
    say "installing pinned Python packages (torch is ~4.6 GB; takes a few minutes)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r scripts/requirements.txt \
        || die "pip install -r scripts/requirements.txt failed; check access to PyPI"
    cp scripts/requirements.txt "$stamp"
else
    say "Python packages up to date (.venv)"
fi
.venv/bin/python -c "import torch" || die ".venv has no working torch; delete .venv and re-run"
say "done"
