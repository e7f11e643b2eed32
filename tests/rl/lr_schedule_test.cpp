// Learning-rate schedules against hand-computed rates; the config rejects unknown names and keys.
#include "rl/lr_schedule.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace aha::rl {
namespace {

TEST(LrScheduleTest, WarmupThenConstant) {
    LrSchedule s{"constant", 4, 0.0};
    EXPECT_DOUBLE_EQ(lr_at(s, 1e-3, 0, 100), 0.25e-3);
    EXPECT_DOUBLE_EQ(lr_at(s, 1e-3, 3, 100), 1e-3);
    EXPECT_DOUBLE_EQ(lr_at(s, 1e-3, 99, 100), 1e-3);
    EXPECT_DOUBLE_EQ(lr_at(LrSchedule{}, 1e-3, 0, 100), 1e-3);  // no warm-up by default
}

TEST(LrScheduleTest, WarmupThenCosineToTheFloor) {
    // 10 steps, 2 of warm-up: step 2 starts the decay at the peak, step 6 is half-way (cos(pi/2) = 0:
    // floor + half the span), step 10 and later sit at the floor.
    LrSchedule s{"cosine", 2, 0.1};
    EXPECT_DOUBLE_EQ(lr_at(s, 1.0, 1, 10), 1.0);
    EXPECT_DOUBLE_EQ(lr_at(s, 1.0, 2, 10), 1.0);
    EXPECT_NEAR(lr_at(s, 1.0, 6, 10), 0.1 + 0.9 * 0.5, 1e-12);
    EXPECT_NEAR(lr_at(s, 1.0, 10, 10), 0.1, 1e-12);
    EXPECT_NEAR(lr_at(s, 1.0, 20, 10), 0.1, 1e-12);
}

TEST(LrScheduleTest, ConfigRejectsUnknownNamesKeysAndRanges) {
    LrSchedule s;
    s.name = "linear";
    EXPECT_THROW(s.validate("rl.lr_schedule"), ConfigError);
    s = LrSchedule{};
    s.min_lr_ratio = 2;
    EXPECT_THROW(s.validate("rl.lr_schedule"), ConfigError);
    Json j = {{"name", "cosine"}, {"warmup_step", 5}};
    try {
        LrSchedule::from_json(ConfigReader(j, "rl.lr_schedule"));
        FAIL() << "expected an error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("rl.lr_schedule.warmup_step"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace aha::rl
