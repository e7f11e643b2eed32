// Learning-rate schedules; see lr_schedule.h.
#include "rl/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/catalogue.h"

namespace aha::rl {

LrSchedule LrSchedule::from_json(ConfigReader r) {
    LrSchedule s;
    r.read("name", s.name).read("warmup_steps", s.warmup_steps).read("min_lr_ratio", s.min_lr_ratio);
    r.finish();
    return s;
}

Json LrSchedule::to_json() const {
    return {{"name", name}, {"warmup_steps", warmup_steps}, {"min_lr_ratio", min_lr_ratio}};
}

void LrSchedule::validate(const std::string& path) const {
    config_require_one_of(name, lr_schedule_names(), path + ".name");
    config_require(warmup_steps >= 0, path + ".warmup_steps", "expected >= 0");
    config_require(min_lr_ratio >= 0 && min_lr_ratio <= 1, path + ".min_lr_ratio", "expected in [0, 1]");
}

namespace {

// After warm-up: the rate at `progress` (0..1 of the steps after warm-up).
struct Schedule {
    const char* name;
    double (*after_warmup)(const LrSchedule& s, double peak, double progress);
};

const std::vector<Schedule>& schedules() {
    static const std::vector<Schedule> t = {
        {"constant", [](const LrSchedule&, double peak, double) { return peak; }},
        {"cosine",
         [](const LrSchedule& s, double peak, double progress) {
             double cosine = 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
             return peak * (s.min_lr_ratio + (1.0 - s.min_lr_ratio) * cosine);
         }},
    };
    return t;
}

}  // namespace

std::vector<std::string> lr_schedule_names() { return catalogue_names(schedules()); }

double lr_at(const LrSchedule& s, double peak, int step, int total_steps) {
    const Schedule& schedule = catalogue_entry(schedules(), s.name, "learning-rate schedule");
    if (step < s.warmup_steps) return peak * (step + 1) / s.warmup_steps;
    double progress = static_cast<double>(step - s.warmup_steps) / std::max(1, total_steps - s.warmup_steps);
    return schedule.after_warmup(s, peak, progress);
}

}  // namespace aha::rl
