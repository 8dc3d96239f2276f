// Inline SVG charts for the HTML pages houqin writes (repair reports, the demos, BI pages): a
// horizontal bar chart and a line chart with axes, ticks, a legend and dashed limit lines. Plain
// strings, no script, so a page opens in any browser or mail client and stays readable offline.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/export.hpp"

namespace houqin::chart {

struct Bar {
  std::string label{};
  double value = 0;
};

struct BarOptions {
  int width = 640;        // the whole chart, labels included
  int label_width = 160;  // room for the labels left of the bars
  int row_height = 22;
  std::string color = "#3a7bd5";
};

/// One bar per entry, longest = the largest value; values are printed beside their bars. Negative
/// values are drawn as empty bars (the value is still printed). Returns `<svg ...>...</svg>`.
HOUQIN_EXPORT std::string bars(std::span<const Bar> bars, const BarOptions& options = {});

/// One line: points (x[i], y[i]); non-finite y values leave a gap.
struct Series {
  std::string label{};
  std::string color = "#2b7bb9";
  std::vector<double> x{};
  std::vector<double> y{};
};

/// A horizontal dashed line at `value`, labelled on the right.
struct Limit {
  std::string label{};
  double value = 0;
};

struct LineOptions {
  int width = 720;
  int height = 260;
  std::string x_title{};  // under the x axis
  std::string y_title{};  // left of the y axis (the unit)
  std::string x_unit{};   // appended to numeric x tick labels ("s")
  /// Category labels at x = 0, 1, 2 ... instead of numeric x ticks (periods of a report).
  std::vector<std::string> x_labels{};
  /// The x range; both 0: from the data.
  double x_min = 0, x_max = 0;
};

/// Lines over a shared x axis, y scaled to the data and the limits with a margin, with five y
/// ticks, numeric x ticks (or the category labels) and a legend right of the plot. Returns
/// `<svg ...>...</svg>`.
HOUQIN_EXPORT std::string lines(std::span<const Series> series, std::span<const Limit> limits = {},
                                const LineOptions& options = {});

/// `<figure><figcaption>caption</figcaption>svg</figure>`, the caption escaped.
HOUQIN_EXPORT std::string figure(std::string_view caption, std::string_view svg);

}  // namespace houqin::chart
