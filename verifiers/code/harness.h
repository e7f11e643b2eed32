// Test harnesses of the code verifier, independent of how programs run: extraction of the program from a
// completion, the stdin/stdout output comparison, and the Python wrapper of assert-style tests whose pass
// signal the program cannot forge. No torch.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace aha::verifiers::code {

// The last fenced code block (```lang ... ```) in `language` ("python": python/py/python3; "cpp":
// cpp/c++/cc/cxx); when there is none, the last fenced block without a language tag. nullopt when the
// completion has no such block.
std::optional<std::string> extract_program(const std::string& completion, const std::string& language);

// Judge comparison of a program's stdout with the expected output: lines compared after trimming
// trailing whitespace (trailing empty lines ignored), the same number of lines and of tokens per line;
// a token compares exactly unless the expected token is a float literal (a '.' or an exponent), which
// compares within `float_tolerance` absolute or relative. Integers compare exactly.
bool outputs_match(const std::string& expected, const std::string& actual, double float_tolerance);

// The Python program that runs `program` and then the tests in one process, and prints
// "<nonce> <r1> <r2> ...\n" (1 = passed) only after every test has run, through a copy of stdout taken
// before the program's code runs. The nonce is sent on stdin; the harness moves that pipe off fd 0
// before the program's code runs and reads it only after the last test, so exiting early, printing fake
// results or killing the harness cannot produce a pass. (Program and tests share one interpreter: code
// written to dig the pipe out of the process's descriptors could forge a pass. stdin/stdout tests,
// judged by the supervisor, have no such seam.) Values returned by the program's functions (top-level functions and methods of
// top-level classes) are checked before the tests see them: an object whose class overrides __eq__,
// __ne__, __bool__ or __len__ outside the builtins and the standard library's own classes (an "always
// equal" object, or a patched Counter.__eq__) fails the test.
// `tests`: each a snippet of test code (asserts, or a HumanEval `check` definition); when `entry_point`
// is set and a test defines check(), check(entry_point) is called.
std::string python_assert_harness(const std::string& program, const std::vector<std::string>& tests,
                                  const std::string& entry_point);

// Reads the harness's result line from stdout: per-test pass flags, or nullopt when no line carries the
// nonce (the harness never reached the end).
std::optional<std::vector<bool>> harness_results(const std::string& stdout_text, const std::string& nonce,
                                                 size_t tests);

}  // namespace aha::verifiers::code
