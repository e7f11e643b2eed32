// Mixture-of-Experts routing and dispatch against a per-token reference, expert load statistics,
// aux-loss-free balancing, the balance loss, and activation checkpointing.
#include <gtest/gtest.h>

#include <cstdlib>

#include "policy/transformer.h"
#include "tests/support/error_text.h"

namespace aha::policy {
namespace {

TransformerConfig deepseek_v3_config() {
    return TransformerConfig::from_hf_json(
        Json::parse(R"({"model_type": "deepseek_v3", "vocab_size": 40, "hidden_size": 32, "intermediate_size": 48,
          "moe_intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4, "n_shared_experts": 1,
          "n_routed_experts": 12, "num_experts_per_tok": 3, "n_group": 4, "topk_group": 2, "first_k_dense_replace": 1,
          "kv_lora_rank": 16, "q_lora_rank": 12, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 8,
          "routed_scaling_factor": 2.5, "max_position_embeddings": 64})"),
        "test");
}

TransformerConfig qwen2_moe_config() {
    return TransformerConfig::from_hf_json(
        Json::parse(R"({"model_type": "qwen2_moe", "vocab_size": 40, "hidden_size": 32, "intermediate_size": 48,
          "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "num_experts": 6,
          "num_experts_per_tok": 2, "moe_intermediate_size": 16, "shared_expert_intermediate_size": 24,
          "max_position_embeddings": 64})"),
        "test");
}

void randomize(torch::nn::Module& m) {
    torch::NoGradGuard no_grad;
    for (auto& p : m.parameters()) p.normal_(0.0, 0.3);
    for (auto& b : m.named_buffers()) {
        if (b.key().find("e_score_correction_bias") != std::string::npos) b.value().normal_(0.0, 0.1);
    }
}

// One token at a time, expert by expert: what the MoE block must compute.
torch::Tensor reference_moe(MoEImpl& moe, const TransformerConfig& c, const torch::Tensor& x) {
    const auto& m = c.moe;
    const int64_t E = m.num_experts, I = m.intermediate_size, per_group = E / m.n_group;
    auto flat = x.reshape({-1, x.size(-1)});
    std::vector<torch::Tensor> rows;
    for (int64_t n = 0; n < flat.size(0); ++n) {
        auto h = flat[n];
        auto logits = torch::mv(moe.gate->weight, h);
        auto scores = m.scoring == "sigmoid" ? logits.sigmoid() : logits.softmax(0);
        auto choice = scores.clone();
        if (moe.gate->e_score_correction_bias.defined()) choice += moe.gate->e_score_correction_bias;
        std::vector<bool> eligible(E, true);
        if (m.n_group > 1) {
            std::vector<std::pair<float, int>> groups;
            for (int g = 0; g < m.n_group; ++g) {
                auto part = choice.narrow(0, g * per_group, per_group);
                float s = m.group_score == "max" ? part.max().item<float>() : std::get<0>(part.topk(2)).sum().item<float>();
                groups.push_back({s, g});
            }
            std::sort(groups.rbegin(), groups.rend());
            std::fill(eligible.begin(), eligible.end(), false);
            for (int i = 0; i < m.topk_group; ++i) {
                for (int64_t e = 0; e < per_group; ++e) eligible[groups[i].second * per_group + e] = true;
            }
        }
        std::vector<std::pair<float, int>> ranked;
        for (int64_t e = 0; e < E; ++e) {
            if (eligible[e]) ranked.push_back({choice[e].item<float>(), static_cast<int>(e)});
        }
        std::sort(ranked.rbegin(), ranked.rend());
        double total = 0;
        for (int i = 0; i < m.top_k; ++i) total += scores[ranked[i].second].item<double>();
        auto out = torch::zeros_like(h);
        for (int i = 0; i < m.top_k; ++i) {
            int e = ranked[i].second;
            double w = scores[e].item<double>();
            if (m.norm_topk_prob) w /= total;
            w *= m.routed_scaling_factor;
            auto gate_up = torch::mv(moe.experts->gate_up_proj[e], h);
            auto act = torch::silu(gate_up.narrow(0, 0, I)) * gate_up.narrow(0, I, I);
            out += w * torch::mv(moe.experts->down_proj[e], act);
        }
        if (moe.shared) {
            auto s = moe.shared->forward(h.unsqueeze(0)).squeeze(0);
            if (moe.shared_expert_gate) s = s * torch::sigmoid(moe.shared_expert_gate->forward(h.unsqueeze(0)).squeeze(0));
            out += s;
        }
        rows.push_back(out);
    }
    return torch::stack(rows).view(x.sizes());
}


