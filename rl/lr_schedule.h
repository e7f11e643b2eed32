// Learning-rate schedules by name, for pretraining and RL: a linear warm-up, then the peak held
// (constant) or a cosine decay to min_lr_ratio * peak at the last step (as TRL's and verl's
// "constant_with_warmup" and "cosine" schedulers; verl steps its scheduler once per RL step, and so
// does aha).
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace aha::rl {

struct LrSchedule {
    std::string name = "constant";  // constant | cosine
    int warmup_steps = 0;           // step s < warmup_steps runs at peak * (s + 1) / warmup_steps
    double min_lr_ratio = 0.0;      // cosine: the last step's rate, as a fraction of the peak

    static LrSchedule from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

std::vector<std::string> lr_schedule_names();

// The rate at 0-based `step` of `total_steps`.
double lr_at(const LrSchedule& schedule, double peak, int step, int total_steps);

}  // namespace aha::rl
