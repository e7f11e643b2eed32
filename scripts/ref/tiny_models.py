#!/usr/bin/env python3
"""Reference side of aha's architecture parity tests (tests/policy/hf_parity.sh).

make DIR [FIXTURE_DIR...]
    Builds a tiny random-weight model of every architecture aha supports from its config alone (no
    download), saves it with save_pretrained into DIR/<name>/, and writes DIR/<name>/reference.safetensors
    with input_ids, attention_mask (left padding), position_ids and the transformers logits. For each
    FIXTURE_DIR (an existing HF checkpoint) writes only DIR/<basename>/reference.safetensors (fp32 logits).
check DIR NAME...
    Loads DIR/<name>/export (the directory `aha export` wrote) with transformers and compares its logits
    with the reference logits of DIR/<name>/ (same inputs): the export round trip.
"""
import os
import sys

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModelForCausalLM

FP32_TOL = 1e-4
# bf16 logits: both sides round every matmul output to 8 bits of mantissa, in different orders, so the
# difference is a few bf16 ulps of the logits' magnitude (|logit| ~ 1: ulp 2^-7 = 0.0078).
BF16_TOL = 0.05

COMMON = dict(vocab_size=101, hidden_size=64, intermediate_size=96, num_hidden_layers=3,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
              rms_norm_eps=1e-6, initializer_range=0.05)

ARCHS = {
    # Llama-3 style: rope_scaling llama3 with an original context short enough that all three frequency
    # bands (kept, smoothed, divided) occur; attention and MLP biases on (Llama allows both).
    "llama3": dict(model_type="llama", **COMMON, tie_word_embeddings=False, attention_bias=True, mlp_bias=True,
                   rope_parameters=dict(rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0,
                                        high_freq_factor=4.0, original_max_position_embeddings=32)),
    # Qwen2.5 small sizes: q/k/v biases, tied embeddings, single KV head.
    "qwen2": dict(model_type="qwen2", **{**COMMON, "num_key_value_heads": 1}, tie_word_embeddings=True,
                  rope_parameters=dict(rope_type="default", rope_theta=1000000.0)),
    # Qwen3: q/k RMSNorm per head, head_dim not hidden/heads, linear rope scaling.
    "qwen3": dict(model_type="qwen3", **COMMON, head_dim=24, tie_word_embeddings=False,
                  rope_parameters=dict(rope_type="linear", rope_theta=1000000.0, factor=2.0)),
    # Qwen1.5/2-MoE: softmax top-k without renormalisation, shared expert with a sigmoid gate, one dense layer.
    "qwen2_moe": dict(model_type="qwen2_moe", **COMMON, num_experts=8, num_experts_per_tok=2,
                      moe_intermediate_size=32, shared_expert_intermediate_size=48, norm_topk_prob=False,
                      decoder_sparse_step=1, mlp_only_layers=[1], tie_word_embeddings=False,
                      rope_parameters=dict(rope_type="default", rope_theta=1000000.0)),
    # Qwen3-MoE: renormalised top-k, q/k norm, MoE every second layer.
    "qwen3_moe": dict(model_type="qwen3_moe", **COMMON, head_dim=16, num_experts=8, num_experts_per_tok=3,
                      moe_intermediate_size=32, norm_topk_prob=True, decoder_sparse_step=2, mlp_only_layers=[],
                      tie_word_embeddings=False, rope_parameters=dict(rope_type="default", rope_theta=1000000.0)),
    # DeepSeek-V2-Lite style: no q compression, softmax scoring, group-limited greedy top-k, two shared
    # experts, first layer dense, YaRN rope with its mscale.
    "deepseek_v2": dict(model_type="deepseek_v2", **{**COMMON, "num_key_value_heads": 4}, q_lora_rank=None,
                        kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=12,
                        n_routed_experts=8, num_experts_per_tok=2, moe_intermediate_size=24, n_shared_experts=2,
                        first_k_dense_replace=1, topk_method="group_limited_greedy", n_group=4, topk_group=2,
                        routed_scaling_factor=1.5, norm_topk_prob=False, tie_word_embeddings=False,
                        rope_parameters=dict(rope_type="yarn", rope_theta=10000.0, factor=4.0,
                                             original_max_position_embeddings=64, beta_fast=32, beta_slow=1,
                                             mscale=0.707, mscale_all_dim=0.707)),
    # DeepSeek-V3 style: q compression, sigmoid scoring with the load-balancing correction bias,
    # group-limited top-k (sum of each group's best two), renormalised and scaled weights, interleaved rope,
    # YaRN with mscale != mscale_all_dim.
    "deepseek_v3": dict(model_type="deepseek_v3", **{**COMMON, "num_key_value_heads": 4}, q_lora_rank=24,
                        kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=16,
                        n_routed_experts=16, num_experts_per_tok=4, moe_intermediate_size=24, n_shared_experts=1,
                        first_k_dense_replace=1, n_group=4, topk_group=2, routed_scaling_factor=2.5,
                        norm_topk_prob=True, rope_interleave=True, tie_word_embeddings=False,
                        rope_parameters=dict(rope_type="yarn", rope_theta=10000.0, factor=8.0,
                                             original_max_position_embeddings=32, beta_fast=32, beta_slow=1,
                                             mscale=1.0, mscale_all_dim=0.8)),
}

