#!/usr/bin/env bash
# The aha command on bad input: one clear line naming the key or path, non-zero exit, no stack dump,
# nothing half-written. Usage: bad_input.sh AHA_BINARY
set -uo pipefail
AHA=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
config=$here/examples/tiny_r1_zero.json
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
cd "$tmp"  # the demo config's data paths (runs/cache/tiny_data/...) are relative: they land here
failures=0

# expect_error DESCRIPTION EXPECTED_SUBSTRING COMMAND...: the output, progress lines aside, is the error line and at
# most a hint line
expect_error() {
    local what=$1 want=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    out=$(grep -v '^\[aha ' <<<"$out")  # progress lines ("[aha  0.1s] ...") are not errors
    if [ $rc -eq 0 ]; then
        echo "FAIL $what: exit 0"; failures=$((failures + 1)); return
    fi
    if ! grep -qF -- "$want" <<<"$out"; then
        echo "FAIL $what: expected '$want' in:"; echo "$out"; failures=$((failures + 1)); return
    fi
    if [ "$(grep -c . <<<"$out")" -gt 2 ] || grep -qiE "backtrace|terminate called|frame #" <<<"$out"; then
        echo "FAIL $what: more than one error line and a hint:"; echo "$out"; failures=$((failures + 1)); return
    fi
    echo "ok   $what: $(head -1 <<<"$out")"
}

expect_error "unknown key" "rl.loss.clip_hihg: unknown key; did you mean clip_high?" \
    "$AHA" train "$config" --set rl.loss.clip_hihg=0.3
expect_error "wrong type" "rl.group_size: expected an integer, got a string" \
    "$AHA" train "$config" --set rl.group_size=many
expect_error "out of range" "rl.sampling.temperature: expected >= 0" \
    "$AHA" train "$config" --set rl.sampling.temperature=-1
expect_error "unknown estimator" "valid names: grpo, dr_grpo, rloo" \
    "$AHA" train "$config" --set rl.advantage=ppo
expect_error "missing config file" "$tmp/nope.json: cannot open" \
    "$AHA" train "$tmp/nope.json"
expect_error "unknown rollout correction mode" "rl.loss.tis.mode: unknown 'tokens'; valid names: off, token_truncate" \
    "$AHA" train "$config" --set rl.loss.tis.mode=tokens
expect_error "dynamic sampling cap" "rl.dynamic_sampling.max_rounds: expected >= 1" \
    "$AHA" train "$config" --set rl.dynamic_sampling.max_rounds=0
printf '{"extends": "missing_base.json"}\n' > "$tmp/child.json"
expect_error "missing base config" "$tmp/child.json: extends: $tmp/missing_base.json: cannot open" \
    "$AHA" train "$tmp/child.json"
printf '{"extends": "child2.json"}\n' > "$tmp/child1.json"
printf '{"extends": "child1.json"}\n' > "$tmp/child2.json"
expect_error "config extends cycle" "extends cycle" "$AHA" train "$tmp/child1.json"
printf '{"gold": "1", "pred": "1"}\n{"gold": 1}\n' > "$tmp/verify.jsonl"
expect_error "verify bad line" "$tmp/verify.jsonl:2: expected {\"gold\": text, \"pred\": text}" \
    "$AHA" verify math --jsonl "$tmp/verify.jsonl"
expect_error "verify unknown verifier" "unknown verifier 'lean'; valid: math, code" "$AHA" verify lean --gold 1 --pred 1
expect_error "verify code flag" "unknown argument --gold for 'aha verify code'" "$AHA" verify code --gold 1
printf '{"program": "print(1)", "tests": {"inputs": ["1"], "outputs": ["1"]}}\n{"program": "x", "tests": {"inputs": ["1"]}}\n' > "$tmp/code.jsonl"
expect_error "verify code bad line" "$tmp/code.jsonl:2: tests: expected both \"inputs\" and \"outputs\"" \
    "$AHA" verify code --jsonl "$tmp/code.jsonl"
printf '{"program": "x", "tests": {"inputs": ["1"], "outputs": ["1"]}, "lang": "py"}\n' > "$tmp/code2.jsonl"
expect_error "verify code unknown key" "$tmp/code2.jsonl:1: unknown key \"lang\"" "$AHA" verify code --jsonl "$tmp/code2.jsonl"
expect_error "verify code bad reward" "aha verify code.reward: unknown 'best'" "$AHA" verify code --jsonl "$tmp/code.jsonl" --reward best
expect_error "verify without input" "expected --jsonl FILE, or both --gold and --pred" "$AHA" verify math --gold 1
printf '{\n  "rl": {\n    "steps": 3,\n  }\n}\n' > "$tmp/bad.json"
expect_error "JSON syntax error" "$tmp/bad.json:4:" "$AHA" train "$tmp/bad.json"
expect_error "missing base checkpoint" "no checkpoint there" \
    "$AHA" train "$config" --set model.path="$tmp/no_base" --set run_dir="$tmp/run"
