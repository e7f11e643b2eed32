// Where the answer is in a completion: candidate answer strings in priority order. The verifier parses
// them in turn and keeps the first that parses, so a sentence that merely mentions a number does not
// hide a later boxed answer.
#pragma once

#include <string>
#include <vector>

namespace aha::verifiers::math {

struct ExtractOptions {
    bool boxed = true;          // the last \boxed{...} / \fbox{...} (boxes joined by commas or "and" form a set)
    bool phrases = true;        // "final answer is ...", "the answer is ...", "Answer: ..." lines
    bool answer_tags = true;    // <answer>...</answer>
    bool gsm8k = true;          // "#### 42"
    bool latex_envs = true;     // the last $...$, $$...$$, \(...\), \[...\] (a run of them forms a set)
    bool whole_text = true;     // a single line of maths is an answer itself (gold strings such as "1/2")
    bool last_number = true;    // the last number in the text, when nothing else parses
};

struct Candidate {
    std::string text;  // what to parse
    std::string how;   // "boxed", "final answer", "answer tag", "answer phrase", "####", "latex", "text", "last number"
};

std::vector<Candidate> answer_candidates(const std::string& text, const ExtractOptions& options = {});

// False for prose: a word of three or more letters that is not a LaTeX command or a function name.
bool looks_like_math(const std::string& text);

}  // namespace aha::verifiers::math
