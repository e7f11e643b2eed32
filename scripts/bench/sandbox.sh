#!/usr/bin/env bash
# Sandbox throughput: executions per second of a trivial Python program (`pass`, one stdin/stdout test)
# through `aha verify code` (strict sandbox, one worker) against bare `python3 -c pass` spawned in a shell
# loop, on the same machine in one run; then both with one process per core. Then the wall time of the
# MBPP (427), HumanEval (164) and LeetCode (200) reference solutions through the default worker pool.
# Prints a markdown summary.
# Usage: scripts/bench/sandbox.sh [N=300]        AHA_BENCH_NO_BUILD=1 uses build/cli/aha as it is
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-300}
PY=/usr/bin/python3
[ -n "${AHA_BENCH_NO_BUILD:-}" ] || AHA_BUILD_TARGETS=aha scripts/build.sh >/dev/null
AHA=build/cli/aha
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cores=$(nproc)

now() { date +%s.%N; }
rate() { echo "scale=1; $1 / ($3 - $2)" | bc; }

"$PY" -c "
import json
for i in range($N):
    print(json.dumps({'program': 'pass', 'tests': {'inputs': [''], 'outputs': ['']}}))" > "$tmp/trivial.jsonl"

# Warm both paths once (page cache), then time them back to back.
"$PY" -c pass
head -5 "$tmp/trivial.jsonl" > "$tmp/warm.jsonl" && "$AHA" verify code --jsonl "$tmp/warm.jsonl" --workers 1 > /dev/null

t0=$(now); for _ in $(seq "$N"); do "$PY" -c pass; done; t1=$(now)
"$AHA" verify code --jsonl "$tmp/trivial.jsonl" --workers 1 > "$tmp/out1.jsonl"; t2=$(now)
bare1=$(rate "$N" "$t0" "$t1"); box1=$(rate "$N" "$t1" "$t2")
accepted=$(grep -c '"verdict":"accepted"' "$tmp/out1.jsonl" || true)

t3=$(now); seq "$N" | xargs -P "$cores" -I{} "$PY" -c pass; t4=$(now)
"$AHA" verify code --jsonl "$tmp/trivial.jsonl" --workers "$cores" > /dev/null; t5=$(now)
bareP=$(rate "$N" "$t3" "$t4"); boxP=$(rate "$N" "$t4" "$t5")

for d in mbpp humaneval leetcode; do .venv/bin/python scripts/ref/code_tasks.py "$d" > "$tmp/$d.jsonl"; done
declare -A wall ok total
for d in mbpp humaneval leetcode; do
    s=$(now); "$AHA" verify code --jsonl "$tmp/$d.jsonl" > "$tmp/$d.out"; e=$(now)
    wall[$d]=$(echo "scale=1; ($e - $s) / 1" | bc)
    ok[$d]=$(grep -c '"verdict":"accepted"' "$tmp/$d.out" || true)
    total[$d]=$(wc -l < "$tmp/$d.jsonl")
done

echo "# Sandbox throughput ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r))"
echo
echo "| | bare \`python3 -c pass\` | through \`aha verify code\` (strict sandbox) | ratio |"
echo "|---|---|---|---|"
echo "| one at a time | $bare1 /s | $box1 /s ($accepted of $N accepted) | $(echo "scale=1; 100 * $box1 / $bare1" | bc)% |"
echo "| $cores at a time | $bareP /s | $boxP /s | $(echo "scale=1; 100 * $boxP / $bareP" | bc)% |"
echo
echo "| data set (reference solutions) | accepted | wall time, $cores workers |"
echo "|---|---|---|"
for d in mbpp humaneval leetcode; do echo "| $d | ${ok[$d]} of ${total[$d]} | ${wall[$d]} s |"; done
