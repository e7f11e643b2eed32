#!/usr/bin/env bash
# `aha verify math` end to end: one pair, and a JSONL file whose verdicts come back in order.
# Usage: verify_smoke.sh AHA_BINARY PYTHON
set -euo pipefail
AHA=$1
PY=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$AHA" verify math --gold '\frac{1}{2}' --pred 'So the answer is $\boxed{0.5}$.' >"$tmp/one.jsonl"
cat >"$tmp/in.jsonl" <<'JSONL'
{"gold": "\\frac{1}{2}", "pred": "0.5"}
{"gold": "(1, 2]", "pred": "The interval is $[1, 2]$."}

{"gold": "\\{1, 2, 3\\}", "pred": "\\boxed{3, 2, 1}"}
{"gold": "72", "pred": "She earns 72 dollars.\n#### 72"}
JSONL
"$AHA" verify math --jsonl "$tmp/in.jsonl" >"$tmp/out.jsonl"
"$PY" - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
one = [json.loads(l) for l in open(f"{tmp}/one.jsonl")]
assert len(one) == 1 and one[0]["correct"] and one[0]["extracted_pred"] == "0.5", one
out = [json.loads(l) for l in open(f"{tmp}/out.jsonl")]
assert [v["correct"] for v in out] == [True, False, True, True], out
assert out[1]["reason"], out[1]
for v in out:
    assert set(v) == {"correct", "answer_found", "extracted_gold", "extracted_pred", "parsed_gold", "parsed_pred", "reason"}, v
print("verify smoke ok")
PY
