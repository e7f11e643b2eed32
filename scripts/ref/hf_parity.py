#!/usr/bin/env python3
"""Reference side of the policy parity test (tests/policy/hf_parity.sh).

make DIR: writes small random Hugging Face Llama and Qwen2 checkpoints (safetensors, fp32) into DIR/<name>/
          plus DIR/<name>/reference.safetensors with input_ids, attention_mask (left padding) and the
          transformers logits, for aha to reproduce.
check DIR: loads the checkpoint aha wrote (DIR/aha_model) with transformers and compares its logits to
          the ones aha computed (DIR/aha_model/aha_logits.safetensors).
"""
import sys

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

TOL = 1e-4


def make(out):
    torch.manual_seed(0)
    configs = {
        "llama_gqa_untied": LlamaConfig(vocab_size=97, hidden_size=64, intermediate_size=160, num_hidden_layers=3,
                                        num_attention_heads=8, num_key_value_heads=2, max_position_embeddings=128,
                                        rope_theta=10000.0, rms_norm_eps=1e-6, tie_word_embeddings=False),
        "qwen2_tied_bias": Qwen2Config(vocab_size=101, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=128,
                                       rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True),
    }
    for name, config in configs.items():
        config._attn_implementation = "eager"
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
        with torch.no_grad():  # non-trivial norms and biases, so that a wrong mapping shows
            for n, p in model.named_parameters():
                if n.endswith("norm.weight"):
                    p.uniform_(0.5, 1.5)
                elif n.endswith(".bias"):
                    p.normal_(0.0, 0.1)
        model.save_pretrained(f"{out}/{name}", safe_serialization=True)
        ids = torch.randint(0, config.vocab_size, (3, 11))
        mask = torch.ones_like(ids)
        mask[1, :4] = 0  # left padding
        mask[2, :9] = 0
        ids = ids.masked_fill(mask == 0, 0)
        position_ids = (mask.cumsum(1) - 1).clamp(min=0)
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits
        save_file({"input_ids": ids, "attention_mask": mask, "logits": logits.contiguous()},
                  f"{out}/{name}/reference.safetensors")
        print(f"wrote {out}/{name}")


def check(out):
    model = AutoModelForCausalLM.from_pretrained(f"{out}/aha_model", dtype=torch.float32).eval()
    ref = load_file(f"{out}/aha_model/aha_logits.safetensors")
    with torch.no_grad():
        logits = model(input_ids=ref["input_ids"]).logits
    err = (logits - ref["logits"]).abs().max().item()
    print(f"transformers vs aha on aha's checkpoint: max abs diff {err:.2e}")
    if err > TOL:
        sys.exit(f"FAIL: max abs diff {err} > {TOL}")


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
