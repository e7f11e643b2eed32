#!/usr/bin/env bash
# The main job: installs (scripts/setup.sh), builds, then runs a tiny R1-Zero experiment on CPU:
# pretrain a tiny base model (cached: a second run skips it), write its prompts as dataset files, then GRPO
# with verifier rewards only, through the same `aha train` as any Hugging Face checkpoint.
# Extra arguments are passed to both aha commands, e.g. scripts/demo.sh --set rl.steps=100
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${AHA_DEMO_CONFIG:-examples/tiny_r1_zero.json}
scripts/setup.sh
AHA_BUILD_TARGETS=aha scripts/build.sh
start=$(date +%s)
build/cli/aha pretrain "$CONFIG" "$@"
build/cli/aha data "$CONFIG" "$@"
build/cli/aha train "$CONFIG" "$@"
echo "demo: pretrain + RL took $(( $(date +%s) - start )) s"
