// DAPO's overlong penalty against hand-computed values, and its config checks.
#include "rl/reward_shaping.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace aha::rl {
namespace {

TEST(OverlongPenaltyTest, LinearOverTheBufferAndZeroBeforeIt) {
    // max 20, buffer 8: free up to 12 tokens, then -1/8 per token, -1 at 20 (factor 1), -0.5 (factor 0.5).
    OverlongConfig c{8, 1.0};
    auto p = overlong_penalty(torch::tensor({5, 12, 13, 16, 20}), 20, c);
    const std::vector<float> want = {0, 0, -0.125f, -0.5f, -1};
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(p[i].item<float>(), want[i], 1e-6) << i;
    c.penalty_factor = 0.5;
    EXPECT_NEAR(overlong_penalty(torch::tensor({20}), 20, c)[0].item<float>(), -0.5, 1e-6);
    EXPECT_TRUE(overlong_penalty(torch::tensor({20, 3}), 20, OverlongConfig{}).eq(0).all().item<bool>());
}

TEST(OverlongPenaltyTest, ConfigRejectsABufferAsLongAsTheCompletion) {
    OverlongConfig c{20, 1.0};
    EXPECT_THROW(c.validate("rl.overlong", 20), ConfigError);
    c = OverlongConfig{4, -1.0};
    EXPECT_THROW(c.validate("rl.overlong", 20), ConfigError);
    OverlongConfig{4, 1.0}.validate("rl.overlong", 20);
}

}  // namespace
}  // namespace aha::rl
