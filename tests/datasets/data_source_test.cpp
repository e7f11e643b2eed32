// Data sources: rows from JSONL, JSON and Parquet (verl's layout), keys, answer formats, presets, bad data, and
// the weighted, shuffled, resumable stream.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "core/files.h"
#include "datasets/data_source.h"
#include "datasets/data_stream.h"
#include "datasets/rows.h"

namespace aha::datasets {
namespace {

const std::string kFixtures = std::string(AHA_SOURCE_DIR) + "/tests/data/datasets/";

std::string temp_file(const std::string& name, const std::string& content) {
    const std::string dir = ::testing::TempDir() + "aha_data_source_test";
    make_dirs(dir);
    const std::string path = dir + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

DataSourceConfig source(const Json& j) { return DataSourceConfig::from_json(ConfigReader(j, "data.train[0]")); }

template <typename E, typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(RowsTest, ParquetInVerlLayoutReadsNestedColumns) {
    auto rows = read_rows(kFixtures + "verl_layout.parquet");
    ASSERT_EQ(rows.size(), 3u);  // over two row groups
    EXPECT_EQ(rows[1].fields["prompt"][1]["content"], "What is 2+3?");
    EXPECT_EQ(rows[1].fields["prompt"][0]["role"], "system");
    EXPECT_EQ(rows[2].fields["reward_model"]["ground_truth"], "{\"numbers\": [2, 5], \"target\": 10}");
    EXPECT_EQ(rows[2].fields["extra_info"]["index"], 2);
    EXPECT_EQ(rows[2].where, kFixtures + "verl_layout.parquet: row 3");
}

TEST(RowsTest, ParquetColumnTypesBecomeJson) {
    auto rows = read_rows(kFixtures + "types.parquet");
    ASSERT_EQ(rows.size(), 2u);
    const Json& a = rows[0].fields;
    EXPECT_EQ(a["b"], true);
    EXPECT_EQ(a["i8"], -3);
    EXPECT_EQ(a["u64"].get<uint64_t>(), 1ULL << 63);
    EXPECT_EQ(a["f"], 0.5);
    EXPECT_EQ(a["s"], "h\xC3\xA9");
    EXPECT_EQ(a["l"], Json::array({1, 2}));
    EXPECT_EQ(a["m"], Json({{"k", 1}}));
    EXPECT_EQ(a["d"], "x");
    EXPECT_TRUE(rows[1].fields["b"].is_null());
    EXPECT_TRUE(rows[1].fields["s"].is_null());
    EXPECT_EQ(rows[1].fields["l"], Json::array());
}

TEST(RowsTest, ParquetErrorsNameTheFileRowAndColumn) {
    const std::string binary = error_of<FormatError>([] { read_rows(kFixtures + "binary_column.parquet"); });
    EXPECT_NE(binary.find("binary_column.parquet: row 1, column 'raw'"), std::string::npos) << binary;
    EXPECT_NE(binary.find("binary"), std::string::npos) << binary;
    // A truncated copy of a real file.
    const std::string whole = read_file(kFixtures + "verl_layout.parquet");
    const std::string cut = temp_file("cut.parquet", whole.substr(0, whole.size() / 2));
    const std::string e = error_of<FormatError>([&] { read_rows(cut); });
    EXPECT_NE(e.find("cut.parquet: not a readable Parquet file"), std::string::npos) << e;
    const std::string text = temp_file("text.parquet", "{\"a\": 1}\n");
    EXPECT_NE(error_of<FormatError>([&] { read_rows(text); }).find("not a readable Parquet file"), std::string::npos);
    EXPECT_TRUE(read_rows(kFixtures + "empty.parquet").empty());
}

TEST(RowsTest, JsonlAndJsonRowsAndTheirErrors) {
    auto p = temp_file("a.jsonl", "{\"q\": \"x\"}\n\n{\"q\": \"y\"}\r\n");
    auto rows = read_rows(p);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].where, p + ":3");
    auto bad = temp_file("bad.jsonl", "{\"q\": 1}\n{\"q\": \n");
    EXPECT_NE(error_of<FormatError>([&] { read_rows(bad); }).find("bad.jsonl:2: not a JSON line"), std::string::npos);
    auto scalar = temp_file("scalar.jsonl", "{\"q\": 1}\n[1, 2]\n");
    EXPECT_NE(error_of<FormatError>([&] { read_rows(scalar); }).find("scalar.jsonl:2: expected a JSON object"), std::string::npos);
    auto utf8 = temp_file("utf8.jsonl", "{\"q\": \"\xFF\"}\n");
    EXPECT_NE(error_of<FormatError>([&] { read_rows(utf8); }).find("utf8.jsonl:1"), std::string::npos);
    auto arr = temp_file("a.json", "[{\"q\": 1}, {\"q\": 2}]");
    EXPECT_EQ(read_rows(arr).size(), 2u);
    EXPECT_EQ(read_rows(arr)[1].where, arr + ": item 2");
    auto obj = temp_file("o.json", "{\"q\": 1}");
    EXPECT_NE(error_of<FormatError>([&] { read_rows(obj); }).find("expected a JSON array"), std::string::npos);
    EXPECT_NE(error_of<IoError>([] { read_rows("/nonexistent/x.jsonl"); }).find("/nonexistent/x.jsonl"), std::string::npos);
    EXPECT_NE(error_of<ConfigError>([] { resolve_row_format("x.csv", "auto", "data.train[0].format"); }).find("data.train[0].format"),
              std::string::npos);
    EXPECT_EQ(resolve_row_format("x.csv", "jsonl", "k"), "jsonl");
}

TEST(DataSourceTest, VerlParquetDefaultsGiveMessagesAndDottedAnswer) {
    auto ex = load_examples(source({{"path", kFixtures + "verl_layout.parquet"}}));
    ASSERT_EQ(ex.size(), 3u);
    ASSERT_EQ(ex[1].messages.size(), 2u);
    EXPECT_EQ(ex[1].messages[0].role, "system");
    EXPECT_EQ(ex[1].messages[1].content, "What is 2+3?");
    EXPECT_EQ(ex[1].answer, "5");
    EXPECT_EQ(ex[1].source, "verl_layout");
    EXPECT_EQ((*ex[1].fields)["data_source"], "gsm8k");  // the row travels with the prompt
}

TEST(DataSourceTest, StringPromptsFormatsAndNonStringAnswers) {
    auto p = temp_file("t.jsonl", "{\"question\": \"Q1\", \"sol\": \"a\\n#### 1,234\", \"nums\": [3, 4], \"gold\": {\"x\": 1}}\n");
    auto ex = load_examples(source({{"path", p}, {"prompt_key", "question"}, {"answer_key", "sol"}, {"answer_format", "gsm8k"}}));
    ASSERT_EQ(ex.size(), 1u);
    EXPECT_EQ(ex[0].messages[0].role, "user");
    EXPECT_EQ(ex[0].messages[0].content, "Q1");
    EXPECT_EQ(ex[0].answer, "1234");
    auto f = load_examples(source({{"path", p}, {"prompt_format", "{question} with {nums}; {not a field}"}, {"answer_key", "gold"}}));
    EXPECT_EQ(f[0].messages[0].content, "Q1 with [3,4]; {not a field}");
    EXPECT_EQ(f[0].answer, "{\"x\":1}");
    auto b = temp_file("b.jsonl", "{\"p\": \"x\", \"s\": \"so $\\\\boxed{\\\\frac{1}{2}}$ and \\\\boxed{3}.\"}\n");
    EXPECT_EQ(load_examples(source({{"path", b}, {"prompt_key", "p"}, {"answer_key", "s"}, {"answer_format", "boxed"}}))[0].answer, "3");
}

TEST(DataSourceTest, BadRowsNameFileLineAndKey) {
    auto p = temp_file("k.jsonl", "{\"question\": \"Q1\", \"answer\": \"1\"}\n{\"question\": \"Q2\"}\n");
    const std::string missing = error_of<FormatError>([&] { load_examples(source({{"path", p}, {"prompt_key", "question"}, {"answer_key", "answer"}})); });
    EXPECT_NE(missing.find("k.jsonl:2: no field 'answer' (the row has: question)"), std::string::npos) << missing;
    const std::string prompt = error_of<FormatError>([&] { load_examples(source({{"path", p}, {"answer_key", "answer"}})); });
    EXPECT_NE(prompt.find("k.jsonl:1: no field 'prompt'"), std::string::npos) << prompt;
    auto m = temp_file("m.jsonl", "{\"prompt\": [{\"role\": \"user\"}], \"a\": \"1\"}\n");
    EXPECT_NE(error_of<FormatError>([&] { load_examples(source({{"path", m}, {"answer_key", "a"}})); }).find("m.jsonl:1: prompt[0]"),
              std::string::npos);
    auto r = temp_file("r.jsonl", "{\"prompt\": [{\"role\": \"tool\", \"content\": \"x\"}], \"a\": \"1\"}\n");
    EXPECT_NE(error_of<ConfigError>([&] { load_examples(source({{"path", r}, {"answer_key", "a"}})); }).find("r.jsonl:1: prompt[0].role"),
              std::string::npos);
    auto g = temp_file("g.jsonl", "{\"q\": \"x\", \"a\": \"no marker\"}\n");
    EXPECT_NE(error_of<FormatError>([&] { load_examples(source({{"path", g}, {"prompt_key", "q"}, {"answer_key", "a"}, {"answer_format", "gsm8k"}})); })
                  .find("g.jsonl:1: field 'a' has no '#### answer' line"),
              std::string::npos);
    auto e = temp_file("e.jsonl", "\n");
    EXPECT_NE(error_of<FormatError>([&] { load_examples(source({{"path", e}})); }).find("no rows"), std::string::npos);
    EXPECT_NE(error_of<ConfigError>([] { source({{"path", "x.jsonl"}, {"prompt_kee", "q"}}); }).find("did you mean prompt_key"),
              std::string::npos);
    EXPECT_NE(error_of<ConfigError>([] { source({{"preset", "gsm9k"}}); }).find("gsm8k"), std::string::npos);
    EXPECT_NE(error_of<ConfigError>([] { source({{"path", "x.jsonl"}, {"weight", 0}}).validate("data.train[0]"); }).find("data.train[0].weight"),
              std::string::npos);
}

TEST(DataSourceTest, EveryPresetLoadsItsShippedFile) {
    std::map<std::string, size_t> expected = {{"gsm8k", 7473}, {"gsm8k_test", 1319}, {"math", 7500}, {"math_test", 5000},
                                              {"math500", 500}, {"aime24", 30}, {"aime25", 30}, {"amc23", 40},
                                              {"mbpp", 374}, {"mbpp_test", 500}, {"humaneval", 164},
                                              {"countdown", 10000}, {"countdown_test", 1024}};
    for (const auto& name : data_source_preset_names()) {
        SCOPED_TRACE(name);
        DataSourceConfig c = source({{"preset", name}});
        c.validate("data.train[0]");
        auto ex = load_examples(c);
        ASSERT_TRUE(expected.count(name)) << "add the new preset here";
        EXPECT_EQ(ex.size(), expected[name]);
        EXPECT_FALSE(ex.front().messages.back().content.empty());
        EXPECT_FALSE(ex.front().answer.empty());
        EXPECT_FALSE(c.reward.empty());
    }
    EXPECT_EQ(load_examples(source({{"preset", "gsm8k_test"}}))[0].answer, "18");
    EXPECT_EQ(load_examples(source({{"preset", "math_test"}}))[0].answer, "2");
    auto cd = load_examples(source({{"preset", "countdown"}}));
    EXPECT_EQ(Json::parse(cd[0].answer), Json::parse("{\"numbers\": [44, 19, 35], \"target\": 98}"));
    EXPECT_NE(cd[0].messages[0].content.find("Using the numbers [44,19,35], create an equation that equals 98."), std::string::npos);
    auto mbpp = load_examples(source({{"preset", "mbpp_test"}}));
    EXPECT_EQ((*mbpp[0].fields)["task_id"], 11);
    EXPECT_EQ(Json::parse(mbpp[0].answer)["tests"]["test_code"].size(), 3u);
    auto he = Json::parse(load_examples(source({{"preset", "humaneval"}}))[0].answer);
    EXPECT_EQ(he["tests"]["entry_point"], "has_close_elements");
    // Keys given with a preset override it.
    EXPECT_EQ(load_examples(source({{"preset", "aime24"}, {"rows", {2, 3}}})).size(), 2u);
    EXPECT_EQ(source({{"preset", "gsm8k"}, {"reward", "math_and_format"}}).reward, "math_and_format");
}

TEST(DataSourceTest, WhereKeepsRowsWhoseFieldsMatch) {
    // MATH levels 3-5 (SimpleRL-Zoo's math_lvl3to5 slice): 1,592 + 1,690 + 2,304 of the 7,500 problems.
    auto hard = load_examples(source({{"preset", "math"}, {"where", {{"level", {"Level 3", "Level 4", "Level 5"}}}}}));
    EXPECT_EQ(hard.size(), 5586u);
    for (const auto& e : hard) EXPECT_NE((*e.fields)["level"], "Level 1");
    // Every key must match; a single value is a one-element list.
    auto algebra5 = load_examples(source({{"preset", "math"}, {"where", {{"level", "Level 5"}, {"type", "Algebra"}}}}));
    EXPECT_EQ(algebra5.size(), 436u);
    // Dotted keys, numbers (1 matches 1.0) and booleans; applied after rows.
    auto p = temp_file("w.jsonl",
                       "{\"q\": \"a\", \"a\": \"1\", \"meta\": {\"n\": 1, \"ok\": true}}\n"
                       "{\"q\": \"b\", \"a\": \"2\", \"meta\": {\"n\": 2, \"ok\": true}}\n"
                       "{\"q\": \"c\", \"a\": \"3\", \"meta\": {\"n\": 1.0, \"ok\": false}}\n");
    auto base = Json{{"path", p}, {"prompt_key", "q"}, {"answer_key", "a"}};
    auto with = [&](Json where, std::vector<int> rows = {}) {
        Json j = base;
        j["where"] = std::move(where);
        if (!rows.empty()) j["rows"] = rows;
        std::string got;
        for (const auto& e : load_examples(source(j))) got += e.messages[0].content;
        return got;
    };
    EXPECT_EQ(with({{"meta.n", 1}}), "ac");
    EXPECT_EQ(with({{"meta.n", {1, 2}}, {"meta.ok", true}}), "ab");
    EXPECT_EQ(with({{"meta.n", 1}}, {2, 3}), "c");
    // No match, a missing field, and a where of the wrong shape are errors naming the file, row or key.
    const std::string none = error_of<FormatError>([&] { with({{"meta.n", 7}}); });
    EXPECT_NE(none.find("w.jsonl: none of its 3 rows match where {\"meta.n\":7}"), std::string::npos) << none;
    const std::string missing = error_of<FormatError>([&] { with({{"level", "Level 5"}}); });
    EXPECT_NE(missing.find("w.jsonl:1: no field 'level'"), std::string::npos) << missing;
    for (const Json& bad : {Json{{"level", Json::array()}}, Json{{"level", {{"x", 1}}}}, Json("Level 5")}) {
        Json j = base;
        j["where"] = bad;
        const std::string e = error_of<ConfigError>([&] { source(j).validate("data.train[0]"); });
        EXPECT_NE(e.find("data.train[0].where: expected an object of field: value"), std::string::npos) << e;
    }
}

std::vector<size_t> draw(DataStream& s, int n) {
    std::vector<size_t> out;
    for (int i = 0; i < n; ++i) {
        auto p = s.next();
        out.push_back(p.source * 100000 + p.index);
    }
    return out;
}

TEST(DataStreamTest, EachEpochIsAPermutationAndEpochsDiffer) {
    DataStream s({50}, {1.0}, 7);
    std::vector<size_t> first = draw(s, 50), second = draw(s, 50);
    EXPECT_EQ(std::set<size_t>(first.begin(), first.end()).size(), 50u);
    EXPECT_EQ(std::set<size_t>(second.begin(), second.end()).size(), 50u);
    EXPECT_NE(first, second);
    EXPECT_EQ(s.position().epoch[0], 1);
    DataStream other({50}, {1.0}, 8);
    EXPECT_NE(draw(other, 50), first);
}

TEST(DataStreamTest, WeightsMixSourcesAndSeekResumesExactly) {
    DataStream s({10, 1000}, {3.0, 1.0}, 1);
    int first_source = 0;
    for (size_t x : draw(s, 4000)) first_source += x < 100000;
    EXPECT_NEAR(first_source / 4000.0, 0.75, 0.03);
    const StreamPosition at = StreamPosition::from_json(Json::parse(s.position().to_json().dump()), "state");
    const std::vector<size_t> expected = draw(s, 300);
    DataStream resumed({10, 1000}, {3.0, 1.0}, 1);
    resumed.seek(at);
    EXPECT_EQ(draw(resumed, 300), expected);
    StreamPosition wrong = at;
    wrong.epoch.pop_back();
    EXPECT_THROW(resumed.seek(wrong), FormatError);
    EXPECT_THROW(DataStream({0}, {1.0}, 1), ConfigError);
}

}  // namespace
}  // namespace aha::datasets
