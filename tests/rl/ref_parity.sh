#!/usr/bin/env bash
# Parity of aha's RL math with the references: scripts/ref/rl_parity.py computes advantages, KL estimates and
# policy losses (values and gradients) with TRL's GRPOTrainer loss code and with verl's formulas on fresh
# random float64 tensors; aha's RL test binary replays every case.
# Usage: ref_parity.sh PYTHON RL_TEST_BINARY
set -euo pipefail
PY=$1
BIN=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$PY" "$here/scripts/ref/rl_parity.py" "$dir/cases.json" --seed "${AHA_RL_PARITY_SEED:-$RANDOM}"
AHA_RL_PARITY="$dir/cases.json" "$BIN" --gtest_filter='RlParity*'
