#!/usr/bin/env python3
"""Reference side of aha's RL-math parity test: rl_parity.py OUT.json [--seed S]

Draws fresh random float64 tensors (8 completions in groups of 4, 7 token slots, ragged right-padded masks,
ratios pushed past the clip ranges on purpose) and writes OUT.json: cases that the C++ test replays through
aha's advantage estimators, KL estimators and policy loss (its PolicyLossConfig), comparing to 1e-6. Every
case records what aha must be configured with and the expected values; gradients come from torch autograd.

TRL side (written against trl 1.16.0; the version used is recorded in the JSON): the loss is TRL's own
GRPOTrainer._compute_loss run on a stub trainer whose _get_per_token_logps_and_entropies returns the drawn
log-probs and entropies. Its advantages and vLLM importance-sampling ratio are computed inline in
GRPOTrainer._generate_and_score_completions, so trl_grpo_advantages and trl_vllm_is_ratio repeat those lines;
trl_rloo_advantages repeats RLOOTrainer._generate_and_score_completions.

verl side (verl-project/verl main, not installed; the formulas are written here as verl writes them):
  trainer/ppo/core_algos.py   compute_grpo_outcome_advantage, compute_rloo_outcome_advantage,
                              compute_reinforce_plus_plus_outcome_advantage,
                              compute_reinforce_plus_plus_baseline_outcome_advantage,
                              compute_grpo_passk_outcome_advantage, agg_loss,
                              compute_policy_loss_vanilla, compute_policy_loss_gspo, compute_policy_loss_cispo,
                              compute_policy_loss_gpg, compute_policy_loss_reinforce (bypass_mode), kl_penalty
  utils/torch_functional.py   masked_sum, masked_mean, masked_var, masked_whiten
  trainer/ppo/rollout_corr_helper.py  compute_rollout_correction_weights (rollout_is token/sequence, TIS/IcePop)
  workers/actor/dp_actor.py   DataParallelPPOActor.update_policy: pg_loss - entropy_coeff * agg_loss(entropy)
                              + kl_loss_coef * agg_loss(kl), both with loss_agg_mode; IS weights only on pg
"""
import argparse
import json
import math
import sys
import time
from collections import defaultdict
from types import SimpleNamespace

import torch

try:
    import trl
    from trl.trainer.grpo_trainer import GRPOTrainer
    from trl.trainer.utils import nanstd
except ImportError as e:
    sys.exit(f"rl_parity.py: needs trl (run it with .venv/bin/python): {e}")

torch.set_default_dtype(torch.float64)
N, G, C = 8, 4, 7          # loss cases: completions, group size, token slots
N_ADV = 12                 # advantage cases: three groups of G
AGG = {"token-mean": "token_mean", "seq-mean-token-mean": "seq_mean_token_mean",
       "seq-mean-token-sum": "seq_mean_token_sum", "seq-mean-token-sum-norm": "seq_mean_token_sum_norm"}


def check(cond, msg):
    if not bool(cond):
        sys.exit(f"rl_parity.py: {msg}")


# ---------------------------------------------------------------------------------------------- data

def draw(gen):
    """Tensors of one loss case. The first token of every row has its ratio to `old` pushed to e^±1.2, in all four
    combinations with the advantage's sign, and its ratio old/rollout to e^±1.5 (four rows each way), so that PPO's
    low and high clips, the dual clip (3.32 > 3) and the IS bounds [0.5, 2] bind on some token in every draw."""
    randn = lambda *s: torch.randn(*s, generator=gen)
    lengths = torch.randint(1, C + 1, (N,), generator=gen)
    mask = (torch.arange(C) < lengths[:, None]).double()
    logp = -0.05 - 2.95 * torch.rand(N, C, generator=gen)
    k = torch.randperm(N, generator=gen)
    up = torch.where(k % 2 == 0, 1.0, -1.0)
    sign = torch.where(k % 4 < 2, 1.0, -1.0)
    old = logp + 0.3 * randn(N, C)
    old[:, 0] = logp[:, 0] - 1.2 * up
    rollout = old + 0.3 * randn(N, C)
    rollout[:, 0] = old[:, 0] - 1.5 * up[torch.randperm(N, generator=gen)]
    return dict(mask=mask, logp=logp, old=old, rollout=rollout, ref=logp + 0.3 * randn(N, C),
                entropy=3 * torch.rand(N, C, generator=gen), adv=sign * (0.1 + randn(N).abs()))


