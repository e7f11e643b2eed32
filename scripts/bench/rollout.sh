#!/usr/bin/env bash
# Rollout throughput: aha's KV-cache sampler vs Hugging Face transformers generate() on the same
# checkpoint (the demo's model shape, random weights), same prompts and sizes, in the same run.
# Usage: scripts/bench/rollout.sh [BATCH] [NEW_TOKENS] [THREADS]   (default: the demo's 256 x 24, 2 threads)
set -euo pipefail
cd "$(dirname "$0")/../.."
BATCH=${1:-256}
NEW=${2:-24}
THREADS=${3:-2}
PROMPT_LEN=6
REPEATS=5
scripts/build.sh >/dev/null
ckpt=$(mktemp -d)
trap 'rm -rf "$ckpt"' EXIT
# A random-init checkpoint of the demo model (one pretraining step is enough to write one).
build/cli/aha pretrain examples/tiny_r1_zero.json --set pretrain.steps=1 --set base_checkpoint="$ckpt" \
    --set threads="$THREADS" >/dev/null 2>&1
aha=$(build/cli/aha_bench_rollout "$ckpt" $PROMPT_LEN "$BATCH" "$NEW" "$THREADS" $REPEATS)
hf=$(.venv/bin/python scripts/bench/rollout_hf.py "$ckpt" $PROMPT_LEN "$BATCH" "$NEW" "$THREADS" $REPEATS 2>/dev/null)
echo "$aha"
echo "$hf"
.venv/bin/python - "$aha" "$hf" <<'PY'
import json, sys
a, h = (json.loads(x) for x in sys.argv[1:3])
print(f"aha / transformers tokens per second: {a['tokens_per_second'] / h['tokens_per_second']:.2f}x")
PY
