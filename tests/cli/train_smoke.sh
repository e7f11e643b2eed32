#!/usr/bin/env bash
# A short pretrain + data + GRPO run of the demo through the aha command (tiny settings, ~1 minute): every
# output file is written and well-formed, metrics.jsonl has one line per step, samples.jsonl shows prompts
# as the template renders the data, eval.jsonl has each suite at each evaluation, a second pretrain is
# skipped (cache), checkpoint.every writes complete step checkpoints (trainer state, data position, config
# hash; the newest checkpoint.keep kept), and transformers loads the final and a step checkpoint.
# Usage: train_smoke.sh AHA_BINARY PYTHON
set -euo pipefail
AHA=$1
PY=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"  # the demo config's paths (runs/cache/...) are relative: everything lands here
config=$here/examples/tiny_r1_zero.json
args=(--set threads=1 --set run_dir="$tmp/run" --set pretrain.steps=150 --set pretrain.log_every=50 --set rl.steps=6
      --set rl.prompts_per_step=4 --set eval.every=3 --set demo_data.heldout_max_prompts=32 --set demo_data.train_prompts=500)
"$AHA" pretrain "$config" "${args[@]}" 2>"$tmp/pretrain.log"
"$AHA" pretrain "$config" "${args[@]}" 2>"$tmp/pretrain2.log"
grep -q "skipping" "$tmp/pretrain2.log" || { echo "FAIL: the second pretrain was not skipped"; exit 1; }
"$AHA" data "$config" "${args[@]}" 2>"$tmp/data.log"
"$AHA" train "$config" "${args[@]}" --set checkpoint.every=2 --set checkpoint.keep=2 >"$tmp/train.out" 2>"$tmp/train.err" || { cat "$tmp/train.err"; exit 1; }
grep -q "run directory: $tmp/run" "$tmp/train.out" || { echo "FAIL: no run directory line"; cat "$tmp/train.out"; exit 1; }
"$AHA" report "$tmp/run" >"$tmp/report.out" || { echo "FAIL: aha report"; exit 1; }
"$PY" - "$tmp/run" "$tmp/runs/cache/tiny_data" <<'PY'
import json, math, os, sys
run, data = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
assert [l["step"] for l in lines] == list(range(1, 7)), lines
for l in lines:
    for key in ("reward_mean", "accuracy", "completion_length", "kl", "clip_fraction", "loss",
                "seconds_rollout", "seconds_update"):
        assert math.isfinite(l[key]), (key, l)
assert all("eval_accuracy" in lines[i] for i in (2, 5)), "eval accuracy missing at eval steps"
# samples.jsonl: the prompt the policy saw is the template around a training prompt, with its answer.
train = {}
for l in open(f"{data}/train.jsonl"):
    row = json.loads(l)
    train[row["prompt"]] = row["answer"]
samples = [json.loads(l) for l in open(f"{run}/samples.jsonl")]
assert [s["step"] for s in samples] == list(range(1, 7)), samples
for s in samples:
    assert s["prompt"].startswith("<bos>") and s["prompt"].endswith("<think>"), s["prompt"]
    question = s["prompt"][len("<bos>"):-len("<think>")]
    assert train.get(question) == s["answer"], (question, s["answer"])
    assert len(s["completions"]) == 16 and len(s["rewards"]) == 16
    for c, r, v in zip(s["completions"], s["rewards"], s["verdicts"]):
        assert (v == "correct") == (r == 1.0), (c, r, v)
evals = [json.loads(l) for l in open(f"{run}/eval.jsonl")]
assert [(e["step"], e["suite"]) for e in evals] == [(st, su) for st in (0, 3, 6) for su in ("heldout_2hop", "heldout_3hop")], evals
assert all(e["prompts"] == 32 and e["n"] == 1 and "pass@1" in e for e in evals), evals[0]
eval_samples = [json.loads(l) for l in open(f"{run}/eval_samples.jsonl")]
assert len(eval_samples) == 6 * 32
# Each suite's rates are its samples' (the format: the prompt opens <think>, the completion closes it and
# gives one <answer>); the pretrained base already writes that format on nearly every prompt.
import re
think_answer = re.compile(r"^(?:(?!<think>)(?!</think>).)*</think>\s*<answer>(?:(?!<answer>).)*</answer>\s*$", re.S)
for e in evals:
    mine = [x for x in eval_samples if x["step"] == e["step"] and x["suite"] == e["suite"]]
    assert len(mine) == 32, e
    for x in mine:
        assert x["format_ok"] == bool(think_answer.match(x["completion"])), x
    for rate, of in (("format_rate", "format_ok"), ("truncated_rate", "truncated")):
        assert abs(e[rate] - sum(x[of] for x in mine) / 32) < 1e-12, (rate, e)
    assert abs(e["accuracy"] - sum(x["verdict"] == "correct" for x in mine) / 32) < 1e-12, e
