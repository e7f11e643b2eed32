#!/usr/bin/env bash
# `aha train` end to end on tiny random checkpoints of several families, written by transformers with the
# real Qwen2.5, Qwen3 and DeepSeek-V3 tokenizer files, on GSM8K (JSONL), MATH (verl parquet), MBPP (code
# reward), Countdown (parquet) and a mix of two sources with their own rewards. Checks that the prompts the
# policy saw (decoded from its token ids) are the data rendered by transformers' apply_chat_template, that
# every reward is the verifier's verdict, that eval.jsonl holds pass@k/maj@k, and that `aha eval` runs on the
# trained checkpoint and transformers loads it.
# Usage: hf_train.sh AHA_BINARY PYTHON
set -euo pipefail
AHA=$1
PY=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
toks=$here/tests/data/tokenizers
HF_HUB_OFFLINE=1 "$PY" "$here/scripts/ref/tiny_hf_checkpoints.py" "$tmp/models" qwen2:qwen2:"$toks/qwen2_5" \
    qwen3:qwen3:"$toks/qwen3" llama3:llama3:"$toks/qwen2_5" deepseek_v3:deepseek_v3:"$toks/deepseek_v3" \
    qwen3_moe:qwen3_moe:"$toks/qwen3" >"$tmp/models.log"

# run NAME MODEL TRAIN_SOURCES_JSON [--set ...]: two GRPO steps, a suite at steps 0 and 2 with n = 2.
run() {
    local name=$1 model=$2 train=$3
    shift 3
    cat >"$tmp/$name.json" <<JSON
{"run_dir": "$tmp/runs/$name", "threads": 1, "seed": 3, "model": {"path": "$tmp/models/$model"},
 "prompt_template": "chat",
 "data": {"train": $train,
          "eval": [{"preset": "gsm8k_test", "max_prompts": 3, "n": 2, "temperature": 1.0, "max_new_tokens": 6}]},
 "rl": {"steps": 2, "prompts_per_step": 2, "group_size": 2, "sampling": {"max_new_tokens": 8, "temperature": 1.0},
        "reward": {"name": "math"}},
 "eval": {"every": 0, "show_samples": 1}}
JSON
    "$AHA" train "$tmp/$name.json" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || { echo "FAIL: $name"; cat "$tmp/$name.err"; exit 1; }
    echo "$name: trained"
}
run qwen2_gsm8k qwen2 '[{"preset": "gsm8k", "rows": [1, 40]}]'
run qwen3_math_parquet qwen3 '[{"preset": "math", "rows": [1, 40], "max_prompt_tokens": 300}]' --set system_prompt="Think first."
run llama3_mbpp llama3 '[{"preset": "mbpp", "rows": [601, 640]}]'
run deepseek_v3_gsm8k deepseek_v3 '[{"preset": "gsm8k", "rows": [41, 80]}]'
run qwen3_moe_mix qwen3_moe '[{"preset": "countdown", "rows": [1, 40], "weight": 1}, {"preset": "gsm8k", "rows": [1, 40], "weight": 1}]' \
    --set rl.steps=3

"$AHA" eval --model "$tmp/runs/qwen2_gsm8k/checkpoint" --data gsm8k_test --data math500 --max-prompts 2 --n 3 \
    --temperature 1 --max-new-tokens 4 --threads 1 --out "$tmp/eval_only" >"$tmp/eval_only.out" 2>"$tmp/eval_only.err" \
    || { echo "FAIL: aha eval"; cat "$tmp/eval_only.err"; exit 1; }

HF_HUB_OFFLINE=1 "$PY" - "$tmp" "$AHA" "$here" <<'PY'
import json, subprocess, sys
import pyarrow.parquet as pq
from transformers import AutoModelForCausalLM, AutoTokenizer

tmp, aha, here = sys.argv[1:4]
data = f"{here}/datasets/data"
boxed = "\nPlease reason step by step, and put your final answer within \\boxed{}."
countdown = ("Using the numbers {nums}, create an equation that equals {target}. You can use basic arithmetic operations "
             "(+, -, *, /) and each number can only be used once. Show your work in <think> </think> tags. And return the "
             "final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.")

def jsonl(name):
    return [json.loads(l) for l in open(f"{data}/{name}")]

def rows(kind, first, last):
    """(messages, gold) of the preset's rows, as the test expects them to be rendered."""
    if kind == "gsm8k":
        return [([{"role": "user", "content": r["question"] + boxed}], r["answer"].split("####")[-1].strip().replace(",", ""))
                for r in jsonl("gsm8k_train.jsonl")[first - 1:last]]
    if kind == "math":
        t = pq.read_table(f"{data}/math_train.parquet").to_pylist()[first - 1:last]
        return [(r["prompt"], r["reward_model"]["ground_truth"]) for r in t]
    if kind == "mbpp":
        out = []
        for r in jsonl("mbpp.jsonl")[first - 1:last]:
            content = (r["text"] + "\nYour code should pass these tests:\n" + "\n".join(r["test_list"]) +
                       "\nWrite the Python function in a ```python code block.")
            out.append(([{"role": "user", "content": content}], None))
        return out
    if kind == "countdown":
        t = pq.read_table(f"{data}/countdown_train.parquet").to_pylist()[first - 1:last]
        return [([{"role": "user", "content": countdown.format(nums=json.dumps(r["nums"], separators=(",", ":")),
                                                                target=r["target"])}], None) for r in t]

