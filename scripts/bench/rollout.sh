#!/usr/bin/env bash
# Rollout throughput: aha's rollout engine vs Hugging Face transformers generate() on the same checkpoint
# (the demo's model shape, random weights), same prompts, group size, lengths and threads, in the same run.
# Usage: scripts/bench/rollout.sh [PROMPTS] [N] [NEW_TOKENS] [THREADS]   (default: the demo's 32 x 8 x 24, 2 threads)
#   AHA_BENCH_CONFIG=scripts/bench/configs/qwen2_40m.json: a random-weight model of that HF config instead of the
#   demo's; AHA_BENCH_PROMPT_LEN (default 6) sets the prompt length, AHA_BENCH_REPEATS (default 5) the timed
#   runs; AHA_BENCH_DTYPE (default float32; or bfloat16) the dtype both sides compute in. Peak resident memory of
#   each side is reported too.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROMPTS=${1:-32}
N=${2:-8}
NEW=${3:-24}
THREADS=${4:-2}
PROMPT_LEN=${AHA_BENCH_PROMPT_LEN:-6}
REPEATS=${AHA_BENCH_REPEATS:-5}
DTYPE=${AHA_BENCH_DTYPE:-float32}
scripts/build.sh >/dev/null
ckpt=$(mktemp -d)
trap 'rm -rf "$ckpt"' EXIT
if [ -n "${AHA_BENCH_CONFIG:-}" ]; then
    .venv/bin/python - "$AHA_BENCH_CONFIG" "$ckpt" <<'PY'
import json, sys, torch
from transformers import AutoConfig, AutoModelForCausalLM
spec = json.load(open(sys.argv[1]))
torch.manual_seed(0)
AutoModelForCausalLM.from_config(AutoConfig.for_model(spec.pop("model_type"), **spec)).save_pretrained(sys.argv[2])
PY
else
    # A random-init checkpoint of the demo model (one pretraining step is enough to write one).
    build/cli/aha pretrain examples/tiny_r1_zero.json --set pretrain.steps=1 --set model.path="$ckpt" \
        --set threads="$THREADS" >/dev/null 2>&1
fi
aha=$(/usr/bin/time -f '%M' -o "$ckpt/aha.rss" build/cli/aha_bench_rollout "$ckpt" $PROMPT_LEN "$PROMPTS" "$N" "$NEW" "$THREADS" $REPEATS "$DTYPE")
hf=$(/usr/bin/time -f '%M' -o "$ckpt/hf.rss" .venv/bin/python scripts/bench/rollout_hf.py "$ckpt" $PROMPT_LEN "$PROMPTS" "$N" "$NEW" "$THREADS" $REPEATS "$DTYPE" 2>/dev/null)
echo "peak resident memory: aha $(( $(tail -1 "$ckpt/aha.rss") / 1024 )) MiB, transformers $(( $(tail -1 "$ckpt/hf.rss") / 1024 )) MiB"
echo "$aha"
echo "$hf"
.venv/bin/python - "$aha" "$hf" <<'PY'
import json, sys
a, h = (json.loads(x) for x in sys.argv[1:3])
print(f"aha / transformers tokens per second: {a['tokens_per_second'] / h['tokens_per_second']:.2f}x")
PY
