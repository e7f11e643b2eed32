// The watchdog's checks on hand-made step histories: each trips where it should and not before (warm-up,
// floors, a flat or noisy run), tripped steps stay out of the history, and rewind forgets later steps.
#include "rl/watchdog.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace aha::rl {
namespace {

WatchdogConfig on() {
    WatchdogConfig c;
    c.enabled = true;  // off by default
    return c;
}

WatchdogInput steady(int step, double reward = 0.2) { return {step, 0.1, 1.0, 0.001, 1.0, reward, true}; }

// Feeds steps 1..n of `make` and returns the first event (or none).
template <typename F>
std::optional<WatchdogEvent> run(Watchdog& w, int n, F make) {
    for (int s = 1; s <= n; ++s) {
        if (auto e = w.check(make(s))) return e;
    }
    return std::nullopt;
}

TEST(WatchdogTest, NonFiniteTripsAtOnceEvenInWarmup) {
    Watchdog w(on());
    WatchdogInput s = steady(1);
    s.grad_norm = std::numeric_limits<double>::quiet_NaN();
    auto e = w.check(s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->check, "nonfinite");
    EXPECT_EQ(e->step, 1);
    EXPECT_NE(e->message.find("grad_norm is nan"), std::string::npos) << e->message;
    s.grad_norm = 1;
    s.loss = std::numeric_limits<double>::infinity();
    ASSERT_TRUE(w.check(s));
}

TEST(WatchdogTest, GradNormSpikeAgainstTheRecentMedianAfterWarmup) {
    Watchdog early(on());
    EXPECT_FALSE(run(early, 3, [](int s) { auto x = steady(s); x.grad_norm = s == 3 ? 100 : 1; return x; }));  // in warm-up
    Watchdog w(on());
    auto e = run(w, 30, [](int s) {
        auto x = steady(s);
        x.grad_norm = s == 25 ? 12.0 : 1.0 + 0.05 * (s % 3);
        return x;
    });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->check, "grad_norm_spike");
    EXPECT_EQ(e->step, 25);
    // 9x the median is inside the range.
    Watchdog calm(on());
    EXPECT_FALSE(run(calm, 30, [](int s) { auto x = steady(s); x.grad_norm = s == 25 ? 9.0 : 1.0; return x; }));
}

TEST(WatchdogTest, TrippedStepsStayOutOfTheHistory) {
    WatchdogConfig c = on();
    Watchdog w(c);
    ASSERT_FALSE(run(w, 10, [](int s) { return steady(s); }));
    auto spike = steady(11);
    spike.grad_norm = 50;
    ASSERT_TRUE(w.check(spike));
    ASSERT_TRUE(w.check(spike));  // the median is still the steady steps'
}

TEST(WatchdogTest, KlSpikeNeedsTheFloor) {
    Watchdog below(on());
    EXPECT_FALSE(run(below, 20, [](int s) { auto x = steady(s); x.kl = s == 15 ? 0.009 : 1e-5; return x; }));
    Watchdog above(on());
    auto e = run(above, 20, [](int s) { auto x = steady(s); x.kl = s == 15 ? 0.5 : 0.002; return x; });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->check, "kl_spike");
    EXPECT_EQ(e->step, 15);
}

TEST(WatchdogTest, EntropyCollapseAgainstTheFirstSteps) {
    Watchdog w(on());
    auto e = run(w, 40, [](int s) { auto x = steady(s); x.entropy = std::max(0.01, 1.0 - 0.03 * s); return x; });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->check, "entropy_collapse");
    EXPECT_GT(e->step, 30);  // entropy < 0.05 of ~0.91 (the first five steps' mean)
}

TEST(WatchdogTest, RewardCollapseOnlyAfterARise) {
    Watchdog flat(on());
    EXPECT_FALSE(run(flat, 60, [](int s) { return steady(s, s % 2 ? 0.05 : 0.15); }));  // noisy, never rose
    Watchdog w(on());
    auto e = run(w, 60, [](int s) { return steady(s, s <= 5 ? 0.1 : s <= 30 ? 0.8 : 0.05); });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->check, "reward_collapse");
    EXPECT_GE(e->step, 31);
    EXPECT_LE(e->step, 35);
    EXPECT_NE(e->message.find("after rising from 0.1 to 0.8"), std::string::npos) << e->message;
}

TEST(WatchdogTest, RewindForgetsLaterStepsAndDisabledChecksNothing) {
    auto norm = [](int s, double g) { auto x = steady(s); x.grad_norm = g; return x; };
    Watchdog w(on());
    ASSERT_FALSE(run(w, 20, [&](int s) { return norm(s, s <= 10 ? 1.0 : 8.0); }));  // 8 < 10x 1: kept, the median moves up
    EXPECT_FALSE(w.check(norm(21, 15.0)));  // under 10x the recent median (8)
    w.rewind(10);                           // back to the steps of norm 1
    auto e = w.check(norm(11, 15.0));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->check, "grad_norm_spike");
    WatchdogConfig off;
    off.enabled = false;
    Watchdog none(off);
    WatchdogInput bad = steady(1);
    bad.loss = std::numeric_limits<double>::quiet_NaN();
    EXPECT_FALSE(none.check(bad));
}

}  // namespace
}  // namespace aha::rl
