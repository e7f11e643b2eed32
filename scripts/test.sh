#!/usr/bin/env bash
# Installs (scripts/setup.sh), builds, and runs every test: the GoogleTest suite and the Python reference
# (parity) tests, all through ctest. Exits non-zero on any failure. Idempotent.
# Pass ctest arguments to narrow the run, e.g. scripts/test.sh -L rl
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd "${AHA_BUILD_DIR:-build}"
ctest --output-on-failure -j "${AHA_JOBS:-$(nproc)}" "$@"
