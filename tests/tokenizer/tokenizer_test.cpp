// Hand-computed cases for the tokenizer.json pipeline (split behaviours, added-token flags, merge order,
// templates, streaming) and its errors. Parity with Hugging Face on real tokenizers is hf_parity.sh; the
// expected splits below are the ones `tokenizers` 0.23 produces on the same inputs.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "datasets/prompt_template.h"
#include "tests/support/error_text.h"
#include "tokenizer/model_text.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace aha::tokenizer {
namespace {

using testing::error_of;

// A char-level BPE (no byte-level step) whose vocabulary holds every character used plus whole words, with
// ignore_merges, so that each pre-tokenized piece that is a word comes out as one id.
Json toy(const std::vector<std::string>& words, Json pre_tokenizer = nullptr) {
    Json vocab = Json::object();
    int next = 0;
    auto add = [&](const std::string& w) {
        if (!vocab.contains(w)) vocab[w] = next++;
    };
    for (const char* c : {"a", "b", "c", "d", "e", "f", "h", "i", "l", "n", "o", "r", "t", "u", "w", "x", "y", "z", "-", " ",
                          "<", ">", "X", "\t", "\n"}) {
        add(c);
    }
    for (const auto& w : words) add(w);
    return {{"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens", Json::array()},
            {"normalizer", nullptr},
            {"pre_tokenizer", pre_tokenizer},
            {"post_processor", nullptr},
            {"decoder", nullptr},
            {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", Json::array()}, {"ignore_merges", true}}}};
}

// The pieces as strings: ids mapped back to tokens.
std::vector<std::string> pieces(const Tokenizer& t, const std::string& text) {
    std::vector<std::string> out;
    for (int id : t.encode(text)) out.push_back(t.id_to_token(id));
    return out;
}

using Pieces = std::vector<std::string>;

Json split_on_dash(const std::string& behavior, bool invert = false) {
    return {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", invert}};
}

TEST(TokenizerSplitTest, EveryBehaviourSplitsLikeTokenizers) {
    const std::string text = "the-final--countdown-";
    const std::vector<std::string> words = {"the", "final", "countdown", "--", "the-", "final-", "countdown-", "-final",
                                            "-countdown"};
    auto run = [&](const std::string& behavior, bool invert = false) {
        return pieces(Tokenizer::from_json(toy(words, split_on_dash(behavior, invert)), "toy"), text);
    };
    EXPECT_EQ(run("Removed"), (Pieces{"the", "final", "countdown"}));
    EXPECT_EQ(run("Isolated"), (Pieces{"the", "-", "final", "-", "-", "countdown", "-"}));
    EXPECT_EQ(run("MergedWithPrevious"), (Pieces{"the-", "final-", "-", "countdown-"}));
    EXPECT_EQ(run("MergedWithNext"), (Pieces{"the", "-final", "-", "-countdown", "-"}));
    EXPECT_EQ(run("Contiguous"), (Pieces{"the", "-", "final", "--", "countdown", "-"}));
    EXPECT_EQ(run("MergedWithPrevious", true), (Pieces{"the", "-final", "-", "-countdown", "-"}));
}

TEST(TokenizerAddedTokenTest, FlagsDecideWhatMatchesAndWhatWhitespaceIsAbsorbed) {
    Json j = toy({"ab", "xab"});
    j["added_tokens"] = Json::array({
        {{"id", 27}, {"content", "<X>"}, {"lstrip", true}, {"rstrip", true}, {"normalized", false}, {"special", true}},
        {{"id", 28}, {"content", "ab"}, {"single_word", true}, {"normalized", false}, {"special", false}},
    });
    // Vocabulary ids: 25 single characters, then "ab" = 25 and "xab" = 26, so <X> is the first new id.
    j["added_tokens"][0]["id"] = 26 + 1;
    j["added_tokens"][1]["id"] = 25;  // "ab" is already in the vocabulary: it keeps its id
    Tokenizer t = Tokenizer::from_json(j, "toy");
    // lstrip/rstrip: the whitespace around <X> belongs to it, no tokens are made for it.
    EXPECT_EQ(pieces(t, "a \t<X>  b"), (Pieces{"a", "<X>", "b"}));
    // single_word: "ab" inside "xab" is not a match, and is not retried; standing alone it matches.
    EXPECT_EQ(pieces(t, "xab"), (Pieces{"xab"}));
    EXPECT_EQ(pieces(t, "x ab"), (Pieces{"x", " ", "ab"}));
    EXPECT_TRUE(t.is_special(27));
    EXPECT_FALSE(t.is_special(25));
    EXPECT_EQ(t.decode(t.encode("a<X>b"), /*skip_special_tokens=*/true), "a b");  // no decoder: joined by spaces
}

TEST(TokenizerAddedTokenTest, JsonIdsMustBeTheOnesTokenizersAssigns) {
    Json j = toy({});
    j["added_tokens"] = Json::array({{{"id", 500}, {"content", "<X>"}, {"special", true}}});
    EXPECT_EQ(error_of([&] { Tokenizer::from_json(j, "t.json"); }),
              "t.json: added_tokens[0]: id 500 for '<X>', but tokenizers assigns 25");
}

TEST(TokenizerByteLevelTest, PrefixSpaceGoesOnEverySplit) {
    // Sequence[Split(\s+), ByteLevel(add_prefix_space)] on "a b" gives Ġa | Ġ | Ġb in tokenizers.
    Json vocab = Json::object();
    const std::string G = "\xC4\xA0";  // U+0120, the byte-level space
    int id = 0;
    for (const std::string& w : {std::string("a"), std::string("b"), G, G + "a", G + "b"}) vocab[w] = id++;
    Json j = toy({});
    j["model"]["vocab"] = vocab;
    j["pre_tokenizer"] = {{"type", "Sequence"},
                          {"pretokenizers",
                           {{{"type", "Split"}, {"pattern", {{"Regex", "\\s+"}}}, {"behavior", "Isolated"}},
                            {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", false}}}}};
    j["decoder"] = {{"type", "ByteLevel"}};
    Tokenizer t = Tokenizer::from_json(j, "toy");
    EXPECT_EQ(pieces(t, "a b"), (Pieces{G + "a", G, G + "b"}));
    EXPECT_EQ(t.decode(t.encode("a b")), " a  b");
}

TEST(TokenizerBpeTest, LowestRankMergesFirstAndBothMergeEncodingsAgree) {
    Json j = toy({"aa", "aaa"});
    j["model"]["ignore_merges"] = false;
    j["model"]["merges"] = Json::array({"a a", "aa a"});
    Tokenizer legacy = Tokenizer::from_json(j, "toy");
    EXPECT_EQ(pieces(legacy, "aaa"), (Pieces{"aaa"}));
    EXPECT_EQ(pieces(legacy, "aaaa"), (Pieces{"aa", "aa"}));  // leftmost "a a" first, then again
    j["model"]["merges"] = Json::array({Json::array({"a", "a"}), Json::array({"aa", "a"})});
    Tokenizer pairs = Tokenizer::from_json(j, "toy");
    EXPECT_EQ(pairs.encode("aaaaa"), legacy.encode("aaaaa"));
}

TEST(TokenizerTemplateTest, BosOnlyWithAddSpecialTokens) {
    Json j = toy({});
    j["added_tokens"] = Json::array({{{"id", 25}, {"content", "<s>"}, {"special", true}}});
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
                           {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {25}}, {"tokens", {"<s>"}}}}}}};
    Tokenizer t = Tokenizer::from_json(j, "toy");
    EXPECT_EQ(t.encode("ab", true), (std::vector<int>{25, 0, 1}));
    EXPECT_EQ(t.encode("ab", false), (std::vector<int>{0, 1}));
    EXPECT_EQ(t.encode("", true), (std::vector<int>{25}));
}

TEST(TokenizerErrorTest, UnsupportedComponentsAndBadFilesAreNamed) {
    Json j = toy({});
    j["model"]["type"] = "Unigram";
    EXPECT_EQ(error_of([&] { Tokenizer::from_json(j, "t.json"); }), "t.json: model: type 'Unigram' is not supported; supported: BPE");
    j = toy({});
    j["normalizer"] = {{"type", "Lowercase"}};
    EXPECT_EQ(error_of([&] { Tokenizer::from_json(j, "t.json"); }),
              "t.json: normalizer: type 'Lowercase' is not supported; supported: NFC, NFD, NFKC, NFKD, Sequence");
    j = toy({});
    j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Metaspace"}}}}};
    EXPECT_EQ(error_of([&] { Tokenizer::from_json(j, "t.json"); }),
              "t.json: pre_tokenizer.pretokenizers[0]: type 'Metaspace' is not supported; supported: Split, ByteLevel, Sequence");
    j = toy({});
    j["model"]["merges"] = Json::array({"a q"});
    EXPECT_EQ(error_of([&] { Tokenizer::from_json(j, "t.json"); }),
              "t.json: model.merges[0]: 'a q' uses a token that is not in the vocabulary");
    j = toy({});
    j["model"]["merges"] = Json::array({"a b"});
    EXPECT_EQ(error_of([&] { Tokenizer::from_json(j, "t.json"); }),
              "t.json: model.merges[0]: the merge of 'a b' is not in the vocabulary");
    j = toy({});
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}};
    EXPECT_NE(error_of([&] { Tokenizer::from_json(j, "t.json"); }).find("t.json: pre_tokenizer.pattern.Regex: regex does not compile"),
              std::string::npos);
    Tokenizer t = Tokenizer::from_json(toy({}), "t.json");
    EXPECT_EQ(error_of([&] { t.decode({1, 99}); }), "t.json: decode: token id 99 is not in the vocabulary (0..24)");
    EXPECT_NE(error_of([] { Tokenizer::from_file("/nonexistent/tokenizer.json"); }).find("/nonexistent/tokenizer.json: cannot open"),
              std::string::npos);
}

class RealTokenizer : public ::testing::Test {
 protected:
    static const Tokenizer& qwen() {
        static const Tokenizer t = Tokenizer::from_file(std::string(AHA_SOURCE_DIR) + "/tests/data/tokenizers/qwen3");
        return t;
    }
};

TEST_F(RealTokenizer, StreamingNeverEmitsHalfACharacter) {
    const std::string text = "数学 😀👨‍👩‍👧 e\u0301 \xF0\x9F\xA7\xAA <think>x</think>";
    StreamDecoder stream(qwen());
    std::string joined;
    for (int id : qwen().encode(text)) {
        std::string piece = stream.push(id);
        EXPECT_TRUE(is_valid_utf8(piece)) << "id " << id;
        joined += piece;
    }
    joined += stream.finish();
    EXPECT_EQ(joined, qwen().decode(qwen().encode(text)));
}

TEST_F(RealTokenizer, IdsPastTheVocabularyDecodeToNothingInCompletions) {
    // Qwen's embeddings have 151,936 rows for 151,669 tokens: a policy can sample a row without a token.
    // Completions and streams skip it, as `tokenizers` does (decode([9707, 151670, 1879]) == "Hello world");
    // Tokenizer::decode of explicit ids stays strict.
    const std::vector<int> ids = {9707, 151670, 1879, -1, 1 << 20};
    EXPECT_TRUE(qwen().has_id(9707));
    EXPECT_FALSE(qwen().has_id(151670));
    EXPECT_FALSE(qwen().has_id(-1));
    ModelText text = ModelText::from_tokenizer(Tokenizer::from_file(std::string(AHA_SOURCE_DIR) + "/tests/data/tokenizers/qwen3"),
                                               {151645}, 151643);
    EXPECT_EQ(text.decode(ids), "Hello world");
    StreamDecoder stream(qwen(), true);
    std::string joined;
    for (int id : ids) joined += stream.push(id);
    EXPECT_EQ(joined + stream.finish(), "Hello world");
    EXPECT_THROW(qwen().decode(ids), FormatError);
}

TEST_F(RealTokenizer, BatchEncodingOnThreadsEqualsOneByOne) {
    std::vector<std::string> texts;
    for (int i = 0; i < 200; ++i) texts.push_back("Problem " + std::to_string(i * 7919) + ": 数学 <|im_start|> x" + std::string(i % 13, ' '));
    auto batch = qwen().encode_batch(texts, false, 4);
    for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i], qwen().encode(texts[i])) << i;
}

TEST_F(RealTokenizer, ChatTemplateMarkersBecomeTheirSpecialIds) {
    const auto ids = qwen().encode(datasets::prompt_template("qwen_chat").render("1+1?"));
    ASSERT_GE(ids.size(), 6u);
    EXPECT_EQ(ids.front(), qwen().token_to_id("<|im_start|>"));
    EXPECT_EQ(std::count(ids.begin(), ids.end(), qwen().token_to_id("<|im_end|>")), 1);
    EXPECT_EQ(qwen().decode(ids), datasets::prompt_template("qwen_chat").render("1+1?"));
    EXPECT_EQ(qwen().decode(ids, /*skip_special_tokens=*/true), "user\n1+1?\nassistant\n");
}

TEST_F(RealTokenizer, InvalidUtf8IsReplacedLikePython) {
    // Python: b"ab\xe4\xb8cd".decode("utf-8", "replace") == "ab\ufffdcd"
    EXPECT_EQ(qwen().encode("ab\xE4\xB8" "cd"), qwen().encode("ab\xEF\xBF\xBD" "cd"));
    EXPECT_EQ(replace_invalid_utf8("\xF0\x9F\x98\xFF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace aha::tokenizer
