#!/usr/bin/env python3
"""Tiny random-weight checkpoints of aha's model families with real tokenizers, written by transformers, for
tests/cli/hf_train.sh: DIR/<name>/ holds config.json, model.safetensors, tokenizer.json,
tokenizer_config.json and generation_config.json, as a downloaded model would.

Usage: tiny_hf_checkpoints.py DIR NAME:ARCH:TOKENIZER_DIR...   (ARCH: a key of tiny_models.ARCHS)"""
import os
import sys

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig

sys.path.insert(0, os.path.dirname(__file__))
from tiny_models import ARCHS  # noqa: E402

out = sys.argv[1]
for spec in sys.argv[2:]:
    name, arch, tokenizer_dir = spec.split(":")
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    params = dict(ARCHS[arch])
    model_type = params.pop("model_type")
    params.update(vocab_size=len(tok), num_hidden_layers=2, max_position_embeddings=1024)
    config = AutoConfig.for_model(model_type, **params)
    torch.manual_seed(sum(map(ord, name)))
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    target = os.path.join(out, name)
    model.save_pretrained(target)
    tok.save_pretrained(target)
    GenerationConfig(eos_token_id=tok.convert_tokens_to_ids(tok.eos_token), bos_token_id=None).save_pretrained(target)
    print(f"{name}: {model_type} with {len(tok)} tokens ({sum(p.numel() for p in model.parameters())} parameters)")
