#!/usr/bin/env bash
# Every recipe in examples/recipes/ still loads and trains: each one (after its "extends" chain) runs `aha train`
# for two steps on a tiny random checkpoint of its model's architecture, written by transformers with the real
# tokenizer files (tests/data/tokenizers/), shrunk only in its sizes (steps, prompts, group, lengths, suites' prompts
# and samples). An unknown or misspelt key, a value out of range or a setting that no longer runs fails the test.
# After each run it checks samples.jsonl (steps 1 and 2), eval.jsonl (every suite at steps 0 and 2), that every
# rl.* value the recipe sets and the test did not shrink is in the resolved config.json, and, for a recipe with
# rl.moe.bias_update_rate > 0, that the router correction bias of the saved checkpoint moved.
# The demo variants (extending ../tiny_r1_zero.json) run on prompts written by `aha data`.
# Usage: recipes.sh AHA_BINARY PYTHON
set -euo pipefail
AHA=$1
PY=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
toks=$here/tests/data/tokenizers
start=$SECONDS

# Plan: for each recipe, the tiny architecture to build and the --set list that shrinks it (one per line).
"$PY" - "$here" "$tmp" "$toks" <<'PY'
import glob, json, os, sys

here, tmp, toks = sys.argv[1:4]

def merge(target, patch):  # as core/config.cpp merge_patch: objects key by key, null removes, the rest replaces
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(out.get(k), v)
    return out

def load(path):
    j = json.load(open(path))
    base = j.pop("extends", None)
    return merge(load(os.path.join(os.path.dirname(path), base)), j) if base else j

def arch_of(model_path):
    p = model_path.lower()
    if "moonlight" in p or "deepseek-v3" in p or "deepseek_v3" in p or "kimi" in p:
        return "deepseek_v3", "deepseek_v3"
    if "deepseek-v2" in p or "deepseek_v2" in p:
        return "deepseek_v2", "deepseek_v3"
    if "qwen3" in p and ("moe" in p or "-a3b" in p or "-a22b" in p):
        return "qwen3_moe", "qwen3"
    if "qwen3" in p:
        return "qwen3", "qwen3"
    if "qwen1.5-moe" in p or "qwen2-moe" in p or "qwen2_moe" in p:
        return "qwen2_moe", "qwen2_5"
    if "llama" in p:
        return "llama3", "qwen2_5"
    return "qwen2", "qwen2_5"  # Qwen2.5, Qwen2.5-Math and the demo's tiny Llama-style base

def leaves(j, prefix=""):
    if isinstance(j, dict):
        for k, v in j.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix, j

plan = []
for path in sorted(glob.glob(f"{here}/examples/recipes/*.json")):
    name = os.path.basename(path)[:-5]
    c = load(path)
    if not isinstance(c.get("model"), dict) or "path" not in c["model"]:
        continue
    arch, tok = arch_of(c["model"]["path"])
    rl = c.get("rl", {})
    s = {"model.path": f"{tmp}/models/{arch}", "run_dir": f"{tmp}/runs/{name}", "threads": 1, "eval.every": 0,
         "rl.steps": 2, "rl.prompts_per_step": 2, "rl.group_size": 2, "rl.sampling.max_new_tokens": 8}
    if rl.get("mini_batches", 1) > 1:
        s["rl.mini_batches"] = 2  # still more than one optimizer step, within prompts * group = 4
    if rl.get("overlong", {}).get("buffer", 0) > 0:
        s["rl.overlong.buffer"] = 4  # inside the 8 new tokens
    if rl.get("dynamic_sampling", {}).get("enabled"):
        s["rl.dynamic_sampling.max_rounds"] = 2
    if rl.get("lr_schedule", {}).get("warmup_steps", 0) > 0:
        s["rl.lr_schedule.warmup_steps"] = 1
    if rl.get("micro_batch_tokens", 0) > 0:
        s["rl.micro_batch_tokens"] = 0
    demo = False
    data = c.get("data", {})
    for kind in ("train", "eval"):
        for i, src in enumerate(data.get(kind, [])):
            at = f"data.{kind}.{i}"
            p = src.get("path", "")
            if p.startswith("runs/cache/tiny_data/"):  # the demo's prompts: written by `aha data` below
                s[f"{at}.path"] = f"{tmp}/tiny_data/" + p[len("runs/cache/tiny_data/"):]
                demo = True
            if kind == "train":
                s[f"{at}.max_prompt_tokens"] = min(src.get("max_prompt_tokens", 0) or 512, 512)
            else:  # tiny checkpoints hold 1024 positions
                s[f"{at}.max_prompts"] = 2
                s[f"{at}.max_new_tokens"] = 4
                s[f"{at}.n"] = 2 if src.get("temperature", 0.0) > 0 else 1
    # A random model scores every completion the same, so dynamic sampling keeps no group and skips both updates:
    # that run checks the sampling rounds; a second one with it off checks the update with the other settings.
    runs = [(name, s, False)]
    if rl.get("dynamic_sampling", {}).get("enabled"):
        runs = [(name, s, True), (f"{name}.no_dynamic_sampling", {**s, "rl.dynamic_sampling.enabled": False,
                                                                    "run_dir": f"{tmp}/runs/{name}.no_dynamic_sampling"}, False)]
    for run, sets, skipped in runs:
        kept = {f"rl.{k}": v for k, v in leaves(rl) if f"rl.{k}" not in sets}
        args = [f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in sets.items()]
        with open(f"{tmp}/{run}.args", "w") as f:
            f.write("".join(f"--set\n{a}\n" for a in args))
        json.dump({"kept": kept, "suites": len(data.get("eval", [])), "skipped_updates": skipped,
                   "bias": not skipped and rl.get("moe", {}).get("bias_update_rate", 0) > 0,
                   "model": f"{tmp}/models/{arch}"}, open(f"{tmp}/{run}.check.json", "w"))
        plan.append((run, name, arch, tok, demo))