cases = {"qwen2_gsm8k": ("qwen2", [("gsm8k", 1, 40)], None), "qwen3_math_parquet": ("qwen3", [("math", 1, 40)], "Think first."),
         "llama3_mbpp": ("llama3", [("mbpp", 601, 640)], None), "deepseek_v3_gsm8k": ("deepseek_v3", [("gsm8k", 41, 80)], None),
         "qwen3_moe_mix": ("qwen3_moe", [("countdown", 1, 40), ("gsm8k", 1, 40)], None)}
reward_of = {"gsm8k": "math", "math": "math", "mbpp": "code", "countdown": "countdown"}
failures = []
for run, (model, sources, system) in cases.items():
    tok = AutoTokenizer.from_pretrained(f"{tmp}/models/{model}")
    expected = {}
    for kind, first, last in sources:
        for messages, gold in rows(kind, first, last):
            if system and messages[0]["role"] != "system":
                messages = [{"role": "system", "content": system}] + messages
            expected[tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)] = (kind, gold)
    samples = [json.loads(l) for l in open(f"{tmp}/runs/{run}/samples.jsonl")]
    steps = json.load(open(f"{tmp}/runs/{run}/config.json"))["rl"]["steps"]
    assert [s["step"] for s in samples] == list(range(1, steps + 1)), (run, samples)
    pairs = []
    for s in samples:
        if s["prompt"] not in expected:
            failures.append(f"{run}: the policy saw a prompt that is no rendered row:\n{s['prompt']!r}")
            continue
        kind, gold = expected[s["prompt"]]
        if s["reward_name"] != reward_of[kind]:
            failures.append(f"{run}: {kind} prompt scored by {s['reward_name']}")
        if gold is not None and s["answer"] != gold:
            failures.append(f"{run}: answer {s['answer']!r}, the data says {gold!r}")
        for c, r, v in zip(s["completions"], s["rewards"], s["verdicts"]):
            if kind in ("gsm8k", "math"):
                pairs.append((s["answer"], c, r, v))
            elif kind == "mbpp" and "```" not in c and (v != "malformed" or r != 0):
                failures.append(f"{run}: a completion without code got {v} {r}")
            elif kind == "countdown" and "<answer>" not in c and (v != "malformed" or r != 0):
                failures.append(f"{run}: a countdown completion without an answer got {v} {r}")
    if pairs:  # the reward of every math completion is the math verifier's verdict
        lines = "".join(json.dumps({"gold": g, "pred": c}) + "\n" for g, c, _, _ in pairs)
        out = subprocess.run([aha, "verify", "math", "--jsonl", "/dev/stdin"], input=lines, capture_output=True, text=True,
                             check=True).stdout.splitlines()
        for (g, c, r, v), line in zip(pairs, out):
            ok = json.loads(line)["correct"]
            if (r == 1.0) != ok or (v == "correct") != ok:
                failures.append(f"{run}: reward {r} / {v} but aha verify says correct={ok} for gold {g!r}, completion {c!r}")
    evals = [json.loads(l) for l in open(f"{tmp}/runs/{run}/eval.jsonl")]
    assert [e["step"] for e in evals] == [0, steps], evals
    for e in evals:
        assert e["suite"] == "gsm8k_test" and e["prompts"] == 3 and e["n"] == 2, e
        assert all(k in e for k in ("pass@1", "pass@2", "maj@1", "maj@2", "truncated_rate")), e
        assert 0 <= e["maj@2"] <= e["pass@2"] <= 1 and abs(e["pass@1"] - e["accuracy"]) < 1e-12, e
    print(f"{run}: {len(samples)} steps of prompts match the data through {model}'s chat template; {len(pairs)} math rewards checked")
only = [json.loads(l) for l in open(f"{tmp}/eval_only.out")]
assert [o["suite"] for o in only] == ["gsm8k_test", "math500"] and all("pass@3" in o and "maj@3" in o for o in only), only
assert sum(1 for _ in open(f"{tmp}/eval_only/eval_samples.jsonl")) == 2 * 2 * 3
model = AutoModelForCausalLM.from_pretrained(f"{tmp}/runs/qwen3_moe_mix/checkpoint")
AutoTokenizer.from_pretrained(f"{tmp}/runs/qwen3_moe_mix/checkpoint")
if failures:
    sys.exit("FAIL:\n" + "\n".join(failures[:20]))
print("hf train ok")
PY
