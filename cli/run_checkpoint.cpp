// Periodic checkpoints of an RL run; see run_checkpoint.h.
#include "cli/run_checkpoint.h"

#include <cstdio>

#include "core/files.h"
#include "policy/checkpoint.h"
#include "rl/learner.h"

namespace aha::cli {

namespace {

constexpr const char* kPrefix = "step_";
constexpr const char* kTempPrefix = ".tmp-step_";
constexpr const char* kDeletePrefix = ".del-";

// Removes a checkpoint so that a kill midway never leaves a partial step_ directory: it is renamed out of
// the step_ names first (atomic), then deleted; leftovers of a killed deletion go on the next write.
void remove_checkpoint(const std::string& dir, const std::string& name) {
    if (!file_exists(dir + "/" + name)) return;
    const std::string doomed = dir + "/" + kDeletePrefix + name;
    remove_tree(doomed);
    rename_synced(dir + "/" + name, doomed);
    remove_tree(doomed);
}

bool is_checkpoint_name(const std::string& name) {
    if (name.rfind(kPrefix, 0) != 0 || name.size() <= std::char_traits<char>::length(kPrefix)) return false;
    for (size_t i = std::char_traits<char>::length(kPrefix); i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9') return false;
    }
    return true;
}

}  // namespace

std::string checkpoint_name(int step) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%06d", kPrefix, step);
    return buf;
}

std::vector<std::string> run_checkpoints(const std::string& run_dir) {
    const std::string dir = run_dir + "/checkpoints";
    std::vector<std::string> out;
    if (!file_exists(dir)) return out;
    for (const auto& name : list_dir(dir)) {
        if (is_checkpoint_name(name)) out.push_back(name);  // zero-padded: name order is step order
    }
    return out;
}

std::string text_hash(const std::string& text) {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string write_run_checkpoint(const std::string& run_dir, int step, policy::CausalLM& model, const std::string& text_dir,
                                 const rl::Learner& learner, Json state, int keep) {
    const std::string dir = run_dir + "/checkpoints";
    make_dirs(dir);
    const std::string name = checkpoint_name(step);
    const std::string tmp = dir + "/" + kTempPrefix + name.substr(std::char_traits<char>::length(kPrefix));
    const std::string final_dir = dir + "/" + name;
    for (const auto& entry : list_dir(dir)) {  // left by a run killed while writing or deleting
        if (entry.rfind(kTempPrefix, 0) == 0 || entry.rfind(kDeletePrefix, 0) == 0) remove_tree(dir + "/" + entry);
    }
    make_dirs(tmp);
    policy::save_hf_model(tmp, model);
    policy::copy_text_side(text_dir, tmp);
    learner.save_state(tmp + "/trainer_state.pt");
    state["format"] = 1;
    state["step"] = step;
    write_file_atomic(tmp + "/trainer_state.json", state.dump(2) + "\n");
    sync_dir(tmp);
    remove_checkpoint(dir, name);  // a checkpoint of the same step from an earlier attempt
    rename_synced(tmp, final_dir);
    std::vector<std::string> all = run_checkpoints(run_dir);
    for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) remove_checkpoint(dir, all[i]);
    return final_dir;
}

std::vector<std::string> remove_checkpoints_after(const std::string& run_dir, int step) {
    std::vector<std::string> removed;
    for (const auto& name : run_checkpoints(run_dir)) {
        if (name > checkpoint_name(step)) {
            remove_checkpoint(run_dir + "/checkpoints", name);
            removed.push_back(name);
        }
    }
    return removed;
}

Json read_checkpoint_state(const std::string& dir) {
    const std::string path = dir + "/trainer_state.json";
    if (!file_exists(path)) throw IoError(path + ": not found (not a complete checkpoint)");
    Json state;
    try {
        state = Json::parse(read_file(path));
    } catch (const Json::parse_error& e) {
        throw FormatError(path + ": not valid JSON (" + e.what() + ")");
    }
    for (const char* key : {"format", "step", "stream", "config", "config_hash"}) {
        if (!state.is_object() || !state.contains(key)) throw FormatError(path + ": missing \"" + std::string(key) + "\"");
    }
    if (!state["step"].is_number_integer() || state["step"].get<int64_t>() < 0) throw FormatError(path + ": \"step\" must be an integer >= 0");
    if (!state["config"].is_object()) throw FormatError(path + ": \"config\" must be the run's resolved config (an object)");
    if (text_hash(state["config"].dump(2) + "\n") != state["config_hash"]) {
        throw FormatError(path + ": \"config\" does not hash to \"config_hash\" (the file was edited or damaged)");
    }
    return state;
}

void load_run_checkpoint(const std::string& dir, policy::CausalLM& model, rl::Learner& learner) {
    policy::load_weights(model, policy::load_checkpoint_tensors(dir), dir);
    learner.load_state(dir + "/trainer_state.pt");
}

int truncate_log(const std::string& path, int step) {
    if (!file_exists(path)) return 0;
    const std::string text = read_file(path);
    std::string kept;
    int dropped = 0;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        const bool complete = end != std::string::npos;
        if (!complete) end = text.size();
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.empty()) continue;
        Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
        const bool keep = complete && j.is_object() && j.contains("step") && j["step"].is_number_integer() &&
                          j["step"].get<int64_t>() <= step;
        if (keep) {
            kept += line;
            kept += '\n';
        } else {
            ++dropped;
        }
    }
    write_file_atomic(path, kept);
    return dropped;
}

}  // namespace aha::cli
