// `aha-torch`: the `aha` commands that need LibTorch (pretrain, train, eval, export, generate, tokenize).
// `aha` itself (cli/front.cpp) runs `verify` without loading LibTorch and hands every other command to
// this program. Every error is one line naming the file/key/path, exit code 2.
#include <c10/util/Exception.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/generate.h"
#include "cli/tokenize.h"
#include "core/error.h"
#include "core/files.h"
#include "policy/checkpoint.h"

namespace {

using aha::cli::to_int;
using aha::cli::to_number;

const char* kUsage =
    "usage: aha <command> [options]\n"
    "\n"
    "commands:\n"
    "  train CONFIG [--set key=value]... [--resume [DIR]]  GRPO on model.path with data.train (any checkpoint, any data)\n"
    "  eval [CONFIG] [--model DIR] [--data SUITE]...    evaluate a checkpoint: accuracy, pass@k, maj@k\n"
    "  pretrain CONFIG [--set key=value]... [--force]   pretrain the tiny demo's base model (cached by settings)\n"
    "  data CONFIG [--set key=value]...                 write the tiny demo's prompts as dataset files\n"
    "  export CHECKPOINT --out DIR [--dtype D] [--max-shard-size S]  write a Hugging Face model directory\n"
    "  generate --model DIR --prompts FILE.jsonl [options]  sample completions, one JSON line each\n"
    "  tokenize --tokenizer PATH [--jsonl] [--add-special-tokens] [--decode [--skip-special-tokens]]\n"
    "                                                   encode stdin lines to token ids (or decode)\n"
    "  report RUN_DIR [--out FILE]                      one HTML page of a run: curves, evaluations, samples\n"
    "  verify math (--jsonl FILE | --gold G --pred P)   grade answers with the math verifier\n"
    "  verify code --jsonl FILE                         run programs against their tests in the sandbox\n"
    "\n"
    "Run 'aha <command> --help' for details.\n";

const char* kPretrainHelp =
    "usage: aha pretrain CONFIG [--set key=value]... [--force]\n"
    "The tiny demo: pretrains a base model (pretrain.model) on the task's corpus (single-hop facts and one-hop\n"
    "questions, never a multi-hop chain) and saves it to model.path with a standard tokenizer.json. Skipped when\n"
    "a checkpoint made with the same settings exists.\n"
    "  --set key=value   override any config key, e.g. --set pretrain.steps=500\n"
    "  --force           pretrain again even if a matching checkpoint exists\n";

const char* kDataHelp =
    "usage: aha data CONFIG [--set key=value]...\n"
    "The tiny demo: writes the task's prompts to demo_data.dir as dataset files (train.jsonl and\n"
    "heldout_<k>hop.jsonl, lines {\"prompt\", \"answer\", \"hops\"}), which the demo config's data reads.\n";

const char* kTrainHelp =
    "usage: aha train CONFIG [--set key=value]... [--resume [CHECKPOINT_DIR]] [--resume-force]\n"
    "Runs GRPO from model.path (a Hugging Face checkpoint directory) on data.train, with verifier rewards only,\n"
    "evaluating data.eval at step 0, every eval.every steps and at the end. Writes to run_dir: config.json\n"
    "(resolved), metrics.jsonl (one JSON object per step), samples.jsonl (one group per step: the prompt as the\n"
    "policy saw it, completions, rewards, verdicts), eval.jsonl (one line per suite and evaluation),\n"
    "eval_samples.jsonl (every evaluation sample), summary.json, chart.svg and checkpoint/ (a Hugging Face\n"
    "directory), and with checkpoint.every, checkpoints/step_NNNNNN. See README, \"Fine-tune open weights\", for\n"
    "the config keys, and \"Checkpoints and resume\".\n"
    "  --set key=value   override any config key, e.g. --set rl.loss.aggregation=token_mean\n"
    "  --resume [DIR]    continue from the newest complete checkpoint of run_dir (falling back to older ones\n"
    "                    when one is damaged), or from checkpoint DIR; the config must be the run's except\n"
    "                    rl.steps, eval.every, eval.show_samples, checkpoint.*, log.*, run_dir, description\n"
    "  --resume-force    resume although other keys changed (each change is logged)\n";

const char* kEvalHelp =
    "usage: aha eval [CONFIG] [--model DIR] [--data PRESET|FILE]... [options]\n"
    "Evaluates a checkpoint on suites (the config's data.eval, or --data: a preset such as math500, aime24,\n"
    "gsm8k_test, or a .jsonl/.parquet file in verl's layout) without training; prints a table and one JSON line\n"
    "of metrics per suite (accuracy = mean@n, pass@k, maj@k for k up to n, lengths, truncation).\n"
    "  --model DIR              the checkpoint (default: the config's model.path)\n"
    "  --data SUITE             repeatable; replaces the config's suites\n"
    "  --n N                    samples per prompt (needs --temperature > 0 when N > 1)\n"
    "  --temperature T          0 = greedy\n"
    "  --max-new-tokens N       --max-prompts N (a fixed subset)\n"
    "  --prompt-template NAME   chat (default), a named template, or a string with {prompt}\n"
    "  --system-prompt TEXT     with the chat template\n"
    "  --dtype D  --threads N   --out DIR (writes eval.jsonl and eval_samples.jsonl there)\n"
    "  --set key=value          override a key of CONFIG\n";

const char* kExportHelp =
    "usage: aha export CHECKPOINT --out DIR [--dtype auto|float32|bfloat16|float16] [--max-shard-size 5GB]\n"
    "Loads a checkpoint directory (a run's RUN_DIR/checkpoint, or any supported Hugging Face model) and writes\n"
    "config.json + safetensors (sharded with model.safetensors.index.json above --max-shard-size) to DIR,\n"
    "with the tokenizer and generation files, for transformers.AutoModelForCausalLM or vLLM to load.\n"
    "  --dtype           cast the weights (default auto: keep the stored dtype)\n"
    "  --max-shard-size  e.g. 5GB (default), 500MB, or a byte count\n";

const char* kTokenizeHelp =
    "usage: aha tokenize --tokenizer PATH [--jsonl] [--add-special-tokens] [--decode [--skip-special-tokens]]\n"
    "Reads stdin to the end and writes one JSON line per input line, in order, with a Hugging Face\n"
    "tokenizer.json (PATH is the file or a directory holding it).\n"
    "  (default)              each line (without its newline) -> {\"ids\": [...]}\n"
    "  --jsonl                each line is a JSON object with a \"text\" field\n"
    "  --add-special-tokens   apply the post-processor template (e.g. Llama-3's <|begin_of_text|>); special-token\n"
    "                         strings inside the text are recognised either way, as in tokenizers\n"
    "  --decode               each line is {\"ids\": [...]} -> {\"text\": ...}\n"
    "  --skip-special-tokens  with --decode, leave special tokens out\n";

const char* kGenerateHelp =
    "usage: aha generate --model DIR --prompts FILE.jsonl [options]\n"
    "Samples completions with a checkpoint directory. Each input line is {\"prompt\": text} (needs the model's\n"
    "tokenizer.json or aha_tokenizer.json) or {\"prompt_ids\": [ids]}. Writes one JSON line per completion, in\n"
    "input order with the n samples of a prompt consecutive: prompt_index, sample_index, token_ids,\n"
    "text (with a tokenizer), finish_reason (stop|length), stop_reason, logprobs (with --logprobs).\n"
    "  --n N               completions per prompt (1)\n"
    "  --temperature T     0 = greedy (1)\n"
    "  --top-p P           (1 = off)    --top-k K (0 = off)    --min-p P (0 = off)\n"
    "  --max-tokens M      new tokens per completion (64)\n"
    "  --stop S            stop string, repeatable: the text is cut before it\n"
    "  --stop-token-id ID  extra end token, repeatable\n"
    "  --ignore-eos        do not stop at the model's end tokens\n"
    "  --seed S            sampling seed (0)\n"
    "  --logprobs          each token's log-prob under softmax(logits / T), before top-k/top-p/min-p\n"
    "  --dtype D           auto|float32|bfloat16|float16    --threads N (0 = default)\n"
    "Engine (continuous batching over a paged KV cache; the n samples of a prompt share its blocks):\n"
    "  --max-num-seqs N            sequences decoded at once (256)\n"
    "  --max-num-batched-tokens N  tokens per forward pass; longer prompts are prefilled in chunks (2048)\n"
    "  --kv-cache-memory SIZE      KV cache budget, e.g. 2GiB (4GiB); when full, sequences are preempted\n"
    "                              and recomputed later\n"
    "  --block-size N              positions per KV block (16)\n";

struct Args {
    std::string command, config, out, dtype = "auto", max_shard_size = "5GB", tokenizer;
    bool jsonl = false, add_special_tokens = false, decode = false, skip_special_tokens = false;
    aha::cli::GenerateOptions gen;
    aha::cli::EvalOptions eval;
    std::vector<std::string> overrides;
    bool force = false, help = false;
    aha::cli::TrainOptions train;
};

// One `aha generate` flag; false when `arg` is not one of them.
template <typename Value>
bool parse_generate_flag(const std::string& arg, Value&& value, aha::cli::GenerateOptions& g) {
    if (arg == "--model") g.model = value("--model");
    else if (arg == "--prompts") g.prompts = value("--prompts");
    else if (arg == "--n") g.n = to_int(arg, value("--n"));
    else if (arg == "--temperature") g.temperature = to_number(arg, value("--temperature"));
    else if (arg == "--top-p") g.top_p = to_number(arg, value("--top-p"));
    else if (arg == "--top-k") g.top_k = to_int(arg, value("--top-k"));
    else if (arg == "--min-p") g.min_p = to_number(arg, value("--min-p"));
    else if (arg == "--max-tokens") g.max_tokens = to_int(arg, value("--max-tokens"));
    else if (arg == "--stop") g.stop.push_back(value("--stop"));
    else if (arg == "--stop-token-id") g.stop_token_ids.push_back(to_int(arg, value("--stop-token-id")));
    else if (arg == "--seed") g.seed = to_int(arg, value("--seed"));
    else if (arg == "--ignore-eos") g.ignore_eos = true;
    else if (arg == "--logprobs") g.logprobs = true;
    else if (arg == "--dtype") g.dtype = value("--dtype");
    else if (arg == "--threads") g.threads = to_int(arg, value("--threads"));
    else if (arg == "--block-size") g.engine.block_size = to_int(arg, value("--block-size"));
    else if (arg == "--max-num-seqs") g.engine.max_num_seqs = to_int(arg, value("--max-num-seqs"));
    else if (arg == "--max-num-batched-tokens") g.engine.max_num_batched_tokens = to_int(arg, value("--max-num-batched-tokens"));
    else if (arg == "--kv-cache-memory") g.engine.kv_cache_bytes = aha::policy::parse_byte_size(value("--kv-cache-memory"), "--kv-cache-memory");
    else return false;
    return true;
}

// One `aha eval` flag; false when `arg` is not one of them.
template <typename Value>
bool parse_eval_flag(const std::string& arg, Value&& value, aha::cli::EvalOptions& e) {
    if (arg == "--model") e.model = value("--model");
    else if (arg == "--data") e.data.push_back(value("--data"));
    else if (arg == "--n") e.n = to_int(arg, value("--n"));
    else if (arg == "--temperature") e.temperature = to_number(arg, value("--temperature"));
    else if (arg == "--max-new-tokens") e.max_new_tokens = to_int(arg, value("--max-new-tokens"));
    else if (arg == "--max-prompts") e.max_prompts = to_int(arg, value("--max-prompts"));
    else if (arg == "--prompt-template") e.prompt_template = value("--prompt-template");
    else if (arg == "--system-prompt") e.system_prompt = value("--system-prompt");
    else if (arg == "--dtype") e.dtype = value("--dtype");
    else if (arg == "--threads") e.threads = to_int(arg, value("--threads"));
    else if (arg == "--out") e.out = value("--out");
    else return false;
    return true;
}

Args parse(int argc, char** argv) {
    Args a;
    if (argc < 2) throw aha::ConfigError("missing command", "commands: train, eval, pretrain, data, export, generate, tokenize, verify (aha --help)");
    a.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](const char* flag) -> std::string {
            if (i + 1 >= argc) throw aha::ConfigError(std::string(flag) + ": missing value");
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            a.help = true;
        } else if (arg == "--set") {
            a.overrides.push_back(value("--set"));
        } else if (arg.rfind("--set=", 0) == 0) {
            a.overrides.push_back(arg.substr(6));
        } else if (a.command == "eval" && parse_eval_flag(arg, value, a.eval)) {
        } else if (arg == "--out" && a.command == "export") {
            a.out = value("--out");
        } else if (arg == "--dtype" && a.command == "export") {
            a.dtype = value("--dtype");
        } else if (arg == "--max-shard-size" && a.command == "export") {
            a.max_shard_size = value("--max-shard-size");
        } else if (a.command == "generate" && parse_generate_flag(arg, value, a.gen)) {
        } else if (arg == "--tokenizer" && a.command == "tokenize") {
            a.tokenizer = value("--tokenizer");
        } else if (arg == "--jsonl" && a.command == "tokenize") {
            a.jsonl = true;
        } else if (arg == "--add-special-tokens" && a.command == "tokenize") {
            a.add_special_tokens = true;
        } else if (arg == "--decode" && a.command == "tokenize") {
            a.decode = true;
        } else if (arg == "--skip-special-tokens" && a.command == "tokenize") {
            a.skip_special_tokens = true;
        } else if (arg == "--resume" && a.command == "train") {
            a.train.resume = true;
            // An optional checkpoint directory (CONFIG is a file, so a directory here is unambiguous).
            if (i + 1 < argc && argv[i + 1][0] != '-' && aha::file_exists(std::string(argv[i + 1]) + "/.")) a.train.resume_from = argv[++i];
        } else if (arg.rfind("--resume=", 0) == 0 && a.command == "train") {
            a.train.resume = true;
            a.train.resume_from = arg.substr(9);
            if (a.train.resume_from.empty()) throw aha::ConfigError("--resume=: missing checkpoint directory");
        } else if (arg == "--resume-force" && a.command == "train") {
            a.train.resume_force = true;
        } else if (arg == "--force" && a.command == "pretrain") {
            a.force = true;
        } else if (!arg.empty() && arg[0] == '-') {
            throw aha::ConfigError("unknown option " + arg + " for 'aha " + a.command + "'", "see aha " + a.command + " --help");
        } else if (a.config.empty()) {
            a.config = arg;
        } else {
            throw aha::ConfigError("unexpected argument " + arg);
        }
    }
    return a;
}

