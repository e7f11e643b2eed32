// The HTML report of a run directory; see report.h.
#include "cli/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/config.h"
#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"

namespace aha::cli {

namespace {

std::string esc(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string num(double v, const char* format = "%.4g") {
    char buf[40];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

std::string percent(double v) { return num(100 * v, "%.1f%%"); }

// The lines of a JSON-lines log; absent file: none. A line that does not parse (a run killed mid-write)
// is skipped, as the resume does.
std::vector<Json> read_log(const std::string& path) {
    std::vector<Json> out;
    if (!file_exists(path)) return out;
    for (const auto& line : split(read_file(path), '\n')) {
        if (line.empty()) continue;
        Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_object()) out.push_back(std::move(j));
    }
    return out;
}

struct Line {
    std::string name;
    std::vector<std::pair<double, double>> points;
};

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

// A round tick spacing (1, 2 or 5 times a power of ten) near `raw`.
double nice_step(double raw) {
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0}) {
        if (raw <= m * p * 1.0001) return m * p;
    }
    return 10 * p;
}

// One chart: the lines over steps on round ticks (y from the data, 0 included for non-negative data), and
// a legend under the plot when there is more than one line; the step axis runs to at least `x_end`.
std::string chart(const std::string& title, const std::vector<Line>& lines, double x_end, bool unit_range = false) {
    const double w = 440, h = 240, left = 58, right = 12, top = 28, bottom = 44;
    double x_max = std::max(1.0, x_end), lo = 0, hi = 0;
    bool any = false;
    for (const auto& l : lines) {
        for (const auto& [x, y] : l.points) {
            if (!std::isfinite(y)) continue;
            x_max = std::max(x_max, x);
            lo = any ? std::min(lo, y) : y;
            hi = any ? std::max(hi, y) : y;
            any = true;
        }
    }
    if (unit_range) {
        lo = 0;
        hi = 1;
    } else if (lo > 0 || (lo < 0 && -lo < 1e-3 * (hi - lo))) {
        lo = 0;  // non-negative data (or rounding noise under it) starts at 0
    }
    if (hi - lo < 1e-12) hi = lo + (lo == 0 ? 1 : std::fabs(lo));
    const double y_step = nice_step((hi - lo) / 4);
    lo = std::floor(lo / y_step + 1e-9) * y_step;
    hi = std::ceil(hi / y_step - 1e-9) * y_step;
    const double x_step = std::max(1.0, std::round(nice_step(x_max / 5)));
    const double pw = w - left - right, ph = h - top - bottom;
    auto px = [&](double x) { return left + pw * x / x_max; };
    auto py = [&](double y) { return top + ph * (1 - (y - lo) / (hi - lo)); };
    std::string s = "<svg class=\"chart\" viewBox=\"0 0 " + num(w) + " " + num(h) + "\" width=\"" + num(w) + "\" height=\"" +
                    num(h) + "\" role=\"img\"><title>" + esc(title) + "</title>";
    s += "<text x=\"" + num(left) + "\" y=\"16\" class=\"ct\">" + esc(title) + "</text>";
    for (double y = lo; y <= hi + y_step * 1e-6; y += y_step) {
        const double at = std::fabs(y) < y_step * 1e-6 ? 0 : y;
        s += "<line x1=\"" + num(left) + "\" x2=\"" + num(left + pw) + "\" y1=\"" + num(py(at)) + "\" y2=\"" + num(py(at)) +
             "\" class=\"grid\"/><text x=\"" + num(left - 5) + "\" y=\"" + num(py(at) + 4) + "\" text-anchor=\"end\">" + num(at, "%.4g") + "</text>";
    }
    for (double x = 0; x <= x_max + 1e-9; x += x_step) {
        s += "<text x=\"" + num(px(x)) + "\" y=\"" + num(top + ph + 15) + "\" text-anchor=\"middle\">" + num(x, "%.0f") + "</text>";
    }
    s += "<text x=\"" + num(left + pw) + "\" y=\"" + num(h - 4) + "\" text-anchor=\"end\" class=\"legend\">step</text>";
    s += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) + "\" class=\"frame\"/>";
    if (!any) s += "<text x=\"" + num(left + pw / 2) + "\" y=\"" + num(top + ph / 2) + "\" text-anchor=\"middle\">no data</text>";
    double legend_x = left;
    for (size_t i = 0; i < lines.size(); ++i) {
        const char* color = kColors[i % 6];
        std::string pts;
        for (const auto& [x, y] : lines[i].points) {
            if (std::isfinite(y)) pts += num(px(x), "%.1f") + "," + num(py(y), "%.1f") + " ";
        }
        if (lines[i].points.size() == 1 && !pts.empty()) {
            const auto& [x, y] = lines[i].points.front();
            s += "<circle cx=\"" + num(px(x)) + "\" cy=\"" + num(py(y)) + "\" r=\"3\" fill=\"" + color + "\"/>";
        }
        s += "<polyline fill=\"none\" stroke=\"" + std::string(color) + "\" stroke-width=\"1.6\" points=\"" + pts + "\"/>";
        if (lines.size() > 1) {
            s += "<rect x=\"" + num(legend_x) + "\" y=\"" + num(h - 10) + "\" width=\"12\" height=\"3\" fill=\"" + color +
                 "\"/><text x=\"" + num(legend_x + 16) + "\" y=\"" + num(h - 5) + "\" class=\"legend\">" + esc(lines[i].name) + "</text>";
            legend_x += 26 + 6.2 * static_cast<double>(lines[i].name.size());
        }
    }
    return s + "</svg>";
}

