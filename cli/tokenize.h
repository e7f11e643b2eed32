// `aha tokenize`: encodes text lines (or JSON lines with a "text" field) from stdin to {"ids": [...]} lines on
// stdout with a Hugging Face tokenizer.json, or decodes {"ids": [...]} lines back to {"text": ...}.
#pragma once

#include <iosfwd>
#include <string>

namespace aha::cli {

struct TokenizeOptions {
    std::string tokenizer;            // tokenizer.json, or a directory holding one
    bool jsonl = false;               // input lines are JSON objects with a "text" string
    bool add_special_tokens = false;  // apply the post-processor template (e.g. BOS)
    bool decode = false;              // ids -> text instead
    bool skip_special_tokens = false; // with decode
};

// Reads `in` to the end and writes one JSON line per input line, in order. Errors name the input line.
int run_tokenize(const TokenizeOptions& options, std::istream& in, std::ostream& out);

}  // namespace aha::cli
