// The char tokenizer: round trips, whole special tokens, and errors naming the bad character.
#include "policy/char_tokenizer.h"

#include <gtest/gtest.h>

namespace aha::policy {
namespace {

TEST(CharTokenizerTest, RoundTripsWithSpecialTokens) {
    CharTokenizer tok = CharTokenizer::for_alphabet("ab12=;?");
    std::string text = "?1a<think>1a=b;</think><answer>b</answer>";
    std::vector<int> ids = tok.encode(text);
    EXPECT_EQ(ids.size(), 3u + 1u + 5u + 1u + 1u + 1u + 1u);
    EXPECT_EQ(ids[3], tok.special_id("<think>"));
    EXPECT_EQ(tok.decode(ids), text);
    EXPECT_EQ(tok.vocab_size(), 7 + 7);
}

TEST(CharTokenizerTest, UnknownCharactersAndIdsAreErrors) {
    CharTokenizer tok = CharTokenizer::for_alphabet("ab");
    EXPECT_THROW(tok.encode("abc"), FormatError);
    EXPECT_THROW(tok.encode("a<thonk>"), FormatError);
    EXPECT_THROW(tok.encode("a\xff"), FormatError);
    EXPECT_THROW(tok.decode({99}), FormatError);
    EXPECT_THROW(CharTokenizer::for_alphabet("aa"), FormatError);
}

TEST(CharTokenizerTest, JsonRoundTrip) {
    CharTokenizer tok = CharTokenizer::for_alphabet("xyz");
    CharTokenizer back = CharTokenizer::from_json(tok.to_json(), "t.json");
    EXPECT_EQ(back.encode("<bos>xyz<eos>"), tok.encode("<bos>xyz<eos>"));
    EXPECT_THROW(CharTokenizer::from_json(Json::parse(R"({"type": "bpe"})"), "t.json"), FormatError);
}

}  // namespace
}  // namespace aha::policy
