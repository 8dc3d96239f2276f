#include "houqin/core/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "houqin/core/html.hpp"

namespace houqin::chart {

namespace {

/// A coordinate or tick value with at most `digits` decimals and no trailing zeros.
std::string num(double v, int digits = 1) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

std::string attr(std::string_view name, double v) {
  return " " + std::string(name) + "=\"" + num(v) + "\"";
}

std::string text(double x, double y, std::string_view content, std::string_view extra = {}) {
  return "<text" + attr("x", x) + attr("y", y) + (extra.empty() ? "" : " ") + std::string(extra) +
         ">" + html_escape(content) + "</text>";
}

std::string line(double x1, double y1, double x2, double y2, std::string_view style) {
  return "<line" + attr("x1", x1) + attr("y1", y1) + attr("x2", x2) + attr("y2", y2) + " " +
         std::string(style) + "/>";
}

std::string open_svg(double w, double h, std::string_view cls) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"" + std::string(cls) + "\"" +
         attr("width", w) + attr("height", h) + " font-family=\"" + std::string(html::fonts) +
         "\" font-size=\"11\">";
}

/// Decimals that tell ticks `step` apart.
int tick_digits(double step) {
  if (!(step > 0)) return 1;
  return std::clamp(static_cast<int>(std::ceil(-std::log10(step))) + 1, 0, 6);
}

}  // namespace

std::string bars(std::span<const Bar> data, const BarOptions& o) {
  double max = 0;
  for (const auto& b : data)
    if (std::isfinite(b.value)) max = std::max(max, b.value);
  if (max <= 0) max = 1;
  const double left = o.label_width, room = std::max(10, o.width - o.label_width - 60);
  const double row = o.row_height;
  std::string out = open_svg(o.width, row * static_cast<double>(data.size()) + 10, "bars");
  double y = 5;
  for (const auto& b : data) {
    double len = std::isfinite(b.value) && b.value > 0 ? room * b.value / max : 0;
    out += text(left - 6, y + 15, b.label, "text-anchor=\"end\"");
    out += "<rect class=\"bar\"" + attr("x", left) + attr("y", y + 3) + attr("width", len) +
           attr("height", row - 6) + " fill=\"" + html_escape(o.color) + "\"/>";
    out += text(left + len + 6, y + 15, num(b.value, 2));
    y += row;
  }
  return out + "</svg>";
}

std::string lines(std::span<const Series> series, std::span<const Limit> limits,
                  const LineOptions& o) {
  const double left = 60, right = 120, top = 20, bottom = 40;
  const double pw = std::max(10.0, o.width - left - right),
               ph = std::max(10.0, o.height - top - bottom);
  double lo = INFINITY, hi = -INFINITY, x0 = INFINITY, x1 = -INFINITY;
  for (const auto& s : series) {
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.y[i]) || !std::isfinite(s.x[i])) continue;
      lo = std::min(lo, s.y[i]), hi = std::max(hi, s.y[i]);
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
    }
  }
  for (const auto& l : limits)
    if (std::isfinite(l.value)) lo = std::min(lo, l.value), hi = std::max(hi, l.value);
  if (!(lo <= hi)) lo = 0, hi = 1;
  const double margin = (hi - lo) * 0.08 + (hi == lo ? 1 : 0);
  lo -= margin, hi += margin;
  if (o.x_min != 0 || o.x_max != 0) x0 = o.x_min, x1 = o.x_max;
  if (!o.x_labels.empty()) x0 = 0, x1 = static_cast<double>(o.x_labels.size() - 1);
  if (!(x0 <= x1)) x0 = 0, x1 = 1;
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  auto px = [&](double x) { return left + pw * (x - x0) / (x1 - x0); };
  auto py = [&](double v) { return top + ph * (hi - v) / (hi - lo); };

  std::string out = open_svg(o.width, o.height, "trend");
  out += "<rect" + attr("x", left) + attr("y", top) + attr("width", pw) + attr("height", ph) +
         " fill=\"#fafafa\" stroke=\"#999\"/>";
  const int ydigits = tick_digits((hi - lo) / 4);
  for (int i = 0; i <= 4; ++i) {
    double v = lo + (hi - lo) * i / 4;
    out += line(left - 4, py(v), left + pw, py(v), "stroke=\"#ddd\"");
    out += text(left - 6, py(v) + 4, num(v, ydigits), "text-anchor=\"end\"");
  }
  if (!o.x_labels.empty()) {
    for (std::size_t i = 0; i < o.x_labels.size(); ++i) {
      double x = px(static_cast<double>(i));
      out += line(x, top + ph, x, top + ph + 4, "stroke=\"#999\"");
      out += text(x, top + ph + 16, o.x_labels[i], "text-anchor=\"middle\"");
    }
  } else {
    const int xdigits = tick_digits((x1 - x0) / 5);
    for (int i = 0; i <= 5; ++i) {
      double x = x0 + (x1 - x0) * i / 5;
      out += line(px(x), top + ph, px(x), top + ph + 4, "stroke=\"#999\"");
      out += text(px(x), top + ph + 16, num(x, xdigits) + (o.x_unit.empty() ? "" : " " + o.x_unit),
                  "text-anchor=\"middle\"");
    }
  }
  if (!o.x_title.empty())
    out += text(left + pw / 2, o.height - 6, o.x_title, "text-anchor=\"middle\"");
  if (!o.y_title.empty())
    out += text(14, top + ph / 2, o.y_title,
                "transform=\"rotate(-90 14 " + num(top + ph / 2) + ")\" text-anchor=\"middle\"");
  for (const auto& l : limits) {
    if (!std::isfinite(l.value)) continue;
    out +=
        line(left, py(l.value), left + pw, py(l.value), "stroke=\"#c00\" stroke-dasharray=\"4 3\"");
    out += text(left + pw + 4, py(l.value) + 4, l.label, "fill=\"#c00\"");
  }
  double legend = top + 30;
  for (const auto& s : series) {
    // A gap (non-finite value) ends one polyline and the next finite value starts another.
    std::string points;
    auto close = [&] {
      if (points.empty()) return;
      out += "<polyline fill=\"none\" stroke=\"" + html_escape(s.color) +
             "\" stroke-width=\"1.5\" points=\"" + points + "\"/>";
      points.clear();
    };
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.y[i]) || !std::isfinite(s.x[i])) {
        close();
        continue;
      }
      points += (points.empty() ? "" : " ") + num(px(s.x[i])) + "," + num(py(s.y[i]));
    }
    close();
    out += text(left + pw + 4, legend, s.label, "fill=\"" + html_escape(s.color) + "\"");
    legend += 14;
  }
  return out + "</svg>";
}

std::string figure(std::string_view caption, std::string_view svg) {
  return "<figure><figcaption>" + html_escape(caption) + "</figcaption>" + std::string(svg) +
         "</figure>";
}

}  // namespace houqin::chart