# Variants of the above: stored in bf16 (logits in bf16), and sharded with an index file.
VARIANTS = {
    "qwen2_bf16": ("qwen2", dict(dtype=torch.bfloat16)),
    "llama3_sharded": ("llama3", dict(max_shard_size="40KB")),
}


def build(name, spec, dtype):
    spec = dict(spec)
    model_type = spec.pop("model_type")
    config = AutoConfig.for_model(model_type, **spec)
    config._attn_implementation = "eager"
    torch.manual_seed(sum(map(ord, name)))
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
    with torch.no_grad():  # non-trivial norms, biases and routing biases, so that a wrong mapping shows
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
            elif n.endswith(".bias"):
                p.normal_(0.0, 0.1)
        for n, b in model.named_buffers():
            if n.endswith("e_score_correction_bias"):
                b.normal_(0.0, 0.05)
    return model.to(dtype), config


def write_greedy(model, config, out):
    """Greedy continuations (transformers generate, do_sample=False) of left-padded prompts of different
    lengths, never stopping early: the rollout engine must reproduce them token for token."""
    torch.manual_seed(2)
    lengths = [3, 9, 6, 1]
    width = max(lengths)
    ids = torch.zeros(len(lengths), width, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, n in enumerate(lengths):
        ids[i, width - n:] = torch.randint(3, config.vocab_size, (n,))
        mask[i, width - n:] = 1
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    with torch.no_grad():
        tokens = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=12,
                                min_new_tokens=12)[:, width:]
    save_file({"prompt_ids": ids, "prompt_mask": mask, "tokens": tokens.contiguous()}, f"{out}/greedy.safetensors")


def write_reference(model, config, out, dtype):
    torch.manual_seed(1)
    ids = torch.randint(0, config.vocab_size, (3, 13))
    mask = torch.ones_like(ids)
    mask[1, :4] = 0  # left padding
    mask[2, :10] = 0
    ids = ids.masked_fill(mask == 0, 0)
    position_ids = (mask.cumsum(1) - 1).clamp(min=0)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits
    save_file({"input_ids": ids, "attention_mask": mask, "position_ids": position_ids,
               "logits": logits.to(dtype).contiguous()}, f"{out}/reference.safetensors")


def make(root, fixtures):
    jobs = [(name, spec, {}) for name, spec in ARCHS.items()]
    jobs += [(name, ARCHS[base], opts) for name, (base, opts) in VARIANTS.items()]
    for name, spec, opts in jobs:
        dtype = opts.get("dtype", torch.float32)
        model, config = build(name, spec, dtype)
        out = f"{root}/{name}"
        kwargs = {"max_shard_size": opts["max_shard_size"]} if "max_shard_size" in opts else {}
        model.save_pretrained(out, **kwargs)
        # The reference comes from the saved model as transformers loads it (a model cast in memory would
        # also cast its rotary tables to bf16, which from_pretrained does not).
        model = AutoModelForCausalLM.from_pretrained(out, dtype=dtype, attn_implementation="eager").eval()
        write_reference(model, config, out, dtype)
        if dtype == torch.float32:
            write_greedy(model, config, out)
        print(f"wrote {out}")
    for path in fixtures:
        name = os.path.basename(os.path.normpath(path))
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
        model.config._attn_implementation = "eager"
        os.makedirs(f"{root}/{name}", exist_ok=True)
        write_reference(model, model.config, f"{root}/{name}", torch.float32)
        print(f"wrote {root}/{name}/reference.safetensors")


def check(root, names):
    failed = []
    for name in names:
        ref = load_file(f"{root}/{name}/reference.safetensors")
        dtype = ref["logits"].dtype
        model = AutoModelForCausalLM.from_pretrained(f"{root}/{name}/export", dtype=dtype,
                                                     attn_implementation="eager").eval()
        with torch.no_grad():
            logits = model(input_ids=ref["input_ids"], attention_mask=ref["attention_mask"],
                           position_ids=ref["position_ids"]).logits
        valid = ref["attention_mask"].bool()
        err = (logits.float() - ref["logits"].float()).abs().amax(-1)[valid].max().item()
        tol = BF16_TOL if dtype == torch.bfloat16 else FP32_TOL
        print(f"{name}: transformers on aha's export vs reference: max abs logit diff {err:.2e} (tol {tol})")
        if not err <= tol:
            failed.append(name)
    if failed:
        sys.exit(f"FAIL: {', '.join(failed)}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
