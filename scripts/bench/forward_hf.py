#!/usr/bin/env python3
"""transformers side of scripts/bench/forward.sh: forward + backward of a causal-LM loss on a random-weight
model built from the same config.json, same inputs, same thread count; prints one JSON line.
usage: forward_hf.py CONFIG_JSON BATCH SEQ THREADS REPEATS DTYPE [DEVICE] [checkpointing]
THREADS 0 keeps torch's default; DEVICE is cpu (default) or cuda."""
import json
import sys
import time

import torch
from transformers import AutoConfig, AutoModelForCausalLM


def main():
    path, batch, seq, threads, repeats, dtype = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
    if threads > 0:
        torch.set_num_threads(threads)
    device = sys.argv[7] if len(sys.argv) > 7 else "cpu"
    torch.manual_seed(0)
    spec = json.load(open(path))
    config = AutoConfig.for_model(spec.pop("model_type"), **spec)
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype)).to(device).train()
    if len(sys.argv) > 8 and sys.argv[8] == "checkpointing":
        model.gradient_checkpointing_enable()
    vocab = config.vocab_size
    ids = (torch.arange(batch * (seq + 1)).view(batch, seq + 1) * 7919 + 13) % vocab
    ids = ids.to(device)
    inputs, targets = ids[:, :seq].contiguous(), ids[:, 1:].reshape(-1)

    def sync():
        if device != "cpu":
            torch.cuda.synchronize()

    def step():
        model.zero_grad(set_to_none=True)
        logits = model(input_ids=inputs, use_cache=False).logits
        torch.nn.functional.cross_entropy(logits.reshape(-1, vocab).float(), targets).backward()

    step()  # warm-up
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    sync()
    seconds = (time.perf_counter() - start) / repeats
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"impl": "transformers", "parameters": params, "seconds": round(seconds, 4),
                      "tokens_per_second": round(batch * seq / seconds, 1)}))


if __name__ == "__main__":
    main()
