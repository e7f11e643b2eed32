#!/usr/bin/env bash
# The demo's recipe over several seeds, two at a time (1 thread each), plus the two controls of the design
# note on seed 1: the random-reward control (rewards shuffled across the batch) and the same compute spent
# on more pretraining. Prints one table; every run keeps its directory under runs/bench/.
# Usage: scripts/bench/demo_seeds.sh [SEEDS...]   (default: 1 2 3 4 5)
#        AHA_BENCH_TABLE_ONLY=1 scripts/bench/demo_seeds.sh 1 2 3 4 5   re-prints the table of finished runs
#        AHA_BENCH_NO_CONTROLS=1 ...                                    skips the two controls
#        AHA_BENCH_CONTROLS_ONLY=1 ...                                  runs only the controls
set -euo pipefail
cd "$(dirname "$0")/../.."
CONFIG=examples/tiny_r1_zero.json
SEEDS=("$@")
[ ${#SEEDS[@]} -gt 0 ] || SEEDS=(1 2 3 4 5)
OUT=runs/bench
mkdir -p "$OUT"
scripts/build.sh >/dev/null
AHA=build/cli/aha

run_seed() {
    local s=$1
    local args=(--set threads=1 --set seed="$s" --set pretrain.seed="$s" --set model.path="$OUT/base_$s")
    "$AHA" pretrain $CONFIG "${args[@]}" 2>"$OUT/pretrain_$s.log"
    "$AHA" data $CONFIG "${args[@]}" 2>/dev/null
    "$AHA" train $CONFIG "${args[@]}" --set run_dir="$OUT/seed_$s" >"$OUT/train_$s.log" 2>&1
}

CONTROL=(--set threads=1 --set seed=1 --set pretrain.seed=1)
control_shuffled() {
    "$AHA" pretrain $CONFIG "${CONTROL[@]}" --set model.path="$OUT/base_1" 2>/dev/null  # cached
    "$AHA" train $CONFIG "${CONTROL[@]}" --set model.path="$OUT/base_1" --set run_dir="$OUT/control_shuffled_1" \
        --set rl.shuffle_rewards=true >"$OUT/control_shuffled_1.log" 2>&1
}
control_longer_pretrain() {
    # One RL step (512 completions of ~15 tokens after ~6 prompt tokens: sampling, then forward and backward)
    # costs about as much as 5 pretraining steps of 64 lines of ~40 tokens: 600 RL steps ~ 3100 more.
    "$AHA" pretrain $CONFIG "${CONTROL[@]}" --set model.path="$OUT/base_1_longer" --set pretrain.steps=3900 \
        2>"$OUT/control_longer_pretrain_1.log"
    "$AHA" eval $CONFIG "${CONTROL[@]}" --model "$OUT/base_1_longer" >"$OUT/control_longer_pretrain_1.json"
}

if [ -z "${AHA_BENCH_TABLE_ONLY:-}" ]; then
start=$(date +%s)
jobs=()
for s in "${SEEDS[@]}"; do
    [ -z "${AHA_BENCH_CONTROLS_ONLY:-}" ] || break
    run_seed "$s" &
    jobs+=($!)
    if [ ${#jobs[@]} -ge 2 ]; then wait "${jobs[0]}"; jobs=("${jobs[@]:1}"); fi
done
for j in "${jobs[@]}"; do wait "$j"; done
if [ -z "${AHA_BENCH_NO_CONTROLS:-}" ]; then
    control_shuffled &
    control_longer_pretrain &
    wait
fi
echo "all runs: $(( $(date +%s) - start )) s wall on $(nproc) cores"
fi

.venv/bin/python - "$OUT" "${SEEDS[@]}" <<'PY'
import json, os, sys
out, seeds = sys.argv[1], sys.argv[2:]
print("| run | 2-hop before | 2-hop after | gain (pp) | length after (correct / wrong) | 3-hop before -> after | RL wall s |")
print("|---|---|---|---|---|---|---|")
rows = [(f"seed {s}", f"{out}/seed_{s}") for s in seeds] + [("seed 1, shuffled reward", f"{out}/control_shuffled_1")]
for name, d in rows:
    if not os.path.exists(f"{d}/summary.json"):
        continue
    s = json.load(open(f"{d}/summary.json"))
    b2, a2 = s["eval_before"]["heldout_2hop"], s["eval_after"]["heldout_2hop"]
    b3, a3 = s["eval_before"]["heldout_3hop"], s["eval_after"]["heldout_3hop"]
    print(f"| {name} | {100*b2['accuracy']:.1f}% | {100*a2['accuracy']:.1f}% | {100*(a2['accuracy']-b2['accuracy']):+.1f} "
          f"| {a2['mean_length_correct']:.1f} / {a2['mean_length_wrong']:.1f} "
          f"| {100*b3['accuracy']:.1f}% -> {100*a3['accuracy']:.1f}% | {s['wall_seconds']:.0f} |")
if not os.path.exists(f"{out}/control_longer_pretrain_1.json"):
    sys.exit(0)
e = {j["suite"]: j for j in map(json.loads, open(f"{out}/control_longer_pretrain_1.json"))}
print(f"| seed 1, 3900 pretraining steps instead of 800 + RL | {100*e['heldout_2hop']['accuracy']:.1f}% (no RL) | | | "
      f"| {100*e['heldout_3hop']['accuracy']:.1f}% | |")
PY
