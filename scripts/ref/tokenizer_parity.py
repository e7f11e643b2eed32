#!/usr/bin/env python3
"""Reference side of aha's tokenizer parity test (tests/tokenizer/hf_parity.sh) and benchmark.

corpus DIR
    Writes DIR/corpus.jsonl ({"text": ...} per line) built from the GSM8K, MATH, MBPP and CodeContests copies
    in datasets/data/ plus generated hard cases (CJK, emoji and ZWJ sequences, combining marks, RTL text,
    digit runs, whitespace mixes, every added token of the tested tokenizers inside text, the empty string,
    a 1 MB string), and DIR/invalid.txt: lines of raw bytes that are not valid UTF-8.
check DIR TOKENIZER_JSON NAME
    Compares aha's output for one tokenizer (DIR/NAME.ids.jsonl, DIR/NAME.invalid.jsonl, DIR/NAME.decoded.jsonl,
    written by `aha tokenize`) with Hugging Face tokenizers: token ids must be identical on every line, and
    aha's decode of its ids must equal tokenizers' decode of the same ids.
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "datasets", "data")
TOKENIZERS = os.path.join(ROOT, "tests", "data", "tokenizers")


def dataset_texts():
    texts = []
    with open(os.path.join(DATA, "gsm8k_test.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts += [r["question"], r["answer"]]
    with open(os.path.join(DATA, "math_test.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts += [r["problem"], r["solution"]]
    with open(os.path.join(DATA, "mbpp.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts += [r["text"], r["code"], "\n".join(r["test_list"])]
    with open(os.path.join(DATA, "code_contests.json"), encoding="utf-8") as f:
        for r in json.load(f):
            texts.append(r["problem"])
            tests = r["tests"]
            if isinstance(tests, str):
                tests = json.loads(tests)
            inputs = tests.get("inputs", []) if isinstance(tests, dict) else [t.get("input", "") for t in tests]
            texts += [str(x) for x in inputs[:4]]
    return texts


SAMPLES = [
    "中文分词测试：机器学习和深度学习。", "日本語のテキスト、カタカナとひらがな。", "한국어 텍스트 처리 테스트",
    "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs, 🇯🇵🇺🇸", "e\u0301te\u0301 cafe\u0301 n\u0303 a\u0308\u0304",
    "\u1100\u1161\u11a8 decomposed hangul", "مرحبا بالعالم العربي", "שלום עולם", "Ελληνικά κείμενο", "Кириллица текст",
    "x² + y³ = z⁴, Ⅻ, ٣٤٥, 𝟎𝟏", "'S 'ſ 'LL 'Ve it's we'RE", "\u00a0nbsp\u2003em\u3000ideo\u0085nel\u180emvs\u200bzw\ufeffbom",
    "\x1c\x1d\x1e\x1f controls\x00nul\x7fdel", "tab\tsep\tvalues\t\t", "crlf line\r\nnext\r\n\r\n", "trailing   \n  \n\t \n",
    "1234567890123456789012345678901234567890", "3.14159265358979 -0.0001 1e-10 0x1F", "fullwidth ＡＢＣ１２３！",
    "\\boxed{\\frac{1}{2}} $x^2$ \\(a+b\\)", "def f(x):\n    return x  # comment\n\n\n", "😀" * 20, "a" * 300 + " " + "b" * 257,
]


def hard_cases(added_tokens, rng):
    cases = ["", " ", "\n", "  ", "\t", "\r\n"] + SAMPLES
    for tok in added_tokens:
        cases += [tok, f"before{tok}after", f"x {tok} y", f"{tok}{tok}", f" \t{tok}\n ", f"word{tok}word"]
    alphabet = (
        [chr(c) for c in range(0x20, 0x7f)] + list("\t\n\r \u00a0\u3000\u2003") + list("éüñçßøåÆŒſ") + list("中文字学習") +
        list("ابتثעברית") + ["\u0301", "\u0308", "\u200d", "\ufe0f"] + list("😀🎉🚀👍🏽") + list("²³¼Ⅻ٣") + list("ＡＢ！")
    )
    for n in range(4000):
        k = rng.randint(1, 60)
        s = "".join(rng.choice(alphabet) for _ in range(k))
        if n % 7 == 0 and added_tokens:
            pos = rng.randint(0, len(s))
            s = s[:pos] + rng.choice(added_tokens) + s[pos:]
        if n % 11 == 0:
            s = " " * rng.randint(1, 6) + "\n" * rng.randint(1, 3) + s
        cases.append(s)
    for n in range(300):
        cases.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 80))))
        cases.append(" " * rng.randint(1, 12) + rng.choice(["\n", "\r\n", "\t", ""]) + "x")
    words = "the quick brown fox jumps over lazy dog 中文 ß 😀 123 ++ -- ** ' \" \n".split(" ")
    cases.append(" ".join(rng.choice(words) for _ in range(200000))[:1 << 20])  # ~1 MB
    return cases


INVALID = [b"\xff", b"abc\xfe\xfdxyz", b"\xc3(", b"\xe2\x82", b"\xe2\x28\xa1", b"\xf0\x9f\x98", b"\xf0\x9f\x98\xff",
           b"\xed\xa0\x80 surrogate", b"\xc0\xaf overlong", b"\xf4\x90\x80\x80 beyond", b"ok \x80\x80\x80 ok",
           "héllo".encode() + b"\xe9", b"\xe4\xb8\x61", b"\x00\x01\x02 low bytes"]


def added_token_strings():
    out = []
    for name in sorted(os.listdir(TOKENIZERS)):
        with open(os.path.join(TOKENIZERS, name, "tokenizer.json"), encoding="utf-8") as f:
            out += [t["content"] for t in json.load(f).get("added_tokens", [])]
    return sorted(set(out))


def corpus(out):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261125)
    texts = dataset_texts() + hard_cases(added_token_strings(), rng)
    with open(os.path.join(out, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}) + "\n")
    with open(os.path.join(out, "invalid.txt"), "wb") as f:
        for b in INVALID:
            f.write(b + b"\n")
    print(f"corpus: {len(texts)} strings, {sum(len(t.encode()) for t in texts) / 1e6:.1f} MB; {len(INVALID)} invalid lines")


def read_jsonl(path, key):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)[key] for line in f]


def check(out, tokenizer_json, name):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(tokenizer_json)
    texts = read_jsonl(os.path.join(out, "corpus.jsonl"), "text")
    with open(os.path.join(out, "invalid.txt"), "rb") as f:
        invalid = [line[:-1].decode("utf-8", errors="replace") for line in f]
    got = read_jsonl(os.path.join(out, f"{name}.ids.jsonl"), "ids")
    got += read_jsonl(os.path.join(out, f"{name}.invalid.jsonl"), "ids")
    decoded = read_jsonl(os.path.join(out, f"{name}.decoded.jsonl"), "text")
    inputs = texts + invalid
    assert len(got) == len(inputs), (len(got), len(inputs))
    want = [e.ids for e in tok.encode_batch(inputs, add_special_tokens=False)]
    bad_ids = [i for i in range(len(inputs)) if got[i] != want[i]]
    want_text = tok.decode_batch(got[:len(texts)], skip_special_tokens=False)
    bad_decode = [i for i in range(len(texts)) if decoded[i] != want_text[i]]
    roundtrip = sum(want_text[i] == texts[i] for i in range(len(texts)))
    print(f"{name}: {len(inputs)} strings; ids identical on {len(inputs) - len(bad_ids)}; decode identical on "
          f"{len(texts) - len(bad_decode)} of {len(texts)}; decode(encode(x)) == x on {roundtrip}")
    for i in bad_ids[:5]:
        print(f"  ids differ on {inputs[i][:200]!r}:\n    aha {got[i][:40]}\n    hf  {want[i][:40]}")
    for i in bad_decode[:5]:
        print(f"  decode differs on {texts[i][:200]!r}:\n    aha {decoded[i][:200]!r}\n    hf  {want_text[i][:200]!r}")
    if bad_ids or bad_decode:
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["corpus"]:
        corpus(sys.argv[2])
    elif sys.argv[1:2] == ["check"]:
        check(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
