// The run's watchdog: after each step, checks the step's numbers against the run's recent history and
// names the first thing that went wrong: a non-finite loss, gradient norm, KL or entropy; a gradient norm
// or KL far above its recent median; an entropy collapse (far below the first steps'); a reward collapse
// after a rise (the recent mean fell back most of the way it had climbed). Plain numbers in, an event out:
// what to do about it (stop, or roll back to a checkpoint with a lower learning rate) is the caller's.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace aha::rl {

struct WatchdogConfig {
    bool enabled = false;            // off by default until its thresholds are measured on long runs
    std::string action = "stop";     // stop | rollback
    int warmup_steps = 5;            // steps of history before the spike and collapse checks start
    int window = 20;                 // recent steps the spike checks compare against (median)
    double grad_norm_spike = 10;     // trips above this times the recent median grad norm (0 = off)
    double kl_spike = 10;            // trips above this times the recent median KL, and above kl_floor (0 = off)
    double kl_floor = 0.01;
    double entropy_collapse = 0.05;  // trips below this fraction of the first warmup steps' mean entropy (0 = off)
    double reward_collapse = 0.75;   // trips when the recent mean lost this share of its rise (0 = off)
    double reward_rise = 0.1;        // ... a rise of at least this much over the first steps' mean
    double lr_factor = 0.5;          // rollback: the learning rate is multiplied by this
    int max_rollbacks = 3;           // rollback: then it stops

    static WatchdogConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

// The numbers of a step the watchdog reads (StepMetrics' fields of the same names).
struct WatchdogInput {
    int step = 0;
    double loss = 0, grad_norm = 0, kl = 0, entropy = 0, reward_mean = 0;
    bool updated = true;  // false: no update this step (dynamic sampling kept nothing); only finiteness is checked
};

struct WatchdogEvent {
    int step = 0;
    std::string check;    // nonfinite | grad_norm_spike | kl_spike | entropy_collapse | reward_collapse
    std::string message;  // what was seen against what was expected
};

class Watchdog {
 public:
    explicit Watchdog(WatchdogConfig config);

    // The first check the step trips, or none; a step that trips nothing joins the history.
    std::optional<WatchdogEvent> check(const WatchdogInput& step);
    // Forgets the history after `step` (a rollback to that step's checkpoint).
    void rewind(int step);

 private:
    WatchdogConfig config_;
    std::vector<WatchdogInput> history_;  // the good steps, in order
};

}  // namespace aha::rl
