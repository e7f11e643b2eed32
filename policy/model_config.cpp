// Architecture configs from Hugging Face config.json files; see model_config.h.
#include "policy/model_config.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/strings.h"

namespace aha::policy {

const std::vector<std::string>& supported_model_types() {
    static const std::vector<std::string> types = {"llama",     "qwen2",       "qwen3",      "qwen2_moe",
                                                   "qwen3_moe", "deepseek_v2", "deepseek_v3"};
    return types;
}

namespace {

// Typed access to a config.json object; every error names the file and key.
class HfReader {
 public:
    HfReader(const Json& j, std::string source, std::string prefix = "")
        : j_(j), source_(std::move(source)), prefix_(std::move(prefix)) {}

    bool has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

    int integer(const char* key) const {
        require(key);
        return integer(key, 0);
    }
    int integer(const char* key, int fallback) const {
        if (!has(key)) return fallback;
        const Json& v = j_.at(key);
        if (!v.is_number_integer()) fail(key, "an integer", v);
        return v.get<int>();
    }
    double number(const char* key) const {
        require(key);
        return number(key, 0.0);
    }
    double number(const char* key, double fallback) const {
        if (!has(key)) return fallback;
        const Json& v = j_.at(key);
        if (!v.is_number()) fail(key, "a number", v);
        return v.get<double>();
    }
    bool flag(const char* key, bool fallback) const {
        if (!has(key)) return fallback;
        const Json& v = j_.at(key);
        if (!v.is_boolean()) fail(key, "true or false", v);
        return v.get<bool>();
    }
    std::string text(const char* key, const std::string& fallback) const {
        if (!has(key)) return fallback;
        const Json& v = j_.at(key);
        if (!v.is_string()) fail(key, "a string", v);
        return v.get<std::string>();
    }
    std::vector<int> integers(const char* key) const {
        std::vector<int> out;
        if (!has(key)) return out;
        const Json& v = j_.at(key);
        if (!v.is_array()) fail(key, "a list of integers", v);
        for (const auto& x : v) {
            if (!x.is_number_integer()) fail(key, "a list of integers", v);
            out.push_back(x.get<int>());
        }
        return out;
    }
    [[noreturn]] void unsupported(const char* key, const std::string& what) const {
        throw FormatError(source_ + ": " + prefix_ + key + ": " + what);
    }