assert all(e["format_rate"] >= 0.5 for e in evals), [e["format_rate"] for e in evals]
s = json.load(open(f"{run}/summary.json"))
for key in ("heldout_accuracy_before", "heldout_accuracy_after", "heldout_prompts", "steps", "wall_seconds", "eval_after"):
    assert key in s, key
assert s["heldout_prompts"] == 32 and s["steps"] == 6, s
c = json.load(open(f"{run}/config.json"))
assert c["rl"]["steps"] == 6 and c["demo_data"]["heldout_max_prompts"] == 32, "resolved config lacks the overrides"
# Periodic checkpoints: every 2 steps, the newest 2 kept, no temporary directory left; each holds the
# weights, the tokenizer and the trainer state at its step; the last one's weights are the final checkpoint's.
assert sorted(os.listdir(f"{run}/checkpoints")) == ["step_000004", "step_000006"], os.listdir(f"{run}/checkpoints")
def fnv(text):
    h = 14695981039346656037
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) % 2**64
    return f"{h:016x}"
for step in (4, 6):
    d = f"{run}/checkpoints/step_{step:06d}"
    for f in ("config.json", "model.safetensors", "tokenizer.json", "trainer_state.pt", "trainer_state.json"):
        assert os.path.getsize(f"{d}/{f}") > 0, (d, f)
    st = json.load(open(f"{d}/trainer_state.json"))
    assert st["step"] == step and st["stream"]["draws"] == 4 * step, st
    assert st["config_hash"] == fnv(open(f"{run}/config.json").read()), st
assert open(f"{run}/checkpoints/step_000006/model.safetensors", "rb").read() == open(f"{run}/checkpoint/model.safetensors", "rb").read()
# TensorBoard's own reader reads every number of metrics.jsonl and eval.jsonl back at its step (as float32).
import struct
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
board = EventAccumulator(f"{run}/tensorboard", size_guidance={"scalars": 0})
board.Reload()
f32 = lambda v: struct.unpack("f", struct.pack("f", v))[0]
expected = {}
for prefix, rows in (("train/", lines), ("eval/", evals)):
    for row in rows:
        for k, v in row.items():
            if k in ("step", "seconds") or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            tag = prefix + (row["suite"] + "/" if prefix == "eval/" else "") + k
            expected.setdefault(tag, []).append((row["step"], f32(v)))
assert sorted(board.Tags()["scalars"]) == sorted(expected), set(board.Tags()["scalars"]) ^ set(expected)
for tag, want in expected.items():
    got = [(e.step, e.value) for e in board.Scalars(tag)]
    assert got == want, (tag, got, want)
print(f"tensorboard: {len(expected)} tags read back equal")
svg = open(f"{run}/chart.svg").read()
assert svg.startswith("<svg") and svg.count("<polyline") == 3, "chart"
# transformers loads the checkpoint like any other, and its tokenizer reads the demo's text as aha does.
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
tok = AutoTokenizer.from_pretrained(f"{run}/checkpoint")
model = AutoModelForCausalLM.from_pretrained(f"{run}/checkpoint")
AutoModelForCausalLM.from_pretrained(f"{run}/checkpoints/step_000004")
text = samples[0]["prompt"]
ids = tok(text, add_special_tokens=False)["input_ids"]
assert tok.decode(ids) == text, (tok.decode(ids), text)
with torch.no_grad():
    logits = model(torch.tensor([ids])).logits
assert logits.shape[-1] >= len(tok) and torch.isfinite(logits).all()
# The report: one self-contained page with every section, both suites and the first and last samples.
page = open(f"{run}/report.html").read()
for part in ("<svg", "heldout_2hop", "heldout_3hop", "Samples at step 1<", "Samples at step 6<", "held-out accuracy",
             "grad norm", "seconds per phase", "Evaluations over steps", "the resolved config.json"):
    assert part in page, part
assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', ""), "not self-contained"
print("train smoke ok:", json.dumps({k: s[k] for k in ("heldout_accuracy_before", "heldout_accuracy_after")}))
PY
