// The run's watchdog; see watchdog.h.
#include "rl/watchdog.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/config_fields.h"

namespace aha::rl {

namespace {

const ConfigFields<WatchdogConfig>& watchdog_fields() {
    static const ConfigFields<WatchdogConfig> f = {
        field("enabled", &WatchdogConfig::enabled),
        field("action", &WatchdogConfig::action, one_of({"stop", "rollback"})),
        field("warmup_steps", &WatchdogConfig::warmup_steps, at_least(1)),
        field("window", &WatchdogConfig::window, at_least(1)),
        field("grad_norm_spike", &WatchdogConfig::grad_norm_spike, at_least(0.0, " (0 = off)")),
        field("kl_spike", &WatchdogConfig::kl_spike, at_least(0.0, " (0 = off)")),
        field("kl_floor", &WatchdogConfig::kl_floor, at_least(0.0)),
        field("entropy_collapse", &WatchdogConfig::entropy_collapse, in_range(0.0, 1.0)),
        field("reward_collapse", &WatchdogConfig::reward_collapse, in_range(0.0, 1.0)),
        field("reward_rise", &WatchdogConfig::reward_rise, at_least(0.0)),
        field("lr_factor", &WatchdogConfig::lr_factor, in_range(0.0, 1.0)),
        field("max_rollbacks", &WatchdogConfig::max_rollbacks, at_least(0)),
    };
    return f;
}

std::string g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double mean(const std::vector<WatchdogInput>& h, size_t from, size_t to, double WatchdogInput::*field) {
    double s = 0;
    for (size_t i = from; i < to; ++i) s += h[i].*field;
    return s / static_cast<double>(std::max<size_t>(1, to - from));
}

}  // namespace

WatchdogConfig WatchdogConfig::from_json(ConfigReader r) { return read_block(watchdog_fields(), std::move(r)); }

Json WatchdogConfig::to_json() const { return block_json(watchdog_fields(), *this); }

void WatchdogConfig::validate(const std::string& path) const { check_fields(watchdog_fields(), *this, path); }

Watchdog::Watchdog(WatchdogConfig config) : config_(std::move(config)) {}

std::optional<WatchdogEvent> Watchdog::check(const WatchdogInput& s) {
    if (!config_.enabled) return std::nullopt;
    auto event = [&](const char* check, const std::string& message) { return WatchdogEvent{s.step, check, message}; };
    for (auto [name, v] : {std::pair{"loss", s.loss}, {"grad_norm", s.grad_norm}, {"kl", s.kl}, {"entropy", s.entropy},
                           {"reward_mean", s.reward_mean}}) {
        if (!std::isfinite(v)) return event("nonfinite", std::string(name) + " is " + g(v) + " (the update was skipped)");
    }
    if (!s.updated) return std::nullopt;
    const size_t n = history_.size();
    const size_t warm = static_cast<size_t>(config_.warmup_steps);
    if (n >= warm) {
        std::vector<double> norms, kls;
        for (size_t i = n - std::min(n, static_cast<size_t>(config_.window)); i < n; ++i) {
            norms.push_back(history_[i].grad_norm);
            kls.push_back(history_[i].kl);
        }
        const double norm_median = median(norms), kl_median = median(kls);
        if (config_.grad_norm_spike > 0 && norm_median > 0 && s.grad_norm > config_.grad_norm_spike * norm_median) {
            return event("grad_norm_spike", "grad norm " + g(s.grad_norm) + " is over " + g(config_.grad_norm_spike) +
                                                "x the median " + g(norm_median) + " of the last " + std::to_string(norms.size()) + " steps");
        }
        if (config_.kl_spike > 0 && s.kl > config_.kl_floor && s.kl > config_.kl_spike * kl_median) {
            return event("kl_spike", "KL " + g(s.kl) + " is over " + g(config_.kl_spike) + "x the median " + g(kl_median) +
                                         " of the last " + std::to_string(kls.size()) + " steps (and over kl_floor " + g(config_.kl_floor) + ")");
        }
        const double first_entropy = mean(history_, 0, warm, &WatchdogInput::entropy);
        if (config_.entropy_collapse > 0 && first_entropy > 0 && s.entropy < config_.entropy_collapse * first_entropy) {
            return event("entropy_collapse", "entropy " + g(s.entropy) + " is under " + g(config_.entropy_collapse) +
                                                 " of the first steps' " + g(first_entropy));
        }
        if (config_.reward_collapse > 0 && n + 1 >= 2 * warm) {
            // The means over warmup_steps-step windows: the first, the best since, and the latest (with this step).
            const double start = mean(history_, 0, warm, &WatchdogInput::reward_mean);
            double best = start;
            for (size_t i = warm; i + warm <= n; ++i) best = std::max(best, mean(history_, i, i + warm, &WatchdogInput::reward_mean));
            const double recent = (mean(history_, n + 1 - warm, n, &WatchdogInput::reward_mean) * static_cast<double>(warm - 1) +
                                   s.reward_mean) / static_cast<double>(warm);
            const double rise = best - start;
            if (rise >= config_.reward_rise && rise > 0 && recent < best - config_.reward_collapse * rise) {
                return event("reward_collapse", "the mean reward of the last " + std::to_string(warm) + " steps fell to " + g(recent) +
                                                    " after rising from " + g(start) + " to " + g(best));
            }
        }
    }
    history_.push_back(s);
    return std::nullopt;
}

void Watchdog::rewind(int step) {
    while (!history_.empty() && history_.back().step > step) history_.pop_back();
}

}  // namespace aha::rl
