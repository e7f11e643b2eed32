// Extraction of the answer from an R1-style completion ("... </think> <answer> X </answer>") and the
// think/answer format check. Strict on purpose: a completion that sprays several answers gets none.
#pragma once

#include <string>

namespace aha::verifiers {

enum class Extraction {
    kOk,        // exactly one <answer>...</answer> pair
    kMissing,   // no <answer> tag
    kMultiple,  // more than one <answer> tag
    kUnclosed,  // <answer> without a following </answer>, or stray </answer>
    kTrailing,  // text other than whitespace after </answer>
};

struct ExtractedAnswer {
    Extraction status = Extraction::kMissing;
    std::string text;  // the content between the tags, trimmed of surrounding whitespace (when kOk)
};

// Strict: exactly one <answer>...</answer> pair, and nothing but whitespace after it, so that a policy
// cannot collect reward by continuing to write after its answer.
ExtractedAnswer extract_tagged_answer(const std::string& completion);

// True when the completion (what follows the prompt's opening <think>) is exactly: reasoning without tags,
// "</think>", optional whitespace, one "<answer>...</answer>", and nothing but whitespace after it.
bool has_think_answer_format(const std::string& completion);

const char* extraction_name(Extraction e);

}  // namespace aha::verifiers