Line metric_line(const std::vector<Json>& metrics, const std::string& key, const std::string& name = "") {
    Line l{name.empty() ? key : name, {}};
    for (const auto& m : metrics) {
        if (m.contains(key) && m[key].is_number()) l.points.emplace_back(m.value("step", 0.0), m[key].get<double>());
    }
    return l;
}

std::string value_text(const Json& v) {
    if (v.is_number_float()) return num(v.get<double>());
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// The completions of one samples.jsonl line.
std::string sample_block(const Json& s) {
    std::string out = "<div class=\"sample\"><div class=\"meta\">step " + value_text(s.value("step", Json(0))) + " &middot; " +
                      esc(s.value("source", "")) + " &middot; answer <code>" + esc(value_text(s.value("answer", Json("")))) +
                      "</code></div><pre class=\"prompt\">" + esc(s.value("prompt", "")) + "</pre><table class=\"comps\">";
    const Json completions = s.value("completions", Json::array()), rewards = s.value("rewards", Json::array()),
               verdicts = s.value("verdicts", Json::array());
    for (size_t i = 0; i < completions.size(); ++i) {
        const std::string verdict = i < verdicts.size() ? value_text(verdicts[i]) : "";
        out += "<tr class=\"" + std::string(verdict == "correct" ? "ok" : "bad") + "\"><td class=\"r\">" +
               (i < rewards.size() ? value_text(rewards[i]) : "") + "</td><td class=\"v\">" + esc(verdict) + "</td><td><pre>" +
               esc(value_text(completions[i])) + "</pre></td></tr>";
    }
    return out + "</table></div>";
}

}  // namespace