 private:
    void require(const char* key) const {
        if (!has(key)) throw FormatError(source_ + ": missing key " + prefix_ + key);
    }
    [[noreturn]] void fail(const char* key, const char* expected, const Json& v) const {
        throw FormatError(source_ + ": " + prefix_ + key + " must be " + expected + ", got " + v.dump());
    }
    const Json& j_;
    std::string source_;
    std::string prefix_;
};

// rope_parameters (transformers >= 5) or rope_scaling (older), plus rope_theta at the top level.
RopeConfig read_rope(const Json& j, const HfReader& top, const std::string& source) {
    RopeConfig r;
    r.theta = top.number("rope_theta", 10000.0);
    const char* key = nullptr;
    for (const char* k : {"rope_parameters", "rope_scaling"}) {
        if (top.has(k)) {
            if (!j.at(k).is_object()) top.unsupported(k, "expected an object or null, got " + j.at(k).dump());
            key = k;
            break;
        }
    }
    if (!key) return r;
    const Json& rp = j.at(key);
    HfReader p(rp, source, std::string(key) + ".");
    r.theta = p.number("rope_theta", r.theta);
    r.type = p.has("rope_type") ? p.text("rope_type", "default") : p.text("type", "default");
    if (p.number("partial_rotary_factor", 1.0) != 1.0) p.unsupported("partial_rotary_factor", "only 1.0 is supported");
    if (r.type == "default") return r;
    if (r.type == "linear") {
        r.factor = p.number("factor");
    } else if (r.type == "llama3") {
        r.factor = p.number("factor");
        r.low_freq_factor = p.number("low_freq_factor");
        r.high_freq_factor = p.number("high_freq_factor");
        r.original_max_position = p.integer("original_max_position_embeddings");
        if (r.high_freq_factor <= r.low_freq_factor) {
            p.unsupported("high_freq_factor", "must be greater than low_freq_factor");
        }
    } else if (r.type == "yarn") {
        r.original_max_position = p.integer("original_max_position_embeddings");
        r.factor = p.has("factor") ? p.number("factor")
                                   : static_cast<double>(top.integer("max_position_embeddings")) / r.original_max_position;
        r.beta_fast = p.number("beta_fast", 32.0);
        r.beta_slow = p.number("beta_slow", 1.0);
        r.mscale = p.number("mscale", 0.0);
        r.mscale_all_dim = p.number("mscale_all_dim", 0.0);
        r.attention_factor = p.number("attention_factor", 0.0);
        r.truncate = p.flag("truncate", true);
    } else {
        p.unsupported(p.has("rope_type") ? "rope_type" : "type",
                      "'" + r.type + "' is not supported; supported: default, linear, llama3, yarn");
    }
    if (r.factor < 1.0) p.unsupported("factor", "must be >= 1");
    return r;
}

void reject_sliding_window(const HfReader& h) {
    if (h.flag("use_sliding_window", false)) h.unsupported("use_sliding_window", "sliding-window attention is not supported");
}

void require_silu(const HfReader& h) {
    std::string act = h.text("hidden_act", "silu");
    if (act != "silu") h.unsupported("hidden_act", "'" + act + "' is not supported; expected silu");
}

}  // namespace

TransformerConfig TransformerConfig::from_hf_json(const Json& j, const std::string& source) {
    if (!j.is_object()) throw FormatError(source + ": expected a JSON object");
    HfReader h(j, source);
    const std::string type = h.text("model_type", "");
    const auto& types = supported_model_types();
    if (std::find(types.begin(), types.end(), type) == types.end()) {
        throw FormatError(source + ": model_type '" + type + "' is not supported; supported: " + join(types, ", "));
    }
    require_silu(h);
    reject_sliding_window(h);
    if (h.number("partial_rotary_factor", 1.0) != 1.0) h.unsupported("partial_rotary_factor", "only 1.0 is supported");

    TransformerConfig c;
    c.model_type = type;
    c.vocab_size = h.integer("vocab_size");
    c.hidden_size = h.integer("hidden_size");
    c.num_layers = h.integer("num_hidden_layers");
    c.num_heads = h.integer("num_attention_heads");
    c.num_kv_heads = h.integer("num_key_value_heads", c.num_heads);
    c.intermediate_size = h.integer("intermediate_size");
    c.max_position = h.integer("max_position_embeddings", 2048);
    c.rms_norm_eps = h.number("rms_norm_eps", 1e-6);
    c.tie_word_embeddings = h.flag("tie_word_embeddings", false);
    c.rope = read_rope(j, h, source);
    c.rope_theta = c.rope.theta;

    const bool deepseek = type == "deepseek_v2" || type == "deepseek_v3";
    if (type == "llama") {
        c.attention_bias = c.o_bias = h.flag("attention_bias", false);
        c.mlp_bias = h.flag("mlp_bias", false);
        c.head_dim_override = h.integer("head_dim", 0);
    } else if (type == "qwen2" || type == "qwen2_moe") {
        c.attention_bias = h.flag("qkv_bias", true);
    } else if (type == "qwen3" || type == "qwen3_moe") {
        c.attention_bias = c.o_bias = h.flag("attention_bias", false);
        c.qk_norm = true;
        c.head_dim_override = h.integer("head_dim", 0);
    } else if (deepseek) {
        c.attention_bias = c.o_bias = h.flag("attention_bias", false);
        c.mla.enabled = true;
        c.mla.q_lora_rank = h.integer("q_lora_rank", 0);
        c.mla.kv_lora_rank = h.integer("kv_lora_rank");
        c.mla.qk_nope_head_dim = h.integer("qk_nope_head_dim");
        c.mla.qk_rope_head_dim = h.integer("qk_rope_head_dim");
        c.mla.v_head_dim = h.integer("v_head_dim");
        c.num_kv_heads = c.num_heads;  // MLA expands the latent to every head
        c.rope.interleave = type == "deepseek_v2" || h.flag("rope_interleave", true);
    }

    MoeConfig& m = c.moe;
    if (type == "qwen2_moe" || type == "qwen3_moe") {
        // transformers >= 5 writes the alias num_local_experts.
        m.num_experts = h.has("num_experts") ? h.integer("num_experts") : h.integer("num_local_experts");
        m.top_k = h.integer("num_experts_per_tok");
        m.intermediate_size = h.integer("moe_intermediate_size");
        m.norm_topk_prob = h.flag("norm_topk_prob", false);
        if (type == "qwen2_moe") {
            m.shared_intermediate_size = h.integer("shared_expert_intermediate_size", 0);
            m.shared_expert_gate = m.shared_intermediate_size > 0;
        }
        const int step = h.integer("decoder_sparse_step", 1);
        if (step < 1) h.unsupported("decoder_sparse_step", "must be >= 1");
        std::set<int> dense;
        for (int l : h.integers("mlp_only_layers")) dense.insert(l);
        for (int l = 0; l < c.num_layers; ++l) {
            m.sparse_layers.push_back(!dense.count(l) && m.num_experts > 0 && (l + 1) % step == 0);
        }
    } else if (deepseek) {
        m.num_experts = h.has("n_routed_experts") ? h.integer("n_routed_experts") : h.integer("num_local_experts");
        m.top_k = h.integer("num_experts_per_tok");
        m.intermediate_size = h.integer("moe_intermediate_size");
        m.shared_intermediate_size = m.intermediate_size * h.integer("n_shared_experts", type == "deepseek_v3" ? 1 : 2);
        m.routed_scaling_factor = h.number("routed_scaling_factor", type == "deepseek_v3" ? 2.5 : 1.0);
        m.norm_topk_prob = h.flag("norm_topk_prob", type == "deepseek_v3");
        m.router_fp32 = true;
        if (h.integer("moe_layer_freq", 1) != 1) h.unsupported("moe_layer_freq", "only 1 is supported (as in transformers)");
        const int first_dense = h.integer("first_k_dense_replace", type == "deepseek_v3" ? 3 : 0);
        for (int l = 0; l < c.num_layers; ++l) m.sparse_layers.push_back(m.num_experts > 0 && l >= first_dense);
        if (type == "deepseek_v2") {
            const std::string scoring = h.text("scoring_func", "softmax");
            if (scoring != "softmax") h.unsupported("scoring_func", "'" + scoring + "': DeepSeek-V2 routes with softmax");
            const std::string method = h.text("topk_method", "greedy");
            if (method == "group_limited_greedy") {
                m.n_group = h.integer("n_group");
                m.topk_group = h.integer("topk_group");
            } else if (method != "greedy") {
                h.unsupported("topk_method", "'" + method + "' is not supported; expected greedy or group_limited_greedy");
            }
            m.scoring = "softmax";
            m.group_score = "max";
        } else {
            const std::string scoring = h.text("scoring_func", "sigmoid");
            if (scoring != "sigmoid") h.unsupported("scoring_func", "'" + scoring + "': DeepSeek-V3 routes with sigmoid");
            const std::string method = h.text("topk_method", "noaux_tc");
            if (method != "noaux_tc") h.unsupported("topk_method", "'" + method + "': DeepSeek-V3 uses noaux_tc");
            m.scoring = "sigmoid";
            m.group_score = "top2_sum";
            m.correction_bias = true;
            m.n_group = h.integer("n_group", 8);
            m.topk_group = h.integer("topk_group", 4);
        }
    }
    c.hf_config = j;
    c.validate(source);
    return c;
}

TransformerConfig TransformerConfig::from_json(ConfigReader r) {
    TransformerConfig c;
    r.read("vocab_size", c.vocab_size)
        .read("hidden_size", c.hidden_size)
        .read("num_layers", c.num_layers)
        .read("num_heads", c.num_heads)
        .read("num_kv_heads", c.num_kv_heads)
        .read("intermediate_size", c.intermediate_size)
        .read("max_position", c.max_position)
        .read("rope_theta", c.rope_theta)
        .read("rms_norm_eps", c.rms_norm_eps)
        .read("tie_word_embeddings", c.tie_word_embeddings)
        .read("attention_bias", c.attention_bias);
    r.finish();
    c.model_type = c.attention_bias ? "qwen2" : "llama";
    c.rope.theta = c.rope_theta;
    return c;
}

Json TransformerConfig::to_json() const {
    return {{"vocab_size", vocab_size},
            {"hidden_size", hidden_size},
            {"num_layers", num_layers},
            {"num_heads", num_heads},
            {"num_kv_heads", num_kv_heads},
            {"intermediate_size", intermediate_size},
            {"max_position", max_position},
            {"rope_theta", rope_theta},
            {"rms_norm_eps", rms_norm_eps},
            {"tie_word_embeddings", tie_word_embeddings},
            {"attention_bias", attention_bias}};
}

Json TransformerConfig::to_hf_json(const std::string& dtype_name) const {
    if (!hf_config.is_null() && !hf_config.empty()) {
        Json j = hf_config;
        j["vocab_size"] = vocab_size;
        if (j.contains("torch_dtype")) j["torch_dtype"] = dtype_name;
        j["dtype"] = dtype_name;
        return j;
    }
    // aha's own dense configs: Llama (no biases) or Qwen2 (q/k/v biases).
    const bool qwen2 = model_type == "qwen2";
    Json j = {{"architectures", {qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"}},
              {"model_type", qwen2 ? "qwen2" : "llama"},
              {"vocab_size", vocab_size},
              {"hidden_size", hidden_size},
              {"num_hidden_layers", num_layers},
              {"num_attention_heads", num_heads},
              {"num_key_value_heads", num_kv_heads},
              {"intermediate_size", intermediate_size},
              {"max_position_embeddings", max_position},
              {"rope_theta", rope_theta},
              {"rms_norm_eps", rms_norm_eps},
              {"tie_word_embeddings", tie_word_embeddings},
              {"hidden_act", "silu"},
              {"torch_dtype", dtype_name},
              {"dtype", dtype_name}};
    if (!qwen2) {
        j["attention_bias"] = false;
        j["mlp_bias"] = false;
    }
    return j;
}

void TransformerConfig::validate(const std::string& path) const {
    config_require(vocab_size > 0, path + ".vocab_size", "expected > 0");
    config_require(hidden_size > 0, path + ".hidden_size", "expected > 0");
    config_require(num_layers > 0, path + ".num_layers", "expected > 0");
    config_require(num_heads > 0, path + ".num_heads", "expected > 0");
    if (!mla.enabled) {
        config_require(head_dim_override > 0 || hidden_size % num_heads == 0,
                       path + ".num_heads",
                       "expected a divisor of hidden_size (" + std::to_string(hidden_size) + ") or an explicit head_dim");
        config_require(num_kv_heads > 0 && num_heads % num_kv_heads == 0,
                       path + ".num_kv_heads",
                       "expected a divisor of num_heads (" + std::to_string(num_heads) + ")");
    } else {
        config_require(mla.kv_lora_rank > 0 && mla.qk_nope_head_dim >= 0 && mla.qk_rope_head_dim > 0 && mla.v_head_dim > 0,
                       path + ".kv_lora_rank",
                       "MLA needs kv_lora_rank, qk_rope_head_dim and v_head_dim > 0");
        config_require(mla.q_lora_rank >= 0, path + ".q_lora_rank", "expected >= 0 or null");
    }
    config_require(rotary_dim() % 2 == 0, path + ".head_dim", "the rotary dimension must be even");
    config_require(intermediate_size > 0, path + ".intermediate_size", "expected > 0");
    config_require(max_position > 0, path + ".max_position", "expected > 0");
    config_require(rope.theta > 0, path + ".rope_theta", "expected > 0");
    config_require(rms_norm_eps > 0, path + ".rms_norm_eps", "expected > 0");
    if (rope.type == "llama3" || rope.type == "yarn") {
        config_require(rope.original_max_position > 0, path + ".rope.original_max_position_embeddings", "expected > 0");
    }
    if (is_moe()) {
        config_require(moe.top_k > 0 && moe.top_k <= moe.num_experts,
                       path + ".num_experts_per_tok",
                       "expected 1.." + std::to_string(moe.num_experts));
        config_require(moe.intermediate_size > 0, path + ".moe_intermediate_size", "expected > 0");
        config_require(moe.n_group >= 1 && moe.num_experts % moe.n_group == 0,
                       path + ".n_group",
                       "expected a divisor of the number of routed experts (" + std::to_string(moe.num_experts) + ")");
        config_require(moe.topk_group >= 1 && moe.topk_group <= moe.n_group,
                       path + ".topk_group",
                       "expected 1..n_group (" + std::to_string(moe.n_group) + ")");
        if (moe.n_group > 1) {
            config_require(moe.top_k <= moe.topk_group * (moe.num_experts / moe.n_group),
                           path + ".num_experts_per_tok",
                           "more experts per token than the eligible groups hold");
            if (moe.group_score == "top2_sum") {
                config_require(moe.num_experts / moe.n_group >= 2, path + ".n_group", "each group needs >= 2 experts");
            }
        }
    }
}

}  // namespace aha::policy
