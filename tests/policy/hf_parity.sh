#!/usr/bin/env bash
# Parity of aha's model families with Hugging Face transformers, both ways: transformers builds tiny random
# models of every supported architecture; aha loads each and reproduces its logits (full forward and
# incremental decoding), then exports it; transformers loads aha's export and reproduces the logits again.
# The rollout test binary checks greedy decoding against transformers' generate on the same models.
# Usage: hf_parity.sh PYTHON POLICY_TEST_BINARY ROLLOUT_TEST_BINARY
set -euo pipefail
PY=$1
BIN=$2
ROLLOUT_BIN=$3
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$PY" "$here/scripts/ref/tiny_models.py" make "$dir" "$here/tests/data/models/verl_tiny_llama"
AHA_PARITY_DIR=$dir "$BIN" --gtest_filter='HfParity*'
AHA_PARITY_DIR=$dir "$ROLLOUT_BIN" --gtest_filter='HfGreedy*'
"$PY" "$here/scripts/ref/tiny_models.py" check "$dir" \
  llama3 qwen2 qwen3 qwen2_moe qwen3_moe deepseek_v2 deepseek_v3 qwen2_bf16 llama3_sharded aha_native