def draw_rewards(gen):
    """Rewards of three groups: continuous, binary, constant (zero std); per-row completion lengths."""
    r = torch.randn(N_ADV, generator=gen)
    r[G:2 * G] = (torch.rand(G, generator=gen) < 0.5).double()
    r[2 * G:] = 1.0
    return r, torch.randint(1, C + 1, (N_ADV,), generator=gen)


# ---------------------------------------------------------------------------------------------- TRL

def trl_grpo_advantages(rewards, scale):
    """grpo_trainer.py, GRPOTrainer._generate_and_score_completions (multi_objective_aggregation
    sum_then_normalize): group mean always; std of the group or of the whole batch; eps 1e-4."""
    mean = torch.nanmean(rewards.view(-1, G), dim=1).repeat_interleave(G, dim=0)
    if scale in ("group", "none"):
        std = nanstd(rewards.view(-1, G), dim=1).repeat_interleave(G, dim=0)
    else:
        std = nanstd(rewards).expand_as(rewards)
    adv = rewards - mean
    return adv / (std + 1e-4) if scale != "none" else adv


def trl_rloo_advantages(rewards):
    """rloo_trainer.py, RLOOTrainer._generate_and_score_completions (normalize_advantages False, its default)."""
    grouped = rewards.view(-1, G)
    baselines = (grouped.sum(dim=1, keepdim=True) - grouped) / (G - 1)
    return rewards - baselines.view(-1)


def trl_vllm_is_ratio(old, sampling, mask, mode, clip_min, clip_max):
    """grpo_trainer.py, GRPOTrainer._generate_and_score_completions, the vLLM importance-sampling block."""
    diff = torch.nan_to_num((old - sampling) * mask, nan=0.0)
    if mode in ("sequence_mask", "sequence_truncate"):
        diff = diff.sum(dim=-1, keepdim=True)
    ratio = torch.exp(diff)
    if mode in ("sequence_truncate", "token_truncate"):
        return torch.clamp(ratio, min=clip_min, max=clip_max)
    lo = clip_min if clip_min is not None else -math.inf
    hi = clip_max if clip_max is not None else math.inf
    return ratio.masked_fill((ratio < lo) | (ratio > hi), 0.0)


def trl_loss(d, loss_type, eps_low, eps_high, beta=0.0, entropy_coef=0.0, level="token", is_ratio=None,
             max_completion_length=C):
    """Runs TRL's GRPOTrainer._compute_loss (one process, no accumulation, train mode) on the drawn tensors."""
    logp = d["logp"].clone().requires_grad_()
    entropy = d["entropy"].clone().requires_grad_()
    trainer = object.__new__(GRPOTrainer)
    fields = dict(
        loss_type=loss_type, epsilon_low=eps_low, epsilon_high=eps_high, beta=beta, importance_sampling_level=level,
        use_vllm=is_ratio is not None, vllm_importance_sampling_correction=is_ratio is not None,
        max_completion_length=max_completion_length, top_entropy_quantile=1.0, off_policy_mask_threshold=None,
        aux_loss_enabled=False, entropy_coef=entropy_coef, use_adaptive_entropy=False,
        _entropy_bonus_enabled=entropy_coef != 0.0, current_gradient_accumulation_steps=1,
        model=SimpleNamespace(training=True), _metrics={"train": defaultdict(list), "eval": defaultdict(list)},
        args=SimpleNamespace(use_bias_correction_kl=False, delta=None, steps_per_generation=1),
        accelerator=SimpleNamespace(num_processes=1, sync_gradients=True, gather=lambda x: x,
                                    gather_for_metrics=lambda x: x, reduce=lambda x, reduction: x),
        _get_per_token_logps_and_entropies=lambda *args, **kwargs: (logp, entropy, None),
    )
    for name, value in fields.items():
        setattr(trainer, name, value)
    mask = d["mask"]
    inputs = dict(prompt_ids=torch.zeros(N, 1, dtype=torch.long), prompt_mask=torch.ones(N, 1),
                  completion_ids=torch.zeros(N, C, dtype=torch.long), completion_mask=mask,
                  advantages=d["adv"], old_per_token_logps=d["old"], ref_per_token_logps=d["ref"],
                  num_items_in_batch=mask.sum())
    if is_ratio is not None:
        inputs["importance_sampling_ratio"] = is_ratio
    loss = GRPOTrainer._compute_loss(trainer, None, inputs)
    loss.backward()
    return loss.item(), logp.grad, entropy.grad if entropy_coef else None


