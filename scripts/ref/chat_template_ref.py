#!/usr/bin/env python3
"""Writes tests/data/chat_templates/expected.json: transformers' apply_chat_template(messages, tokenize=False,
add_generation_prompt=...) for a set of conversations, on each real tokenizer_config.json in
tests/data/tokenizers, on the generic ChatML template and on the later Qwen3 template revision of the
installed TRL package, for tests/datasets/chat_template_test.cpp.

  HF_HUB_OFFLINE=1 .venv/bin/python scripts/ref/chat_template_ref.py

Python is the reference here, never needed to run aha.
"""
import json
import os
import shutil
import tempfile

from transformers import AutoTokenizer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "tests", "data", "chat_templates", "expected.json")

# The ChatML template of transformers' chat-templating docs, as many fine-tunes ship it.
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")

THINK = "<think>\nFirst add 2 and 2.\nThat is 4.\n</think>\n\nThe answer is 4."


def m(role, content):
    return {"role": role, "content": content}


CASES = [
    ("user_only", [m("user", "What is 2+2?")], True),
    ("system_user", [m("system", "You are terse."), m("user", "What is 2+2?")], True),
    ("multi_turn", [m("system", "You are terse."), m("user", "What is 2+2?"), m("assistant", "4"),
                    m("user", "And 3+3?")], True),
    ("assistant_think_in_history", [m("user", "What is 2+2?"), m("assistant", THINK), m("user", "And 3+3?")], True),
    ("unicode", [m("system", "Réponds en français 🙂"), m("user", "Combien font 2×2 ? 世界 ∑ — «ok»")], True),
    ("empty_system", [m("system", ""), m("user", "Hi")], True),
    ("two_systems", [m("system", "Rule one."), m("user", "Hi"), m("system", "Rule two."), m("user", "Again")], True),
    ("user_tool_response_text", [m("user", "Look it up."), m("assistant", THINK),
                                 m("user", "<tool_response>42</tool_response>")], True),
    ("odd_think", [m("user", "Q"), m("assistant", "\n<think>a<think>\n\nb\n</think>c</think>\n\nd\n"), m("user", "R")],
     True),
    ("no_generation_prompt", [m("system", "You are terse."), m("user", "What is 2+2?"), m("assistant", "4")], False),
    ("final_assistant_think", [m("user", "What is 2+2?"), m("assistant", THINK)], False),
    ("assistant_think_after_last_user", [m("user", "What is 2+2?"), m("assistant", "plain"),
                                         m("assistant", THINK)], False),
]


def render_all(tok):
    return [{"name": name, "messages": msgs, "add_generation_prompt": agp,
             "text": tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=agp)}
            for name, msgs, agp in CASES]


def with_template(tokenizer, chat_template):
    """The tokenizer in tests/data/tokenizers/<tokenizer> with another chat template."""
    tmp = tempfile.mkdtemp()
    src = os.path.join(ROOT, "tests", "data", "tokenizers", tokenizer)
    shutil.copy(os.path.join(src, "tokenizer.json"), tmp)
    with open(os.path.join(src, "tokenizer_config.json")) as f:
        config = json.load(f)
    config["chat_template"] = chat_template
    with open(os.path.join(tmp, "tokenizer_config.json"), "w") as f:
        json.dump(config, f)
    tok = AutoTokenizer.from_pretrained(tmp)
    shutil.rmtree(tmp)
    return tok


def main():
    families = []
    for family in ["qwen2_5", "qwen3", "deepseek_v3"]:
        folder = os.path.join(ROOT, "tests", "data", "tokenizers", family)
        tok = AutoTokenizer.from_pretrained(folder)
        families.append({"family": family, "tokenizer_config": f"tests/data/tokenizers/{family}/tokenizer_config.json",
                         "cases": render_all(tok)})
    # ChatML: the Qwen2.5 tokenizer (it has <|im_start|>, <|im_end|>) with the generic template.
    families.append({"family": "chatml", "chat_template": CHATML,
                     "cases": render_all(with_template("qwen2_5", CHATML))})
    # The later Qwen3 template revision that TRL keeps (read from the installed package, not copied here):
    # the C++ test reads the same file from .venv and skips it when absent.
    import trl
    site = os.path.dirname(os.path.dirname(os.path.abspath(trl.__file__)))
    relative = "trl/chat_templates/qwen3.jinja"
    with open(os.path.join(site, relative)) as f:
        text = f.read()
    families.append({"family": "qwen3", "chat_template_file": relative, "trl": trl.__version__,
                     "cases": render_all(with_template("qwen3", text))})
    with open(OUT, "w") as f:
        json.dump({"transformers": __import__("transformers").__version__, "families": families}, f,
                  ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
