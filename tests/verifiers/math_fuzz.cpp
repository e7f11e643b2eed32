// libFuzzer target for the math verifier: any bytes, split at the first newline into gold and prediction,
// must give a verdict without crashing, hanging or tripping ASan/UBSan. Built and run by
// scripts/fuzz_math.sh (clang's -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <string>

#include "verifiers/math/parser.h"
#include "verifiers/math/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const size_t cut = input.find('\n');
    const std::string gold = input.substr(0, cut), pred = cut == std::string::npos ? input : input.substr(cut + 1);
    aha::verifiers::math::parse_latex(input);
    aha::verifiers::math::MathVerdict v = aha::verifiers::math::verify_math(gold, pred);
    (void)v.to_json().dump(-1, ' ', false, aha::Json::error_handler_t::replace);
    return 0;
}
