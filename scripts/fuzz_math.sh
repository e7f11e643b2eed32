#!/usr/bin/env bash
# Fuzzes the math verifier with libFuzzer under AddressSanitizer and UndefinedBehaviorSanitizer (Debian's
# clang). The seed corpus is every gold/prediction pair of tests/data/math_verify_cases and the inputs of
# earlier findings (tests/data/math_fuzz_regressions).
# Usage: scripts/fuzz_math.sh [SECONDS=600]   Findings are written to build-fuzz/findings/ and fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-600}
out=build-fuzz
mkdir -p "$out/corpus" "$out/findings"
CXX=${CXX_FUZZ:-$(command -v clang++ || command -v clang++-14)}
[ -n "$CXX" ] || { echo "fuzz_math.sh: needs clang++ (scripts/setup.sh installs it)"; exit 1; }
sources=(core/strings.cpp verifiers/math/expr.cpp verifiers/math/normalize.cpp verifiers/math/lexer.cpp verifiers/math/parser.cpp verifiers/math/bigcomplex.cpp verifiers/math/evaluate.cpp verifiers/math/surd.cpp
         verifiers/math/compare.cpp verifiers/math/extract.cpp verifiers/math/verify.cpp tests/verifiers/math_fuzz.cpp)
if [ ! -x "$out/math_fuzz" ] || [ -n "$(find "${sources[@]}" verifiers/math -newer "$out/math_fuzz" -print -quit)" ]; then
    echo "[fuzz] building $out/math_fuzz"
    "$CXX" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. \
        "${sources[@]}" -lgmpxx -lmpc -lmpfr -lgmp -o "$out/math_fuzz"
fi
cp tests/data/math_fuzz_regressions/* "$out/corpus/"
python3 - "$out/corpus" <<'PY'
import json, sys, hashlib, os
out = sys.argv[1]
for line in open("tests/data/math_verify_cases/cases.jsonl"):
    c = json.loads(line)
    data = (c["gold"] + "\n" + c["pred"]).encode()
    with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)
PY
echo "[fuzz] running for ${SECONDS_TO_RUN} s"
"$out/math_fuzz" "$out/corpus" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$out/findings/" -print_final_stats=1
