#!/usr/bin/env bash
# Each loss family trains the demo task upward: a small base is pretrained once, then GRPO (the R1-Zero
# recipe, with KL), Dr. GRPO, DAPO (the recipe files), GSPO and RLOO each run a few dozen RL steps from it,
# and the mean training reward of the last steps must exceed that of the first steps by a margin.
# Usage: families_learn.sh AHA_BINARY PYTHON [STEPS]
set -euo pipefail
AHA=$1
PY=$2
STEPS=${3:-30}
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"  # the demo config's paths (runs/cache/...) are relative: everything lands here
common=(--set pretrain.steps=800 --set pretrain.log_every=800 --set rl.steps="$STEPS" --set eval.every=1000
        --set demo_data.heldout_max_prompts=16 --set eval.show_samples=0)
"$AHA" pretrain "$here/examples/tiny_r1_zero.json" "${common[@]}" 2>"$tmp/pretrain.log"
"$AHA" data "$here/examples/tiny_r1_zero.json" "${common[@]}" 2>"$tmp/data.log"
run() {  # name config [overrides...]
    local name=$1 config=$2
    shift 2
    "$AHA" train "$config" "${common[@]}" --set run_dir="$tmp/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ||
        { echo "FAIL: $name did not run"; cat "$tmp/$name.err"; exit 1; }
}
run grpo "$here/examples/recipes/r1_zero_grpo.json"
run dr_grpo "$here/examples/recipes/dr_grpo.json"
run dapo "$here/examples/recipes/dapo.json"
run gspo "$here/examples/tiny_r1_zero.json" --set rl.advantage=grpo --set rl.loss.name=gspo \
    --set rl.loss.clip_low=3e-4 --set rl.loss.clip_high=4e-4 --set rl.loss.aggregation=seq_mean_token_mean
run rloo "$here/examples/tiny_r1_zero.json" --set rl.advantage=rloo
"$PY" - "$tmp" "$STEPS" <<'PY'
import json, sys
tmp, steps = sys.argv[1], int(sys.argv[2])
window = 5
failed = []
for name in ("grpo", "dr_grpo", "dapo", "gspo", "rloo"):
    lines = [json.loads(l) for l in open(f"{tmp}/{name}/metrics.jsonl")]
    assert len(lines) == steps, (name, len(lines))
    first = sum(l["reward_mean"] for l in lines[:window]) / window
    last = sum(l["reward_mean"] for l in lines[-window:]) / window
    ok = last > first + 0.15
    print(f"{name:8s} reward first {window} steps {first:.3f}  last {window} steps {last:.3f}  {'ok' if ok else 'FAIL'}")
    if not ok:
        failed.append(name)
sys.exit(f"FAIL: no clear learning for {', '.join(failed)}" if failed else 0)
PY
