// The data side of a run; see run_data.h.
#include "cli/run_data.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "core/log.h"
#include "core/random.h"
#include "datasets/rows.h"
#include "policy/checkpoint.h"

namespace aha::cli {

namespace {

bool is_directory_path(const std::string& p) { return file_exists(p + "/tokenizer.json") || file_exists(p + "/config.json"); }

std::string parent_of(const std::string& p) {
    const size_t slash = p.find_last_of('/');
    return slash == std::string::npos ? "." : p.substr(0, slash);
}

}  // namespace

LoadedPolicy load_policy(const ModelSourceConfig& model, const std::string& dtype, int64_t seed) {
    LoadedPolicy p;
    if (!model.from_scratch) {
        if (!file_exists(model.path + "/config.json")) {
            throw IoError(model.path + ": no checkpoint there (no config.json)",
                          "model.path is a Hugging Face checkpoint directory; for the demo, make it with: aha pretrain CONFIG");
        }
        p.model = policy::load_model(model.path, dtype);
        p.text = tokenizer::ModelText::load(model.path, model.tokenizer);
        p.text_dir = model.tokenizer.empty() ? model.path : (is_directory_path(model.tokenizer) ? model.tokenizer : parent_of(model.tokenizer));
    } else {
        p.text_dir = is_directory_path(model.tokenizer) ? model.tokenizer : parent_of(model.tokenizer);
        p.text = tokenizer::ModelText::load(p.text_dir, model.tokenizer);
        policy::TransformerConfig arch = model.architecture;
        arch.vocab_size = p.text.vocab_size();
        torch::manual_seed(static_cast<uint64_t>(seed));
        p.model = policy::CausalLM(arch);
        if (dtype != "auto") p.model->to(policy::parse_dtype(dtype, "dtype"));
    }
    if (p.text.vocab_size() > p.model->config().vocab_size) {
        throw FormatError(p.text.source + ": the tokenizer has " + std::to_string(p.text.vocab_size()) + " tokens, more than the model's " +
                          std::to_string(p.model->config().vocab_size) + " embeddings", "model.tokenizer must belong to the model");
    }
    p.model->eval();
    return p;
}

RenderedSource render_source(const datasets::DataSourceConfig& source, const datasets::PromptRenderer& renderer,
                             const tokenizer::ModelText& text) {
    RenderedSource r;
    r.name = source.name;
    for (auto& e : datasets::load_examples(source)) {
        ++r.rows;
        std::string prompt = renderer.render(e);
        if (source.max_prompt_tokens > 0 && static_cast<int>(text.encode(prompt).size()) > source.max_prompt_tokens) {
            ++r.dropped;
            continue;
        }
        r.items.push_back({std::move(prompt), std::move(e.answer), std::move(e.reward), std::move(e.source), std::move(e.fields)});
    }
    log_info(source.name + ": " + std::to_string(r.items.size()) + " prompts from " + source.path +
             (source.max_prompt_tokens > 0 ? " (" + std::to_string(r.dropped) + " longer than max_prompt_tokens " +
                                                 std::to_string(source.max_prompt_tokens) + " dropped)"
                                           : ""));
    if (r.items.empty()) {
        throw FormatError(source.path + ": every one of its " + std::to_string(r.rows) + " prompts is longer than max_prompt_tokens " +
                          std::to_string(source.max_prompt_tokens), "raise max_prompt_tokens of data source '" + source.name + "'");
    }
    return r;
}

std::vector<rl::EvalSuite> make_suites(const std::vector<rl::EvalSuiteConfig>& configs, const datasets::PromptRenderer& renderer,
                                       const tokenizer::ModelText& text, const rollout::SamplingParams& training) {
    std::vector<rl::EvalSuite> suites;
    for (const auto& c : configs) {
        rl::EvalSuite s;
        s.name = c.data.name;
        s.items = render_source(c.data, renderer, text).items;
        if (c.max_prompts > 0 && static_cast<int>(s.items.size()) > c.max_prompts) {
            // A fixed subset (the same at every evaluation and in every run), kept in file order.
            std::vector<size_t> order(s.items.size());
            std::iota(order.begin(), order.end(), size_t{0});
            for (size_t i = order.size(); i > 1; --i) {
                std::swap(order[i - 1], order[static_cast<size_t>(unit_interval(splitmix64(12345 + i)) * static_cast<double>(i))]);
            }
            order.resize(static_cast<size_t>(c.max_prompts));
            std::sort(order.begin(), order.end());
            std::vector<rl::PromptItem> kept;
            for (size_t i : order) kept.push_back(s.items[i]);
            s.items = std::move(kept);
        }
        s.n = c.n;
        s.sampling = training;
        s.sampling.temperature = c.temperature;
        s.sampling.top_p = c.top_p;
        s.sampling.top_k = 0;
        s.sampling.min_p = 0;
        if (c.max_new_tokens > 0) s.sampling.max_new_tokens = c.max_new_tokens;
        s.sampling.seed = 12345;
        suites.push_back(std::move(s));
    }
    return suites;
}

EvalLog::EvalLog(const std::string& dir, std::FILE* table) : table_(table) {
    if (dir.empty()) return;
    metrics_ = std::make_unique<LineAppender>(dir + "/eval.jsonl");
    samples_ = std::make_unique<LineAppender>(dir + "/eval_samples.jsonl");
}

std::vector<rl::EvalResult> EvalLog::run(policy::CausalLM& model, const tokenizer::ModelText& text,
                                         const std::vector<rl::EvalSuite>& suites, const verifiers::RewardConfig& reward, int step) {
    std::vector<rl::EvalResult> out;
    for (const auto& suite : suites) {
        Stopwatch clock;
        rl::EvalResult r = rl::evaluate(model, text, suite, reward);
        Json line = r.to_json();
        line["step"] = step;
        line["seconds"] = clock.seconds();
        std::string ks;
        for (int k : {1, 4, 8, 16, 32, 64}) {
            if (k > 1 && k <= r.n) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "  pass@%d %5.1f%%  maj@%d %5.1f%%", k, 100 * r.pass_at[k - 1], k, 100 * r.maj_at[k - 1]);
                ks += buf;
            }
        }
        std::fprintf(table_, "  eval %-16s step %-5d accuracy %5.1f%% (n=%d, %d prompts)%s  length %.1f  truncated %4.1f%%\n", r.name.c_str(),
                    step, 100 * r.accuracy, r.n, r.prompts, ks.c_str(), r.mean_length, 100 * r.truncated_rate);
        std::fflush(table_);
        if (metrics_) metrics_->append(line.dump());
        if (samples_) {
            for (const auto& s : r.samples) {
                const auto& item = suite.items[static_cast<size_t>(s.prompt)];
                samples_->append(Json{{"step", step}, {"suite", r.name}, {"prompt_index", s.prompt}, {"sample", s.sample},
                                      {"prompt", item.prompt}, {"answer", item.answer}, {"completion", s.completion},
                                      {"extracted", s.extracted}, {"verdict", verifiers::verdict_name(s.verdict)},
                                      {"reward", s.reward}, {"length", s.length}, {"truncated", s.truncated},
                                      {"format_ok", s.format_ok}}
                                     .dump(-1, ' ', false, Json::error_handler_t::replace));
            }
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace aha::cli
