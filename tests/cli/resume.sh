#!/usr/bin/env bash
# `aha train --resume` end to end (issue 17's acceptance):
#  1. the demo model (KL to the base, a cosine schedule, two mini-batches): a run killed with SIGKILL after
#     its step-2 checkpoint and resumed gives the same metrics, samples and eval lines (less the timings),
#     the same summary and bitwise the same final weights as a run that was never stopped;
#  2. the same run killed again and again at random moments, many of them inside a checkpoint write
#     (checkpoint.every = 1), and resumed each time: every checkpoint directory left is complete, --resume
#     always continues, and the result is still bitwise the uninterrupted run's;
#  3. refusals and fallbacks: a changed key is refused naming it, --resume-force logs it, a damaged newest
#     checkpoint falls back to the older one with a warning naming both, --resume DIR starts from DIR;
#  4. a tiny bf16 DeepSeek-V3 MoE (fp32 masters, router-bias updates, the balance loss, KL) stopped at
#     step 2 and resumed to step 4 (rl.steps may change) matches the 4-step run bitwise.
# Usage: resume.sh AHA_BINARY PYTHON
set -euo pipefail
AHA=$1
PY=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"  # the demo config's relative paths (runs/cache/...) land here
config=$here/examples/tiny_r1_zero.json
args=(--set threads=1 --set pretrain.steps=150 --set pretrain.log_every=50 --set rl.steps=6 --set rl.prompts_per_step=4
      --set eval.every=3 --set demo_data.heldout_max_prompts=32 --set demo_data.train_prompts=500
      --set rl.loss.kl_coef=0.01 --set rl.mini_batches=2 --set rl.lr_schedule.name=cosine --set rl.lr_schedule.warmup_steps=2)
"$AHA" pretrain "$config" "${args[@]}" 2>"$tmp/pretrain.log"
"$AHA" data "$config" "${args[@]}" 2>"$tmp/data.log"
"$AHA" train "$config" "${args[@]}" --set run_dir="$tmp/straight" --set checkpoint.every=2 >"$tmp/straight.out" 2>"$tmp/straight.err" \
    || { cat "$tmp/straight.err"; exit 1; }

toks=$here/tests/data/tokenizers
HF_HUB_OFFLINE=1 "$PY" "$here/scripts/ref/tiny_hf_checkpoints.py" "$tmp/models" moe:deepseek_v3:"$toks/deepseek_v3" >"$tmp/models.log"
cat >"$tmp/moe.json" <<JSON
{"run_dir": "$tmp/moe_straight", "threads": 1, "seed": 5, "dtype": "bfloat16", "model": {"path": "$tmp/models/moe"},
 "data": {"train": [{"preset": "gsm8k", "rows": [1, 40]}],
          "eval": [{"preset": "gsm8k_test", "max_prompts": 3, "n": 2, "temperature": 1.0, "max_new_tokens": 6}]},
 "rl": {"steps": 4, "prompts_per_step": 2, "group_size": 3, "learning_rate": 0.001,
        "sampling": {"max_new_tokens": 8, "temperature": 1.0}, "reward": {"name": "math"},
        "loss": {"kl_coef": 0.05}, "moe": {"bias_update_rate": 0.01, "aux_loss_coef": 0.01}},
 "eval": {"every": 2, "show_samples": 1}, "checkpoint": {"every": 2}}
JSON
"$AHA" train "$tmp/moe.json" >"$tmp/moe_straight.out" 2>"$tmp/moe_straight.err" || { cat "$tmp/moe_straight.err"; exit 1; }

HF_HUB_OFFLINE=1 "$PY" - "$tmp" "$AHA" "$config" "${args[@]}" <<'PY'
import json, os, random, shutil, signal, subprocess, sys, time, zipfile
from safetensors import safe_open

tmp, aha, config, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
ckpt_files = ("config.json", "model.safetensors", "tokenizer.json", "trainer_state.pt", "trainer_state.json")

