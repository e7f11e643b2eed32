#!/usr/bin/env bash
# Parity of aha's transformer with Hugging Face transformers, both ways: aha loads HF checkpoints and
# reproduces their logits; transformers loads aha's checkpoint and reproduces aha's logits.
# Usage: hf_parity.sh PYTHON POLICY_TEST_BINARY
set -euo pipefail
PY=$1
BIN=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$PY" "$here/scripts/ref/hf_parity.py" make "$dir"
AHA_PARITY_DIR=$dir "$BIN" --gtest_filter='HfParity*'
"$PY" "$here/scripts/ref/hf_parity.py" check "$dir"
