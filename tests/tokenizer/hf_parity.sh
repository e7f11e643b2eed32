#!/usr/bin/env bash
# Token-for-token parity of aha's tokenizer with Hugging Face tokenizers on the Qwen2.5, Qwen3 and
# DeepSeek-V3 tokenizer.json files, over a corpus of dataset text and generated hard cases; also decode.
# Usage: hf_parity.sh PYTHON AHA_BINARY
set -euo pipefail
PY=$1
AHA=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$PY" "$here/scripts/ref/tokenizer_parity.py" corpus "$dir"
status=0
for name in qwen2_5 qwen3 deepseek_v3; do
    tok=$here/tests/data/tokenizers/$name/tokenizer.json
    "$AHA" tokenize --tokenizer "$tok" --jsonl < "$dir/corpus.jsonl" > "$dir/$name.ids.jsonl"
    "$AHA" tokenize --tokenizer "$tok" < "$dir/invalid.txt" > "$dir/$name.invalid.jsonl"
    "$AHA" tokenize --tokenizer "$tok" --decode < "$dir/$name.ids.jsonl" > "$dir/$name.decoded.jsonl"
    "$PY" "$here/scripts/ref/tokenizer_parity.py" check "$dir" "$tok" "$name" || status=1
done
exit $status