def lines(path, drop=()):
    out = []
    for l in open(path):
        j = json.loads(l)
        for k in list(j):
            if k.startswith("seconds") or k in drop:
                del j[k]
        out.append(j)
    return out

def same_run(a, b, what):
    for log in ("metrics.jsonl", "samples.jsonl", "eval.jsonl", "eval_samples.jsonl"):
        la, lb = lines(f"{a}/{log}"), lines(f"{b}/{log}")
        assert la == lb, (what, log, len(la), len(lb), next(((x, y) for x, y in zip(la, lb) if x != y), None))
    sa, sb = json.load(open(f"{a}/summary.json")), json.load(open(f"{b}/summary.json"))
    for k in ("eval_before", "eval_after", "heldout_accuracy_before", "heldout_accuracy_after"):
        assert sa[k] == sb[k], (what, k)
    wa = open(f"{a}/checkpoint/model.safetensors", "rb").read()
    assert wa == open(f"{b}/checkpoint/model.safetensors", "rb").read(), (what, "final weights differ")
    print(f"{what}: {len(lines(f'{a}/metrics.jsonl'))} metrics lines and the final weights ({len(wa)} bytes) equal")

def train(run_dir, *extra, resume=False, wait=True):
    cmd = [aha, "train", config, *args, "--set", f"run_dir={run_dir}", *extra] + (["--resume"] if resume else [])
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if not wait:
        return p
    err = p.communicate()[1]
    return p.returncode, err

def metrics_count(run_dir):
    try:
        return sum(1 for l in open(f"{run_dir}/metrics.jsonl") if l.endswith("\n"))
    except FileNotFoundError:
        return 0

def check_complete(run_dir):
    """Every step_* directory holds a whole checkpoint: the files, a parsing state, readable weights and archive."""
    d = f"{run_dir}/checkpoints"
    names = sorted(os.listdir(d)) if os.path.isdir(d) else []
    for n in names:
        if not n.startswith("step_"):
            continue
        for f in ckpt_files:
            assert os.path.getsize(f"{d}/{n}/{f}") > 0, (n, f)
        st = json.load(open(f"{d}/{n}/trainer_state.json"))
        assert st["step"] == int(n[5:]), (n, st["step"])
        with safe_open(f"{d}/{n}/model.safetensors", "pt") as f:
            for k in f.keys():
                f.get_tensor(k)
        assert zipfile.ZipFile(f"{d}/{n}/trainer_state.pt").testzip() is None, n
    return names

straight = f"{tmp}/straight"
# 1. Killed after the step-2 checkpoint, resumed.
run = f"{tmp}/killed"
p = train(run, "--set", "checkpoint.every=2", wait=False)
while not os.path.isdir(f"{run}/checkpoints/step_000002") and p.poll() is None:
    time.sleep(0.002)
p.send_signal(signal.SIGKILL)
p.wait()
done = metrics_count(run)
rc, err = train(run, "--set", "checkpoint.every=2", resume=True)
assert rc == 0, err
assert "resuming from" in err, err
same_run(straight, run, f"killed at step {done}, resumed")

# 2. Killed at random moments: every other kill is aimed at the checkpoint write that follows a metrics line
#    (a kill is counted as inside the write when that step's temporary directory is left and its step_
#    directory is not), the others land anywhere (start-up, log truncation, rollout, evaluation).
chaos_args = ["--set", "rl.steps=24", "--set", "checkpoint.every=1"]
t0 = time.time()
rc, err = train(f"{tmp}/chaos_straight", *chaos_args)
assert rc == 0, err
print(f"24 uninterrupted steps: {time.time() - t0:.1f} s")
run = f"{tmp}/chaos"
rng = random.Random(17)
kills = in_write = 0
started = False
while True:
    p = train(run, *chaos_args, resume=started, wait=False)
    if kills % 2 == 0:
        time.sleep(rng.uniform(0, 1))
    else:
        # After 16 kills, each aimed attempt lets one step's checkpoint complete first, so the run finishes.
        target = metrics_count(run) + 1 + (kills >= 16)
        while p.poll() is None and metrics_count(run) < target:
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.015))
    if p.poll() is not None:
        err = p.stderr.read()
        assert p.returncode == 0, err
        break
    p.send_signal(signal.SIGKILL)
    p.wait()
    kills += 1
    names = check_complete(run)
    n = metrics_count(run)
    in_write += f".tmp-step_{n:06d}" in names and f"step_{n:06d}" not in names
    started = any(n.startswith("step_") for n in names)
    if kills > 100:
        raise SystemExit("FAIL: the chaos run did not finish in 100 resumes")
