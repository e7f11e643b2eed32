#!/usr/bin/env bash
# A short pretrain + GRPO run through the aha command (tiny settings, ~1 minute): every output file is
# written and well-formed, metrics.jsonl has one line per step, a second pretrain is skipped (cache).
# Usage: train_smoke.sh AHA_BINARY PYTHON
set -euo pipefail
AHA=$1
PY=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(--set threads=1 --set base_checkpoint="$tmp/base" --set run_dir="$tmp/run" --set pretrain.steps=150
      --set pretrain.log_every=50 --set rl.steps=6 --set rl.prompts_per_step=4 --set eval.every=3 --set eval.max_prompts=32)
"$AHA" pretrain "$here/examples/tiny_r1_zero.json" "${args[@]}" 2>"$tmp/pretrain.log"
"$AHA" pretrain "$here/examples/tiny_r1_zero.json" "${args[@]}" 2>"$tmp/pretrain2.log"
grep -q "skipping" "$tmp/pretrain2.log" || { echo "FAIL: the second pretrain was not skipped"; exit 1; }
"$AHA" train "$here/examples/tiny_r1_zero.json" "${args[@]}" >"$tmp/train.out"
grep -q "run directory: $tmp/run" "$tmp/train.out" || { echo "FAIL: no run directory line"; cat "$tmp/train.out"; exit 1; }
"$PY" - "$tmp/run" <<'PY'
import json, math, os, sys
run = sys.argv[1]
lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
assert [l["step"] for l in lines] == list(range(1, 7)), lines
for l in lines:
    for key in ("reward_mean", "accuracy", "completion_length", "kl", "clip_fraction", "loss",
                "seconds_rollout", "seconds_update"):
        assert math.isfinite(l[key]), (key, l)
assert all("heldout_accuracy" in lines[i] for i in (2, 5)), "held-out accuracy missing at eval steps"
s = json.load(open(f"{run}/summary.json"))
for key in ("heldout_accuracy_before", "heldout_accuracy_after", "heldout_prompts", "steps", "wall_seconds"):
    assert key in s, key
assert s["heldout_prompts"] == 32 and s["steps"] == 6, s
c = json.load(open(f"{run}/config.json"))
assert c["rl"]["steps"] == 6 and c["eval"]["max_prompts"] == 32, "resolved config lacks the overrides"
svg = open(f"{run}/chart.svg").read()
assert svg.startswith("<svg") and svg.count("<polyline") == 3, "chart"
assert os.path.exists(f"{run}/checkpoint/model.safetensors")
print("train smoke ok:", json.dumps({k: s[k] for k in ("heldout_accuracy_before", "heldout_accuracy_after")}))
PY
