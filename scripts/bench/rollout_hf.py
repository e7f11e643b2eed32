#!/usr/bin/env python3
"""Reference side of scripts/bench/rollout.sh: HF transformers generate() (KV cache, sampling at
temperature 1, num_return_sequences=N, no early stop) on the same checkpoint, prompts and sizes as
aha_bench_rollout. usage: rollout_hf.py CKPT PROMPT_LEN PROMPTS N NEW_TOKENS THREADS REPEATS [DTYPE]"""
import json
import sys
import time

import torch
from transformers import AutoModelForCausalLM

ckpt, prompt_len, batch, n, new_tokens, threads, repeats = sys.argv[1], *map(int, sys.argv[2:8])
dtype = getattr(torch, sys.argv[8] if len(sys.argv) > 8 else "float32")
torch.set_num_threads(threads)
model = AutoModelForCausalLM.from_pretrained(ckpt, dtype=dtype).eval()
vocab = model.config.vocab_size
ids = torch.tensor([[3 + (b * 7 + t * 13) % (vocab - 3) for t in range(prompt_len)] for b in range(batch)])
kwargs = dict(attention_mask=torch.ones_like(ids), do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
              num_return_sequences=n, eos_token_id=None, pad_token_id=0)
with torch.no_grad():
    model.generate(ids, max_new_tokens=8, min_new_tokens=8, **kwargs)  # warm-up
    start = time.perf_counter()
    for r in range(repeats):
        torch.manual_seed(r)
        out = model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, **kwargs)
    seconds = (time.perf_counter() - start) / repeats
assert out.shape == (batch * n, prompt_len + new_tokens)
print(json.dumps({"impl": "transformers", "seconds": round(seconds, 4),
                  "tokens_per_second": round(batch * n * new_tokens / seconds, 1)}))
