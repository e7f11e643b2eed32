#!/usr/bin/env bash
# Math verifier corpus proof and speed: aha vs math-verify 0.9.0, single thread each, on equivalent rewrites
# and near misses of 7,866 real gold answers (tests/data/math_answers/answers.jsonl). Prints a markdown
# summary; per-pair results go to OUT. See scripts/bench/math_verify.py for the corpus.
# Usage: scripts/bench/math_verify.sh [--out OUT] [--max-pairs N] [--seed S]
#   defaults: /tmp/math_verify_bench.jsonl, 20000 pairs, seed 0
#        AHA_BENCH_NO_BUILD=1 ... uses build/cli/aha as it is
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${AHA_BENCH_NO_BUILD:-}" ] || AHA_BUILD_TARGETS=aha scripts/build.sh >/dev/null
OMP_NUM_THREADS=1 .venv/bin/python scripts/bench/math_verify.py run --aha build/cli/aha "$@"
