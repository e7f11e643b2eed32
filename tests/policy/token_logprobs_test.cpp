// The chunked log-prob/entropy op against the plain log-softmax computation: values and gradients with
// respect to hidden states and the output projection, for several chunk sizes, in float64 and bf16.
#include "policy/token_logprobs.h"

#include <gtest/gtest.h>

namespace aha::policy {
namespace {

struct Grads {
    torch::Tensor logprobs, entropy, hidden, weight;
};

// d/d(h, W) of sum(a * logp + b * entropy), with the op or the reference.
Grads run(bool fused, torch::Tensor h, torch::Tensor w, const torch::Tensor& y, double t, const torch::Tensor& a,
          const torch::Tensor& b, int64_t chunk) {
    h = h.detach().clone().requires_grad_(true);
    w = w.detach().clone().requires_grad_(true);
    torch::Tensor logp, entropy;
    if (fused) {
        TokenLogprobs out = token_logprobs(h, w, y, t, chunk);
        logp = out.logprobs;
        entropy = out.entropy;
    } else {
        auto ls = (torch::matmul(h, w.t()).to(torch::kFloat32) / t).log_softmax(-1);
        logp = ls.gather(-1, y.unsqueeze(-1)).squeeze(-1);
        entropy = -(ls.exp() * ls).sum(-1);
    }
    (a * logp + b * entropy).sum().backward();
    return {logp.detach(), entropy.detach(), h.grad(), w.grad()};
}

TEST(TokenLogprobsTest, MatchesTheLogSoftmaxReferenceWithGradients) {
    torch::manual_seed(3);
    const int64_t T = 11, H = 6, V = 37;
    auto h = torch::randn({T, H}, torch::kFloat64), w = torch::randn({V, H}, torch::kFloat64);
    auto y = torch::randint(V, {T}, torch::kLong);
    auto a = torch::randn({T}, torch::kFloat64), b = torch::randn({T}, torch::kFloat64);
    // The op reduces in float32, so compare both in float32 arithmetic on float64-exact inputs.
    h = h.to(torch::kFloat32);
    w = w.to(torch::kFloat32);
    a = a.to(torch::kFloat32);
    b = b.to(torch::kFloat32);
    Grads ref = run(false, h, w, y, 0.7, a, b, 0);
    for (int64_t chunk : {1, 3, 0}) {
        Grads got = run(true, h, w, y, 0.7, a, b, chunk);
        EXPECT_TRUE(torch::allclose(got.logprobs, ref.logprobs, 1e-5, 1e-5)) << "chunk " << chunk;
        EXPECT_TRUE(torch::allclose(got.entropy, ref.entropy, 1e-5, 1e-5)) << "chunk " << chunk;
        EXPECT_TRUE(torch::allclose(got.hidden, ref.hidden, 1e-4, 1e-5)) << "chunk " << chunk;
        EXPECT_TRUE(torch::allclose(got.weight, ref.weight, 1e-4, 1e-5)) << "chunk " << chunk;
    }
    // Entropy is in [0, log V].
    EXPECT_TRUE((ref.entropy >= 0).all().item<bool>());
    EXPECT_TRUE((ref.entropy <= std::log(static_cast<double>(V)) + 1e-5).all().item<bool>());
}

TEST(TokenLogprobsTest, AnUnusedOutputGetsNoGradientAndBf16StaysClose) {
    torch::manual_seed(4);
    const int64_t T = 9, H = 16, V = 50;
    auto h = torch::randn({T, H}), w = torch::randn({V, H}) * 0.3;
    auto y = torch::randint(V, {T}, torch::kLong);
    auto a = torch::randn({T}), zero = torch::zeros({T});
    Grads ref = run(false, h, w, y, 1.0, a, zero, 0);
    auto hf = h.clone().requires_grad_(true);
    token_logprobs(hf, w, y, 1.0, 4).logprobs.mul(a).sum().backward();  // entropy unused
    EXPECT_TRUE(torch::allclose(hf.grad(), ref.hidden, 1e-4, 1e-5));
    Grads bf = run(true, h.to(torch::kBFloat16), w.to(torch::kBFloat16), y, 1.0, a, zero, 4);
    EXPECT_EQ(bf.hidden.scalar_type(), torch::kBFloat16);
    EXPECT_LT((bf.logprobs - ref.logprobs).abs().max().item<double>(), 0.1);
    EXPECT_LT((bf.hidden.to(torch::kFloat32) - ref.hidden).abs().max().item<double>(),
              0.05 * ref.hidden.abs().max().item<double>());
}

TEST(TokenLogprobsTest, RejectsMismatchedShapes) {
    auto h = torch::randn({3, 4}), w = torch::randn({5, 6});
    EXPECT_THROW(token_logprobs(h, w, torch::zeros({3}, torch::kLong), 1.0), c10::Error);
    EXPECT_THROW(token_logprobs(h, torch::randn({5, 4}), torch::zeros({2}, torch::kLong), 1.0), c10::Error);
}

}  // namespace
}  // namespace aha::policy