# ---------------------------------------------------------------------------------------------- verl

def masked_sum(values, mask, axis=None):
    return (torch.where(mask.bool(), values, 0.0) * mask).sum(axis)


def masked_mean(values, mask, axis=None):
    return masked_sum(values, mask, axis) / (mask.sum(axis) + 1e-8)


def masked_whiten(values, mask):
    mean = masked_mean(values, mask)
    n = mask.sum()
    var = masked_mean((values - mean) ** 2, mask) * n / (n - 1)
    return (values - mean) * torch.rsqrt(var + 1e-8)


def verl_passk_advantages(rewards, eps=1e-6, norm_by_std=True):
    """compute_grpo_passk_outcome_advantage: only each group's best completion gets r_max - r_second_max."""
    g = rewards.view(-1, G)
    adv = torch.zeros_like(g)
    for i, row in enumerate(g):
        top, idx = torch.topk(row, 2)
        adv[i, idx[0]] = (top[0] - top[1]) / (row.std() + eps) if norm_by_std else top[0] - top[1]
    return adv.view(-1)


def verl_grpo_advantages(rewards, eps=1e-6, norm_by_std=True):
    g = rewards.view(-1, G)
    adv = g - g.mean(dim=1, keepdim=True)
    return (adv / (g.std(dim=1, keepdim=True) + eps) if norm_by_std else adv).view(-1)


def verl_rloo_advantages(rewards):
    g = rewards.view(-1, G)
    return (g * G / (G - 1) - g.mean(dim=1, keepdim=True) * G / (G - 1)).view(-1)


def verl_reinforce_pp_advantages(rewards, lengths, gamma=1.0):
    mask = (torch.arange(C) < lengths[:, None]).double()
    token_rewards = torch.zeros(len(rewards), C)
    token_rewards[torch.arange(len(rewards)), lengths - 1] = rewards
    returns, running = torch.zeros_like(token_rewards), 0.0
    for t in reversed(range(C)):
        running = token_rewards[:, t] + gamma * running
        returns[:, t] = running
        running = running * mask[:, t]
    return (masked_whiten(returns, mask) * mask)[:, 0]


def verl_reinforce_pp_baseline_advantages(rewards, lengths):
    mask = (torch.arange(C) < lengths[:, None]).double()
    g = rewards.view(-1, G)
    scores = (g - g.mean(dim=1, keepdim=True)).view(-1)
    scores = scores.unsqueeze(-1).tile([1, C]) * mask
    return (masked_whiten(scores, mask) * mask)[:, 0]


def agg_loss(loss_mat, mask, mode):
    if mode == "token-mean":
        return masked_sum(loss_mat, mask) / mask.sum()
    if mode == "seq-mean-token-mean":
        seq_losses = (loss_mat * mask).sum(-1) / (mask.sum(-1) + 1e-8)
    else:
        seq_losses = (loss_mat * mask).sum(-1)
    seq_mask = (mask.sum(-1) > 0).double()
    loss = masked_sum(seq_losses, seq_mask) / seq_mask.sum()
    return loss / mask.shape[-1] if mode == "seq-mean-token-sum-norm" else loss


def pg_vanilla(old, logp, adv, mask, mode, low, high, clip_c, w):
    ratio = torch.exp(torch.clamp(logp - old, min=-20.0, max=20.0))
    clip1 = torch.maximum(-adv * ratio, -adv * torch.clamp(ratio, 1 - low, 1 + high))
    pg = torch.where(adv < 0, torch.min(-adv * clip_c, clip1), clip1)
    return agg_loss(pg if w is None else pg * w, mask, mode)


def pg_gspo(old, logp, adv, mask, mode, low, high, clip_c, w):
    seq = torch.sum((logp - old) * mask, dim=-1) / torch.sum(mask, dim=-1).clamp(min=1)
    log_ratio = torch.clamp(logp - logp.detach() + seq.detach().unsqueeze(-1), max=10.0)
    ratio = torch.exp(log_ratio)
    pg = torch.maximum(-adv * ratio, -adv * torch.clamp(ratio, 1 - low, 1 + high))
    return agg_loss(pg if w is None else pg * w, mask, "seq-mean-token-mean")


