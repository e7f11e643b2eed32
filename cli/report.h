// `aha report RUN_DIR`: one self-contained HTML page (no scripts, no external files) of a run directory:
// the summary (each suite before and after), the watchdog's and resume events, the curves of
// metrics.jsonl and eval.jsonl as inline SVG (reward, accuracy, held-out metrics, length, KL, entropy,
// clip fraction, grad norm, seconds per phase), the evaluation table over steps, the completions of the
// first and last logged steps (samples.jsonl), and the resolved config. Reads nothing but the run's files;
// works on a run still in progress.
#pragma once

#include <string>

namespace aha::cli {

// The page's HTML; IoError/FormatError naming the file when the run's logs cannot be read.
std::string render_report(const std::string& run_dir);

// `aha report ARGS...` (argv[0] is "report"): writes RUN_DIR/report.html (or --out FILE) and prints its path.
int report_command(int argc, char** argv);

}  // namespace aha::cli
