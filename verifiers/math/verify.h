// The math verifier: extract an answer from the gold and from the prediction (which may be a whole
// completion), parse both, and decide equivalence, with an auditable verdict. No torch.
#pragma once

#include <string>

#include "core/config.h"
#include "verifiers/math/compare.h"
#include "verifiers/math/extract.h"

namespace aha::verifiers::math {

struct MathVerifyOptions {
    ExtractOptions extract;
    CompareOptions compare;
    long budget_steps = 200000;  // node evaluations per verification; past it the answer is not correct
};

struct MathVerdict {
    bool correct = false;
    bool answer_found = false;   // the prediction had an answer candidate
    std::string extracted_gold;  // the candidate strings used
    std::string extracted_pred;
    std::string parsed_gold;     // the parsed trees, rendered (empty when unparsed)
    std::string parsed_pred;
    std::string reason;          // why (not) correct

    Json to_json() const;
};

MathVerdict verify_math(const std::string& gold, const std::string& pred, const MathVerifyOptions& options = {});

}  // namespace aha::verifiers::math