int run(int argc, char** argv) {
    if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help"))) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    Args a = parse(argc, argv);
    const char* help = a.command == "pretrain" ? kPretrainHelp
                       : a.command == "data"   ? kDataHelp
                       : a.command == "train"  ? kTrainHelp
                       : a.command == "eval"   ? kEvalHelp
                       : a.command == "export" ? kExportHelp
                       : a.command == "tokenize" ? kTokenizeHelp
                       : a.command == "generate" ? kGenerateHelp
                                               : nullptr;
    if (!help) throw aha::ConfigError("unknown command '" + a.command + "'", "commands: train, eval, pretrain, data, export, generate, tokenize, verify (aha --help)");
    if (a.help) {
        std::fputs(help, stdout);
        return 0;
    }
    if (a.command == "generate") {
        if (!a.config.empty()) throw aha::ConfigError("unexpected argument " + a.config, "see aha generate --help");
        if (a.gen.model.empty()) throw aha::ConfigError("missing --model DIR", "see aha generate --help");
        if (a.gen.prompts.empty()) throw aha::ConfigError("missing --prompts FILE.jsonl", "see aha generate --help");
        if (a.gen.dtype != "auto") aha::policy::parse_dtype(a.gen.dtype, "--dtype");
        std::ios::sync_with_stdio(false);
        return aha::cli::run_generate(a.gen, std::cout);
    }
    if (a.command == "tokenize") {
        if (!a.config.empty()) throw aha::ConfigError("unexpected argument " + a.config, "see aha tokenize --help");
        if (a.tokenizer.empty()) throw aha::ConfigError("missing --tokenizer PATH", "see aha tokenize --help");
        if (a.skip_special_tokens && !a.decode) throw aha::ConfigError("--skip-special-tokens needs --decode");
        std::ios::sync_with_stdio(false);
        return aha::cli::run_tokenize({a.tokenizer, a.jsonl, a.add_special_tokens, a.decode, a.skip_special_tokens},
                                      std::cin, std::cout);
    }
    if (a.command == "export") {
        if (a.config.empty()) throw aha::ConfigError("missing CHECKPOINT", "see aha export --help");
        if (a.out.empty()) throw aha::ConfigError("missing --out DIR", "see aha export --help");
        if (a.dtype != "auto") aha::policy::parse_dtype(a.dtype, "--dtype");
        aha::policy::export_checkpoint(a.config, a.out, a.dtype, aha::policy::parse_byte_size(a.max_shard_size, "--max-shard-size"));
        std::printf("exported %s -> %s\n", a.config.c_str(), a.out.c_str());
        return 0;
    }
    if (a.command == "eval") {
        a.eval.config = a.config;
        a.eval.overrides = a.overrides;
        if (!a.eval.dtype.empty()) aha::policy::parse_dtype(a.eval.dtype, "--dtype");
        return aha::cli::run_eval(a.eval);
    }
    if (a.config.empty()) throw aha::ConfigError("missing CONFIG", "see aha " + a.command + " --help");
    aha::cli::ExperimentConfig config = aha::cli::load_experiment(a.config, a.overrides);
    if (a.command == "pretrain") return aha::cli::run_pretrain(config, a.force);
    if (a.command == "data") return aha::cli::run_data(config);
    if (a.train.resume_force && !a.train.resume) throw aha::ConfigError("--resume-force needs --resume");
    return aha::cli::run_train(config, a.train);
}

}  // namespace

int main(int argc, char** argv) {
    return aha::cli::report_errors([&] {
        try {
            return run(argc, argv);
        } catch (const c10::Error& e) {  // LibTorch's own message, without its C++ backtrace
            throw aha::Error(std::string("internal error: ") + e.what_without_backtrace());
        }
    });
}