# A real (one-step) base checkpoint, so that the run directory is what fails.
"$AHA" pretrain "$config" --set pretrain.steps=1 --set model.path="$tmp/base" --set threads=1 >/dev/null 2>&1 \
    || { echo "FAIL: one-step pretrain"; failures=$((failures + 1)); }
"$AHA" data "$config" --set demo_data.train_prompts=50 >/dev/null 2>&1 || { echo "FAIL: aha data"; failures=$((failures + 1)); }
mkdir -p "$tmp/ro" && chmod a-w "$tmp/ro"
if [ "$(id -u)" -ne 0 ]; then
    expect_error "unwritable run dir" "$tmp/ro/run" \
        "$AHA" train "$config" --set run_dir="$tmp/ro/run" --set model.path="$tmp/base"
fi
: > "$tmp/file"
expect_error "run dir under a file" "$tmp/file: exists and is not a directory" \
    "$AHA" train "$config" --set run_dir="$tmp/file/run" --set model.path="$tmp/base"
# Bad data: one line naming the file, the line or row, and the key; nothing is trained (no run directory).
base=(--set model.path="$tmp/base" --set run_dir="$tmp/run")
printf '{"prompt": "?1a", "answer": "b"}\n{"prompt": "?1b", \n' > "$tmp/broken.jsonl"
expect_error "data line not JSON" "$tmp/broken.jsonl:2: not a JSON line" \
    "$AHA" train "$config" "${base[@]}" --set data.train.0.path="$tmp/broken.jsonl"
printf '{"prompt": "?1a", "answer": "b"}\n{"prompt": "?1b"}\n' > "$tmp/nokey.jsonl"
expect_error "data missing key" "$tmp/nokey.jsonl:2: no field 'answer' (the row has: prompt)" \
    "$AHA" train "$config" "${base[@]}" --set data.train.0.path="$tmp/nokey.jsonl"
: > "$tmp/empty.jsonl"
expect_error "data empty file" "$tmp/empty.jsonl: no rows" "$AHA" train "$config" "${base[@]}" --set data.train.0.path="$tmp/empty.jsonl"
expect_error "data missing file" "$tmp/none.jsonl: no such file" "$AHA" train "$config" "${base[@]}" --set data.train.0.path="$tmp/none.jsonl"
head -c 300 "$here/datasets/data/countdown_test.parquet" > "$tmp/cut.parquet"
expect_error "data truncated parquet" "$tmp/cut.parquet: not a readable Parquet file" \
    "$AHA" train "$config" "${base[@]}" --set data.train.0.path="$tmp/cut.parquet"
expect_error "data unknown key" "data.train[0].prompt_kee: unknown key; did you mean prompt_key" \
    "$AHA" train "$config" "${base[@]}" --set data.train.0.prompt_kee=q
expect_error "data unknown preset" "data.train[0].preset: unknown 'gsm9k'" "$AHA" train "$config" "${base[@]}" --set data.train.0.preset=gsm9k
expect_error "prompt too long" "prompts is longer than max_prompt_tokens 2" \
    "$AHA" train "$config" "${base[@]}" --set data.train.0.max_prompt_tokens=2
expect_error "chat template unknown" "tokenizer_config.json" "$AHA" train "$config" "${base[@]}" --set prompt_template=chat
expect_error "system prompt without chat" "system_prompt" "$AHA" train "$config" "${base[@]}" --set system_prompt=hi
expect_error "eval greedy n>1" "data.eval[0].n: n > 1 needs temperature > 0" "$AHA" train "$config" "${base[@]}" --set data.eval.0.n=4
expect_error "set index out of range" "data.train is a list of 1 items" "$AHA" train "$config" "${base[@]}" --set data.train.3.path=x
expect_error "eval no suites" "no evaluation suites" "$AHA" eval --model "$tmp/base"
expect_error "unknown command" "unknown command 'trian'" "$AHA" trian "$config"
expect_error "unknown option" "unknown option --sett" "$AHA" train "$config" --sett x=1
mkdir -p "$tmp/corrupt" && echo '{"model_type": "llama"}' > "$tmp/corrupt/config.json"
expect_error "corrupt checkpoint config" "missing key vocab_size" \
    "$AHA" eval "$config" --model "$tmp/corrupt"