assert kills >= 8, kills
same_run(f"{tmp}/chaos_straight", run, f"killed {kills} times ({in_write} inside a checkpoint write), resumed each time")
assert in_write >= 1, "no kill landed inside a checkpoint write: the test did not test atomicity"

# 3. Refusals and fallbacks, on a copy of the straight run (checkpoints 4 and 6 kept; rl.steps raised to 8).
run = f"{tmp}/branch"
shutil.copytree(straight, run)
rc, err = train(run, "--set", "checkpoint.every=2", "--set", "rl.steps=8", "--set", "rl.learning_rate=0.001", resume=True)
assert rc != 0 and "rl.learning_rate: 0.0003 -> 0.001" in err and "--resume-force" in err, err
assert "lr_schedule" not in err.split("error:")[-1], err  # only the changed key is named
rc, err = train(run, "--set", "checkpoint.every=2", "--set", "rl.steps=4", resume=True)
assert rc != 0 and "nothing left to train" in err, err
with open(f"{run}/checkpoints/step_000006/model.safetensors", "r+b") as f:
    f.truncate(os.path.getsize(f"{run}/checkpoints/step_000006/model.safetensors") // 2)
rc, err = train(run, "--set", "checkpoint.every=2", "--set", "rl.steps=8", resume=True)
assert rc == 0, err
warning = [l for l in err.splitlines() if "warning" in l]
assert warning and "step_000006" in warning[0] and "step_000004" in warning[0] and "model.safetensors" in warning[0], err
steps = [l["step"] for l in lines(f"{run}/metrics.jsonl")]
assert steps == list(range(1, 9)), steps
assert lines(f"{run}/metrics.jsonl")[:4] == lines(f"{straight}/metrics.jsonl")[:4]
print("damaged step_000006: resumed from step_000004 with the warning:", warning[0].split("] ", 1)[-1][:160])
rc, err = train(run, "--set", "checkpoint.every=2", "--set", "rl.steps=10", "--set", "rl.learning_rate=0.001",
                "--resume-force", resume=True)
assert rc == 0 and "rl.learning_rate: 0.0003 -> 0.001 (changed under --resume-force)" in err, err
p = subprocess.run([aha, "train", config, *args, "--set", f"run_dir={tmp}/from_dir", "--set", "rl.steps=6",
                    "--resume", f"{straight}/checkpoints/step_000004"], capture_output=True, text=True)
assert p.returncode == 0 and f"resuming from {straight}/checkpoints/step_000004" in p.stderr, p.stderr
print("refused a changed rl.learning_rate, forced it with --resume-force, resumed from a named directory")

# 4. The tiny bf16 MoE: 2 steps, then resumed to 4 (rl.steps may change between runs).
moe = f"{tmp}/moe_stopped"
base = [aha, "train", f"{tmp}/moe.json", "--set", f"run_dir={moe}"]
p = subprocess.run(base + ["--set", "rl.steps=2"], capture_output=True, text=True)
assert p.returncode == 0, p.stderr
p = subprocess.run(base + ["--resume"], capture_output=True, text=True)
assert p.returncode == 0 and "rl.steps: 2 -> 4" in p.stderr, p.stderr
same_run(f"{tmp}/moe_straight", moe, "MoE stopped at step 2, resumed to 4")
print("resume ok")
PY
