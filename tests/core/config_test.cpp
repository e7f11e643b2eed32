// ConfigReader: unknown keys, wrong types, overrides and JSON syntax errors are reported with their path.
#include "core/config.h"
#include "core/config_fields.h"
#include "tests/support/error_text.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace aha {
namespace {

struct LossConfig {
    double clip_low = 0.2;
    double clip_high = 0.2;
    std::string name = "ppo_clip";
};

LossConfig read_loss(const Json& j) {
    LossConfig c;
    ConfigReader root(j, "");
    ConfigReader r = root.child("rl").child("loss");
    r.read("clip_low", c.clip_low).read("clip_high", c.clip_high).read("name", c.name);
    r.finish();
    return c;
}

using testing::error_of;

TEST(ConfigReaderTest, ReadsPresentKeysAndKeepsDefaults) {
    LossConfig c = read_loss(Json::parse(R"({"rl": {"loss": {"clip_high": 0.28}}})"));
    EXPECT_DOUBLE_EQ(c.clip_high, 0.28);
    EXPECT_DOUBLE_EQ(c.clip_low, 0.2);
    EXPECT_EQ(c.name, "ppo_clip");
}

TEST(ConfigReaderTest, UnknownKeyNamesPathAndSuggestion) {
    std::string msg = error_of([] { read_loss(Json::parse(R"({"rl": {"loss": {"clip_hihg": 0.3}}})")); });
    EXPECT_EQ(msg, "rl.loss.clip_hihg: unknown key; did you mean clip_high?");
}

TEST(ConfigReaderTest, WrongTypeNamesPathAndExpectedType) {
    std::string msg = error_of([] { read_loss(Json::parse(R"({"rl": {"loss": {"clip_low": "big"}}})")); });
    EXPECT_EQ(msg, "rl.loss.clip_low: expected a number, got a string (\"big\")");
}

TEST(ConfigReaderTest, IntegerRejectsFraction) {
    Json j = Json::parse(R"({"steps": 1.5})");
    int steps = 0;
    ConfigReader r(j, "");
    EXPECT_THROW(r.read("steps", steps), ConfigError);
}

TEST(ConfigReaderTest, ChildMustBeObject) {
    EXPECT_THROW(read_loss(Json::parse(R"({"rl": 3})")), ConfigError);
}

TEST(ConfigOverrideTest, SetsNumbersStringsAndNestedKeys) {
    Json j = Json::parse(R"({"rl": {"loss": {"name": "ppo_clip"}}})");
    apply_override(j, "rl.loss.clip_high=0.28");
    apply_override(j, "rl.loss.name=gspo");
    LossConfig c = read_loss(j);
    EXPECT_DOUBLE_EQ(c.clip_high, 0.28);
    EXPECT_EQ(c.name, "gspo");
}

TEST(ConfigOverrideTest, OverrideOfUnknownKeyIsCaughtByReader) {
    Json j = Json::object();
    apply_override(j, "rl.loss.clipp=1");
    EXPECT_THROW(read_loss(j), ConfigError);
    EXPECT_THROW(apply_override(j, "novalue"), ConfigError);
}

TEST(ConfigOverrideTest, IndexPicksAListElement) {
    Json j = Json::parse(R"({"data": {"train": [{"path": "a"}, {"path": "b"}]}})");
    apply_override(j, "data.train.1.path=c.jsonl");
    EXPECT_EQ(j["data"]["train"][1]["path"], "c.jsonl");
    EXPECT_EQ(j["data"]["train"][0]["path"], "a");
    EXPECT_NE(error_of([&] { apply_override(j, "data.train.2.path=x"); }).find("data.train is a list of 2 items; expected an index 0..1"),
              std::string::npos);
    EXPECT_THROW(apply_override(j, "data.train.x=1"), ConfigError);
}

struct Knobs {
    int steps = 3;
    double rate = 0.5;
    std::string mode = "a";
};

const ConfigFields<Knobs>& knob_fields() {
    static const ConfigFields<Knobs> f = {field("steps", &Knobs::steps, at_least(1)), field("rate", &Knobs::rate, greater_than(0.0)),
                                          field("mode", &Knobs::mode, one_of({"a", "b"}))};
    return f;
}

TEST(ConfigFieldsTest, OneDeclarationReadsWritesAndChecks) {
    Json in = Json::parse(R"({"steps": 7, "mode": "b"})");
    ConfigReader r(in, "knobs");
    Knobs k;
    read_fields(knob_fields(), r, k);
    r.finish();
    EXPECT_EQ(k.steps, 7);
    EXPECT_EQ(k.rate, 0.5);  // default kept
    Json out = Json::object();
    write_fields(knob_fields(), k, out);
    EXPECT_EQ(out, Json::parse(R"({"steps": 7, "rate": 0.5, "mode": "b"})"));
    check_fields(knob_fields(), k, "knobs");
    k.steps = 0;
    EXPECT_NE(error_of([&] { check_fields(knob_fields(), k, "knobs"); }).find("knobs.steps: expected >= 1"), std::string::npos);
    k.steps = 1;
    k.mode = "c";
    EXPECT_NE(error_of([&] { check_fields(knob_fields(), k, "knobs"); }).find("knobs.mode: unknown 'c'; valid names: a, b"),
              std::string::npos);
    Json typo = Json::parse(R"({"stepz": 7})");
    ConfigReader t(typo, "knobs");
    read_fields(knob_fields(), t, k);
    EXPECT_NE(error_of([&] { t.finish(); }).find("did you mean steps"), std::string::npos);
}

TEST(LoadJsonFileTest, SyntaxErrorNamesFileLineAndColumn) {
    auto path = (std::filesystem::temp_directory_path() / "aha_bad_config.json").string();
    std::ofstream(path) << "{\n  \"a\": 1,\n  \"b\": ]\n}\n";
    std::string msg = error_of([&] { load_json_file(path); });
    EXPECT_NE(msg.find(path + ":3:8: invalid JSON"), std::string::npos) << msg;
    EXPECT_NE(error_of([] { load_json_file("/nonexistent/x.json"); }).find("cannot open"), std::string::npos);
}

TEST(LoadConfigFileTest, ExtendsMergesOverTheBaseRecursively) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / "aha_extends_test";
    fs::create_directories(dir / "recipes");
    std::ofstream(dir / "base.json") << R"({"run_dir": "runs/base", "rl": {"steps": 10, "loss": {"name": "ppo_clip", "kl_coef": 0.1}}})";
    std::ofstream(dir / "recipes" / "mid.json") << R"({"extends": "../base.json", "rl": {"loss": {"kl_coef": null, "clip_high": 0.28}}})";
    std::ofstream(dir / "recipes" / "top.json") << R"({"extends": "mid.json", "run_dir": "runs/top", "rl": {"steps": 5}})";
    Json j = load_config_file((dir / "recipes" / "top.json").string());
    EXPECT_EQ(j.at("run_dir"), "runs/top");
    EXPECT_EQ(j.at("rl").at("steps"), 5);
    EXPECT_EQ(j.at("rl").at("loss").at("name"), "ppo_clip");
    EXPECT_EQ(j.at("rl").at("loss").at("clip_high"), 0.28);
    EXPECT_FALSE(j.at("rl").at("loss").contains("kl_coef"));  // null removed it
    EXPECT_FALSE(j.contains("extends"));
}

TEST(LoadConfigFileTest, CyclesMissingBasesAndBadValuesNameTheFiles) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / "aha_extends_errors";
    fs::create_directories(dir);
    const std::string a = (dir / "a.json").string(), b = (dir / "b.json").string();
    std::ofstream(a) << R"({"extends": "./b.json"})";
    std::ofstream(b) << R"({"extends": "a.json"})";
    std::string msg = error_of([&] { load_config_file(a); });
    EXPECT_NE(msg.find("extends cycle"), std::string::npos) << msg;
    EXPECT_NE(msg.find(b), std::string::npos) << msg;
    std::ofstream(a) << R"({"extends": "missing.json"})";
    msg = error_of([&] { load_config_file(a); });
    EXPECT_NE(msg.find(a + ": extends:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing.json"), std::string::npos) << msg;
    std::ofstream(a) << R"({"extends": 3})";
    EXPECT_NE(error_of([&] { load_config_file(a); }).find("expected the path"), std::string::npos);
    std::ofstream(a) << R"([1, 2])";
    EXPECT_NE(error_of([&] { load_config_file(a); }).find("expected a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace aha
