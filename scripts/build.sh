#!/usr/bin/env bash
# Configures and builds aha in build/ (Release, Ninja, ccache, precompiled LibTorch headers).
# Extra arguments go to cmake's configure step, e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${AHA_BUILD_DIR:-build}
JOBS=${AHA_JOBS:-$(nproc)}
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ $# -gt 0 ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
fi
cmake --build "$BUILD_DIR" -j "$JOBS"
