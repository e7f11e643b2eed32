// The pointer-chasing task, its held-out split and the pretraining corpus (which must never hold a chain).
#include "datasets/pointer_chase.h"

#include <gtest/gtest.h>

#include <set>

#include "datasets/pretrain_corpus.h"
#include "datasets/prompt_template.h"

namespace aha::datasets {
namespace {

PointerChaseTask default_task() { return PointerChaseTask(PointerChaseConfig{}); }

TEST(PointerChaseTaskTest, ProblemAnswerFollowsTheFunctions) {
    PointerChaseTask task = default_task();
    PointerChaseProblem p = task.make({1, 3}, 5);
    EXPECT_EQ(p.question, std::string("?24") + task.symbol(5));
    EXPECT_EQ(p.answer, task.apply(3, task.apply(1, 5)));
    EXPECT_EQ(p.answer_text, std::string(1, task.symbol(p.answer)));
    std::string chain = task.worked_chain(p);
    EXPECT_EQ(chain.size(), 10u);
    EXPECT_EQ(task.correct_hops_written(p, chain), 2);
    EXPECT_EQ(task.correct_hops_written(p, chain.substr(0, 5) + "1a=b;"), 1);
    EXPECT_EQ(task.correct_hops_written(p, ""), 0);
}

TEST(PointerChaseTaskTest, FunctionsHaveNoFixedPoints) {
    PointerChaseTask task = default_task();
    for (int f = 0; f < 4; ++f) {
        for (int x = 0; x < 52; ++x) EXPECT_NE(task.apply(f, x), x);
    }
}

TEST(PointerChaseTaskTest, HeldOutStartsNeverAppearInTrainingProblems) {
    PointerChaseTask task = default_task();
    EXPECT_EQ(task.heldout_starts().size(), 13u);
    std::mt19937_64 rng(7);
    std::set<int> hops_seen;
    for (int i = 0; i < 2000; ++i) {
        PointerChaseProblem p = task.sample_train(rng);
        EXPECT_FALSE(task.is_heldout_start(p.start));
        hops_seen.insert(static_cast<int>(p.functions.size()));
    }
    EXPECT_EQ(hops_seen, (std::set<int>{2, 3}));
}

TEST(PointerChaseTaskTest, HeldOutSetIsCompleteAndDeterministic) {
    PointerChaseTask task = default_task();
    auto k2 = task.heldout(2, 1000);
    EXPECT_EQ(k2.size(), 16u * 13u);
    std::set<std::string> questions;
    for (const auto& p : k2) {
        EXPECT_TRUE(task.is_heldout_start(p.start));
        questions.insert(p.question);
    }
    EXPECT_EQ(questions.size(), k2.size());
    auto k3a = task.heldout(3, 200), k3b = task.heldout(3, 200);
    ASSERT_EQ(k3a.size(), 200u);
    for (size_t i = 0; i < k3a.size(); ++i) EXPECT_EQ(k3a[i].question, k3b[i].question);
}

TEST(PointerChaseTaskTest, DifferentSeedsGiveDifferentWorlds) {
    PointerChaseConfig a, b;
    b.seed = a.seed + 1;
    PointerChaseTask ta(a), tb(b);
    int same = 0;
    for (int x = 0; x < 52; ++x) same += ta.apply(0, x) == tb.apply(0, x);
    EXPECT_LT(same, 10);
}

TEST(PointerChaseConfigTest, RejectsBadValues) {
    PointerChaseConfig c;
    c.num_symbols = 60;
    EXPECT_THROW(c.validate("task"), ConfigError);
    c = PointerChaseConfig{};
    c.train_hops = {};
    EXPECT_THROW(c.validate("task"), ConfigError);
    EXPECT_THROW(PointerChaseConfig::from_json(ConfigReader(Json::parse(R"({"seeed": 1})"), "task")),
                 ConfigError);
}

TEST(PretrainCorpusTest, NoLineHoldsAChainOrAMultiHopQuestion) {
    PointerChaseTask task = default_task();
    PretrainCorpusConfig c;
    c.distractor_prob = 0.5;
    c.distractors_after = true;
    std::mt19937_64 rng(3);
    int questions = 0, facts = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string line = sample_pretrain_line(task, c, rng);
        if (line[0] == '?') {
            ++questions;
            // "?" + one function + one symbol + "<think>"
            ASSERT_EQ(line.substr(3, 7), "<think>") << line;
            std::string think = line.substr(10, line.find("</think>") - 10);
            EXPECT_FALSE(contains_chain(think)) << line;
            EXPECT_LE(think.size(), 15u) << line;
        } else {
            ++facts;
            EXPECT_FALSE(contains_chain(line)) << line;
        }
    }
    EXPECT_GT(questions, 2000);
    EXPECT_GT(facts, 2000);
}

TEST(PretrainCorpusTest, FallbackChainsUseTrainStartsAndTheirOwnFormat) {
    PointerChaseTask task = default_task();
    PretrainCorpusConfig c;
    c.chain_fraction = 0.05;
    std::mt19937_64 rng(5);
    int chains = 0;
    for (int i = 0; i < 4000; ++i) {
        std::string line = sample_pretrain_line(task, c, rng);
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        ++chains;
        EXPECT_EQ(line.find("<think>"), std::string::npos) << line;
        EXPECT_EQ(line.find("<answer>"), std::string::npos) << line;
        char start = line[colon - 1];
        int index = start >= 'a' ? start - 'a' : start - 'A' + 26;
        EXPECT_FALSE(task.is_heldout_start(index)) << line;
        EXPECT_TRUE(contains_chain(line.substr(colon + 1, line.find('!') - colon - 1))) << line;
    }
    EXPECT_GT(chains, 120);
    EXPECT_LT(chains, 280);
}

TEST(PretrainCorpusTest, ChainDetectorFindsChains) {
    EXPECT_TRUE(contains_chain("1a=b;2b=c;"));
    EXPECT_FALSE(contains_chain("1a=b;2c=d;"));
}

}  // namespace
}  // namespace aha::datasets
