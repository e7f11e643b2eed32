#!/usr/bin/env bash
# Configures and builds aha in build/ (Release, Ninja, ccache, precompiled LibTorch headers).
# Extra arguments go to cmake's configure step, e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch.
# AHA_BUILD_TARGETS="aha" builds only those targets (the demo needs only the aha command).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${AHA_BUILD_DIR:-build}
JOBS=${AHA_JOBS:-$(nproc)}
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ $# -gt 0 ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
fi
targets=()
for t in ${AHA_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$JOBS" "${targets[@]}"
