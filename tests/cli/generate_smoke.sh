#!/usr/bin/env bash
# `aha generate` end to end on the veRL tiny-Llama fixture (prompt ids only: it has no tokenizer):
# output order and indices, n samples, seeded determinism, logprobs per token, greedy = --n copies.
# Usage: generate_smoke.sh AHA_BINARY PYTHON
set -euo pipefail
AHA=$1
PY=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
model=$here/tests/data/models/verl_tiny_llama
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '{"prompt_ids": [3, 4, 5]}\n\n{"prompt_ids": [7]}\n{"prompt_ids": [9, 9, 9, 9, 9, 9]}\n' > "$tmp/p.jsonl"
"$AHA" generate --model "$model" --prompts "$tmp/p.jsonl" --n 4 --max-tokens 10 --seed 7 --logprobs --top-p 0.9 > "$tmp/a.jsonl"
"$AHA" generate --model "$model" --prompts "$tmp/p.jsonl" --n 4 --max-tokens 10 --seed 7 --logprobs --top-p 0.9 > "$tmp/b.jsonl"
"$AHA" generate --model "$model" --prompts "$tmp/p.jsonl" --n 3 --max-tokens 10 --temperature 0 --ignore-eos > "$tmp/g.jsonl"
# One group at a time, one token per forward pass (chunked prefill), a cache so small that groups preempt
# each other: the same completions.
"$AHA" generate --model "$model" --prompts "$tmp/p.jsonl" --n 4 --max-tokens 10 --seed 7 --logprobs --top-p 0.9 \
    --max-num-seqs 4 --max-num-batched-tokens 1 --block-size 2 --kv-cache-memory 40KiB > "$tmp/c.jsonl"
"$PY" - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
a = [json.loads(l) for l in open(f"{tmp}/a.jsonl")]
b = [json.loads(l) for l in open(f"{tmp}/b.jsonl")]
g = [json.loads(l) for l in open(f"{tmp}/g.jsonl")]
assert len(a) == 12, len(a)
assert [(r["prompt_index"], r["sample_index"]) for r in a] == [(p, s) for p in range(3) for s in range(4)]
assert a == b, "same seed, same output"
c = [json.loads(l) for l in open(f"{tmp}/c.jsonl")]
assert [r["token_ids"] for r in c] == [r["token_ids"] for r in a], "batching, chunking and preemption change nothing"
assert all(abs(x - y) < 1e-5 for r, q in zip(a, c) for x, y in zip(r["logprobs"], q["logprobs"]))
for r in a:
    assert 1 <= len(r["token_ids"]) <= 10 and len(r["logprobs"]) == len(r["token_ids"]), r
    assert all(lp <= 0 for lp in r["logprobs"]), r
    assert r["finish_reason"] in ("stop", "length")
    assert r["finish_reason"] == "length" or (r["token_ids"][-1] == 1 and r["stop_reason"] == "1"), r  # eos id 1
for p in range(3):
    rows = [r for r in g if r["prompt_index"] == p]
    assert len(rows) == 3 and all(r["token_ids"] == rows[0]["token_ids"] for r in rows), "greedy samples agree"
    assert all(len(r["token_ids"]) == 10 and r["finish_reason"] == "length" for r in rows), "--ignore-eos runs to max"
print("generate smoke: ok")
PY
