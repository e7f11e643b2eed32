// String helpers used in error messages.
#include "core/strings.h"

#include <gtest/gtest.h>

namespace aha {
namespace {

TEST(EditDistanceTest, HandComputed) {
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("clip_hihg", "clip_high"), 2u);
}

TEST(ClosestMatchTest, SuggestsOnlyCloseWords) {
    EXPECT_EQ(closest_match("lerning_rate", {"learning_rate", "steps"}), "learning_rate");
    EXPECT_EQ(closest_match("zzzzzz", {"learning_rate", "steps"}), "");
}

TEST(SplitTest, KeepsEmptyFields) {
    EXPECT_EQ(split("a..b", '.'), (std::vector<std::string>{"a", "", "b"}));
}

}  // namespace
}  // namespace aha
