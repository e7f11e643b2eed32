#!/usr/bin/env python3
"""Writes `aha verify code` input lines from the code data sets in tests/data/code, and grades them the
plain way for reference.

  code_tasks.py humaneval|mbpp|leetcode|code_contests|codeforces [--mutate] > tasks.jsonl
  code_tasks.py reference tasks.jsonl > passed.jsonl    {"id", "passed"} per line: every test passes
      when the program and its tests run in a plain interpreter (a subprocess per task; null past 5 s;
      only for the trusted programs this script writes, never for model output)

Each line is {"id", "program", "tests"}: the data set's own reference solution (HumanEval's prompt +
canonical_solution, MBPP's code, LeetCode's solution) with its tests in assert style. With --mutate, the
solution is changed by one small edit that a careful grader must catch: the first comparison flipped
(< to <=, == to !=), else the first integer constant off by one, else the first + turned into -. Tasks
with nothing to mutate are left out. Python is the reference here, never needed to run aha.
"""
import argparse
import ast
import gzip
import json
import os
import sys

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "code")

# What LeetCode solutions assume is already imported or defined (the site's own prelude).
LEETCODE_PRELUDE = """\
from typing import *
from collections import *
from functools import *
from itertools import *
from heapq import *
from bisect import *
from math import *
from string import *
import collections, functools, itertools, heapq, bisect, math, string, re, operator, random
inf = float('inf')

class ListNode:
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next

class TreeNode:
    def __init__(self, val=0, left=None, right=None):
        self.val = val
        self.left = left
        self.right = right

def list_node(values):
    head = cur = ListNode()
    for v in values:
        cur.next = ListNode(v)
        cur = cur.next
    return head.next

def is_same_list(a, b):
    while a and b:
        if a.val != b.val:
            return False
        a, b = a.next, b.next
    return a is None and b is None

def tree_node(values):
    if not values or values[0] is None:
        return None
    root = TreeNode(values[0])
    queue, i = deque([root]), 1
    while queue and i < len(values):
        node = queue.popleft()
        for side in ("left", "right"):
            if i < len(values) and values[i] is not None:
                child = TreeNode(values[i])
                setattr(node, side, child)
                queue.append(child)
            i += 1
    return root

def is_same_tree(a, b):
    if a is None or b is None:
        return a is b
    return a.val == b.val and is_same_tree(a.left, b.left) and is_same_tree(a.right, b.right)
"""


class Mutator(ast.NodeTransformer):
    FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}

    def __init__(self, kind):
        self.kind, self.done = kind, False

    def visit_Compare(self, node):
        self.generic_visit(node)
        if self.kind == "compare" and not self.done and type(node.ops[0]) in self.FLIP:
            node.ops[0] = self.FLIP[type(node.ops[0])]()
            self.done = True
        return node

    def visit_Constant(self, node):
        if self.kind == "constant" and not self.done and type(node.value) is int and not isinstance(node.value, bool):
            self.done = True
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if self.kind == "add" and not self.done and isinstance(node.op, ast.Add):
            node.op = ast.Sub()
            self.done = True
        return node


def mutate(code):
    """The code with one edit, and what the edit was; None when nothing applies."""
    for kind in ("compare", "constant", "add"):
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return None
        m = Mutator(kind)
        tree = m.visit(tree)
        if m.done:
            return ast.unparse(tree), kind
    return None


def humaneval():
    with gzip.open(os.path.join(DATA, "HumanEval.jsonl.gz"), "rt") as f:
        for line in f:
            p = json.loads(line)
            yield p["task_id"], p["prompt"] + p["canonical_solution"], {"test_code": p["test"], "entry_point": p["entry_point"]}


def mbpp():
    for p in json.load(open(os.path.join(DATA, "sanitized-mbpp.json"))):
        setup = "\n".join(p["test_imports"])
        tests = {"test_code": p["test_list"]}
        if setup:
            tests["setup_code"] = setup
        yield "mbpp/%d" % p["task_id"], p["code"], tests


def leetcode():
    for i, p in enumerate(json.load(open(os.path.join(DATA, "leetcode.json")))):
        yield "leetcode/%d" % i, p["solutions"], {"test_code": p["tests"]["functional"], "setup_code": LEETCODE_PRELUDE}


REFERENCE_RUNNER = """
import json, sys
task = json.loads(sys.stdin.read())
tests = task["tests"]
space = {"__name__": "solution"}
exec(tests.get("setup_code", "") + "\\n" + task["program"], space)
code = tests["test_code"]
for test in ([code] if isinstance(code, str) else code):
    env = dict(space)
    env.pop("check", None) if "check" not in space else None
    exec(test, env)
    if tests.get("entry_point") and env.get("check") is not space.get("check"):
        env["check"](env[tests["entry_point"]])
print("PASSED")
"""


def reference(path, python="/usr/bin/python3"):
    """Grades each task in its own plain interpreter (the sandbox's, so versions match), in parallel."""
    import concurrent.futures
    import subprocess

    def grade(line):
        try:
            r = subprocess.run([python, "-c", REFERENCE_RUNNER], input=line, capture_output=True, text=True, timeout=5)
            return r.returncode == 0 and r.stdout.strip().endswith("PASSED")
        except subprocess.TimeoutExpired:
            return None  # undecided: slow, not wrong

    lines = open(path).read().splitlines()
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for line, passed in zip(lines, pool.map(grade, lines)):
            sys.stdout.write(json.dumps({"id": json.loads(line)["id"], "passed": passed}) + "\n")


LOOKUP = """import sys
answers = %r
sys.stdout.write(answers[sys.stdin.read()])
"""


def stdio(name):
    """The stdin/stdout sets have no reference solutions: the program is a table from each test's input
    to its expected output, which checks the judging of real outputs (trailing spaces, floats, blank
    lines). Mutated, it prints one line too many."""
    for i, p in enumerate(json.load(open(os.path.join(DATA, name + ".json")))):
        t = p["tests"]
        pairs = list(zip(t["inputs"], t["outputs"])) if isinstance(t, dict) else [(x["input"], x["output"]) for x in t]
        if len({a for a, _ in pairs}) != len(pairs):
            continue  # the same input twice: no table
        yield "%s/%d" % (name, i), LOOKUP % dict(pairs), {"inputs": [a for a, _ in pairs], "outputs": [b for _, b in pairs]}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "reference":
        return reference(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", choices=["humaneval", "mbpp", "leetcode", "code_contests", "codeforces"])
    ap.add_argument("--mutate", action="store_true")
    a = ap.parse_args()
    sets = {"humaneval": humaneval, "mbpp": mbpp, "leetcode": leetcode,
            "code_contests": lambda: stdio("code_contests"), "codeforces": lambda: stdio("codeforces")}
    for task_id, program, tests in sets[a.dataset]():
        line = {"id": task_id, "program": program, "tests": tests}
        if a.mutate and "inputs" in tests:
            line["program"] = program.replace("answers[sys.stdin.read()])", "answers[sys.stdin.read()] + '\\n0\\n')")
            line["id"] = task_id + "#extra_line"
        elif a.mutate:
            m = mutate(program)
            if m is None:
                continue
            line["program"], line["mutation"] = m
            line["id"] = task_id + "#" + m[1]
            del line["mutation"]
        sys.stdout.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