if [ -e "$tmp/run" ]; then echo "FAIL: a run directory was left behind by a failed start"; failures=$((failures + 1)); fi
"$AHA" --help | grep -q "usage: aha" || { echo "FAIL --help"; failures=$((failures + 1)); }
"$AHA" train --help | grep -q "metrics.jsonl" || { echo "FAIL train --help"; failures=$((failures + 1)); }
# aha export
model=$tmp/model
mkdir -p "$model"
cp "$here/tests/data/models/verl_tiny_llama/"{config.json,model.safetensors} "$model/"
chmod u+w "$model"/*
expect_error "export without --out" "missing --out DIR" "$AHA" export "$model"
expect_error "export bad dtype" "--dtype: dtype 'int8' is not supported" "$AHA" export "$model" --out "$tmp/x" --dtype int8
expect_error "export bad shard size" "--max-shard-size: 'lots' is not a size" \
    "$AHA" export "$model" --out "$tmp/x" --max-shard-size lots
mkdir -p "$tmp/noweights" && cp "$model/config.json" "$tmp/noweights/"
expect_error "export missing weights" "no model.safetensors or model.safetensors.index.json" \
    "$AHA" export "$tmp/noweights" --out "$tmp/x"
sed -i 's/"llama"/"mamba"/' "$model/config.json"
expect_error "export unknown model_type" "model_type 'mamba' is not supported; supported: llama, qwen2, qwen3" \
    "$AHA" export "$model" --out "$tmp/x"
sed -i 's/"mamba"/"llama"/; s/"hidden_act": "silu"/"hidden_act": "gelu"/' "$model/config.json"
expect_error "export unsupported activation" "config.json: hidden_act: 'gelu' is not supported; expected silu" \
    "$AHA" export "$model" --out "$tmp/x"
sed -i 's/"gelu"/"silu"/' "$model/config.json"
head -c 100000 "$here/tests/data/models/verl_tiny_llama/model.safetensors" > "$model/model.safetensors"
expect_error "export truncated weights" "file truncated?" "$AHA" export "$model" --out "$tmp/x"
[ ! -e "$tmp/x/model.safetensors" ] || { echo "FAIL: a failed export left weights behind"; failures=$((failures + 1)); }

# aha tokenize
qwen=$here/tests/data/tokenizers/qwen3
expect_error "tokenize without --tokenizer" "missing --tokenizer PATH" "$AHA" tokenize
expect_error "tokenize missing file" "$tmp/none/tokenizer.json: cannot open" \
    sh -c "echo hi | '$AHA' tokenize --tokenizer '$tmp/none/tokenizer.json'"
echo '{"model": {"type": "WordPiece"}}' > "$tmp/wp.json"
expect_error "tokenize unsupported model" "$tmp/wp.json: model: type 'WordPiece' is not supported; supported: BPE" \
    sh -c "echo hi | '$AHA' tokenize --tokenizer '$tmp/wp.json'"
head -c 5000 "$qwen/tokenizer.json" > "$tmp/cut.json"
expect_error "tokenize truncated json" "$tmp/cut.json:" sh -c "echo hi | '$AHA' tokenize --tokenizer '$tmp/cut.json'"
expect_error "tokenize bad jsonl line" "stdin:2: expected a JSON object with a \"text\" string" \
    sh -c "printf '{\"text\": \"a\"}\n{\"txt\": 1}\n' | '$AHA' tokenize --tokenizer '$qwen' --jsonl"
expect_error "decode id out of range" "stdin:1: token id 999999 is not in the vocabulary (0..151668)" \
    sh -c "echo '{\"ids\": [1, 999999]}' | '$AHA' tokenize --tokenizer '$qwen' --decode"

# aha generate
tiny=$here/tests/data/models/verl_tiny_llama
printf '{"prompt_ids": [3, 4]}\n' > "$tmp/ok.jsonl"
printf '{"prompt_ids": [3, 4]}\n{"prompt_ids": [3, 99]}\n' > "$tmp/range.jsonl"
printf '{"prompt": "hello"}\n' > "$tmp/text.jsonl"
printf '{"prompt_ids": [3]}\n{"prmpt": 1}\n' > "$tmp/badkey.jsonl"
expect_error "generate without --model" "missing --model DIR" "$AHA" generate --prompts "$tmp/ok.jsonl"
expect_error "generate id out of range" "range.jsonl:2: prompt_ids: 99 is not a token id of this model (0..15)" \
    "$AHA" generate --model "$tiny" --prompts "$tmp/range.jsonl"
expect_error "generate text without tokenizer" "text.jsonl:1: a text prompt needs the model's tokenizer" \
    "$AHA" generate --model "$tiny" --prompts "$tmp/text.jsonl"
expect_error "generate bad line" "badkey.jsonl:2: expected {\"prompt\": text} or {\"prompt_ids\": [ids]}" \
    "$AHA" generate --model "$tiny" --prompts "$tmp/badkey.jsonl"
expect_error "generate bad number" "--temperature: expected a number, got 'hot'" \
    "$AHA" generate --model "$tiny" --prompts "$tmp/ok.jsonl" --temperature hot
expect_error "generate bad range" "sampling.top_p: expected in (0, 1] (1 = off)" \
    "$AHA" generate --model "$tiny" --prompts "$tmp/ok.jsonl" --top-p 1.5
expect_error "generate too long" "--max-tokens: the longest prompt (2 tokens) + 5000 new tokens exceeds the model's max_position_embeddings (2048)" \
    "$AHA" generate --model "$tiny" --prompts "$tmp/ok.jsonl" --max-tokens 5000
expect_error "generate bad block size" "engine.block_size: expected 1..1024" \
    "$AHA" generate --model "$tiny" --prompts "$tmp/ok.jsonl" --block-size 0
expect_error "generate cache too small" "needs 3 KV blocks and the cache has 1; raise engine.kv_cache_bytes" \
    "$AHA" generate --model "$tiny" --prompts "$tmp/ok.jsonl" --max-tokens 40 --block-size 16 --kv-cache-memory 40KB

[ $failures -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all bad-input checks passed"
