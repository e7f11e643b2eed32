#!/usr/bin/env bash
# Training-step throughput (forward + backward of a causal-LM loss): aha vs Hugging Face transformers on the
# same config.json (random weights), same batch, same dtype, same thread count, in the same run. Each side
# runs ROUNDS times alternately; the best round of each is compared. Prints a markdown table.
# Usage: [AHA_BENCH_DEVICE=cuda] scripts/bench/forward.sh [BATCH] [SEQ] [THREADS] [DTYPE] [CONFIG...]
#   defaults: 4 x 256 tokens, 2 threads, float32, scripts/bench/configs/{qwen2_90m,qwen3_moe_small,deepseek_v3_small}.json
set -euo pipefail
cd "$(dirname "$0")/../.."
BATCH=${1:-4}
SEQ=${2:-256}
THREADS=${3:-2}
DTYPE=${4:-float32}
shift $(( $# < 4 ? $# : 4 ))
CONFIGS=("$@")
[ ${#CONFIGS[@]} -gt 0 ] || CONFIGS=(scripts/bench/configs/qwen2_90m.json scripts/bench/configs/qwen3_moe_small.json
                                    scripts/bench/configs/deepseek_v3_small.json)
REPEATS=${AHA_BENCH_REPEATS:-3}
DEVICE=${AHA_BENCH_DEVICE:-cpu}
ROUNDS=${AHA_BENCH_ROUNDS:-2}
AHA_BUILD_TARGETS=aha_bench_forward scripts/build.sh >/dev/null
echo "| config | parameters | aha tokens/s | transformers tokens/s | aha / transformers |"
echo "|---|---|---|---|---|"
for config in "${CONFIGS[@]}"; do
    best_aha=0; best_hf=0; params=0
    for _ in $(seq "$ROUNDS"); do
        a=$(build/cli/aha_bench_forward "$config" "$BATCH" "$SEQ" "$THREADS" "$REPEATS" "$DTYPE" "$DEVICE")
        h=$(.venv/bin/python scripts/bench/forward_hf.py "$config" "$BATCH" "$SEQ" "$THREADS" "$REPEATS" "$DTYPE" "$DEVICE" 2>/dev/null)
        read -r best_aha best_hf params < <(.venv/bin/python - "$a" "$h" "$best_aha" "$best_hf" <<'PY'
import json, sys
a, h = (json.loads(x) for x in sys.argv[1:3])
assert a["parameters"] == h["parameters"], (a, h)
print(max(a["tokens_per_second"], float(sys.argv[3])), max(h["tokens_per_second"], float(sys.argv[4])), a["parameters"])
PY
)
    done
    python3 -c "
import sys
a, h, p = float('$best_aha'), float('$best_hf'), int('$params')
print(f'| $(basename "$config" .json) | {p/1e6:.1f}M | {a:.0f} | {h:.0f} | {a/h:.2f}x |')"
done
