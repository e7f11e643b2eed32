// SVG chart of a run; see chart.h.
#include "cli/chart.h"

#include <algorithm>
#include <cstdio>

namespace aha::cli {

namespace {

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else out += c;
    }
    return out;
}

}  // namespace

std::string render_chart_svg(const std::vector<Series>& panels, const std::string& title) {
    const double width = 720, panel_h = 180, left = 60, right = 20, top = 40, gap = 40;
    const double height = top + panels.size() * (panel_h + gap);
    double x_max = 1;
    for (const auto& s : panels) {
        for (const auto& p : s.points) x_max = std::max(x_max, p.first);
    }
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(width) + "\" height=\"" + fmt(height) +
                      "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    svg += "<text x=\"" + fmt(left) + "\" y=\"22\" font-size=\"15\">" + escape(title) + "</text>\n";
    for (size_t i = 0; i < panels.size(); ++i) {
        const Series& s = panels[i];
        double y0 = top + i * (panel_h + gap) + 16, plot_w = width - left - right, plot_h = panel_h - 16;
        double lo = s.y_min, hi = s.y_max;
        if (hi <= lo) {
            lo = 0;
            hi = 1e-9;
            for (const auto& p : s.points) hi = std::max(hi, p.second * 1.1);
        }
        auto px = [&](double x) { return left + plot_w * x / x_max; };
        auto py = [&](double y) { return y0 + plot_h * (1.0 - (std::clamp(y, lo, hi) - lo) / (hi - lo)); };
        svg += "<text x=\"" + fmt(left) + "\" y=\"" + fmt(y0 - 4) + "\">" + escape(s.title) + "</text>\n";
        svg += "<rect x=\"" + fmt(left) + "\" y=\"" + fmt(y0) + "\" width=\"" + fmt(plot_w) + "\" height=\"" + fmt(plot_h) +
               "\" fill=\"none\" stroke=\"#888\"/>\n";
        svg += "<text x=\"" + fmt(left - 6) + "\" y=\"" + fmt(y0 + 10) + "\" text-anchor=\"end\">" + fmt(hi) + "</text>\n";
        svg += "<text x=\"" + fmt(left - 6) + "\" y=\"" + fmt(y0 + plot_h) + "\" text-anchor=\"end\">" + fmt(lo) + "</text>\n";
        svg += "<text x=\"" + fmt(left + plot_w) + "\" y=\"" + fmt(y0 + plot_h + 14) + "\" text-anchor=\"end\">step " +
               fmt(x_max) + "</text>\n";
        if (s.points.empty()) continue;
        svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"";
        for (const auto& p : s.points) svg += fmt(px(p.first)) + "," + fmt(py(p.second)) + " ";
        svg += "\"/>\n";
    }
    return svg + "</svg>\n";
}

}  // namespace aha::cli
