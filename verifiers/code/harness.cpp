// Extraction, output comparison and the assert-style harness; see harness.h.
#include "verifiers/code/harness.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/strings.h"

namespace aha::verifiers::code {

namespace {

bool tag_matches(const std::string& tag, const std::string& language) {
    const std::string t = lower(tag);
    if (language == "python") return t == "python" || t == "py" || t == "python3";
    if (language == "cpp") return t == "cpp" || t == "c++" || t == "cc" || t == "cxx";
    return t == lower(language);
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::string cur;
    for (char c : text) {
        if (c == '\n') {
            lines.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    lines.push_back(cur);
    for (auto& l : lines) {
        while (!l.empty() && std::isspace(static_cast<unsigned char>(l.back()))) l.pop_back();
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
}

std::vector<std::string> tokens(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string t; in >> t;) out.push_back(t);
    return out;
}

// A float literal: a number with a decimal point or an exponent ("0.5", "1e-9", "-3.").
bool float_literal(const std::string& t, double& value) {
    if (t.find_first_of(".eE") == std::string::npos) return false;
    if (t.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
    char* end = nullptr;
    value = std::strtod(t.c_str(), &end);
    return end == t.c_str() + t.size() && std::isfinite(value);
}

bool tokens_match(const std::string& expected, const std::string& actual, double tol) {
    double e = 0;
    if (!float_literal(expected, e)) return expected == actual;
    if (actual.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
    char* end = nullptr;
    const double a = std::strtod(actual.c_str(), &end);
    if (end != actual.c_str() + actual.size() || !std::isfinite(a)) return false;
    return std::fabs(a - e) <= tol || std::fabs(a - e) <= tol * std::fabs(e);
}

// Python source of a string literal holding `s` exactly (every byte outside printable ASCII escaped).
std::string py_bytes_literal(const std::string& s) {
    static const char* hex = "0123456789abcdef";
    std::string out = "b'";
    for (unsigned char c : s) {
        if (c == '\\' || c == '\'') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= 32 && c < 127) {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out + "'";
}

// The harness proper. Names start with _aha so a program is unlikely to clash with them; the program and
// the tests run in their own namespaces, not in this module's.
const char* kHarness = R"PY(
import builtins as _aha_builtins, os as _aha_os, sys as _aha_sys, traceback as _aha_tb

def _aha_main(program, tests, entry):
    # The nonce stays in the stdin pipe, moved off fd 0, until every test has run: it is in no Python
    # object while the program's code runs. The program's stdin is empty.
    secret = _aha_os.dup(0)
    null = _aha_os.open(_aha_os.devnull, _aha_os.O_RDONLY)
    _aha_os.dup2(null, 0)
    _aha_sys.stdin = open(_aha_os.devnull)
    out = _aha_os.dup(1)
    _type, _vars, _id, _len = type, vars, id, len
    plain = {int, float, complex, str, bytes, bytearray, bool, type(None), list, tuple, dict, set, frozenset, range}
    tricks = ("__eq__", "__ne__", "__bool__", "__len__")
    _isinstance, _function = isinstance, type(_aha_main)
    stdlib_names = getattr(_aha_sys, "stdlib_module_names", {"collections", "fractions", "decimal", "datetime", "enum"})
    stdlib_dir = _aha_os.path.dirname(_aha_os.__file__) + "/"

    def trusted(k, name):
        # The standard library's own comparisons (Counter, Fraction, Decimal, deque, datetime): a C type
        # cannot be patched; a Python class must still hold the method its own module defined.
        if (getattr(k, "__module__", None) or "").split(".")[0] not in stdlib_names:
            return False
        if not (k.__flags__ & (1 << 9)):  # not a heap type: immutable
            return True
        f = k.__dict__[name]
        return (_type(f) is _function and f.__code__.co_filename.startswith(stdlib_dir)
                and f.__qualname__ == k.__qualname__ + "." + name)

    def honest(value):
        # Plain builtins all the way down, or objects of classes that keep the default comparisons.
        seen, stack, budget = set(), [value], 1000000
        while stack:
            v = stack.pop()
            budget -= 1
            if budget < 0:
                return True
            t = _type(v)
            if t in plain:
                if t in (list, tuple, set, frozenset):
                    if _id(v) not in seen:
                        seen.add(_id(v))
                        stack.extend(v)
                elif t is dict:
                    if _id(v) not in seen:
                        seen.add(_id(v))
                        stack.extend(v.keys())
                        stack.extend(v.values())
                continue
            for k in t.__mro__[:-1]:
                if k in plain:
                    continue
                for name in tricks:
                    if name in k.__dict__ and not trusted(k, name):
                        return False
            if _id(v) not in seen:
                seen.add(_id(v))
                try:
                    stack.extend(object.__getattribute__(v, "__dict__").values())
                except Exception:
                    pass
                if _isinstance(v, dict):  # a Counter's or OrderedDict's values compare too
                    stack.extend(dict.keys(v))
                    stack.extend(dict.values(v))
                elif _isinstance(v, (list, tuple, set, frozenset)) or t.__name__ == "deque":
                    stack.extend(v)
        return True

    def guard(f):
        depth = [0]
        def guarded(*args, **kwargs):
            depth[0] += 1
            try:
                result = f(*args, **kwargs)
            finally:
                depth[0] -= 1
            if depth[0] == 0 and not honest(result):
                raise TypeError("aha: the result overrides comparison or truth (__eq__/__ne__/__bool__/__len__)")
            return result
        guarded.__name__ = getattr(f, "__name__", "guarded")
        return guarded

    space = {"__name__": "solution", "__builtins__": _aha_builtins}
    results = [0] * _len(tests)
    try:
        exec(compile(program, "/box/solution.py", "exec"), space)
        ok = True
    except BaseException:
        _aha_tb.print_exc()
        ok = False
    if ok:
        tested = dict(space)
        for name, value in list(space.items()):
            if _type(value).__name__ == "function" and getattr(value, "__module__", None) == "solution":
                tested[name] = guard(value)
            elif isinstance(value, _type) and getattr(value, "__module__", None) == "solution":
                for attr, member in list(value.__dict__.items()):
                    if _type(member).__name__ == "function":
                        try:
                            setattr(value, attr, guard(member))
                        except Exception:
                            pass
        own_check = tested.get("check")  # a program may name its own function check (MBPP 56)
        for i, test in enumerate(tests):
            if own_check is None:
                tested.pop("check", None)
            else:
                tested["check"] = own_check
            try:
                exec(compile(test, "/box/test_%d.py" % i, "exec"), tested)
                if entry and tested.get("check") is not own_check:
                    tested["check"](tested[entry])
                results[i] = 1
            except BaseException:
                _aha_tb.print_exc()
    try:
        _aha_sys.stdout.flush()
    except BaseException:
        pass
    nonce = _aha_os.read(secret, 256).decode(errors="replace").strip()
    line = "\n" + nonce + " " + " ".join(str(r) for r in results) + "\n"
    _aha_os.write(out, line.encode())
    _aha_os._exit(0)
)PY";

}  // namespace

std::optional<std::string> extract_program(const std::string& text, const std::string& language) {
    std::optional<std::string> tagged, untagged;
    size_t pos = 0;
    while ((pos = text.find("```", pos)) != std::string::npos) {
        const size_t line_end = text.find('\n', pos);
        if (line_end == std::string::npos) break;
        std::string tag = text.substr(pos + 3, line_end - pos - 3);
        while (!tag.empty() && std::isspace(static_cast<unsigned char>(tag.back()))) tag.pop_back();
        const size_t close = text.find("```", line_end + 1);
        if (close == std::string::npos) break;
        std::string body = text.substr(line_end + 1, close - line_end - 1);
        if (tag.empty()) {
            untagged = body;
        } else if (tag_matches(tag, language)) {
            tagged = body;
        }
        pos = close + 3;
    }
    return tagged ? tagged : untagged;
}

bool outputs_match(const std::string& expected, const std::string& actual, double tol) {
    const auto e = split_lines(expected), a = split_lines(actual);
    if (e.size() != a.size()) return false;
    for (size_t i = 0; i < e.size(); ++i) {
        const auto te = tokens(e[i]), ta = tokens(a[i]);
        if (te.size() != ta.size()) return false;
        for (size_t k = 0; k < te.size(); ++k) {
            if (!tokens_match(te[k], ta[k], tol)) return false;
        }
    }
    return true;
}

std::string python_assert_harness(const std::string& program, const std::vector<std::string>& tests,
                                  const std::string& entry_point) {
    std::string src = kHarness;
    src += "\n_aha_main(" + py_bytes_literal(program) + ".decode('utf-8', 'replace'), [";
    for (const auto& t : tests) src += py_bytes_literal(t) + ".decode('utf-8', 'replace'), ";
    src += "], " + py_bytes_literal(entry_point) + ".decode())\n";
    return src;
}

std::optional<std::vector<bool>> harness_results(const std::string& out, const std::string& nonce, size_t n) {
    const size_t at = out.rfind(nonce);
    if (nonce.empty() || at == std::string::npos) return std::nullopt;
    const size_t end = out.find('\n', at);
    const auto t = tokens(out.substr(at + nonce.size(), end == std::string::npos ? std::string::npos : end - at - nonce.size()));
    if (t.size() != n) return std::nullopt;
    std::vector<bool> flags;
    for (const auto& x : t) {
        if (x != "0" && x != "1") return std::nullopt;
        flags.push_back(x == "1");
    }
    return flags;
}

}  // namespace aha::verifiers::code