def pg_cispo(old, logp, adv, mask, mode, low, high, clip_c, w):
    ratio = torch.exp(torch.clamp(logp - old, min=-20.0, max=20.0))
    pg = -torch.clamp(ratio, 1 - low, 1 + high).detach() * adv * logp
    return agg_loss(pg if w is None else pg * w, mask, mode)


def pg_gpg(old, logp, adv, mask, mode, low, high, clip_c, w):
    pg = -logp * adv
    return agg_loss(pg if w is None else pg * w, mask, mode)


def kl_penalty(logp, ref, kind):
    if kind in ("kl", "k1"):
        return logp - ref
    if kind in ("mse", "k2"):
        return 0.5 * (logp - ref).square()
    kl = torch.clamp(ref - logp, min=-20, max=20)
    return torch.clamp(torch.exp(kl) - kl - 1, min=-10, max=10)


def rollout_is_weights(old, rollout, mask, level, upper, lower=None):
    log_ratio = old - rollout
    if level == "token":
        w = torch.exp(torch.clamp(log_ratio, min=-20.0, max=20.0))
    else:
        s = masked_sum(log_ratio, mask, axis=-1).unsqueeze(-1)
        w = torch.exp(torch.clamp(s, min=-20.0, max=20.0)).expand_as(log_ratio)
    w = w * mask
    if lower is None:
        return w.clamp(max=upper).detach()
    return torch.where((w >= lower) & (w <= upper), w, torch.zeros_like(w)).detach()


PG = {"vanilla": pg_vanilla, "gspo": pg_gspo, "cispo": pg_cispo, "gpg": pg_gpg}


def verl_loss(d, loss_mode, mode, low=0.2, high=0.2, clip_c=3.0, kl_type=None, kl_coef=0.0, entropy_coeff=0.0,
              w=None, old=None):
    """DataParallelPPOActor.update_policy for one micro-batch, off-policy (old_log_probs is used)."""
    logp = d["logp"].clone().requires_grad_()
    entropy = d["entropy"].clone().requires_grad_()
    mask = d["mask"]
    old = d["old"] if old is None else old
    loss = PG[loss_mode](old, logp, d["adv"][:, None] * mask, mask, mode, low, high, clip_c, w)
    if entropy_coeff:
        loss = loss - agg_loss(entropy, mask, mode) * entropy_coeff
    if kl_type:
        loss = loss + agg_loss(kl_penalty(logp, d["ref"], kl_type), mask, mode) * kl_coef
    loss.backward()
    return loss.item(), logp.grad, entropy.grad if entropy_coeff else None


# ---------------------------------------------------------------------------------------------- binding checks

def ratio_of(d):
    return torch.exp(d["logp"] - d["old"])


def check_ppo_clip(case_id, ratio, d, low, high):
    adv, on = d["adv"][:, None], d["mask"].bool()
    binds = (((ratio > 1 + high) & (adv > 0)) | ((ratio < 1 - low) & (adv < 0))) & on
    check(binds.any(), f"{case_id}: the PPO clip binds on no token")


def check_dual_clip(case_id, d, clip_c):
    binds = (ratio_of(d) > clip_c) & (d["adv"][:, None] < 0) & d["mask"].bool()
    check(binds.any(), f"{case_id}: the dual clip binds on no token")


def check_is_bounds(case_id, d, level, lo, hi):
    diff = (d["old"] - d["rollout"]) * d["mask"]
    raw = torch.exp(diff.sum(-1) if level == "sequence" else diff[d["mask"].bool()])
    check(((raw < lo) | (raw > hi)).any(), f"{case_id}: the IS bounds [{lo}, {hi}] bind on nothing")


# ---------------------------------------------------------------------------------------------- cases

def aha_config(name, aggregation, clip_low=0.2, clip_high=0.2, clip_ratio_c=0.0, kl_coef=0.0, kl_estimator="k3",
               entropy_coef=0.0, entropy_aggregation="loss", tis=("off", 0.0, 2.0)):
    return dict(name=name, clip_low=clip_low, clip_high=clip_high, clip_ratio_c=clip_ratio_c,
                aggregation=aggregation, kl_coef=kl_coef, kl_estimator=kl_estimator, entropy_coef=entropy_coef,
                entropy_aggregation=entropy_aggregation, tis=dict(mode=tis[0], min=tis[1], max=tis[2]))


