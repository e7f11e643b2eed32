// Periodic checkpoints of an RL run; see run_checkpoint.h.
#include "cli/run_checkpoint.h"

#include <cstdio>

#include "core/files.h"
#include "policy/checkpoint.h"

namespace aha::cli {

namespace {

constexpr const char* kPrefix = "step_";
constexpr const char* kTempPrefix = ".tmp-step_";

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
    remove_tree(tmp);  // left by a run killed while writing
    make_dirs(tmp);
    policy::save_hf_model(tmp, model);
    policy::copy_text_side(text_dir, tmp);
    learner.save_state(tmp + "/trainer_state.pt");
    state["format"] = 1;
    state["step"] = step;
    write_file_atomic(tmp + "/trainer_state.json", state.dump(2) + "\n");
    sync_dir(tmp);
    remove_tree(final_dir);  // a checkpoint of the same step from an earlier attempt
    rename_synced(tmp, final_dir);
    std::vector<std::string> all = run_checkpoints(run_dir);
    for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) remove_tree(dir + "/" + all[i]);
    return final_dir;
}

}  // namespace aha::cli
