#!/usr/bin/env python3
"""Hugging Face side of scripts/bench/tokenizer.sh: load time of a tokenizer.json and single-thread encode
throughput (one encode call per text; RAYON_NUM_THREADS=1) over the same corpus. Prints one JSON line.
usage: tokenizer_hf.py TOKENIZER_JSON CORPUS_JSONL REPEATS"""
import json
import sys
import time

from tokenizers import Tokenizer


def main():
    path, corpus, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(corpus, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    size = sum(len(t.encode()) for t in texts)
    start = time.perf_counter()
    tok = Tokenizer.from_file(path)
    load = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tokens = sum(len(tok.encode(t, add_special_tokens=False).ids) for t in texts)
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"impl": "tokenizers", "load_seconds": round(load, 3), "mb_per_second": round(size / 1e6 / best, 2),
                      "tokens": tokens}))


if __name__ == "__main__":
    main()