def loss_case(case_id, config, d, result, max_length=C):
    loss, grad_logp, grad_entropy = result
    check(math.isfinite(loss) and torch.isfinite(grad_logp).all(), f"{case_id}: non-finite reference")
    check((grad_logp * d["mask"]).abs().max() > 1e-6, f"{case_id}: zero gradient")
    check((grad_logp * (1 - d["mask"])).abs().max() == 0, f"{case_id}: gradient on padding")
    uses = lambda on, key: d[key].tolist() if on else None
    return {"id": case_id, "kind": "loss", "config": config, "max_length": max_length,
            "logprobs": d["logp"].tolist(), "old_logprobs": d["old"].tolist(),
            "rollout_logprobs": uses(config["tis"]["mode"] != "off", "rollout"),
            "ref_logprobs": uses(config["kl_coef"] > 0, "ref"),
            "entropy": uses(config["entropy_coef"] > 0, "entropy"),
            "advantages": d["adv"].tolist(), "mask": d["mask"].tolist(), "expected_loss": loss,
            "expected_grad_logprobs": grad_logp.tolist(),
            "expected_grad_entropy": grad_entropy.tolist() if grad_entropy is not None else None}


def adv_case(case_id, estimator, rewards, expected, scale=None, eps=None, lengths=None):
    check(torch.isfinite(expected).all() and expected.abs().max() > 0, f"{case_id}: degenerate reference")
    return {"id": case_id, "kind": "advantages", "estimator": estimator, "scale_rewards": scale, "eps": eps,
            "group_size": G, "rewards": rewards.tolist(), "lengths": lengths.tolist() if lengths is not None else None,
            "expected": expected.tolist()}


def trl_cases(gen):
    cases = []
    lo, hi = 0.2, 0.28
    for loss_type, agg, max_len in [("grpo", "seq_mean_token_mean", C), ("bnpo", "token_mean", C),
                                    ("dr_grpo", "seq_mean_token_sum_norm", C + 3), ("dapo", "token_mean", C)]:
        d = draw(gen)
        case_id = f"trl/loss/{loss_type}"
        check_ppo_clip(case_id, ratio_of(d), d, lo, hi)
        cases.append(loss_case(case_id, aha_config("ppo_clip", agg, lo, hi), d,
                               trl_loss(d, loss_type, lo, hi, max_completion_length=max_len), max_len))

    d = draw(gen)
    lo_s, hi_s = 3e-4, 4e-4
    seq_ratio = torch.exp(((d["logp"] - d["old"]) * d["mask"]).sum(-1) / d["mask"].sum(-1))[:, None]
    check_ppo_clip("trl/loss/grpo_sequence_level", seq_ratio, d, lo_s, hi_s)
    cases.append(loss_case("trl/loss/grpo_sequence_level", aha_config("gspo", "seq_mean_token_mean", lo_s, hi_s), d,
                           trl_loss(d, "grpo", lo_s, hi_s, level="sequence")))

    d = draw(gen)
    check((ratio_of(d)[d["mask"].bool()] > 2.0).any(), "trl/loss/cispo: the IS-weight cap binds on no token")
    cases.append(loss_case("trl/loss/cispo", aha_config("cispo", "token_mean", 1.0, 1.0), d,
                           trl_loss(d, "cispo", lo, 2.0)))

    d = draw(gen)
    cases.append(loss_case("trl/loss/grpo_beta_k3", aha_config("ppo_clip", "seq_mean_token_mean", lo, hi, kl_coef=0.04),
                           d, trl_loss(d, "grpo", lo, hi, beta=0.04)))
    for loss_type, agg in [("dapo", "token_mean"), ("grpo", "seq_mean_token_mean")]:
        d = draw(gen)
        config = aha_config("ppo_clip", agg, lo, hi, entropy_coef=0.01, entropy_aggregation="token_mean")
        cases.append(loss_case(f"trl/loss/{loss_type}_entropy", config, d,
                               trl_loss(d, loss_type, lo, hi, entropy_coef=0.01)))

    for mode, clip_min, beta, entropy_coef in [("token_truncate", None, 0.0, 0.0), ("token_mask", 0.5, 0.0, 0.01),
                                               ("sequence_truncate", 0.5, 0.0, 0.0), ("sequence_mask", 0.5, 0.04, 0.0)]:
        d = draw(gen)
        case_id = f"trl/loss/dapo_vllm_is_{mode}"
        check_is_bounds(case_id, d, mode.split("_")[0], clip_min or 0.0, 2.0)
        ratio = trl_vllm_is_ratio(d["old"], d["rollout"], d["mask"], mode, clip_min, 2.0)
        config = aha_config("ppo_clip", "token_mean", lo, hi, kl_coef=beta, entropy_coef=entropy_coef,
                            entropy_aggregation="token_mean", tis=(mode, clip_min or 0.0, 2.0))
        cases.append(loss_case(case_id, config, d,
                               trl_loss(d, "dapo", lo, hi, beta=beta, entropy_coef=entropy_coef, is_ratio=ratio)))

    rewards, _ = draw_rewards(gen)
    for scale in ("group", "batch", "none"):
        cases.append(adv_case(f"trl/adv/grpo_{scale}", "grpo", rewards, trl_grpo_advantages(rewards, scale),
                              scale=scale, eps=1e-4))
    cases.append(adv_case("trl/adv/rloo", "rloo", rewards, trl_rloo_advantages(rewards)))
    return cases


