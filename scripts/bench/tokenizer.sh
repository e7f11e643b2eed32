#!/usr/bin/env bash
# Tokenizer speed: aha vs Hugging Face tokenizers (Rust, through Python), single thread, on the parity corpus
# (dataset text plus hard cases, scripts/ref/tokenizer_parity.py), in the same run: encode throughput in
# MB/s (best of REPEATS) and tokenizer.json load time. Prints a markdown table.
# Usage: scripts/bench/tokenizer.sh [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEATS=${1:-3}
AHA_BUILD_TARGETS=aha_bench_tokenizer scripts/build.sh >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
.venv/bin/python scripts/ref/tokenizer_parity.py corpus "$dir" >/dev/null
echo "| tokenizer | aha MB/s | tokenizers MB/s | aha / tokenizers | aha load s | tokenizers load s |"
echo "|---|---|---|---|---|---|"
for name in qwen2_5 qwen3 deepseek_v3; do
    tok=tests/data/tokenizers/$name/tokenizer.json
    a=$(build/cli/aha_bench_tokenizer "$tok" "$dir/corpus.jsonl" "$REPEATS")
    h=$(RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false .venv/bin/python scripts/bench/tokenizer_hf.py "$tok" "$dir/corpus.jsonl" "$REPEATS")
    .venv/bin/python - "$name" "$a" "$h" <<'PY'
import json, sys
name, a, h = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
assert a["tokens"] == h["tokens"], (a, h)
print(f"| {name} | {a['mb_per_second']:.2f} | {h['mb_per_second']:.2f} | {a['mb_per_second'] / h['mb_per_second']:.2f}x | "
      f"{a['load_seconds']:.2f} | {h['load_seconds']:.2f} |")
PY
done
