#!/usr/bin/env python3
"""Reference side of scripts/bench/real_shape.sh.

make DIR CONFIG TOKENIZER_DIR
    Writes a random-weight checkpoint of CONFIG (a config.json's fields plus model_type) with the tokenizer
    of TOKENIZER_DIR into DIR, as a downloaded model would be laid out.
step DIR DTYPE PROMPTS GROUP NEW_TOKENS THREADS
    One GRPO-shaped step as a transformers user runs it (TRL's GRPOTrainer does the same three things):
    sample GROUP completions of NEW_TOKENS tokens for each of the first PROMPTS GSM8K training questions
    (chat template, temperature 1, KV cache), then one forward and backward of the completion log-probs
    (full [tokens, vocab] logits from the model, then log_softmax and gather) and one AdamW step in the
    model's dtype, as the model is loaded. Prints JSON: seconds per phase, the peak resident set size and the
    share of a sample of weights (first and last layer) that the step changed.
"""
import json
import os
import resource
import sys
import time

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig

BOXED = "\nPlease reason step by step, and put your final answer within \\boxed{}."


def make(out, config_path, tokenizer_dir):
    params = json.load(open(config_path))
    model_type = params.pop("model_type")
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = AutoConfig.for_model(model_type, **params)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    GenerationConfig(eos_token_id=tok.convert_tokens_to_ids(tok.eos_token), bos_token_id=None).save_pretrained(out)
    print(f"{out}: {model_type}, {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters")


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(model_dir, dtype, prompts, group, new_tokens, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    here = os.path.dirname(os.path.abspath(__file__))
    rows = [json.loads(l) for l in open(os.path.join(here, "../../datasets/data/gsm8k_train.jsonl"))][:prompts]
    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype))
    out = {"impl": "transformers", "dtype": dtype, "rss_after_load_mib": peak_rss_mib()}
    texts = [tok.apply_chat_template([{"role": "user", "content": r["question"] + BOXED}], tokenize=False,
                                     add_generation_prompt=True) for r in rows for _ in range(group)]
    enc = tok(texts, return_tensors="pt", padding=True)
    t = time.perf_counter()
    with torch.no_grad():
        seqs = model.generate(**enc, do_sample=True, temperature=1.0, top_p=1.0, top_k=0, max_new_tokens=new_tokens,
                              min_new_tokens=new_tokens, pad_token_id=tok.pad_token_id)
    out["seconds_rollout"] = time.perf_counter() - t
    out["rss_after_rollout_mib"] = peak_rss_mib()

    # A sample of weights (the first and last layers' projections) to count how many the step changes: in
    # bfloat16 an update of lr 1e-6 is below half a unit in the last place of most weights.
    sampled = [p for n, p in model.named_parameters() if n.startswith(("model.layers.0.", f"model.layers.{len(model.model.layers) - 1}."))]
    before = [p.detach().clone() for p in sampled]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6)
    prompt_len = enc["input_ids"].shape[1]
    mask = torch.cat([enc["attention_mask"], torch.ones_like(seqs[:, prompt_len:])], dim=1)
    t = time.perf_counter()
    logits = model(input_ids=seqs, attention_mask=mask).logits[:, prompt_len - 1:-1].float()  # [N, C, V]
    logp = torch.log_softmax(logits, dim=-1).gather(-1, seqs[:, prompt_len:].unsqueeze(-1)).squeeze(-1)
    advantages = torch.randn(seqs.shape[0], 1)
    loss = -(advantages * logp).mean()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    out["seconds_update"] = time.perf_counter() - t
    changed = sum(int((p.detach() != b).sum()) for p, b in zip(sampled, before))
    out["changed_share"] = changed / sum(b.numel() for b in before)
    out["completion_tokens"] = int(seqs[:, prompt_len:].numel())
    out["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(*sys.argv[2:5])
    elif sys.argv[1] == "step":
        d, dtype, p, g, n, th = sys.argv[2:8]
        step(d, dtype, int(p), int(g), int(n), int(th))
    else:
        sys.exit(__doc__)