def verl_cases(gen):
    cases = []
    lo, hi = 0.2, 0.28
    for mode, clip_c in [("token-mean", 3.0), ("seq-mean-token-mean", 2.0), ("seq-mean-token-sum", 3.0),
                         ("seq-mean-token-sum-norm", 3.0)]:
        d = draw(gen)
        case_id = f"verl/loss/ppo_dualclip_{AGG[mode]}"
        check_ppo_clip(case_id, ratio_of(d), d, lo, hi)
        check_dual_clip(case_id, d, clip_c)
        cases.append(loss_case(case_id, aha_config("ppo_clip", AGG[mode], lo, hi, clip_c), d,
                               verl_loss(d, "vanilla", mode, lo, hi, clip_c)))

    d = draw(gen)
    lo_s, hi_s = 3e-4, 4e-4
    seq_ratio = torch.exp(((d["logp"] - d["old"]) * d["mask"]).sum(-1) / d["mask"].sum(-1))[:, None]
    check_ppo_clip("verl/loss/gspo", seq_ratio, d, lo_s, hi_s)
    cases.append(loss_case("verl/loss/gspo", aha_config("gspo", "seq_mean_token_mean", lo_s, hi_s), d,
                           verl_loss(d, "gspo", "seq-mean-token-mean", lo_s, hi_s)))

    d = draw(gen)
    r = ratio_of(d)[d["mask"].bool()]
    check(((r > 1 + hi) | (r < 1 - lo)).any(), "verl/loss/cispo: the IS-weight clip binds on no token")
    cases.append(loss_case("verl/loss/cispo_token_mean", aha_config("cispo", "token_mean", lo, hi), d,
                           verl_loss(d, "cispo", "token-mean", lo, hi)))

    d = draw(gen)
    cases.append(loss_case("verl/loss/gpg_seq_mean_token_sum", aha_config("reinforce", "seq_mean_token_sum"), d,
                           verl_loss(d, "gpg", "seq-mean-token-sum")))

    for kl_type, est, mode in [("kl", "k1", "token-mean"), ("mse", "k2", "seq-mean-token-mean"),
                               ("low_var_kl", "k3", "seq-mean-token-sum-norm")]:
        d = draw(gen)
        config = aha_config("ppo_clip", AGG[mode], lo, hi, 3.0, kl_coef=0.1, kl_estimator=est)
        cases.append(loss_case(f"verl/loss/ppo_kl_{est}_{AGG[mode]}", config, d,
                               verl_loss(d, "vanilla", mode, lo, hi, kl_type=kl_type, kl_coef=0.1)))

    d = draw(gen)
    cases.append(loss_case("verl/loss/ppo_entropy_seq_mean_token_sum",
                           aha_config("ppo_clip", "seq_mean_token_sum", lo, hi, 3.0, entropy_coef=0.01), d,
                           verl_loss(d, "vanilla", "seq-mean-token-sum", lo, hi, entropy_coeff=0.01)))

    for level, lower, upper, kl, ent in [("token", None, 2.0, 0.0, 0.0), ("token", 0.5, 2.0, 0.0, 0.0),
                                         ("sequence", None, 2.0, 0.0, 0.0), ("sequence", 0.5, 2.0, 0.1, 0.01)]:
        d = draw(gen)
        kind = "truncate" if lower is None else "mask"
        case_id = f"verl/loss/ppo_rollout_is_{level}_{'tis' if lower is None else 'icepop'}"
        check_is_bounds(case_id, d, level, lower or 0.0, upper)
        w = rollout_is_weights(d["old"], d["rollout"], d["mask"], level, upper, lower)
        config = aha_config("ppo_clip", "token_mean", lo, hi, 3.0, kl_coef=kl, entropy_coef=ent,
                            tis=(f"{level}_{kind}", lower or 0.0, upper))
        result = verl_loss(d, "vanilla", "token-mean", lo, hi, kl_type="low_var_kl" if kl else None, kl_coef=kl,
                           entropy_coeff=ent, w=w)
        cases.append(loss_case(case_id, config, d, result))

    # Bypass mode, loss_type reinforce: the weights are exp(current - rollout), so aha's `old` is the current policy
    # (the drawn old/rollout gap is kept, now between current and rollout).
    d = draw(gen)
    d["old"], d["rollout"] = d["logp"].clone(), d["logp"] - (d["old"] - d["rollout"])
    check_is_bounds("verl/loss/bypass_reinforce_token_tis", d, "token", 0.0, 2.0)
    w = rollout_is_weights(d["logp"], d["rollout"], d["mask"], "token", 2.0)
    cases.append(loss_case("verl/loss/bypass_reinforce_token_tis",
                           aha_config("reinforce", "seq_mean_token_sum", tis=("token_truncate", 0.0, 2.0)), d,
                           verl_loss(d, "gpg", "seq-mean-token-sum", w=w)))

    rewards, lengths = draw_rewards(gen)
    cases += [adv_case("verl/adv/grpo", "grpo", rewards, verl_grpo_advantages(rewards), scale="group", eps=1e-6),
              adv_case("verl/adv/grpo_no_std", "dr_grpo", rewards, verl_grpo_advantages(rewards, norm_by_std=False)),
              adv_case("verl/adv/rloo", "rloo", rewards, verl_rloo_advantages(rewards)),
              adv_case("verl/adv/passk", "passk", rewards, verl_passk_advantages(rewards), scale="group", eps=1e-6),
              adv_case("verl/adv/passk_no_std", "passk", rewards, verl_passk_advantages(rewards, norm_by_std=False),
                       scale="none"),
              adv_case("verl/adv/reinforce_pp", "reinforce_pp", rewards,
                       verl_reinforce_pp_advantages(rewards, lengths), lengths=lengths),
              adv_case("verl/adv/reinforce_pp_baseline", "reinforce_pp_baseline", rewards,
                       verl_reinforce_pp_baseline_advantages(rewards, lengths), lengths=lengths)]

    d = draw(gen)
    check((d["ref"] - d["logp"]).abs().max() < 20 and kl_penalty(d["logp"], d["ref"], "k3").max() < 10,
          "verl/kl: k3's clamps would bind")
    for kind, est in [("kl", "k1"), ("mse", "k2"), ("low_var_kl", "k3")]:
        cases.append({"id": f"verl/kl/{est}", "kind": "kl", "estimator": est, "logprobs": d["logp"].tolist(),
                      "ref_logprobs": d["ref"].tolist(), "expected": kl_penalty(d["logp"], d["ref"], kind).tolist()})
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.time()
    gen = torch.Generator().manual_seed(args.seed)
    cases = trl_cases(gen) + verl_cases(gen)
    check(len({c["id"] for c in cases}) == len(cases), "duplicate case ids")
    with open(args.out, "w") as f:
        json.dump({"generator": "scripts/ref/rl_parity.py", "trl_version": trl.__version__, "seed": args.seed,
                   "cases": cases}, f)
    print(f"rl_parity.py: wrote {len(cases)} cases (seed {args.seed}) to {args.out} in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