with open(f"{tmp}/plan", "w") as f:
    for run, name, arch, tok, demo in plan:
        f.write(f"{run} {name} {arch} {tok} {int(demo)}\n")
if len(plan) < 1:
    sys.exit("FAIL: no recipe with model.path in examples/recipes/")
PY

specs=$(awk '{print $3":"$3":"$4}' "$tmp/plan" | sort -u | sed "s#:\([a-z0-9_]*\)\$#:$toks/\1#")
# shellcheck disable=SC2086
HF_HUB_OFFLINE=1 "$PY" "$here/scripts/ref/tiny_hf_checkpoints.py" "$tmp/models" $specs >"$tmp/models.log" 2>&1 \
    || { echo "FAIL: tiny checkpoints"; cat "$tmp/models.log"; exit 1; }
if awk '$5 == 1' "$tmp/plan" | grep -q .; then
    "$AHA" data "$here/examples/tiny_r1_zero.json" --set demo_data.dir="$tmp/tiny_data" --set demo_data.train_prompts=200 \
        >"$tmp/data.out" 2>&1 || { echo "FAIL: aha data"; cat "$tmp/data.out"; exit 1; }
fi

while read -r name recipe arch _ _; do
    mapfile -t args <"$tmp/$name.args"
    t0=$SECONDS
    (cd "$here" && "$AHA" train "examples/recipes/$recipe.json" "${args[@]}") >"$tmp/$name.out" 2>"$tmp/$name.err" \
        || { echo "FAIL: $name ($arch)"; tail -n 30 "$tmp/$name.err"; exit 1; }
    "$PY" - "$tmp/runs/$name" "$tmp/$name.check.json" <<'PY' || { echo "FAIL: $name"; tail -n 20 "$tmp/$name.err"; exit 1; }
import glob, json, math, sys
run, check = sys.argv[1], json.load(open(sys.argv[2]))
metrics = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
assert [m["step"] for m in metrics] == [1, 2], f"metrics.jsonl steps {[m['step'] for m in metrics]}, expected [1, 2]"
if check["skipped_updates"]:
    assert all(m.get("dynamic_sampling_rounds") == 2 for m in metrics), [m.get("dynamic_sampling_rounds") for m in metrics]
else:
    steps = [json.loads(l)["step"] for l in open(f"{run}/samples.jsonl")]
    assert steps == [1, 2], f"samples.jsonl steps {steps}, expected [1, 2]"
evals = [json.loads(l) for l in open(f"{run}/eval.jsonl")]
assert sorted(e["step"] for e in evals) == sorted([0, 2] * check["suites"]), [(e["suite"], e["step"]) for e in evals]
config = json.load(open(f"{run}/config.json"))
for key, want in check["kept"].items():
    got = config
    for part in key.split("."):
        got = got[part]
    same = math.isclose(got, want, rel_tol=1e-12) if isinstance(want, float) else got == want
    assert same, f"{key}: the recipe says {want!r}, the resolved config.json has {got!r}"
if check["bias"]:
    from safetensors.torch import load_file
    def biases(d):
        out = {}
        for f in glob.glob(f"{d}/*.safetensors"):
            out.update({k: v.float() for k, v in load_file(f).items() if k.endswith("e_score_correction_bias")})
        return out
    before, after = biases(check["model"]), biases(f"{run}/checkpoint")
    assert before and before.keys() == after.keys(), (sorted(before), sorted(after))
    assert any(not (before[k] == after[k]).all() for k in before), "rl.moe.bias_update_rate > 0 but no router bias moved"
    assert all("expert_balance" in json.loads(l) for l in open(f"{run}/metrics.jsonl")), "no expert_balance in metrics"
PY
    echo "$name ($arch): 2 steps, suites at steps 0 and 2, resolved config checked ($((SECONDS - t0)) s)"
done <"$tmp/plan"
echo "recipes ok ($(awk '{print $2}' "$tmp/plan" | sort -u | wc -l) recipes, $(wc -l <"$tmp/plan") runs, $((SECONDS - start)) s)"
