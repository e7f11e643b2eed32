// The step's plain data; see step_data.h.
#include "rl/step_data.h"

namespace aha::rl {

Json StepMetrics::to_json() const {
    return {{"step", step},
            {"reward_mean", reward_mean},
            {"accuracy", accuracy},
            {"format_rate", format_rate},
            {"completion_length", completion_length},
            {"truncated_rate", truncated_rate},
            {"loss", loss},
            {"kl", kl},
            {"kl_reward_penalty", kl_reward_penalty},
            {"clip_fraction", clip_fraction},
            {"clip_fraction_low", clip_fraction_low},
            {"clip_fraction_high", clip_fraction_high},
            {"reward_std", reward_std},
            {"completion_length_max", completion_length_max},
            {"all_correct_groups", all_correct_groups},
            {"all_wrong_groups", all_wrong_groups},
            {"grad_norm", grad_norm},
            {"learning_rate", learning_rate},
            {"entropy", entropy},
            {"approx_kl", approx_kl},
            {"is_weight_mean", is_weight_mean},
            {"is_weight_min", is_weight_min},
            {"is_weight_max", is_weight_max},
            {"rollout_logprob_diff_mean", rollout_logprob_diff_mean},
            {"rollout_logprob_diff_max", rollout_logprob_diff_max},
            {"zero_advantage_groups", zero_advantage_groups},
            {"trained_groups", trained_groups},
            {"dynamic_sampling_rounds", dynamic_sampling_rounds},
            {"dynamic_sampling_kept", dynamic_sampling_kept},
            {"expert_balance", expert_balance},
            {"aux_loss", aux_loss},
            {"seconds_rollout", seconds_rollout},
            {"seconds_score", seconds_score},
            {"seconds_batch", seconds_batch},
            {"seconds_update", seconds_update}};
}

}  // namespace aha::rl
