#!/usr/bin/env bash
# The code verifier on real data sets: the reference solutions of HumanEval (164), sanitized MBPP (427)
# and LeetCode (200) must be accepted, apart from the documented list below; and on one-edit mutants of
# them (a flipped comparison, a constant off by one, + turned into -), aha must accept exactly the
# mutants whose tests also pass in a plain interpreter (scripts/ref/code_tasks.py reference). The
# stdin/stdout sets (CodeContests, Codeforces) have no solutions: a program that looks the expected
# output up by its input must pass every test, and the same program printing one line more none.
# Usage: tests/verifiers/code_datasets.sh AHA PYTHON
set -euo pipefail
AHA=$1
PY=$2
cd "$(dirname "$0")/../.."
if ! unshare --user --pid --mount --net --ipc --uts --fork true 2>/dev/null; then
    echo "SKIP: this host forbids user namespaces; the strict sandbox cannot run here"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Reference solutions that cannot pass here, and why.
#   leetcode/126: imports sortedcontainers, a third-party package the sandbox's Python does not have.
known_broken='["leetcode/126"]'
for d in humaneval mbpp leetcode; do
    "$PY" scripts/ref/code_tasks.py "$d" >> "$tmp/canonical.jsonl"
    "$PY" scripts/ref/code_tasks.py "$d" --mutate >> "$tmp/mutants.jsonl"
done
for d in code_contests codeforces; do
    "$PY" scripts/ref/code_tasks.py "$d" >> "$tmp/stdio.jsonl"
    "$PY" scripts/ref/code_tasks.py "$d" --mutate >> "$tmp/stdio_mutants.jsonl"
done
"$AHA" verify code --jsonl "$tmp/stdio.jsonl" > "$tmp/stdio.out"
"$AHA" verify code --jsonl "$tmp/stdio_mutants.jsonl" --fail-fast > "$tmp/stdio_mutants.out"
start=$(date +%s.%N)
"$AHA" verify code --jsonl "$tmp/canonical.jsonl" > "$tmp/canonical.out"
end=$(date +%s.%N)
"$AHA" verify code --jsonl "$tmp/mutants.jsonl" --timeout 5 --cpu 5 > "$tmp/mutants.out"
"$PY" scripts/ref/code_tasks.py reference "$tmp/mutants.jsonl" > "$tmp/mutants.ref"
"$PY" - "$tmp" "$known_broken" "$(echo "$end - $start" | bc)" <<'PY'
import json, sys, collections
tmp, known, seconds = sys.argv[1], set(json.loads(sys.argv[2])), float(sys.argv[3])
out = [json.loads(l) for l in open(tmp + "/canonical.out")]
by_set = collections.Counter(x["id"].split("/")[0] for x in out)
failed = sorted(x["id"] for x in out if x["verdict"] != "accepted")
print("reference solutions: %d of %d accepted in %.1f s (%s); not accepted: %s"
      % (len(out) - len(failed), len(out), seconds, dict(by_set), failed))
ok = set(failed) == known
if not ok:
    print("FAIL: expected exactly these not accepted:", sorted(known))
# Mutants slow enough to reach 5 s on either side (under load, either may) are not compared.
ref = {json.loads(l)["id"]: json.loads(l)["passed"] for l in open(tmp + "/mutants.ref")}
verdicts = {x["id"]: x["verdict"] for x in map(json.loads, open(tmp + "/mutants.out"))}
aha = {k: v == "accepted" for k, v in verdicts.items()}
slow = {k for k in ref if ref[k] is None or verdicts.get(k) == "time_limit"}
wrong = sorted(k for k in ref if k not in slow and ref[k] != aha.get(k))
killed = sum(not v for v in aha.values())
print("mutants: %d, failed by aha %d, survivors %d; the plain interpreter agrees on %d of %d (%d too slow to compare)"
      % (len(aha), killed, len(aha) - killed, len(ref) - len(slow) - len(wrong), len(ref) - len(slow), len(slow)))
if wrong or len(aha) != len(ref):
    print("FAIL: aha and the plain interpreter disagree on", wrong[:20])
    ok = False
stdio = [json.loads(l) for l in open(tmp + "/stdio.out")]
stdio_mut = [json.loads(l) for l in open(tmp + "/stdio_mutants.out")]
bad = [x["id"] for x in stdio if x["verdict"] != "accepted"] + [x["id"] for x in stdio_mut if x["verdict"] != "wrong_answer"]
print("stdin/stdout: %d problems (%d tests) accepted by their lookup programs, %d of %d one-line-more versions failed"
      % (sum(x["verdict"] == "accepted" for x in stdio), sum(x["total"] for x in stdio),
         sum(x["verdict"] == "wrong_answer" for x in stdio_mut), len(stdio_mut)))
if bad or len(stdio) != len(stdio_mut):
    print("FAIL: stdin/stdout judging went wrong on", bad[:20])
    ok = False
sys.exit(0 if ok else 1)
PY
