#!/usr/bin/env bash
# The watchdog end to end on the demo model, with faults injected through AHA_FAULT: a NaN reward at step 5
# (the loss and gradient go NaN; the update is skipped) and a 1000x learning-rate spike at step 6 (the
# next steps' KL or gradient norm leaves its range). With watchdog.action "stop" the run ends with an
# error naming the step, the check and the last good checkpoint; with "rollback" it reloads that
# checkpoint, halves the learning rate and finishes; each event is a line of events.jsonl with the step's
# metrics, the logs hold each step once, and the report shows the events.
# Usage: watchdog.sh AHA_BINARY PYTHON
set -euo pipefail
AHA=$1
PY=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
config=$here/examples/tiny_r1_zero.json
args=(--set threads=1 --set pretrain.steps=150 --set pretrain.log_every=50 --set rl.steps=10 --set rl.prompts_per_step=4
      --set eval.every=5 --set demo_data.heldout_max_prompts=32 --set demo_data.train_prompts=500 --set rl.loss.kl_coef=0.01
      --set checkpoint.every=2 --set watchdog.enabled=true)
"$AHA" pretrain "$config" "${args[@]}" 2>"$tmp/pretrain.log"
"$AHA" data "$config" "${args[@]}" 2>"$tmp/data.log"
run() {  # run NAME ACTION FAULT: exit code in $tmp/NAME.rc
    local name=$1 action=$2 fault=$3
    set +e
    AHA_FAULT=$fault "$AHA" train "$config" "${args[@]}" --set run_dir="$tmp/$name" --set watchdog.action="$action" \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
    echo $? >"$tmp/$name.rc"
    set -e
    "$AHA" report "$tmp/$name" >/dev/null
}
run nan_stop stop nan@5
run nan_rollback rollback nan@5
run lr_stop stop lr@6=1000
run lr_rollback rollback lr@6=1000
"$PY" - "$tmp" <<'PY'
import json, math, sys
tmp = sys.argv[1]
def jl(path):
    return [json.loads(l) for l in open(path)]
def case(name):
    rc = int(open(f"{tmp}/{name}.rc").read())
    err = open(f"{tmp}/{name}.err").read()
    return rc, err, jl(f"{tmp}/{name}/events.jsonl"), jl(f"{tmp}/{name}/metrics.jsonl")
spikes = {"grad_norm_spike", "kl_spike", "entropy_collapse", "reward_collapse", "nonfinite"}

for name, step, checks in (("nan_stop", 5, {"nonfinite"}), ("lr_stop", None, spikes)):
    rc, err, events, metrics = case(name)
    assert rc != 0, (name, err[-2000:])
    assert len(events) == 1 and events[0]["action"] == "stop" and events[0]["event"] in checks, (name, events)
    s = events[0]["step"]
    assert step is None or s == step, (name, events)
    good = f"{tmp}/{name}/checkpoints/step_{(s - 2) // 2 * 2:06d}"  # before the step whose update it saw
    assert events[0]["last_good_checkpoint"] == good, (name, events[0], good)
    assert f"watchdog: step {s}: " in err and "the run stopped" in err and good in err, (name, err[-1500:])
    assert [m["step"] for m in metrics] == list(range(1, s)), (name, [m["step"] for m in metrics])
    print(f"{name}: stopped at step {s} ({events[0]['event']}: {events[0]['message']}), naming {good.split('/')[-1]}")

for name, step, checks in (("nan_rollback", 5, {"nonfinite"}), ("lr_rollback", None, spikes)):
    rc, err, events, metrics = case(name)
    assert rc == 0, (name, err[-2000:])
    rolls = [e for e in events if e["action"] == "rollback"]
    assert rolls and rolls[0]["event"] in checks and rolls[0]["lr_scale"] == 0.5, (name, events)
    s = rolls[0]["step"]
    assert step is None or s == step, (name, events)
    assert rolls[0]["checkpoint"].endswith(f"step_{(s - 2) // 2 * 2:06d}"), (name, rolls[0])
    assert [m["step"] for m in metrics] == list(range(1, 11)), (name, [m["step"] for m in metrics])
    for m in metrics:
        assert all(math.isfinite(m[k]) for k in ("loss", "grad_norm", "kl", "reward_mean")), (name, m)
    back = (s - 2) // 2 * 2
    for m in metrics[back:]:
        assert abs(m["learning_rate"] - 0.0003 * 0.5 ** len(rolls)) < 1e-12 or len(rolls) > 1, (name, m["step"], m["learning_rate"])
    assert json.load(open(f"{tmp}/{name}/summary.json"))["steps"] == 10
    page = open(f"{tmp}/{name}/report.html").read()
    assert "Events" in page and rolls[0]["event"] in page, name
    print(f"{name}: step {s} tripped {rolls[0]['event']} ({rolls[0]['message']}); rolled back to step {back} "
          f"at half the learning rate; {len(rolls)} rollback(s); finished 10 steps")
print("watchdog ok")
PY
