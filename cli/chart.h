// A dependency-free SVG chart of a run: reward, held-out accuracy and completion length over steps.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace aha::cli {

struct Series {
    std::string title;
    std::vector<std::pair<double, double>> points;  // (step, value)
    double y_min = 0, y_max = 1;                    // y_max <= y_min: fit to the data
};

// One panel per series, stacked vertically, sharing the step axis.
std::string render_chart_svg(const std::vector<Series>& panels, const std::string& title);

}  // namespace aha::cli