std::string render_report(const std::string& run_dir) {
    if (!file_exists(run_dir + "/config.json")) {
        throw IoError(run_dir + ": not a run directory (no config.json)", "aha report takes the run_dir of aha train");
    }
    const Json config = load_json_file(run_dir + "/config.json");
    const std::vector<Json> metrics = read_log(run_dir + "/metrics.jsonl"), evals = read_log(run_dir + "/eval.jsonl"),
                            samples = read_log(run_dir + "/samples.jsonl"), events = read_log(run_dir + "/events.jsonl");
    const Json summary = file_exists(run_dir + "/summary.json") ? load_json_file(run_dir + "/summary.json") : Json();
    const int total = config.value("rl", Json::object()).value("steps", 0);
    const int done = metrics.empty() ? 0 : metrics.back().value("step", 0);

    std::string h = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>aha run: " + esc(run_dir) +
                    "</title><style>"
                    "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1400px;padding:0 16px;color:#222}"
                    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}"
                    ".sub{color:#666}.grid3{display:flex;flex-wrap:wrap;gap:10px}"
                    "svg.chart{border:1px solid #e3e3e3;background:#fff;font-size:11px;max-width:100%;height:auto}"
                    "svg .ct{font-size:13px;font-weight:600}svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}"
                    "svg .legend{font-size:11px}table{border-collapse:collapse}td,th{padding:3px 8px;border:1px solid #ddd;"
                    "text-align:right;vertical-align:top}th{background:#f4f4f4}.sample{margin:10px 0 18px}"
                    ".meta{color:#555}pre{white-space:pre-wrap;word-break:break-word;margin:0;font:12px/1.35 ui-monospace,monospace}"
                    "pre.prompt{background:#f6f6f6;padding:6px;margin:4px 0}table.comps td{text-align:left}"
                    "tr.ok td.v{color:#18794e;font-weight:600}tr.bad td.v{color:#b42318}td.r{width:3em}"
                    ".ev{color:#b42318}details pre{background:#f6f6f6;padding:8px}"
                    "</style></head><body>";
    h += "<h1>" + esc(run_dir) + "</h1><div class=\"sub\">" + esc(config.value("description", "")) + "</div>";
    h += "<p>step " + std::to_string(done) + " of " + std::to_string(total) +
         (summary.is_object() ? " &middot; finished in " + num(summary.value("wall_seconds", 0.0), "%.0f") + " s" : " &middot; not finished") +
         " &middot; model <code>" + esc(config.value("model", Json::object()).value("path", "(from scratch)")) + "</code></p>";

    // Evaluation: each suite at its first and latest logged step.
    std::map<std::string, std::vector<const Json*>> by_suite;
    std::vector<std::string> suites;
    for (const auto& e : evals) {
        const std::string name = e.value("suite", "");
        if (!by_suite.count(name)) suites.push_back(name);
        by_suite[name].push_back(&e);
    }
    if (!suites.empty()) {
        h += "<h2>Held-out evaluation</h2><table><tr><th>suite</th><th>prompts &times; n</th><th>step</th><th>accuracy</th><th>step</th>"
             "<th>accuracy</th><th>change</th></tr>";
        for (const auto& name : suites) {
            const Json &a = *by_suite[name].front(), &b = *by_suite[name].back();
            const double d = b.value("accuracy", 0.0) - a.value("accuracy", 0.0);
            h += "<tr><th>" + esc(name) + "</th><td>" + value_text(a.value("prompts", Json(0))) + " &times; " + value_text(a.value("n", Json(1))) +
                 "</td><td>" + value_text(a["step"]) + "</td><td>" + percent(a.value("accuracy", 0.0)) + "</td><td>" + value_text(b["step"]) +
                 "</td><td>" + percent(b.value("accuracy", 0.0)) + "</td><td>" + (d >= 0 ? "+" : "") + num(100 * d, "%.1f") + " pts</td></tr>";
        }
        h += "</table>";
    }
    if (!events.empty()) {
        h += "<h2>Events</h2><table><tr><th>step</th><th>event</th><th style=\"text-align:left\">what was seen, and what was done</th></tr>";
        for (const auto& e : events) {
            std::string outcome;
            const std::string action = e.value("action", "");
            if (action == "rollback") {
                const std::string ckpt = e.value("checkpoint", "");
                outcome = " &rarr; rolled back to " + esc(ckpt.substr(ckpt.rfind('/') + 1)) + ", learning rate &times;" +
                          num(e.value("lr_scale", 1.0));
            } else if (action == "stop") {
                const Json good = e.value("last_good_checkpoint", Json());
                outcome = " &rarr; stopped" + (good.is_string() ? "; last good checkpoint " + esc(good.get<std::string>()) : std::string());
            }
            h += "<tr><td>" + value_text(e.value("step", Json(0))) + "</td><td class=\"ev\">" + esc(e.value("event", "")) +
                 "</td><td style=\"text-align:left\">" + esc(e.value("message", "")) + outcome + "</td></tr>";
        }
        h += "</table>";
    }

    double x_end = done;  // every chart's step axis: the run's steps so far
    for (const auto& e : evals) x_end = std::max(x_end, e.value("step", 0.0));
    h += "<h2>Curves</h2><div class=\"grid3\">";
    h += chart("reward (mean per step)", {metric_line(metrics, "reward_mean", "reward")}, x_end);
    h += chart("training accuracy", {metric_line(metrics, "accuracy")}, x_end, true);
    std::vector<Line> held;
    for (const auto& name : suites) {
        Line l{name, {}};
        for (const Json* e : by_suite[name]) l.points.emplace_back(e->value("step", 0.0), e->value("accuracy", 0.0));
        held.push_back(std::move(l));
    }
    h += chart("held-out accuracy (mean@n)", held, x_end, true);
    h += chart("completion length (tokens)", {metric_line(metrics, "completion_length", "mean"),
                                              metric_line(metrics, "completion_length_max", "max")}, x_end);
    h += chart("KL to the reference", {metric_line(metrics, "kl", "kl"), metric_line(metrics, "approx_kl", "approx_kl (old policy)")}, x_end);
    h += chart("entropy (nats per token)", {metric_line(metrics, "entropy")}, x_end);
    h += chart("clip fraction", {metric_line(metrics, "clip_fraction", "all"), metric_line(metrics, "clip_fraction_low", "low"),
                                 metric_line(metrics, "clip_fraction_high", "high")}, x_end);
    h += chart("grad norm (before clipping)", {metric_line(metrics, "grad_norm")}, x_end);
    h += chart("seconds per phase", {metric_line(metrics, "seconds_rollout", "rollout"), metric_line(metrics, "seconds_score", "score"),
                                     metric_line(metrics, "seconds_batch", "batch"), metric_line(metrics, "seconds_update", "update")}, x_end);
    h += chart("learning rate", {metric_line(metrics, "learning_rate")}, x_end);
    h += "</div>";

    if (!evals.empty()) {
        h += "<h2>Evaluations over steps</h2><table><tr><th>step</th><th>suite</th><th>accuracy</th><th>pass@n</th><th>maj@n</th>"
             "<th>format</th><th>length</th><th>truncated</th></tr>";
        for (const auto& e : evals) {
            const std::string n = std::to_string(e.value("n", 1));
            h += "<tr><td>" + value_text(e["step"]) + "</td><th>" + esc(e.value("suite", "")) + "</th><td>" + percent(e.value("accuracy", 0.0)) +
                 "</td><td>" + percent(e.value("pass@" + n, 0.0)) + "</td><td>" + percent(e.value("maj@" + n, 0.0)) + "</td><td>" +
                 percent(e.value("format_rate", 0.0)) + "</td><td>" + num(e.value("mean_length", 0.0), "%.1f") + "</td><td>" +
                 percent(e.value("truncated_rate", 0.0)) + "</td></tr>";
        }
        h += "</table>";
    }
    if (!samples.empty()) {
        const int first = samples.front().value("step", 0), last = samples.back().value("step", 0);
        std::vector<int> steps = {first};
        if (last != first) steps.push_back(last);
        for (int step : steps) {
            h += "<h2>Samples at step " + std::to_string(step) + "</h2>";
            for (const auto& s : samples) {
                if (s.value("step", 0) == step) h += sample_block(s);
            }
        }
    }
    h += "<h2>Config</h2><details><summary>the resolved config.json</summary><pre>" + esc(config.dump(2)) + "</pre></details>";
    return h + "</body></html>\n";
}

int report_command(int argc, char** argv) {
    std::string run_dir, out;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::printf("usage: aha report RUN_DIR [--out FILE]\n"
                        "Writes one self-contained HTML page of a run (RUN_DIR/report.html by default): the held-out\n"
                        "evaluation before and after, events, curves, the evaluations over steps, sample completions at\n"
                        "the first and last logged steps, and the resolved config. Works while the run is going.\n");
            return 0;
        }
        if (arg == "--out") {
            if (i + 1 >= argc) throw ConfigError("--out: missing value");
            out = argv[++i];
        } else if (!arg.empty() && arg[0] == '-') {
            throw ConfigError("unknown option " + arg + " for 'aha report'", "see aha report --help");
        } else if (run_dir.empty()) {
            run_dir = arg;
        } else {
            throw ConfigError("unexpected argument " + arg, "see aha report --help");
        }
    }
    if (run_dir.empty()) throw ConfigError("missing RUN_DIR", "see aha report --help");
    if (out.empty()) out = run_dir + "/report.html";
    write_file_atomic(out, render_report(run_dir));
    std::printf("%s\n", out.c_str());
    return 0;
}

}  // namespace aha::cli
