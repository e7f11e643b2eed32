#!/usr/bin/env python3
"""Math verifier corpus proof and speed benchmark: aha vs math-verify on rewrites of real gold answers.

answers [DATA_DIR]
    Rewrites tests/data/math_answers/answers.jsonl ({"source", "id", "answer"} per gold) from the shared data
    copies in DATA_DIR (default ../shared/data): MATH-500, the MATH test set (last \\boxed{} of the solution),
    GSM8K test (after "#### ", commas removed), AIME 2024/2025, AMC 2023, OlympiadBench and Minerva.
run [--out PATH] [--max-pairs N] [--seed S] [--aha PATH]
    Builds a seeded corpus of (gold, pred) pairs from answers.jsonl: EQUIVALENT rewrites of each gold
    (expected 1: decimal <-> fraction, \\dfrac and a/b, spaces and \\,, \\left( \\right), units, a dollar
    sign, "x = ", reordered sets, thousands separators added or removed, whole-sentence completions, a
    completion that boxes a wrong answer and then corrects itself, set elements in boxes joined by "and",
    a matrix in another bracket kind, a trigonometric argument with or without parentheses, special angles in
    degrees, trigonometric identities in a variable that cancels) and NEAR MISSES (expected 0: off by one, sign
    flip, swapped tuple, inserted digit, swapped fraction, dropped set element, changed interval bracket, the
    gold boxed and then "corrected" to a wrong answer, a matrix entry changed, a matrix between bars
    (vmatrix: its determinant), a coefficient taken out of a trigonometric argument, another angle or degrees
    read as radians, an identity with a sign or function changed). A kind is skipped for a gold it does not
    apply to, and a near miss that would keep the value is not made. Above N pairs (default 20000), the kinds larger than a common
    quota are sampled down to it (seeded), so rare kinds stay whole.
    Both graders see the gold as "$" + gold + "$": math-verify extracts nothing from many bare golds
    ("\\text{Evelyn}", "p - q", "(3, \\frac{\\pi}{2})"), which would make every pair of such a gold count as
    wrong. math-verify runs in this process, single-threaded, as verify(parse(gold), parse(pred)) with its
    default configs and timeouts (an exception or timeout is a False); its time is the sum of parse + verify
    over the corpus. aha runs once over the same corpus as `aha verify math --jsonl` in a subprocess
    (OMP_NUM_THREADS=1); its time is the median of three whole-process runs, reported with and without the
    process start-up (timed on a one-pair file: the binary loads LibTorch first). Writes one JSON line per pair to PATH (default
    /tmp/math_verify_bench.jsonl) and prints a markdown summary.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ANSWERS = os.path.join(ROOT, "tests", "data", "math_answers", "answers.jsonl")


# ---------------------------------------------------------------------------------------------- answers
def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def last_boxed(text):
    """The contents of the last \\boxed{...} of text, braces balanced; None if there is none."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i, depth = start + len("\\boxed{"), 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j]
    return None


def integral_str(x):
    return str(int(x)) if float(x).is_integer() else repr(x)


def collect_answers(data):
    rows = []
    for r in read_jsonl(f"{data}/math500/test.jsonl"):
        rows.append(("math500", r["unique_id"], r["answer"]))
    for r in read_jsonl(f"{data}/math/test.jsonl"):
        rows.append(("math_test", r["idx"], last_boxed(r["solution"])))
    for i, r in enumerate(read_jsonl(f"{data}/gsm8k/test.jsonl")):
        rows.append(("gsm8k_test", i, r["answer"].split("#### ")[-1].replace(",", "")))
    for r in read_jsonl(f"{data}/aime24/test.jsonl"):
        rows.append(("aime24", r["id"], str(r["answer"])))
    for i, r in enumerate(read_jsonl(f"{data}/aime25/test.jsonl")):
        rows.append(("aime25", i, str(r["answer"])))
    for r in read_jsonl(f"{data}/amc23/test.jsonl"):
        rows.append(("amc23", r["id"], integral_str(r["answer"])))
    # OlympiadBench writes its answers in $...$ (several for a list, "$69$,$84$"): the delimiters go.
    for i, r in enumerate(read_jsonl(f"{data}/oat_evaluation_suite/olympiad_bench.jsonl")):
        rows.append(("olympiad_bench", i, r["answer"][0].replace("$", "")))
    # Minerva gives one to three equivalent spellings; the first is the answer.
    for i, r in enumerate(read_jsonl(f"{data}/oat_evaluation_suite/minerva.jsonl")):
        rows.append(("minerva", i, r["answer"][0]))
    return [{"source": s, "id": i, "answer": a.strip()} for s, i, a in rows]


def write_answers(data):
    rows = collect_answers(data)
    os.makedirs(os.path.dirname(ANSWERS), exist_ok=True)
    with open(ANSWERS, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = {}
    for r in rows:
        counts[r["source"]] = counts.get(r["source"], 0) + 1
    print(f"{len(rows)} answers -> {ANSWERS}: {counts}")


# ------------------------------------------------------------------------------------------ gold shapes
INT = re.compile(r"-?\d+")
DEC = re.compile(r"-?\d*\.\d+")
FRAC = re.compile(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}|(-?)\\[dt]?frac(\d)(\d)")
SLASH = re.compile(r"(-?)(\d+)/(\d+)")
FRAC_PARTS = re.compile(r"(-?)\\frac\{([^{}]+|\\sqrt\{\d+\})\}\{([^{}]+|\\sqrt\{\d+\})\}")
ATOM = re.compile(r"\d+|[a-z]|\\pi|\d*\\sqrt\{\d+\}|\d*\\pi")
OPEN, CLOSE = "{([", "})]"
TEXT = re.compile(r"\\(text|mbox|mathrm|textbf)\b")


def number(g):
    """The exact value of an integer, decimal or numeric fraction gold; None for anything else."""
    if INT.fullmatch(g) or DEC.fullmatch(g):
        return Fraction(g)
    m = FRAC.fullmatch(g)
    if m:
        sign, p, q = (m.group(1), m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5), m.group(6))
        if int(q) != 0:
            return Fraction(int(p), int(q)) * (-1 if sign else 1)
    m = SLASH.fullmatch(g)
    if m and int(m.group(3)) != 0:
        return Fraction(int(m.group(2)), int(m.group(3))) * (-1 if m.group(1) else 1)
    return None


def top_level_split(g, sep=","):
    """g split at the separators outside any {}, (), [] (brackets of intervals need not match in kind)."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(g):
        if c in OPEN:
            depth += 1
        elif c in CLOSE:
            depth -= 1
        elif c == sep and depth == 0 and not (i > 0 and g[i - 1] == "\\"):
            parts.append(g[start:i])
            start = i + 1
    parts.append(g[start:])
    return [p.strip() for p in parts]


THOUSANDS = re.compile(r"-?\d{1,3}((,|\{,\}|,\\!|\\,)\d{3})+")


def is_thousands(g):
    """1,000 / 1{,}000 / 14,\\!400 / 1\\,000: one integer with thousands separators."""
    return THOUSANDS.fullmatch(g.replace(" ", "")) is not None


def enclosed(g):
    """True if g's first character opens a bracket that closes at its last character."""
    if not g or g[0] not in OPEN:
        return False
    depth = 0
    for i, c in enumerate(g):
        depth += (c in OPEN) - (c in CLOSE)
        if depth == 0:
            return i == len(g) - 1
    return False


def set_elements(g):
    """The elements of an unordered answer (a bare comma list or \\{...\\}); None if g is not one."""
    inner = g
    if g.startswith("\\{") and g.endswith("\\}"):
        inner = g[2:-2]
    elif enclosed(g) or g.startswith("\\left"):
        return None
    if re.search(r"\d(,|,\\!|\{,\})\s*\d{3}(?!\d)", inner) or "\\cup" in inner:
        return None
    parts = top_level_split(inner)
    return parts if len(parts) >= 2 and all(parts) else None


def tuple_elements(g):
    """The elements of an ordered answer (a, b, ...) or \\left( a, b \\right); None otherwise."""
    m = re.fullmatch(r"\\left\s*\((.*)\\right\s*\)", g) or re.fullmatch(r"\((.*)\)", g)
    if not m or not enclosed("(" + m.group(1) + ")"):  # not (1,2),(3,4)
        return None
    parts = top_level_split(m.group(1))
    return parts if len(parts) >= 2 and all(parts) and "\\infty" not in g else None


def is_constant(g):
    """True for an expression of numbers and LaTeX commands only (2\\sqrt{3}, \\frac{\\pi}{2})."""
    rest = re.sub(r"\\[a-zA-Z]+", "", g)
    return not re.search(r"[a-zA-Z=<>,]", rest) and re.search(r"\d", rest) is not None


def decimal_str(v):
    """The exact decimal of v when it terminates, else None."""
    q = v.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    if q != 1:
        return None
    places = 0
    while (v * 10**places).denominator != 1:
        places += 1
    s = f"{abs(v.numerator) * 10**places // v.denominator:0{places + 1}d}"
    s = s[:-places] + "." + s[-places:] if places else s
    return ("-" if v < 0 else "") + s


def frac_latex(v):
    return ("-" if v < 0 else "") + f"\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"


# ----------------------------------------------------------------------------------- equivalent rewrites
UNITS = ["\\text{ cm}", "\\text{ meters}", "\\text{ inches}", "\\text{ dollars}", "\\text{ units}", "\\text{ feet}",
         "\\text{ km}", "\\text{ minutes}", "\\text{ hours}", "\\text{ degrees}", "\\ \\text{cm}^2", "\\mbox{ cm}",
         "\\text{ square units}", "\\,\\text{kg}", "\\text{ cents}"]


def eq_frac_to_decimal(g, rng):
    v = number(g)
    if v is None or v.denominator == 1 or (INT.fullmatch(g) or DEC.fullmatch(g)):
        return None
    d = decimal_str(v)
    return f"${d}$" if d else None


def eq_decimal_to_frac(g, rng):
    if not DEC.fullmatch(g):
        return None
    v = Fraction(g)
    return f"${frac_latex(v)}$" if v.denominator != 1 else None


def eq_dfrac(g, rng):
    return "$" + g.replace("\\frac", "\\dfrac") + "$" if "\\frac" in g else None


def eq_frac_slash(g, rng):
    m = FRAC_PARTS.fullmatch(g)
    if m and ATOM.fullmatch(m.group(2)) and ATOM.fullmatch(m.group(3)):
        return f"${m.group(1)}{m.group(2)}/{m.group(3)}$"
    m = SLASH.fullmatch(g)
    if m:
        return f"${m.group(1)}\\frac{{{m.group(2)}}}{{{m.group(3)}}}$"
    return None


def eq_spaces(g, rng):
    s = ", ".join(top_level_split(g)) if not is_thousands(g) else g
    if not TEXT.search(g):  # an operator inside \text{} is prose
        s = re.sub(r"(?<![\^_{\\])\s*([+=])\s*", r" \1 ", s)
        s = re.sub(r"(?<=[\w})])\s*-\s*(?=[\w\\({])", " - ", s)
    return f"$ {s} $"


def eq_thin_space(g, rng):
    s = g
    if not is_thousands(g) and len(top_level_split(g)) > 1:
        s = ",\\, ".join(top_level_split(g))
    s = re.sub(r"(\d)(\\(?!d?frac)[a-zA-Z]+)", r"\1\\,\2", s)  # not 3\frac{1}{2}: a mixed number
    return f"${s}$" if s != g else None


def eq_left_right(g, rng):
    """\\left ... \\right on every bracket pair, paired by position, so [0, 1) becomes \\left[0, 1\\right)."""
    if "\\left" in g or "\\right" in g or TEXT.search(g):
        return None
    tokens = re.findall(r"\\sqrt\[|\\[{}]|\\[a-zA-Z]+|.", g, re.S)  # \sqrt[3] keeps its bracket
    opens, paired = [], 0
    for i, t in enumerate(tokens):
        if t in ("(", "[", "\\{", "\\sqrt["):
            opens.append(i)
        elif t in (")", "]", "\\}"):
            if not opens:
                return None
            j = opens.pop()
            if tokens[j] != "\\sqrt[":
                tokens[j], tokens[i] = "\\left" + tokens[j], "\\right" + t
                paired += 1
    return "$" + "".join(tokens) + "$" if paired and not opens else None


def eq_units(g, rng):
    if number(g) is None and not (is_constant(g) and not re.search(r"\\circ|%|\\\$", g)):
        return None
    return f"${g}{rng.choice(UNITS)}$"


def eq_dollar_sign(g, rng):
    v = number(g)
    if v is None or v < 0 or not (INT.fullmatch(g) or DEC.fullmatch(g)):
        return None
    return f"$\\${g}$"


def eq_var_prefix(g, rng):
    if re.search(r"=|<|>|\\le|\\ge|\\in|\\text|\\cup|\\mbox", g) or len(top_level_split(g)) > 1:
        return None
    if g[:1] in "([" or g.startswith("\\left") or g.startswith("\\{"):
        return None
    var = next((v for v in "xykn" if v not in re.sub(r"\\[a-zA-Z]+", "", g)), None)
    return f"${var} = {g}$" if var else None


def eq_set_reorder(g, rng):
    parts = set_elements(g)
    if not parts or len(set(parts)) < 2:
        return None
    order = parts[::-1]
    if order == parts:
        order = parts[1:] + parts[:1]
    body = ", ".join(order)
    return f"$\\{{{body}\\}}$" if g.startswith("\\{") else f"${body}$"


def thousands(n, sep):
    s = f"{abs(n):,}".replace(",", sep)
    return ("-" if n < 0 else "") + s


def eq_thousands_comma(g, rng):
    return f"${thousands(int(g), ',')}$" if INT.fullmatch(g) and abs(int(g)) >= 1000 else None


def eq_thousands_plain(g, rng):
    return "$" + re.sub(r"[^\d-]", "", g) + "$" if is_thousands(g) else None


def eq_thousands_brace(g, rng):
    return f"${thousands(int(g), '{,}')}$" if INT.fullmatch(g) and abs(int(g)) >= 1000 else None


def eq_final_answer_sentence(g, rng):
    return f"The final answer is ${g}$."


def eq_boxed_sentence(g, rng):
    n, k = rng.randint(2, 9), rng.randint(10, 99)
    return f"There are {n} cases and {k} checks, so the answer is \\boxed{{{g}}}."


# ------------------------------------------------------------------------------------------ near misses
def nm_off_by_one(g, rng):
    return f"${int(g) + rng.choice((-1, 1))}$" if INT.fullmatch(g) else None


def nm_sign_flip(g, rng):
    v = number(g)
    if v is not None:
        return f"${g[1:]}$" if g.startswith("-") else f"$-{g}$" if v != 0 else None
    if is_constant(g) and len(top_level_split(g, "+")) == 1 and not re.search(r"-|:|\\circ|%|\\pm", g):
        return f"$-{g}$"
    return None


def nm_tuple_swap(g, rng):
    parts = tuple_elements(g)
    if not parts or parts[0] == parts[1]:
        return None
    a, b = number(parts[0]), number(parts[1])
    if a is not None and a == b:
        return None
    return "$(" + ", ".join([parts[1], parts[0]] + parts[2:]) + ")$"


def nm_digit_insert(g, rng):
    if DEC.fullmatch(g) and len(g.split(".")[1]) <= 5:
        s = g.replace(".", ".0", 1)
    elif INT.fullmatch(g) and len(g.lstrip("-")) >= 2:
        i = 2 if g.startswith("-") else 1
        s = g[:i] + "0" + g[i:]
    else:
        return None
    return f"${s}$" if Fraction(s) != Fraction(g) else None


def nm_frac_swap(g, rng):
    m = FRAC_PARTS.fullmatch(g)
    if m and m.group(2) != m.group(3) and m.group(2) != "0":
        a, b = number(m.group(2)), number(m.group(3))
        if a is None or b is None or abs(a) != abs(b):
            return f"${m.group(1)}\\frac{{{m.group(3)}}}{{{m.group(2)}}}$"
    v = number(g)
    if v is not None and SLASH.fullmatch(g) and v.numerator != 0 and abs(v) != 1:
        m = SLASH.fullmatch(g)
        return f"${m.group(1)}{m.group(3)}/{m.group(2)}$"
    return None


def nm_drop_element(g, rng):
    parts = set_elements(g)
    if not parts:
        return None
    i = rng.randrange(len(parts))
    bare = [re.sub(r"\s|\\!|\\,", "", p) for p in parts]  # "111, \! 111" has 111 twice
    if bare[i] in bare[:i] + bare[i + 1:]:
        return None
    body = ", ".join(parts[:i] + parts[i + 1:])
    return f"$\\{{{body}\\}}$" if g.startswith("\\{") else f"${body}$"


INTERVAL = re.compile(r"(\\left\s*)?([\[(])([^,\[\]()]*?),([^,\[\]()]*?)(\\right\s*)?([\])])")


def nm_interval_bracket(g, rng):
    if not re.search(r"\\infty|(?<!\\sqrt)\[|\]|\\cup", g):
        return None
    for m in INTERVAL.finditer(g):
        left, right = m.group(3).strip(), m.group(4).strip()
        if "\\infty" not in left:
            i, new = m.start(2), "[" if m.group(2) == "(" else "("
        elif "\\infty" not in right:
            i, new = m.start(6), "]" if m.group(6) == ")" else ")"
        else:
            continue
        return f"${g[:i]}{new}{g[i + 1:]}$"
    return None


# ------------------------------------------------------------ self-correction, matrices, trigonometry
# These kinds draw from their own generator per (kind, gold), not the shared one, so the kinds above still
# make the same pairs (sampling down to --max-pairs shares its quota among all kinds, these too).
def local_rng(kind, g):
    return random.Random(f"{kind}:{g}")


def wrong_answer(g):
    """A near miss of g without its $...$ (the first near-miss kind that applies), or None."""
    for make in (nm_off_by_one, nm_sign_flip, nm_digit_insert, nm_frac_swap, nm_tuple_swap, nm_drop_element,
                 nm_interval_bracket):
        w = make(g, local_rng("wrong", g))
        if w is not None:
            return w[1:-1]
    return None


# Short reflections with commas, as models write them: a grader that joins boxes across short text with a
# comma takes both boxes as one answer.
REFLECTIONS = ["Wait, I made an error: it is", "Hmm, that is wrong, so the answer is", "Wait, I made an error; it should be",
               "No, let me recheck, it is", "Actually, I miscounted, the answer is", "Wait, no, it is"]


def self_correction(g, first, last):
    reflection = local_rng("reflection", g).choice(REFLECTIONS)
    return f"So the answer is \\boxed{{{first}}}. {reflection} \\boxed{{{last}}}."


def eq_self_correction(g, rng):
    """A wrong box, a reflection, then the gold in a box: the last answer counts."""
    w = wrong_answer(g)
    return self_correction(g, w, g) if w else None


def nm_corrected_away(g, rng):
    """The gold in a box, a reflection, then a wrong box: the last answer counts."""
    w = wrong_answer(g)
    return self_correction(g, g, w) if w else None


def eq_joined_boxes(g, rng):
    """Each element of a set in its own box, joined by commas and "and": one answer."""
    parts = set_elements(g)
    if not parts or g.startswith("\\{"):
        return None
    boxed = [f"\\boxed{{{p}}}" for p in parts]
    return "The solutions are " + ", ".join(boxed[:-1]) + " and " + boxed[-1] + "."


MATRIX = re.compile(r"\\begin\{pmatrix\}(.*)\\end\{pmatrix\}", re.S)


def matrix_env(body, env):
    if env == "array":
        cols = body.split("\\\\")[0].count("&") + 1
        return f"\\left(\\begin{{array}}{{{'c' * cols}}}{body}\\end{{array}}\\right)"
    return f"\\begin{{{env}}}{body}\\end{{{env}}}"


def eq_matrix_env(g, rng):
    """The same entries in another bracket kind: bmatrix, Bmatrix, matrix, smallmatrix, array."""
    m = MATRIX.fullmatch(g)
    if not m:
        return None
    env = local_rng("matrix_env", g).choice(["bmatrix", "Bmatrix", "matrix", "smallmatrix", "array"])
    return f"${matrix_env(m.group(1), env)}$"


def nm_matrix_entry(g, rng):
    """One numeric entry plus one, written as a bmatrix."""
    m = MATRIX.fullmatch(g)
    if not m:
        return None
    cells = re.split(r"(&|\\\\)", m.group(1))
    for i in range(0, len(cells), 2):
        v = number(cells[i].strip())
        if v is not None:
            cells[i] = f" {v + 1} " if (v + 1).denominator == 1 else f" {frac_latex(v + 1)} "
            return f"${matrix_env(''.join(cells), 'bmatrix')}$"
    return None


def nm_matrix_determinant(g, rng):
    """The entries between bars: a determinant (vmatrix), not the matrix."""
    m = MATRIX.fullmatch(g)
    return f"${matrix_env(m.group(1), 'vmatrix')}$" if m else None


TRIG = r"\\(?:sin|cos|tan|cot|sec|csc)"
TRIG_ATOM = r"(?:[a-zA-Z](?![a-zA-Z])|\\(?:theta|alpha|beta|phi|omega|pi)(?![a-zA-Z]))"
# A function and its argument without parentheses (\sin 3x, \cot x, \cos 58^\circ) or with them (\cos(2t)).
TRIG_BARE = re.compile(TRIG + r"(\^\{?\d\}?)?\s*(\d*\s*" + TRIG_ATOM + r"|\d+\^(?:\\circ|\{\\circ\}))")
TRIG_PAREN = re.compile(TRIG + r"(\^\{?\d\}?)?\s*\((\d*\s*" + TRIG_ATOM + r"\s*)\)")


def eq_trig_parens(g, rng):
    """\\sin 3x <-> \\sin(3x): without parentheses a function takes the product term that follows."""
    m = TRIG_PAREN.search(g)
    if m:
        head = g[m.start():m.start(2)].rstrip().rstrip("(")
        return "$" + g[:m.start()] + head + " " + m.group(2).strip() + g[m.end():] + "$"
    m = TRIG_BARE.search(g)
    if m:
        return "$" + g[:m.start(2)] + "(" + m.group(2) + ")" + g[m.end():] + "$"
    return None


def nm_trig_argument(g, rng):
    """\\sin 3x -> 3\\sin x (the coefficient taken out), \\cos 58^\\circ -> \\cos 58 (radians)."""
    for pat in (TRIG_PAREN, TRIG_BARE):
        for m in pat.finditer(g):
            arg = m.group(2).strip()
            deg = re.fullmatch(r"(\d+)\^(?:\\circ|\{\\circ\})", arg)
            coef = re.fullmatch(r"(\d+)\s*(" + TRIG_ATOM + ")", arg)
            if deg and deg.group(1) != "0":
                return "$" + g[:m.start(2)] + deg.group(1) + g[m.end(2):] + "$"
            if coef and coef.group(1) not in ("0", "1"):
                head = g[m.start():m.start(2)].rstrip().rstrip("(")
                return "$" + g[:m.start()] + coef.group(1) + head + " " + coef.group(2) + g[m.end():] + "$"
    return None


# Exact values at special angles, in degrees: (values, equal forms, forms of another value).
SPECIAL_ANGLES = [
    (("1/2",), ["\\sin 30^\\circ", "\\cos 60^\\circ"], ["\\cos 30^\\circ", "\\sin 30"]),
    (("-1/2",), ["\\cos 120^\\circ", "\\sin 210^{\\circ}"], ["\\cos 150^\\circ", "\\cos 120"]),
    (("1",), ["\\tan 45^\\circ", "\\sin 90^\\circ"], ["\\tan 45", "\\cos 90^\\circ"]),
    (("0",), ["\\sin 180^\\circ", "\\cos 90^{\\circ}"], ["\\cos 180^\\circ", "\\sin 180"]),
    (("-1",), ["\\cos 180^\\circ"], ["\\cos 0^\\circ", "\\cos 180"]),
    (("2",), ["\\sec 60^\\circ", "\\csc 30^\\circ"], ["\\sec 30^\\circ", "\\csc 30"]),
    (("\\sqrt{3}", "\\sqrt3"), ["\\tan 60^\\circ"], ["\\tan 30^\\circ", "\\tan 60"]),
    (("\\sqrt{2}",), ["\\sec 45^\\circ"], ["\\csc 30^\\circ"]),
    (("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}{2}"), ["\\sin 60^\\circ", "\\cos 30^\\circ"], ["\\sin 30^\\circ", "\\cos 30"]),
    (("\\frac{\\sqrt{2}}{2}",), ["\\sin 45^\\circ", "\\cos 45^{\\circ}"], ["\\sin 60^\\circ", "\\sin 45"]),
    (("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"), ["\\tan 30^\\circ", "\\cot 60^\\circ"], ["\\tan 60^\\circ", "\\tan 30"]),
]
# Forms of 1 in degrees whose value changes when the degree marks are dropped (read as radians).
ONE_IN_DEGREES = ["\\tan 45^\\circ", "2\\sin 30^\\circ", "2\\cos 60^{\\circ}", "\\sqrt{2}\\sin 45^\\circ"]


def special_angle(g):
    v = number(g)
    for values, equal, other in SPECIAL_ANGLES:
        if g.replace(" ", "") in values or (v is not None and str(v) in values):
            return equal, other
    return None


def trig_degrees(g, kind, equal):
    forms = special_angle(g)
    rng = local_rng(kind, g)
    if forms:
        return "$" + rng.choice(forms[0 if equal else 1]) + "$"
    v = number(g)
    if v is None or v == 0:
        return None
    one = rng.choice(ONE_IN_DEGREES)
    if not equal:
        one = re.sub(r"\^(\\circ|\{\\circ\})", "", one)
    return f"${g} \\cdot {one}$"


def eq_trig_degrees(g, rng):
    """A degree mark inside a function's argument is pi/180: \\sin 30^\\circ is 1/2, 3 \\cdot \\tan 45^\\circ is 3."""
    return trig_degrees(g, "trig_degrees", True)


def nm_trig_angle(g, rng):
    """Another special angle, or the degree marks dropped (\\sin 30 is in radians)."""
    return trig_degrees(g, "trig_degrees", False)


# Identities in a variable the gold does not have: zero terms and unit factors (value, another value).
TRIG_ZERO = [("\\sin^2 t - \\frac{1-\\cos 2t}{2}", "\\cos^2 t - \\frac{1-\\cos 2t}{2}"),
             ("2\\sin\\theta\\cos\\theta - \\sin 2\\theta", "2\\sin\\theta\\cos\\theta - \\sin\\theta"),
             ("\\cos 2x - 2\\cos^2 x + 1", "\\cos 2x - 2\\cos^2 x - 1")]
TRIG_ONE = [("\\sec^2 t - \\tan^2 t", "\\sec^2 t + \\tan^2 t"), ("\\sin^2 t + \\cos^2 t", "\\sin^2 t - \\cos^2 t"),
            ("\\csc^2 t - \\cot^2 t", "\\csc^2 t + \\cot^2 t")]


def trig_identity(g, equal):
    v = number(g)
    if v is None:
        return None
    rng = local_rng("trig_identity", g)
    zero, one = rng.choice(TRIG_ZERO), rng.choice(TRIG_ONE)
    if v != 0 and rng.random() < 0.5:
        return f"${g} \\cdot \\left({one[0 if equal else 1]}\\right)$"
    return f"${g} + {zero[0 if equal else 1]}$"


def eq_trig_identity(g, rng):
    """The gold plus a trigonometric zero, or times a trigonometric one: the variable cancels."""
    return trig_identity(g, True)


def nm_trig_non_identity(g, rng):
    """The same with a sign or a function changed, so the variable stays."""
    return trig_identity(g, False)


EQUIVALENT = [eq_frac_to_decimal, eq_decimal_to_frac, eq_dfrac, eq_frac_slash, eq_spaces, eq_thin_space,
              eq_left_right, eq_units, eq_dollar_sign, eq_var_prefix, eq_set_reorder, eq_thousands_comma,
              eq_thousands_brace, eq_thousands_plain, eq_final_answer_sentence, eq_boxed_sentence,
              eq_self_correction, eq_joined_boxes, eq_matrix_env, eq_trig_parens, eq_trig_degrees, eq_trig_identity]
NEAR_MISS = [nm_off_by_one, nm_sign_flip, nm_tuple_swap, nm_digit_insert, nm_frac_swap, nm_drop_element,
             nm_interval_bracket, nm_corrected_away, nm_matrix_entry, nm_matrix_determinant, nm_trig_argument,
             nm_trig_angle, nm_trig_non_identity]


def build_corpus(answers, seed, max_pairs):
    rng = random.Random(seed)
    pairs, seen = [], set()
    for a in answers:
        g = a["answer"]
        if not g or "$" in g:
            continue
        for expected, makers in ((1, EQUIVALENT), (0, NEAR_MISS)):
            for make in makers:
                pred = make(g, rng)
                kind = make.__name__[3:]
                if pred is None or (kind, g) in seen or (expected == 0 and pred == f"${g}$"):
                    continue
                seen.add((kind, g))
                pairs.append({"source": a["source"], "id": a["id"], "kind": kind, "expected": expected,
                              "gold": g, "pred": pred})
    by_kind = {}
    for i, p in enumerate(pairs):
        by_kind.setdefault(p["kind"], []).append(i)
    if len(pairs) <= max_pairs:
        return pairs, len(pairs)
    # Water-filling: every kind keeps min(its size, quota), the quota as large as max_pairs allows.
    sizes = sorted(len(v) for v in by_kind.values())
    left, quota = max_pairs, None
    for n, size in enumerate(sizes):
        share = left // (len(sizes) - n)
        if size <= share:
            left -= size
        else:
            quota = share
            break
    keep = []
    for kind in sorted(by_kind):
        idx = by_kind[kind]
        keep += idx if quota is None or len(idx) <= quota else random.Random(f"{seed}:{kind}").sample(idx, quota)
    return [pairs[i] for i in sorted(keep)], len(pairs)


# ----------------------------------------------------------------------------------------------- graders
def import_math_verify():
    """The math_verify package, not this file (which has its name and sits first on sys.path)."""
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]
    try:
        import math_verify
    finally:
        sys.path[:] = saved
    return math_verify.parse, math_verify.verify


