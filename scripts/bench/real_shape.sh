#!/usr/bin/env bash
# `aha train` at a real shape: a Qwen2.5-0.5B-shaped checkpoint (random weights, the real Qwen2.5 tokenizer
# with its 151,646 tokens; vocab_size 151,936 as the release) on GSM8K, PROMPTS x GROUP samples of NEW_TOKENS
# tokens a step, for STEPS steps in each DTYPE. Reports aha's peak RSS (GNU time) and seconds per step phase
# (metrics.jsonl), beside transformers doing the same step (scripts/bench/real_shape_hf.py: generate, full
# logits, backward, AdamW) in the same run. Prints a markdown table.
# Usage: scripts/bench/real_shape.sh [STEPS] [PROMPTS] [GROUP] [NEW_TOKENS] [THREADS] [DTYPE...]
#   defaults: 2 steps, 4 prompts x 4 samples x 128 tokens, 2 threads, float32 bfloat16
#   AHA_BENCH_NO_BUILD=1 uses build/cli/aha as it is; AHA_BENCH_DIR (default /tmp/aha_real_shape) keeps the
#   checkpoint (about 2 GB) between runs. AHA_BENCH_SET="key=value ..." passes each as --set to aha train
#   (e.g. "rl.micro_batch_tokens=1024 rl.gradient_checkpointing=true"); AHA_BENCH_NO_HF=1 skips transformers.
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-2}
PROMPTS=${2:-4}
GROUP=${3:-4}
NEW=${4:-128}
THREADS=${5:-2}
shift $(( $# < 5 ? $# : 5 ))
DTYPES=("$@")
[ ${#DTYPES[@]} -gt 0 ] || DTYPES=(float32 bfloat16)
DIR=${AHA_BENCH_DIR:-/tmp/aha_real_shape}
[ -n "${AHA_BENCH_NO_BUILD:-}" ] || AHA_BUILD_TARGETS=aha scripts/build.sh >/dev/null
PY=.venv/bin/python
export HF_HUB_OFFLINE=1
mkdir -p "$DIR"
if [ ! -f "$DIR/model/model.safetensors" ]; then
    "$PY" scripts/bench/real_shape_hf.py make "$DIR/model" scripts/bench/configs/qwen2_5_0_5b.json \
        tests/data/tokenizers/qwen2_5 >&2
fi
echo "| dtype | impl | peak RSS | rollout s/step | score s/step | batch s/step | update s/step | total s/step |"
echo "|---|---|---|---|---|---|---|---|"
for dtype in "${DTYPES[@]}"; do
    run=$DIR/run_$dtype
    cat >"$DIR/$dtype.json" <<JSON
{"run_dir": "$run", "threads": $THREADS, "seed": 0, "dtype": "$dtype", "model": {"path": "$DIR/model"},
 "prompt_template": "chat", "data": {"train": [{"preset": "gsm8k", "rows": [1, $PROMPTS]}]},
 "rl": {"steps": $STEPS, "prompts_per_step": $PROMPTS, "group_size": $GROUP, "learning_rate": 1e-6,
        "sampling": {"max_new_tokens": $NEW, "temperature": 1.0}, "reward": {"name": "math"}}}
JSON
    sets=()
    for kv in ${AHA_BENCH_SET:-}; do sets+=(--set "$kv"); done
    /usr/bin/time -f "%M" -o "$DIR/$dtype.rss" build/cli/aha train "$DIR/$dtype.json" "${sets[@]}" >"$DIR/$dtype.out" 2>"$DIR/$dtype.err" \
        || { echo "aha train failed ($dtype):" >&2; tail -20 "$DIR/$dtype.err" >&2; exit 1; }
    hf=null
    [ -n "${AHA_BENCH_NO_HF:-}" ] || hf=$(OMP_NUM_THREADS=$THREADS "$PY" scripts/bench/real_shape_hf.py step "$DIR/model" "$dtype" "$PROMPTS" "$GROUP" "$NEW" \
         "$THREADS" 2>/dev/null)
    "$PY" - "$dtype" "$(tail -1 "$DIR/$dtype.rss")" "$run/metrics.jsonl" "$hf" <<'PY'
import json, os, sys
dtype, rss_kib, metrics, hf = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
steps = [json.loads(l) for l in open(metrics)]
mean = lambda k: sum(s[k] for s in steps) / len(steps)
phases = [mean(k) for k in ("seconds_rollout", "seconds_score", "seconds_batch", "seconds_update")]
tokens = sum(s["completion_length"] for s in steps) / len(steps)
sets = os.environ.get("AHA_BENCH_SET", "").split()
label = f"aha train ({len(steps)} steps, {tokens:.0f} tokens/completion" + "".join(f", {kv}" for kv in sets) + ")"
print(f"| {dtype} | {label} | {rss_kib / 1024 / 1024:.2f} GiB | "
      + " | ".join(f"{p:.1f}" for p in phases) + f" | {sum(phases):.1f} |")
if hf is None:
    sys.exit(0)
changed = f", {hf['changed_share'] * 100:.1f}% of sampled weights changed by the step"
print(f"| {dtype} | transformers (1 step{changed}) | {hf['peak_rss_mib'] / 1024:.2f} GiB | {hf['seconds_rollout']:.1f} | - | - | "
      f"{hf['seconds_update']:.1f} | {hf['seconds_rollout'] + hf['seconds_update']:.1f} |")
PY
done