TEST(MoeTest, GroupedDispatchEqualsPerTokenReference) {
    for (const auto& config : {deepseek_v3_config(), qwen2_moe_config()}) {
        torch::manual_seed(3);
        MoE moe(config);
        randomize(*moe);
        auto x = torch::randn({3, 7, config.hidden_size});
        torch::NoGradGuard no_grad;
        auto got = moe->forward(x, torch::ones({3, 7}, torch::kBool));
        auto want = reference_moe(*moe, config, x);
        EXPECT_LT((got - want).abs().max().item<double>(), 1e-5) << config.model_type;
    }
}

// The grouped-GEMM path and the per-expert loop (AHA_MOE_LOOP=1) agree on outputs and gradients.
TEST(MoeTest, GroupedGemmAndPerExpertLoopAgree) {
    auto config = deepseek_v3_config();
    torch::manual_seed(9);
    MoE moe(config);
    randomize(*moe);
    auto x = torch::randn({2, 11, config.hidden_size});
    auto valid = torch::ones({2, 11}, torch::kBool);
    auto run = [&](bool loop) {
        if (loop) ::setenv("AHA_MOE_LOOP", "1", 1);
        moe->zero_grad();
        auto y = moe->forward(x, valid);
        (y * y).sum().backward();
        ::unsetenv("AHA_MOE_LOOP");
        return std::make_tuple(y.detach(), moe->experts->gate_up_proj.grad().clone(), moe->experts->down_proj.grad().clone());
    };
    auto [y1, g1, d1] = run(false);
    auto [y2, g2, d2] = run(true);
    EXPECT_TRUE(torch::allclose(y1, y2, 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(g1, g2, 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(d1, d2, 1e-5, 1e-6));
}

TEST(MoeTest, LoadCountsRealTokensOnly) {
    auto config = qwen2_moe_config();
    torch::manual_seed(4);
    CausalLM model(config);
    auto ids = torch::randint(0, 40, {2, 6}, torch::kLong);
    auto valid = torch::ones({2, 6}, torch::kBool);
    valid.index_put_({1, torch::indexing::Slice(0, 4)}, false);  // 4 padding tokens
    torch::NoGradGuard no_grad;
    model->forward(ids, positions_from_mask(valid), valid);
    auto load = model->expert_load();
    ASSERT_EQ(load.size(), 2u);  // both layers are MoE
    for (const auto& l : load) EXPECT_EQ(l.sum().item<double>(), 8 * 2);  // 8 real tokens x top-2
    model->reset_expert_load();
    EXPECT_EQ(model->expert_load()[0].sum().item<double>(), 0);
}

TEST(MoeTest, AuxLossFreeBalancingMovesBiasTowardsUnderloadedExperts) {
    auto config = deepseek_v3_config();
    torch::manual_seed(5);
    CausalLM model(config);
    randomize(*model);
    auto ids = torch::randint(0, 40, {4, 10}, torch::kLong);
    auto valid = torch::ones({4, 10}, torch::kBool);
    {
        torch::NoGradGuard no_grad;
        model->forward(ids, positions_from_mask(valid), valid);
    }
    auto moe = model->moe_layers().at(0);
    auto before = moe->gate->e_score_correction_bias.clone();
    auto load = moe->load.to(torch::kFloat32);
    model->update_routing_bias(0.01);
    auto step = moe->gate->e_score_correction_bias - before;
    auto mean = load.mean();
    for (int64_t e = 0; e < load.size(0); ++e) {
        double expected = load[e].item<float>() > mean.item<float>() ? -0.01 : load[e].item<float>() < mean.item<float>() ? 0.01 : 0.0;
        EXPECT_NEAR(step[e].item<double>(), expected, 1e-7) << "expert " << e;
    }
    // The bias moves selection only: the routing weights of a fixed selection do not depend on it.
    EXPECT_NE(testing::error_of([] {
                  CausalLM qwen(qwen2_moe_config());
                  qwen->update_routing_bias(0.01);
              }).find("needs a router correction bias"),
              std::string::npos);
}

TEST(MoeTest, BalanceLossIsDifferentiableAndOneWhenUniform) {
    auto config = qwen2_moe_config();
    torch::manual_seed(6);
    CausalLM model(config);
    model->set_aux_loss(true);
    auto ids = torch::randint(0, 40, {2, 8}, torch::kLong);
    auto valid = torch::ones({2, 8}, torch::kBool);
    model->forward(ids, positions_from_mask(valid), valid);
    auto aux = model->aux_loss();
    ASSERT_TRUE(aux.defined());
    // Near-uniform routing at init (router weights ~0.02): each layer's loss is close to 1.
    EXPECT_NEAR(aux.item<double>() / 2, 1.0, 0.2);
    aux.backward();
    auto grad = model->moe_layers()[0]->gate->weight.grad();
    ASSERT_TRUE(grad.defined());
    EXPECT_GT(grad.abs().sum().item<double>(), 0);
}

TEST(MoeTest, SequenceWiseBalanceLossIsTheMeanOfEachSequencesLoss) {
    for (const auto& config : {deepseek_v3_config(), qwen2_moe_config()}) {
        SCOPED_TRACE(config.model_type);
        torch::manual_seed(8);
        CausalLM model(config);
        randomize(*model);  // routing far from uniform, so the scopes differ
        auto ids = torch::randint(0, 40, {3, 7}, torch::kLong);
        auto valid = torch::ones({3, 7}, torch::kBool);
        valid.index_put_({1, torch::indexing::Slice(4, torch::indexing::None)}, false);  // row 1: 4 real tokens
        valid.index_put_({2}, false);                                                     // row 2: none
        auto aux_of = [&](const torch::Tensor& i, const torch::Tensor& v, bool per_sequence) {
            model->set_aux_loss(true, per_sequence);
            model->forward(i, positions_from_mask(v), v);
            return model->aux_loss().item<double>();
        };
        const double sequence = aux_of(ids, valid, true);
        // Each row alone, with the batch-wide formula (its real tokens only); row 2 has none and is left out.
        const double row0 = aux_of(ids.narrow(0, 0, 1), valid.narrow(0, 0, 1), false);
        const double row1 = aux_of(ids.narrow(0, 1, 1).narrow(1, 0, 4), valid.narrow(0, 1, 1).narrow(1, 0, 4), false);
        EXPECT_NEAR(sequence, (row0 + row1) / 2, 1e-5 * sequence);
        EXPECT_GT(std::abs(sequence - aux_of(ids, valid, false)), 1e-4) << "the scopes should differ here";
    }
}

TEST(MoeTest, GradientCheckpointingGivesTheSameGradients) {
    for (const auto& config : {deepseek_v3_config(), qwen2_moe_config()}) {
        torch::manual_seed(7);
        CausalLM model(config);
        randomize(*model);
        auto ids = torch::randint(0, 40, {2, 9}, torch::kLong);
        auto valid = torch::ones({2, 9}, torch::kBool);
        auto weights = torch::randn({2, 9, 40});
        auto grads = [&](bool checkpoint) {
            model->zero_grad();
            model->reset_expert_load();
            model->set_gradient_checkpointing(checkpoint);
            (model->forward(ids, positions_from_mask(valid), valid) * weights).sum().backward();
            std::vector<torch::Tensor> out;
            for (const auto& p : model->parameters()) out.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
            return std::make_pair(out, model->expert_load()[0].sum().item<double>());
        };
        auto [plain, plain_load] = grads(false);
        auto [checkpointed, checkpointed_load] = grads(true);
        ASSERT_EQ(plain.size(), checkpointed.size());
        for (size_t i = 0; i < plain.size(); ++i) {
            EXPECT_TRUE(torch::allclose(plain[i], checkpointed[i], 1e-5, 1e-6)) << config.model_type << " parameter " << i;
        }
        EXPECT_EQ(plain_load, checkpointed_load) << "recomputation must not count load twice";
    }
}

}  // namespace
}  // namespace aha::policy