def run_math_verify(pairs):
    parse, verify = import_math_verify()

    total = 0.0
    for p in pairs:
        start = time.perf_counter()
        try:
            gold, pred = parse("$" + p["gold"] + "$"), parse(p["pred"])
            ok, err = bool(verify(gold, pred)), None
        except Exception as e:  # math-verify's own timeouts raise too
            gold, pred, ok, err = [], [], False, f"{type(e).__name__}: {e}"[:200]
        total += time.perf_counter() - start
        p.update(mv_correct=ok, mv_gold=str(gold)[:200], mv_pred=str(pred)[:200], mv_error=err)
    return total


def aha_seconds(aha, path, env):
    """Median wall time of three `aha verify math --jsonl path` runs, and the last run's output."""
    times, out = [], None
    for _ in range(3):
        start = time.perf_counter()
        out = subprocess.run([aha, "verify", "math", "--jsonl", path], capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        if out.returncode != 0:
            sys.exit(f"aha verify math failed ({out.returncode}): {out.stderr.strip()[:500]}")
    return sorted(times)[1], out


def run_aha(pairs, aha):
    """aha's time on the corpus (median of three whole-process runs) and its start-up time (the same on a
    one-pair file: the binary links LibTorch, which loads before any verification)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    files = []
    for rows in (pairs, pairs[:1]):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
            for p in rows:
                f.write(json.dumps({"gold": "$" + p["gold"] + "$", "pred": p["pred"]}) + "\n")
        files.append(f.name)
    seconds, out = aha_seconds(aha, files[0], env)
    startup, _ = aha_seconds(aha, files[1], env)
    for name in files:
        os.unlink(name)
    lines = out.stdout.splitlines()
    if len(lines) != len(pairs):
        sys.exit(f"aha wrote {len(lines)} verdicts for {len(pairs)} pairs")
    for p, line in zip(pairs, lines):
        v = json.loads(line)
        p.update(aha_correct=bool(v["correct"]), aha_reason=v["reason"], aha_found=v["answer_found"],
                 aha_extracted_pred=v["extracted_pred"], aha_parsed_gold=v["parsed_gold"],
                 aha_parsed_pred=v["parsed_pred"])
    return seconds, startup


# ----------------------------------------------------------------------------------------------- report
def md(s):
    return "`" + str(s).replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def example_rows(rows, limit=15):
    out = ["| kind | gold | pred | aha reason (parsed gold / pred) | math-verify (gold / pred) |",
           "|---|---|---|---|---|"]
    for p in rows[:limit]:
        out.append(f"| {p['kind']} | {md(p['gold'])} | {md(p['pred'])} | {p['aha_reason']} "
                   f"({md(p['aha_parsed_gold'])} / {md(p['aha_parsed_pred'])}) | {p['mv_correct']} "
                   f"({md(p['mv_gold'])} / {md(p['mv_pred'])}) |")
    return out


def report(pairs, total, mv_s, aha_s, aha_start, args):
    n = len(pairs)
    pos = [p for p in pairs if p["expected"] == 1]
    neg = [p for p in pairs if p["expected"] == 0]
    lines = [f"# aha vs math-verify on {n} pairs ({len(pos)} equivalent, {len(neg)} near misses; "
             f"{total} generated, seed {args.seed})", "",
             "| kind | expected | pairs | aha agrees | math-verify agrees |", "|---|---|---|---|---|"]
    kinds = sorted({(p["expected"], p["kind"]) for p in pairs}, key=lambda k: (-k[0], k[1]))
    for e, k in kinds:
        rows = [p for p in pairs if p["kind"] == k]
        a = sum(p["aha_correct"] == bool(e) for p in rows)
        m = sum(p["mv_correct"] == bool(e) for p in rows)
        lines.append(f"| {k} | {e} | {len(rows)} | {a} ({100 * a / len(rows):.1f}%) | "
                     f"{m} ({100 * m / len(rows):.1f}%) |")
    a_ok = sum(p["aha_correct"] for p in pos)
    m_ok = sum(p["mv_correct"] for p in pos)
    both = sum(p["aha_correct"] and p["mv_correct"] for p in pos)
    aha_only = [p for p in pos if p["aha_correct"] and not p["mv_correct"]]
    mv_only = [p for p in pos if p["mv_correct"] and not p["aha_correct"]]
    aha_fp = [p for p in neg if p["aha_correct"]]
    mv_fp = [p for p in neg if p["mv_correct"]]
    agree = sum(p["aha_correct"] == p["mv_correct"] for p in pairs)
    lines += ["", "| | aha | math-verify |", "|---|---|---|",
              f"| equivalent judged correct (of {len(pos)}) | {a_ok} ({100 * a_ok / max(1, len(pos)):.1f}%) | "
              f"{m_ok} ({100 * m_ok / max(1, len(pos)):.1f}%) |",
              f"| ... by this grader only | {len(aha_only)} | {len(mv_only)} |",
              f"| near misses judged correct (false positives, of {len(neg)}) | {len(aha_fp)} | {len(mv_fp)} |",
              f"| wall time (s) | {aha_s:.2f} (whole process, median of 3) | {mv_s:.2f} (parse + verify) |",
              f"| ... of which process start-up | {aha_start:.2f} | |",
              f"| verifications/s | {n / aha_s:,.0f} (whole process); {n / max(1e-9, aha_s - aha_start):,.0f} "
              f"(verifying) | {n / mv_s:,.0f} |", "",
              f"Both correct on equivalents: {both}. Agreement aha == math-verify: {agree}/{n} "
              f"({100 * agree / n:.2f}%). Speed ratio aha / math-verify: {mv_s / aha_s:.1f}x whole process, "
              f"{mv_s / max(1e-9, aha_s - aha_start):.1f}x verifying.", ""]
    for title, rows in (("aha only correct (math-verify misses)", aha_only),
                        ("math-verify only correct (aha misses)", mv_only),
                        ("aha false positives", aha_fp)):
        lines += [f"## {title}: {len(rows)}", ""] + (example_rows(rows) if rows else []) + [""]
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("answers")
    a.add_argument("data", nargs="?", default=os.path.join(os.path.dirname(ROOT), "shared", "data"))
    r = sub.add_parser("run")
    r.add_argument("--out", default="/tmp/math_verify_bench.jsonl")
    r.add_argument("--max-pairs", type=int, default=20000)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--aha", default=os.path.join(ROOT, "build", "cli", "aha"))
    args = ap.parse_args()
    if args.cmd == "answers":
        return write_answers(args.data)
    pairs, total = build_corpus(read_jsonl(ANSWERS), args.seed, args.max_pairs)
    print(f"[math_verify] {len(pairs)} pairs of {total} generated; math-verify ...", file=sys.stderr)
    mv_s = run_math_verify(pairs)
    print(f"[math_verify] math-verify {mv_s:.1f} s; aha ...", file=sys.stderr)
    aha_s, aha_start = run_aha(pairs, args.aha)
    with open(args.out, "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    report(pairs, total, mv_s, aha_s, aha_start, args)


if __name__ == "__main__":
    main()
